"""Example submissions for assignment 3, with the grades they must get.

Correct answers written another way must get full marks; each common mistake
must lose exactly the test cells listed and be named in the feedback.
"""
from ..examples import Example, solution_for

POISSON_PUBLIC, POISSON_HIDDEN = "test_fisher_info_poisson_public", "test_fisher_info_poisson_hidden"
LINEAR_PUBLIC, LINEAR_HIDDEN = "test_linear_fisher_info_public", "test_linear_fisher_info_hidden"
ESTIMATE_PUBLIC, ESTIMATE_HIDDEN = "test_estimate_linear_fisher_public", "test_estimate_linear_fisher_hidden"


poisson = solution_for("fisher_info_poisson")
linear = solution_for("linear_fisher_info")
estimate = solution_for("estimate_linear_fisher")


def corrected_estimate(covariance: str, factor: str = "(2 * n_trials - n_neurons - 3) / (2 * n_trials - 2)",
                       term: str = " - 2 * n_neurons / (n_trials * dtheta**2)", flag: bool = True) -> dict[str, str]:
    """The model estimator with one part swapped for a mistake."""
    return estimate(
        "    dmu_hat = (responses_b.mean(axis=0) - responses_a.mean(axis=0)) / dtheta\n"
        f"    cov_hat = {covariance}\n"
        "    naive = linear_fisher_info(dmu_hat, cov_hat)\n"
        + ("    if not bias_correct:\n        return naive\n" if flag else "")
        + f"    return naive * {factor}{term}\n"
    )


AVERAGE = "(np.cov(responses_a, rowvar=False) + np.cov(responses_b, rowvar=False)) / 2"

# Written answers as a student would write them: plausible, partly incomplete, never the model
# answer or the mark scheme (those stay in source/). They are graded by hand.
WRITTEN_ANSWERS = {
    "answer_naive_bias": (
        "The estimated covariance is noisy, and when you invert it the small eigenvalues become huge, so "
        "the information comes out too big. The noise in the derivative estimate also adds a positive "
        "amount because it gets squared. The correction factor in front fixes the covariance part and the"
        " subtracted term fixes the derivative noise."
    ),
    "answer_step_size": (
        "If the step is too small the two orientations give almost the same responses, so the derivative "
        "is mostly noise and the information estimate gets biased up. If it is too large the tuning "
        "curves are not straight over the step and the difference underestimates the slope. So you pick "
        "something in between."
    ),
}


