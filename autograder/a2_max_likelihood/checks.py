"""Hidden checks for assignment 2, called from the notebook's hidden test cells.

Each check draws fresh random data sets of several shapes (so hard-coded answers
and answers that read notebook variables fail), compares the student's function
with the reference, and names the mistake when the answer is wrong.

The NLL is defined only up to an additive constant that does not depend on k
(sum_i log y_i! may be kept or dropped): it is checked through the differences
NLL(k_j) - NLL(k_0) between several random filters, which any constant cancels.
"""
import numpy as np

from course.checks import names_replaced

from ..harness import (CheckFailed, Mistake, as_float, as_float_array, call_student, fresh_rng, judge,
                       require_dependence_on_inputs, require_own_arguments)
from . import reference as ref

# (n_images, n_pixels): never equal, so a wrong axis shows in the shape.
SHAPES = ((60, 4), (500, 25), (2000, 49))
N_FILTERS = 5  # filters compared per data set


def random_experiment(rng, n_images, n_pixels):
    """Correlated Gaussian images, LNP spike counts (about 1.3 per image) and the true filter."""
    mixing = np.eye(n_pixels) + rng.normal(size=(n_pixels, n_pixels)) / np.sqrt(n_pixels)
    images = rng.normal(size=(n_images, n_pixels)) @ mixing
    k = rng.normal(size=n_pixels)
    k *= 0.7 / np.std(images @ k)
    return images, rng.poisson(np.exp(images @ k)), k


def random_filters(rng, images, k, n=N_FILTERS):
    """Filters around ``k``, each changing the drive by about 0.3 (sd over the images)."""
    filters = []
    for _ in range(n):
        step = rng.normal(size=k.size)
        filters.append(k + step * 0.3 / np.std(images @ step))
    return filters


def _named(k, x, y):
    return {"k": k, "x": x, "y": y}


def _inputs(rng, n_images=200, n_pixels=9):
    images, counts, k = random_experiment(rng, n_images, n_pixels)
    return _named(random_filters(rng, images, k, 1)[0], images, counts)


# --- compute_NLL -------------------------------------------------------------------------

NLL_MISTAKES = (
    Mistake(
        "flipped the sign: that is the log-likelihood; the NLL is minus it, sum_i [exp(k.x_i) - y_i k.x_i] "
        "(plus a constant)",
        lambda k, x, y: -ref.compute_NLL(k, x, y),
    ),
    Mistake(
        "averaged over the images instead of summing: the images are independent, so their likelihoods "
        "multiply and the NLL is a sum",
        lambda k, x, y: ref.compute_NLL(k, x, y) / len(x),
    ),
    Mistake(
        "left out the exp: the rate is lambda_i = exp(k.x_i), so the first term is exp(k.x_i), not k.x_i",
        lambda k, x, y: float(np.sum(x @ k - y * (x @ k))),
    ),
    Mistake(
        "forgot the spike counts y: the log-likelihood has the term y_i log(lambda_i) = y_i k.x_i",
        lambda k, x, y: float(np.sum(np.exp(x @ k))),
    ),
    Mistake(
        "left out the rate term sum_i exp(k.x_i): the Poisson log-likelihood is y_i log(lambda_i) - lambda_i",
        lambda k, x, y: float(-y @ (x @ k)),
    ),
    Mistake(
        "used the rate exp(k.x_i) where the log-rate belongs: y_i log(lambda_i) = y_i k.x_i",
        lambda k, x, y: float(np.sum(np.exp(x @ k) * (1 - y))),
    ),
)


def _differences(nll):
    """NLL(k_j) - NLL(k_0) for j >= 1: an NLL with any constant added gives the same differences."""

    def differences(filters, x, y):
        values = [nll(k, x, y) for k in filters]
        return np.array(values[1:]) - values[0]

    return differences


