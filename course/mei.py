"""Most exciting inputs (assignment 7): natural patches, simulated V1 neurons, a small CNN and its MEIs.

The pieces of the assignment that students do not write:

* **Stimuli**: natural image patches, from the photographs bundled with scikit-learn
  (:func:`natural_patches`, built on :func:`course.stimuli.photo_patches`).
* **Simulated V1 neurons** whose preferred stimulus is known (:class:`ModelNeuron`,
  :func:`v1_population`): simple cells, energy-model complex cells and a cell that
  needs two orientations at once, with Poisson trial-to-trial noise
  (:func:`simulate_responses`). Their receptive fields are Gaussian-derivative
  filters (Young, 1987), Gabor-like but not Gabors.
* **Real recordings** in a documented tabular format (:func:`load_recordings`,
  :func:`save_recordings`).
* **A small CNN encoding model** (:func:`make_cnn`, :func:`train_cnn`,
  :func:`predict`, :func:`held_out_correlation`).
* **Most exciting inputs** by gradient ascent through the CNN with the student's
  update step (:func:`synthesize_mei`), a bank of Gabor patches built with the
  student's Gabor function (:func:`gabor_bank`), and what to compare them by
  (:func:`receptive_field_mask`, :func:`masked_statistics`, :func:`radial_power`,
  :func:`spectral_peak`), and an explorer of the synthesis (:func:`mei_explorer`).

Conventions
-----------
* An image is a ``size x size`` array (``SIZE = 16``); a stack of images has shape
  ``(n_images, size, size)``. Pixel values are in the units of
  :func:`natural_patches`: every pixel has mean 0 and s.d. 1 over the natural patches.
* Coordinates: ``x`` is a pixel's column offset from the image centre (positive to the
  right), ``y`` its row offset (positive downwards, as rows are numbered); the centre is
  at ``(size - 1) / 2``. An orientation ``theta`` (radians) is the direction across the
  stripes: a receptive field varies along ``u = x cos theta + y sin theta``.
* A response is a spike count in one trial (one presentation of one image); responses
  are stored as ``(n_images, n_neurons, n_repeats)`` arrays, NaN where a repeat is
  missing.
* All randomness goes through an explicit seeded generator: ``numpy.random.Generator``
  for stimuli, spikes and starting images, ``torch.Generator`` for the CNN.
"""

import csv
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter
from scipy.special import dawsn

from course.progress import progress
from course.stimuli import photo_patches
from course.validation import as_number, as_positive_int, require_generator, require_torch_generator

__all__ = [
    "KINDS",
    "MEAN_COUNTS",
    "SIZE",
    "EncodingCNN",
    "ModelNeuron",
    "gabor_bank",
    "held_out_correlation",
    "load_recordings",
    "make_cnn",
    "masked_statistics",
    "mei_explorer",
    "model_gradient",
    "natural_patches",
    "predict",
    "quadrature_pair",
    "radial_power",
    "receptive_field_mask",
    "responses_at_norm",
    "save_recordings",
    "show_images",
    "simulate_responses",
    "spectral_peak",
    "synthesize_mei",
    "train_cnn",
    "true_rates",
    "v1_population",
]

SIZE = 16  # image side, pixels
KINDS = ("simple", "complex", "conjunction")
RESPONSE_COLUMNS = ("image", "neuron", "repeat", "response")
RESPONSES_FILE, IMAGES_FILE = "responses.csv", "images.npy"


# --------------------------------------------------------------------------- small checks

def _as_image(image, name="image"):
    """A finite 2-D float64 array."""
    array = np.asarray(image.detach() if torch.is_tensor(image) else image, dtype=np.float64)
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(f"{name} must be one 2-D image (height, width); got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers")
    return array


def _as_image_stack(images, name="images"):
    """A finite float64 array of shape (n_images, height, width)."""
    array = np.asarray(images.detach() if torch.is_tensor(images) else images, dtype=np.float64)
    hint = " (for one image use image[None])" if array.ndim == 2 else ""
    if array.ndim != 3 or 0 in array.shape:
        raise ValueError(f"{name} must have shape (n_images, height, width); got shape {array.shape}{hint}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers")
    return array


def _pearson(a, b):
    a, b = np.ravel(a) - np.mean(a), np.ravel(b) - np.mean(b)
    denominator = np.linalg.norm(a) * np.linalg.norm(b)
    return float(a @ b / denominator) if denominator > 0 else float("nan")


# --------------------------------------------------------------------------- stimuli

def natural_patches(n_images, rng, size=SIZE, downsample=4):
    """Square patches of natural photographs (offline), as images.

    :func:`course.stimuli.photo_patches` (the two photographs bundled with scikit-learn,
    in grey, block-averaged by ``downsample``, each pixel z-scored over the set), with
    each patch as a ``size x size`` image.

    Parameters
    ----------
    n_images : int
        Number of patches, at least 2. Draw every set you compare (training, test) in
        one call, so that they share the z-scoring.
    rng : numpy.random.Generator
        Seeded generator (which photograph, where).
    size : int
        Side of the patches, pixels.
    downsample : int
        Block-averaging factor of the photographs.

    Returns
    -------
    ndarray, shape (n_images, size, size), float64
        Pixel values in s.d. units (mean 0 and s.d. 1 per pixel over the set).
    """
    size = as_positive_int(size, "size")
    return photo_patches(n_images, rng, size=size, downsample=downsample).reshape(-1, size, size)


# --------------------------------------------------------------------------- receptive fields

def _grid(size, centre):
    """Column and row offsets (x, y) of every pixel from the point ``centre`` (offsets from the image centre)."""
    offsets = np.arange(size) - (size - 1) / 2
    y, x = np.meshgrid(offsets - centre[1], offsets - centre[0], indexing="ij")
    return x, y


