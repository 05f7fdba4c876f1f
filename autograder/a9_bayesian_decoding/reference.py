"""Reference solutions for assignment 9.

Written independently of the notebook's solutions: masks applied with ``out=``/``where=``
here (``np.where`` there), and the circular mean from the resultant's sine and cosine
sums. ``tests/test_a9_checks.py`` checks the log posterior against a direct sum of
``scipy.stats.poisson.logpmf``.
"""
import numpy as np
from scipy.special import logsumexp


def log_likelihood(counts, tuning_curves, window):
    """Poisson log-likelihood of each grid orientation up to a constant: sum_i k_i log(f_i T) - f_i T.

    A neuron whose rate is 0 at an orientation contributes 0 if it fired no spike, and rules
    the orientation out (-inf) if it fired any.
    """
    counts = np.asarray(counts, dtype=float)
    expected = window * np.asarray(tuning_curves, dtype=float)  # (G, N), spikes
    silent = expected <= 0
    log_expected = np.log(expected, out=np.zeros_like(expected), where=~silent)
    result = counts @ log_expected.T - expected.sum(axis=1)
    result[(counts > 0) @ silent.T] = -np.inf
    return result


def log_posterior(counts, tuning_curves, log_prior, window):
    """Log likelihood plus log prior, normalised over the grid (axis 1) with log-sum-exp."""
    unnormalised = log_likelihood(counts, tuning_curves, window) + np.asarray(log_prior, dtype=float)
    return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)


def map_estimate(log_posterior, grid):
    """The grid orientation of largest posterior probability, per trial."""
    return np.asarray(grid, dtype=float)[np.argmax(log_posterior, axis=1)]


def circular_posterior_mean(log_posterior, grid):
    """Half the direction of the posterior-weighted mean of (cos 2 theta, sin 2 theta), in [0, pi)."""
    weights = np.exp(log_posterior - logsumexp(log_posterior, axis=1, keepdims=True))
    doubled = 2.0 * np.asarray(grid, dtype=float)
    return np.mod(np.arctan2(weights @ np.sin(doubled), weights @ np.cos(doubled)) / 2.0, np.pi)
