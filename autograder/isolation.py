"""Run one submission's notebook in a sandbox while the hidden checks stay in the trusted process.

Two processes take part in every submission:

- the **sandbox**: a process forked from a warm zygote (the heavy libraries are
  imported once per worker, not once per student) inside bubblewrap: no network,
  read-only system and Python folders and ``course`` package, nothing else of
  the host. Each submission gets a private world of its own (new user, PID,
  mount, IPC and network namespaces, private size-limited ``/tmp`` and home,
  see ``sandbox.private_world``), its own memory and process cgroups where the
  machine has them, and limits on memory, file size, open files, processes,
  time and output;
- the **checker** (this process): it runs the notebook's test cells itself. A
  test cell's names (``compute_STA``, ...) resolve to proxies; calling one sends
  plain arrays to the sandbox and gets plain arrays back (``sandbox.wire``).
  The references, the random inputs and the verdict never leave this process,
  so student code cannot patch a checker, return an object that equals
  everything, or read a hidden test.

Nothing callable of the checker stays reachable from student code: a function
a check lends (a reference standing in for another exercise) is revoked as soon
as the check puts the notebook's own name back, and at the end of every test
cell. Test cells resolve ``checks`` and ``course`` to the checker's own copies,
whatever the notebook bound to those names. Deadlines are measured on the wall
clock from the start of a cell and of the notebook, and what the checker reads
from the sandbox is bounded per message, per cell and per notebook.

The test cells' outputs decide the grade exactly as nbgrader's do (an error or
stderr output scores 0), and nbgrader itself records the grades.
"""
from __future__ import annotations

import ast
import importlib.util
import builtins
import contextlib
import functools
import itertools
import json
import os
import pkgutil
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import weakref
from dataclasses import dataclass, asdict
from pathlib import Path

import numpy as np

from .sandbox import wire
from .sandbox.student_side import ALWAYS_KEPT_CHARS, Outputs, _Stream, shortened_error

SANDBOX_CODE = Path(__file__).resolve().parent / "sandbox"
COURSE_PACKAGE = Path(importlib.util.find_spec("course").origin).resolve().parent
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_GROUP = "neural-coding-grader"
SCRATCH_PREFIX = "grader-"
# Modules a test cell may take from the notebook's namespace: the checker imports its own copy.
TRUSTED_PACKAGES = {"course", "numpy", "scipy", "torch", "sklearn", "matplotlib", "math", "time"}
SANDBOX_UID = 65534  # "nobody" inside the sandbox
HOME, STAGING, COURSE_MOUNT = "/home/student", "/grader-job", "/opt/course"


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in bytes."""

    cell_timeout: float = 120.0  # per cell, like nbgrader's Execute.timeout
    notebook_timeout: float = 600.0  # the whole notebook
    memory_bytes: int = 3 * 2**30  # address space beyond the warm interpreter's
    max_file_bytes: int = 64 * 2**20  # largest file the student's code may write
    max_output_chars: int = 1_000_000  # per cell; the rest is cut with a note
    max_notebook_output_chars: int = 5_000_000  # all cells of a notebook together
    max_processes: int = 64  # processes of one submission at once (cgroup pids; RLIMIT_NPROC unless root)
    max_open_files: int = 1024  # per process
    scratch_bytes: int = 512 * 2**20  # each private tmpfs: /tmp and the home folder
    max_inodes: int = 20_000  # files and folders in each private tmpfs


class CellTimeout(BaseException):
    """A cell ran past its time (a BaseException, so that no check can swallow it)."""


class SandboxDied(RuntimeError):
    """The submission's process ended in the middle of the notebook (exit, crash, killed)."""


class RemoteFailure(RuntimeError):
    def __init__(self, description: dict):
        super().__init__(f"{description['type']}: {description['message']}")
        self.description = description


