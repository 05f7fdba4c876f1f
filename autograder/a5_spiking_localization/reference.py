"""Reference solutions for assignment 5.

Written independently of the notebook's solutions: numpy and scipy here, where
the notebook writes torch (the surrogate spike) or array arithmetic (the LIF
step), so that each cross-checks the other.
"""
import numpy as np
from scipy.special import expit

from course.spiking import SURROGATE_SLOPE


def spike(v):
    """Heaviside step: 1 where v > 0 (the potential is above threshold), else 0."""
    return np.heaviside(np.asarray(v, dtype=float), 0.0)


def surrogate_sigmoid(v, slope=SURROGATE_SLOPE):
    """The smooth stand-in for the step whose derivative the backward pass uses: sigma(slope v)."""
    return expit(slope * np.asarray(v, dtype=float))


def surrogate_gradient(v, grad_output, slope=SURROGATE_SLOPE):
    """grad_output * d sigma(slope v) / dv = grad_output * slope sigma(slope v) sigma(-slope v)."""
    v = np.asarray(v, dtype=float)
    return np.asarray(grad_output, dtype=float) * slope * expit(slope * v) * expit(-slope * v)


def numerical_surrogate_gradient(v, grad_output, step=1e-5):
    """The same gradient from a central finite difference of :func:`surrogate_sigmoid`.

    Above threshold the difference is taken of -sigma(-beta v), which has the same
    derivative: it differences two small numbers instead of two numbers near 1, so
    the result stays accurate to ~1e-9 far from threshold too.
    """
    v = np.asarray(v, dtype=float)
    sign = np.where(v < 0, 1.0, -1.0)
    slope = sign * (surrogate_sigmoid(sign * (v + step)) - surrogate_sigmoid(sign * (v - step))) / (2 * step)
    return np.asarray(grad_output, dtype=float) * slope


def lif_step(v, input_current, spikes_prev, alpha):
    """Leak and integrate, alpha v + I; a neuron that spiked in the previous step is reset to 0 instead."""
    integrated = alpha * np.asarray(v, dtype=float) + np.asarray(input_current, dtype=float)
    return np.where(np.asarray(spikes_prev) > 0, 0.0, integrated)


def decode_accuracy(output, labels):
    """Fraction of trials whose largest score is the true class."""
    output = np.asarray(output, dtype=float)
    predictions = np.array([np.flatnonzero(row == row.max())[0] for row in output])
    return float(np.count_nonzero(predictions == np.asarray(labels)) / len(predictions))


def confusion_matrix(predictions, labels, n_classes):
    """Counts C[i, j] of trials of true class i predicted as class j."""
    flat = np.bincount(np.asarray(labels) * n_classes + np.asarray(predictions), minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes).astype(float)
