"""The two install paths pin the same versions, the wheel holds what students import, and the README's commands are the ones that work."""
import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.api import Gradebook

from autograder.examples import examples_for

from conftest import REPO

CONDA_NAMES = {"pytorch": "torch", "pyyaml": "PyYAML"}


def pyproject_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    requirements = project["dependencies"] + [requirement for extra in extras for requirement in extra
                                              if not requirement.startswith(project["name"] + "[")]
    pins = dict(requirement.split("==") for requirement in requirements)
    assert len(pins) == len(requirements), "every dependency is pinned with =="
    return {name.lower(): version for name, version in pins.items()}


def environment_pins():
    dependencies = yaml.safe_load((REPO / "environment.yml").read_text())["dependencies"]
    pins = {}
    for entry in dependencies:
        if isinstance(entry, dict):  # the pip section
            for requirement in entry["pip"]:
                if "==" in requirement:
                    name, version = requirement.split("==")
                    pins[name.lower()] = version
        elif "=" in entry and not entry.startswith("python="):
            name, version = entry.split("=")
            pins[CONDA_NAMES.get(name, name).lower()] = version
    return pins


def test_environment_yml_and_pyproject_pin_the_same_versions():
    assert environment_pins() == pyproject_pins()


def test_torch_is_pinned_and_installed_first():
    assert pyproject_pins()["torch"] == "2.13.0"
    script = (REPO / "tasks.sh").read_text()
    assert script.index("torch==") < script.index('-e "$ROOT[test]"')


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^bash tasks\.sh (\w+)", setup, flags=re.M)
    assert commands == ["demo", "test"]
    assert "bash tasks.sh test" in (REPO / ".ci" / "run").read_text()


def test_runtime_folders_are_ignored_by_git():
    ignored = (REPO / ".gitignore").read_text().split()
    for folder in ("submitted/", "autograded/", "feedback/", "gradebook.db", ".venv/"):
        assert folder in ignored


def copy_repository(destination: Path) -> Path:
    """A clean copy of the repository, as a fresh clone has it: the files git tracks or would add.

    No ``.venv/``, build folders or runtime folders (they are git-ignored), but uncommitted edits
    of the working tree are in.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def modules_imported_by_release_notebooks() -> set[str]:
    """Every ``course`` module a release notebook's code imports (``from course import checks`` names one too)."""
    modules = set()
    for path in sorted((REPO / "release").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Import):
                    modules.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module:
                    modules.add(node.module)
                    modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in modules if name.split(".")[0] == "course" and module_file(name)}


def module_file(name: str) -> str | None:
    """``course/checks/__init__.py`` for ``course.checks``, ``course/lnp.py`` for ``course.lnp``; None if neither exists."""
    stem = name.replace(".", "/")
    for candidate in (f"{stem}/__init__.py", f"{stem}.py"):
        if (REPO / candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds from a clean copy of the repository (in an isolated build environment)."""
    copy = copy_repository(tmp_path_factory.mktemp("clone"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(copy)],
                   check=True, capture_output=True, timeout=600)
    [built] = out.glob("*.whl")
    return built


def test_the_wheel_holds_every_course_module_the_release_notebooks_import(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    imported = modules_imported_by_release_notebooks()
    assert {"course.checks", "course.checks.lnp_sta", "course.lnp"} <= imported  # the finder sees real imports
    assert sorted(name for name in imported if module_file(name) not in names) == []
    tracked = {path.relative_to(REPO).as_posix() for path in (REPO / "course").rglob("*.py")}
    assert {name for name in names if name.startswith("course/")} == tracked
    # Only the students' package: nothing of the instructors' side.
    assert {name.split("/")[0] for name in names} == {"course", wheel.name.split("-")[0] + "-0.1.0.dist-info"}


def test_the_wheel_carries_the_bsd_license(wheel):
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"{wheel.name.split('-')[0]}-0.1.0.dist-info/METADATA").decode()
        licenses = [name for name in archive.namelist() if name.endswith("/licenses/LICENSE")]
        assert licenses and "BSD 3-Clause License" in archive.read(licenses[0]).decode()
    assert "License-Expression: BSD-3-Clause" in metadata
    assert (REPO / "LICENSE").read_text().startswith("BSD 3-Clause License")


def course_state(folder: Path, leave_out: Path) -> dict[str, str]:
    """Every file under ``folder`` but ``leave_out``: its content's hash and modification time."""
    return {path.relative_to(folder).as_posix(): f"{hashlib.sha256(path.read_bytes()).hexdigest()} {path.stat().st_mtime_ns}"
            for path in folder.rglob("*") if path.is_file() and leave_out not in path.parents}


@pytest.mark.slow
def test_the_demo_grades_in_a_scratch_course_and_leaves_the_course_alone(tmp_path):
    course = copy_repository(tmp_path / "course")
    assignment, student = "a1_lnp_sta", "alice"
    # An instructor's course in use: a gradebook, a submission, its grades, feedback and reports.
    (course / "gradebook.db").write_bytes(b"the instructor's gradebook")
    for folder in ("submitted", "autograded", "feedback"):
        shutil.copytree(course / "release" / assignment, course / folder / student / assignment)
    (course / "reports").mkdir()
    (course / "reports" / f"{assignment}-cells.csv").write_text("student\nalice\n")
    scratch = course / ".grader" / "demo"
    before = course_state(course, scratch)
    environment = {name: value for name, value in os.environ.items()
                   if name not in {"PYTHONPATH", "COURSE_STATIC_WIDGETS"}}
    demo = subprocess.run(["bash", "tasks.sh", "demo", assignment], cwd=course, capture_output=True, text=True,
                          timeout=1200, env={**environment, "COURSE_VENV": sys.prefix})
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert course_state(course, scratch) == before
    examples = examples_for(assignment)
    assert f"{assignment}: {len(examples)} graded, 0 not graded" in demo.stdout
    assert f"scratch course: {scratch}" in demo.stdout and "differs from its source" not in demo.stdout
    with Gradebook(f"sqlite:///{scratch / 'gradebook.db'}") as gradebook:
        assert sorted(student.id for student in gradebook.students) == sorted(example.student for example in examples)
