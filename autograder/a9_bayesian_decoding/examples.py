"""Example submissions for assignment 9, with the grades they must get.

Correct answers written another way must get full marks; each common mistake
must lose exactly the test cells listed and be named in the feedback.
"""
from ..examples import Example, solution_for

POSTERIOR_PUBLIC, POSTERIOR_HIDDEN = "test_log_posterior_public", "test_log_posterior_hidden"
MAP_PUBLIC, MAP_HIDDEN = "test_map_estimate_public", "test_map_estimate_hidden"
MEAN_PUBLIC, MEAN_HIDDEN = "test_circular_posterior_mean_public", "test_circular_posterior_mean_hidden"
POSTERIOR_CELLS = frozenset({POSTERIOR_PUBLIC, POSTERIOR_HIDDEN})

posterior = solution_for("log_posterior")
map_estimate = solution_for("map_estimate")
circular_mean = solution_for("circular_posterior_mean")


def log_posterior_with(log_likelihood: str, prior: str = " + log_prior") -> dict[str, str]:
    """A log posterior normalised with logsumexp, from the given log-likelihood and prior term."""
    return posterior(
        f"    log_likelihood = {log_likelihood}\n"
        f"    unnormalised = log_likelihood{prior}\n"
        "    return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)\n"
    )


SAFE_LOG = "np.log(np.where(expected > 0, expected, 1.0))"
SILENT = "    log_likelihood[(counts > 0) @ (expected == 0).T] = -np.inf\n"
CORRECT_LIKELIHOOD = f"counts @ {SAFE_LOG}.T - expected.sum(axis=1)\n" + SILENT.rstrip("\n")


# The written answers of every example student (never the model answer; graded by hand).
WRITTEN_ANSWERS = {
    "answer_beats_bound": (
        "The Cramér-Rao bound is only for unbiased estimators. The prior pulls the MAP estimate towards 45 "
        "degrees, so it is biased, and at 45 degrees this shrinking makes the error smaller than 1/I because the "
        "prior adds information the spikes do not have. At 85 degrees the estimate is pulled the wrong way, so "
        "the bias adds to the error and it is above the bound."
    ),
    "answer_population_vector": (
        "The population vector gives every neuron a fixed weight from its preferred orientation and ignores "
        "how noisy it is and how steep its tuning curve is, while the best decoder weights neurons by their "
        "slope over their rate. So it does not reach the bound even with many spikes. It would be efficient if "
        "the log tuning curves were exactly cosines with no baseline and the preferences evenly spread."
    ),
}

