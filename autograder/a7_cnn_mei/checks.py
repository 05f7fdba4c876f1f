"""Hidden checks for assignment 7, called from the notebook's hidden test cells.

Each check draws fresh random inputs (responses of many shapes, counts and calcium-like
signals, reliable and unreliable neurons; Gabor parameters on odd and even grids; images,
gradients, steps and norms on either side of the sphere), calls the student's function
only with arrays and numbers, compares the answer with the reference and names the
mistake when it is wrong.
"""
import numpy as np

from ..harness import (CheckFailed, Mistake, as_float, as_float_array, call_student, fresh_rng, judge,
                       require_dependence_on_inputs, require_own_arguments)
from . import reference as ref

# --- oracle_correlation ------------------------------------------------------------------


def _corr(a, b):
    return ref.pooled_correlation(a, b)


def _per_image(responses):
    """Mean over images of the correlation across the image's repeats (always -1 when defined)."""
    loo = ref.leave_one_out_means(responses)
    values = [np.corrcoef(row, other)[0, 1] for row, other in zip(responses, loo) if np.std(row) > 0]
    return float(np.mean(values)) if values else np.nan


def _split_half(responses):
    half = responses.shape[1] // 2
    return _corr(responses[:, :half].mean(axis=1), responses[:, half:].mean(axis=1))


ORACLE_MISTAKES = (
    Mistake("compared each trial with the mean of all the repeats of its image, itself included; leave the trial "
            "out: compare it with the mean of the other repeats",
            lambda y: _corr(y, np.broadcast_to(y.mean(axis=1, keepdims=True), y.shape))),
    Mistake("left each trial out of a mean over the images (axis 0); the oracle averages the other repeats of the "
            "same image (axis 1): responses has shape (images, repeats)",
            lambda y: _corr(y, (y.sum(axis=0, keepdims=True) - y) / (y.shape[0] - 1))),
    Mistake("averaged one correlation per repeat; pool every (image, repeat) pair into a single correlation",
            lambda y: np.mean([_corr(y[:, r], ref.leave_one_out_means(y)[:, r]) for r in range(y.shape[1])])),
    Mistake("correlated only the first repeat with the mean of the others; use every repeat in turn and pool "
            "all the (image, repeat) pairs", lambda y: _corr(y[:, 0], ref.leave_one_out_means(y)[:, 0])),
    Mistake("correlated the mean responses of two halves of the repeats (a split-half reliability); the oracle "
            "correlates each single trial with the mean of the other repeats", _split_half),
    Mistake("computed the correlation across the repeats of each image; the oracle correlates across images, with "
            "every (image, repeat) pair pooled", _per_image),
    Mistake("returned the squared correlation; return the correlation itself",
            lambda y: ref.oracle_correlation(y) ** 2),
)

# (images, repeats, kind of data)
ORACLE_CASES = ((60, 4, "counts"), (200, 10, "counts"), (35, 2, "calcium"), (150, 3, "unreliable"),
                (80, 7, "calcium"))


def random_responses(rng, n_images, n_repeats, kind):
    """Responses of one neuron: Poisson counts, calcium-like (Gaussian noise, may be negative), or nearly constant."""
    if kind == "counts":
        rates = rng.gamma(1.5, rng.uniform(1.0, 4.0), n_images)
        return rng.poisson(rates[:, None] * np.ones(n_repeats)).astype(float)
    if kind == "calcium":
        signal = rng.lognormal(0.0, 0.8, n_images) * rng.uniform(0.5, 3.0)
        return signal[:, None] + rng.normal(0.0, rng.uniform(0.5, 1.5), (n_images, n_repeats))
    rates = 0.4 + 0.1 * rng.random(n_images)
    return rng.poisson(rates[:, None] * np.ones(n_repeats)).astype(float)


def check_oracle_correlation(oracle_correlation):
    """Hidden check of ``oracle_correlation(responses)``."""
    name = "oracle_correlation"
    require_own_arguments(oracle_correlation, name)
    rng = fresh_rng()
    for n_images, n_repeats, kind in ORACLE_CASES:
        responses = random_responses(rng, n_images, n_repeats, kind)
        result = call_student(oracle_correlation, name, {"responses": responses})
        shape = as_float_array(result, name).shape
        if shape in ((n_images,), (n_repeats,), (n_images, n_repeats)):
            raise CheckFailed(f"{name} returned an array of shape {shape} for responses of shape "
                              f"({n_images}, {n_repeats}); it must return a single number: one correlation over "
                              "all (image, repeat) pairs pooled.")
        got = as_float(result, name)
        try:
            judge(np.asarray(got), ref.oracle_correlation(responses), name=name, inputs=(responses,),
                  mistakes=ORACLE_MISTAKES, rtol=1e-6)
        except CheckFailed as failure:
            if "looks like you" not in str(failure):  # a known mistake can be constant (-1): name those first
                require_dependence_on_inputs(oracle_correlation, name,
                                             lambda: {"responses": random_responses(rng, 50, 5, "counts")})
            raise
    print(f"{name} is correct on {len(ORACLE_CASES)} fresh sets of responses (spike counts and calcium-like "
          "signals, 2 to 10 repeats, reliable and unreliable).")


