"""What runs inside the sandbox: a warm zygote, and one forked process per submission.

The zygote imports the heavy libraries once, then waits for orders on its control
socket. For each submission it forks a fresh process, which enters a private
world of its own (``private_world``: namespaces, private /tmp and home), limits
itself (memory, file size, open files, processes, no core dumps) and serves the
checker over its own socket: run a cell, look up a name, call a function. It
answers in plain data only (see ``wire``). The zygote is not dumpable, so no
process of the same user can read or trace it.

Nothing here is secret: the sandbox sees this folder and the ``course`` package,
never the gradebook, ``source/``, the hidden checks or other submissions.
"""
from __future__ import annotations

import base64
import builtins
import contextlib
import importlib
import io
import json
import os
import resource
import signal
import socket
import sys
import time
import traceback
import types

try:
    from . import wire
except ImportError:  # run as a script inside the sandbox
    import wire

PRELOAD = (
    "numpy", "scipy.linalg", "scipy.optimize", "scipy.stats", "sklearn.linear_model",
    "sklearn.discriminant_analysis", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
    "torch", "ipywidgets", "tqdm.auto", "IPython",
)


# --------------------------------------------------------------------------- outputs
ALWAYS_KEPT_CHARS = 2000  # of an error or of stderr text: past every cap, they still decide the grade


class Outputs:
    """A cell's outputs in nbformat's shape, with a cap on how much text is kept.

    Errors and stderr text are kept (shortened) even past the cap: nbgrader
    scores a test cell 0 when it has either, so a flood of output before them
    must not turn a failed test into a passed one.
    """

    def __init__(self, max_chars: int):
        self.items: list[dict] = []
        self.room = max_chars
        self.dropped = 0

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        keep = max(self.room, ALWAYS_KEPT_CHARS if name == "stderr" else 0)
        if len(text) > keep:
            self.dropped += len(text) - keep
            text = text[:keep]
        self.room -= len(text)
        if text:
            last = self.items[-1] if self.items else None
            if last and last["output_type"] == "stream" and last["name"] == name:
                last["text"] += text
            else:
                self.items.append({"output_type": "stream", "name": name, "text": text})

    def add(self, output: dict) -> None:
        size = len(json.dumps(output, default=str))
        if size > self.room and output.get("output_type") == "error":
            output = shortened_error(output)
            size = len(json.dumps(output, default=str))
        elif size > self.room:
            self.dropped += size
            return
        self.room -= size
        self.items.append(output)

    def finish(self) -> list[dict]:
        if self.dropped:
            self.items.append({"output_type": "stream", "name": "stdout",
                               "text": f"\n[output cut by the grader: {self.dropped} more characters]\n"})
            self.dropped = 0
        return self.items


def shortened_error(output: dict) -> dict:
    """An error output cut to a few thousand characters (its name, message and the end of its traceback)."""
    lines = [str(line)[:ALWAYS_KEPT_CHARS] for line in output.get("traceback", [])][-3:]
    return {"output_type": "error", "ename": str(output.get("ename", ""))[:200],
            "evalue": str(output.get("evalue", ""))[:ALWAYS_KEPT_CHARS], "traceback": lines}


class _Stream(io.TextIOBase):
    def __init__(self, outputs: Outputs, name: str):
        self.outputs, self.name = outputs, name

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        self.outputs.stream(self.name, str(text))
        return len(text)

    def isatty(self) -> bool:
        return False


def _json_ready(data: dict) -> dict:
    return {key: base64.b64encode(value).decode() if isinstance(value, bytes) else value
            for key, value in (data or {}).items()}


