"""Public checks for assignment 4 (linear discrimination)."""
import numpy as np

from course.checks import as_vector, call_unchanged

# Four trials of two neurons whose noise is correlated; stimulus b raises neuron 2 by 1.
_NOISE = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, 0.0], [-1.0, 0.0]])


def check_optimal_linear_discriminant(optimal_linear_discriminant):
    """Only neuron 2's mean changes, yet correlated noise gives neuron 1 a negative weight."""
    responses_a = 5.0 + _NOISE
    responses_b = responses_a + np.array([0.0, 1.0])
    w = as_vector(call_unchanged(optimal_linear_discriminant, responses_a, responses_b), 2,
                  "optimal_linear_discriminant")
    # By hand: pooled S = scatter / (4 + 4 - 2) = [[4/3, 2/3], [2/3, 2/3]], S^-1 [0, 1] = [-1.5, 3].
    direction = np.array([-1.0, 2.0]) / np.sqrt(5.0)
    cosine = w @ direction / np.linalg.norm(w)
    assert np.isclose(cosine, 1.0), (
        f"optimal_linear_discriminant gave {w}; by hand S = [[4/3, 2/3], [2/3, 2/3]] and "
        "w = S^-1 (mean_b - mean_a) = [-1.5, 3] (any positive multiple is right)."
    )
    print("optimal_linear_discriminant passes the public checks.")


def check_dprime(dprime):
    """Projections [0, 2, 4] and [5, 7, 9]: means 2 and 7, variances 4 (or 8/3, normalised by n)."""
    value = float(np.asarray(call_unchanged(dprime, np.array([0.0, 2.0, 4.0]), np.array([5.0, 7.0, 9.0]))))
    assert np.isclose(value, 2.5) or np.isclose(value, 5 / np.sqrt(8 / 3)), (
        f"dprime gave {value}; by hand (7 - 2) / sqrt((4 + 4) / 2) = 2.5."
    )
    print("dprime passes the public checks.")


def check_percent_correct(percent_correct):
    """d' = 0 is chance; d' = 2 puts the midpoint one standard deviation from each mean."""
    for value, by_hand in ((0.0, 0.5), (2.0, 0.8413447460685429)):
        got = float(np.asarray(percent_correct(value)))
        assert np.isclose(got, by_hand) or np.isclose(got, 100 * by_hand), (
            f"percent_correct({value}) gave {got}; by hand Phi({value} / 2) = {by_hand:.4f}."
        )
    print("percent_correct passes the public checks.")
