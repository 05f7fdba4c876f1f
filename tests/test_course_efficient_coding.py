"""Tests for course.efficient_coding (assignment 6): priors, stimuli, training, and the networks' Fisher information."""
import doctest
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from scipy import integrate, stats

import course.efficient_coding as ec
from autograder.a6_efficient_coding.reference import fit_power_law, normalized_sqrt_fisher
from course.gratings import finite_difference_derivative, output_statistics, sample_nuisance
from course.population import orientation_difference

pytestmark = pytest.mark.filterwarnings("error")

ANGLES = np.linspace(0, np.pi, 13)


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def nuisance():
    return sample_nuisance(300, generator(1))


@pytest.fixture(scope="module")
def circular_network():
    thetas, images = ec.make_training_set(2000, 2.0, generator(2))
    network, losses = ec.train_network(thetas, images, "circular", 2.0, generator(2), n_epochs=4)
    return network, losses


# --- documentation -------------------------------------------------------------------------------------------------

def test_every_public_function_is_documented_numpydoc_style_and_the_examples_run():
    for name in ec.__all__:
        item = getattr(ec, name)
        if inspect.isfunction(item):
            doc = inspect.getdoc(item) or ""
            assert "Returns\n-------" in doc or "Parameters\n----------" in doc, name
    assert doctest.testmod(ec, extraglobs={"np": np}).failed == 0


# --- the prior and the stimuli -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kappa", [0.0, 0.5, 2.0, 40.0])
def test_von_mises_prior_is_a_density_over_half_a_turn(kappa):
    assert integrate.quad(lambda t: ec.von_mises_prior(t, kappa), 0, np.pi, points=[np.pi / 2])[0] == \
        pytest.approx(1.0, rel=1e-8)
    theta = np.linspace(-1, 4, 11)
    assert np.allclose(ec.von_mises_prior(theta, kappa), ec.von_mises_prior(theta + np.pi, kappa))
    assert np.argmax(ec.von_mises_prior(ANGLES, kappa + 0.1)) == 6  # peak at 90 degrees


def test_prior_matches_its_definition_and_the_uniform_limit():
    theta = np.linspace(0, np.pi, 7)
    expected = np.exp(2.0 * np.cos(2 * (theta - 0.3))) / (np.pi * np.i0(2.0))
    assert np.allclose(ec.von_mises_prior(theta, 2.0, mean=0.3), expected)
    assert np.allclose(ec.von_mises_prior(theta, 0.0), 1 / np.pi)


def test_bad_prior_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="kappa must be >= 0"):
        ec.von_mises_prior(0.1, -1.0)
    with pytest.raises(ValueError, match="kappa must be a finite number"):
        ec.von_mises_prior(0.1, np.inf)
    with pytest.raises(ValueError, match="finite angles"):
        ec.von_mises_prior([0.1, np.nan], 1.0)


def test_sampled_orientations_follow_the_prior_and_are_seeded():
    thetas = ec.sample_orientations(20_000, 2.0, generator(3))
    assert thetas.dtype == torch.float64 and thetas.shape == (20_000,)
    assert torch.all((thetas >= 0) & (thetas < math.pi))
    assert torch.equal(thetas, ec.sample_orientations(20_000, 2.0, generator(3)))
    grid = np.linspace(0, np.pi, 20_001)
    table = integrate.cumulative_trapezoid(ec.von_mises_prior(grid, 2.0), grid, initial=0.0)
    assert stats.kstest(thetas.numpy(), lambda x: np.interp(x, grid, table)).pvalue > 0.01
    uniform = ec.sample_orientations(20_000, 0.0, generator(4)).numpy()
    assert stats.kstest(uniform / np.pi, "uniform").pvalue > 0.01
    with pytest.raises(TypeError, match="torch.Generator"):
        ec.sample_orientations(10, 1.0, 0)
    with pytest.raises(ValueError, match="n_samples"):
        ec.sample_orientations(0, 1.0, generator())


