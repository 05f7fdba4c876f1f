"""nbgrader's exchange round trip with real Unix users, and the permissions that keep students apart.

An instructor and two students (Unix users created by the test), an exchange folder, and
nbgrader's own commands run as each of them: release -> fetch -> complete (one student
correctly, after first submitting a version with a mistake; the other with the mistake) ->
submit -> collect -> ``python -m autograder grade`` as the instructor -> release and fetch
feedback. The completed notebooks are built from the fetched release with the example
builders (the model answers, and a named mistake of ``autograder/a1_lnp_sta/examples.py``).
"""
import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.examples import Example, build_submission, examples_for
from conftest import REPO

from .conftest import ASSIGNMENT, COURSE_ID

pytestmark = [pytest.mark.slow, pytest.mark.system]

SOLVED = Example("solved")
MISTAKE = next(example for example in examples_for(ASSIGNMENT) if example.loses and not example.blank)
SOURCES = sorted((REPO / "source" / ASSIGNMENT).glob("*.ipynb"))


@dataclass
class RoundTrip:
    course: object
    good: object  # resubmitted: first the mistake, then the model answers
    mistaken: object
    submissions: dict  # student -> inbound folder names, oldest first
    grading: object  # the grading command's finished process
    sandbox: dict  # isolation_mechanisms() as the instructor sees them


def nbgrader(user, *arguments, **options):
    return user.run("nbgrader", *arguments, **options)


def complete(student, example: Example) -> None:
    """The student's fetched notebooks with ``example``'s answers, saved as the student's own files."""
    for source_path in SOURCES:
        fetched = student.home / ASSIGNMENT / source_path.name
        notebook = build_submission(nbformat.read(fetched, as_version=4), nbformat.read(source_path, as_version=4),
                                    example)
        nbformat.write(notebook, fetched)
        student.give(fetched)


def inbound(course, student) -> list[str]:
    folder = course.exchange / COURSE_ID / "inbound"
    return sorted((path.name for path in folder.iterdir() if path.name.startswith(f"{student.name}+")),
                  key=lambda name: name.split("+")[2])


@pytest.fixture(scope="module")
def round_trip(exchange_course, unix_users):
    course = exchange_course
    good, mistaken = unix_users("stu"), unix_users("stu")
    for student in (good, mistaken):
        course.enrol(student)
        nbgrader(student, "fetch_assignment", ASSIGNMENT)
    complete(good, MISTAKE)
    nbgrader(good, "submit", ASSIGNMENT)
    complete(good, SOLVED)
    nbgrader(good, "submit", ASSIGNMENT)  # the resubmission must replace the first one
    complete(mistaken, MISTAKE)
    nbgrader(mistaken, "submit", ASSIGNMENT)
    submissions = {student.name: inbound(course, student) for student in (good, mistaken)}

    course.nbgrader("collect", ASSIGNMENT)
    sandbox = json.loads(course.as_instructor(
        "python", "-c", "import json; from autograder.isolation import isolation_mechanisms as m; "
                              "print(json.dumps(m()))").stdout)
    grading = course.as_instructor("python", "-m", "autograder", "grade", ASSIGNMENT, timeout=900)
    print(grading.stdout)
    print(grading.stderr[-2000:])
    course.as_instructor("python", "-m", "autograder", "feedback", ASSIGNMENT, timeout=600)
    course.nbgrader("release_feedback", ASSIGNMENT)
    for student in (good, mistaken):
        nbgrader(student, "fetch_feedback", ASSIGNMENT)
    return RoundTrip(course, good, mistaken, submissions, grading, sandbox)


def feedback_pages(student) -> list[Path]:
    return sorted((student.home / ASSIGNMENT / "feedback").glob("*/*.html"))


def hidden_test_lines() -> list[str]:
    lines = []
    for path in SOURCES:
        inside = False
        for cell in nbformat.read(path, as_version=4).cells:
            for line in cell.source.splitlines():
                if "BEGIN HIDDEN TESTS" in line:
                    inside = True
                elif "END HIDDEN TESTS" in line:
                    inside = False
                elif inside and line.strip():
                    lines.append(line.strip())
    return lines


def test_grades_are_recorded_per_student_with_the_mistake_named(round_trip):
    course, good, mistaken = round_trip.course, round_trip.good, round_trip.mistaken
    assert round_trip.grading.returncode == 0, round_trip.grading.stdout + round_trip.grading.stderr
    assert "NOT GRADED" not in round_trip.grading.stdout
    checked = 0
    with Gradebook(f"sqlite:///{course.folder / 'gradebook.db'}") as gradebook:
        for path in SOURCES:
            for cell in nbformat.read(path, as_version=4).cells:
                meta = cell.metadata.get("nbgrader", {})
                if not (meta.get("grade") and not meta.get("solution")):
                    continue
                for student, lost in ((good, set()), (mistaken, MISTAKE.loses)):
                    grade = gradebook.find_grade(meta["grade_id"], path.stem, ASSIGNMENT, student.name)
                    expected = 0 if meta["grade_id"] in lost else grade.max_score
                    assert grade.score == expected, (student.name, meta["grade_id"])
                    checked += 1
    assert checked and MISTAKE.loses
    with open(course.folder / "reports" / f"{ASSIGNMENT}-cells.csv", newline="") as handle:
        diagnoses = {row["student"]: row["diagnoses"] for row in csv.DictReader(handle)}
    assert diagnoses[good.name] == "" and MISTAKE.diagnosis in diagnoses[mistaken.name]


