"""The notebooks' text as a student reads it: quoted numbers shown above, code that fits a laptop
screen, and an opening that says what the notebook teaches, what it needs and how long it takes.

The number check itself runs on every executed notebook in test_pipeline.py; here it is tested
on small notebooks made by the tests (ones that must pass, ones that must fail).
"""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from conftest import ASSIGNMENTS, REPO
from notebook_text import claim_text, numbers_in, unquoted_numbers

MAX_CODE_LINE = 100  # characters: a laptop screen with JupyterLab's file browser open


def executed(*cells):
    """A notebook of (markdown text) and (code, printed text) cells, as if executed."""
    notebook = new_notebook()
    for cell in cells:
        if isinstance(cell, str):
            notebook.cells.append(new_markdown_cell(cell))
        else:
            code, printed = cell
            notebook.cells.append(new_code_cell(code, outputs=[new_output("stream", name="stdout", text=printed)]))
    return notebook


# --- the number check, on notebooks made here ------------------------------------------------


def test_a_quoted_number_printed_above_passes():
    notebook = executed(("print(f'{r:.3f}')", "r = 0.768\n"), "You should see r = 0.768.")
    assert unquoted_numbers(notebook) == []


def test_a_quoted_number_printed_only_below_or_nowhere_fails():
    notebook = executed("You should see r = 0.768 and 52 of the 8000 images.", ("print(r)", "0.768\n"))
    assert unquoted_numbers(notebook) == [(0, "0.768"), (0, "52"), (0, "8000")]


def test_a_number_printed_more_precisely_may_be_quoted_rounded_but_not_changed():
    notebook = executed(("print(info)", "true information 229.4 rad^-2, 242.5 and 313.5\n"),
                        "You should see about 229 rad⁻², then 243 and 314.",
                        "You should see 230 rad⁻² and 229.5.")
    assert unquoted_numbers(notebook) == [(2, "230"), (2, "229.5")]


def test_thousands_separators_signs_and_latex_are_read_as_numbers():
    notebook = executed(("print(nll, rate, count)", "-37647 -82 2.866e+07 16867\n"),
                        "You should see $-37{,}647$, −82°, $2.9\\times10^{7}$ and 16,867.")
    assert unquoted_numbers(notebook) == []
    assert numbers_in("$10^{-16}$, section 6, assignment 3, (Neftci, 2019), 1/12 = 8.3%") == ["10", "1", "12", "8.3"]


def test_numbers_set_in_code_or_stated_in_earlier_text_count_as_shown():
    notebook = executed("Each image has 100 pixels.", ("images = make(n=8000)", ""),
                        "You should see 8000 images of 100 pixels.")
    assert unquoted_numbers(notebook) == []


def test_only_what_should_be_seen_is_checked_up_to_a_new_topic():
    text = ("Some theory with 55 in it.\n\nYou should see 0.41.\n\nAnd then 0.26 below it.\n\n"
            "**Explore.** Move the 200 sliders.")
    assert claim_text(text) == "You should see 0.41.\n\nAnd then 0.26 below it."
    assert claim_text("You should see 0.41.\n\n*Think:* why 2?\n\nThe next cell takes 15 s.") == \
        "You should see 0.41."
    notebook = executed(("print(a)", "0.41\n"), text)
    assert unquoted_numbers(notebook) == [(1, "0.26")]


def test_model_answers_are_not_checked():
    notebook = executed("You should see 0.5.")
    notebook.cells[0].metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "answer"}
    assert unquoted_numbers(notebook) == []


# --- what every notebook's text does -----------------------------------------------------------


def notebook_paths():
    return [path for folder in ("source", "release") for assignment in ASSIGNMENTS
            for path in sorted((REPO / folder / assignment).glob("*.ipynb"))]


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: f"{path.parent.parent.name}/{path.parent.name}")
def test_code_the_student_reads_fits_a_laptop_screen(path):
    """Lines of the notebook's own code cells fit; graded cells keep their text (the gradebook holds it)."""
    too_long = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade_id"):
            continue
        too_long += [(index, line) for line in cell.source.splitlines() if len(line) > MAX_CODE_LINE]
    assert too_long == [], f"code lines over {MAX_CODE_LINE} characters: {too_long}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_notebook_opens_with_objectives_prerequisites_and_time(assignment):
    for path in sorted((REPO / "source" / assignment).glob("*.ipynb")):
        opening = nbformat.read(path, as_version=4).cells[0].source
        for heading in ("**You will learn", "**You need", "**Time.**"):
            assert heading in opening, f"{path.name}: the first cell lacks {heading!r}"
        prompts = [cell for cell in nbformat.read(path, as_version=4).cells
                   if cell.cell_type == "markdown" and "*Think:*" in cell.source]
        assert prompts, f"{path.name}: no short *Think:* prompt between the explanations"
