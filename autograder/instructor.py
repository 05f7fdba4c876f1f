"""The instructor's tools after grading: the class report, similar submissions, grades for the LMS.

``python -m autograder report A``, ``python -m autograder similarity A`` and
``python -m autograder export A --to canvas|moodle|csv --roster roster.csv``;
:func:`instructor_artefacts` writes all three for a graded assignment (the demo uses it).
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

from .export import add_export_parser, course_db_url, export_grades
from .similarity import add_similarity_parser, find_similar, write_similarity_report


def class_report_path(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / "reports" / f"{assignment}-class.html"


def write_class_report_for(course_root: Path, assignment: str) -> Path:
    """The class report of an assignment already graded (scores read back from the gradebook)."""
    from .grading import read_report
    from .report import write_class_report

    return write_class_report(read_report(Path(course_root), assignment), course_root,
                              class_report_path(course_root, assignment))


def instructor_artefacts(course_root: Path, assignment: str, roster: Path | None = None) -> list[Path]:
    """Write the class report, the similarity report and the LMS files of a graded assignment.

    Without a ``roster``, an example roster of the gradebook's students (made-up
    emails and Canvas ids, ``reports/<assignment>-example-roster.csv``) stands in
    for the LMS's, as in the demo. Returns the paths written.
    """
    course_root = Path(course_root)
    reports = course_root / "reports"
    if roster is None:
        roster = write_example_roster(course_root, assignment, reports / f"{assignment}-example-roster.csv")
    paths = [write_class_report_for(course_root, assignment)]
    similar = find_similar(course_root, assignment)
    paths.append(write_similarity_report(similar, reports / f"{assignment}-similarity.html"))
    for target in ("canvas", "moodle", "csv"):
        paths.append(export_grades(course_root, assignment, target, roster).path)
    return paths


def write_example_roster(course_root: Path, assignment: str, path: Path) -> Path:
    """A roster for the gradebook's students with made-up LMS identifiers (for demonstrations)."""
    from nbgrader.api import Gradebook

    with Gradebook(course_db_url(course_root)) as gradebook:
        students = sorted(student.id for student in gradebook.students)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nbgrader_id", "name", "email", "canvas_id", "sis_user_id", "sis_login_id", "section"])
        for number, student in enumerate(students, start=1):
            writer.writerow([student, f"Student, {student}", f"{student}@example.org", 1000 + number,
                             f"S{number:05d}", student, "Example section"])
    return path


def command_report(arguments) -> int:
    """``python -m autograder report``: write the class report of a graded assignment."""
    from nbgrader.api import MissingEntry

    try:
        path = write_class_report_for(arguments.course_dir, arguments.assignment)
    except MissingEntry:
        print(f"report: the gradebook has no assignment {arguments.assignment!r} (grade it first)", file=sys.stderr)
        return 2
    print(f"class report: {path}")
    return 0


def add_instructor_parsers(commands) -> None:
    """The ``report``, ``similarity`` and ``export`` subcommands."""
    parser = commands.add_parser("report", help="the class report of a graded assignment (HTML)")
    parser.add_argument("assignment")
    parser.set_defaults(run=command_report)
    add_similarity_parser(commands)
    add_export_parser(commands)
