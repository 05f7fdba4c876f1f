"""Stimulus sets for the LNP exercises.

Every generator returns images as a float64 array of shape
``(n_images, size * size)``, each square image vectorised row-major (the
convention of ``image.reshape(-1)``). Pixel values are in standard-deviation
units: white noise is N(0, 1) per pixel and every other source is z-scored per
pixel (sample mean 0, sample sd 1 with ``ddof=1``) before any drive matching.

Sources that work offline: :func:`white_noise`, :func:`power_law_noise`,
:func:`natural_stimuli` (the course default "natural" stimulus) and
:func:`photo_patches` (photographs bundled with scikit-learn).
:func:`load_mnist_digits` downloads MNIST on first use.
"""

import functools
import urllib.error

import numpy as np

from course.validation import (
    as_filter,
    as_images,
    as_positive_int,
    require_generator,
)

__all__ = [
    "drive_match",
    "load_mnist_digits",
    "natural_stimuli",
    "photo_patches",
    "power_law_noise",
    "sample_covariance",
    "white_noise",
]

# Images generated per FFT batch: bounds memory (~17 MB per batch on a 32 grid).
# The output does not depend on it: the generator fills normals sequentially.
_FFT_BATCH = 2048

# MNIST digits are 28 x 28; the digit itself sits in the central 20 x 20 box.
_MNIST_SIDE = 28
_MNIST_BOX = 20


def _require_at_least_two(images, name="images"):
    """Sample variances need two or more images."""
    if images.shape[0] < 2:
        raise ValueError(
            f"{name} must hold at least 2 images to estimate a variance; "
            f"got {images.shape[0]}"
        )


def _zscore_pixels(images):
    """Z-score each pixel (column) with the sample mean and sd (ddof=1).

    Pixels that never change are set to 0 instead of dividing by zero.
    """
    centred = images - images.mean(axis=0)
    sd = centred.std(axis=0, ddof=1)
    return centred / np.where(sd > 0, sd, 1.0)


def sample_covariance(images):
    """Unbiased sample covariance of the pixels.

    Parameters
    ----------
    images : array_like, shape (n_images, n_pixels)
        At least two images.

    Returns
    -------
    numpy.ndarray, shape (n_pixels, n_pixels), float64
        ``C_hat = (X - mean)' (X - mean) / (n_images - 1)``, in squared pixel units.
    """
    images = as_images(images)
    _require_at_least_two(images)
    centred = images - images.mean(axis=0)
    return centred.T @ centred / (images.shape[0] - 1)


def white_noise(n_images, rng, size=10):
    """Gaussian white noise: every pixel i.i.d. N(0, 1).

    Parameters
    ----------
    n_images : int
        Number of images.
    rng : numpy.random.Generator
        Seeded random generator.
    size : int
        Side length of the square images, in pixels.

    Returns
    -------
    numpy.ndarray, shape (n_images, size * size), float64
    """
    n_images = as_positive_int(n_images, "n_images")
    size = as_positive_int(size, "size")
    require_generator(rng)
    return rng.standard_normal((n_images, size * size))


def _power_law_amplitude(grid, exponent):
    """Fourier amplitude ``1 / f**exponent`` on an ``rfft2`` grid, zero at DC.

    Returns shape (grid, grid // 2 + 1). The amplitude depends on ``|f|`` only,
    so it is symmetric under ``f -> -f`` and the filtered field is real.
    """
    frequency_rows = np.fft.fftfreq(grid)[:, None]
    frequency_cols = np.fft.rfftfreq(grid)[None, :]
    radius = np.hypot(frequency_rows, frequency_cols)
    amplitude = np.zeros_like(radius)
    nonzero = radius > 0
    amplitude[nonzero] = radius[nonzero] ** -float(exponent)
    return amplitude


def power_law_noise(n_images, rng, size=10, exponent=1.0, grid=32):
    """Stationary Gaussian noise with a ``1 / f**exponent`` amplitude spectrum.

    Gaussian white noise on a periodic ``grid x grid`` torus is filtered in the
    Fourier domain (a circular convolution, hence exactly stationary and
    Gaussian), the mean (DC) component is removed, the top-left
    ``size x size`` corner is kept, and each pixel is z-scored with the sample
    mean and sd of this set. ``exponent=1`` gives "pink" 1/f noise with
    natural-scene-like correlations, ``exponent=0`` nearly white noise.

    Parameters
    ----------
    n_images : int
        Number of images, at least 2 (needed for the z-scoring).
    rng : numpy.random.Generator
        Seeded random generator.
    size : int
        Side length of the returned images, in pixels.
    exponent : float
        Amplitude falls as ``1 / f**exponent`` (power as ``1 / f**(2*exponent)``).
    grid : int
        Side of the generating torus, ``>= size``. A larger grid adds
        low-frequency (long-range) structure; 32 is the course default.

    Returns
    -------
    numpy.ndarray, shape (n_images, size * size), float64
        Z-scored images (per pixel mean 0, sd 1).
    """
    n_images = as_positive_int(n_images, "n_images", minimum=2)
    size = as_positive_int(size, "size")
    grid = as_positive_int(grid, "grid")
    require_generator(rng)
    if grid < size:
        raise ValueError(
            f"grid must be >= size to crop a {size}x{size} image; got grid={grid}"
        )
    if not np.isfinite(exponent):
        raise ValueError(f"exponent must be a finite number; got {exponent!r}")
    amplitude = _power_law_amplitude(grid, exponent)
    batches = []
    for start in range(0, n_images, _FFT_BATCH):
        n_batch = min(_FFT_BATCH, n_images - start)
        white = rng.standard_normal((n_batch, grid, grid))
        field = np.fft.irfft2(np.fft.rfft2(white) * amplitude, s=(grid, grid))
        batches.append(field[:, :size, :size].reshape(n_batch, size * size))
    return _zscore_pixels(np.concatenate(batches))


def drive_match(images, k):
    """Rescale stimuli so that the filter's drive has the white-noise variance.

    Correlated stimuli drive a smooth filter much harder than white noise
    (``k' C k >> ||k||^2``), giving huge firing rates. Multiplying every image by
    ``sqrt(||k||^2 / k' C_hat k)`` makes the sample variance of ``images @ k``
    equal ``||k||^2``, its value for N(0, I) white noise, so mean rates match
    white noise (about 3 spikes per image for the course filter).

    Parameters
    ----------
    images : array_like, shape (n_images, n_pixels)
        Stimuli (normally z-scored per pixel), at least 2 images.
    k : array_like, shape (n_pixels,)
        Filter whose drive is matched.

    Returns
    -------
    numpy.ndarray, shape (n_images, n_pixels), float64
        A rescaled copy; ``k' C_hat k`` of the result equals ``||k||^2``.
    """
    images = as_images(images)
    k = as_filter(k, images.shape[1])
    _require_at_least_two(images)
    # k' C_hat k is the sample variance of the drive; no need to form C_hat.
    drive = images @ k
    drive_variance = np.var(drive, ddof=1)
    # Relative test: a constant drive leaves only rounding-level variance.
    if drive_variance <= np.finfo(np.float64).eps * np.mean(drive**2):
        raise ValueError(
            "cannot drive-match: images @ k does not vary (k' C_hat k = 0); "
            "k must be non-zero and the images must vary along k"
        )
    return images * np.sqrt(k @ k / drive_variance)


def natural_stimuli(n_images, k, rng, size=10, exponent=1.0, grid=32):
    """The course's default "natural" stimulus: drive-matched 1/f noise.

    Equivalent to ``drive_match(power_law_noise(n_images, rng, size, exponent,
    grid), k)``. For the course filter on a 32 grid the drive-matching factor is
    about 0.46, so each pixel has sd about 0.46.

    Parameters
    ----------
    n_images : int
        Number of images, at least 2.
    k : array_like, shape (size * size,)
        Filter whose drive is matched to white noise.
    rng : numpy.random.Generator
        Seeded random generator.
    size, exponent, grid
        As in :func:`power_law_noise`.

    Returns
    -------
    numpy.ndarray, shape (n_images, size * size), float64
    """
    size = as_positive_int(size, "size")
    k = as_filter(k, size * size)
    images = power_law_noise(n_images, rng, size=size, exponent=exponent, grid=grid)
    return drive_match(images, k)


def _block_average(images, factor):
    """Average non-overlapping ``factor x factor`` blocks.

    ``images`` has shape (..., height, width) with both sides divisible by
    ``factor``; returns shape (..., height // factor, width // factor).
    """
    *leading, height, width = images.shape
    blocks = images.reshape(*leading, height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(-3, -1))


@functools.cache
def _grey_sample_photos(downsample):
    """scikit-learn's bundled photos (china, flower) in grey, block-averaged.

    Returns shape (2, height, width), read-only so that the cached array cannot
    be corrupted; callers copy what they use.
    """
    from sklearn.datasets import load_sample_images

    photos = np.stack(load_sample_images().images).astype(np.float64)
    grey = photos.mean(axis=-1)
    if downsample > min(grey.shape[1:]):
        raise ValueError(
            f"downsample must be at most {min(grey.shape[1:])} (the photos are "
            f"{grey.shape[1]} x {grey.shape[2]} pixels); got {downsample}"
        )
    height = grey.shape[1] - grey.shape[1] % downsample
    width = grey.shape[2] - grey.shape[2] % downsample
    small = _block_average(grey[:, :height, :width], downsample)
    small.flags.writeable = False
    return small


def photo_patches(n_images, rng, size=10, downsample=4):
    """Random square patches of real photographs (offline).

    Uses the two photographs bundled with scikit-learn (a Chinese temple and a
    flower, 427 x 640 pixels), converted to grey (mean of R, G, B) and
    block-averaged by ``downsample`` so that a patch covers a larger part of the
    scene. Each patch comes from a random photo at a random position; pixels
    are then z-scored over the set.

    Parameters
    ----------
    n_images : int
        Number of patches, at least 2.
    rng : numpy.random.Generator
        Seeded random generator.
    size : int
        Side length of the patches, in (downsampled) pixels.
    downsample : int
        Block-averaging factor (1 keeps full resolution).

    Returns
    -------
    numpy.ndarray, shape (n_images, size * size), float64
        Z-scored patches.
    """
    n_images = as_positive_int(n_images, "n_images", minimum=2)
    size = as_positive_int(size, "size")
    downsample = as_positive_int(downsample, "downsample")
    require_generator(rng)
    photos = _grey_sample_photos(downsample)
    n_photos, height, width = photos.shape
    if size > min(height, width):
        raise ValueError(
            f"size must be at most {min(height, width)} pixels for downsample="
            f"{downsample}; got {size}"
        )
    which = rng.integers(n_photos, size=n_images)
    top = rng.integers(height - size + 1, size=n_images)
    left = rng.integers(width - size + 1, size=n_images)
    offsets = np.arange(size)
    patches = photos[
        which[:, None, None],
        top[:, None, None] + offsets[None, :, None],
        left[:, None, None] + offsets[None, None, :],
    ]
    return _zscore_pixels(patches.reshape(n_images, size * size))


def _default_openml_fetch():
    """scikit-learn's OpenML downloader (imported lazily: it is slow to import)."""
    from sklearn.datasets import fetch_openml

    return fetch_openml


def load_mnist_digits(n_images, rng, size=10, data_home=None, fetch=None):
    """Random MNIST handwritten digits, shrunk to ``size x size`` (needs internet once).

    The digit occupies the central 20 x 20 box of each 28 x 28 MNIST image;
    that box is block-averaged down to ``size x size`` (so ``size`` must divide
    20), then each pixel is z-scored over the returned set (pixels that are
    constant over the set become 0).

    Parameters
    ----------
    n_images : int
        Number of digits, drawn at random without replacement (at least 2).
    rng : numpy.random.Generator
        Seeded random generator choosing the digits.
    size : int
        Side length of the returned images: 1, 2, 4, 5, 10 or 20.
    data_home : str or path-like, optional
        Cache folder for scikit-learn datasets (default ``~/scikit_learn_data``).
    fetch : callable, optional
        Replacement for :func:`sklearn.datasets.fetch_openml` (used by tests);
        called as ``fetch("mnist_784", version=1, as_frame=False,
        data_home=data_home, parser="liac-arff")`` and must return an object with
        ``data`` (n_digits, 784) and ``target`` (n_digits,) attributes.

    Returns
    -------
    images : numpy.ndarray, shape (n_images, size * size), float64
        Z-scored digit images.
    labels : numpy.ndarray, shape (n_images,), int64
        The digit (0-9) shown in each image.

    Raises
    ------
    RuntimeError
        If MNIST cannot be downloaded (no internet access).
    """
    n_images = as_positive_int(n_images, "n_images", minimum=2)
    size = as_positive_int(size, "size")
    require_generator(rng)
    if _MNIST_BOX % size:
        raise ValueError(
            f"size must divide {_MNIST_BOX} (1, 2, 4, 5, 10 or 20) so that the "
            f"central {_MNIST_BOX}x{_MNIST_BOX} box of each digit can be "
            f"block-averaged; got {size}"
        )
    if fetch is None:
        fetch = _default_openml_fetch()
    try:
        mnist = fetch(
            "mnist_784",
            version=1,
            as_frame=False,
            data_home=data_home,
            parser="liac-arff",
        )
    except (urllib.error.URLError, OSError) as error:
        raise RuntimeError(
            "could not load MNIST: it needs internet access on first use (it is then "
            "cached in data_home). Offline, use course.stimuli.natural_stimuli or "
            f"course.stimuli.photo_patches instead. Original error: {error}"
        ) from error
    digits = as_images(mnist.data, "MNIST data")
    if digits.shape[1] != _MNIST_SIDE**2:
        raise ValueError(
            f"MNIST data must have {_MNIST_SIDE**2} pixels per digit; "
            f"got shape {digits.shape}"
        )
    labels_all = np.asarray(mnist.target).astype(np.int64)
    if n_images > digits.shape[0]:
        raise ValueError(
            f"n_images must be at most {digits.shape[0]} (the number of MNIST "
            f"digits); got {n_images}"
        )
    chosen = rng.choice(digits.shape[0], size=n_images, replace=False)
    margin = (_MNIST_SIDE - _MNIST_BOX) // 2
    boxes = digits[chosen].reshape(n_images, _MNIST_SIDE, _MNIST_SIDE)[
        :, margin : margin + _MNIST_BOX, margin : margin + _MNIST_BOX
    ]
    small = _block_average(boxes, _MNIST_BOX // size).reshape(n_images, size * size)
    return _zscore_pixels(small), labels_all[chosen]
