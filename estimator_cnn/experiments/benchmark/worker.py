"""The worker process: runs one JSON task and prints its result as the last line of stdout."""

import importlib
import json

from estimator_cnn.experiments.benchmark import systems


def measure(spec):
  """The result of spec's task: "probe", else "throughput" or "time_to_accuracy" of its system."""
  # Imported here: the probe and the Estimator worker set up tf-keras, which the Keras 3 worker
  # must not see, and the PyTorch environment has no TensorFlow.
  if spec["task"] == "probe":
    module, task = "machine", "probe"
  else:
    module, task = f"{systems.SYSTEMS[spec['system']].runner}_worker", spec["task"]
  return getattr(importlib.import_module(f"{__package__}.{module}"), task)(spec)


def run(spec_json):
  """Runs the task of a JSON spec in this process; prints its JSON result."""
  print(json.dumps(measure(json.loads(spec_json))))
