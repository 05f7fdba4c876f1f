"""Public checks for assignment 2 (maximum likelihood).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import numpy as np

from course.checks import as_number, as_vector, call_unchanged

# Three 2-pixel images and their spike counts, shared by the first two checks.
IMAGES = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
COUNTS = np.array([1, 1, 3])
FILTER = np.array([np.log(2.0), 0.0])  # rates exp(k . x_i) = [1, 2, 1]


def check_compute_NLL(compute_NLL):
    """The NLL at k = [log 2, 0] and at k = 0: their difference, so any constant in k is fine."""
    at_filter = as_number(call_unchanged(compute_NLL, FILTER, IMAGES, COUNTS), "compute_NLL")
    at_zero = as_number(call_unchanged(compute_NLL, np.zeros(2), IMAGES, COUNTS), "compute_NLL")
    # By hand: k.x_i = [0, log 2, 0], rates [1, 2, 1] then [1, 1, 1]: NLL 4 - log 2 and 3, plus any constant.
    assert np.isclose(at_filter - at_zero, 1 - np.log(2)), (
        f"compute_NLL gave {at_filter:.4f} at k = [log 2, 0] and {at_zero:.4f} at k = 0, a difference of "
        f"{at_filter - at_zero:.4f}. By hand the rates are [1, 2, 1] and [1, 1, 1], so the NLL is 4 - log 2 and 3 "
        "(plus a constant, such as sum_i log(y_i!), which cancels): a difference of 1 - log 2 = 0.3069."
    )
    print("compute_NLL passes the public checks.")


def check_compute_dNLL_dk(compute_dNLL_dk):
    """The gradient at k = [log 2, 0] for the same three images."""
    gradient = as_vector(call_unchanged(compute_dNLL_dk, FILTER, IMAGES, COUNTS), 2, "compute_dNLL_dk")
    assert np.allclose(gradient, [1.0, -2.0]), (
        f"compute_dNLL_dk gave {gradient}; worked out by hand (the rates are [1, 2, 1], the counts [1, 1, 3]) "
        "the gradient here is [1, -2]."
    )
    print("compute_dNLL_dk passes the public checks.")


def check_gradient_descent(gradient_descent, compute_NLL, compute_dNLL_dk):
    """Two images, one pixel each: the steps must agree with your own gradient and NLL."""
    images, counts, start = np.eye(2), np.array([3, 0]), np.zeros(2)
    result = gradient_descent(images, counts, start, n_steps=1, alpha=0.5)
    assert np.array_equal(start, np.zeros(2)), "gradient_descent changed init_guess in place; work on a copy."
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "gradient_descent should return two things: (k, NLL)."
    )
    one_step = as_vector(result[0], 2, "gradient_descent (k)")
    as_vector(result[1], 1, "gradient_descent (NLL) with n_steps=1")
    expected = start - 0.5 * np.asarray(compute_dNLL_dk(start, images, counts), dtype=float)
    assert np.allclose(one_step, expected), (
        f"after one step with alpha = 0.5 from k = 0, gradient_descent gave k = {one_step}; expected "
        f"k - alpha * compute_dNLL_dk(k, x, y) = {expected} (by hand the gradient at 0 is [-2, 1], so k = [1, -0.5])."
    )
    three_steps, trace = gradient_descent(images, counts, start, n_steps=3, alpha=0.5)
    trace = as_vector(trace, 3, "gradient_descent (NLL) with n_steps=3")
    assert np.array_equal(start, np.zeros(2)), "gradient_descent changed init_guess in place; work on a copy."
    three_steps = np.asarray(three_steps, dtype=float)  # a list or tensor is fine too
    change = compute_NLL(three_steps, images, counts) - compute_NLL(one_step, images, counts)
    assert np.isclose(trace[2] - trace[0], change), (
        "NLL[i] should be the NLL after step i: NLL[2] - NLL[0] should equal compute_NLL(k after 3 steps) - "
        f"compute_NLL(k after 1 step) = {change:.4f}; got {trace[2] - trace[0]:.4f}."
    )
    print("gradient_descent passes the public checks.")
