"""Tests for course.stimuli, with the science targets of science.md sections 1, 5, 6."""

import socket
import time
import urllib.error

import numpy as np
import pytest
from sklearn.utils import Bunch

from course.lnp import correlation, gaussian_filter, simulate_lnp
from course.stimuli import (
    drive_match,
    load_mnist_digits,
    natural_stimuli,
    photo_patches,
    power_law_noise,
    sample_covariance,
    white_noise,
)

pytestmark = pytest.mark.filterwarnings("error")

N_SCIENCE = 10_000


@pytest.fixture(scope="module")
def k():
    return gaussian_filter()


@pytest.fixture(scope="module")
def pink():
    images = power_law_noise(N_SCIENCE, np.random.default_rng(0))
    # Shared by several tests: read-only also proves no function writes to it.
    images.flags.writeable = False
    return images


def neighbour_correlation(images, size=10):
    """Mean correlation between horizontally adjacent pixels."""
    corr = np.corrcoef(images, rowvar=False)
    pairs = [(i, i + 1) for i in range(size * size) if (i + 1) % size]
    return np.mean([corr[a, b] for a, b in pairs])


# --- shapes, dtypes, reproducibility ----------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: white_noise(20, rng, size=6),
        lambda rng: power_law_noise(20, rng, size=6, grid=16),
        lambda rng: natural_stimuli(20, gaussian_filter(size=6), rng, size=6, grid=16),
        lambda rng: photo_patches(20, rng, size=6),
    ],
    ids=["white", "power_law", "natural", "photo"],
)
def test_generators_shape_dtype_and_seed(make):
    images = make(np.random.default_rng(5))
    assert images.shape == (20, 36)
    assert images.dtype == np.float64
    np.testing.assert_array_equal(images, make(np.random.default_rng(5)))
    assert not np.array_equal(images, make(np.random.default_rng(6)))


def test_generators_require_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        white_noise(3, 0)
    with pytest.raises(TypeError, match="Generator"):
        power_law_noise(3, None)


def test_white_noise_is_standard_normal():
    images = white_noise(20000, np.random.default_rng(0), size=3)
    np.testing.assert_allclose(images.mean(axis=0), 0, atol=0.03)
    np.testing.assert_allclose(images.std(axis=0), 1, atol=0.03)


# --- power-law noise ---------------------------------------------------------------


