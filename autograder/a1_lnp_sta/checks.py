"""Hidden checks for assignment 1, called from the notebook's hidden test cells.

Each check draws fresh random data sets of several shapes (so hard-coded answers
and answers that read notebook variables fail), compares the student's function
with the reference, and names the mistake when the answer is wrong.
"""
import numpy as np
from scipy import linalg

from course.checks import names_replaced

from ..harness import (CheckFailed, Mistake, as_float_array, call_student, fresh_rng, judge,
                       require_dependence_on_inputs, require_own_arguments)
from . import reference as ref

# (n_images, n_pixels): never equal, so a wrong axis shows in the shape.
SHAPES = ((60, 4), (500, 25), (2000, 49))


def random_experiment(rng, n_images, n_pixels):
    """Correlated Gaussian images with a non-zero mean, and LNP spike counts.

    The covariance has random principal axes and variances from 0.1 to 10
    (condition number 100: correlated, yet well posed for whitening). The
    non-zero mean separates "subtracted the mean" mistakes from correct answers;
    about one image in five draws no spike, which separates weighted from
    unweighted averages.
    """
    axes, _ = np.linalg.qr(rng.normal(size=(n_pixels, n_pixels)))
    scales = np.sqrt(np.logspace(-1, 1, n_pixels))
    images = 0.5 + (rng.normal(size=(n_images, n_pixels)) * scales) @ axes.T
    drive = images @ rng.normal(size=n_pixels)
    drive = 0.7 * (drive - drive.mean()) / drive.std()
    spike_counts = rng.poisson(np.exp(0.4 + drive))
    spike_counts[0] += 1  # at least one spike, whatever the draw
    return images, spike_counts


def _sta_inputs(rng, n_images=200, n_pixels=9):
    images, spike_counts = random_experiment(rng, n_images, n_pixels)
    return {"images": images, "spike_counts": spike_counts}


STA_MISTAKES = (
    Mistake(
        "divided by the number of images instead of the total number of spikes",
        lambda x, y: y @ x / len(x),
    ),
    Mistake(
        "took the unweighted mean of the images that drew spikes; each image must count once per spike "
        "(weight it by its spike count)",
        lambda x, y: x[y > 0].mean(axis=0),
    ),
    Mistake("forgot to divide by the total number of spikes", lambda x, y: y @ x),
    Mistake("averaged all images without weighting them by their spike counts", lambda x, y: x.mean(axis=0)),
    Mistake(
        "subtracted the mean image; in this exercise the STA is sum_i y_i x_i / sum_i y_i of the images as given",
        lambda x, y: ref.compute_STA(x, y) - x.mean(axis=0),
    ),
)


def check_compute_STA(compute_STA):
    """Hidden check of ``compute_STA(images, spike_counts)``."""
    name = "compute_STA"
    rng = fresh_rng()
    require_own_arguments(compute_STA, name)
    require_dependence_on_inputs(compute_STA, name, lambda: _sta_inputs(rng))
    for n_images, n_pixels in SHAPES:
        images, spike_counts = random_experiment(rng, n_images, n_pixels)
        got = as_float_array(call_student(compute_STA, name, _named(images, spike_counts)), name)
        judge(
            got,
            ref.compute_STA(images, spike_counts),
            name=name,
            inputs=(images, spike_counts),
            mistakes=STA_MISTAKES,
            shape_messages={
                (n_images,): "It returned one value per image: wrong axis (sum over the images, axis 0).",
                (n_images, n_pixels): "It returned one row per image: sum the weighted images over axis 0.",
            },
        )
    print(f"{name} is correct on {len(SHAPES)} fresh random data sets.")


def _whitened_with(covariance_of, centre=True):
    """A whitened-STA variant: ``covariance_of(images, ridge)`` and optional centring."""

    def variant(images, spike_counts, ridge=0.0):
        deviation = ref.compute_STA(images, spike_counts) - (images.mean(axis=0) if centre else 0)
        return linalg.solve(covariance_of(images, ridge), deviation)

    return variant


