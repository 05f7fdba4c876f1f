"""The linear-nonlinear-Poisson (LNP) model neuron used throughout the course.

An image ``x`` (vectorised, shape ``(n_pixels,)``) drives the neuron through a
linear filter ``k``; the expected spike count is ``exp(offset + k . x)`` and the
observed count is Poisson distributed around it.

Images and filters are vectorised row-major, the same convention as
``image.reshape(-1)``: pixel ``(row, col)`` of a ``size x size`` image is entry
``row * size + col``.
"""

import numpy as np

from course.validation import (
    as_filter,
    as_flat_vector,
    as_images,
    as_positive_int,
    require_generator,
)

__all__ = ["correlation", "gaussian_filter", "lnp_rates", "simulate_lnp"]

# Largest drive whose exponential is still a finite float64 (about 709.8).
_MAX_LOG_RATE = np.log(np.finfo(np.float64).max)


def _require_positive_finite(value, name):
    """Raise unless ``value`` is a finite number > 0."""
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")


def _as_centre(centre):
    """Check a ``(row, col)`` pair of finite pixel coordinates."""
    coordinates = as_flat_vector(centre, "centre")
    if coordinates.size != 2:
        raise ValueError(
            f"centre must be a (row, col) pair; got {coordinates.size} number(s)"
        )
    return coordinates


def gaussian_filter(
    size=10, sd_major=1.4, sd_minor=0.5, angle_deg=45.0, centre=None, amplitude=1.0
):
    """Oriented 2-D Gaussian receptive field, vectorised row-major.

    Parameters
    ----------
    size : int
        Side length of the square image, in pixels.
    sd_major, sd_minor : float
        Standard deviations along the long and the short axis, in pixels.
    angle_deg : float
        Orientation of the long axis in degrees, measured from the column
        (horizontal) axis towards increasing row index, i.e. clockwise on screen
        when row 0 is drawn at the top as ``imshow`` does.
    centre : tuple of float, optional
        ``(row, col)`` of the peak in pixel coordinates; may lie between pixels.
        Default: the grid centre ``((size - 1) / 2, (size - 1) / 2)``.
    amplitude : float
        Value at the centre (per unit stimulus). The largest pixel value is smaller
        when the centre falls between pixels (0.880 for the defaults).

    Returns
    -------
    numpy.ndarray, shape (size * size,), float64
        The filter ``k``. For the defaults ``||k||^2 = 2.2306``, ``sum(k) = 4.399``.
    """
    size = as_positive_int(size, "size")
    _require_positive_finite(sd_major, "sd_major")
    _require_positive_finite(sd_minor, "sd_minor")
    if centre is None:
        centre = ((size - 1) / 2, (size - 1) / 2)
    centre_row, centre_col = _as_centre(centre)
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    dx = cols - centre_col
    dy = rows - centre_row
    angle = np.deg2rad(angle_deg)
    along_major = dx * np.cos(angle) + dy * np.sin(angle)
    along_minor = -dx * np.sin(angle) + dy * np.cos(angle)
    exponent = (along_major / sd_major) ** 2 + (along_minor / sd_minor) ** 2
    return (amplitude * np.exp(-0.5 * exponent)).reshape(-1)


def lnp_rates(images, k, offset=0.0):
    """Expected spike count of the LNP neuron for each image.

    Parameters
    ----------
    images : array_like, shape (n_images, n_pixels)
        Stimuli, one vectorised image per row.
    k : array_like, shape (n_pixels,)
        Linear filter.
    offset : float
        Constant added to the drive (log of the count at zero drive).

    Returns
    -------
    numpy.ndarray, shape (n_images,), float64
        ``exp(offset + images @ k)``, in spikes per image.

    Raises
    ------
    ValueError
        For malformed input, or if a rate would overflow float64 (drive above
        about 709: the stimuli are far too strong for this filter).
    """
    images = as_images(images)
    k = as_filter(k, images.shape[1])
    if not np.isfinite(offset):
        raise ValueError(f"offset must be a finite number; got {offset!r}")
    log_rates = offset + images @ k
    if log_rates.max() > _MAX_LOG_RATE:
        raise ValueError(
            f"offset + images @ k reaches {log_rates.max():.3g}, so exp() overflows; "
            "scale the stimuli down (see course.stimuli.drive_match)"
        )
    return np.exp(log_rates)


def simulate_lnp(images, k, rng, offset=0.0):
    """Draw Poisson spike counts from the LNP neuron.

    Parameters
    ----------
    images : array_like, shape (n_images, n_pixels)
        Stimuli, one vectorised image per row.
    k : array_like, shape (n_pixels,)
        Linear filter.
    rng : numpy.random.Generator
        Seeded random generator, e.g. ``np.random.default_rng(0)``.
    offset : float
        Constant added to the drive.

    Returns
    -------
    numpy.ndarray, shape (n_images,), int64
        Spike count for each image, ``Poisson(exp(offset + images @ k))``.
    """
    require_generator(rng)
    rates = lnp_rates(images, k, offset=offset)
    return rng.poisson(rates).astype(np.int64, copy=False)


def correlation(a, b):
    """Pearson correlation between two filters (or any two equal-size arrays).

    Used to score an estimated filter against the true one; it ignores overall
    scale and offset, so an estimate proportional to ``k`` scores 1.

    Parameters
    ----------
    a, b : array_like, same number of elements (e.g. shape (n_pixels,))
        Arrays are flattened row-major, so images and vectors can be mixed.

    Returns
    -------
    float
        Correlation in [-1, 1].

    Raises
    ------
    ValueError
        If the sizes differ, values are not finite, or either array is
        constant (correlation undefined).
    """
    a = as_flat_vector(a, "a")
    b = as_flat_vector(b, "b")
    if a.size != b.size:
        raise ValueError(
            f"a and b must have the same number of elements; got {a.size} and {b.size}"
        )
    a_centred = a - a.mean()
    b_centred = b - b.mean()
    norm_product = np.linalg.norm(a_centred) * np.linalg.norm(b_centred)
    if norm_product == 0:
        raise ValueError("correlation is undefined: a or b is constant")
    return float(np.clip(a_centred @ b_centred / norm_product, -1.0, 1.0))
