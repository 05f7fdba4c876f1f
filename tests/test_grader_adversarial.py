"""The grader against hostile and broken submissions: each gets exactly the grade it earned.

One batch of assignment 1 holds honest submissions and an adversarial corpus
(infinite loop, memory bomb, exits, a segfault, a bounded fork bomb, tampered
test cells, patched checkers, always-equal objects, attempts to read or write
the gradebook and hidden tests, a flood of output, broken files, unsafe names).
The batch must complete, the honest submissions must get their usual grades,
and no adversarial submission may earn a point it did not earn.
"""
import json
import os

import nbformat
import pytest

from autograder.batch import grade_batch
from autograder.examples import build_submission, examples_for
from autograder.grading import generate_release, read_report
from autograder.isolation import Limits, isolation_mechanisms
from conftest import REPO, make_course_dir

pytestmark = pytest.mark.slow

A = "a1_lnp_sta"
STA = {"test_compute_STA_public", "test_compute_STA_hidden"}
WHITENED = {"test_compute_whitened_STA_public", "test_compute_whitened_STA_hidden"}
NONLINEARITY = {"test_estimate_nonlinearity_public", "test_estimate_nonlinearity_hidden"}
ALL_TESTS = STA | WHITENED | NONLINEARITY
SLEEP = "123.456"  # how the fork bomb's processes can be recognised
LIMITS = Limits(cell_timeout=20, notebook_timeout=120, memory_bytes=2 * 2**30, max_output_chars=200_000)


def perfect_and_blank():
    source = nbformat.read(REPO / "source" / A / "lnp_sta.ipynb", as_version=4)
    release = nbformat.read(REPO / "release" / A / "lnp_sta.ipynb", as_version=4)
    examples = {example.student: example for example in examples_for(A)}
    return build_submission(release, source, examples["perfect"]), build_submission(release, source, examples["blank"])


