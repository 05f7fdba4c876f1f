"""course.glm: the simulated cells, the fitting helper, the loader, and the science targets of assignment 8.

The science tests use the notebook's own data (seed, size, filters) and the reference solutions.
"""
import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import PoissonRegressor

from autograder.a8_glm_spike_history import reference as ref
from course import glm

N_BINS, N_TRAIN, N_STIM_LAGS, N_HIST_LAGS, N_BASIS = 60_000, 48_000, 50, 40, 8
train, test = slice(0, N_TRAIN), slice(N_TRAIN, N_BINS)


@pytest.fixture(scope="module")
def recording():
    """Cell A of the notebook: stimulus, spikes and true log-rates (seed 2026, 120 s in 2 ms bins)."""
    rng = np.random.default_rng(2026)
    k_true, h_true = glm.biphasic_filter(N_STIM_LAGS), glm.history_filter(N_HIST_LAGS)
    k_b = glm.biphasic_filter(N_STIM_LAGS, tau_fast=0.008, tau_slow=0.016)
    stimulus = glm.flicker(N_BINS, rng)
    drive = np.stack([np.convolve(stimulus, k)[:N_BINS] for k in (k_true, k_b)])
    filters = np.zeros((2, 2, N_HIST_LAGS))
    filters[0, 0], filters[1, 1], filters[1, 0] = h_true, h_true, glm.coupling_filter(N_HIST_LAGS)
    counts, log_rates = glm.simulate_glm(np.log(np.array([25.0, 15.0]) * glm.DT)[:, None] + drive, filters, rng)
    return stimulus, counts, log_rates, k_true, h_true


@pytest.fixture(scope="module")
def fits(recording):
    stimulus, counts, _, _, _ = recording
    spikes = counts[0]
    b_stim, b_hist = ref.raised_cosine_basis(N_BASIS, N_STIM_LAGS), ref.raised_cosine_basis(N_BASIS, N_HIST_LAGS)
    design_stim = ref.make_design_matrix(stimulus, N_STIM_LAGS) @ b_stim
    design_full = np.hstack([design_stim, ref.history_matrix(spikes, N_HIST_LAGS) @ b_hist])
    return {
        "bases": (b_stim, b_hist),
        "full": (design_full, glm.fit_glm(ref.penalised_nll, design_full[train], spikes[train])),
        "stim": (design_stim, glm.fit_glm(ref.penalised_nll, design_stim[train], spikes[train])),
    }


def held_out_bits(params, design, spikes):
    log_likelihood = -ref.penalised_nll(params, design[test], spikes[test], 0.0)[0]
    rate = spikes[train].mean()
    null = np.sum(spikes[test] * np.log(rate) - rate)
    return ref.bits_per_spike(log_likelihood, null, spikes[test].sum())


# --- science targets ---

def test_recovered_stimulus_and_history_filters_correlate_with_the_truth(recording, fits):
    *_, k_true, h_true = recording
    b_stim, b_hist = fits["bases"]
    params = fits["full"][1]
    assert glm.correlation(b_stim @ params[1:N_BASIS + 1], k_true) >= 0.95
    assert glm.correlation(b_hist @ params[N_BASIS + 1:], h_true) >= 0.95


def test_held_out_bits_per_spike_near_the_true_models_and_stimulus_only_below(recording, fits):
    _, counts, log_rates, _, _ = recording
    spikes = counts[0]
    true_bits = held_out_bits(np.array([0.0, 1.0]), log_rates[0][:, None], spikes)
    full = held_out_bits(fits["full"][1], fits["full"][0], spikes)
    stimulus_only = held_out_bits(fits["stim"][1], fits["stim"][0], spikes)
    assert abs(full - true_bits) <= 0.05
    assert stimulus_only < true_bits - 0.2


def simulate_fitted(stimulus, params, history_basis, stimulus_basis, seed):
    drive = params[0] + ref.make_design_matrix(stimulus, N_STIM_LAGS) @ (stimulus_basis @ params[1:N_BASIS + 1])
    history = np.zeros((1, 1, N_HIST_LAGS))
    if len(params) > N_BASIS + 1:
        history[0, 0] = history_basis @ params[N_BASIS + 1:]
    return glm.simulate_glm(drive[None], history, np.random.default_rng(seed))[0][0]


