"""Submissions graded per minute: plain ``nbgrader autograde`` against this course's batch grader.

The same K submissions (copies of the bundled examples, cycled) are graded in
one run by plain nbgrader (one process, one kernel per notebook), then by the
batch grader with 1 and with 2 workers, each in a fresh copy of the course.
Wall times include everything each needs (nbgrader's start-up; the cluster and
the warm sandboxes), so the ratios are what an instructor would see.

    .venv/bin/python benchmarks/grading_throughput.py [--copies 40] [--assignments a1_lnp_sta a4_linear_discrimination]
"""
import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from autograder.batch import grade_batch  # noqa: E402
from autograder.examples import write_examples  # noqa: E402
from autograder.grading import generate_release, run_nbgrader  # noqa: E402


def course_with_copies(root: Path, assignment: str, copies: int) -> Path:
    """A course folder whose ``submitted/`` holds ``copies`` submissions cycled from the examples."""
    shutil.copytree(REPO / "source" / assignment, root / "source" / assignment)
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nload_subconfig({str(REPO / 'nbgrader_config.py')!r})\nc.CourseDirectory.root = {str(root)!r}\n")
    generate_release(root, assignment)
    examples = write_examples(root, assignment, submitted=root / "examples")
    for number in range(copies):
        example = examples[number % len(examples)]
        shutil.copytree(root / "examples" / example, root / "submitted" / f"s{number:04d}-{example}")
    return root


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--assignments", nargs="*",
                        default=sorted(path.name for path in (REPO / "source").iterdir() if path.is_dir()))
    options = parser.parse_args(arguments)
    rows = []
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as folder:
        for assignment in options.assignments:
            runs = {}
            plain = course_with_copies(Path(folder) / f"{assignment}-plain", assignment, options.copies)
            runs["plain nbgrader"] = timed(lambda: run_nbgrader(plain, "autograde", assignment, "--create", "--force"))
            for workers in (1, 2):
                course = course_with_copies(Path(folder) / f"{assignment}-{workers}", assignment, options.copies)
                runs[f"batch, {workers} worker{'s' * (workers > 1)}"] = timed(
                    lambda: grade_batch(course, assignment, workers=workers, progress=False))
            for name, seconds in runs.items():
                rows.append((assignment, name, seconds, 60 * options.copies / seconds,
                             runs["plain nbgrader"] / seconds))
            print(f"{assignment}: done", file=sys.stderr, flush=True)
    print(f"{'assignment':<26} {'grader':<18} {'seconds':>8} {'per minute':>11} {'vs plain':>9}")
    for assignment, name, seconds, per_minute, ratio in rows:
        print(f"{assignment:<26} {name:<18} {seconds:>8.1f} {per_minute:>11.1f} {ratio:>8.2f}x")


if __name__ == "__main__":
    main()
