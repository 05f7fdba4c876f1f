"""Efficient coding: stimuli from a prior, small orientation networks, and their Fisher information.

Noisy gratings (from :mod:`course.gratings`) are shown at orientations drawn from a
prior: uniform, or a von Mises prior concentrated around ``PRIOR_MEAN``. A small
network (pixels -> tanh hidden units -> outputs) learns to report the orientation,
with one of two output encodings:

* ``"circular"``: two outputs trained towards ``(cos 2 theta, sin 2 theta)``; the
  reported orientation is half the angle of the output vector, so 0 and pi, the same
  orientation, are the same target;
* ``"linear"``: one output trained towards ``theta - PRIOR_MEAN`` (radians), which
  treats orientation as a line segment [0, pi) with two ends instead of a circle.

The training loss is a power of the error, ``mean ||output - target||^power``
(``power = 2``: squared error). The Fisher information of a trained network at an
orientation theta is its linear Fisher information
``mu'(theta)^T Sigma(theta)^-1 mu'(theta)``: ``mu`` and ``Sigma`` are the mean and
covariance of its outputs over fixed nuisance samples (phases and pixel noise), and
``mu'`` comes from autograd through the differentiable grating generator.

Orientations are in radians, period pi. All randomness goes through an explicit,
seeded ``torch.Generator``.
"""

import copy
import math

import numpy as np
import torch
from scipy.special import i0e

from course.gratings import NOISE_SD, SIZE, gratings, make_network, sample_nuisance
from course.validation import as_flat_vector, as_number, as_positive_int, require_torch_generator

__all__ = [
    "ENCODINGS",
    "PRIOR_MEAN",
    "concentration_explorer",
    "decode_outputs",
    "encode_orientations",
    "make_training_set",
    "mean_network_output",
    "network_fisher_information",
    "orientation_errors",
    "power_loss",
    "predicted_exponent",
    "sample_orientations",
    "train_and_measure",
    "train_network",
    "von_mises_prior",
]

PRIOR_MEAN = math.pi / 2  # the concentrated prior peaks at 90 degrees
ENCODINGS = ("circular", "linear")
_CDF_GRID = 4097  # points of the grid on which orientations are sampled by inverting the prior's CDF


def _require_encoding(encoding):
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}; got {encoding!r}")
    return encoding


def von_mises_prior(theta, kappa, mean=PRIOR_MEAN):
    """Probability density of a von Mises prior over orientation (period pi).

    ``p(theta) = exp(kappa cos 2(theta - mean)) / (pi I0(kappa))``, which integrates to 1
    over any interval of length pi; ``kappa = 0`` is the uniform density ``1/pi``.

    Parameters
    ----------
    theta : float or array_like, shape (...)
        Orientations, radians.
    kappa : float
        Concentration (>= 0): larger is more peaked.
    mean : float
        Most probable orientation, radians.

    Returns
    -------
    ndarray, shape (...)
        Density in rad^-1, all > 0.

    Examples
    --------
    >>> float(von_mises_prior(0.3, 0.0)) == 1 / np.pi
    True
    """
    theta = np.asarray(theta, dtype=float)
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta must contain only finite angles (radians)")
    kappa = as_number(kappa, "kappa", minimum=0.0)
    mean = as_number(mean, "mean")
    # exp(kappa (cos - 1)) / i0e(kappa) = exp(kappa cos) / I0(kappa), without overflow for large kappa
    return np.exp(kappa * (np.cos(2.0 * (theta - mean)) - 1.0)) / (np.pi * i0e(kappa))


def sample_orientations(n_samples, kappa, generator, mean=PRIOR_MEAN):
    """Orientations drawn from :func:`von_mises_prior`, in [0, pi).

    Uniform numbers from ``generator`` are mapped through the inverse of the prior's
    cumulative distribution (tabulated on a fine grid, linear interpolation).

    Parameters
    ----------
    n_samples : int
        Number of orientations.
    kappa : float
        Concentration (>= 0); 0 gives the uniform prior.
    generator : torch.Generator
        Seeded generator.
    mean : float
        Most probable orientation, radians.

    Returns
    -------
    torch.Tensor, shape (n_samples,), float64
        Radians in [0, pi).
    """
    n_samples = as_positive_int(n_samples, "n_samples")
    require_torch_generator(generator)
    grid = np.linspace(0.0, np.pi, _CDF_GRID)
    density = von_mises_prior(grid, kappa, mean)
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    uniform = torch.rand(n_samples, generator=generator, dtype=torch.float64).numpy()
    return torch.as_tensor(np.mod(np.interp(uniform * cdf[-1], cdf, grid), np.pi))