def quadrature_pair(size, orientation, scale, elongation=1.5, centre=(0.0, 0.0)):
    """An even and an odd Gaussian-derivative receptive field, orthonormal.

    Across the stripes (along ``u = x cos theta + y sin theta``, measured from ``centre``)
    the even field is the negative second derivative of a Gaussian of s.d. ``scale``,
    ``(1 - u^2 / scale^2) exp(-u^2 / (2 scale^2))``, and the odd field is its Hilbert
    transform, written with Dawson's function; along the stripes both fall off as a
    Gaussian of s.d. ``elongation * scale``. The odd field is made exactly orthogonal to
    the even one, and both have unit norm: ``cos(phi) even + sin(phi) odd`` is then a
    unit-norm field of spatial phase ``phi``. Its spectrum peaks near
    ``1 / (pi sqrt(2) scale)`` cycles per pixel.

    Parameters
    ----------
    size : int
        Image side, pixels.
    orientation : float
        Direction across the stripes, radians (see the module's conventions).
    scale : float
        Width across the stripes, pixels (> 0).
    elongation : float
        Length along the stripes relative to ``scale`` (> 0).
    centre : (float, float)
        ``(x, y)`` offset of the field's centre from the image centre, pixels.

    Returns
    -------
    ndarray, shape (2, size, size)
        The even and the odd field.

    Examples
    --------
    >>> pair = quadrature_pair(16, 0.3, 2.0)
    >>> np.allclose(pair.reshape(2, -1) @ pair.reshape(2, -1).T, np.eye(2))
    True
    """
    size = as_positive_int(size, "size", minimum=2)
    orientation = as_number(orientation, "orientation")
    scale = as_number(scale, "scale", minimum=0.0, strictly=True)
    elongation = as_number(elongation, "elongation", minimum=0.0, strictly=True)
    centre = tuple(as_number(value, "centre") for value in np.ravel(centre))
    if len(centre) != 2:
        raise ValueError(f"centre must be an (x, y) pair of offsets in pixels; got {len(centre)} numbers")
    x, y = _grid(size, centre)
    across = (x * math.cos(orientation) + y * math.sin(orientation)) / scale
    along = (-x * math.sin(orientation) + y * math.cos(orientation)) / (elongation * scale)
    envelope = np.exp(-along**2 / 2)
    even = (1 - across**2) * np.exp(-across**2 / 2) * envelope
    w = across / math.sqrt(2)  # Hilbert transform of (1 - z^2) exp(-z^2 / 2), with Dawson's function D
    odd = (2 * w - (4 * w**2 - 2) * dawsn(w)) / math.sqrt(math.pi) * envelope
    even /= np.linalg.norm(even)
    odd -= np.sum(odd * even) * even
    odd /= np.linalg.norm(odd)
    return np.stack([even, odd])


@dataclass(frozen=True)
class ModelNeuron:
    """A simulated V1 neuron: linear filters, a static nonlinearity, a mean spike count per trial.

    With ``d_k = filters[k] . image`` (sum over pixels), the neuron's drive ``s`` is

    * ``"simple"``: ``max(d_0, 0)``, a rectified linear filter;
    * ``"complex"``: ``sqrt(d_0^2 + d_1^2)``, an energy model (filters in quadrature): the
      response hardly depends on the stimulus's phase;
    * ``"conjunction"``: ``sqrt(max(d_0, 0) * max(d_1, 0))``, which is zero unless both of its
      subunits (two orientations) are driven at once;

    and its expected spike count is ``baseline + gain * s**power``. Every drive doubles when
    the image's contrast doubles.

    Attributes
    ----------
    kind : {"simple", "complex", "conjunction"}
    filters : ndarray, shape (n_filters, size, size)
        Unit-norm filters: one for a simple cell, two for the others (orthogonal for a
        complex cell).
    gain : float
        Spikes per trial per unit of ``s**power`` (>= 0).
    baseline : float
        Spikes per trial to a blank screen (>= 0).
    power : float
        Exponent of the output nonlinearity (> 0; above 1 it is expansive).
    label : str
        A short description, for figures.
    """

    kind: str
    filters: np.ndarray = field(repr=False)
    gain: float = 1.0
    baseline: float = 0.0
    power: float = 1.0
    label: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {self.kind!r}")
        filters = np.asarray(self.filters, dtype=np.float64)
        needed = 1 if self.kind == "simple" else 2
        if filters.ndim != 3 or filters.shape[0] != needed or filters.shape[1] != filters.shape[2]:
            raise ValueError(f"a {self.kind} cell needs filters of shape ({needed}, size, size); "
                             f"got shape {filters.shape}")
        if not np.all(np.isfinite(filters)) or np.any(np.linalg.norm(filters.reshape(needed, -1), axis=1) == 0):
            raise ValueError("filters must be finite and non-zero")
        as_number(self.gain, "gain", minimum=0.0)
        as_number(self.baseline, "baseline", minimum=0.0)
        as_number(self.power, "power", minimum=0.0, strictly=True)
        object.__setattr__(self, "filters", filters)

    @property
    def size(self):
        """Image side, pixels."""
        return self.filters.shape[1]

    def drive(self, images):
        """Each filter's output for each image.

        Parameters
        ----------
        images : array_like, shape (n_images, size, size)

        Returns
        -------
        ndarray, shape (n_images, n_filters)
        """
        images = _as_image_stack(images)
        if images.shape[1:] != self.filters.shape[1:]:
            raise ValueError(f"images must be {self.size} x {self.size}; got {images.shape[1]} x {images.shape[2]}")
        return images.reshape(len(images), -1) @ self.filters.reshape(len(self.filters), -1).T

    def rates(self, images):
        """Expected spike count per trial for each image.

        Parameters
        ----------
        images : array_like, shape (n_images, size, size)

        Returns
        -------
        ndarray, shape (n_images,)
            Spikes per trial (>= baseline).
        """
        return self.baseline + self.gain * self._energy(self.drive(images)) ** self.power

    def _energy(self, drive):
        if self.kind == "simple":
            return np.maximum(drive[:, 0], 0.0)
        if self.kind == "complex":
            return np.hypot(drive[:, 0], drive[:, 1])
        return np.sqrt(np.maximum(drive[:, 0], 0.0) * np.maximum(drive[:, 1], 0.0))

    def preferred_stimulus(self, norm=1.0, phase=0.0):
        """The image of L2 norm ``norm`` that drives the neuron most: its true MEI.

        For a simple cell it is its filter; for a conjunction cell the sum of its two
        (unit-norm) filters, rescaled. A complex cell responds equally to every
        ``cos(phase) filters[0] + sin(phase) filters[1]``: ``phase`` chooses one.

        Parameters
        ----------
        norm : float
            L2 norm of the image (> 0).
        phase : float
            Radians; used by complex cells only.

        Returns
        -------
        ndarray, shape (size, size)
        """
        norm = as_number(norm, "norm", minimum=0.0, strictly=True)
        phase = as_number(phase, "phase")
        if self.kind == "simple":
            image = self.filters[0]
        elif self.kind == "complex":
            image = math.cos(phase) * self.filters[0] + math.sin(phase) * self.filters[1]
        else:
            image = self.filters[0] + self.filters[1]
        return image * (norm / np.linalg.norm(image))

    def similarity(self, image):
        """Pearson correlation of ``image`` with the neuron's preferred stimulus.

        For a complex cell, with the best of its preferred stimuli (the best phase, on a
        grid of 720 phases).

        Parameters
        ----------
        image : array_like, shape (size, size)

        Returns
        -------
        float
            In [-1, 1].
        """
        image = _as_image(image)
        if image.shape != self.filters.shape[1:]:
            raise ValueError(f"image must be {self.size} x {self.size}; got {image.shape}")
        if self.kind != "complex":
            return _pearson(image, self.preferred_stimulus())
        return max(_pearson(image, self.preferred_stimulus(phase=phase))
                   for phase in np.linspace(0, 2 * np.pi, 720, endpoint=False))


