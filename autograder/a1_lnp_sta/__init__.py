"""Assignment 1: LNP simulation and the spike-triggered average."""
