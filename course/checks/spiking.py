"""Public checks for assignment 5 (decoding sound direction with a spiking network).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import numpy as np

from course.checks import call_unchanged
from course.spiking import spike_and_surrogate_gradient


def _as_array(result, shape, name):
    assert result is not None, f"{name} returned None: is the `return` statement missing?"
    if hasattr(result, "detach"):
        result = result.detach().numpy()
    array = np.asarray(result, dtype=float)
    assert array.shape == shape, f"{name} should return shape {shape}; got shape {array.shape}."
    return array


def check_surrogate_spike(surrogate_spike):
    """Three potentials: below threshold, above it, and far above it."""
    v, grad_output = np.array([-0.5, 0.5, 3.0]), np.array([1.0, 2.0, 1.0])
    spikes, grad_v = spike_and_surrogate_gradient(surrogate_spike, v, grad_output)
    assert np.array_equal(spikes, [0.0, 1.0, 1.0]), (
        f"the forward pass of surrogate_spike gave {spikes} for v = {v}; it must be the step, "
        "1 where v > 0 and 0 elsewhere: [0, 1, 1]."
    )
    expected = np.array([0.35051858, 0.70103717, 1.5295107e-06])  # worked out below, for beta = 5
    assert np.allclose(grad_v, expected, rtol=1e-5, atol=1e-9), (
        f"the backward pass of surrogate_spike gave {grad_v} for v = {v} and grad_output = {grad_output}; by hand "
        "beta sigma(beta v)(1 - sigma(beta v)) with beta = 5 is 5 * 0.924 * 0.076 = 0.3505 at v = +-0.5 (the "
        "derivative is symmetric) and about 1.5e-6 at v = 3, far above threshold. Times grad_output: "
        "[0.3505, 0.7010, 1.5e-6]."
    )
    print("surrogate_spike passes the public checks.")


def check_lif_step(lif_step):
    """Four neurons, one of which spiked in the previous step."""
    v = np.array([0.5, 0.8, 1.2, -0.2])
    input_current = np.array([0.2, 0.0, 0.3, 0.5])
    spikes_prev = np.array([0.0, 0.0, 1.0, 0.0])
    v_new = _as_array(call_unchanged(lif_step, v, input_current, spikes_prev, 0.9), (4,), "lif_step")
    assert np.allclose(v_new, [0.65, 0.72, 0.0, 0.32]), (
        f"lif_step gave {v_new} with alpha = 0.9; by hand 0.9 * 0.5 + 0.2 = 0.65, 0.9 * 0.8 + 0 = 0.72, "
        "0 for the third neuron (it spiked in the previous step: reset to zero, whatever its potential and "
        "input), and 0.9 * (-0.2) + 0.5 = 0.32."
    )
    print("lif_step passes the public checks.")


def check_decode_accuracy(decode_accuracy):
    """Four trials, three classes: the largest score is the true class in three of them."""
    output = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 2.0], [0.0, 2.0, 1.0]])
    labels = np.array([0, 1, 1, 1])
    result = call_unchanged(decode_accuracy, output, labels)
    accuracy = _as_array(result, (), "decode_accuracy")
    assert np.isclose(accuracy, 0.75), (
        f"decode_accuracy gave {accuracy}; by hand the predicted classes (largest score in each row) are "
        "[0, 1, 2, 1] and the labels [0, 1, 1, 1]: 3 of 4 correct, 0.75 (a fraction, not a percentage)."
    )
    print("decode_accuracy passes the public checks.")


def check_confusion_matrix(confusion_matrix):
    """Five trials, four classes, one of which never occurs."""
    predictions, labels = np.array([0, 1, 1, 2, 0]), np.array([0, 1, 2, 2, 1])
    matrix = _as_array(call_unchanged(confusion_matrix, predictions, labels, 4), (4, 4), "confusion_matrix")
    expected = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=float)
    assert np.array_equal(matrix, expected), (
        f"confusion_matrix gave\n{matrix}\nby hand (row = true class, column = predicted class, counts) it is\n"
        f"{expected}\n(class 3 never occurs, but still has its row and column)."
    )
    print("confusion_matrix passes the public checks.")
