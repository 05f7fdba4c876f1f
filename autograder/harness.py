"""Call a student's function safely and judge its answer against a reference.

Every hidden check is built from these pieces. A check never trusts the student's
function: it calls it on private copies of fresh random inputs, keeps any warning
the call raises off stderr (nbgrader scores a test cell 0 when it writes to
stderr, and a correct answer must not lose marks for a harmless warning), checks
that the inputs were not changed in place, and, when the answer is wrong, names
the known mistake it matches.
"""
from __future__ import annotations

import contextlib
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .sandbox.student_side import notebook_arrays_read


class CheckFailed(AssertionError):
    """A hidden check failed; the message is written for the student.

    It ends with the seed of the random inputs, so that an instructor can rerun
    the very same check with ``AUTOGRADER_SEED=<seed>``.
    """

    def __init__(self, message: str):
        seed = f" [inputs: seed {_last_seed}]" if _last_seed is not None else ""
        super().__init__(message + seed)


_last_seed: int | None = None


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: what it computes and how to describe it.

    ``description`` completes the sentence "it looks like you ...".
    ``compute`` takes the same positional inputs as the exercise.
    """

    description: str
    compute: Callable[..., Any]


def fresh_rng() -> np.random.Generator:
    """A generator with a new seed at every grading run, or ``AUTOGRADER_SEED`` if set.

    Hidden checks must not be answerable by hard-coding the expected values; the
    seed is remembered so that failure messages can name it.
    """
    global _last_seed
    _last_seed = int(os.environ.get("AUTOGRADER_SEED") or secrets.randbits(63))
    return np.random.default_rng(_last_seed)


@contextlib.contextmanager
def quietly():
    """Silence warnings and stderr (numpy's floating-point warnings included)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def call_student(function: Callable, name: str, inputs: Mapping[str, Any], **keywords) -> Any:
    """Call ``function(*inputs.values(), **keywords)`` on copies of the inputs.

    Raises
    ------
    CheckFailed
        If the function is missing, raises, or changes one of its inputs in place.
    """
    if not callable(function):
        raise CheckFailed(f"{name} is not a function (got {type(function).__name__}); run its cell first.")
    originals = {key: _copy(value) for key, value in inputs.items()}
    passed = {key: _copy(value) for key, value in inputs.items()}
    with quietly():
        try:
            result = function(*passed.values(), **keywords)
        except NotImplementedError:
            raise CheckFailed(f"{name} is not implemented yet (it raised NotImplementedError).") from None
        except Exception as error:  # the student's error, reported, never re-raised
            raise CheckFailed(f"{name} raised {type(error).__name__}: {error}") from None
    for key, original in originals.items():
        if not _unchanged(passed[key], original):
            raise CheckFailed(
                f"{name} changed its argument `{key}` in place. Work on a copy (or build a new "
                "array) so the caller's data stay intact."
            )
    return result


def as_float_array(result: Any, name: str) -> np.ndarray:
    """The student's result as a float array, with a clear message if it is not one."""
    if result is None:
        raise CheckFailed(f"{name} returned None: is the `return` statement missing?")
    if hasattr(result, "detach"):  # a torch tensor
        result = result.detach().cpu().numpy()
    try:
        with quietly():
            return np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} returned a {type(result).__name__}, not an array of numbers.") from None


def as_float(result: Any, name: str) -> float:
    """The student's result as one number."""
    array = as_float_array(result, name)
    if array.size != 1:
        raise CheckFailed(f"{name} must return a single number; it returned an array of shape {array.shape}.")
    return float(array.reshape(()))