def test_isi_distributions_history_model_matches_stimulus_only_is_rejected(recording, fits):
    stimulus, counts, *_ = recording
    b_stim, b_hist = fits["bases"]
    isi_data = glm.interspike_intervals(counts[0])
    with_history = simulate_fitted(stimulus, fits["full"][1], b_hist, b_stim, 1)
    without = simulate_fitted(stimulus, fits["stim"][1], b_hist, b_stim, 2)
    assert stats.ks_2samp(isi_data, glm.interspike_intervals(with_history)).pvalue > 0.01
    assert stats.ks_2samp(isi_data, glm.interspike_intervals(without)).pvalue < 0.01
    # The stimulus-only model fires inside the refractory period; the cell (nearly) never does.
    one_bin = lambda isi: np.mean(np.isclose(isi, glm.DT))  # noqa: E731
    assert one_bin(glm.interspike_intervals(without)) > 10 * one_bin(isi_data)


def test_cross_validated_ridge_beats_the_unregularised_long_lag_fit(recording):
    stimulus, counts, _, k_true, _ = recording
    n_cv, n_long, n_folds = 8_000, 100, 3
    design, spikes = ref.make_design_matrix(stimulus[:n_cv], n_long), counts[0, :n_cv]
    labels = ref.fold_labels(n_cv, n_folds)
    penalties = [0.0, 30.0, 100.0, 300.0, 1000.0]
    held_out = np.zeros(len(penalties))
    for fold in range(n_folds):
        fit_bins, bins = labels != fold, labels == fold
        for index, penalty in enumerate(penalties):
            params = glm.fit_glm(ref.penalised_nll, design[fit_bins], spikes[fit_bins], penalty)
            rate = spikes[fit_bins].mean()
            null = np.sum(spikes[bins] * np.log(rate) - rate)
            held_out[index] += ref.bits_per_spike(-ref.penalised_nll(params, design[bins], spikes[bins], 0.0)[0],
                                                  null, spikes[bins].sum())
    best = penalties[int(np.argmax(held_out))]
    assert best > 0
    truth = np.r_[k_true, np.zeros(n_long - N_STIM_LAGS)]
    unregularised = glm.fit_glm(ref.penalised_nll, design, spikes, 0.0)[1:]
    ridge = glm.fit_glm(ref.penalised_nll, design, spikes, best)[1:]
    assert glm.correlation(ridge, truth) > glm.correlation(unregularised, truth) + 0.3


def test_coupling_filter_is_recovered(recording, fits):
    stimulus, counts, *_ = recording
    b_stim, b_hist = fits["bases"]
    design = np.hstack([fits["stim"][0], ref.history_matrix(counts[1], N_HIST_LAGS) @ b_hist,
                        ref.history_matrix(counts[0], N_HIST_LAGS) @ b_hist])
    params = glm.fit_glm(ref.penalised_nll, design[train], counts[1, train])
    assert glm.correlation(b_hist @ params[2 * N_BASIS + 1:], glm.coupling_filter(N_HIST_LAGS)) >= 0.95


def test_fit_agrees_with_poisson_regressor(recording, fits):
    _, counts, *_ = recording
    design = fits["full"][0][train]
    for penalty in (0.0, 30.0):
        ours = glm.fit_glm(ref.penalised_nll, design, counts[0, train], penalty, tolerance=1e-8)
        sklearn_fit = PoissonRegressor(alpha=penalty / N_TRAIN, solver="newton-cholesky", tol=1e-12, max_iter=200)
        sklearn_fit.fit(design, counts[0, train])
        theirs = np.r_[sklearn_fit.intercept_, sklearn_fit.coef_]
        assert np.abs(ours - theirs).max() <= 1e-4 * np.abs(theirs).max()


# --- the simulator ---

def test_simulated_log_rates_are_the_glm_of_the_simulated_spikes(recording):
    stimulus, counts, log_rates, k_true, h_true = recording
    expected = (np.log(25 * glm.DT) + ref.make_design_matrix(stimulus, N_STIM_LAGS) @ k_true
                + ref.history_matrix(counts[0], N_HIST_LAGS) @ h_true)
    assert np.allclose(log_rates[0], expected)
    coupled = ref.history_matrix(counts[0], N_HIST_LAGS) @ glm.coupling_filter(N_HIST_LAGS)
    assert np.allclose(log_rates[1] - ref.history_matrix(counts[1], N_HIST_LAGS) @ h_true - coupled,
                       np.log(15 * glm.DT) + ref.make_design_matrix(stimulus, N_STIM_LAGS)
                       @ glm.biphasic_filter(N_STIM_LAGS, tau_fast=0.008, tau_slow=0.016))


def test_simulated_counts_are_poisson_at_the_given_rate():
    rate = 0.7
    counts, _ = glm.simulate_glm(np.full((1, 40_000), np.log(rate)), np.zeros((1, 1, 3)), np.random.default_rng(5))
    observed = np.bincount(counts[0], minlength=6)[:6]
    expected = 40_000 * stats.poisson.pmf(np.arange(6), rate)
    assert stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 0.001


