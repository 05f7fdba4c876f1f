"""Every release notebook in JupyterLab, in Debian's chromium, as a student meets it.

For each notebook of ``release/`` (discovered, not listed), through the menus and buttons:

- the blank release, run to the end (*Run All Cells*, then *Run Selected Cell and All Below*
  after each error, since JupyterLab stops at the first), fails only with the stubs'
  ``NotImplementedError`` (and ``NameError`` for what a failed cell would have defined), in
  every visible test cell; nbgrader's *Validate* button reports exactly those test cells, with
  the same error, and the written answers as not answered yet;
- a solved copy (the release with the source's model answers, built like the example
  submissions) runs without an error or a stderr line; each explorer redraws its figure when a
  slider moves; *Validate* reports success.

Screenshots go to ``tests/system/screenshots/`` (git-ignored).
"""
import re
import time

import nbformat
import pytest

from autograder.examples import Example, build_submission
from conftest import REPO

from . import lab
from .conftest import screenshot

pytestmark = [pytest.mark.slow, pytest.mark.system]

RELEASE_NOTEBOOKS = sorted((REPO / "release").glob("*/*.ipynb"))
IDS = [path.parent.name for path in RELEASE_NOTEBOOKS]
RUN_TIMEOUT = 300  # s, one notebook run in the browser (each takes 5-25 s on 2 cores)
VALIDATE_TIMEOUT = 300  # s, nbgrader runs the notebook again in its own kernel
WIDGET_TIMEOUT = 120  # s, one redraw after a slider moves


def visible_test_cells(path) -> list[str]:
    """Sources of the release's test cells that hold code (hidden-only cells hold just comments)."""
    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            if any(line.strip() and not line.strip().startswith("#") for line in cell.source.splitlines()):
                cells.append(cell.source)
    return cells


def written_answers(path) -> list[str]:
    """Sources of the release's manually graded answer cells ("YOUR ANSWER HERE")."""
    return [cell.source for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade")
            and cell.metadata["nbgrader"].get("solution")]


def explorer_cells(path) -> list[int]:
    """Indices of the code cells that call one of the course's explorers (``sta_explorer(...)``, ...)."""
    return [index for index, cell in enumerate(nbformat.read(path, as_version=4).cells)
            if cell.cell_type == "code" and re.search(r"^\w*explorer\(", cell.source, flags=re.M)]


def same_code(a: str, b: str) -> bool:
    return a.split() == b.split()


@pytest.fixture(scope="module")
def notebook_root(lab_server):
    """``blank/<assignment>/<notebook>``: the release; ``solved/...``: the release with the model answers."""
    for path in RELEASE_NOTEBOOKS:
        assignment = path.parent.name
        release = nbformat.read(path, as_version=4)
        source = nbformat.read(REPO / "source" / assignment / path.name, as_version=4)
        for kind, notebook in (("blank", release), ("solved", build_submission(release, source, Example("solved")))):
            target = lab_server.root / kind / assignment / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
    return lab_server.root


@pytest.fixture
def notebook_page(page, lab_server, notebook_root):
    yield page
    lab_server.shut_down_kernels()


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=IDS)
def test_blank_release_fails_only_at_the_exercises_and_validate_agrees(path, notebook_page, lab_server):
    page, assignment, name = notebook_page, path.parent.name, f"{path.parent.name}-{path.stem}"
    lab.open_notebook(page, lab_server.page_url(f"blank/{assignment}/{path.name}"))
    started = time.monotonic()
    notebook, runs = lab.run_all(page, RUN_TIMEOUT)
    print(f"{assignment} blank: ran in {time.monotonic() - started:.0f} s, {runs} runs (one per stop at an error)")
    screenshot(page, f"{name}-blank-run")

    # Errors: NotImplementedError from a stub, or a NameError for a name that a failed cell would have set.
    failed_sources, unexpected = [], []
    for index, error, message in lab.errors(notebook):
        missing = re.fullmatch(r"name '(\w+)' is not defined", message)
        if error == "NotImplementedError" or (
                error == "NameError" and missing and any(re.search(rf"\b{missing[1]}\b", source)
                                                        for source in failed_sources)):
            failed_sources.append(notebook["cells"][index]["source"])
        else:
            unexpected.append((index, error, message))
    assert unexpected == [], f"errors other than the unfinished exercises: {unexpected}"
    tests = visible_test_cells(path)
    assert tests, "the release has test cells with visible code"
    erroring_tests = [source for source in tests if any(same_code(source, failed) for failed in failed_sources)]
    assert erroring_tests == tests, "every visible test cell fails on the blank release"

    verdict = lab.validate(page, VALIDATE_TIMEOUT)
    screenshot(page, f"{name}-blank-validate")
    lab.close_dialog(page)
    assert not verdict["success"], verdict["text"][:2000]
    # Validate reports the same test cells, each with the stub's NotImplementedError, and the written
    # answers, as not answered yet.
    answers = written_answers(path)
    reported_tests = [(source, error) for source, error in verdict["failed"]
                      if any(same_code(source, test) for test in tests)]
    reported_answers = [(source, error) for source, error in verdict["failed"]
                        if any(same_code(source, answer) for answer in answers)]
    assert len(reported_tests) == len(tests) and len(reported_answers) == len(answers), verdict["text"][:3000]
    assert len(verdict["failed"]) == len(tests) + len(answers), verdict["text"][:3000]
    assert all("NotImplementedError" in error for _, error in reported_tests), verdict["text"][:3000]
    assert all("You did not provide a response" in error for _, error in reported_answers), verdict["text"][:3000]


