"""Grade a whole class: parallel, isolated, resumable, with nbgrader as the record of grades.

For each submission the main process (the only one that writes to the gradebook)
checks the files, lets nbgrader's own preprocessors sanitize the notebook
(outputs cleared, test cells restored from the gradebook, deleted ones added
back), and hands the notebook to a worker. Workers run on Dask: a local cluster
with one worker per core by default, or an existing scheduler. A worker runs
the notebook in its sandbox (``isolation``) and returns the outputs. The main
process then runs nbgrader's own ``autograde`` on the submission with the
execution step replaced by those outputs, so nbgrader scores and stores the
cells exactly as it always does.

A ledger (``.grader/<assignment>.jsonl``) records each submission's fingerprint
(its files, the source's test cells, this grader's version) once nbgrader has
stored its grades. A rerun grades only what is new or changed; a batch killed
midway resumes where it stopped, and no submission is graded twice.
"""
from __future__ import annotations

import contextlib
import copy
import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

SANDBOX_START_SECONDS = 300  # the longest a sandbox may take to start (isolation.Sandbox waits as long)
# The grader's own modules that decide a grade (a change regrades every submission).
SHARED_GRADING_CODE = ("batch.py", "harness.py", "isolation.py", "sandbox")
GRADER_CODE = Path(__file__).resolve().parent
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")
MAX_SUBMISSION_BYTES = 50 * 2**20
WORK = ".grader"  # in the course folder: staging copies and ledgers (never committed)


@dataclass
class Submission:
    student: str
    folder: Path
    files: str = ""  # digest of its files
    grading: dict[str, str] = field(default_factory=dict)  # what its grade depends on (grading_state)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.files, self.grading)


@dataclass
class BatchResult:
    """What one run did: students graded now, skipped as unchanged, and not graded (with reasons)."""

    graded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_graded: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)  # student -> what went wrong while running
    reasons: dict[str, str] = field(default_factory=dict)  # student -> why it is graded in this run
    seconds: float = 0.0
    main_seconds: dict[str, float] = field(default_factory=dict)  # student -> this process: preparing, recording
    worker_seconds: dict[str, float] = field(default_factory=dict)  # student -> a worker: running the notebooks


class Rejected(Exception):
    """A submission that cannot be graded; the message says why, for the report."""


# --------------------------------------------------------------------------- finding submissions
def find_submissions(course_root: Path, assignment: str) -> tuple[list[Submission], dict[str, str]]:
    """Submissions of ``assignment`` under ``submitted/``, and the folders refused (with a reason)."""
    submitted = course_root / "submitted"
    found, refused = [], {}
    if not submitted.is_dir():
        return found, refused
    for student_folder in sorted(submitted.iterdir()):
        folder = student_folder / assignment
        if not folder.is_dir():
            continue
        name = student_folder.name
        if not SAFE_ID.fullmatch(name) or student_folder.is_symlink() or folder.is_symlink():
            refused[name] = "unsafe student id or folder (only letters, digits and _.@+- are accepted; no links)"
            continue
        found.append(Submission(name, folder))
    return found, refused


def submission_files(folder: Path) -> dict[str, bytes]:
    """Every file of a submission, by relative path; links and oversized submissions are refused."""
    files, total = {}, 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            raise Rejected(f"{relative} is a symbolic link; submissions may hold only plain files")
        if path.is_file():
            total += path.stat().st_size
            if total > MAX_SUBMISSION_BYTES:
                raise Rejected(f"the submission is larger than {MAX_SUBMISSION_BYTES >> 20} MB")
            files[relative] = path.read_bytes()
    return files


