"""Assignment 5's references against independent computations, and its public and hidden checks."""
import re

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from autograder.a5_spiking_localization import checks, reference as ref
from autograder.harness import CheckFailed
from course.checks import spiking as public
from course.spiking import SURROGATE_SLOPE


def function_from(forward, backward):
    """A torch autograd Function (its ``apply``) whose passes are numpy functions."""

    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return torch.as_tensor(np.asarray(forward(v.detach().numpy()), dtype=float), dtype=v.dtype)

        @staticmethod
        def backward(ctx, grad_output):
            (v,) = ctx.saved_tensors
            return torch.as_tensor(np.asarray(backward(v.numpy(), grad_output.numpy()), dtype=float), dtype=v.dtype)

    return Spike.apply


class TorchSpike(torch.autograd.Function):
    """A correct answer in torch, as students write it."""

    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return (v > 0).float()  # float32 output for float64 input: still right

    @staticmethod
    def backward(ctx, grad_output):
        (v,) = ctx.saved_tensors
        sigma = torch.sigmoid(SURROGATE_SLOPE * v)
        return grad_output * SURROGATE_SLOPE * sigma * (1 - sigma)


def torch_lif(v, input_current, spikes_prev, alpha):
    return (alpha * v + input_current) * (1 - spikes_prev)


def _named(mistake):
    return pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30]))


# --- the references ------------------------------------------------------------------


def test_the_surrogate_gradient_is_the_derivative_of_the_sigmoid():
    v = np.linspace(-3, 3, 61)
    g = np.random.default_rng(0).normal(size=v.size)
    assert np.allclose(ref.surrogate_gradient(v, g), ref.numerical_surrogate_gradient(v, g), rtol=1e-8, atol=1e-12)
    assert ref.surrogate_gradient(0.0, 1.0) == pytest.approx(SURROGATE_SLOPE / 4)
    assert np.all(np.isfinite(ref.surrogate_gradient(np.array([-1e3, 1e3]), np.ones(2))))  # no overflow
    assert np.array_equal(ref.spike(np.array([-1.0, 0.0, 1e-12, 2.0])), [0.0, 0.0, 1.0, 1.0])


def test_lif_reference_resets_to_zero_and_otherwise_leaks_and_integrates():
    v, current, spikes = np.array([0.5, 0.8, 1.2]), np.array([0.2, 0.0, 0.3]), np.array([0.0, 0.0, 1.0])
    assert np.allclose(ref.lif_step(v, current, spikes, 0.9), [0.65, 0.72, 0.0])
    assert np.allclose(torch_lif(v, current, spikes, 0.9), ref.lif_step(v, current, spikes, 0.9))


def test_decoding_references_match_sklearn():
    rng = np.random.default_rng(1)
    output, labels = rng.normal(size=(200, 7)), rng.integers(0, 7, 200)
    predictions = output.argmax(axis=1)
    assert ref.decode_accuracy(output, labels) == pytest.approx(accuracy_score(labels, predictions))
    assert np.array_equal(ref.confusion_matrix(predictions, labels, 9),
                          sklearn_confusion_matrix(labels, predictions, labels=range(9)))


# --- surrogate_spike --------------------------------------------------------------------


def test_surrogate_check_accepts_correct_answers():
    checks.check_surrogate_spike(function_from(ref.spike, ref.surrogate_gradient))
    checks.check_surrogate_spike(TorchSpike.apply)
    checks.check_surrogate_spike(TorchSpike)  # the Function class itself is driven through its apply
    public.check_surrogate_spike(TorchSpike.apply)


@pytest.mark.parametrize("mistake", checks.FORWARD_MISTAKES, ids=lambda m: m.description[:40])
def test_each_forward_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_surrogate_spike(function_from(mistake.compute, ref.surrogate_gradient))


@pytest.mark.parametrize("mistake", checks.BACKWARD_MISTAKES, ids=lambda m: m.description[:40])
def test_each_backward_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_surrogate_spike(function_from(ref.spike, mistake.compute))
    with pytest.raises(AssertionError, match="backward pass"):
        public.check_surrogate_spike(function_from(ref.spike, mistake.compute))


def test_surrogate_check_explains_broken_functions():
    class Boolean(TorchSpike):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return v > 0

    class NoGradient(TorchSpike):
        @staticmethod
        def backward(ctx, grad_output):
            return None

    class InPlace(TorchSpike):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return v.clamp_(0, 1e-9).sign_()

    class Blank(TorchSpike):
        @staticmethod
        def forward(ctx, v):
            raise NotImplementedError()

    for function, message in ((Boolean, "autograd cannot differentiate"), (NoGradient, "returned None"),
                              (InPlace, "changed v in place"), (Blank, "not implemented yet")):
        with pytest.raises(CheckFailed, match=message):
            checks.check_surrogate_spike(function.apply)


