"""Pairs of submissions whose answers are suspiciously alike, scored with copydetect (MOSS-style winnowing).

Only what students wrote is compared. In each answer cell, the lines of the released
stub (signature, docstring, given lines) are removed by aligning the cell with the
release notebook's; code students added in other cells is compared as one more
"cell". Fingerprints that also occur anywhere in the release notebook's code are
boilerplate, which copydetect discards.

copydetect tokenises the code with Pygments, drops comments and whitespace and
replaces every name by one letter, so renamed variables and changed comments do not
hide a copy; its fingerprints are runs of ``noise`` characters of that token text,
so statements moved around keep most of theirs. Every run is kept (a winnowing
window of 1, copydetect's default), which makes the scores independent of Python's
per-process string hashing. Runs shorter than ``noise`` are not evidence: a one-line
answer that many students write alike cannot make a pair suspicious on its own.
"""
from __future__ import annotations

import difflib
import io
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

NOISE = 25  # copydetect's default noise threshold (characters of token text)
THRESHOLD = 0.6  # share of one student's own code found in the other's
MIN_OVERLAP = 40  # token-text characters two students must share to be listed at all
OTHER_CODE = "code outside the answer cells"


@dataclass(frozen=True)
class CellMatch:
    """The overlap of two students' code in one answer cell."""

    cell: str
    similarity: tuple[float, float]  # share of each student's code in this cell found in the other's
    marked: tuple[str, str]  # each student's code, HTML-escaped, shared regions in <mark>


@dataclass(frozen=True)
class SimilarPair:
    """Two students whose answers overlap."""

    students: tuple[str, str]
    similarity: tuple[float, float]  # share of each student's own code (all cells) found in the other's
    overlap: int  # shared token-text characters, summed over cells
    matches: tuple[CellMatch, ...]

    @property
    def score(self) -> float:
        return max(self.similarity)


@dataclass
class SimilarityReport:
    """Every flagged pair of one assignment, most similar first."""

    assignment: str
    students: list[str]
    cells: list[str]
    pairs: list[SimilarPair]
    threshold: float
    unreadable: dict[str, str] = field(default_factory=dict)  # student -> why the submission was skipped


def find_similar(course_root: Path, assignment: str, threshold: float = THRESHOLD,
                 noise: int = NOISE) -> SimilarityReport:
    """Compare every pair of ``submitted/<student>/<assignment>/`` notebooks.

    Parameters
    ----------
    course_root : Path
        The nbgrader course directory (``release/<assignment>/`` and ``submitted/`` inside).
    assignment : str
        Assignment id, e.g. ``"a1_lnp_sta"``.
    threshold : float
        A pair is flagged when at least this share of one student's own code (all
        cells together, in token-text characters) is found in the other's.
    noise : int
        Shortest run of token text (characters) that counts as shared.
    """
    course_root = Path(course_root)
    release = _release_notebooks(course_root, assignment)
    boilerplate = _boilerplate(release, noise)
    code, unreadable = {}, {}
    for folder in sorted((course_root / "submitted").glob(f"*/{assignment}")):
        try:
            code[folder.parent.name] = own_code(folder, release)
        except (OSError, ValueError) as error:  # nbformat's errors are ValueErrors
            unreadable[folder.parent.name] = f"unreadable notebook: {error}"
    cells = list(dict.fromkeys(cell for cells in code.values() for cell in cells))
    pairs = compare(code, cells, boilerplate, threshold, noise)
    return SimilarityReport(assignment, sorted(code), cells, pairs, threshold, unreadable)


def own_code(folder: Path, release: dict[str, nbformat.NotebookNode]) -> dict[str, str]:
    """What the student wrote, per answer cell: ``{cell label: code}``.

    An answer cell keeps the lines that are not the released stub's; code cells that
    are not answer cells keep the lines the release notebook does not have, gathered
    under :data:`OTHER_CODE`.
    """
    code: dict[str, str] = {}
    other: list[str] = []
    several = len(release) > 1
    for name, given in release.items():
        path = folder / f"{name}.ipynb"
        if not path.exists():
            continue
        stubs = {_grade_id(cell): cell.source for cell in given.cells if _is_answer(cell)}
        given_lines = {line.strip() for cell in given.cells if cell.cell_type == "code"
                       for line in cell.source.splitlines()}
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            grade_id = _grade_id(cell)
            if grade_id in stubs:
                code[f"{name}: {grade_id}" if several else grade_id] = _added_lines(stubs[grade_id], cell.source)
            else:
                other += [line for line in cell.source.splitlines() if line.strip() not in given_lines]
    if other:
        code[OTHER_CODE] = "\n".join(other)
    return code


