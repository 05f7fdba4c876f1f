"""Spike trains in time: a simulated retinal ganglion cell and the Poisson GLM (assignment 8).

Time is binned in steps of ``dt`` seconds. A full-field flicker ``s`` (one grey level
per bin, white Gaussian noise) drives the cell through a temporal filter; the cell's
own past spikes act on it through a spike-history filter, and a second cell can act
on it through a coupling filter. The expected count in bin ``t`` is

    rate[t] = exp(offset + sum_j k[j] s[t - j] + sum_j h[j] n[t - 1 - j])

and the count ``n[t]`` is Poisson. Filters are indexed by **lag**: ``k[0]`` weighs
the current bin's stimulus, ``h[0]`` the spikes of the previous bin (a cell cannot
use the spike it is about to fire).

Also here: fitting a GLM with a student's penalised NLL, simulating spikes from a
fitted model, inter-spike intervals and autocorrelations, slider explorers, and
:func:`load_recording` for real recordings saved as ``.npz``.
"""
import zipfile
from pathlib import Path

import numpy as np
from scipy import linalg, optimize

import ipywidgets as widgets
import matplotlib.pyplot as plt

from course.validation import as_number, as_positive_int, require_generator
from course.widgets import explorer

__all__ = [
    "DT", "autocorrelation", "biphasic_filter", "correlation", "coupling_filter", "fit_glm", "flicker", "history_filter",
    "interspike_intervals", "load_recording", "simulate_glm", "basis_explorer", "penalty_explorer",
]

DT = 0.002  # s: bin width of the simulated recording
RECORDING_KEYS = ("stimulus", "spike_times", "dt")
WINDOW = 128  # bins searched at once for the next spike in simulate_glm


def lag_times(n_lags, dt=DT, first_lag=0):
    """Times of ``n_lags`` lags, in s: ``(first_lag + j) * dt`` for ``j = 0 .. n_lags - 1``."""
    return (first_lag + np.arange(as_positive_int(n_lags, "n_lags"))) * as_number(dt, "dt", 0, strictly=True)


def biphasic_filter(n_lags=50, dt=DT, tau_fast=0.006, tau_slow=0.012, ratio=0.8, norm=0.5):
    """Biphasic temporal filter of an OFF retinal ganglion cell (difference of two gamma-like bumps).

    Parameters
    ----------
    n_lags : int
        Number of lags (lag 0 is the current bin).
    dt : float
        Bin width, s.
    tau_fast, tau_slow : float
        Time constants of the first (negative, OFF) and second (positive) lobe, s.
    ratio : float
        Area of the second lobe relative to the first (below 1: the filter has a net OFF response).
    norm : float
        Euclidean norm of the filter: the standard deviation of its drive (log-rate) for unit white noise.

    Returns
    -------
    ndarray, shape (n_lags,)
        Weight of the stimulus ``j`` bins ago, ``k[j]``.
    """
    t = lag_times(n_lags, dt)

    def bump(tau):
        shape = (t / tau) ** 3 * np.exp(-t / tau)
        return shape / shape.sum()

    shape = ratio * bump(tau_slow) - bump(tau_fast)
    return norm * shape / np.linalg.norm(shape)


def history_filter(n_lags=40, dt=DT, refractory=-10.0, tau_refractory=0.002, relative=-2.0,
                   tau_relative=0.010, rebound=0.4, rebound_time=0.035, rebound_width=0.010):
    """Spike-history filter: absolute and relative refractoriness, then a mild rebound.

    Parameters
    ----------
    n_lags : int
        Number of lags; entry ``j`` weighs the spikes ``j + 1`` bins ago.
    dt : float
        Bin width, s.
    refractory, tau_refractory : float
        Strength (log-rate) and time constant (s) of the near-absolute refractory period.
    relative, tau_relative : float
        Strength and time constant of the relative refractory period.
    rebound, rebound_time, rebound_width : float
        Height (log-rate), time (s) and width (s) of the rebound bump.

    Returns
    -------
    ndarray, shape (n_lags,)
        Weight of the spikes ``j + 1`` bins ago, ``h[j]``.
    """
    t = lag_times(n_lags, dt, first_lag=1)
    return (refractory * np.exp(-t / tau_refractory) + relative * np.exp(-t / tau_relative)
            + rebound * np.exp(-0.5 * ((t - rebound_time) / rebound_width) ** 2))


