"""Assignment 6's references against theory, its public checks, and its hidden checks against known answers."""
import re

import numpy as np
import pytest
from scipy import integrate, stats

from autograder.a6_efficient_coding import checks, reference as ref
from autograder.harness import CheckFailed
from course.checks import efficient_coding as public
from course.efficient_coding import predicted_exponent, von_mises_prior

pytestmark = pytest.mark.filterwarnings("error")

ANGLES = np.linspace(0, np.pi, 2001)


# --- the references ------------------------------------------------------------------------------------------------

def test_normalized_sqrt_fisher_integrates_to_one_and_recovers_the_infomax_prior():
    rng = np.random.default_rng(0)
    thetas = np.sort(np.concatenate([[0.0, 2.0], rng.uniform(0, 2.0, 50)]))
    fisher = rng.uniform(0.5, 100.0, thetas.size)
    assert integrate.trapezoid(ref.normalized_sqrt_fisher(fisher, thetas), thetas) == pytest.approx(1.0, rel=1e-12)
    # J = c P^2 (maximal information): sqrt(J) normalised is the prior itself, whatever c.
    prior = von_mises_prior(ANGLES, 2.0)
    assert np.allclose(ref.normalized_sqrt_fisher(37.0 * prior**2, ANGLES), prior, rtol=1e-6)


def test_normalized_sqrt_fisher_matches_the_predicted_allocation_for_an_lp_error():
    """sqrt(J) / B = P^(1/(1+p)) / integral of P^(1/(1+p)), computed here with scipy's quadrature."""
    power, kappa = 2.0, 1.5
    alpha = predicted_exponent(power)
    area = integrate.quad(lambda t: von_mises_prior(t, kappa) ** (alpha / 2), 0, np.pi)[0]
    expected = von_mises_prior(ANGLES, kappa) ** (alpha / 2) / area
    assert np.allclose(ref.normalized_sqrt_fisher(von_mises_prior(ANGLES, kappa) ** alpha, ANGLES), expected,
                       rtol=1e-6)


def test_predicted_exponents_minimise_the_lp_error_at_a_fixed_budget():
    """Numerically: among allocations sqrt(J) = B P^(a/2) / integral (same budget B), a = 2/(1+p) errs least."""
    prior = von_mises_prior(ANGLES, 2.0)
    for power in (0.5, 1.0, 2.0):
        exponents = np.linspace(0.1, 2.5, 241)
        costs = []
        for alpha in exponents:
            root = ref.normalized_sqrt_fisher(prior**alpha, ANGLES)  # budget B = 1
            costs.append(integrate.trapezoid(prior * root ** (-power), ANGLES))  # E|error|^p up to c_p
        assert exponents[np.argmin(costs)] == pytest.approx(predicted_exponent(power), abs=0.011)


def test_fit_power_law_recovers_exponents_in_any_log_base_and_skips_points_without_a_logarithm():
    prior = von_mises_prior(np.linspace(0, np.pi, 40), 3.0)
    assert ref.fit_power_law(prior, 5.0 * prior**1.3) == pytest.approx(1.3, rel=1e-10)
    rng = np.random.default_rng(1)
    noisy = 5.0 * prior**0.7 * np.exp(rng.normal(0, 0.3, prior.size))
    keep = noisy > 0
    assert ref.fit_power_law(prior, noisy) == pytest.approx(
        stats.linregress(np.log10(prior[keep]), np.log10(noisy[keep])).slope, rel=1e-10)
    with_gaps = noisy.copy()
    with_gaps[[3, 9]] = [0.0, -2.0]
    gappy_prior = prior.copy()
    gappy_prior[20] = 0.0
    keep = np.ones(prior.size, bool)
    keep[[3, 9, 20]] = False
    assert ref.fit_power_law(gappy_prior, with_gaps) == pytest.approx(ref.fit_power_law(prior[keep], noisy[keep]))


# --- the public checks ---------------------------------------------------------------------------------------------

def test_public_checks_accept_the_references_and_reject_mistakes():
    public.check_normalized_sqrt_fisher(ref.normalized_sqrt_fisher)
    public.check_fit_power_law(ref.fit_power_law)
    with pytest.raises(AssertionError, match=r"\[0.25, 0.5, 0.75\]"):
        public.check_normalized_sqrt_fisher(lambda f, t: f / np.trapezoid(f, t))
    with pytest.raises(AssertionError, match=r"\[0.25, 0.5, 0.75\]"):
        public.check_normalized_sqrt_fisher(lambda f, t: np.sqrt(f) / np.sum(np.sqrt(f)))
    with pytest.raises(AssertionError, match="not a plain sum or a unit spacing"):  # right on the unit grid only
        public.check_normalized_sqrt_fisher(lambda f, t: np.sqrt(f) / np.trapezoid(np.sqrt(f)))
    with pytest.raises(AssertionError, match="slope of log FI on log prior is 2"):
        public.check_fit_power_law(lambda p, f: np.polyfit(np.log(f), np.log(p), 1)[0])
    with pytest.raises(AssertionError, match="0.21"):  # exact power laws cannot tell x-on-y from 1/(y-on-x)
        public.check_fit_power_law(lambda p, f: 1 / np.polyfit(np.log(f), np.log(p), 1)[0])


