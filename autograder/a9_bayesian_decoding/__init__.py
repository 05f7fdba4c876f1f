"""Assignment 9: Bayesian decoding of a population, and how close it comes to the Cramér–Rao bound."""
