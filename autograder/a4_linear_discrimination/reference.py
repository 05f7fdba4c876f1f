"""Reference solutions for assignment 4.

Written independently of the notebook's solutions (scatter matrices and
``scipy`` here; ``np.cov``, ``np.linalg.solve`` and ``math.erf`` there).
"""
import numpy as np
from scipy import linalg, stats


def scatter(responses):
    """Sum of outer products of the deviations from the mean, shape (N, N)."""
    deviations = responses - responses.mean(axis=0)
    return deviations.T @ deviations


def pooled_covariance(responses_a, responses_b):
    """Unbiased pooled within-class covariance: total scatter / (T_a + T_b - 2)."""
    return (scatter(responses_a) + scatter(responses_b)) / (len(responses_a) + len(responses_b) - 2)


def optimal_linear_discriminant(responses_a, responses_b):
    """w = S^{-1} (mean_b - mean_a), shape (N,)."""
    difference = responses_b.mean(axis=0) - responses_a.mean(axis=0)
    return linalg.solve(pooled_covariance(responses_a, responses_b), difference, assume_a="pos")


def dprime(projections_a, projections_b):
    """(mean_b - mean_a) / sqrt of the average of the two unbiased variances."""
    spread = np.sqrt((np.var(projections_a, ddof=1) + np.var(projections_b, ddof=1)) / 2)
    return (np.mean(projections_b) - np.mean(projections_a)) / spread


def percent_correct(dprime):
    """Fraction correct of the midpoint rule for two equal-variance Gaussians: Phi(d'/2)."""
    return stats.norm.cdf(np.asarray(dprime, dtype=float) / 2)
