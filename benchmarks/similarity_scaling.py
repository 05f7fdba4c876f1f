"""How the similarity report's time grows with the class: N, 2N and 4N submissions in one run.

Each synthetic student answers every code answer cell of the release notebook with
statements drawn at random (with random constants) from a pool, so that students
share short idioms but not whole answers; one student in fifty hands in a copy of
another's notebook. Comparing all pairs is quadratic; candidate pairs come from
shared fingerprints, so the time should grow much more slowly when few pairs share
any. The ratios to the smallest class are what matter, not the seconds.

    .venv/bin/python benchmarks/similarity_scaling.py [--students 150] [--assignment a1_lnp_sta]
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from autograder.examples import replace_solution_region  # noqa: E402
from autograder.similarity import find_similar  # noqa: E402

POOL = [
    "    {a} = np.zeros(images.shape[1]) + {n}",
    "    {a} = images.mean(axis={m}) * {n}",
    "    {b} = spike_counts.sum() + {n}",
    "    for {i} in range({n}):\n        {a} = {a} + {i} * {n}",
    "    {b} = np.linalg.norm({a}) / ({n} + 1)",
    "    {a} = np.clip({a}, -{n}, {n})",
    "    if {b} > {n}:\n        {a} = {a} / {b}",
    "    {a} = np.sort({a})[::{m}]",
    "    {b} = float(np.median(images[:, {m}])) - {n}",
    "    {a} = {a}.reshape(-1) @ np.ones_like({a}.reshape(-1)) * {n}",
]


def synthetic_answer(rng: np.random.Generator) -> str:
    lines = []
    for template in rng.choice(POOL, size=6, replace=False):
        lines.append(template.format(a="x", b="y", i="k", n=int(rng.integers(2, 10_000)),
                                     m=int(rng.integers(1, 3))))
    return "\n".join(lines + ["    return x"]) + "\n"


def class_of(root: Path, assignment: str, students: int, rng: np.random.Generator) -> Path:
    """A course folder with the committed release and ``students`` synthetic submissions."""
    course = root / f"course-{students}"
    shutil.copytree(REPO / "source" / assignment, course / "source" / assignment)
    shutil.copytree(REPO / "release" / assignment, course / "release" / assignment)
    release_path = next((course / "release" / assignment).glob("*.ipynb"))
    source = nbformat.read(course / "source" / assignment / release_path.name, as_version=4)
    stubs = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
             if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")}
    for number in range(students):
        folder = course / "submitted" / f"s{number:04d}" / assignment
        folder.parent.mkdir(parents=True)
        if number % 50 == 49:  # a copy of the previous student's notebook
            shutil.copytree(course / "submitted" / f"s{number - 1:04d}" / assignment, folder)
            continue
        notebook = nbformat.read(release_path, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in stubs:
                cell.source = replace_solution_region(stubs[grade_id], synthetic_answer(rng))
        folder.mkdir()
        nbformat.write(notebook, folder / release_path.name)
    return course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=150, help="the smallest class (then 2x and 4x)")
    parser.add_argument("--assignment", default="a1_lnp_sta")
    arguments = parser.parse_args()
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for students in (arguments.students, 2 * arguments.students, 4 * arguments.students):
            course = class_of(Path(folder), arguments.assignment, students, rng)
            started = time.perf_counter()
            report = find_similar(course, arguments.assignment)
            rows.append((students, time.perf_counter() - started, len(report.pairs)))
        print(f"{'students':>8} {'seconds':>8} {'ratio':>6} {'flagged pairs':>14} (planted copies: 1 in 50)")
        for students, seconds, pairs in rows:
            print(f"{students:>8} {seconds:>8.2f} {seconds / rows[0][1]:>6.2f} {pairs:>14}")


if __name__ == "__main__":
    main()