def make_training_set(n_samples, kappa, generator, noise_sd=NOISE_SD, size=SIZE, mean=PRIOR_MEAN):
    """A fixed set of noisy gratings at orientations drawn from the prior.

    Parameters
    ----------
    n_samples : int
        Number of images.
    kappa : float
        Concentration of the von Mises prior (0: uniform).
    generator : torch.Generator
        Seeded generator (orientations, phases and pixel noise).
    noise_sd : float
        Pixel noise s.d., in units of the grating's contrast.
    size : int
        Image side, pixels.
    mean : float
        Most probable orientation, radians.

    Returns
    -------
    thetas : torch.Tensor, shape (n_samples,), float64
        Orientations, radians.
    images : torch.Tensor, shape (n_samples, size**2), float32
        Vectorised noisy gratings.
    """
    noise_sd = as_number(noise_sd, "noise_sd", minimum=0.0)
    thetas = sample_orientations(n_samples, kappa, generator, mean)
    phases, noise = sample_nuisance(len(thetas), generator, size=size)
    images = gratings(thetas, phases, size=size) + noise_sd * noise
    return thetas, images.float()


def encode_orientations(thetas, encoding):
    """Training targets for orientations under an output encoding.

    Parameters
    ----------
    thetas : torch.Tensor or array_like, shape (n,)
        Orientations, radians.
    encoding : {"circular", "linear"}
        ``"circular"``: ``(cos 2 theta, sin 2 theta)``; ``"linear"``: ``theta - PRIOR_MEAN``.

    Returns
    -------
    torch.Tensor, shape (n, 2) or (n, 1), float32
    """
    _require_encoding(encoding)
    thetas = torch.as_tensor(np.asarray(thetas, dtype=float) if not torch.is_tensor(thetas) else thetas)
    thetas = thetas.reshape(-1).double()
    if not torch.all(torch.isfinite(thetas)):
        raise ValueError("thetas must contain only finite angles (radians)")
    if encoding == "circular":
        return torch.stack([torch.cos(2 * thetas), torch.sin(2 * thetas)], dim=1).float()
    return (thetas - PRIOR_MEAN)[:, None].float()


def decode_outputs(outputs, encoding):
    """The orientation a network reports, in [0, pi).

    Parameters
    ----------
    outputs : torch.Tensor or ndarray, shape (n, 2) for "circular", (n, 1) for "linear"
    encoding : {"circular", "linear"}

    Returns
    -------
    ndarray, shape (n,)
        Radians in [0, pi).
    """
    _require_encoding(encoding)
    outputs = outputs.detach().double().numpy() if torch.is_tensor(outputs) else np.asarray(outputs, dtype=float)
    width = 2 if encoding == "circular" else 1
    if outputs.ndim != 2 or outputs.shape[1] != width:
        raise ValueError(f"outputs of the {encoding} encoding must have shape (n, {width}); got {outputs.shape}")
    if encoding == "circular":
        return np.mod(np.arctan2(outputs[:, 1], outputs[:, 0]) / 2, np.pi)
    return np.mod(outputs[:, 0] + PRIOR_MEAN, np.pi)


def power_loss(outputs, targets, power, smoothing=1e-3):
    """Mean of ``||output - target||^power`` over a batch (``power = 2``: mean squared error).

    The error's length is smoothed, ``sqrt(||e||^2 + smoothing^2)``, so that the gradient
    stays finite at zero error when ``power < 1``.

    Parameters
    ----------
    outputs, targets : torch.Tensor, shape (n, K)
    power : float
        Exponent p of the error (> 0).
    smoothing : float
        Error length (output units) below which the loss is rounded off.

    Returns
    -------
    torch.Tensor, scalar
    """
    power = as_number(power, "power", minimum=0.0, strictly=True)
    if outputs.shape != targets.shape:
        raise ValueError(f"outputs and targets differ in shape: {tuple(outputs.shape)} and {tuple(targets.shape)}")
    squared = torch.sum((outputs - targets) ** 2, dim=1) + smoothing**2
    return torch.mean(squared ** (power / 2))


