"""The instructor's grading cycle, command by command, as the README gives it.

grade -> manual grading (as the formgrader stores it) -> ``python -m autograder feedback`` ->
``nbgrader release_feedback``; a change to the hidden checks regrades every submission and keeps the
manual grades; ``--student`` regrades one student, and with ``AUTOGRADER_SEED`` reproduces their
failed check. The course is a full copy (its own ``autograder/`` and ``course/``), so that the test
can edit the hidden checks as an instructor would.
"""
import contextlib
import csv
import os
import socket
import shutil
import subprocess
import sys

import pytest
from nbgrader.api import Gradebook

from autograder.examples import write_examples
from autograder.grading import generate_release
from conftest import ASSIGNMENTS, REPO

pytestmark = pytest.mark.slow

A = "a1_lnp_sta"
NOTEBOOK = "lnp_sta"
WRITTEN = "answer_sta_bias"
STUDENTS = ("perfect", "sta-divides-by-n-images")


def full_course(root):
    """A course folder of its own: source/, autograder/, course/ and the real nbgrader_config.py."""
    root.mkdir(parents=True)
    shutil.copytree(REPO / "source" / A, root / "source" / A)
    for package in ("autograder", "course"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    (root / "exchange").mkdir(mode=0o777)
    return root


def run(course, *arguments, seed=None):
    """A command run from the course folder, with the course's own packages first on the path."""
    env = os.environ | {"PYTHONPATH": str(course), "NBGRADER_EXCHANGE": str(course / "exchange")}
    env.pop("AUTOGRADER_SEED", None)
    if seed is not None:
        env["AUTOGRADER_SEED"] = seed
    process = subprocess.run([sys.executable, "-m", *arguments], cwd=course, env=env, capture_output=True,
                             text=True, timeout=900)
    assert process.returncode == 0, process.stdout + process.stderr
    return process.stdout + process.stderr


def cell_rows(course):
    with open(course / "reports" / f"{A}-cells.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def feedback_page(course, student):
    return (course / "feedback" / student / A / f"{NOTEBOOK}.html").read_text()


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = full_course(tmp_path_factory.mktemp("cycle") / "course")
    generate_release(course, A)
    write_examples(course, A)
    for folder in (course / "submitted").iterdir():
        if folder.name not in STUDENTS:
            shutil.rmtree(folder)
    with busy_dashboard_port():
        output = run(course, "autograder", "grade", A, "--workers", "1")
    assert "grading 2 of 2 submissions (2: not graded before)" in output
    # Nothing that is not the instructor's business: Dask's dashboard port, unknown config options.
    assert "Port 8787" not in output and "Warning" not in output and "not recognized" not in output, output
    return course


@contextlib.contextmanager
def busy_dashboard_port():
    """Port 8787 taken, as by any other Dask cluster on the machine (Dask's default dashboard port)."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # already taken by someone else: just as good
            holder.bind(("", 8787))
            holder.listen()
        yield


def grade_by_hand(course, student, score, comment):
    """What the formgrader stores when a grader scores and comments a written answer."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        gradebook.find_grade(WRITTEN, NOTEBOOK, A, student).manual_score = score
        gradebook.find_comment(WRITTEN, NOTEBOOK, A, student).manual_comment = comment
        gradebook.db.commit()


def manual_grade(course, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return (gradebook.find_grade(WRITTEN, NOTEBOOK, A, student).manual_score,
                gradebook.find_comment(WRITTEN, NOTEBOOK, A, student).manual_comment)


def test_feedback_after_manual_grading_carries_the_scores_and_comments(graded_course):
    course = graded_course
    grade_by_hand(course, "perfect", 2.5, "Right bias, but say why more images do not remove it.")
    grade_by_hand(course, "sta-divides-by-n-images", 1, "Only the direction of the bias.")
    before = feedback_page(course, "perfect")
    assert "Right bias" not in before

    output = run(course, "autograder", "feedback", A)
    assert output.strip() == f"{A}: feedback written for 2 students in {course / 'feedback'}/<student>/{A}/"
    page = feedback_page(course, "perfect")
    assert "Right bias, but say why more images do not remove it." in page
    assert "17.5 / 18" in page  # 15 autograded + 2.5 of 3 by hand
    assert "Only the direction of the bias." in feedback_page(course, "sta-divides-by-n-images")


def test_release_feedback_works_for_submissions_put_in_submitted_by_hand(graded_course):
    course = graded_course
    run(course, "autograder", "feedback", A)
    output = run(course, "nbgrader", "release_feedback", A)
    assert "Traceback" not in output
    released = sorted((course / "exchange" / "neural-coding" / "feedback").glob("*.html"))
    assert len(released) == len(STUDENTS)
    pages = {page.read_text() for page in released}
    assert pages == {feedback_page(course, student) for student in STUDENTS}


def test_a_change_to_the_hidden_checks_regrades_everyone_and_keeps_manual_grades(graded_course):
    course = graded_course
    grade_by_hand(course, "perfect", 2, "Kept across regrades.")
    unchanged = run(course, "autograder", "grade", A, "--workers", "1")
    assert "grading 0 of 2 submissions; 2 unchanged since they were graded" in unchanged

    with open(course / "autograder" / A / "checks.py", "a") as checks:
        checks.write("\n# An instructor's edit: any change to the hidden checks must regrade.\n")
    output = run(course, "autograder", "grade", A, "--workers", "1")
    assert f"grading 2 of 2 submissions (2: the hidden checks (autograder/{A}/) changed)" in output
    assert manual_grade(course, "perfect") == (2, "Kept across regrades.")
    assert cell_rows(course)["perfect"]["auto_score"] == "15"
    assert cell_rows(course)["sta-divides-by-n-images"]["auto_score"] == "10"


def test_the_fingerprint_names_each_part_of_the_grading_that_changed(tmp_path):
    from autograder import batch

    course = full_course(tmp_path / "course")
    submission = batch.Submission("student", tmp_path, files="digest", grading=_state_of(course))
    entry = {"files": submission.files, "grading": dict(submission.grading)}
    assert batch.why_grade(entry, submission) == "regrade asked for"
    assert batch.why_grade(None, submission) == "not graded before"
    assert batch.why_grade(entry | {"files": "other"}, submission) == "the submission changed"
    edits = {"course/lnp.py": ("\n", "the course package"),
             "source/a1_lnp_sta/lnp_sta.ipynb": ("\n", "the source notebooks"),
             "autograder/isolation.py": ("\n", "the shared grading code"),
             "nbgrader_config.py": ("c.Execute.timeout = 60\n", "the nbgrader configuration"),
             f"autograder/{A}/reference.py": ("\n", f"the hidden checks (autograder/{A}/)")}
    for path, (text, part) in edits.items():
        with open(course / path, "a") as handle:
            handle.write(text)
        changed = batch.Submission("student", tmp_path, files="digest", grading=_state_of(course))
        assert batch.why_grade(entry, changed) == f"{part} changed", path
        entry = {"files": changed.files, "grading": dict(changed.grading)}
    with open(course / "autograder" / A / "examples.py", "a") as handle:
        handle.write("\n")  # the example submissions do not decide any grade
    assert batch.why_grade(entry, batch.Submission("s", tmp_path, files="digest", grading=_state_of(course))) == (
        "regrade asked for")


def _state_of(course):
    """grading_state of the course's own copy of the grader (its autograder/ and course/)."""
    from autograder.batch import grading_state

    return grading_state(course, A, grader=course / "autograder", course_package=course / "course")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_example_students_answer_the_written_questions_in_their_own_words(assignment, tmp_path):
    import nbformat

    from autograder.examples import build_submission, examples_for, written_answers_for

    written = written_answers_for(assignment)
    for source_path in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        source = nbformat.read(source_path, as_version=4)
        release = nbformat.read(REPO / "release" / assignment / source_path.name, as_version=4)
        model = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
                 if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution")}
        assert set(model) <= set(written), "every written question has an example answer"
        model_lines = {line.strip() for text in model.values() for line in text.splitlines() if len(line) > 20}
        for example in examples_for(assignment):
            submission = build_submission(release, source, example, written)
            for cell in submission.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in model:
                    assert "Model answer" not in cell.source and "Mark scheme" not in cell.source
                    assert not model_lines & {line.strip() for line in cell.source.splitlines()}
                    assert cell.source == (release_text(release, grade_id) if example.blank else written[grade_id])


def release_text(release, grade_id):
    return next(cell.source for cell in release.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
