"""Public checks for assignment 8 (the Poisson GLM in time).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import numpy as np

from course.checks import as_number, as_vector, call_unchanged


def _as_matrix(result, shape, name):
    assert result is not None, f"{name} returned None: is the `return` statement missing?"
    answer = np.asarray(result, dtype=float)
    assert answer.shape == shape, f"{name} should return shape {shape}; got shape {answer.shape}."
    return answer


def check_make_design_matrix(make_design_matrix):
    """Stimulus [1, 2, 3, 4] with 3 lags."""
    got = _as_matrix(call_unchanged(make_design_matrix, np.array([1.0, 2.0, 3.0, 4.0]), 3), (4, 3),
                     "make_design_matrix")
    expected = np.array([[1, 0, 0], [2, 1, 0], [3, 2, 1], [4, 3, 2]], dtype=float)
    assert np.array_equal(got, expected), (
        f"make_design_matrix([1, 2, 3, 4], 3) gave\n{got}\nBy hand, row t is [s[t], s[t-1], s[t-2]] with zeros "
        f"before the start:\n{expected}"
    )
    print("make_design_matrix passes the public checks.")


def check_history_matrix(history_matrix):
    """Spikes [1, 0, 2, 0, 1] with 2 lags."""
    got = _as_matrix(call_unchanged(history_matrix, np.array([1.0, 0.0, 2.0, 0.0, 1.0]), 2), (5, 2),
                     "history_matrix")
    expected = np.array([[0, 0], [1, 0], [0, 1], [2, 0], [0, 2]], dtype=float)
    assert np.array_equal(got, expected), (
        f"history_matrix([1, 0, 2, 0, 1], 2) gave\n{got}\nBy hand, row t is [y[t-1], y[t-2]] (never y[t] "
        f"itself) with zeros before the start:\n{expected}"
    )
    print("history_matrix passes the public checks.")


def check_raised_cosine_basis(raised_cosine_basis):
    """Two cosines over 4 lags with offset 1: phi = log(1), log(2), log(3), log(4)."""
    got = _as_matrix(call_unchanged(raised_cosine_basis, 2, 4), (4, 2), "raised_cosine_basis")
    # Centres at phi = 0 and log 4, spacing log 4: at the other centre the phase is pi/2 (value 1/2);
    # lag 1 (phi = log 2) is half-way: phase pi/4 from each.
    expected = np.array([[1.0, 0.5], [(1 + np.cos(np.pi / 4)) / 2, (1 + np.cos(np.pi / 4)) / 2],
                         [(1 + np.cos(np.pi / 2 * np.log(3) / np.log(4))) / 2,
                          (1 + np.cos(np.pi / 2 * np.log(4 / 3) / np.log(4))) / 2], [0.5, 1.0]])
    assert np.allclose(got, expected), (
        f"raised_cosine_basis(2, 4) gave\n{np.round(got, 4)}\nBy hand (centres at log 1 and log 4, spacing "
        f"log 4, phase (phi - c) * pi / (2 * spacing)):\n{np.round(expected, 4)}"
    )
    print("raised_cosine_basis passes the public checks.")


def check_penalised_nll(penalised_nll):
    """Two bins, one feature: params [log 2, 1], design [[0], [1]], counts [1, 0], penalty 2."""
    params, design, counts = np.array([np.log(2.0), 1.0]), np.array([[0.0], [1.0]]), np.array([1.0, 0.0])
    result = call_unchanged(penalised_nll, params, design, counts, 2.0)
    assert isinstance(result, (tuple, list)) and len(result) == 2, "penalised_nll should return (value, gradient)."
    value = as_number(result[0], "penalised_nll (value)")
    gradient = as_vector(result[1], 2, "penalised_nll (gradient)")
    at_zero = as_number(penalised_nll(np.zeros(2), design, counts, 2.0)[0], "penalised_nll (value)")
    # By hand: eta = [log 2, log 2 + 1], rates [2, 2e]: NLL = 2 + 2e - log 2, penalty 2 / 2 * 1^2 = 1 (the offset
    # is not penalised); at 0: rates [1, 1], NLL 2, penalty 0.
    expected = 1 + 2 * np.e - np.log(2)
    assert np.isclose(value - at_zero, expected), (
        f"penalised_nll gave {value:.4f} at params [log 2, 1] and {at_zero:.4f} at 0, a difference of "
        f"{value - at_zero:.4f}; by hand it is (2 + 2e - log 2 + 1) - 2 = {expected:.4f} (the penalty is on the "
        "weight only; any constant such as log y! cancels)."
    )
    assert np.allclose(gradient, [1 + 2 * np.e, 2 * np.e + 2]), (
        f"penalised_nll's gradient at [log 2, 1] is {gradient}; by hand: d/d offset = sum(rates - counts) = 1 + 2e "
        "(no penalty on the offset) and d/d weight = x . (rates - counts) + penalty * weight = 2e + 2, "
        f"i.e. [{1 + 2 * np.e:.4f}, {2 * np.e + 2:.4f}]."
    )
    print("penalised_nll passes the public checks.")


def check_bits_per_spike(bits_per_spike):
    """A model 10 * ln 2 nats better than the null model, over 5 spikes: 2 bits per spike."""
    got = as_number(bits_per_spike(-100 + 10 * np.log(2), -100.0, 5), "bits_per_spike")
    assert np.isclose(got, 2.0), (
        f"bits_per_spike(-100 + 10 ln 2, -100, 5) gave {got:.4f}; by hand: 10 ln 2 nats = 10 bits, over 5 spikes = 2."
    )
    print("bits_per_spike passes the public checks.")


def check_fold_labels(fold_labels):
    """10 bins in 3 folds: contiguous blocks of sizes 4, 3, 3 (or 3, 3, 4 ...)."""
    labels = as_vector(fold_labels(10, 3), 10, "fold_labels")
    assert np.all(np.diff(labels) >= 0) and set(labels) == {0, 1, 2}, (
        f"fold_labels(10, 3) gave {labels}; expected contiguous blocks in time order labelled 0, 1, 2, "
        "e.g. [0 0 0 0 1 1 1 2 2 2]."
    )
    assert sorted(np.bincount(labels.astype(int))) == [3, 3, 4], (
        f"fold_labels(10, 3) gave fold sizes {np.bincount(labels.astype(int))}; they may differ by at most one: 4, 3, 3."
    )
    print("fold_labels passes the public checks.")