def train_network(thetas, images, encoding, power, generator, hidden=24, n_epochs=10, batch_size=128,
                  learning_rate=0.01):
    """Train :func:`course.gratings.make_network` to report orientation (Adam on :func:`power_loss`, minibatches).

    Parameters
    ----------
    thetas : torch.Tensor, shape (n,)
        Orientations of the training images, radians.
    images : torch.Tensor, shape (n, size**2)
        Training images (from :func:`make_training_set`).
    encoding : {"circular", "linear"}
        Output encoding (see the module's notes).
    power : float
        Exponent p of the loss ``||output - target||^p`` (> 0).
    generator : torch.Generator
        Seeded generator for the initial weights and the order of the minibatches.
    hidden : int
        Hidden units.
    n_epochs, batch_size : int
        Passes through the training set, and images per gradient step.
    learning_rate : float
        Adam's step size.

    Returns
    -------
    network : torch.nn.Sequential
        The trained network (float32, evaluation mode).
    losses : ndarray, shape (n_epochs,)
        Mean training loss of each epoch.
    """
    _require_encoding(encoding)
    images = torch.as_tensor(images).float()
    targets = encode_orientations(thetas, encoding)
    if images.ndim != 2 or len(images) != len(targets):
        raise ValueError(f"images must have shape (n, n_pixels) with one row per orientation ({len(targets)}); "
                         f"got {tuple(images.shape)}")
    size = int(round(math.sqrt(images.shape[1])))
    if size * size != images.shape[1]:
        raise ValueError(f"images must be square images vectorised row-major; got {images.shape[1]} pixels")
    n_epochs, batch_size = as_positive_int(n_epochs, "n_epochs"), as_positive_int(batch_size, "batch_size")
    learning_rate = as_number(learning_rate, "learning_rate", minimum=0.0, strictly=True)
    power = as_number(power, "power", minimum=0.0, strictly=True)
    network = make_network(generator, hidden=hidden, size=size, n_outputs=targets.shape[1])
    optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate)
    losses = np.empty(n_epochs)
    for epoch in range(n_epochs):
        order, total = torch.randperm(len(targets), generator=generator), 0.0
        for start in range(0, len(targets), batch_size):
            batch = order[start:start + batch_size]
            loss = power_loss(network(images[batch]), targets[batch], power)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        losses[epoch] = total / len(targets)
    return network.eval(), losses


def network_fisher_information(network, angles, phases, noise, noise_sd=NOISE_SD, chunk=16):
    """Linear Fisher information of a network's outputs about orientation, at each angle.

    At each orientation theta, the images are the gratings at theta with the given
    phases plus ``noise_sd * noise`` (the same nuisance samples at every orientation, so
    the mean output is a smooth function of theta). ``mu'(theta)`` is the derivative of
    the mean output, by autograd through :func:`course.gratings.gratings`; ``Sigma(theta)``
    the unbiased covariance of the outputs over the samples.

    Parameters
    ----------
    network : torch.nn.Module
        Maps (S, size**2) images to (S, K) outputs (evaluated in float64 here).
    angles : array_like, shape (A,)
        Orientations, radians.
    phases, noise : torch.Tensor, shapes (S,) and (S, size**2)
        From :func:`course.gratings.sample_nuisance` (S >= K + 2).
    noise_sd : float
        Pixel noise s.d.
    chunk : int
        Angles processed together (memory: about ``chunk * S * size**2`` floats).

    Returns
    -------
    ndarray, shape (A,)
        ``mu'^T Sigma^-1 mu'`` in rad^-2.
    """
    angles = as_flat_vector(angles, "angles")
    noise_sd = as_number(noise_sd, "noise_sd", minimum=0.0)
    chunk = as_positive_int(chunk, "chunk")
    phases, noise = torch.as_tensor(phases).double().reshape(-1), torch.as_tensor(noise).double()
    if noise.ndim != 2 or len(noise) != len(phases):
        raise ValueError(f"noise must have one row per phase, shape ({len(phases)}, n_pixels); "
                         f"got {tuple(noise.shape)}")
    size = int(round(math.sqrt(noise.shape[1])))
    n_samples = len(phases)
    network = copy.deepcopy(network).double()
    information = []
    for start in range(0, len(angles), chunk):
        theta = torch.tensor(angles[start:start + chunk], dtype=torch.float64, requires_grad=True)
        images = gratings(theta.repeat_interleave(n_samples), phases.repeat(len(theta)), size=size)
        outputs = network(images + noise_sd * noise.repeat(len(theta), 1)).reshape(len(theta), n_samples, -1)
        if n_samples < outputs.shape[2] + 2:
            raise ValueError(f"need at least {outputs.shape[2] + 2} nuisance samples for a covariance of "
                             f"{outputs.shape[2]} outputs; got {n_samples}")
        means = outputs.mean(dim=1)  # (chunk, K); mean k at angle a depends on theta[a] only
        derivative = torch.stack([torch.autograd.grad(means[:, k].sum(), theta, retain_graph=True)[0]
                                  for k in range(means.shape[1])], dim=1).numpy()
        centred = (outputs - means[:, None, :]).detach().numpy()
        covariance = np.einsum("asi,asj->aij", centred, centred) / (n_samples - 1)
        information.extend(float(d @ np.linalg.solve(c, d)) for d, c in zip(derivative, covariance))
    return np.array(information)