def check_compute_NLL(compute_NLL):
    """Hidden check of ``compute_NLL(k, x, y)`` (any additive constant independent of k is accepted)."""
    name = "compute_NLL"
    rng = fresh_rng()
    require_own_arguments(compute_NLL, name)
    require_dependence_on_inputs(compute_NLL, name, lambda: _inputs(rng))
    mistakes = tuple(Mistake(m.description, _differences(m.compute)) for m in NLL_MISTAKES)
    for n_images, n_pixels in SHAPES:
        images, counts, k = random_experiment(rng, n_images, n_pixels)
        filters = random_filters(rng, images, k)
        values = [as_float(call_student(compute_NLL, name, _named(f, images, counts)), name) for f in filters]
        got = np.array(values[1:]) - values[0]
        judge(got, _differences(ref.compute_NLL)(filters, images, counts), name=name,
              inputs=(filters, images, counts), mistakes=mistakes, rtol=1e-5,
              atol=1e-6 * max(1.0, max(abs(v) for v in values)))  # float32 NLLs round at ~1e-7
    print(f"{name} is correct on {len(SHAPES)} fresh random data sets ({N_FILTERS} filters each).")


# --- compute_dNLL_dk ---------------------------------------------------------------------

GRADIENT_MISTAKES = (
    Mistake(
        "flipped the sign: that is the gradient of the log-likelihood; the NLL's is X^T (exp(Xk) - y)",
        lambda k, x, y: -ref.compute_dNLL_dk(k, x, y),
    ),
    Mistake(
        "divided by the number of images: the NLL is a sum over the images, and so is its gradient",
        lambda k, x, y: ref.compute_dNLL_dk(k, x, y) / len(x),
    ),
    Mistake(
        "left out the exp: the derivative of exp(k.x_i) is exp(k.x_i) x_i",
        lambda k, x, y: (x @ k - y) @ x,
    ),
    Mistake(
        "treated the spike-count term as a number, sum_i y_i; the derivative of sum_i y_i k.x_i is the "
        "vector sum_i y_i x_i = X^T y",
        lambda k, x, y: np.exp(x @ k) @ x - np.sum(y),
    ),
    Mistake(
        "forgot the spike-count term: the derivative of -sum_i y_i k.x_i is -X^T y",
        lambda k, x, y: np.exp(x @ k) @ x,
    ),
    Mistake(
        "used the rate exp(k.x_i) where the log-rate belongs: the derivative of y_i k.x_i is y_i x_i",
        lambda k, x, y: (np.exp(x @ k) * (1 - y)) @ x,
    ),
)


def finite_difference_gradient(nll, k, x, y, step=1e-6):
    """Central differences of ``nll`` at ``k``, one pixel at a time."""
    gradient = np.empty(k.size)
    for pixel in range(k.size):
        shift = np.zeros(k.size)
        shift[pixel] = step
        gradient[pixel] = (nll(k + shift, x, y) - nll(k - shift, x, y)) / (2 * step)
    return gradient


def check_compute_dNLL_dk(compute_dNLL_dk):
    """Hidden check of ``compute_dNLL_dk(k, x, y)``: the reference and finite differences of the NLL."""
    name = "compute_dNLL_dk"
    rng = fresh_rng()
    require_own_arguments(compute_dNLL_dk, name)
    require_dependence_on_inputs(compute_dNLL_dk, name, lambda: _inputs(rng))
    for n_images, n_pixels in SHAPES:
        images, counts, k = random_experiment(rng, n_images, n_pixels)
        at = random_filters(rng, images, k, 1)[0]
        got = as_float_array(call_student(compute_dNLL_dk, name, _named(at, images, counts)), name)
        judge(got, ref.compute_dNLL_dk(at, images, counts), name=name, inputs=(at, images, counts),
              mistakes=GRADIENT_MISTAKES, rtol=1e-5,
              shape_messages={
                  (n_images,): "It returned one value per image: multiply by X^T to sum over the images.",
                  (n_images, n_pixels): "It returned one row per image: sum them over the images (axis 0).",
                  (): "It returned a single number: the gradient has one entry per pixel.",
              })
        slope = finite_difference_gradient(ref.compute_NLL, at, images, counts)
        error = np.linalg.norm(got - slope) / np.linalg.norm(slope)
        if not error < 1e-5:
            raise CheckFailed(f"{name} differs from the finite-difference slope of the NLL "
                              f"(relative error {error:.2g}).")
    print(f"{name} is correct on {len(SHAPES)} fresh random data sets and matches finite differences of the NLL.")


