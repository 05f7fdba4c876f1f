"""The class report: the page an instructor opens after grading, read in Debian's chromium.

The graded example class of assignment 1 gives the named mistakes (each example
declares the diagnosis its feedback must contain and the test cells it loses);
a small hand-made class gives failures no check names, and hostile strings.
"""
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.__main__ import main
from autograder.examples import examples_for
from autograder.grading import GradeReport, StudentResult
from autograder.instructor import instructor_artefacts
from autograder.report import Failure, rank_mistakes, write_class_report
from conftest import REPO, make_course_dir
from system.conftest import chromium_context

A1 = "a1_lnp_sta"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Debian's chromium, recording every request the page makes."""
    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), viewport={"width": 1300, "height": 900}) as context:
        requests = []
        context.on("request", lambda request: requests.append(request.url))
        yield context, requests


def table(page, selector):
    """The rows of a table as lists of cell texts (header row left out)."""
    return page.eval_on_selector_all(f"{selector} tr", "rows => rows.slice(1).map("
                                     "row => Array.from(row.cells, cell => cell.innerText.trim()))")


@pytest.fixture(scope="module")
def class_page(graded_example_course, browser):
    course, report = graded_example_course(A1)
    path = course / "reports" / f"{A1}-class.html"
    assert path.exists(), "grading writes the class report"
    context, requests = browser
    page = context.new_page()
    page.goto(path.as_uri())
    yield course, report, page, requests
    page.close()


@pytest.mark.slow  # reads the graded example class
def test_named_mistakes_are_ranked_with_each_examples_message(class_page):
    course, report, page, requests = class_page
    rows = table(page, "#named-mistakes")
    counts = [int(row[0]) for row in rows]
    assert counts == sorted(counts, reverse=True)
    messages = "\n".join(row[2] for row in rows)
    for example in examples_for(A1):
        if example.diagnosis:
            assert example.diagnosis in messages, example.student
    # "divided by the number of images ..." is made by exactly one example student.
    divided = [row for row in rows if "divided by the number of images" in row[1]]
    assert len(divided) == 1 and divided[0][0] == "1"
    # Every failure of the example class is named by a check.
    assert page.inner_text("#unnamed-failures") == "Every failure was named by a check."


@pytest.mark.slow  # reads the graded example class
def test_score_distribution_matches_the_examples_declared_losses(class_page):
    course, report, page, _ = class_page
    rows = {row[1]: row for row in table(page, "#scores")}
    examples = examples_for(A1)
    for cell in ("test_compute_STA_hidden", "test_compute_whitened_STA_public", "test_estimate_nonlinearity_hidden"):
        losing = sum(cell in example.loses for example in examples)
        exercise, _, points, _, full, partial, zero, awaiting = rows[cell]
        assert (int(full), int(partial), int(zero), int(awaiting)) == (len(examples) - losing, 0, losing, 0)
    written = rows["answer_sta_bias (manual)"]
    blank = sum(example.blank for example in examples)
    assert (int(written[6]), int(written[7])) == (blank, len(examples) - blank)  # untouched answers score 0
    bars = page.eval_on_selector_all("#scores .bar", "bars => bars.map(bar => bar.getBoundingClientRect().width)")
    assert len(bars) == len(rows) and min(bars) > 100
    # Nothing sticks out of the page's column (the old figure cut its labels and hid a bar under its legend).
    edge = page.evaluate("() => document.querySelector('h2').getBoundingClientRect().right")
    rights = page.evaluate("() => [...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right)")
    assert max(rights) <= edge + 1, (rights, edge)


@pytest.mark.slow  # reads the graded example class
def test_students_awaiting_manual_grading_are_listed(class_page):
    course, report, page, _ = class_page
    awaiting = page.inner_text("#awaiting")
    for example in examples_for(A1):
        assert (f"{example.student}: answer_sta_bias" in awaiting) == (not example.blank), example.student


