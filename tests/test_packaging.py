"""The two install paths pin the same versions, and the README's commands are the ones that work."""
import re
import tomllib

import yaml

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