# --- gradient_descent --------------------------------------------------------------------

def descent_variant(sign=-1.0, fixed_alpha=None, fixed_steps=None, record_before=False, return_start=False):
    """Gradient descent, correct by default or with one known mistake; returns (k, NLL)."""

    def descent(x, y, init_guess, n_steps=500, alpha=1e-6):
        alpha = alpha if fixed_alpha is None else fixed_alpha
        n_steps = n_steps if fixed_steps is None else fixed_steps
        k = np.array(init_guess, dtype=float)
        trace = []
        for _ in range(n_steps):
            if record_before:
                trace.append(ref.compute_NLL(k, x, y))
            k = k + sign * alpha * ref.compute_dNLL_dk(k, x, y)
            if not record_before:
                trace.append(ref.compute_NLL(k, x, y))
        return (np.array(init_guess, dtype=float) if return_start else k), np.array(trace)

    return descent


GD_MISTAKES = (
    Mistake("returned init_guess instead of the filter reached by the last step", descent_variant(return_start=True)),
    Mistake("stepped uphill: each step must go against the gradient, k - alpha * dNLL/dk", descent_variant(sign=1.0)),
    Mistake("ignored the `alpha` argument (the step size passed by the caller must be used)",
            descent_variant(fixed_alpha=1e-6)),
    Mistake("ignored the `n_steps` argument (the number of steps passed by the caller must be used)",
            descent_variant(fixed_steps=500)),
    Mistake("recorded the NLL before each step instead of after it: NLL[i] is the NLL after step i, so NLL[0] "
            "already includes the first step", descent_variant(record_before=True)),
)


def well_conditioned_problem(rng, n_images=300, n_pixels=6):
    """White-noise images (condition number of the Hessian about 2), spike counts, and a safe step size."""
    images = rng.normal(size=(n_images, n_pixels))
    k = rng.normal(size=n_pixels)
    k *= 0.5 / np.linalg.norm(k)
    counts = rng.poisson(np.exp(images @ k))
    best = ref.fit_mle(images, counts)
    return images, counts, best, 2.0 / ref.critical_step(best, images)


def _run(gradient_descent, name, x, y, init_guess, **keywords):
    result = call_student(gradient_descent, name, {"x": x, "y": y, "init_guess": init_guess}, **keywords)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{name} must return two things, (k, NLL); got {type(result).__name__}.")
    return as_float_array(result[0], f"{name} (k)"), as_float_array(result[1], f"{name} (NLL)")


def _trace_shape_messages(n_steps):
    return {(n_steps + 1,): "It has n_steps + 1 values: NLL[i] is the NLL after step i, without the starting point.",
            (500,): "It has 500 values whatever n_steps was: it looks like you ignored the `n_steps` argument "
                    "(the number of steps)."}


