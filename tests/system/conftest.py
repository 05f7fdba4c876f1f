"""Fixtures of the system tests: JupyterLab in Debian's chromium, real Unix users, an nbgrader exchange, JupyterHub.

What these tests need, and what provides it on CI (``.ci/run``):

- Debian's chromium (``apt-get install chromium``), driven by Playwright for Python
  through its executable path: Playwright never downloads a browser here;
- root, to create an instructor and students as Unix users and run nbgrader as each of them;
- the students' course environment, built as the README's JupyterHub section tells a hub admin
  (its commands, run as written, with ``/opt/neural-coding-students-<hash>`` for ``/opt/neural-coding`` and a clean
  copy of the repository for ``/path/to/course``): a regular install into a world-readable
  environment made from Debian's ``/usr/bin/python3.11``. It is built once and kept,
  named by a hash of what goes into it (with pip's cache, a rebuild takes a few minutes);
- configurable-http-proxy, installed by ``npm ci --prefix tests/system`` (pinned in
  ``package-lock.json``) for JupyterHub;
- bubblewrap, for the grader's sandbox.

Without one of them a test is skipped and says why; ``COURSE_REQUIRE_SYSTEM_TESTS=1``
(set by ``.ci/run``) turns those skips into failures, so CI never skips them silently.
Everything is started on loopback with fresh temporary folders and torn down by the fixtures;
the users created here are removed when the system tests end.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO
from test_packaging import copy_repository

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"  # for maintainers; git-ignored
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
REQUIRED = os.environ.get("COURSE_REQUIRE_SYSTEM_TESTS") == "1"
COURSE_ID = "neural-coding"
ASSIGNMENT = "a1_lnp_sta"  # the assignment the exchange and the hub tests release
README = (REPO / "README.md").read_text()
HUB_SECTION = README.split("\n## JupyterHub\n", 1)[1].split("\n## ", 1)[0]
README_ENV, README_COURSE, README_EXCHANGE = "/opt/neural-coding", "/path/to/course", "/srv/nbgrader/exchange"


def readme_blocks(language: str) -> list[str]:
    """The fenced ``language`` blocks of the README's JupyterHub section."""
    return re.findall(rf"^```{language}\n(.*?)^```", HUB_SECTION, flags=re.M | re.S)


def readme_block(language: str, containing: str) -> str:
    [block] = [block for block in readme_blocks(language) if containing in block]
    return block


ADMIN_COMMANDS = readme_block("bash", f"-m venv {README_ENV}")  # root builds the students' environment
EXCHANGE_COMMANDS = readme_block("bash", README_EXCHANGE)


def _environment_digest() -> str:
    """What the students' environment is made of: the commands, the package's files, Debian's Python."""
    digest = hashlib.sha256(ADMIN_COMMANDS.encode())
    for path in [REPO / "pyproject.toml", REPO / "LICENSE", *sorted((REPO / "course").rglob("*.py"))]:
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    with contextlib.suppress(OSError):
        digest.update(Path("/usr/bin/python3.11").resolve().read_bytes()[:1 << 20])
    return digest.hexdigest()[:16]


# In /opt, as the README puts it (and never under /tmp: the grader gives each submission a private /tmp).
STUDENTS_ENV = Path("/opt") / f"neural-coding-students-{_environment_digest()}"
ENV_BIN = STUDENTS_ENV / "bin"  # the students' environment: every user's server, kernel and nbgrader


def unavailable(reason: str):
    """Skip with ``reason``, or fail when CI requires the system tests."""
    if REQUIRED:
        pytest.fail(f"{reason} (COURSE_REQUIRE_SYSTEM_TESTS=1: the system tests must run here)", pytrace=False)
    pytest.skip(reason)


