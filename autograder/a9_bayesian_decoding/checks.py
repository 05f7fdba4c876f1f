"""Hidden checks for assignment 9, called from the notebook's hidden test cells.

Each check draws fresh random inputs (heterogeneous populations, so that the summed
rate depends on the orientation and the -f T term matters; short windows, so that the
prior matters; zero rates; counts large enough to underflow a posterior normalised in
probability space), compares the student's function with the reference, and names
the mistake when the answer is wrong.

Log posteriors are compared where they are finite; where the reference is -inf (an
orientation ruled out by a spike from a silent neuron), any log probability below
log(1e-9) is accepted. Orientations are compared as (cos 2 theta, sin 2 theta), so any
equivalent angle (theta + pi) is accepted.
"""
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from ..harness import (CheckFailed, Mistake, as_float_array, call_student, fresh_rng, judge, quietly,
                       require_dependence_on_inputs)
from . import reference as ref

NEGLIGIBLE = np.log(1e-9)  # a log probability this small counts as "ruled out"

# --- log_posterior ------------------------------------------------------------------


@dataclass(frozen=True)
class PosteriorCase:
    """One random decoding problem: its size, window, and what non-finite answers most likely mean."""

    n_trials: int
    n_neurons: int
    n_grid: int
    window: float
    peak: float  # largest peak rate, Hz
    zero_rates: bool
    nonfinite_hint: str


ZERO_RATE_HINT = ("a neuron whose rate is 0 and that fired no spike contributes 0 log 0 = 0, not NaN: use "
                  "scipy.special.xlogy, or the log of the rates only where they are > 0")
UNDERFLOW_HINT = ("with this many spikes exp() of the log posterior underflows to 0 (or overflows): it looks like "
                  "you normalised in probability space; subtract scipy.special.logsumexp over the grid instead")
POSTERIOR_CASES = (
    PosteriorCase(3, 4, 36, 0.3, 30.0, False, UNDERFLOW_HINT),
    PosteriorCase(20, 30, 180, 0.05, 40.0, True, ZERO_RATE_HINT),
    PosteriorCase(6, 80, 360, 3.0, 80.0, False, UNDERFLOW_HINT),  # tails far below exp()'s range
)


def random_problem(rng, case):
    """Counts, tuning curves (G, N) in Hz, a random log prior and the window for ``case``."""
    grid = np.pi * np.arange(case.n_grid) / case.n_grid
    preferred = rng.uniform(0, np.pi, case.n_neurons)
    peaks = rng.uniform(0.3, 1.0, case.n_neurons) * case.peak
    shape = np.cos(2 * (grid[:, None] - preferred[None, :]))  # (G, N)
    if case.zero_rates:  # rectified cosines: silent over part of the grid
        tuning = peaks * np.maximum(shape - rng.uniform(-0.5, 0.3, case.n_neurons), 0.0)
    else:
        tuning = 1.0 + peaks * np.exp(rng.uniform(1.0, 3.0, case.n_neurons) * (shape - 1.0))
    truth = rng.integers(case.n_grid, size=case.n_trials)
    counts = rng.poisson(tuning[truth] * case.window)
    bump = rng.uniform(1.0, 4.0) * np.cos(2 * (grid - rng.uniform(0, np.pi)))
    log_prior = bump + 0.3 * rng.standard_normal(case.n_grid)  # not normalised: the answer must normalise
    return {"counts": counts, "tuning_curves": tuning, "log_prior": log_prior, "window": case.window}


def _unnormalised(counts, tuning_curves, log_prior, window, rate_window=None, prior_factor=1.0, rate_term=True):
    """A variant of likelihood + prior: the window in the -f T term, the prior's weight, the -f T term itself."""
    expected = window * np.asarray(tuning_curves, float)
    likelihood = ref.log_likelihood(counts, tuning_curves, window) + expected.sum(axis=1)  # counts term only
    if rate_term:
        likelihood = likelihood - (window if rate_window is None else rate_window) * tuning_curves.sum(axis=1)
    return likelihood + prior_factor * np.asarray(log_prior, float)


def _normalised(**variant):
    def compute(counts, tuning_curves, log_prior, window):
        unnormalised = _unnormalised(counts, tuning_curves, log_prior, window, **variant)
        return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)

    return compute


def _density(counts, tuning_curves, log_prior, window):
    """Normalised as a density over [0, pi) (integral 1) rather than as grid probabilities (sum 1)."""
    return ref.log_posterior(counts, tuning_curves, log_prior, window) - np.log(np.pi / tuning_curves.shape[0])


