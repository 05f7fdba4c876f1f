"""Assignment 2's references against theory, and its hidden checks against known answers."""
import re
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from autograder.a2_max_likelihood import checks, reference as ref
from autograder.harness import CheckFailed
from course.checks import max_likelihood as public
from course.lnp import correlation, gaussian_filter
from conftest import REPO

K = gaussian_filter()


def diverges(x, y, alpha, n_steps=300):
    """Gradient descent from 0 overflows or ends with a higher NLL than it started."""
    with np.errstate(all="ignore"):
        k, trace = ref.gradient_descent(x, y, np.zeros(x.shape[1]), n_steps=n_steps, alpha=alpha)
    return not np.all(np.isfinite(trace)) or trace[-1] > trace[0]


# --- the references against theory (shared/science.md sections 2 and 6) ---

def test_nll_is_minus_the_poisson_log_pmf(white):
    images, counts = white
    for scale in (0.0, 0.5, 1.0):
        expected = -stats.poisson.logpmf(counts, np.exp(images @ (scale * K))).sum()
        assert np.isclose(ref.compute_NLL(scale * K, images, counts), expected, rtol=1e-10)


def test_gradient_matches_finite_differences(white):
    images, counts = white
    rng = np.random.default_rng(3)
    for at in (np.zeros(100), 0.5 * K, K + 0.05 * rng.normal(size=100)):
        slope = checks.finite_difference_gradient(ref.compute_NLL, at, images[:2000], counts[:2000])
        gradient = ref.compute_dNLL_dk(at, images[:2000], counts[:2000])
        assert np.linalg.norm(gradient - slope) / np.linalg.norm(slope) < 1e-5


def test_hessian_is_symmetric_positive_semidefinite_and_the_gradients_derivative(pink):
    images, counts = pink
    hessian = ref.hessian(K, images)
    assert np.allclose(hessian, hessian.T, rtol=1e-12, atol=0)
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert eigenvalues[0] >= -1e-8 * eigenvalues[-1]
    step = 1e-6 * np.random.default_rng(4).normal(size=100)
    change = ref.compute_dNLL_dk(K + step, images, counts) - ref.compute_dNLL_dk(K - step, images, counts)
    assert np.allclose(change / 2, hessian @ step, rtol=1e-4, atol=1e-6 * np.abs(change).max())


def test_nll_and_gradient_agrees_with_the_separate_references(white):
    images, counts = white
    value, gradient = ref.nll_and_gradient(0.5 * K, images, counts)
    constant = ref.compute_NLL(np.zeros(100), images, counts) - ref.nll_and_gradient(np.zeros(100), images, counts)[0]
    assert np.isclose(value + constant, ref.compute_NLL(0.5 * K, images, counts), rtol=1e-12)
    assert np.allclose(gradient, ref.compute_dNLL_dk(0.5 * K, images, counts), rtol=1e-10)


def test_white_noise_curvature_at_zero_is_the_marchenko_pastur_edge(white):
    images, _ = white
    assert abs(np.linalg.eigvalsh(ref.hessian(np.zeros(100), images))[-1] / 12_000 - 1) < 0.05


def test_white_noise_mle_recovers_the_filter(white):
    images, counts = white
    mle = ref.fit_mle(*white)
    assert correlation(mle, K) >= 0.995
    assert np.linalg.norm(mle - K) / np.linalg.norm(K) <= 0.07
    k, trace = ref.gradient_descent(images, counts, np.zeros(100), n_steps=500, alpha=1e-6)
    assert correlation(k, K) >= 0.995 and np.all(np.diff(trace) <= 0)


def test_pink_noise_mle_and_gradient_descent_recover_the_filter(pink):
    images, counts = pink
    assert correlation(ref.fit_mle(images, counts), K) >= 0.97
    k, _ = ref.gradient_descent(images, counts, np.zeros(100), n_steps=1000, alpha=1e-6)
    assert correlation(k, K) >= 0.97
    assert correlation(counts @ images / counts.sum(), K) <= 0.80  # where the STA fails


def test_large_steps_diverge_where_science_says_they_reliably_do(white, pink):
    assert diverges(*white, alpha=1e-4)
    assert diverges(*pink, alpha=1e-4)
    assert diverges(*pink, alpha=1e-5)  # reliable only with the 32-grid pink stimuli (never asserted on white)
    assert ref.critical_step(ref.fit_mle(*pink), pink[0]) < 1e-5
    assert not diverges(*pink, alpha=1e-6)


# --- the hidden checks: correct answers pass, each known mistake is named ---

def nll_with_constant(k, x, y):
    return -stats.poisson.logpmf(y, np.exp(x @ k)).sum()


def nll_torch(k, x, y):
    import torch

    drive = torch.from_numpy(x) @ torch.from_numpy(k)
    return torch.nn.functional.poisson_nll_loss(drive, torch.from_numpy(y).double(), log_input=True,
                                                reduction="sum")


def gradient_torch(k, x, y):
    import torch

    k_t = torch.tensor(k, requires_grad=True)
    drive = torch.from_numpy(x) @ k_t
    (torch.exp(drive) - torch.from_numpy(y).double() * drive).sum().backward()
    return k_t.grad


def test_checks_accept_the_references():
    checks.check_compute_NLL(ref.compute_NLL)
    checks.check_compute_dNLL_dk(ref.compute_dNLL_dk)
    checks.check_gradient_descent(ref.gradient_descent)


