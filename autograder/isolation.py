"""Run one submission's notebook in a sandbox while the hidden checks stay in the trusted process.

Two processes take part in every submission:

- the **sandbox**: a process forked from a warm zygote (the heavy libraries are
  imported once per worker, not once per student) inside bubblewrap: no network,
  a private ``/tmp``, read-only system and Python folders, the ``course``
  package, and a scratch folder holding only this student's files. It runs the
  student's cells with limits on memory, file size, process count, time and
  output;
- the **checker** (this process): it runs the notebook's test cells itself. A
  test cell's names (``compute_STA``, ...) resolve to proxies; calling one sends
  plain arrays to the sandbox and gets plain arrays back (``sandbox.wire``).
  The references, the random inputs and the verdict never leave this process,
  so student code cannot patch a checker, return an object that equals
  everything, or read a hidden test.

The test cells' outputs decide the grade exactly as nbgrader's do (an error or
stderr output scores 0), and nbgrader itself records the grades.
"""
from __future__ import annotations

import ast
import importlib.util
import builtins
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, asdict
from pathlib import Path

import numpy as np

from .sandbox import wire
from .sandbox.student_side import Outputs, _Stream

SANDBOX_CODE = Path(__file__).resolve().parent / "sandbox"
COURSE_PACKAGE = Path(importlib.util.find_spec("course").origin).resolve().parent
CGROUP_PIDS = Path("/sys/fs/cgroup/pids")
# Modules a test cell may take from the notebook's namespace: the checker imports its own copy.
TRUSTED_PACKAGES = {"course", "numpy", "scipy", "torch", "sklearn", "matplotlib", "math", "time"}


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times in seconds, sizes in bytes."""

    cell_timeout: float = 120.0  # per cell, like nbgrader's Execute.timeout
    notebook_timeout: float = 600.0  # the whole notebook
    memory_bytes: int = 3 * 2**30  # address space beyond the warm interpreter's
    max_file_bytes: int = 64 * 2**20  # largest file the student's code may write
    max_output_chars: int = 1_000_000  # per cell; the rest is cut with a note
    max_processes: int = 64  # processes in the sandbox at once (cgroup pids)


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
        return {name: reason for name in ("bubblewrap", "network", "filesystem", "processes")} | {
            "memory": "address-space limit (setrlimit)", "time": "active", "output": "active",
            "checker": "active (separate process, plain data only)"}
    if bwrap is None:
        found["bubblewrap"] = "unavailable: install bubblewrap (apt-get install bubblewrap)"
    else:
        probe = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True, text=True)
        found["bubblewrap"] = "active" if probe.returncode == 0 else f"unavailable: {probe.stderr.strip()[:200]}"
    sandboxed = found["bubblewrap"] == "active"
    found["network"] = "active (no network namespace access)" if sandboxed else "unavailable (needs bubblewrap)"
    found["filesystem"] = ("active (only system, Python, course/ and the student's own files)" if sandboxed
                           else "unavailable (needs bubblewrap): student code can read the course folder")
    found["processes"] = ("active (cgroup pids.max)" if _cgroup_usable()
                          else "unavailable (no writable pids cgroup): a fork bomb is stopped only by the time limit")
    found["memory"] = "active (address-space limit, setrlimit)"
    found["time"] = "active (per cell and per notebook)"
    found["output"] = "active (per cell)"
    found["checker"] = "active (separate process, plain data only)"
    return found


def _cgroup_usable() -> bool:
    return CGROUP_PIDS.is_dir() and os.access(CGROUP_PIDS, os.W_OK)


# --------------------------------------------------------------------------- the sandbox of one worker
class Sandbox:
    """A warm zygote for one worker; it forks one sandboxed process per notebook."""

    def __init__(self, course_root: Path, limits: Limits = Limits(), isolate: bool = True):
        self.course_root = Path(course_root).resolve()
        self.limits = limits
        self.mechanisms = isolation_mechanisms()
        self.isolated = isolate and self.mechanisms.get("bubblewrap") == "active"
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-"))
        self.cgroup = None
        self._start()

    # -- life cycle
    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        self.control = ours
        command, env = (self._bwrap_command if self.isolated else self._plain_command)(theirs.fileno())
        self.cgroup = self._make_cgroup() if _cgroup_usable() else None
        self.log = open(self.scratch.parent / f"{self.scratch.name}.log", "wb")
        self.zygote = subprocess.Popen(
            command, env=env, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=self.log, cwd=self.scratch, preexec_fn=self._enter_cgroup if self.cgroup else None)
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

    @property
    def alive(self) -> bool:
        return self.zygote.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.control.close()
        if getattr(self, "zygote", None) and self.zygote.poll() is None:
            self.zygote.kill()
            self.zygote.wait()
        if self.cgroup:
            with contextlib.suppress(OSError):
                self.cgroup.rmdir()
        shutil.rmtree(self.scratch, ignore_errors=True)
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
        home = "/home/student"
        command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
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
        command += ["--ro-bind", str(COURSE_PACKAGE), str(COURSE_PACKAGE), "--ro-bind", str(SANDBOX_CODE), "/opt/grader",
                    "--bind", str(self.scratch), home, "--chdir", home, "--clearenv"]
        for key, value in self._environment(home, [str(COURSE_PACKAGE.parent), "/opt/grader"]).items():
            command += ["--setenv", key, value]
        python = Path(sys.prefix) / "bin" / "python"
        return command + [str(python), "/opt/grader/student_side.py", str(fd), "pidns"], None

    def _make_cgroup(self) -> Path | None:
        folder = CGROUP_PIDS / "neural-coding-grader" / f"sandbox-{os.getpid()}-{self.scratch.name}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "pids.max").write_text(str(self.limits.max_processes + 8))  # + zygote and bwrap
        except OSError:
            return None
        return folder

    def _enter_cgroup(self) -> None:
        (self.cgroup / "cgroup.procs").write_text(str(os.getpid()))

    # -- one notebook
    def execute(self, cells: list[dict], files: dict[str, bytes]) -> tuple[list[dict], list[str]]:
        """Run ``cells`` (nbformat dicts) with ``files`` in the working folder.

        Returns each code cell's ``{"outputs", "execution_count"}`` (None for
        markdown) and the problems met (timeouts, a crash), in words.
        """
        job = self.scratch / "job"
        _write_files(job, files)
        ours, theirs = socket.socketpair()
        workdir = "/home/student/job" if self.isolated else str(job)
        order = {"op": "fork", "workdir": workdir, "memory_bytes": self.limits.memory_bytes,
                 "max_file_bytes": self.limits.max_file_bytes, "max_output_chars": self.limits.max_output_chars}
        started = self._order(order, [theirs.fileno()])
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
            shutil.rmtree(job, ignore_errors=True)


def _write_files(folder: Path, files: dict[str, bytes]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
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
        self.callbacks: list = []
        self.deadline = float("inf")
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
            try:
                if _is_test_cell(cell):
                    results.append({"outputs": run_test_cell(cell["source"], namespace, self.limits),
                                    "execution_count": None})
                else:
                    reply = self.request({"op": "run", "code": cell["source"]})
                    results.append({"outputs": reply["outputs"], "execution_count": reply["execution_count"]})
            except CellTimeout:
                results.append({"outputs": [_timeout_error(self.limits.cell_timeout)], "execution_count": None})
                problems.append(f"a cell ran past the {self.limits.cell_timeout:g} s limit and was interrupted")
                self._recover()
            except SandboxDied as died:
                problems.append(str(died))
                self.alive = False
                results.append(_not_run(str(died)))
        return results, problems

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
        except (wire.WireError, OSError) as error:
            if isinstance(error, TimeoutError):
                raise CellTimeout() from None
            self.alive = False
            raise SandboxDied(self._death()) from None

    def _receive(self) -> dict:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise CellTimeout()
        self.sock.settimeout(remaining)
        return wire.receive(self.sock)

    def _death(self) -> str:
        return ("the student's code ended the notebook's process (os._exit, a crash, running out of memory "
                "or being killed); the cells after it were not run")

    def _answer_callback(self, request: dict) -> None:
        try:
            function = self.callbacks[request["id"]]
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
            self.callbacks.append(value)
            return {"__callback__": len(self.callbacks) - 1}
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
        for output in reply["outputs"]:
            (sys.stderr if output.get("name") == "stderr" else sys.stdout).write(output.get("text", ""))
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
        self._ask(name, set=self._process.encode(value))

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
        try:
            value = self._process.lookup(name)
        except RemoteFailure as failure:
            raise NameError(f"{name} could not be read from the notebook: {failure}") from None
        self[name] = value
        return value


# --------------------------------------------------------------------------- test cells
def _is_test_cell(cell: dict) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell["cell_type"] == "code" and bool(meta.get("grade")) and not meta.get("solution")


def run_test_cell(source: str, namespace: RemoteNamespace, limits: Limits) -> list[dict]:
    """Run a test cell here, in the checker; its outputs in nbformat's shape."""
    outputs = Outputs(limits.max_output_chars)
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
