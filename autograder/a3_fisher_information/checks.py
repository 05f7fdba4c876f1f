"""Hidden checks for assignment 3, called from the notebook's hidden test cells.

Each check draws fresh random inputs of several shapes (so hard-coded answers and
answers that read notebook variables fail), compares the student's function with
the reference, and names the mistake when the answer is wrong.

"An inverse of the wrong matrix" (``linear_fisher_info``) is checked as four
concrete mistakes: Sigma used where Sigma^-1 belongs (no inverse at all), the
element-wise reciprocal 1/Sigma_ij, the inverse of the diagonal of Sigma only
(correlations ignored), and the inverse of the correlation matrix instead of the
covariance. For ``estimate_linear_fisher`` the wrong covariance is checked as one
stimulus's covariance instead of the average of both, and as the covariance of all
2T trials pooled together (which counts the stimulus-driven difference as noise).
"""
import numpy as np

from course.checks import names_replaced
from course.checks.fisher_information import require_neuron_by_neuron

from ..harness import CheckFailed, Mistake, as_float, call_student, fresh_rng, judge, require_dependence_on_inputs
from . import reference as ref

# --- fisher_info_poisson ------------------------------------------------------------

POISSON_SIZES = (3, 20, 100)


def random_population(rng, n_neurons):
    """Rates in Hz, slopes in Hz/rad of both signs, and a window well away from 1 s."""
    rates = rng.uniform(0.5, 50.0, n_neurons)
    rate_derivatives = rng.normal(0.0, 15.0, n_neurons)
    window = float(rng.choice([rng.uniform(0.1, 0.6), rng.uniform(1.6, 3.0)]))
    return rates, rate_derivatives, window


POISSON_MISTAKES = (
    Mistake("used f' instead of f'^2/f: each neuron contributes its squared slope divided by its rate",
            lambda f, df, w: w * np.sum(df)),
    Mistake("used f'/f instead of f'^2/f: square the derivative", lambda f, df, w: w * np.sum(df / f)),
    Mistake("summed f'^2 without dividing by the rate f (a Poisson count's variance equals its mean)",
            lambda f, df, w: w * np.sum(df**2)),
    Mistake("forgot the counting window: counts in a window of T_w seconds carry T_w sum f'^2/f",
            lambda f, df, w: np.sum(df**2 / f)),
    Mistake("multiplied by the window squared: the mean count's slope (T_w f')^2 is divided by the variance "
            "T_w f, which leaves one factor T_w", lambda f, df, w: w**2 * np.sum(df**2 / f)),
    Mistake("divided by the counting window instead of multiplying by it", lambda f, df, w: np.sum(df**2 / f) / w),
)


def check_fisher_info_poisson(fisher_info_poisson):
    """Hidden check of ``fisher_info_poisson(rates, rate_derivatives, window)``."""
    name = "fisher_info_poisson"
    rng = fresh_rng()
    with names_replaced(fisher_info_poisson, linear_fisher_info=ref.linear_fisher_info):
        require_dependence_on_inputs(fisher_info_poisson, name, lambda: _poisson_named(*random_population(rng, 10)))
        for n_neurons in POISSON_SIZES:
            inputs = random_population(rng, n_neurons)
            result = call_student(fisher_info_poisson, name, _poisson_named(*inputs))
            judge(_number(result, name, per=("neuron", n_neurons)), ref.fisher_info_poisson(*inputs), name=name,
                  inputs=inputs, mistakes=POISSON_MISTAKES)
    print(f"{name} is correct on {len(POISSON_SIZES)} fresh random populations.")


def _poisson_named(rates, rate_derivatives, window):
    return {"rates": rates, "rate_derivatives": rate_derivatives, "window": window}


# --- linear_fisher_info -------------------------------------------------------------

LINEAR_SIZES = (2, 10, 60)


def random_covariance(rng, n_neurons):
    """A correlated, well-conditioned covariance with unequal variances."""
    mixing = rng.normal(size=(n_neurons, n_neurons)) / np.sqrt(n_neurons)
    scale = rng.uniform(0.5, 3.0, n_neurons)
    return scale[:, None] * (mixing @ mixing.T + np.diag(rng.uniform(0.3, 1.0, n_neurons))) * scale[None, :]


def _correlation_matrix(cov):
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


