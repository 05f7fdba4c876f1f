"""Example submissions keep each stub's own lines around the code a student writes."""
import nbformat
import pytest

from autograder.examples import Example, build_submission, replace_solution_region, solution_for

STUB = 'def f(x):\n    """Doc."""\n    x = float(x)\n    # hint\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION'


def test_the_solution_region_is_replaced_and_everything_else_kept():
    assert replace_solution_region(STUB, "    return x + x\n") == (
        'def f(x):\n    """Doc."""\n    x = float(x)\n    # hint\n    return x + x')
    assert replace_solution_region("A written answer.", "Mine.") == "Mine."


def _notebooks():
    meta = {"nbgrader": {"solution": True, "grade": False, "grade_id": "f"}}
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(STUB, metadata=meta)])
    release = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'def f(x):\n    """Doc."""\n    x = float(x)\n    # hint\n    # YOUR CODE HERE\n    raise NotImplementedError()',
        metadata=meta)])
    return release, source


def test_examples_get_model_answers_their_own_code_or_nothing():
    release, source = _notebooks()
    perfect = build_submission(release, source, Example("perfect"))
    assert "return 2 * x" in perfect.cells[0].source and "BEGIN SOLUTION" not in perfect.cells[0].source
    mistaken = build_submission(release, source, Example("m", answers=solution_for("f")("    return x\n")))
    assert mistaken.cells[0].source.endswith("# hint\n    return x") and '"""Doc."""' in mistaken.cells[0].source
    assert build_submission(release, source, Example("b", blank=True)).cells[0].source == release.cells[0].source
    with pytest.raises(ValueError, match="unknown cells"):
        build_submission(release, source, Example("x", answers={"g": "pass"}))
