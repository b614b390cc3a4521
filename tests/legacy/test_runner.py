"""`python -m estimator_cnn.legacy SCRIPT.py ARGS...` runs an untouched TF 2.15 Estimator script
on the current stack as the same script runs on the legacy stack, and rejects bad input."""

import pytest

from estimator_cnn.base import stacks as stacks_lib
from tests import stacks

pytestmark = stacks.made_by_the_current_run

RUNNER = ["-m", "estimator_cnn.legacy"]
STEPS = 20
USAGE_START = "usage: python -m estimator_cnn.legacy"

# A TF <= 2.15 Estimator script that knows nothing of estimator_cnn: `tf.estimator`,
# `tf.compat.v1.estimator`, `import tensorflow_estimator`, tf.compat.v1 layers, argparse.
# Its last line of output is a JSON object of what it saw and its eval results.
UNTOUCHED_SCRIPT = '''
import argparse
import json
import os
import sys

import numpy as np
import tensorflow as tf
import tensorflow_estimator

RUN_AS = __name__


def model_fn(features, labels, mode, params):
  logits = tf.compat.v1.layers.dense(features["x"], 2)
  classes = tf.argmax(logits, 1)
  if mode == tf.estimator.ModeKeys.PREDICT:
    return tf.compat.v1.estimator.EstimatorSpec(mode, predictions={"class": classes})
  loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
  train_op = tf.compat.v1.train.GradientDescentOptimizer(params["learning_rate"]).minimize(
      loss, tf.compat.v1.train.get_global_step())
  return tf.compat.v1.estimator.EstimatorSpec(
      mode, loss=loss, train_op=train_op,
      eval_metric_ops={"accuracy": tf.compat.v1.metrics.accuracy(labels, classes)})


def main(argv):
  parser = argparse.ArgumentParser()
  parser.add_argument("--model_dir", required=True)
  parser.add_argument("--steps", type=int, default=1000)
  parser.add_argument("--learning_rate", type=float, default=0.5)
  parser.add_argument("--tag", default="")
  args = parser.parse_args(argv[1:])
  x = np.random.RandomState(0).randn(64, 2).astype(np.float32)
  y = (x.sum(axis=1) > 0).astype(np.int32)
  classifier = tf.estimator.Estimator(
      model_fn, model_dir=args.model_dir, params={"learning_rate": args.learning_rate},
      config=tf.estimator.RunConfig(tf_random_seed=0))
  classifier.train(tf.compat.v1.estimator.inputs.numpy_input_fn(
      {"x": x}, y, batch_size=16, num_epochs=None, shuffle=True), steps=args.steps)
  results = classifier.evaluate(tf.compat.v1.estimator.inputs.numpy_input_fn(
      {"x": x}, y, shuffle=False))
  predictions = list(classifier.predict(tf.compat.v1.estimator.inputs.numpy_input_fn(
      {"x": x[:3]}, shuffle=False)))
  print("eval:", results)
  print(json.dumps({
      "argv": sys.argv,
      "run_as": RUN_AS,
      "tag": args.tag,
      "eval": {name: float(value) for name, value in results.items()},
      "predicted_classes": [int(p["class"]) for p in predictions],
      "tensorflow_estimator_is_v1_api":
          tensorflow_estimator.estimator.Estimator is tf.compat.v1.estimator.Estimator,
      "tf_use_legacy_keras": os.environ.get("TF_USE_LEGACY_KERAS"),
      "layers_package": tf.compat.v1.layers.Dense.__module__.split(".")[0],
  }))


if __name__ == "__main__":
  main(sys.argv)
'''


@pytest.fixture(scope="module")
def untouched_script(tmp_path_factory):
  """Path of UNTOUCHED_SCRIPT written to a temporary folder."""
  path = tmp_path_factory.mktemp("script") / "tf1_estimator_script.py"
  path.write_text(UNTOUCHED_SCRIPT)
  return str(path)


def _script_args(model_dir):
  return ["--model_dir", str(model_dir), "--steps", str(STEPS), "--tag", "two words"]


@pytest.fixture(scope="module")
def through_runner(untouched_script, tmp_path_factory, run_for_json):
  """The script's JSON, run through the runner on the current stack, whose environment has no
  TF_USE_LEGACY_KERAS (stacks.run removes it)."""
  assert "TF_USE_LEGACY_KERAS" in stacks_lib.CLEARED_ENV_VARS
  args = _script_args(tmp_path_factory.mktemp("model"))
  return run_for_json(stacks.CURRENT, [*RUNNER, untouched_script, *args]), args


