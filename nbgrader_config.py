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

# Feedback shows each failed check's message, never hidden-test code: hidden
# regions are removed and test-cell tracebacks shortened to their final line
# (a full traceback would quote the checking code).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.feedback.ShortenTestErrors",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
