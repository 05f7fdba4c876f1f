"""Tests for course.lnp and course.validation."""

import numpy as np
import pytest

from course.lnp import correlation, gaussian_filter, lnp_rates, simulate_lnp
from course.validation import (
    as_filter,
    as_flat_vector,
    as_images,
    as_positive_int,
    as_spike_counts,
    require_generator,
    require_spikes,
)

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture
def k():
    return gaussian_filter()


# --- gaussian_filter ---------------------------------------------------------


def test_default_filter_matches_science_numbers(k):
    assert k.shape == (100,)
    assert k.dtype == np.float64
    assert k @ k == pytest.approx(2.2306, abs=5e-4)
    assert k.sum() == pytest.approx(4.399, abs=5e-4)
    assert k.max() == pytest.approx(0.880, abs=5e-4)


def test_filter_centred_on_a_pixel_peaks_at_amplitude():
    k = gaussian_filter(centre=(5, 5), amplitude=2.0)
    image = k.reshape(10, 10)
    assert image[5, 5] == pytest.approx(2.0)
    assert np.unravel_index(np.argmax(image), image.shape) == (5, 5)


def test_filter_is_vectorised_row_major_and_oriented():
    # sd_minor tiny: only pixels on the long axis survive. At 0 deg the long
    # axis is a row (horizontal), at 90 deg a column.
    horizontal = gaussian_filter(
        size=5, sd_major=10.0, sd_minor=0.1, angle_deg=0.0, centre=(2, 2)
    ).reshape(5, 5)
    vertical = gaussian_filter(
        size=5, sd_major=10.0, sd_minor=0.1, angle_deg=90.0, centre=(2, 2)
    ).reshape(5, 5)
    assert np.all(horizontal[2] > 0.9)
    assert np.all(horizontal[0] < 1e-10)
    np.testing.assert_allclose(vertical, horizontal.T, atol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, "size must be an integer >= 1"),
        ({"sd_major": 0.0}, "sd_major must be a finite number > 0"),
        ({"sd_minor": -1.0}, "sd_minor must be a finite number > 0"),
        ({"centre": (1, 2, 3)}, r"centre must be a \(row, col\) pair"),
    ],
)
def test_filter_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gaussian_filter(**kwargs)


# --- lnp_rates / simulate_lnp ------------------------------------------------


def test_rates_equal_exp_of_drive(k):
    images = np.random.default_rng(0).standard_normal((50, 100))
    np.testing.assert_allclose(lnp_rates(images, k), np.exp(images @ k), rtol=1e-14)
    np.testing.assert_allclose(
        lnp_rates(images, k, offset=-1.5), np.exp(-1.5 + images @ k), rtol=1e-14
    )


def test_rates_do_not_modify_caller_arrays(k):
    images = np.random.default_rng(0).standard_normal((5, 100))
    images_before, k_before = images.copy(), k.copy()
    lnp_rates(images, k)
    np.testing.assert_array_equal(images, images_before)
    np.testing.assert_array_equal(k, k_before)


def test_rates_refuse_overflow_with_clear_message(k):
    with pytest.raises(ValueError, match="overflows"):
        lnp_rates(np.full((2, 100), 1000.0), k)


def test_simulation_is_reproducible_with_seed(k):
    images = np.random.default_rng(1).standard_normal((500, 100))
    first = simulate_lnp(images, k, np.random.default_rng(7))
    again = simulate_lnp(images, k, np.random.default_rng(7))
    other = simulate_lnp(images, k, np.random.default_rng(8))
    assert first.shape == (500,)
    assert first.dtype == np.int64
    assert np.all(first >= 0)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_white_noise_mean_count_matches_theory(k):
    # For x ~ N(0, I): E[exp(k.x)] = exp(||k||^2 / 2) = 3.05.
    rng = np.random.default_rng(2)
    images = rng.standard_normal((20000, 100))
    counts = simulate_lnp(images, k, rng)
    expected = np.exp(k @ k / 2)
    assert expected == pytest.approx(3.05, abs=0.01)
    assert counts.mean() == pytest.approx(expected, rel=0.04)


def test_offset_scales_mean_count(k):
    rng = np.random.default_rng(3)
    images = rng.standard_normal((20000, 100))
    counts = simulate_lnp(images, k, rng, offset=np.log(0.1))
    assert counts.mean() == pytest.approx(0.1 * np.exp(k @ k / 2), rel=0.06)


