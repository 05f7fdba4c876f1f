"""Sound localisation from auditory-nerve spikes with a small spiking network.

A tone whose envelope rises and falls ``ENVELOPE_FREQUENCY`` times per second
reaches the two ears with an *interaural phase difference* (IPD). Each ear has
``fibres_per_ear`` auditory-nerve fibres; fibre ``i`` of an ear fires with the
envelope advanced by its own phase lead ``delta_i``, spread evenly over ``[0, pi/2]``:
the envelope's peak reaches a fibre ``delta_i / (2 pi f)`` seconds earlier than
fibre 0 (up to 12.5 ms earlier at 20 Hz).
The network has to report the IPD from the spikes alone.

Conventions
-----------
* Time runs in bins of ``DT`` = 1 ms over ``DURATION`` = 100 ms (``N_STEPS`` = 100 bins).
* The rate of fibre ``i`` at time ``t`` (Hz) is

      PEAK_RATE * ((1 + sin(2 pi f t + phi + delta_i + ipd_ear)) / 2) ** ENVELOPE_POWER

  with ``f = ENVELOPE_FREQUENCY``, a random starting phase ``phi`` per trial (the
  same for both ears), ``ipd_ear = 0`` for the left ear and the trial's IPD for the
  right ear (a positive IPD: the right ear leads). Each bin holds a spike with
  probability ``rate * DT`` (at most 0.6 here): a Poisson process in discrete time,
  one spike per bin at most.
* Spike arrays have shape ``(n_trials, N_STEPS, 2 * fibres_per_ear)``: the left
  ear's fibres first, then the right ear's, each in order of increasing phase lead.
* IPDs are drawn uniformly from (-pi/2, pi/2) and discretised into ``n_classes``
  equal bins, class 0 the most negative.
* The network: every input fibre feeds every hidden leaky integrate-and-fire
  neuron (threshold 1, membrane time constant ``tau``), whose spikes feed a
  non-spiking leaky readout (time constant ``tau_readout``), one per class. The
  output of a trial is the readout potential averaged over time: one score per
  class, and the softmax of the scores gives the class probabilities.
* All randomness goes through an explicit generator: ``numpy.random.Generator``
  for the data, ``torch.Generator`` for the network's weights and batches.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import matplotlib.pyplot as plt
from matplotlib.cm import ScalarMappable
import numpy as np
import torch

from course.progress import progress
from course.validation import as_positive_int, require_generator, require_torch_generator

__all__ = [
    "DT",
    "DURATION",
    "ENVELOPE_FREQUENCY",
    "ENVELOPE_POWER",
    "FIBRES_PER_EAR",
    "N_CLASSES",
    "N_STEPS",
    "PEAK_RATE",
    "SURROGATE_SLOPE",
    "THRESHOLD",
    "SpikingNetwork",
    "class_centres",
    "ear_spikes",
    "fibre_rates",
    "init_network",
    "ipd_classes",
    "make_dataset",
    "network_responses",
    "phase_leads",
    "plot_confusion_matrix",
    "plot_raster",
    "plot_tuning_curves",
    "spike_and_surrogate_gradient",
    "train_network",
    "tuning_curves",
]

DT = 1e-3  # s, one time bin
DURATION = 0.1  # s
N_STEPS = int(round(DURATION / DT))  # 100 bins
ENVELOPE_FREQUENCY = 20.0  # Hz
PEAK_RATE = 600.0  # Hz, at the envelope's peak
ENVELOPE_POWER = 2  # sharpens the envelope's peaks
FIBRES_PER_EAR = 50
N_CLASSES = 12  # IPD classes of 15 degrees
THRESHOLD = 1.0  # hidden neurons spike when their potential exceeds it
SURROGATE_SLOPE = 5.0  # beta of the sigmoid whose derivative replaces the spike's, per unit of potential


# --- the input: two ears of auditory-nerve fibres ----------------------------------


def _as_ipds(ipds):
    """IPDs as a 1-D float array inside (-pi/2, pi/2)."""
    try:
        ipds = np.asarray(ipds, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"ipds must be an array of numbers (radians); got {ipds!r}") from None
    if ipds.size == 0:
        raise ValueError("ipds must hold at least one interaural phase difference")
    if not np.all(np.isfinite(ipds)):
        raise ValueError("ipds must contain only finite numbers (radians)")
    if np.any(np.abs(ipds) > np.pi / 2):
        raise ValueError(f"ipds must lie in [-pi/2, pi/2] radians; got values up to {np.abs(ipds).max():.3g}")
    return ipds


def phase_leads(fibres_per_ear=FIBRES_PER_EAR):
    """The phase lead of each fibre of one ear, evenly spread over ``[0, pi/2]``.

    Added to the envelope's phase, a lead makes the envelope peak earlier: fibre ``i``
    peaks ``delta_i / (2 pi f)`` seconds before fibre 0.

    Parameters
    ----------
    fibres_per_ear : int
        Fibres per ear (at least 2).

    Returns
    -------
    ndarray, shape (fibres_per_ear,)
        Leads in radians of the envelope's cycle.
    """
    fibres_per_ear = as_positive_int(fibres_per_ear, "fibres_per_ear", minimum=2)
    return np.linspace(0.0, np.pi / 2, fibres_per_ear)


def fibre_rates(ipds, start_phases, fibres_per_ear=FIBRES_PER_EAR):
    """Firing rate of every fibre in every time bin (see the module's conventions).

    Parameters
    ----------
    ipds : array_like, shape (n_trials,)
        Interaural phase differences, radians, in [-pi/2, pi/2].
    start_phases : array_like, shape (n_trials,)
        Phase of the envelope at t = 0 in each trial, radians.
    fibres_per_ear : int
        Fibres per ear.

    Returns
    -------
    ndarray, shape (n_trials, N_STEPS, 2 * fibres_per_ear)
        Rates in Hz, between 0 and ``PEAK_RATE``; left ear first.
    """
    ipds = _as_ipds(ipds)
    start_phases = np.asarray(start_phases, dtype=float).reshape(-1)
    if start_phases.shape != ipds.shape or not np.all(np.isfinite(start_phases)):
        raise ValueError(f"start_phases needs one finite phase per trial ({ipds.size}); "
                         f"got shape {start_phases.shape}")
    leads = phase_leads(fibres_per_ear)
    times = np.arange(N_STEPS) * DT
    envelope = 2 * np.pi * ENVELOPE_FREQUENCY * times[None, :, None] + start_phases[:, None, None]  # (n, T, 1)
    left = envelope + leads
    right = envelope + leads + ipds[:, None, None]
    phases = np.concatenate([left, right], axis=2)
    return PEAK_RATE * ((1 + np.sin(phases)) / 2) ** ENVELOPE_POWER


def ear_spikes(ipds, rng, fibres_per_ear=FIBRES_PER_EAR):
    """Spikes of both ears' fibres for each IPD, each trial with its own random starting phase.

    Parameters
    ----------
    ipds : array_like, shape (n_trials,)
        Interaural phase differences, radians, in [-pi/2, pi/2].
    rng : numpy.random.Generator
        Seeded generator (starting phases and spikes).
    fibres_per_ear : int
        Fibres per ear.

    Returns
    -------
    ndarray, shape (n_trials, N_STEPS, 2 * fibres_per_ear), float32
        1 where a fibre spiked in a bin, else 0; left ear first.
    """
    require_generator(rng)
    ipds = _as_ipds(ipds)
    start_phases = rng.uniform(0.0, 2 * np.pi, ipds.size)
    rates = fibre_rates(ipds, start_phases, fibres_per_ear)
    return (rng.random(rates.shape) < rates * DT).astype(np.float32)


def ipd_classes(ipds, n_classes=N_CLASSES):
    """The class of each IPD: ``n_classes`` equal bins of (-pi/2, pi/2), class 0 the most negative.

    Parameters
    ----------
    ipds : array_like, shape (n_trials,)
        Radians, in [-pi/2, pi/2].
    n_classes : int
        Number of classes (at least 2).

    Returns
    -------
    ndarray of int, shape (n_trials,)
        Values 0, ..., n_classes - 1.
    """
    ipds = _as_ipds(ipds)
    n_classes = as_positive_int(n_classes, "n_classes", minimum=2)
    return np.clip(np.floor((ipds + np.pi / 2) / np.pi * n_classes), 0, n_classes - 1).astype(int)


def class_centres(n_classes=N_CLASSES):
    """The IPD at the centre of each class.

    Parameters
    ----------
    n_classes : int
        Number of classes (at least 2).

    Returns
    -------
    ndarray, shape (n_classes,)
        Radians, increasing from -pi/2 + pi/(2 n_classes).
    """
    n_classes = as_positive_int(n_classes, "n_classes", minimum=2)
    return -np.pi / 2 + (np.arange(n_classes) + 0.5) * np.pi / n_classes


def make_dataset(n_trials, rng, n_classes=N_CLASSES, fibres_per_ear=FIBRES_PER_EAR):
    """Trials with IPDs drawn uniformly from (-pi/2, pi/2): spikes, IPDs and classes.

    Parameters
    ----------
    n_trials : int
        Number of trials.
    rng : numpy.random.Generator
        Seeded generator.
    n_classes : int
        Number of IPD classes.
    fibres_per_ear : int
        Fibres per ear.

    Returns
    -------
    spikes : ndarray, shape (n_trials, N_STEPS, 2 * fibres_per_ear), float32
    ipds : ndarray, shape (n_trials,)
        Radians.
    labels : ndarray of int, shape (n_trials,)
        Classes, see :func:`ipd_classes`.
    """
    require_generator(rng)
    n_trials = as_positive_int(n_trials, "n_trials")
    ipds = rng.uniform(-np.pi / 2, np.pi / 2, n_trials)
    return ear_spikes(ipds, rng, fibres_per_ear), ipds, ipd_classes(ipds, n_classes)


# --- the network -----------------------------------------------------------------


def _time_constant(tau, name):
    try:
        tau = float(tau)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a time in seconds (> 0); got {tau!r}") from None
    if not (math.isfinite(tau) and tau > 0):
        raise ValueError(f"{name} must be a time in seconds (> 0); got {tau!r}")
    return tau


def _spike_function(spike_function):
    """A ``torch.autograd.Function`` subclass is used through its ``apply``."""
    apply = getattr(spike_function, "apply", None)
    function = apply if callable(apply) and isinstance(spike_function, type) else spike_function
    if not callable(function):
        raise TypeError(f"spike_function must be callable (an autograd Function or its .apply); "
                        f"got {type(spike_function).__name__}")
    return function


def _as_spike_tensor(spikes, n_inputs=None):
    array = torch.as_tensor(np.asarray(spikes, dtype=np.float32))
    if array.ndim != 3:
        raise ValueError(f"spikes must have shape (n_trials, n_steps, n_inputs); got shape {tuple(array.shape)}")
    if n_inputs is not None and array.shape[2] != n_inputs:
        raise ValueError(f"spikes must have one column per input fibre ({n_inputs}); got shape {tuple(array.shape)}")
    return array


@dataclass
class SpikingNetwork:
    """Input fibres -> one layer of LIF neurons -> leaky non-spiking readout, one per class.

    Attributes
    ----------
    input_weights : torch.Tensor, shape (n_inputs, n_hidden)
        Potential added to a hidden neuron by one input spike (threshold 1).
    output_weights : torch.Tensor, shape (n_hidden, n_classes)
        Potential added to a readout unit by one hidden spike.
    tau, tau_readout : float
        Membrane time constants of the hidden neurons and of the readout, seconds.
    spike_function : callable
        ``spike_function(v - THRESHOLD)`` gives the spikes (a ``torch.autograd.Function``'s ``apply``).
    lif_step : callable
        ``lif_step(v, input_current, spikes_prev, alpha) -> v_new``, one time step of a hidden neuron.
    """

    input_weights: torch.Tensor
    output_weights: torch.Tensor
    tau: float
    tau_readout: float
    spike_function: Callable
    lif_step: Callable

    def __call__(self, spikes):
        """Run the network on a batch of input spikes.

        Parameters
        ----------
        spikes : torch.Tensor, shape (n_trials, n_steps, n_inputs)

        Returns
        -------
        scores : torch.Tensor, shape (n_trials, n_classes)
            Readout potential averaged over time (softmax gives class probabilities).
        hidden_spikes : torch.Tensor, shape (n_trials, n_steps, n_hidden)
        """
        n_trials, n_steps, _ = spikes.shape
        currents = spikes @ self.input_weights  # (n_trials, n_steps, n_hidden): all input at once
        alpha = math.exp(-DT / self.tau)
        v = torch.zeros(n_trials, self.input_weights.shape[1])
        spiked = torch.zeros_like(v)
        recorded = []
        for step in range(n_steps):
            # No gradient through the reset: the usual choice, and training is more stable.
            v = self._step(v, currents[:, step], spiked.detach(), alpha)
            spiked = self.spike_function(v - THRESHOLD)
            recorded.append(spiked)
        hidden_spikes = torch.stack(recorded, dim=1)
        # The readout u_t = alpha_r u_{t-1} + I_t is linear: one matrix product with the decaying kernel.
        steps = torch.arange(n_steps)
        lag = (steps[:, None] - steps[None, :]).float()
        kernel = torch.where(lag >= 0, torch.exp(-lag.clamp(min=0) * DT / self.tau_readout), torch.zeros(()))
        readout = torch.einsum("ts,nsc->ntc", kernel, hidden_spikes @ self.output_weights)
        return readout.mean(dim=1), hidden_spikes

    def _step(self, v, current, spiked, alpha):
        """``lif_step`` on torch tensors, with a clear message if it only works on numpy arrays."""
        advice = ("lif_step must work on torch tensors as well as numpy arrays: use only arithmetic "
                  "(+, -, *) on its arguments, no numpy functions such as np.where or np.asarray")
        try:
            v_new = self.lif_step(v, current, spiked, alpha)
        except NotImplementedError:
            raise  # an unfinished exercise (a RuntimeError too): not a problem with tensors
        except (TypeError, RuntimeError) as error:
            raise TypeError(f"{advice} ({type(error).__name__}: {error})") from None
        if not torch.is_tensor(v_new):
            raise TypeError(f"{advice}; given tensors it returned a {type(v_new).__name__}")
        return v_new


def init_network(n_inputs, n_hidden, n_classes, generator, spike_function, lif_step, tau, tau_readout=0.02,
                 weight_scale=1.0):
    """A :class:`SpikingNetwork` with Gaussian weights of s.d. ``weight_scale / sqrt(fan-in)``.

    Parameters
    ----------
    n_inputs, n_hidden, n_classes : int
        Layer sizes.
    generator : torch.Generator
        Seeded generator for the weights.
    spike_function, lif_step : callable
        See :class:`SpikingNetwork`.
    tau, tau_readout : float
        Time constants, seconds.
    weight_scale : float
        Scale of the initial weights.

    Returns
    -------
    SpikingNetwork
        Weights in float32 with ``requires_grad``.
    """
    require_torch_generator(generator)
    n_inputs = as_positive_int(n_inputs, "n_inputs")
    n_hidden = as_positive_int(n_hidden, "n_hidden")
    n_classes = as_positive_int(n_classes, "n_classes", minimum=2)
    if not callable(lif_step):
        raise TypeError(f"lif_step must be a function; got {type(lif_step).__name__}")
    tau, tau_readout = _time_constant(tau, "tau"), _time_constant(tau_readout, "tau_readout")
    input_weights = torch.randn(n_inputs, n_hidden, generator=generator) * (weight_scale / math.sqrt(n_inputs))
    output_weights = torch.randn(n_hidden, n_classes, generator=generator) * (weight_scale / math.sqrt(n_hidden))
    return SpikingNetwork(input_weights.requires_grad_(), output_weights.requires_grad_(), tau, tau_readout,
                          _spike_function(spike_function), lif_step)


def _rate_cost(rates, low, high):
    """mean_j [(max(0, low - r_j) / low)^2 + (max(0, r_j - high) / high)^2]: zero inside the band."""
    return torch.mean((torch.relu(low - rates) / low) ** 2 + (torch.relu(rates - high) / high) ** 2)


def train_network(spikes, labels, spike_function, lif_step, generator, tau=0.005, tau_readout=0.02, n_hidden=30,
                  n_epochs=8, batch_size=64, learning_rate=0.01, rate_penalty=1.0, rate_band=(5.0, 50.0),
                  description="training"):
    """Train a :class:`SpikingNetwork` to classify IPDs (Adam, cross-entropy plus a firing-rate regulariser).

    The loss of a batch is the cross-entropy of the softmax of the scores (the
    negative log-probability of the true class), plus the firing-rate regulariser

        rate_penalty * mean_j [(max(0, r_low - r_j) / r_low)^2 + (max(0, r_j - r_high) / r_high)^2],

    where ``r_j`` is hidden neuron ``j``'s mean firing rate over the batch (Hz) and
    ``(r_low, r_high) = rate_band``. It is zero while every neuron's rate stays in
    the band: it keeps neurons from falling silent (a silent neuron's surrogate
    gradient vanishes, so it would stop learning) and from firing more than they
    need to.

    Parameters
    ----------
    spikes : array_like, shape (n_trials, n_steps, n_inputs)
        Input spikes, e.g. from :func:`make_dataset`.
    labels : array_like of int, shape (n_trials,)
        Classes 0, ..., n_classes - 1 (n_classes is ``max(labels) + 1``, at least ``N_CLASSES``).
    spike_function, lif_step : callable
        See :class:`SpikingNetwork`.
    generator : torch.Generator
        Seeded generator (initial weights and the order of the batches).
    tau, tau_readout : float
        Membrane time constants, seconds.
    n_hidden, n_epochs, batch_size : int
        Hidden neurons, passes through the data, trials per gradient step.
    learning_rate : float
        Adam's step size.
    rate_penalty : float
        Weight of the firing-rate regulariser (0 switches it off).
    rate_band : (float, float)
        Rates (Hz) between which the regulariser costs nothing.
    description : str
        Label of the progress bar.

    Returns
    -------
    network : SpikingNetwork
    losses : ndarray, shape (n_epochs * n_batches,)
        Loss of each batch.
    """
    require_torch_generator(generator)
    inputs = _as_spike_tensor(spikes)
    labels = np.asarray(labels)
    if labels.shape != (inputs.shape[0],) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError(f"labels must hold one class (an integer >= 0) per trial ({inputs.shape[0]}); "
                         f"got shape {labels.shape} and dtype {labels.dtype}")
    targets = torch.as_tensor(labels, dtype=torch.long)
    n_epochs = as_positive_int(n_epochs, "n_epochs")
    batch_size = as_positive_int(batch_size, "batch_size")
    if not rate_penalty >= 0:
        raise ValueError(f"rate_penalty must be >= 0; got {rate_penalty!r}")
    low, high = (float(rate) for rate in rate_band)
    if not 0 < low < high:
        raise ValueError(f"rate_band must be two rates 0 < low < high (Hz); got {rate_band!r}")
    rate_band = (low, high)
    network = init_network(inputs.shape[2], n_hidden, max(int(labels.max()) + 1, N_CLASSES), generator,
                           spike_function, lif_step, tau, tau_readout)
    optimiser = torch.optim.Adam([network.input_weights, network.output_weights], lr=learning_rate)
    losses = []
    for _ in progress(range(n_epochs), description):
        order = torch.randperm(len(inputs), generator=generator)
        for start in range(0, len(inputs), batch_size):
            batch = order[start:start + batch_size]
            scores, hidden_spikes = network(inputs[batch])
            rates = hidden_spikes.mean(dim=(0, 1)) / DT  # Hz, one per hidden neuron
            loss = torch.nn.functional.cross_entropy(scores, targets[batch]) + rate_penalty * _rate_cost(
                rates, *rate_band)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
    network.input_weights.requires_grad_(False)
    network.output_weights.requires_grad_(False)
    return network, np.array(losses)


def network_responses(network, spikes, batch_size=256):
    """The network's scores and each hidden neuron's firing rate, trial by trial.

    Parameters
    ----------
    network : SpikingNetwork
    spikes : array_like, shape (n_trials, n_steps, n_inputs)
    batch_size : int
        Trials run at once (memory only; the results do not depend on it).

    Returns
    -------
    scores : ndarray, shape (n_trials, n_classes)
        One score per class (the predicted class is the largest).
    hidden_rates : ndarray, shape (n_trials, n_hidden)
        Spikes per second of each hidden neuron in each trial.
    """
    inputs = _as_spike_tensor(spikes, network.input_weights.shape[0])
    batch_size = as_positive_int(batch_size, "batch_size")
    scores, rates = [], []
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            batch_scores, hidden_spikes = network(inputs[start:start + batch_size])
            scores.append(batch_scores.double().numpy())
            rates.append(hidden_spikes.double().mean(dim=1).numpy() / DT)
    return np.concatenate(scores), np.concatenate(rates)


def tuning_curves(hidden_rates, ipds, n_bins=N_CLASSES):
    """Mean firing rate of each hidden neuron in equal IPD bins of (-pi/2, pi/2).

    Parameters
    ----------
    hidden_rates : array_like, shape (n_trials, n_hidden)
        Hz, e.g. from :func:`network_responses`.
    ipds : array_like, shape (n_trials,)
        Radians.
    n_bins : int
        Number of IPD bins.

    Returns
    -------
    centres : ndarray, shape (n_bins,)
        Bin centres, radians.
    curves : ndarray, shape (n_bins, n_hidden)
        Mean rate in each bin, Hz (NaN for a bin without trials).
    """
    rates = np.asarray(hidden_rates, dtype=float)
    ipds = _as_ipds(ipds)
    if rates.ndim != 2 or rates.shape[0] != ipds.size:
        raise ValueError(f"hidden_rates must have shape (n_trials, n_hidden) with one row per IPD ({ipds.size}); "
                         f"got shape {rates.shape}")
    bins = ipd_classes(ipds, n_bins)
    counts = np.bincount(bins, minlength=n_bins)
    sums = np.zeros((n_bins, rates.shape[1]))
    np.add.at(sums, bins, rates)
    with np.errstate(invalid="ignore", divide="ignore"):
        curves = np.where(counts[:, None] > 0, sums / counts[:, None], np.nan)
    return class_centres(n_bins), curves


# --- a driver for the graded surrogate-gradient exercise ---------------------------


def spike_and_surrogate_gradient(spike_function, v, grad_output):
    """Apply ``spike_function`` to ``v`` and run its backward pass with ``grad_output``.

    Parameters
    ----------
    spike_function : torch.autograd.Function subclass, or its ``apply``
        Heaviside forward, surrogate backward.
    v : array_like
        Membrane potential minus threshold, any shape.
    grad_output : array_like, same shape as ``v``
        Gradient of a loss with respect to the spikes.

    Returns
    -------
    spikes : ndarray, shape of ``v``, float64
        The forward pass.
    grad_v : ndarray, shape of ``v``, float64
        The gradient that the backward pass returns for ``v``.

    Raises
    ------
    ValueError
        If the forward pass gives no differentiable tensor, changes ``v`` in place,
        or the backward pass returns nothing.

    Notes
    -----
    When notebooks are graded in isolation, a check holds only a handle on the
    notebook's ``spike_function`` (one with a ``call_course_helper`` method); this
    function then runs where the object lives and returns its arrays.
    """
    run_where_it_lives = getattr(spike_function, "call_course_helper", None)
    if callable(run_where_it_lives) and not isinstance(spike_function, type):
        spikes, grad_v = run_where_it_lives(spike_and_surrogate_gradient, v, grad_output)
        return np.asarray(spikes, dtype=np.float64), np.asarray(grad_v, dtype=np.float64)
    values = np.array(v, dtype=np.float64)
    upstream = np.asarray(grad_output, dtype=np.float64)
    if upstream.shape != values.shape:
        raise ValueError(f"grad_output must have the shape of v {values.shape}; got {upstream.shape}")
    tensor = torch.tensor(values, requires_grad=True)
    spikes = _spike_function(spike_function)(tensor)
    if not torch.is_tensor(spikes):
        raise ValueError(f"the forward pass must return a tensor; it returned {type(spikes).__name__}")
    if not torch.equal(tensor.detach(), torch.from_numpy(values)):
        raise ValueError("the forward pass changed v in place; build a new tensor instead")
    if not spikes.requires_grad:
        raise ValueError(f"the forward pass returned a {spikes.dtype} tensor that autograd cannot differentiate: "
                         "return a floating-point tensor (convert the comparison to the dtype of v)")
    if spikes.shape != tensor.shape:
        raise ValueError(f"the forward pass must return one value per entry of v {tuple(tensor.shape)}; "
                         f"got shape {tuple(spikes.shape)}")
    spikes.backward(torch.from_numpy(upstream).to(spikes.dtype))
    if tensor.grad is None:
        raise ValueError("the backward pass returned None for v: return the surrogate gradient")
    return spikes.detach().double().numpy(), tensor.grad.double().numpy()


# --- figures -------------------------------------------------------------------------


def plot_raster(spikes, ax=None, title=""):
    """Spike raster of one trial: time on x, fibres on y (left ear below, right ear above).

    Parameters
    ----------
    spikes : array_like, shape (n_steps, 2 * fibres_per_ear)
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib Axes
    """
    spikes = np.asarray(spikes)
    if spikes.ndim != 2 or spikes.shape[1] % 2:
        raise ValueError(f"spikes must have shape (n_steps, 2 * fibres_per_ear) for one trial; got {spikes.shape}")
    ax = ax or plt.gca()
    steps, fibres = np.nonzero(spikes)
    half = spikes.shape[1] // 2
    left = fibres < half
    ax.plot(steps[left] * DT * 1e3, fibres[left], "|", color="C0", ms=3, label="left ear")
    ax.plot(steps[~left] * DT * 1e3, fibres[~left], "|", color="C3", ms=3, label="right ear")
    ax.axhline(half - 0.5, color="k", lw=0.5)
    ax.set(xlabel="time (ms)", ylabel="fibre (by phase lead)", title=title, xlim=(0, spikes.shape[0] * DT * 1e3))
    return ax


def plot_confusion_matrix(matrix, ax=None, title="confusion matrix"):
    """Show a confusion matrix with each row (true class) normalised to sum to 1.

    Parameters
    ----------
    matrix : array_like, shape (n_classes, n_classes)
        Counts, rows = true class, columns = predicted class.
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib Axes
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ValueError(f"matrix must be square, (n_classes, n_classes); got shape {matrix.shape}")
    if np.any(matrix < 0) or not np.all(np.isfinite(matrix)):
        raise ValueError("matrix must hold finite, non-negative counts")
    ax = ax or plt.gca()
    totals = matrix.sum(axis=1, keepdims=True)
    fractions = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    edges = np.degrees(np.linspace(-np.pi / 2, np.pi / 2, len(matrix) + 1))
    image = ax.pcolormesh(edges, edges, fractions, cmap="viridis", vmin=0)
    ax.figure.colorbar(image, ax=ax, label="fraction of the true class")
    ax.set(xlabel="predicted IPD class (degrees)", ylabel="true IPD class (degrees)", title=title, aspect="equal")
    return ax


def plot_tuning_curves(centres, curves, ax=None, n_show=None):
    """Tuning curves of the active hidden neurons, coloured by their preferred IPD (with a colour bar).

    Parameters
    ----------
    centres : array_like, shape (n_bins,)
        IPDs, radians.
    curves : array_like, shape (n_bins, n_hidden)
        Firing rates, Hz (from :func:`tuning_curves`).
    ax : matplotlib Axes, optional
    n_show : int, optional
        Show at most this many (evenly chosen among the active neurons, ordered by preference).

    Returns
    -------
    matplotlib Axes
    """
    centres, curves = np.asarray(centres, dtype=float), np.asarray(curves, dtype=float)
    if curves.ndim != 2 or curves.shape[0] != centres.size:
        raise ValueError(f"curves must have shape (n_bins, n_hidden) with n_bins = {centres.size}; "
                         f"got shape {curves.shape}")
    ax = ax or plt.gca()
    active = np.flatnonzero(np.nanmax(curves, axis=0) > 0)
    order = active[np.argsort(centres[np.nanargmax(curves[:, active], axis=0)])] if active.size else active
    if n_show is not None and order.size > n_show:
        order = order[np.linspace(0, order.size - 1, n_show).round().astype(int)]
    # Colour by preferred IPD on a fixed scale, with its key: the same colour means the same preference.
    colours = ScalarMappable(plt.Normalize(-90, 90), "coolwarm")
    for neuron in order:
        preferred = np.degrees(centres[np.nanargmax(curves[:, neuron])])
        ax.plot(np.degrees(centres), curves[:, neuron], color=colours.to_rgba(preferred), lw=1.2)
    ax.figure.colorbar(colours, ax=ax, label="preferred IPD (degrees)")
    ax.set(xlabel="IPD (degrees)", ylabel="firing rate (Hz)",
           title=f"{active.size} of {curves.shape[1]} hidden neurons fire")
    return ax
