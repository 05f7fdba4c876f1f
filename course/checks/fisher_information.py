"""Public checks for assignment 3 (Fisher information).

Each check tries a tiny example small enough to work out by hand, plus the shape
and type of the answer, and says what it expected. Passing them is a good sign,
not full marks: the grader also runs hidden tests on other data.
"""
import numpy as np

from course.checks import as_number, call_unchanged, names_replaced


def check_fisher_info_poisson(fisher_info_poisson):
    """Two neurons at 10 and 40 Hz with slopes 10 and -20 Hz/rad, counted for half a second."""
    rates, slopes = np.array([10.0, 40.0]), np.array([10.0, -20.0])
    info = as_number(call_unchanged(fisher_info_poisson, rates, slopes, 0.5), "fisher_info_poisson")
    assert np.isclose(info, 10.0), (
        f"fisher_info_poisson gave {info:.4g}; by hand f'^2/f is 10^2/10 = 10 and (-20)^2/40 = 10 per second, "
        "so I = 0.5 s * (10 + 10) = 10 rad^-2."
    )
    print("fisher_info_poisson passes the public checks.")


def check_linear_fisher_info(linear_fisher_info):
    """Two independent neurons, then two correlated ones."""
    independent = as_number(call_unchanged(linear_fisher_info, np.array([1.0, 2.0]), np.diag([1.0, 4.0])),
                             "linear_fisher_info")
    assert np.isclose(independent, 2.0), (
        f"linear_fisher_info gave {independent:.4g} for dmu = [1, 2], Sigma = diag(1, 4); by hand "
        "1^2/1 + 2^2/4 = 2."
    )
    correlated = as_number(call_unchanged(linear_fisher_info, np.array([1.0, 1.0]), np.array([[2.0, 1.0], [1.0, 2.0]])),
                            "linear_fisher_info")
    assert np.isclose(correlated, 2 / 3), (
        f"linear_fisher_info gave {correlated:.4g} for dmu = [1, 1], Sigma = [[2, 1], [1, 2]]; by hand "
        "Sigma^-1 = [[2, -1], [-1, 2]] / 3, so dmu^T Sigma^-1 dmu = (2 - 1 - 1 + 2) / 3 = 2/3. (Ignoring the "
        "correlation would give 1: positive correlations along dmu reduce the information.)"
    )
    print("linear_fisher_info passes the public checks.")


def require_neuron_by_neuron(dmu, cov):
    """A covariance of the wrong shape usually means np.cov took each trial as a variable."""
    dmu, cov = np.asarray(dmu, dtype=float).reshape(-1), np.asarray(cov, dtype=float)
    assert cov.shape == (dmu.size, dmu.size), (
        f"linear_fisher_info was given a covariance of shape {cov.shape} for {dmu.size} neurons: one row per "
        "neuron is needed. np.cov treats each row as a variable unless you pass rowvar=False."
    )
    return dmu, cov


def _diagonal_information(dmu, cov):
    """sum_i dmu_i^2 / cov_ii: the linear information when the covariance is diagonal, as in the example below."""
    dmu, cov = require_neuron_by_neuron(dmu, cov)
    return float(np.sum(dmu**2 / np.diag(cov)))


def check_estimate_linear_fisher(estimate_linear_fisher):
    """Two uncorrelated neurons, three trials per stimulus, one radian apart."""
    # Neuron 1 deviates by (-1, 0, 1) from its mean (variance 1), neuron 2 by (1, -2, 1) (variance 3):
    # orthogonal deviations, so the sample covariance is diagonal.
    responses_a = np.array([[0.0, 1.0], [1.0, -2.0], [2.0, 1.0]])
    responses_b = responses_a + np.array([2.0, 3.0])
    # If it calls linear_fisher_info, give it one that is right for this example's diagonal covariance,
    # so that a mistake there is counted once, in linear_fisher_info's own checks.
    with names_replaced(estimate_linear_fisher, linear_fisher_info=_diagonal_information):
        corrected = as_number(call_unchanged(estimate_linear_fisher, responses_a, responses_b, 1.0),
                               "estimate_linear_fisher")
        naive = as_number(estimate_linear_fisher(responses_a, responses_b, 1.0, bias_correct=False),
                           "estimate_linear_fisher(..., bias_correct=False)")
    assert np.isclose(naive, 7.0), (
        f"with bias_correct=False estimate_linear_fisher gave {naive:.4g}; by hand f' = [2, 3] / 1, the unbiased "
        "covariance of either stimulus is diag(1, 3), so the naive estimate is 2^2/1 + 3^2/3 = 7."
    )
    assert np.isclose(corrected, 5 / 12), (
        f"estimate_linear_fisher gave {corrected:.4g}; by hand (T = 3, N = 2) the corrected estimate is "
        "7 * (2*3 - 2 - 3) / (2*3 - 2) - 2*2 / (3 * 1^2) = 7/4 - 4/3 = 5/12 = 0.4167."
    )
    print("estimate_linear_fisher passes the public checks.")
