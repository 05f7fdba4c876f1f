"""Students get the course without the instructors' repository: the bundle, installed and opened as the README says.

The instructor's command (README, "For students") writes the bundle from a clean copy of the
repository; a student (a Unix user with Debian's Python and nothing else) unzips it, installs
it in a fresh virtual environment and starts JupyterLab with the README's commands, run as
written; in the browser, assignment 1's first cell (which imports ``course.checks``) runs, and
the whole notebook runs headless, stopping only at the unfinished exercises.

The student's pip takes its packages from a folder of wheels that root fills from its own pip
cache (``PIP_NO_INDEX``, ``PIP_FIND_LINKS``), as a classroom mirror would: a new Unix user has no
cache, and downloading everything again would take minutes.
"""
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from test_packaging import copy_repository

from . import lab
from .conftest import ASSIGNMENT, screenshot, stop

pytestmark = [pytest.mark.slow, pytest.mark.system]

STUDENTS = REPO.joinpath("README.md").read_text().split("\n## For students\n", 1)[1].split("\n## ", 1)[0]
INSTRUCTOR_COMMAND, STUDENT_COMMANDS = (block.strip() for block in re.findall(r"^```bash\n(.*?)^```", STUDENTS,
                                                                                 flags=re.M | re.S))
NOTEBOOK = next((REPO / "release" / ASSIGNMENT).glob("*.ipynb"))
BUNDLE = "neural-coding-course"
STUDENT_PATH = "/usr/local/bin:/usr/bin:/bin"  # Debian's Python; no course environment


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The zip the README's instructor command writes in a clean copy of the repository (with this .venv)."""
    copy = copy_repository(tmp_path_factory.mktemp("repository"))
    (copy / ".venv").symlink_to(sys.prefix)
    made = subprocess.run(["bash", "-euc", INSTRUCTOR_COMMAND], cwd=copy, capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stdout + made.stderr
    return copy / "dist" / f"{BUNDLE}.zip"


def test_the_bundle_holds_the_release_notebooks_and_the_wheel_and_no_solution(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        notebooks = {name for name in names if name.endswith(".ipynb")}
        assert notebooks == {f"{BUNDLE}/{path.relative_to(REPO).as_posix()}" for path in REPO.glob("release/*/*.ipynb")}
        for name in notebooks:
            assert archive.read(name) == (REPO / name.split("/", 1)[1]).read_bytes()
        [wheel] = [name for name in names if name.endswith(".whl")]
        assert not [name for name in names if "autograder" in name or "source/" in name]
        bundle_readme = archive.read(f"{BUNDLE}/README.md").decode()
    # The bundle's own instructions are the README's, after its first two lines (unzip, cd).
    assert all(line in bundle_readme for line in STUDENT_COMMANDS.splitlines()[2:]), bundle_readme
    assert wheel.startswith(f"{BUNDLE}/neural_coding_course-")


@pytest.fixture(scope="module")
def wheelhouse(bundle):
    """Every wheel the bundle's install needs, from root's pip cache, in a folder every user can read."""
    folder = Path(tempfile.mkdtemp(prefix="nc-wheelhouse-", dir="/tmp"))
    folder.chmod(0o755)
    [wheel] = (bundle.parent / BUNDLE).glob("*.whl")
    try:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(folder), "torch==2.13.0",
                        str(wheel)], check=True, capture_output=True, timeout=1200)
        for path in folder.iterdir():
            path.chmod(0o644)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def student_lab(bundle, wheelhouse, unix_users, tmp_path_factory):
    """A student installs the bundle as the README says and starts JupyterLab with its last command."""
    student = unix_users("stu")
    shutil.copy(bundle, student.home)
    student.give(student.home / bundle.name)
    *install, start = STUDENT_COMMANDS.splitlines()
    environment = {"PATH": STUDENT_PATH, "BROWSER": "true",  # no browser opens on the student's side
                   "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}
    started = time.monotonic()
    student.run("bash", "-euc", "\n".join(install), env=environment, timeout=1200)
    print(f"student: unzipped and installed in {time.monotonic() - started:.0f} s")
    folder = student.home / BUNDLE
    log = tmp_path_factory.mktemp("student-lab") / "lab.log"
    entry = student.entry
    with open(log, "w") as handle:
        process = subprocess.Popen(["bash", "-c", start], cwd=folder, user=entry.pw_uid, group=entry.pw_gid,
                                   extra_groups=[], stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={"HOME": entry.pw_dir, "USER": student.name, "LANG": "C.UTF-8",
                                        **environment})
    try:
        deadline = time.monotonic() + 90
        while not (address := re.search(r"(http://(?:localhost|127\.0\.0\.1):\d+/)lab\?token=(\w+)", log.read_text())):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        yield student, folder, address[1], address[2]
    finally:
        stop(process)
        shutil.rmtree(folder / ".venv", ignore_errors=True)  # root removes it faster than userdel does


def test_a_student_installs_the_bundle_opens_a_notebook_and_runs_it(student_lab, page):
    student, folder, url, token = student_lab
    # The environment is the student's own, in the bundle's folder, with course from the wheel.
    found = json.loads(student.run(folder / ".venv/bin/python", "-c",
                                   "import json, course.checks; print(json.dumps(course.checks.__file__))").stdout)
    assert found.startswith(f"{folder}/.venv/lib/python3.11/site-packages/course/checks/")
    assert "ModuleNotFoundError" in student.run(folder / ".venv/bin/python", "-c", "import autograder",
                                                check=False).stderr

    # In the browser: the notebook opens in the student's JupyterLab, and its first code cell runs clean.
    page.goto(f"{url}lab/tree/{ASSIGNMENT}/{NOTEBOOK.name}?reset&token={token}")
    page.locator(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=90_000)
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    first_code = next(index for index, cell in enumerate(cells) if cell.cell_type == "code")
    lab.select_cell(page, first_code)
    lab.menu(page, "Run", "Run Selected Cell")
    lab.cell(page, first_code).locator(".jp-InputPrompt", has_text="[1]:").wait_for(timeout=60_000)
    screenshot(page, "bundle-first-cell")
    outputs = lab.cell(page, first_code).locator(".jp-OutputArea-output")
    assert outputs.locator("[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    assert "Error" not in (outputs.all_inner_texts() and " ".join(outputs.all_inner_texts()))

    # Headless, the whole notebook runs; it stops only where an exercise is not done yet.
    executed = folder / "executed.ipynb"
    student.run(folder / ".venv/bin/jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                "--output", executed, folder / "release" / ASSIGNMENT / NOTEBOOK.name, env={"PATH": STUDENT_PATH},
                timeout=600)
    notebook = nbformat.read(executed, as_version=4)
    errors = [(output.ename, output.evalue) for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors and {name for name, _ in errors} <= {"NotImplementedError", "NameError"}, errors
    assert notebook.cells[first_code].outputs == [] or all(
        output.output_type != "error" for output in notebook.cells[first_code].outputs)
