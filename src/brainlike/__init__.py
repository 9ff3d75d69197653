"""brainlike: how brain-like are self-supervised models? A reproducible workflow."""

__version__ = "0.1.0"
