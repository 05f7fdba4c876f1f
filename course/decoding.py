"""Decoding orientation from a population: grids, priors, the population vector, errors, credible sets.

Orientations are angles in radians with period pi, as in :mod:`course.population`.
Posteriors are evaluated on a grid of ``G`` orientations spread evenly over
``[0, pi)``; a log posterior has one row per trial, shape ``(n_trials, G)``.
Priors over orientation are von Mises distributions of the *doubled* angle,

    p(theta) proportional to exp(concentration * cos(2 (theta - mean))),

which repeat every pi; concentration 0 is the flat prior.
"""

import numpy as np
from scipy.special import logsumexp

from course.validation import as_flat_vector, as_number, as_positive_int, require_generator

__all__ = [
    "credible_set_coverage",
    "decoding_explorer",
    "orientation_error",
    "orientation_grid",
    "population_vector",
    "sample_prior_orientations",
    "von_mises_log_prior",
]


def orientation_grid(n_points):
    """Orientations spread evenly over [0, pi).

    Parameters
    ----------
    n_points : int
        Number of grid points G.

    Returns
    -------
    ndarray, shape (G,)
        ``pi * g / G`` for g = 0 ... G-1, radians.

    Examples
    --------
    >>> np.degrees(orientation_grid(4))
    array([  0.,  45.,  90., 135.])
    """
    n_points = as_positive_int(n_points, "n_points", minimum=2)
    return np.pi * np.arange(n_points) / n_points


def von_mises_log_prior(grid, concentration, mean=np.pi / 4):
    """Log probabilities of a von Mises prior over orientation, normalised on the grid.

    Parameters
    ----------
    grid : ndarray, shape (G,)
        Orientations, radians.
    concentration : float
        Concentration of the doubled angle (>= 0); 0 gives the flat prior.
    mean : float
        Most likely orientation, radians.

    Returns
    -------
    ndarray, shape (G,)
        ``log p(theta_g)`` with ``sum_g p(theta_g) = 1``.
    """
    grid = as_flat_vector(grid, "grid")
    concentration = as_number(concentration, "concentration", minimum=0.0)
    unnormalised = concentration * np.cos(2.0 * (grid - as_number(mean, "mean")))
    return unnormalised - logsumexp(unnormalised)


def sample_prior_orientations(n_samples, concentration, rng, mean=np.pi / 4):
    """Orientations drawn from the prior of :func:`von_mises_log_prior`.

    Parameters
    ----------
    n_samples : int
        Number of orientations.
    concentration : float
        Concentration of the doubled angle (>= 0); 0 draws uniformly.
    rng : numpy.random.Generator
        Seeded generator.
    mean : float
        Most likely orientation, radians.

    Returns
    -------
    ndarray, shape (n_samples,)
        Orientations in [0, pi), radians.
    """
    n_samples = as_positive_int(n_samples, "n_samples")
    concentration = as_number(concentration, "concentration", minimum=0.0)
    require_generator(rng)
    doubled = rng.vonmises(2.0 * as_number(mean, "mean"), concentration, size=n_samples)
    return np.mod(doubled / 2.0, np.pi)


def population_vector(counts, preferred):
    """The population-vector decoder: each neuron votes for its preferred orientation with its count.

    Parameters
    ----------
    counts : ndarray, shape (n_trials, N)
        Spike counts.
    preferred : ndarray, shape (N,)
        Preferred orientations, radians.

    Returns
    -------
    ndarray, shape (n_trials,)
        Half the angle of ``sum_i counts_i exp(2 i phi_i)``, in [0, pi), radians.
    """
    counts = np.asarray(counts, dtype=float)
    preferred = as_flat_vector(preferred, "preferred")
    if counts.ndim != 2 or counts.shape[1] != preferred.size:
        raise ValueError(f"counts must have shape (n_trials, N) with N = {preferred.size}; got {counts.shape}")
    resultant = counts @ np.exp(2j * preferred)
    return np.mod(np.angle(resultant) / 2.0, np.pi)


def orientation_error(estimates, truth):
    """Estimate minus truth, wrapped to the nearest equivalent orientation.

    Parameters
    ----------
    estimates, truth : float or ndarray (broadcastable)
        Orientations, radians.

    Returns
    -------
    ndarray
        Errors in [-pi/2, pi/2), radians.

    Examples
    --------
    >>> np.degrees(orientation_error(np.radians([179.0, 10.0]), 0.0)).round(6)
    array([-1., 10.])
    """
    difference = np.asarray(estimates, dtype=float) - np.asarray(truth, dtype=float)
    return np.mod(difference + np.pi / 2, np.pi) - np.pi / 2


