"""A --model_dir TensorFlow cannot use, and one holding another tool's checkpoints: one line,
before anything is written, in every mode that takes --model_dir."""

import os

import pytest

from estimator_cnn.base.tf_setup import tf
from tests.app.test_bad_input import assert_one_line_error
from tests.helpers import TINY, run_in_process, snapshot

MODE_FLAGS = {"train": ["--steps=1", *TINY], "train_and_eval": ["--steps=1", *TINY],
              "eval": [], "predict": [], "export": ["--export_dir=export"]}


@pytest.mark.parametrize("mode", MODE_FLAGS)
def test_a_model_dir_tensorflow_reads_as_a_pattern_is_refused_before_anything_is_written(
    fixture_data, tmp_path, capsys, monkeypatch, mode):
  """TensorFlow's checkpoint lookup finds nothing under run[1]/ on both stacks, and its clean-up
  of run[1]/model.ckpt-N would delete run1/model.ckpt-N."""
  monkeypatch.chdir(tmp_path)
  os.mkdir("run[1]")
  assert run_in_process(f"--mode={mode}", "--model_dir=run[1]", *MODE_FLAGS[mode],
                        *([] if mode == "export" else [f"--data_dir={fixture_data}"])) == 1
  assert_one_line_error(capsys.readouterr().err,
                        "error: --model_dir=run[1] holds [, which TensorFlow reads as a file "
                        "pattern when it looks up and deletes checkpoints: pick or rename a "
                        "folder without * ? [ \\")
  assert os.listdir(tmp_path) == ["run[1]"] and not os.listdir("run[1]")


@pytest.mark.parametrize("mode", MODE_FLAGS)
def test_a_model_dir_of_tf_train_checkpoint_manager_is_refused_untouched(
    fixture_data, tmp_path, capsys, monkeypatch, mode):
  monkeypatch.chdir(tmp_path)
  model_dir = str(tmp_path / "model")
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), model_dir, 3)
  manager.save()
  before = snapshot(tmp_path)
  assert run_in_process(f"--mode={mode}", f"--model_dir={model_dir}", *MODE_FLAGS[mode],
                        *([] if mode == "export" else [f"--data_dir={fixture_data}"])) == 1
  assert_one_line_error(capsys.readouterr().err,
                        f"error: {model_dir} holds checkpoints of another tool (ckpt-1 has no "
                        "global_step: tf.train.Checkpoint or CheckpointManager, not "
                        "tf.estimator): pass another --model_dir, or move those files and the "
                        "`checkpoint` file out of it")
  assert snapshot(tmp_path) == before
