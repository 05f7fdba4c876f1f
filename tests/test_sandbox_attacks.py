"""Attacks on the sandbox's guarantees, graded through the real batch grader in one batch with honest controls.

Each attack targets one property (the README's security section lists them):

1. a clean, private world per submission: tracing, signalling or reading other
   processes (the zygote included), planting modules on ``sys.path``, writing
   anywhere outside the submission's own private folders;
2. bounded resources counted where spent: memory held in ``/tmp`` and the home
   folder on top of the heap, inodes, open files, disk;
3. deadlines and sizes that cannot be stretched: a reply trickled byte by byte,
   a stream of messages, a reply of millions of empty lists, output spread over
   many cells (also before a failing test, which must still fail);
4. nothing of the checker's stays callable: a reference lent while one
   exercise is checked, stashed and called later (test cells reordered), and
   public checks rebound by the notebook.

Honest submissions in the same batch must keep their exact per-cell grades, and
no attack may earn a point it did not earn.
"""
import json
import os
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from autograder.batch import grade_batch
from autograder.examples import build_submission, examples_for
from autograder.grading import generate_release, read_report
from autograder.isolation import CGROUP_GROUP, CGROUP_ROOT, SCRATCH_PREFIX, Limits, isolation_mechanisms, owner_pid
from conftest import REPO, make_course_dir

pytestmark = pytest.mark.slow

A = "a1_lnp_sta"
STA = {"test_compute_STA_public", "test_compute_STA_hidden"}
WHITENED = {"test_compute_whitened_STA_public", "test_compute_whitened_STA_hidden"}
NONLINEARITY = {"test_estimate_nonlinearity_public", "test_estimate_nonlinearity_hidden"}
ALL_TESTS = STA | WHITENED | NONLINEARITY
HIDDEN = {"test_compute_STA_hidden", "test_compute_whitened_STA_hidden", "test_estimate_nonlinearity_hidden"}
LIMITS = Limits(cell_timeout=20, notebook_timeout=150, memory_bytes=2**30, max_output_chars=200_000,
                max_notebook_output_chars=1_000_000, scratch_bytes=3 * 2**28, max_inodes=5_000, max_open_files=256)
FLOOD_CELLS = 30  # of 200 000 characters each: six times the notebook's output cap

FIND_SERVER = ("import gc, json, struct, time\n"
               "server = next(o for o in gc.get_objects() if type(o).__name__ == 'Server')\n")

TRACE_AND_SIGNAL = """
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
me = os.readlink('/proc/self')
visible = [p for p in os.listdir('/proc') if p.isdigit() and p != me]
traced, stopped, opened, pidfd_signalled = [], [], [], []
for pid in range(2, 300):  # PIDs as this process's own namespace numbers them
    if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
        traced.append(pid)
    try:
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)
    except OSError:
        pass
for pid in visible:  # PIDs of the /proc the sandbox shows
    for name in ('mem', 'environ'):
        try:
            os.close(os.open(f'/proc/{pid}/{name}', os.O_RDONLY))
            opened.append(f'{pid}/{name}')
        except OSError:
            pass
    try:
        handle = os.open(f'/proc/{pid}', os.O_RDONLY | os.O_DIRECTORY)
        if libc.syscall(424, handle, signal.SIGSTOP, None, 0) == 0:  # pidfd_send_signal
            pidfd_signalled.append(pid)
        os.close(handle)
    except OSError:
        pass
print('escaped:', traced, stopped, opened, pidfd_signalled)
"""

PLANT = """
import os, sys, sysconfig
targets = set(sys.path) | {os.path.dirname(os.__file__), sysconfig.get_paths()['purelib'], '/opt/course/course',
                           '/opt/grader', '/', '/etc', '/usr/lib', '/dev', '/grader-job', sys.prefix}
targets = {t for t in targets if t and not t.startswith(('/tmp', os.getcwd()))}  # its own private folders
planted = []
for folder in sorted(t for t in targets if os.path.isdir(t)):
    for name in ('json.py', 'sitecustomize.py'):
        try:
            with open(os.path.join(folder, name), 'w') as handle:
                handle.write('raise SystemExit')
            planted.append(folder)
        except OSError:
            pass
print('planted outside:', planted)
"""

MEMORY = """
import numpy as np
written = 0
for folder in ('/tmp', '.'):
    try:
        for i in range(48):
            with open(f'{folder}/fill-{i}', 'wb') as handle:
                handle.write(b'x' * (32 * 2**20))
            written += 32
    except OSError as error:
        print(folder, 'full:', error.strerror)
hog = []
try:
    while True:
        hog.append(np.ones(2**24))
except MemoryError:
    pass
print('held MB:', written + 128 * len(hog))
"""