EXAMPLES = (
    Example("perfect"),
    Example(
        "blank",
        blank=True,
        loses=frozenset({POISSON_PUBLIC, POISSON_HIDDEN, LINEAR_PUBLIC, LINEAR_HIDDEN, ESTIMATE_PUBLIC,
                         ESTIMATE_HIDDEN}),
        diagnosis="is not implemented yet",
    ),
    # Correct answers in other styles: full marks.
    Example(
        "alternative-loops",
        answers={
            **poisson(
                "    total = 0.0\n"
                "    for rate, slope in zip(rates, rate_derivatives):\n"
                "        total += window * slope * slope / rate\n"
                "    return total\n"
            ),
            **linear("    return np.linalg.lstsq(cov, dmu, rcond=None)[0] @ dmu\n"),
            **estimate(
                "    def unbiased_cov(r):\n"
                "        centred = r - r.mean(axis=0)\n"
                "        out = np.zeros((n_neurons, n_neurons))\n"
                "        for trial in centred:\n"
                "            out += np.outer(trial, trial)\n"
                "        return out / (n_trials - 1)\n"
                "    slope = (responses_b.mean(0) - responses_a.mean(0)) / dtheta\n"
                "    info = slope @ np.linalg.inv((unbiased_cov(responses_a) + unbiased_cov(responses_b)) / 2) @ slope\n"
                "    if bias_correct:\n"
                "        info = info * (1 - (n_neurons + 1) / (2 * n_trials - 2)) - 2 * n_neurons / (n_trials * dtheta**2)\n"
                "    return info\n"
            ),
        },
    ),
    Example(
        "alternative-scipy-einsum",
        answers={
            **poisson("    return np.einsum('i,i,i->', rate_derivatives, rate_derivatives, 1 / rates) * window\n"),
            **linear(
                "    import scipy.linalg\n"
                "    return float(np.einsum('i,i->', dmu, scipy.linalg.cho_solve(scipy.linalg.cho_factor(cov), dmu)))\n"
            ),
            **estimate(
                "    both = np.stack([responses_a, responses_b])                      # (2, T, N)\n"
                "    centred = both - both.mean(axis=1, keepdims=True)\n"
                "    pooled = np.einsum('stn,stm->nm', centred, centred) / (2 * n_trials - 2)\n"
                "    fprime = np.diff(both.mean(axis=1), axis=0)[0] / dtheta\n"
                "    naive = linear_fisher_info(fprime, pooled)\n"
                "    bias = 2 * n_neurons / (n_trials * dtheta**2)\n"
                "    return naive * (2 * n_trials - n_neurons - 3) / (2 * n_trials - 2) - bias if bias_correct else naive\n"
            ),
        },
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "poisson-fprime-instead-of-ratio",
        answers=poisson("    return window * np.sum(rate_derivatives)\n"),
        loses=frozenset({POISSON_PUBLIC, POISSON_HIDDEN}),
        diagnosis="used f' instead of f'^2/f",
    ),
    Example(
        "poisson-forgets-window",
        answers=poisson("    return np.sum(rate_derivatives**2 / rates)\n"),
        loses=frozenset({POISSON_PUBLIC, POISSON_HIDDEN}),
        diagnosis="forgot the counting window",
    ),
    Example(
        "poisson-reads-notebook-globals",
        answers=poisson("    return count_window * np.sum(df_theta**2 / f_theta)\n"),
        loses=frozenset({POISSON_PUBLIC, POISSON_HIDDEN}),
        diagnosis="does it use variables from the notebook",
    ),
    Example(
        "linear-ignores-correlations",
        answers=linear("    return np.sum(dmu**2 / np.diag(cov))\n"),
        loses=frozenset({LINEAR_PUBLIC, LINEAR_HIDDEN}),
        diagnosis="inverted only the diagonal of the covariance",
    ),
    Example(
        "linear-multiplies-by-covariance",
        answers=linear("    return dmu @ cov @ dmu\n"),
        loses=frozenset({LINEAR_PUBLIC, LINEAR_HIDDEN}),
        diagnosis="multiplied by the covariance instead of its inverse",
    ),
    Example(
        "estimate-biased-covariances",
        answers=corrected_estimate("(np.cov(responses_a, rowvar=False, bias=True) "
                                   "+ np.cov(responses_b, rowvar=False, bias=True)) / 2"),
        loses=frozenset({ESTIMATE_PUBLIC, ESTIMATE_HIDDEN}),
        diagnosis="used biased (1/T) covariances",
    ),
    Example(
        "estimate-2T-3-denominator",
        answers=corrected_estimate(AVERAGE, factor="(2 * n_trials - n_neurons - 3) / (2 * n_trials - 3)"),
        loses=frozenset({ESTIMATE_PUBLIC, ESTIMATE_HIDDEN}),
        diagnosis="used the denominator 2T-3",
    ),
    Example(
        "estimate-no-derivative-noise-term",
        answers=corrected_estimate(AVERAGE, term=""),
        loses=frozenset({ESTIMATE_PUBLIC, ESTIMATE_HIDDEN}),
        diagnosis="left out the -2N/(T dtheta^2) term",
    ),
    Example(
        "estimate-one-stimulus-covariance",
        answers=corrected_estimate("np.cov(responses_a, rowvar=False)"),
        loses=frozenset({ESTIMATE_HIDDEN}),  # the public example has the same covariance at both stimuli
        diagnosis="used one stimulus's covariance",
    ),
    Example(
        "estimate-ignores-bias-correct",
        answers=corrected_estimate(AVERAGE, flag=False),
        loses=frozenset({ESTIMATE_PUBLIC, ESTIMATE_HIDDEN}),
        diagnosis="applied the bias correction although bias_correct=False",
    ),
)
