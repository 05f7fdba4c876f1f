"""Hidden checks for assignment 4, called from the notebook's hidden test cells."""
import numpy as np
from scipy import linalg, stats

from ..harness import (CheckFailed, Mistake, as_float, as_float_array, call_student, fresh_rng, judge,
                       require_dependence_on_inputs, require_own_arguments)
from . import reference as ref

# (trials of stimulus a, trials of stimulus b, neurons): unequal trial counts make the
# pooled covariance differ from the plain average of the two class covariances.
SHAPES = ((40, 60, 5), (300, 200, 12), (150, 150, 30))


def random_responses(rng, trials_a, trials_b, n_neurons):
    """Gaussian responses to two stimuli: shared correlated covariance, different means."""
    axes, _ = np.linalg.qr(rng.normal(size=(n_neurons, n_neurons)))
    scales = np.sqrt(np.logspace(-0.5, 0.5, n_neurons))
    mean_a = rng.uniform(2.0, 10.0, n_neurons)
    mean_b = mean_a + rng.normal(scale=0.5, size=n_neurons)
    noise = lambda trials: (rng.normal(size=(trials, n_neurons)) * scales) @ axes.T  # noqa: E731
    return mean_a + noise(trials_a), mean_b + noise(trials_b)


def _unit(vector):
    return vector / np.linalg.norm(vector)


def _direction(compute):
    """The direction of a discriminant: what matters for discrimination, whatever its length."""
    return lambda a, b: _unit(compute(a, b))


def _solve_with(covariance_of):
    return lambda a, b: linalg.solve(covariance_of(a, b), b.mean(axis=0) - a.mean(axis=0))


DISCRIMINANT_MISTAKES = tuple(
    Mistake(description, _direction(compute))
    for description, compute in (
        ("subtracted the means the wrong way round: w = S^-1 (mean_b - mean_a) points from a to b",
         lambda a, b: -ref.optimal_linear_discriminant(a, b)),
        ("used the covariance of one stimulus only; pool both",
         _solve_with(lambda a, b: np.cov(a, rowvar=False))),
        ("used the covariance of one stimulus only; pool both",
         _solve_with(lambda a, b: np.cov(b, rowvar=False))),
        ("returned the difference of the means without solving with the covariance: that ignores the noise "
         "correlations", lambda a, b: b.mean(axis=0) - a.mean(axis=0)),
        ("multiplied by the covariance instead of solving with it: w = S^-1 (mean_b - mean_a)",
         lambda a, b: ref.pooled_covariance(a, b) @ (b.mean(axis=0) - a.mean(axis=0))),
    )
)


def check_optimal_linear_discriminant(optimal_linear_discriminant):
    """Hidden check: the direction of ``w`` (any positive multiple of S^-1 (mean_b - mean_a) is right).

    Solving with the total covariance of all trials gives the same direction for two
    stimuli (it adds a rank-one term along mean_b - mean_a: Sherman-Morrison), so it
    is accepted; mixing total and within-stimulus spread is named in ``dprime``. The
    plain average of the two class covariances (assignment 3's estimator) is unbiased
    too, only less efficient when the trial counts differ: also accepted.
    """
    name = "optimal_linear_discriminant"
    require_own_arguments(optimal_linear_discriminant, name)
    rng = fresh_rng()
    require_dependence_on_inputs(optimal_linear_discriminant, name,
                                 lambda: dict(zip(("responses_a", "responses_b"), random_responses(rng, 50, 40, 6))))
    for trials_a, trials_b, n_neurons in SHAPES:
        a, b = random_responses(rng, trials_a, trials_b, n_neurons)
        got = as_float_array(call_student(optimal_linear_discriminant, name, {"responses_a": a, "responses_b": b}), name)
        if got.shape == (n_neurons,) and not np.any(got):
            raise CheckFailed(f"{name} returned a vector of zeros.")
        judge(
            _unit(got) if got.shape == (n_neurons,) else got,
            _unit(ref.optimal_linear_discriminant(a, b)),
            name=name,
            inputs=(a, b),
            mistakes=DISCRIMINANT_MISTAKES,
            accepted=(_direction(_solve_with(lambda a, b: (np.cov(a, rowvar=False) + np.cov(b, rowvar=False)) / 2)),),
            shape_messages={(n_neurons, n_neurons): "It returned a matrix: solve S w = mean_b - mean_a for the vector w.",
                            (trials_a,): "It returned one value per trial: w has one weight per neuron."},
        )
    print(f"{name} points the right way on {len(SHAPES)} fresh random data sets.")