def files_digest(files: dict[str, bytes]) -> str:
    """A digest of a submission's files (names and contents)."""
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def folder_digest(folder: Path, skip: tuple[str, ...] = ()) -> str:
    """A digest of the files under ``folder`` (caches and the names in ``skip`` left out)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.name not in skip:
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def grading_state(course_root: Path, assignment: str, grader: Path = GRADER_CODE,
                  course_package: Path | None = None) -> dict[str, str]:
    """What a grade depends on besides the submission, by the name a rerun gives when it changed.

    ``grader`` and ``course_package`` are the folders of the ``autograder`` and ``course``
    packages (by default the ones imported here).
    """
    from .isolation import COURSE_PACKAGE

    shared = hashlib.sha256()
    for part in SHARED_GRADING_CODE:
        path = grader / part
        shared.update(part.encode() + b"\0" + (folder_digest(path).encode() if path.is_dir() else path.read_bytes()))
    return {
        "the source notebooks": folder_digest(course_root / "source" / assignment),
        f"the hidden checks (autograder/{assignment}/)": folder_digest(grader / assignment, skip=("examples.py",)),
        "the shared grading code": shared.hexdigest(),
        "the course package": folder_digest(course_package or COURSE_PACKAGE),
        "the nbgrader configuration": hashlib.sha256(
            json.dumps(course_config(course_root), sort_keys=True, default=repr).encode()).hexdigest(),
    }


def fingerprint(files: str, grading: dict[str, str]) -> str:
    """One digest of a submission's files and everything its grade depends on."""
    return hashlib.sha256(json.dumps([files, grading], sort_keys=True).encode()).hexdigest()


def why_grade(entry: dict | None, submission: Submission) -> str:
    """Why a submission is graded in this run (new, resubmitted, or what in the grading changed)."""
    if entry is None:
        return "not graded before"
    if "files" not in entry:
        return "graded by an earlier version of the grader"
    if entry.get("files") != submission.files:
        return "the submission changed"
    changed = [name for name, digest in submission.grading.items() if entry.get("grading", {}).get(name) != digest]
    return " and ".join(changed) + " changed" if changed else "regrade asked for"


