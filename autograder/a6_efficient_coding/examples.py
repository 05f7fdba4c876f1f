"""Example submissions for assignment 6, with the grades they must get.

Correct answers written another way must get full marks; each common mistake
must lose exactly the test cells listed and be named in the feedback.
"""
from ..examples import Example, solution_for

SQRT_PUBLIC, SQRT_HIDDEN = "test_normalized_sqrt_fisher_public", "test_normalized_sqrt_fisher_hidden"
POWER_PUBLIC, POWER_HIDDEN = "test_fit_power_law_public", "test_fit_power_law_hidden"

normalized = solution_for("normalized_sqrt_fisher")
power_law = solution_for("fit_power_law")

# Written answers as a student would write them: plausible, partly incomplete, never the model
# answer or the mark scheme (those stay in source/). They are graded by hand.
WRITTEN_ANSWERS = {
    "answer_theory_vs_network": (
        "My exponent for squared error was positive but not exactly 2/3, and far from 2. The network "
        "roughly follows the trend of the theory but not exactly. One reason is that it was trained for a"
        " limited time on finite data, so it may not have reached the optimum; another is that the theory"
        " assumes a fixed total Fisher information and the network has no such constraint."
    ),
    "answer_loss_exponent": (
        "A smaller $p$ gave a bigger exponent, which is the direction the theory predicts, although the "
        "size of the change was not exactly the same. With a small $p$ big errors are not punished much "
        "more than medium ones, so it is better to be very precise where most stimuli are."
    ),
    "answer_linear_encoding": (
        "With one linear output the orientation has to be mapped onto a line, but 0° and 180° are the "
        "same image, so the output has to go up and then come back down. Where it turns around the slope "
        "is zero and the Fisher information is zero, and where it jumps back near 0°/180° the slope is "
        "very large."
    ),
}


EXAMPLES = (
    Example("perfect"),
    Example(
        "blank",
        blank=True,
        loses=frozenset({SQRT_PUBLIC, SQRT_HIDDEN, POWER_PUBLIC, POWER_HIDDEN}),
        diagnosis="is not implemented yet",
    ),
    # Correct answers in another style (the trapezoid rule written out, base-10 logarithms, scipy): full marks.
    Example(
        "alternative-loop-linregress",
        answers={
            **normalized(
                "    root = fisher ** 0.5\n"
                "    area = 0.0\n"
                "    for i in range(len(thetas) - 1):\n"
                "        area += (thetas[i + 1] - thetas[i]) * (root[i] + root[i + 1]) / 2\n"
                "    return root / area\n"
            ),
            **power_law(
                "    from scipy import stats\n"
                "    with np.errstate(divide='ignore', invalid='ignore'):\n"
                "        x, y = np.log10(prior), np.log10(fisher)\n"
                "    usable = np.isfinite(x) & np.isfinite(y)\n"
                "    return stats.linregress(x[usable], y[usable]).slope\n"
            ),
        },
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "sqrt-fisher-no-square-root",
        answers=normalized("    return fisher / np.trapezoid(fisher, thetas)\n"),
        loses=frozenset({SQRT_PUBLIC, SQRT_HIDDEN}),
        diagnosis="normalised the Fisher information itself",
    ),
    Example(
        "power-law-regresses-prior-on-fisher",
        answers=power_law(
            "    keep = (prior > 0) & (fisher > 0)\n"
            "    return np.polyfit(np.log(fisher[keep]), np.log(prior[keep]), 1)[0]\n"
        ),
        loses=frozenset({POWER_PUBLIC, POWER_HIDDEN}),
        diagnosis="regressed log prior on log FI",
    ),
    Example(
        "power-law-keeps-non-positive-values",
        answers=power_law("    return np.polyfit(np.log(prior), np.log(fisher), 1)[0]\n"),
        loses=frozenset({POWER_PUBLIC, POWER_HIDDEN}),
        diagnosis="did not leave out the points",
    ),
)