def _ridged(images, ridge, ddof=1):
    return ref.stimulus_covariance(images, ddof) + ridge * np.eye(images.shape[1])


WHITENED_MISTAKES = (
    Mistake(
        "did not subtract the mean image: the whitened STA is C^-1 (STA - mean image)",
        _whitened_with(_ridged, centre=False),
    ),
    Mistake(
        "multiplied by the covariance instead of solving with it: whitening applies C^-1, not C",
        lambda x, y, r=0.0: _ridged(x, r) @ (ref.compute_STA(x, y) - x.mean(axis=0)),
    ),
    Mistake(
        "used the uncentred second-moment matrix X^T X / n instead of the covariance",
        _whitened_with(lambda x, r: x.T @ x / len(x) + r * np.eye(x.shape[1])),
    ),
    Mistake("returned the STA without whitening it", lambda x, y, r=0.0: ref.compute_STA(x, y)),
    Mistake(
        "returned the mean-subtracted STA without whitening it",
        lambda x, y, r=0.0: ref.compute_STA(x, y) - x.mean(axis=0),
    ),
    Mistake(
        "returned the least-squares regression weights, which are the whitened STA times the mean spike count",
        lambda x, y, r=0.0: ref.compute_whitened_STA(x, y, r, ddof=0) * np.mean(y),
    ),
    Mistake(
        "returned the least-squares regression weights, which are the whitened STA times the mean spike count",
        lambda x, y, r=0.0: ref.compute_whitened_STA(x, y, r) * np.mean(y),
    ),
    Mistake(
        "ignored the `ridge` argument (add it to the diagonal of C)",
        lambda x, y, r=0.0: ref.compute_whitened_STA(x, y),
    ),
    Mistake(
        "added the ridge to every entry of C; it belongs on the diagonal only (C + ridge * I)",
        _whitened_with(lambda x, r: ref.stimulus_covariance(x) + r),
    ),
)

# The covariance may be normalised by n - 1 (np.cov) or by n: both are right.
WHITENED_ACCEPTED = (lambda x, y, r=0.0: ref.compute_whitened_STA(x, y, r, ddof=0),)


def check_compute_whitened_STA(compute_whitened_STA):
    """Hidden check of ``compute_whitened_STA(images, spike_counts, ridge=0.0)``."""
    name = "compute_whitened_STA"
    rng = fresh_rng()
    cases = [(shape, 0.0) for shape in SHAPES] + [(SHAPES[1], 0.5)]
    require_own_arguments(compute_whitened_STA, name)
    with names_replaced(compute_whitened_STA, compute_STA=ref.compute_STA):
        require_dependence_on_inputs(compute_whitened_STA, name, lambda: _sta_inputs(rng))
        _check_whitened_cases(compute_whitened_STA, name, rng, cases)
    print(f"{name} is correct on {len(cases)} fresh random data sets (one with a ridge).")


def _check_whitened_cases(compute_whitened_STA, name, rng, cases):
    for (n_images, n_pixels), ridge in cases:
        images, spike_counts = random_experiment(rng, n_images, n_pixels)
        keywords = {"ridge": ridge} if ridge else {}
        result = call_student(compute_whitened_STA, name, _named(images, spike_counts), **keywords)
        judge(
            as_float_array(result, name),
            ref.compute_whitened_STA(images, spike_counts, ridge),
            name=name,
            inputs=(images, spike_counts, ridge),
            mistakes=WHITENED_MISTAKES,
            accepted=WHITENED_ACCEPTED,
            shape_messages={(n_images,): "It returned one value per image: wrong axis."},
            rtol=1e-3,  # solving amplifies float32 rounding by cond(C); every named mistake is >= 1e-2 away
        )


