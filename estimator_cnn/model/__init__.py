"""The model: networks, the model_fn split by mode, the presets table, precision."""
