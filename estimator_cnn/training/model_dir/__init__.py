"""What training keeps in a model_dir and how it is read back: params.json and its plan, run
folders, the checkpoints, their index, and recovery from damaged ones."""