# --- gabor_patch ---------------------------------------------------------------------------

def _shifted(size, orientation, spatial_frequency, phase, sigma, centre):
    """The reference Gabor with its grid centred at ``centre`` (a pixel index) instead of (size - 1) / 2."""
    rows, columns = np.indices((size, size), dtype=float)
    x, y = columns - centre, rows - centre
    across = x * np.cos(orientation) + y * np.sin(orientation)
    return np.exp(-(x**2 + y**2) / (2 * sigma**2)) * np.cos(2 * np.pi * spatial_frequency * across + phase)


def _unit(patch):
    return patch / np.linalg.norm(patch)


GABOR_MISTAKES = (
    Mistake("treated the orientation as degrees; it is in radians already (do not convert it)",
            lambda n, o, f, p, s: ref.gabor_patch(n, np.deg2rad(o), f, p, s)),
    Mistake("swapped x and y: x is the column offset (it varies along a row) and y the row offset; with "
            "np.meshgrid, use indexing='xy' for x, y or unpack rows first with indexing='ij'",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, f, p, s).T),
    Mistake("counted y upwards; in this notebook y is the row offset from the centre and grows downwards, as the "
            "rows of an image are numbered", lambda n, o, f, p, s: ref.gabor_patch(n, -o, f, p, s)),
    Mistake("used the orientation of the stripes; the orientation is the direction across them, the carrier "
            "varies along u = x cos(theta) + y sin(theta)", lambda n, o, f, p, s: ref.gabor_patch(n, o + np.pi / 2,
                                                                                                  f, p, s)),
    Mistake("put the centre at size // 2 (or size / 2); the centre is (size - 1) / 2, between the two middle "
            "pixels when size is even", lambda n, o, f, p, s: _shifted(n, o, f, p, s, n // 2)),
    Mistake("did not centre the coordinates: x and y are offsets from the image centre, (size - 1) / 2",
            lambda n, o, f, p, s: _shifted(n, o, f, p, s, 0.0)),
    Mistake("left out the 2 pi of the carrier: cos(2 pi f u + phase), with f in cycles per pixel",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, f / (2 * np.pi), p, s)),
    Mistake("used the spatial frequency as a wavelength; the carrier is cos(2 pi f u + phase), f in cycles per pixel",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, 1 / f, p, s)),
    Mistake("used a sine carrier; the Gabor is a cosine, cos(2 pi f u + phase)",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, f, p - np.pi / 2, s)),
    Mistake("subtracted the phase; the carrier is cos(2 pi f u + phase)",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, f, -p, s)),
    Mistake("left out the 2 of the Gaussian: the envelope is exp(-(x^2 + y^2) / (2 sigma^2))",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, f, p, s / np.sqrt(2))),
    Mistake("used sigma as a variance: the envelope is exp(-(x^2 + y^2) / (2 sigma^2)), sigma squared",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, f, p, np.sqrt(s))),
    Mistake("normalised the patch; return the Gabor itself (its envelope is 1 at the centre)",
            lambda n, o, f, p, s: _unit(ref.gabor_patch(n, o, f, p, s))),
    Mistake("subtracted the patch's mean; return the Gabor itself",
            lambda n, o, f, p, s: ref.gabor_patch(n, o, f, p, s) - ref.gabor_patch(n, o, f, p, s).mean()),
)

GABOR_SIZES = (15, 16, 9, 24, 20)


def random_gabor(rng, size):
    return {"size": int(size), "orientation": float(rng.uniform(0.1, np.pi - 0.1)),
            "spatial_frequency": float(rng.uniform(0.06, 0.3)), "phase": float(rng.uniform(-np.pi, np.pi)),
            "sigma": float(rng.uniform(1.5, size / 4))}


