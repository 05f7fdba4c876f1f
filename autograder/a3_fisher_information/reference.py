"""Reference solutions for assignment 3.

Written independently of the notebook's solutions and in another formulation
(Cholesky whitening and the pooled within-stimulus scatter matrix here; ``solve``
and ``np.cov`` there), so that each cross-checks the other.
"""
import numpy as np
from scipy import linalg


def linear_fisher_info(dmu, cov):
    """dmu^T cov^-1 dmu as the squared length of the whitened derivative L^-1 dmu (cov = L L^T)."""
    whitened = linalg.solve_triangular(linalg.cholesky(cov, lower=True), dmu, lower=True)
    return float(whitened @ whitened)


def fisher_info_poisson(rates, rate_derivatives, window):
    """Independent Poisson counts are Gaussian-like with mean f T_w and variance f T_w: linear FI of the counts."""
    rates, rate_derivatives = np.asarray(rates, float), np.asarray(rate_derivatives, float)
    return linear_fisher_info(window * rate_derivatives, np.diag(window * rates))


def pooled_covariance(responses_a, responses_b, ddof=1):
    """Within-stimulus scatter of both stimuli over 2 (T - ddof): the average of the two covariances."""
    scatter = sum((r - r.mean(axis=0)).T @ (r - r.mean(axis=0)) for r in (responses_a, responses_b))
    return scatter / (2 * (len(responses_a) - ddof))


def estimate_linear_fisher(responses_a, responses_b, dtheta, bias_correct=True):
    """Kanitscheider et al. (2015): I_naive (2T - N - 3)/(2T - 2) - 2N / (T dtheta^2), T trials per stimulus."""
    responses_a, responses_b = np.asarray(responses_a, float), np.asarray(responses_b, float)
    n_trials, n_neurons = responses_a.shape
    slope = (responses_b.mean(axis=0) - responses_a.mean(axis=0)) / dtheta
    naive = linear_fisher_info(slope, pooled_covariance(responses_a, responses_b))
    if not bias_correct:
        return naive
    shrink = 1 - (n_neurons + 1) / (2 * n_trials - 2)  # = (2T - N - 3) / (2T - 2)
    return naive * shrink - 2 * n_neurons / (n_trials * dtheta**2)
