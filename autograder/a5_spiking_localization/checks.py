"""Hidden checks for assignment 5, called from the notebook's hidden test cells.

Each check draws fresh random inputs of several shapes, calls the student's code
only with arrays and numbers, compares the answer with the reference and names
the mistake when it is wrong. The surrogate spike is an autograd Function, which
a check cannot simply call: ``course.spiking.spike_and_surrogate_gradient`` runs
its forward and backward passes and returns plain arrays.
"""
import numpy as np
from scipy.special import expit

from course import spiking

from ..harness import (CheckFailed, Mistake, as_float, as_float_array, call_student, fresh_rng, judge,
                       require_dependence_on_inputs, require_own_arguments, through_course_helper)
from . import reference as ref

BETA = spiking.SURROGATE_SLOPE

# --- surrogate_spike ---------------------------------------------------------------

SURROGATE_SHAPES = ((9,), (4, 7), (3, 5, 6))

FORWARD_MISTAKES = (
    Mistake("returned the smooth sigmoid in the forward pass; the forward pass must spike: 1 where v > 0, else 0 "
            "(the sigmoid only stands in for the step in the backward pass)", lambda v: expit(BETA * v)),
    Mistake("compared v with the threshold 1; the network already passes v - threshold, so spike where v > 0",
            lambda v: ref.spike(v - 1.0)),
    Mistake("spiked where v < 0; a neuron spikes where its potential is above threshold, v > 0",
            lambda v: ref.spike(-v)),
)

BACKWARD_MISTAKES = (
    Mistake("left out the factor beta (SURROGATE_SLOPE) of the chain rule: d sigma(beta v)/dv = "
            "beta sigma(beta v) (1 - sigma(beta v))", lambda v, g: ref.surrogate_gradient(v, g) / BETA),
    Mistake("did not multiply by grad_output: the backward pass returns grad_output times the surrogate derivative",
            lambda v, g: ref.surrogate_gradient(v, np.ones_like(v))),
    Mistake("returned the sigmoid sigma(beta v) instead of its derivative", lambda v, g: g * expit(BETA * v)),
    Mistake("used the sigmoid of v without the slope, sigma(v) (1 - sigma(v)); the surrogate is sigma(beta v) with "
            "beta = SURROGATE_SLOPE", lambda v, g: ref.surrogate_gradient(v, g, slope=1.0)),
    Mistake("used the fast-sigmoid surrogate 1 / (beta |v| + 1)^2; this exercise uses the derivative of the sigmoid, "
            "beta sigma(beta v) (1 - sigma(beta v))", lambda v, g: g / (BETA * np.abs(v) + 1.0) ** 2),
    Mistake("returned a zero gradient: that is the true derivative of the step (almost everywhere), the very "
            "problem the surrogate solves", lambda v, g: np.zeros_like(v)),
)


def _spike_and_gradient(surrogate_spike):
    """``(v, grad_output) -> (spikes, grad_v)``: the student's Function driven by the course's public helper."""

    def run(v, grad_output):
        try:
            return through_course_helper(spiking.spike_and_surrogate_gradient, surrogate_spike, v, grad_output)
        except Exception as error:  # raised in the sandbox, it arrives wrapped: name an unfinished stub plainly
            if "NotImplementedError" in f"{type(error).__name__}: {error}":
                raise NotImplementedError() from None
            raise

    return run


def check_surrogate_spike(surrogate_spike):
    """Hidden check of the forward (Heaviside) and backward (sigmoid-derivative) passes of ``surrogate_spike``.

    The backward pass is compared with a central finite difference of the
    reference's smooth stand-in sigma(beta v), times ``grad_output``.
    """
    name = "surrogate_spike"
    rng = fresh_rng()
    run = _spike_and_gradient(surrogate_spike)
    for shape in SURROGATE_SHAPES:
        # Potentials near threshold (where the surrogate matters), a few far from it; gradients of both signs.
        v = rng.normal(0.0, 0.6, shape) * rng.choice([1.0, 4.0], size=shape, p=[0.8, 0.2])
        grad_output = rng.normal(0.0, 1.0, shape)
        result = call_student(run, name, {"v": v, "grad_output": grad_output})
        spikes, grad_v = (as_float_array(part, name) for part in result)
        judge(spikes, ref.spike(v), name=f"{name} (forward pass)", inputs=(v,), mistakes=FORWARD_MISTAKES)
        judge(grad_v, ref.numerical_surrogate_gradient(v, grad_output), name=f"{name} (backward pass)",
              inputs=(v, grad_output), mistakes=BACKWARD_MISTAKES, rtol=1e-5)
    print(f"{name}: forward and backward passes are correct on {len(SURROGATE_SHAPES)} fresh random inputs "
          "(backward checked against a finite difference of sigma(beta v)).")


