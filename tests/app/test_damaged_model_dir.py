"""A damaged checkpoint or `checkpoint` index, under a model_dir spelled relative or as `.`:
run.py trains on from the newest complete checkpoint, again and again, and evaluates; predict
reads it before training has repaired anything. tests/training/model_dir/test_recovery.py checks the
model_dir functions on many random cases."""

import os

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.training.model_dir import checkpoint_index
from tests.helpers import TINY, copy_of, run_in_process, snapshot

v1 = tf.compat.v1


def _checkpoint_files(model_dir, step):
  return {name: digest for name, digest in snapshot(model_dir).items()
          if name.startswith(f"model.ckpt-{step}.")}


def test_a_damaged_latest_checkpoint_under_a_relative_model_dir_trains_on_and_on(
    fixture_data, tiny_model_dir, tmp_path, monkeypatch, capsys):
  """The issue's case: the folder stayed untrainable after `../model.ckpt-0` was written."""
  work = tmp_path / "work"
  work.mkdir()
  os.rename(copy_of(tiny_model_dir, str(tmp_path)), work / "z1")
  monkeypatch.chdir(work)
  os.truncate("z1/model.ckpt-10.data-00000-of-00001", 0)
  kept = _checkpoint_files("z1", 0)
  common = [f"--data_dir={fixture_data}", "--model_dir=z1", *TINY]
  assert run_in_process(*common, "--steps=2") == 0
  out = capsys.readouterr().out
  assert ("checkpoint z1/model.ckpt-10 is damaged (" in out
          and "training resumes from z1/model.ckpt-0" in out and "global_step 2 " in out)
  assert run_in_process(*common, "--steps=1") == 0
  assert "global_step 3 " in capsys.readouterr().out
  assert run_in_process(f"--data_dir={fixture_data}", "--model_dir=z1", "--mode=eval") == 0
  assert "global_step 3" in capsys.readouterr().out
  assert _checkpoint_files("z1", 0) == kept
  assert "model.ckpt-10.data-00000-of-00001.damaged" in os.listdir("z1")
  assert v1.train.get_checkpoint_state("z1").model_checkpoint_path == "z1/model.ckpt-3"


def test_an_unreadable_index_under_dot_is_read_around_then_rebuilt(
    fixture_data, tiny_model_dir, tmp_path, monkeypatch, capsys):
  model_dir = copy_of(tiny_model_dir, str(tmp_path))
  monkeypatch.chdir(model_dir)
  with open(checkpoint_index.INDEX_FILE, "wb") as f:
    f.write(bytes(range(256)))
  kept = {step: _checkpoint_files(".", step) for step in (0, 10)}
  assert run_in_process(f"--data_dir={fixture_data}", "--model_dir=.", "--mode=predict",
                        "--predict_indices=0") == 0
  assert "model.ckpt-10" in capsys.readouterr().out
  assert run_in_process(f"--data_dir={fixture_data}", "--model_dir=.", *TINY, "--steps=2") == 0
  assert "global_step 12 " in capsys.readouterr().out
  assert run_in_process(f"--data_dir={fixture_data}", "--model_dir=.", "--mode=eval") == 0
  assert "global_step 12" in capsys.readouterr().out
  assert {step: _checkpoint_files(".", step) for step in (0, 10)} == kept
  assert v1.train.latest_checkpoint(".") == "./model.ckpt-12"
