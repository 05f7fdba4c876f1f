"""Reference solutions for assignment 2.

Written independently of the notebook's solutions and in another formulation, so
that each cross-checks the other: here the NLL keeps the constant sum_i log(y_i!)
(the notebook drops it) and the gradient is written as the rate-weighted sum of
the images minus the spike-weighted sum (the STA, unnormalised, appears in it).
"""
import numpy as np
from scipy import optimize
from scipy.special import gammaln


def compute_NLL(k, x, y):
    """Poisson NLL, sum_i [exp(k.x_i) - y_i k.x_i + log(y_i!)], a float."""
    drive = x @ k
    return float(np.sum(np.exp(drive) - y * drive + gammaln(y + 1.0)))


def compute_dNLL_dk(k, x, y):
    """Gradient of the NLL, X^T exp(Xk) - X^T y, shape (n_pixels,)."""
    return np.exp(x @ k) @ x - y @ x


def nll_and_gradient(k, x, y):
    """The NLL without its constant and its gradient, sharing one pass of X @ k and one exp.

    What an optimiser should call: about two matrix-vector products in all.
    """
    drive = x @ k
    rates = np.exp(drive)
    return float(rates.sum() - y @ drive), (rates - y) @ x


def hessian(k, x):
    """Hessian of the NLL, X^T diag(exp(Xk)) X, shape (n_pixels, n_pixels)."""
    return (x * np.exp(x @ k)[:, None]).T @ x


def gradient_descent(x, y, init_guess, n_steps=500, alpha=1e-6):
    """``n_steps`` steps k <- k - alpha * grad from ``init_guess``; NLL[i] is the NLL after step i."""
    k = np.array(init_guess, dtype=float)
    trace = []
    for _ in range(n_steps):
        k -= alpha * compute_dNLL_dk(k, x, y)
        trace.append(compute_NLL(k, x, y))
    return k, np.array(trace)


def fit_mle(x, y, init_guess=None):
    """The maximum-likelihood filter, by Newton's method in scipy (exact gradient and Hessian)."""
    init_guess = np.zeros(x.shape[1]) if init_guess is None else init_guess
    result = optimize.minimize(nll_and_gradient, init_guess, args=(x, y), jac=True,
                               hess=lambda k, x, y: hessian(k, x), method="trust-exact",
                               options={"gtol": 1e-10})
    return result.x


def critical_step(k, x):
    """2 / lambda_max of the Hessian at ``k``: gradient descent near ``k`` diverges for larger steps."""
    return 2.0 / np.linalg.eigvalsh(hessian(k, x))[-1]
