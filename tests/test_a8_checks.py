"""Assignment 8's references against independent computations, and its hidden checks against known answers."""
import re

import numpy as np
import pytest
from scipy import stats

from autograder.a8_glm_spike_history import checks, reference as ref
from autograder.harness import CheckFailed
from course.checks import glm_spike_history as public


# --- the references against independent computations ---

def test_design_matrix_is_a_causal_convolution():
    rng = np.random.default_rng(0)
    stimulus, kernel = rng.normal(size=200), rng.normal(size=12)
    assert np.allclose(ref.make_design_matrix(stimulus, 12) @ kernel, np.convolve(stimulus, kernel)[:200])


def test_history_matrix_never_sees_the_current_bin():
    spikes = np.zeros(30)
    spikes[10] = 1
    history = ref.history_matrix(spikes, 5)
    assert history[10].sum() == 0  # a spike does not predict itself
    assert [history[11 + j, j] for j in range(5)] == [1] * 5 and history.sum() == 5


def test_raised_cosines_peak_at_their_centres_and_tile_the_interior():
    basis = ref.raised_cosine_basis(8, 60)
    assert basis.shape == (60, 8) and basis.max() <= 1.0 and basis.min() >= 0.0
    assert basis[0, 0] == 1.0 and basis[-1, -1] == 1.0
    # Cosines a quarter period apart sum to a constant (2) wherever four of them overlap.
    warped = np.log(np.arange(60) + 1.0)
    spacing = warped[-1] / 7
    interior = (warped >= 2 * spacing) & (warped <= warped[-1] - 2 * spacing)
    assert interior.sum() > 10 and np.allclose(basis[interior].sum(axis=1), 2.0)


def test_penalised_nll_is_minus_the_poisson_log_pmf_plus_the_penalty():
    design, counts, params = checks.random_glm_problem(np.random.default_rng(1), 400, 5)
    value, _ = ref.penalised_nll(params, design, counts, 3.0)
    log_pmf = stats.poisson.logpmf(counts, np.exp(params[0] + design @ params[1:])).sum()
    constant = np.sum([np.sum(np.log(np.arange(1, c + 1))) for c in counts.astype(int)])
    assert np.isclose(value, -log_pmf - constant + 1.5 * params[1:] @ params[1:], rtol=1e-12)


@pytest.mark.parametrize("penalty", [0.0, 2.5, 40.0])
def test_penalised_gradient_matches_finite_differences(penalty):
    design, counts, params = checks.random_glm_problem(np.random.default_rng(2), 1000, 8)
    gradient = ref.penalised_nll(params, design, counts, penalty)[1]
    slope = checks.finite_difference_gradient(ref.penalised_nll, params, design, counts, penalty)
    assert np.linalg.norm(gradient - slope) / np.linalg.norm(slope) < 1e-6


def test_bits_per_spike_is_a_log2_likelihood_ratio_per_spike():
    assert np.isclose(ref.bits_per_spike(np.log(8.0) - 50, -50.0, 3), 1.0)  # a factor 8 = 3 bits, over 3 spikes


def test_fold_labels_are_array_split_blocks():
    assert ref.fold_labels(10, 3).tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]


# --- the hidden checks: references and correct alternatives pass, each known mistake is named ---

def test_checks_accept_the_references():
    checks.check_make_design_matrix(ref.make_design_matrix)
    checks.check_history_matrix(ref.history_matrix)
    checks.check_raised_cosine_basis(ref.raised_cosine_basis)
    checks.check_penalised_nll(ref.penalised_nll)
    checks.check_bits_per_spike(ref.bits_per_spike)
    checks.check_fold_labels(ref.fold_labels)


def nll_with_constant_float32_gradient(params, design, counts, penalty):
    value, gradient = ref.penalised_nll(params, design, counts, penalty)
    return value + stats.poisson.logpmf(counts, 1.0).sum() * 0 + 17.0, gradient.tolist()


def nll_torch(params, design, counts, penalty):
    import torch

    p = torch.tensor(params, requires_grad=True)
    eta = p[0] + torch.from_numpy(design) @ p[1:]
    loss = torch.nn.functional.poisson_nll_loss(eta, torch.from_numpy(counts), log_input=True, reduction="sum",
                                                full=True) + penalty / 2 * (p[1:] ** 2).sum()
    loss.backward()
    return loss, p.grad


