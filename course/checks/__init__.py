"""Public checks that students run right after writing each function.

One module per assignment (``course.checks.lnp_sta``, ...). Each check tries a tiny
example small enough to work out by hand, plus the shape and type of the answer,
and says what it expected. Passing them is a good sign, not full marks: the
grader also runs hidden tests on other data.
"""
import contextlib

import numpy as np


@contextlib.contextmanager
def names_replaced(function, **replacements):
    """Temporarily rebind global names that ``function`` may call (e.g. another exercise).

    Each exercise is checked on its own: while ``compute_whitened_STA`` is checked,
    the ``compute_STA`` it may call is replaced by a correct one, so that a mistake in
    ``compute_STA`` is not counted twice. Names the function's module does not
    define are left alone; everything is restored afterwards.
    """
    namespace = getattr(function, "__globals__", {})
    saved = {name: namespace[name] for name in replacements if name in namespace}
    namespace.update({name: replacements[name] for name in saved})
    try:
        yield
    finally:
        namespace.update(saved)


def call_unchanged(function, *inputs):
    """Call ``function`` on copies and make sure it left the inputs unchanged."""
    copies = [np.array(value, copy=True) for value in inputs]
    result = function(*inputs)
    for before, after in zip(copies, inputs):
        assert np.array_equal(before, after), (
            f"{function.__name__} changed one of its input arrays in place; work on a copy instead."
        )
    return result


def as_vector(result, length, name):
    """``result`` as a float vector of ``length`` entries, or an assertion that says what is wrong."""
    assert result is not None, f"{name} returned None: is the `return` statement missing?"
    vector = np.asarray(result, dtype=float)
    assert vector.shape == (length,), f"{name} should return shape ({length},); got shape {vector.shape}."
    return vector


def as_number(result, name):
    """``result`` as one float (a 0-d or one-element array is fine), or an assertion that says what is wrong."""
    assert result is not None, f"{name} returned None: is the `return` statement missing?"
    value = np.asarray(result, dtype=float)
    assert value.size == 1, f"{name} should return a single number; got an array of shape {value.shape}."
    return float(value.reshape(()))
