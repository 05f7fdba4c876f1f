"""Public checks for assignment 7 (most exciting inputs of a CNN encoding model).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import numpy as np

from course.checks import as_number, call_unchanged


def _as_image(result, shape, name):
    assert result is not None, f"{name} returned None: is the `return` statement missing?"
    image = np.asarray(result, dtype=float)
    assert image.shape == shape, f"{name} should return shape {shape}; got shape {image.shape}."
    return image


def check_oracle_correlation(oracle_correlation):
    """Three images shown twice, then two images shown three times."""
    name = "oracle_correlation"
    twice = as_number(call_unchanged(oracle_correlation, np.array([[1.0, 3.0], [2.0, 2.0], [5.0, 7.0]])), name)
    assert np.isclose(twice, 13 / 19), (
        f"{name} gave {twice:.4g} for responses [[1, 3], [2, 2], [5, 7]] (3 images x 2 repeats); by hand, with two "
        "repeats the mean of the other repeats is simply the other trial, so the pairs (trial, others) are (1, 3), "
        "(3, 1), (2, 2), (2, 2), (5, 7), (7, 5), and their correlation is 156 / 228 = 13/19 = 0.6842. (Including each "
        "trial in its own mean would give 0.9177.)"
    )
    thrice = as_number(call_unchanged(oracle_correlation, np.array([[1.0, 2.0, 3.0], [5.0, 6.0, 7.0]])), name)
    assert np.isclose(thrice, 22 / np.sqrt(700)), (
        f"{name} gave {thrice:.4g} for responses [[1, 2, 3], [5, 6, 7]] (2 images x 3 repeats); by hand the means "
        "of the other two repeats are [[2.5, 2, 1.5], [6.5, 6, 5.5]]; both sets of 6 values have mean 4, the "
        "deviations are [-3, -2, -1, 1, 2, 3] and [-1.5, -2, -2.5, 2.5, 2, 1.5], and the correlation is "
        "22 / sqrt(28 * 25) = 0.8315."
    )
    print(f"{name} passes the public checks.")


def check_gabor_patch(gabor_patch):
    """Three 3 x 3 Gabors (vertical stripes, horizontal stripes with a sine phase) and a 2 x 2 one."""
    name = "gabor_patch"
    edge = np.exp(-0.5)
    vertical = _as_image(gabor_patch(3, 0.0, 0.25, 0.0, 1.0), (3, 3), name)
    expected = np.array([[0, edge, 0], [0, 1, 0], [0, edge, 0]])
    assert np.allclose(vertical, expected, atol=1e-9), (
        f"{name}(3, orientation=0, spatial_frequency=0.25, phase=0, sigma=1) gave\n{np.round(vertical, 4)}\n"
        f"by hand x = y = [-1, 0, 1], u = x, the carrier cos(2 pi 0.25 x) = [0, 1, 0] along each row, and the "
        f"envelope exp(-(x^2 + y^2) / 2): \n{np.round(expected, 4)}"
    )
    sine = _as_image(gabor_patch(3, np.pi / 2, 0.25, -np.pi / 2, 1.0), (3, 3), name)
    expected = np.array([[-edge**2, -edge, -edge**2], [0, 0, 0], [edge**2, edge, edge**2]])
    assert np.allclose(sine, expected, atol=1e-9), (
        f"{name}(3, orientation=pi/2, spatial_frequency=0.25, phase=-pi/2, sigma=1) gave\n{np.round(sine, 4)}\n"
        "by hand u = y (the row offset, which grows downwards), the carrier cos(pi/2 y - pi/2) = sin(pi/2 y) is -1 "
        f"in the top row, 0 in the middle and +1 in the bottom row, times the envelope:\n{np.round(expected, 4)}\n"
        "(orientation is in radians; transposed, or with y counted upwards, the signs or stripes would differ)."
    )
    even = _as_image(gabor_patch(2, 0.0, 0.25, 0.0, 2.0), (2, 2), name)
    value = np.cos(np.pi / 4) * np.exp(-0.5 / 8)
    assert np.allclose(even, value, atol=1e-9), (
        f"{name}(2, orientation=0, spatial_frequency=0.25, phase=0, sigma=2) gave\n{np.round(even, 4)}\nby hand "
        "the centre of a 2 x 2 image is (size - 1) / 2 = 0.5, so x = y = [-0.5, 0.5]; every pixel is "
        f"cos(2 pi 0.25 * 0.5) * exp(-(0.25 + 0.25) / (2 * 2^2)) = 0.7071 * 0.9394 = {value:.4f}."
    )
    print(f"{name} passes the public checks.")


def check_mei_step(mei_step):
    """A step that leaves the image too long, then one that leaves it too short."""
    name = "mei_step"
    longer = _as_image(call_unchanged(mei_step, np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 2.0]]),
                                      0.5, 2.0), (2, 2), name)
    expected = np.array([[1.0, 0.0], [0.0, 1.0]]) * np.sqrt(2)
    assert np.allclose(longer, expected), (
        f"{name}(image=[[1, 0], [0, 0]], grad=[[0, 0], [0, 2]], step=0.5, norm=2) gave\n{np.round(longer, 4)}\n"
        "by hand image + step * grad = [[1, 0], [0, 1]], whose L2 norm is sqrt(2); rescaled to norm 2 it is "
        "[[1.4142, 0], [0, 1.4142]]."
    )
    shorter = _as_image(call_unchanged(mei_step, np.array([[0.3, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.2], [0.0, 0.0]]),
                                       2.0, 1.0), (2, 2), name)
    assert np.allclose(shorter, [[0.6, 0.8], [0.0, 0.0]]), (
        f"{name}(image=[[0.3, 0], [0, 0]], grad=[[0, 0.2], [0, 0]], step=2, norm=1) gave\n{np.round(shorter, 4)}\n"
        "by hand image + step * grad = [[0.3, 0.4], [0, 0]], of norm 0.5: it is scaled up to norm 1, "
        "[[0.6, 0.8], [0, 0]] (the norm is fixed, not a maximum)."
    )
    print(f"{name} passes the public checks.")
