"""Assignment 3: Fisher information, analytic, estimated from data, and of a trained network."""
