"""Assignment 7's references against independent computations, and its public and hidden checks."""
import re

import numpy as np
import pytest
import torch
from scipy import stats

from autograder.a7_cnn_mei import checks, reference as ref
from autograder.harness import CheckFailed
from course.checks import mei as public

pytestmark = pytest.mark.filterwarnings("error")


NOTEBOOK_IMAGE = np.zeros((16, 16))  # a global array, as a notebook's would be


def reads_notebook(image, grad, step, norm):
    """A step that reads an array from its globals instead of its arguments."""
    return ref.mei_step(image + 0 * NOTEBOOK_IMAGE.sum(), grad, step, norm)


def _named(mistake):
    return pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30]))


# --- the references ------------------------------------------------------------------------------------------------

def test_oracle_is_the_pooled_correlation_of_each_trial_with_the_mean_of_the_other_trials():
    rng = np.random.default_rng(0)
    responses = rng.poisson(rng.gamma(2.0, 2.0, 40)[:, None] * np.ones(5)).astype(float)
    trials, others = [], []
    for image in responses:
        for repeat in range(5):
            trials.append(image[repeat])
            others.append(np.delete(image, repeat).mean())
    assert ref.oracle_correlation(responses) == pytest.approx(stats.pearsonr(trials, others)[0], rel=1e-12)


def test_oracle_approaches_the_true_ceiling_from_below_as_repeats_grow():
    """Poisson trials around known rates: corr(trial, mean of R - 1 others) -> corr(trial, true rate) as R grows."""
    rng = np.random.default_rng(1)
    rates = rng.gamma(2.0, 1.5, 3000)
    ceiling = {}
    for n_repeats in (2, 5, 40):
        responses = rng.poisson(rates[:, None] * np.ones(n_repeats)).astype(float)
        paired = np.repeat(rates[:, None], n_repeats, axis=1)
        ceiling[n_repeats] = (ref.oracle_correlation(responses), ref.pooled_correlation(responses, paired))
    for n_repeats, (oracle, true) in ceiling.items():
        assert oracle < true
    assert ceiling[2][0] < ceiling[5][0] < ceiling[40][0]
    assert ceiling[40][0] == pytest.approx(ceiling[40][1], abs=0.02)
    # Theory: with signal variance S and mean noise variance N per trial, the oracle is S / sqrt((S + N)(S + N/(R-1))).
    signal, noise = rates.var(), rates.mean()
    for n_repeats in (2, 5):
        predicted = signal / np.sqrt((signal + noise) * (signal + noise / (n_repeats - 1)))
        assert ceiling[n_repeats][0] == pytest.approx(predicted, abs=0.03)


def test_reference_gabor_matches_its_formula_and_conventions():
    size = 16
    patch = ref.gabor_patch(size, 0.4, 0.12, 0.7, 3.0)
    centre = (size - 1) / 2
    for row, column in ((0, 0), (3, 12), (15, 7)):
        x, y = column - centre, row - centre
        expected = np.exp(-(x**2 + y**2) / 18.0) * np.cos(2 * np.pi * 0.12 * (x * np.cos(0.4) + y * np.sin(0.4)) + 0.7)
        assert patch[row, column] == pytest.approx(expected, rel=1e-12)
    # The carrier varies along the orientation: at orientation 0 each column is constant up to the envelope.
    vertical = ref.gabor_patch(9, 0.0, 0.1, 0.0, 1e6)
    assert np.allclose(vertical, vertical[0][None, :])
    # The spectrum peaks at the carrier's frequency and orientation (y downwards: rows).
    big = ref.gabor_patch(64, np.pi / 3, 0.125, 0.0, 12.0)
    power = np.abs(np.fft.fft2(big)) ** 2
    row, column = np.unravel_index(np.argmax(power), power.shape)
    fy, fx = np.fft.fftfreq(64)[row], np.fft.fftfreq(64)[column]
    assert np.hypot(fx, fy) == pytest.approx(0.125, abs=1 / 64)
    assert np.mod(np.arctan2(fy, fx), np.pi) == pytest.approx(np.pi / 3, abs=0.13)


def test_reference_mei_step_ends_on_the_sphere_and_moves_up_the_gradient():
    rng = np.random.default_rng(2)
    image, grad = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    new = ref.mei_step(image, grad, 0.3, 4.0)
    assert np.linalg.norm(new) == pytest.approx(4.0)
    assert np.allclose(new / np.linalg.norm(new), (image + 0.3 * grad) / np.linalg.norm(image + 0.3 * grad))
    # Repeated steps on a linear objective w . x converge to the norm-constrained optimum, 4 w / ||w||.
    x = image * 4.0 / np.linalg.norm(image)
    for _ in range(200):
        x = ref.mei_step(x, grad, 0.5, 4.0)
    assert np.allclose(x, 4.0 * grad / np.linalg.norm(grad), atol=1e-6)


# --- the public checks ---------------------------------------------------------------------------------------------

def test_public_checks_accept_the_references():
    public.check_oracle_correlation(ref.oracle_correlation)
    public.check_gabor_patch(ref.gabor_patch)
    public.check_mei_step(ref.mei_step)


@pytest.mark.parametrize("mistake", [checks.ORACLE_MISTAKES[0], checks.ORACLE_MISTAKES[1], checks.ORACLE_MISTAKES[6]],
                         ids=["self-included", "wrong-axis", "squared"])
