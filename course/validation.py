"""Input checks with error messages written for students.

Every function either returns a clean ``float64`` array (or value) or raises a
``ValueError`` (``TypeError`` for a wrong random generator) whose message says
what was expected and what was received, so that a mistake in a notebook stops
at one readable line instead of a deep numpy traceback.

The returned arrays are the caller's own data whenever no conversion is needed
(no copy); none of the functions here modifies its input.
"""

import numbers

import numpy as np

__all__ = [
    "as_filter",
    "as_flat_vector",
    "as_images",
    "as_number",
    "as_positive_int",
    "as_spike_counts",
    "require_generator",
    "require_torch_generator",
    "require_spikes",
]


def _as_float_array(values, name):
    """Convert an array-like to a float64 ndarray with a friendly error."""
    if np.iscomplexobj(values):
        raise ValueError(f"{name} must contain real numbers; got complex values")
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name} must be an array of numbers; could not convert it ({error})"
        ) from None


def _require_finite(array, name):
    """Raise if ``array`` contains NaN or infinity."""
    n_bad = int(np.count_nonzero(~np.isfinite(array)))
    if n_bad:
        raise ValueError(
            f"{name} must contain only finite numbers; found {n_bad} NaN or infinite "
            f"value(s)"
        )


def as_images(images, name="images"):
    """Check a stimulus matrix and return it as float64.

    Parameters
    ----------
    images : array_like, shape (n_images, n_pixels)
        One vectorised stimulus per row (pixel values, arbitrary units).
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n_images, n_pixels), float64
        The same data; a copy only if a dtype conversion was needed.

    Raises
    ------
    ValueError
        If the array is not 2-D, is empty, or holds NaN/inf.
    """
    array = _as_float_array(images, name)
    if array.ndim != 2:
        hint = (
            " (for a single image use images.reshape(1, -1))" if array.ndim == 1 else ""
        )
        raise ValueError(
            f"{name} must be a 2-D array of shape (n_images, n_pixels); "
            f"got shape {array.shape}{hint}"
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(
            f"{name} must hold at least one image with at least one pixel; "
            f"got shape {array.shape}"
        )
    _require_finite(array, name)
    return array


def as_spike_counts(spike_counts, n_images, name="spike_counts"):
    """Check a vector of spike counts (one per image) and return it as float64.

    Parameters
    ----------
    spike_counts : array_like, shape (n_images,)
        Number of spikes fired to each image (non-negative whole numbers; a float
        dtype holding whole numbers is accepted).
    n_images : int
        Expected length (number of rows of the stimulus matrix).
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n_images,), float64
        The counts as floats, ready for ``spike_counts @ images``.

    Raises
    ------
    ValueError
        If the array is not 1-D, has the wrong length, or holds NaN/inf,
        negative or non-integer values.
    """
    counts = _as_float_array(spike_counts, name)
    if counts.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of shape (n_images,) = ({n_images},); "
            f"got shape {counts.shape}"
        )
    if counts.shape[0] != n_images:
        raise ValueError(
            f"{name} must have one entry per image: expected length {n_images}, "
            f"got length {counts.shape[0]}"
        )
    _require_finite(counts, name)
    negative = counts[counts < 0]
    if negative.size:
        raise ValueError(
            f"{name} must be non-negative spike counts; found {negative.size} "
            f"negative value(s), e.g. {negative[0]:g}"
        )
    fractional = counts[counts != np.round(counts)]
    if fractional.size:
        raise ValueError(
            f"{name} must be whole numbers of spikes; found {fractional.size} "
            f"non-integer value(s), e.g. {fractional[0]:g}"
        )
    return counts


def require_spikes(spike_counts, purpose="this computation"):
    """Raise unless at least one spike was fired.

    Parameters
    ----------
    spike_counts : array_like, shape (n_images,)
        Spike counts (already validated, e.g. by :func:`as_spike_counts`).
    purpose : str
        What needs the spikes, used in the message (e.g. "the spike-triggered
        average").

    Raises
    ------
    ValueError
        If the counts sum to zero.
    """
    if np.sum(spike_counts) == 0:
        raise ValueError(
            f"no spikes at all: spike_counts sums to 0, but {purpose} needs at least "
            f"one spike (use more images or a stronger stimulus)"
        )