def test_power_law_noise_is_zscored_per_pixel(pink):
    assert pink.shape == (N_SCIENCE, 100)
    np.testing.assert_allclose(pink.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(pink.std(axis=0, ddof=1), 1, atol=1e-12)


def test_exponent_controls_pixel_correlation(pink):
    white_ish = power_law_noise(N_SCIENCE, np.random.default_rng(1), exponent=0.0)
    assert abs(neighbour_correlation(white_ish)) < 0.03
    assert neighbour_correlation(pink) > 0.5


def test_power_law_noise_is_stationary(pink):
    # Stationary: correlation depends only on the pixel offset, not on position.
    corr = np.corrcoef(pink, rowvar=False)
    horizontal = [corr[r * 10 + c, r * 10 + c + 1] for r in range(10) for c in range(9)]
    vertical = [corr[r * 10 + c, (r + 1) * 10 + c] for r in range(9) for c in range(10)]
    assert np.ptp(horizontal) < 0.06
    assert np.mean(horizontal) == pytest.approx(np.mean(vertical), abs=0.02)


def test_power_law_noise_is_gaussian(pink):
    drive = pink @ gaussian_filter()
    standardised = (drive - drive.mean()) / drive.std()
    assert np.mean(standardised**3) == pytest.approx(0.0, abs=0.1)
    assert np.mean(standardised**4) == pytest.approx(3.0, abs=0.2)


def test_power_law_noise_is_fast():
    start = time.perf_counter()
    power_law_noise(N_SCIENCE, np.random.default_rng(0))
    assert time.perf_counter() - start < 1.0


def test_power_law_noise_rejects_small_grid():
    with pytest.raises(ValueError, match="grid must be >= size"):
        power_law_noise(10, np.random.default_rng(0), size=10, grid=8)
    with pytest.raises(ValueError, match=r"n_images must be an integer >= 2"):
        power_law_noise(1, np.random.default_rng(0))


# --- drive matching --------------------------------------------------------------


def test_drive_match_equalises_drive_variance(pink, k):
    matched = drive_match(pink, k)
    assert k @ sample_covariance(matched) @ k == pytest.approx(k @ k, abs=1e-10)
    factor = matched[0, 0] / pink[0, 0]
    np.testing.assert_allclose(matched, factor * pink, rtol=1e-12)
    assert factor == pytest.approx(0.459, abs=0.02)


def test_drive_match_rejects_no_drive(pink, k):
    with pytest.raises(ValueError, match="does not vary"):
        drive_match(np.ones((5, 100)), k)
    with pytest.raises(ValueError, match="does not vary"):
        drive_match(pink[:5], np.zeros(100))


def test_natural_stimuli_is_drive_matched_pink(k):
    images = natural_stimuli(50, k, np.random.default_rng(3))
    expected = drive_match(power_law_noise(50, np.random.default_rng(3)), k)
    np.testing.assert_array_equal(images, expected)


def test_sample_covariance_matches_numpy():
    images = np.random.default_rng(0).standard_normal((30, 4))
    np.testing.assert_allclose(
        sample_covariance(images), np.cov(images, rowvar=False), atol=1e-12
    )


# --- science targets (science.md section 6), n = 10000 ---------------------------


def test_white_noise_sta_recovers_filter(k):
    images = white_noise(N_SCIENCE, np.random.default_rng(10))
    counts = simulate_lnp(images, k, np.random.default_rng(11))
    sta = counts @ images / counts.sum()
    assert correlation(sta, k) >= 0.93


def test_pink_noise_sta_is_blurred_by_covariance(pink, k):
    images = drive_match(pink, k)
    counts = simulate_lnp(images, k, np.random.default_rng(12))
    assert counts.mean() == pytest.approx(np.exp(k @ k / 2), rel=0.1)
    sta = counts @ images / counts.sum()
    assert correlation(sta, sample_covariance(images) @ k) >= 0.98
    assert 0.55 <= correlation(sta, k) <= 0.80


# --- photographs ------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("this test must not use the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_photo_patches_are_zscored_and_offline(no_network):
    patches = photo_patches(500, np.random.default_rng(0))
    assert patches.shape == (500, 100)
    np.testing.assert_allclose(patches.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(patches.std(axis=0, ddof=1), 1, atol=1e-12)
    # Real scenes are smooth: neighbouring pixels are strongly correlated.
    assert neighbour_correlation(patches) > 0.5


def test_photo_patch_cache_cannot_be_corrupted():
    patches = photo_patches(20, np.random.default_rng(0))
    expected = patches.copy()
    patches[:] = 0.0  # a caller scribbling on its result ...
    # ... must not change what the next caller gets.
    np.testing.assert_array_equal(photo_patches(20, np.random.default_rng(0)), expected)


def test_photo_patches_reject_oversized_patches():
    with pytest.raises(ValueError, match="size must be at most"):
        photo_patches(5, np.random.default_rng(0), size=200, downsample=4)
    with pytest.raises(ValueError, match="downsample must be at most 427"):
        photo_patches(5, np.random.default_rng(0), size=1, downsample=1000)


# --- MNIST (fake fetcher, never the network) -------------------------------------

N_FAKE = 50


def fake_mnist(n_digits=N_FAKE):
    """Digits whose label L is a bright horizontal bar in block-row L.

    In the central 20x20 box, original rows 2L and 2L+1 are 255, so after
    block-averaging to 10x10 the bar sits in row L. Outside the box the pixels
    are random, which must be cropped away.
    """
    rng = np.random.default_rng(99)
    labels = np.arange(n_digits) % 10
    digits = rng.uniform(0, 255, size=(n_digits, 28, 28))
    digits[:, 4:24, 4:24] = 0.0
    for index, label in enumerate(labels):
        digits[index, 4 + 2 * label : 6 + 2 * label, 4:24] = 255.0
    return Bunch(
        data=digits.reshape(n_digits, 784), target=labels.astype(str).astype(object)
    )


def make_fetcher(bunch, calls=None):
    def fetch(name, **kwargs):
        if calls is not None:
            calls.append((name, kwargs))
        return bunch

    return fetch


def test_mnist_loader_shapes_labels_and_zscoring(no_network):
    calls = []
    fetch = make_fetcher(fake_mnist(), calls)
    images, labels = load_mnist_digits(
        20, np.random.default_rng(0), fetch=fetch, data_home="/nowhere"
    )
    assert calls == [
        (
            "mnist_784",
            {
                "version": 1,
                "as_frame": False,
                "data_home": "/nowhere",
                "parser": "liac-arff",
            },
        )
    ]
    assert images.shape == (20, 100)
    assert images.dtype == np.float64
    assert labels.shape == (20,)
    assert labels.dtype == np.int64
    assert set(labels) <= set(range(10))
    np.testing.assert_allclose(images.mean(axis=0), 0, atol=1e-12)
    varying = images.std(axis=0) > 0
    np.testing.assert_allclose(images[:, varying].std(axis=0, ddof=1), 1, atol=1e-12)
    # Each image must show its own label: the bar is in row `label`.
    bar_rows = images.reshape(20, 10, 10).mean(axis=2).argmax(axis=1)
    np.testing.assert_array_equal(bar_rows, labels)


def test_mnist_loader_subset_follows_rng(no_network):
    fetch = make_fetcher(fake_mnist())
    first = load_mnist_digits(20, np.random.default_rng(1), fetch=fetch)
    again = load_mnist_digits(20, np.random.default_rng(1), fetch=fetch)
    other = load_mnist_digits(20, np.random.default_rng(2), fetch=fetch)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    # Drawn without replacement: asking for every digit returns each exactly once.
    _, every = load_mnist_digits(N_FAKE, np.random.default_rng(3), fetch=fetch)
    np.testing.assert_array_equal(np.sort(every), np.sort(np.arange(N_FAKE) % 10))


def test_mnist_loader_other_sizes_and_constant_pixels(no_network):
    images, _ = load_mnist_digits(
        10, np.random.default_rng(0), fetch=make_fetcher(fake_mnist()), size=5
    )
    assert images.shape == (10, 25)
    blank = Bunch(
        data=np.zeros((N_FAKE, 784)), target=np.array(["7"] * N_FAKE, dtype=object)
    )
    images, labels = load_mnist_digits(
        10, np.random.default_rng(0), fetch=make_fetcher(blank)
    )
    np.testing.assert_array_equal(images, 0.0)
    np.testing.assert_array_equal(labels, 7)


def test_mnist_loader_rejects_bad_requests():
    fetch = make_fetcher(fake_mnist())
    with pytest.raises(ValueError, match="size must divide 20"):
        load_mnist_digits(10, np.random.default_rng(0), size=3, fetch=fetch)
    with pytest.raises(ValueError, match="at most 50"):
        load_mnist_digits(60, np.random.default_rng(0), fetch=fetch)


def test_mnist_loader_explains_missing_internet(no_network):
    def offline_fetch(name, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    with pytest.raises(RuntimeError, match="internet access") as error:
        load_mnist_digits(10, np.random.default_rng(0), fetch=offline_fetch)
    assert "natural_stimuli" in str(error.value)
    assert "photo_patches" in str(error.value)