def coupling_filter(n_lags=40, dt=DT, strength=1.2, delay=0.006, width=0.003):
    """Excitatory coupling filter: a bump of extra log-rate a few ms after the other cell fires.

    Parameters
    ----------
    n_lags : int
        Number of lags; entry ``j`` weighs the other cell's spikes ``j + 1`` bins ago.
    dt : float
        Bin width, s.
    strength, delay, width : float
        Height (log-rate), time of the peak (s) and width (s) of the bump.

    Returns
    -------
    ndarray, shape (n_lags,)
    """
    t = lag_times(n_lags, dt, first_lag=1)
    return strength * np.exp(-0.5 * ((t - delay) / width) ** 2)


def flicker(n_bins, rng, bins_per_frame=4):
    """Full-field white-noise flicker: a standard-normal grey level per frame, each frame held for several bins.

    Parameters
    ----------
    n_bins : int
        Number of time bins.
    rng : numpy.random.Generator
        Seeded generator.
    bins_per_frame : int
        Bins each frame lasts (4 bins of 2 ms: a 125 Hz monitor).

    Returns
    -------
    ndarray, shape (n_bins,)
        Contrast in each bin (unit standard deviation).
    """
    require_generator(rng)
    n_bins = as_positive_int(n_bins, "n_bins")
    frames = rng.standard_normal(-(-n_bins // as_positive_int(bins_per_frame, "bins_per_frame")))
    return np.repeat(frames, bins_per_frame)[:n_bins]


def simulate_glm(stimulus_drive, history_filters, rng):
    """Poisson spikes of coupled neurons whose past spikes feed back through filters.

    Parameters
    ----------
    stimulus_drive : ndarray, shape (n_neurons, n_bins)
        Log-rate of each neuron from the stimulus and its offset (without any spike history).
    history_filters : ndarray, shape (n_neurons, n_neurons, n_lags)
        ``history_filters[i, j, lag]`` weighs the spikes of neuron ``j``, ``lag + 1`` bins ago,
        in the log-rate of neuron ``i`` (``i == j``: its own history; otherwise coupling).
    rng : numpy.random.Generator
        Seeded generator.

    Returns
    -------
    counts : ndarray, shape (n_neurons, n_bins), int
        Spike count of each neuron in each bin.
    log_rates : ndarray, shape (n_neurons, n_bins)
        The log of each neuron's expected count per bin, given the past spikes.
    """
    require_generator(rng)
    drive = np.array(stimulus_drive, dtype=float, ndmin=2)
    filters = np.asarray(history_filters, dtype=float)
    n_neurons, n_bins = drive.shape
    if filters.ndim != 3 or filters.shape[:2] != (n_neurons, n_neurons):
        raise ValueError(f"history_filters must have shape (n_neurons, n_neurons, n_lags) = "
                         f"({n_neurons}, {n_neurons}, n_lags); got {filters.shape}")
    n_lags = filters.shape[2]
    # Spikes are rare: between two spikes the log-rates are known in advance, so the next
    # spike is found in a whole window of bins at once; each spike then adds its filters
    # to the next n_lags bins. P(no spike in a bin) = exp(-rate).
    log_rates = np.concatenate([drive, np.zeros((n_neurons, n_lags + WINDOW))], axis=1)
    counts = np.zeros((n_neurons, n_bins + n_lags + WINDOW), dtype=int)
    uniforms = np.concatenate([rng.random((n_neurons, n_bins)), np.zeros((n_neurons, n_lags + WINDOW))], axis=1)
    t = 0
    while t < n_bins:
        window = slice(t, min(t + WINDOW, n_bins))
        fired = uniforms[:, window] > np.exp(-np.exp(log_rates[:, window]))
        any_fired = fired.any(axis=0)
        if not any_fired.any():
            t = window.stop
            continue
        t += int(np.argmax(any_fired))
        rates = np.exp(log_rates[:, t])
        counts[:, t] = _poisson_given_positive(rates, uniforms[:, t]) * fired[:, t - window.start]
        log_rates[:, t + 1:t + 1 + n_lags] += np.einsum("ijl,j->il", filters, counts[:, t])
        t += 1
    return counts[:, :n_bins], log_rates[:, :n_bins]


def _poisson_given_positive(rates, uniforms):
    """Poisson counts by inverting the cumulative distribution at ``uniforms`` (inverse-transform sampling)."""
    counts = np.zeros(rates.shape, dtype=int)
    probability = np.exp(-rates)
    cumulative = probability.copy()
    while np.any(uniforms > cumulative):
        more = uniforms > cumulative
        counts += more
        probability = probability * rates / np.maximum(counts, 1)
        cumulative = cumulative + probability * more
    return counts


def correlation(a, b):
    """Pearson correlation of two filters (shape (n,) each): 1 means the same shape up to scale."""
    a, b = np.ravel(a) - np.mean(a), np.ravel(b) - np.mean(b)
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def fit_glm(penalised_nll, design, counts, penalty=0.0, start=None, tolerance=1e-3):
    """Minimise a penalised Poisson NLL with L-BFGS.

    Parameters
    ----------
    penalised_nll : callable
        ``penalised_nll(params, design, counts, penalty) -> (value, gradient)`` with
        ``params = [offset, weights...]``.
    design : ndarray, shape (n_bins, n_features)
        Design matrix (no column of ones: the offset is ``params[0]``).
    counts : ndarray, shape (n_bins,)
        Spike counts.
    penalty : float
        Ridge penalty on the weights.
    start : ndarray, shape (n_features + 1,), optional
        Starting parameters; default: the mean rate's log as the offset, zero weights.
    tolerance : float
        Stop when no entry of the whitened gradient exceeds ``tolerance`` (about that many
        standard errors from the minimum).

    Returns
    -------
    ndarray, shape (n_features + 1,)
        The fitted ``[offset, weights...]``.
    """
    design, counts = np.asarray(design, dtype=float), np.asarray(counts, dtype=float)
    if start is None:
        start = np.zeros(design.shape[1] + 1)
        start[0] = np.log(max(counts.mean(), 1e-12))
    # L-BFGS is slow on badly conditioned problems (correlated lags, sparse spike-history
    # columns next to stimulus columns). It runs on whitened parameters q = L^T params, where
    # L L^T approximates the Hessian at the fit (the design's Gram matrix weighted by the mean
    # count, plus the penalty): the same minimum, reached in far fewer steps.
    with_ones = np.hstack([np.ones((len(design), 1)), design])
    curvature = max(counts.mean(), 1e-3) * with_ones.T @ with_ones + np.diag(np.r_[0.0, np.full(design.shape[1], penalty)])
    lower = linalg.cholesky(curvature + 1e-9 * np.trace(curvature) * np.eye(len(curvature)), lower=True)

    def whitened(q):
        value, gradient = penalised_nll(linalg.solve_triangular(lower.T, q), design, counts, penalty)
        return value, linalg.solve_triangular(lower, np.asarray(gradient, dtype=float), lower=True)

    fit = optimize.minimize(whitened, lower.T @ start, jac=True, method="L-BFGS-B",
                            options={"maxiter": 1000, "ftol": 0.0, "gtol": tolerance})
    return linalg.solve_triangular(lower.T, fit.x)


def interspike_intervals(counts, dt=DT):
    """Intervals between successive spikes, in s (two spikes in one bin are 0 s apart).

    Parameters
    ----------
    counts : ndarray, shape (n_bins,)
        Spike counts per bin.
    dt : float
        Bin width, s.

    Returns
    -------
    ndarray, shape (n_spikes - 1,)
    """
    bins = np.repeat(np.arange(len(counts)), np.asarray(counts, dtype=int))
    return np.diff(bins) * dt


def autocorrelation(counts, n_lags):
    """Spike-train autocorrelation: spikes per bin at lags 1 .. n_lags after a spike, over the mean rate.

    Parameters
    ----------
    counts : ndarray, shape (n_bins,)
        Spike counts per bin.
    n_lags : int
        Largest lag, in bins.

    Returns
    -------
    ndarray, shape (n_lags,)
        1 means no correlation at that lag; below 1 (near 0) shows refractoriness.
    """
    counts = np.asarray(counts, dtype=float)
    mean = counts.mean()
    return np.array([counts[:-lag] @ counts[lag:] / counts[:-lag].sum() / mean
                     for lag in range(1, as_positive_int(n_lags, "n_lags") + 1)])


def load_recording(path):
    """Read a recording of one cell's spikes to a full-field stimulus from a ``.npz`` file.

    The file (written with ``np.savez(path, stimulus=..., spike_times=..., dt=...)``) holds:

    ``stimulus``
        shape (n_bins,): the stimulus in each bin (e.g. the contrast of each frame).
    ``spike_times``
        shape (n_spikes,): spike times in seconds from the start of the first bin; any order.
    ``dt``
        a single number: the bin (frame) width in seconds.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.

    Returns
    -------
    stimulus : ndarray, shape (n_bins,), float64
    counts : ndarray, shape (n_bins,), int
        Number of spikes in each bin ``[t dt, (t + 1) dt)``.
    dt : float
        Bin width, s.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not a plain ``.npz`` archive, a key is missing, or a value has the
        wrong shape, is not finite, or a spike time lies outside the recording.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no recording file {path}")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path.name} is not a plain .npz archive (write it with np.savez)")
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in RECORDING_KEYS if key not in archive.files]
        if missing:
            raise ValueError(f"{path.name} lacks {', '.join(missing)}: a recording holds "
                             f"{', '.join(RECORDING_KEYS)} (see load_recording's docstring)")
        try:
            values = {key: archive[key] for key in RECORDING_KEYS}
        except ValueError:  # numpy refuses object arrays without allow_pickle
            raise ValueError(f"{path.name} holds Python objects, not plain arrays of numbers") from None
    stimulus = _recorded_vector(values["stimulus"], "stimulus", path)
    spike_times = _recorded_vector(values["spike_times"], "spike_times", path, allow_empty=True)
    if values["dt"].size != 1:
        raise ValueError(f"{path.name}: dt must be a single number of seconds; got shape {values['dt'].shape}")
    dt = as_number(values["dt"].reshape(()), f"{path.name}: dt", 0, strictly=True)
    duration = stimulus.size * dt
    outside = spike_times[(spike_times < 0) | (spike_times >= duration)]
    if outside.size:
        raise ValueError(f"{path.name}: {outside.size} spike time(s) outside the recording (0 to {duration:g} s), "
                         f"e.g. {outside[0]:g} s: are they in seconds, from the first bin?")
    counts = np.bincount(np.minimum((spike_times / dt).astype(int), stimulus.size - 1), minlength=stimulus.size)
    return stimulus, counts, dt


def _recorded_vector(value, key, path, allow_empty=False):
    """One array of a recording as a finite float64 vector, or a ValueError naming the file and key."""
    if value.ndim != 1 or not (allow_empty or value.size) or not np.issubdtype(value.dtype, np.number) \
            or np.iscomplexobj(value):
        raise ValueError(f"{path.name}: {key} must be a 1-D array of real numbers; got shape {value.shape} "
                         f"and dtype {value.dtype}")
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{path.name}: {key} must contain only finite numbers")
    return value


def penalty_explorer(penalised_nll, design, counts, true_filter, penalty=100.0):
    """A log-slider for the ridge penalty; fits the GLM and draws its stimulus filter against the truth.

    Parameters
    ----------
    penalised_nll : callable
        The student's ``penalised_nll(params, design, counts, penalty) -> (value, gradient)``.
    design : ndarray, shape (n_bins, n_features)
        Design matrix whose first ``len(true_filter)`` or more columns are stimulus lags.
    counts : ndarray, shape (n_bins,)
        Spike counts.
    true_filter : ndarray, shape (n_lags,)
        The simulation's stimulus filter (zero-padded to the number of stimulus lags drawn).
    penalty : float
        Starting penalty.

    Returns
    -------
    ipywidgets.interactive or None
        The live control, or None when the figure was drawn statically (headless).
    """

    def show(penalty=penalty):
        params = fit_glm(penalised_nll, design, counts, penalty)
        fitted = params[1:1 + len(true_filter)]
        fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
        lags_ms = 1000 * lag_times(len(true_filter))
        ax.plot(lags_ms, true_filter, "k", lw=2, label="true filter")
        ax.plot(lags_ms, fitted, "C1", label=f"ridge fit, r = {correlation(fitted, true_filter):.2f}")
        ax.set_xlabel("lag (ms)")
        ax.set_ylabel("weight")
        ax.set_title(f"penalty = {penalty:.3g}")
        ax.legend(fontsize=8)
        plt.show()

    return explorer(show, penalty=widgets.FloatLogSlider(value=penalty, base=10, min=0, max=4, step=0.25,
                                                         description="penalty", continuous_update=False))


def basis_explorer(penalised_nll, raised_cosine_basis, stimulus_design, history_design, counts, true_filters,
                   n_basis=8):
    """A slider for the number of raised cosines; fits stimulus and history filters in that basis.

    Parameters
    ----------
    penalised_nll, raised_cosine_basis : callable
        The student's functions.
    stimulus_design : ndarray, shape (n_bins, n_stimulus_lags)
        Lagged stimulus.
    history_design : ndarray, shape (n_bins, n_history_lags)
        Lagged past spikes.
    counts : ndarray, shape (n_bins,)
        Spike counts.
    true_filters : tuple of two ndarrays, shapes (n_stimulus_lags,) and (n_history_lags,)
        The simulation's stimulus and history filters.
    n_basis : int
        Starting number of basis functions (the same for both filters).

    Returns
    -------
    ipywidgets.interactive or None
        The live control, or None when the figure was drawn statically (headless).
    """

    def show(n_basis=n_basis):
        bases = [np.asarray(raised_cosine_basis(n_basis, design.shape[1]), dtype=float)
                 for design in (stimulus_design, history_design)]
        params = fit_glm(penalised_nll, np.hstack([stimulus_design @ bases[0], history_design @ bases[1]]), counts)
        fitted = (bases[0] @ params[1:1 + n_basis], bases[1] @ params[1 + n_basis:])
        fig, axes = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
        for ax, truth, fit, title, first in zip(axes, true_filters, fitted, ("stimulus filter", "history filter"),
                                                 (0, 1)):
            lags_ms = 1000 * lag_times(len(truth), first_lag=first)
            ax.plot(lags_ms, truth, "k", lw=2, label="true")
            ax.plot(lags_ms, fit, "C2", label=f"{n_basis} cosines, r = {correlation(fit, truth):.3f}")
            ax.set_xlabel("lag (ms)")
            ax.set_title(title)
            ax.legend(fontsize=8)
        plt.show()

    return explorer(show, n_basis=widgets.IntSlider(value=n_basis, min=2, max=16, description="basis functions",
                                                    continuous_update=False, style={"description_width": "initial"}))
