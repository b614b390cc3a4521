"""Trains every preset with its published recipe and tabulates its test accuracy.

  python -m estimator_cnn.experiments.presets_table                    # every preset, all of it
  python -m estimator_cnn.experiments.presets_table --presets=mlp,bn_cnn
  python -m estimator_cnn.experiments.presets_table --budget_steps=20  # a quick check: 20 steps

Each preset trains as `python run.py --preset=NAME --mode=train_and_eval` does:
its network, optimizer, batch size and budget on its recipe's training split,
validated on the recipe's held-out split if it has one (bn_cnn keeps the
checkpoint of best validation accuracy in best/ and is tested with it), then
tested on the test set. tf_tutorial's 200,000 steps would take days on a CPU,
so it trains for plan.TIME_CAPS_MINUTES at most and the table says how far it got.

plan: what each preset trains here; table: the training and testing; report:
results.md, the table, and results.json, one record per preset, in OUTPUT_DIR
(default results/presets).
"""