EXAMPLES = (
    Example("perfect"),
    Example(
        "blank",
        blank=True,
        loses=frozenset({POSTERIOR_PUBLIC, POSTERIOR_HIDDEN, MAP_PUBLIC, MAP_HIDDEN, MEAN_PUBLIC, MEAN_HIDDEN}),
        diagnosis="is not implemented yet",
    ),
    # Correct answers in other styles: full marks.
    Example(
        "alternative-xlogy-loop",
        answers={
            **posterior(
                "    from scipy.special import xlogy\n"
                "    result = np.empty((counts.shape[0], expected.shape[0]))\n"
                "    for g, mean in enumerate(expected):  # one grid orientation at a time\n"
                "        result[:, g] = xlogy(counts, mean).sum(axis=1) - mean.sum() + log_prior[g]\n"
                "    return result - logsumexp(result, axis=1, keepdims=True)\n"
            ),
            **map_estimate("    return np.take(grid, np.asarray(log_posterior).argmax(axis=-1))\n"),
            **circular_mean(
                "    weights = np.exp(log_posterior - log_posterior.max(axis=1, keepdims=True))  # unnormalised\n"
                "    s, c = weights @ np.sin(2 * grid), weights @ np.cos(2 * grid)\n"
                "    return np.arctan2(s, c) / 2  # in (-pi/2, pi/2]: the same orientations\n"
            ),
        },
    ),
    Example(
        "alternative-density-manual-logsumexp",
        answers=posterior(
            "    with np.errstate(divide='ignore'):\n"
            "        log_rates = np.log(expected)  # -inf where silent\n"
            "    silent = np.isinf(log_rates)\n"
            "    unnormalised = counts @ np.where(silent, 0.0, log_rates).T - expected.sum(axis=1) + log_prior\n"
            "    unnormalised[counts @ silent.T.astype(float) > 0] = -np.inf\n"
            "    top = unnormalised.max(axis=1, keepdims=True)\n"
            "    log_mass = unnormalised - top - np.log(np.exp(unnormalised - top).sum(axis=1, keepdims=True))\n"
            "    return log_mass - np.log(np.pi / expected.shape[0])  # a density over [0, pi)\n"
        ),
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "posterior-forgets-window",
        answers=log_posterior_with(f"counts @ {SAFE_LOG}.T - tuning_curves.sum(axis=1)\n" + SILENT.rstrip("\n")),
        loses=POSTERIOR_CELLS,
        diagnosis="forgot the counting window",
    ),
    Example(
        "posterior-drops-rate-term",
        answers=log_posterior_with(f"counts @ {SAFE_LOG}.T\n" + SILENT.rstrip("\n")),
        loses=POSTERIOR_CELLS,
        diagnosis="dropped the -f T term",
    ),
    Example(
        "posterior-prior-twice",
        answers=log_posterior_with(CORRECT_LIKELIHOOD, prior=" + log_prior + log_prior"),
        loses=POSTERIOR_CELLS,
        diagnosis="added the log prior twice",
    ),
    Example(
        "posterior-ignores-prior",
        answers=log_posterior_with(CORRECT_LIKELIHOOD, prior=""),
        loses=POSTERIOR_CELLS,
        diagnosis="ignored the prior",
    ),
    Example(
        "posterior-probability-space",
        answers=posterior(
            f"    log_likelihood = {CORRECT_LIKELIHOOD}\n"
            "    with np.errstate(all='ignore'):\n"
            "        probabilities = np.exp(log_likelihood + log_prior)\n"
            "        return np.log(probabilities / probabilities.sum(axis=1, keepdims=True))\n"
        ),
        loses=POSTERIOR_CELLS,
        diagnosis="normalised in probability space",
    ),
    Example(
        "posterior-zero-rates-nan",
        answers=posterior(
            "    with np.errstate(all='ignore'):\n"
            "        unnormalised = counts @ np.log(expected).T - expected.sum(axis=1) + log_prior\n"
            "    return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)\n"
        ),
        loses=POSTERIOR_CELLS,
        diagnosis="0 log 0 = 0",
    ),
    Example(
        "posterior-normalises-prior-in-place",
        answers=posterior(
            "    log_prior -= logsumexp(log_prior)  # changes the caller's array\n"
            f"    log_likelihood = {CORRECT_LIKELIHOOD}\n"
            "    unnormalised = log_likelihood + log_prior\n"
            "    return unnormalised - logsumexp(unnormalised, axis=1, keepdims=True)\n"
        ),
        loses=POSTERIOR_CELLS,
        diagnosis="in place",
    ),
    Example(
        "map-returns-index",
        answers=map_estimate("    return np.argmax(log_posterior, axis=1)\n"),
        loses=frozenset({MAP_PUBLIC, MAP_HIDDEN}),
        diagnosis="returned the index of the most probable grid point",
    ),
    Example(
        "mean-arithmetic",
        answers=circular_mean(
            "    return np.exp(log_posterior - logsumexp(log_posterior, axis=1, keepdims=True)) @ grid\n"
        ),
        loses=frozenset({MEAN_PUBLIC, MEAN_HIDDEN}),
        diagnosis="took the arithmetic mean of the angles",
    ),
    Example(
        "mean-angles-not-doubled",
        answers=circular_mean(
            "    weights = np.exp(log_posterior - logsumexp(log_posterior, axis=1, keepdims=True))\n"
            "    return np.mod(np.angle(weights @ np.exp(1j * grid)), np.pi)\n"
        ),
        loses=frozenset({MEAN_PUBLIC, MEAN_HIDDEN}),
        diagnosis="averaged (cos theta, sin theta)",
    ),
)
