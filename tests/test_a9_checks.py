"""Assignment 9's references against scipy.stats and theory, and its hidden checks."""
import re

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import poisson

from autograder.a9_bayesian_decoding import checks, reference as ref
from autograder.harness import CheckFailed
from course.checks import bayesian_decoding as public

pytestmark = pytest.mark.filterwarnings("error")


def direct_log_posterior(counts, tuning_curves, log_prior, window):
    """sum_i log Poisson(k_i; f_i(theta) T) + log prior at each grid point, by scipy.stats, not normalised."""
    return np.array([[poisson.logpmf(trial, window * rates).sum() + prior
                      for rates, prior in zip(tuning_curves, log_prior)] for trial in counts])


@pytest.mark.parametrize("case", checks.POSTERIOR_CASES[:2], ids=["small", "zero-rates"])
def test_log_posterior_equals_the_scipy_poisson_sum_up_to_a_constant(case):
    inputs = checks.random_problem(np.random.default_rng(5), case)
    got, direct = ref.log_posterior(*inputs.values()), direct_log_posterior(*inputs.values())
    assert np.array_equal(np.isneginf(got), np.isneginf(direct))
    finite = np.isfinite(direct)
    if case.zero_rates:
        assert (~finite).any(), "the zero-rate case must rule some orientations out"
    for trial in range(len(got)):  # one constant per trial: log p(r) + sum log k!
        offsets = direct[trial, finite[trial]] - got[trial, finite[trial]]
        assert np.ptp(offsets) < 1e-8
    assert np.allclose(logsumexp(got, axis=1), 0.0, atol=1e-12)


def naive_log_posterior(counts, tuning_curves, log_prior, window):
    """Normalised in probability space: the product of Poisson probabilities, then divided by its sum."""
    likelihood = np.array([[np.prod(poisson.pmf(trial, window * rates)) for rates in tuning_curves]
                           for trial in counts])
    posterior = likelihood * np.exp(log_prior)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(posterior / posterior.sum(axis=1, keepdims=True))


def test_log_posterior_stays_finite_where_a_naive_implementation_underflows():
    inputs = checks.random_problem(np.random.default_rng(6), checks.POSTERIOR_CASES[2])
    got = ref.log_posterior(*inputs.values())
    assert np.all(np.isfinite(got))
    assert got.min() < -800  # far below exp()'s range: e^-745 is 0 in float64
    assert not np.all(np.isfinite(naive_log_posterior(*inputs.values())))


def test_circular_mean_of_a_symmetric_posterior_across_zero():
    grid = np.pi * np.arange(180) / 180
    log_posterior = (5 * np.cos(2 * (grid - 0.05)))[None, :]
    assert ref.circular_posterior_mean(log_posterior, grid)[0] == pytest.approx(0.05, abs=1e-9)
    assert ref.map_estimate(log_posterior, grid)[0] == pytest.approx(grid[np.argmin(np.abs(grid - 0.05))])


# --- public checks: the references pass, and the mistakes they are meant to catch fail ---

def test_public_checks_accept_the_references():
    public.check_log_posterior(ref.log_posterior)
    public.check_map_estimate(ref.map_estimate)
    public.check_circular_posterior_mean(ref.circular_posterior_mean)


def test_public_checks_accept_other_correct_formulations():
    public.check_log_posterior(density_log_posterior)
    public.check_log_posterior(clipped_log_posterior)
    public.check_circular_posterior_mean(lambda lp, grid: np.angle(np.exp(lp) @ np.exp(2j * grid)) / 2)


def test_public_checks_catch_zero_rates_underflow_changed_inputs_and_averaged_angles():
    def zero_rate_nan(counts, tuning_curves, log_prior, window):
        with np.errstate(divide="ignore", invalid="ignore"):
            unnormalised = counts @ np.log(window * tuning_curves).T - window * tuning_curves.sum(axis=1) + log_prior
        return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)

    with pytest.raises(AssertionError, match="0 log 0"):
        public.check_log_posterior(zero_rate_nan)
    with pytest.raises(AssertionError, match="logsumexp"):
        public.check_log_posterior(naive_log_posterior)
    def prior_normalised_in_place(counts, tuning_curves, log_prior, window):
        log_prior -= logsumexp(log_prior)
        return ref.log_posterior(counts, tuning_curves, log_prior, window)

    with pytest.raises(AssertionError, match="in place"):
        public.check_log_posterior(prior_normalised_in_place)
    with pytest.raises(AssertionError, match="arithmetic mean"):
        public.check_circular_posterior_mean(lambda lp, grid: np.exp(lp) @ grid)


