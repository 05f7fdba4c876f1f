"""Example submissions for assignment 1, with the grades they must get.

Correct answers written another way must get full marks; each common mistake
must lose exactly the test cells listed and be named in the feedback.
"""
from ..examples import Example, solution_for

STA_PUBLIC, STA_HIDDEN = "test_compute_STA_public", "test_compute_STA_hidden"
WHITENED_PUBLIC, WHITENED_HIDDEN = "test_compute_whitened_STA_public", "test_compute_whitened_STA_hidden"
NONLINEARITY_PUBLIC, NONLINEARITY_HIDDEN = "test_estimate_nonlinearity_public", "test_estimate_nonlinearity_hidden"


sta = solution_for("compute_STA")
whitened = solution_for("compute_whitened_STA")
nonlinearity = solution_for("estimate_nonlinearity")


# Written answers as a student would write them: plausible, partly incomplete, never the model
# answer or the mark scheme (those stay in source/). They are graded by hand.
WRITTEN_ANSWERS = {
    "answer_sta_bias": (
        "For white noise the pixels are independent with the same variance, so $C$ is (a multiple of) the"
        " identity and $C\\mathbf{k}$ points the same way as $\\mathbf{k}$: the STA is just the filter, "
        "scaled. The natural images have neighbouring pixels that are correlated, so $C$ is not diagonal "
        "and multiplying by it smears the filter out: the STA ends up wider and blurrier than the real "
        "filter. I think using more images would help a bit because the estimate gets less noisy."
    ),
}


