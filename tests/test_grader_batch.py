"""The batch grader gives nbgrader's grades, whatever the number of workers, and survives being killed."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from autograder.batch import grade_batch
from autograder.examples import examples_for, write_examples
from autograder.grading import generate_release, read_report, run_nbgrader
from conftest import REPO, make_course_dir

pytestmark = pytest.mark.slow

A = "a1_lnp_sta"
SAMPLE = ("perfect", "blank", "alternative-loops", "sta-divides-by-n-images", "whitened-changes-its-input",
          "nonlinearity-empty-bins-zero")


def course_with_examples(root, students=SAMPLE):
    course = make_course_dir(root, [A])
    generate_release(course, A)
    write_examples(course, A)
    for folder in (course / "submitted").iterdir():
        if folder.name not in students:
            subprocess.run(["rm", "-rf", str(folder)], check=True)
    return course


def scores(course):
    return {result.student: result.scores for result in read_report(course, A).results}


def test_one_worker_two_workers_and_plain_nbgrader_give_identical_cell_scores(tmp_path):
    serial, parallel, plain = (course_with_examples(tmp_path / name) for name in ("serial", "parallel", "plain"))
    grade_batch(serial, A, workers=1, progress=False)
    grade_batch(parallel, A, workers=2, progress=False)
    assert run_nbgrader(plain, "autograde", A, "--create", "--force").returncode == 0
    assert len(scores(plain)) == len(SAMPLE)
    assert scores(serial) == scores(parallel) == scores(plain)


def test_a_killed_batch_resumes_without_losing_or_doubling_anything(tmp_path):
    course = course_with_examples(tmp_path / "course")
    for copy in range(4):  # more work, so that the kill lands midway
        subprocess.run(["cp", "-r", str(course / "submitted" / "perfect"), str(course / "submitted" / f"copy-{copy}")],
                       check=True)
    ledger = course / ".grader" / f"{A}.jsonl"
    first = subprocess.Popen([sys.executable, "-m", "autograder", "--course-dir", str(course), "grade", A,
                              "--workers", "1"], cwd=REPO, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (ledger.exists() and len(ledger.read_text().splitlines()) >= 2):
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    graded_before = [json.loads(line)["student"] for line in ledger.read_text().splitlines()]
    assert 2 <= len(graded_before) < len(SAMPLE) + 4, "the kill should land midway"

    again = grade_batch(course, A, workers=2, progress=False)
    assert not set(again.graded) & set(graded_before), "nothing graded twice"
    assert sorted(again.graded + again.unchanged) == sorted([*SAMPLE, *(f"copy-{n}" for n in range(4))])
    entries = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert sorted(entry["student"] for entry in entries) == sorted({entry["student"] for entry in entries})

    expected = {example.student: example.loses for example in examples_for(A)}
    for result in read_report(course, A).results:
        loses = expected["perfect" if result.student.startswith("copy-") else result.student]
        assert {cell for cell in result.lost if cell.startswith("test_")} == set(loses), result.student

    rerun = grade_batch(course, A, workers=1, progress=False)
    assert rerun.graded == [] and len(rerun.unchanged) == len(SAMPLE) + 4