# --- hidden checks: correct answers pass, each known mistake is named ---

def test_checks_accept_the_references():
    checks.check_log_posterior(ref.log_posterior)
    checks.check_map_estimate(ref.map_estimate)
    checks.check_circular_posterior_mean(ref.circular_posterior_mean)


def scipy_log_posterior(counts, tuning_curves, log_prior, window):
    """Another correct formulation: scipy.stats.poisson.logpmf summed over neurons, log k! kept."""
    log_likelihood = poisson.logpmf(counts[:, None, :], window * tuning_curves[None, :, :]).sum(axis=2)
    unnormalised = log_likelihood + log_prior
    return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)


def density_log_posterior(counts, tuning_curves, log_prior, window):
    """Normalised as a density over [0, pi), the accepted alternative."""
    return ref.log_posterior(counts, tuning_curves, log_prior, window) - np.log(np.pi / tuning_curves.shape[0])


def clipped_log_posterior(counts, tuning_curves, log_prior, window):
    """Zero rates clipped to a tiny rate: ruled-out orientations get a negligible, finite log probability."""
    expected = np.maximum(window * tuning_curves, 1e-300)
    unnormalised = counts @ np.log(expected).T - expected.sum(axis=1) + log_prior
    return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)


@pytest.mark.parametrize("student", [scipy_log_posterior, density_log_posterior, clipped_log_posterior])
def test_log_posterior_check_accepts_other_correct_formulations(student):
    checks.check_log_posterior(student)


def test_estimate_checks_accept_other_correct_formulations():
    checks.check_map_estimate(lambda lp, grid: np.take(grid, lp.argmax(axis=-1)))

    def unnormalised_complex_mean(lp, grid):  # weights need not be normalised for an angle; range (-pi/2, pi/2]
        return np.angle(np.exp(lp - lp.max(axis=1, keepdims=True)) @ np.exp(2j * grid)) / 2

    checks.check_circular_posterior_mean(unnormalised_complex_mean)


@pytest.mark.parametrize("mistake", checks.POSTERIOR_MISTAKES, ids=lambda m: m.description[:40])
def test_each_log_posterior_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_log_posterior(lambda counts, tuning_curves, log_prior, window:
                                   mistake.compute(counts, tuning_curves, log_prior, window))


def test_underflow_in_probability_space_is_named():
    def max_subtracted(counts, tuning_curves, log_prior, window):
        unnormalised = ref.log_likelihood(counts, tuning_curves, window) + log_prior
        probabilities = np.exp(unnormalised - unnormalised.max(axis=1, keepdims=True))
        return np.log(probabilities / probabilities.sum(axis=1, keepdims=True))

    for student in (naive_log_posterior, max_subtracted):
        with pytest.raises(CheckFailed, match="normalised in probability space"):
            checks.check_log_posterior(student)


def test_zero_rates_giving_nan_are_named():
    def nan_for_silent_neurons(counts, tuning_curves, log_prior, window):
        expected = window * tuning_curves
        unnormalised = counts @ np.log(expected).T - expected.sum(axis=1) + log_prior
        return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)

    with pytest.raises(CheckFailed, match="0 log 0 = 0"):
        checks.check_log_posterior(nan_for_silent_neurons)


@pytest.mark.parametrize("mistake", checks.MAP_MISTAKES, ids=lambda m: m.description[:40])
def test_each_map_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_map_estimate(lambda lp, grid: np.arctan2(*mistake.compute(lp, grid)[::-1]) / 2)


@pytest.mark.parametrize("mistake", checks.MEAN_MISTAKES, ids=lambda m: m.description[:40])
def test_each_circular_mean_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_circular_posterior_mean(lambda lp, grid: np.arctan2(*mistake.compute(lp, grid)[::-1]) / 2)


def test_map_over_the_wrong_axis_is_explained():
    with pytest.raises(CheckFailed, match="axis 0"):
        checks.check_map_estimate(lambda lp, grid: lp.max(axis=0))  # one value per grid point


def test_inputs_changed_in_place_fail():
    def in_place(lp, grid):
        lp -= logsumexp(lp, axis=1, keepdims=True)
        return ref.map_estimate(lp, grid)

    with pytest.raises(CheckFailed, match="changed its argument"):
        checks.check_map_estimate(in_place)


def test_hard_coded_answers_fail():
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_log_posterior(lambda counts, tuning_curves, log_prior, window: np.zeros((3, 36)))
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_circular_posterior_mean(lambda lp, grid: np.full(5, 0.785))
