"""Hidden checks of assignment 8: fresh random inputs, named mistakes, accepted alternatives.

Conventions the notebook states: column j of a design matrix is the stimulus j bins
ago (column 0: the current bin), column j of a history matrix the spikes j + 1 bins
ago, zeros before the recording starts; parameters are [offset, weights...] and the
ridge penalty is penalty / 2 * ||weights||^2 (the offset is not penalised). The NLL
may keep or drop sum log(y!): its values are compared through differences between
parameter vectors, which any constant cancels.
"""
import numpy as np

from ..harness import (CheckFailed, Mistake, as_float, as_float_array, call_student, fresh_rng, judge,
                       require_dependence_on_inputs, require_own_arguments)
from . import reference as ref

# (n_bins, n_lags): never square, so a transposed answer shows in its shape.
LAG_SHAPES = ((7, 3), (40, 6), (300, 25))


def _lag_shape_messages(n_bins, n_lags):
    return {
        (n_lags, n_bins): "It has one row per lag and one column per bin: the convention is one row per "
                          "time bin (shape (n_bins, n_lags)); transpose it.",
        (n_bins - n_lags + 1, n_lags): "It has fewer rows than bins: it looks like you left out the zero padding, "
                                       "dropping the first bins instead of filling their missing past with zeros.",
        (n_bins - n_lags, n_lags): "It has fewer rows than bins: it looks like you left out the zero padding, "
                                   "dropping the first bins instead of filling their missing past with zeros.",
    }


def _shifted(values, n_lags, first_lag):
    """Entry [t, j] = values[t - first_lag - j], zeros before the start."""
    padded = np.concatenate([np.zeros(first_lag), values])[:len(values)]
    return ref.make_design_matrix(padded, n_lags)


def _wrapped(values, n_lags, first_lag):
    """Entry [t, j] = values[(t - first_lag - j) mod n_bins]: np.roll without zero padding."""
    return np.stack([np.roll(values, first_lag + j) for j in range(n_lags)], axis=1)


def _lag_matrix_check(function, name, argument, make_values, first_lag, mistakes):
    rng = fresh_rng()
    require_own_arguments(function, name)
    require_dependence_on_inputs(function, name, lambda: {argument: make_values(rng, 50), "n_lags": 4})
    for n_bins, n_lags in LAG_SHAPES:
        values = make_values(rng, n_bins)
        got = as_float_array(call_student(function, name, {argument: values, "n_lags": n_lags}), name)
        judge(got, _shifted(values, n_lags, first_lag), name=name, inputs=(values, n_lags), mistakes=mistakes,
              rtol=1e-6, shape_messages=_lag_shape_messages(n_bins, n_lags))


# --- make_design_matrix --------------------------------------------------------------------

DESIGN_MISTAKES = (
    Mistake("reversed time: column j must hold the stimulus j bins ago (column 0 the current bin), "
            "so the columns go back in time from left to right", lambda s, n: _shifted(s, n, 0)[:, ::-1]),
    Mistake("shifted the lags by one bin: column 0 must be the current bin's stimulus (lag 0), "
            "column j the stimulus j bins ago", lambda s, n: _shifted(s, n, 1)),
    Mistake("wrapped the stimulus around (np.roll) instead of zero padding: before the recording starts "
            "there is no stimulus, so those entries must be 0, not values from the end",
            lambda s, n: _wrapped(s, n, 0)),
)


def check_make_design_matrix(make_design_matrix):
    """Hidden check of ``make_design_matrix(stimulus, n_lags)``."""
    _lag_matrix_check(make_design_matrix, "make_design_matrix", "stimulus", lambda rng, n: rng.normal(size=n), 0,
                      DESIGN_MISTAKES)
    print(f"make_design_matrix is correct on {len(LAG_SHAPES)} fresh random stimuli.")


# --- history_matrix ------------------------------------------------------------------------

HISTORY_MISTAKES = (
    Mistake("used the current bin: column 0 must hold the spikes one bin ago, never the bin being predicted "
            "(a spike would then predict itself)", lambda y, n: _shifted(y, n, 0)),
    Mistake("reversed time: column j must hold the spikes j + 1 bins ago, so the columns go back in time "
            "from left to right", lambda y, n: _shifted(y, n, 1)[:, ::-1]),
    Mistake("shifted the lags by one bin too many: column 0 must hold the spikes one bin ago (lag 1), "
            "not two", lambda y, n: _shifted(y, n, 2)),
    Mistake("wrapped the spikes around (np.roll) instead of zero padding: before the recording starts "
            "there are no spikes, so those entries must be 0", lambda y, n: _wrapped(y, n, 1)),
)


def _spikes(rng, n_bins):
    return rng.poisson(0.4, size=n_bins).astype(float)


