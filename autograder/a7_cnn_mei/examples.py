"""Example submissions for assignment 7, with the grades they must get.

Correct answers written another way must get full marks; each common mistake must
lose exactly the test cells listed and be named in the feedback. Every example runs
the whole notebook, CNN training included: the list is kept short.
"""
from ..examples import Example, solution_for

O_PUBLIC, O_HIDDEN = "test_oracle_correlation_public", "test_oracle_correlation_hidden"
G_PUBLIC, G_HIDDEN = "test_gabor_patch_public", "test_gabor_patch_hidden"
M_PUBLIC, M_HIDDEN = "test_mei_step_public", "test_mei_step_hidden"

oracle = solution_for("oracle_correlation")
gabor = solution_for("gabor_patch")
step = solution_for("mei_step")

# Written answers as a student would write them: plausible, partly incomplete, never the model
# answer or the mark scheme (those stay in source/). They are graded by hand.
WRITTEN_ANSWERS = {
    "answer_mei_vs_gabor": (
        "First, some neurons are not Gabor-like at all, for example the one that responded to two "
        "orientations together. Second, the model is only an approximation of the neuron, so its MEI can "
        "have features the real neuron would not care about. Third, the optimisation depends on the "
        "settings like the norm constraint and the starting noise. The first is about the neuron, the "
        "other two about the model and the method."
    ),
    "answer_oracle": (
        "The oracle is the correlation between a single trial and the average of the other repeats, so it"
        " says how predictable the responses are from the stimulus. It is a ceiling because no model can "
        "predict the trial noise. With few repeats the average is noisy so it is too low. It is used to "
        "pick neurons that have enough signal to be worth modelling."
    ),
}


EXAMPLES = (
    Example("perfect"),
    Example("blank", blank=True, loses=frozenset({O_PUBLIC, O_HIDDEN, G_PUBLIC, G_HIDDEN, M_PUBLIC, M_HIDDEN}),
            diagnosis="is not implemented yet"),
    # Correct answers in another style (loops, meshgrid, a sum of squares): full marks.
    Example(
        "alternative-loops",
        answers={
            **oracle(
                "    trials, others = [], []\n"
                "    for image in responses:\n"
                "        for r in range(n_repeats):\n"
                "            trials.append(image[r])\n"
                "            others.append(np.mean(np.delete(image, r)))\n"
                "    trials, others = np.array(trials), np.array(others)\n"
                "    trials, others = trials - trials.mean(), others - others.mean()\n"
                "    return np.sum(trials * others) / np.sqrt(np.sum(trials**2) * np.sum(others**2))\n"
            ),
            **gabor(
                "    offsets = np.arange(size) - (size - 1) / 2\n"
                "    x, y = np.meshgrid(offsets, offsets)  # x varies along a row, y down a column\n"
                "    theta = orientation\n"
                "    along = x * np.cos(theta) + y * np.sin(theta)\n"
                "    carrier = np.cos(2 * np.pi * spatial_frequency * along + phase)\n"
                "    return carrier * np.exp(-(x * x + y * y) / (2 * sigma * sigma))\n"
            ),
            **step(
                "    new = image + step * grad\n"
                "    length = np.sqrt(np.sum(new ** 2))\n"
                "    return new / length * norm\n"
            ),
        },
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "oracle-includes-own-trial",
        answers=oracle(
            "    means = np.repeat(responses.mean(axis=1, keepdims=True), n_repeats, axis=1)\n"
            "    return np.corrcoef(responses.ravel(), means.ravel())[0, 1]\n"
        ),
        loses=frozenset({O_PUBLIC, O_HIDDEN}),
        diagnosis="itself included",
    ),
    Example(
        "gabor-orientation-in-degrees",
        answers=gabor(
            "    centre = (size - 1) / 2\n"
            "    y, x = np.mgrid[0:size, 0:size] - centre\n"
            "    theta = np.deg2rad(orientation)\n"
            "    u = x * np.cos(theta) + y * np.sin(theta)\n"
            "    return np.exp(-(x**2 + y**2) / (2 * sigma**2)) * np.cos(2 * np.pi * spatial_frequency * u + phase)\n"
        ),
        loses=frozenset({G_PUBLIC, G_HIDDEN}),
        diagnosis="treated the orientation as degrees",
    ),
    Example(
        "mei-step-without-projection",
        answers=step("    return image + step * grad\n"),
        loses=frozenset({M_PUBLIC, M_HIDDEN}),
        diagnosis="did not bring the image back to the norm",
    ),
)