def test_simulation_requires_a_generator(k):
    with pytest.raises(TypeError, match="default_rng"):
        simulate_lnp(np.zeros((3, 100)), k, rng=0)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (
            np.zeros(100),
            r"2-D array of shape \(n_images, n_pixels\); got shape \(100,\)",
        ),
        (np.zeros((3, 99)), "expected length 99, got length 100"),
        (np.full((3, 100), np.nan), "finite"),
        ([["a"] * 100], "array of numbers"),
        (np.zeros((3, 100), dtype=complex), "real numbers"),
    ],
)
def test_bad_images_give_clear_errors(k, images, message):
    with pytest.raises(ValueError, match=message):
        lnp_rates(images, k)


def test_bad_filter_shapes_give_clear_errors():
    images = np.zeros((3, 100))
    with pytest.raises(ValueError, match=r"reshape\(-1\)"):
        lnp_rates(images, np.zeros((10, 10)))
    with pytest.raises(ValueError, match="finite"):
        lnp_rates(images, np.r_[np.inf, np.zeros(99)])
    with pytest.raises(ValueError, match="offset"):
        lnp_rates(images, np.zeros(100), offset=np.nan)


# --- correlation ---------------------------------------------------------------


def test_correlation_is_pearson_and_scale_free(k):
    other = np.random.default_rng(4).standard_normal(100)
    assert correlation(k, other) == pytest.approx(
        np.corrcoef(k, other)[0, 1], abs=1e-12
    )
    assert correlation(k, 3.0 * k + 1.0) == pytest.approx(1.0)
    assert correlation(k, -k) == pytest.approx(-1.0)
    assert correlation(k.reshape(10, 10), k) == pytest.approx(1.0)
    assert isinstance(correlation(k, other), float)


def test_correlation_rejects_constant_or_mismatched_input(k):
    with pytest.raises(ValueError, match="constant"):
        correlation(k, np.ones(100))
    with pytest.raises(ValueError, match="same number of elements"):
        correlation(k, k[:50])


# --- validation ------------------------------------------------------------------


def test_as_images_converts_lists_and_does_not_copy_float_arrays():
    images = np.zeros((4, 9))
    assert as_images(images) is images
    converted = as_images([[1, 2], [3, 4]])
    assert converted.dtype == np.float64
    assert converted.shape == (2, 2)
    with pytest.raises(ValueError, match=r"at least one image"):
        as_images(np.zeros((0, 9)))
    with pytest.raises(ValueError, match=r"stimuli must be a 2-D array"):
        as_images(np.zeros(9), name="stimuli")


def test_as_spike_counts_accepts_whole_floats_and_rejects_bad_counts():
    np.testing.assert_array_equal(as_spike_counts([0, 2.0, 5], 3), [0.0, 2.0, 5.0])
    assert as_spike_counts(np.array([1, 2], dtype=np.int64), 2).dtype == np.float64
    with pytest.raises(ValueError, match="non-negative"):
        as_spike_counts([1, -1, 2], 3)
    with pytest.raises(ValueError, match="expected length 4, got length 3"):
        as_spike_counts([1, 1, 2], 4)
    with pytest.raises(ValueError, match="whole numbers"):
        as_spike_counts([1, 0.5, 2], 3)
    with pytest.raises(ValueError, match="finite"):
        as_spike_counts([1, np.nan, 2], 3)
    with pytest.raises(ValueError, match="1-D"):
        as_spike_counts(np.ones((3, 1)), 3)


def test_require_spikes():
    require_spikes(np.array([0.0, 1.0]))
    with pytest.raises(
        ValueError, match=r"no spikes at all: .*needs at least one spike"
    ):
        require_spikes(np.zeros(5))


def test_small_validators():
    np.testing.assert_array_equal(as_filter([1, 2, 3], 3), [1.0, 2.0, 3.0])
    assert as_flat_vector(np.ones((2, 3)), "x").shape == (6,)
    with pytest.raises(ValueError, match="empty"):
        as_flat_vector([], "x")
    assert as_positive_int(np.int64(3), "n") == 3
    for bad in (0, 2.5, True, "3"):
        with pytest.raises(ValueError, match="n must be an integer"):
            as_positive_int(bad, "n")
    require_generator(np.random.default_rng(0))
    for bad in (None, 0, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="Generator"):
            require_generator(bad)
