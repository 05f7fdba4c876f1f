"""Tests for course.spiking: the two-ear input model, the spiking network and its helpers (assignment 5)."""
import inspect
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course import spiking
from course.spiking import (DT, FIBRES_PER_EAR, N_CLASSES, N_STEPS, PEAK_RATE, SURROGATE_SLOPE, class_centres,
                            ear_spikes, fibre_rates, init_network, ipd_classes, make_dataset, network_responses,
                            phase_leads, plot_confusion_matrix, plot_raster, plot_tuning_curves,
                            spike_and_surrogate_gradient, train_network, tuning_curves)

pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.usefixtures("torch_on_one_thread")]


class Spike(torch.autograd.Function):
    """Heaviside forward, sigmoid-derivative backward (the exercise's answer, for driving the network)."""

    @staticmethod
    def forward(ctx, v):
        ctx.save_for_backward(v)
        return (v > 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (v,) = ctx.saved_tensors
        sigma = torch.sigmoid(SURROGATE_SLOPE * v)
        return grad_output * SURROGATE_SLOPE * sigma * (1 - sigma)


def lif(v, input_current, spikes_prev, alpha):
    return (alpha * v + input_current) * (1 - spikes_prev)


@pytest.fixture
def figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(5)
    return make_dataset(768, rng), make_dataset(256, rng)


# --- the input model ---------------------------------------------------------------------


def test_phase_leads_and_classes_cover_the_ranges_evenly():
    assert np.allclose(phase_leads(5), [0, np.pi / 8, np.pi / 4, 3 * np.pi / 8, np.pi / 2])
    centres = class_centres(12)
    assert np.allclose(np.diff(centres), np.pi / 12) and centres[0] == pytest.approx(-np.pi / 2 + np.pi / 24)
    assert np.array_equal(ipd_classes(centres, 12), np.arange(12))
    assert np.array_equal(ipd_classes([-np.pi / 2, -1e-9, 0.0, np.pi / 2], 12), [0, 5, 6, 11])


def test_a_phase_lead_makes_the_envelope_peak_earlier_in_higher_fibres_and_a_positive_ipd_in_the_right_ear():
    # What the notebook's text and raster say: bands reach higher fibres first; at +IPD the right ear leads.
    rates = fibre_rates([np.pi / 4], [-np.pi], fibres_per_ear=5)[0]  # (N_STEPS, 10): peaks 18-38 ms
    first_peaks = rates[:50].argmax(axis=0) * DT * 1e3  # ms, within the first 50-ms cycle
    assert np.all(np.diff(first_peaks[:5]) < 0), first_peaks
    assert first_peaks[0] - first_peaks[4] == pytest.approx(12.5, abs=1.0)  # pi/2 of a 50-ms cycle
    assert np.all(first_peaks[5:] < first_peaks[:5])  # the right ear's peaks come first


def test_rates_follow_the_envelope_and_the_right_ear_is_shifted_by_the_ipd():
    ipds, phases = np.array([-1.0, 0.0, 0.7]), np.array([0.3, 2.0, 5.0])
    rates = fibre_rates(ipds, phases, fibres_per_ear=4)
    assert rates.shape == (3, N_STEPS, 8)
    assert rates.min() >= 0 and rates.max() <= PEAK_RATE
    t = np.arange(N_STEPS) * DT
    for trial in range(3):
        for i, lead in enumerate(phase_leads(4)):
            left = PEAK_RATE * ((1 + np.sin(2 * np.pi * 20 * t + phases[trial] + lead)) / 2) ** 2
            assert np.allclose(rates[trial, :, i], left)
            right = PEAK_RATE * ((1 + np.sin(2 * np.pi * 20 * t + phases[trial] + lead + ipds[trial])) / 2) ** 2
            assert np.allclose(rates[trial, :, 4 + i], right)
    # Two cycles of 50 ms: the mean of r_max ((1 + sin)/2)^2 over whole cycles is 3/8 r_max = 225 Hz.
    assert np.allclose(rates.mean(axis=1), 3 / 8 * PEAK_RATE)


def test_spike_counts_do_not_depend_on_the_ipd_but_the_ears_coincidence_does():
    rng = np.random.default_rng(0)
    counts, coincidence = [], []
    for ipd in (-np.pi / 2, 0.0, np.pi / 2):
        spikes = ear_spikes(np.full(300, ipd), rng)
        counts.append(spikes.mean() / DT)
        left, right = spikes[:, :, :FIBRES_PER_EAR].sum(axis=2), spikes[:, :, FIBRES_PER_EAR:].sum(axis=2)
        coincidence.append(np.mean(left * right))
    assert np.allclose(counts, 225.0, rtol=0.01)  # the rate carries no IPD information
    # In phase (IPD 0) the ears' population bursts coincide: their product is larger than at +-90 degrees.
    assert coincidence[1] > 1.1 * max(coincidence[0], coincidence[2])


def test_datasets_are_seeded_uniform_and_consistent():
    first = make_dataset(3000, np.random.default_rng(3), fibres_per_ear=3)
    again = make_dataset(3000, np.random.default_rng(3), fibres_per_ear=3)
    spikes, ipds, labels = first
    assert spikes.shape == (3000, N_STEPS, 6) and spikes.dtype == np.float32
    assert set(np.unique(spikes)) <= {0.0, 1.0}
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert np.all(np.abs(ipds) < np.pi / 2)
    assert np.array_equal(labels, ipd_classes(ipds))
    assert np.bincount(labels, minlength=N_CLASSES).min() > 3000 / N_CLASSES * 0.7


def test_bad_inputs_raise_clear_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"\[-pi/2, pi/2\]"):
        ear_spikes([2.0], rng)
    with pytest.raises(ValueError, match="finite"):
        ear_spikes([np.nan], rng)
    with pytest.raises(TypeError, match="Generator"):
        ear_spikes([0.1], 0)
    with pytest.raises(ValueError, match="n_trials"):
        make_dataset(0, rng)
    with pytest.raises(ValueError, match="fibres_per_ear"):
        phase_leads(1)
    with pytest.raises(ValueError, match="n_classes"):
        ipd_classes([0.0], 1)
    with pytest.raises(ValueError, match="start_phases"):
        fibre_rates([0.0, 0.1], [0.0])


