"""JupyterHub smoke test: a student logs in through the browser, gets JupyterLab, fetches assignment 1.

The hub runs on loopback with configurable-http-proxy (npm, pinned in ``package-lock.json``)
and the README's settings, but for the dummy authenticator with a shared password in place of
PAM: the local-process spawner starts each single-user server as that user's Unix account from
the students' environment, and the instructor's from the course's own environment (here the
test suite's). The student sees only the student side of nbgrader; the instructor sees the
Formgrader too. Each wait is bounded; the fixture stops the hub, which stops the
student's server, before the user is removed.
"""
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from . import lab
from .conftest import ASSIGNMENT, ENV_BIN, PROXY, README_ENV, STUDENTS_ENV, clean_environment, free_port, \
    let_others_through, readme_block, screenshot, stop, unavailable, wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.system]

README_HUB_SETTINGS = readme_block("python", "c.Spawner.cmd")
HUB_CONFIG = """\
c = get_config()
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{folder}/jupyterhub.pid"
c.DummyAuthenticator.password = {password!r}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
# The README's settings, with the dummy authenticator in place of PAM:
"""
INSTRUCTOR_TOOLS = {"Formgrader", "Course List", "Create assignment"}


def hub_settings(student: str, instructor: str) -> str:
    """The README's hub settings: the dummy authenticator, the test's users and environments."""
    replacements = {'c.JupyterHub.authenticator_class = "pam"': 'c.JupyterHub.authenticator_class = "dummy"',
                    "c.Authenticator.allowed_users = {...}": f"c.Authenticator.allowed_users = {{{student!r}, {instructor!r}}}",
                    README_ENV: str(STUDENTS_ENV),
                    "/home/instructor/neural-coding/.venv": sys.prefix,  # the instructor's course environment
                    '== "instructor"': f"== {instructor!r}"}
    settings = README_HUB_SETTINGS
    for old, new in replacements.items():
        assert old in settings, old
        settings = settings.replace(old, new)
    return settings


HUB_TIMEOUT = 60  # s, the hub and its proxy start
SPAWN_TIMEOUT = 120  # s, login, spawn and JupyterLab's first page


@pytest.fixture
def hub(exchange_course, unix_users, tmp_path):
    if not PROXY.exists():
        unavailable(f"configurable-http-proxy is not installed at {PROXY} (npm ci --prefix tests/system)")
    student = unix_users("hub")
    exchange_course.enrol(student)
    password, port = secrets.token_urlsafe(12), free_port()
    config = tmp_path / "jupyterhub_config.py"
    instructor = exchange_course.instructor
    config.write_text(HUB_CONFIG.format(port=port, hub_port=free_port(), proxy=str(PROXY), proxy_api_port=free_port(),
                                        folder=tmp_path, password=password)
                      + hub_settings(student.name, instructor.name))
    log = tmp_path / "jupyterhub.log"
    with open(log, "w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp_path,
                                   env=clean_environment(HOME=tmp_path), stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    changed = let_others_through(Path(sys.prefix))  # the instructor's environment, wherever the clone is
    try:
        wait_for_http(f"http://127.0.0.1:{port}/hub/login", HUB_TIMEOUT, process, log)
        yield f"http://127.0.0.1:{port}/", student, instructor, password
    finally:
        stop(process, timeout=60)  # the hub stops the users' servers before exiting (cleanup_servers)
        for path, mode in reversed(changed):
            path.chmod(mode)
        print(log.read_text(errors="replace")[-3000:])


def processes_of(student) -> list[list[str]]:
    """Command lines of the processes running as ``student``."""
    commands = []
    for pid in student.processes():
        try:
            commands.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0"))
        except OSError:
            continue  # ended meanwhile
    return commands


def log_in(page, url: str, user, password: str) -> None:
    """Log in through the hub's form and wait for the user's JupyterLab and its Nbgrader menu."""
    page.goto(f"{url}hub/login")
    page.fill("input[name=username]", user.name)
    page.fill("input[name=password]", password)
    screenshot(page, f"hub-login-{user.name}")
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(user.name)}/lab"), timeout=SPAWN_TIMEOUT * 1000)
    page.locator(".jp-LabShell").wait_for(timeout=SPAWN_TIMEOUT * 1000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=SPAWN_TIMEOUT * 1000)


