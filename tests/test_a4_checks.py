"""Assignment 4's references against theory, and its hidden checks against known answers."""
import re

import numpy as np
import pytest
from scipy import stats

from autograder.a4_linear_discrimination import checks, reference as ref
from autograder.harness import CheckFailed


def test_percent_correct_of_the_optimal_discriminant_matches_monte_carlo():
    rng = np.random.default_rng(3)
    n_neurons, trials = 20, 100_000
    axes, _ = np.linalg.qr(rng.normal(size=(n_neurons, n_neurons)))
    covariance = axes @ np.diag(np.logspace(-1, 1, n_neurons)) @ axes.T
    mean_a = rng.uniform(2, 5, n_neurons)
    mean_b = mean_a + 0.15 * rng.normal(size=n_neurons)
    w = np.linalg.solve(covariance, mean_b - mean_a)  # the true optimal discriminant
    dprime = np.sqrt((mean_b - mean_a) @ w)
    a = rng.multivariate_normal(mean_a, covariance, trials) @ w
    b = rng.multivariate_normal(mean_b, covariance, trials) @ w
    midpoint = (mean_a + mean_b) @ w / 2
    empirical = (np.mean(a < midpoint) + np.mean(b > midpoint)) / 2
    assert 0.6 < ref.percent_correct(dprime) < 0.95
    assert abs(ref.percent_correct(dprime) - empirical) < 0.005
    assert ref.dprime(a, b) == pytest.approx(dprime, rel=0.01)


def test_sample_discriminant_converges_to_the_true_one():
    rng = np.random.default_rng(4)
    covariance = np.array([[2.0, 1.2], [1.2, 1.0]])
    a = rng.multivariate_normal([0.0, 0.0], covariance, 50_000)
    b = rng.multivariate_normal([0.0, 1.0], covariance, 30_000)
    true_w = np.linalg.solve(covariance, [0.0, 1.0])
    assert np.allclose(ref.optimal_linear_discriminant(a, b), true_w, rtol=0.05, atol=0.05)
    assert np.allclose(ref.pooled_covariance(a, b), covariance, atol=0.05)


def test_checks_accept_the_references_and_the_total_covariance_direction():
    checks.check_optimal_linear_discriminant(ref.optimal_linear_discriminant)
    checks.check_optimal_linear_discriminant(lambda a, b: 0.1 * ref.optimal_linear_discriminant(a, b))
    # Sherman-Morrison: the total covariance adds a term along (mean_b - mean_a); same direction.
    checks.check_optimal_linear_discriminant(
        lambda a, b: np.linalg.solve(np.cov(np.vstack([a, b]), rowvar=False), b.mean(0) - a.mean(0)))
    checks.check_dprime(ref.dprime)
    checks.check_percent_correct(ref.percent_correct)
    checks.check_percent_correct(lambda d: 100 * stats.norm.cdf(d / 2))  # as a percentage


def _named(mistake):
    return pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30]))


@pytest.mark.parametrize("mistake", checks.DISCRIMINANT_MISTAKES, ids=lambda m: m.description[:40])
def test_each_discriminant_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_optimal_linear_discriminant(lambda a, b: 2.0 * mistake.compute(a, b))


@pytest.mark.parametrize("mistake", checks.DPRIME_MISTAKES, ids=lambda m: m.description[:40])
def test_each_dprime_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_dprime(mistake.compute)


@pytest.mark.parametrize("mistake", checks.PERCENT_MISTAKES, ids=lambda m: m.description[:40])
def test_each_percent_correct_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_percent_correct(mistake.compute)


def test_hard_coded_answers_fail():
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_dprime(lambda a, b: 1.3)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_optimal_linear_discriminant(lambda a, b: np.ones(a.shape[1]))


def test_decoders_extract_less_than_the_truth_and_more_with_more_trials():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression

    from course.population import (limited_range_covariance, preferred_orientations, sample_stimulus_pair,
                                   von_mises_derivative, von_mises_tuning)

    rng = np.random.default_rng(8)
    preferred = preferred_orientations(50)
    mean = 0.5 * von_mises_tuning(np.pi / 4, preferred)
    derivative = 0.5 * von_mises_derivative(np.pi / 4, preferred)
    covariance = limited_range_covariance(mean, preferred)
    truth = derivative @ np.linalg.solve(covariance, derivative)

    def out_of_sample_information(weights):
        return (weights @ derivative) ** 2 / (weights @ covariance @ weights)

    averages = []
    for trials in (150, 500, 2000):
        values = []
        for _ in range(6):
            a, b = sample_stimulus_pair(mean, derivative, covariance, 0.1, trials, rng)
            half = trials // 2
            x = np.vstack([a[:half], b[:half]])
            y = np.repeat([0, 1], half)
            for decoder in (LinearDiscriminantAnalysis(), LogisticRegression(C=np.inf, max_iter=10_000)):
                values.append(out_of_sample_information(decoder.fit(x, y).coef_[0]))
        averages.append(np.mean(values))
        assert max(values) <= truth * (1 + 1e-9)  # Cauchy-Schwarz: never above the truth
    assert averages[0] < averages[1] < averages[2] < truth
    assert averages[0] < 0.8 * truth and averages[2] > 0.85 * truth