FILES = """
import os
made = 0
try:
    for i in range(100_000):
        open(f'/tmp/inode-{i}', 'w').close()
        made += 1
except OSError as error:
    print('inodes stopped:', made, error.strerror)
handles = []
try:
    while True:
        handles.append(open('/dev/null'))
except OSError as error:
    print('files stopped:', len(handles), error.strerror)
for handle in handles:
    handle.close()
"""

TRICKLE = FIND_SERVER + """
server.sock.sendall(struct.pack('>Q', 1000))
for _ in range(2400):  # twenty minutes, one byte every half second
    server.sock.send(b' ')
    time.sleep(0.5)
"""

MESSAGE_STREAM = FIND_SERVER + """
message = json.dumps({'op': 'callback', 'id': 0, 'args': [], 'kwargs': {'__dict__': {}}}).encode()
for _ in range(2400):
    server.sock.sendall(struct.pack('>Q', len(message)) + message)
    time.sleep(0.5)
"""

STASHING_WHITENED = """    import builtins
    if compute_STA.__name__ == 'callback':  # the reference, lent while the whitened STA is checked
        builtins.lent = compute_STA
    covariance = np.cov(images, rowvar=False) + ridge * np.eye(images.shape[1])
    return np.linalg.solve(covariance, compute_STA(images, spike_counts) - images.mean(axis=0))
"""

STA_FROM_THE_STASH = """    import builtins
    return builtins.lent(images, spike_counts)
"""

REBIND_CHECKS = """
import course
class Anything:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None
checks = Anything()
course.checks = Anything()
"""


def notebooks():
    source = nbformat.read(REPO / "source" / A / "lnp_sta.ipynb", as_version=4)
    release = nbformat.read(REPO / "release" / A / "lnp_sta.ipynb", as_version=4)
    examples = {example.student: example for example in examples_for(A)}
    build = lambda name: build_submission(release, source, examples[name])  # noqa: E731
    return build, source, release


def copy(notebook):
    return nbformat.from_dict(json.loads(json.dumps(notebook)))


def with_cells(notebook, *codes, after=None):
    """``notebook`` with code cells inserted after the cell ``after`` (a grade_id), or at its end."""
    notebook = copy(notebook)
    index = len(notebook.cells) if after is None else 1 + next(
        i for i, cell in enumerate(notebook.cells) if cell.metadata.get("nbgrader", {}).get("grade_id") == after)
    notebook.cells[index:index] = [nbformat.v4.new_code_cell(code) for code in codes]
    return notebook


def moved_after(notebook, grade_ids, after):
    """``notebook`` with the cells ``grade_ids`` moved after the cell ``after``."""
    notebook = copy(notebook)
    moving = [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") in grade_ids]
    notebook.cells = [cell for cell in notebook.cells if cell not in moving]
    index = 1 + next(i for i, cell in enumerate(notebook.cells)
                     if cell.metadata.get("nbgrader", {}).get("grade_id") == after)
    notebook.cells[index:index] = moving
    return notebook


def corpus():
    """(student, notebook, the test cells it must lose)."""
    build, source, release = notebooks()
    perfect, blank = build("perfect"), build("blank")
    answered = lambda **answers: build_submission(release, source, _example(answers))  # noqa: E731
    flood = [f"print('x' * {LIMITS.max_output_chars})"] * FLOOD_CELLS
    stash = moved_after(answered(compute_STA=STA_FROM_THE_STASH, compute_whitened_STA=STASHING_WHITENED),
                        {"test_compute_STA_public", "test_compute_STA_hidden"}, after="test_compute_whitened_STA_hidden")
    return [
        # honest controls
        ("honest-perfect-1", perfect, set()),
        ("honest-perfect-2", perfect, set()),
        ("honest-perfect-3", perfect, set()),
        ("honest-blank", blank, ALL_TESTS),
        ("honest-sta-divides-by-n-images", build("sta-divides-by-n-images"), STA),
        ("honest-alternative-numpy", build("alternative-numpy"), set()),
        # 1. a clean, private world
        ("trace-and-signal-everything", with_cells(perfect, TRACE_AND_SIGNAL, after="compute_STA"), set()),
        ("plant-modules", with_cells(perfect, PLANT, after="compute_STA"), set()),
        # 2. bounded resources
        ("memory-in-tmpfs-and-heap", with_cells(perfect, MEMORY), set()),
        ("inodes-and-open-files", with_cells(perfect, FILES), set()),
        # 3. deadlines and sizes
        ("trickled-reply", with_cells(perfect, TRICKLE), set()),
        ("stream-of-messages", with_cells(perfect, MESSAGE_STREAM), set()),
        ("reply-of-empty-lists", answered(compute_STA="    return [[]] * 2_500_000\n"), STA),
        ("output-in-many-cells", with_cells(perfect, *flood, after="compute_STA"), set()),
        ("output-then-failing-tests", with_cells(blank, *flood, after="compute_STA"), ALL_TESTS),
        # 4. nothing callable lent for good; public checks are the checker's own
        ("stashed-reference", with_cells(stash, "import builtins\nprint(builtins.lent(np.eye(2), np.ones(2)))"),
         STA),
        ("rebound-checks", with_cells(blank, REBIND_CHECKS, after="compute_STA"), ALL_TESTS),
        ("rebound-checks-perfect", with_cells(perfect, "from course.checks import mei as checks", after="compute_STA"),
         set()),
        # What is left: public checks use fixed inputs, so hand-worked answers earn their point.
        ("hand-worked-public-answers", answered(compute_STA="    return np.array([1.0, 0.75])\n"),
         {"test_compute_STA_hidden"}),
    ]


def _example(answers):
    from autograder.examples import Example

    return Example("custom", answers=dict(answers))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course_dir(tmp_path_factory.mktemp("sandbox-attacks") / "course", [A])
    generate_release(course, A)
    cases = corpus()
    for student, notebook, _ in cases:
        folder = course / "submitted" / student / A
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "lnp_sta.ipynb")
    started = time.time()
    batch = grade_batch(course, A, workers=2, limits=LIMITS, progress=False)
    return course, cases, batch, read_report(course, A), started