def check_history_matrix(history_matrix):
    """Hidden check of ``history_matrix(spikes, n_lags)``."""
    _lag_matrix_check(history_matrix, "history_matrix", "spikes", _spikes, 1, HISTORY_MISTAKES)
    print(f"history_matrix is correct on {len(LAG_SHAPES)} fresh random spike trains.")


# --- raised_cosine_basis ----------------------------------------------------------------------

def _basis_variant(warp=True, width=2.0, clip=True, linear_centres=False):
    """The raised-cosine basis, correct by default or with one known mistake."""

    def basis(n_basis, n_lags, offset=1.0):
        lags = np.arange(n_lags)
        warped = np.log(lags + offset) if warp else lags.astype(float)
        if linear_centres:
            centres = np.log(np.linspace(0, n_lags - 1, n_basis) + offset)
        else:
            centres = np.linspace(warped[0], warped[-1], n_basis)
        spacing = centres[1] - centres[0]
        phase = (warped[:, None] - centres[None, :]) * np.pi / (width * spacing)
        return (1 + np.cos(np.clip(phase, -np.pi, np.pi) if clip else phase)) / 2

    return basis


BASIS_MISTAKES = (
    Mistake("spaced the cosines in linear time: they must be evenly spaced in log(t + offset), narrow at "
            "short lags and wide at long ones", _basis_variant(warp=False)),
    Mistake("left out the clipping of the phase to [-pi, pi]: outside its bump a cosine must be 0, "
            "not rise again", _basis_variant(clip=False)),
    Mistake("made each bump half as wide: the phase is (phi - c_j) * pi / (2 * spacing), so neighbouring "
            "bumps overlap", _basis_variant(width=1.0)),
    Mistake("placed the centres evenly in linear time and took their log; they must be evenly spaced "
            "in the warped time phi = log(t + offset)", _basis_variant(linear_centres=True)),
)

BASIS_CASES = ((3, 10, 1.0), (6, 40, 1.0), (8, 60, 2.5), (5, 25, 0.5))


def check_raised_cosine_basis(raised_cosine_basis):
    """Hidden check of ``raised_cosine_basis(n_basis, n_lags, offset=1.0)``."""
    name = "raised_cosine_basis"
    require_own_arguments(raised_cosine_basis, name)
    rng = fresh_rng()
    cases = BASIS_CASES + ((int(rng.integers(2, 10)), int(rng.integers(12, 80)), float(rng.uniform(0.3, 3))),)
    for n_basis, n_lags, offset in cases:
        got = as_float_array(call_student(raised_cosine_basis, name, {"n_basis": n_basis, "n_lags": n_lags},
                                          offset=offset), name)
        judge(got, ref.raised_cosine_basis(n_basis, n_lags, offset), name=f"{name} (offset={offset:g})",
              inputs=(n_basis, n_lags, offset), mistakes=BASIS_MISTAKES, rtol=1e-6,
              shape_messages={(n_basis, n_lags): "It has one row per basis function: the convention is one "
                                                 "row per lag, shape (n_lags, n_basis); transpose it."})
    print(f"{name} is correct for {len(cases)} sizes and offsets.")


# --- penalised_nll ------------------------------------------------------------------------------

def _nll_variant(offset_penalised=False, half=0.5, penalty_sign=1.0, sign=1.0, mean=False,
                 gradient_half=None, gradient_penalty=True):
    """(value, gradient) of the penalised NLL, correct by default or with one known mistake."""

    def nll(params, design, counts, penalty):
        penalised = params if offset_penalised else params[1:]
        value, gradient = ref.penalised_nll(params, design, counts, 0.0)
        value = sign * value + penalty_sign * half * penalty * penalised @ penalised
        ridge = np.concatenate([[params[0] if offset_penalised else 0.0], params[1:]])
        factor = 2 * (half if gradient_half is None else gradient_half)
        gradient = sign * gradient + (penalty_sign * factor * penalty * ridge if gradient_penalty else 0.0)
        if mean:
            value, gradient = value / len(counts), gradient / len(counts)
        return value, gradient

    return nll