def mean_network_output(network, angles, phases, noise, noise_sd=NOISE_SD):
    """Mean output of a network over the nuisance samples, at each orientation.

    Parameters
    ----------
    network : torch.nn.Module
    angles : array_like, shape (A,)
        Orientations, radians.
    phases, noise : torch.Tensor, shapes (S,) and (S, size**2)
        From :func:`course.gratings.sample_nuisance`.
    noise_sd : float
        Pixel noise s.d.

    Returns
    -------
    ndarray, shape (A, K)
    """
    angles = as_flat_vector(angles, "angles")
    noise_sd = as_number(noise_sd, "noise_sd", minimum=0.0)
    phases, noise = torch.as_tensor(phases).double().reshape(-1), torch.as_tensor(noise).double()
    if noise.ndim != 2 or len(noise) != len(phases):
        raise ValueError(f"noise must have one row per phase, shape ({len(phases)}, n_pixels); "
                         f"got {tuple(noise.shape)}")
    size = int(round(math.sqrt(noise.shape[1])))
    network = copy.deepcopy(network).double()
    with torch.no_grad():
        return np.stack([network(gratings(torch.full((len(phases),), angle, dtype=torch.float64), phases, size=size)
                                 + noise_sd * noise).mean(dim=0).numpy() for angle in angles])


def orientation_errors(network, encoding, thetas, images):
    """Reported minus true orientation, wrapped to [-pi/2, pi/2).

    Parameters
    ----------
    network : torch.nn.Module
    encoding : {"circular", "linear"}
    thetas : torch.Tensor or array_like, shape (n,)
        True orientations, radians.
    images : torch.Tensor, shape (n, size**2)

    Returns
    -------
    ndarray, shape (n,)
        Signed errors, radians.
    """
    with torch.no_grad():
        reported = decode_outputs(network(torch.as_tensor(images).float()), encoding)
    thetas = np.asarray(thetas.detach() if torch.is_tensor(thetas) else thetas, dtype=float).reshape(-1)
    if thetas.shape != reported.shape:
        raise ValueError(f"thetas must have one orientation per image ({reported.size}); got {thetas.size}")
    return np.mod(reported - thetas + np.pi / 2, np.pi) - np.pi / 2


def predicted_exponent(power):
    """The exponent of ``FI ∝ prior^alpha`` that minimises an L_p error, ``alpha = 2 / (1 + p)``.

    Derived for an efficient decoder in the high-information limit, with the budget
    ``integral of sqrt(FI) over the range`` held fixed (Wang, Stocker & Lee, 2016);
    ``p -> 0`` gives 2, the information-maximising allocation (Ganguli & Simoncelli, 2014).

    Parameters
    ----------
    power : float or ndarray
        Exponent p >= 0 of the error.

    Returns
    -------
    float or ndarray
    """
    power = np.asarray(power, dtype=float)
    if not np.all(np.isfinite(power)) or np.any(power < 0):
        raise ValueError(f"power must be finite and >= 0; got {power!r}")
    alpha = 2.0 / (1.0 + power)
    return float(alpha) if alpha.ndim == 0 else alpha


