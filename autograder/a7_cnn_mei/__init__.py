"""Assignment 7 (extension): most exciting inputs of a CNN encoding model."""
