"""The worker process: runs one JSON task and prints its result as the last line of stdout."""

import contextlib
import importlib
import json

from estimator_cnn.data import read_ahead
from estimator_cnn.experiments.benchmark import systems


def measure(spec):
  """The result of spec's task: "probe", else "throughput" or "time_to_accuracy" of its system."""
  # Imported here: the probe and the Estimator worker set up tf-keras, which the Keras 3 worker
  # must not see, and the PyTorch environment has no TensorFlow.
  # The dataset is read while the worker imports its framework, as run.py reads it (app.main);
  # a program system's program reads it itself.
  if spec["task"] == "probe":
    module, task, reads_dataset = "machine", "probe", False
  else:
    runner = systems.SYSTEMS[spec["system"]].runner
    module, task, reads_dataset = f"{runner}_worker", spec["task"], runner != systems.PROGRAM
  with (read_ahead.reading(spec["data_dir"]) if reads_dataset else contextlib.nullcontext()):
    return getattr(importlib.import_module(f"{__package__}.{module}"), task)(spec)


def run(spec_json):
  """Runs the task of a JSON spec in this process; prints its JSON result."""
  print(json.dumps(measure(json.loads(spec_json))))
