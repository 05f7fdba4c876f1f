"""The main process gives every submission a deadline: a worker kept busy past it is restarted, the
submission is NOT GRADED with the reason, and the batch goes on with exact grades for the others."""
import json
import shutil
import time

import nbformat
import pytest

from autograder.batch import grade_batch
from autograder.examples import examples_for, write_examples
from autograder.grading import generate_release, read_report
from autograder.isolation import Limits
from conftest import make_course_dir

pytestmark = pytest.mark.slow

A, NOTEBOOK = "a1_lnp_sta", "lnp_sta"
HONEST = ("perfect", "sta-divides-by-n-images")
# Stalls that the per-cell and per-notebook limits, set far away here, do not stop: only the deadline can.
STALLS = {
    "sleeper": "import time\ntime.sleep(3600)",
    "spinner": "while True:\n    pass",
}
DEADLINE = 120.0  # seconds; an honest submission takes well under it, a sandbox start included, on a busy machine too


def stalling_notebook(release, code):
    notebook = nbformat.from_dict(release)
    notebook.cells.insert(2, nbformat.v4.new_code_cell(code))
    return notebook


def test_a_worker_held_past_the_deadline_is_restarted_and_the_batch_goes_on(tmp_path):
    course = make_course_dir(tmp_path / "course", [A])
    generate_release(course, A)
    write_examples(course, A)
    for folder in (course / "submitted").iterdir():
        if folder.name not in HONEST:
            shutil.rmtree(folder)
    release = nbformat.read(course / "release" / A / f"{NOTEBOOK}.ipynb", as_version=4)
    for student, code in STALLS.items():
        (course / "submitted" / student / A).mkdir(parents=True)
        nbformat.write(stalling_notebook(release, code), course / "submitted" / student / A / f"{NOTEBOOK}.ipynb")

    started = time.monotonic()
    result = grade_batch(course, A, workers=2, progress=False, deadline=DEADLINE,
                         limits=Limits(cell_timeout=3600, notebook_timeout=3600))
    assert time.monotonic() - started < 3 * DEADLINE + 120, "the batch must not wait for the stalls"

    assert sorted(result.graded) == sorted(HONEST)
    for student in STALLS:
        assert f"within the submission's deadline ({DEADLINE:g} s)" in result.not_graded[student]
    loses = {example.student: example.loses for example in examples_for(A)}
    for report in read_report(course, A).results:
        assert {cell for cell in report.lost if cell.startswith("test_")} == set(loses[report.student])
    ledger = [json.loads(line) for line in (course / ".grader" / f"{A}.jsonl").read_text().splitlines()]
    assert {entry["student"]: entry["status"] for entry in ledger} == {
        "perfect": "graded", "sta-divides-by-n-images": "graded", "sleeper": "not graded", "spinner": "not graded"}

    rerun = grade_batch(course, A, workers=1, progress=False, deadline=DEADLINE)
    assert rerun.graded == [] and set(rerun.not_graded) == set(STALLS), "recorded, not retried on every rerun"