# (kind, orientation of each field (degrees), phase (degrees), scale, elongation, centre (x, y) of each field)
POPULATION = (
    ("simple", (30,), 0, 1.8, 1.6, ((0.5, -0.5),)),
    ("complex", (120,), 0, 1.6, 1.5, ((-1.0, 1.0),)),
    ("conjunction", (0, 90), 0, 1.4, 1.6, ((-2.5, -2.0), (2.0, 2.5))),
    ("simple", (135,), 90, 1.5, 1.5, ((1.0, 1.0),)),
    ("complex", (60,), 0, 2.2, 1.5, ((0.0, 0.0),)),
    ("simple", (90,), 180, 1.4, 2.0, ((-0.5, 0.5),)),
)
MEAN_COUNTS = (0.6, 0.6, 0.6, 0.06, 0.06, 0.3)  # spikes per trial, over natural patches


def v1_population(calibration_images, mean_counts=MEAN_COUNTS, power=1.5, baseline_fraction=0.1):
    """Six simulated V1 neurons, their gains set so that each fires a chosen mean count.

    Neuron 0 is a simple cell, 1 a complex cell, 2 a conjunction cell (two fields 90° apart
    in orientation, side by side), 3 a simple, 4 a complex and 5 a simple cell. Receptive
    fields come from :func:`quadrature_pair`, within 3 pixels of the image centre.

    Parameters
    ----------
    calibration_images : array_like, shape (n_images, size, size)
        Natural patches over which each neuron's mean count is set.
    mean_counts : sequence of 6 float
        Mean spikes per trial of each neuron over ``calibration_images`` (> 0).
    power : float
        Exponent of every neuron's output nonlinearity (see :class:`ModelNeuron`).
    baseline_fraction : float
        Part of the mean count that is baseline (spikes to a blank image), in [0, 1).

    Returns
    -------
    tuple of ModelNeuron
    """
    images = _as_image_stack(calibration_images, "calibration_images")
    if images.shape[1] != images.shape[2]:
        raise ValueError(f"calibration_images must be square; got {images.shape[1]} x {images.shape[2]}")
    mean_counts = [as_number(count, "mean_counts", minimum=0.0, strictly=True) for count in np.ravel(mean_counts)]
    if len(mean_counts) != len(POPULATION):
        raise ValueError(f"mean_counts must give {len(POPULATION)} counts, one per neuron; got {len(mean_counts)}")
    power = as_number(power, "power", minimum=0.0, strictly=True)
    baseline_fraction = as_number(baseline_fraction, "baseline_fraction", minimum=0.0)
    if baseline_fraction >= 1:
        raise ValueError(f"baseline_fraction must be < 1; got {baseline_fraction!r}")
    size = images.shape[1]
    neurons = []
    for (kind, orientations, phase, scale, elongation, centres), mean_count in zip(POPULATION, mean_counts):
        pairs = [quadrature_pair(size, math.radians(theta), scale, elongation, centre)
                 for theta, centre in zip(orientations, centres)]
        if kind == "simple":
            filters = (math.cos(math.radians(phase)) * pairs[0][0] + math.sin(math.radians(phase)) * pairs[0][1])[None]
        elif kind == "complex":
            filters = pairs[0]
        else:
            filters = np.stack([pair[0] for pair in pairs])
        label = f"{kind}, {'° and '.join(str(theta) for theta in orientations)}°"
        neuron = ModelNeuron(kind, filters, gain=1.0, baseline=0.0, power=power, label=label)
        typical = float(np.mean(neuron.rates(images)))
        baseline = baseline_fraction * mean_count
        neurons.append(replace(neuron, gain=(mean_count - baseline) / typical, baseline=baseline))
    return tuple(neurons)


def true_rates(neurons, images):
    """Every neuron's expected spike count for every image.

    Parameters
    ----------
    neurons : sequence of ModelNeuron
    images : array_like, shape (n_images, size, size)

    Returns
    -------
    ndarray, shape (n_images, n_neurons)
    """
    images = _as_image_stack(images)
    return np.stack([neuron.rates(images) for neuron in neurons], axis=1)


def simulate_responses(neurons, images, n_repeats, rng):
    """Poisson spike counts: each image shown ``n_repeats`` times to every neuron.

    Parameters
    ----------
    neurons : sequence of ModelNeuron
    images : array_like, shape (n_images, size, size)
    n_repeats : int
        Trials per image.
    rng : numpy.random.Generator
        Seeded generator.

    Returns
    -------
    ndarray, shape (n_images, n_neurons, n_repeats), float64
        Spike counts (whole numbers).
    """
    n_repeats = as_positive_int(n_repeats, "n_repeats")
    require_generator(rng)
    rates = true_rates(neurons, images)
    return rng.poisson(np.repeat(rates[:, :, None], n_repeats, axis=2)).astype(np.float64)


# --------------------------------------------------------------------------- recordings on disk

