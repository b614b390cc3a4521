"""Checkpoints checked before use: a data file cut short, a bad index, files gone, deleted while
read by a training's clean-up, another tool's, a path TensorFlow reads as a pattern."""

import os
import shutil

import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.training import model_dir as model_dir_lib

v1 = tf.compat.v1


@pytest.fixture(name="model_dir")
def fixture_model_dir(tiny_model_dir, tmp_path):
  """A copy of the tiny model_dir: checkpoints at steps 0 and 10."""
  return shutil.copytree(tiny_model_dir, tmp_path / "model")


def _cut_in_half(path):
  with open(path, "r+b") as f:
    f.truncate(os.path.getsize(path) // 2)


def _files(model_dir):
  return sorted(name for name in os.listdir(model_dir) if name.startswith("model.ckpt"))


def _remove_checkpoint(model_dir, step):
  for name in _files(model_dir):
    if name.startswith(f"model.ckpt-{step}."):
      os.remove(model_dir / name)


def test_the_latest_is_read_from_a_copy_that_outlives_its_deletion(model_dir, tmp_path):
  checkpoint, copy, shapes = model_dir_lib.checkpoint_to_read(str(model_dir), None, tmp_path)
  assert checkpoint == str(model_dir / "model.ckpt-10")
  assert os.path.dirname(os.path.dirname(copy)) == str(tmp_path)
  assert os.path.basename(copy) == "model.ckpt-10" and shapes["global_step"] == []
  _remove_checkpoint(model_dir, 10)  # As tf.estimator's clean-up does while eval still reads.
  assert model_dir_lib.read_in_full(copy) == (shapes, None)


def test_a_checkpoint_deleted_before_it_is_copied_is_looked_up_again(model_dir, tmp_path,
                                                                     monkeypatch):
  """Between reading the `checkpoint` file and copying, a training saved a newer checkpoint and
  deleted the one named: the newer one is read, nothing is called damaged."""
  shutil.copy(model_dir / "checkpoint", tmp_path / "checkpoint-at-10")
  v1.train.update_checkpoint_state(str(model_dir), "model.ckpt-0")  # The state as read first.
  copy_of = model_dir_lib._copy
  copies = []

  def training_moves_on(checkpoint, names, folder):
    if not copies:
      _remove_checkpoint(model_dir, 0)
      shutil.copy(tmp_path / "checkpoint-at-10", model_dir / "checkpoint")
    copies.append(os.path.basename(checkpoint))
    return copy_of(checkpoint, names, folder)

  monkeypatch.setattr(model_dir_lib, "_copy", training_moves_on)
  checkpoint, _, _ = model_dir_lib.checkpoint_to_read(str(model_dir), None, tmp_path)
  assert checkpoint == str(model_dir / "model.ckpt-10")
  assert copies == ["model.ckpt-0", "model.ckpt-10"]


def test_a_checkpoint_deleted_while_copied_is_looked_up_again(model_dir, tmp_path, monkeypatch):
  """tf.estimator deletes a checkpoint's .index first, then its data: a copy that misses a file
  is not a damaged checkpoint."""
  link = os.link
  state = v1.train.get_checkpoint_state(str(model_dir))

  def deleted_meanwhile(source, target):
    if (source.endswith("model.ckpt-10.index")
        and not os.path.exists(model_dir / "model.ckpt-12.index")):
      for name in _files(model_dir):
        if name.startswith("model.ckpt-10."):
          shutil.copy(model_dir / name, model_dir / name.replace("-10.", "-12."))
      v1.train.update_checkpoint_state(str(model_dir), "model.ckpt-12",
                                       [*state.all_model_checkpoint_paths, "model.ckpt-12"])
      _remove_checkpoint(model_dir, 10)
    link(source, target)

  monkeypatch.setattr(os, "link", deleted_meanwhile)
  checkpoint, _, _ = model_dir_lib.checkpoint_to_read(str(model_dir), None, tmp_path)
  assert checkpoint == str(model_dir / "model.ckpt-12")


@pytest.mark.parametrize("suffix", [".data-00000-of-00001", ".index"])
def test_a_file_cut_short_is_damage_named_with_the_readable_ones(model_dir, tmp_path, suffix):
  _cut_in_half(model_dir / f"model.ckpt-10{suffix}")
  before = _files(model_dir)
  with pytest.raises(UserError) as error:
    model_dir_lib.checkpoint_to_read(str(model_dir), None, tmp_path)
  assert str(error.value).startswith(f"checkpoint {model_dir}/model.ckpt-10 is damaged (")
  assert str(error.value).endswith(": pass --checkpoint=STEP with a readable one, 0")
  assert model_dir_lib.checkpoint_to_read(str(model_dir), 0, tmp_path)[0] == str(
      model_dir / "model.ckpt-0")
  with pytest.raises(UserError, match="no checkpoint of step 5 in .*: pass "
                     "--checkpoint with one of 0"):
    model_dir_lib.checkpoint_to_read(str(model_dir), 5, tmp_path)
  assert _files(model_dir) == before


def test_a_named_checkpoint_whose_files_are_gone_is_damaged(model_dir, tmp_path):
  _remove_checkpoint(model_dir, 10)
  with pytest.raises(UserError, match=r"checkpoint .*/model.ckpt-10 is damaged \(its files are "
                     r"gone\): pass --checkpoint=STEP with a readable one, 0$"):
    model_dir_lib.checkpoint_to_read(str(model_dir), None, tmp_path)
  start = model_dir_lib.training_start(str(model_dir))
  assert start.checkpoint == str(model_dir / "model.ckpt-0")
  assert start.damaged == {str(model_dir / "model.ckpt-10"): "its files are gone"}


def test_training_start_reads_params_plan_and_the_latest_checkpoint_only(model_dir,
                                                                          monkeypatch):
  read = []
  read_in_full = model_dir_lib.read_in_full
  monkeypatch.setattr(model_dir_lib, "read_in_full",
                      lambda checkpoint: read.append(checkpoint) or read_in_full(checkpoint))
  start = model_dir_lib.training_start(str(model_dir))
  assert read == [str(model_dir / "model.ckpt-10")] == [start.checkpoint]
  assert start.shapes["global_step"] == [] and start.damaged == {}
  assert start.params == model_dir_lib.load_params(str(model_dir))
  assert start.plan == {"batch_size": 20, "last_step": 10}


def test_training_falls_back_to_the_newest_readable_and_sets_the_damaged_aside(model_dir):
  _cut_in_half(model_dir / "model.ckpt-10.data-00000-of-00001")
  start = model_dir_lib.training_start(str(model_dir))
  assert start.checkpoint == str(model_dir / "model.ckpt-0")
  assert list(start.damaged) == [str(model_dir / "model.ckpt-10")]
  lines = []
  model_dir_lib.set_aside(str(model_dir), start, lines.append)
  assert lines == [f"checkpoint {model_dir}/model.ckpt-10 is damaged ("
                   + lines[0].split(" is damaged (")[1]]
  assert lines[0].endswith(f"its files are kept as *.damaged; training resumes from "
                           f"{model_dir}/model.ckpt-0")
  assert "model.ckpt-10.data-00000-of-00001.damaged" in _files(model_dir)
  assert not any(name.startswith("model.ckpt-10.") and not name.endswith(".damaged")
                 for name in _files(model_dir))
  assert v1.train.latest_checkpoint(str(model_dir)) == str(model_dir / "model.ckpt-0")


def test_training_refuses_when_no_checkpoint_is_readable(model_dir):
  for step in (0, 10):
    _cut_in_half(model_dir / f"model.ckpt-{step}.index")
  before = _files(model_dir)
  with pytest.raises(UserError, match="no other in .* is readable"):
    model_dir_lib.training_start(str(model_dir))
  assert _files(model_dir) == before


@pytest.mark.parametrize("prefix", ["ckpt", "model.ckpt"])
def test_another_tools_checkpoints_are_named_so(tmp_path, prefix):
  """tf.train.CheckpointManager's ckpt-N, and object-based checkpoints named as tf.estimator's."""
  model_dir = str(tmp_path / "model")
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1.0)), model_dir, 3,
                                       checkpoint_name=prefix)
  manager.save(checkpoint_number=1)
  before = sorted(os.listdir(model_dir))
  message = (f"{model_dir} holds checkpoints of another tool ({prefix}-1 has no global_step: "
             "tf.train.Checkpoint or CheckpointManager, not tf.estimator): pass another "
             "--model_dir, or move those files and the `checkpoint` file out of it")
  for read in (model_dir_lib.training_start,
               lambda path: model_dir_lib.checkpoint_to_read(path, None, str(tmp_path))):
    with pytest.raises(UserError) as error:
      read(model_dir)
    assert str(error.value) == message
  assert sorted(os.listdir(model_dir)) == before


@pytest.mark.parametrize("model_dir", ["run[1]", "runs/a*", "run?", "C:\\run"])
def test_characters_tensorflow_reads_as_a_pattern_are_refused(model_dir):
  with pytest.raises(UserError, match=r"^--model_dir=.* holds .*, which TensorFlow reads as a "
                     r"file pattern when it looks up and deletes checkpoints: pick or rename a "
                     r"folder without \* \? \[ \\$"):
    model_dir_lib.check_path_characters(model_dir)


@pytest.mark.parametrize("model_dir", ["run]1", "run{1}", "a b", "run-1.x"])
def test_other_characters_are_taken(model_dir):
  model_dir_lib.check_path_characters(model_dir)
