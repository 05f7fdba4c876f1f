"""Submissions graded per minute: plain ``nbgrader autograde`` against this course's batch grader,
and the grader's serial part with the throughput it allows on more workers.

The same K submissions (copies of the bundled examples, cycled) are graded in
one run by plain nbgrader (one process, one kernel per notebook), then by the
batch grader with 1 and with 2 workers, each in a fresh copy of the course.
Wall times include everything each needs (nbgrader's start-up; the cluster and
the warm sandboxes), so the ratios are what an instructor would see.

The second table splits one submission's cost, from the 2-worker run: the main
process's time (preparing the job, recording the grades in nbgrader, writing the
feedback) next to a worker's time (running the notebooks in the sandbox, the
sandbox's start excluded). The main process is one server for every worker, so W
workers grade at most min(W / worker, 1 / main) submissions per second.

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
from autograder.grading import generate_release, run_nbgrader, write_feedback  # noqa: E402

PROJECTED_WORKERS = (4, 8, 16)


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
    rows, serial = [], []
    with tempfile.TemporaryDirectory(prefix="grading-benchmark-") as folder:
        for assignment in options.assignments:
            runs = {}
            plain = course_with_copies(Path(folder) / f"{assignment}-plain", assignment, options.copies)
            runs["plain nbgrader"] = timed(lambda: run_nbgrader(plain, "autograde", assignment, "--create", "--force"))
            for workers in (1, 2):
                course = course_with_copies(Path(folder) / f"{assignment}-{workers}", assignment, options.copies)
                started = time.perf_counter()
                result = grade_batch(course, assignment, workers=workers, progress=False)
                runs[f"batch, {workers} worker{'s' * (workers > 1)}"] = time.perf_counter() - started
            feedback = timed(lambda: write_feedback(course, assignment)) / len(result.graded)
            serial.append((assignment, mean(result.main_seconds, result.graded), feedback,
                           mean(result.worker_seconds, result.graded)))
            for name, seconds in runs.items():
                rows.append((assignment, name, seconds, 60 * options.copies / seconds,
                             runs["plain nbgrader"] / seconds))
            print(f"{assignment}: done", file=sys.stderr, flush=True)
    print(f"{'assignment':<26} {'grader':<18} {'seconds':>8} {'per minute':>11} {'vs plain':>9}")
    for assignment, name, seconds, per_minute, ratio in rows:
        print(f"{assignment:<26} {name:<18} {seconds:>8.1f} {per_minute:>11.1f} {ratio:>8.2f}x")
    print_serial_part(serial)


def mean(seconds: dict[str, float], students: list[str]) -> float:
    return sum(seconds[student] for student in students) / len(students)


def print_serial_part(serial: list[tuple[str, float, float, float]]) -> None:
    """Per submission: main process (preparing + recording, feedback) and worker seconds; the main
    process's share; submissions per minute and speed-up over one worker at 4, 8 and 16 workers."""
    projected = "".join(f" {f'{w} workers/min':>15} {'speed-up':>8}" for w in PROJECTED_WORKERS)
    print(f"\n{'assignment':<26} {'main s':>7} {'feedback s':>10} {'worker s':>8} {'main share':>10}{projected}")
    for assignment, main, feedback, worker in serial:
        serial_seconds = main + feedback
        share = serial_seconds / (serial_seconds + worker)
        cells = ""
        for workers in PROJECTED_WORKERS:
            per_second = min(workers / worker, 1 / serial_seconds)
            cells += f" {60 * per_second:>15.1f} {(serial_seconds + worker) * per_second:>7.1f}x"
        print(f"{assignment:<26} {main:>7.2f} {feedback:>10.2f} {worker:>8.2f} {share:>9.1%}{cells}")


if __name__ == "__main__":
    main()