PENALISED_MISTAKES = (
    ("penalised the offset too: the penalty is penalty / 2 * ||weights||^2 over params[1:] only; "
     "shrinking the offset would bias the mean rate", _nll_variant(offset_penalised=True)),
    ("left out the factor 1/2 of the penalty: it is penalty / 2 * ||weights||^2, whose gradient is "
     "penalty * weights", _nll_variant(half=1.0)),
    ("subtracted the penalty: the NLL is minimised, so the penalty must be added (+ penalty / 2 * ||weights||^2)",
     _nll_variant(penalty_sign=-1.0)),
    ("flipped the sign of the likelihood part: the NLL is sum_t [exp(eta_t) - y_t eta_t] with "
     "eta = offset + X w", _nll_variant(sign=-1.0)),
    ("averaged over the bins instead of summing: the NLL is a sum over time bins", _nll_variant(mean=True)),
    ("used 2 * penalty * weights in the gradient: the derivative of penalty / 2 * ||weights||^2 is "
     "penalty * weights", _nll_variant(gradient_half=1.0)),
    ("left the penalty out of the gradient: its derivative, penalty * weights, belongs there too",
     _nll_variant(gradient_penalty=False)),
)
# A gradient that is wrong while the value is right is named by its gradient-only mistake first.
GRADIENT_ORDER = PENALISED_MISTAKES[5:] + PENALISED_MISTAKES[:5]


def random_glm_problem(rng, n_bins, n_features):
    """A design of correlated features, Poisson counts (about 0.3 per bin) and parameters near the truth."""
    design = rng.normal(size=(n_bins, n_features)) @ (np.eye(n_features) + 0.3 * rng.normal(size=(n_features,) * 2))
    weights = rng.normal(size=n_features)
    weights *= 0.6 / np.std(design @ weights)
    counts = rng.poisson(np.exp(-1.3 + design @ weights)).astype(float)
    return design, counts, np.concatenate([[-1.3], weights])


def _parameter_sets(rng, params, n=4):
    return [params + 0.2 * rng.normal(size=params.size) for _ in range(n)]


def _value_differences(nll):
    def differences(parameter_sets, design, counts, penalty):
        values = [float(np.asarray(nll(p, design, counts, penalty)[0])) for p in parameter_sets]
        return np.array(values[1:]) - values[0]

    return differences


def _gradient_at(nll):
    return lambda params, design, counts, penalty: np.asarray(nll(params, design, counts, penalty)[1], dtype=float)


def _call_nll(penalised_nll, name, params, design, counts, penalty):
    result = call_student(penalised_nll, name, {"params": params, "design": design, "counts": counts,
                                                "penalty": penalty})
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{name} must return two things, (value, gradient); got {type(result).__name__}.")
    return as_float(result[0], f"{name} (value)"), as_float_array(result[1], f"{name} (gradient)")


def finite_difference_gradient(nll, params, design, counts, penalty, step=1e-6):
    """Central differences of the value of ``nll`` at ``params``."""
    gradient = np.empty(params.size)
    for index in range(params.size):
        shift = np.zeros(params.size)
        shift[index] = step
        gradient[index] = (nll(params + shift, design, counts, penalty)[0]
                           - nll(params - shift, design, counts, penalty)[0]) / (2 * step)
    return gradient


def check_penalised_nll(penalised_nll):
    """Hidden check of ``penalised_nll(params, design, counts, penalty) -> (value, gradient)``."""
    name = "penalised_nll"
    rng = fresh_rng()
    require_own_arguments(penalised_nll, name)

    def inputs():
        design, counts, params = random_glm_problem(rng, 80, 3)
        return {"params": params, "design": design, "counts": counts, "penalty": 1.0}

    require_dependence_on_inputs(lambda params, design, counts, penalty: penalised_nll(params, design, counts,
                                                                                      penalty)[1], name, inputs)
    value_mistakes = tuple(Mistake(text, _value_differences(nll)) for text, nll in PENALISED_MISTAKES)
    for n_bins, n_features, penalty in ((60, 2, 3.0), (500, 7, 25.0), (3000, 20, 0.7)):
        design, counts, params = random_glm_problem(rng, n_bins, n_features)
        sets = _parameter_sets(rng, params)
        values = [_call_nll(penalised_nll, name, p, design, counts, penalty)[0] for p in sets]
        judge(np.array(values[1:]) - values[0], _value_differences(ref.penalised_nll)(sets, design, counts, penalty),
              name=f"{name} (value)", inputs=(sets, design, counts, penalty), mistakes=value_mistakes, rtol=1e-6,
              atol=1e-7 * max(1.0, max(abs(v) for v in values)))
        gradient = _call_nll(penalised_nll, name, sets[0], design, counts, penalty)[1]
        judge(gradient, ref.penalised_nll(sets[0], design, counts, penalty)[1], name=f"{name} (gradient)",
              inputs=(sets[0], design, counts, penalty), rtol=1e-6,
              mistakes=tuple(Mistake(text, _gradient_at(nll)) for text, nll in GRADIENT_ORDER),
              shape_messages={(n_features,): "It has no entry for the offset: the gradient has one entry per "
                                             "parameter, the offset's first (sum_t (rate_t - y_t)).",
                              (n_bins,): "It has one entry per time bin: multiply by the design's transpose "
                                         "to sum over the bins."})
    print(f"{name} is correct: its value (up to a constant) and its gradient match on 3 fresh data sets.")