def compare(code: dict[str, dict[str, str]], cells: list[str], boilerplate: np.ndarray, threshold: float,
            noise: int) -> list[SimilarPair]:
    """Flagged pairs, most similar first. Only pairs sharing a fingerprint in some cell are compared."""
    from copydetect import CodeFingerprint

    prints = {student: {cell: CodeFingerprint(f"{student}.py", noise, 1, boilerplate, language="python",
                                              fp=io.StringIO(text))
                        for cell, text in by_cell.items()}
              for student, by_cell in code.items()}
    candidates = set()
    for cell in cells:
        holders: dict[int, list[str]] = {}
        for student in prints:
            if cell in prints[student]:
                for value in prints[student][cell].hashes:
                    holders.setdefault(value, []).append(student)
        for students in holders.values():
            candidates.update(itertools.combinations(sorted(students), 2))
    pairs = [pair for a, b in sorted(candidates) if (pair := _compare_pair(a, b, prints, cells, threshold))]
    return sorted(pairs, key=lambda pair: (-pair.score, -pair.overlap, pair.students))


def _compare_pair(a: str, b: str, prints, cells: list[str], threshold: float) -> SimilarPair | None:
    from copydetect import compare_files
    from copydetect.utils import highlight_overlap

    shared = np.zeros(2)
    matches = []
    for cell in cells:
        if cell not in prints[a] or cell not in prints[b]:
            continue
        first, second = prints[a][cell], prints[b][cell]
        overlap, similarity, slices = compare_files(first, second)
        if overlap == 0:
            continue
        shared += [similarity[0] * first.token_coverage, similarity[1] * second.token_coverage]
        marked = tuple(highlight_overlap(fingerprint.raw_code, cut, "<mark>", "</mark>", escape_html=True)[0]
                       for fingerprint, cut in zip((first, second), slices))
        matches.append(CellMatch(cell, (float(similarity[0]), float(similarity[1])), marked))
    coverage = np.array([sum(fp.token_coverage for fp in prints[student].values()) for student in (a, b)])
    similarity = tuple(float(s) for s in np.divide(shared, coverage, out=np.zeros(2), where=coverage > 0))
    overlap = int(round(shared.min()))
    if max(similarity) < threshold or overlap < MIN_OVERLAP:
        return None
    return SimilarPair((a, b), similarity, overlap, tuple(matches))