def require_bubblewrap():
    if not isolation_mechanisms()["private world"].startswith("active"):
        pytest.skip("no bubblewrap on this machine: submissions are not isolated from each other")


def outputs_of(course, student, marker):
    """The text of the outputs of the autograded cell whose source contains ``marker``."""
    notebook = nbformat.read(course / "autograded" / student / A / "lnp_sta.ipynb", as_version=4)
    cell = next(cell for cell in notebook.cells if cell.cell_type == "code" and marker in cell.source)
    return "\n".join(output.get("text", "") + output.get("ename", "") + ": " + output.get("evalue", "")
                     for output in cell.outputs)


def test_every_submission_is_graded_and_earns_exactly_what_it_earned(graded):
    course, cases, batch, report, _ = graded
    assert set(batch.graded) == {student for student, _, _ in cases} and not batch.not_graded
    results = {result.student: result for result in report.results}
    for student, _, loses in cases:
        lost = {cell for cell in results[student].lost if cell in ALL_TESTS}
        assert lost == loses, f"{student}: lost {sorted(lost)}, expected {sorted(loses)}; {results[student].notes}"


def test_no_process_outside_its_own_can_be_traced_signalled_or_read(graded):
    require_bubblewrap()
    course, *_ = graded
    assert "escaped: [] [] [] []" in outputs_of(course, "trace-and-signal-everything", "PTRACE_ATTACH")


def test_nothing_on_sys_path_or_outside_the_private_folders_is_writable(graded):
    require_bubblewrap()
    course, *_ = graded
    assert "planted outside: []" in outputs_of(course, "plant-modules", "planted")


def test_memory_held_in_tmpfs_counts_against_the_memory_limit(graded):
    require_bubblewrap()
    course, cases, batch, *_ = graded
    text = outputs_of(course, "memory-in-tmpfs-and-heap", "hog.append")
    limit_mb = (LIMITS.memory_bytes + 2 * LIMITS.scratch_bytes) >> 20  # without a cgroup: heap + two tmpfs
    if isolation_mechanisms()["memory"].startswith("active"):  # the cgroup stops it well before
        limit_mb = (LIMITS.memory_bytes + 2**29) >> 20  # + the warm interpreter it forked from
    held = [int(line.split()[-1]) for line in text.splitlines() if line.startswith("held MB:")]
    killed = any("ended the notebook's process" in problem for problem in batch.problems.get("memory-in-tmpfs-and-heap", []))
    assert killed or (held and held[0] <= limit_mb), text
    if isolation_mechanisms()["memory"].startswith("active"):
        assert killed, f"the memory cgroup did not stop {held} MB"


def test_inodes_and_open_files_are_bounded(graded):
    require_bubblewrap()
    course, *_ = graded
    text = outputs_of(course, "inodes-and-open-files", "inodes stopped")
    made = int(text.split("inodes stopped:")[1].split()[0])
    opened = int(text.split("files stopped:")[1].split()[0])
    assert made < LIMITS.max_inodes and opened < LIMITS.max_open_files


