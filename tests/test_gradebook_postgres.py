"""The gradebook on a real PostgreSQL server: every read and write goes through ``c.CourseDirectory.db_url``.

The server is Debian's PostgreSQL 15, created in a temporary folder by the test and stopped by it.
"""
import csv
import os
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.examples import examples_for, write_examples
from autograder.grading import generate_release
from conftest import REPO, make_course_dir
from gradebook_server import PostgresServer, postgres_missing

pytestmark = pytest.mark.slow

SAMPLES = {
    "a1_lnp_sta": ("perfect", "sta-divides-by-n-images"),
    "a2_max_likelihood": ("perfect", "blank"),
}


@pytest.fixture(scope="module")
def postgres():
    reason = postgres_missing()
    if reason and os.environ.get("COURSE_REQUIRE_SYSTEM_TESTS") == "1":  # CI installs PostgreSQL
        pytest.fail(reason)
    elif reason:
        pytest.skip(reason)
    server = PostgresServer()
    yield server
    server.stop()


def course_on_postgres(root, db_url):
    course = make_course_dir(root, list(SAMPLES))
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"c.CourseDirectory.db_url = {db_url!r}\n")
    for assignment, students in SAMPLES.items():
        generate_release(course, assignment)
        write_examples(course, assignment)
        for folder in (course / "submitted").iterdir():
            if (folder / assignment).is_dir() and folder.name not in students:
                subprocess.run(["rm", "-rf", str(folder / assignment)], check=True)
    return course


def expected_test_scores(assignment, student):
    """grade_id -> points for each autograded test cell, from the example's declared losses."""
    example = next(example for example in examples_for(assignment) if example.student == student)
    scores = {}
    for path in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                scores[meta["grade_id"]] = 0.0 if meta["grade_id"] in example.loses else float(meta["points"])
    return scores


def test_two_grade_commands_at_once_on_two_assignments_lose_nothing(postgres, tmp_path):
    db_url = postgres.create_database("gradebook")
    course = course_on_postgres(tmp_path / "course", db_url)
    commands = [subprocess.Popen([sys.executable, "-m", "autograder", "--course-dir", str(course), "grade",
                                  assignment, "--workers", "1"], cwd=tmp_path, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
                for assignment in SAMPLES]
    outputs = [command.communicate(timeout=900)[0] for command in commands]
    for command, output in zip(commands, outputs):
        assert command.returncode == 0, output

    assert not (course / "gradebook.db").exists(), "nothing may fall back to a SQLite gradebook"
    with Gradebook(db_url) as gradebook:
        for assignment, students in SAMPLES.items():
            stored = sorted(submission.student.id for submission in gradebook.assignment_submissions(assignment))
            assert stored == sorted(students), assignment
            for student in students:
                expected = expected_test_scores(assignment, student)
                for notebook in gradebook.find_submission(assignment, student).notebooks:
                    got = {grade.name: grade.score for grade in notebook.grades if grade.name in expected}
                    assert got == {name: expected[name] for name in got}, (assignment, student)
                    assert got, (assignment, student)
    for assignment, students in SAMPLES.items():
        with open(course / "reports" / f"{assignment}-cells.csv", newline="") as handle:
            rows = {row["student"]: row for row in csv.DictReader(handle)}
        assert sorted(rows) == sorted(students)
        assert rows["perfect"]["auto_score"] == rows["perfect"]["auto_max"] != "0"
        for student in students:
            assert (course / "feedback" / student / assignment).is_dir()