# --------------------------------------------------------------------------- capabilities
def isolation_mechanisms() -> dict[str, str]:
    """Each isolation mechanism and whether this machine provides it ("active" or why not)."""
    found = {}
    bwrap = shutil.which("bwrap")
    if not sys.platform.startswith("linux"):
        reason = f"unavailable on {sys.platform}"
        return {name: reason for name in ("bubblewrap", "network", "filesystem", "private world", "processes")} | {
            "memory": "address-space limit (setrlimit) only", "time": "active", "output": "active",
            "checker": "active (separate process, plain data only)"}
    if bwrap is None:
        found["bubblewrap"] = "unavailable: install bubblewrap (apt-get install bubblewrap)"
    else:
        probe = subprocess.run([bwrap, *_BWRAP_NAMESPACES, "--ro-bind", "/", "/", "unshare", "--user", "--pid",
                                "--mount", "--ipc", "--net", "--fork", "true"], capture_output=True, text=True)
        found["bubblewrap"] = "active" if probe.returncode == 0 else f"unavailable: {probe.stderr.strip()[:200]}"
    sandboxed = found["bubblewrap"] == "active"
    found["network"] = "active (no network namespace access)" if sandboxed else "unavailable (needs bubblewrap)"
    found["filesystem"] = ("active (read-only system, Python and course/; nothing else of the host)" if sandboxed
                           else "unavailable (needs bubblewrap): student code can read the course folder")
    found["private world"] = ("active (per submission: user, PID, mount, IPC and network namespaces, private /tmp "
                              "and home)" if sandboxed else
                              "unavailable (needs bubblewrap): submissions on one worker share /tmp and processes")
    found["processes"] = ("active (cgroup pids.max per submission)" if _cgroup_usable("pids")
                          else "partial (no writable pids cgroup: RLIMIT_NPROC per submission, which does not "
                               "bind when grading as root)" if sandboxed
                          else "unavailable: a fork bomb is stopped only by the time limit")
    found["memory"] = ("active (cgroup memory limit per submission, tmpfs included; address-space limit)"
                       if _cgroup_usable("memory") else
                       "partial (address-space limit; /tmp and home are size-limited tmpfs counted apart, "
                       "no writable memory cgroup)")
    found["time"] = "active (per cell and per notebook, wall clock from the start)"
    found["output"] = "active (per cell and per notebook)"
    found["checker"] = "active (separate process, plain data only, bounded decoding)"
    return found