# --------------------------------------------------------------------------- the ledger
class Ledger:
    """Append-only record of graded submissions: one JSON line each, flushed to disk at once."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by a kill: ignored, that submission is graded again
                self.entries[entry["student"]] = entry

    def done(self, submission: Submission) -> bool:
        entry = self.entries.get(submission.student)
        return bool(entry) and entry["fingerprint"] == submission.fingerprint

    def record(self, submission: Submission, status: str, reason: str = "") -> None:
        entry = {"student": submission.student, "fingerprint": submission.fingerprint, "status": status,
                 "reason": reason, "files": submission.files, "grading": submission.grading, "time": time.time()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.entries[submission.student] = entry


# --------------------------------------------------------------------------- reading and sanitizing
def read_notebook(name: str, data: bytes) -> nbformat.NotebookNode:
    """A submitted notebook, or Rejected with the reason it cannot be read."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise Rejected(f"{name} is not text (UTF-8)") from None
    except json.JSONDecodeError as error:
        raise Rejected(f"{name} is malformed JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        raise Rejected(f"{name} is not a Jupyter notebook (no nbformat version)")
    if raw["nbformat"] != 4:
        raise Rejected(f"{name} has nbformat {raw['nbformat']}; notebooks must be nbformat 4 (save it in JupyterLab)")
    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat's validation errors come in several types
        raise Rejected(f"{name} is not a valid notebook: {str(error).splitlines()[0][:200]}") from None
    return notebook


def without_duplicate_grade_ids(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Copies of a graded cell lose their grading metadata; the first one is graded.

    nbgrader's ``DeduplicateIds`` means to do this, but leaves an empty ``nbgrader``
    dict that its ``OverwriteCells`` then trips over when adding missing cells back.
    """
    seen = set()
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in seen:
            del cell.metadata["nbgrader"]
        elif grade_id:
            seen.add(grade_id)
    return notebook


def sanitize(config, notebook: nbformat.NotebookNode, student: str, assignment: str, name: str):
    """nbgrader's own sanitizing steps, as ``autograde`` runs them (the gradebook is only read)."""
    from nbgrader.converters.autograde import Autograde

    resources = {"nbgrader": {"student": student, "assignment": assignment, "notebook": name,
                              "db_url": gradebook_url(config)}, "unique_key": name}
    notebook = copy.deepcopy(notebook)
    steps = config.Autograde.get("sanitize_preprocessors", Autograde.sanitize_preprocessors.default())
    for preprocessor_class in steps:
        notebook, resources = preprocessor_class(config=config).preprocess(notebook, resources)
    return notebook


def course_config(course_root: Path):
    """The course's ``nbgrader_config.py``, loaded as nbgrader loads it, rooted at ``course_root``."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    config.CourseDirectory.root = str(course_root)
    return config


def gradebook_url(config) -> str:
    """The gradebook nbgrader uses: ``c.CourseDirectory.db_url``, by default ``gradebook.db`` in the course."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config).db_url


def course_db_url(course_root: Path) -> str:
    """The gradebook of the course in ``course_root``, as its ``nbgrader_config.py`` configures it."""
    return gradebook_url(course_config(Path(course_root).resolve()))


# --------------------------------------------------------------------------- the batch
def grade_batch(course_root: Path, assignment: str, *, workers: int | None = None, scheduler: str | None = None,
                force: bool = False, students: list[str] | None = None, limits=None, isolate: bool = True,
                progress: bool = True, deadline: float | None = None) -> BatchResult:
    """Grade every new or changed submission of ``assignment``; see the module docstring.

    Parameters
    ----------
    course_root : Path
        The nbgrader course folder.
    assignment : str
        Assignment id (a folder of ``source/``).
    workers : int, optional
        Worker processes on this machine (default: one per core). Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); its workers need the same
        Python environment (the grading code is sent to them).
    force : bool
        Grade every submission again, changed or not.
    students : list of str, optional
        Grade only these students' submissions, changed or not; the rest are left as they are.
    limits : isolation.Limits, optional
        Time, memory, process and output limits of each submission.
    isolate : bool
        Run student code in bubblewrap when the machine allows (always, unless testing).
    progress : bool
        Show a progress bar with an estimated time left, and say what is graded and why.
    deadline : float, optional
        Seconds a worker may take on one submission before it is NOT GRADED and the worker
        restarted (default: every notebook's time limit plus a sandbox's start).
    """
    from .isolation import Limits, isolation_mechanisms, limits_to_dict

    started = time.monotonic()
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's harmless SQLAlchemy notice
    course_root = Path(course_root).resolve()
    config = grading_config(course_root)
    limits = limits or Limits(cell_timeout=float(config.Execute.get("timeout", Limits.cell_timeout)))
    grading = grading_state(course_root, assignment)
    ledger = Ledger(course_root / WORK / f"{assignment}.jsonl")
    result = BatchResult()
    submissions, refused = find_submissions(course_root, assignment)
    if students is not None:
        unknown = sorted(set(students) - {submission.student for submission in submissions} - set(refused))
        if unknown:
            raise Rejected(f"no submission of {assignment} in submitted/ for: {', '.join(unknown)}")
        submissions = [submission for submission in submissions if submission.student in students]
        refused = {student: reason for student, reason in refused.items() if student in students}
    result.not_graded.update(refused)
    notebook_names = _notebook_names(config, assignment)

    jobs = {}
    for submission in submissions:
        try:
            files = submission_files(submission.folder)
        except Rejected as reason:
            result.not_graded[submission.student] = str(reason)
            continue
        submission.files, submission.grading = files_digest(files), grading
        if ledger.done(submission) and not force and students is None:
            entry = ledger.entries[submission.student]
            if entry["status"] == "graded":
                result.unchanged.append(submission.student)
            else:
                result.not_graded[submission.student] = entry["reason"]
            continue
        result.reasons[submission.student] = why_grade(ledger.entries.get(submission.student), submission)
        preparing = time.perf_counter()
        try:
            jobs[submission.student] = (submission, _prepare(config, course_root, assignment, submission, files,
                                                             notebook_names))
        except Rejected as reason:
            result.not_graded[submission.student] = str(reason)
            ledger.record(submission, "not graded", str(reason))
        result.main_seconds[submission.student] = time.perf_counter() - preparing

    if progress:
        print(_plan(assignment, result, len(submissions)), file=sys.stderr)
    if jobs:
        _add_students(config, list(jobs))
        mechanisms = isolation_mechanisms()
        missing = {name: state for name, state in mechanisms.items() if not state.startswith("active")}
        if isolate and missing:
            print("WARNING: weaker isolation on this machine:\n" +
                  "\n".join(f"  {name}: {state}" for name, state in missing.items()), file=sys.stderr)
        settings = {"course_root": str(course_root), "limits": limits_to_dict(limits), "isolate": isolate,
                    "seed": os.environ.get("AUTOGRADER_SEED")}
        for student, outcome in _run_jobs(jobs, settings, workers, scheduler, progress, deadline):
            submission = jobs[student][0]
            if isinstance(outcome, WorkerFailed):  # the grader failed, not the submission: retried next run
                result.not_graded[student] = str(outcome)
                continue
            if isinstance(outcome, Rejected):
                result.not_graded[student] = str(outcome)
                ledger.record(submission, "not graded", str(outcome))
                continue
            executed, problems, result.worker_seconds[student] = outcome
            recording = time.perf_counter()
            try:
                _record_with_nbgrader(config, assignment, student, executed)
                result.main_seconds[student] += time.perf_counter() - recording
            except Rejected as reason:
                result.not_graded[student] = str(reason)
                ledger.record(submission, "not graded", str(reason))
                continue
            if problems:
                result.problems[student] = problems
            result.graded.append(student)
            ledger.record(submission, "graded", "; ".join(problems))
    result.seconds = time.monotonic() - started
    return result


def _plan(assignment: str, result: BatchResult, found: int) -> str:
    """One line: how many submissions this run grades, and why."""
    counts = {}
    for reason in result.reasons.values():
        counts[reason] = counts.get(reason, 0) + 1
    why = "; ".join(f"{count}: {reason}" for reason, count in sorted(counts.items(), key=lambda item: -item[1]))
    line = f"{assignment}: grading {len(result.reasons)} of {found} submissions"
    line += f" ({why})" if why else ""
    if result.unchanged:
        line += f"; {len(result.unchanged)} unchanged since they were graded"
    return line


def grading_config(course_root: Path):
    """The course's nbgrader configuration, with the execution step replaced by recorded outputs."""
    from nbgrader.converters.autograde import Autograde

    config = course_config(course_root)
    config.CourseDirectory.submitted_directory = f"{WORK}/staging"
    steps = [ReplayExecute if step.__name__ == "Execute" else step
             for step in config.Autograde.get("autograde_preprocessors", Autograde.autograde_preprocessors.default())]
    config.Autograde.autograde_preprocessors = steps
    return config


def _notebook_names(config, assignment: str) -> list[str]:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(config)) as gradebook:
        return [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]


def _add_students(config, students: list[str]) -> None:
    """Create the gradebook's student rows up front: two grade commands at once (on two assignments of
    one PostgreSQL gradebook) would otherwise race to insert the same student, and one would fail."""
    from nbgrader.api import Gradebook, InvalidEntry

    with Gradebook(gradebook_url(config)) as gradebook:
        for student in students:
            try:
                gradebook.update_or_create_student(student)
            except InvalidEntry:  # inserted by the other command since we looked: there now
                gradebook.update_or_create_student(student)


def _prepare(config, course_root, assignment, submission, files, notebook_names) -> dict:
    """Stage the submission for nbgrader and build the job a worker runs."""
    staged = course_root / WORK / "staging" / submission.student / assignment
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    for name, data in files.items():
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        (staged / name).write_bytes(data)
    _add_exchange_files(course_root, assignment, submission, staged)
    notebooks = {}
    for name in notebook_names:
        data = files.get(f"{name}.ipynb")
        if data is None:
            continue  # nbgrader scores a missing notebook 0
        notebook = without_duplicate_grade_ids(read_notebook(f"{name}.ipynb", data))
        nbformat.write(notebook, staged / f"{name}.ipynb")  # what nbgrader will record
        try:
            notebook = sanitize(config, notebook, submission.student, assignment, name)
        except Exception as error:  # nbgrader's own checks (e.g. cell metadata a student edited)
            raise Rejected(f"nbgrader refused {name}.ipynb: {type(error).__name__}: {error}") from None
        notebooks[name] = [dict(cell) for cell in notebook.cells]
    if not notebooks:
        raise Rejected(f"no notebook of the assignment was submitted (expected {', '.join(notebook_names)})")
    # The working folder holds the student's files, overwritten by the source's own data files as nbgrader does.
    source = course_root / "source" / assignment
    workdir_files = {name: data for name, data in files.items() if not name.endswith(".ipynb")}
    for path in source.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb":
            workdir_files[path.relative_to(source).as_posix()] = path.read_bytes()
    return {"student": submission.student, "notebooks": notebooks, "files": workdir_files}


def _add_exchange_files(course_root: Path, assignment: str, submission: Submission, staged: Path) -> None:
    """The files ``nbgrader submit`` writes, for a submission put in ``submitted/`` by hand.

    ``nbgrader release_feedback`` needs both: ``timestamp.txt`` (here the time the newest file was
    written, in nbgrader's format) and ``submission_secret.txt`` (random, kept across regrades, so
    that released feedback keeps its unguessable name).
    """
    if not (staged / "timestamp.txt").exists():
        newest = max((path.stat().st_mtime for path in submission.folder.rglob("*") if path.is_file()),
                     default=time.time())
        stamp = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc)
        (staged / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
    if not (staged / "submission_secret.txt").exists():
        earlier = course_root / "autograded" / submission.student / assignment / "submission_secret.txt"
        secret = earlier.read_text() if earlier.is_file() else secrets.token_hex(64)
        (staged / "submission_secret.txt").write_text(secret)


# --------------------------------------------------------------------------- running on workers
class WorkerFailed(str):
    """A reason a submission was not graded that is the grader's, not the submission's: retried next run."""


def _run_jobs(jobs: dict, settings: dict, workers: int | None, scheduler: str | None, progress: bool,
              deadline: float | None):
    """Yield (student, outcome) as workers finish; outcome is (executed cells per notebook, problems),
    a ``Rejected`` (no answer within the deadline) or a ``WorkerFailed``.

    At most one submission per worker thread is handed out at a time, so that each one's deadline
    runs from when a worker takes it. A worker that has not answered by then is restarted (with
    its sandbox), the submission is NOT GRADED, and the batch goes on.
    """
    from distributed import Client, LocalCluster, wait
    from tqdm import tqdm

    cluster = None
    if scheduler is None:
        # The scheduler's HTTP server gets a free port (never the busy default 8787); no dashboard.
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                               silence_logs=40)
    client = Client(scheduler or cluster)
    bar = None
    try:
        refused = set() if cluster is not None else _refused_workers(client, settings)
        bar = tqdm(total=len(jobs), unit="submission", disable=not progress, file=sys.stderr)
        waiting, running = list(jobs.items()), {}
        while waiting or running:
            # Looked up again each time: a restarted worker comes back under a new address.
            usable = {address: threads for address, threads in client.nthreads().items() if address not in refused}
            while waiting and len(running) < max(1, sum(usable.values())):
                student, (_, job) = waiting.pop(0)
                future = client.submit(execute_job, job, settings, pure=False, allow_other_workers=False,
                                       workers=list(usable) if refused else None,
                                       key=f"grade-{student}-{os.urandom(4).hex()}")
                allowed = deadline or submission_deadline(job, settings)
                running[future] = (student, time.monotonic() + allowed, allowed)
            first_due = min(due for _, due, _ in running.values())
            try:
                finished = wait(list(running), timeout=max(0.0, first_due - time.monotonic()),
                                return_when="FIRST_COMPLETED").done
            except TimeoutError:
                finished = set()
            for future in list(running):
                student, due, allowed = running[future]
                if future in finished:
                    outcome = _outcome(future)
                elif time.monotonic() >= due:
                    outcome = _give_up(client, future, allowed)
                else:
                    continue
                del running[future]
                bar.update()
                yield student, outcome
    finally:
        if bar is not None:
            bar.close()
        client.close()
        if cluster is not None:
            cluster.close()


