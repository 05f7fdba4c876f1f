"""Reference solutions for assignment 6.

Written independently of the notebook's solutions and in another formulation (the
trapezoid rule written out as interval widths times mean heights, and the slope as a
ratio of centred sums), so that each cross-checks the other.
"""
import numpy as np


def normalized_sqrt_fisher(fisher, thetas):
    """sqrt(FI) divided by its trapezoid-rule integral over the grid ``thetas``."""
    root = np.sqrt(np.asarray(fisher, dtype=float))
    thetas = np.asarray(thetas, dtype=float)
    area = np.sum(np.diff(thetas) * (root[1:] + root[:-1]) / 2)
    return root / area


def positive_logs(prior, fisher):
    """log prior and log FI at the points where both are > 0 (elsewhere there is no logarithm)."""
    prior, fisher = np.asarray(prior, dtype=float).reshape(-1), np.asarray(fisher, dtype=float).reshape(-1)
    keep = (prior > 0) & (fisher > 0)
    return np.log(prior[keep]), np.log(fisher[keep])


def fit_power_law(prior, fisher):
    """Least-squares slope of log FI on log prior (with an intercept): the alpha of FI = c prior^alpha."""
    x, y = positive_logs(prior, fisher)
    x, y = x - x.mean(), y - y.mean()
    return float(np.sum(x * y) / np.sum(x * x))
