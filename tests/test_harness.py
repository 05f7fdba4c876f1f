"""The pieces every hidden check is built from."""
import warnings

import nbformat
import numpy as np
import pytest

from autograder.feedback import ShortenTestErrors
from autograder.harness import (CheckFailed, Mistake, as_float, as_float_array, call_student, judge,
                                require_dependence_on_inputs, require_own_arguments)
from course.checks import names_replaced


def test_call_student_passes_copies_and_reports_changed_inputs():
    data = np.arange(5.0)

    def centres_in_place(values):
        values -= values.mean()
        return values

    with pytest.raises(CheckFailed, match="changed its argument `values` in place"):
        call_student(centres_in_place, "f", {"values": data})
    assert np.array_equal(data, np.arange(5.0))


def test_call_student_reports_errors_and_unimplemented_functions():
    def unfinished(x):
        raise NotImplementedError()

    with pytest.raises(CheckFailed, match="not implemented yet"):
        call_student(unfinished, "f", {"x": 1})
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        call_student(lambda x: 1 / x, "f", {"x": 0})
    with pytest.raises(CheckFailed, match="not a function"):
        call_student(None, "f", {"x": 0})


def test_warnings_of_a_correct_answer_never_reach_stderr(capfd):
    def noisy(x):
        warnings.warn("harmless", RuntimeWarning)
        return np.log(np.zeros(1)) * 0 + x  # numpy divide warning too

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any escaping warning would raise here
        assert call_student(noisy, "f", {"x": 2.0}).shape == (1,)
    assert capfd.readouterr().err == ""


def test_results_must_be_numbers():
    with pytest.raises(CheckFailed, match="returned None"):
        as_float_array(None, "f")
    with pytest.raises(CheckFailed, match="not an array of numbers"):
        as_float_array({"a": 1}, "f")
    with pytest.raises(CheckFailed, match="single number"):
        as_float(np.ones(3), "f")
    assert as_float(np.array([2.5]), "f") == 2.5


def test_judge_accepts_variants_and_names_mistakes_in_order():
    inputs = (np.array([1.0, 2.0, 3.0]),)
    expected = inputs[0] * 2
    judge(expected + 1e-12, expected, name="f", inputs=inputs)
    judge(inputs[0] * 3, expected, name="f", inputs=inputs, accepted=(lambda x: x * 3,))
    doubled_twice = Mistake("doubled twice", lambda x: x * 4)
    with pytest.raises(CheckFailed, match="looks like you doubled twice"):
        judge(inputs[0] * 4, expected, name="f", inputs=inputs, mistakes=(doubled_twice,))
    with pytest.raises(CheckFailed, match=r"shape \(2,\); expected shape \(3,\)\. one per pair"):
        judge(np.ones(2), expected, name="f", inputs=inputs, shape_messages={(2,): "one per pair"})
    with pytest.raises(CheckFailed, match="NaN or infinite"):
        judge(np.full(3, np.nan), expected, name="f", inputs=inputs)
    with pytest.raises(CheckFailed, match="wrong values"):
        judge(expected + 1, expected, name="f", inputs=inputs)


def test_constant_answers_are_caught():
    rng = np.random.default_rng(0)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        require_dependence_on_inputs(lambda x: np.ones(3), "f", lambda: {"x": rng.normal(size=3)})
    require_dependence_on_inputs(lambda x: 2 * x, "f", lambda: {"x": rng.normal(size=3)})


def test_names_replaced_restores_the_students_namespace():
    namespace = {}
    exec("def helper():\n    return 'student'\ndef uses_helper():\n    return helper()\n", namespace)
    with names_replaced(namespace["uses_helper"], helper=lambda: "reference", absent=print):
        assert namespace["uses_helper"]() == "reference"
        assert "absent" not in namespace
    assert namespace["uses_helper"]() == "student"


def test_feedback_keeps_only_the_last_line_of_test_cell_errors():
    error = nbformat.v4.new_output("error", ename="CheckFailed", evalue="f: it looks like you x",
                                   traceback=["Traceback", "  check(f)  # hidden line", "CheckFailed: ..."])
    test_cell = nbformat.v4.new_code_cell("check(f)", outputs=[error],
                                          metadata={"nbgrader": {"grade": True, "solution": False,
                                                                 "grade_id": "t", "points": 1}})
    answer_cell = nbformat.v4.new_code_cell("def f(): ...", outputs=[nbformat.from_dict(dict(error))],
                                            metadata={"nbgrader": {"grade": False, "solution": True,
                                                                   "grade_id": "a"}})
    notebook = nbformat.v4.new_notebook(cells=[test_cell, answer_cell])
    assert ShortenTestErrors().enabled  # nbconvert would register a disabled preprocessor silently
    notebook, _ = ShortenTestErrors().preprocess(notebook, {})
    assert notebook.cells[0].outputs[0].traceback == ["CheckFailed: f: it looks like you x"]
    assert len(notebook.cells[1].outputs[0].traceback) == 3


def test_float32_answers_pass_and_near_misses_are_told_so():
    rng = np.random.default_rng(1)
    expected = rng.normal(size=200) * np.logspace(-6, 0, 200)  # entries of very different sizes
    judge(expected.astype(np.float32).astype(float), expected, name="f", inputs=())
    with pytest.raises(CheckFailed, match="close to the answer but not close enough"):
        judge(expected * (1 + 3e-4), expected, name="f", inputs=())
    with pytest.raises(CheckFailed, match="wrong values"):  # far off: not a rounding matter
        judge(np.round(expected, 2), expected, name="f", inputs=())


def test_failure_messages_name_the_seed_that_reproduces_them(monkeypatch):
    from autograder import harness

    monkeypatch.setenv("AUTOGRADER_SEED", "1234")
    first = harness.fresh_rng().normal(size=3)
    assert np.array_equal(first, harness.fresh_rng().normal(size=3))
    with pytest.raises(CheckFailed, match=r"\[inputs: seed 1234\]"):
        judge(np.zeros(3), np.ones(3), name="f", inputs=())


def test_functions_reading_notebook_arrays_are_named():
    namespace = {"np": np, "natural_images": np.ones((3, 2)), "scale": 2.0}
    exec("def f(x):\n    return x @ natural_images.T * scale\n"
         "def g(x):\n    return [scale * v for v in x]\n", namespace)
    with pytest.raises(CheckFailed, match="reads the notebook variable.s. natural_images"):
        require_own_arguments(namespace["f"], "f")
    require_own_arguments(namespace["g"], "g")  # a number from the notebook is not an array