# --------------------------------------------------------------------------- the shell
def make_shell():
    """An IPython shell whose displays, results and errors become nbformat outputs."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        outputs = None

        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            self.outputs.add({"output_type": "display_data", "data": _json_ready(data),
                              "metadata": _json_ready(metadata)})

        def clear_output(self, wait=False):
            self.outputs.items.clear()

    class Hook(DisplayHook):
        outputs = None

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.outputs.add({"output_type": "execute_result", "data": _json_ready(format_dict),
                              "metadata": _json_ready(md_dict), "execution_count": self.prompt_count})

        def finish_displayhook(self):
            pass  # nothing to flush: the outputs are collected

    class Shell(InteractiveShell):
        outputs = None

        def enable_gui(self, gui=None):
            pass  # inline figures need no event loop

        def _showtraceback(self, etype, evalue, stb):
            self.outputs.add({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue),
                              "traceback": list(stb)})

    config = Config()
    config.HistoryManager.enabled = False  # no history thread, no sqlite file
    config.InteractiveShell.colors = "NoColor"
    shell = Shell.instance(config=config, display_pub_class=Publisher, displayhook_class=Hook)
    shell.enable_matplotlib("inline")
    return shell


def run_cell(shell, code: str, max_chars: int) -> dict:
    outputs = Outputs(max_chars)
    shell.outputs = shell.display_pub.outputs = shell.displayhook.outputs = outputs
    with contextlib.redirect_stdout(_Stream(outputs, "stdout")), contextlib.redirect_stderr(_Stream(outputs, "stderr")):
        shell.run_cell(code, store_history=True)
    _collect_fd_output(outputs)
    return {"outputs": outputs.finish(), "execution_count": shell.execution_count - 1}


_FD_FILES: dict[int, list] = {}


def _capture_fds() -> None:
    """Point file descriptors 1 and 2 at anonymous memory files, so output from C code and subprocesses is kept too.

    They have no path: nothing can create or replace them beforehand.
    """
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.memfd_create(f"grader-{name}")
        os.dup2(target, fd)
        os.close(target)
        _FD_FILES[fd] = [0]


def _collect_fd_output(outputs: Outputs) -> None:
    for fd, offset in _FD_FILES.items():
        with contextlib.suppress(OSError):
            data = os.pread(fd, 1 << 20, offset[0])
            offset[0] += len(data)
            outputs.stream("stdout" if fd == 1 else "stderr", data.decode(errors="replace"))


# --------------------------------------------------------------------------- serving the checker
class Server:
    """Answers the checker's requests about one submission's namespace."""

    def __init__(self, sock: socket.socket, shell, max_chars: int):
        self.sock, self.shell, self.max_chars = sock, shell, max_chars
        self.objects: list = []

    def handle(self, value) -> dict:
        """An opaque handle; modules and library functions also say where they come from.

        The checker then uses its own copy of those (a patched ``course.checks``
        here changes nothing there) and calls into the sandbox only for the
        student's own objects.
        """
        self.objects.append(value)
        spec = {"id": len(self.objects) - 1, "callable": callable(value), "type": type(value).__name__[:200]}
        for key, attribute in (("name", "__name__"), ("module", "__module__"), ("qualname", "__qualname__")):
            try:
                found = getattr(value, attribute, None)
            except Exception:  # a student's object may raise on anything
                found = None
            if isinstance(found, str):
                spec[key] = found[:300]
        if isinstance(value, types.ModuleType):
            spec["module"] = spec.get("name", "")
        return {"__remote__": spec}

    def resolve(self, tag, payload):
        if tag == "__remote__":
            return self.objects[int(payload["id"])]
        if tag == "__callback__":
            return self._callback(int(payload))
        raise wire.WireError(f"unknown tag {tag}")

    def _callback(self, number: int):
        """A stand-in for a checker-side function (a reference passed in by a check)."""
        server = self

        def callback(*args, **kwargs):
            wire.send(server.sock, {"op": "callback", "id": number,
                                    "args": wire.encode(args, server.handle),
                                    "kwargs": wire.encode(kwargs, server.handle)})
            reply = wire.receive(server.sock)
            if "error" in reply:
                raise _exception(reply["error"])
            return wire.decode(reply["value"], server.resolve)

        return callback

    def serve(self) -> None:
        while True:
            try:
                request = wire.receive(self.sock)
            except KeyboardInterrupt:  # an interrupt meant for a cell that had already finished
                continue
            if request["op"] == "exit":
                return
            try:
                reply = getattr(self, "op_" + request["op"])(request)
            except BaseException as error:  # noqa: BLE001 -- anything the student's code raised
                reply = {"error": _describe(error)}
            reply["reply_to"] = request["seq"]
            try:
                wire.send(self.sock, reply)
            except (wire.WireError, TypeError, ValueError) as error:
                wire.send(self.sock, {"reply_to": request["seq"], "error": _describe(error)})

    def op_run(self, request):
        return run_cell(self.shell, request["code"], min(self.max_chars, request.get("max_chars", self.max_chars)))

    def op_lookup(self, request):
        namespace = self.shell.user_ns
        if request["name"] not in namespace:
            return {"missing": True}
        return {"value": wire.encode(namespace[request["name"]], self.handle)}

    def op_call(self, request):
        target = self.objects[request["target"]]
        args = wire.decode(request["args"], self.resolve)
        kwargs = wire.decode(request["kwargs"], self.resolve)
        outputs = Outputs(self.max_chars)
        with contextlib.redirect_stdout(_Stream(outputs, "stdout")), \
                contextlib.redirect_stderr(_Stream(outputs, "stderr")):
            try:
                result = target(*args, **kwargs)
                error = None
            except BaseException as raised:  # noqa: BLE001 -- reported to the checker, which decides
                result, error = None, _describe(raised)
        reply = {"outputs": outputs.finish(), "args_after": wire.encode(args, self.handle)}
        if error:
            reply["raised"] = error
        else:
            reply["value"] = wire.encode(result, self.handle)
        return reply

    def op_getattr(self, request):
        return {"value": wire.encode(getattr(self.objects[request["target"]], request["name"]), self.handle)}

    def op_global(self, request):
        """Read, test or set a name in the module globals of a student's function."""
        namespace = getattr(self.objects[request["target"]], "__globals__", None)
        if namespace is None:
            return {"missing": True}
        name = request["name"]
        if "set" in request:
            namespace[name] = wire.decode(request["set"], self.resolve)
            return {}
        if name not in namespace:
            return {"missing": True}
        return {"value": wire.encode(namespace[name], self.handle)}

    def op_arrays_read(self, request):
        return {"value": notebook_arrays_read(self.objects[request["target"]])}

    def op_course_helper(self, request):
        """Run a public helper from the ``course`` package on the student's objects."""
        module_name, name = request["module"], request["name"]
        if module_name.split(".")[0] != "course":
            raise PermissionError("only helpers from the course package run here")
        helper = getattr(importlib.import_module(module_name), name)
        result = helper(*wire.decode(request["args"], self.resolve))
        return {"value": wire.encode(result)}


