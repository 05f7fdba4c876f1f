"""Shared test set-up: a quiet, self-contained Jupyter environment and temporary course folders."""
import os
import shutil
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(path.name for path in (REPO / "source").iterdir() if path.is_dir())

matplotlib.use("Agg")

# Jupyter, IPython and matplotlib state stays inside the environment, as with tasks.sh.
_ENV = Path(sys.prefix)
for variable, folder in {
    "JUPYTER_CONFIG_DIR": "etc/jupyter-user",
    "JUPYTER_DATA_DIR": "share/jupyter-user",
    "JUPYTER_RUNTIME_DIR": "var/jupyter-runtime",
    "IPYTHONDIR": "etc/ipython",
    "MPLCONFIGDIR": "etc/matplotlib",
}.items():
    os.environ.setdefault(variable, str(_ENV / folder))
# Notebooks run headless here: explorers draw once instead of opening widgets.
os.environ["COURSE_STATIC_WIDGETS"] = "1"
# Kernels started by the tests import `autograder` from the repository, like nbgrader's do.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def make_course_dir(root: Path, assignments=ASSIGNMENTS) -> Path:
    """A temporary nbgrader course directory using the repository's configuration."""
    root.mkdir(parents=True, exist_ok=True)
    for assignment in assignments:
        shutil.copytree(REPO / "source" / assignment, root / "source" / assignment)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"load_subconfig({str(REPO / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
    )
    return root


@pytest.fixture(scope="session")
def white():
    """10,000 white-noise images and the course neuron's spike counts (shared by the science tests)."""
    from course.lnp import gaussian_filter, simulate_lnp
    from course.stimuli import white_noise

    rng = np.random.default_rng(11)
    images = white_noise(10_000, rng)
    return images, simulate_lnp(images, gaussian_filter(), rng)


@pytest.fixture(scope="session")
def pink():
    """10,000 drive-matched 1/f images (32 x 32 generator grid) and the neuron's spike counts."""
    from course.lnp import gaussian_filter, simulate_lnp
    from course.stimuli import natural_stimuli

    rng = np.random.default_rng(12)
    images = natural_stimuli(10_000, gaussian_filter(), rng)
    return images, simulate_lnp(images, gaussian_filter(), rng)


@pytest.fixture(scope="session")
def graded_example_course(tmp_path_factory):
    """``graded(assignment) -> (course folder, GradeReport)``: the example submissions, graded once per session.

    Shared by every test that reads graded results; a test that changes the course works on a copy.
    """
    from autograder.examples import write_examples
    from autograder.grading import generate_release, grade

    graded = {}

    def graded_course(assignment):
        if assignment not in graded:
            course = make_course_dir(tmp_path_factory.mktemp(assignment) / "course", [assignment])
            generate_release(course, assignment)
            write_examples(course, assignment)
            graded[assignment] = course, grade(course, assignment)
        return graded[assignment]

    return graded_course


@pytest.fixture
def course_dir(tmp_path):
    return make_course_dir(tmp_path / "course")


@pytest.fixture(scope="module")
def torch_on_one_thread():
    """Small networks train fastest on one thread (two fight over a shared machine), as in the notebooks."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