def test_simulation_is_reproducible_and_checks_its_inputs():
    drive, filters = np.full((1, 500), -2.0), np.zeros((1, 1, 4))
    first = glm.simulate_glm(drive, filters, np.random.default_rng(3))[0]
    assert np.array_equal(first, glm.simulate_glm(drive, filters, np.random.default_rng(3))[0])
    with pytest.raises(ValueError, match="history_filters must have shape"):
        glm.simulate_glm(drive, np.zeros((2, 2, 4)), np.random.default_rng(3))
    with pytest.raises(TypeError, match="numpy random Generator"):
        glm.simulate_glm(drive, filters, 3)


def test_filters_have_the_documented_shapes_and_signs():
    k, h = glm.biphasic_filter(50), glm.history_filter(40)
    assert np.isclose(np.linalg.norm(k), 0.5) and k.argmin() < k.argmax()  # OFF lobe first, then the rebound lobe
    assert h[0] < -5 and h.max() > 0 and h.argmax() > 10  # refractory, then a mild rebound after 20 ms
    assert glm.flicker(10, np.random.default_rng(0)).reshape(-1, 2).std() >= 0  # runs with a partial frame
    frames = glm.flicker(12, np.random.default_rng(0)).reshape(3, 4)
    assert np.all(frames == frames[:, :1])


def test_interspike_intervals_and_autocorrelation():
    assert np.allclose(glm.interspike_intervals(np.array([1, 0, 2, 0, 0, 1]), dt=0.5), [1.0, 0.0, 1.5])
    assert np.allclose(glm.autocorrelation(np.tile([1, 0], 50), 2), [0.0, 2.0])


# --- the loader for real recordings ---

def test_load_recording_round_trip(tmp_path):
    path = tmp_path / "cell.npz"
    np.savez(path, stimulus=np.arange(10.0), spike_times=np.array([0.35, 0.01, 0.019, 0.999]), dt=0.1)
    stimulus, counts, dt = glm.load_recording(path)
    assert np.array_equal(stimulus, np.arange(10.0)) and dt == 0.1
    assert counts.tolist() == [2, 0, 0, 1, 0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("contents, message", [
    ({"stimulus": np.ones(5), "dt": 0.1}, "lacks spike_times"),
    ({"stimulus": np.ones((5, 2)), "spike_times": np.zeros(1), "dt": 0.1}, "stimulus must be a 1-D array"),
    ({"stimulus": np.ones(5), "spike_times": np.array([0.1, np.nan]), "dt": 0.1}, "only finite numbers"),
    ({"stimulus": np.ones(5), "spike_times": np.array([0.1, 0.7]), "dt": 0.1}, "outside the recording"),
    ({"stimulus": np.ones(5), "spike_times": np.array([0.1]), "dt": -0.1}, "dt must be > 0"),
    ({"stimulus": np.ones(5), "spike_times": np.array([0.1]), "dt": np.ones(2)}, "dt must be a single number"),
    ({"stimulus": np.array(["a", "b"]), "spike_times": np.array([0.1]), "dt": 0.1}, "real numbers"),
])
def test_load_recording_explains_bad_files(tmp_path, contents, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **contents)
    with pytest.raises(ValueError, match=message):
        glm.load_recording(path)


def test_load_recording_rejects_missing_and_non_npz_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no recording file"):
        glm.load_recording(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not an archive")
    with pytest.raises(ValueError, match="not a plain .npz archive"):
        glm.load_recording(tmp_path / "text.npz")
    np.savez(tmp_path / "objects.npz", stimulus=np.array([None, 1], dtype=object), spike_times=np.zeros(1), dt=0.1)
    with pytest.raises(ValueError, match="Python objects"):
        glm.load_recording(tmp_path / "objects.npz")


# --- the explorers draw once when headless ---

def test_explorers_draw_one_figure_when_headless(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("COURSE_STATIC_WIDGETS", "1")
    rng = np.random.default_rng(0)
    stimulus = glm.flicker(3000, rng)
    design = ref.make_design_matrix(stimulus, 20)
    counts = rng.poisson(np.exp(-2 + design @ glm.biphasic_filter(20)))
    history = ref.history_matrix(counts, 10)
    plt.close("all")
    assert glm.penalty_explorer(ref.penalised_nll, design, counts, glm.biphasic_filter(20)) is None
    assert glm.basis_explorer(ref.penalised_nll, ref.raised_cosine_basis, design, history, counts,
                              (glm.biphasic_filter(20), glm.history_filter(10)), n_basis=4) is None
    assert len(plt.get_fignums()) == 2
    plt.close("all")