@pytest.fixture(scope="module")
def directly_on_tf215(untouched_script, tmp_path_factory, run_for_json):
  """The script's JSON, run directly (no runner, no estimator_cnn) on the legacy stack."""
  args = _script_args(tmp_path_factory.mktemp("model"))
  return run_for_json(stacks.LEGACY, [untouched_script, *args]), args


def test_runner_gives_the_script_its_own_argv_and_main(through_runner, untouched_script):
  """The script sees sys.argv == [script, its args...] and runs as __main__."""
  output, args = through_runner
  assert output["argv"] == [untouched_script, *args]
  assert output["tag"] == "two words"
  assert output["run_as"] == "__main__"


def test_runner_script_trains_evaluates_and_predicts(through_runner):
  """tf.estimator, tf.compat.v1.estimator and tensorflow_estimator work in the script: it
  trained STEPS steps, evaluated and predicted."""
  output, _ = through_runner
  assert output["eval"]["global_step"] == STEPS
  # Logistic regression on 2-D points split by a line through 0: a convex problem, which 20 steps
  # solve on any CPU (kernels differ in rounding only).
  assert output["eval"]["accuracy"] >= 0.9
  assert len(output["predicted_classes"]) == 3
  assert output["tensorflow_estimator_is_v1_api"] is True


def test_runner_sets_tf_use_legacy_keras_the_environment_lacked(through_runner):
  """Run without TF_USE_LEGACY_KERAS, the script still gets Keras 2 tf.compat.v1 layers
  (tf_keras): the runner set the variable before TensorFlow was imported."""
  output, _ = through_runner
  assert output["tf_use_legacy_keras"] == "1"
  assert output["layers_package"] == "tf_keras"


def test_same_script_runs_directly_on_tf215(directly_on_tf215, through_runner, untouched_script):
  """The untouched script runs as is on TF 2.15 and gives what it gives through the runner."""
  output, args = directly_on_tf215
  assert output["argv"] == [untouched_script, *args]
  assert output["run_as"] == "__main__"
  assert output["eval"]["global_step"] == STEPS
  assert output["eval"]["accuracy"] >= 0.9
  assert output["tensorflow_estimator_is_v1_api"] is True
  assert output["layers_package"] == "keras"
  assert output["predicted_classes"] == through_runner[0]["predicted_classes"]


@pytest.mark.parametrize("script", ["no_such_script.py"])
def test_runner_rejects_a_path_that_is_not_a_file(script):
  """A missing script: exit 2, one stderr line starting "error:", no traceback (a folder runs
  as python runs it: test_runner_as_python)."""
  result = stacks.run(stacks.CURRENT, [*RUNNER, script, "--flag"], check=False)
  message = stacks.describe([*RUNNER, script], result.returncode, result.stdout, result.stderr)

  assert result.returncode == 2, message
  assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1, message
  assert script in result.stderr and "Traceback" not in result.stderr, message
  assert result.stdout == "", message


@pytest.mark.parametrize("args,named", [(["-m"], "-m needs a module name")])
def test_runner_rejects_m_without_a_module_name(args, named):
  """-m of no module: exit 2, one stderr line (-m of a module that is not there: Python's own
  line, test_runner_as_python)."""
  result = stacks.run(stacks.CURRENT, [*RUNNER, *args], check=False)
  message = stacks.describe([*RUNNER, *args], result.returncode, result.stdout, result.stderr)
  assert result.returncode == 2, message
  assert result.stderr.startswith("error:") and result.stderr.count("\n") == 1, message
  assert named in result.stderr, message


def test_runner_without_arguments_prints_usage_and_exits_2():
  """No script: the usage on stderr and exit code 2."""
  result = stacks.run(stacks.CURRENT, RUNNER, check=False)
  message = stacks.describe(RUNNER, result.returncode, result.stdout, result.stderr)

  assert result.returncode == 2, message
  assert result.stderr.startswith(USAGE_START), message
  assert result.stdout == "", message


def test_runner_help_prints_usage_and_exits_0():
  """-h: the usage on stdout and exit code 0."""
  result = stacks.run(stacks.CURRENT, [*RUNNER, "-h"], check=False)
  message = stacks.describe([*RUNNER, "-h"], result.returncode, result.stdout, result.stderr)

  assert result.returncode == 0, message
  assert result.stdout.startswith(USAGE_START), message
