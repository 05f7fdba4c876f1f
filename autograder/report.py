"""The class report: one HTML page per assignment that the instructor opens after grading.

It shows how each graded cell was scored, the mistakes the hidden checks named
(ranked by how many students made them, with one message each), the failures no
check could name (grouped by their error signature: candidates for a new entry in
the mistake catalogue), who still awaits manual grading, and a link to each
student's feedback. The messages are the test cells' error outputs in the
autograded notebooks, the same words the students read in their feedback.
The page loads nothing from elsewhere; every student-originated string is escaped.
"""
from __future__ import annotations

import os
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import nbformat

MISTAKE = re.compile(r"^(?P<subject>.*?):? it looks like you (?P<mistake>.+?)(?:\.|:|;| \[inputs|$)")
UNRECOGNISED = "matches none of the common mistakes"  # the hidden checks' words for "no known mistake"
SEED = re.compile(r"\s*\[inputs: seed \d+\]")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
CHECK_FAILED = "CheckFailed"  # autograder.harness.CheckFailed: a hidden check's diagnosis


@dataclass(frozen=True)
class Failure:
    """One failed test cell of one student."""

    student: str
    exercise: str  # the answer cell the test cell checks (the last one before it)
    cell: str
    ename: str
    message: str

    @property
    def mistake(self) -> str | None:
        """The name of the diagnosed mistake, or None when no check could name it."""
        if self.ename != CHECK_FAILED or UNRECOGNISED in self.message:
            return None
        match = MISTAKE.search(self.message)
        if match:
            return f"{match.group('subject')}: {match.group('mistake').strip()}"
        return signature(SEED.sub("", self.message))

    @property
    def signature(self) -> str:
        return f"{self.ename}: {signature(self.message)}" if self.message else self.ename


@dataclass(frozen=True)
class Group:
    """Students who failed the same way, with one example message."""

    name: str
    students: tuple[str, ...]
    example: Failure


@dataclass(frozen=True)
class CellScores:
    """How one graded cell was scored across the class."""

    cell: str
    exercise: str
    max_score: float
    full: int
    partial: int
    zero: int
    awaiting: int

    @property
    def total(self) -> int:
        return self.full + self.partial + self.zero + self.awaiting


@dataclass(frozen=True)
class StudentRow:
    student: str
    auto_score: float
    awaiting: tuple[str, ...]
    failures: int
    feedback: tuple[tuple[str, str], ...]  # (notebook name, link relative to the page)


def signature(message: str) -> str:
    """A message with its numbers and seed blanked out and its first line kept: failures alike share it."""
    first_line = SEED.sub("", message).strip().splitlines()[0] if message.strip() else ""
    return NUMBER.sub("#", first_line)[:200]


def test_cell_failures(course_root: Path, assignment: str, student: str) -> list[Failure]:
    """The error output of each failed test cell in the student's autograded notebooks, in notebook order."""
    failures = []
    for path in sorted((Path(course_root) / "autograded" / student / assignment).glob("*.ipynb")):
        exercise = ""
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                exercise = meta.get("grade_id", "")
            elif cell.cell_type == "code" and meta.get("grade"):
                failures += [Failure(student, exercise, meta["grade_id"], output.ename, output.evalue or "")
                             for output in cell.get("outputs", []) if output.output_type == "error"]
    return failures


def rank_mistakes(failures: list[Failure]) -> tuple[list[Group], list[Group]]:
    """Named mistakes, and unnamed failures by signature; each ranked by how many students.

    A failure counts as unnamed only when no check named a mistake in the same
    exercise for that student (the public test of a named mistake fails too).
    """
    explained = {(failure.student, failure.exercise) for failure in failures if failure.mistake}
    named = _group(failures, lambda failure: failure.mistake)
    unnamed = _group([failure for failure in failures if (failure.student, failure.exercise) not in explained],
                     lambda failure: f"{failure.exercise}: {failure.signature}")
    return named, unnamed


def cell_scores(report, exercises: dict[str, str]) -> list[CellScores]:
    """Full, partial, zero and awaiting counts for each graded cell, in notebook order."""
    rows = []
    for cell in report.cells:
        graded = [result for result in report.results if result.scores.get(cell) is not None]
        lost = [result.scores[cell] for result in graded if cell in result.lost]
        zero = sum(score <= 0 for score in lost)  # a failed public check (0 points) counts here too
        rows.append(CellScores(cell, exercises.get(cell, cell), report.max_scores[cell], len(graded) - len(lost),
                               len(lost) - zero, zero, len(report.results) - len(graded)))
    return rows


def write_class_report(report, course_root: Path, path: Path) -> Path:
    """Write the class report of a graded assignment (a :class:`autograder.grading.GradeReport`) to ``path``."""
    from .html import render

    course_root, path = Path(course_root), Path(path)
    failures = [failure for result in report.results
                for failure in test_cell_failures(course_root, report.assignment, result.student)]
    named, unnamed = rank_mistakes(failures)
    counts = {result.student: sum(failure.student == result.student for failure in failures)
              for result in report.results}
    students = [_student_row(result, report, counts[result.student], course_root, path.parent)
                for result in report.results]
    totals = [row.auto_score for row in students]
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render(PAGE, assignment=report.assignment, cells=cell_scores(report, exercises_of(course_root, report)),
                  named=named, unnamed=unnamed, students=students, not_graded=sorted(report.not_graded.items()),
                  awaiting=[row for row in students if row.awaiting], auto_max=report.auto_max,
                  median=statistics.median(totals) if totals else None, manual_cells=report.manual_cells)
    path.write_text(page, encoding="utf-8")
    return path