LINEAR_MISTAKES = (
    Mistake("multiplied by the covariance instead of its inverse: the information is dmu^T Sigma^-1 dmu "
            "(solve Sigma x = dmu), not dmu^T Sigma dmu", lambda d, c: d @ c @ d),
    Mistake("took the element-wise reciprocal 1/Sigma_ij: Sigma^-1 is the matrix inverse (np.linalg.solve)",
            lambda d, c: d @ (1 / c) @ d),
    Mistake("inverted only the diagonal of the covariance (the variances), which ignores the correlations "
            "between neurons", lambda d, c: np.sum(d**2 / np.diag(c))),
    Mistake("inverted the correlation matrix instead of the covariance matrix",
            lambda d, c: d @ np.linalg.solve(_correlation_matrix(c), d)),
    Mistake("returned sqrt(dmu^T Sigma^-1 dmu); the Fisher information is the quadratic form itself, not its "
            "square root", lambda d, c: np.sqrt(ref.linear_fisher_info(d, c))),
)


def check_linear_fisher_info(linear_fisher_info):
    """Hidden check of ``linear_fisher_info(dmu, cov)``."""
    name = "linear_fisher_info"
    rng = fresh_rng()

    def named(n_neurons):
        return {"dmu": rng.normal(0.0, 2.0, n_neurons), "cov": random_covariance(rng, n_neurons)}

    require_dependence_on_inputs(linear_fisher_info, name, lambda: named(5))
    for n_neurons in LINEAR_SIZES:
        inputs = named(n_neurons)
        result = call_student(linear_fisher_info, name, inputs)
        judge(_number(result, name, per=("neuron", n_neurons), vector_hint="It returned the vector Sigma^-1 dmu: "
                      "take its dot product with dmu."),
              ref.linear_fisher_info(*inputs.values()), name=name, inputs=tuple(inputs.values()),
              mistakes=LINEAR_MISTAKES, rtol=1e-5)
    print(f"{name} is correct on {len(LINEAR_SIZES)} fresh random covariances.")


# --- estimate_linear_fisher ---------------------------------------------------------

# (trials per stimulus T, neurons N, dtheta, bias_correct; None = the default)
ESTIMATE_CASES = ((12, 3, 0.3, None), (60, 20, 0.1, True), (200, 50, 0.05, None), (40, 10, 0.2, False))


def random_experiment(rng, n_trials, n_neurons, dtheta):
    """T Gaussian trials at each of two stimuli dtheta apart, correlated noise, unequal sample covariances."""
    cov = random_covariance(rng, n_neurons)
    factor = np.linalg.cholesky(cov)
    mean = rng.uniform(2.0, 20.0, n_neurons)
    slope = rng.normal(0.0, 3.0, n_neurons)
    responses_a = mean - slope * dtheta / 2 + rng.standard_normal((n_trials, n_neurons)) @ factor.T
    responses_b = mean + slope * dtheta / 2 + rng.standard_normal((n_trials, n_neurons)) @ factor.T
    return responses_a, responses_b


def _estimate(covariance="average", ddof=1, denominator=2, subtract=True, trials_factor=1, per_dtheta=True,
              correct=None):
    """A variant of the estimator: which covariance, its ddof, 2T - denominator, and the correction's parts.

    ``correct`` overrides the ``bias_correct`` argument (True/False) when set.
    """

    def variant(responses_a, responses_b, dtheta, bias_correct=True):
        n_trials, n_neurons = responses_a.shape
        slope = (responses_b.mean(axis=0) - responses_a.mean(axis=0)) / (dtheta if per_dtheta else 1.0)
        if covariance == "average":
            cov = ref.pooled_covariance(responses_a, responses_b, ddof)
        elif covariance == "all trials":
            cov = np.cov(np.vstack([responses_a, responses_b]), rowvar=False, ddof=ddof)
        else:
            cov = np.cov(responses_a if covariance == "a" else responses_b, rowvar=False, ddof=ddof)
        naive = ref.linear_fisher_info(slope, cov)
        if not (bias_correct if correct is None else correct):
            return naive
        trials = trials_factor * n_trials
        corrected = naive * (2 * trials - n_neurons - 3) / (2 * trials - denominator)
        return corrected - (2 * n_neurons / (trials * dtheta**2) if subtract else 0.0)

    return variant


