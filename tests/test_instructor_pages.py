"""The pages an instructor and students open, in Debian's chromium, with the network cut off.

One honest student and one attacker are graded in the same batch. The attacker's written answer
and outputs carry scripts (``<script>``, ``<img onerror>``, ``application/javascript``, an HTML
output with a script). In the formgrader (a real Jupyter server) and in the feedback page (opened
from disk): no student script runs, the maths is rendered by the MathJax installed in the
environment, and nothing is fetched from outside; the formgrader shows the marking guide, the
feedback does not; the honest student keeps exactly full marks.
"""
import contextlib
import csv
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.examples import Example, build_submission, written_answers_for
from autograder.grading import generate_release
from conftest import make_course_dir
from system.conftest import chromium_context

pytestmark = [pytest.mark.slow, pytest.mark.system]

A, NOTEBOOK, WRITTEN = "a1_lnp_sta", "lnp_sta", "answer_sta_bias"
# Each payload sets window.studentScriptRan if it runs; the written answer also holds maths.
WRITTEN_ATTACK = ("The STA is biased <script>window.studentScriptRan = 'markdown script'</script> "
                  "<img src=x onerror=\"window.studentScriptRan = 'onerror'\"> "
                  "because $C\\mathbf{k} \\neq \\mathbf{k}$.")
OUTPUT_ATTACK = (
    "from IPython.display import HTML, Javascript, display\n"
    "display(HTML(\"<b>bold</b><script>window.studentScriptRan = 'html output'</script>"
    "<svg onload=\\\"window.studentScriptRan = 'svg onload'\\\"></svg>\"))\n"
    "display(Javascript(\"window.studentScriptRan = 'application/javascript'\"))\n")


def attacker_notebook(release):
    notebook = nbformat.from_dict(release)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == WRITTEN:
            cell.source = WRITTEN_ATTACK
    notebook.cells.insert(2, nbformat.v4.new_code_cell(OUTPUT_ATTACK))
    return notebook


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = make_course_dir(tmp_path_factory.mktemp("pages") / "course", [A])
    generate_release(course, A)
    release = nbformat.read(course / "release" / A / f"{NOTEBOOK}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / A / f"{NOTEBOOK}.ipynb", as_version=4)
    submissions = {"honest": build_submission(release, source, Example("honest"), written_answers_for(A)),
                   "attacker": attacker_notebook(release)}
    for student, notebook in submissions.items():
        (course / "submitted" / student / A).mkdir(parents=True)
        nbformat.write(notebook, course / "submitted" / student / A / f"{NOTEBOOK}.ipynb")
    subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "grade", A, "--workers", "1"],
                   check=True, capture_output=True, timeout=900)
    with open(course / "reports" / f"{A}-cells.csv", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["honest"]["auto_score"] == rows["honest"]["auto_max"] == "15"
    return course


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium_context(tmp_path_factory.mktemp("profile"), timeout_ms=60_000) as context:
        yield context


@pytest.fixture
def offline_page(browser):
    """A tab that may load only loopback and local files; every other request is refused and listed."""
    refused = []

    def only_local(route):
        url = route.request.url
        if url.startswith(("file://", "http://127.0.0.1", "data:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page = browser.new_page()
    page.route("**/*", only_local)
    page.refused = refused
    yield page
    page.close()


@pytest.fixture(scope="module")
def formgrader(graded_course, tmp_path_factory):
    """A Jupyter server in the course folder, as an instructor starts it for the formgrader."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    exchange = tmp_path_factory.mktemp("exchange")
    log = open(tmp_path_factory.mktemp("log") / "server.log", "w")
    command = [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--ServerApp.root_dir={graded_course}",
               f"--IdentityProvider.token={token}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    server = subprocess.Popen(command, cwd=graded_course, stdout=log, stderr=subprocess.STDOUT,
                              env=os.environ | {"NBGRADER_EXCHANGE": str(exchange)}, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{url}api/status?token={token}", timeout=5)
            break
        assert time.monotonic() < deadline and server.poll() is None, Path(log.name).read_text()[-3000:]
        time.sleep(0.5)
    yield url, token
    server.terminate()
    server.wait(30)
    log.close()


def submission_page(graded_course, formgrader, student):
    url, token = formgrader
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gradebook:
        notebook_id = gradebook.find_submission_notebook(NOTEBOOK, A, student).id
    return f"{url}formgrader/submissions/{notebook_id}/?index=0&token={token}"


def rendered_maths(page):
    page.wait_for_selector("mjx-container svg", state="attached")
    return page.locator("mjx-container").count()


def test_the_formgrader_shows_the_marking_guide_rendered_maths_and_no_live_student_markup(
        graded_course, formgrader, offline_page):
    page = offline_page
    page.goto(submission_page(graded_course, formgrader, "attacker"))
    assert rendered_maths(page) > 5
    body = page.inner_text("body")
    assert "Marking guide for answer_sta_bias" in body and "Mark scheme" in body
    assert "<script>window.studentScriptRan = 'markdown script'</script>" in body  # shown as text
    assert page.evaluate("window.studentScriptRan") is None
    assert page.refused == []


def test_the_feedback_page_opened_from_disk_renders_maths_offline_and_runs_no_student_script(
        graded_course, offline_page):
    page = offline_page
    feedback = graded_course / "feedback" / "attacker" / A / f"{NOTEBOOK}.html"
    page.goto(feedback.as_uri())
    assert rendered_maths(page) > 5
    body = page.inner_text("body")
    assert "Marking guide" not in body and "Mark scheme" not in body and "Model answer" not in body
    assert "window.studentScriptRan = 'markdown script'" in body
    assert page.evaluate("window.studentScriptRan") is None
    assert page.refused == []