def with_cell(notebook, code, after="compute_STA"):
    """``notebook`` with a code cell holding ``code`` inserted after the cell ``after`` (a grade_id)."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    index = next(i for i, cell in enumerate(notebook.cells) if cell.metadata.get("nbgrader", {}).get("grade_id") == after)
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return notebook


def without(notebook, grade_id):
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    notebook.cells = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return notebook


def edited(notebook, grade_id, source):
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return notebook


def duplicated(notebook, grade_id):
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    index = next(i for i, cell in enumerate(notebook.cells) if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    notebook.cells.insert(index, nbformat.from_dict(json.loads(json.dumps(notebook.cells[index]))))
    return notebook


def corpus(course):
    """(student, notebook or raw bytes, the test cells it must lose, or a 'not graded' reason fragment)."""
    perfect, blank = perfect_and_blank()
    gradebook = str(course / "gradebook.db")
    checks_file = str(REPO / "autograder" / "a1_lnp_sta" / "checks.py")
    return [
        ("honest-perfect", perfect, set()),
        ("honest-blank", blank, ALL_TESTS),
        ("infinite-loop", with_cell(perfect, "while True:\n    pass"), set()),
        ("memory-bomb", with_cell(perfect, "hog = bytearray(8 * 2**30)"), set()),
        ("sys-exit", with_cell(perfect, "import sys\nsys.exit(3)"), set()),
        ("os-exit", with_cell(perfect, "import os\nos._exit(0)", after="test_compute_STA_hidden"),
         WHITENED | NONLINEARITY),
        ("segfault", with_cell(perfect, "import ctypes\nctypes.string_at(0)", after="test_compute_STA_hidden"),
         WHITENED | NONLINEARITY),
        ("fork-bomb", with_cell(perfect, "import os\nfor _ in range(300):\n    if os.fork() == 0:\n"
                                         f"        os.execvp('sleep', ['sleep', '{SLEEP}'])"), set()),
        ("print-a-million-lines", with_cell(perfect, "for i in range(4 * 10**5):\n    print(i)"), set()),
        ("deleted-test-cell", without(blank, "test_compute_STA_hidden"), ALL_TESTS),
        ("duplicated-test-cell", duplicated(perfect, "test_compute_STA_public"), set()),
        ("edited-test-cells", edited(edited(blank, "test_compute_STA_hidden", "pass"),
                                     "test_compute_STA_public", "print('all good')"), ALL_TESTS),
        ("monkeypatched-checkers", with_cell(blank, (
            "import sys, types\n"
            "import course.checks.lnp_sta as public\n"
            "public.check_compute_STA = lambda f: None\n"
            "fake = types.ModuleType('autograder.a1_lnp_sta.checks')\n"
            "fake.check_compute_STA = lambda f: None\n"
            "for name in ('autograder', 'autograder.a1_lnp_sta', 'autograder.a1_lnp_sta.checks'):\n"
            "    sys.modules[name] = fake\n"
            "import builtins\nbuiltins.AssertionError = Exception")), ALL_TESTS),
        ("always-equal", with_cell(blank, (
            "class Anything(float):\n"
            "    def __eq__(self, other): return True\n"
            "    def __ne__(self, other): return False\n"
            "    def __array__(self, *a, **k): raise TypeError('no')\n"
            "def compute_STA(images, spike_counts):\n"
            "    return Anything()\n")), ALL_TESTS),
        ("reads-hidden-tests", with_cell(blank, (
            f"import glob, os\n"
            f"print('gradebook visible:', os.path.exists({gradebook!r}))\n"
            f"print('checks visible:', os.path.exists({checks_file!r}))\n"
            f"roots = {[str(course.parent), str(REPO.parent), '/opt', '/home', '/tmp', '/root']!r}\n"
            f"print('found:', [p for r in roots for p in glob.glob(r + '/**/checks.py', recursive=True)\n"
            f"                 if 'autograder' in p])\n")),
         ALL_TESTS),
        ("writes-gradebook", with_cell(blank, (
            f"open({gradebook!r}, 'wb').write(b'gone')\n")), ALL_TESTS),
        ("malformed-json", b'{"cells": [', "malformed JSON"),
        ("old-nbformat", json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}).encode(),
         "nbformat 3"),
    ]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course_dir(tmp_path_factory.mktemp("adversarial") / "course", [A])
    generate_release(course, A)
    cases = corpus(course)
    for student, content, _ in cases:
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        data = content if isinstance(content, bytes) else nbformat.writes(content).encode()
        (folder / "lnp_sta.ipynb").write_bytes(data)
    # Unsafe names: a hidden folder name, and a link that points at the gradebook.
    (course / "submitted" / ".." "hidden" / A).mkdir(parents=True)
    link_folder = course / "submitted" / "symlink-to-gradebook" / A
    link_folder.mkdir(parents=True)
    (link_folder / "lnp_sta.ipynb").write_bytes(nbformat.writes(cases[0][1]).encode())
    os.symlink(course / "gradebook.db", link_folder / "data.db")
    gradebook_before = (course / "gradebook.db").stat().st_size
    batch = grade_batch(course, A, workers=2, limits=LIMITS, progress=False)
    return course, cases, batch, read_report(course, A), gradebook_before


def test_the_batch_completes_and_grades_every_notebook_it_can_read(graded):
    course, cases, batch, report, _ = graded
    readable = {student for student, content, _ in cases if not isinstance(content, bytes)}
    assert set(batch.graded) == readable
    assert "malformed JSON" in batch.not_graded["malformed-json"]
    assert "nbformat 3" in batch.not_graded["old-nbformat"]
    assert "symbolic link" in batch.not_graded["symlink-to-gradebook"]
    assert "unsafe student id" in batch.not_graded["..hidden"]


def test_each_submission_earns_exactly_what_it_earned(graded):
    course, cases, batch, report, _ = graded
    results = {result.student: result for result in report.results}
    for student, content, loses in cases:
        if isinstance(loses, str):
            continue
        lost = {cell for cell in results[student].lost if cell in ALL_TESTS}
        assert lost == loses, f"{student}: lost {sorted(lost)}, expected {sorted(loses)}; {results[student].notes}"


def test_time_memory_and_crashes_are_reported(graded):
    course, cases, batch, report, _ = graded
    assert any("limit" in problem for problem in batch.problems["infinite-loop"])
    assert any("ended the notebook's process" in problem for problem in batch.problems["os-exit"])
    assert any("ended the notebook's process" in problem for problem in batch.problems["segfault"])
    assert "MemoryError" in outputs_of(course, "memory-bomb", "hog = bytearray")
    assert "SystemExit" in outputs_of(course, "sys-exit", "sys.exit(3)")


def test_a_fork_bomb_is_bounded_and_cleaned_up(graded):
    course, *_ = graded
    text = outputs_of(course, "fork-bomb", "os.fork()")
    if isolation_mechanisms()["processes"].startswith("active"):
        assert "BlockingIOError" in text or "Resource temporarily unavailable" in text
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid) == f"sleep {SLEEP}"]


def test_student_code_cannot_see_or_touch_the_gradebook_or_hidden_tests(graded):
    course, cases, batch, report, gradebook_before = graded
    if not isolation_mechanisms()["filesystem"].startswith("active"):
        pytest.skip("no bubblewrap on this machine: the file system is not isolated")
    text = outputs_of(course, "reads-hidden-tests", "glob.glob")
    assert "gradebook visible: False" in text and "checks visible: False" in text and "found: []" in text
    assert "Error" in outputs_of(course, "writes-gradebook", "open(")
    assert (course / "gradebook.db").read_bytes()[:16] == b"SQLite format 3\x00"


def test_output_floods_are_cut(graded):
    course, *_ = graded
    path = course / "autograded" / "print-a-million-lines" / A / "lnp_sta.ipynb"
    assert path.stat().st_size < 3 * 2**20
    text = outputs_of(course, "print-a-million-lines", "range(4 * 10**5)")
    assert "Output truncated" in text or "cut by the grader" in text  # nbgrader's LimitOutput, or the sandbox's cap


def outputs_of(course, student, marker):
    """The text of the outputs of the autograded cell whose source contains ``marker``."""
    notebook = nbformat.read(course / "autograded" / student / A / "lnp_sta.ipynb", as_version=4)
    cell = next(cell for cell in notebook.cells if cell.cell_type == "code" and marker in cell.source)
    return "\n".join(output.get("text", "") + output.get("ename", "") + ": " + output.get("evalue", "")
                     for output in cell.outputs)


def _cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def test_the_next_notebook_runs_in_a_sandbox_a_fork_bomb_filled():
    """Killed processes fill the process limit until they are reaped: the next fork must wait, not fail."""
    from autograder.isolation import Sandbox

    bomb = ("import os, time\nfor _ in range(300):\n    if os.fork() == 0:\n"
            "        time.sleep(123.456)\n        os._exit(0)\n")
    sandbox = Sandbox(REPO, LIMITS)
    try:
        for _ in range(3):
            sandbox.execute([nbformat.v4.new_code_cell(bomb)], {})
            outputs, problems = sandbox.execute([nbformat.v4.new_code_cell("print(6 * 7)")], {})
            assert outputs[0]["outputs"][0]["text"] == "42\n" and not problems
        assert sandbox.alive
    finally:
        sandbox.close()
