"""nbgrader configuration: the repository root is the course directory."""
import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

# The hidden test cells and the feedback preprocessor import the instructor-only
# `autograder` package from the course root: make it importable here and in the
# kernels nbgrader starts (they inherit this environment).
if COURSE_ROOT not in sys.path:
    sys.path.insert(0, COURSE_ROOT)
_pythonpath = os.environ.get("PYTHONPATH", "")
if COURSE_ROOT not in _pythonpath.split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (COURSE_ROOT, _pythonpath) if p)

c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "neural-coding")
c.CourseDirectory.root = COURSE_ROOT
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")

# Files that must never be released with an assignment.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# One cell may take this long; the notebooks run in well under 30 s in total.
c.Execute.timeout = 120

# A test cell a student deleted is added back from the gradebook and graded as usual.
c.OverwriteCells.add_missing_cells = True

# Autograding, as nbgrader does it, then two steps before the notebook is stored in autograded/
# (which the formgrader shows and feedback is made from): student markup is made inert by
# nbconvert's sanitiser (scripts, event handlers and unknown tags shown as text,
# application/javascript and other active outputs removed), and each written answer gets its
# marking guide (model answer and mark scheme) for the grader.
from nbconvert.preprocessors.sanitize import SanitizeHTML  # noqa: E402
from nbgrader.converters.autograde import Autograde  # noqa: E402
from nbgrader.preprocessors import CheckCellMetadata  # noqa: E402

from autograder.feedback import AddMarkingGuide  # noqa: E402

_autograde = [step for step in Autograde.autograde_preprocessors.default() if step is not CheckCellMetadata]
c.Autograde.autograde_preprocessors = [*_autograde, SanitizeHTML, AddMarkingGuide, CheckCellMetadata]
c.SanitizeHTML.enabled = True  # nbconvert's preprocessors are off unless enabled

# Feedback shows each failed check's message, never hidden-test code: hidden
# regions are removed and test-cell tracebacks shortened to their final line
# (a full traceback would quote the checking code); the marking guide is removed.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.feedback.RemoveMarkingGuide",
    "autograder.feedback.ShortenTestErrors",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Feedback and formgrader pages: HTML in outputs sanitised again as it is rendered, and maths
# rendered by the MathJax installed here, inlined into each page (never a CDN). nbconvert's
# templates load MathJax through their `base/mathjax.html.j2`; the course's copy of that file
# comes first on Jupyter's data path, which nbconvert searches for templates.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {"course_mathjax": "autograder.feedback.mathjax_source"}
_templates = os.path.join(COURSE_ROOT, "autograder", "templates")
if _templates not in os.environ.get("JUPYTER_PATH", "").split(os.pathsep):
    os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (_templates, os.environ.get("JUPYTER_PATH")) if p)
