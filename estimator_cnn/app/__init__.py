"""What run.py's modes do: train, eval, predict, train_and_eval (here or a cluster), inspect, export.

Everything here takes an app.settings.Settings, never the absl flags themselves.
"""