def nbgrader_tools(page, url: str, user) -> tuple[set[str], int]:
    """The Nbgrader menu's items (and the Create Assignment sidebar), and the status of the user's ``/formgrader`` page."""
    top = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$"))
    top.click()
    items = page.locator(".lm-Menu:visible .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel")
    items.first.wait_for()
    labels = {label.strip() for label in items.all_inner_texts()}
    screenshot(page, f"hub-nbgrader-menu-{user.name}")
    top.click()  # closes the menu again
    page.locator(".lm-Menu").first.wait_for(state="detached", timeout=10_000)
    if page.locator(".jp-SideBar .lm-TabBar-tab", has_text="Create Assignment").count():
        labels.add("Create assignment (sidebar)")
    return labels, page.request.get(f"{url}user/{user.name}/formgrader").status


def test_a_student_logs_in_gets_lab_and_fetches_the_assignment(hub, page):
    url, student, instructor, password = hub
    started = time.monotonic()
    log_in(page, url, student, password)
    logged_in = time.monotonic() - started

    # The student's side of nbgrader only: no Formgrader, Course List or Create Assignment.
    tools, formgrader = nbgrader_tools(page, url, student)
    assert "Assignment List" in tools, tools
    assert [tool for tool in tools if tool.startswith(tuple(INSTRUCTOR_TOOLS))] == []
    assert formgrader == 404

    # The server runs as the student, from the course environment.
    servers = [command for command in processes_of(student) if any(part.endswith("jupyterhub-singleuser")
                                                                    for part in command)]
    assert len(servers) == 1 and servers[0][1] == str(ENV_BIN / "jupyterhub-singleuser"), servers

    lab.menu(page, "Nbgrader", "Assignment List")
    released = page.locator("#released_assignments_list")
    released.get_by_text(ASSIGNMENT).wait_for(timeout=60_000)
    screenshot(page, "hub-assignment-list")
    released.get_by_role("button", name="Fetch").click()
    page.locator("#fetched_assignments_list").get_by_text(ASSIGNMENT).wait_for(timeout=60_000)
    screenshot(page, "hub-fetched")
    fetched = student.home / ASSIGNMENT
    notebooks = sorted(path.name for path in fetched.glob("*.ipynb"))
    assert notebooks and all((fetched / name).stat().st_uid == student.entry.pw_uid for name in notebooks)

    # The student opens it from the list; its first code cell (the imports) runs in a kernel of the
    # course environment, as the student.
    page.locator("#fetched_assignments_list .assignment-notebooks-link", has_text=ASSIGNMENT).click()
    page.locator("#fetched_assignments_list .assignment-notebooks a", has_text=Path(notebooks[0]).stem).click()
    page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    cells = nbformat.read(fetched / notebooks[0], as_version=4).cells
    first_code = next(index for index, cell in enumerate(cells) if cell.cell_type == "code")
    lab.select_cell(page, first_code)
    lab.menu(page, "Run", "Run Selected Cell")
    lab.cell(page, first_code).locator(".jp-InputPrompt", has_text="[1]:").wait_for(timeout=60_000)
    screenshot(page, "hub-first-cell")
    assert lab.cell(page, first_code).locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"
                                              ).count() == 0
    kernels = [command for command in processes_of(student) if "ipykernel_launcher" in command]
    assert len(kernels) == 1 and Path(kernels[0][0]).parent == ENV_BIN, kernels
    print(f"hub: logged in and JupyterLab up in {logged_in:.0f} s; fetched, opened and ran a cell in "
          f"{time.monotonic() - started - logged_in:.0f} s")


def test_the_instructor_sees_the_formgrader(hub, page):
    url, student, instructor, password = hub
    log_in(page, url, instructor, password)
    servers = [command for command in processes_of(instructor) if any(part.endswith("jupyterhub-singleuser")
                                                                       for part in command)]
    assert len(servers) == 1 and servers[0][1] == f"{sys.prefix}/bin/jupyterhub-singleuser", servers
    tools, formgrader = nbgrader_tools(page, url, instructor)
    assert INSTRUCTOR_TOOLS | {"Assignment List", "Create assignment (sidebar)"} <= tools, tools
    assert formgrader == 200
