"""The students' environment, as the README's JupyterHub section builds it, seen by a student and the instructor.

A student's Python imports ``course`` (with ``course.checks``, which every release notebook
imports first) from the environment, not from a repository; it cannot import ``autograder``,
and nothing on its path is a course notebook, an assignment's folder or ``autograder/``. nbgrader's instructor tools are off
in it (the hub test shows the student's screen).
"""
import json
import re

import pytest

from conftest import ASSIGNMENTS, REPO

from .conftest import ENV_BIN, STUDENTS_ENV

pytestmark = [pytest.mark.slow, pytest.mark.system]

SITE_PACKAGES = STUDENTS_ENV / "lib" / "python3.11" / "site-packages"
STUDENT_SIDE = {"nbgrader.server_extensions.assignment_list", "nbgrader.server_extensions.validate_assignment"}
INSTRUCTOR_SIDE = {"nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"}
INSTRUCTOR_PLUGINS = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment"}

WHAT_PYTHON_FINDS = r"""
import importlib, json, os, sys
found = {}
for name in ("course", "course.checks", "course.checks.lnp_sta", "autograder"):
    try:
        found[name] = importlib.import_module(name).__file__
    except ImportError as error:
        found[name] = f"{type(error).__name__}: {error}"
notebook_names, folder_names = json.loads(sys.argv[1])
found["instructor files"] = []
for entry in filter(os.path.isdir, sys.path):
    for folder, _, files in os.walk(entry):
        if set(folder.split(os.sep)) & set(folder_names):
            found["instructor files"] += [os.path.join(folder, name) for name in files]
        found["instructor files"] += [os.path.join(folder, name) for name in files if name in notebook_names]
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def student(unix_users):
    return unix_users("stu")


def enabled_server_extensions(user) -> dict[str, bool]:
    """``jupyter server extension list`` as ``user``: each nbgrader extension, enabled or not."""
    listing = user.run(ENV_BIN / "jupyter", "server", "extension", "list")
    text = listing.stdout + listing.stderr
    return {name: bool(re.search(rf"{name.replace('.', '[.]')}\s+\S*enabled", text))
            for name in STUDENT_SIDE | INSTRUCTOR_SIDE}


def disabled_lab_plugins(user) -> set[str]:
    """nbgrader's JupyterLab plugins that ``jupyter labextension list`` reports disabled for ``user``."""
    listing = user.run(ENV_BIN / "jupyter", "labextension", "list")
    text = (listing.stdout + listing.stderr).split("Disabled extensions:", 1)
    return {plugin for plugin in INSTRUCTOR_PLUGINS | {"@jupyter/nbgrader:assignment-list",
                                                       "@jupyter/nbgrader:validate-assignment"}
            if len(text) == 2 and plugin in text[1]}


def test_a_student_imports_course_from_the_environment_and_nothing_of_the_instructors(student):
    course_notebooks = sorted({path.name for path in REPO.glob("source/*/*.ipynb")})
    found = json.loads(student.python(WHAT_PYTHON_FINDS, json.dumps([course_notebooks, ["autograder", *ASSIGNMENTS]]))
                       .stdout)
    for name in ("course", "course.checks", "course.checks.lnp_sta"):
        assert found[name].startswith(f"{SITE_PACKAGES}/course/"), (name, found[name])
    assert found["autograder"] == "ModuleNotFoundError: No module named 'autograder'"
    assert course_notebooks and found["instructor files"] == []
    # A regular install: no editable finder or path file leads back to a repository.
    assert not list(SITE_PACKAGES.glob("__editable__*")) and not list(SITE_PACKAGES.glob("*neural_coding*.pth"))


def test_students_get_only_their_side_of_nbgrader(student):
    assert enabled_server_extensions(student) == {**dict.fromkeys(STUDENT_SIDE, True),
                                                  **dict.fromkeys(INSTRUCTOR_SIDE, False)}
    assert disabled_lab_plugins(student) == INSTRUCTOR_PLUGINS
