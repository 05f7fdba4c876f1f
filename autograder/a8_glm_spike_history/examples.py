"""Example submissions for assignment 8, with the grades they must get.

Correct answers written another way must get full marks; each common mistake
must lose exactly the test cells listed and be named in the feedback. The later
exercises only use the earlier ones in the notebook's own (ungraded) cells, so a
mistake in one function costs only its own cells.
"""
from ..examples import Example, solution_for

EXERCISES = ("make_design_matrix", "history_matrix", "raised_cosine_basis", "penalised_nll", "bits_per_spike",
             "fold_labels")


def cells_of(exercise):
    """The public and hidden test cells of one exercise."""
    return frozenset({f"test_{exercise}_public", f"test_{exercise}_hidden"})


ALL_TESTS = frozenset().union(*(cells_of(exercise) for exercise in EXERCISES))

design = solution_for("make_design_matrix")
history = solution_for("history_matrix")
basis = solution_for("raised_cosine_basis")
nll = solution_for("penalised_nll")
bits = solution_for("bits_per_spike")
folds = solution_for("fold_labels")


def mistake(student, answers, exercise, diagnosis, also_loses=()):
    """An example that loses its exercise's two cells (and ``also_loses``), named by ``diagnosis``."""
    return Example(student, answers=answers, loses=cells_of(exercise) | frozenset(also_loses), diagnosis=diagnosis)



# The written answers of every example student (never the model answer; graded by hand).
WRITTEN_ANSWERS = {
    "answer_cross_validation": (
        "If we pick the penalty on the training data we will always get no penalty, because the fit without a "
        "penalty is the best one on the data it was fitted to (it also fits the noise). Held-out data tell us "
        "how well the model predicts new spikes. The folds should be blocks of time because bins next to each "
        "other share the stimulus and the spike history; with shuffled bins the test bins would have their "
        "neighbours in the training set and the held-out score would look too good."
    ),
    "answer_history_filter": (
        "The history filter is very negative just after a spike, so the neuron can hardly fire again for a few "
        "milliseconds (refractory period), then it recovers over about 20 ms and has a small positive bump "
        "later, so it is a bit more likely to fire again then. Without it the model fires like a Poisson process "
        "and makes intervals shorter than the refractory period."
    ),
}

