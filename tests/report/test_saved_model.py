"""--mode=export: versioned SavedModels that plain TensorFlow loads, predicting like Estimator."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from estimator_cnn.base.fashion_mnist import CLASS_NAMES
from estimator_cnn.data import idx_csv
from estimator_cnn.report import saved_model
from estimator_cnn.training import build
from estimator_cnn.training.model_dir import saved_params
from tests.helpers import run_in_process, snapshot

# Loads the SavedModel with TensorFlow alone and saves its outputs for the images given.
RELOAD_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf
export_dir, images_path, outputs_path = sys.argv[1:]
serve = tf.saved_model.load(export_dir).signatures["serving_default"]
(input_spec,) = serve.structured_input_signature[1].values()
outputs = serve(x=tf.constant(np.load(images_path)))
np.savez(outputs_path, **{key: np.char.decode(value.numpy().astype(bytes))
                          if value.dtype == tf.string else value.numpy()
                          for key, value in outputs.items()})
print(json.dumps({"input": [input_spec.name, input_spec.shape.as_list(), input_spec.dtype.name],
                  "estimator_cnn_imported": "estimator_cnn" in sys.modules}))
"""


@pytest.fixture(scope="module")
def export_dir(tiny_model_dir, tmp_path_factory):
  """The base folder of one export: the SavedModel is in its version folder 1."""
  path = str(tmp_path_factory.mktemp("exports") / "saved_model")
  assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=export",
                        f"--export_dir={path}") == 0
  return path


def reload_in_fresh_process(export_dir, images, work_dir, **env_vars):
  """Runs RELOAD_SCRIPT in a new Python without this package, with env_vars set; returns
  (outputs, its JSON line)."""
  images_path, outputs_path = str(work_dir / "images.npy"), str(work_dir / "outputs.npz")
  np.save(images_path, images)
  env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TF_USE_LEGACY_KERAS")}
  env.update(env_vars)
  result = subprocess.run([sys.executable, "-c", RELOAD_SCRIPT, export_dir, images_path,
                           outputs_path], cwd=work_dir, env=env, capture_output=True, text=True,
                          timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]
  with np.load(outputs_path) as outputs:
    return dict(outputs), json.loads(result.stdout.strip().splitlines()[-1])


def test_export_writes_version_1_in_export_dir(export_dir):
  assert os.listdir(export_dir) == ["1"]
  assert saved_model.holds_saved_model(os.path.join(export_dir, "1"))
  assert os.listdir(os.path.dirname(export_dir)) == [os.path.basename(export_dir)]


def test_saved_model_predicts_like_the_estimator_in_a_fresh_process(
    fixture_data, tiny_model_dir, export_dir, tmp_path):
  images = idx_csv.unit_float(idx_csv.load_fashion_mnist(fixture_data).test_images[:50])
  outputs, info = reload_in_fresh_process(os.path.join(export_dir, "1"), images, tmp_path)
  assert info == {"input": ["x", [None, 28, 28], "float32"], "estimator_cnn_imported": False}
  assert sorted(outputs) == sorted(saved_model.OUTPUT_NAMES)
  estimator = build.make_estimator(tiny_model_dir, saved_params.load_params(tiny_model_dir),
                                    seed=1)
  predictions = list(estimator.predict(build.eval_input_fn(images)))
  expected = np.array([p["probabilities"] for p in predictions])
  np.testing.assert_allclose(outputs["probabilities"], expected, atol=1e-5, rtol=0)
  classes = [p["classes"] for p in predictions]
  np.testing.assert_array_equal(outputs["classes"], classes)
  np.testing.assert_array_equal(outputs["class_names"], np.array(CLASS_NAMES)[classes])