# --- the network -----------------------------------------------------------------------


def test_the_network_integrates_resets_and_reads_out_as_documented():
    generator = torch.Generator().manual_seed(0)
    network = init_network(6, 4, N_CLASSES, generator, Spike, lif, tau=0.005, weight_scale=3.0)
    spikes = torch.as_tensor(ear_spikes(np.zeros(3), np.random.default_rng(0), fibres_per_ear=3))
    with torch.no_grad():
        scores, hidden = network(spikes)
    # The same computation written out step by step.
    alpha, alpha_r = math.exp(-DT / 0.005), math.exp(-DT / 0.02)
    currents = spikes @ network.input_weights
    v = torch.zeros(3, 4)
    s = torch.zeros(3, 4)
    u = torch.zeros(3, N_CLASSES)
    expected_spikes, readout = [], []
    for t in range(N_STEPS):
        v = (alpha * v + currents[:, t]) * (1 - s)
        s = (v > 1).float()
        u = alpha_r * u + s @ network.output_weights
        expected_spikes.append(s)
        readout.append(u)
    assert hidden.sum() > 0
    assert torch.equal(hidden, torch.stack(expected_spikes, dim=1))
    assert torch.allclose(scores, torch.stack(readout, dim=1).mean(dim=1), atol=1e-5)


def test_training_decodes_far_above_chance_and_better_with_a_short_time_constant(small_data, capsys):
    (train, _, train_labels), (test, test_ipds, test_labels) = small_data
    accuracy = {}
    for tau in (0.005, 0.1):
        network, losses = train_network(train, train_labels, Spike, lif, torch.Generator().manual_seed(1),
                                        tau=tau, n_epochs=6)
        scores, rates = network_responses(network, test)
        accuracy[tau] = np.mean(scores.argmax(axis=1) == test_labels)
        assert losses.shape == (6 * 12,) and losses[-5:].mean() < 0.7 * losses[:5].mean()
    # Measured 0.57-0.64 (tau = 5 ms) and 0.27-0.36 (100 ms) over three seeds; chance is 1/12.
    assert accuracy[0.005] > 0.45
    assert accuracy[0.1] < accuracy[0.005] - 0.15
    assert scores.shape == (256, N_CLASSES) and rates.shape == (256, 30)
    assert not network.input_weights.requires_grad
    assert capsys.readouterr().err == ""  # headless: no progress bar on stderr
    centres, curves = tuning_curves(rates, test_ipds)
    assert curves.shape == (N_CLASSES, 30) and np.nanmax(curves) > 0


def test_training_is_reproducible(small_data):
    (train, _, labels), _ = small_data
    runs = [train_network(train[:256], labels[:256], Spike, lif, torch.Generator().manual_seed(4), n_epochs=1)
            for _ in range(2)]
    assert np.array_equal(runs[0][1], runs[1][1])
    assert torch.equal(runs[0][0].output_weights, runs[1][0].output_weights)


def test_the_class_itself_or_its_apply_can_be_passed(small_data):
    (train, _, labels), _ = small_data
    first, _ = train_network(train[:64], labels[:64], Spike, lif, torch.Generator().manual_seed(2), n_epochs=1)
    second, _ = train_network(train[:64], labels[:64], Spike.apply, lif, torch.Generator().manual_seed(2),
                              n_epochs=1)
    assert torch.equal(first.input_weights, second.input_weights)


