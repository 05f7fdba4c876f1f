"""``python -m autograder export``: the files Canvas and Moodle import, from nbgrader's gradebook, nobody dropped.

The graded example class of assignment 1 is copied, its gradebook moved to where the
course's nbgrader_config.py says (``db_url``), and manual grades entered for the
written answer of all but one student. Expected totals come from the examples'
declarations (the test cells each one loses) and the points in the source notebook.
"""
import csv
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.__main__ import main
from autograder.examples import examples_for
from autograder.export import course_db_url
from conftest import REPO

pytestmark = pytest.mark.slow  # the example class is graded first (once per session)

A1 = "a1_lnp_sta"
MANUAL_SCORE = 2.0  # given to the written answer of every non-blank student but one
STILL_AWAITING = "alternative-numpy"
NOT_ON_ROSTER = ("perfect", "sta-wrong-axis")
ONLY_ON_ROSTER = ("left-the-course",)
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A1]


def points():
    """grade_id -> (points, is a written answer), from the source notebook's metadata."""
    notebook = nbformat.read(REPO / "source" / A1 / "lnp_sta.ipynb", as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: (float(cell.metadata["nbgrader"]["points"]),
                                                    bool(cell.metadata["nbgrader"].get("solution")))
            for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")}


def expected_totals():
    """student -> total, or None while awaiting manual grading."""
    cells = points()
    tests = sum(value for value, written in cells.values() if not written)
    totals = {}
    for example in examples_for(A1):
        if example.student == STILL_AWAITING:
            totals[example.student] = None
        elif example.blank:
            totals[example.student] = 0.0
        else:
            totals[example.student] = tests - sum(cells[cell][0] for cell in example.loses) + MANUAL_SCORE
    return totals


@pytest.fixture(scope="module")
def course(graded_example_course, tmp_path_factory):
    """A copy of the graded class whose gradebook lives elsewhere, named by db_url; manual grades entered."""
    original, _ = graded_example_course(A1)
    course = tmp_path_factory.mktemp("export") / "course"
    shutil.copytree(original, course)
    database = course.parent / "elsewhere" / "grades.db"
    database.parent.mkdir()
    shutil.move(course / "gradebook.db", database)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"load_subconfig({str(REPO / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = 'sqlite:///{database}'\n")
    written = [cell for cell, (_, is_written) in points().items() if is_written]
    with Gradebook(f"sqlite:///{database}") as gradebook:
        for example in examples_for(A1):
            if example.blank or example.student == STILL_AWAITING:
                continue
            for cell in written:
                enter_manual_grade(gradebook, cell, example.student, MANUAL_SCORE)
    return course


def enter_manual_grade(gradebook, cell, student, score):
    """As nbgrader's formgrader does when a grader types a score (or clears it: None)."""
    grade = gradebook.find_grade(cell, "lnp_sta", A1, student)
    grade.manual_score = score
    grade.needs_manual_grade = score is None
    gradebook.db.commit()


def write_roster(path, students):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nbgrader_id", "name", "email", "idnumber", "canvas_id", "sis_user_id", "sis_login_id",
                         "section"])
        for number, student in enumerate(students, start=1):
            writer.writerow([student, f"Doe, {student}", f"{student}@uni.example", f"ID{number:04d}", 500 + number,
                             f"SIS{number}", f"login-{student}", "Section 2"])
    return path


@pytest.fixture
def roster(tmp_path):
    """Every example student except NOT_ON_ROSTER, plus ONLY_ON_ROSTER."""
    students = [e.student for e in examples_for(A1) if e.student not in NOT_ON_ROSTER] + list(ONLY_ON_ROSTER)
    return write_roster(tmp_path / "roster.csv", students)


def export(course, *arguments):
    """``python -m autograder export`` in a new process, as instructors run it."""
    return subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "export", A1,
                           *map(str, arguments)], capture_output=True, text=True, cwd=REPO)


@pytest.fixture
def export_here(capsys):
    """The same command line through ``autograder.__main__.main`` in this process (no start-up cost)."""
    def run(course, *arguments):
        code = main(["--course-dir", str(course), "export", A1, *map(str, arguments)])
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(arguments, code, captured.out, captured.err)
    return run


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_the_gradebook_is_found_through_the_configured_db_url(course):
    assert course_db_url(course) == f"sqlite:///{course.parent / 'elsewhere' / 'grades.db'}"
    assert not (course / "gradebook.db").exists()


def test_canvas_file_has_the_required_columns_points_possible_and_manual_grades(course, roster):
    process = export(course, "--to", "canvas", "--roster", roster)  # as the README shows it
    output = course / "reports" / f"{A1}-canvas.csv"
    rows = read_rows(output)
    assert rows[0] == CANVAS_HEADER
    total_points = sum(value for value, _ in points().values())
    assert rows[1] == ["Points Possible", "", "", "", "", f"{total_points:g}"]
    by_login = {row[3]: row for row in rows[2:]}
    expected = expected_totals()
    roster_students = [row["nbgrader_id"] for row in csv.DictReader(open(roster))]
    assert [row[3] for row in rows[2:]] == [f"login-{student}" for student in roster_students]
    for student, total in expected.items():
        if student in NOT_ON_ROSTER:
            assert f"login-{student}" not in by_login
            continue
        row = by_login[f"login-{student}"]
        assert row[0] == f"Doe, {student}" and row[4] == "Section 2" and row[1].isdigit()
        assert row[5] == ("" if total is None else f"{total:g}"), student
    assert by_login["login-left-the-course"][5] == ""
    # Every student without a grade in the file is named, and the exit code says so.
    assert process.returncode == 1, process.stderr
    for student in (*NOT_ON_ROSTER, *ONLY_ON_ROSTER, STILL_AWAITING):
        assert student in process.stderr
    assert "missing from the roster: perfect, sta-wrong-axis" in process.stderr
    assert "awaiting manual grading: alternative-numpy" in process.stderr
    assert "on the roster, unknown to the gradebook: left-the-course" in process.stderr


