"""The course's grading commands: grade submissions, write feedback after manual grading, run the demo."""
import argparse
import sys
from pathlib import Path

from .examples import write_examples
from .grading import GradingError, format_table, generate_release, grade, write_feedback

COURSE_ROOT = Path(__file__).resolve().parent.parent


def assignments(course_root: Path) -> list[str]:
    """Assignment ids: the folders of ``source/``."""
    return sorted(path.name for path in (course_root / "source").iterdir() if path.is_dir())


def command_grade(arguments) -> int:
    report = grade(arguments.course_dir, arguments.assignment, workers=arguments.workers,
                   scheduler=arguments.scheduler, force=arguments.force, students=arguments.students, progress=True)
    print(format_table(report))
    print(f"\nper-cell scores: {arguments.course_dir / 'reports' / (arguments.assignment + '-cells.csv')}")
    print(f"score figure:    {arguments.course_dir / 'reports' / (arguments.assignment + '-scores.png')}")
    print(f"feedback:        {arguments.course_dir / 'feedback'}/<student>/{arguments.assignment}/")
    return 1 if report.not_graded else 0


def command_feedback(arguments) -> int:
    """Write every graded submission's feedback again, with the manual scores and comments."""
    students = write_feedback(arguments.course_dir, arguments.assignment)
    print(f"{arguments.assignment}: feedback written for {len(students)} students in "
          f"{arguments.course_dir / 'feedback'}/<student>/{arguments.assignment}/")
    return 0


def command_demo(arguments) -> int:
    """Release every assignment, grade its bundled example submissions, print the tables."""
    failed = False
    for assignment in arguments.assignments or assignments(arguments.course_dir):
        generate_release(arguments.course_dir, assignment)
        students = write_examples(arguments.course_dir, assignment)
        print(f"\n{assignment}: release built, {len(students)} example submissions written; grading ...")
        report = grade(arguments.course_dir, assignment, force=True, progress=True)
        print(format_table(report))
        failed |= bool(report.not_graded)
    print(f"\nper-cell CSVs in {arguments.course_dir / 'reports'}, feedback in {arguments.course_dir / 'feedback'}")
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    parser.add_argument("--course-dir", type=Path, default=COURSE_ROOT, help="nbgrader course directory")
    commands = parser.add_subparsers(dest="command", required=True)
    grade_parser = commands.add_parser("grade", help="autograde submitted/<student>/ASSIGNMENT, feedback, CSV")
    grade_parser.add_argument("assignment")
    grade_parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    grade_parser.add_argument("--scheduler", default=None, help="address of a running Dask scheduler to use instead")
    grade_parser.add_argument("--force", action="store_true", help="grade again even unchanged submissions")
    grade_parser.add_argument("--student", dest="students", action="append", metavar="STUDENT",
                              help="grade only this student, changed or not (repeatable)")
    grade_parser.set_defaults(run=command_grade)
    feedback_parser = commands.add_parser(
        "feedback", help="after manual grading: write the feedback again with the manual scores and comments")
    feedback_parser.add_argument("assignment")
    feedback_parser.set_defaults(run=command_feedback)
    demo_parser = commands.add_parser("demo", help="release and grade the bundled example submissions")
    demo_parser.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    demo_parser.set_defaults(run=command_demo)
    arguments = parser.parse_args(argv)
    try:
        return arguments.run(arguments)
    except GradingError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
