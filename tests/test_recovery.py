"""A grade command killed while it writes the feedback: the rerun grades nothing again and writes
every feedback page that is missing. (A kill while grading or recording: tests/test_grader_batch.py.)"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from autograder.examples import write_examples
from autograder.grading import generate_release
from conftest import REPO, make_course_dir

pytestmark = pytest.mark.slow

A, NOTEBOOK = "a1_lnp_sta", "lnp_sta"
STUDENTS = ("perfect", "blank", "sta-divides-by-n-images", "sta-unweighted-mean")


def grade_command(course):
    return [sys.executable, "-m", "autograder", "--course-dir", str(course), "grade", A, "--workers", "2"]


def test_a_kill_during_the_feedback_step_is_completed_by_the_rerun(tmp_path):
    course = make_course_dir(tmp_path / "course", [A])
    generate_release(course, A)
    write_examples(course, A)
    for folder in (course / "submitted").iterdir():
        if folder.name not in STUDENTS:
            shutil.rmtree(folder)
    ledger = course / ".grader" / f"{A}.jsonl"
    pages = [course / "feedback" / student / A / f"{NOTEBOOK}.html" for student in STUDENTS]

    first = subprocess.Popen(grade_command(course), cwd=REPO, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not any(page.exists() for page in pages):
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    graded = {json.loads(line)["student"] for line in ledger.read_text().splitlines()}
    assert graded == set(STUDENTS), "the kill should land after grading, in the feedback step"
    written = [page for page in pages if page.exists()]
    assert 1 <= len(written) < len(STUDENTS), "the kill should land midway through the feedback"

    rerun = subprocess.run(grade_command(course), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert f"grading 0 of {len(STUDENTS)} submissions; {len(STUDENTS)} unchanged" in rerun.stderr
    for page in pages:
        assert page.exists() and page.read_text().rstrip().endswith("</html>"), page
    assert "sta-unweighted-mean" in (course / "reports" / f"{A}-cells.csv").read_text()