def as_filter(k, n_pixels, name="k"):
    """Check a linear filter and return it as float64.

    Parameters
    ----------
    k : array_like, shape (n_pixels,)
        Vectorised filter (weight per pixel, per unit stimulus).
    n_pixels : int
        Expected length (number of pixels per image).
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n_pixels,), float64

    Raises
    ------
    ValueError
        If the filter is not 1-D, has the wrong length, or holds NaN/inf.
    """
    array = _as_float_array(k, name)
    if array.ndim != 1:
        hint = (
            f" (use {name}.reshape(-1) to vectorise an image)"
            if array.size == n_pixels
            else ""
        )
        raise ValueError(
            f"{name} must be a 1-D array of shape (n_pixels,) = ({n_pixels},); "
            f"got shape {array.shape}{hint}"
        )
    if array.shape[0] != n_pixels:
        raise ValueError(
            f"{name} must have one weight per pixel: expected length {n_pixels}, "
            f"got length {array.shape[0]}"
        )
    _require_finite(array, name)
    return array


def as_flat_vector(values, name):
    """Flatten any finite, non-empty array-like of numbers to a float64 vector.

    Parameters
    ----------
    values : array_like, any shape
        For example a filter as a vector ``(n_pixels,)`` or as an image
        ``(size, size)``; flattened row-major.
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray, shape (values.size,), float64

    Raises
    ------
    ValueError
        If ``values`` is empty or holds NaN/inf or non-numbers.
    """
    vector = _as_float_array(values, name).reshape(-1)
    if vector.size == 0:
        raise ValueError(f"{name} must contain at least one number; got an empty array")
    _require_finite(vector, name)
    return vector


def as_number(value, name, minimum=None, strictly=False):
    """Check a real-valued argument (a rate, a step size, a concentration ...).

    Parameters
    ----------
    value : float
        The value to check (anything ``float()`` accepts, e.g. a numpy scalar).
    name : str
        Name used in error messages.
    minimum : float, optional
        Smallest allowed value.
    strictly : bool
        If True, ``value`` must be greater than ``minimum``, not equal to it.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``value`` is not a finite number, or is below (or, with ``strictly``, at) ``minimum``.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    if minimum is not None and (number <= minimum if strictly else number < minimum):
        raise ValueError(f"{name} must be {'>' if strictly else '>='} {minimum:g}; got {value!r}")
    return number


def as_positive_int(value, name, minimum=1):
    """Check a count-like argument (number of images, image size, ...).

    Parameters
    ----------
    value : int
        The value to check (numpy integers are accepted; bools and floats are not).
    name : str
        Name used in error messages.
    minimum : int
        Smallest allowed value.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``value`` is not an integer or is smaller than ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{name} must be an integer >= {minimum}; got {value!r} "
            f"of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return int(value)


def require_generator(rng):
    """Check that ``rng`` is a seeded numpy random generator.

    Parameters
    ----------
    rng : numpy.random.Generator
        For example ``np.random.default_rng(0)``.

    Raises
    ------
    TypeError
        If ``rng`` is anything else (a seed, ``None``, the legacy
        ``np.random.RandomState``, the ``np.random`` module ...).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy random Generator, e.g. "
            f"rng = np.random.default_rng(0); got {type(rng).__name__}"
        )


def require_torch_generator(generator):
    """Check that ``generator`` is a seeded ``torch.Generator``.

    Parameters
    ----------
    generator : torch.Generator
        For example ``torch.Generator().manual_seed(0)``.

    Raises
    ------
    TypeError
        If ``generator`` is anything else (a seed, ``None``, a numpy generator ...).
    """
    import torch  # here, not at the top: importing course.validation stays light

    if not isinstance(generator, torch.Generator):
        raise TypeError(
            "generator must be a seeded torch.Generator, e.g. torch.Generator().manual_seed(0); "
            f"got {type(generator).__name__}"
        )
