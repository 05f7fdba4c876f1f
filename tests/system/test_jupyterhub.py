"""JupyterHub smoke test: a student logs in through the browser, gets JupyterLab, fetches assignment 1.

The hub runs on loopback with configurable-http-proxy (npm, pinned in ``package-lock.json``),
the dummy authenticator with a shared password (the README names PAM for a real hub), and the
local-process spawner, which starts each single-user server as that student's Unix user from
the course environment. Each wait is bounded; the fixture stops the hub, which stops the
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
from .conftest import ASSIGNMENT, ENV_BIN, PROXY, clean_environment, free_port, screenshot, stop, unavailable, \
    wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.system]

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
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {{{student!r}}}
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.JupyterHub.cleanup_servers = True
"""
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
    config.write_text(HUB_CONFIG.format(
        port=port, hub_port=free_port(), proxy=str(PROXY), proxy_api_port=free_port(), folder=tmp_path,
        password=password, student=student.name, singleuser=str(ENV_BIN / "jupyterhub-singleuser")))
    log = tmp_path / "jupyterhub.log"
    with open(log, "w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=tmp_path,
                                   env=clean_environment(HOME=tmp_path), stdout=handle, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/hub/login", HUB_TIMEOUT, process, log)
        yield f"http://127.0.0.1:{port}/", student, password
    finally:
        stop(process, timeout=60)  # the hub stops the student's server before exiting (cleanup_servers)
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


def test_a_student_logs_in_gets_lab_and_fetches_the_assignment(hub, page):
    url, student, password = hub
    started = time.monotonic()
    page.goto(f"{url}hub/login")
    page.fill("input[name=username]", student.name)
    page.fill("input[name=password]", password)
    screenshot(page, "hub-login")
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(student.name)}/lab"), timeout=SPAWN_TIMEOUT * 1000)
    page.locator(".jp-LabShell").wait_for(timeout=SPAWN_TIMEOUT * 1000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").wait_for(timeout=SPAWN_TIMEOUT * 1000)
    logged_in = time.monotonic() - started

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
    assert len(kernels) == 1 and kernels[0][0] == str(ENV_BIN / "python"), kernels
    print(f"hub: logged in and JupyterLab up in {logged_in:.0f} s; fetched, opened and ran a cell in "
          f"{time.monotonic() - started - logged_in:.0f} s")