def exercises_of(course_root: Path, report) -> dict[str, str]:
    """Graded cell -> the answer cell it belongs to (a test cell checks the answer cell before it)."""
    exercises = {}
    for path in sorted((Path(course_root) / "source" / report.assignment).glob("*.ipynb")):
        exercise = ""
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                exercise = meta.get("grade_id", "")
            if meta.get("grade"):
                exercises[meta["grade_id"]] = exercise or meta["grade_id"]
    return exercises


def _group(failures: list[Failure], key) -> list[Group]:
    groups: dict[str, list[Failure]] = {}
    for failure in failures:
        name = key(failure)
        if name:
            groups.setdefault(name, []).append(failure)
    ranked = [Group(name, tuple(sorted({failure.student for failure in members})), members[0])
              for name, members in groups.items()]
    return sorted(ranked, key=lambda group: (-len(group.students), group.name))


def _student_row(result, report, failures: int, course_root: Path, page_folder: Path) -> StudentRow:
    auto = sum(result.scores.get(cell) or 0.0 for cell in report.cells if cell not in report.manual_cells)
    awaiting = tuple(cell for cell in report.cells if result.scores.get(cell) is None)
    pages = sorted((course_root / "feedback" / result.student / report.assignment).glob("*.html"))
    links = tuple((page.stem, "/".join(quote(part) for part in Path(os.path.relpath(page, page_folder)).parts))
                  for page in pages)
    return StudentRow(result.student, auto, awaiting, failures, links)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ assignment }}: class report</title><style>{{ style }}</style></head>
<body>
<h1>{{ assignment }}: class report</h1>
<p id="summary">{{ students | length }} graded{% if not_graded %}, {{ not_graded | length }} not graded{% endif %};
{% if median is not none %}median automatic score {{ "%g" % median }} of {{ "%g" % auto_max }}; {% endif %}
{{ awaiting | length }} awaiting manual grading.</p>

<h2>Scores per graded cell</h2>
<p class="key"><span class="full"></span>full marks<span class="partial"></span>partial<span class="zero"></span>no
marks<span class="awaiting"></span>awaiting manual grading</p>
<table id="scores"><tr><th>exercise</th><th>graded cell</th><th>points</th><th>distribution</th><th>full</th>
<th>partial</th><th>none</th><th>awaiting</th></tr>
{% for row in cells %}
<tr><td>{{ row.exercise }}</td><td>{{ row.cell }}{% if row.cell in manual_cells %} (manual){% endif %}</td>
<td class="number">{{ "%g" % row.max_score }}</td>
<td><div class="bar" title="{{ row.full }} full, {{ row.partial }} partial, {{ row.zero }} none, {{ row.awaiting }} awaiting">
{% for kind in ("full", "partial", "zero", "awaiting") %}{% if row.total and row[kind] %}
<span class="{{ kind }}" style="width: {{ "%.1f" % (100 * row[kind] / row.total) }}%"></span>{% endif %}{% endfor %}
</div></td>
<td class="number">{{ row.full }}</td><td class="number">{{ row.partial }}</td><td class="number">{{ row.zero }}</td>
<td class="number">{{ row.awaiting }}</td></tr>
{% endfor %}
</table>

<h2>Mistakes the checks named</h2>
{% if named %}
<table id="named-mistakes"><tr><th>students</th><th>mistake</th><th>one student's message</th></tr>
{% for group in named %}
<tr><td class="number">{{ group.students | length }}</td><td>{{ group.name }}</td>
<td><pre>{{ group.example.message }}</pre></td></tr>
{% endfor %}
</table>
{% else %}<p id="named-mistakes">No check named a mistake.</p>{% endif %}

<h2>Failures no check could name</h2>
<p class="note">Grouped by exercise and error signature (numbers blanked): candidates for a new entry in the
mistake catalogue.</p>
{% if unnamed %}
<table id="unnamed-failures"><tr><th>students</th><th>exercise: signature</th><th>who</th>
<th>one student's message</th></tr>
{% for group in unnamed %}
<tr><td class="number">{{ group.students | length }}</td><td>{{ group.name }}</td>
<td>{{ group.students | join(", ") }}</td><td><pre>{{ group.example.ename }}: {{ group.example.message }}</pre></td></tr>
{% endfor %}
</table>
{% else %}<p id="unnamed-failures">Every failure was named by a check.</p>{% endif %}

<h2>Awaiting manual grading</h2>
{% if awaiting %}
<ul id="awaiting">{% for row in awaiting %}<li>{{ row.student }}: {{ row.awaiting | join(", ") }}</li>{% endfor %}</ul>
{% else %}<p id="awaiting">Nobody: every answer is graded.</p>{% endif %}
{% if not_graded %}
<h2>Not graded</h2>
<ul id="not-graded">{% for student, reason in not_graded %}<li>{{ student }}: {{ reason }}</li>{% endfor %}</ul>
{% endif %}

<h2>Students</h2>
<table id="students"><tr><th>student</th><th>automatic score</th><th>failed checks</th><th>awaiting</th>
<th>feedback</th></tr>
{% for row in students %}
<tr><td>{{ row.student }}</td><td class="number">{{ "%g" % row.auto_score }} / {{ "%g" % auto_max }}</td>
<td class="number">{{ row.failures }}</td><td>{{ row.awaiting | join(", ") }}</td>
<td>{% for name, link in row.feedback %}<a href="{{ link }}">{{ name }}</a> {% else %}no feedback yet{% endfor %}</td>
</tr>
{% endfor %}
</table>
</body></html>
"""
