"""Hidden checks for assignment 6, called from the notebook's hidden test cells.

Each check draws fresh random inputs (Fisher-information curves on even and uneven
grids over several ranges; noisy power laws with fresh exponents, some with points
that have no logarithm), compares the student's function with the reference, and
names the mistake when the answer is wrong. Students' functions are only called,
with numpy arrays, and their results read as numbers.
"""
import numpy as np

from ..harness import CheckFailed, Mistake, as_float, as_float_array, call_student, fresh_rng, judge, \
    require_dependence_on_inputs
from . import reference as ref

# --- normalized_sqrt_fisher ---------------------------------------------------------


def _trapezoid(values, thetas):
    return np.sum(np.diff(thetas) * (values[1:] + values[:-1]) / 2)


def _root(fisher):
    return np.sqrt(fisher)


SQRT_MISTAKES = (
    Mistake("normalised the Fisher information itself: take its square root first, sqrt(FI), then divide by the "
            "integral of sqrt(FI)", lambda f, t: f / _trapezoid(f, t)),
    Mistake("took the square root after normalising, sqrt(FI / integral of FI); normalise sqrt(FI) by its own "
            "integral instead", lambda f, t: np.sqrt(f / _trapezoid(f, t))),
    Mistake("divided by the sum of sqrt(FI) instead of its integral over the angles: use the trapezoid rule, "
            "np.trapezoid(y, thetas)", lambda f, t: _root(f) / np.sum(_root(f))),
    Mistake("integrated with unit spacing (np.trapezoid(y) without the angles): pass the grid, "
            "np.trapezoid(y, thetas)", lambda f, t: _root(f) / _trapezoid(_root(f), np.arange(len(f)))),
    Mistake("swapped the arguments of the trapezoid rule: np.trapezoid(y, x) takes the values first and the "
            "angles second", lambda f, t: _root(f) / _trapezoid(t, _root(f))),
    Mistake("used a sum times the grid spacing (a Riemann sum) instead of the trapezoid rule, np.trapezoid(y, thetas)",
            lambda f, t: _root(f) / (np.sum(_root(f)) * (t[-1] - t[0]) / (len(t) - 1))),
    Mistake("used a sum times the grid spacing (a Riemann sum) instead of the trapezoid rule, np.trapezoid(y, thetas)",
            lambda f, t: _root(f) / np.sum(_root(f)[:-1] * np.diff(t))),
    Mistake("divided by the largest value: the answer must integrate to 1 over the angles, not peak at 1",
            lambda f, t: _root(f) / np.max(_root(f))),
)

# (number of angles, first angle, last angle, even grid?)
SQRT_GRIDS = ((61, 0.0, np.pi, True), (40, -np.pi / 2, np.pi / 2, False), (25, 0.0, 2 * np.pi, False),
              (90, 0.0, np.pi, True))


def random_fisher_curve(rng, thetas):
    """A smooth positive Fisher information curve (rad^-2): a random Fourier series in the exponent."""
    span = thetas[-1] - thetas[0]
    log_curve = sum(rng.normal(0.0, 0.7 / k) * np.cos(2 * np.pi * k * (thetas - thetas[0]) / span + rng.uniform(0, 6.3))
                    for k in range(1, 4))
    return float(np.exp(rng.uniform(1.0, 6.0))) * np.exp(log_curve)


def random_grid(rng, n_angles, first, last, even):
    if even:
        return np.linspace(first, last, n_angles)
    inner = np.sort(rng.uniform(first, last, n_angles - 2))
    return np.concatenate([[first], inner, [last]])