def write_similarity_report(report: SimilarityReport, path: Path) -> Path:
    """An HTML page (no external resources): each flagged pair, cell by cell, side by side, shared code marked."""
    from .html import render

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(PAGE, report=report), encoding="utf-8")
    return path


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ report.assignment }}: similar submissions</title><style>{{ style }}</style></head>
<body>
<h1>{{ report.assignment }}: similar submissions</h1>
<p>{{ report.students | length }} submissions compared; {{ report.pairs | length }} pair(s) in which at least
{{ "%.0f" % (report.threshold * 100) }}% of one student's own code is found in the other's.
Only what students wrote counts: the released stubs and the notebook's own code are left out; names,
comments and layout are ignored (copydetect's winnowing fingerprints).</p>
{% if report.unreadable %}
<p>Not compared:</p><ul>
{% for student, reason in report.unreadable.items() %}<li>{{ student }}: {{ reason }}</li>{% endfor %}
</ul>
{% endif %}
{% if report.pairs %}
<table id="pairs"><tr><th>student</th><th>student</th><th>share of the first's code</th>
<th>share of the second's code</th><th>cells</th></tr>
{% for pair in report.pairs %}
<tr><td><a href="#pair-{{ loop.index }}">{{ pair.students[0] }}</a></td><td>{{ pair.students[1] }}</td>
<td class="number">{{ "%.0f" % (pair.similarity[0] * 100) }}%</td>
<td class="number">{{ "%.0f" % (pair.similarity[1] * 100) }}%</td>
<td>{{ pair.matches | map(attribute="cell") | join(", ") }}</td></tr>
{% endfor %}
</table>
{% else %}
<p id="no-pairs">No pair of submissions is similar enough to list.</p>
{% endif %}
{% for pair in report.pairs %}
<section class="similar-pair" id="pair-{{ loop.index }}">
<h2>{{ pair.students[0] }} and {{ pair.students[1] }}</h2>
{% for match in pair.matches %}
<h3>{{ match.cell }}: {{ "%.0f" % (match.similarity[0] * 100) }}% and {{ "%.0f" % (match.similarity[1] * 100) }}%
shared</h3>
<div class="pair">
{# copydetect escaped the code itself and put <mark> around the shared regions #}
<div><div class="note">{{ pair.students[0] }}</div><pre>{{ match.marked[0] | safe }}</pre></div>
<div><div class="note">{{ pair.students[1] }}</div><pre>{{ match.marked[1] | safe }}</pre></div>
</div>
{% endfor %}
</section>
{% endfor %}
</body></html>
"""


def _release_notebooks(course_root: Path, assignment: str) -> dict[str, nbformat.NotebookNode]:
    paths = sorted((course_root / "release" / assignment).glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no release notebook in {course_root / 'release' / assignment} "
                                "(the stubs are left out of the comparison: generate the release first)")
    return {path.stem: nbformat.read(path, as_version=4) for path in paths}


def _boilerplate(release: dict[str, nbformat.NotebookNode], noise: int) -> np.ndarray:
    """Fingerprints of every code cell of the release notebooks (given code, stubs)."""
    from copydetect import CodeFingerprint

    hashes = set()
    for notebook in release.values():
        for cell in notebook.cells:
            if cell.cell_type == "code":
                hashes |= CodeFingerprint("release.py", noise, 1, language="python", fp=io.StringIO(cell.source)).hashes
    return np.array(sorted(hashes), dtype=np.int64)


def _added_lines(stub: str, answer: str) -> str:
    """The lines of ``answer`` that are not aligned with a line of ``stub``."""
    given, written = stub.splitlines(), answer.splitlines()
    matcher = difflib.SequenceMatcher(None, given, written, autojunk=False)
    return "\n".join(line for tag, _, _, start, end in matcher.get_opcodes() if tag != "equal"
                     for line in written[start:end])


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _is_answer(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("solution"))


def command_similarity(arguments) -> int:
    """``python -m autograder similarity``: print the flagged pairs and write the HTML report."""
    try:
        report = find_similar(arguments.course_dir, arguments.assignment, threshold=arguments.threshold)
    except FileNotFoundError as error:
        print(f"similarity: {error}", file=sys.stderr)
        return 2
    path = write_similarity_report(
        report, arguments.output or arguments.course_dir / "reports" / f"{arguments.assignment}-similarity.html")
    print(format_pairs(report))
    for student, reason in report.unreadable.items():
        print(f"{student}: not compared ({reason})", file=sys.stderr)
    print(f"\nsimilarity report: {path}")
    return 0


def format_pairs(report: SimilarityReport) -> str:
    """One line per flagged pair: both students, both shares, the cells they share."""
    lines = [f"{report.assignment}: {len(report.students)} submissions compared, {len(report.pairs)} pairs share "
             f"at least {report.threshold:.0%} of one student's code"]
    for pair in report.pairs:
        a, b = pair.students
        cells = ", ".join(match.cell for match in pair.matches)
        lines.append(f"  {a} / {b}: {pair.similarity[0]:.0%} / {pair.similarity[1]:.0%}  ({cells})")
    return "\n".join(lines)


def add_similarity_parser(commands) -> None:
    """The ``similarity`` subcommand."""
    parser = commands.add_parser("similarity", help="pairs of submissions whose answers are suspiciously alike")
    parser.add_argument("assignment")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help=f"flag a pair when this share of one student's code is in the other's "
                             f"(default {THRESHOLD})")
    parser.add_argument("--output", type=Path, default=None, help="default: reports/ASSIGNMENT-similarity.html")
    parser.set_defaults(run=command_similarity)
