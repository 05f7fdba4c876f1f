"""Example submissions: the model answers, a blank notebook, and one per common mistake.

Each assignment lists its examples in ``autograder/<assignment>/examples.py`` as
:class:`Example` objects: the code a student wrote in place of the solution in
some answer cells, and which test cells must then score 0. Written answers come from
that module's ``WRITTEN_ANSWERS``, written as a student would, never the model answer. They are built from the
*release* notebook, as a student's would be, keeping each stub's own signature,
docstring and given lines, so they stay in step with the notebooks.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
SHORT_WRITTEN_ANSWER = "I ran out of time: my answer is only that the figure above shows it."


@dataclass(frozen=True)
class Example:
    """One example student.

    Attributes
    ----------
    student : str
        nbgrader student id (letters, digits, ``-`` and ``_``).
    answers : dict
        Answer cell ``grade_id`` -> the code the student wrote where the solution
        region is (the whole cell for a written answer without one).
    loses : frozenset of str
        Test cells (``grade_id``) that must score 0; every other test cell full marks.
    diagnosis : str
        Text the student's feedback must contain (the mistake named by a check).
    blank : bool
        Submit the release notebook untouched (nothing answered).
    """

    student: str
    answers: dict[str, str] = field(default_factory=dict)
    loses: frozenset[str] = frozenset()
    diagnosis: str = ""
    blank: bool = False


def examples_for(assignment: str) -> tuple[Example, ...]:
    """The examples declared for ``assignment``."""
    return importlib.import_module(f"autograder.{assignment}.examples").EXAMPLES


def written_answers_for(assignment: str) -> dict[str, str]:
    """Written answer ``grade_id`` -> the example students' answer (graded by hand)."""
    return importlib.import_module(f"autograder.{assignment}.examples").WRITTEN_ANSWERS


def model_answers(source_notebook: nbformat.NotebookNode) -> dict[str, str]:
    """Answer cell ``grade_id`` -> the source notebook's answer, solution markers removed."""
    answers = {}
    for cell in source_notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = cell.source.splitlines()
            answers[meta["grade_id"]] = "\n".join(
                line for line in lines if line.strip() not in SOLUTION_MARKERS
            )
    return answers


def solution_for(grade_id: str):
    """``answers`` entry builder: ``solution_for("f")(code) == {"f": code}``."""
    return lambda code: {grade_id: code}


def replace_solution_region(source: str, code: str) -> str:
    """``source`` with the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` replaced by ``code``."""
    lines = source.splitlines()
    markers = [index for index, line in enumerate(lines) if line.strip() in SOLUTION_MARKERS]
    if len(markers) != 2:
        return code  # no region: the answer is the whole cell
    begin, end = markers
    return "\n".join(lines[:begin] + code.rstrip("\n").splitlines() + lines[end + 1:])


def build_submission(release: nbformat.NotebookNode, source: nbformat.NotebookNode, example: Example,
                     written: dict[str, str] | None = None):
    """The release notebook with ``example``'s answers filled in: its own code, else the model code.

    Written-answer cells get the student-style answers of ``written`` (``grade_id`` -> text), else
    ``SHORT_WRITTEN_ANSWER``: the model answer, which holds the mark scheme, never goes in.
    """
    submission = nbformat.from_dict(release)
    if example.blank:
        return submission
    models = model_answers(source)
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            models[meta["grade_id"]] = (written or {}).get(meta["grade_id"], SHORT_WRITTEN_ANSWER)
    unknown = set(example.answers) - set(models)
    if unknown:
        raise ValueError(f"example {example.student!r} answers unknown cells: {sorted(unknown)}")
    sources = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source for cell in source.cells}
    for cell in submission.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            written = example.answers.get(grade_id)
            cell.source = models[grade_id] if written is None else replace_solution_region(sources[grade_id], written)
    return submission


def write_examples(course_root: Path, assignment: str, submitted: Path | None = None) -> list[str]:
    """Write every example of ``assignment`` into nbgrader's ``submitted/`` layout.

    Returns the student ids written.
    """
    course_root = Path(course_root)
    submitted = Path(submitted) if submitted else course_root / "submitted"
    release_dir = course_root / "release" / assignment
    students = []
    for release_path in sorted(release_dir.glob("*.ipynb")):
        release = nbformat.read(release_path, as_version=4)
        source = nbformat.read(course_root / "source" / assignment / release_path.name, as_version=4)
        for example in examples_for(assignment):
            target = submitted / example.student / assignment / release_path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(build_submission(release, source, example, written_answers_for(assignment)), target)
            students.append(example.student)
    return sorted(set(students))