@pytest.mark.slow  # reads the graded example class
def test_each_student_links_to_their_feedback(class_page):
    course, report, page, _ = class_page
    links = page.eval_on_selector_all("#students a", "links => links.map(link => [link.innerText, link.href])")
    assert len(links) == len(examples_for(A1))
    example = next(example for example in examples_for(A1) if example.student == "sta-unweighted-mean")
    page.click(f"#students tr:has-text('{example.student}') a")
    page.wait_for_load_state()
    assert page.url.endswith(f"/feedback/{example.student}/{A1}/lnp_sta.html")
    assert example.diagnosis in page.inner_text("body")
    page.go_back()


@pytest.mark.slow  # reads the graded example class
def test_the_page_loads_nothing_from_elsewhere(class_page):
    course, report, page, requests = class_page
    page.goto((course / "reports" / f"{A1}-class.html").as_uri())
    requests.clear()
    page.reload()
    assert requests == [(course / "reports" / f"{A1}-class.html").as_uri()]
    html = (course / "reports" / f"{A1}-class.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


@pytest.fixture
def hostile_class(tmp_path):
    """Three students with failures no check names (two alike but for numbers), and hostile strings."""
    course = make_course_dir(tmp_path / "course", [A1])
    source = nbformat.read(course / "source" / A1 / "lnp_sta.ipynb", as_version=4)
    errors = {
        "ann": {"test_compute_STA_public": ("ValueError", "operands could not be broadcast with shapes (3,) (4,)")},
        "bob": {"test_compute_STA_public": ("ValueError", "operands could not be broadcast with shapes (7,) (2,)")},
        "<img src=x onerror=pwned=1>": {
            "test_compute_whitened_STA_hidden": ("CheckFailed", "compute_whitened_STA: it looks like you "
                                                 "<script>pwned=1</script> forgot. [inputs: seed 1]")},
    }
    for student, failures in errors.items():
        notebook = nbformat.from_dict(source)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in failures:
                ename, evalue = failures[grade_id]
                cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])]
        folder = course / "autograded" / student / A1
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "lnp_sta.ipynb")
        (course / "feedback" / student / A1).mkdir(parents=True)
        (course / "feedback" / student / A1 / "lnp_sta.html").write_text("<p>feedback</p>")
    cells = ["test_compute_STA_public", "test_compute_whitened_STA_hidden", "answer_sta_bias"]
    maxima = {"test_compute_STA_public": 1.0, "test_compute_whitened_STA_hidden": 4.0, "answer_sta_bias": 3.0}
    results = [StudentResult(student, {"test_compute_STA_public": 0.0 if "STA_public" in str(errors[student]) else 1.0,
                                       "test_compute_whitened_STA_hidden": 4.0, "answer_sta_bias": None}, maxima)
               for student in errors]
    report = GradeReport(A1, cells, maxima, ["answer_sta_bias"], results, {"broken<i>": "malformed JSON"})
    return course, report


def test_unnamed_failures_are_grouped_by_signature_and_every_student_string_escaped(hostile_class, browser):
    course, report = hostile_class
    path = write_class_report(report, course, course / "reports" / f"{A1}-class.html")
    context, _ = browser
    page = context.new_page()
    try:
        page.goto(path.as_uri())
        unnamed = table(page, "#unnamed-failures")
        assert len(unnamed) == 1
        count, name, who, message = unnamed[0]
        assert count == "2" and who == "ann, bob"
        assert name == "compute_STA: ValueError: operands could not be broadcast with shapes (#,) (#,)"
        named = table(page, "#named-mistakes")
        assert named[0][1] == "compute_whitened_STA: <script>pwned=1</script> forgot"
        assert page.evaluate("typeof pwned") == "undefined"
        assert "<img src=x onerror=pwned=1>" in page.inner_text("#students")
        assert "broken<i>: malformed JSON" in page.inner_text("#not-graded")
        link = page.get_attribute("#students tr:nth-child(4) a", "href")
        assert link == "../feedback/%3Cimg%20src%3Dx%20onerror%3Dpwned%3D1%3E/a1_lnp_sta/lnp_sta.html"
        page.click("#students tr:nth-child(4) a")
        page.wait_for_load_state()
        assert page.inner_text("body") == "feedback"
    finally:
        page.close()
    html = path.read_text()
    assert "<script>" not in html and "<img" not in html and "<i>" not in html


