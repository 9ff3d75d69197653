"""Training: crops and batches from the corpora, the loop (schedule, resumable state,
precision), and ``train_model``, which trains an encoder with a registered objective."""
