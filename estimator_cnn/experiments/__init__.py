"""The studies: the ablation ladders, the presets table, the benchmark."""