def is_close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape, NaN in the same places, and ``||got - expected|| <= rtol ||expected|| + atol``.

    A norm, not entry by entry: an answer computed in float32 is right to about
    1e-6 of the answer's size, even in entries that happen to be near zero.
    """
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return False
    missing = np.isnan(expected)
    if not np.array_equal(np.isnan(got), missing):
        return False
    error = np.linalg.norm(got[~missing] - expected[~missing])
    return bool(error <= rtol * np.linalg.norm(expected[~missing]) + atol)


def judge(
    got: np.ndarray,
    expected: np.ndarray,
    *,
    name: str,
    inputs: tuple,
    mistakes: tuple[Mistake, ...] = (),
    accepted: tuple[Callable[..., Any], ...] = (),
    shape_messages: Mapping[tuple, str] | None = None,
    rtol: float = 1e-4,
    atol: float | None = None,
) -> None:
    """Pass if ``got`` matches the reference or an accepted variant; otherwise name the mistake.

    Parameters
    ----------
    got, expected : ndarray
        The student's answer and the reference answer for ``inputs``.
    inputs : tuple
        The positional inputs, passed to each mistake's and variant's ``compute``.
    mistakes : tuple of Mistake
        Known wrong answers, tried in order.
    accepted : tuple of callables
        Other answers that are also correct (e.g. another normalisation convention).
    shape_messages : mapping from shape to str, optional
        What a wrong output shape most likely means.
    rtol, atol : float
        Tolerances of :func:`is_close`; ``atol`` defaults to 1e-9 times the
        reference's largest magnitude.
    """
    expected = np.asarray(expected, dtype=float)
    if atol is None:
        atol = 1e-9 * max(1.0, float(np.nanmax(np.abs(expected), initial=0.0)))
    if is_close(got, expected, rtol, atol):
        return
    with quietly():
        if any(is_close(got, variant(*inputs), rtol, atol) for variant in accepted):
            return
        for mistake in mistakes:
            if is_close(got, mistake.compute(*inputs), rtol, atol):
                raise CheckFailed(f"{name}: it looks like you {mistake.description}.")
    if got.shape != expected.shape:
        hint = (shape_messages or {}).get(got.shape, "")
        raise CheckFailed(
            f"{name} returned an array of shape {got.shape}; expected shape {expected.shape}. {hint}".strip()
        )
    if not np.all(np.isfinite(got) | np.isnan(expected)):
        raise CheckFailed(f"{name} returned NaN or infinite values where the answer is finite.")
    finite = ~np.isnan(expected)
    error = np.linalg.norm(got[finite] - expected[finite]) / max(np.linalg.norm(expected[finite]), 1e-300)
    if error < 10 * rtol:  # just outside the tolerance: rounding, not a wrong formula
        raise CheckFailed(
            f"{name} is close to the answer but not close enough (relative error {error:.1g}, "
            f"tolerance {rtol:g}): is part of the computation rounded, or done in low precision? Use float64."
        )
    raise CheckFailed(
        f"{name} returned wrong values (relative error {error:.2g}); "
        "it matches none of the common mistakes the checker knows."
    )


def require_dependence_on_inputs(function: Callable, name: str, make_inputs: Callable[[], dict]) -> None:
    """Fail with a clear message if two different inputs give the very same answer.

    That is the signature of a function that reads notebook variables (or returns
    a hard-coded value) instead of using its arguments.
    """
    first = as_float_array(call_student(function, name, make_inputs()), name)
    second = as_float_array(call_student(function, name, make_inputs()), name)
    if first.shape == second.shape and np.array_equal(first, second, equal_nan=True):
        raise CheckFailed(
            f"{name} gave exactly the same answer for two different random inputs: does it use "
            "variables from the notebook (or fixed numbers) instead of its arguments?"
        )


def require_own_arguments(function, name):
    """Fail if ``function`` reads arrays from the notebook (e.g. ``natural_images``) instead of its arguments.

    A function that mixes its arguments with notebook arrays usually fails on other
    shapes with a bare ValueError; this names the cause instead.
    """
    if hasattr(function, "notebook_arrays_read"):  # a function in the isolated grader's sandbox
        arrays = function.notebook_arrays_read()
    else:
        arrays = notebook_arrays_read(function)
    if arrays:
        raise CheckFailed(f"{name} reads the notebook variable(s) {', '.join(arrays)} instead of its arguments: "
                          "does it use variables from the notebook? Use only the function's arguments.")


def _copy(value: Any) -> Any:
    return value.copy() if hasattr(value, "copy") else value


def _unchanged(after: Any, before: Any) -> bool:
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and after.shape == before.shape
            and bool(np.array_equal(after, before, equal_nan=True))
        )
    return after == before


def through_course_helper(helper: Callable, student_object: Any, *arguments: Any) -> Any:
    """``helper(student_object, *arguments)``: drive a student object a check cannot simply call.

    Checks use students' code only by calling it with arrays and numbers. Some
    exercises hand in something else (a ``torch.autograd.Function`` whose backward
    pass is graded, say); a small public helper in ``course/`` drives it and returns
    plain arrays. In the isolated grader the helper runs in the student's sandbox
    and only its plain result crosses back to the checker; here it is a call.
    """
    if hasattr(student_object, "call_course_helper"):  # an object in the isolated grader's sandbox
        return student_object.call_course_helper(helper, *arguments)
    return helper(student_object, *arguments)