def check_normalized_sqrt_fisher(normalized_sqrt_fisher):
    """Hidden check of ``normalized_sqrt_fisher(fisher, thetas)``."""
    name = "normalized_sqrt_fisher"
    rng = fresh_rng()

    def named(n_angles, first, last, even):
        thetas = random_grid(rng, n_angles, first, last, even)
        return {"fisher": random_fisher_curve(rng, thetas), "thetas": thetas}

    require_dependence_on_inputs(normalized_sqrt_fisher, name, lambda: named(*SQRT_GRIDS[0]))
    _require_use_of_thetas(normalized_sqrt_fisher, name, rng)
    for grid in SQRT_GRIDS:
        inputs = named(*grid)
        got = as_float_array(call_student(normalized_sqrt_fisher, name, inputs), name)
        judge(got, ref.normalized_sqrt_fisher(**inputs), name=name, inputs=tuple(inputs.values()),
              mistakes=SQRT_MISTAKES, rtol=1e-6,
              shape_messages={(): "It returned one number: return sqrt(FI) / integral, one value per angle."})
    print(f"{name} is correct on {len(SQRT_GRIDS)} fresh Fisher-information curves (even and uneven grids).")


def _require_use_of_thetas(function, name, rng):
    """The same FI on two grids of the same length over different ranges must give different answers."""
    fisher = random_fisher_curve(rng, np.linspace(0.0, np.pi, 61))
    inputs = {"fisher": fisher, "thetas": np.linspace(0.0, np.pi, 61)}
    first = as_float_array(call_student(function, name, inputs), name)
    second = as_float_array(call_student(function, name, {"fisher": fisher,
                                                          "thetas": np.linspace(0.0, 2 * np.pi, 61)}), name)
    if first.shape == second.shape and np.allclose(first, second, rtol=1e-9, atol=0):
        # A sum, or the trapezoid rule without the angles, ignores the grid too: name those first.
        judge(first, ref.normalized_sqrt_fisher(**inputs), name=name, inputs=tuple(inputs.values()),
              mistakes=SQRT_MISTAKES, rtol=1e-6)
        raise CheckFailed(f"{name} gave the same answer for the same FI on the angle ranges [0, pi] and [0, 2 pi]: "
                          "does it ignore its `thetas` argument (or use the notebook's `angles`)? The integral "
                          "depends on the grid.")


# --- fit_power_law ------------------------------------------------------------------


def _logs(prior, fisher):
    return ref.positive_logs(prior, fisher)


def _slope(x, y):
    x, y = x - x.mean(), y - y.mean()
    return np.sum(x * y) / np.sum(x * x)


def _scaled(factor):
    return lambda p, f: factor * ref.fit_power_law(p, f)


LN10, LN2 = np.log(10.0), np.log(2.0)
MIXED_BASES = ("mixed logarithm bases (e.g. np.log10 for one variable and np.log for the other); use the same "
               "logarithm for both")
POWER_MISTAKES = (
    Mistake("regressed log prior on log FI; the exponent is the slope of log FI (y) on log prior (x)",
            lambda p, f: _slope(*_logs(p, f)[::-1])),
    Mistake("regressed log prior on log FI and inverted the slope; the exponent is the least-squares slope of "
            "log FI (y) on log prior (x)", lambda p, f: 1.0 / _slope(*_logs(p, f)[::-1])),
    Mistake(MIXED_BASES, _scaled(1 / LN10)),
    Mistake(MIXED_BASES, _scaled(LN10)),
    Mistake(MIXED_BASES, _scaled(1 / LN2)),
    Mistake(MIXED_BASES, _scaled(LN2)),
    Mistake("fitted log sqrt(FI) instead of log FI, which halves the exponent", _scaled(0.5)),
    Mistake("returned the intercept of the fit (np.polyfit returns [slope, intercept])",
            lambda p, f: np.polyfit(*_logs(p, f), 1)[1]),
    Mistake("fitted a line through the origin (no intercept): FI = c prior^alpha has log FI = alpha log prior + "
            "log c, so fit the intercept too", lambda p, f: np.sum(np.prod(_logs(p, f), axis=0))
            / np.sum(_logs(p, f)[0] ** 2)),
    Mistake("returned the correlation coefficient of the logarithms, not the slope",
            lambda p, f: np.corrcoef(*_logs(p, f))[0, 1]),
    Mistake("fitted FI against the prior without taking logarithms; a power law is a straight line on log-log axes",
            lambda p, f: _slope(*[np.asarray(v, float)[(np.asarray(p) > 0) & (np.asarray(f) > 0)] for v in (p, f)])),
)