def test_public_check_explains_points_without_a_logarithm_without_writing_warnings(capfd):
    with pytest.raises(AssertionError, match="leave those points out"):
        public.check_fit_power_law(lambda p, f: np.polyfit(np.log(p), np.log(f), 1)[0])
    assert "RuntimeWarning" not in capfd.readouterr().err


# --- the hidden checks: correct answers pass, each known mistake is named --------------------------------------------

def test_hidden_checks_accept_the_references_and_other_correct_formulations():
    checks.check_normalized_sqrt_fisher(ref.normalized_sqrt_fisher)
    checks.check_normalized_sqrt_fisher(lambda f, t: np.sqrt(f) / integrate.trapezoid(np.sqrt(f), x=t))
    checks.check_normalized_sqrt_fisher(lambda f, t: f**0.5 / np.trapezoid(f**0.5, t))
    checks.check_fit_power_law(ref.fit_power_law)

    def linregress_log10(prior, fisher):
        keep = (prior > 0) & (fisher > 0)
        return stats.linregress(np.log10(prior[keep]), np.log10(fisher[keep])).slope

    def least_squares_log2(prior, fisher):
        keep = np.flatnonzero((prior > 0) & (fisher > 0))
        design = np.column_stack([np.log2(prior[keep]), np.ones(keep.size)])
        return np.linalg.lstsq(design, np.log2(fisher[keep]), rcond=None)[0][0]

    checks.check_fit_power_law(linregress_log10)
    checks.check_fit_power_law(least_squares_log2)


@pytest.mark.parametrize("mistake", checks.SQRT_MISTAKES, ids=lambda m: m.description[:40])
def test_each_normalisation_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_normalized_sqrt_fisher(lambda fisher, thetas: mistake.compute(fisher, thetas))


@pytest.mark.parametrize("mistake", checks.POWER_MISTAKES, ids=lambda m: m.description[:40])
def test_each_power_law_mistake_is_named(mistake):
    with pytest.raises(CheckFailed, match="looks like you " + re.escape(mistake.description[:30])):
        checks.check_fit_power_law(lambda prior, fisher: mistake.compute(prior, fisher))


def test_points_without_a_logarithm_are_named_whether_the_student_raises_returns_nan_or_clips():
    with pytest.raises(CheckFailed, match="did not leave out the points where the Fisher information is <= 0"):
        checks.check_fit_power_law(lambda p, f: np.polyfit(np.log(p), np.log(f), 1)[0])

    def only_fisher(prior, fisher):
        keep = fisher > 0
        return np.polyfit(np.log(prior[keep]), np.log(fisher[keep]), 1)[0]

    with pytest.raises(CheckFailed, match="did not leave out the points where the prior is 0"):
        checks.check_fit_power_law(only_fisher)

    def clipped(prior, fisher):
        return ref.fit_power_law(np.maximum(prior, 1e-9), np.maximum(fisher, 1e-9))

    with pytest.raises(CheckFailed, match="do not clip or replace them"):
        checks.check_fit_power_law(clipped)


def test_slope_and_intercept_together_are_explained():
    def both(prior, fisher):
        keep = (prior > 0) & (fisher > 0)
        return np.polyfit(np.log(prior[keep]), np.log(fisher[keep]), 1)

    with pytest.raises(CheckFailed, match=r"returns \[slope, intercept\]: return the slope only"):
        checks.check_fit_power_law(both)


def test_a_function_that_ignores_its_angles_is_caught():
    notebook_angles = np.linspace(0, np.pi, 61)
    with pytest.raises(CheckFailed, match="ignore its `thetas` argument"):
        checks.check_normalized_sqrt_fisher(lambda f, t: np.sqrt(f) / np.trapezoid(np.sqrt(f), notebook_angles))


def test_hard_coded_answers_and_changed_inputs_fail():
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_fit_power_law(lambda prior, fisher: 0.41)
    with pytest.raises(CheckFailed, match="same answer for two different random inputs"):
        checks.check_normalized_sqrt_fisher(lambda fisher, thetas: np.full(61, 1 / np.pi))

    def in_place(fisher, thetas):
        np.sqrt(fisher, out=fisher)
        return fisher / np.trapezoid(fisher, thetas)

    with pytest.raises(CheckFailed, match="changed its argument `fisher` in place"):
        checks.check_normalized_sqrt_fisher(in_place)

    def drops_in_place(prior, fisher):
        fisher[fisher <= 0] = np.nan
        keep = (prior > 0) & np.isfinite(fisher)
        return ref.fit_power_law(prior[keep], fisher[keep])

    with pytest.raises(CheckFailed, match="changed its argument `fisher` in place") as failure:
        checks.check_fit_power_law(drops_in_place)
    assert "did not leave out" not in str(failure.value)


def test_hidden_checks_do_not_modify_what_they_pass_back_to_the_reference():
    """The check compares with the reference on the original inputs, even if the student's copy was changed."""
    seen = []

    def recording(fisher, thetas):
        seen.append((fisher.copy(), thetas.copy()))
        return ref.normalized_sqrt_fisher(fisher, thetas)

    checks.check_normalized_sqrt_fisher(recording)
    assert len(seen) >= 4 and all(np.all(f > 0) and np.all(np.diff(t) > 0) for f, t in seen)
