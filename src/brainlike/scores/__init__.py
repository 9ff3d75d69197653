"""Brain scores: cross-validated ridge encoding models, noise ceilings and their statistics."""