EXAMPLES = (
    Example("perfect"),
    Example(
        "blank",
        blank=True,
        loses=frozenset({STA_PUBLIC, STA_HIDDEN, WHITENED_PUBLIC, WHITENED_HIDDEN, NONLINEARITY_PUBLIC,
                         NONLINEARITY_HIDDEN}),
        diagnosis="is not implemented yet",
    ),
    # Correct answers in other styles: full marks.
    Example(
        "alternative-loops",
        answers={
            **sta(
                "    total = np.zeros(images.shape[1])\n"
                "    for image, count in zip(images, spike_counts):\n"
                "        total = total + count * image\n"
                "    return total / spike_counts.sum()\n"
            ),
            **whitened(
                "    centred = images - images.mean(axis=0)\n"
                "    covariance = centred.T @ centred / len(images)  # normalised by n\n"
                "    covariance = covariance + ridge * np.eye(images.shape[1])\n"
                "    return np.linalg.inv(covariance) @ (compute_STA(images, spike_counts) - images.mean(axis=0))\n"
            ),
            **nonlinearity(
                "    low, high = generator_signal.min(), generator_signal.max()\n"
                "    width = (high - low) / n_bins\n"
                "    centres, means = [], []\n"
                "    for b in range(n_bins):\n"
                "        left, right = low + b * width, low + (b + 1) * width\n"
                "        in_bin = (generator_signal > left) & (generator_signal <= right)  # (a, b] bins\n"
                "        if b == 0:\n"
                "            in_bin |= generator_signal == low\n"
                "        centres.append((left + right) / 2)\n"
                "        means.append(spike_counts[in_bin].mean() if in_bin.any() else np.nan)\n"
                "    return np.array(centres), np.array(means)\n"
            ),
        },
    ),
    Example(
        "alternative-numpy",
        answers={
            **sta("    return np.average(images, axis=0, weights=spike_counts)\n"),
            **whitened(
                "    covariance = np.cov(images.T, ddof=1) + ridge * np.identity(images.shape[1])\n"
                "    sta = np.einsum('i,ij->j', spike_counts, images) / spike_counts.sum()\n"
                "    return np.linalg.lstsq(covariance, sta - images.mean(0), rcond=None)[0]\n"
            ),
            **nonlinearity(
                "    images_per_bin, edges = np.histogram(generator_signal, bins=n_bins)\n"
                "    spikes_per_bin, _ = np.histogram(generator_signal, bins=edges, weights=spike_counts)\n"
                "    with np.errstate(invalid='ignore', divide='ignore'):\n"
                "        means = spikes_per_bin / images_per_bin\n"
                "    return (edges[1:] + edges[:-1]) / 2, means\n"
            ),
        },
    ),
    Example(
        "alternative-repeat",
        answers=sta("    return np.repeat(images, spike_counts.astype(int), axis=0).mean(axis=0)\n"),
    ),
    # Common mistakes: each loses the listed cells, and the feedback names it.
    Example(
        "sta-divides-by-n-images",
        answers=sta("    return (spike_counts[:, None] * images).sum(axis=0) / len(images)\n"),
        loses=frozenset({STA_PUBLIC, STA_HIDDEN}),
        diagnosis="divided by the number of images instead of the total number of spikes",
    ),
    Example(
        "sta-unweighted-mean",
        answers=sta("    return images[spike_counts > 0].mean(axis=0)\n"),
        loses=frozenset({STA_PUBLIC, STA_HIDDEN}),
        diagnosis="took the unweighted mean of the images that drew spikes",
    ),
    Example(
        "sta-wrong-axis",
        answers=sta("    return (spike_counts[:, None] * images).sum(axis=1) / spike_counts.sum()\n"),
        loses=frozenset({STA_PUBLIC, STA_HIDDEN}),
        diagnosis="wrong axis",
    ),
    Example(
        "sta-reads-notebook-globals",
        answers=sta("    return white_counts @ white_images / white_counts.sum()\n"),
        loses=frozenset({STA_PUBLIC, STA_HIDDEN}),
        diagnosis="does it use variables from the notebook",
    ),
    Example(
        "whitened-forgets-mean",
        answers=whitened(
            "    covariance = np.cov(images, rowvar=False) + ridge * np.eye(images.shape[1])\n"
            "    return np.linalg.solve(covariance, compute_STA(images, spike_counts))\n"
        ),
        loses=frozenset({WHITENED_HIDDEN}),  # the public example has a zero mean image
        diagnosis="did not subtract the mean image",
    ),
    Example(
        "whitened-multiplies-by-covariance",
        answers=whitened(
            "    covariance = np.cov(images, rowvar=False) + ridge * np.eye(images.shape[1])\n"
            "    return covariance @ (compute_STA(images, spike_counts) - images.mean(axis=0))\n"
        ),
        loses=frozenset({WHITENED_PUBLIC, WHITENED_HIDDEN}),
        diagnosis="multiplied by the covariance instead of solving with it",
    ),
    Example(
        "whitened-changes-its-input",
        answers=whitened(
            "    images -= images.mean(axis=0)  # centres the caller's array in place\n"
            "    covariance = images.T @ images / (len(images) - 1) + ridge * np.eye(images.shape[1])\n"
            "    return np.linalg.solve(covariance, compute_STA(images, spike_counts))\n"
        ),
        loses=frozenset({WHITENED_HIDDEN}),  # centring the zero-mean public example changes nothing
        diagnosis="changed its argument `images` in place",
    ),
    Example(
        "nonlinearity-sums-counts",
        answers=nonlinearity(
            "    edges = np.linspace(generator_signal.min(), generator_signal.max(), n_bins + 1)\n"
            "    spikes_per_bin, _ = np.histogram(generator_signal, edges, weights=spike_counts)\n"
            "    return (edges[1:] + edges[:-1]) / 2, spikes_per_bin\n"
        ),
        loses=frozenset({NONLINEARITY_PUBLIC, NONLINEARITY_HIDDEN}),
        diagnosis="summed the spike counts in each bin instead of averaging them",
    ),
    Example(
        "nonlinearity-returns-edges",
        answers=nonlinearity(
            "    images_per_bin, edges = np.histogram(generator_signal, n_bins)\n"
            "    spikes_per_bin, _ = np.histogram(generator_signal, edges, weights=spike_counts)\n"
            "    return edges, spikes_per_bin / np.maximum(images_per_bin, 1)\n"
        ),
        loses=frozenset({NONLINEARITY_PUBLIC, NONLINEARITY_HIDDEN}),
        diagnosis="number of bin edges",
    ),
    Example(
        "nonlinearity-empty-bins-zero",
        answers=nonlinearity(
            "    images_per_bin, edges = np.histogram(generator_signal, n_bins)\n"
            "    spikes_per_bin, _ = np.histogram(generator_signal, edges, weights=spike_counts)\n"
            "    return (edges[1:] + edges[:-1]) / 2, spikes_per_bin / np.maximum(images_per_bin, 1)\n"
        ),
        loses=frozenset({NONLINEARITY_HIDDEN}),  # the public example has no empty bin
        diagnosis="use NaN there",
    ),
)