# --- lif_step --------------------------------------------------------------------------


def test_lif_check_accepts_correct_answers():
    checks.check_lif_step(ref.lif_step)
    checks.check_lif_step(torch_lif)
    checks.check_lif_step(lambda v, input_current, spikes_prev, alpha:
                          np.where(spikes_prev == 1, 0.0, alpha * v + input_current))
    public.check_lif_step(torch_lif)


@pytest.mark.parametrize("mistake", checks.LIF_MISTAKES, ids=lambda m: m.description[:40])
def test_each_lif_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_lif_step(mistake.compute)
    with pytest.raises(AssertionError, match="by hand"):
        public.check_lif_step(mistake.compute)


def test_lif_check_explains_wrong_outputs_and_inputs_changed_in_place():
    with pytest.raises(CheckFailed, match="return only the new potential"):
        checks.check_lif_step(lambda v, i, s, a: (torch_lif(v, i, s, a), (torch_lif(v, i, s, a) > 1).astype(float)))

    def in_place(v, input_current, spikes_prev, alpha):
        v *= alpha
        v += input_current
        v *= 1 - spikes_prev
        return v

    with pytest.raises(CheckFailed, match="changed its argument `v` in place"):
        checks.check_lif_step(in_place)
    with pytest.raises(AssertionError, match="in place"):
        public.check_lif_step(in_place)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_lif_step(lambda v, input_current, spikes_prev, alpha: np.zeros(3))


# --- decode_accuracy ----------------------------------------------------------------------


def test_accuracy_check_accepts_correct_answers():
    checks.check_decode_accuracy(ref.decode_accuracy)
    checks.check_decode_accuracy(lambda output, labels: float(np.mean(np.argmax(output, axis=1) == labels)))
    # Probabilities (a softmax) have the same largest class.
    checks.check_decode_accuracy(lambda output, labels: np.mean(
        torch.softmax(torch.as_tensor(output), dim=1).argmax(dim=1).numpy() == labels))
    public.check_decode_accuracy(ref.decode_accuracy)


@pytest.mark.parametrize("mistake", checks.ACCURACY_MISTAKES, ids=lambda m: m.description[:40])
def test_each_accuracy_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_decode_accuracy(mistake.compute)


def test_functions_that_read_notebook_arrays_are_named():
    namespace = {"np": np, "test_labels": np.zeros(5, dtype=int), "spikes": np.zeros(3)}
    exec("def decode_accuracy(output, labels):\n    return np.mean(np.argmax(output, axis=1) == test_labels)\n"
         "def lif_step(v, input_current, spikes_prev, alpha):\n    return (alpha * v + input_current) * (1 - spikes)\n"
         "def confusion_matrix(predictions, labels, n_classes):\n    return np.zeros((n_classes, n_classes)) + test_labels[0]\n",
         namespace)
    for name, check in (("decode_accuracy", checks.check_decode_accuracy), ("lif_step", checks.check_lif_step),
                        ("confusion_matrix", checks.check_confusion_matrix)):
        with pytest.raises(CheckFailed, match="reads the notebook variable"):
            check(namespace[name])


def test_accuracy_check_explains_per_trial_answers_and_hard_coding():
    with pytest.raises(CheckFailed, match="one value per trial"):
        checks.check_decode_accuracy(lambda output, labels: (np.argmax(output, axis=1) == labels).astype(float))
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_decode_accuracy(lambda output, labels: 0.768)
    with pytest.raises(CheckFailed, match=r"raised ValueError: .*broadcast.*: did you take the largest score over the "
                                          r"trials \(axis 0\)"):
        checks.check_decode_accuracy(lambda output, labels: np.mean(np.argmax(output, axis=0) == labels))


# --- confusion_matrix ---------------------------------------------------------------------


def test_confusion_check_accepts_correct_answers():
    checks.check_confusion_matrix(ref.confusion_matrix)
    checks.check_confusion_matrix(lambda predictions, labels, n_classes:
                                  sklearn_confusion_matrix(labels, predictions, labels=np.arange(n_classes)))
    public.check_confusion_matrix(ref.confusion_matrix)


@pytest.mark.parametrize("mistake", checks.CONFUSION_MISTAKES, ids=lambda m: m.description[:40])
def test_each_confusion_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_confusion_matrix(mistake.compute)
    with pytest.raises(AssertionError, match="by hand"):
        public.check_confusion_matrix(mistake.compute)


def test_confusion_check_explains_missing_classes_and_hard_coding():
    def without_minlength(predictions, labels, n_classes):
        size = max(labels.max(), predictions.max()) + 1
        return np.bincount(labels * size + predictions, minlength=size * size).reshape(size, size)

    with pytest.raises(CheckFailed, match="never occur"):
        checks.check_confusion_matrix(without_minlength)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_confusion_matrix(lambda predictions, labels, n_classes: np.eye(4))