# (points, exponent range, which entries have no logarithm: None, "prior", "fisher" or "both")
POWER_CASES = ((40, None), (25, "fisher"), (60, "prior"), (33, "both"))


def random_power_law(rng, n_points, bad=None):
    """A von Mises-like prior and FI = c prior^alpha times log-normal scatter, alpha fresh in [0.3, 2.5].

    ``bad`` puts zeros in the prior, zeros and negative values in the FI (an FI estimated from
    data can be negative), or both.
    """
    thetas = np.sort(rng.uniform(0.0, np.pi, n_points))
    kappa = rng.uniform(1.0, 4.0)
    prior = np.exp(kappa * (np.cos(2 * (thetas - rng.uniform(0, np.pi))) - 1)) / np.pi
    alpha = rng.uniform(0.3, 2.5)
    fisher = np.exp(rng.uniform(1.0, 5.0)) * prior**alpha * np.exp(rng.normal(0.0, 0.4, n_points))
    if bad in ("prior", "both"):
        prior[rng.choice(n_points, 3, replace=False)] = 0.0
    if bad in ("fisher", "both"):
        chosen = rng.choice(n_points, 4, replace=False)
        fisher[chosen[:2]] = 0.0
        fisher[chosen[2:]] = -rng.uniform(0.1, 5.0, 2)
    return prior, fisher


WHERE = {"prior": "where the prior is 0", "fisher": "where the Fisher information is <= 0 (zero, or negative as "
         "an estimate from data can be)", "both": "where the prior is 0 or the Fisher information is <= 0"}


def check_fit_power_law(fit_power_law):
    """Hidden check of ``fit_power_law(prior, fisher)``."""
    name = "fit_power_law"
    rng = fresh_rng()

    def named(n_points, bad=None):
        prior, fisher = random_power_law(rng, n_points, bad)
        return {"prior": prior, "fisher": fisher}

    require_dependence_on_inputs(fit_power_law, name, lambda: named(30))
    for n_points, bad in POWER_CASES:
        inputs = named(n_points, bad)
        try:
            got = _exponent(call_student(fit_power_law, name, inputs), name)
        except CheckFailed as failure:
            reason = str(failure).split(" [inputs:")[0]
            if bad is None or f"{name} raised " not in reason:  # e.g. an input changed in place: say that
                raise
            raise CheckFailed(f"{name} failed on data with points that have no logarithm ({reason}): it looks like "
                              f"you did not leave out the points {WHERE[bad]}.") from None
        if bad is not None and not np.isfinite(got):
            raise CheckFailed(f"{name} returned {got} on data with points that have no logarithm: it looks like you "
                              f"did not leave out the points {WHERE[bad]}.")
        expected = ref.fit_power_law(**inputs)
        try:
            judge(np.asarray(got), expected, name=name, inputs=tuple(inputs.values()), mistakes=POWER_MISTAKES,
                  rtol=1e-6)
        except CheckFailed as failure:
            if bad is None or "looks like you" in str(failure):
                raise
            raise CheckFailed(f"{name} is right when every value is positive, but not with points that have no "
                              f"logarithm: leave out the points {WHERE[bad]} (do not clip or replace them) and fit "
                              "the rest.") from None
    print(f"{name} is correct on {len(POWER_CASES)} fresh noisy power laws (three with points to leave out).")


def _exponent(result, name):
    """One number, with a clear message for np.polyfit's [slope, intercept]."""
    if as_float_array(result, name).shape == (2,):
        raise CheckFailed(f"{name} returned two numbers; np.polyfit(x, y, 1) returns [slope, intercept]: "
                          "return the slope only.")
    return as_float(result, name)