def _refused_workers(client, settings: dict) -> set[str]:
    """Send an existing cluster the grading code; the workers that cannot grade (see ``cluster``)."""
    from .cluster import ClusterRefused, usable_workers

    try:
        _, refused = usable_workers(client, Path(settings["course_root"]) / WORK)
    except ClusterRefused as error:
        raise Rejected(str(error)) from None
    for address, why in refused.items():
        print(f"WARNING: refused Dask worker {address}: {why}", file=sys.stderr)
    return set(refused)


def submission_deadline(job: dict, settings: dict) -> float:
    """Seconds a worker may take on one submission: every notebook's own limit, plus a sandbox's start."""
    return len(job["notebooks"]) * settings["limits"]["notebook_timeout"] + SANDBOX_START_SECONDS


def _outcome(future):
    try:
        return future.result()
    except Exception as error:  # a worker crashed or was lost
        return WorkerFailed(f"the grading worker failed: {type(error).__name__}: {error}")


def _give_up(client, future, allowed: float) -> Rejected:
    """Stop waiting for ``future`` (``allowed`` seconds are over): cancel it, restart the worker holding it."""
    holder = client.run_on_scheduler(_worker_running, key=future.key)
    client.cancel(future)
    if holder:
        with contextlib.suppress(Exception):  # a worker without a nanny cannot restart; it is left as is
            client.restart_workers([holder], timeout=60)
    return Rejected(f"no answer from the grading worker within the submission's deadline ({allowed:g} s): the "
                    "notebook kept it busy past every time limit; the worker was restarted")