def check_gradient_descent(gradient_descent):
    """Hidden check of ``gradient_descent(x, y, init_guess, n_steps=500, alpha=1e-6)``.

    Run with compute_NLL and compute_dNLL_dk replaced by the references, so that a
    mistake there is not counted twice; then once with the student's own.
    """
    name = "gradient_descent"
    rng = fresh_rng()
    require_own_arguments(gradient_descent, name)
    replaced = names_replaced(gradient_descent, compute_NLL=ref.compute_NLL, compute_dNLL_dk=ref.compute_dNLL_dk)
    with replaced:
        # Non-default n_steps and alpha; small enough steps that 23 of them do not converge.
        for n_pixels in (6, 15):
            x, y, best, curvature = well_conditioned_problem(rng, 400, n_pixels)
            start = best + rng.normal(size=n_pixels) * 0.3 / np.sqrt(n_pixels)
            n_steps, alpha = 23, 0.2 / curvature
            k, trace = _run(gradient_descent, name, x, y, start, n_steps=n_steps, alpha=alpha)
            inputs = (x, y, start, n_steps, alpha)
            expected_k, expected_trace = ref.gradient_descent(*inputs)
            if trace.shape != (n_steps,):  # first: a loop off by one also gives a slightly different k
                raise CheckFailed(f"{name} returned an NLL trace of shape {trace.shape}; expected ({n_steps},). "
                                  + _trace_shape_messages(n_steps).get(trace.shape, ""))
            judge(k, expected_k, name=f"{name} (k)", inputs=inputs, rtol=1e-5,
                  mistakes=tuple(Mistake(m.description, _part(m.compute, 0)) for m in GD_MISTAKES))
            # atol: an NLL trace stored in float32 is rounded to ~1e-7 of its size.
            judge(trace - trace[0], expected_trace - expected_trace[0], name=f"{name} (NLL)", inputs=inputs,
                  rtol=1e-5, atol=1e-6 * np.abs(expected_trace).max(),
                  mistakes=tuple(Mistake(m.description, _part(m.compute, 1, relative=True)) for m in GD_MISTAKES))
        # Converges to the maximum-likelihood filter, with the NLL falling at every step.
        x, y, best, curvature = well_conditioned_problem(rng)
        k, trace = _run(gradient_descent, name, x, y, np.zeros(x.shape[1]), n_steps=300, alpha=0.5 / curvature)
        if trace.shape != (300,):
            raise CheckFailed(f"{name} returned an NLL trace of shape {trace.shape}; expected (300,).")
        if not np.all(np.diff(trace) <= 1e-10 * np.abs(trace[1:])):
            raise CheckFailed(f"{name}: the NLL rose during a run with a small step size; "
                              "it should fall at every step.")
        error = np.linalg.norm(k - best) / np.linalg.norm(best)
        if not error < 1e-4:
            raise CheckFailed(f"{name} did not reach the maximum-likelihood filter on an easy problem "
                              f"(relative error {error:.2g} after 300 steps).")
        require_dependence_on_inputs(
            lambda x, y, init_guess: gradient_descent(x, y, init_guess, n_steps=3, alpha=1e-4)[0], name,
            lambda: {"x": rng.normal(size=(50, 3)), "y": rng.poisson(1.0, size=50), "init_guess": np.zeros(3)})
    # It also runs with the student's own compute_NLL and compute_dNLL_dk, unless those fail by
    # themselves on these inputs (their own checks already count that mistake).
    x, y, best, curvature = well_conditioned_problem(rng)
    if _own_functions_run(gradient_descent, x, y):
        own = f"{name} (with your own compute_NLL and compute_dNLL_dk)"
        k, trace = _run(gradient_descent, own, x, y, np.zeros(x.shape[1]), n_steps=5, alpha=0.5 / curvature)
        if k.shape != (x.shape[1],) or trace.shape != (5,):
            raise CheckFailed(f"{own} returned k of shape {k.shape} and NLL of shape {trace.shape}; "
                              f"expected ({x.shape[1]},) and (5,).")
    print(f"{name} is correct: it follows the reference path step by step, honours n_steps and alpha, "
          "and reaches the maximum-likelihood filter.")


def _own_functions_run(gradient_descent, x, y):
    """True if the notebook's compute_NLL and compute_dNLL_dk (when defined) run on ``x``, ``y``."""
    namespace = getattr(gradient_descent, "__globals__", {})
    for function_name in ("compute_NLL", "compute_dNLL_dk"):
        if function_name in namespace:
            try:
                call_student(namespace[function_name], function_name, _named(np.zeros(x.shape[1]), x, y))
            except CheckFailed:
                return False
    return True


def _part(descent, index, relative=False):
    """Element ``index`` of a descent's (k, NLL); NLL relative to its first value if ``relative``."""

    def part(*inputs):
        value = descent(*inputs)[index]
        return value - value[0] if relative else value

    return part
