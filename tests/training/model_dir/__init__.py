"""Tests of training.model_dir."""
