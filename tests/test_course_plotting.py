"""Tests for course.plotting (every figure is closed after its test)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from course.lnp import gaussian_filter
from course.plotting import correlation, plot_example_images, plot_filters

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
def figures():
    """Collect figures made by a test and close them afterwards."""
    made = []
    yield made
    for fig in made:
        plt.close(fig)


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def test_plot_filters_shares_one_symmetric_scale(figures):
    k = gaussian_filter()
    noisy = k + np.random.default_rng(0).normal(0, 0.3, size=100)
    fig = plot_filters(
        {"true k": k, "estimate": noisy, "negated": -2 * k.reshape(10, 10)}
    )
    figures.append(fig)
    assert isinstance(fig, Figure)
    axes = image_axes(fig)
    assert len(axes) == 3
    assert len(fig.axes) == 4  # three images and one colorbar
    vmax = max(np.abs(noisy).max(), 2 * np.abs(k).max())
    for ax in axes:
        assert ax.images[0].get_clim() == pytest.approx((-vmax, vmax))
        assert ax.images[0].get_array().shape == (10, 10)
    np.testing.assert_allclose(axes[0].images[0].get_array(), k.reshape(10, 10))
    assert [ax.get_title() for ax in axes] == ["true k", "estimate", "negated"]


def test_plot_filters_titles_show_correlation_with_truth(figures):
    k = gaussian_filter()
    noisy = k + np.random.default_rng(0).normal(0, 0.3, size=100)
    fig = plot_filters({"true k": k, "estimate": noisy}, true_filter=k)
    figures.append(fig)
    titles = [ax.get_title() for ax in image_axes(fig)]
    assert titles[0] == "true k (r = 1.00)"
    assert titles[1] == f"estimate (r = {correlation(noisy, k):.2f})"


def test_plot_filters_infers_or_checks_size(figures):
    with pytest.raises(ValueError, match="not a perfect square"):
        plot_filters({"bad": np.ones(12)})
    with pytest.raises(ValueError, match="size=3 needs 9 pixels"):
        plot_filters({"bad": np.ones(16)}, size=3)
    with pytest.raises(ValueError, match="same number of pixels"):
        plot_filters({"a": np.ones(16), "b": np.ones(9)})
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_filters([np.ones(16)])
    fig = plot_filters({"zeros": np.zeros(16)})
    figures.append(fig)
    assert image_axes(fig)[0].images[0].get_array().shape == (4, 4)


def test_plot_example_images_titles_spike_counts(figures):
    images = np.random.default_rng(1).standard_normal((10, 64))
    counts = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    fig = plot_example_images(images, counts, n_show=4)
    figures.append(fig)
    assert isinstance(fig, Figure)
    axes = image_axes(fig)
    assert len(axes) == 4
    assert [ax.get_title() for ax in axes] == [
        "0 spikes",
        "1 spike",
        "2 spikes",
        "3 spikes",
    ]
    limits = {ax.images[0].get_clim() for ax in axes}
    assert len(limits) == 1
    low, high = limits.pop()
    assert low == -high == pytest.approx(-np.abs(images[:4]).max())
    np.testing.assert_allclose(axes[2].images[0].get_array(), images[2].reshape(8, 8))


def test_plot_example_images_shows_at_most_all_images(figures):
    fig = plot_example_images(np.zeros((2, 9)), [1, 2], n_show=6)
    figures.append(fig)
    assert len(image_axes(fig)) == 2


def test_plot_example_images_validates_input():
    with pytest.raises(ValueError, match="expected length 3"):
        plot_example_images(np.zeros((3, 9)), [1, 2])
    with pytest.raises(ValueError, match="non-negative"):
        plot_example_images(np.zeros((2, 9)), [1, -2])
    with pytest.raises(ValueError, match="n_show"):
        plot_example_images(np.zeros((2, 9)), [1, 2], n_show=0)