@pytest.mark.parametrize("path", RELEASE_NOTEBOOKS, ids=IDS)
def test_solved_copy_runs_clean_its_widgets_respond_and_validate_succeeds(path, notebook_page, lab_server):
    page, assignment, name = notebook_page, path.parent.name, f"{path.parent.name}-{path.stem}"
    lab.open_notebook(page, lab_server.page_url(f"solved/{assignment}/{path.name}"))
    started = time.monotonic()
    notebook, runs = lab.run_all(page, RUN_TIMEOUT)
    print(f"{assignment} solved: ran in {time.monotonic() - started:.0f} s")
    screenshot(page, f"{name}-solved-run")
    assert lab.errors(notebook) == [] and runs == 1
    assert lab.stderr_outputs(notebook) == []
    screenshot_each_figure(page, name)

    # Each cell that opens an explorer shows live sliders (progress bars are widgets too: not counted).
    explorers = [index for index in lab.widget_cells(notebook)
                 if lab.cell(page, index).locator(".widget-slider").count()]
    assert explorers == explorer_cells(path)
    for index in explorers:
        move_a_slider_and_see_the_figure_change(page, index, f"{name}-explorer-cell{index}")

    started = time.monotonic()
    verdict = lab.validate(page, VALIDATE_TIMEOUT)
    print(f"{assignment} solved: validated in {time.monotonic() - started:.0f} s")
    screenshot(page, f"{name}-solved-validate")
    lab.close_dialog(page)
    assert verdict["success"], verdict["text"][:3000]


def screenshot_each_figure(page, name: str) -> None:
    """One screenshot per figure the notebook draws (``<name>-figureNN.png``), each one loaded and drawn."""
    figures = page.locator(".jp-OutputArea-output img")
    assert figures.count() > 0, "the notebook drew no figure"
    for index in range(figures.count()):
        figure = figures.nth(index)
        figure.scroll_into_view_if_needed()
        width, height = figure.evaluate("image => [image.naturalWidth, image.naturalHeight]")
        assert width > 100 and height > 100, (index, width, height)
        screenshot(figure, f"{name}-figure{index:02d}")


def move_a_slider_and_see_the_figure_change(page, index: int, name: str) -> None:
    """Focus the explorer's first slider, press an arrow key, and wait for a different figure."""
    cell = lab.cell(page, index)
    slider = cell.locator(".widget-slider").first
    figure = cell.locator(".widget-output img").first
    figure.wait_for(timeout=WIDGET_TIMEOUT * 1000)
    slider.scroll_into_view_if_needed()
    readout, before = slider.locator(".widget-readout").inner_text(), figure.get_attribute("src")
    screenshot(cell, f"{name}-before")
    handle = slider.locator(".noUi-handle").first
    for key in ("ArrowLeft", "ArrowRight"):  # left, unless the slider starts at its minimum
        handle.focus()
        page.keyboard.press(key)
        page.wait_for_timeout(300)
        if slider.locator(".widget-readout").inner_text() != readout:
            break
    moved = slider.locator(".widget-readout").inner_text()
    assert moved != readout, f"the slider did not move (readout {readout!r})"
    deadline = time.monotonic() + WIDGET_TIMEOUT
    while True:
        images = cell.locator(".widget-output img")
        after = images.first.get_attribute("src") if images.count() else None
        if after and after != before:
            break
        assert time.monotonic() < deadline, f"no new figure {WIDGET_TIMEOUT} s after {readout} -> {moved}"
        page.wait_for_timeout(250)
    screenshot(cell, f"{name}-after")

