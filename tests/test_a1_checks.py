"""Assignment 1's references against theory, and its hidden checks against known answers."""
import re

import numpy as np
import pytest
from scipy import linalg

from autograder.a1_lnp_sta import checks, reference as ref
from autograder.harness import CheckFailed
from course.lnp import correlation, gaussian_filter, simulate_lnp
from course.stimuli import natural_stimuli, sample_covariance

K = gaussian_filter()


# --- the reference against theory (shared/science.md sections 1 and 6) ---

def test_white_noise_sta_recovers_the_filter(white):
    assert correlation(ref.compute_STA(*white), K) >= 0.93


def test_pink_noise_sta_converges_to_C_k_not_k(pink):
    images, counts = pink
    sta = ref.compute_STA(images, counts)
    C_k = sample_covariance(images) @ K
    assert correlation(sta, C_k) >= 0.98
    assert 0.55 <= correlation(sta, K) <= 0.80
    # E[STA] = mu + C k exactly for Gaussian stimuli: relative error ~ 1/sqrt(n)
    mean = images.mean(axis=0)
    assert np.linalg.norm(sta - (mean + C_k)) / np.linalg.norm(mean + C_k) < 0.06


def test_whitened_sta_recovers_the_filter_from_pink_noise():
    rng = np.random.default_rng(13)
    images = natural_stimuli(100_000, K, rng)
    counts = simulate_lnp(images, K, rng)
    assert correlation(ref.compute_whitened_STA(images, counts), K) >= 0.95
    assert correlation(ref.compute_STA(images, counts), K) <= 0.80


def test_whitened_sta_is_the_least_squares_regression(pink):
    images, counts = pink
    design = np.column_stack([np.ones(len(images)), images])
    slope = linalg.lstsq(design, counts)[0][1:]
    whitened = ref.compute_whitened_STA(images, counts, ddof=0)
    # regression slope = C^-1 cov(x, y) = C^-1 (STA - mu) * mean(y), both normalised by n
    assert np.allclose(slope, whitened * counts.mean(), rtol=1e-6, atol=1e-9)


def test_nonlinearity_matches_the_mean_rate_in_each_bin(white):
    images, counts = white
    signal = images @ K
    centres, means = ref.estimate_nonlinearity(signal, counts, 15)
    per_bin, edges = np.histogram(signal, 15)
    expected = np.histogram(signal, edges, weights=np.exp(signal))[0] / np.maximum(per_bin, 1)
    sampled = per_bin >= 50
    assert sampled.sum() >= 8
    # Poisson noise of a mean of n counts with mean rate r: sd = sqrt(r / n)
    z = (means[sampled] - expected[sampled]) / np.sqrt(expected[sampled] / per_bin[sampled])
    assert np.all(np.abs(z) < 4.5)


def test_nonlinearity_counts_every_sample_once_and_leaves_empty_bins_nan():
    signal = np.array([0.0, 0.1, 5.0, 10.0])
    centres, means = ref.estimate_nonlinearity(signal, np.array([1, 3, 4, 8]), 4)
    assert np.allclose(centres, [1.25, 3.75, 6.25, 8.75])
    assert means[0] == 2 and np.isnan(means[1]) and means[2] == 4 and means[3] == 8


# --- the hidden checks: correct answers pass, each known mistake is named ---

def test_checks_accept_the_references():
    checks.check_compute_STA(ref.compute_STA)
    checks.check_compute_whitened_STA(ref.compute_whitened_STA)
    checks.check_estimate_nonlinearity(ref.estimate_nonlinearity)


@pytest.mark.parametrize("mistake", checks.STA_MISTAKES, ids=lambda m: m.description[:40])
def test_each_sta_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_compute_STA(lambda images, spike_counts: mistake.compute(images, spike_counts))


@pytest.mark.parametrize("mistake", checks.WHITENED_MISTAKES, ids=lambda m: m.description[:40])
def test_each_whitened_mistake_is_named(mistake):
    def student(images, spike_counts, ridge=0.0):
        return mistake.compute(images, spike_counts, ridge)

    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_compute_whitened_STA(student)


@pytest.mark.parametrize("mistake", checks.MEAN_MISTAKES + checks.CENTRE_MISTAKES, ids=lambda m: m.description[:40])
def test_each_nonlinearity_mistake_is_named(mistake):
    is_centre_mistake = mistake in checks.CENTRE_MISTAKES

    def student(signal, spike_counts, n_bins):
        centres, means = ref.estimate_nonlinearity(signal, spike_counts, n_bins)
        wrong = mistake.compute(signal, spike_counts, n_bins)
        return (wrong, means) if is_centre_mistake else (centres, wrong)

    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_estimate_nonlinearity(student)


@pytest.mark.parametrize("variant", checks.MEAN_ACCEPTED)
def test_other_binning_conventions_get_full_marks(variant):
    def student(signal, spike_counts, n_bins):
        return ref.estimate_nonlinearity(signal, spike_counts, n_bins)[0], variant(signal, spike_counts, n_bins)

    checks.check_estimate_nonlinearity(student)


def test_whitened_check_uses_a_correct_sta_so_one_mistake_costs_once():
    def broken_sta(images, spike_counts):
        return spike_counts @ images  # unnormalised

    namespace = {"compute_STA": broken_sta, "ref": ref}
    exec("def compute_whitened_STA(images, spike_counts, ridge=0.0):\n"
         "    c = ref.stimulus_covariance(images) + ridge * ref.np.eye(images.shape[1])\n"
         "    return ref.linalg.solve(c, compute_STA(images, spike_counts) - images.mean(0))\n", namespace)
    checks.check_compute_whitened_STA(namespace["compute_whitened_STA"])
    assert namespace["compute_STA"] is broken_sta  # restored afterwards


def test_hard_coded_answers_fail(white):
    answer = ref.compute_STA(*white)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_compute_STA(lambda images, spike_counts: answer)


def test_correct_answers_in_float32_or_torch_get_full_marks():
    torch = pytest.importorskip("torch")

    def sta_float32(images, spike_counts):
        images, spike_counts = np.float32(images), np.float32(spike_counts)
        return spike_counts @ images / spike_counts.sum()

    def whitened_float32(images, spike_counts, ridge=0.0):
        images = np.asarray(images, dtype=np.float32)
        covariance = np.cov(images, rowvar=False).astype(np.float32) + np.float32(ridge) * np.eye(images.shape[1], dtype=np.float32)
        return np.linalg.solve(covariance, sta_float32(images, spike_counts) - images.mean(axis=0))

    def sta_torch(images, spike_counts):
        x, y = torch.tensor(images, dtype=torch.float32), torch.tensor(spike_counts, dtype=torch.float32)
        return (y @ x) / y.sum()

    checks.check_compute_STA(sta_float32)
    checks.check_compute_STA(sta_torch)
    checks.check_compute_whitened_STA(whitened_float32)


def test_regression_weights_are_named_as_a_scaled_whitened_sta():
    def regression(images, spike_counts, ridge=0.0):
        design = np.column_stack([np.ones(len(images)), images])
        return linalg.lstsq(design, spike_counts)[0][1:]

    with pytest.raises(CheckFailed, match="regression weights"):
        checks.check_compute_whitened_STA(regression)
