"""Tests for course.population and course.gratings (assignment 3, reused by assignment 4)."""
import math

import numpy as np
import pytest
import torch

from course.gratings import decode_orientation, gratings, make_network, sample_nuisance, train_orientation_network
from course.population import (differential_covariance, gaussian_responses, limited_range_covariance,
                               orientation_difference, poisson_counts, preferred_orientations, sample_stimulus_pair,
                               von_mises_derivative, von_mises_tuning)

pytestmark = pytest.mark.filterwarnings("error")

PHI = preferred_orientations(12)


def test_preferred_orientations_cover_half_a_turn_evenly():
    assert np.allclose(PHI, np.arange(12) * np.pi / 12)


def test_tuning_peaks_at_the_preference_and_has_period_pi():
    rates = von_mises_tuning(PHI, PHI)  # (12, 12): row = stimulus, column = neuron
    assert rates.shape == (12, 12)
    assert np.allclose(np.diag(rates), 20.0)
    assert np.allclose(von_mises_tuning(PHI[3] + np.pi / 2, PHI)[3], 2.0 + 18.0 * np.exp(-4.0))
    assert np.allclose(von_mises_tuning(0.3, PHI), von_mises_tuning(0.3 + np.pi, PHI))


def test_derivative_matches_finite_differences():
    theta, h = np.linspace(0, np.pi, 7), 1e-6
    numeric = (von_mises_tuning(theta + h, PHI) - von_mises_tuning(theta - h, PHI)) / (2 * h)
    assert np.allclose(von_mises_derivative(theta, PHI), numeric, rtol=1e-6, atol=1e-6)


def test_bad_tuning_parameters_raise():
    with pytest.raises(ValueError, match="baseline"):
        von_mises_tuning(0.0, PHI, peak_rate=2.0, baseline=5.0)
    with pytest.raises(ValueError, match="kappa"):
        von_mises_tuning(0.0, PHI, kappa=-1.0)
    with pytest.raises(ValueError, match="finite"):
        von_mises_tuning(np.nan, PHI)


def test_poisson_counts_have_the_expected_mean():
    rates = np.array([2.0, 10.0, 40.0])
    counts = poisson_counts(rates, 0.5, 20_000, np.random.default_rng(0))
    assert counts.shape == (20_000, 3)
    assert np.allclose(counts.mean(axis=0), rates * 0.5, rtol=0.03)
    with pytest.raises(ValueError, match="window"):
        poisson_counts(rates, 0.0, 10, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        poisson_counts(rates, 0.5, 10, 0)


def test_limited_range_covariance_is_positive_definite_and_wraps_around():
    variances = np.linspace(1.0, 5.0, 12)
    cov = limited_range_covariance(variances, PHI, correlation=0.3, length=0.5)
    assert np.allclose(np.diag(cov), variances) and np.allclose(cov, cov.T)
    assert np.linalg.eigvalsh(cov).min() > 0
    corr = cov / np.sqrt(np.outer(variances, variances))
    assert corr[0, 1] == pytest.approx(0.3 * np.exp(-(np.pi / 12) / 0.5))
    assert corr[0, 11] == pytest.approx(corr[0, 1])  # 0 and 165 degrees are 15 degrees apart
    assert orientation_difference(0.0, np.pi - 0.1) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="correlation"):
        limited_range_covariance(variances, PHI, correlation=1.0)


def test_differential_covariance_adds_the_outer_product():
    slope = np.array([1.0, -2.0])
    assert np.allclose(differential_covariance(np.eye(2), slope, 0.5), np.eye(2) + 0.5 * np.outer(slope, slope))
    with pytest.raises(ValueError, match="shape"):
        differential_covariance(np.eye(3), slope, 0.5)


def test_gaussian_responses_and_stimulus_pairs_have_the_requested_statistics():
    rng = np.random.default_rng(1)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    trials = gaussian_responses(np.array([1.0, -1.0]), cov, 50_000, rng)
    assert np.allclose(trials.mean(axis=0), [1.0, -1.0], atol=0.03)
    assert np.allclose(np.cov(trials, rowvar=False), cov, atol=0.05)
    a, b = sample_stimulus_pair(np.array([5.0, 5.0]), np.array([10.0, -10.0]), cov, 0.2, 50_000, rng)
    assert np.allclose(b.mean(axis=0) - a.mean(axis=0), [2.0, -2.0], atol=0.05)
    with pytest.raises(ValueError, match="positive definite"):
        gaussian_responses(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]), 5, rng)


def test_gratings_are_differentiable_and_have_period_pi():
    theta = torch.tensor([0.3, 1.2], dtype=torch.float64, requires_grad=True)
    phase = torch.tensor([0.0, 1.0], dtype=torch.float64)
    images = gratings(theta, phase, size=8)
    assert images.shape == (2, 64)
    # theta + pi is the same grating with the opposite phase: with random phases, the same set of images
    assert torch.allclose(images, gratings(theta.detach() + math.pi, -phase, size=8))
    (gradient,) = torch.autograd.grad(images.sum(), theta)
    assert torch.all(torch.isfinite(gradient)) and torch.any(gradient != 0)
    with pytest.raises(ValueError, match="one entry per image"):
        gratings([0.1, 0.2], [0.0], size=8)


def test_training_is_seeded_and_reduces_the_loss():
    first, losses = train_orientation_network(torch.Generator().manual_seed(5), n_steps=60)
    second, _ = train_orientation_network(torch.Generator().manual_seed(5), n_steps=60)
    assert all(torch.equal(p, q) for p, q in zip(first.parameters(), second.parameters()))
    assert losses[-10:].mean() < 0.8 * losses[:10].mean()
    with pytest.raises(TypeError, match="torch.Generator"):
        make_network(0)


def test_decode_orientation_inverts_the_training_target():
    theta = np.array([0.0, 0.4, 1.5, 3.0])
    outputs = np.stack([np.cos(2 * theta), np.sin(2 * theta)], axis=1)
    assert np.allclose(decode_orientation(outputs), theta)
    phases, noise = sample_nuisance(4, torch.Generator().manual_seed(0), size=8)
    assert phases.shape == (4,) and noise.shape == (4, 64)