def clean_environment(**extra) -> dict[str, str]:
    """A minimal environment: the course's Python first on PATH; no Jupyter, test or grading variables."""
    env = {"PATH": f"{ENV_BIN}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update({key: str(value) for key, value in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None):
    """Wait until ``url`` answers with success (a proxy answers 404 before its routes are set)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(OSError):  # refused, or an HTTP error status
            with urllib.request.urlopen(url, timeout=5):
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:g} s:\n{_tail(log)}")


def _tail(log: Path | None, characters: int = 4000) -> str:
    with contextlib.suppress(OSError, AttributeError):
        return log.read_text(errors="replace")[-characters:]
    return ""


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM the process we started, then SIGKILL its own process group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # started with start_new_session: its group is ours
            process.wait(10)


def screenshot(target, name: str) -> Path:
    """Save a screenshot of a page or of one element for maintainers: ``screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    target.screenshot(path=str(path))
    return path


@pytest.fixture(scope="package", autouse=True)
def fresh_screenshots():
    """``screenshots/`` holds the last run's screenshots only."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)


# --------------------------------------------------------------------------- JupyterLab and the browser
@dataclass
class LabServer:
    """JupyterLab on loopback with a token; ``root`` is its notebook folder."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def page_url(self, path: str) -> str:
        """A notebook's address; ``reset`` starts from an empty workspace."""
        return f"{self.url}lab/tree/{path}?reset&token={self.token}"

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(f"{self.url}api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "sessions"):
            self.api("DELETE", f"sessions/{session['id']}")


@pytest.fixture(scope="package")
def lab_server(tmp_path_factory, students_environment):
    """JupyterLab from the students' environment, as a student starts it, with its own config folders.

    The kernels do not get the test suite's variables: no ``COURSE_STATIC_WIDGETS`` (widgets are
    live), no ``PYTHONPATH`` to the repository (``autograder`` is not importable, as for students).
    """
    folder = tmp_path_factory.mktemp("lab")
    home, root = folder / "home", folder / "notebooks"
    home.mkdir()
    root.mkdir()
    token, port = secrets.token_hex(16), free_port()
    env = clean_environment(HOME=home, JUPYTER_CONFIG_DIR=home / ".jupyter", JUPYTER_DATA_DIR=home / "data",
                            JUPYTER_RUNTIME_DIR=home / "runtime", IPYTHONDIR=home / "ipython",
                            MPLCONFIGDIR=home / "matplotlib")
    command = [ENV_BIN / "python", "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
               # the tests read cell outputs from the page's notebook model (window.jupyterapp)
               "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = folder / "lab.log"
    with open(log, "w") as handle:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}/", token, root, process, log)
    try:
        wait_for_http(f"{server.url}api/status?token={token}", 90, process, log)
        yield server
    finally:
        with contextlib.suppress(OSError):
            server.api("POST", "shutdown")  # also shuts down its kernels
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(30)
        stop(process)


@contextlib.contextmanager
def chromium_context(profile: Path, timeout_ms: int = 30_000, **options):
    """Debian's chromium through Playwright: a persistent context on the fresh profile folder ``profile``."""
    if not CHROMIUM.exists():
        unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (it is in the test extra: pip install -e '.[test]')")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, **options)
        context.set_default_timeout(timeout_ms)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="package")
def browser(tmp_path_factory):
    """Debian's chromium, shared by the package's browser tests."""
    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), viewport={"width": 1400, "height": 900}) as context:
        yield context


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def page(browser, request):
    """A browser tab; the screen is saved if the test fails (``screenshots/failed-<test>.png``)."""
    page = browser.new_page()
    yield page
    if getattr(request.node, "failed_call", False):
        with contextlib.suppress(Exception):
            screenshot(page, "failed-" + re.sub(r"[^\w.-]+", "-", request.node.name))
    page.close()


