"""Example submissions for assignment 5, with the grades they must get.

The surrogate-spike cell has two solution regions (forward and backward), so its
examples give the whole cell. Every example runs the whole notebook, training
included: the list is kept short.
"""
from ..examples import Example, solution_for

S_PUBLIC, S_HIDDEN = "test_surrogate_spike_public", "test_surrogate_spike_hidden"
L_PUBLIC, L_HIDDEN = "test_lif_step_public", "test_lif_step_hidden"
A_PUBLIC, A_HIDDEN = "test_decode_accuracy_public", "test_decode_accuracy_hidden"
C_PUBLIC, C_HIDDEN = "test_confusion_matrix_public", "test_confusion_matrix_hidden"

surrogate = solution_for("surrogate_spike")
lif = solution_for("lif_step")
accuracy = solution_for("decode_accuracy")
confusion = solution_for("confusion_matrix")


def surrogate_cell(forward: str, backward: str) -> dict[str, str]:
    """The whole surrogate-spike cell, with the given bodies of forward and backward."""
    return surrogate(
        "class SurrogateSpike(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, v):\n"
        "        ctx.save_for_backward(v)\n"
        f"{forward}"
        "\n"
        "    @staticmethod\n"
        "    def backward(ctx, grad_output):\n"
        "        (v,) = ctx.saved_tensors\n"
        f"{backward}"
        "\n\n"
        "surrogate_spike = SurrogateSpike.apply\n"
    )


# Written answers as a student would write them: plausible, partly incomplete, never the model
# answer or the mark scheme (those stay in source/). They are graded by hand.
WRITTEN_ANSWERS = {
    "answer_hidden_units": (
        "Most hidden neurons have broad tuning curves that go up or down over a large part of the IPD "
        "range, not sharp peaks, and some are silent on one side. Together they cover the range because "
        "different neurons are steep at different IPDs. I would say it is not a Jeffress place code, more"
        " like a population code with broadly tuned neurons."
    ),
    "answer_tau": (
        "A short tau means the neuron only responds when spikes from both ears arrive close together, so "
        "it works as a coincidence detector and the timing difference matters. With a long tau it adds up"
        " the input over a long time, so it mostly counts spikes and loses the timing, which is why "
        "accuracy goes down. It does not go to chance because the counts still depend a little on the "
        "IPD."
    ),
}


EXAMPLES = (
    Example("perfect"),
    Example("blank", blank=True,
            loses=frozenset({S_PUBLIC, S_HIDDEN, L_PUBLIC, L_HIDDEN, A_PUBLIC, A_HIDDEN, C_PUBLIC, C_HIDDEN}),
            diagnosis="is not implemented yet"),
    # Correct answers in another style: full marks.
    Example(
        "alternative-explicit-loops",
        answers={
            **surrogate_cell(
                "        return torch.heaviside(v, torch.zeros_like(v))\n",
                "        sigma = 1 / (1 + torch.exp(-SURROGATE_SLOPE * v))\n"
                "        derivative = SURROGATE_SLOPE * sigma * (1 - sigma)\n"
                "        return derivative * grad_output\n",
            ),
            **lif(
                "    keep = 1 - spikes_prev  # 0 for the neurons that just spiked\n"
                "    return keep * (alpha * v) + keep * input_current\n"
            ),
            **accuracy(
                "    correct = 0\n"
                "    for scores, label in zip(output, labels):\n"
                "        correct += int(np.argmax(scores) == label)\n"
                "    return correct / len(labels)\n"
            ),
            **confusion(
                "    matrix = np.zeros((n_classes, n_classes), dtype=int)\n"
                "    for true, predicted in zip(labels, predictions):\n"
                "        matrix[true, predicted] += 1\n"
                "    return matrix\n"
            ),
        },
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "surrogate-without-slope",
        answers=surrogate_cell(
            "        return (v > 0).to(v.dtype)\n",
            "        sigma = torch.sigmoid(SURROGATE_SLOPE * v)\n"
            "        return grad_output * sigma * (1 - sigma)\n",
        ),
        loses=frozenset({S_PUBLIC, S_HIDDEN}),
        diagnosis="left out the factor beta",
    ),
    Example(
        "lif-reset-by-subtraction",
        answers=lif("    return alpha * v + input_current - spikes_prev\n"),
        loses=frozenset({L_PUBLIC, L_HIDDEN}),
        diagnosis="reset by subtracting the threshold",
    ),
    Example(
        "confusion-transposed",
        answers=confusion(
            "    matrix = np.zeros((n_classes, n_classes))\n"
            "    np.add.at(matrix, (predictions, labels), 1)\n"
            "    return matrix\n"
        ),
        loses=frozenset({C_PUBLIC, C_HIDDEN}),
        diagnosis="swapped rows and columns",
    ),
)
