"""What the instructor's and the students' pages show: nbgrader preprocessors and the offline MathJax.

- ``ShortenTestErrors`` keeps checking code out of students' feedback;
- ``AddMarkingGuide`` puts each written answer's model answer and mark scheme in front of the
  grader in the formgrader, and ``RemoveMarkingGuide`` keeps it out of the feedback;
- ``mathjax_source`` gives ``templates/nbconvert/templates/base/mathjax.html.j2`` the MathJax
  installed in this environment (``django-static-mathjax``), inlined into each page: no page loads
  anything from the network, and a feedback page opened from disk renders its maths too.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

MARKING_GUIDE = "course_marking_guide"  # cell metadata key of the guide cells (never in feedback)


class ShortenTestErrors(NbGraderPreprocessor):  # nbgrader's base: enabled by default, unlike nbconvert's
    """Reduce each error in a test cell to its last line, e.g. ``CheckFailed: ...``.

    A full traceback quotes the source lines of every frame, including the hidden
    test cell and the checker's own code. The last line carries the diagnosis,
    which is what the student needs. Answer cells keep their full tracebacks.
    """

    def preprocess_cell(self, cell, resources, index):
        is_test_cell = cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)
        if is_test_cell:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class AddMarkingGuide(NbGraderPreprocessor):
    """After each answer graded by hand, a cell with the source notebook's model answer and mark scheme.

    nbgrader's own mark-scheme regions are for task cells; the written answers here are answer
    cells, whose source cell holds the model answer and mark scheme. The autograded notebook, which
    the formgrader shows, gets the guide; ``RemoveMarkingGuide`` takes it out of the feedback.
    """

    def preprocess(self, nb, resources):
        guides = self._guides(resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"])
        cells = []
        for cell in nb.cells:
            if MARKING_GUIDE in cell.metadata:
                continue  # a guide a student copied into their notebook is not ours
            cells.append(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if utils.is_grade(cell) and utils.is_solution(cell) and grade_id in guides:
                guide = nbformat.v4.new_markdown_cell(
                    f"**Marking guide for `{grade_id}`** (graders only; not in the feedback)\n\n{guides[grade_id]}")
                guide.metadata[MARKING_GUIDE] = True
                cells.append(guide)
        nb.cells = cells
        return nb, resources

    def _guides(self, assignment: str, notebook: str) -> dict[str, str]:
        root = Path(self.config.CourseDirectory.get("root", os.getcwd()))
        source = nbformat.read(root / "source" / assignment / f"{notebook}.ipynb", as_version=4)
        return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
                if utils.is_grade(cell) and utils.is_solution(cell) and cell.cell_type == "markdown"}


class RemoveMarkingGuide(NbGraderPreprocessor):
    """Drop the graders' marking guide cells (feedback is for students)."""

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if MARKING_GUIDE not in cell.metadata]
        return nb, resources


@functools.cache
def mathjax_source(bundle: str) -> str:
    """The text of one of MathJax's single-file bundles (``es5/<bundle>``), from the installed package."""
    try:
        import mathjax
    except ImportError:
        raise RuntimeError("MathJax is not installed: pip install django-static-mathjax (pinned in pyproject.toml)"
                           ) from None
    return (Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / bundle).read_text()
