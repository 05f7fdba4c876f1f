"""Reference solutions of assignment 8, written independently of the notebook's.

Conventions (stated in the notebook): column ``j`` of a design matrix holds the
stimulus ``j`` bins ago (column 0: the current bin) and column ``j`` of a history
matrix the spikes ``j + 1`` bins ago; missing past bins are zeros. Parameters are
``[offset, weights...]``; the ridge penalty ``penalty / 2 * ||weights||^2`` leaves
the offset alone.
"""
import numpy as np
from scipy.linalg import toeplitz


def make_design_matrix(stimulus, n_lags):
    """Lagged stimulus, shape (n_bins, n_lags): entry [t, j] = stimulus[t - j], 0 before the start."""
    first_row = np.zeros(n_lags)
    first_row[0] = stimulus[0]
    return toeplitz(np.asarray(stimulus, dtype=float), first_row)


def history_matrix(spikes, n_lags):
    """Past spikes, shape (n_bins, n_lags): entry [t, j] = spikes[t - 1 - j], 0 before the start."""
    past = np.concatenate([[0.0], np.asarray(spikes, dtype=float)[:-1]])
    return make_design_matrix(past, n_lags)


def raised_cosine_basis(n_basis, n_lags, offset=1.0):
    """Raised cosines in log time, shape (n_lags, n_basis).

    phi(t) = log(t + offset) for lags t = 0 .. n_lags - 1; centres evenly spaced from
    phi(0) to phi(n_lags - 1), spacing delta; basis j is
    (1 + cos(clip((phi - c_j) pi / (2 delta), -pi, pi))) / 2.
    """
    warped = np.log(np.arange(n_lags) + offset)
    centres = np.linspace(warped[0], warped[-1], n_basis)
    spacing = centres[1] - centres[0]
    phase = np.clip((warped[:, None] - centres[None, :]) * np.pi / (2 * spacing), -np.pi, np.pi)
    return (1 + np.cos(phase)) / 2


def penalised_nll(params, design, counts, penalty):
    """Poisson NLL (log y! dropped) plus penalty / 2 * ||weights||^2, and its gradient."""
    offset, weights = params[0], params[1:]
    log_rates = offset + design @ weights
    rates = np.exp(log_rates)
    value = np.sum(rates) - counts @ log_rates + 0.5 * penalty * weights @ weights
    residuals = rates - counts
    gradient = np.concatenate([[residuals.sum()], design.T @ residuals + penalty * weights])
    return float(value), gradient


def bits_per_spike(log_likelihood, null_log_likelihood, n_spikes):
    """Log-likelihood gained over the null model, in bits per spike."""
    return (log_likelihood - null_log_likelihood) / (n_spikes * np.log(2))


def fold_labels(n_bins, n_folds):
    """Fold of each bin: contiguous blocks whose sizes differ by at most one (np.array_split's)."""
    labels = np.empty(n_bins, dtype=int)
    for fold, block in enumerate(np.array_split(np.arange(n_bins), n_folds)):
        labels[block] = fold
    return labels
