"""Driving JupyterLab 4 in a browser as a student does: menus, cells, widgets, nbgrader's Validate button.

Actions go through the page (menu bar, clicks, keys). What the notebook holds afterwards
(execution counts, outputs) is read from the page's own notebook model, which JupyterLab
exposes as ``window.jupyterapp`` when started with ``--LabApp.expose_app_in_browser=True``.
"""
from __future__ import annotations

import re
import time

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

NOTEBOOK_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) return null;
  const session = panel.sessionContext.session;
  const kernel = session && session.kernel;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    const code = cell.type === 'code';
    cells.push({type: cell.type, source: cell.sharedModel.getSource(),
                execution_count: code ? cell.executionCount : null,
                running: code && cell.executionState === 'running',
                outputs: code ? cell.outputs.toJSON() : []});
  }
  return {kernel: kernel ? kernel.status : null, active: panel.content.activeCellIndex, cells: cells};
}"""


def state(page) -> dict:
    """The open notebook: kernel status, active cell, and each cell's source, count and outputs."""
    return page.evaluate(NOTEBOOK_STATE)


def open_notebook(page, url: str, timeout: float = 90) -> dict:
    """Open a notebook in an empty workspace and wait until its kernel is idle."""
    page.goto(url)
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=timeout * 1000)
    return wait_until(page, lambda s: s and s["kernel"] == "idle" and s["cells"], timeout, "the kernel to start")


def wait_until(page, condition, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        current = state(page)
        if condition(current):
            return current
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.25)


def menu(page, top: str, item: str) -> None:
    """Click ``top`` in the menu bar, then ``item`` in the menu it opens."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).first.click()


def is_settled(current: dict | None) -> bool:
    return bool(current) and current["kernel"] == "idle" and not any(cell["running"] for cell in current["cells"])


def wait_for_cell(page, index: int, timeout: float) -> dict:
    """Wait until cell ``index`` has run and nothing else runs or waits to run."""
    settled_since = None
    deadline = time.monotonic() + timeout
    while True:
        current = state(page)
        done = current["cells"][index]["execution_count"] is not None and is_settled(current)
        if done:
            settled_since = settled_since or time.monotonic()
            if time.monotonic() - settled_since > 0.5:  # the kernel stays idle: the run is over
                return current
        else:
            settled_since = None
        if time.monotonic() > deadline:
            running = [i for i, cell in enumerate(current["cells"]) if cell["running"]]
            raise TimeoutError(f"cell {index} had not finished after {timeout:g} s (cells still running: {running})")
        time.sleep(0.25)


def cell(page, index: int):
    """The page element of the open notebook's cell ``index``."""
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)


def select_cell(page, index: int) -> None:
    """Select cell ``index`` by clicking its input prompt (command mode).

    Clicks again if the page moved under the pointer (rendered markdown and maths shift the cells).
    """
    target = cell(page, index)
    for _ in range(5):
        target.locator(".jp-InputPrompt").first.click()
        page.wait_for_timeout(200)
        if target.evaluate("element => element.classList.contains('jp-mod-active')"):
            return
    raise AssertionError(f"cell {index} could not be selected")


def code_cells_to_run(current: dict) -> list[int]:
    return [index for index, cell in enumerate(current["cells"])
            if cell["type"] == "code" and cell["source"].strip()]


def run_all(page, timeout: float) -> tuple[dict, int]:
    """*Run → Run All Cells*; after each error, *Run Selected Cell and All Below* from the next cell.

    JupyterLab stops a run at the first error (the kernel aborts the queued cells), as it
    does for a student; resuming below each error runs every cell once, in order, like
    nbgrader does. Returns the notebook's final state and the number of runs it took.
    """
    deadline = time.monotonic() + timeout
    to_run = code_cells_to_run(state(page))
    menu(page, "Run", "Run All Cells")
    current, runs, last = wait_for_cell(page, to_run[0], timeout), 1, -1
    while True:
        waiting = [index for index in to_run if current["cells"][index]["execution_count"] is None]
        if not waiting:
            return current, runs
        resume = waiting[0]
        if resume <= last:
            raise AssertionError(f"cell {resume} does not run: {current['cells'][resume]['source'][:200]!r}")
        select_cell(page, resume)
        menu(page, "Run", "Run Selected Cell and All Below")
        current = wait_for_cell(page, resume, max(deadline - time.monotonic(), 1))
        runs, last = runs + 1, resume


def errors(current: dict) -> list[tuple[int, str, str]]:
    """(cell index, exception name, message) of every error output."""
    return [(index, output["ename"], output["evalue"]) for index, cell in enumerate(current["cells"])
            for output in cell["outputs"] if output["output_type"] == "error"]


def stderr_outputs(current: dict) -> list[tuple[int, str]]:
    return [(index, "".join(output["text"]) if isinstance(output["text"], list) else output["text"])
            for index, cell in enumerate(current["cells"])
            for output in cell["outputs"] if output["output_type"] == "stream" and output["name"] == "stderr"]


def widget_cells(current: dict) -> list[int]:
    """Cells whose output is a live widget."""
    return [index for index, cell in enumerate(current["cells"])
            if any(WIDGET_VIEW in output.get("data", {}) for output in cell["outputs"])]


def validate(page, timeout: float) -> dict:
    """Click nbgrader's *Validate* button; return the dialog's verdict and close it.

    Returns ``{"success": bool, "failed": [(cell source, error text), ...], "text": dialog text}``.
    """
    page.locator(".jp-NotebookPanel:visible .validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=timeout * 1000)  # the results, or an error ("Validation failed")
    title = dialog.locator(".jp-Dialog-header").inner_text()
    assert title.strip() == "Validation Results", f"{title}: {dialog.inner_text()[:2000]}"
    verdict = dialog.evaluate("""dialog => {
      const body = dialog.querySelector('.jp-Dialog-body');
      const failed = dialog.querySelector('.validation-failed');
      const blocks = failed ? Array.from(failed.querySelectorAll('.jp-RenderedText pre')).map(p => p.innerText) : [];
      const pairs = [];
      for (let i = 0; i + 1 < blocks.length; i += 2) pairs.push([blocks[i], blocks[i + 1]]);
      return {success: !!dialog.querySelector('.validation-success'), failed: pairs, text: body.innerText};
    }""")
    return verdict


def close_dialog(page) -> None:
    page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    page.locator(".jp-Dialog").wait_for(state="detached")
