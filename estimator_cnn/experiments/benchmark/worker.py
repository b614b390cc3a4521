"""The worker process: runs one JSON task and prints its result as the last line of stdout."""

import json

from estimator_cnn.experiments.benchmark import systems


def measure(spec):
  """The result of spec's task: "probe", else "throughput" or "time_to_accuracy" of its system."""
  # Imported here: the probe and the Estimator worker set up tf-keras, which the Keras 3 worker
  # must not see.
  # pylint: disable=g-import-not-at-top
  if spec["task"] == "probe":
    from estimator_cnn.experiments.benchmark import machine
    return machine.probe(spec)
  if systems.SYSTEMS[spec["system"]].runner == "estimator":
    from estimator_cnn.experiments.benchmark import estimator_worker as runner
  else:
    from estimator_cnn.experiments.benchmark import keras_worker as runner
  # pylint: enable=g-import-not-at-top
  return getattr(runner, spec["task"])(spec)


def run(spec_json):
  """Runs the task of a JSON spec in this process; prints its JSON result."""
  print(json.dumps(measure(json.loads(spec_json))))
