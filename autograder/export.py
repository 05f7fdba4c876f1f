"""Grades into the learning management system: a file Canvas or Moodle imports as it is, or a plain CSV.

Scores come from nbgrader's gradebook (the course's configured ``db_url``), manual
grades included, with nbgrader's own rule for the total: the submission's score
minus its late penalty, never below zero. A roster maps nbgrader student ids to the
LMS's identifiers. No student is dropped silently: whoever is graded but missing
from the roster, on the roster but unknown to the gradebook, without a submission,
or still awaiting manual grading is listed (and gets no grade in the LMS file).

File formats
------------
Canvas, gradebook import (Canvas Instructor Guide, "How do I import grades in the
Gradebook?"; summarised at
https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades):
the columns ``Student`` (name as "Last, First"), ``ID`` (Canvas user id),
``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment
named as the assignment; a ``Points Possible`` row under the header gives the
assignment's maximum, as in the file Canvas itself exports. Canvas matches students
by ``ID``, ``SIS User ID`` or ``SIS Login ID``; a blank score leaves Canvas's grade
unchanged.

Moodle, CSV grade import (https://docs.moodle.org/311/en/Grade_import): a header
row, one column identifying the user and one with the grade; on import, "Map from"
names the identifier column and "Map to" the user field it holds (email address,
ID number or username). Header names follow Moodle's own export.
"""
from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from .batch import course_db_url

TARGETS = ("canvas", "moodle", "csv")
CANVAS_COLUMNS = {"Student": "name", "ID": "canvas_id", "SIS User ID": "sis_user_id",
                  "SIS Login ID": "sis_login_id", "Section": "section"}
CANVAS_IDENTIFIERS = ("canvas_id", "sis_user_id", "sis_login_id")
MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}

GRADED = "graded"
AWAITING = "awaiting manual grading"
NO_SUBMISSION = "no submission"
NOT_IN_GRADEBOOK = "on the roster, unknown to the gradebook"
NOT_IN_ROSTER = "missing from the roster"


class ExportError(ValueError):
    """The export cannot be written (an unreadable roster, an unknown assignment)."""


@dataclass(frozen=True)
class StudentGrade:
    """One student's total for one assignment, as nbgrader computes it.

    ``score`` is None unless ``status`` is ``GRADED``.
    """

    student: str
    status: str
    score: float | None


@dataclass
class ExportResult:
    """What was written, and every student that got no grade in it, with the reason."""

    path: Path
    written: int  # students with a score in the file
    unmatched: dict[str, str]  # nbgrader id -> status, for every student not exported with a grade

    def summary(self) -> str:
        lines = [f"{self.path}: {self.written} scores written"]
        by_status: dict[str, list[str]] = {}
        for student, status in sorted(self.unmatched.items()):
            by_status.setdefault(status, []).append(student)
        for status, students in by_status.items():
            lines.append(f"  {len(students)} {status}: {', '.join(students)}")
        return "\n".join(lines)


def read_grades(db_url: str, assignment: str) -> tuple[float, dict[str, StudentGrade]]:
    """The assignment's maximum score, and every gradebook student's total (manual grades included)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            max_score = gradebook.find_assignment(assignment).max_score
        except MissingEntry:
            raise ExportError(f"the gradebook has no assignment {assignment!r} (release it first)") from None
        grades = {}
        for student in gradebook.students:
            try:
                submission = gradebook.find_submission(assignment, student.id)
            except MissingEntry:
                grades[student.id] = StudentGrade(student.id, NO_SUBMISSION, None)
                continue
            if submission.needs_manual_grade:
                grades[student.id] = StudentGrade(student.id, AWAITING, None)
            else:
                score = max(0.0, submission.score - submission.late_submission_penalty)
                grades[student.id] = StudentGrade(student.id, GRADED, score)
    return max_score, grades


def read_roster(path: Path, required: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """nbgrader id -> the roster's row, from a CSV with a ``nbgrader_id`` column.

    Other columns are the LMS's identifiers: ``name``, ``email``, ``idnumber``,
    ``username``, ``canvas_id``, ``sis_user_id``, ``sis_login_id``, ``section``
    (only those the chosen LMS needs, listed in ``required``, must be present).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            rows = [{key.strip(): (value or "").strip() for key, value in row.items() if key} for row in reader]
    except OSError as error:
        raise ExportError(f"cannot read the roster {path}: {error.strerror}") from None
    missing = [column for column in ("nbgrader_id", *required) if column not in header]
    if missing:
        raise ExportError(f"the roster {path} lacks the column(s) {', '.join(missing)} (it has: {', '.join(header)})")
    roster: dict[str, dict[str, str]] = {}
    for line, row in enumerate(rows, start=2):
        student = row["nbgrader_id"]
        if not student:
            raise ExportError(f"{path}, line {line}: empty nbgrader_id")
        if student in roster:
            raise ExportError(f"{path}, line {line}: nbgrader_id {student!r} appears twice")
        roster[student] = row
    return roster