def test_a_public_test_failure_is_explained_by_the_named_mistake_of_its_exercise():
    failures = [Failure("ann", "compute_STA", "test_compute_STA_public", "AssertionError", "gave [1 2]"),
                Failure("ann", "compute_STA", "test_compute_STA_hidden", "CheckFailed",
                        "compute_STA: it looks like you divided by n. [inputs: seed 5]"),
                Failure("bob", "compute_STA", "test_compute_STA_public", "AssertionError", "gave [3 4]"),
                Failure("bob", "compute_STA", "test_compute_STA_hidden", "CheckFailed",
                        "compute_STA returned wrong values (relative error 0.3); it matches none of the common "
                        "mistakes the checker knows.")]
    named, unnamed = rank_mistakes(failures)
    assert [(group.name, group.students) for group in named] == [("compute_STA: divided by n", ("ann",))]
    assert sorted((group.name, group.students) for group in unnamed) == [
        ("compute_STA: AssertionError: gave [# #]", ("bob",)),
        ("compute_STA: CheckFailed: compute_STA returned wrong values (relative error #); it matches none of the "
         "common mistakes the checker knows.", ("bob",))]


def copy_of_graded_class(graded_example_course, tmp_path):
    """The graded example class, copied without its reports (the shared one stays as graded)."""
    original, _ = graded_example_course(A1)
    course = tmp_path / "course"
    shutil.copytree(original, course, ignore=shutil.ignore_patterns("reports"))
    (course / "nbgrader_config.py").write_text(
        (original / "nbgrader_config.py").read_text().replace(str(original), str(course)))
    return course


@pytest.mark.slow  # reads the graded example class
def test_report_command_rewrites_the_page_from_the_gradebook(graded_example_course, tmp_path):
    course = copy_of_graded_class(graded_example_course, tmp_path)
    process = subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "report", A1],
                             capture_output=True, text=True, cwd=REPO)
    assert process.returncode == 0, process.stderr
    page = course / "reports" / f"{A1}-class.html"
    assert str(page) in process.stdout
    html = page.read_text()
    assert all(example.student in html for example in examples_for(A1))


@pytest.mark.slow  # reads the graded example class
def test_instructor_artefacts_writes_the_three_for_a_graded_class(graded_example_course, tmp_path):
    """What the demo prints: the class report, the similarity report, and the LMS files of an example roster."""
    course = copy_of_graded_class(graded_example_course, tmp_path)
    paths = instructor_artefacts(course, A1)
    reports = course / "reports"
    assert paths == [reports / f"{A1}-class.html", reports / f"{A1}-similarity.html", reports / f"{A1}-canvas.csv",
                     reports / f"{A1}-moodle.csv", reports / f"{A1}-csv.csv"]
    students = sorted(example.student for example in examples_for(A1))
    assert (reports / f"{A1}-canvas.csv").read_text().splitlines()[:2] == [
        "Student,ID,SIS User ID,SIS Login ID,Section,a1_lnp_sta", "Points Possible,,,,,18"]  # 3 x (0 + 5) + 3 points
    moodle = (reports / f"{A1}-moodle.csv").read_text().splitlines()
    assert moodle[0] == "Email address,a1_lnp_sta" and len(moodle) == 1 + len(students)
    similarity = (reports / f"{A1}-similarity.html").read_text()
    assert "alternative-loops and alternative-numpy" not in similarity


def test_report_on_an_ungraded_assignment_is_refused_with_the_reason(tmp_path, capsys):
    course = make_course_dir(tmp_path / "course", [A1])
    assert main(["--course-dir", str(course), "report", "a9_nothing"]) == 2
    assert "no assignment 'a9_nothing'" in capsys.readouterr().err
