"""Grading on an existing Dask cluster: the grading code travels to the workers, and workers whose
environment differs from this one are refused.

Workers need the pinned environment (``pip install`` of this project, or ``environment.yml``) and
bubblewrap, not this repository: the grade command packs ``autograder/`` and ``course/`` as it
runs them into a small Python module and sends it with Dask's ``Client.upload_file``. On each
worker, importing that module unpacks the code into the worker's own folder, named by its digest,
and puts it first on ``sys.path``; Dask sends it again to workers that join or restart later. A
worker still running other grading code (from an earlier command) is restarted.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import sys
import zipfile
from pathlib import Path

PROJECT = "neural-coding-course"
BOOTSTRAP = '''"""The course's grading code for a Dask worker, sent by `python -m autograder grade --scheduler`."""
import base64, io, os, sys, zipfile
from pathlib import Path

ARCHIVE = "{archive}"  # base64 of a zip of autograder/ and course/
FOLDER = Path(__file__).resolve().parent / "grading-code-{digest}"
if not FOLDER.is_dir():
    partial = FOLDER.with_name(f"{{FOLDER.name}}-{{os.getpid()}}")
    zipfile.ZipFile(io.BytesIO(base64.b64decode(ARCHIVE))).extractall(partial)
    try:
        os.rename(partial, FOLDER)
    except OSError:  # another process of this worker unpacked it first
        pass
if str(FOLDER) not in sys.path:
    sys.path.insert(0, str(FOLDER))
'''


class ClusterRefused(RuntimeError):
    """No worker of the cluster can grade; the message says why for each."""


def code_archive(folders: dict[str, Path]) -> bytes:
    """A zip of the packages ``folders`` (name -> folder), caches left out, in a fixed order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, folder in folders.items():
            for path in sorted(Path(folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    info = zipfile.ZipInfo(f"{name}/{path.relative_to(folder).as_posix()}")
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def send_grading_code(client, work: Path) -> str:
    """Upload ``autograder/`` and ``course/`` to every worker; returns the folder name they unpack to."""
    from .batch import GRADER_CODE
    from .isolation import COURSE_PACKAGE

    archive = code_archive({"autograder": GRADER_CODE, "course": COURSE_PACKAGE})
    digest = hashlib.sha256(archive).hexdigest()[:16]
    module = work / f"course_grading_code_{digest}.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(BOOTSTRAP.format(digest=digest, archive=base64.b64encode(archive).decode()))
    client.upload_file(str(module))
    return f"grading-code-{digest}"


def pinned_versions() -> dict[str, str]:
    """The packages this project pins (its core dependencies), with the versions installed here."""
    names = [requirement.split("==")[0].strip() for requirement in importlib.metadata.requires(PROJECT) or []
             if ";" not in requirement and "==" in requirement]
    return {name: importlib.metadata.version(name) for name in names}


def worker_report(pins: dict[str, str]) -> dict:
    """On a worker: where its grading code comes from, and each pinned package whose version differs."""
    import autograder

    differs = {}
    for name, version in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "not installed"
        if installed != version:
            differs[name] = installed
    python = ".".join(map(str, sys.version_info[:2]))
    return {"code": Path(autograder.__file__).resolve().parent.parent.name, "differs": differs, "python": python}


def usable_workers(client, work: Path) -> tuple[list[str], dict[str, str]]:
    """Send the grading code, then sort the workers: those that can grade, and the refused (with why).

    Raises
    ------
    ClusterRefused
        If no worker can grade.
    """
    expected = send_grading_code(client, work)
    pins = pinned_versions()
    reports = client.run(worker_report, pins, on_error="return")
    stale = [address for address, report in reports.items()
             if isinstance(report, dict) and report["code"] != expected]
    if stale:  # still running the grading code of an earlier command: a fresh process imports ours
        client.restart_workers(stale, timeout=120)
        reports.update(client.run(worker_report, pins, workers=stale, on_error="return"))
    python = ".".join(map(str, sys.version_info[:2]))
    good, refused = [], {}
    for address, report in sorted(reports.items()):
        if not isinstance(report, dict):
            refused[address] = f"cannot run the grading code: {type(report).__name__}: {report}"
        elif report["python"] != python:
            refused[address] = f"runs Python {report['python']}, the course needs Python {python}"
        elif report["differs"]:
            refused[address] = "; ".join(f"{name} {installed} is installed there, {pins[name]} here"
                                         for name, installed in sorted(report["differs"].items()))
        elif report["code"] != expected:
            refused[address] = "still runs other grading code after a restart"
        else:
            good.append(address)
    if not good:
        raise ClusterRefused("no worker of the Dask cluster can grade:\n" +
                             "\n".join(f"  {address}: {why}" for address, why in refused.items()))
    return good, refused
