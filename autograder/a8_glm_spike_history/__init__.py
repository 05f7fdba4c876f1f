"""Assignment 8 (instructor only): references, hidden checks and example submissions."""
