"""nbgrader preprocessor that keeps checking code out of students' feedback."""
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor


class ShortenTestErrors(NbGraderPreprocessor):  # nbgrader's base: enabled by default, unlike nbconvert's
    """Reduce each error in a test cell to its last line, e.g. ``CheckFailed: ...``.

    A full traceback quotes the source lines of every frame, including the hidden
    test cell and the checker's own code. The last line carries the diagnosis,
    which is what the student needs. Answer cells keep their full tracebacks.
    """

    def preprocess_cell(self, cell, resources, index):
        is_test_cell = cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)
        if is_test_cell:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources
