"""Figures for the course: filters and example stimuli drawn as images.

Functions return the matplotlib ``Figure``; in Jupyter it is displayed
automatically at the end of the cell (write ``fig = plot_filters(...)`` to
avoid seeing it twice). Vectors of length ``n_pixels`` are drawn as
``size x size`` images, un-vectorised row-major (the inverse of
``image.reshape(-1)``).

:func:`correlation` (Pearson correlation of two filters, used in the titles)
lives in :mod:`course.lnp` and is re-exported here.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

from course.lnp import correlation
from course.validation import (
    as_flat_vector,
    as_images,
    as_positive_int,
    as_spike_counts,
)

__all__ = ["correlation", "plot_example_images", "plot_filters"]

# Width and height of one image panel, in inches.
_PANEL_INCHES = 2.2


def _image_side(n_pixels, size):
    """Side length of a square image with ``n_pixels`` pixels.

    Uses ``size`` if given (checked), otherwise ``sqrt(n_pixels)``.
    """
    if size is None:
        size = math.isqrt(n_pixels)
        if size * size != n_pixels:
            raise ValueError(
                f"cannot draw {n_pixels} pixels as a square image: {n_pixels} is not a "
                "perfect square"
            )
        return size
    size = as_positive_int(size, "size")
    if size * size != n_pixels:
        raise ValueError(
            f"size={size} needs {size * size} pixels per image; got {n_pixels}"
        )
    return size


def _symmetric_limit(arrays):
    """Largest absolute value over ``arrays`` (1 if all are zero)."""
    limit = max(float(np.max(np.abs(array))) for array in arrays)
    return limit if limit > 0 else 1.0


def _hide_ticks(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def plot_filters(filters, true_filter=None, size=None, cmap="RdBu_r"):
    """Draw filters side by side on one symmetric colour scale.

    Parameters
    ----------
    filters : dict of str -> array_like
        Title -> filter, each a vector of shape (n_pixels,) or an image of shape
        (size, size); all must have the same number of pixels.
    true_filter : array_like, optional
        Shape (n_pixels,) or (size, size). If given, each title gets
        ``" (r = 0.97)"``, the Pearson correlation with this filter.
    size : int, optional
        Side of the square images; default ``sqrt(n_pixels)``.
    cmap : str
        A diverging colormap: 0 is drawn in its middle colour.

    Returns
    -------
    matplotlib.figure.Figure
        One image axis per filter plus one shared colorbar
        (limits ``-vmax, vmax`` with ``vmax`` the largest absolute weight).
    """
    if not isinstance(filters, dict) or not filters:
        raise ValueError(
            "filters must be a non-empty dict mapping a title to a filter, "
            "e.g. {'true k': k, 'STA': sta}"
        )
    vectors = {
        str(title): as_flat_vector(values, f"filters[{title!r}]")
        for title, values in filters.items()
    }
    n_pixels = next(iter(vectors.values())).size
    for title, vector in vectors.items():
        if vector.size != n_pixels:
            raise ValueError(
                f"all filters must have the same number of pixels; filters[{title!r}] "
                f"has {vector.size}, the first one has {n_pixels}"
            )
    side = _image_side(n_pixels, size)
    if true_filter is not None:
        true_filter = as_flat_vector(true_filter, "true_filter")
        if true_filter.size != n_pixels:
            raise ValueError(
                f"true_filter must have {n_pixels} pixels like the filters; "
                f"got {true_filter.size}"
            )
    vmax = _symmetric_limit(vectors.values())
    fig, axes = plt.subplots(
        1,
        len(vectors),
        figsize=(_PANEL_INCHES * len(vectors) + 1.0, _PANEL_INCHES),
        squeeze=False,
        layout="constrained",
    )
    for ax, (title, vector) in zip(axes[0], vectors.items(), strict=True):
        image = ax.imshow(vector.reshape(side, side), cmap=cmap, vmin=-vmax, vmax=vmax)
        if true_filter is not None:
            title = f"{title} (r = {correlation(vector, true_filter):.2f})"
        ax.set_title(title)
        _hide_ticks(ax)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="weight")
    return fig


def plot_example_images(images, spike_counts, n_show=6, size=None):
    """Draw the first few stimuli, each titled with the spikes it evoked.

    Parameters
    ----------
    images : array_like, shape (n_images, n_pixels)
        Vectorised stimuli.
    spike_counts : array_like, shape (n_images,)
        Spike count for each image.
    n_show : int
        Number of images to draw (at most ``n_images`` are drawn).
    size : int, optional
        Side of the square images; default ``sqrt(n_pixels)``.

    Returns
    -------
    matplotlib.figure.Figure
        One grey-scale image axis per shown stimulus, all on one symmetric
        colour scale.
    """
    images = as_images(images)
    spike_counts = as_spike_counts(spike_counts, images.shape[0])
    n_show = min(as_positive_int(n_show, "n_show"), images.shape[0])
    side = _image_side(images.shape[1], size)
    shown = images[:n_show]
    vmax = _symmetric_limit([shown])
    fig, axes = plt.subplots(
        1,
        n_show,
        figsize=(_PANEL_INCHES * n_show, _PANEL_INCHES),
        squeeze=False,
        layout="constrained",
    )
    for ax, image, count in zip(axes[0], shown, spike_counts[:n_show], strict=True):
        ax.imshow(image.reshape(side, side), cmap="gray", vmin=-vmax, vmax=vmax)
        n_spikes = int(count)
        ax.set_title(f"{n_spikes} spike" + ("" if n_spikes == 1 else "s"))
        _hide_ticks(ax)
    return fig
