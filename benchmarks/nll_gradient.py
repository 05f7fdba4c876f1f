"""How fast is the reference NLL + gradient, next to one matrix-vector product of the same size?

The NLL and its gradient need X @ k, an exp, and X^T (rates - y): two passes
over X, so their cost should be within about 3x of X @ k
(goal: at most 1 ms on 10,000 x 100). Both are timed in the same run, median of
many repeats, so the ratio is meaningful on any machine.

    .venv/bin/python benchmarks/nll_gradient.py [--n-images 10000] [--n-pixels 100] [--repeats 200]
"""
import argparse
import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from autograder.a2_max_likelihood import reference as ref  # noqa: E402


def median_seconds(statement, repeats):
    """Median wall time of one call over ``repeats`` timed calls (after one warm-up)."""
    statement()
    return float(np.median(timeit.repeat(statement, number=1, repeat=repeats)))


def main(arguments=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-images", type=int, default=10_000)
    parser.add_argument("--n-pixels", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=200)
    options = parser.parse_args(arguments)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(options.n_images, options.n_pixels))
    k = rng.normal(size=options.n_pixels) * 0.7 / np.sqrt(options.n_pixels)
    y = rng.poisson(np.exp(x @ k))

    both = median_seconds(lambda: ref.nll_and_gradient(k, x, y), options.repeats)
    separate = median_seconds(lambda: (ref.compute_NLL(k, x, y), ref.compute_dNLL_dk(k, x, y)), options.repeats)
    product = median_seconds(lambda: x @ k, options.repeats)
    print(f"{options.n_images} images x {options.n_pixels} pixels, median of {options.repeats} repeats")
    print(f"  NLL + gradient (reference nll_and_gradient): {both * 1e3:8.3f} ms")
    print(f"  X @ k:                                       {product * 1e3:8.3f} ms")
    print(f"  ratio:                                       {both / product:8.2f}  (goal: <= 3, and <= 1 ms)")
    print(f"  for comparison, compute_NLL (with log y!) then compute_dNLL_dk: {separate * 1e3:.3f} ms "
          f"({separate / product:.1f} x X @ k)")


if __name__ == "__main__":
    main()