def test_public_oracle_check_rejects_mistakes(mistake):
    with pytest.raises(AssertionError, match=r"0.6842|0.8315"):
        public.check_oracle_correlation(mistake.compute)


@pytest.mark.parametrize("mistake", checks.GABOR_MISTAKES, ids=lambda m: m.description[:40])
def test_public_gabor_check_rejects_every_named_mistake(mistake):
    with pytest.raises(AssertionError, match="by hand"):
        public.check_gabor_patch(lambda n, o, f, p, s: mistake.compute(n, o, f, p, s))


@pytest.mark.parametrize("mistake", checks.MEI_MISTAKES, ids=lambda m: m.description[:40])
def test_public_mei_step_check_rejects_mistakes(mistake):
    with pytest.raises(AssertionError, match="by hand"):
        public.check_mei_step(lambda x, g, s, n: mistake.compute(x, g, s, n))


# --- the hidden checks: correct answers pass, each known mistake is named --------------------------------------------

def test_hidden_checks_accept_the_references_and_other_correct_formulations():
    checks.check_oracle_correlation(ref.oracle_correlation)
    checks.check_gabor_patch(ref.gabor_patch)
    checks.check_mei_step(ref.mei_step)

    def oracle_with_sums(responses):  # sum of the others instead of their mean: the correlation is the same
        others = responses.sum(axis=1, keepdims=True) - responses
        return np.corrcoef(responses.reshape(-1), others.reshape(-1))[0, 1]

    def oracle_with_scipy(responses):
        n_repeats = responses.shape[1]
        others = (responses.sum(axis=1)[:, None] - responses) / n_repeats  # divided by R, not R - 1: same correlation
        return stats.pearsonr(responses.ravel(), others.ravel())[0]

    def gabor_meshgrid_ij(size, orientation, spatial_frequency, phase, sigma):
        offsets = np.arange(size) - (size - 1) / 2
        y, x = np.meshgrid(offsets, offsets, indexing="ij")
        u = x * np.cos(orientation) + y * np.sin(orientation)
        return np.exp(-(x**2 + y**2) / (2 * sigma**2)) * np.cos(2 * np.pi * spatial_frequency * u + phase)

    def gabor_torch_float64(size, orientation, spatial_frequency, phase, sigma):
        offsets = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
        y, x = torch.meshgrid(offsets, offsets, indexing="ij")
        u = x * np.cos(orientation) + y * np.sin(orientation)
        return torch.exp(-(x**2 + y**2) / (2 * sigma**2)) * torch.cos(2 * np.pi * spatial_frequency * u + phase)

    def mei_step_in_place_on_a_copy(image, grad, step, norm):
        new = image.copy()
        new += step * grad
        new *= norm / np.linalg.norm(new.ravel())
        return new

    for oracle in (oracle_with_sums, oracle_with_scipy):
        checks.check_oracle_correlation(oracle)
    for gabor in (gabor_meshgrid_ij, gabor_torch_float64):
        checks.check_gabor_patch(gabor)
    checks.check_mei_step(mei_step_in_place_on_a_copy)


@pytest.mark.parametrize("mistake", checks.ORACLE_MISTAKES, ids=lambda m: m.description[:40])
def test_each_oracle_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_oracle_correlation(lambda responses: mistake.compute(responses))


@pytest.mark.parametrize("mistake", checks.GABOR_MISTAKES, ids=lambda m: m.description[:40])
def test_each_gabor_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_gabor_patch(lambda n, o, f, p, s: mistake.compute(n, o, f, p, s))


@pytest.mark.parametrize("mistake", checks.MEI_MISTAKES, ids=lambda m: m.description[:40])
def test_each_mei_step_mistake_is_named(mistake):
    with _named(mistake):
        checks.check_mei_step(lambda x, g, s, n: mistake.compute(x, g, s, n))


def test_an_oracle_per_trial_or_per_image_gets_a_clear_message():
    def per_trial(responses):
        return (responses.sum(axis=1, keepdims=True) - responses) / (responses.shape[1] - 1)

    with pytest.raises(CheckFailed, match="must return a single number"):
        checks.check_oracle_correlation(per_trial)


def test_a_gabor_returned_as_a_vector_gets_a_clear_message():
    with pytest.raises(CheckFailed, match="not as a vector"):
        checks.check_gabor_patch(lambda n, o, f, p, s: ref.gabor_patch(n, o, f, p, s).ravel())


def test_hard_coded_answers_notebook_arrays_and_changed_inputs_fail():
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_oracle_correlation(lambda responses: 0.42)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_gabor_patch(lambda n, o, f, p, s: np.ones((n, n)))

    with pytest.raises(CheckFailed, match="NOTEBOOK_IMAGE"):
        checks.check_mei_step(reads_notebook)

    def in_place(image, grad, step, norm):
        image += step * grad
        image *= norm / np.linalg.norm(image)
        return image

    with pytest.raises(CheckFailed, match="changed its argument `image` in place"):
        checks.check_mei_step(in_place)

    def sorts_in_place(responses):
        responses.sort(axis=1)
        return ref.oracle_correlation(responses)

    with pytest.raises(CheckFailed, match="changed its argument `responses` in place"):
        checks.check_oracle_correlation(sorts_in_place)


def test_a_stub_is_reported_as_not_implemented():
    def stub(*arguments):
        raise NotImplementedError()

    for check in (checks.check_oracle_correlation, checks.check_gabor_patch, checks.check_mei_step):
        with pytest.raises(CheckFailed, match="not implemented yet"):
            check(stub)