def test_training_sets_are_seeded_gratings_plus_noise():
    thetas, images = ec.make_training_set(50, 2.0, generator(5), noise_sd=0.0)
    assert thetas.shape == (50,) and images.shape == (50, 144) and images.dtype == torch.float32
    again_thetas, again_images = ec.make_training_set(50, 2.0, generator(5), noise_sd=0.0)
    assert torch.equal(thetas, again_thetas) and torch.equal(images, again_images)
    assert float(images.abs().max()) <= 1.0 + 1e-6  # noise-free gratings of contrast 1
    noisy = ec.make_training_set(2000, 0.0, generator(6), noise_sd=1.0)[1]
    assert float(noisy.std()) == pytest.approx(math.sqrt(1.0 + 0.5), rel=0.03)  # noise variance 1 + grating 1/2
    with pytest.raises(ValueError, match="noise_sd"):
        ec.make_training_set(5, 1.0, generator(), noise_sd=-1.0)


# --- encodings and the loss ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ec.ENCODINGS)
def test_decoding_inverts_encoding(encoding):
    thetas = torch.tensor([0.0, 0.3, 1.5, 2.9, 3.1])
    targets = ec.encode_orientations(thetas, encoding)
    assert targets.shape == (5, 2 if encoding == "circular" else 1)
    assert np.allclose(orientation_difference(ec.decode_outputs(targets, encoding), thetas.numpy()), 0, atol=1e-6)


def test_encodings_differ_at_the_ends_of_the_range():
    ends = np.array([1e-3, np.pi - 1e-3])
    circular = ec.encode_orientations(ends, "circular")
    linear = ec.encode_orientations(ends, "linear")
    assert torch.allclose(circular[0], circular[1], atol=1e-2)  # neighbours on the circle
    assert float(linear[1, 0] - linear[0, 0]) == pytest.approx(np.pi, abs=1e-2)  # opposite ends of the line


def test_bad_encodings_and_output_shapes_raise():
    with pytest.raises(ValueError, match="encoding must be one of"):
        ec.encode_orientations([0.1], "polar")
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        ec.decode_outputs(np.zeros((3, 1)), "circular")
    with pytest.raises(ValueError, match="finite angles"):
        ec.encode_orientations([np.nan], "linear")


def test_power_loss_is_a_power_of_the_error_length():
    outputs = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    targets = torch.zeros(2, 2)
    assert float(ec.power_loss(outputs, targets, 2.0, smoothing=0.0)) == pytest.approx(12.5)
    assert float(ec.power_loss(outputs, targets, 1.0, smoothing=0.0)) == pytest.approx(2.5)
    assert float(ec.power_loss(outputs, targets, 0.5, smoothing=1e-3)) == pytest.approx(
        (math.sqrt(5) + math.sqrt(1e-3)) / 2, rel=1e-5)
    with pytest.raises(ValueError, match="power must be > 0"):
        ec.power_loss(outputs, targets, 0.0)
    with pytest.raises(ValueError, match="differ in shape"):
        ec.power_loss(outputs, targets[:, :1], 2.0)


# --- training --------------------------------------------------------------------------------------------------------

def test_training_is_seeded_and_reduces_the_loss(circular_network):
    network, losses = circular_network
    thetas, images = ec.make_training_set(2000, 2.0, generator(2))
    again, _ = ec.train_network(thetas, images, "circular", 2.0, generator(2), n_epochs=4)
    assert all(torch.equal(p, q) for p, q in zip(network.parameters(), again.parameters()))
    assert losses.shape == (4,) and losses[-1] < 0.5 * losses[0]
    linear, _ = ec.train_network(thetas, images, "linear", 1.0, generator(2), n_epochs=1)
    assert linear[-1].out_features == 1


def test_bad_training_inputs_raise_clear_errors():
    thetas, images = ec.make_training_set(20, 1.0, generator())
    with pytest.raises(ValueError, match="one row per orientation"):
        ec.train_network(thetas[:10], images, "circular", 2.0, generator())
    with pytest.raises(ValueError, match="square images"):
        ec.train_network(thetas, images[:, :140], "circular", 2.0, generator())
    with pytest.raises(ValueError, match="power must be > 0"):
        ec.train_network(thetas, images, "circular", -2.0, generator())
    with pytest.raises(TypeError, match="torch.Generator"):
        ec.train_network(thetas, images, "circular", 2.0, None)


def test_orientation_errors_are_wrapped():
    class Fixed(torch.nn.Module):
        def forward(self, images):
            return ec.encode_orientations(torch.full((len(images),), 3.0), "circular")

    errors = ec.orientation_errors(Fixed(), "circular", np.array([0.1, 3.0, 1.3]), torch.zeros(3, 144))
    assert np.allclose(errors, [3.0 - 0.1 - np.pi, 0.0, 3.0 - 1.3 - np.pi], atol=1e-6)  # reported 3.0 rad every time
    assert np.all((errors >= -np.pi / 2) & (errors < np.pi / 2))