def save_recordings(folder, images, responses):
    """Write images and responses in the format :func:`load_recordings` reads.

    Parameters
    ----------
    folder : str or path-like
        Created if it does not exist; ``responses.csv`` and ``images.npy`` are overwritten.
    images : array_like, shape (n_images, height, width)
    responses : array_like, shape (n_images, n_neurons, n_repeats)
        NaN entries (missing repeats) are not written.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    images = _as_image_stack(images)
    responses = np.asarray(responses, dtype=np.float64)
    if responses.ndim != 3 or len(responses) != len(images):
        raise ValueError(f"responses must have shape (n_images, n_neurons, n_repeats) with n_images = "
                         f"{len(images)}; got shape {responses.shape}")
    if np.any(np.isinf(responses)):
        raise ValueError("responses must be finite (NaN marks a missing repeat)")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / IMAGES_FILE, images)
    with open(folder / RESPONSES_FILE, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RESPONSE_COLUMNS)
        for image, neuron, repeat in np.argwhere(np.isfinite(responses)):
            writer.writerow([image, neuron, repeat, repr(float(responses[image, neuron, repeat]))])
    return folder


def _wholeas_number(text, column, line):
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{RESPONSES_FILE}, line {line}: {column} must be a whole number >= 0; got {text!r}") \
            from None
    if not (math.isfinite(value) and value >= 0 and value == int(value)):
        raise ValueError(f"{RESPONSES_FILE}, line {line}: {column} must be a whole number >= 0; got {text!r}")
    return int(value)


def load_recordings(folder):
    """Read recorded responses to images: a table of trials and a file of images.

    The folder holds two files:

    ``images.npy``
        A numpy array of shape ``(n_images, height, width)``: the stimuli, any real
        units (e.g. grey levels). Image ``i`` is ``images[i]``.
    ``responses.csv``
        A comma-separated table with a header row naming (at least) the columns
        ``image,neuron,repeat,response``, in any order, and one row per trial and
        neuron: the image shown (an index into ``images.npy``), the neuron (0, 1, ...),
        the repeat (0, 1, ...: the how-many-th presentation of that image) and the
        response (a finite number: a spike count, or a deconvolved calcium signal).
        Other columns are ignored. For example::

            image,neuron,repeat,response
            0,0,0,3
            0,1,0,0
            0,0,1,5

    Each (image, neuron, repeat) may appear once. Every neuron from 0 to the largest
    index must appear. Images need not have the same number of repeats: missing
    repeats are NaN in the result (``np.isfinite(responses).all(axis=(1, 2))`` selects
    the images with every repeat, ``np.nanmean(responses, axis=2)`` averages the others).

    Parameters
    ----------
    folder : str or path-like
        The folder that holds ``responses.csv`` and ``images.npy``.

    Returns
    -------
    images : ndarray, shape (n_images, height, width), float64
    responses : ndarray, shape (n_images, n_neurons, n_repeats), float64
        ``n_repeats`` is the largest repeat index + 1; NaN where a trial is missing.

    Raises
    ------
    FileNotFoundError
        If the folder or one of the two files does not exist.
    ValueError
        If a file is malformed (the message names the file, line and problem).
    """
    folder = Path(folder)
    for name in (IMAGES_FILE, RESPONSES_FILE):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"no {name} in {folder}: a recordings folder holds {IMAGES_FILE} and "
                                    f"{RESPONSES_FILE} (see the docstring of load_recordings)")
    try:
        images = np.load(folder / IMAGES_FILE, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"{IMAGES_FILE} is not a plain numpy array file ({error})") from None
    if images.ndim != 3 or 0 in images.shape or not np.issubdtype(images.dtype, np.number) \
            or np.iscomplexobj(images):
        raise ValueError(f"{IMAGES_FILE} must hold real numbers of shape (n_images, height, width); "
                         f"got shape {images.shape} and dtype {images.dtype}")
    images = images.astype(np.float64)
    if not np.all(np.isfinite(images)):
        raise ValueError(f"{IMAGES_FILE} must contain only finite numbers")
    with open(folder / RESPONSES_FILE, newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in RESPONSE_COLUMNS if name not in header]
        if missing:
            raise ValueError(f"{RESPONSES_FILE} must start with a header row naming the columns "
                             f"{','.join(RESPONSE_COLUMNS)}; missing: {', '.join(missing)} (first row: {header})")
        columns = [header.index(name) for name in RESPONSE_COLUMNS]
        trials, values = [], []
        for line, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ValueError(f"{RESPONSES_FILE}, line {line}: expected {len(header)} values, got {len(row)}")
            image, neuron, repeat = (_wholeas_number(row[c].strip(), name, line)
                                     for c, name in zip(columns[:3], RESPONSE_COLUMNS))
            try:
                value = float(row[columns[3]])
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise ValueError(f"{RESPONSES_FILE}, line {line}: response must be a finite number; "
                                 f"got {row[columns[3]]!r}")
            if image >= len(images):
                raise ValueError(f"{RESPONSES_FILE}, line {line}: image {image} does not exist ({IMAGES_FILE} "
                                 f"holds {len(images)} images, 0 to {len(images) - 1})")
            trials.append((image, neuron, repeat))
            values.append(value)
    if not trials:
        raise ValueError(f"{RESPONSES_FILE} has a header but no trials")
    trials = np.array(trials)
    n_neurons, n_repeats = trials[:, 1].max() + 1, trials[:, 2].max() + 1
    absent = np.setdiff1d(np.arange(n_neurons), trials[:, 1])
    if absent.size:
        raise ValueError(f"{RESPONSES_FILE}: neurons must be numbered 0 to {n_neurons - 1} without gaps; "
                         f"no trial of neuron {absent[0]}")
    flat = np.ravel_multi_index(trials.T, (len(images), n_neurons, n_repeats))
    _, first, counts = np.unique(flat, return_index=True, return_counts=True)
    if np.any(counts > 1):
        repeated = np.argmax(counts > 1)
        image, neuron, repeat = trials[first[repeated]]
        raise ValueError(f"{RESPONSES_FILE}: image {image}, neuron {neuron}, repeat {repeat} appears "
                         f"{counts[repeated]} times; each trial may appear once")
    responses = np.full((len(images), n_neurons, n_repeats), np.nan)
    responses.reshape(-1)[flat] = values
    return images, responses


# --------------------------------------------------------------------------- the CNN

class EncodingCNN(torch.nn.Module):
    """A convolutional core shared by all neurons, and one factorised readout per neuron.

    ``images -> ELU(conv) -> ELU(conv)`` gives ``channels`` feature maps of the image's
    size (zero padding). Neuron ``k`` reads them with a spatial mask ``m_k`` (where its
    receptive field is) and feature weights ``w_k`` (what it looks for):
    ``rate_k = softplus(sum_{c, y, x} w_kc m_kyx features_cyx + b_k)`` (Klindt et al., 2017).

    Parameters
    ----------
    n_neurons : int
    generator : torch.Generator
        Seeded generator for the initial weights.
    size : int
        Image side, pixels.
    channels : int
        Feature maps per layer.
    kernels : tuple of int
        Side of each convolution's kernel (odd), one per layer (1 or 2 layers).
    """

    def __init__(self, n_neurons, generator, size=SIZE, channels=8, kernels=(9, 5)):
        super().__init__()
        require_torch_generator(generator)
        n_neurons, size = as_positive_int(n_neurons, "n_neurons"), as_positive_int(size, "size")
        channels = as_positive_int(channels, "channels")
        kernels = tuple(as_positive_int(kernel, "kernel") for kernel in kernels)
        if not 1 <= len(kernels) <= 2 or any(kernel % 2 == 0 for kernel in kernels):
            raise ValueError(f"kernels must be one or two odd kernel sides; got {kernels}")
        self.convolutions = torch.nn.ModuleList(
            torch.nn.Conv2d(1 if layer == 0 else channels, channels, kernel, padding=kernel // 2)
            for layer, kernel in enumerate(kernels))
        self.mask = torch.nn.Parameter(torch.empty(n_neurons, size, size))
        self.features = torch.nn.Parameter(torch.empty(n_neurons, channels))
        self.bias = torch.nn.Parameter(torch.zeros(n_neurons))
        with torch.no_grad():
            for convolution in self.convolutions:
                fan_in = convolution.weight[0].numel()
                convolution.weight.normal_(0.0, 1.0 / math.sqrt(fan_in), generator=generator)
                convolution.bias.zero_()
            self.mask.normal_(0.0, 1.0 / size, generator=generator)
            self.features.normal_(0.0, 1.0 / math.sqrt(channels), generator=generator)

    @property
    def size(self):
        """Image side, pixels."""
        return self.mask.shape[1]

    def core(self, images):
        """Feature maps, shape (n_images, channels, size, size), of images shaped (n_images, size, size)."""
        maps = images[:, None]
        for convolution in self.convolutions:
            maps = torch.nn.functional.elu(convolution(maps))
        return maps

    def forward(self, images):
        """Predicted mean responses, shape (n_images, n_neurons), all > 0."""
        drive = torch.einsum("ncyx,kyx,kc->nk", self.core(images), self.mask, self.features) + self.bias
        return torch.nn.functional.softplus(drive)

    def regulariser(self):
        """The penalty: ``sum |mask| + sum |features|`` (sparse readouts) plus 10 times the summed squared
        discrete Laplacian of the first-layer kernels (smooth filters). A scalar tensor."""
        kernels = self.convolutions[0].weight
        laplacian = (4 * kernels[..., 1:-1, 1:-1] - kernels[..., :-2, 1:-1] - kernels[..., 2:, 1:-1]
                     - kernels[..., 1:-1, :-2] - kernels[..., 1:-1, 2:])
        return self.mask.abs().sum() + self.features.abs().sum() + 10.0 * laplacian.pow(2).sum()


def make_cnn(n_neurons, generator, size=SIZE, channels=8, kernels=(9, 5)):
    """A fresh :class:`EncodingCNN` (float32), initialised from ``generator``.

    Parameters
    ----------
    n_neurons : int
    generator : torch.Generator
    size, channels, kernels
        As in :class:`EncodingCNN`.

    Returns
    -------
    EncodingCNN
    """
    return EncodingCNN(n_neurons, generator, size=size, channels=channels, kernels=kernels)


def _trial_means(responses, n_images):
    """Responses (n, K) or (n, K, R) as trial means (n, K) with a weight per entry (its number of trials)."""
    responses = np.asarray(responses, dtype=np.float64)
    if responses.ndim == 2:
        responses = responses[:, :, None]
    if responses.ndim != 3 or len(responses) != n_images:
        raise ValueError(f"responses must have shape (n_images, n_neurons) or (n_images, n_neurons, n_repeats) "
                         f"with n_images = {n_images}; got shape {responses.shape}")
    if np.any(np.isinf(responses)) or np.any(responses < 0):
        raise ValueError("responses must be finite and >= 0 (NaN marks a missing repeat)")
    counts = np.sum(np.isfinite(responses), axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, np.nansum(responses, axis=2) / np.maximum(counts, 1), 0.0)
    return means, counts


def train_cnn(images, responses, generator, n_epochs=12, batch_size=64, learning_rate=0.01, regularisation=1.0,
              description="training the CNN", **architecture):
    """Fit :class:`EncodingCNN` to responses by the Poisson likelihood (Adam, minibatches).

    The loss of a batch is the Poisson negative log-likelihood of the trial-averaged
    responses, ``mean(rate - response * log(rate))`` over images and neurons (weighted by
    the number of trials), plus ``regularisation / n_images`` times :meth:`EncodingCNN.regulariser`.

    Parameters
    ----------
    images : array_like, shape (n_images, size, size)
    responses : array_like, shape (n_images, n_neurons) or (n_images, n_neurons, n_repeats)
        Spike counts (NaN: a missing repeat).
    generator : torch.Generator
        Seeded generator: initial weights and the order of the minibatches.
    n_epochs, batch_size : int
        Passes through the data, images per gradient step.
    learning_rate : float
        Adam's step size.
    regularisation : float
        Weight of the regulariser (>= 0).
    description : str
        Label of the progress bar.
    **architecture
        ``channels`` and ``kernels`` of :func:`make_cnn`.

    Returns
    -------
    model : EncodingCNN
        In evaluation mode, parameters frozen.
    losses : ndarray, shape (n_epochs,)
        Mean Poisson loss (without the regulariser) in each epoch.
    """
    require_torch_generator(generator)
    images = _as_image_stack(images)
    if images.shape[1] != images.shape[2]:
        raise ValueError(f"images must be square; got {images.shape[1]} x {images.shape[2]}")
    means, counts = _trial_means(responses, len(images))
    n_epochs, batch_size = as_positive_int(n_epochs, "n_epochs"), as_positive_int(batch_size, "batch_size")
    learning_rate = as_number(learning_rate, "learning_rate", minimum=0.0, strictly=True)
    regularisation = as_number(regularisation, "regularisation", minimum=0.0)
    model = make_cnn(means.shape[1], generator, size=images.shape[1], **architecture)
    inputs = torch.as_tensor(images, dtype=torch.float32)
    targets = torch.as_tensor(means, dtype=torch.float32)
    weights = torch.as_tensor(counts / counts.mean(), dtype=torch.float32)
    with torch.no_grad():  # start from the right mean rate
        model.bias.copy_(torch.log(torch.expm1(targets.mean(dim=0).clamp(min=1e-3))))
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    losses = np.empty(n_epochs)
    for epoch in progress(range(n_epochs), description):
        order, total = torch.randperm(len(inputs), generator=generator), 0.0
        for start in range(0, len(inputs), batch_size):
            batch = order[start:start + batch_size]
            rates = model(inputs[batch])
            loss = torch.mean(weights[batch] * (rates - targets[batch] * torch.log(rates + 1e-8)))
            optimiser.zero_grad()
            (loss + regularisation * model.regulariser() / len(inputs)).backward()
            optimiser.step()
            total += loss.item() * len(batch)
        losses[epoch] = total / len(inputs)
    model.requires_grad_(False)
    return model.eval(), losses


def predict(model, images, batch_size=1024):
    """A model's predicted mean responses.

    Parameters
    ----------
    model : EncodingCNN
    images : array_like, shape (n_images, size, size)
    batch_size : int

    Returns
    -------
    ndarray, shape (n_images, n_neurons), float64
        Spikes per trial.
    """
    images = _as_image_stack(images)
    batch_size = as_positive_int(batch_size, "batch_size")
    with torch.no_grad():
        return np.concatenate([model(torch.as_tensor(images[start:start + batch_size], dtype=torch.float32))
                               .double().numpy() for start in range(0, len(images), batch_size)])


def held_out_correlation(predictions, responses):
    """Per neuron: correlation of predictions with single trials, over all (image, repeat) pairs.

    The same pooling as the oracle correlation, so the two can be compared: each trial's
    response is paired with the prediction for its image, and one Pearson correlation is
    computed per neuron over all the trials (missing repeats, NaN, are left out).

    Parameters
    ----------
    predictions : array_like, shape (n_images, n_neurons)
        Predicted mean responses (a model's, or the true rates).
    responses : array_like, shape (n_images, n_neurons, n_repeats)
        Single-trial responses.

    Returns
    -------
    ndarray, shape (n_neurons,)
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    responses = np.asarray(responses, dtype=np.float64)
    if responses.ndim != 3 or predictions.shape != responses.shape[:2]:
        raise ValueError(f"predictions must have shape (n_images, n_neurons) and responses (n_images, n_neurons, "
                         f"n_repeats); got {predictions.shape} and {responses.shape}")
    if not np.all(np.isfinite(predictions)):
        raise ValueError("predictions must contain only finite numbers")
    result = []
    for neuron in range(responses.shape[1]):
        trials = responses[:, neuron, :]
        paired = np.broadcast_to(predictions[:, neuron, None], trials.shape)
        kept = np.isfinite(trials)
        result.append(_pearson(paired[kept], trials[kept]))
    return np.array(result)


# --------------------------------------------------------------------------- most exciting inputs

def model_gradient(model, image, neuron, log=False):
    """A model neuron's predicted response to one image, and its gradient with respect to the pixels.

    Parameters
    ----------
    model : EncodingCNN
    image : array_like, shape (size, size)
    neuron : int
        Which output.
    log : bool
        Return the gradient of the logarithm of the response instead (the gradient divided
        by the response), which does not vanish where the predicted response is near zero.

    Returns
    -------
    response : float
        Predicted spikes per trial.
    gradient : ndarray, shape (size, size), float64
        d response / d pixel (d log response / d pixel if ``log``).
    """
    image = _as_image(image)
    neuron = as_positive_int(neuron, "neuron", minimum=0)
    pixels = torch.tensor(image, dtype=torch.float32, requires_grad=True)
    with torch.enable_grad():
        response = model(pixels[None])[0, neuron]
        (gradient,) = torch.autograd.grad(torch.log(response) if log else response, pixels)
    return float(response.detach()), gradient.double().numpy()


def synthesize_mei(model, neuron, mei_step, norm, rng, n_steps=100, step=20.0, blur_sigma=0.0,
                   description="MEI"):
    """A most exciting input: gradient ascent on a model neuron's response, at a fixed norm.

    Starting from white noise of L2 norm ``norm``, each step computes the gradient of
    the logarithm of the predicted response (:func:`model_gradient`; the logarithm has
    the same maximum, and its gradient does not vanish where the response is near zero),
    optionally blurs it with a Gaussian of s.d. ``blur_sigma`` pixels (which favours smooth
    images: fine pixel patterns the model responds to but natural images rarely contain get
    a smaller push), and lets ``mei_step(image, gradient, step, norm)`` take the step and
    restore the norm.

    Parameters
    ----------
    model : EncodingCNN
    neuron : int
    mei_step : callable
        ``mei_step(image, grad, step, norm) -> new image`` (arrays of shape (size, size)).
    norm : float
        L2 norm of every image (> 0).
    rng : numpy.random.Generator
        Seeded generator of the starting image.
    n_steps : int
    step : float
        Step size, in pixel units per unit of the gradient of the log response (> 0).
    blur_sigma : float
        s.d. of the blur of the gradient, pixels (0: none).
    description : str
        Label of the progress bar.

    Returns
    -------
    mei : ndarray, shape (size, size)
    trace : ndarray, shape (n_steps + 1,)
        Predicted response before the first step and after each step.
    """
    require_generator(rng)
    if not callable(mei_step):
        raise ValueError("mei_step must be a function mei_step(image, grad, step, norm)")
    neuron = as_positive_int(neuron, "neuron", minimum=0)
    norm = as_number(norm, "norm", minimum=0.0, strictly=True)
    n_steps = as_positive_int(n_steps, "n_steps")
    step = as_number(step, "step", minimum=0.0, strictly=True)
    blur_sigma = as_number(blur_sigma, "blur_sigma", minimum=0.0)
    image = rng.standard_normal((model.size, model.size))
    image *= norm / np.linalg.norm(image)
    trace = []
    for _ in progress(range(n_steps), description, leave=False):
        response, gradient = model_gradient(model, image, neuron, log=True)
        trace.append(response)
        if blur_sigma > 0:
            gradient = gaussian_filter(gradient, blur_sigma, mode="constant")
        image = np.asarray(mei_step(image, gradient, step, norm), dtype=np.float64)
        if image.shape != (model.size, model.size):
            raise ValueError(f"mei_step returned shape {image.shape}; expected ({model.size}, {model.size})")
    trace.append(model_gradient(model, image, neuron)[0])
    return image, np.array(trace)


def gabor_bank(gabor_patch, size, orientations, frequencies, phases, sigmas, max_shift=0):
    """Gabor patches on a grid of parameters and positions, drawn with the student's function.

    Each Gabor is drawn once, ``max_shift`` pixels larger on every side, by
    ``gabor_patch(size + 2 max_shift, orientation, frequency, phase, sigma)``; windows of
    ``size x size`` cut from it put its centre at every offset ``(x, y)`` with
    ``|x|, |y| <= max_shift`` pixels from the image centre.

    Parameters
    ----------
    gabor_patch : callable
        ``gabor_patch(size, orientation, spatial_frequency, phase, sigma) -> (size, size)``.
    size : int
        Image side, pixels.
    orientations, frequencies, phases, sigmas : sequence of float
        Radians, cycles per pixel, radians, pixels.
    max_shift : int
        Largest offset of the centre, pixels (0: centred only).

    Returns
    -------
    stimuli : ndarray, shape (n, size, size)
        ``n = len(orientations) * len(frequencies) * len(phases) * len(sigmas) * (2 max_shift + 1)^2``.
    parameters : ndarray, shape (n, 6)
        Orientation, frequency, phase, sigma, x and y offset of each stimulus.
    """
    size = as_positive_int(size, "size")
    max_shift = as_positive_int(max_shift, "max_shift", minimum=0)
    big = size + 2 * max_shift
    shifts = range(-max_shift, max_shift + 1)
    stimuli, parameters = [], []
    for orientation in np.ravel(orientations):
        for frequency in np.ravel(frequencies):
            for phase in np.ravel(phases):
                for sigma in np.ravel(sigmas):
                    patch = np.asarray(gabor_patch(big, float(orientation), float(frequency), float(phase),
                                                   float(sigma)), dtype=np.float64)
                    if patch.shape != (big, big):
                        raise ValueError(f"gabor_patch({big}, ...) returned shape {patch.shape}; "
                                         f"expected ({big}, {big})")
                    for y in shifts:
                        for x in shifts:
                            top, left = max_shift - y, max_shift - x
                            stimuli.append(patch[top:top + size, left:left + size])
                            parameters.append((orientation, frequency, phase, sigma, x, y))
    return np.array(stimuli), np.array(parameters, dtype=np.float64)


def responses_at_norm(model, stimuli, norm):
    """A model's predicted responses to stimuli, each first rescaled to the same L2 norm.

    Parameters
    ----------
    model : EncodingCNN
    stimuli : array_like, shape (n, size, size)
        Non-zero images.
    norm : float
        L2 norm given to every image (> 0).

    Returns
    -------
    ndarray, shape (n, n_neurons)
    """
    stimuli = _as_image_stack(stimuli, "stimuli")
    norm = as_number(norm, "norm", minimum=0.0, strictly=True)
    norms = np.linalg.norm(stimuli.reshape(len(stimuli), -1), axis=1)
    if np.any(norms == 0):
        raise ValueError("stimuli must be non-zero images (a blank image cannot be rescaled)")
    return predict(model, stimuli * (norm / norms)[:, None, None])


# --------------------------------------------------------------------------- comparing images

def receptive_field_mask(image, fraction=0.2, blur_sigma=1.0):
    """Where an image has structure: its blurred absolute deviation from its mean, above a fraction of the peak.

    Parameters
    ----------
    image : array_like, shape (height, width)
    fraction : float
        Threshold, relative to the largest blurred deviation, in (0, 1).
    blur_sigma : float
        s.d. of the Gaussian blur, pixels (>= 0).

    Returns
    -------
    ndarray of bool, shape (height, width)
    """
    image = _as_image(image)
    fraction = as_number(fraction, "fraction", minimum=0.0, strictly=True)
    if fraction >= 1:
        raise ValueError(f"fraction must be < 1; got {fraction!r}")
    blur_sigma = as_number(blur_sigma, "blur_sigma", minimum=0.0)
    deviation = np.abs(image - image.mean())
    envelope = gaussian_filter(deviation, blur_sigma, mode="constant") if blur_sigma > 0 else deviation
    if envelope.max() == 0:
        raise ValueError("image is constant: it has no structure to put a mask on")
    return envelope >= fraction * envelope.max()


def masked_statistics(image, mask):
    """Luminance and contrast inside a mask.

    Parameters
    ----------
    image : array_like, shape (height, width)
    mask : array_like of bool, shape (height, width)
        At least two pixels.

    Returns
    -------
    luminance : float
        Mean pixel value inside the mask.
    contrast : float
        s.d. of the pixel values inside the mask (RMS contrast).
    """
    image = _as_image(image)
    mask = np.asarray(mask)
    if mask.shape != image.shape or mask.dtype != bool:
        raise ValueError(f"mask must be a boolean array of the image's shape {image.shape}; "
                         f"got {mask.dtype} of shape {mask.shape}")
    if mask.sum() < 2:
        raise ValueError("mask must select at least two pixels")
    inside = image[mask]
    return float(inside.mean()), float(inside.std())


def radial_power(image):
    """Power spectrum averaged over orientations, in rings of spatial frequency.

    Parameters
    ----------
    image : array_like, shape (size, size)

    Returns
    -------
    frequencies : ndarray, shape (size // 2,)
        Centre of each ring, cycles per pixel (from 1/size to 1/2).
    power : ndarray, shape (size // 2,)
        Mean of ``|FFT|^2 / n_pixels`` over the ring (the mean luminance, frequency 0, is left out).
    """
    image = _as_image(image)
    if image.shape[0] != image.shape[1] or image.shape[0] < 4:
        raise ValueError(f"image must be square, at least 4 x 4; got {image.shape}")
    size = image.shape[0]
    power = np.abs(np.fft.fft2(image)) ** 2 / image.size
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij"))
    rings = np.rint(frequency * size).astype(int)  # ring r holds |f| within half a step of r / size
    centres = np.arange(1, size // 2 + 1)
    return centres / size, np.array([power[rings == ring].mean() for ring in centres])


def spectral_peak(image):
    """Spatial frequency and orientation where an image's power spectrum peaks (mean luminance left out).

    Parameters
    ----------
    image : array_like, shape (height, width)

    Returns
    -------
    frequency : float
        Cycles per pixel.
    orientation : float
        Direction of the wave vector (across the stripes), radians in [0, pi), in the
        module's convention (``y`` downwards).
    """
    image = _as_image(image)
    power = np.abs(np.fft.fft2(image - image.mean())) ** 2
    power[0, 0] = -1.0
    row, column = np.unravel_index(np.argmax(power), power.shape)
    fy, fx = np.fft.fftfreq(image.shape[0])[row], np.fft.fftfreq(image.shape[1])[column]
    return float(np.hypot(fx, fy)), float(np.mod(np.arctan2(fy, fx), np.pi))


def show_images(images, titles=(), axes=None, columns=None, limit=None):
    """Draw images side by side in grey, 0 as mid-grey, the same scale for all.

    Parameters
    ----------
    images : array_like, shape (n, height, width)
    titles : sequence of str
        One per image (or none).
    axes : sequence of matplotlib Axes, optional
        Where to draw; new ones in a new figure otherwise.
    columns : int, optional
        Panels per row of a new figure (default: all in one row).
    limit : float, optional
        Value drawn as white (minus it as black); default the largest absolute value.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    images = _as_image_stack(images)
    titles = list(titles)
    if titles and len(titles) != len(images):
        raise ValueError(f"titles must give one title per image ({len(images)}); got {len(titles)}")
    if axes is None:
        columns = len(images) if columns is None else as_positive_int(columns, "columns")
        rows = -(-len(images) // columns)
        fig, grid = plt.subplots(rows, columns, figsize=(1.9 * columns, 2.0 * rows), squeeze=False,
                                 layout="constrained")
        axes = grid.ravel()
        for ax in axes[len(images):]:
            ax.axis("off")
    axes = list(np.ravel(axes))
    if len(axes) < len(images):
        raise ValueError(f"need one axes per image ({len(images)}); got {len(axes)}")
    if limit is None:
        limit = float(np.max(np.abs(images))) or 1.0
    limit = as_number(limit, "limit", minimum=0.0, strictly=True)
    for index, image in enumerate(images):
        axes[index].imshow(image, cmap="gray", vmin=-limit, vmax=limit)
        axes[index].set_xticks([])
        axes[index].set_yticks([])
        if titles:
            axes[index].set_title(titles[index], fontsize=8)
    return axes[0].figure


BLURS = (0.0, 0.5, 1.0, 2.0, 3.0)
STEP_COUNTS = (5, 10, 30, 100, 300)


def mei_explorer(model, neurons, mei_step, norm, choices, neuron=None, blur_sigma=1.0, n_steps=100, start=0):
    """Sliders for the neuron, the blur, the number of steps and the starting noise; redraws the MEI.

    Parameters
    ----------
    model : EncodingCNN
    neurons : sequence of ModelNeuron
        The simulated neurons (their true MEIs are drawn next to the synthesised one).
    mei_step : callable
        The student's ``mei_step(image, grad, step, norm)``.
    norm : float
        L2 norm of every image.
    choices : sequence of int
        The neurons offered by the slider (e.g. the reliable ones).
    neuron : int, optional
        Starting neuron (default the first of ``choices``).
    blur_sigma, n_steps, start
        Starting blur (pixels), number of steps and seed of the starting noise.

    Returns
    -------
    ipywidgets.interactive or None
        The live control; None when run headless (the figure is drawn once).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course.widgets import LABELS, explorer

    choices = [as_positive_int(choice, "choices", minimum=0) for choice in np.ravel(choices)]
    if not choices or max(choices) >= len(neurons):
        raise ValueError(f"choices must name neurons 0 to {len(neurons) - 1}; got {choices}")
    norm = as_number(norm, "norm", minimum=0.0, strictly=True)

    def show(neuron=choices[0] if neuron is None else neuron, blur_sigma=blur_sigma, n_steps=n_steps, start=start):
        image, trace = synthesize_mei(model, neuron, mei_step, norm, np.random.default_rng(start), n_steps=n_steps,
                                      blur_sigma=blur_sigma, description="MEI")
        truth = neurons[neuron].preferred_stimulus(norm)
        fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), layout="constrained", width_ratios=[1, 1, 1.6])
        show_images([truth, image], [f"neuron {neuron}: true MEI",
                                     f"MEI: r = {neurons[neuron].similarity(image):.2f}"], axes=axes[:2])
        axes[2].plot(trace)
        axes[2].set(xlabel="step", ylabel="predicted spikes",
                    title=f"blur {blur_sigma:g} px, start {start}: {trace[-1]:.1f} spikes predicted")
        axes[2].title.set_fontsize(9)
        plt.show()

    return explorer(
        show,
        neuron=widgets.Dropdown(options=choices, value=choices[0] if neuron is None else neuron, description="neuron"),
        blur_sigma=widgets.SelectionSlider(options=BLURS, value=blur_sigma, description="blur (pixels)",
                                           continuous_update=False, style=LABELS),
        n_steps=widgets.SelectionSlider(options=STEP_COUNTS, value=n_steps, description="steps",
                                        continuous_update=False, style=LABELS),
        start=widgets.IntSlider(value=start, min=0, max=9, description="starting noise", continuous_update=False,
                                style=LABELS),
    )