def test_deadlines_hold_however_the_reply_is_stretched(graded):
    course, cases, batch, report, _ = graded
    assert any("stalled" in problem for problem in batch.problems["trickled-reply"])
    assert any(f"{LIMITS.cell_timeout:g} s limit" in problem for problem in batch.problems["stream-of-messages"])
    # Each would hold its worker twenty minutes if a deadline restarted with every byte or message.
    assert batch.seconds < 900


def test_a_reply_too_big_to_decode_is_refused_and_named(graded):
    course, cases, batch, report, _ = graded
    notes = " ".join(next(r for r in report.results if r.student == "reply-of-empty-lists").notes)
    assert "refused a reply" in notes


def test_output_is_capped_per_notebook_and_a_flood_never_hides_a_failure(graded):
    course, *_ = graded
    for student in ("output-in-many-cells", "output-then-failing-tests"):
        size = (course / "autograded" / student / A / "lnp_sta.ipynb").stat().st_size
        assert size < LIMITS.max_notebook_output_chars + 2**20, f"{student}: {size} bytes"
    assert "cut by the grader" in outputs_of(course, "output-in-many-cells", "print('x'")


def test_a_lent_reference_is_revoked_when_its_check_ends(graded):
    course, *_ = graded
    assert "lent by a check that has ended" in outputs_of(course, "stashed-reference", "builtins.lent(np.eye(2)")


def test_no_scratch_or_cgroup_outlives_the_workers(graded):
    course, cases, batch, report, started = graded
    made = [(path, owner_pid(path.name, SCRATCH_PREFIX)) for path in Path(tempfile.gettempdir()).iterdir()]
    for controller in ("memory", "pids"):
        group = CGROUP_ROOT / controller / CGROUP_GROUP
        if group.is_dir():
            made += [(path, owner_pid(path.name, "sandbox-")) for path in group.iterdir() if path.is_dir()]
    # Other graders may run on this machine: only this grader's names, made since the batch began.
    left = [path for path, owner in made if owner is not None and path.stat().st_mtime >= started
            and not _alive(owner)]
    assert not left


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --------------------------------------------------------------------------- the same in assignment 3
A3 = "a3_fisher_information"
A3_TESTS = {f"test_{name}_{kind}" for name in ("fisher_info_poisson", "linear_fisher_info", "estimate_linear_fisher")
            for kind in ("public", "hidden")}
LINEAR = {"test_linear_fisher_info_public", "test_linear_fisher_info_hidden"}
STASHING_POISSON = """    import builtins
    if linear_fisher_info.__name__ == 'callback':  # the reference, lent while fisher_info_poisson is checked
        builtins.lent = linear_fisher_info
    return float(window * np.sum(rate_derivatives**2 / rates))
"""


@pytest.fixture(scope="module")
def graded_a3(tmp_path_factory):
    """Assignment 3 in its own order: fisher_info_poisson's check (which lends linear_fisher_info) comes first."""
    from autograder.examples import Example

    course = make_course_dir(tmp_path_factory.mktemp("sandbox-attacks-a3") / "course", [A3])
    generate_release(course, A3)
    source = nbformat.read(REPO / "source" / A3 / "fisher_information.ipynb", as_version=4)
    release = nbformat.read(REPO / "release" / A3 / "fisher_information.ipynb", as_version=4)
    examples = {example.student: example for example in examples_for(A3)}
    stash = build_submission(release, source, Example("stash", answers={
        "fisher_info_poisson": STASHING_POISSON,
        "linear_fisher_info": "    import builtins\n    return builtins.lent(dmu, cov)\n"}))
    cases = [("honest-perfect", build_submission(release, source, examples["perfect"]), set()),
             ("honest-blank", build_submission(release, source, examples["blank"]), A3_TESTS),
             ("stashed-reference", with_cells(stash, "def linear_fisher_info(dmu, cov):\n    pass",
                                              after="fisher_info_poisson"), LINEAR)]
    for student, notebook, _ in cases:
        folder = course / "submitted" / student / A3
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / "fisher_information.ipynb")
    grade_batch(course, A3, workers=2, limits=Limits(cell_timeout=60, notebook_timeout=300), progress=False)
    return cases, read_report(course, A3)


def test_a_reference_lent_in_another_exercise_s_check_is_revoked_in_assignment_3(graded_a3):
    cases, report = graded_a3
    results = {result.student: result for result in report.results}
    for student, _, loses in cases:
        lost = {cell for cell in results[student].lost if cell in A3_TESTS}
        assert lost == loses, f"{student}: lost {sorted(lost)}, expected {sorted(loses)}; {results[student].notes}"
    assert "lent by a check that has ended" in " ".join(results["stashed-reference"].notes)
