"""Assignment 6 (extension): efficient coding, where a trained network puts its Fisher information."""