def test_a_numpy_only_lif_step_gets_a_clear_message(small_data):
    (train, _, labels), _ = small_data

    def numpy_lif(v, input_current, spikes_prev, alpha):
        return np.where(spikes_prev > 0, 0.0, alpha * v + input_current)

    with pytest.raises(TypeError, match="must work on torch tensors"):
        train_network(train[:8], labels[:8], Spike, numpy_lif, torch.Generator().manual_seed(0), n_epochs=1)


def test_bad_training_arguments_raise_clear_errors(small_data):
    (train, _, labels), _ = small_data
    generator = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="labels"):
        train_network(train[:8], labels[:7], Spike, lif, generator)
    with pytest.raises(ValueError, match="labels"):
        train_network(train[:8], labels[:8] - 20, Spike, lif, generator)
    with pytest.raises(ValueError, match="spikes must have shape"):
        train_network(train[0], labels[:1], Spike, lif, generator)
    with pytest.raises(ValueError, match="tau"):
        train_network(train[:8], labels[:8], Spike, lif, generator, tau=0.0)
    with pytest.raises(ValueError, match="rate_band"):
        train_network(train[:8], labels[:8], Spike, lif, generator, rate_band=(50.0, 5.0))
    with pytest.raises(ValueError, match="rate_penalty"):
        train_network(train[:8], labels[:8], Spike, lif, generator, rate_penalty=-1.0)
    with pytest.raises(TypeError, match="torch.Generator"):
        train_network(train[:8], labels[:8], Spike, lif, 0)


# --- the surrogate-gradient driver -----------------------------------------------------


def test_driver_returns_both_passes_as_arrays():
    v = np.array([[-0.5, 0.5], [3.0, 0.0]])
    spikes, grad = spike_and_surrogate_gradient(Spike, v, np.full((2, 2), 2.0))
    sigma = 1 / (1 + np.exp(-SURROGATE_SLOPE * v))
    assert spikes.dtype == np.float64 and np.array_equal(spikes, [[0, 1], [1, 0]])
    assert np.allclose(grad, 2 * SURROGATE_SLOPE * sigma * (1 - sigma))
    with pytest.raises(ValueError, match="shape of v"):
        spike_and_surrogate_gradient(Spike, v, np.ones(3))


# --- figures and documentation ---------------------------------------------------------


def test_plots_draw_and_validate(figures):
    spikes, _, _ = make_dataset(2, np.random.default_rng(0))
    assert plot_raster(spikes[0]).get_xlabel() == "time (ms)"
    matrix = np.diag(np.arange(1.0, 13.0))
    matrix[0, 1] = 1.0
    assert plot_confusion_matrix(matrix).collections  # the image
    centres = class_centres()
    curves = np.stack([np.cos(centres + shift) + 1 for shift in (0.0, 1.0, 2.0)], axis=1)
    curves[:, 2] = 0.0  # a silent neuron is left out
    ax = plot_tuning_curves(centres, curves, plt.figure().gca(), n_show=5)
    assert len(ax.lines) == 2 and ax.get_title() == "2 of 3 hidden neurons fire"
    key = ax.figure.axes[-1]  # the colour bar: every colour has its key
    assert key is not ax and key.get_ylabel() == "preferred IPD (degrees)"
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.ones((3, 4)))
    with pytest.raises(ValueError, match="n_steps"):
        plot_raster(spikes)
    with pytest.raises(ValueError, match="n_bins"):
        plot_tuning_curves(centres, curves[:5])
    with pytest.raises(ValueError, match="hidden_rates"):
        tuning_curves(np.ones((4, 2)), np.zeros(3))


def test_tuning_curves_average_each_bin_and_leave_empty_bins_nan():
    ipds = np.array([-1.5, -1.4, 0.1, 1.5])
    rates = np.array([[1.0, 0.0], [3.0, 0.0], [5.0, 2.0], [7.0, 4.0]])
    centres, curves = tuning_curves(rates, ipds, n_bins=3)
    assert np.allclose(centres, [-np.pi / 3, 0.0, np.pi / 3])
    assert np.allclose(curves, [[2.0, 0.0], [5.0, 2.0], [7.0, 4.0]])
    _, sparse = tuning_curves(rates, ipds, n_bins=6)
    assert np.isnan(sparse[1]).all()


def test_every_public_function_is_documented_numpy_style():
    for name in spiking.__all__:
        item = getattr(spiking, name)
        if callable(item):
            doc = inspect.getdoc(item) or ""
            assert doc, name
            if inspect.signature(item).parameters:
                assert "Parameters" in doc or "Attributes" in doc, name
