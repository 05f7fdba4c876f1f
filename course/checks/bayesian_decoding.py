"""Public checks for assignment 9 (Bayesian decoding).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import numpy as np

from course.checks import as_vector, call_unchanged


def _as_table(result, shape, name):
    """``result`` as a float array of ``shape``, or an assertion that says what is wrong."""
    assert result is not None, f"{name} returned None: is the `return` statement missing?"
    table = np.asarray(result, dtype=float)
    assert table.shape == shape, f"{name} should return shape {shape} (trials, grid points); got {table.shape}."
    return table


def _same_log_probabilities(got, expected):
    """Equal where ``expected`` is finite; negligible (below log 1e-9, or -inf) where it is -inf.

    Normalised as a density over [0, pi) instead (integral 1, not sum 1), a log posterior is
    larger by -log(pi / G) everywhere: that convention is correct too.
    """
    impossible = np.isneginf(expected)
    density = -np.log(np.pi / expected.shape[1])
    with np.errstate(invalid="ignore"):
        negligible = bool(np.all(got[impossible] <= np.log(1e-9)))
    return negligible and np.all(np.isfinite(got[~impossible])) and any(
        np.allclose(got[~impossible], expected[~impossible] + offset, rtol=1e-6, atol=1e-8) for offset in (0, density))


def check_log_posterior(log_posterior):
    """Two neurons, three orientations, two trials; then one neuron that fired 2000 spikes."""
    tuning_curves = np.array([[10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])  # Hz, (G = 3, N = 2)
    counts = np.array([[2, 0], [0, 1]])
    log_prior = np.log([1.0, 2.0, 1.0])  # a log prior is given up to a constant: probabilities 1/4, 1/2, 1/4
    got = _as_table(call_unchanged(log_posterior, counts, tuning_curves, log_prior, 0.5), (2, 3), "log_posterior")
    assert np.all(np.isfinite(got[0, :2])) and np.all(np.isfinite(got[1, 1:])), (
        f"log_posterior gave {np.round(got, 4).tolist()}: NaN or -inf where the answer is finite. A neuron whose "
        "rate is 0 and that fired no spike contributes 0 log 0 = 0 (scipy.special.xlogy does this; np.log(0) "
        "times 0 is NaN)."
    )
    small = 1 / (1 + 2 * np.exp(-5))  # posterior probability of the likelier orientation, by hand
    expected = np.array([[np.log(small), np.log(1 - small), -np.inf], [-np.inf, np.log(1 - small), np.log(small)]])
    assert _same_log_probabilities(got, expected), (
        f"log_posterior gave {np.round(got, 4).tolist()}; by hand (window 0.5 s, so expected counts 5 where the "
        "rate is 10 Hz): trial 1 fired 2 spikes in neuron 1, which rules out the third orientation (rate 0 there: "
        "-inf, or any log probability below log 1e-9); the first two differ in their -f T terms (-5 against -10) "
        "and in the prior (1/4 against 1/2), so p = (0.25 e^-5, 0.5 e^-10) / sum = (0.9867, 0.0133) and the log "
        "posterior is (-0.0134, -4.3202, -inf). Trial 2 is its mirror image: (-inf, -4.3202, -0.0134). "
        "(Normalised as a density over [0, pi) instead, every value is larger by log(3 / pi); that is fine too.)"
    )
    many = _as_table(call_unchanged(log_posterior, np.array([[2000]]), np.array([[10.0], [20.0]]),
                                    np.log([0.5, 0.5]), 1.0), (1, 2), "log_posterior")
    assert np.all(np.isfinite(many)), (
        f"log_posterior gave {many.tolist()} for 2000 spikes of one neuron (rates 10 and 20 Hz, window 1 s, flat "
        "prior): the answer is finite. exp() of a log-likelihood this large overflows (or, once the maximum is "
        "subtracted, underflows to 0): normalise the log posterior with scipy.special.logsumexp, never in "
        "probability space."
    )
    difference = 2000 * np.log(0.5) + 10.0
    assert _same_log_probabilities(many, np.array([[difference, 0.0]])), (
        f"log_posterior gave {many.tolist()}; by hand the two log-likelihoods differ by 2000 log(10/20) - (10 - 20) "
        f"= {difference:.3f}, so the log posterior is ({difference:.3f}, 0.0)."
    )
    print("log_posterior passes the public checks.")


def check_map_estimate(map_estimate):
    """Three grid orientations, two trials."""
    grid = np.array([0.0, np.pi / 3, 2 * np.pi / 3])
    log_posterior = np.log([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    got = as_vector(call_unchanged(map_estimate, log_posterior, grid), 2, "map_estimate")
    assert np.allclose(got, [np.pi / 3, 0.0]), (
        f"map_estimate gave {np.round(got, 4).tolist()}; the most probable orientations are grid[1] = pi/3 = "
        "1.0472 in trial 1 and grid[0] = 0 in trial 2: return the angles, not their indices."
    )
    print("map_estimate passes the public checks.")


def check_circular_posterior_mean(circular_posterior_mean):
    """Half the posterior at 0 degrees and half at 135 degrees: the mean orientation is 157.5 (= -22.5) degrees."""
    grid = np.array([0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4])
    half = np.log(0.5)
    log_posterior = np.array([[half, -np.inf, -np.inf, half], [-np.inf, half, half, -np.inf]])  # probability 0: -inf
    got = as_vector(call_unchanged(circular_posterior_mean, log_posterior, grid), 2, "circular_posterior_mean")
    expected = np.array([7 * np.pi / 8, 3 * np.pi / 8])
    off = np.abs(np.mod(got - expected + np.pi / 2, np.pi) - np.pi / 2)  # orientations repeat every pi
    assert off[1] < 1e-9, (
        f"circular_posterior_mean gave {np.degrees(got[1]):.2f} degrees for half the posterior at 45 and half at "
        "90 degrees; expected 67.5 degrees. Orientations repeat every 180 degrees: average (cos 2 theta, "
        "sin 2 theta) weighted by the posterior probabilities, then halve the angle of the result."
    )
    assert off[0] < 1e-9, (
        f"circular_posterior_mean gave {np.degrees(got[0]):.2f} degrees for half the posterior at 0 and half at "
        "135 degrees; expected 157.5 (the same orientation as -22.5) degrees: 135 degrees lies 45 degrees from "
        "0 the other way round. An arithmetic mean of the angles gives 67.5 degrees, the orientation furthest "
        "from both. Average (cos 2 theta, sin 2 theta), then halve the angle of the result."
    )
    print("circular_posterior_mean passes the public checks.")
