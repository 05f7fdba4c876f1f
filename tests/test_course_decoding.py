"""course.decoding, and assignment 9's science targets: efficiency against the Cramér–Rao bound, calibration."""
import doctest
import inspect

import numpy as np
import pytest
from scipy.special import logsumexp

from autograder.a9_bayesian_decoding import reference as ref
from course import decoding
from course.decoding import (credible_set_coverage, decoding_explorer, orientation_error, orientation_grid,
                             population_vector, sample_prior_orientations, von_mises_log_prior)
from course.population import poisson_counts, preferred_orientations, von_mises_derivative, von_mises_tuning

pytestmark = pytest.mark.filterwarnings("error")

PREFERRED = preferred_orientations(50)
GRID = orientation_grid(720)
TUNING = von_mises_tuning(GRID, PREFERRED)
THETA = np.pi / 4
RATES = von_mises_tuning(THETA, PREFERRED)
INFORMATION_PER_SECOND = np.sum(von_mises_derivative(THETA, PREFERRED) ** 2 / RATES)
WINDOWS = (0.02, 0.05, 0.2, 2.0)  # the notebook's shortest, two in between, and its longest (755 spikes)


def test_every_public_function_is_documented_numpydoc_style_and_the_examples_run():
    for name in decoding.__all__:
        doc = inspect.getdoc(getattr(decoding, name)) or ""
        assert "Parameters\n----------" in doc and "Returns\n-------" in doc, name
    assert doctest.testmod(decoding, extraglobs={"np": np}).failed == 0


def test_grid_prior_and_samples():
    assert np.allclose(orientation_grid(4), [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4])
    prior = von_mises_log_prior(GRID, 4.0, mean=THETA)
    assert logsumexp(prior) == pytest.approx(0.0, abs=1e-12) and GRID[np.argmax(prior)] == pytest.approx(THETA)
    assert np.allclose(von_mises_log_prior(GRID, 0.0), -np.log(len(GRID)))
    samples = sample_prior_orientations(20_000, 4.0, np.random.default_rng(0), mean=THETA)
    assert samples.min() >= 0 and samples.max() < np.pi
    # the sample's doubled-angle resultant length is I1(4)/I0(4) = 0.8635 for a von Mises of concentration 4
    resultant = np.mean(np.exp(2j * (samples - THETA)))
    assert abs(resultant) == pytest.approx(0.8635, abs=0.01) and abs(np.angle(resultant)) < 0.02
    with pytest.raises(ValueError, match="concentration"):
        von_mises_log_prior(GRID, -1.0)
    with pytest.raises(TypeError, match="Generator"):
        sample_prior_orientations(3, 1.0, 0)


def test_orientation_error_wraps_at_half_a_turn():
    assert np.allclose(orientation_error([0.1, np.pi - 0.1, np.pi / 2 + 0.2], 0.0), [0.1, -0.1, -np.pi / 2 + 0.2])


def test_population_vector_reads_a_noiseless_response_and_rejects_bad_shapes():
    assert population_vector(RATES[None, :], PREFERRED)[0] == pytest.approx(THETA, abs=1e-9)
    with pytest.raises(ValueError, match="n_trials, N"):
        population_vector(RATES, PREFERRED)


def test_credible_sets_of_a_known_posterior():
    log_posterior = np.log([[0.5, 0.3, 0.15, 0.05], [0.5, 0.3, 0.15, 0.05]])
    grid = orientation_grid(4)
    # the 80 % set is {0, 1}; truths near grid points 1 and 2 (nearest-point rule, wrapping at pi)
    assert credible_set_coverage(log_posterior, grid, np.array([0.8, 1.5]), level=0.8).tolist() == [True, False]
    assert credible_set_coverage(log_posterior, grid, np.array([3.1, 3.1]), level=0.8).tolist() == [True, True]
    with pytest.raises(ValueError, match="level"):
        credible_set_coverage(log_posterior, grid, 0.0, level=1.0)


def decode_errors(window, n_trials, seed):
    """ML and population-vector squared errors in units of the Cramér–Rao bound 1 / (T I_1)."""
    counts = poisson_counts(RATES, window, n_trials, np.random.default_rng(seed))
    ml = ref.map_estimate(ref.log_posterior(counts, TUNING, von_mises_log_prior(GRID, 0.0), window), GRID)
    scale = window * INFORMATION_PER_SECOND
    return (np.mean(orientation_error(ml, THETA) ** 2) * scale,
            np.mean(orientation_error(population_vector(counts, PREFERRED), THETA) ** 2) * scale)


@pytest.fixture(scope="module")
def efficiency():
    return {window: decode_errors(window, 4000, seed=int(window * 100)) for window in WINDOWS}


def test_ml_reaches_the_cramer_rao_bound_at_the_highest_count(efficiency):
    ml, _ = efficiency[max(WINDOWS)]
    assert ml == pytest.approx(1.0, abs=0.10)


def test_ml_approaches_the_bound_as_the_window_grows(efficiency):
    excess = [abs(efficiency[window][0] - 1.0) for window in WINDOWS]
    assert excess[0] > 0.5  # 8 spikes per trial: far from the bound
    assert excess == sorted(excess, reverse=True)


def test_population_vector_stays_above_the_bound(efficiency):
    # its delta-method variance is 1.094 / I for this population at every window
    for window in WINDOWS[2:]:
        ml, pv = efficiency[window]
        assert pv > 1.03 and pv > ml


def test_map_with_a_prior_beats_the_bound_at_low_counts_only():
    prior = von_mises_log_prior(GRID, 4.0, mean=THETA)
    ratios = []
    for window in (0.05, 2.0):
        counts = poisson_counts(RATES, window, 4000, np.random.default_rng(3))
        estimate = ref.map_estimate(ref.log_posterior(counts, TUNING, prior, window), GRID)
        ratios.append(np.mean(orientation_error(estimate, THETA) ** 2) * window * INFORMATION_PER_SECOND)
    assert ratios[0] < 0.8 and ratios[1] == pytest.approx(1.0, abs=0.10)


def coverage(true_concentration, assumed_concentration, n_trials=4000, window=0.1, seed=7):
    rng = np.random.default_rng(seed)
    truth = sample_prior_orientations(n_trials, true_concentration, rng, mean=THETA)
    counts = rng.poisson(window * von_mises_tuning(truth, PREFERRED))
    log_posterior = ref.log_posterior(counts, TUNING, von_mises_log_prior(GRID, assumed_concentration, THETA), window)
    return credible_set_coverage(log_posterior, GRID, truth).mean()


@pytest.mark.parametrize("concentration", [0.0, 4.0])
def test_credible_sets_are_calibrated_with_the_correct_prior(concentration):
    assert coverage(concentration, concentration) == pytest.approx(0.95, abs=0.015)


def test_a_too_concentrated_prior_is_overconfident():
    assert coverage(4.0, 32.0) < 0.8


def test_explorer_draws_once_headless(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("COURSE_STATIC_WIDGETS", "1")
    drawn = []
    monkeypatch.setattr(plt, "show", lambda: drawn.append(plt.gcf()))
    assert decoding_explorer(ref.log_posterior, ref.map_estimate, TUNING, GRID, PREFERRED, RATES,
                             INFORMATION_PER_SECOND, theta=THETA, n_trials=50) is None
    assert len(drawn) == 1 and len(drawn[0].axes) == 2
    plt.close("all")
