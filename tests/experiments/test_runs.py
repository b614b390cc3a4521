"""The studies' cached runs: run folders, result and progress files, the data's hash, the ETA."""

import os
import types

import numpy as np
import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.experiments import runs


def test_run_dir_is_named_after_the_spec_whatever_its_key_order():
  spec = {"config": {"steps": 6, "batch_size": 20}, "data": "abc"}
  same = {"data": "abc", "config": {"batch_size": 20, "steps": 6}}
  model_dir = runs.run_dir("out", "gd-seed1", spec)
  assert model_dir == runs.run_dir("out", "gd-seed1", same)
  assert os.path.dirname(model_dir) == os.path.join("out", "runs")
  assert os.path.basename(model_dir).startswith("gd-seed1-")
  assert model_dir != runs.run_dir("out", "gd-seed1", {**spec, "data": "other"})


def test_data_fingerprint_changes_with_any_label():
  arrays = {"train_images": np.zeros((4, 2, 2), np.uint8), "train_labels": np.arange(4),
            "test_images": np.ones((2, 2, 2), np.uint8), "test_labels": np.arange(2)}
  fingerprint = runs.data_fingerprint(types.SimpleNamespace(**arrays))
  assert fingerprint == runs.data_fingerprint(types.SimpleNamespace(**arrays))
  changed = {**arrays, "test_labels": np.array([1, 1])}
  assert fingerprint != runs.data_fingerprint(types.SimpleNamespace(**changed))


def test_data_fingerprint_of_pixels_is_that_of_the_float_images_studies_stored():
  rng = np.random.default_rng(0)
  pixels = types.SimpleNamespace(
      train_images=rng.integers(0, 256, (25_001, 2, 2), np.uint8), train_labels=np.arange(25_001),
      test_images=rng.integers(0, 256, (3, 2, 2), np.uint8), test_labels=np.arange(3))
  floats = types.SimpleNamespace(**{**vars(pixels), **{
      key: pixels.__dict__[key].astype(np.float32) / 255 for key in ("train_images",
                                                                    "test_images")}})
  assert runs.data_fingerprint(pixels) == runs.data_fingerprint(floats)


def test_result_and_progress_round_trip_and_are_none_before(tmp_path):
  model_dir = str(tmp_path)
  assert runs.load_result(model_dir) is None and runs.load_progress(model_dir) is None
  runs.save_progress(model_dir, {"curve": [{"step": 3}]})
  runs.save_result(model_dir, {"accuracy": 0.5})
  assert runs.load_progress(model_dir) == {"curve": [{"step": 3}]}
  assert runs.load_result(model_dir) == {"accuracy": 0.5}
  assert sorted(os.listdir(model_dir)) == [runs.PROGRESS_FILE, runs.RESULT_FILE]


@pytest.mark.parametrize("content,message", [
    ('{"loss": 1}', "is not a run result: move it away to train that run again"),
    ("[1, 2]", "is not a run result"),
    ("{", "run result {path} is not valid JSON"),
])
def test_broken_result_is_a_user_error(tmp_path, content, message):
  path = tmp_path / runs.RESULT_FILE
  path.write_text(content)
  with pytest.raises(UserError) as error:
    runs.load_result(str(tmp_path))
  assert message.format(path=path) in str(error.value)


def test_output_dir_must_not_be_a_file(tmp_path):
  runs.check_output_dir(str(tmp_path / "absent"))
  (tmp_path / "file").write_text("")
  with pytest.raises(UserError, match="is a file, not a folder: pass a folder path"):
    runs.check_output_dir(str(tmp_path / "file"))


def test_eta_uses_this_sessions_pace():
  eta = runs.Eta(30)
  assert (eta.text(), eta.seconds_left(), eta.steps_per_second()) == ("ETA unknown", None, 0.0)
  eta.record(10, 5.0)
  assert (eta.text(), eta.seconds_left(), eta.steps_per_second()) == ("ETA 10s", 10.0, 2.0)
  eta.record(10, 15.0)
  assert eta.text() == "ETA 10s" and eta.steps_per_second() == 1.0
