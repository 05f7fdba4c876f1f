"""Assignment 2: the Poisson negative log-likelihood, its gradient, and gradient descent."""
