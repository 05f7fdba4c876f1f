"""Reference solutions for assignment 1.

Written independently of the notebook's solutions and in another formulation
(matrix products and histograms here; weighted sums, ``np.cov`` and ``np.digitize``
there), so that each cross-checks the other.
"""
import numpy as np
from scipy import linalg


def compute_STA(images, spike_counts):
    """STA = sum_i y_i x_i / sum_i y_i, shape (n_pixels,)."""
    counts = np.asarray(spike_counts, dtype=float)
    return counts @ np.asarray(images, dtype=float) / counts.sum()


def stimulus_covariance(images, ddof=1):
    """Pixel covariance, shape (n_pixels, n_pixels), normalised by n_images - ddof."""
    centred = images - images.mean(axis=0)
    return centred.T @ centred / (len(images) - ddof)


def compute_whitened_STA(images, spike_counts, ridge=0.0, ddof=1):
    """C^{-1} (STA - mean image), with ``ridge`` added to the diagonal of C."""
    images = np.asarray(images, dtype=float)
    covariance = stimulus_covariance(images, ddof) + ridge * np.eye(images.shape[1])
    spike_triggered_deviation = compute_STA(images, spike_counts) - images.mean(axis=0)
    return linalg.solve(covariance, spike_triggered_deviation, assume_a="pos")


def bin_edges(generator_signal, n_bins):
    """``n_bins`` equal-width bins spanning the signal's range, shape (n_bins + 1,)."""
    return np.linspace(np.min(generator_signal), np.max(generator_signal), n_bins + 1)


def estimate_nonlinearity(generator_signal, spike_counts, n_bins):
    """Bin centres and mean spike count per bin (NaN for empty bins).

    Bins follow ``np.histogram``: half-open [a, b) except the last, which is closed.
    """
    edges = bin_edges(generator_signal, n_bins)
    images_per_bin, _ = np.histogram(generator_signal, edges)
    spikes_per_bin, _ = np.histogram(generator_signal, edges, weights=np.asarray(spike_counts, dtype=float))
    mean_counts = np.full(n_bins, np.nan)
    np.divide(spikes_per_bin, images_per_bin, out=mean_counts, where=images_per_bin > 0)
    return (edges[:-1] + edges[1:]) / 2, mean_counts