def _over_trials(counts, tuning_curves, log_prior, window):
    unnormalised = _unnormalised(counts, tuning_curves, log_prior, window)
    return unnormalised - logsumexp(unnormalised, axis=0, keepdims=True)


POSTERIOR_MISTAKES = (
    Mistake("forgot the counting window in the -f T term: the expected count is the rate times the window",
            _normalised(rate_window=1.0)),
    Mistake("dropped the -f T term of the Poisson log-likelihood; it matters whenever the population's summed "
            "rate depends on the orientation", _normalised(rate_term=False)),
    Mistake("added the log prior twice", _normalised(prior_factor=2.0)),
    Mistake("ignored the prior: add log_prior to the log-likelihood", _normalised(prior_factor=0.0)),
    Mistake("subtracted the log prior instead of adding it", _normalised(prior_factor=-1.0)),
    Mistake("normalised over the trials (axis 0) instead of over the grid of orientations (axis 1)",
            _over_trials),
    Mistake("did not normalise: subtract scipy.special.logsumexp over the grid (axis 1), so that the posterior "
            "probabilities of each trial sum to 1", lambda *inputs: _unnormalised(*inputs)),
)
POSTERIOR_ACCEPTED = (_density,)


def _matches(got, target):
    """Same shape; equal where ``target`` is finite; negligible where it is -inf; NaN where it is NaN."""
    if got.shape != target.shape:
        return False
    finite, ruled_out, missing = np.isfinite(target), np.isneginf(target), np.isnan(target)
    with quietly():
        return bool(
            np.array_equal(np.isnan(got), missing)
            and np.all(np.isfinite(got[finite]))
            and np.allclose(got[finite], target[finite], rtol=1e-7, atol=1e-6)
            and np.all(got[ruled_out] <= NEGLIGIBLE)
        )


def _judge_log_posterior(got, inputs, case, name):
    expected = ref.log_posterior(*inputs)
    if _matches(got, expected) or any(_matches(got, variant(*inputs)) for variant in POSTERIOR_ACCEPTED):
        return
    with quietly():
        for mistake in POSTERIOR_MISTAKES:
            if _matches(got, mistake.compute(*inputs)):
                raise CheckFailed(f"{name}: it looks like you {mistake.description}.")
    if got.shape != expected.shape:
        hint = "It looks transposed: one row per trial, one column per grid orientation." if (
            got.shape == expected.shape[::-1]) else ""
        raise CheckFailed(f"{name} returned shape {got.shape}; expected {expected.shape}. {hint}".strip())
    finite = np.isfinite(expected)
    if not np.all(np.isfinite(got[finite])):
        raise CheckFailed(f"{name} returned NaN or infinite values where the answer is finite: {case.nonfinite_hint}.")
    if np.any(got[np.isneginf(expected)] > NEGLIGIBLE):
        raise CheckFailed(f"{name} gave a probability above 0 to an orientation that a spike rules out (a neuron "
                          "fired although its rate there is 0): its log posterior is -inf.")
    raise CheckFailed(f"{name} returned wrong values (largest error {np.max(np.abs(got - expected)[finite]):.3g}); "
                      "it matches none of the common mistakes the checker knows.")


def check_log_posterior(log_posterior):
    """Hidden check of ``log_posterior(counts, tuning_curves, log_prior, window)``."""
    name = "log_posterior"
    rng = fresh_rng()
    require_dependence_on_inputs(log_posterior, name, lambda: random_problem(rng, POSTERIOR_CASES[0]))
    for case in POSTERIOR_CASES:
        inputs = random_problem(rng, case)
        label = f"{name} ({case.n_trials} trials, {case.n_neurons} neurons, window {case.window:g} s)"
        got = as_float_array(call_student(log_posterior, name, inputs), name)
        _judge_log_posterior(got, tuple(inputs.values()), case, label)
    print(f"{name} is correct on {len(POSTERIOR_CASES)} fresh random populations (zero rates and "
          "thousands of spikes included).")


# --- map_estimate and circular_posterior_mean ----------------------------------------

# (trials, grid points, evenly spaced grid?)
ESTIMATE_CASES = ((4, 12, True), (30, 180, True), (10, 50, False))