_BWRAP_NAMESPACES = ("--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID))


def _cgroup_usable(controller: str) -> bool:
    folder = CGROUP_ROOT / controller
    return (folder / "cgroup.procs").is_file() and os.access(folder, os.W_OK)


# --------------------------------------------------------------------------- cgroups of one worker
class WorkerCgroups:
    """cgroup v1 folders for one worker: the zygote's, and a fresh one per submission inside it.

    The zygote moves into the submission's cgroups only while it forks, so the
    submission's processes, their memory (heap, tmpfs, page cache) and their
    count are charged there, and its limits bind the submission alone.
    """

    def __init__(self, name: str, limits: Limits):
        self.limits = limits
        self.folders = {}
        for controller in ("memory", "pids"):
            if _cgroup_usable(controller):
                folder = CGROUP_ROOT / controller / CGROUP_GROUP / name
                with contextlib.suppress(OSError):
                    folder.mkdir(parents=True, exist_ok=True)
                    self.folders[controller] = folder

    def enter(self) -> None:
        """Move the calling process into the worker's cgroups (a ``preexec_fn``)."""
        for folder in self.folders.values():
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def new_submission(self, baseline_bytes: int) -> dict[str, Path]:
        """Fresh cgroups for the next submission, with its limits set."""
        made = {}
        for controller, folder in self.folders.items():
            child = folder / "submission"
            _remove_cgroup(child)
            child.mkdir()
            if controller == "memory":
                (child / "memory.limit_in_bytes").write_text(str(baseline_bytes + self.limits.memory_bytes))
            else:
                (child / "pids.max").write_text(str(self.limits.max_processes + 2))  # + keeper and PID 1
            made[controller] = child
        return made

    def move(self, host_pid: int, into: dict[str, Path] | None) -> None:
        for controller, folder in self.folders.items():
            target = (into or {}).get(controller, folder)
            (target / "cgroup.procs").write_text(str(host_pid))

    def close(self) -> None:
        for folder in self.folders.values():
            _remove_cgroup(folder / "submission")
            _remove_cgroup(folder)


def _remove_cgroup(folder: Path, timeout: float = 10.0) -> None:
    """Kill what is left in a cgroup and remove it (a cgroup is removed only once empty)."""
    deadline = time.monotonic() + timeout
    while folder.is_dir():
        for child in [path for path in folder.iterdir() if path.is_dir()]:
            _remove_cgroup(child, timeout)
        with contextlib.suppress(OSError):
            for pid in (folder / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


def _host_pid(own_pid: int, namespace_pid: int) -> int | None:
    """The host PID of the process that is ``namespace_pid`` in the PID namespace of ``own_pid``'s child."""
    pending = [own_pid]
    while pending:
        pid = pending.pop()
        with contextlib.suppress(OSError, ValueError):
            status = Path(f"/proc/{pid}/status").read_text()
            spaces = next(line for line in status.splitlines() if line.startswith("NSpid:")).split()[1:]
            if len(spaces) >= 2 and int(spaces[1]) == namespace_pid:
                return pid
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    return None


def remove_stale_scratch() -> None:
    """Scratch folders and cgroups of grading workers that died without cleaning up (killed, crashed).

    Only names this grader makes (``grader-<pid>-<random>``, ``sandbox-<pid>-<random>``)
    whose process is gone are touched.
    """
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        owner = owner_pid(path.name, SCRATCH_PREFIX)
        if owner is not None and not _alive(owner):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
    for controller in ("memory", "pids"):
        group = CGROUP_ROOT / controller / CGROUP_GROUP
        if _cgroup_usable(controller) and group.is_dir():
            for folder in group.iterdir():
                owner = owner_pid(folder.name, "sandbox-")
                if folder.is_dir() and owner is not None and not _alive(owner):
                    _remove_cgroup(folder)


def owner_pid(name: str, prefix: str) -> int | None:
    """The PID in a name ``<prefix><pid>-<random>[.log|-mpl|-ipy]`` this grader made (None for any other name)."""
    found = re.fullmatch(re.escape(prefix) + r"(\d+)-[A-Za-z0-9_]+(\.log|-mpl|-ipy)?", name)
    return int(found.group(1)) if found else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------- the sandbox of one worker
class Sandbox:
    """A warm zygote for one worker; it forks one sandboxed process per notebook."""

    def __init__(self, course_root: Path, limits: Limits = Limits(), isolate: bool = True):
        self.course_root = Path(course_root).resolve()
        self.limits = limits
        self.mechanisms = isolation_mechanisms()
        self.isolated = isolate and self.mechanisms.get("bubblewrap") == "active"
        remove_stale_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        (self.scratch / "job").mkdir()
        self.cgroups = WorkerCgroups(f"sandbox-{self.scratch.name.removeprefix(SCRATCH_PREFIX)}", limits)
        self.zygote = None
        # Runs on close, when the sandbox is collected, and at the worker's exit; a killed worker's
        # leftovers are removed by the next worker's remove_stale_scratch.
        self._zygotes: list[subprocess.Popen] = []
        self._finalizer = weakref.finalize(self, _cleanup, self.scratch, self.cgroups, self._zygotes)
        self._start()

    # -- life cycle
    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        self.control = ours
        command, env = (self._bwrap_command if self.isolated else self._plain_command)(theirs.fileno())
        self.log = open(self.scratch.parent / f"{self.scratch.name}.log", "wb")
        self.zygote = subprocess.Popen(
            command, env=env, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=self.log, cwd=self.scratch, preexec_fn=self.cgroups.enter if self.cgroups.folders else None)
        self._zygotes.append(self.zygote)
        theirs.close()
        self.control.settimeout(300)
        try:
            ready = json.loads(self.control.recv(1 << 16) or b"{}")
        except (TimeoutError, json.JSONDecodeError):
            ready = {}
        if not ready.get("ready"):
            log = self._log_tail()
            self.close()
            raise RuntimeError(f"the sandbox did not start; its log:\n{log}")
        self.zygote_host_pid = _host_pid(self.zygote.pid, ready["pid"]) if self.isolated else self.zygote.pid
        self.baseline_bytes = ready.get("resident_bytes", 0)

    @property
    def alive(self) -> bool:
        return self.zygote.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.control.close()
        self._finalizer()
        with contextlib.suppress(OSError, AttributeError):
            self.log.close()
            Path(self.log.name).unlink()

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return Path(self.log.name).read_text(errors="replace")[-3000:]
        return ""

    def _order(self, order: dict, fds=()) -> dict:
        socket.send_fds(self.control, [json.dumps(order).encode()], list(fds))
        self.control.settimeout(60)
        data = self.control.recv(1 << 16)
        if not data:
            raise SandboxDied("the sandbox's zygote stopped: " + (self._log_tail().strip().splitlines() or ["?"])[-1])
        return json.loads(data)

    # -- commands
    def _environment(self, home: str, python_path: list[str]) -> dict[str, str]:
        return {
            "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "PYTHONPATH": os.pathsep.join(python_path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": "/tmp/matplotlib" if self.isolated else str(self.scratch.parent / f"{self.scratch.name}-mpl"),
            "IPYTHONDIR": "/tmp/ipython" if self.isolated else str(self.scratch.parent / f"{self.scratch.name}-ipy"),
            "NBGRADER_EXECUTION": "autograde",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
        }

    def _plain_command(self, fd: int):
        env = self._environment(str(self.scratch), [str(COURSE_PACKAGE.parent), str(SANDBOX_CODE)])
        return [sys.executable, str(SANDBOX_CODE / "student_side.py"), str(fd), "plain"], env

    def _bwrap_command(self, fd: int):
        return bwrap_command(fd, self.scratch / "job", self._environment(HOME, [COURSE_MOUNT, "/opt/grader"]))

    # -- one notebook
    def execute(self, cells: list[dict], files: dict[str, bytes]) -> tuple[list[dict], list[str]]:
        """Run ``cells`` (nbformat dicts) with ``files`` in the working folder.

        Returns each code cell's ``{"outputs", "execution_count"}`` (None for
        markdown) and the problems met (timeouts, a crash), in words.
        """
        job = self.scratch / "job"
        _write_files(job, files)
        ours, theirs = socket.socketpair()
        limits = self.limits
        order = {"op": "fork", "memory_bytes": limits.memory_bytes, "max_file_bytes": limits.max_file_bytes,
                 "max_output_chars": limits.max_output_chars, "max_open_files": limits.max_open_files,
                 "max_processes": limits.max_processes}
        if self.isolated:
            order |= {"private": True, "workdir": HOME, "staging": STAGING, "scratch_bytes": limits.scratch_bytes,
                      "max_inodes": limits.max_inodes}
        else:
            order["workdir"] = str(job)
        try:
            started = self._start_submission(order, theirs)
        finally:
            theirs.close()
        if "pid" not in started:  # the grader's trouble, not the student's: the notebook is retried later
            ours.close()
            raise RuntimeError(f"the sandbox {started.get('error', 'did not start the notebook')}")
        pid = started["pid"]
        process = SubmissionProcess(ours, self, pid)
        try:
            return process.run_cells(cells)
        finally:
            process.close()
            self._order({"op": "clean", "pid": pid})
            _empty_folder(job)

    def _start_submission(self, order: dict, theirs: socket.socket) -> dict:
        """Fork the submission's process, in fresh cgroups of its own where the machine has them."""
        if not self.cgroups.folders or self.zygote_host_pid is None:
            return self._order(order, [theirs.fileno()])
        fresh = self.cgroups.new_submission(self.baseline_bytes)
        self.cgroups.move(self.zygote_host_pid, fresh)
        try:
            return self._order(order, [theirs.fileno()])
        finally:
            self.cgroups.move(self.zygote_host_pid, None)


def bwrap_command(fd: int, staging: Path, environment: dict[str, str]) -> tuple[list[str], None]:
    """The bubblewrap command line of a worker's zygote: what its sandbox sees, and nothing more.

    Everything is read-only (``--remount-ro /``) but the zygote's own ``/tmp``,
    which each submission hides behind its private one. ``staging`` (the next
    submission's files, written by the checker) is bound read-only; each
    submission copies it into its private home.
    """
    command = ["bwrap", *_BWRAP_NAMESPACES, "--die-with-parent", "--new-session", "--cap-drop", "ALL",
               "--hostname", "sandbox", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for folder in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        command += ["--ro-bind-try", folder, folder]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
                 "localtime", "fonts", "alternatives"):
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    python_folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    for folder in sorted(python_folders):
        command += ["--ro-bind", str(folder), str(folder)]
    if Path(sys.prefix) != Path(sys.prefix).resolve():
        command += ["--symlink", str(Path(sys.prefix).resolve()), str(Path(sys.prefix))]
    command += ["--ro-bind", str(COURSE_PACKAGE), f"{COURSE_MOUNT}/course", "--ro-bind", str(SANDBOX_CODE), "/opt/grader",
                "--ro-bind", str(staging), STAGING, "--dir", HOME, "--chdir", "/", "--remount-ro", "/", "--clearenv"]
    for key, value in environment.items():
        command += ["--setenv", key, value]
    python = Path(sys.prefix) / "bin" / "python"
    return command + [str(python), "/opt/grader/student_side.py", str(fd), "private"], None


def _cleanup(scratch: Path, cgroups: WorkerCgroups, zygotes: list) -> None:
    """Stop the zygote and remove what the worker made on the host (also at exit of the worker's process)."""
    for zygote in zygotes:
        if zygote.poll() is None:
            zygote.kill()
            zygote.wait()
    cgroups.close()
    for folder in (scratch, scratch.parent / f"{scratch.name}-mpl", scratch.parent / f"{scratch.name}-ipy"):
        shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(OSError):
        (scratch.parent / f"{scratch.name}.log").unlink()


def _empty_folder(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _empty_folder(folder)
    for name, data in files.items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            continue  # a name such as ../x never leaves the folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


# --------------------------------------------------------------------------- talking to one submission
class SubmissionProcess:
    """The checker's side of one sandboxed notebook: run cells, look up names, call functions."""

    def __init__(self, sock: socket.socket, sandbox: Sandbox, pid: int):
        self.sock, self.sandbox, self.pid = sock, sandbox, pid
        self.limits = sandbox.limits
        self.sequence = itertools.count()
        self.callbacks: dict[int, object] = {}  # functions lent to the student's code, until revoked
        self.callback_ids = itertools.count()
        self.lent_as: dict[str, list[int]] = {}  # notebook name -> callbacks lent through it
        self.deadline = float("inf")
        self.output_room = self.limits.max_notebook_output_chars
        self.alive = True

    def close(self) -> None:
        if self.alive:
            with contextlib.suppress(OSError, wire.WireError):
                self.sock.settimeout(2)
                wire.send(self.sock, {"op": "exit", "seq": -1})
        self.sock.close()

    # -- the notebook
    def run_cells(self, cells: list[dict]) -> tuple[list[dict | None], list[str]]:
        results, problems = [], []
        notebook_deadline = time.monotonic() + self.limits.notebook_timeout
        namespace = RemoteNamespace(self)
        for cell in cells:
            if cell["cell_type"] != "code":
                results.append(None)
                continue
            if not self.alive or time.monotonic() >= notebook_deadline:
                if self.alive:
                    problems.append(f"the notebook ran past its {self.limits.notebook_timeout:g} s limit")
                    self._kill()
                results.append(_not_run(problems[-1]))
                continue
            self.deadline = min(time.monotonic() + self.limits.cell_timeout, notebook_deadline)
            room = min(self.limits.max_output_chars, self.output_room)
            try:
                if _is_test_cell(cell):
                    outputs, count = run_test_cell(cell["source"], namespace, room), None
                else:
                    reply = self.request({"op": "run", "code": cell["source"], "max_chars": room})
                    outputs, count = reply.get("outputs"), reply.get("execution_count")
                outputs, used = checked_outputs(outputs, room)
                self.output_room = max(self.output_room - used, 0)
                results.append({"outputs": outputs, "execution_count": count if type(count) is int else None})
            except CellTimeout:
                results.append({"outputs": [_timeout_error(self.limits.cell_timeout)], "execution_count": None})
                problems.append(f"a cell ran past the {self.limits.cell_timeout:g} s limit and was interrupted")
                self._recover()
            except SandboxDied as died:
                problems.append(str(died))
                self.alive = False
                results.append(_not_run(str(died)))
            except RemoteFailure as failure:
                results.append({"outputs": [_error("RefusedReply", str(failure))], "execution_count": None})
            finally:
                self.revoke_callbacks()
        return results, problems

    def revoke_callbacks(self, ids=None) -> None:
        """Forget functions lent to the student's code (all of them, or ``ids``): calling them now fails."""
        for number in list(self.callbacks) if ids is None else ids:
            self.callbacks.pop(number, None)
        if ids is None:
            self.lent_as.clear()

    # -- requests
    def request(self, message: dict) -> dict:
        if not self.alive:
            raise SandboxDied(self._death())
        message["seq"] = sequence = next(self.sequence)
        try:
            wire.send(self.sock, message)
            while True:
                reply = self._receive()
                if reply.get("op") == "callback":
                    self._answer_callback(reply)
                elif reply.get("reply_to") == sequence:
                    if "error" in reply:
                        raise RemoteFailure(reply["error"])
                    return reply
        except wire.Refused as refused:  # read whole, refused: the student's code sent it, the stream is in step
            raise RemoteFailure({"type": "WireError", "message": f"the grader refused a reply: {refused}"}) from None
        except (wire.WireError, OSError) as error:
            if isinstance(error, TimeoutError):
                raise CellTimeout() from None
            self.alive = False
            raise SandboxDied(self._death(error)) from None

    def _receive(self) -> dict:
        if time.monotonic() >= self.deadline:
            raise CellTimeout()
        return wire.receive(self.sock, self.deadline)

    def _death(self, error: Exception | None = None) -> str:
        if isinstance(error, wire.WireError) and "closed" not in str(error):
            return f"the student's code broke the grader's protocol ({error}); the cells after it were not run"
        return ("the student's code ended the notebook's process (os._exit, a crash, running out of memory "
                "or being killed); the cells after it were not run")

    def _answer_callback(self, request: dict) -> None:
        try:
            function = self.callbacks.get(request.get("id"))
            if function is None:
                raise PermissionError("this function was lent by a check that has ended; it cannot be called now")
            value = function(*self.decode(request["args"]), **self.decode(request["kwargs"]))
            wire.send(self.sock, {"op": "return", "value": self.encode(value)})
        except CellTimeout:
            raise
        except Exception as error:  # noqa: BLE001 -- passed on to the student's code, as a call would
            wire.send(self.sock, {"op": "return", "error": {"type": type(error).__name__, "message": str(error)}})

    def _recover(self) -> None:
        """After a timeout: interrupt the cell; kill the process if it does not stop in 10 s."""
        if not self.alive:
            return
        with contextlib.suppress(SandboxDied, OSError):
            self.sandbox._order({"op": "signal", "pid": self.pid, "signal": int(signal.SIGINT)})
        self.deadline = time.monotonic() + 10
        try:
            self.request({"op": "lookup", "name": "__grader_ping__"})  # drains the interrupted reply
        except (CellTimeout, SandboxDied, RemoteFailure):
            self._kill()

    def _kill(self) -> None:
        self.alive = False
        with contextlib.suppress(SandboxDied, OSError):
            self.sandbox._order({"op": "clean", "pid": self.pid})

    # -- values
    def encode(self, value):
        return wire.encode(value, self._handle)

    def decode(self, value):
        return wire.decode(value, self._resolve)

    def _handle(self, value):
        if isinstance(value, Remote):
            return {"__remote__": {"id": value._id}}
        if callable(value):
            number = next(self.callback_ids)
            self.callbacks[number] = value
            return {"__callback__": number}
        raise wire.Unencodable(f"a {type(value).__name__} cannot be sent to the student's code")

    def _resolve(self, tag, payload):
        if tag != "__remote__":
            raise wire.WireError(f"unexpected {tag} from the sandbox")
        trusted = _trusted_copy(payload)
        if trusted is not None:
            return trusted
        return (RemoteFunction if payload["callable"] else RemoteObject)(self, payload)

    def call(self, target: int, args: tuple, kwargs: dict):
        try:
            reply = self.request({"op": "call", "target": target, "args": self.encode(args),
                                  "kwargs": self.encode(kwargs)})
        except RemoteFailure as failure:  # e.g. an argument that could not be decoded
            raise _exception(failure.description) from None
        for output in checked_outputs(reply.get("outputs"), self.limits.max_output_chars)[0]:
            if output["output_type"] == "stream":
                (sys.stderr if output["name"] == "stderr" else sys.stdout).write(output["text"])
        _copy_back(args, self.decode(reply["args_after"]))
        if "raised" in reply:
            raise _exception(reply["raised"])
        return self.decode(reply["value"])

    def lookup(self, name: str):
        reply = self.request({"op": "lookup", "name": name})
        if reply.get("missing"):
            raise KeyError(name)
        return self.decode(reply["value"])


def _trusted_copy(spec: dict):
    """This process's own copy of a module, or of a function or class defined in one (None if there is none).

    Test cells use names such as ``checks`` or ``simulate_lnp`` that the notebook
    imported. Their sandbox copies may have been patched by the student; the
    checker imports its own. Objects defined in the notebook itself stay remote.
    """
    module_name = spec.get("module") or ""
    package = module_name.split(".")[0]
    is_module = spec.get("type") == "module"
    if package not in TRUSTED_PACKAGES or (package != "course" and not is_module):
        return None
    try:
        found = importlib.import_module(module_name)
        if not is_module:
            qualname = spec.get("qualname") or ""
            if not qualname or "<" in qualname:
                return None
            for part in qualname.split("."):
                found = getattr(found, part)
    except Exception:  # not importable here: keep the remote handle
        return None
    return found


def _copy_back(passed: tuple, after: tuple) -> None:
    """Changes the student's code made to array arguments, made to the checker's copies too."""
    for before, changed in zip(passed, after):
        if isinstance(before, np.ndarray) and isinstance(changed, np.ndarray) and before.shape == changed.shape:
            with np.errstate(all="ignore"):
                before[...] = changed
        elif type(before).__module__ == "torch" and hasattr(changed, "shape") and tuple(before.shape) == tuple(changed.shape):
            with contextlib.suppress(RuntimeError):
                before.data.copy_(changed)


def _exception(description: dict) -> BaseException:
    """The student's exception, rebuilt on this side: the same type name and message."""
    kind = getattr(builtins, description["type"], None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind.__module__ == "builtins":
        with contextlib.suppress(Exception):
            return kind(description["message"])
    return type(description["type"], (Exception,), {"__module__": "student"})(description["message"])


# --------------------------------------------------------------------------- proxies
class Remote:
    """An object that lives in the student's sandbox; only its id is known here."""

    def __init__(self, process: SubmissionProcess, spec: dict):
        self._process, self._id = process, spec["id"]
        self.__name__ = spec.get("name") or spec.get("type", "object")
        self.remote_type = spec.get("type", "object")

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            reply = self._process.request({"op": "getattr", "target": self._id, "name": name})
        except RemoteFailure as failure:
            raise AttributeError(failure.description["message"]) from None
        return self._process.decode(reply["value"])

    def __repr__(self):
        return f"<{self.remote_type} {self.__name__!r} from the notebook>"

    def call_course_helper(self, helper, *arguments):
        """``helper(self, *arguments)`` run in the sandbox; ``helper`` must come from the course package."""
        reply = self._process.request({"op": "course_helper", "module": helper.__module__, "name": helper.__name__,
                                       "args": self._process.encode((self, *arguments))})
        return self._process.decode(reply["value"])


class RemoteObject(Remote):
    """A value that is not plain data (it can be asked for attributes, never trusted)."""


class RemoteFunction(Remote):
    """A student's function: calling it sends plain arguments and returns plain results."""

    def __call__(self, *args, **kwargs):
        return self._process.call(self._id, args, kwargs)

    @property
    def __globals__(self):
        return RemoteGlobals(self._process, self._id)

    def notebook_arrays_read(self) -> list[str]:
        """Names of notebook arrays the function reads from its globals."""
        return self._process.request({"op": "arrays_read", "target": self._id})["value"]


class RemoteGlobals:
    """The module globals of a student's function, as the checks' ``names_replaced`` uses them."""

    def __init__(self, process: SubmissionProcess, target: int):
        self._process, self._target = process, target

    def _ask(self, name, **extra):
        return self._process.request({"op": "global", "target": self._target, "name": name, **extra})

    def __contains__(self, name) -> bool:
        return not self._ask(name).get("missing")

    def __getitem__(self, name):
        reply = self._ask(name)
        if reply.get("missing"):
            raise KeyError(name)
        return self._process.decode(reply["value"])

    def get(self, name, default=None):
        return self[name] if name in self else default

    def __setitem__(self, name, value) -> None:
        """Rebind ``name``; what a check lent through ``name`` before is revoked once the name is rebound."""
        process = self._process
        process.revoke_callbacks(process.lent_as.pop(name, []))
        first = next(process.callback_ids)
        encoded = process.encode(value)
        process.lent_as[name] = [number for number in process.callbacks if number > first]
        self._ask(name, set=encoded)

    def update(self, values: dict) -> None:
        for name, value in values.items():
            self[name] = value


class RemoteNamespace(dict):
    """A test cell's globals: names it does not define itself are fetched from the notebook."""

    def __init__(self, process: SubmissionProcess):
        super().__init__()
        self._process = process

    def __missing__(self, name):
        if name.startswith("__") or hasattr(builtins, name):
            raise KeyError(name)
        if name in PINNED_NAMES:  # never the notebook's binding: a student may rebind them
            self[name] = value = PINNED_NAMES[name]()
            return value
        try:
            value = self._process.lookup(name)
        except RemoteFailure as failure:
            raise NameError(f"{name} could not be read from the notebook: {failure}") from None
        self[name] = value
        return value


class PublicChecks:
    """``checks`` in a test cell: the checker's own public checks, whatever the notebook bound to that name.

    A public check is found by its name (``check_compute_STA``) in the modules of
    ``course.checks``; each name belongs to exactly one assignment.
    """

    def __getattr__(self, name: str):
        module = _public_check_index().get(name)
        if module is None:
            raise AttributeError(f"the course has no public check named {name}")
        return getattr(importlib.import_module(module), name)

    def __repr__(self):
        return "<the course's public checks>"


@functools.cache
def _public_check_index() -> dict[str, str]:
    """Public check name -> the ``course.checks`` module defining it, read from the sources (nothing imported)."""
    import course.checks

    index, seen = {}, set()
    for info in pkgutil.iter_modules(course.checks.__path__):
        path = Path(course.checks.__path__[0]) / f"{info.name}.py"
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("check_"):
                if node.name in seen:  # defined twice: ambiguous, so refused
                    index.pop(node.name, None)
                else:
                    index[node.name] = f"course.checks.{info.name}"
                seen.add(node.name)
    return index


PINNED_NAMES = {"checks": PublicChecks, "course": lambda: importlib.import_module("course")}
OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error"}


def checked_outputs(outputs, room: int) -> tuple[list[dict], int]:
    """Outputs from the sandbox (which the student controls) in nbformat's shape, at most ``room`` characters.

    Returns the outputs kept and the characters they take; anything else is
    dropped, with a note saying how much.
    """
    kept, used, dropped = [], 0, 0
    for output in outputs if isinstance(outputs, list) else []:
        output = _output_fields(output)
        if output is None:
            continue
        size = _size(output)
        if used + size > room:
            if output["output_type"] == "error":  # an error decides the grade: kept, shortened
                output = shortened_error(output)
            elif output["output_type"] == "stream":  # cut to the room left; stderr keeps a little past it
                text = output["text"]
                keep = max(room - used, ALWAYS_KEPT_CHARS if output["name"] == "stderr" else 0)
                dropped += max(len(text) - keep, 0)
                output = output | {"text": text[:keep]}
                if not output["text"]:
                    continue
            else:
                dropped += size
                continue
            size = _size(output)
        kept.append(output)
        used += size
    if dropped:
        kept.append({"output_type": "stream", "name": "stdout",
                     "text": f"\n[output cut by the grader: {dropped} more characters over the limit]\n"})
    return kept, used


def _size(output: dict) -> int:
    """Characters an output takes: its text for a stream (as the sandbox counts), its JSON otherwise."""
    return len(output["text"]) if output["output_type"] == "stream" else len(json.dumps(output))


def _output_fields(output) -> dict | None:
    """One output with only the fields nbformat defines, each of the right type (None if it is not an output)."""
    if not isinstance(output, dict) or output.get("output_type") not in OUTPUT_TYPES:
        return None
    kind = output["output_type"]
    if kind == "stream":
        name, text = output.get("name"), output.get("text")
        return ({"output_type": kind, "name": name, "text": text}
                if name in ("stdout", "stderr") and isinstance(text, str) else None)
    if kind == "error":
        traceback_lines = output.get("traceback")
        fields = {"ename": output.get("ename"), "evalue": output.get("evalue")}
        if not all(isinstance(value, str) for value in fields.values()) or not isinstance(traceback_lines, list):
            return None
        return {"output_type": kind, **fields, "traceback": [str(line) for line in traceback_lines]}
    data, metadata = output.get("data"), output.get("metadata", {})
    if not isinstance(data, dict) or not isinstance(metadata, dict) or not all(isinstance(k, str) for k in data):
        return None
    cleaned = {"output_type": kind, "data": data, "metadata": metadata}
    if kind == "execute_result":
        count = output.get("execution_count")
        cleaned["execution_count"] = count if type(count) is int else None
    return cleaned


# --------------------------------------------------------------------------- test cells
def _is_test_cell(cell: dict) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell["cell_type"] == "code" and bool(meta.get("grade")) and not meta.get("solution")


def run_test_cell(source: str, namespace: RemoteNamespace, max_chars: int) -> list[dict]:
    """Run a test cell here, in the checker; its outputs in nbformat's shape."""
    outputs = Outputs(max_chars)
    with contextlib.redirect_stdout(_Stream(outputs, "stdout")), contextlib.redirect_stderr(_Stream(outputs, "stderr")):
        try:
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, "<test cell>", "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<test cell>", "eval"), namespace)
                if value is not None:
                    outputs.add({"output_type": "execute_result", "data": {"text/plain": repr(value)},
                                 "metadata": {}, "execution_count": None})
        except CellTimeout:
            raise
        except BaseException as error:  # noqa: BLE001 -- a failed test is an error output, as in a kernel
            outputs.add({"output_type": "error", "ename": type(error).__name__, "evalue": str(error),
                         "traceback": traceback.format_exception(error)})
    return outputs.finish()


def _error(name: str, message: str) -> dict:
    return {"output_type": "error", "ename": name, "evalue": message, "traceback": [f"{name}: {message}"]}


def _timeout_error(seconds: float) -> dict:
    return {"output_type": "error", "ename": "CellTimeoutError", "evalue": "",
            "traceback": [f"CellTimeoutError: the cell ran past the {seconds:g} s limit and was interrupted"]}


def _not_run(reason: str) -> dict:
    return {"outputs": [{"output_type": "error", "ename": "NotRun", "evalue": reason,
                         "traceback": [f"NotRun: {reason}"]}], "execution_count": None}


def limits_from_dict(values: dict | None) -> Limits:
    return Limits(**(values or {}))


def limits_to_dict(limits: Limits) -> dict:
    return asdict(limits)