# --- Fisher information of a network ------------------------------------------------------------------------------

def test_fisher_information_matches_assignment_3s_per_angle_computation(circular_network, nuisance):
    network, _ = circular_network
    phases, noise = nuisance
    information = ec.network_fisher_information(network, ANGLES, phases, noise, chunk=5)
    means = ec.mean_network_output(network, ANGLES, phases, noise)
    for index in (0, 4, 9):
        mean, derivative, covariance = output_statistics(network, ANGLES[index], phases, noise)
        finite = finite_difference_derivative(network, ANGLES[index], phases, noise, step=1e-5)
        assert np.allclose(derivative, finite, rtol=1e-5, atol=1e-7 * np.abs(derivative).max())
        assert information[index] == pytest.approx(derivative @ np.linalg.solve(covariance, derivative), rel=1e-9)
        assert np.allclose(means[index], mean)
    assert np.allclose(information, ec.network_fisher_information(network, ANGLES, phases, noise, chunk=13))


def test_fisher_information_of_a_linear_output_is_its_slope_squared_over_its_variance(nuisance):
    phases, noise = nuisance
    thetas, images = ec.make_training_set(500, 0.0, generator(7))
    network, _ = ec.train_network(thetas, images, "linear", 2.0, generator(7), n_epochs=2)
    angle, step = 1.1, 1e-5
    information = ec.network_fisher_information(network, [angle], phases, noise)[0]
    slope = (ec.mean_network_output(network, [angle + step], phases, noise)
             - ec.mean_network_output(network, [angle - step], phases, noise))[0, 0] / (2 * step)
    _, _, covariance = output_statistics(network, angle, phases, noise)
    assert information == pytest.approx(slope**2 / float(covariance), rel=1e-5)


def test_bad_nuisance_samples_raise_clear_errors(circular_network, nuisance):
    network, _ = circular_network
    phases, noise = nuisance
    with pytest.raises(ValueError, match="one row per phase"):
        ec.network_fisher_information(network, ANGLES, phases[:10], noise)
    with pytest.raises(ValueError, match="at least 4 nuisance samples"):
        ec.network_fisher_information(network, ANGLES, phases[:3], noise[:3])
    with pytest.raises(ValueError, match="finite"):
        ec.network_fisher_information(network, [0.1, np.nan], phases, noise)


def test_predicted_exponents():
    assert ec.predicted_exponent(0.0) == 2.0 and ec.predicted_exponent(1.0) == 1.0
    assert ec.predicted_exponent(2.0) == pytest.approx(2 / 3)
    assert np.allclose(ec.predicted_exponent(np.array([0.5, 3.0])), [4 / 3, 0.5])
    with pytest.raises(ValueError, match="power"):
        ec.predicted_exponent(-1.0)


def test_networks_trained_on_a_concentrated_prior_follow_it_more_with_a_smaller_loss_exponent():
    """The notebook's claim, on one repeat each: information follows the prior, more so for p = 0.5 than p = 2."""
    angles = np.linspace(0, np.pi, 31)
    phases, noise = sample_nuisance(300, generator(1))
    prior = ec.von_mises_prior(angles, 2.0)
    exponents = {}
    for power in (2.0, 0.5):
        network, losses, fisher = ec.train_and_measure(2.0, "circular", power, 0, angles, phases, noise,
                                                       n_samples=4000)
        assert fisher.shape == (31,) and np.all(fisher > 0)
        assert fisher[15] > 2 * fisher[0]  # 90 degrees (common) against 0 degrees (rare)
        exponents[power] = fit_power_law(prior, fisher)
    assert 0.15 < exponents[2.0] < exponents[0.5]


def test_explorer_draws_once_headless_with_the_students_functions(monkeypatch):
    monkeypatch.setenv("COURSE_STATIC_WIDGETS", "1")
    calls = []

    def measure(kappa, power):
        calls.append((kappa, power))
        return 50.0 * ec.von_mises_prior(ANGLES, kappa) ** 0.5

    figures = len(plt.get_fignums())
    assert ec.concentration_explorer(measure, normalized_sqrt_fisher, fit_power_law, ANGLES) is None
    assert calls == [(2.0, 2.0)]
    plt.close("all")
    assert len(plt.get_fignums()) <= figures