def notebook_arrays_read(function) -> list[str]:
    """Names of notebook arrays (ndarray, Tensor) that ``function`` reads from its globals instead of its arguments."""
    names, codes = set(), [getattr(function, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is not None:
            names.update(code.co_names)
            codes.extend(const for const in code.co_consts if hasattr(const, "co_names"))
    namespace = getattr(function, "__globals__", {})
    return sorted(n for n in names if type(namespace.get(n)).__name__ in ("ndarray", "Tensor"))


def _describe(error: BaseException) -> dict:
    return {"type": type(error).__name__[:200], "message": str(error)[:2000]}


def _exception(description: dict) -> BaseException:
    kind = getattr(builtins, description["type"], None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        return kind(description["message"])
    return RuntimeError(f"{description['type']}: {description['message']}")


# --------------------------------------------------------------------------- the zygote
def preload() -> None:
    """Import what notebooks use, once, before any fork: each submission then starts warm."""
    import matplotlib

    matplotlib.use("module://matplotlib_inline.backend_inline")
    for name in PRELOAD:
        importlib.import_module(name)
    import course  # the package students use

    for module in course.__all__:
        importlib.import_module(f"course.{module}")


def _limit_memory(extra_bytes: int) -> None:
    """Allow ``extra_bytes`` of address space beyond what the warm process already maps."""
    with open("/proc/self/statm") as handle:
        mapped = int(handle.read().split()[0]) * resource.getpagesize()
    limit = mapped + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def become_submission(sock: socket.socket, order: dict, shell) -> None:
    """In the forked child: enter a private world (in bubblewrap), limit, then serve the checker."""
    if order.get("private"):
        from private_world import enter

        enter(order["workdir"], order["staging"], order["scratch_bytes"], order["max_inodes"])
        resource.setrlimit(resource.RLIMIT_NPROC, (order["max_processes"],) * 2)
    os.setsid()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the checker interrupts a slow cell
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (order["max_file_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (order["max_open_files"],) * 2)
    if sys.platform.startswith("linux"):
        _limit_memory(order["memory_bytes"])
    os.chdir(order["workdir"])
    sys.path.insert(0, order["workdir"])
    _capture_fds()
    Server(sock, shell, order["max_output_chars"]).serve()


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def _end_submission(pid: int, private: bool, timeout: float = 10.0) -> None:
    """Kill every process of one submission and wait until they are gone.

    Killed processes count against the process limit until they are reaped; the
    next notebook must not start while a fork bomb's remains still fill it. In a
    private world the keeper exits only once the submission's PID namespace is empty.
    """
    with contextlib.suppress(ProcessLookupError):
        if private:
            os.kill(pid, signal.SIGTERM)
        else:
            os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)  # its PID 1 dies with it (parent-death signal)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _fork(timeout: float = 10.0) -> int:
    """``os.fork()``, retried while the process limit is still full of processes being reaped."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return os.fork()
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise
            _reap()
            time.sleep(0.05)


def zygote(control: socket.socket, private: bool) -> None:
    if private:
        from private_world import PR_SET_DUMPABLE, prctl

        prctl(PR_SET_DUMPABLE, 0)  # no process of the same user may read or trace the zygote
    preload()
    shell = make_shell()
    with open("/proc/self/statm") as handle:
        resident = int(handle.read().split()[1]) * resource.getpagesize()
    control.sendall(json.dumps({"ready": True, "pid": os.getpid(), "resident_bytes": resident}).encode())
    while True:
        data, fds, _, _ = socket.recv_fds(control, 1 << 16, 1)
        if not data:
            return
        order = json.loads(data)
        _reap()
        reply = {}
        if order["op"] == "fork":
            try:
                pid = _fork()
            except OSError as error:  # the zygote lives on: the checker reports it and retries later
                os.close(fds[0])
                control.sendall(json.dumps({"error": f"could not start a process: {error}"}).encode())
                continue
            if pid == 0:
                control.close()
                try:
                    become_submission(socket.socket(fileno=fds[0]), order, shell)
                except BaseException:  # noqa: BLE001 -- into the worker's sandbox log, for the instructor
                    traceback.print_exc()
                finally:
                    os._exit(0)
            os.close(fds[0])
            reply = {"pid": pid}
        elif order["op"] == "signal":  # a keeper forwards it to its submission
            with contextlib.suppress(ProcessLookupError):
                (os.kill if private else os.killpg)(order["pid"], order["signal"])
        elif order["op"] == "clean":
            _end_submission(order["pid"], private)
            _reap()
        elif order["op"] == "exit":
            return
        control.sendall(json.dumps(reply).encode())


if __name__ == "__main__":
    sys.stdin.close()
    zygote(socket.socket(fileno=int(sys.argv[1])), private=sys.argv[2] == "private")
