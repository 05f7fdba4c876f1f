"""Public checks for assignment 6 (efficient coding).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import warnings

import numpy as np

from course.checks import as_number, as_vector, call_unchanged


def check_normalized_sqrt_fisher(normalized_sqrt_fisher):
    """FI = [1, 4, 9] at 0, 1, 2 rad, then a flat FI on an uneven grid."""
    name = "normalized_sqrt_fisher"
    got = as_vector(call_unchanged(normalized_sqrt_fisher, np.array([1.0, 4.0, 9.0]), np.array([0.0, 1.0, 2.0])),
                    3, name)
    assert np.allclose(got, [0.25, 0.5, 0.75]), (
        f"{name} gave {np.round(got, 4)} for FI = [1, 4, 9] at theta = [0, 1, 2]; by hand sqrt(FI) = [1, 2, 3], "
        "its trapezoid integral is (1 + 2)/2 * 1 + (2 + 3)/2 * 1 = 4, so the answer is [1, 2, 3] / 4 "
        "= [0.25, 0.5, 0.75]."
    )
    uneven = as_vector(call_unchanged(normalized_sqrt_fisher, np.array([4.0, 4.0, 4.0]), np.array([0.0, 0.5, 1.5])),
                       3, name)
    assert np.allclose(uneven, 2 / 3), (
        f"{name} gave {np.round(uneven, 4)} for a flat FI = 4 at theta = [0, 0.5, 1.5]; by hand sqrt(FI) = 2 over "
        "a range of 1.5 radians integrates to 3, so every entry is 2 / 3 = 0.6667 (the spacing of the grid matters: "
        "integrate over the angles, not a plain sum or a unit spacing)."
    )
    print(f"{name} passes the public checks.")


def check_fit_power_law(fit_power_law):
    """An exact power law, three noisy points, and points without a logarithm."""
    name = "fit_power_law"
    prior = np.array([0.5, 1.0, 2.0, 4.0])
    exact = as_number(call_unchanged(fit_power_law, prior, 3.0 * prior**2), name)
    assert np.isclose(exact, 2.0), (
        f"{name} gave {exact:.4g} for FI = 3 prior^2; the slope of log FI on log prior is 2."
    )
    # log prior = [0, 1, 2] and log FI = [0, 3, 1]: centred, x = [-1, 0, 1] and y = [-4/3, 5/3, -1/3]
    noisy = as_number(call_unchanged(fit_power_law, np.exp([0.0, 1.0, 2.0]), np.exp([0.0, 3.0, 1.0])), name)
    assert np.isclose(noisy, 0.5), (
        f"{name} gave {noisy:.4g} for the points (log prior, log FI) = (0, 0), (1, 3), (2, 1); by hand the "
        "least-squares slope of log FI on log prior is sum(x y) / sum(x^2) over the centred values "
        "= (4/3 - 1/3) / 2 = 0.5. (The slope of log prior on log FI would be 1 / (42/9) = 0.21.)"
    )
    prior = np.array([0.25, 0.5, 1.0, 2.0, 0.0])
    fisher = np.array([3 / 16, 0.75, 3.0, -1.0, 7.0])  # FI = 3 prior^2 where both are > 0
    advice = ("a prior of 0 or an FI <= 0 has no logarithm: leave those points out, and the other three follow "
              "FI = 3 prior^2 (slope 2).")
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # log(0) warns: the message below explains it
        warnings.simplefilter("ignore")
        try:
            kept = as_number(call_unchanged(fit_power_law, prior, fisher), name)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
            raise AssertionError(f"{name} raised {type(error).__name__} ({error}) for prior = {prior.tolist()} and "
                                 f"FI = {fisher.tolist()}; {advice}") from None
    assert np.isfinite(kept) and np.isclose(kept, 2.0), (
        f"{name} gave {kept:.4g} for prior = {prior.tolist()} and FI = {fisher.tolist()}; {advice}"
    )
    print(f"{name} passes the public checks.")