@pytest.mark.parametrize("onednn", ["1", "0"])
def test_saved_model_answers_an_empty_batch_with_empty_outputs(export_dir, tmp_path, onednn):
  """Serving sends empty batches. oneDNN's convolution fails on one: it is forced on (TensorFlow
  turns it on by the CPU), and off."""
  empty = np.zeros((0, 28, 28), np.float32)
  outputs, info = reload_in_fresh_process(os.path.join(export_dir, "1"), empty, tmp_path,
                                          TF_ENABLE_ONEDNN_OPTS=onednn)
  assert info["input"] == ["x", [None, 28, 28], "float32"]
  assert {name: value.shape for name, value in outputs.items()} == {
      "classes": (0,), "class_names": (0,), "probabilities": (0, 10)}


def test_each_export_adds_the_next_version(tiny_model_dir, tmp_path, capsys):
  target = tmp_path / "models"
  (target / "7").mkdir(parents=True)
  (target / "7" / "saved_model.pb").write_text("an earlier export")
  for version in ("8", "9"):
    assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=export",
                          f"--export_dir={target}") == 0
    checkpoint_line, saved_model_line = capsys.readouterr().out.splitlines()
    assert checkpoint_line == f"checkpoint: {tiny_model_dir}/model.ckpt-10 (global step 10)"
    assert saved_model_line.startswith(f"SavedModel: {target / version}  (signature "
                                       "serving_default: x float32 [None, 28, 28] in [0, 1] "
                                       "-> classes, class_names, probabilities)")
    assert saved_model.holds_saved_model(target / version)
  assert sorted(os.listdir(target)) == ["7", "8", "9"]
  assert (target / "7" / "saved_model.pb").read_text() == "an earlier export"
  assert os.listdir(tmp_path) == ["models"]


def test_two_exports_give_versions_1_and_2(tiny_model_dir, tmp_path):
  target = tmp_path / "new" / "models"
  for _ in range(2):
    assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=export",
                          f"--export_dir={target}") == 0
  assert sorted(os.listdir(target)) == ["1", "2"]
  assert saved_model.holds_saved_model(target / "1") and saved_model.holds_saved_model(target / "2")


def test_failed_export_adds_no_version(export_dir):
  before = snapshot(export_dir)

  class FailingEstimator:

    def export_saved_model(self, export_dir_base, serving_input_receiver_fn, checkpoint_path):
      del serving_input_receiver_fn, checkpoint_path
      os.makedirs(os.path.join(export_dir_base, "12345"))
      raise RuntimeError("disk full")

  with pytest.raises(RuntimeError, match="disk full"):
    saved_model.export_saved_model(FailingEstimator(), export_dir)
  assert snapshot(export_dir) == before
  assert os.listdir(os.path.dirname(export_dir)) == [os.path.basename(export_dir)]


@pytest.mark.parametrize("setup,extra_flags,message", [
    (None, [], "needs --export_dir"),
    (lambda path: path.write_text("keep me"), [], "is a file"),
    (lambda path: (path.mkdir(), (path / "notes.txt").write_text("keep me")), [],
     "holds files that are not a SavedModel version folder"),
    (lambda path: (path.mkdir(), (path / "saved_model.pb").write_text("keep me")), [],
     "holds a SavedModel itself, not in version folders"),
])
def test_bad_export_dir_is_refused_untouched(tiny_model_dir, tmp_path, capsys, setup, extra_flags,
                                             message):
  target = tmp_path / "target"
  export_flags = [f"--export_dir={target}"] if setup else []
  if setup:
    setup(target)
  before = snapshot(tmp_path)
  assert run_in_process(f"--model_dir={tiny_model_dir}", "--mode=export", *export_flags,
                        *extra_flags) == 1
  err = capsys.readouterr().err
  assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
  assert snapshot(tmp_path) == before


def test_model_dir_without_checkpoint_is_refused(tmp_path, capsys):
  empty_model_dir, target = tmp_path / "model", tmp_path / "export"
  empty_model_dir.mkdir()
  assert run_in_process(f"--model_dir={empty_model_dir}", "--mode=export",
                        f"--export_dir={target}") == 1
  assert "no checkpoint in" in capsys.readouterr().err
  assert sorted(os.listdir(tmp_path)) == ["model"] and not os.listdir(empty_model_dir)