def test_the_resubmission_replaces_the_first_one(round_trip):
    course, good = round_trip.course, round_trip.good
    first, second = round_trip.submissions[good.name]
    collected = course.folder / "submitted" / good.name / ASSIGNMENT
    inbound_folder = course.exchange / COURSE_ID / "inbound"
    assert (collected / "timestamp.txt").read_text() == (inbound_folder / second / "timestamp.txt").read_text()
    assert (collected / "timestamp.txt").read_text() != (inbound_folder / first / "timestamp.txt").read_text()
    for path in SOURCES:
        assert nbformat.read(collected / path.name, as_version=4) == nbformat.read(
            inbound_folder / second / path.name, as_version=4)


def test_feedback_reaches_each_student_without_hidden_tests(round_trip):
    hidden = hidden_test_lines()
    assert hidden
    for student in (round_trip.good, round_trip.mistaken):
        pages = feedback_pages(student)
        assert [page.name for page in pages] == [path.with_suffix(".html").name for path in SOURCES], student.name
        html = "\n".join(page.read_text() for page in pages)
        assert "BEGIN HIDDEN TESTS" not in html and "autograder" not in html
        assert [line for line in hidden if line in html] == []
    assert MISTAKE.diagnosis in "\n".join(page.read_text() for page in feedback_pages(round_trip.mistaken))
    assert MISTAKE.diagnosis not in "\n".join(page.read_text() for page in feedback_pages(round_trip.good))


PROBE = r"""
import json, os, sys
results = {}
for name, (action, path) in json.loads(sys.argv[1]).items():
    try:
        if action == "read":
            open(path, "rb").read(1)
        elif action == "list":
            os.listdir(path)
        elif action == "rename":
            os.rename(path, path + "-moved")
            os.rename(path + "-moved", path)
        results[name] = "allowed"
    except PermissionError:
        results[name] = "denied"
    except Exception as error:
        results[name] = f"{type(error).__name__}: {error}"
print(json.dumps(results))
"""


def attempts(user, targets: dict) -> dict:
    return json.loads(user.python(PROBE, json.dumps({name: [action, str(path)] for name, (action, path)
                                                      in targets.items()})).stdout)


def test_a_student_cannot_reach_another_students_work_or_the_instructors_course(round_trip):
    course, good, other = round_trip.course, round_trip.good, round_trip.mistaken
    exchange = course.exchange / COURSE_ID
    good_submission = exchange / "inbound" / round_trip.submissions[good.name][-1]
    own_feedback = feedback_pages(other)[0]
    results = attempts(other, {
        "own fetched notebook": ("read", other.home / ASSIGNMENT / SOURCES[0].name),
        "own feedback": ("read", own_feedback),
        "released notebook": ("read", exchange / "outbound" / ASSIGNMENT / SOURCES[0].name),
        "other student's home": ("list", good.home),
        "other student's notebook": ("read", good.home / ASSIGNMENT / SOURCES[0].name),
        "other student's feedback": ("read", feedback_pages(good)[0]),
        "other student's submission cache": ("list", good.home / ".local/share/jupyter/nbgrader_cache"),
        "list of submissions (inbound)": ("list", exchange / "inbound"),
        "list of released feedback": ("list", exchange / "feedback"),
        "rename another's submission": ("rename", good_submission),
        "rename the course in the exchange": ("rename", exchange),
        "instructor's home": ("list", course.instructor.home),
        "instructor's source notebook": ("read", course.folder / "source" / ASSIGNMENT / SOURCES[0].name),
        "instructor's gradebook": ("read", course.folder / "gradebook.db"),
        "instructor's hidden checks": ("read", course.folder / "autograder" / ASSIGNMENT / "checks.py"),
        "another's submission, by its full name": ("read", good_submission / SOURCES[0].name),
    })
    # What remains of nbgrader's design (README, JupyterHub): a submission folder is readable by
    # whoever knows its full name, which holds a random part and which no student can list.
    assert results.pop("another's submission, by its full name") == "allowed"
    assert re.fullmatch(rf"{good.name}\+{ASSIGNMENT}\+[^+]+\+[A-Za-z0-9_-]{{12}}", good_submission.name)
    allowed = {"own fetched notebook", "own feedback", "released notebook"}
    assert {name: verdict for name, verdict in results.items() if name in allowed} == dict.fromkeys(allowed, "allowed")
    assert {name: verdict for name, verdict in results.items() if name not in allowed} == {
        name: "denied" for name in results if name not in allowed}
    # The students' Python cannot import the hidden checks.
    probe = other.python("import autograder", check=False)
    assert "ModuleNotFoundError" in probe.stderr


def test_the_grader_reports_the_isolation_it_has_as_the_instructor(round_trip):
    """The instructor is not root: bubblewrap runs unprivileged; a pids cgroup is not writable."""
    weaker = {name: state for name, state in round_trip.sandbox.items() if not state.startswith("active")}
    print("isolation as the instructor:", json.dumps(round_trip.sandbox, indent=1))
    stderr = round_trip.grading.stderr
    if weaker:
        assert "WARNING: weaker isolation" in stderr
        assert all(f"{name}: {state}" in stderr for name, state in weaker.items())
    else:
        assert "WARNING" not in stderr