def check_gabor_patch(gabor_patch):
    """Hidden check of ``gabor_patch(size, orientation, spatial_frequency, phase, sigma)``."""
    name = "gabor_patch"
    require_own_arguments(gabor_patch, name)
    rng = fresh_rng()
    require_dependence_on_inputs(gabor_patch, name, lambda: random_gabor(rng, 12))
    for size in GABOR_SIZES:
        inputs = random_gabor(rng, size)
        got = as_float_array(call_student(gabor_patch, name, inputs), name)
        judge(got, ref.gabor_patch(**inputs), name=name, inputs=tuple(inputs.values()), mistakes=GABOR_MISTAKES,
              rtol=1e-6, shape_messages={(size * size,): "Return the patch as an image, shape (size, size), "
                                                         "not as a vector."})
    print(f"{name} is correct on {len(GABOR_SIZES)} fresh Gabors (odd and even sizes).")


# --- mei_step --------------------------------------------------------------------------------

def _sphere(moved, norm):
    return norm * moved / np.linalg.norm(moved)


MEI_MISTAKES = (
    Mistake("only shrank images whose norm is above `norm` (a projection onto the ball); the image must end with "
            "exactly this norm, so images below it are scaled up too",
            lambda x, g, s, n: _sphere(x + s * g, n) if np.linalg.norm(x + s * g) > n else x + s * g),
    Mistake("took the step but did not bring the image back to the norm: rescale it by norm / ||new image||",
            lambda x, g, s, n: x + s * g),
    Mistake("stepped down the gradient (image - step * grad); gradient ascent adds it",
            lambda x, g, s, n: _sphere(x - s * g, n)),
    Mistake("rescaled the image to norm 1; multiply by norm / ||new image||",
            lambda x, g, s, n: _sphere(x + s * g, 1.0)),
    Mistake("rescaled the image before the step instead of after it: take the step, then rescale",
            lambda x, g, s, n: _sphere(x, n) + s * g),
    Mistake("normalised the gradient before the step; the step is image + step * grad",
            lambda x, g, s, n: _sphere(x + s * g / np.linalg.norm(g), n)),
    Mistake("used the standard deviation of the pixels instead of the L2 norm, sqrt(sum of squares)",
            lambda x, g, s, n: n * (x + s * g) / np.std(x + s * g)),
    Mistake("used the root-mean-square of the pixels instead of the L2 norm: the square root of the sum of the "
            "squares, not of their mean", lambda x, g, s, n: n * (x + s * g) / np.sqrt(np.mean((x + s * g) ** 2))),
    Mistake("divided by the squared norm; rescale by norm / ||new image||",
            lambda x, g, s, n: n * (x + s * g) / np.sum((x + s * g) ** 2)),
    Mistake("rescaled each row separately; rescale the whole image by one factor, norm / ||new image||",
            lambda x, g, s, n: n * (x + s * g) / np.linalg.norm(x + s * g, axis=-1, keepdims=True)),
    Mistake("subtracted the mean of the image; this step fixes only the L2 norm and leaves the mean free",
            lambda x, g, s, n: _sphere(x + s * g - np.mean(x + s * g), n)),
)

# (shape, whether the new image ends inside the sphere of radius norm)
MEI_CASES = (((16, 16), False), ((16, 16), True), ((20, 12), False), ((9, 9), True))


def random_mei_inputs(rng, shape, inside):
    """An image, a gradient, a step and a norm; the stepped image ends inside or outside the sphere.

    The image has a clear mean (of either sign), so that the L2 norm, the RMS and the s.d. of the
    stepped image all differ.
    """
    image = rng.normal(0.0, 1.0, shape) + rng.choice([-1.0, 1.0]) * rng.uniform(0.7, 1.5)
    grad = rng.normal(0.0, 1.0, shape) * rng.uniform(0.01, 0.5)
    step = float(rng.uniform(0.1, 3.0))
    moved = np.linalg.norm(image + step * grad)
    norm = float(moved * (rng.uniform(1.3, 3.0) if inside else rng.uniform(0.3, 0.8)))
    return {"image": image, "grad": grad, "step": step, "norm": norm}


def check_mei_step(mei_step):
    """Hidden check of ``mei_step(image, grad, step, norm)``."""
    name = "mei_step"
    require_own_arguments(mei_step, name)
    rng = fresh_rng()
    require_dependence_on_inputs(mei_step, name, lambda: random_mei_inputs(rng, (8, 8), False))
    for shape, inside in MEI_CASES:
        inputs = random_mei_inputs(rng, shape, inside)
        got = as_float_array(call_student(mei_step, name, inputs), name)
        judge(got, ref.mei_step(**inputs), name=name, inputs=tuple(inputs.values()), mistakes=MEI_MISTAKES,
              shape_messages={(): "It returned one number: return the new image, the same shape as `image`."})
    print(f"{name} is correct on {len(MEI_CASES)} fresh images, gradients, steps and norms.")
