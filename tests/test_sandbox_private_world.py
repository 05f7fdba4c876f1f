"""One worker's sandbox grading one submission after another: nothing of the first reaches the second.

The batch grader gives no control over which worker grades which submission
in what order, so this runs two notebooks in a row in one worker's sandbox:
a planter that leaves everything it can behind (files in every writable
folder, shared memory, an abstract socket, a process that outlives its
notebook), then a spy that looks for all of it. It also checks that a worker
leaves nothing on the host, and that the leftovers of a killed worker are
removed when the next one starts.
"""
import os
import subprocess
import tempfile

import nbformat
import pytest

from autograder.isolation import (CGROUP_GROUP, CGROUP_ROOT, SCRATCH_PREFIX, Limits, Sandbox, _cgroup_usable,
                                  isolation_mechanisms)
from conftest import REPO

pytestmark = pytest.mark.slow

MARK = "planted-by-the-previous-submission"
SLEEP = "234.567"  # how the planter's lingering process can be recognised

PLANTER = f"""
import ctypes, os, socket, subprocess
for folder in ('/tmp', '/dev/shm', os.path.expanduser('~'), '.'):
    with open(os.path.join(folder, '{MARK}'), 'w') as handle:
        handle.write('{MARK}')
libc = ctypes.CDLL(None, use_errno=True)
print('shared memory segment:', libc.shmget(4242, 4096, 0o1666))  # IPC_CREAT | 0666
listener = socket.socket(socket.AF_UNIX)
listener.bind('\\0{MARK}')
listener.listen()
subprocess.Popen(['sleep', '{SLEEP}'], start_new_session=True)
os.environ['PLANTED'] = '{MARK}'
"""

SPY = f"""
import ctypes, os, signal, socket
found = []
for folder in ('/tmp', '/dev/shm', os.path.expanduser('~'), '.'):
    found += [os.path.join(folder, name) for name in os.listdir(folder) if '{MARK}' in name]
libc = ctypes.CDLL(None, use_errno=True)
if libc.shmget(4242, 0, 0) >= 0:
    found.append('shared memory')
try:
    socket.socket(socket.AF_UNIX).connect('\\0{MARK}')
    found.append('abstract socket')
except OSError:
    pass
for pid in range(2, 300):
    try:
        os.kill(pid, 0)
        found.append(f'process {{pid}}')
    except OSError:
        pass
if os.environ.get('PLANTED'):
    found.append('environment')
print('found:', found)
"""


@pytest.fixture(scope="module")
def sandbox():
    if not isolation_mechanisms()["private world"].startswith("active"):
        pytest.skip("no bubblewrap on this machine: submissions share one sandbox")
    sandbox = Sandbox(REPO, Limits(cell_timeout=30, notebook_timeout=60))
    yield sandbox
    sandbox.close()


def run(sandbox, code, files=None):
    results, problems = sandbox.execute([nbformat.v4.new_code_cell(code)], files or {})
    assert not problems, problems
    return "".join(output.get("text", "") + output.get("evalue", "") for output in results[0]["outputs"])


def test_nothing_one_submission_leaves_reaches_the_next(sandbox):
    planted = run(sandbox, PLANTER, {"data.txt": b"first"})
    assert "shared memory segment: -1" not in planted  # the planter did plant
    assert run(sandbox, SPY, {"data.txt": b"second"}) == "found: []\n"
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid) == f"sleep {SLEEP}"]


def test_each_submission_sees_only_its_own_files(sandbox):
    assert run(sandbox, "import os\nprint(sorted(os.listdir('.')))",
               {"mine.txt": b"1", "data/inner.txt": b"2"}) == "['data', 'mine.txt']\n"
    assert run(sandbox, "import os\nprint(sorted(os.listdir('.')), os.listdir('/grader-job'))",
               {"other.txt": b"3"}) == "['other.txt'] []\n"


def test_a_worker_leaves_nothing_on_the_host_and_the_next_removes_a_killed_ones_leftovers():
    if not isolation_mechanisms()["private world"].startswith("active"):
        pytest.skip("no bubblewrap on this machine")
    dead = subprocess.Popen(["true"])
    dead.wait()  # a PID no worker holds any more
    stale_scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{dead.pid}-")
    stale_cgroups = [CGROUP_ROOT / controller / CGROUP_GROUP / f"sandbox-{dead.pid}-stale"
                     for controller in ("memory", "pids") if _cgroup_usable(controller)]
    for folder in stale_cgroups:
        (folder / "submission").mkdir(parents=True)
    sandbox = Sandbox(REPO, Limits(cell_timeout=30, notebook_timeout=60))
    try:
        assert not os.path.exists(stale_scratch) and not any(folder.exists() for folder in stale_cgroups)
        scratch, cgroups = sandbox.scratch, list(sandbox.cgroups.folders.values())
        run(sandbox, "open('big', 'wb').write(b'x' * 2**20)")
        assert os.listdir(scratch / "job") == []  # the staging copy is emptied after each notebook
    finally:
        sandbox.close()
    assert not scratch.exists() and not any(folder.exists() for folder in cgroups)
    assert not os.path.exists(f"{scratch}.log")


def _cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