def _inverted_factor(responses_a, responses_b, dtheta, bias_correct=True):
    n_trials, n_neurons = responses_a.shape
    naive = _estimate()(responses_a, responses_b, dtheta, False)
    return naive * (2 * n_trials - 2) / (2 * n_trials - n_neurons - 3) - 2 * n_neurons / (n_trials * dtheta**2)


ONE_COVARIANCE = ("used one stimulus's covariance; use the average of the two stimuli's covariances, "
                  "0.5 * (cov(responses_a) + cov(responses_b))")
ESTIMATE_MISTAKES = (
    Mistake("used biased (1/T) covariances (np.cov(..., bias=True) or ddof=0); the correction assumes the "
            "unbiased, (T-1)-normalised ones", _estimate(ddof=0)),
    Mistake("used the denominator 2T-3 in the correction factor; it is (2T-N-3)/(2T-2) (2T-3 appears only in "
            "the estimator's variance)", _estimate(denominator=3)),
    Mistake("left out the -2N/(T dtheta^2) term of the bias correction (the noise in the estimated derivative)",
            _estimate(subtract=False)),
    Mistake(ONE_COVARIANCE, _estimate(covariance="a")),
    Mistake(ONE_COVARIANCE, _estimate(covariance="b")),
    Mistake("computed one covariance of all 2T trials together, so the difference between the stimuli counts "
            "as noise; average the two within-stimulus covariances instead", _estimate(covariance="all trials")),
    Mistake("returned the naive estimate although bias_correct=True: multiply it by (2T-N-3)/(2T-2) and "
            "subtract 2N/(T dtheta^2)", _estimate(correct=False)),
    Mistake("applied the bias correction although bias_correct=False: then return the naive estimate "
            "f'^T Sigma^-1 f'", _estimate(correct=True)),
    Mistake("did not divide the difference of the mean responses by dtheta", _estimate(per_dtheta=False)),
    Mistake("used the total number of trials 2T where the correction needs T, the number of trials per stimulus",
            _estimate(trials_factor=2)),
    Mistake("multiplied by (2T-2)/(2T-N-3), the inverse of the correction factor (2T-N-3)/(2T-2)", _inverted_factor),
)


_REFERENCE_INFORMATION = ref.linear_fisher_info  # bound now: names_replaced may rebind the module's name


def _checked_reference_information(dmu, cov):
    """The reference, after naming the rowvar mistake (instead of failing inside the reference)."""
    return _REFERENCE_INFORMATION(*require_neuron_by_neuron(dmu, cov))


def check_estimate_linear_fisher(estimate_linear_fisher):
    """Hidden check of ``estimate_linear_fisher(responses_a, responses_b, dtheta, bias_correct=True)``."""
    name = "estimate_linear_fisher"
    rng = fresh_rng()

    def named(n_trials, n_neurons, dtheta):
        responses_a, responses_b = random_experiment(rng, n_trials, n_neurons, dtheta)
        return {"responses_a": responses_a, "responses_b": responses_b, "dtheta": dtheta}

    with names_replaced(estimate_linear_fisher, linear_fisher_info=_checked_reference_information):
        require_dependence_on_inputs(estimate_linear_fisher, name, lambda: named(30, 4, 0.2))
        for n_trials, n_neurons, dtheta, bias_correct in ESTIMATE_CASES:
            inputs = named(n_trials, n_neurons, dtheta)
            keywords = {} if bias_correct is None else {"bias_correct": bias_correct}
            label = f"{name} (T = {n_trials}, N = {n_neurons}, bias_correct={bias_correct is not False})"
            result = call_student(estimate_linear_fisher, name, inputs, **keywords)
            expected = ref.estimate_linear_fisher(*inputs.values(), bias_correct is not False)
            judge(_number(result, label, per=("neuron", n_neurons)), expected, name=label,
                  inputs=(*inputs.values(), bias_correct is not False), mistakes=ESTIMATE_MISTAKES, rtol=1e-5)
    print(f"{name} is correct on {len(ESTIMATE_CASES)} fresh random data sets (one with bias_correct=False).")


def _number(result, name, per, vector_hint=""):
    """One number, with a clear message for one value per neuron."""
    array = np.asarray(result.detach() if hasattr(result, "detach") else result, dtype=object)
    what, count = per
    if array.shape == (count,) and count > 1:
        raise CheckFailed(f"{name} returned one value per {what} (shape ({count},)); it must return a single "
                          f"number. {vector_hint or 'Sum over the ' + what + 's.'}")
    return np.asarray(as_float(result, name))
