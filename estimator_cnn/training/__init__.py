"""Training: making the Estimator, the guarded training loop, progress, model_dir handling."""