def _pooled_sd(a, b, ddof):
    """Spread of d': the square root of the trial-weighted pooled variance."""
    squares = np.sum((a - a.mean()) ** 2) + np.sum((b - b.mean()) ** 2)
    return np.sqrt(squares / (len(a) + len(b) - 2 * ddof))


DPRIME_MISTAKES = (
    Mistake("did not divide by the spread of the projections: d' is the mean difference in units of their "
            "standard deviation", lambda a, b: np.mean(b) - np.mean(a)),
    Mistake("divided by the variance instead of the standard deviation",
            lambda a, b: (np.mean(b) - np.mean(a)) / ((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)),
    Mistake("divided by the standard deviation of all projections together, which includes the difference "
            "between the stimuli; use the spread within each stimulus",
            lambda a, b: (np.mean(b) - np.mean(a)) / np.std(np.concatenate([a, b]), ddof=1)),
    Mistake("divided by the sum of the two standard deviations; use the square root of their average variance",
            lambda a, b: (np.mean(b) - np.mean(a)) / (np.std(a, ddof=1) + np.std(b, ddof=1))),
    Mistake("subtracted the means the wrong way round: d' = (mean_b - mean_a) / sd is positive when b is larger",
            lambda a, b: -ref.dprime(a, b)),
    Mistake("divided by the standard deviation of one stimulus only; use both (the root of their average variance)",
            lambda a, b: (np.mean(b) - np.mean(a)) / np.std(a, ddof=1)),
    Mistake("divided by the standard deviation of one stimulus only; use both (the root of their average variance)",
            lambda a, b: (np.mean(b) - np.mean(a)) / np.std(b, ddof=1)),
)
# Equal-weight or trial-weighted pooling, n or n - 1: all standard.
DPRIME_ACCEPTED = (
    lambda a, b: (np.mean(b) - np.mean(a)) / np.sqrt((np.var(a) + np.var(b)) / 2),
    lambda a, b: (np.mean(b) - np.mean(a)) / _pooled_sd(a, b, ddof=1),
    lambda a, b: (np.mean(b) - np.mean(a)) / _pooled_sd(a, b, ddof=0),
)


def check_dprime(dprime):
    """Hidden check of ``dprime(projections_a, projections_b)``."""
    name = "dprime"
    require_own_arguments(dprime, name)
    rng = fresh_rng()
    cases = [(rng.normal(0.0, 1.0, trials_a), rng.normal(separation, spread, trials_b))
             for trials_a, trials_b, separation, spread in ((30, 50, 1.2, 1.5), (400, 300, 0.4, 0.7), (80, 80, 2.5, 1.0))]
    require_dependence_on_inputs(dprime, name, lambda: {"projections_a": rng.normal(size=20),
                                                        "projections_b": rng.normal(1.0, 1.0, 25)})
    for a, b in cases:
        got = as_float(call_student(dprime, name, {"projections_a": a, "projections_b": b}), name)
        judge(np.array(got), ref.dprime(a, b), name=name, inputs=(a, b), mistakes=DPRIME_MISTAKES,
              accepted=DPRIME_ACCEPTED)
    print(f"{name} is correct on {len(cases)} fresh random data sets.")


PERCENT_MISTAKES = (
    Mistake("used Phi(d') instead of Phi(d'/2): the midpoint between the two means lies d'/2 from each",
            lambda d: stats.norm.cdf(d)),
    Mistake("used Phi(d'/sqrt(2)), the two-interval forced-choice formula; classifying one response by the "
            "midpoint gives Phi(d'/2)", lambda d: stats.norm.cdf(d / np.sqrt(2))),
    Mistake("returned the fraction of errors, 1 - Phi(d'/2)", lambda d: 1 - stats.norm.cdf(d / 2)),
    Mistake("returned the probability density instead of the cumulative distribution",
            lambda d: stats.norm.pdf(d / 2)),
)


def check_percent_correct(percent_correct):
    """Hidden check of ``percent_correct(dprime)``, as a fraction (a percentage is accepted too)."""
    name = "percent_correct"
    require_own_arguments(percent_correct, name)
    rng = fresh_rng()
    values = np.concatenate([[0.0], rng.uniform(0.1, 4.0, 4)])
    require_dependence_on_inputs(percent_correct, name, lambda: {"dprime": float(rng.uniform(0.5, 3.0))})
    for value in values:
        got = as_float(call_student(percent_correct, name, {"dprime": float(value)}), name)
        judge(np.array(got), ref.percent_correct(value), name=name, inputs=(value,), mistakes=PERCENT_MISTAKES,
              accepted=(lambda d: 100 * ref.percent_correct(d),))
    print(f"{name} is correct for {len(values)} values of d'.")
