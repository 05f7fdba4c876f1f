"""Example submissions for assignment 2, with the grades they must get.

Correct answers written another way must get full marks; each common mistake
must lose exactly the test cells listed and be named in the feedback. Each
exercise is graded on its own (gradient_descent is checked with reference NLL
and gradient functions), so a mistake in one function costs only its own cells.
"""
from ..examples import Example, solution_for

NLL_PUBLIC, NLL_HIDDEN = "test_compute_NLL_public", "test_compute_NLL_hidden"
GRADIENT_PUBLIC, GRADIENT_HIDDEN = "test_compute_dNLL_dk_public", "test_compute_dNLL_dk_hidden"
GD_PUBLIC, GD_HIDDEN = "test_gradient_descent_public", "test_gradient_descent_hidden"
ALL_TESTS = frozenset({NLL_PUBLIC, NLL_HIDDEN, GRADIENT_PUBLIC, GRADIENT_HIDDEN, GD_PUBLIC, GD_HIDDEN})


nll = solution_for("compute_NLL")
gradient = solution_for("compute_dNLL_dk")
descent = solution_for("gradient_descent")


# Written answers as a student would write them: plausible, partly incomplete, never the model
# answer or the mark scheme (those stay in source/). They are graded by hand.
WRITTEN_ANSWERS = {
    "answer_nll_derivation": (
        "The likelihood is the product over images, so the log-likelihood is a sum: $\\log L = \\sum_i "
        "[y_i\\,\\mathbf{k}\\cdot\\mathbf{x}_i - \\exp(\\mathbf{k}\\cdot\\mathbf{x}_i) - \\log y_i!]$. The NLL is "
        "minus that, $\\sum_i [\\exp(\\mathbf{k}\\cdot\\mathbf{x}_i) - y_i\\,\\mathbf{k}\\cdot\\mathbf{x}_i]$ "
        "after dropping $\\log y_i!$, because it has no $\\mathbf{k}$ in it."
    ),
    "answer_gradient_derivation": (
        "Each term gives $\\exp(\\mathbf{k}\\cdot\\mathbf{x}_i)\\mathbf{x}_i - y_i\\mathbf{x}_i$, so the "
        "gradient is $\\sum_i (\\lambda_i - y_i)\\mathbf{x}_i$. With the matrix it is "
        "$X^\\top(\\exp(X\\mathbf{k}) - \\mathbf{y})$. The STA is in the second part, $X^\\top \\mathbf{y}$."
    ),
    "answer_step_size": (
        "The step is too big, so each update jumps past the minimum to the other side and lands further "
        "away than it started. Then the next gradient is even bigger and it keeps growing until it "
        "overflows."
    ),
}