def test_moodle_file_is_keyed_by_the_chosen_identifier(course, roster, tmp_path, export_here):
    expected = expected_totals()
    for key, heading, value in (("email", "Email address", "{}@uni.example"), ("idnumber", "ID number", None)):
        output = tmp_path / f"moodle-{key}.csv"
        process = export_here(course, "--to", "moodle", "--roster", roster, "--moodle-key", key, "--output", output)
        assert process.returncode == 1
        rows = read_rows(output)
        assert rows[0] == [heading, A1]
        assert all(len(row) == 2 for row in rows)
        identifiers = {row["nbgrader_id"]: row[key] for row in csv.DictReader(open(roster))}
        scores = dict(rows[1:])
        assert set(scores) == set(identifiers.values())
        for student, total in expected.items():
            if student not in NOT_ON_ROSTER:
                assert scores[identifiers[student]] == ("" if total is None else f"{total:g}")
        if value:
            assert scores[value.format("sta-divides-by-n-images")] == f"{expected['sta-divides-by-n-images']:g}"


def test_plain_csv_lists_every_student_with_a_status(course, roster, tmp_path, export_here):
    output = tmp_path / "grades.csv"
    process = export_here(course, "--to", "csv", "--roster", roster, "--output", output)
    with open(output, newline="") as handle:
        rows = {row["nbgrader_id"]: row for row in csv.DictReader(handle)}
    expected = expected_totals()
    assert set(rows) == set(expected) | set(ONLY_ON_ROSTER)
    assert rows["perfect"]["status"] == "missing from the roster"
    assert rows["perfect"]["score"] == f"{expected['perfect']:g}"  # graded, so its score is kept here
    assert rows[STILL_AWAITING]["status"] == "awaiting manual grading" and rows[STILL_AWAITING]["score"] == ""
    assert rows["left-the-course"]["status"] == "on the roster, unknown to the gradebook"
    assert rows["blank"]["status"] == "graded" and rows["blank"]["score"] == "0"
    scored = sum(row["score"] != "" for row in rows.values())
    assert f"{scored} scores written" in process.stderr
    assert {row["max_score"] for row in rows.values()} == {f"{sum(v for v, _ in points().values()):g}"}


def test_a_complete_roster_of_graded_students_exits_0(course, tmp_path, export_here):
    graded = [e.student for e in examples_for(A1) if e.student != STILL_AWAITING]
    roster = write_roster(tmp_path / "roster.csv", graded)
    # The one student still awaiting manual grading is not on this roster: listed, exit 1.
    assert export_here(course, "--to", "canvas", "--roster", roster, "--output", tmp_path / "a.csv").returncode == 1
    everyone = write_roster(tmp_path / "everyone.csv", [e.student for e in examples_for(A1)])
    process = export_here(course, "--to", "csv", "--roster", everyone, "--output", tmp_path / "b.csv")
    assert process.returncode == 1 and "awaiting manual grading: alternative-numpy" in process.stderr
    with Gradebook(course_db_url(course)) as gradebook:
        enter_manual_grade(gradebook, "answer_sta_bias", STILL_AWAITING, 0.0)
    try:
        process = export(course, "--to", "moodle", "--roster", everyone, "--output", tmp_path / "c.csv")
        assert process.returncode == 0, process.stderr
        assert f"{len(graded) + 1} scores written" in process.stdout
    finally:
        with Gradebook(course_db_url(course)) as gradebook:
            enter_manual_grade(gradebook, "answer_sta_bias", STILL_AWAITING, None)


@pytest.mark.parametrize("content, message", [
    ("student,email\nperfect,p@x\n", "lacks the column(s) nbgrader_id"),
    ("nbgrader_id,name,email\nperfect,\"P, P\",p@x\nperfect,\"P, P\",q@x\n", "'perfect' appears twice"),
    ("nbgrader_id,name,email\nperfect,\"P, P\",p@x\n", "needs one of the columns canvas_id"),
    ("nbgrader_id,name,canvas_id\nperfect,\"P, P\",\n", "without a Canvas id"),
])
def test_a_bad_roster_is_refused_with_the_reason(course, tmp_path, content, message, export_here):
    roster = tmp_path / "roster.csv"
    roster.write_text(content)
    process = export_here(course, "--to", "canvas", "--roster", roster, "--output", tmp_path / "out.csv")
    assert process.returncode == 2 and message in process.stderr, process.stderr
    assert "Traceback" not in process.stderr and not (tmp_path / "out.csv").exists()


def test_an_unknown_assignment_is_refused(course, roster, capsys):
    assert main(["--course-dir", str(course), "export", "a9_nothing", "--to", "csv", "--roster", str(roster)]) == 2
    assert "no assignment 'a9_nothing'" in capsys.readouterr().err