EXAMPLES = (
    Example("perfect"),
    Example("blank", blank=True, loses=ALL_TESTS, diagnosis="is not implemented yet"),
    # Correct answers in other styles: full marks.
    Example(
        "alternative-scipy-numpy",  # scipy's toeplitz, a padded-concatenate history, a vectorised basis with
        # np.where, scipy's Poisson log-pmf (log y! kept), log2 of a ratio, np.array_split
        answers={
            **design(
                "    from scipy.linalg import toeplitz\n"
                "    return toeplitz(stimulus, np.r_[stimulus[0], np.zeros(n_lags - 1)])\n"
            ),
            **history(
                "    padded = np.concatenate([np.zeros(n_lags), spikes])\n"
                "    return np.column_stack([padded[n_lags - 1 - j:len(padded) - 1 - j] for j in range(n_lags)])\n"
            ),
            **basis(
                "    phi = np.log(np.arange(n_lags) + offset)\n"
                "    c = phi[0] + (phi[-1] - phi[0]) * np.arange(n_basis) / (n_basis - 1)\n"
                "    x = (phi[:, None] - c[None, :]) * np.pi / (2 * (c[1] - c[0]))\n"
                "    return np.where(np.abs(x) < np.pi, (np.cos(x) + 1) / 2, 0.0)\n"
            ),
            **nll(
                "    from scipy.stats import poisson\n"
                "    eta = params[0] + design @ params[1:]\n"
                "    value = -poisson.logpmf(counts, np.exp(eta)).sum() + penalty / 2 * np.sum(params[1:] ** 2)\n"
                "    error = np.exp(eta) - counts\n"
                "    return value, np.r_[error.sum(), error @ design + penalty * params[1:]]\n"
            ),
            **bits("    return np.log2(np.exp((log_likelihood - null_log_likelihood) / n_spikes))\n"),
            **folds(
                "    labels = np.zeros(n_bins, dtype=int)\n"
                "    for fold, block in enumerate(np.array_split(np.arange(n_bins), n_folds)):\n"
                "        labels[block] = fold\n"
                "    return labels\n"
            ),
        },
    ),
    Example(
        "alternative-loops-torch",  # explicit loops, torch autograd for the gradient, a list for the folds
        answers={
            **design(
                "    X = np.zeros((len(stimulus), n_lags))\n"
                "    for t in range(len(stimulus)):\n"
                "        for j in range(n_lags):\n"
                "            if t - j >= 0:\n"
                "                X[t, j] = stimulus[t - j]\n"
                "    return X\n"
            ),
            **history("    return make_design_matrix(np.r_[0.0, spikes[:-1]], n_lags)\n"),
            **nll(
                "    import torch\n"
                "    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)\n"
                "    eta = p[0] + torch.as_tensor(design, dtype=torch.float64) @ p[1:]\n"
                "    y = torch.as_tensor(counts, dtype=torch.float64)\n"
                "    loss = (torch.exp(eta) - y * eta).sum() + 0.5 * penalty * (p[1:] ** 2).sum()\n"
                "    loss.backward()\n"
                "    return loss.item(), p.grad.numpy()\n"
            ),
            **bits("    gain_in_bits = (log_likelihood - null_log_likelihood) / np.log(2)\n"
                   "    return gain_in_bits / n_spikes\n"),
            **folds("    return [t * n_folds // n_bins for t in range(n_bins)]\n"),
        },
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    mistake("design-reversed-time", design(
        "    padded = np.concatenate([np.zeros(n_lags - 1), stimulus])\n"
        "    return np.array([padded[t:t + n_lags] for t in range(len(stimulus))])\n"
    ), "make_design_matrix", "reversed time"),
    mistake("design-off-by-one", design(
        "    X = np.zeros((len(stimulus), n_lags))\n"
        "    for j in range(n_lags):\n"
        "        X[j + 1:, j] = stimulus[:len(stimulus) - j - 1]\n"
        "    return X\n"
    ), "make_design_matrix", "shifted the lags by one bin"),
    mistake("design-no-padding", design(
        "    return np.array([stimulus[t - n_lags + 1:t + 1][::-1] for t in range(n_lags - 1, len(stimulus))])\n"
    ), "make_design_matrix", "left out the zero padding"),
    mistake("design-transposed", design(
        "    X = np.zeros((n_lags, len(stimulus)))\n"
        "    for j in range(n_lags):\n"
        "        X[j, j:] = stimulus[:len(stimulus) - j]\n"
        "    return X\n"
    ), "make_design_matrix", "transpose it"),
    mistake("design-np-roll", design(
        "    return np.stack([np.roll(stimulus, j) for j in range(n_lags)], axis=1)\n"
    ), "make_design_matrix", "wrapped the stimulus around"),
    mistake("history-current-bin", history(
        "    H = np.zeros((len(spikes), n_lags))\n"
        "    for j in range(n_lags):\n"
        "        H[j:, j] = spikes[:len(spikes) - j]\n"
        "    return H\n"
    ), "history_matrix", "used the current bin"),
    mistake("history-reversed", history(
        "    padded = np.concatenate([np.zeros(n_lags), spikes])\n"
        "    return np.array([padded[t:t + n_lags] for t in range(len(spikes))])\n"
    ), "history_matrix", "reversed time"),
    mistake("basis-linear-time", basis(
        "    t = np.arange(n_lags, dtype=float)\n"
        "    centres = np.linspace(0, n_lags - 1, n_basis)\n"
        "    spacing = centres[1] - centres[0]\n"
        "    phase = np.clip((t[:, None] - centres) * np.pi / (2 * spacing), -np.pi, np.pi)\n"
        "    return (1 + np.cos(phase)) / 2\n"
    ), "raised_cosine_basis", "spaced the cosines in linear time"),
    Example(  # two cosines never reach a phase beyond pi/2: only the hidden tests, with more, see it
        "basis-no-clip",
        answers=basis("    warped = np.log(np.arange(n_lags) + offset)\n"
                      "    centres = np.linspace(warped[0], warped[-1], n_basis)\n"
                      "    phase = (warped[:, None] - centres) * np.pi / (2 * (centres[1] - centres[0]))\n"
                      "    return (1 + np.cos(phase)) / 2\n"),
        loses=frozenset({"test_raised_cosine_basis_hidden"}),
        diagnosis="left out the clipping",
    ),
    mistake("nll-penalises-offset", nll(
        "    eta = params[0] + design @ params[1:]\n"
        "    residuals = np.exp(eta) - counts\n"
        "    value = np.sum(np.exp(eta) - counts * eta) + 0.5 * penalty * params @ params\n"
        "    return value, np.r_[residuals.sum(), design.T @ residuals] + penalty * params\n"
    ), "penalised_nll", "penalised the offset too"),
    mistake("nll-missing-half", nll(
        "    eta = params[0] + design @ params[1:]\n"
        "    residuals = np.exp(eta) - counts\n"
        "    value = np.sum(np.exp(eta) - counts * eta) + penalty * params[1:] @ params[1:]\n"
        "    return value, np.r_[residuals.sum(), design.T @ residuals + 2 * penalty * params[1:]]\n"
    ), "penalised_nll", "left out the factor 1/2"),
    mistake("nll-penalty-sign", nll(
        "    eta = params[0] + design @ params[1:]\n"
        "    residuals = np.exp(eta) - counts\n"
        "    value = np.sum(np.exp(eta) - counts * eta) - 0.5 * penalty * params[1:] @ params[1:]\n"
        "    return value, np.r_[residuals.sum(), design.T @ residuals - penalty * params[1:]]\n"
    ), "penalised_nll", "subtracted the penalty"),
    mistake("nll-gradient-no-offset", nll(
        "    eta = params[0] + design @ params[1:]\n"
        "    value = np.sum(np.exp(eta) - counts * eta) + 0.5 * penalty * params[1:] @ params[1:]\n"
        "    return value, design.T @ (np.exp(eta) - counts) + penalty * params[1:]\n"
    ), "penalised_nll", "no entry for the offset"),
    mistake("bits-natural-log", bits(
        "    return (log_likelihood - null_log_likelihood) / n_spikes\n"
    ), "bits_per_spike", "used the natural log"),
    mistake("bits-not-per-spike", bits(
        "    return (log_likelihood - null_log_likelihood) / np.log(2)\n"
    ), "bits_per_spike", "did not divide by the number of spikes"),
    mistake("folds-interleaved", folds(
        "    return np.arange(n_bins) % n_folds\n"
    ), "fold_labels", "interleaved the folds"),
    Example(  # 10 bins in 3 folds happen to come out right (3, 3, 4): only the hidden tests see it
        "folds-remainder-in-last",
        answers=folds("    size = n_bins // n_folds\n"
                      "    return np.minimum(np.arange(n_bins) // size, n_folds - 1)\n"),
        loses=frozenset({"test_fold_labels_hidden"}),
        diagnosis="unequal sizes",
    ),
)