def _binned_means(assign_bins, statistic="mean", empty=np.nan):
    """A binning variant: ``assign_bins(signal, edges)`` gives each sample's bin (others dropped)."""

    def variant(signal, spike_counts, n_bins):
        edges = ref.bin_edges(signal, n_bins)
        index = assign_bins(signal, edges)
        inside = (index >= 0) & (index < n_bins)
        images = np.bincount(index[inside], minlength=n_bins).astype(float)
        spikes = np.bincount(index[inside], weights=np.asarray(spike_counts, float)[inside], minlength=n_bins)
        if statistic == "sum":
            return spikes
        if statistic == "count":
            return images
        means = np.full(n_bins, empty, dtype=float)
        np.divide(spikes, images, out=means, where=images > 0)
        return means

    return variant


def _histogram_bins(signal, edges):
    return np.clip(np.digitize(signal, edges) - 1, 0, len(edges) - 2)


CENTRE_MISTAKES = (
    Mistake("returned the left bin edges instead of the bin centres", lambda g, y, n: ref.bin_edges(g, n)[:-1]),
    Mistake("returned the right bin edges instead of the bin centres", lambda g, y, n: ref.bin_edges(g, n)[1:]),
)
MEAN_MISTAKES = (
    Mistake("summed the spike counts in each bin instead of averaging them", _binned_means(_histogram_bins, "sum")),
    Mistake(
        "returned how many images fall in each bin instead of their mean spike count",
        _binned_means(_histogram_bins, "count"),
    ),
    Mistake(
        "put 0 in bins that hold no images; use NaN there, since there is nothing to average",
        _binned_means(_histogram_bins, empty=0.0),
    ),
)
# Where the extreme samples fall is a convention: accept the common ones.
MEAN_ACCEPTED = (
    _binned_means(lambda g, e: np.digitize(g, e) - 1),  # maximum left out (np.digitize)
    _binned_means(lambda g, e: np.digitize(g, e, right=True) - 1),  # (a, b] bins, minimum left out
    _binned_means(lambda g, e: np.clip(np.digitize(g, e, right=True) - 1, 0, len(e) - 2)),  # (a, b], min kept
)


def check_estimate_nonlinearity(estimate_nonlinearity):
    """Hidden check of ``estimate_nonlinearity(generator_signal, spike_counts, n_bins)``."""
    name = "estimate_nonlinearity"
    require_own_arguments(estimate_nonlinearity, name)
    rng = fresh_rng()
    cases = []
    for n_samples, n_bins in ((300, 5), (3000, 12)):
        signal = rng.normal(size=n_samples)
        cases.append((signal, rng.poisson(np.exp(signal)), n_bins))
    # Two separated clusters leave the middle bins empty.
    signal = np.concatenate([rng.normal(-2.0, 0.3, 400), rng.normal(2.0, 0.3, 400)])
    cases.append((signal, rng.poisson(np.exp(signal / 2)), 15))

    for signal, spike_counts, n_bins in cases:
        inputs = {"generator_signal": signal, "spike_counts": spike_counts, "n_bins": n_bins}
        result = call_student(estimate_nonlinearity, name, inputs)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise CheckFailed(f"{name} must return two arrays, (bin_centres, mean_counts); got {type(result).__name__}.")
        centres, mean_counts = (as_float_array(part, name) for part in result)
        expected_centres, expected_means = ref.estimate_nonlinearity(signal, spike_counts, n_bins)
        edge_shape = {(n_bins + 1,): "That is the number of bin edges: return the n_bins centres of the bins."}
        judge(centres, expected_centres, name=f"{name} (bin centres)", inputs=(signal, spike_counts, n_bins),
              mistakes=CENTRE_MISTAKES, shape_messages=edge_shape)
        judge(mean_counts, expected_means, name=f"{name} (mean counts)", inputs=(signal, spike_counts, n_bins),
              mistakes=MEAN_MISTAKES, accepted=MEAN_ACCEPTED, shape_messages=edge_shape)
    print(f"{name} is correct on {len(cases)} fresh random data sets (one with empty bins).")


def _named(images, spike_counts):
    return {"images": images, "spike_counts": spike_counts}
