"""Assignment 4: linear discrimination and decoder-based Fisher information."""