# --- lif_step --------------------------------------------------------------------------

LIF_SHAPES = ((6,), (20, 8), (3, 4, 5))

LIF_MISTAKES = (
    Mistake("reset by subtracting the threshold (alpha v + I - 1); in this notebook a neuron that spiked is reset "
            "to zero: v_new = 0 where spikes_prev is 1", lambda v, i, s, a: a * v + i - s),
    Mistake("reset only the old potential and still added this step's input, alpha v (1 - s) + I; a neuron that "
            "spiked is set to 0, input included", lambda v, i, s, a: a * v * (1 - s) + i),
    Mistake("did not reset the neurons that spiked: v_new must be 0 where spikes_prev is 1",
            lambda v, i, s, a: a * v + i),
    Mistake("reset the neurons that did not spike: v_new is 0 where spikes_prev is 1, alpha v + I elsewhere",
            lambda v, i, s, a: (a * v + i) * s),
    Mistake("left out the leak: the old potential decays by the factor alpha each step",
            lambda v, i, s, a: (v + i) * (1 - s)),
    Mistake("multiplied the input by alpha too; only the old potential decays: v_new = alpha v + I",
            lambda v, i, s, a: a * (v + i) * (1 - s)),
    Mistake("decayed the potential by (1 - alpha); alpha = exp(-dt/tau) is the fraction of the potential kept "
            "each step", lambda v, i, s, a: ((1 - a) * v + i) * (1 - s)),
    Mistake("scaled the input by (1 - alpha); in this notebook the input is added as it is, v_new = alpha v + I",
            lambda v, i, s, a: (a * v + (1 - a) * i) * (1 - s)),
)


def _lif_inputs(rng, shape):
    """Potentials around the resting level and threshold, inputs of both signs, about 30% spikes, a random alpha."""
    return {
        "v": rng.uniform(-0.5, 1.0, shape),
        "input_current": rng.normal(0.2, 0.5, shape),
        "spikes_prev": (rng.random(shape) < 0.3).astype(float),
        "alpha": float(np.exp(-1e-3 / rng.uniform(0.002, 0.05))),
    }


def check_lif_step(lif_step):
    """Hidden check of ``lif_step(v, input_current, spikes_prev, alpha)``."""
    name = "lif_step"
    require_own_arguments(lif_step, name)
    rng = fresh_rng()
    require_dependence_on_inputs(lif_step, name, lambda: _lif_inputs(rng, (5, 3)))
    for shape in LIF_SHAPES:
        inputs = _lif_inputs(rng, shape)
        got = as_float_array(call_student(lif_step, name, inputs), name)
        judge(got, ref.lif_step(*inputs.values()), name=name, inputs=tuple(inputs.values()), mistakes=LIF_MISTAKES,
              shape_messages={(2, *shape): "It returned two arrays: return only the new potential v_new "
                                           "(the spikes come from surrogate_spike(v_new - threshold))."})
    print(f"{name} is correct on {len(LIF_SHAPES)} fresh random arrays.")


# --- decode_accuracy ---------------------------------------------------------------

ACCURACY_SHAPES = ((50, 4), (300, 12), (97, 7))  # (trials, classes), never square: see below

ACCURACY_MISTAKES = (
    Mistake("returned a percentage; return the fraction of correct trials, between 0 and 1",
            lambda o, y: 100 * ref.decode_accuracy(o, y)),
    Mistake("returned the number of correct trials; divide by the number of trials",
            lambda o, y: ref.decode_accuracy(o, y) * len(y)),
    Mistake("returned the fraction of errors, 1 - accuracy", lambda o, y: 1 - ref.decode_accuracy(o, y)),
    Mistake("took the class with the smallest score (argmin); the prediction is the class with the largest score",
            lambda o, y: np.mean(np.argmin(o, axis=1) == y)),
    Mistake("took np.argmax over the whole array (no axis); the prediction of each trial is "
            "np.argmax(output, axis=1)", lambda o, y: np.mean(np.argmax(o) == y)),
)
WRONG_AXIS = ("did you take the largest score over the trials (axis 0)? The prediction of each trial is the class "
              "of its largest score, np.argmax(output, axis=1): one per trial")


def _accuracy_inputs(rng, n_trials, n_classes, boosted=0.5, lowered=0.25):
    """Random scores: the true class wins in a fraction ``boosted`` of the trials and comes last in ``lowered``.

    Trials where it comes last make an argmin answer clearly different from 1 - accuracy.
    """
    labels = rng.integers(0, n_classes, n_trials)
    output = rng.normal(0.0, 1.0, (n_trials, n_classes))
    kind = rng.random(n_trials)
    output[np.arange(n_trials), labels] += np.where(kind < boosted, 4.0, np.where(kind > 1 - lowered, -4.0, 0.0))
    return {"output": output, "labels": labels}