def credible_set_coverage(log_posterior, grid, truth, level=0.95):
    """Whether each trial's highest-posterior-density set holds the true orientation.

    The set holds the most probable grid points until their probability reaches
    ``level``; the truth counts as covered when its nearest grid point is in it.
    The log posterior need not be normalised.

    Parameters
    ----------
    log_posterior : ndarray, shape (n_trials, G)
    grid : ndarray, shape (G,)
        Orientations, radians.
    truth : float or ndarray, shape (n_trials,)
        True orientations, radians.
    level : float
        Credibility, in (0, 1).

    Returns
    -------
    ndarray of bool, shape (n_trials,)
    """
    log_posterior = np.asarray(log_posterior, dtype=float)
    grid = as_flat_vector(grid, "grid")
    if log_posterior.ndim != 2 or log_posterior.shape[1] != grid.size:
        raise ValueError(f"log_posterior must have shape (n_trials, G) with G = {grid.size}; "
                         f"got {log_posterior.shape}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    probabilities = np.exp(log_posterior - logsumexp(log_posterior, axis=1)[:, np.newaxis])
    descending = -np.sort(-probabilities, axis=1)
    last_in_set = np.argmax(np.cumsum(descending, axis=1) >= level, axis=1)
    threshold = descending[np.arange(len(descending)), last_in_set]
    truth = np.broadcast_to(np.asarray(truth, dtype=float), (len(probabilities),))
    nearest = np.argmin(np.abs(orientation_error(grid[np.newaxis, :], truth[:, np.newaxis])), axis=1)
    return probabilities[np.arange(len(probabilities)), nearest] >= threshold


WINDOWS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)


def decoding_explorer(log_posterior, map_estimate, tuning_curves, grid, preferred, rates, information_per_second,
                      theta=np.pi / 4, n_trials=500, seed=0):
    """Sliders for the counting window and the prior's concentration: one posterior, and the decoders' errors.

    Parameters
    ----------
    log_posterior, map_estimate : callable
        The student's functions.
    tuning_curves : ndarray, shape (G, N)
        Rates on the grid, Hz.
    grid : ndarray, shape (G,)
        Orientations, radians.
    preferred : ndarray, shape (N,)
        Preferred orientations, radians.
    rates : ndarray, shape (N,)
        Rates at the true orientation ``theta``, Hz.
    information_per_second : float
        Fisher information at ``theta`` for a 1 s window, rad^-2 s^-1.
    theta : float
        True orientation, radians (also the prior's mean).
    n_trials : int
        Trials drawn for each setting.
    seed : int
        Seed of the trials drawn for each setting.

    Returns
    -------
    ipywidgets.interactive or None
        The live control; None when run headless (the figure is drawn once).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course.population import poisson_counts
    from course.widgets import LABELS, explorer

    def show(window=0.1, concentration=4.0):
        counts = poisson_counts(rates, window, n_trials, np.random.default_rng(seed))
        flat = log_posterior(counts, tuning_curves, von_mises_log_prior(grid, 0.0), window)
        informed = log_posterior(counts, tuning_curves, von_mises_log_prior(grid, concentration, theta), window)
        bound = 1.0 / (window * information_per_second)
        errors = {"ML (flat prior)": orientation_error(map_estimate(flat, grid), theta),
                  "MAP": orientation_error(map_estimate(informed, grid), theta),
                  "population vector": orientation_error(population_vector(counts, preferred), theta)}
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5), layout="constrained")
        left.plot(np.degrees(grid), np.exp(flat[0]), label="flat prior")
        left.plot(np.degrees(grid), np.exp(informed[0]), label=f"prior, concentration {concentration:g}")
        left.axvline(np.degrees(theta), color="k", ls=":")
        left.set(xlabel="orientation (degrees)", ylabel="posterior probability", title="trial 1")
        left.legend(fontsize=8)
        bins = np.linspace(-4, 4, 41) * np.sqrt(bound)
        for name, error in errors.items():
            right.hist(np.degrees(error), np.degrees(bins), histtype="step",
                       label=f"{name}: MSE / CRB = {np.mean(error**2) / bound:.2f}")
        right.set(xlabel="error (degrees)", ylabel="trials",
                  title=f"window {window:g} s, {counts.sum(axis=1).mean():.0f} spikes per trial")
        right.legend(fontsize=8)
        plt.show()

    return explorer(
        show,
        window=widgets.SelectionSlider(options=WINDOWS, value=0.1, description="window (s)",
                                       continuous_update=False, style=LABELS),
        concentration=widgets.FloatSlider(value=4.0, min=0.0, max=16.0, step=1.0, description="prior concentration",
                                          continuous_update=False, style=LABELS),
    )