EXAMPLES = (
    Example("perfect"),
    Example("blank", blank=True, loses=ALL_TESTS, diagnosis="is not implemented yet"),
    # Correct answers in other styles: full marks.
    Example(
        "alternative-loops",  # keeps the constant log(y!), loops over pixels, while loop with a list
        answers={
            **nll(
                "    from scipy.special import gammaln\n"
                "    drive = np.dot(x, k)\n"
                "    return np.exp(drive).sum() - np.dot(y, drive) + gammaln(y + 1).sum()\n"
            ),
            **gradient(
                "    residuals = np.exp(x @ k) - y\n"
                "    slope = np.zeros(len(k))\n"
                "    for pixel in range(len(k)):\n"
                "        slope[pixel] = np.sum(residuals * x[:, pixel])\n"
                "    return slope\n"
            ),
            **descent(
                "    k = init_guess.copy()\n"
                "    values = []\n"
                "    step = 0\n"
                "    while step < n_steps:\n"
                "        k -= alpha * compute_dNLL_dk(k, x, y)\n"
                "        values.append(compute_NLL(k, x, y))\n"
                "        step += 1\n"
                "    return k, np.array(values)\n"
            ),
        },
    ),
    Example(
        "alternative-scipy-einsum",  # scipy's Poisson log-pmf (constant kept), einsum, NLL inlined in the loop
        answers={
            **nll(
                "    from scipy.stats import poisson\n"
                "    return -poisson.logpmf(y, np.exp(x @ k)).sum()\n"
            ),
            **gradient("    return np.einsum('ij,i->j', x, np.exp(np.einsum('ij,j->i', x, k)) - y)\n"),
            **descent(
                "    path = [np.asarray(init_guess, dtype=float)]\n"
                "    NLL = []\n"
                "    for _ in range(n_steps):\n"
                "        path.append(path[-1] - alpha * compute_dNLL_dk(path[-1], x, y))\n"
                "        drive = x @ path[-1]\n"
                "        NLL.append(np.exp(drive).sum() - y @ drive)\n"
                "    return path[-1], NLL\n"
            ),
        },
    ),
    Example(
        "alternative-torch",  # torch tensors and autograd
        answers={
            **nll(
                "    drive = torch.from_numpy(np.asarray(x, dtype=float)) @ torch.as_tensor(k, dtype=torch.float64)\n"
                "    counts = torch.as_tensor(y, dtype=torch.float64)\n"
                "    return (torch.exp(drive) - counts * drive + torch.lgamma(counts + 1)).sum().item()\n"
            ),
            **gradient(
                "    k_t = torch.tensor(k, dtype=torch.float64, requires_grad=True)\n"
                "    drive = torch.as_tensor(x, dtype=torch.float64) @ k_t\n"
                "    (torch.exp(drive) - torch.as_tensor(y, dtype=torch.float64) * drive).sum().backward()\n"
                "    return k_t.grad.numpy()\n"
            ),
        },
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "nll-flipped-sign",
        answers=nll("    return float(y @ (x @ k) - np.sum(np.exp(x @ k)))\n"),
        loses=frozenset({NLL_PUBLIC, NLL_HIDDEN}),
        diagnosis="flipped the sign",
    ),
    Example(
        "nll-mean-not-sum",
        answers=nll("    return float(np.mean(np.exp(x @ k) - y * (x @ k)))\n"),
        loses=frozenset({NLL_PUBLIC, NLL_HIDDEN}),
        diagnosis="averaged over the images instead of summing",
    ),
    Example(
        "nll-rate-for-log-rate",
        answers=nll("    rate = np.exp(x @ k)\n    return float(np.sum(rate - y * rate))\n"),
        loses=frozenset({NLL_PUBLIC, NLL_HIDDEN}),
        diagnosis="used the rate exp(k.x_i) where the log-rate belongs",
    ),
    Example(
        "nll-reads-notebook-globals",
        answers=nll(
            "    drive = natural_images @ k\n"
            "    return float(np.sum(np.exp(drive)) - natural_counts @ drive)\n"
        ),
        # The public check of gradient_descent runs the student's own compute_NLL, which fails on its
        # tiny images; the hidden one does not count the same mistake again.
        loses=frozenset({NLL_PUBLIC, NLL_HIDDEN, GD_PUBLIC}),
        diagnosis="does it use variables from the notebook",
    ),
    Example(
        "gradient-divides-by-n",
        answers=gradient("    return x.T @ (np.exp(x @ k) - y) / len(y)\n"),
        loses=frozenset({GRADIENT_PUBLIC, GRADIENT_HIDDEN}),
        diagnosis="divided by the number of images",
    ),
    Example(
        "gradient-scalar-y-term",
        answers=gradient("    return x.T @ np.exp(x @ k) - np.sum(y)\n"),
        loses=frozenset({GRADIENT_PUBLIC, GRADIENT_HIDDEN}),
        diagnosis="treated the spike-count term as a number",
    ),
    Example(
        "descent-records-before-step",
        answers=descent(
            "    k = np.array(init_guess, dtype=float)\n"
            "    NLL = np.zeros(n_steps)\n"
            "    for i in range(n_steps):\n"
            "        NLL[i] = compute_NLL(k, x, y)\n"
            "        k = k - alpha * compute_dNLL_dk(k, x, y)\n"
            "    return k, NLL\n"
        ),
        loses=frozenset({GD_PUBLIC, GD_HIDDEN}),
        diagnosis="recorded the NLL before each step instead of after it",
    ),
    Example(
        "descent-ignores-alpha",
        answers=descent(
            "    k = np.array(init_guess, dtype=float)\n"
            "    NLL = np.zeros(n_steps)\n"
            "    for i in range(n_steps):\n"
            "        k = k - 1e-6 * compute_dNLL_dk(k, x, y)\n"
            "        NLL[i] = compute_NLL(k, x, y)\n"
            "    return k, NLL\n"
        ),
        loses=frozenset({GD_PUBLIC, GD_HIDDEN}),
        diagnosis="ignored the `alpha` argument",
    ),
    Example(
        "descent-changes-init-guess",
        answers=descent(
            "    k = init_guess  # not a copy: the updates below change the caller's array\n"
            "    NLL = np.zeros(n_steps)\n"
            "    for i in range(n_steps):\n"
            "        k -= alpha * compute_dNLL_dk(k, x, y)\n"
            "        NLL[i] = compute_NLL(k, x, y)\n"
            "    return k, NLL\n"
        ),
        loses=frozenset({GD_PUBLIC, GD_HIDDEN}),
        diagnosis="changed its argument `init_guess` in place",
    ),
)
