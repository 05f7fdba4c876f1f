"""The course's grading commands: grade submissions, write feedback after manual grading, run the demo."""
import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .examples import write_examples
from .grading import GradingError, format_table, generate_release, grade, write_feedback
from .instructor import add_instructor_parsers, instructor_artefacts

COURSE_ROOT = Path(__file__).resolve().parent.parent


def assignments(course_root: Path) -> list[str]:
    """Assignment ids: the folders of ``source/``."""
    return sorted(path.name for path in (course_root / "source").iterdir() if path.is_dir())


def command_grade(arguments) -> int:
    report = grade(arguments.course_dir, arguments.assignment, workers=arguments.workers,
                   scheduler=arguments.scheduler, force=arguments.force, students=arguments.students, progress=True)
    print(format_table(report))
    print(f"\nper-cell scores: {arguments.course_dir / 'reports' / (arguments.assignment + '-cells.csv')}")
    print(f"class report:    {arguments.course_dir / 'reports' / (arguments.assignment + '-class.html')}")
    print(f"feedback:        {arguments.course_dir / 'feedback'}/<student>/{arguments.assignment}/")
    return 1 if report.not_graded else 0


def command_feedback(arguments) -> int:
    """Write every graded submission's feedback again, with the manual scores and comments."""
    students = write_feedback(arguments.course_dir, arguments.assignment)
    print(f"{arguments.assignment}: feedback written for {len(students)} students in "
          f"{arguments.course_dir / 'feedback'}/<student>/{arguments.assignment}/")
    return 0


def scratch_course(course_root: Path, chosen: list[str]) -> Path:
    """A fresh course folder in ``.grader/demo`` with copies of the ``source/`` of the ``chosen`` assignments.

    Its configuration loads the course's own and then points nbgrader at the scratch folder and
    its own SQLite gradebook, so nothing there touches the course's gradebook or folders.
    """
    scratch = course_root / ".grader" / "demo"
    shutil.rmtree(scratch, ignore_errors=True)
    for assignment in chosen:
        shutil.copytree(course_root / "source" / assignment, scratch / "source" / assignment)
    (scratch / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"load_subconfig({str(course_root / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(scratch)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(scratch / 'gradebook.db')!r}\n")
    return scratch


def stale_release(course_root: Path, scratch: Path, assignment: str) -> bool:
    """Whether ``release/<assignment>`` differs from the release the scratch course built from ``source/``."""
    built = sorted((scratch / "release" / assignment).glob("*.ipynb"))
    committed = course_root / "release" / assignment
    return {path.name for path in built} != {path.name for path in committed.glob("*.ipynb")} or any(
        nbformat.read(path, as_version=4) != nbformat.read(committed / path.name, as_version=4) for path in built)


def command_demo(arguments) -> int:
    """In a scratch course: release every assignment, grade its bundled example submissions, print the tables."""
    course_root = arguments.course_dir.resolve()
    chosen = arguments.assignments or assignments(course_root)
    scratch = scratch_course(course_root, chosen)
    print(f"scratch course: {scratch} (the course's own gradebook and folders are left alone)")
    failed = False
    for assignment in chosen:
        generate_release(scratch, assignment)
        students = write_examples(scratch, assignment)
        print(f"\n{assignment}: release built, {len(students)} example submissions written; grading ...")
        report = grade(scratch, assignment, force=True, progress=True)
        print(format_table(report))
        failed |= bool(report.not_graded)
        print("instructor's reports (class report, similarity, LMS files for an example roster):")
        for path in instructor_artefacts(scratch, assignment):
            print(f"  {path}")
        if stale_release(course_root, scratch, assignment):
            print(f"release/{assignment} differs from its source: copy {scratch / 'release' / assignment}/*.ipynb "
                  f"to release/{assignment}/ and commit them")
    print(f"\nscratch course: {scratch}\nper-cell CSVs in {scratch / 'reports'}, feedback in {scratch / 'feedback'}")
    return 1 if failed else 0


STUDENT_PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "course")
BUNDLE_README = """\
# {name}

The course's notebooks (release/, one folder per assignment) and the `course` package they
import ({wheel}). With Python 3.11, in this folder:

```bash
python3.11 -m venv .venv
.venv/bin/pip install torch==2.13.0 && .venv/bin/pip install neural_coding_course-*.whl
.venv/bin/jupyter lab release/
```
"""


def build_wheel(course_root: Path, out: Path) -> Path:
    """The wheel of the ``course`` package, built by pip from the files a regular install needs."""
    with tempfile.TemporaryDirectory() as folder:
        for name in STUDENT_PACKAGE_FILES:
            if (course_root / name).is_dir():
                shutil.copytree(course_root / name, Path(folder) / name,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy(course_root / name, folder)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), folder],
                       check=True)
    [wheel] = out.glob("neural_coding_course-*.whl")
    return wheel


def command_student_bundle(arguments) -> int:
    """Write ``<out>/neural-coding-course/`` and its zip: the release notebooks and the wheel, no solutions."""
    course_root, out = arguments.course_dir.resolve(), arguments.out.resolve()
    bundle = out / "neural-coding-course"
    shutil.rmtree(bundle, ignore_errors=True)
    shutil.copytree(course_root / "release", bundle / "release", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    wheel = build_wheel(course_root, bundle)
    (bundle / "README.md").write_text(BUNDLE_README.format(name=bundle.name, wheel=wheel.name))
    archive = shutil.make_archive(str(bundle), "zip", root_dir=out, base_dir=bundle.name)
    print(f"student bundle: {archive}\n  (the folder {bundle}: release/, {wheel.name}, README.md)")
    return 0


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
    demo_parser = commands.add_parser("demo", help="release and grade the bundled example submissions in a scratch course (.grader/demo)")
    demo_parser.add_argument("assignments", nargs="*", help="default: every assignment in source/")
    demo_parser.set_defaults(run=command_demo)
    bundle_parser = commands.add_parser("student-bundle",
                                        help="zip the release notebooks and the course package's wheel for students")
    bundle_parser.add_argument("--out", type=Path, default=COURSE_ROOT / "dist", help="folder for the bundle (default: dist/)")
    bundle_parser.set_defaults(run=command_student_bundle)
    add_instructor_parsers(commands)
    arguments = parser.parse_args(argv)
    try:
        return arguments.run(arguments)
    except GradingError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