def train_and_measure(kappa, encoding, power, seed, angles, phases, noise, n_samples=8000, noise_sd=NOISE_SD,
                      **training):
    """One repeat of the experiment: a training set from the prior, a trained network, its Fisher information.

    Parameters
    ----------
    kappa : float
        Concentration of the prior (0: uniform).
    encoding : {"circular", "linear"}
    power : float
        Exponent of the training loss.
    seed : int
        Seed of this repeat's ``torch.Generator`` (training set, initial weights, minibatches).
    angles : array_like, shape (A,)
        Orientations at which the Fisher information is measured, radians.
    phases, noise : torch.Tensor
        Nuisance samples for :func:`network_fisher_information` (the same for every repeat).
    n_samples : int
        Training images.
    noise_sd : float
        Pixel noise s.d., for training and measurement.
    **training
        Passed to :func:`train_network` (``hidden``, ``n_epochs``, ...).

    Returns
    -------
    network : torch.nn.Sequential
    losses : ndarray, shape (n_epochs,)
    fisher : ndarray, shape (A,)
        rad^-2.
    """
    seed = as_positive_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    thetas, images = make_training_set(n_samples, kappa, generator, noise_sd=noise_sd)
    network, losses = train_network(thetas, images, encoding, power, generator, **training)
    return network, losses, network_fisher_information(network, angles, phases, noise, noise_sd=noise_sd)


KAPPAS = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0)
POWERS = (0.5, 1.0, 2.0)


def concentration_explorer(measure, normalized_sqrt_fisher, fit_power_law, angles, kappa=2.0, power=2.0):
    """Sliders for the prior's concentration and the loss exponent; the network's normalised sqrt(FI) vs the prior.

    Parameters
    ----------
    measure : callable
        ``measure(kappa, power) -> fisher``, shape (A,): trains a network on the prior of
        concentration ``kappa`` with loss exponent ``power`` and returns its Fisher information
        at ``angles`` (about a second per setting).
    normalized_sqrt_fisher : callable
        The student's ``f(fisher, thetas) -> sqrt(FI) normalised to integrate to 1``.
    fit_power_law : callable
        The student's ``f(prior, fisher) -> exponent``.
    angles : ndarray, shape (A,)
        Radians, spanning [0, pi].
    kappa, power : float
        Starting values of the sliders.

    Returns
    -------
    ipywidgets.interactive or None
        The live control; None when run headless (the figure is drawn once).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course.widgets import LABELS, explorer

    angles = as_flat_vector(angles, "angles")
    degrees = np.degrees(angles)

    def show(kappa=kappa, power=power):
        prior = von_mises_prior(angles, kappa)
        fisher = np.asarray(measure(kappa, power), dtype=float)
        alpha = predicted_exponent(power)
        fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
        ax.plot(degrees, prior, "k", lw=2, label="prior P(θ)")
        ax.plot(degrees, normalized_sqrt_fisher(fisher, angles), "o-", ms=3, color="C0",
                label="network: normalised √J")
        ax.plot(degrees, normalized_sqrt_fisher(prior**alpha, angles), "--", color="C1",
                label=f"theory: J ∝ P^{alpha:.2f}")
        title = f"κ = {kappa:g}, loss |error|^{power:g}"
        if kappa > 0:
            title += f": measured J ∝ P^{fit_power_law(prior, fisher):.2f}, theory P^{alpha:.2f}"
        ax.set(xlabel="orientation θ (degrees)", ylabel="density, normalised √J (rad$^{-1}$)", title=title,
               ylim=(0, None))
        ax.title.set_fontsize(9)
        ax.legend(fontsize=8)
        plt.show()

    return explorer(
        show,
        kappa=widgets.SelectionSlider(options=KAPPAS, value=kappa, description="prior concentration κ",
                                      continuous_update=False, style=LABELS),
        power=widgets.SelectionSlider(options=POWERS, value=power, description="loss exponent p",
                                      continuous_update=False, style=LABELS),
    )