# --------------------------------------------------------------------------- Unix users
@dataclass
class UnixUser:
    """A Unix account created for the tests."""

    name: str

    @property
    def entry(self):
        return pwd.getpwnam(self.name)

    @property
    def home(self) -> Path:
        return Path(self.entry.pw_dir)

    def run(self, *command, cwd=None, env=None, timeout=600, check=True) -> subprocess.CompletedProcess:
        """Run ``command`` as this user (no supplementary groups), in a clean environment."""
        entry = self.entry
        environment = clean_environment(HOME=entry.pw_dir, USER=self.name, LOGNAME=self.name, SHELL="/bin/bash",
                                        **(env or {}))
        process = subprocess.run([str(part) for part in command], user=entry.pw_uid, group=entry.pw_gid,
                                 extra_groups=[], cwd=cwd or entry.pw_dir, env=environment, capture_output=True,
                                 text=True, timeout=timeout)
        if check and process.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, command))} as {self.name} exited with {process.returncode}:\n"
                                 f"{process.stdout[-3000:]}\n{process.stderr[-3000:]}")
        return process

    def python(self, code: str, *arguments, **options) -> subprocess.CompletedProcess:
        """Run ``code`` in the students' environment's Python, as this user."""
        return self.run(ENV_BIN / "python", "-c", code, *arguments, **options)

    def give(self, path: Path) -> None:
        """Make ``path`` (and everything under it) this user's."""
        entry = self.entry
        for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
            os.chown(item, entry.pw_uid, entry.pw_gid, follow_symlinks=False)

    def processes(self) -> list[int]:
        """Process ids running as this user."""
        uid, found = self.entry.pw_uid, []
        for status in Path("/proc").glob("[0-9]*/status"):
            with contextlib.suppress(OSError):
                for line in status.read_text().splitlines():
                    if line.startswith("Uid:") and int(line.split()[1]) == uid:
                        found.append(int(status.parent.name))
        return found


def let_others_through(folder: Path) -> list[tuple[Path, int]]:
    """Give other users search (x, never read) permission on ``folder`` and every folder above it.

    A clone made in a private folder (``mktemp -d``, a home folder) is otherwise out of reach of
    the test users. Returns the folders changed with their old modes, to restore them.
    """
    changed = []
    for path in [*reversed(folder.parents), folder]:
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
            changed.append((path, stat.S_IMODE(mode)))
    return changed


def run_commands(commands: str, replacements: dict[str, str], **options) -> None:
    """Run the README's ``commands`` line by line, as written but for ``replacements`` of its paths."""
    for line in filter(None, commands.splitlines()):
        for old, new in replacements.items():
            line = line.replace(old, new)
        process = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=1200, **options)
        if process.returncode:
            raise AssertionError(f"{line}\nexited with {process.returncode}:\n{process.stdout[-3000:]}\n"
                                 f"{process.stderr[-3000:]}")


@pytest.fixture(scope="package")
def students_environment(tmp_path_factory) -> Path:
    """The students' environment, built by the README's admin commands (once: kept in /opt by its digest)."""
    if not Path("/usr/bin/python3.11").exists():
        unavailable("no /usr/bin/python3.11: the students' environment is built from Debian's Python "
                    "(apt-get install python3.11-venv)")
    built = STUDENTS_ENV / ".built-by-the-readme-commands"
    with open(Path(tempfile.gettempdir()) / "neural-coding-students.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be building the same one
        if not built.exists():
            shutil.rmtree(STUDENTS_ENV, ignore_errors=True)
            copy = copy_repository(tmp_path_factory.mktemp("instructors-copy"))  # private: mode 0700 above it
            started = time.monotonic()
            run_commands(ADMIN_COMMANDS, {README_ENV: str(STUDENTS_ENV), README_COURSE: str(copy)},
                         env={"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"},
                         cwd=tempfile.gettempdir())
            built.write_text(f"{time.monotonic() - started:.0f} s\n")
    return STUDENTS_ENV


@pytest.fixture(scope="package")
def course_environment(students_environment):
    """Root, and the students' environment, which other users can run; skip (or fail on CI) otherwise."""
    if os.geteuid() != 0:
        unavailable("needs root: the test creates Unix users and runs nbgrader as each of them")
    try:
        probe = subprocess.run([ENV_BIN / "python", "-c", "import course, nbgrader, jupyterlab, jupyterhub"],
                               user="nobody", group="nogroup", extra_groups=[], cwd="/",
                               env=clean_environment(HOME="/nonexistent"), capture_output=True, text=True, timeout=120)
        problem = probe.stderr.strip().splitlines()[-1:] if probe.returncode else None
    except (OSError, subprocess.SubprocessError) as error:
        problem = [str(error)]
    if problem:
        unavailable(f"other users cannot run the students' environment {students_environment} ({problem[0]})")
    return students_environment


@pytest.fixture(scope="package")
def unix_users(course_environment):
    """``create(role)`` makes a Unix user with a private (0700) home; all are removed at the end."""
    tag, created = secrets.token_hex(2), []

    def create(role: str) -> UnixUser:
        name = f"nc{role}{len(created) + 1}-{tag}"
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", "--user-group", name], check=True,
                       capture_output=True)
        user = UnixUser(name)
        created.append(user)
        user.home.chmod(0o700)  # Debian's useradd leaves homes world-readable
        return user

    yield create
    for user in reversed(created):
        for attempt in range(20):  # the hub and servers were stopped by their fixtures; this is the safety net
            pids = user.processes()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM if attempt < 10 else signal.SIGKILL)
            time.sleep(0.5)
        subprocess.run(["userdel", "--remove", user.name], capture_output=True)


