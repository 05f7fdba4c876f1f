"""The class at a glance: how each question was scored, and which mistakes the hidden checks named."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

MISTAKE = re.compile(r"it looks like you (.+?)(?:\.|:|;| \[inputs|$)")


def named_mistakes(notes: list[str]) -> list[str]:
    """The mistakes named in one student's failure notes ("it looks like you ...")."""
    return [match.group(1).strip() for note in notes for match in [MISTAKE.search(note)] if match]


def write_score_figure(report, path: Path) -> None:
    """Left: per autograded question, how many students got full, partial or no marks.
    Right: how often each known mistake was named."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = [cell for cell in report.cells if cell not in report.manual_cells]
    full, partial, zero = [], [], []
    for cell in cells:
        scores = [result.scores.get(cell) for result in report.results if result.scores.get(cell) is not None]
        top = report.max_scores[cell]
        full.append(sum(score >= top for score in scores))
        zero.append(sum(score <= 0 for score in scores))
        partial.append(len(scores) - full[-1] - zero[-1])
    mistakes = Counter(m for result in report.results for m in named_mistakes(result.notes)).most_common(15)

    figure, (left, right) = plt.subplots(1, 2, figsize=(14, max(3.0, 0.35 * max(len(cells), len(mistakes), 1) + 1.5)))
    rows = range(len(cells))
    left.barh(rows, full, color="tab:green", label="full marks")
    left.barh(rows, partial, left=full, color="tab:orange", label="partial")
    left.barh(rows, zero, left=[f + p for f, p in zip(full, partial)], color="tab:red", label="0")
    left.set_yticks(list(rows), cells, fontsize=8)
    left.invert_yaxis()
    left.set_xlabel("students")
    left.set_title(f"{report.assignment}: scores per autograded cell ({len(report.results)} graded)")
    left.legend(loc="lower right", fontsize=8)
    if mistakes:
        names = [_clip(name, 60) for name, _ in mistakes]
        right.barh(range(len(mistakes)), [count for _, count in mistakes], color="tab:purple")
        right.set_yticks(list(range(len(mistakes))), names, fontsize=8)
        right.invert_yaxis()
        right.set_xlabel("students")
    else:
        right.text(0.5, 0.5, "no known mistake named", ha="center", va="center", transform=right.transAxes)
        right.set_axis_off()
    right.set_title("mistakes named by the hidden checks")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
