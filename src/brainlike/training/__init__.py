"""Training: the loop, its schedule and resumable state, the objectives' targets."""