# --------------------------------------------------------------------------- the course on an exchange
@dataclass
class ExchangeCourse:
    """An instructor's course folder and an nbgrader exchange, set up as the README's JupyterHub section says."""

    instructor: UnixUser
    folder: Path
    exchange: Path
    course_id: str = COURSE_ID

    @property
    def environment(self) -> dict[str, str]:
        return {"COURSE_ID": self.course_id, "NBGRADER_EXCHANGE": str(self.exchange)}

    def as_instructor(self, *command, **options) -> subprocess.CompletedProcess:
        return self.instructor.run(*command, cwd=self.folder, env=self.environment, **options)

    def nbgrader(self, *arguments, **options) -> subprocess.CompletedProcess:
        """``nbgrader ...`` as the instructor, in the course folder (the students' environment on PATH)."""
        return self.as_instructor("nbgrader", *arguments, **options)

    def enrol(self, student: UnixUser) -> None:
        """The student's ``~/.jupyter/nbgrader_config.py``, the README's, with this course's exchange."""
        config = student.home / ".jupyter" / "nbgrader_config.py"
        config.parent.mkdir(exist_ok=True)
        block = readme_block("python", "c.Exchange.root")
        assert f"course_id = {self.course_id!r}" in block.replace('"', "'")
        config.write_text(block.replace(README_EXCHANGE, str(self.exchange)))
        student.give(config.parent)


@pytest.fixture(scope="package")
def exchange_course(unix_users):
    """An instructor with a private copy of the course, an exchange, and assignment 1 released."""
    base = Path(tempfile.mkdtemp(prefix="nc-exchange-", dir="/tmp"))
    base.chmod(0o755)
    exchange = base / "exchange"
    # Writable by everyone, as nbgrader requires, with the sticky bit: only its owner can rename or
    # remove the course folder (nbgrader#1225). The README's command:
    run_commands(EXCHANGE_COMMANDS, {README_EXCHANGE: str(exchange)})
    assert stat.S_IMODE(exchange.stat().st_mode) == 0o1777
    instructor = unix_users("inst")
    folder = instructor.home / COURSE_ID
    folder.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", folder)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(REPO / "source", folder / "source", ignore=ignore)
    shutil.copytree(REPO / "autograder", folder / "autograder", ignore=ignore)
    instructor.give(folder)
    folder.chmod(0o700)
    course = ExchangeCourse(instructor, folder, exchange)
    course.nbgrader("generate_assignment", ASSIGNMENT)
    course.as_instructor("chmod", "600", "gradebook.db")
    course.nbgrader("release_assignment", ASSIGNMENT)
    # Submissions can be renamed or removed only by the student who made them.
    course.as_instructor("chmod", "+t", exchange / COURSE_ID / "inbound")
    try:
        yield course
    finally:
        shutil.rmtree(base, ignore_errors=True)