def export_grades(course_root: Path, assignment: str, target: str, roster_path: Path,
                  output: Path | None = None, moodle_key: str = "email", column: str | None = None) -> ExportResult:
    """Write ``assignment``'s grades for ``target`` (``canvas``, ``moodle`` or ``csv``).

    Parameters
    ----------
    course_root : Path
        The nbgrader course directory.
    assignment : str
        Assignment id, e.g. ``"a1_lnp_sta"``.
    target : str
        One of :data:`TARGETS`.
    roster_path : Path
        The roster CSV (see :func:`read_roster`).
    output : Path, optional
        Default ``<course_root>/reports/<assignment>-<target>.csv``.
    moodle_key : str
        The roster column Moodle identifies users by: ``email``, ``idnumber`` or ``username``.
    column : str, optional
        The grade column's heading in the LMS file (default: the assignment id), e.g. the
        name the assignment has in Canvas.
    """
    if target not in TARGETS:
        raise ExportError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    if target == "moodle" and moodle_key not in MOODLE_KEYS:
        raise ExportError(f"unknown Moodle key {moodle_key!r}: choose one of {', '.join(MOODLE_KEYS)}")
    required = {"canvas": ("name",), "moodle": (moodle_key,), "csv": ()}[target]
    roster = read_roster(Path(roster_path), required)
    if target == "canvas":
        _check_canvas_identifiers(roster, roster_path)
    max_score, grades = read_grades(course_db_url(course_root), assignment)
    merged = _merge(roster, grades)
    output = Path(output) if output else Path(course_root) / "reports" / f"{assignment}-{target}.csv"
    output.parent.mkdir(parents=True, exist_ok=True)
    heading = column or assignment
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if target == "canvas":
            _write_canvas(writer, merged, roster, heading, max_score)
        elif target == "moodle":
            _write_moodle(writer, merged, roster, heading, moodle_key)
        else:
            _write_plain(writer, merged, roster, max_score)
    unmatched = {grade.student: grade.status for grade in merged if grade.status != GRADED}
    in_file = merged if target == "csv" else [grade for grade in merged if grade.student in roster]
    written = sum(grade.score is not None for grade in in_file)
    return ExportResult(output, written, unmatched)


def _merge(roster: dict[str, dict[str, str]], grades: dict[str, StudentGrade]) -> list[StudentGrade]:
    """Roster students in roster order, then gradebook students the roster lacks (sorted)."""
    merged = [grades.get(student, StudentGrade(student, NOT_IN_GRADEBOOK, None)) for student in roster]
    for student in sorted(set(grades) - set(roster)):
        known = grades[student].status
        status = NOT_IN_ROSTER if known == GRADED else f"{known}, {NOT_IN_ROSTER}"
        merged.append(StudentGrade(student, status, grades[student].score))
    return merged


def _check_canvas_identifiers(roster: dict[str, dict[str, str]], path: Path) -> None:
    """Canvas matches a row by one of its ids: each roster row needs at least one."""
    columns = [column for column in CANVAS_IDENTIFIERS if column in next(iter(roster.values()), {})]
    if roster and not columns:
        raise ExportError(f"the roster {path} needs one of the columns {', '.join(CANVAS_IDENTIFIERS)} for Canvas")
    anonymous = [student for student, row in roster.items() if not any(row.get(c) for c in columns)]
    if anonymous:
        raise ExportError(f"roster rows without a Canvas id ({', '.join(CANVAS_IDENTIFIERS)}): {', '.join(anonymous)}")


def _score_text(grade: StudentGrade) -> str:
    return "" if grade.score is None else f"{grade.score:g}"


def _write_canvas(writer, merged, roster, heading: str, max_score: float) -> None:
    writer.writerow([*CANVAS_COLUMNS, heading])
    writer.writerow(["Points Possible", *("" for _ in range(len(CANVAS_COLUMNS) - 1)), f"{max_score:g}"])
    for grade in merged:
        if grade.student in roster:
            row = roster[grade.student]
            writer.writerow([row.get(key, "") for key in CANVAS_COLUMNS.values()] + [_score_text(grade)])


def _write_moodle(writer, merged, roster, heading: str, key: str) -> None:
    writer.writerow([MOODLE_KEYS[key], heading])
    for grade in merged:
        if grade.student in roster:
            writer.writerow([roster[grade.student][key], _score_text(grade)])


def _write_plain(writer, merged, roster, max_score: float) -> None:
    """Every student, roster or not: its ids, score, maximum and status."""
    columns = list(dict.fromkeys(column for row in roster.values() for column in row if column != "nbgrader_id"))
    writer.writerow(["nbgrader_id", *columns, "score", "max_score", "status"])
    for grade in merged:
        row = roster.get(grade.student, {})
        writer.writerow([grade.student, *(row.get(column, "") for column in columns), _score_text(grade),
                         f"{max_score:g}", grade.status])


def command_export(arguments) -> int:
    """``python -m autograder export``: 0 when every student has a grade in the file, 1 when some are listed."""
    try:
        result = export_grades(arguments.course_dir, arguments.assignment, arguments.to, arguments.roster,
                               arguments.output, arguments.moodle_key, arguments.column)
    except ExportError as error:
        print(f"export: {error}", file=sys.stderr)
        return 2
    print(result.summary(), file=sys.stderr if result.unmatched else sys.stdout)
    return 1 if result.unmatched else 0


def add_export_parser(commands) -> None:
    """The ``export`` subcommand."""
    parser = commands.add_parser("export", help="grades as a CSV file Canvas or Moodle imports, or a plain CSV")
    parser.add_argument("assignment")
    parser.add_argument("--to", required=True, choices=TARGETS)
    parser.add_argument("--roster", required=True, type=Path,
                        help="CSV with nbgrader_id and the LMS's ids (name, email, idnumber, username, canvas_id, "
                             "sis_user_id, sis_login_id, section)")
    parser.add_argument("--output", type=Path, default=None, help="default: reports/ASSIGNMENT-TARGET.csv")
    parser.add_argument("--moodle-key", default="email", choices=tuple(MOODLE_KEYS),
                        help="the roster column Moodle identifies users by (default: email)")
    parser.add_argument("--column", default=None, help="the grade column's heading (default: the assignment id)")
    parser.set_defaults(run=command_export)
