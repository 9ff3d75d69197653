"""Stimulus features per layer, on the fMRI time grid: model layers and baselines."""