def _worker_running(key, dask_scheduler=None):
    task = dask_scheduler.tasks.get(key)
    return task.processing_on.address if task is not None and task.processing_on is not None else None


_SANDBOXES: dict = {}


def execute_job(job: dict, settings: dict):
    """On a worker: run each notebook of one submission in this worker's sandbox."""
    from .isolation import Sandbox, limits_from_dict

    key = json.dumps({name: value for name, value in settings.items() if name != "seed"}, sort_keys=True)
    sandbox = _SANDBOXES.get(key)
    if sandbox is not None and not sandbox.alive:  # never let one lost zygote fail every later job here
        sandbox.close()
        sandbox = None
    if sandbox is None:
        sandbox = _SANDBOXES[key] = Sandbox(Path(settings["course_root"]), limits_from_dict(settings["limits"]),
                                            isolate=settings["isolate"])
    started = time.perf_counter()
    executed, problems = {}, []
    with _seed(settings.get("seed")):
        for name, cells in job["notebooks"].items():
            executed[name], notebook_problems = sandbox.execute(cells, job["files"])
            problems += notebook_problems
    return executed, problems, time.perf_counter() - started


@contextlib.contextmanager
def _seed(seed: str | None):
    """``AUTOGRADER_SEED`` as the command was given it, also on workers of a cluster started elsewhere."""
    before = os.environ.pop("AUTOGRADER_SEED", None)
    if seed:
        os.environ["AUTOGRADER_SEED"] = seed
    try:
        yield
    finally:
        os.environ.pop("AUTOGRADER_SEED", None)
        if before is not None:
            os.environ["AUTOGRADER_SEED"] = before


