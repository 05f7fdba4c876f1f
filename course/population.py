"""A population of orientation-tuned neurons: tuning curves, spike counts, correlated noise.

Orientations are angles in radians with period pi (a grating at theta and at
theta + pi is the same grating). Each neuron ``i`` has a von Mises tuning curve

    f_i(theta) = baseline + (peak_rate - baseline) * exp(kappa * (cos(2 (theta - phi_i)) - 1))

in spikes per second (Hz), peaking at its preferred orientation ``phi_i``.
Responses are spike counts in a window of ``window`` seconds: either independent
Poisson counts, or Gaussian counts with Poisson-like variances (variance = mean
count) and *limited-range* correlations, which fall off with the difference of
preferred orientations.

Arrays of responses have one row per trial and one column per neuron: shape
``(n_trials, n_neurons)``.
"""

import numpy as np

from course.validation import as_flat_vector, as_positive_int, require_generator

__all__ = [
    "differential_covariance",
    "gaussian_responses",
    "limited_range_covariance",
    "orientation_difference",
    "poisson_counts",
    "preferred_orientations",
    "sample_stimulus_pair",
    "von_mises_derivative",
    "von_mises_tuning",
]


def _positive(value, name):
    """A finite float > 0, or a ValueError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number > 0; got {value!r}") from None
    if not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return number


def _theta(theta):
    array = np.asarray(theta, dtype=float)
    if not np.all(np.isfinite(array)):
        raise ValueError("theta must contain only finite angles (radians)")
    return array


def preferred_orientations(n_neurons):
    """Preferred orientations spread evenly over [0, pi).

    Parameters
    ----------
    n_neurons : int
        Number of neurons N.

    Returns
    -------
    ndarray, shape (N,)
        ``pi * i / N`` for i = 0 ... N-1, in radians.
    """
    n_neurons = as_positive_int(n_neurons, "n_neurons")
    return np.pi * np.arange(n_neurons) / n_neurons


def _tuning_parameters(preferred, peak_rate, baseline, kappa):
    preferred = as_flat_vector(preferred, "preferred")
    peak_rate = _positive(peak_rate, "peak_rate")
    baseline = _positive(baseline, "baseline")
    kappa = _positive(kappa, "kappa")
    if baseline >= peak_rate:
        raise ValueError(f"baseline ({baseline}) must be smaller than peak_rate ({peak_rate})")
    return preferred, peak_rate, baseline, kappa


def von_mises_tuning(theta, preferred, peak_rate=20.0, baseline=2.0, kappa=2.0):
    """Firing rates of von Mises tuned neurons.

    Parameters
    ----------
    theta : float or ndarray, shape (...)
        Stimulus orientation(s), radians.
    preferred : ndarray, shape (N,)
        Preferred orientation of each neuron, radians.
    peak_rate, baseline : float
        Rate at the preferred and at the orthogonal orientation, Hz (0 < baseline < peak_rate).
    kappa : float
        Concentration (> 0): larger is more sharply tuned.

    Returns
    -------
    ndarray, shape (..., N)
        Rates in Hz, all >= baseline > 0.
    """
    preferred, peak_rate, baseline, kappa = _tuning_parameters(preferred, peak_rate, baseline, kappa)
    angle = 2.0 * (_theta(theta)[..., np.newaxis] - preferred)
    return baseline + (peak_rate - baseline) * np.exp(kappa * (np.cos(angle) - 1.0))


def von_mises_derivative(theta, preferred, peak_rate=20.0, baseline=2.0, kappa=2.0):
    """Derivative of :func:`von_mises_tuning` with respect to theta.

    Same parameters as :func:`von_mises_tuning`.

    Returns
    -------
    ndarray, shape (..., N)
        df_i/dtheta in Hz per radian.
    """
    preferred, peak_rate, baseline, kappa = _tuning_parameters(preferred, peak_rate, baseline, kappa)
    angle = 2.0 * (_theta(theta)[..., np.newaxis] - preferred)
    bump = (peak_rate - baseline) * np.exp(kappa * (np.cos(angle) - 1.0))
    return -2.0 * kappa * np.sin(angle) * bump


def poisson_counts(rates, window, n_trials, rng):
    """Independent Poisson spike counts in a counting window.

    Parameters
    ----------
    rates : ndarray, shape (N,)
        Firing rates, Hz (>= 0).
    window : float
        Counting window, seconds (> 0).
    n_trials : int
        Number of trials T.
    rng : numpy.random.Generator
        Seeded generator.

    Returns
    -------
    ndarray, shape (T, N), int
        Spike counts, Poisson with mean ``rates * window``.
    """
    rates = as_flat_vector(rates, "rates")
    if np.any(rates < 0):
        raise ValueError("rates must be >= 0 (spikes per second)")
    window = _positive(window, "window")
    n_trials = as_positive_int(n_trials, "n_trials")
    require_generator(rng)
    return rng.poisson(rates * window, size=(n_trials, rates.size))


def orientation_difference(a, b):
    """Smallest angle between orientations (period pi), radians in [0, pi/2]."""
    difference = np.mod(np.asarray(a, dtype=float) - np.asarray(b, dtype=float), np.pi)
    return np.minimum(difference, np.pi - difference)


def limited_range_covariance(variances, preferred, correlation=0.3, length=0.5):
    """Covariance with limited-range correlations.

    ``Sigma_ij = sqrt(v_i v_j) * c_ij`` with ``c_ii = 1`` and, for i != j,
    ``c_ij = correlation * exp(-d_ij / length)``, where ``d_ij`` is the difference of
    preferred orientations (period pi). Neurons with similar preferences are the most
    correlated. The matrix is positive definite for 0 <= correlation < 1.

    Parameters
    ----------
    variances : ndarray, shape (N,)
        Variance of each neuron's count (> 0), e.g. its mean count (Poisson-like).
    preferred : ndarray, shape (N,)
        Preferred orientations, radians.
    correlation : float
        Correlation of two neurons with the same preference, in [0, 1).
    length : float
        Range of the correlations, radians (> 0).

    Returns
    -------
    ndarray, shape (N, N)
    """
    variances = as_flat_vector(variances, "variances")
    preferred = as_flat_vector(preferred, "preferred")
    if variances.shape != preferred.shape:
        raise ValueError(
            f"variances and preferred need one entry per neuron; got shapes {variances.shape} and {preferred.shape}"
        )
    if np.any(variances <= 0):
        raise ValueError("variances must be > 0")
    if not 0.0 <= float(correlation) < 1.0:
        raise ValueError(f"correlation must lie in [0, 1); got {correlation!r}")
    length = _positive(length, "length")
    distance = orientation_difference(preferred[:, np.newaxis], preferred[np.newaxis, :])
    coefficients = correlation * np.exp(-distance / length)
    np.fill_diagonal(coefficients, 1.0)
    scale = np.sqrt(variances)
    return coefficients * np.outer(scale, scale)


def differential_covariance(covariance, mean_derivative, epsilon):
    """Add information-limiting ("differential") correlations: ``Sigma + epsilon f' f'^T``.

    Parameters
    ----------
    covariance : ndarray, shape (N, N)
    mean_derivative : ndarray, shape (N,)
        f'(theta), the derivative of the mean response.
    epsilon : float
        Strength (>= 0), in rad^2: the variance of the noise in the stimulus estimate it adds.

    Returns
    -------
    ndarray, shape (N, N)
    """
    covariance = np.asarray(covariance, dtype=float)
    mean_derivative = as_flat_vector(mean_derivative, "mean_derivative")
    if covariance.shape != (mean_derivative.size, mean_derivative.size):
        raise ValueError(
            f"covariance must have shape (N, N) = {(mean_derivative.size,) * 2}; got {covariance.shape}"
        )
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be a finite number >= 0; got {epsilon!r}")
    return covariance + epsilon * np.outer(mean_derivative, mean_derivative)


def gaussian_responses(mean, covariance, n_trials, rng):
    """Multivariate Gaussian responses.

    Parameters
    ----------
    mean : ndarray, shape (N,)
    covariance : ndarray, shape (N, N)
        Symmetric positive definite.
    n_trials : int
        Number of trials T.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (T, N)
    """
    mean = as_flat_vector(mean, "mean")
    covariance = np.asarray(covariance, dtype=float)
    if covariance.shape != (mean.size, mean.size):
        raise ValueError(f"covariance must have shape (N, N) = {(mean.size,) * 2}; got {covariance.shape}")
    n_trials = as_positive_int(n_trials, "n_trials")
    require_generator(rng)
    try:
        factor = np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        raise ValueError("covariance must be symmetric positive definite") from None
    return mean + rng.standard_normal((n_trials, mean.size)) @ factor.T


def sample_stimulus_pair(mean, mean_derivative, covariance, dtheta, n_trials, rng):
    """T Gaussian trials at each of theta - dtheta/2 and theta + dtheta/2.

    The means are the tuning curves' linearisation, ``mean -/+ mean_derivative * dtheta / 2``,
    so that the linear Fisher information of the data is exactly
    ``mean_derivative^T covariance^-1 mean_derivative`` whatever dtheta.

    Parameters
    ----------
    mean : ndarray, shape (N,)
        Mean counts at theta.
    mean_derivative : ndarray, shape (N,)
        Their derivative with respect to theta, counts per radian.
    covariance : ndarray, shape (N, N)
        Noise covariance, the same at both stimuli.
    dtheta : float
        Difference of the two orientations, radians (> 0).
    n_trials : int
        Trials per stimulus T.
    rng : numpy.random.Generator

    Returns
    -------
    responses_a, responses_b : ndarray, shape (T, N)
        Trials at theta - dtheta/2 and at theta + dtheta/2.
    """
    mean = as_flat_vector(mean, "mean")
    mean_derivative = as_flat_vector(mean_derivative, "mean_derivative")
    if mean.shape != mean_derivative.shape:
        raise ValueError(f"mean and mean_derivative differ in shape: {mean.shape} and {mean_derivative.shape}")
    step = _positive(dtheta, "dtheta") / 2 * mean_derivative
    responses_a = gaussian_responses(mean - step, covariance, n_trials, rng)
    responses_b = gaussian_responses(mean + step, covariance, n_trials, rng)
    return responses_a, responses_b
