"""Noisy gratings, a small network that reports their orientation, and its output statistics.

Everything here is differentiable torch code, so the derivative of the network's
mean output with respect to the grating's orientation comes from autograd.
All randomness goes through an explicit, seeded ``torch.Generator``.

Conventions
-----------
* Orientations ``theta`` are in radians, period pi: the grating at theta + pi with
  phase -phase is the grating at theta with phase phase, so with random phases both
  orientations give the same images.
* A grating is a ``size x size`` image, vectorised row-major to ``size**2`` pixels:
  ``contrast * cos(2 pi cycles (x cos theta + y sin theta) + phase)`` on the grid
  ``x, y`` in [-1/2, 1/2), plus independent Gaussian pixel noise of s.d. ``noise_sd``.
  The phase is random (uniform): it is a nuisance the network must ignore.
* The network reads a vectorised image and returns two numbers, trained to be
  ``(cos 2 theta, sin 2 theta)``; the reported orientation is half their angle.
"""

import copy
import math

import numpy as np
import torch

from course.validation import as_positive_int, require_torch_generator

__all__ = [
    "SIZE",
    "decode_orientation",
    "finite_difference_derivative",
    "gratings",
    "make_network",
    "output_statistics",
    "sample_nuisance",
    "train_orientation_network",
]

SIZE = 12  # image side, pixels
CYCLES = 2.0  # grating cycles per image
NOISE_SD = 1.0  # pixel noise, in units of the grating's contrast


def _as_angles(theta, dtype=torch.float64):
    """Angles as a 1-D tensor (a tensor passed in keeps its autograd graph)."""
    if not torch.is_tensor(theta):
        theta = torch.as_tensor(np.asarray(theta, dtype=float), dtype=dtype)
    theta = theta.reshape(-1)
    if not torch.all(torch.isfinite(theta.detach())):
        raise ValueError("theta must contain only finite angles (radians)")
    return theta


def gratings(theta, phase, size=SIZE, cycles=CYCLES, contrast=1.0):
    """Noise-free gratings, differentiable with respect to ``theta`` and ``phase``.

    Parameters
    ----------
    theta : tensor or array_like, shape (B,)
        Orientations, radians.
    phase : tensor or array_like, shape (B,)
        Spatial phases, radians.
    size : int
        Image side, pixels.
    cycles : float
        Cycles of the grating per image width.
    contrast : float
        Amplitude of the cosine.

    Returns
    -------
    torch.Tensor, shape (B, size**2)
        One vectorised image per row, dtype of ``theta``.
    """
    theta = _as_angles(theta)
    phase = _as_angles(phase, dtype=theta.dtype).to(theta.dtype)
    if phase.shape != theta.shape:
        raise ValueError(f"theta and phase need one entry per image; got shapes {tuple(theta.shape)} "
                         f"and {tuple(phase.shape)}")
    if int(size) < 2:
        raise ValueError(f"size must be an integer >= 2; got {size!r}")
    grid = (torch.arange(size, dtype=theta.dtype) - size / 2) / size
    y, x = torch.meshgrid(grid, grid, indexing="ij")
    x, y = x.reshape(1, -1), y.reshape(1, -1)
    along = x * torch.cos(theta)[:, None] + y * torch.sin(theta)[:, None]
    return contrast * torch.cos(2 * math.pi * cycles * along + phase[:, None])


def sample_nuisance(n_samples, generator, size=SIZE, dtype=torch.float64):
    """Random phases and standard-normal pixel noise, to be reused across orientations.

    Parameters
    ----------
    n_samples : int
        Number of noisy images S.
    generator : torch.Generator
        Seeded generator.
    size : int
        Image side, pixels.

    Returns
    -------
    phases : torch.Tensor, shape (S,)
        Uniform in [0, 2 pi).
    noise : torch.Tensor, shape (S, size**2)
        Standard normal (multiply by the noise s.d.).
    """
    require_torch_generator(generator)
    if int(n_samples) < 1:
        raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}")
    phases = 2 * math.pi * torch.rand(n_samples, generator=generator, dtype=dtype)
    noise = torch.randn(n_samples, size * size, generator=generator, dtype=dtype)
    return phases, noise


def make_network(generator, hidden=24, size=SIZE, n_outputs=2):
    """A two-layer network ``size**2 -> hidden (tanh) -> n_outputs``, initialised from ``generator``.

    Weights are normal with s.d. ``1/sqrt(fan-in)``, biases zero.

    Returns
    -------
    torch.nn.Sequential
        float32 parameters.
    """
    require_torch_generator(generator)
    hidden, n_outputs = as_positive_int(hidden, "hidden"), as_positive_int(n_outputs, "n_outputs")
    network = torch.nn.Sequential(torch.nn.Linear(size * size, hidden), torch.nn.Tanh(),
                                  torch.nn.Linear(hidden, n_outputs))
    with torch.no_grad():
        for layer in (network[0], network[2]):
            layer.weight.normal_(0.0, 1.0 / math.sqrt(layer.in_features), generator=generator)
            layer.bias.zero_()
    return network


