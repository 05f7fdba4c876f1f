"""The instructor's grading command: batch grading, feedback, per-cell CSV, figure, summary table.

nbgrader's own export only has totals per assignment; instructors need to see
which cells each student lost and why. This module grades with ``batch`` (in
parallel, sandboxed, resumable), runs nbgrader's feedback, then reads the
gradebook for per-cell scores and the autograded notebooks for the message of
each failed check.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat


class GradingError(RuntimeError):
    """nbgrader could not run at all (as opposed to a submission failing)."""


@dataclass
class StudentResult:
    """One student's grades for one assignment."""

    student: str
    scores: dict[str, float | None]  # cell -> score; None = awaits manual grading
    max_scores: dict[str, float]
    notes: list[str] = field(default_factory=list)  # "cell: message of the failed check"

    @property
    def failed(self) -> set[str]:
        """Test cells whose check failed (an error in the autograded notebook), whatever they are worth."""
        return {note.split(": ", 1)[0] for note in self.notes}

    @property
    def lost(self) -> list[str]:
        """Graded cells that scored less than their maximum, or failed: public checks are worth 0 points."""
        return [cell for cell, score in self.scores.items()
                if score is not None and (score < self.max_scores[cell] or cell in self.failed)]


@dataclass
class GradeReport:
    """Grades of every submission of one assignment."""

    assignment: str
    cells: list[str]  # graded cells, in notebook order
    max_scores: dict[str, float]
    manual_cells: list[str]
    results: list[StudentResult]
    not_graded: dict[str, str]  # student -> reason

    @property
    def auto_max(self) -> float:
        return sum(score for cell, score in self.max_scores.items() if cell not in self.manual_cells)