@pytest.mark.parametrize("variant", [
    nll_with_constant,
    nll_torch,
    lambda k, x, y: float(np.sum(np.exp(x @ k) - y * (x @ k))) + 12.5,  # any constant
])
def test_nll_check_accepts_any_constant_and_other_libraries(variant):
    checks.check_compute_NLL(variant)


def test_gradient_check_accepts_torch_autograd():
    checks.check_compute_dNLL_dk(gradient_torch)


@pytest.mark.parametrize("mistake", checks.NLL_MISTAKES, ids=lambda m: m.description[:40])
def test_each_nll_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_compute_NLL(lambda k, x, y: mistake.compute(k, x, y))


@pytest.mark.parametrize("mistake", checks.GRADIENT_MISTAKES, ids=lambda m: m.description[:40])
def test_each_gradient_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_compute_dNLL_dk(lambda k, x, y: mistake.compute(k, x, y))


@pytest.mark.parametrize("mistake", checks.GD_MISTAKES, ids=lambda m: m.description[:40])
def test_each_descent_mistake_is_named(mistake):
    def gradient_descent(x, y, init_guess, n_steps=500, alpha=1e-6):
        return mistake.compute(x, y, init_guess, n_steps, alpha)

    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_gradient_descent(gradient_descent)


def student_functions(source):
    """Functions defined by ``source`` in a notebook-like namespace with broken NLL and gradient."""
    namespace = {"np": np, "compute_NLL": lambda k, x, y: 0.0, "compute_dNLL_dk": lambda k, x, y: -k,
                 "natural_images": np.ones((10, 4)), "natural_counts": np.ones(10)}
    exec(source, namespace)
    return namespace


DESCENT = """
def gradient_descent(x, y, init_guess, n_steps=500, alpha=1e-6):
    k = np.array(init_guess, dtype=float)
    NLL = np.zeros(n_steps)
    for i in range(n_steps):
        k = k - alpha * compute_dNLL_dk(k, x, y)
        NLL[i] = compute_NLL(k, x, y)
    return k, NLL
"""


def test_descent_check_uses_reference_functions_so_one_mistake_costs_once():
    namespace = student_functions(DESCENT)  # its compute_NLL and compute_dNLL_dk are wrong
    broken = namespace["compute_dNLL_dk"]
    checks.check_gradient_descent(namespace["gradient_descent"])
    assert namespace["compute_dNLL_dk"] is broken  # restored afterwards


def test_descent_check_runs_the_students_own_functions_too():
    namespace = student_functions(DESCENT)
    namespace["compute_NLL"] = lambda k, x, y: np.exp(x @ k)  # runs, but one value per image breaks NLL[i] = ...
    with pytest.raises(CheckFailed, match="with your own compute_NLL"):
        checks.check_gradient_descent(namespace["gradient_descent"])


def test_descent_check_skips_the_students_own_functions_when_they_fail_by_themselves():
    namespace = student_functions(DESCENT)
    namespace["compute_NLL"] = lambda k, x, y: natural_images_sum(k)  # fails on other shapes

    def natural_images_sum(k):
        return float(np.sum(namespace["natural_images"] @ k))

    checks.check_gradient_descent(namespace["gradient_descent"])  # that mistake counts in compute_NLL's check


def test_descent_that_mutates_init_guess_is_named():
    namespace = student_functions(DESCENT.replace("np.array(init_guess, dtype=float)", "init_guess")
                                  .replace("k = k - alpha", "k -= alpha"))
    with pytest.raises(CheckFailed, match="changed its argument `init_guess` in place"):
        checks.check_gradient_descent(namespace["gradient_descent"])


def test_reading_notebook_variables_is_named():
    namespace = student_functions(
        "def compute_NLL(k, x, y):\n"
        "    drive = natural_images @ k\n"
        "    return float(np.sum(np.exp(drive)) - natural_counts @ drive)\n")
    with pytest.raises(CheckFailed, match="natural_counts, natural_images instead of its arguments"):
        checks.check_compute_NLL(namespace["compute_NLL"])


@pytest.mark.parametrize("check, answer", [
    (checks.check_compute_NLL, lambda k, x, y: 1234.5),
    (checks.check_compute_dNLL_dk, lambda k, x, y: np.ones(9)),
])
def test_hard_coded_answers_fail(check, answer):
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        check(answer)


def test_public_checks_accept_the_references_and_reject_a_mistake():
    public.check_compute_NLL(ref.compute_NLL)
    public.check_compute_NLL(lambda k, x, y: float(np.sum(np.exp(x @ k) - y * (x @ k))))
    public.check_compute_dNLL_dk(ref.compute_dNLL_dk)
    public.check_gradient_descent(ref.gradient_descent, ref.compute_NLL, ref.compute_dNLL_dk)
    with pytest.raises(AssertionError, match="4 - log 2"):
        public.check_compute_NLL(checks.NLL_MISTAKES[0].compute)
    with pytest.raises(AssertionError, match=r"\[1, -2\]"):
        public.check_compute_dNLL_dk(checks.GRADIENT_MISTAKES[1].compute)


# --- the benchmark script runs and prints its figures (no timing asserted) ---

def test_benchmark_prints_its_figures():
    process = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "nll_gradient.py"), "--n-images", "500", "--n-pixels", "20",
         "--repeats", "5"], capture_output=True, text=True, check=True, cwd=REPO)
    for label in ("NLL + gradient", "X @ k", "ratio", " ms"):
        assert label in process.stdout
