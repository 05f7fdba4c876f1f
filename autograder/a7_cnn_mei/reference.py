"""Reference solutions for assignment 7.

Written independently of the notebook's solutions and in other formulations (the
oracle as centred sums, the Gabor as the real part of a complex exponential on a
rotated grid, the norm as a square root of a sum), so that each cross-checks the other.
"""
import numpy as np


def leave_one_out_means(responses):
    """For each (image, repeat): the mean response over the image's other repeats."""
    responses = np.asarray(responses, dtype=float)
    n_repeats = responses.shape[1]
    totals = responses.sum(axis=1, keepdims=True)
    return (totals - responses) / (n_repeats - 1)


def pooled_correlation(a, b):
    """Pearson correlation of two arrays over all their entries."""
    a = np.ravel(np.asarray(a, dtype=float))
    b = np.ravel(np.asarray(b, dtype=float))
    a, b = a - a.mean(), b - b.mean()
    return float(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


def oracle_correlation(responses):
    """Correlation, over all (image, repeat) pairs, of each trial with the mean of the other repeats of its image."""
    return pooled_correlation(responses, leave_one_out_means(responses))


def gabor_patch(size, orientation, spatial_frequency, phase, sigma):
    """exp(-(x^2 + y^2) / (2 sigma^2)) cos(2 pi f (x cos theta + y sin theta) + phase).

    x is the column offset from the centre (to the right), y the row offset (downwards).
    """
    rows, columns = np.indices((size, size), dtype=float)
    centre = (size - 1) / 2.0
    position = (columns - centre) + 1j * (rows - centre)  # x + i y
    across = np.real(position * np.exp(-1j * orientation))  # x cos(theta) + y sin(theta)
    radius_squared = np.abs(position) ** 2
    carrier = np.real(np.exp(1j * (2 * np.pi * spatial_frequency * across + phase)))
    return np.exp(-radius_squared / (2.0 * sigma**2)) * carrier


def mei_step(image, grad, step, norm):
    """One step up the gradient, then back onto the sphere of L2 norm `norm`."""
    moved = np.asarray(image, dtype=float) + step * np.asarray(grad, dtype=float)
    return norm * moved / np.sqrt(np.sum(moved**2))