@pytest.mark.parametrize("check, answer", [
    (checks.check_make_design_matrix, lambda s, n: np.stack([np.r_[np.zeros(j), s[:len(s) - j]] for j in range(n)], 1)),
    (checks.check_history_matrix, lambda y, n: ref.make_design_matrix(np.r_[0, y[:-1]], n).astype(np.float32)),
    (checks.check_raised_cosine_basis, lambda nb, nl, offset=1.0: ref.raised_cosine_basis(nb, nl, offset).tolist()),
    (checks.check_penalised_nll, nll_with_constant_float32_gradient),
    (checks.check_penalised_nll, nll_torch),
    (checks.check_bits_per_spike, lambda ll, ll0, n: np.log2(np.exp((ll - ll0) / n))),
    (checks.check_fold_labels, lambda n, k: np.arange(n) * k // n),
    (checks.check_fold_labels, lambda n, k: np.minimum(np.arange(n) // -(-n // k), k - 1)
     if all(size >= n // k for size in np.bincount(np.minimum(np.arange(n) // -(-n // k), k - 1), minlength=k))
     else ref.fold_labels(n, k)),
], ids=["design-stack", "history-float32", "basis-list", "nll-constant-list", "nll-torch", "bits-log2-exp",
        "folds-integer-division", "folds-ceil-blocks"])
def test_checks_accept_correct_answers_written_another_way(check, answer):
    check(answer)


@pytest.mark.parametrize("mistake", checks.DESIGN_MISTAKES, ids=lambda m: m.description[:30])
def test_each_design_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_make_design_matrix(mistake.compute)


@pytest.mark.parametrize("mistake", checks.HISTORY_MISTAKES, ids=lambda m: m.description[:30])
def test_each_history_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_history_matrix(mistake.compute)


@pytest.mark.parametrize("check, answer, message", [
    (checks.check_make_design_matrix, lambda s, n: ref.make_design_matrix(s, n).T, "transpose it"),
    (checks.check_make_design_matrix, lambda s, n: ref.make_design_matrix(s, n)[n - 1:], "left out the zero padding"),
    (checks.check_history_matrix, lambda y, n: ref.history_matrix(y, n)[n:], "left out the zero padding"),
    (checks.check_raised_cosine_basis, lambda nb, nl, offset=1.0: ref.raised_cosine_basis(nb, nl, offset).T,
     "transpose it"),
    (checks.check_penalised_nll, lambda p, x, y, a: (ref.penalised_nll(p, x, y, a)[0], ref.penalised_nll(p, x, y, a)[1][1:]),
     "no entry for the offset"),
    (checks.check_penalised_nll, lambda p, x, y, a: ref.penalised_nll(p, x, y, a)[1], "must return two things"),
])
def test_shape_mistakes_are_named(check, answer, message):
    with pytest.raises(CheckFailed, match=re.escape(message)):
        check(answer)


@pytest.mark.parametrize("mistake", checks.BASIS_MISTAKES, ids=lambda m: m.description[:30])
def test_each_basis_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_raised_cosine_basis(mistake.compute)


@pytest.mark.parametrize("description, nll", checks.PENALISED_MISTAKES, ids=lambda x: x[:30] if isinstance(x, str) else "")
def test_each_penalised_nll_mistake_is_named(description, nll):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(description[:30])):
        checks.check_penalised_nll(nll)


@pytest.mark.parametrize("mistake", checks.BITS_MISTAKES, ids=lambda m: m.description[:30])
def test_each_bits_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_bits_per_spike(mistake.compute)


@pytest.mark.parametrize("answer, message", [
    (lambda n, k: np.arange(n) % k, "interleaved the folds"),
    (lambda n, k: np.random.default_rng(0).permutation(ref.fold_labels(n, k)), "not contiguous blocks"),
    (lambda n, k: np.minimum(np.arange(n) // (n // k), k - 1), "unequal sizes"),
    (lambda n, k: ref.fold_labels(n, k) + 1, "folds are numbered from 0"),
    (lambda n, k: ref.fold_labels(n, k)[::-1], "not contiguous blocks in time order"),
])
def test_each_fold_mistake_is_named(answer, message):
    with pytest.raises(CheckFailed, match=re.escape(message)):
        checks.check_fold_labels(answer)


def test_a_penalised_nll_that_mutates_its_parameters_is_named():
    def nll(params, design, counts, penalty):
        value, gradient = ref.penalised_nll(params, design, counts, penalty)
        params[0] = 0.0
        return value, gradient

    with pytest.raises(CheckFailed, match="changed its argument `params` in place"):
        checks.check_penalised_nll(nll)


def test_reading_notebook_variables_is_named():
    namespace = {"np": np, "spikes": np.ones(50)}
    exec("def history_matrix(values, n_lags):\n"
         "    return np.stack([np.r_[np.zeros(j + 1), spikes[:len(spikes) - j - 1]] for j in range(n_lags)], 1)\n",
         namespace)
    with pytest.raises(CheckFailed, match="spikes instead of its arguments"):
        checks.check_history_matrix(namespace["history_matrix"])


@pytest.mark.parametrize("check, answer", [
    (checks.check_make_design_matrix, lambda s, n: np.ones((5, 2))),
    (checks.check_penalised_nll, lambda p, x, y, a: (1.0, np.ones(4))),
])
def test_hard_coded_answers_fail(check, answer):
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        check(answer)


def test_public_checks_accept_the_references_and_name_what_they_expected():
    for name in checks.__dict__:
        if name.startswith("check_"):
            getattr(public, name)(getattr(ref, name[len("check_"):]))
    with pytest.raises(AssertionError, match="never y"):
        public.check_history_matrix(checks.HISTORY_MISTAKES[0].compute)
    with pytest.raises(AssertionError, match="the penalty is on the weight only"):
        public.check_penalised_nll(checks.PENALISED_MISTAKES[0][1])
    with pytest.raises(AssertionError, match="10 ln 2 nats = 10 bits"):
        public.check_bits_per_spike(checks.BITS_MISTAKES[0].compute)
    with pytest.raises(AssertionError, match="contiguous blocks"):
        public.check_fold_labels(lambda n, k: np.arange(n) % k)