def check_decode_accuracy(decode_accuracy):
    """Hidden check of ``decode_accuracy(output, labels)``.

    An accuracy takes few values, and a wrong rule can give the same one for two
    inputs: the known mistakes are named first, and an answer that matches none of
    them is then tested for ignoring its inputs. A maximum over the wrong axis
    cannot be compared with the labels when trials and classes differ in number,
    which is how it is recognised.
    """
    name = "decode_accuracy"
    require_own_arguments(decode_accuracy, name)
    rng = fresh_rng()
    for n_trials, n_classes in ACCURACY_SHAPES:
        inputs = _accuracy_inputs(rng, n_trials, n_classes)
        try:
            result = call_student(decode_accuracy, name, inputs)
        except CheckFailed as failure:
            if "broadcast" in str(failure):
                raise CheckFailed(f"{failure.args[0].split(' [inputs')[0]}: {WRONG_AXIS}.") from None
            raise
        got = as_float_array(result, name)
        if got.shape == (n_trials,):
            raise CheckFailed(f"{name} returned one value per trial (shape ({n_trials},)); it must return a single "
                              "number, the fraction of trials decoded correctly (take the mean).")
        try:
            judge(np.asarray(as_float(result, name)), ref.decode_accuracy(*inputs.values()), name=name,
                  inputs=tuple(inputs.values()), mistakes=ACCURACY_MISTAKES)
        except CheckFailed as failure:
            if "looks like you" not in str(failure):
                # Two inputs of clearly different accuracy (about 0.1 and 0.9).
                boosts = iter((0.05, 0.9))
                require_dependence_on_inputs(decode_accuracy, name,
                                             lambda: _accuracy_inputs(rng, 60, 8, next(boosts), 0.0))
            raise
    print(f"{name} is correct on {len(ACCURACY_SHAPES)} fresh random sets of scores.")


# --- confusion_matrix --------------------------------------------------------------

# (trials, classes, classes that never occur): the absent classes must still have a row and a column.
CONFUSION_CASES = ((40, 3, 0), (200, 12, 2), (25, 6, 1))


def _normalised(matrix, axis):
    with np.errstate(invalid="ignore", divide="ignore"):
        return matrix / matrix.sum(axis=axis, keepdims=True)


CONFUSION_MISTAKES = (
    Mistake("swapped rows and columns: row i must be the true class i, column j the predicted class j "
            "(C[i, j] counts trials of class i predicted as j)", lambda p, y, n: ref.confusion_matrix(p, y, n).T),
    Mistake("normalised each row to sum to 1; return the counts (the figure normalises them)",
            lambda p, y, n: _normalised(ref.confusion_matrix(p, y, n), 1)),
    Mistake("normalised each column to sum to 1; return the counts",
            lambda p, y, n: _normalised(ref.confusion_matrix(p, y, n), 0)),
    Mistake("divided by the number of trials; return the counts",
            lambda p, y, n: ref.confusion_matrix(p, y, n) / len(y)),
)


def _confusion_inputs(rng, n_trials, n_classes, n_absent):
    """Labels of all but the top ``n_absent`` classes; predictions mostly right, else one class off."""
    present = n_classes - n_absent
    labels = rng.integers(0, present, n_trials)
    predictions = np.clip(labels + rng.choice([-1, 0, 0, 0, 1], n_trials), 0, present - 1)
    return {"predictions": predictions, "labels": labels, "n_classes": n_classes}


def check_confusion_matrix(confusion_matrix):
    """Hidden check of ``confusion_matrix(predictions, labels, n_classes)``."""
    name = "confusion_matrix"
    require_own_arguments(confusion_matrix, name)
    rng = fresh_rng()
    require_dependence_on_inputs(confusion_matrix, name, lambda: _confusion_inputs(rng, 30, 4, 0))
    for n_trials, n_classes, n_absent in CONFUSION_CASES:
        inputs = _confusion_inputs(rng, n_trials, n_classes, n_absent)
        got = as_float_array(call_student(confusion_matrix, name, inputs), name)
        present = n_classes - n_absent
        judge(got, ref.confusion_matrix(*inputs.values()), name=name, inputs=tuple(inputs.values()),
              mistakes=CONFUSION_MISTAKES,
              shape_messages={(present, present): f"Here classes {present} to {n_classes - 1} never occur, yet the "
                                                  "matrix must have a row and a column for every one of the "
                                                  "n_classes classes (np.bincount needs minlength)."})
    print(f"{name} is correct on {len(CONFUSION_CASES)} fresh random sets of predictions.")