# --------------------------------------------------------------------------- recording with nbgrader
_EXECUTED: dict[tuple[str, str], list] = {}


class ReplayExecute(NbGraderPreprocessor):
    """nbgrader's execution step, replaced by the outputs the sandbox produced for this notebook."""

    def preprocess(self, nb, resources):
        executed = _EXECUTED.pop((resources["nbgrader"]["student"], resources["nbgrader"]["notebook"]))
        if len(executed) != len(nb.cells):
            raise RuntimeError("the notebook changed between execution and grading")
        for cell, result in zip(nb.cells, executed):
            if cell.cell_type == "code":
                cell.outputs = [nbformat.from_dict(output) for output in result["outputs"]]
                cell.execution_count = result["execution_count"]
        return nb, resources


def _record_with_nbgrader(config, assignment: str, student: str, executed: dict) -> None:
    from nbgrader.apps import NbGraderAPI

    for notebook, cells in executed.items():
        _EXECUTED[(student, notebook)] = cells
    try:
        outcome = NbGraderAPI(config=config).autograde(assignment, student, force=True, create=True)
    finally:
        for notebook in executed:
            _EXECUTED.pop((student, notebook), None)
    if not outcome["success"]:
        raise Rejected("nbgrader could not record the grades: " + _last_line(outcome.get("error") or outcome.get("log")))


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no reason given"