def train_orientation_network(generator, n_steps=400, batch_size=256, learning_rate=0.01, hidden=24,
                              noise_sd=NOISE_SD, size=SIZE, sample_angles=None):
    """Train :func:`make_network` to report the orientation of noisy gratings (Adam, squared error).

    Each step draws a fresh batch: orientations, random phases and pixel noise. The
    targets are ``(cos 2 theta, sin 2 theta)``.

    Parameters
    ----------
    generator : torch.Generator
        Seeded generator for the initial weights and every batch.
    n_steps, batch_size : int
        Number of gradient steps and images per step.
    learning_rate : float
        Adam's step size.
    hidden : int
        Hidden units.
    noise_sd : float
        Pixel noise s.d. (contrast 1).
    size : int
        Image side, pixels.
    sample_angles : callable, optional
        ``sample_angles(n, generator) -> tensor (n,)`` of training orientations;
        uniform on [0, pi) by default.

    Returns
    -------
    network : torch.nn.Sequential
        The trained network (float32, in evaluation mode).
    losses : ndarray, shape (n_steps,)
        Mean squared error of each batch.
    """
    from course.progress import progress  # imports the widgets: only when a network is trained

    require_torch_generator(generator)
    network = make_network(generator, hidden=hidden, size=size)
    optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate)
    losses = np.empty(n_steps)
    for step in progress(range(n_steps), "training the orientation network"):
        if sample_angles is None:
            theta = math.pi * torch.rand(batch_size, generator=generator)
        else:
            theta = torch.as_tensor(sample_angles(batch_size, generator), dtype=torch.float32)
        phases, noise = sample_nuisance(batch_size, generator, size=size, dtype=torch.float32)
        images = gratings(theta, phases, size=size) + noise_sd * noise
        target = torch.stack([torch.cos(2 * theta), torch.sin(2 * theta)], dim=1)
        loss = torch.mean((network(images) - target) ** 2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses[step] = loss.item()
    return network.eval(), losses


def decode_orientation(outputs):
    """The orientation the network reports: half the angle of its 2-D output, in [0, pi).

    Parameters
    ----------
    outputs : torch.Tensor or ndarray, shape (..., 2)

    Returns
    -------
    ndarray, shape (...)
    """
    outputs = outputs.detach().numpy() if torch.is_tensor(outputs) else np.asarray(outputs, dtype=float)
    return np.mod(np.arctan2(outputs[..., 1], outputs[..., 0]) / 2, np.pi)


def _mean_output(network, theta, phases, noise, noise_sd, size):
    """Mean network output over the nuisance samples at one orientation (a differentiable scalar theta)."""
    images = gratings(theta.expand(len(phases)), phases, size=size) + noise_sd * noise
    return network(images), images


def output_statistics(network, theta, phases, noise, noise_sd=NOISE_SD, size=SIZE):
    """Mean output, its derivative with respect to theta (autograd), and output covariance.

    The same nuisance samples (phases and noise) are used at every orientation, so the
    mean output is a smooth function of theta that autograd can differentiate.

    Parameters
    ----------
    network : torch.nn.Module
        Maps (S, size**2) images to (S, K) outputs (run in float64 here).
    theta : float
        Orientation, radians.
    phases, noise : torch.Tensor, shapes (S,) and (S, size**2)
        From :func:`sample_nuisance`.
    noise_sd : float
        Pixel noise s.d.

    Returns
    -------
    mean : ndarray, shape (K,)
    derivative : ndarray, shape (K,)
        d mean / d theta, per radian.
    covariance : ndarray, shape (K, K)
        Unbiased covariance of the outputs across the S samples.
    """
    network = copy.deepcopy(network).double()
    angle = torch.tensor(float(theta), dtype=torch.float64, requires_grad=True)
    outputs, _ = _mean_output(network, angle, phases.double(), noise.double(), noise_sd, size)
    mean = outputs.mean(dim=0)
    derivative = torch.stack([torch.autograd.grad(m, angle, retain_graph=True)[0] for m in mean])
    values = outputs.detach().numpy()
    return mean.detach().numpy(), derivative.detach().numpy(), np.cov(values, rowvar=False)


def finite_difference_derivative(network, theta, phases, noise, step=1e-4, noise_sd=NOISE_SD, size=SIZE):
    """Central finite difference of the mean output, ``(m(theta + h) - m(theta - h)) / 2h``.

    Same arguments as :func:`output_statistics`, plus ``step`` (h, radians).

    Returns
    -------
    ndarray, shape (K,)
    """
    network = copy.deepcopy(network).double()
    with torch.no_grad():
        means = [
            _mean_output(network, torch.tensor(float(theta) + sign * step, dtype=torch.float64),
                         phases.double(), noise.double(), noise_sd, size)[0].mean(dim=0)
            for sign in (1, -1)
        ]
    return ((means[0] - means[1]) / (2 * step)).numpy()
