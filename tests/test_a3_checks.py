"""Assignment 3's references against theory (shared/science.md section 3), and its hidden checks."""
import re

import numpy as np
import pytest
import torch

from autograder.a3_fisher_information import checks, reference as ref
from autograder.harness import CheckFailed
from course.gratings import finite_difference_derivative, output_statistics, sample_nuisance, train_orientation_network
from course.population import (differential_covariance, limited_range_covariance, preferred_orientations,
                               von_mises_derivative, von_mises_tuning)

WINDOW, THETA = 0.5, np.pi / 4


def population(n_neurons):
    """Mean counts, their slope and the limited-range covariance of the notebook's population."""
    phi = preferred_orientations(n_neurons)
    mean = von_mises_tuning(THETA, phi) * WINDOW
    return mean, von_mises_derivative(THETA, phi) * WINDOW, limited_range_covariance(mean, phi)


def simulate_estimates(n_neurons, n_trials, dtheta, n_repeats, seed):
    """Naive, corrected and (2T-3)-corrected estimates over n_repeats data sets with linear means, and the truth."""
    mean, slope, cov = population(n_neurons)
    rng = np.random.default_rng(seed)
    factor = np.linalg.cholesky(cov)
    noise = rng.standard_normal((n_repeats, 2, n_trials, n_neurons)) @ factor.T  # all data sets at once
    estimates = np.empty((n_repeats, 3))
    for r in range(n_repeats):
        a, b = mean - slope * dtheta / 2 + noise[r, 0], mean + slope * dtheta / 2 + noise[r, 1]
        naive = ref.estimate_linear_fisher(a, b, dtheta, bias_correct=False)
        estimates[r] = (naive, ref.estimate_linear_fisher(a, b, dtheta),
                        naive * (2 * n_trials - n_neurons - 3) / (2 * n_trials - 3) - 2 * n_neurons / (n_trials * dtheta**2))
    return estimates, ref.linear_fisher_info(slope, cov)


# (N, T, dtheta): N = 20-50, several T, 2000 data sets each
SETTINGS = ((20, 20, 0.2), (20, 30, 0.2), (50, 40, 0.1), (50, 100, 0.1))


@pytest.fixture(scope="module", params=SETTINGS, ids=lambda s: f"N{s[0]}-T{s[1]}")
def simulated(request):
    n_neurons, n_trials, dtheta = request.param
    estimates, truth = simulate_estimates(n_neurons, n_trials, dtheta, 2000, seed=n_neurons * 1000 + n_trials)
    return request.param, estimates, truth


def test_bias_corrected_estimate_is_unbiased(simulated):
    (n_neurons, n_trials, dtheta), estimates, truth = simulated
    corrected = estimates[:, 1]
    standard_error = corrected.std(ddof=1) / np.sqrt(len(corrected))
    assert abs(corrected.mean() - truth) < 3 * standard_error, (corrected.mean(), standard_error, truth)


def test_naive_estimate_matches_its_theoretical_mean(simulated):
    (n_neurons, n_trials, dtheta), estimates, truth = simulated
    theory = (2 * n_trials - 2) / (2 * n_trials - n_neurons - 3) * (truth + 2 * n_neurons / (n_trials * dtheta**2))
    assert estimates[:, 0].mean() == pytest.approx(theory, rel=0.02)


def test_the_2T_minus_3_form_is_biased_for_few_trials():
    estimates, truth = simulate_estimates(20, 15, 0.2, 4000, seed=3)
    wrong = estimates[:, 2]
    assert wrong.mean() - truth > 3 * wrong.std(ddof=1) / np.sqrt(len(wrong))


def test_poisson_information_equals_linear_information_with_poisson_covariance():
    rng = np.random.default_rng(0)
    rates, slopes = rng.uniform(1, 40, 30), rng.normal(0, 10, 30)
    assert ref.fisher_info_poisson(rates, slopes, 0.3) == pytest.approx(
        ref.linear_fisher_info(0.3 * slopes, np.diag(0.3 * rates)), rel=1e-12)
    assert ref.fisher_info_poisson(rates, slopes, 0.3) == pytest.approx(0.3 * np.sum(slopes**2 / rates), rel=1e-12)


@pytest.mark.parametrize("epsilon", [1e-3, 1e-2, 1e-1])
def test_differential_correlations_limit_information(epsilon):
    _, slope, cov = population(50)
    info_0 = ref.linear_fisher_info(slope, cov)
    limited = ref.linear_fisher_info(slope, differential_covariance(cov, slope, epsilon))
    assert limited == pytest.approx(info_0 / (1 + epsilon * info_0), rel=1e-9)
    assert limited < 1 / epsilon