def random_log_posteriors(rng, n_trials, n_grid, even):
    """Normalised log posteriors with one or two bumps each, some straddling 0 = pi, on a grid over [0, pi)."""
    grid = np.pi * np.arange(n_grid) / n_grid if even else np.sort(rng.uniform(0, np.pi, n_grid))
    centres = rng.uniform(-0.3, 0.3, (n_trials, 2)) + rng.choice([0.0, rng.uniform(0, np.pi)], (n_trials, 1))
    strengths = rng.uniform(1.0, 8.0, (n_trials, 2)) * [[1.0, 0.5]]
    unnormalised = sum(strengths[:, [j]] * np.cos(2 * (grid[None, :] - centres[:, [j]])) for j in range(2))
    unnormalised = unnormalised + 0.2 * rng.standard_normal(unnormalised.shape)
    return {"log_posterior": unnormalised - logsumexp(unnormalised, axis=1, keepdims=True), "grid": grid}


def _doubled(angles):
    """Orientations as (cos 2 theta, sin 2 theta): equal for theta and theta + pi."""
    angles = np.asarray(angles, dtype=float)
    return np.stack([np.cos(2 * angles), np.sin(2 * angles)])


def _as_orientation_mistake(description, compute):
    return Mistake(description, lambda lp, grid: _doubled(compute(lp, grid)))


def _weights(lp):
    return np.exp(lp - logsumexp(lp, axis=1, keepdims=True))


MAP_MISTAKES = (
    _as_orientation_mistake("returned the index of the most probable grid point, not its angle: grid[index]",
                            lambda lp, grid: np.argmax(lp, axis=1).astype(float)),
    _as_orientation_mistake("took the least probable orientation (argmin) instead of the most probable",
                            lambda lp, grid: grid[np.argmin(lp, axis=1)]),
)
MEAN_MISTAKES = (
    _as_orientation_mistake("took the arithmetic mean of the angles, sum p(theta) theta; angles wrap around "
                            "(0 and pi are the same orientation): average (cos 2 theta, sin 2 theta) and halve "
                            "the angle of the result", lambda lp, grid: _weights(lp) @ grid),
    _as_orientation_mistake("averaged (cos theta, sin theta): orientations repeat every pi, so double the angles "
                            "first (cos 2 theta, sin 2 theta) and halve the angle of the result",
                            lambda lp, grid: np.mod(np.angle(_weights(lp) @ np.exp(1j * grid)), np.pi)),
    _as_orientation_mistake("doubled the angles but did not halve the angle of the mean (cos 2 theta, sin 2 theta)",
                            lambda lp, grid: np.angle(_weights(lp) @ np.exp(2j * grid))),
    _as_orientation_mistake("weighted the angles by the log posterior; weight them by the posterior probabilities "
                            "exp(log_posterior)", lambda lp, grid: np.angle(lp @ np.exp(2j * grid)) / 2),
    _as_orientation_mistake("returned the most probable orientation (the MAP estimate), not the posterior mean",
                            ref.map_estimate),
)


def _check_estimator(function, name, reference, mistakes):
    rng = fresh_rng()
    require_dependence_on_inputs(function, name, lambda: random_log_posteriors(rng, 5, 40, True))
    for n_trials, n_grid, even in ESTIMATE_CASES:
        inputs = random_log_posteriors(rng, n_trials, n_grid, even)
        got = as_float_array(call_student(function, name, inputs), name)
        if got.shape != (n_trials,):
            hint = " It looks like the maximum over the trials (axis 0) instead of the grid (axis 1)." if (
                got.shape == (n_grid,)) else ""
            raise CheckFailed(f"{name} returned shape {got.shape}; expected one orientation per trial, "
                              f"({n_trials},).{hint}")
        judge(_doubled(got), _doubled(reference(*inputs.values())), name=f"{name} ({n_trials} trials, {n_grid} "
              f"grid points)", inputs=tuple(inputs.values()), mistakes=mistakes, rtol=1e-7, atol=1e-7)
    print(f"{name} is correct on {len(ESTIMATE_CASES)} fresh random sets of posteriors.")


def check_map_estimate(map_estimate):
    """Hidden check of ``map_estimate(log_posterior, grid)``."""
    _check_estimator(map_estimate, "map_estimate", ref.map_estimate, MAP_MISTAKES)


def check_circular_posterior_mean(circular_posterior_mean):
    """Hidden check of ``circular_posterior_mean(log_posterior, grid)``."""
    _check_estimator(circular_posterior_mean, "circular_posterior_mean", ref.circular_posterior_mean, MEAN_MISTAKES)
