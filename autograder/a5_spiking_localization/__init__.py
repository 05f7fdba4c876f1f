"""Assignment 5 (extension): decoding sound direction with a spiking network."""