def test_network_autograd_derivative_matches_finite_differences():
    network, losses = train_orientation_network(torch.Generator().manual_seed(3), n_steps=100)
    assert losses[-10:].mean() < losses[:10].mean()
    phases, noise = sample_nuisance(500, torch.Generator().manual_seed(4))
    for theta in (0.1, 1.0, 2.5):
        _, autograd, covariance = output_statistics(network, theta, phases, noise)
        finite = finite_difference_derivative(network, theta, phases, noise, step=1e-5)
        assert np.allclose(autograd, finite, rtol=1e-5, atol=1e-7 * np.abs(autograd).max())
        assert ref.linear_fisher_info(autograd, covariance) > 0


# --- the hidden checks: correct answers pass, each known mistake is named ---

def test_checks_accept_the_references():
    checks.check_fisher_info_poisson(ref.fisher_info_poisson)
    checks.check_linear_fisher_info(ref.linear_fisher_info)
    checks.check_estimate_linear_fisher(ref.estimate_linear_fisher)


def test_checks_accept_other_correct_formulations():
    checks.check_fisher_info_poisson(lambda rates, rate_derivatives, window:
                                     sum(window * d * d / f for f, d in zip(rates, rate_derivatives)))
    checks.check_linear_fisher_info(lambda dmu, cov: np.linalg.lstsq(cov, dmu, rcond=None)[0] @ dmu)

    def einsum_estimate(responses_a, responses_b, dtheta, bias_correct=True):
        both = np.stack([responses_a, responses_b])
        t, n = responses_a.shape
        centred = both - both.mean(axis=1, keepdims=True)
        pooled = np.einsum("stn,stm->nm", centred, centred) / (2 * t - 2)
        slope = (both[1].mean(0) - both[0].mean(0)) / dtheta
        naive = slope @ np.linalg.inv(pooled) @ slope
        return naive * (1 - (n + 1) / (2 * t - 2)) - 2 * n / (t * dtheta**2) if bias_correct else naive

    checks.check_estimate_linear_fisher(einsum_estimate)


@pytest.mark.parametrize("mistake", checks.POISSON_MISTAKES, ids=lambda m: m.description[:40])
def test_each_poisson_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_fisher_info_poisson(lambda rates, rate_derivatives, window:
                                         mistake.compute(rates, rate_derivatives, window))


@pytest.mark.parametrize("mistake", checks.LINEAR_MISTAKES, ids=lambda m: m.description[:40])
def test_each_linear_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_linear_fisher_info(lambda dmu, cov: mistake.compute(dmu, cov))


@pytest.mark.parametrize("mistake", checks.ESTIMATE_MISTAKES, ids=lambda m: m.description[:40])
def test_each_estimate_mistake_is_named(mistake):
    def student(responses_a, responses_b, dtheta, bias_correct=True):
        return mistake.compute(responses_a, responses_b, dtheta, bias_correct)

    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_estimate_linear_fisher(student)


def test_one_value_per_neuron_is_explained():
    with pytest.raises(CheckFailed, match="one value per neuron"):
        checks.check_fisher_info_poisson(lambda rates, rate_derivatives, window: window * rate_derivatives**2 / rates)


def test_estimate_check_uses_a_correct_linear_fisher_info_so_one_mistake_costs_once():
    def broken(dmu, cov):
        return dmu @ cov @ dmu

    namespace = {"linear_fisher_info": broken, "np": np}
    exec("def estimate_linear_fisher(responses_a, responses_b, dtheta, bias_correct=True):\n"
         "    t, n = responses_a.shape\n"
         "    cov = (np.cov(responses_a, rowvar=False) + np.cov(responses_b, rowvar=False)) / 2\n"
         "    naive = linear_fisher_info((responses_b.mean(0) - responses_a.mean(0)) / dtheta, cov)\n"
         "    return naive * (2*t - n - 3) / (2*t - 2) - 2*n / (t * dtheta**2) if bias_correct else naive\n", namespace)
    checks.check_estimate_linear_fisher(namespace["estimate_linear_fisher"])
    assert namespace["linear_fisher_info"] is broken  # restored afterwards


def test_hard_coded_answers_fail():
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_fisher_info_poisson(lambda rates, rate_derivatives, window: 558.99)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_linear_fisher_info(lambda dmu, cov: 229.39)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_estimate_linear_fisher(lambda responses_a, responses_b, dtheta, bias_correct=True: 227.1)
