"""Grading on an existing Dask cluster: ``dask scheduler`` and ``dask worker`` started as separate
processes on loopback, from a working folder where the course's code is not importable.

The grade command sends the grading code through Dask; a worker whose environment differs (here:
its installed metadata says another scipy) is refused with a message naming the package, and the
others grade with the exact grades.
"""
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.examples import examples_for, write_examples
from autograder.grading import generate_release, read_report
from conftest import make_course_dir

pytestmark = pytest.mark.slow

A = "a1_lnp_sta"
STUDENTS = ("perfect", "sta-divides-by-n-images")
DASK = Path(sys.executable).parent / "dask"


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command, folder, log, **env):
    """A process of its own, in ``folder``, with an environment that does not reach the repository."""
    clean = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "AUTOGRADER_SEED")}
    return subprocess.Popen(command, cwd=folder, env=clean | env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for_workers(address, count, timeout=120):
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(count, timeout=timeout)


def other_scipy(folder):
    """A site folder whose installed-package metadata says scipy 1.0.0: a worker with it on its path
    reports a different environment (the real scipy stays importable)."""
    info = folder / "scipy-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scipy\nVersion: 1.0.0\n")
    return folder


@pytest.fixture
def cluster(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--dashboard-address", ":0"], elsewhere, tmp_path / "scheduler.log")]
    try:
        time.sleep(2)
        worker = [str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1", "--host", "127.0.0.1",
                  "--no-dashboard"]
        processes.append(start(worker, elsewhere, tmp_path / "worker.log"))
        processes.append(start(worker, elsewhere, tmp_path / "other-worker.log",
                               PYTHONPATH=str(other_scipy(tmp_path / "other-site"))))
        wait_for_workers(address, 2)
        yield address
    finally:
        for process in reversed(processes):
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_an_existing_cluster_gets_the_grading_code_and_refuses_a_different_environment(cluster, tmp_path):
    course = make_course_dir(tmp_path / "course", [A])
    generate_release(course, A)
    write_examples(course, A)
    for folder in (course / "submitted").iterdir():
        if folder.name not in STUDENTS:
            subprocess.run(["rm", "-rf", str(folder)], check=True)

    process = subprocess.run([sys.executable, "-m", "autograder", "--course-dir", str(course), "grade", A,
                              "--scheduler", cluster], capture_output=True, text=True, timeout=900)
    assert process.returncode == 0, process.stdout + process.stderr
    refused = [line for line in process.stderr.splitlines() if line.startswith("WARNING: refused Dask worker")]
    assert len(refused) == 1, process.stderr
    assert refused[0].endswith(": scipy 1.0.0 is installed there, 1.17.1 here"), refused[0]

    loses = {example.student: example.loses for example in examples_for(A)}
    results = read_report(course, A).results
    assert sorted(result.student for result in results) == sorted(STUDENTS)
    for result in results:
        assert {cell for cell in result.lost if cell.startswith("test_")} == set(loses[result.student])
    with open(course / "reports" / f"{A}-cells.csv", newline="") as handle:
        assert {row["student"]: row["auto_score"] for row in csv.DictReader(handle)} == {
            "perfect": "15", "sta-divides-by-n-images": "10"}
