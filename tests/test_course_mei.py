"""Tests for course.mei (assignment 7): patches, simulated neurons, recordings on disk, the CNN and MEIs."""
import csv
import doctest
import inspect

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from scipy import signal

import course.mei as mei
from autograder.a7_cnn_mei.reference import gabor_patch, mei_step, oracle_correlation
from course.stimuli import photo_patches

pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.usefixtures("torch_on_one_thread")]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def patches():
    return mei.natural_patches(3000, np.random.default_rng(0))


@pytest.fixture(scope="module")
def population(patches):
    return mei.v1_population(patches)


@pytest.fixture(scope="module")
def fitted(patches, population):
    """A CNN fitted to 2500 single trials of the population; 500 test images with 8 repeats."""
    rng = np.random.default_rng(1)
    train, test = patches[:2500], patches[2500:]
    responses = mei.simulate_responses(population, train, 1, rng)[:, :, 0]
    model, losses = mei.train_cnn(train, responses, generator(0), n_epochs=6)
    return model, losses, test, mei.simulate_responses(population, test, 8, rng)


# --- documentation -------------------------------------------------------------------------------------------------

def test_every_public_function_is_documented_numpydoc_style_and_the_examples_run():
    for name in mei.__all__:
        item = getattr(mei, name)
        if inspect.isfunction(item) or inspect.isclass(item):
            doc = inspect.getdoc(item) or ""
            assert "Returns\n-------" in doc or "Parameters\n----------" in doc or "Attributes\n----------" in doc, name
    assert doctest.testmod(mei, extraglobs={"np": np}).failed == 0


# --- stimuli and receptive fields ----------------------------------------------------------------------------------

def test_natural_patches_are_the_course_photo_patches_as_images():
    patches = mei.natural_patches(50, np.random.default_rng(3), size=8)
    assert patches.shape == (50, 8, 8)
    assert np.array_equal(patches.reshape(50, -1), photo_patches(50, np.random.default_rng(3), size=8))


def test_quadrature_pair_is_orthonormal_even_and_odd():
    pair = mei.quadrature_pair(17, 0.7, 2.0, elongation=1.4)
    flat = pair.reshape(2, -1)
    assert np.allclose(flat @ flat.T, np.eye(2), atol=1e-12)
    even, odd = pair
    assert np.allclose(even, even[::-1, ::-1])  # point-symmetric about the centre (odd size, centred)
    assert np.allclose(odd, -odd[::-1, ::-1], atol=1e-12)


def test_the_odd_field_is_the_hilbert_transform_of_the_even_one():
    """Along u, the odd profile matches scipy's numerical Hilbert transform of the even profile."""
    z = np.linspace(-200, 200, 2**16 + 1)
    even = (1 - z**2) * np.exp(-z**2 / 2)
    numerical = np.imag(signal.hilbert(even))
    pair = mei.quadrature_pair(41, 0.0, 3.0, elongation=100.0)  # orientation 0: u = x; long stripes: v barely matters
    row = pair[:, 20, :]  # the middle row, x = -20 ... 20 pixels, z = x / 3
    z_row = np.arange(-20, 21) / 3.0
    analytic = np.interp(z_row, z, numerical)
    analytic_even = (1 - z_row**2) * np.exp(-z_row**2 / 2)
    assert np.allclose(row[0] / np.linalg.norm(row[0]), analytic_even / np.linalg.norm(analytic_even), atol=1e-6)
    correlation = np.corrcoef(row[1], analytic)[0, 1]
    assert abs(correlation) > 0.999


def test_quadrature_pair_peaks_at_its_frequency_orientation_and_centre():
    pair = mei.quadrature_pair(64, np.pi / 3, 4.0, centre=(5.0, -3.0))
    frequency, orientation = mei.spectral_peak(pair[0])
    assert frequency == pytest.approx(1 / (np.pi * np.sqrt(2) * 4.0), abs=1.5 / 64)
    assert orientation == pytest.approx(np.pi / 3, abs=0.1)
    row, column = np.unravel_index(np.argmax(pair[0]), pair[0].shape)
    assert (column - 31.5, row - 31.5) == pytest.approx((5.0, -3.0), abs=0.51)


def test_bad_receptive_field_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="scale must be > 0"):
        mei.quadrature_pair(16, 0.0, 0.0)
    with pytest.raises(ValueError, match="orientation must be a finite number"):
        mei.quadrature_pair(16, np.nan, 1.0)
    with pytest.raises(ValueError, match=r"centre must be an \(x, y\) pair"):
        mei.quadrature_pair(16, 0.0, 1.0, centre=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="size"):
        mei.quadrature_pair(1, 0.0, 1.0)


