"""Progress bars for training loops: a bar in JupyterLab, silent when run headless.

tqdm writes to stderr and, in a notebook, draws an ipywidget. Under nbgrader
(``NBGRADER_EXECUTION``) or any headless run (``COURSE_STATIC_WIDGETS=1``) both
would be wrong: a graded cell that writes to stderr scores 0, and a headless
widget can stall execution. There the loop runs without a bar.
"""
from tqdm.auto import tqdm

from course.widgets import is_headless


def progress(iterable, description: str = "", **options):
    """``iterable`` wrapped in a tqdm bar labelled ``description``; no bar when headless.

    Parameters
    ----------
    iterable : iterable
        What the loop runs over, e.g. ``range(n_epochs)``.
    description : str
        Label shown left of the bar.
    **options
        Passed on to ``tqdm`` (e.g. ``total``, ``leave``).
    """
    return tqdm(iterable, desc=description, disable=is_headless(), **options)