# --- bits_per_spike -----------------------------------------------------------------------------

BITS_MISTAKES = (
    Mistake("used the natural log: a difference of log-likelihoods in nats becomes bits when divided by "
            "log(2) (log2(x) = ln(x) / ln(2))", lambda ll, ll0, n: (ll - ll0) / n),
    Mistake("did not divide by the number of spikes: bits per spike is the gain in bits over the null "
            "model divided by n_spikes", lambda ll, ll0, n: (ll - ll0) / np.log(2)),
    Mistake("took the difference the wrong way round: it is the model's log-likelihood minus the null "
            "model's, so a better model scores higher", lambda ll, ll0, n: (ll0 - ll) / (n * np.log(2))),
    Mistake("multiplied by log(2) instead of dividing by it", lambda ll, ll0, n: (ll - ll0) * np.log(2) / n),
    Mistake("used the natural log and did not divide by the number of spikes", lambda ll, ll0, n: ll - ll0),
)


def check_bits_per_spike(bits_per_spike):
    """Hidden check of ``bits_per_spike(log_likelihood, null_log_likelihood, n_spikes)``."""
    name = "bits_per_spike"
    rng = fresh_rng()
    require_own_arguments(bits_per_spike, name)
    null = -rng.uniform(1e3, 1e5, size=6)
    gain = rng.uniform(10, 2e3, size=6) * rng.choice([1.0, 1.0, -0.1], size=6)
    n_spikes = rng.integers(100, 20_000, size=6).astype(float)
    log_likelihood = null + gain
    got = np.array([as_float(call_student(bits_per_spike, name, {"log_likelihood": a, "null_log_likelihood": b,
                                                                   "n_spikes": c}), name)
                    for a, b, c in zip(log_likelihood, null, n_spikes)])
    judge(got, ref.bits_per_spike(log_likelihood, null, n_spikes), name=name,
          inputs=(log_likelihood, null, n_spikes), mistakes=BITS_MISTAKES, rtol=1e-9)
    print(f"{name} is correct on {len(got)} fresh random log-likelihoods.")


# --- fold_labels --------------------------------------------------------------------------------

FOLD_CASES = ((10, 2), (23, 4), (1000, 5), (17, 17), (101, 3))


def _fold_problem(labels, n_bins, n_folds):
    """What is wrong with ``labels`` as contiguous, nearly equal folds (None if nothing)."""
    if labels.shape != (n_bins,):
        return f"returned shape {labels.shape}; expected one label per bin, shape ({n_bins},)"
    if not np.all(labels == np.round(labels)) or labels.min() < 0 or labels.max() > n_folds - 1:
        return (f"returned labels outside 0 .. n_folds - 1 = {n_folds - 1} (min {labels.min():g}, max "
                f"{labels.max():g}): folds are numbered from 0")
    if n_bins >= 2 * n_folds and np.array_equal(labels, np.arange(n_bins) % n_folds):
        return ("interleaved the folds (bin t in fold t % n_folds): neighbouring bins, correlated through the "
                "stimulus filter and the spike history, then sit in training and test sets at once, and the "
                "held-out score is too optimistic. Use contiguous blocks of time")
    if np.any(np.diff(labels) < 0) or np.any(np.diff(labels) > 1):
        return ("made folds that are not contiguous blocks in time order (fold 0 first): shuffled or "
                "interleaved bins leak information between neighbouring bins of training and test sets")
    sizes = np.bincount(labels.astype(int), minlength=n_folds)
    if sizes.min() < n_bins // n_folds or sizes.max() > -(-n_bins // n_folds):
        return (f"made folds of unequal sizes {sorted(set(sizes.tolist()))}: the folds' sizes may differ by at "
                "most one bin (spread the remainder, as np.array_split does)")
    return None


def check_fold_labels(fold_labels):
    """Hidden check of ``fold_labels(n_bins, n_folds)``: any contiguous, nearly equal split is accepted."""
    name = "fold_labels"
    require_own_arguments(fold_labels, name)
    rng = fresh_rng()
    cases = FOLD_CASES + ((int(rng.integers(50, 5000)), int(rng.integers(2, 10))),)
    for n_bins, n_folds in cases:
        labels = as_float_array(call_student(fold_labels, name, {"n_bins": n_bins, "n_folds": n_folds}), name)
        problem = _fold_problem(labels, n_bins, n_folds)
        if problem:
            raise CheckFailed(f"{name}({n_bins}, {n_folds}): it looks like you {problem}.")
    print(f"{name} is correct: contiguous folds of nearly equal size for {len(cases)} cases.")