# --- simulated neurons ---------------------------------------------------------------------------------------------

def test_rates_follow_the_documented_nonlinearities():
    pair = mei.quadrature_pair(8, 0.3, 1.5)
    images = np.random.default_rng(0).normal(size=(20, 8, 8))
    d = images.reshape(20, -1) @ pair.reshape(2, -1).T
    simple = mei.ModelNeuron("simple", pair[:1], gain=2.0, baseline=0.5)
    complex_cell = mei.ModelNeuron("complex", pair, gain=2.0, baseline=0.5, power=2.0)
    conjunction = mei.ModelNeuron("conjunction", pair, gain=2.0, baseline=0.5, power=1.5)
    assert np.allclose(simple.rates(images), 0.5 + 2 * np.maximum(d[:, 0], 0))
    assert np.allclose(complex_cell.rates(images), 0.5 + 2 * (d[:, 0] ** 2 + d[:, 1] ** 2))
    assert np.allclose(conjunction.rates(images), 0.5 + 2 * (np.maximum(d[:, 0], 0) * np.maximum(d[:, 1], 0)) ** 0.75)
    # Every drive doubles with the contrast.
    assert np.allclose(complex_cell.rates(2 * images) - 0.5, 4 * (complex_cell.rates(images) - 0.5))


@pytest.mark.parametrize("index", range(6))
def test_the_preferred_stimulus_is_the_norm_constrained_optimum(population, index):
    """No perturbation of it (at the same norm) does better, and projected gradient ascent on the true rate finds it."""
    neuron = population[index]
    best_image = neuron.preferred_stimulus(5.0)
    best = neuron.rates(best_image[None])[0]
    rng = np.random.default_rng(index)
    perturbed = best_image + rng.normal(size=(500, 16, 16)) * rng.uniform(0.01, 0.3, (500, 1, 1))
    perturbed *= 5.0 / np.linalg.norm(perturbed.reshape(500, -1), axis=1)[:, None, None]
    assert np.all(neuron.rates(perturbed) <= best * (1 + 1e-9))
    # Ascent from noise mixed with a little of every filter (a rectified cell has no gradient where it is silent).
    x = rng.normal(size=(16, 16)) + neuron.filters.sum(axis=0) * 3.0
    x *= 5.0 / np.linalg.norm(x)
    for _ in range(100):
        bumped = x[None] + 1e-5 * np.eye(256).reshape(256, 16, 16)
        gradient = ((neuron.rates(bumped) - neuron.rates(x[None])) / 1e-5).reshape(16, 16)
        x = mei_step(x, gradient, 2.0 / np.linalg.norm(gradient), 5.0)
    assert neuron.rates(x[None])[0] <= best * (1 + 1e-6)
    assert neuron.similarity(x) > 0.99


def test_a_complex_cell_responds_equally_to_every_phase_of_its_preferred_stimulus(population):
    complex_cell = population[1]
    assert complex_cell.kind == "complex"
    rates = [complex_cell.rates(complex_cell.preferred_stimulus(10.0, phase)[None])[0]
             for phase in np.linspace(0, 2 * np.pi, 9)]
    assert np.allclose(rates, rates[0])
    assert complex_cell.similarity(complex_cell.preferred_stimulus(10.0, 1.234)) == pytest.approx(1.0, abs=1e-4)
    simple = population[0]
    assert simple.similarity(simple.preferred_stimulus()) == pytest.approx(1.0)
    assert simple.similarity(-simple.preferred_stimulus()) == pytest.approx(-1.0)


def test_the_population_fires_its_documented_mean_counts(patches, population):
    rates = mei.true_rates(population, patches)
    assert rates.shape == (3000, 6)
    assert np.allclose(rates.mean(axis=0), mei.MEAN_COUNTS)
    assert np.allclose(rates.mean(axis=0), [0.6, 0.6, 0.6, 0.06, 0.06, 0.3])
    assert [neuron.kind for neuron in population] == ["simple", "complex", "conjunction", "simple", "complex",
                                                      "simple"]
    assert all(neuron.baseline == pytest.approx(0.1 * mean) for neuron, mean in zip(population, rates.mean(axis=0)))


