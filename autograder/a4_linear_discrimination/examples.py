"""Example submissions for assignment 4, with the grades they must get."""
from ..examples import Example, solution_for

W_PUBLIC, W_HIDDEN = "test_optimal_linear_discriminant_public", "test_optimal_linear_discriminant_hidden"
D_PUBLIC, D_HIDDEN = "test_dprime_public", "test_dprime_hidden"
P_PUBLIC, P_HIDDEN = "test_percent_correct_public", "test_percent_correct_hidden"


discriminant = solution_for("optimal_linear_discriminant")
dprime_answer = solution_for("dprime")
percent_answer = solution_for("percent_correct")


# Written answers as a student would write them: plausible, partly incomplete, never the model
# answer or the mark scheme (those stay in source/). They are graded by hand.
WRITTEN_ANSWERS = {
    "answer_lower_bound": (
        "The decoder only uses one direction $\\mathbf{w}$, and the best possible direction gives the full"
        " linear Fisher information, so any other direction can only give less. With finite data the "
        "weights are estimated with noise, so they are not the optimal ones. More trials make the "
        "estimate better and the bound tighter."
    ),
    "answer_training_vs_held_out": (
        "On the training trials the decoder has also fitted the noise of those trials, so it looks better"
        " than it is (overfitting). You should report the held-out value."
    ),
}


EXAMPLES = (
    Example("perfect"),
    Example("blank", blank=True, loses=frozenset({W_PUBLIC, W_HIDDEN, D_PUBLIC, D_HIDDEN, P_PUBLIC, P_HIDDEN}),
            diagnosis="is not implemented yet"),
    # Correct answers in other styles: full marks.
    Example(
        "alternative-sklearn-scipy",
        answers={
            **discriminant(
                "    responses = np.vstack([responses_a, responses_b])\n"
                "    labels = np.repeat([0, 1], [len(responses_a), len(responses_b)])\n"
                "    return LinearDiscriminantAnalysis().fit(responses, labels).coef_[0]  # same direction\n"
            ),
            **dprime_answer(
                "    return (projections_b.mean() - projections_a.mean()) / np.sqrt(\n"
                "        (projections_a.var() + projections_b.var()) / 2)  # variances normalised by n\n"
            ),
            **percent_answer("    return stats.norm.cdf(dprime / 2)\n"),
        },
    ),
    Example(
        "alternative-loops",
        answers={
            **discriminant(
                "    n_neurons = responses_a.shape[1]\n"
                "    scatter = np.zeros((n_neurons, n_neurons))\n"
                "    for responses in (responses_a, responses_b):\n"
                "        for trial in responses:\n"
                "            deviation = trial - responses.mean(axis=0)\n"
                "            scatter += np.outer(deviation, deviation)\n"
                "    pooled = scatter / (len(responses_a) + len(responses_b) - 2)\n"
                "    return np.linalg.inv(pooled) @ (responses_b.mean(axis=0) - responses_a.mean(axis=0))\n"
            ),
            **dprime_answer(
                "    squares = sum(((p - p.mean()) ** 2).sum() for p in (projections_a, projections_b))\n"
                "    spread = np.sqrt(squares / (len(projections_a) + len(projections_b) - 2))\n"
                "    return (projections_b.mean() - projections_a.mean()) / spread\n"
            ),
            **percent_answer("    return 100 * stats.norm.cdf(dprime / 2)  # as a percentage\n"),
        },
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "discriminant-wrong-sign",
        answers=discriminant(
            "    n_a, n_b = len(responses_a), len(responses_b)\n"
            "    pooled = ((n_a - 1) * np.cov(responses_a, rowvar=False)\n"
            "              + (n_b - 1) * np.cov(responses_b, rowvar=False)) / (n_a + n_b - 2)\n"
            "    return np.linalg.solve(pooled, responses_a.mean(axis=0) - responses_b.mean(axis=0))\n"
        ),
        loses=frozenset({W_PUBLIC, W_HIDDEN}),
        diagnosis="subtracted the means the wrong way round",
    ),
    Example(
        "discriminant-ignores-covariance",
        answers=discriminant("    return responses_b.mean(axis=0) - responses_a.mean(axis=0)\n"),
        loses=frozenset({W_PUBLIC, W_HIDDEN}),
        diagnosis="without solving with the covariance",
    ),
    Example(
        "discriminant-one-stimulus-covariance",
        answers=discriminant(
            "    covariance = np.cov(responses_a, rowvar=False)\n"
            "    return np.linalg.solve(covariance, responses_b.mean(axis=0) - responses_a.mean(axis=0))\n"
        ),
        loses=frozenset({W_HIDDEN}),  # in the public example both stimuli share the same noise
        diagnosis="covariance of one stimulus only",
    ),
    Example(
        "discriminant-reads-the-model",
        answers=discriminant("    return np.linalg.solve(covariance, mean_derivative)  # the model's truth\n"),
        loses=frozenset({W_PUBLIC, W_HIDDEN}),
        diagnosis="reads the notebook variable(s) covariance, mean_derivative",
    ),
    Example(
        "dprime-unnormalised",
        answers=dprime_answer("    return projections_b.mean() - projections_a.mean()\n"),
        loses=frozenset({D_PUBLIC, D_HIDDEN}),
        diagnosis="did not divide by the spread of the projections",
    ),
    Example(
        "dprime-total-spread",
        answers=dprime_answer(
            "    everything = np.concatenate([projections_a, projections_b])\n"
            "    return (projections_b.mean() - projections_a.mean()) / everything.std(ddof=1)\n"
        ),
        loses=frozenset({D_PUBLIC, D_HIDDEN}),
        diagnosis="standard deviation of all projections together",
    ),
    Example(
        "percent-phi-of-dprime",
        answers=percent_answer("    return stats.norm.cdf(dprime)\n"),
        loses=frozenset({P_PUBLIC, P_HIDDEN}),
        diagnosis="instead of Phi(d'/2)",
    ),
    Example(
        "percent-two-interval-formula",
        answers=percent_answer("    return stats.norm.cdf(dprime / np.sqrt(2))\n"),
        loses=frozenset({P_PUBLIC, P_HIDDEN}),
        diagnosis="two-interval forced-choice formula",
    ),
)
