"""Public checks for assignment 1 (the LNP neuron and the STA).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import numpy as np

from course.checks import as_vector, call_unchanged, names_replaced


def check_compute_STA(compute_STA):
    """Three 2-pixel images; the second draws no spike, the third draws three."""
    images = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    spike_counts = np.array([1, 0, 3])
    sta = as_vector(call_unchanged(compute_STA, images, spike_counts), 2, "compute_STA")
    assert np.allclose(sta, [1.0, 0.75]), (
        f"compute_STA gave {sta}; by hand (1*[1, 0] + 0*[0, 1] + 3*[1, 1]) / (1 + 0 + 3) = [1, 0.75]."
    )
    print("compute_STA passes the public checks.")


def check_compute_whitened_STA(compute_whitened_STA):
    """Four images with a diagonal covariance, so C^-1 divides each pixel by its variance."""
    images = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    spike_counts = np.array([1, 0, 0, 1])
    # If it calls compute_STA, give it the STA worked out by hand: (x_1 + x_4) / 2.
    with names_replaced(compute_whitened_STA, compute_STA=lambda *args, **kwargs: np.array([0.5, -1.0])):
        whitened = as_vector(call_unchanged(compute_whitened_STA, images, spike_counts), 2, "compute_whitened_STA")
    # STA - mean = [0.5, -1]; variances 2/3 and 8/3 (np.cov) or 1/2 and 2 (normalised by n).
    by_hand = ([0.75, -0.375], [1.0, -0.5])
    assert any(np.allclose(whitened, answer) for answer in by_hand), (
        f"compute_whitened_STA gave {whitened}; by hand STA - mean = [0.5, -1], the pixel variances are "
        "[2/3, 8/3] (np.cov), so C^-1 (STA - mean) = [0.75, -0.375]."
    )
    print("compute_whitened_STA passes the public checks.")


def check_estimate_nonlinearity(estimate_nonlinearity):
    """Six samples in two bins, [0, 1.5) and [1.5, 3]."""
    signal = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 3.0])
    spike_counts = np.array([1, 1, 1, 5, 5, 5])
    result = call_unchanged(estimate_nonlinearity, signal, spike_counts, 2)
    assert isinstance(result, (tuple, list)) and len(result) == 2, (
        "estimate_nonlinearity should return two arrays: (bin_centres, mean_counts)."
    )
    centres = as_vector(result[0], 2, "estimate_nonlinearity (bin centres)")
    means = as_vector(result[1], 2, "estimate_nonlinearity (mean counts)")
    assert np.allclose(centres, [0.75, 2.25]), f"bin centres {centres}; by hand the edges are [0, 1.5, 3]."
    assert np.allclose(means, [1.0, 5.0]), f"mean counts {means}; by hand bin 1 holds counts 1, 1, 1 and bin 2 holds 5, 5, 5."
    print("estimate_nonlinearity passes the public checks.")