def test_simulated_responses_are_seeded_poisson_counts(population, patches):
    first = mei.simulate_responses(population[:2], patches[:200], 50, np.random.default_rng(4))
    again = mei.simulate_responses(population[:2], patches[:200], 50, np.random.default_rng(4))
    assert first.shape == (200, 2, 50) and np.array_equal(first, again)
    assert np.array_equal(first, np.round(first)) and first.min() >= 0
    rates = mei.true_rates(population[:2], patches[:200])
    assert np.allclose(first.mean(axis=2), rates, atol=5 * np.sqrt(rates.max() / 50))
    # Poisson: the variance across repeats equals the mean, on average over images.
    assert first.var(axis=2, ddof=1).mean() == pytest.approx(first.mean(axis=2).mean(), rel=0.1)


def test_bad_neuron_arguments_raise_clear_errors(patches):
    pair = mei.quadrature_pair(16, 0.0, 1.5)
    with pytest.raises(ValueError, match="kind must be one of"):
        mei.ModelNeuron("hypercomplex", pair)
    with pytest.raises(ValueError, match=r"a simple cell needs filters of shape \(1, size, size\)"):
        mei.ModelNeuron("simple", pair)
    with pytest.raises(ValueError, match="gain must be >= 0"):
        mei.ModelNeuron("complex", pair, gain=-1.0)
    with pytest.raises(ValueError, match="images must be 16 x 16"):
        mei.ModelNeuron("complex", pair).rates(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match=r"for one image use image\[None\]"):
        mei.ModelNeuron("complex", pair).rates(np.zeros((16, 16)))
    with pytest.raises(ValueError, match="n_repeats must be an integer >= 1"):
        mei.simulate_responses(mei.v1_population(patches[:100]), patches[:5], 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        mei.simulate_responses(mei.v1_population(patches[:100]), patches[:5], 2, 0)


# --- recordings on disk --------------------------------------------------------------------------------------------

def write_fixture(folder, rows, images=None, header=("image", "neuron", "repeat", "response")):
    """A recordings folder written by hand (not by save_recordings)."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "images.npy", np.arange(3 * 4 * 4, dtype=float).reshape(3, 4, 4) if images is None else images)
    with open(folder / "responses.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return folder


def test_a_hand_written_fixture_loads_with_missing_repeats_as_nan(tmp_path):
    rows = [(0, 0, 0, 3), (0, 0, 1, 5), (0, 1, 0, 0), (0, 1, 1, 1.5), (2, 0, 0, 2), (2, 1, 0, 7), (1, 1, 2, 4)]
    images, responses = mei.load_recordings(write_fixture(tmp_path / "session", rows))
    assert images.shape == (3, 4, 4) and images.dtype == np.float64
    assert responses.shape == (3, 2, 3)
    expected = np.full((3, 2, 3), np.nan)
    for image, neuron, repeat, value in rows:
        expected[image, neuron, repeat] = value
    assert np.array_equal(responses, expected, equal_nan=True)


def test_columns_may_come_in_any_order_with_extra_columns(tmp_path):
    header = ("session", "response", "repeat", "neuron", "image")
    rows = [("a", 2.5, 0, 0, 1), ("a", 1.0, 1, 0, 1), ("b", 4.0, 0, 0, 0)]
    _, responses = mei.load_recordings(write_fixture(tmp_path, rows, header=header))
    assert responses.shape == (3, 1, 2)
    assert responses[1, 0].tolist() == [2.5, 1.0] and responses[0, 0, 0] == 4.0
    assert np.all(np.isnan(responses[2]))


def test_save_and_load_round_trip_exactly(tmp_path, patches, population):
    responses = mei.simulate_responses(population, patches[:30], 4, np.random.default_rng(0))
    responses[3, 1, 2] = np.nan
    responses[5, 0, 0] = 0.1 + 0.2  # not representable in few digits
    folder = mei.save_recordings(tmp_path / "new" / "folder", patches[:30], responses)
    images, loaded = mei.load_recordings(folder)
    assert np.array_equal(images, patches[:30])
    assert np.array_equal(loaded, responses, equal_nan=True)


@pytest.mark.parametrize("rows, message", [
    ([(0, 0, 0, 1), (0, 0, 0, 2)], "image 0, neuron 0, repeat 0 appears 2 times"),
    ([(0, 0, 0, 1), (5, 0, 0, 2)], "line 3: image 5 does not exist"),
    ([(0, 0, 0, 1), (0, 2, 0, 2)], "no trial of neuron 1"),
    ([(0, 0, 0, 1), (0, -1, 0, 2)], "line 3: neuron must be a whole number >= 0"),
    ([(0, 0, 0.5, 1)], "line 2: repeat must be a whole number >= 0"),
    ([(0, "x", 0, 1)], "line 2: neuron must be a whole number"),
    ([(0, 0, 0, "nan")], "line 2: response must be a finite number"),
    ([(0, 0, 0, "")], "line 2: response must be a finite number"),
    ([(0, 0, 0)], "line 2: expected 4 values, got 3"),
    ([], "a header but no trials"),
])
def test_malformed_responses_raise_clear_errors(tmp_path, rows, message):
    with pytest.raises(ValueError, match=message):
        mei.load_recordings(write_fixture(tmp_path, rows))


def test_malformed_headers_images_and_missing_files_raise_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="missing: repeat"):
        mei.load_recordings(write_fixture(tmp_path / "a", [(0, 0, 1)], header=("image", "neuron", "response")))
    with pytest.raises(ValueError, match=r"images.npy must hold real numbers of shape \(n_images, height, width\)"):
        mei.load_recordings(write_fixture(tmp_path / "b", [(0, 0, 0, 1)], images=np.zeros((3, 16))))
    with pytest.raises(ValueError, match="images.npy is not a plain numpy array"):
        mei.load_recordings(write_fixture(tmp_path / "c", [(0, 0, 0, 1)], images=np.array([{"a": 1}], dtype=object)))
    with pytest.raises(ValueError, match="only finite numbers"):
        mei.load_recordings(write_fixture(tmp_path / "d", [(0, 0, 0, 1)], images=np.full((1, 2, 2), np.inf)))
    (tmp_path / "e").mkdir()
    with pytest.raises(FileNotFoundError, match="no images.npy in"):
        mei.load_recordings(tmp_path / "e")
    np.save(tmp_path / "e" / "images.npy", np.zeros((1, 2, 2)))
    with pytest.raises(FileNotFoundError, match="no responses.csv in"):
        mei.load_recordings(tmp_path / "e")
    with pytest.raises(ValueError, match="responses must have shape"):
        mei.save_recordings(tmp_path / "f", np.zeros((2, 3, 3)), np.zeros((3, 1, 1)))


# --- the CNN -------------------------------------------------------------------------------------------------------

def test_the_cnn_predicts_positive_rates_of_the_right_shape_and_is_seeded():
    model = mei.make_cnn(5, generator(3))
    again = mei.make_cnn(5, generator(3))
    images = np.random.default_rng(0).normal(size=(7, 16, 16))
    predictions = mei.predict(model, images)
    assert predictions.shape == (7, 5) and np.all(predictions > 0)
    assert np.array_equal(predictions, mei.predict(again, images))
    assert np.allclose(mei.predict(model, images, batch_size=2), predictions, rtol=1e-6)
    one_layer = mei.make_cnn(2, generator(0), kernels=(7,))
    assert len(one_layer.convolutions) == 1 and mei.predict(one_layer, images).shape == (7, 2)


def test_training_fits_the_population_close_to_the_ceiling_and_is_quiet(fitted, population, capsys):
    model, losses, test, responses = fitted
    assert losses.shape == (6,) and losses[-1] < losses[0]
    predicted = mei.held_out_correlation(mei.predict(model, test), responses)
    ceiling = mei.held_out_correlation(mei.true_rates(population, test), responses)
    oracles = np.array([oracle_correlation(responses[:, k]) for k in range(6)])
    assert np.all(predicted <= ceiling + 0.03)
    assert np.all(predicted[:3] > 0.7 * ceiling[:3])  # the three reliable neurons are fitted well (measured 0.84-0.95)
    assert np.all(oracles[3:5] < oracles[:3].min())  # the low-rate neurons are the unreliable ones
    assert not any(parameter.requires_grad for parameter in model.parameters())
    assert capsys.readouterr().err == ""


def test_training_is_reproducible(patches, population):
    responses = mei.simulate_responses(population, patches[:300], 2, np.random.default_rng(0))
    runs = [mei.train_cnn(patches[:300], responses, generator(5), n_epochs=2) for _ in range(2)]
    assert np.array_equal(runs[0][1], runs[1][1])
    assert all(torch.equal(a, b) for a, b in zip(runs[0][0].parameters(), runs[1][0].parameters()))


def test_held_out_correlation_pools_trials_and_skips_missing_repeats():
    rng = np.random.default_rng(0)
    predictions = rng.gamma(2.0, 1.0, (40, 2))
    responses = rng.poisson(predictions[:, :, None] * np.ones(5)).astype(float)
    responses[3, 0, 1] = np.nan
    result = mei.held_out_correlation(predictions, responses)
    kept = np.isfinite(responses[:, 0])
    paired = np.repeat(predictions[:, 0:1], 5, axis=1)
    assert result[0] == pytest.approx(np.corrcoef(paired[kept], responses[:, 0][kept])[0, 1])
    assert result[1] == pytest.approx(np.corrcoef(np.repeat(predictions[:, 1], 5), responses[:, 1].ravel())[0, 1])
    with pytest.raises(ValueError, match="predictions must have shape"):
        mei.held_out_correlation(predictions[:, :1], responses)


def test_bad_training_inputs_raise_clear_errors(patches):
    with pytest.raises(ValueError, match="responses must have shape"):
        mei.train_cnn(patches[:10], np.zeros((9, 2)), generator())
    with pytest.raises(ValueError, match="finite and >= 0"):
        mei.train_cnn(patches[:10], -np.ones((10, 2)), generator())
    with pytest.raises(TypeError, match="torch.Generator"):
        mei.train_cnn(patches[:10], np.ones((10, 2)), 0)
    with pytest.raises(ValueError, match="kernels must be one or two odd kernel sides"):
        mei.make_cnn(2, generator(), kernels=(4,))


# --- most exciting inputs ------------------------------------------------------------------------------------------

def test_model_gradient_matches_a_finite_difference():
    model = mei.make_cnn(3, generator(1))
    image = np.random.default_rng(2).normal(size=(16, 16))
    value, gradient = mei.model_gradient(model, image, 2)
    _, log_gradient = mei.model_gradient(model, image, 2, log=True)
    assert np.allclose(log_gradient, gradient / value, rtol=1e-3, atol=1e-6)
    assert value == pytest.approx(mei.predict(model, image[None])[0, 2], rel=1e-5)
    direction = np.random.default_rng(3).normal(size=(16, 16))
    h = 1e-2
    plus = mei.predict(model, (image + h * direction)[None])[0, 2]
    minus = mei.predict(model, (image - h * direction)[None])[0, 2]
    assert np.sum(gradient * direction) == pytest.approx((plus - minus) / (2 * h), rel=1e-2)


def test_synthesized_meis_keep_the_norm_climb_and_resemble_the_truth(fitted, population):
    model = fitted[0]
    norm = 12.0
    for index, lowest in ((0, 0.8), (1, 0.5), (2, 0.65)):  # measured 0.90, 0.69 and 0.79
        image, trace = mei.synthesize_mei(model, index, mei_step, norm, np.random.default_rng(index), n_steps=60,
                                          step=20.0, blur_sigma=1.0)
        assert np.linalg.norm(image) == pytest.approx(norm)
        assert trace.shape == (61,) and trace[-1] > 5 * trace[0]
        assert population[index].similarity(image) > lowest
    again, _ = mei.synthesize_mei(model, 0, mei_step, norm, np.random.default_rng(0), n_steps=20, step=20.0,
                                  blur_sigma=1.0)
    assert np.array_equal(again, mei.synthesize_mei(model, 0, mei_step, norm, np.random.default_rng(0), n_steps=20,
                                                    step=20.0, blur_sigma=1.0)[0])


def test_synthesize_mei_reports_a_bad_step_function(fitted):
    with pytest.raises(ValueError, match=r"mei_step returned shape \(256,\)"):
        mei.synthesize_mei(fitted[0], 0, lambda x, g, s, n: x.ravel(), 10.0, np.random.default_rng(0), n_steps=2)
    with pytest.raises(ValueError, match="mei_step must be a function"):
        mei.synthesize_mei(fitted[0], 0, None, 10.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="norm must be > 0"):
        mei.synthesize_mei(fitted[0], 0, mei_step, 0.0, np.random.default_rng(0))


def test_gabor_bank_draws_every_combination_at_every_shift():
    stimuli, parameters = mei.gabor_bank(gabor_patch, 16, [0.0, 1.0], [0.1], [0.0, 1.5], [2.0], max_shift=2)
    assert stimuli.shape == (2 * 2 * 25, 16, 16) and parameters.shape == (100, 6)
    for index in (0, 37, 99):
        orientation, frequency, phase, sigma, x, y = parameters[index]
        rows, columns = np.indices((16, 16)) - 7.5
        dx, dy = columns - x, rows - y
        expected = np.exp(-(dx**2 + dy**2) / (2 * sigma**2)) * np.cos(
            2 * np.pi * frequency * (dx * np.cos(orientation) + dy * np.sin(orientation)) + phase)
        assert np.allclose(stimuli[index], expected)
    with pytest.raises(ValueError, match=r"gabor_patch\(20, ...\) returned shape \(400,\)"):
        mei.gabor_bank(lambda *args: gabor_patch(*args).ravel(), 16, [0.0], [0.1], [0.0], [2.0], max_shift=2)


def test_responses_at_norm_rescale_every_stimulus(fitted):
    model = fitted[0]
    stimuli = np.random.default_rng(0).normal(size=(4, 16, 16))
    scaled = stimuli * np.array([1.0, 2.0, 0.5, 3.0])[:, None, None]
    assert np.allclose(mei.responses_at_norm(model, scaled, 7.0), mei.responses_at_norm(model, stimuli, 7.0), rtol=1e-5)
    with pytest.raises(ValueError, match="non-zero images"):
        mei.responses_at_norm(model, np.zeros((1, 16, 16)), 7.0)


# --- comparing images ----------------------------------------------------------------------------------------------

def test_mask_and_statistics_of_a_patch_on_a_grey_background():
    image = np.zeros((16, 16))
    image[4:8, 6:10] = [[1.0, -1.0, 1.0, -1.0]] * 4
    image += 0.25
    mask = mei.receptive_field_mask(image, fraction=0.5, blur_sigma=0.0)
    assert mask.sum() == 16 and mask[4:8, 6:10].all()
    luminance, contrast = mei.masked_statistics(image, mask)
    assert luminance == pytest.approx(0.25) and contrast == pytest.approx(1.0)
    assert mei.receptive_field_mask(image, blur_sigma=1.0)[5, 7]
    with pytest.raises(ValueError, match="constant"):
        mei.receptive_field_mask(np.ones((4, 4)))
    with pytest.raises(ValueError, match="boolean array"):
        mei.masked_statistics(image, mask.astype(int))
    with pytest.raises(ValueError, match="at least two pixels"):
        mei.masked_statistics(image, np.zeros((16, 16), bool))


def test_power_spectra_find_a_gratings_frequency_and_orientation():
    rows, columns = np.indices((32, 32))
    grating = np.cos(2 * np.pi * (4 * columns + 4 * rows) / 32)  # 4 cycles along x and along y: 45 degrees
    frequencies, power = mei.radial_power(grating)
    assert frequencies.shape == power.shape == (16,)
    assert frequencies[np.argmax(power)] == pytest.approx(np.hypot(4, 4) / 32, abs=1 / 32)
    assert mei.spectral_peak(grating) == pytest.approx((np.hypot(4, 4) / 32, np.pi / 4))
    assert mei.spectral_peak(grating.T[::-1])[1] == pytest.approx(3 * np.pi / 4)  # rows flipped: the other diagonal
    # Parseval: the ring powers (times their pixel counts) add up to the variance times the number of pixels.
    noise = np.random.default_rng(0).normal(size=(32, 32))
    frequency = np.rint(np.hypot(*np.meshgrid(np.fft.fftfreq(32), np.fft.fftfreq(32), indexing="ij")) * 32)
    counts = np.array([np.sum(frequency == ring) for ring in range(1, 17)])
    inside = np.sum(counts * mei.radial_power(noise)[1])
    total = np.sum(np.abs(np.fft.fft2(noise - noise.mean())) ** 2) / noise.size
    assert inside <= total + 1e-9 and inside > 0.75 * total  # the corners beyond 1/2 cycle per pixel are left out


def test_show_images_draws_one_panel_per_image():
    fig = mei.show_images(np.random.default_rng(0).normal(size=(5, 8, 8)), [str(i) for i in range(5)], columns=3)
    assert len([ax for ax in fig.axes if ax.images]) == 5
    plt.close(fig)
    with pytest.raises(ValueError, match="one title per image"):
        mei.show_images(np.zeros((2, 4, 4)), ["a"])


def test_the_explorer_draws_once_when_headless_and_checks_its_choices(fitted, population):
    model = fitted[0]
    assert mei.mei_explorer(model, population, mei_step, 12.0, [0, 2], neuron=2, n_steps=10) is None
    figure = plt.gcf()
    assert [ax.get_title() for ax in figure.axes][:1] == ["neuron 2: true MEI"]
    plt.close("all")
    with pytest.raises(ValueError, match="choices must name neurons 0 to 5"):
        mei.mei_explorer(model, population, mei_step, 12.0, [7])
