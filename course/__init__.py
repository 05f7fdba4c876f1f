"""Helper package for the neural encoding/decoding course.

Submodules are imported explicitly by the notebooks (``from course import lnp``);
nothing heavy (matplotlib, scikit-learn) is imported when ``course`` itself is.

- ``validation``: friendly checks of user input (shapes, finiteness, spike counts).
- ``lnp``: the linear-nonlinear-Poisson neuron (filter, rates, spike simulation).
- ``stimuli``: white noise, 1/f ("pink") noise, photo patches and MNIST digits.
- ``plotting``: filters and example stimuli as images.
- ``population``: orientation-tuned populations, Poisson and correlated Gaussian responses.
- ``gratings``: differentiable noisy gratings and a small torch orientation network.
- ``decoding``: orientation grids, von Mises priors, the population vector, credible sets (assignment 9).
- ``spiking``: auditory-nerve spikes for sound localization and a small spiking network (assignment 5).
- ``efficient_coding``: gratings under a non-uniform prior, trained networks and their Fisher information (assignment 6).
- ``glm``: a simulated retinal ganglion cell in time and the Poisson GLM with spike history (assignment 8).
- ``mei``: natural patches, simulated V1 neurons, a small CNN encoding model and its most exciting inputs (assignment 7).
- ``widgets``: slider explorers that draw once, statically, when run headless.
- ``progress``: progress bars for training loops, silent when run headless.
- ``checks``: public checks students run on their answers (one module per assignment).
"""

__all__ = [
    "checks", "decoding", "efficient_coding", "glm", "gratings", "lnp", "mei", "plotting", "population", "progress",
    "spiking", "stimuli", "validation", "widgets",
]
