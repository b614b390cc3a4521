"""TF1 Estimator code on both stacks: the classic tutorial program and checkpoint interchange.

Subprocess tests run on both stacks whichever Python runs pytest (see
tests/stacks.py).
"""

import json

import numpy as np
import pytest

from tests import idx_fixtures
from tests import stacks

pytestmark = stacks.made_by_the_current_run

CLASSIC_PROGRAM = stacks.REPO_ROOT / "tests" / "fixtures" / "classic_program.py"
CLASSIC_STEPS = 20
CLASSIC_LOG_EVERY = 10
FIRST_STEPS = 5
MORE_STEPS = 3
PREDICTION_ATOL = 1e-5

# Trains (role "train") or checks and resumes (role "resume") estimator_cnn's
# model_fn through the entry point and prints a JSON line of what it saw.
# Arguments: role, steps, the .npz data, model_dir, the .npz of the training
# stack's probabilities and the export folder.
_INTERCHANGE_SNIPPET = """
import json
import sys

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.model import model_fn
import numpy as np
import tensorflow as tf

role, steps, data_path, model_dir, reference_path, export_base = sys.argv[1:]
data = np.load(data_path)
images = data["test_images"][:20].astype(np.float32) / 255
labels = data["test_labels"][:20].astype(np.int32)
estimator = tf_estimator.Estimator(model_fn.model_fn, model_dir=model_dir,
                                   params={"conv_blocks": 2, "optimizer": "adam"})


def probabilities():
  input_fn = tf_estimator.inputs.numpy_input_fn({"x": images}, shuffle=False)
  return np.stack([p["probabilities"] for p in estimator.predict(input_fn)])


def global_step():
  return int(estimator.get_variable_value("global_step"))


result = {"tensorflow": tf.__version__}
if role == "resume":
  reference = np.load(reference_path)["probabilities"]
  result["checkpoint_variable_names"] = estimator.get_variable_names()
  result["global_step_before"] = global_step()
  result["predict_max_diff"] = float(np.abs(probabilities() - reference).max())
  with tf.Graph().as_default():
    features = {"x": tf.compat.v1.placeholder(tf.float32, [None, 28, 28], name="x")}
  export_dir = estimator.export_saved_model(
      export_base, tf_estimator.export.build_raw_serving_input_receiver_fn(features))
  serving = tf.saved_model.load(export_dir).signatures["serving_default"]
  exported = serving(x=tf.constant(images))["probabilities"].numpy()
  result["export_max_diff"] = float(np.abs(exported - reference).max())
train_fn = tf_estimator.inputs.numpy_input_fn(
    {"x": images}, labels, batch_size=10, num_epochs=None, shuffle=True)
estimator.train(train_fn, steps=int(steps))
result["variable_names"] = estimator.get_variable_names()
result["global_step"] = global_step()
if role == "train":
  np.savez(reference_path, probabilities=probabilities())
else:
  eval_fn = tf_estimator.inputs.numpy_input_fn({"x": images}, labels, shuffle=False)
  result["eval"] = {k: v.item() for k, v in estimator.evaluate(eval_fn).items()}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def data_path(tmp_path_factory):
  """A .npz of 300 train and 100 test fixture images with their labels."""
  path = tmp_path_factory.mktemp("data") / "data.npz"
  train_images, train_labels = idx_fixtures.make_images(300, seed=0)
  test_images, test_labels = idx_fixtures.make_images(100, seed=1)
  np.savez(path, train_images=train_images, train_labels=train_labels,
           test_images=test_images, test_labels=test_labels)
  return path


def _last_json_line(result):
  """The JSON object a subprocess printed last."""
  lines = result.stdout.strip().splitlines()
  assert lines, stacks.describe(result.args, result.returncode, result.stdout, result.stderr)
  return json.loads(lines[-1])


@pytest.mark.parametrize("stack", stacks.STACKS)
def test_untouched_classic_program_trains_evaluates_predicts_and_logs(stack, data_path,
                                                                     tmp_path):
  # As a user runs it: as it is on TF 2.15, through the zero-edit runner on TF 2.21.
  runner = ["-m", "estimator_cnn.legacy"] if stack == stacks.CURRENT else []
  result = stacks.run(stack, [
      *runner, CLASSIC_PROGRAM, "--data", data_path, "--model_dir", tmp_path / "model",
      "--steps", CLASSIC_STEPS, "--batch_size", 20, "--learning_rate", 0.05,
      "--log_every", CLASSIC_LOG_EVERY])
  output = _last_json_line(result)
  details = stacks.describe(result.args, result.returncode, result.stdout, result.stderr)
  assert output["eval"]["global_step"] == CLASSIC_STEPS, details
  # Chance is 0.1. The fixture's classes are bright bars at ten positions, which any CPU's rounding
  # leaves as separable as they are: the same steps reach far above 0.6 everywhere.
  assert output["eval"]["accuracy"] >= 0.6, details
  test_labels = np.load(data_path)["test_labels"]
  predict_accuracy = np.mean(np.array(output["predicted_classes"]) == test_labels)
  assert predict_accuracy == pytest.approx(output["eval"]["accuracy"]), details
  # The LoggingTensorHook logs on its first step and then every CLASSIC_LOG_EVERY steps.
  assert result.stderr.count("INFO:tensorflow:probabilities = [[") == \
      CLASSIC_STEPS // CLASSIC_LOG_EVERY, details


@pytest.mark.parametrize("first,second", [(stacks.LEGACY, stacks.CURRENT),
                                          (stacks.CURRENT, stacks.LEGACY)])
def test_checkpoint_from_one_stack_predicts_trains_evaluates_and_exports_on_the_other(
    first, second, data_path, tmp_path):
  paths = [data_path, tmp_path / "model", tmp_path / "reference.npz", tmp_path / "export"]
  trained = _last_json_line(
      stacks.run(first, ["-c", _INTERCHANGE_SNIPPET, "train", FIRST_STEPS, *paths]))
  result = stacks.run(second, ["-c", _INTERCHANGE_SNIPPET, "resume", MORE_STEPS, *paths])
  resumed = _last_json_line(result)
  details = stacks.describe(result.args, result.returncode, result.stdout, result.stderr)
  assert trained["tensorflow"] != resumed["tensorflow"]
  assert trained["global_step"] == FIRST_STEPS
  assert resumed["global_step_before"] == FIRST_STEPS, details
  assert resumed["checkpoint_variable_names"] == trained["variable_names"], details
  assert resumed["predict_max_diff"] <= PREDICTION_ATOL, details
  assert resumed["export_max_diff"] <= PREDICTION_ATOL, details
  assert resumed["variable_names"] == trained["variable_names"], details
  assert resumed["global_step"] == FIRST_STEPS + MORE_STEPS, details
  assert resumed["eval"]["global_step"] == FIRST_STEPS + MORE_STEPS, details
  assert 0 <= resumed["eval"]["accuracy"] <= 1, details
  assert np.isfinite(resumed["eval"]["loss"]), details


def test_tensorflow_imported_first_still_gives_the_tf1_layers_of_tf_keras():
  """TensorFlow picks tf.keras on its first use, not on import: importing it before
  estimator_cnn works."""
  code = ("import tensorflow as tf\nimport estimator_cnn.estimator\n"
          "print(tf.compat.v1.layers.Dense.__module__.split('.')[0])\n")
  result = stacks.run(stacks.CURRENT, ["-c", code])
  assert result.stdout.strip().splitlines()[-1] == "tf_keras", result.stdout


def test_keras_3_used_before_estimator_cnn_is_one_line_that_names_the_fix():
  code = "import tensorflow as tf\ntf.keras.layers.Dense\nimport estimator_cnn.estimator\n"
  result = stacks.run(stacks.CURRENT, ["-c", code], check=False)
  details = stacks.describe(result.args, result.returncode, result.stdout, result.stderr)
  assert result.returncode == 1, details
  lines = result.stderr.strip().splitlines()
  assert lines[-1].startswith("error: tf.keras was used with Keras 3"), details
  assert "TF_USE_LEGACY_KERAS=1" in lines[-1] and "Traceback" not in result.stderr, details