def run_nbgrader(course_root: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGUMENTS`` in the course directory and return the finished process.

    nbgrader calls helper programs (alembic) by name, so this interpreter's
    ``bin/`` goes first on PATH.
    """
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *arguments],
        cwd=course_root,
        capture_output=True,
        text=True,
        env=os.environ | {"PATH": path},
    )


def generate_release(course_root: Path, assignment: str) -> None:
    """``nbgrader generate_assignment``: write ``release/<assignment>`` and fill the gradebook."""
    process = run_nbgrader(course_root, "generate_assignment", assignment, "--force")
    if process.returncode != 0:
        raise GradingError(f"nbgrader generate_assignment {assignment} failed:\n{process.stdout}{process.stderr}")


def grade(course_root: Path, assignment: str, reports: Path | None = None, *, workers: int | None = None,
          scheduler: str | None = None, force: bool = False, students: list[str] | None = None,
          progress: bool = False) -> GradeReport:
    """Grade every new or changed submission of ``assignment``, write feedback, the CSV and the figure.

    Parameters
    ----------
    course_root : Path
        The nbgrader course directory (``submitted/<student>/<assignment>/`` inside).
    assignment : str
        Assignment id, e.g. ``"a1_lnp_sta"``.
    reports : Path, optional
        Where to write ``<assignment>-cells.csv`` and the class report ``<assignment>-class.html``
        (default ``<course_root>/reports``).
    workers, scheduler, force, students, progress
        As in :func:`autograder.batch.grade_batch`.
    """
    from .batch import Rejected, grade_batch
    from .report import write_class_report

    course_root = Path(course_root)
    if not _gradebook_matches_source(course_root, assignment):
        # nbgrader restores test cells from the gradebook: it must hold the current ones.
        generate_release(course_root, assignment)
    try:
        batch = grade_batch(course_root, assignment, workers=workers, scheduler=scheduler, force=force,
                            students=students, progress=progress)
    except Rejected as error:
        raise GradingError(str(error)) from None
    # Also completes the feedback a crashed or killed run did not write.
    write_feedback(course_root, assignment, missing_only=True)
    report = read_report(course_root, assignment)
    report.not_graded.update(batch.not_graded)
    for result in report.results:
        result.notes += [f"grader: {problem}" for problem in batch.problems.get(result.student, [])]
    folder = reports or course_root / "reports"
    write_cell_csv(report, folder / f"{assignment}-cells.csv")
    write_class_report(report, course_root, folder / f"{assignment}-class.html")
    return report


def write_feedback(course_root: Path, assignment: str, *, missing_only: bool = False) -> list[str]:
    """nbgrader's feedback for every graded submission, with the gradebook's current scores and comments.

    Run after manual grading (``python -m autograder feedback ASSIGNMENT``): it writes every page again.
    With ``missing_only``, only the pages not written since the submission was last autograded (a
    page cut short by a crash counts as not written: each one is noted in ``.grader/`` once complete).
    Returns the students whose feedback was written.
    """
    from nbgrader.apps import NbGraderAPI

    from .batch import WORK, course_config

    course_root = Path(course_root).resolve()
    written_file = course_root / WORK / f"{assignment}-feedback.json"
    written = json.loads(written_file.read_text()) if written_file.exists() else {}
    graded = _graded_students(course_root, assignment)
    students = [student for student in graded
                if not missing_only or written.get(student) != _autograded_signature(course_root, assignment, student)]
    api = NbGraderAPI(config=course_config(course_root))
    # One nbgrader run for the whole class when every page is due (it costs half as much per page).
    for batch in [students] if students == graded else [[student] for student in students]:
        outcome = api.generate_feedback(assignment, batch[0] if len(batch) == 1 else None, force=True)
        if not outcome["success"]:
            raise GradingError(f"nbgrader generate_feedback failed for {', '.join(batch)}:\n"
                               f"{outcome.get('error') or ''}{outcome.get('log') or ''}")
        written.update({student: _autograded_signature(course_root, assignment, student) for student in batch})
        _write_atomically(written_file, json.dumps(written, indent=0))
    return students


def _graded_students(course_root: Path, assignment: str) -> list[str]:
    autograded = course_root / "autograded"
    return sorted(folder.name for folder in autograded.iterdir()
                  if _autograded_notebooks(course_root, assignment, folder.name)) if autograded.is_dir() else []


def _autograded_signature(course_root: Path, assignment: str, student: str) -> str:
    """Names and modification times of a student's autograded notebooks: changes at every regrade."""
    return ",".join(f"{path.name}:{path.stat().st_mtime_ns}"
                    for path in _autograded_notebooks(course_root, assignment, student))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def course_gradebook_url(course_root: Path) -> str:
    """The SQLAlchemy URL of the course's gradebook, as its ``nbgrader_config.py`` sets it."""
    from .batch import course_config, gradebook_url

    return gradebook_url(course_config(Path(course_root).resolve()))


def read_report(course_root: Path, assignment: str) -> GradeReport:
    """Per-cell scores from the gradebook, and failed-check messages from the autograded notebooks."""
    from nbgrader.api import Gradebook

    with Gradebook(course_gradebook_url(course_root)) as gradebook:
        cells, max_scores, manual = [], {}, []
        for notebook in gradebook.find_assignment(assignment).notebooks:
            by_name = {cell.name: cell for cell in notebook.grade_cells}
            for grade_id, is_test in _graded_cells(course_root, assignment, notebook.name):
                cells.append(grade_id)
                max_scores[grade_id] = by_name[grade_id].max_score
                if not is_test:
                    manual.append(grade_id)
        results = []
        for submission in sorted(gradebook.assignment_submissions(assignment), key=lambda s: s.student.id):
            scores = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    awaiting = grade.needs_manual_grade and grade.manual_score is None
                    scores[grade.name] = None if awaiting else float(grade.score)
            student = submission.student.id
            if not _autograded_notebooks(course_root, assignment, student):
                continue  # nbgrader failed on it: reported as not graded, with its reason
            results.append(
                StudentResult(student, scores, max_scores, _failure_notes(course_root, assignment, student))
            )
    return GradeReport(assignment, cells, max_scores, manual, results, {})


def write_cell_csv(report: GradeReport, path: Path) -> None:
    """One row per student, one column per graded cell, then the totals."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *report.cells, "auto_score", "auto_max", "awaiting_manual_grading",
                         "not_graded", "diagnoses"])
        for result in report.results:
            cell_scores = [result.scores.get(cell) for cell in report.cells]
            awaiting = [cell for cell in report.cells if result.scores.get(cell) is None]
            auto = sum(result.scores.get(cell) or 0.0 for cell in report.cells if cell not in report.manual_cells)
            writer.writerow(
                [result.student, *("" if s is None else f"{s:g}" for s in cell_scores),
                 f"{auto:g}", f"{report.auto_max:g}", " ".join(awaiting), "", " | ".join(result.notes)]
            )
        for student, reason in sorted(report.not_graded.items()):
            writer.writerow([student, *("" for _ in report.cells), "", f"{report.auto_max:g}", "", reason, ""])


def format_table(report: GradeReport) -> str:
    """A plain-text summary: automatic score, cells lost and the first diagnosis per student."""
    manual_points = sum(report.max_scores[cell] for cell in report.manual_cells)
    width = max([len(result.student) for result in report.results] + [len(s) for s in report.not_graded] + [7])
    lines = [
        f"{report.assignment}: {len(report.results)} graded, {len(report.not_graded)} not graded; "
        f"{report.auto_max:g} points autograded, {manual_points:g} graded by hand",
        f"{'student':<{width}} {'auto':>7}  {'lost':<38} main diagnosis",
    ]
    for result in report.results:
        auto = sum(result.scores.get(cell) or 0.0 for cell in report.cells if cell not in report.manual_cells)
        lost = ", ".join(result.lost) or "-"
        note = _main_diagnosis(result, report.max_scores)
        lines.append(f"{result.student:<{width}} {auto:>3g}/{report.auto_max:<3g}  {_clip(lost, 38):<38} {_clip(note, 90)}")
    for student, reason in sorted(report.not_graded.items()):
        lines.append(f"{student:<{width}} {'-':>7}  NOT GRADED: {reason}")
    return "\n".join(lines)


def _gradebook_matches_source(course_root: Path, assignment: str) -> bool:
    """Whether the gradebook holds this assignment with the source notebooks' current test cells."""
    from nbgrader.api import Gradebook, MissingEntry

    url = course_gradebook_url(course_root)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False  # never leave an empty gradebook behind
    with Gradebook(url) as gradebook:
        for path in sorted((course_root / "source" / assignment).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("grade") and not meta.get("solution"):
                    try:
                        stored = gradebook.find_source_cell(meta["grade_id"], path.stem, assignment).source
                    except MissingEntry:
                        return False
                    if stored != cell.source:
                        return False
    return True


def _graded_cells(course_root: Path, assignment: str, notebook: str) -> list[tuple[str, bool]]:
    """(grade_id, is_autograder_test) of each graded cell, in the source notebook's order."""
    source = nbformat.read(course_root / "source" / assignment / f"{notebook}.ipynb", as_version=4)
    graded = []
    for cell in source.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            graded.append((meta["grade_id"], cell.cell_type == "code" and not meta.get("solution")))
    return graded


def _autograded_notebooks(course_root: Path, assignment: str, student: str) -> list[Path]:
    return sorted((course_root / "autograded" / student / assignment).glob("*.ipynb"))


def _failure_notes(course_root: Path, assignment: str, student: str) -> list[str]:
    notes = []
    for path in _autograded_notebooks(course_root, assignment, student):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                for output in cell.get("outputs", []):
                    if output.output_type == "error":
                        notes.append(f"{meta['grade_id']}: {output.evalue or output.ename}")
    return notes


def _main_diagnosis(result: StudentResult, max_scores: dict[str, float]) -> str:
    """The message of the failed test cell worth the most points (hidden checks name the mistake)."""
    by_cell = dict(note.split(": ", 1) for note in reversed(result.notes))
    if not by_cell:
        return "-"
    return by_cell[max(by_cell, key=lambda cell: max_scores.get(cell, 0))]


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."
