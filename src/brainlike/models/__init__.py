"""Models whose layers are compared with the brain. Every model exposes the same layer API:
``extract_features(waveforms) -> list[Tensor]`` (one ``(batch, frames, features)`` per layer),
``layer_names`` and ``layer_geometry`` (stride and receptive field of each layer, in samples)."""
