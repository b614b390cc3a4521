"""Checkpoints checked before use: a data file cut short, a bad index, files gone, deleted while
read by a training's clean-up, another tool's."""

import os
import shutil

import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.training.model_dir import checkpoint_lookup
from estimator_cnn.training.model_dir import checkpoint_reading
from estimator_cnn.training.model_dir import starting_point
from tests.training.model_dir.checkpoint_damage import (checkpoint_file_names, cut_in_half,
                                              remove_checkpoint)

v1 = tf.compat.v1


def test_the_latest_is_read_from_a_copy_that_outlives_its_deletion(model_dir, tmp_path):
  checkpoint, copy, shapes = checkpoint_lookup.checkpoint_to_read(str(model_dir), None, tmp_path)
  assert checkpoint == str(model_dir / "model.ckpt-10")
  assert os.path.dirname(os.path.dirname(copy)) == str(tmp_path)
  assert os.path.basename(copy) == "model.ckpt-10" and shapes["global_step"] == []
  remove_checkpoint(model_dir, 10)  # As tf.estimator's clean-up does while eval still reads.
  assert checkpoint_reading.read_in_full(copy) == (shapes, None)


def test_a_checkpoint_deleted_before_it_is_copied_is_looked_up_again(model_dir, tmp_path,
                                                                     monkeypatch):
  """Between reading the `checkpoint` file and copying, a training saved a newer checkpoint and
  deleted the one named: the newer one is read, nothing is called damaged."""
  shutil.copy(model_dir / "checkpoint", tmp_path / "checkpoint-at-10")
  v1.train.update_checkpoint_state(str(model_dir), "model.ckpt-0")  # The state as read first.
  copy_of = checkpoint_reading._copy
  copies = []

  def training_moves_on(checkpoint, names, folder):
    if not copies:
      remove_checkpoint(model_dir, 0)
      shutil.copy(tmp_path / "checkpoint-at-10", model_dir / "checkpoint")
    copies.append(os.path.basename(checkpoint))
    return copy_of(checkpoint, names, folder)

  monkeypatch.setattr(checkpoint_reading, "_copy", training_moves_on)
  checkpoint, _, _ = checkpoint_lookup.checkpoint_to_read(str(model_dir), None, tmp_path)
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
      for name in checkpoint_file_names(model_dir):
        if name.startswith("model.ckpt-10."):
          shutil.copy(model_dir / name, model_dir / name.replace("-10.", "-12."))
      v1.train.update_checkpoint_state(str(model_dir), "model.ckpt-12",
                                       [*state.all_model_checkpoint_paths, "model.ckpt-12"])
      remove_checkpoint(model_dir, 10)
    link(source, target)

  monkeypatch.setattr(os, "link", deleted_meanwhile)
  checkpoint, _, _ = checkpoint_lookup.checkpoint_to_read(str(model_dir), None, tmp_path)
  assert checkpoint == str(model_dir / "model.ckpt-12")


@pytest.mark.parametrize("suffix", [".data-00000-of-00001", ".index"])
def test_a_file_cut_short_is_damage_named_with_the_readable_ones(model_dir, tmp_path, suffix):
  cut_in_half(model_dir / f"model.ckpt-10{suffix}")
  before = checkpoint_file_names(model_dir)
  with pytest.raises(UserError) as error:
    checkpoint_lookup.checkpoint_to_read(str(model_dir), None, tmp_path)
  assert str(error.value).startswith(f"checkpoint {model_dir}/model.ckpt-10 is damaged (")
  assert str(error.value).endswith(": pass --checkpoint=STEP with a readable one, 0")
  assert checkpoint_lookup.checkpoint_to_read(str(model_dir), 0, tmp_path)[0] == str(
      model_dir / "model.ckpt-0")
  with pytest.raises(UserError, match="no checkpoint of step 5 in .*: pass "
                     "--checkpoint with one of 0"):
    checkpoint_lookup.checkpoint_to_read(str(model_dir), 5, tmp_path)
  assert checkpoint_file_names(model_dir) == before


def test_a_named_checkpoint_whose_files_are_gone_is_damaged(model_dir, tmp_path):
  remove_checkpoint(model_dir, 10)
  with pytest.raises(UserError, match=r"checkpoint .*/model.ckpt-10 is damaged \(its files are "
                     r"gone\): pass --checkpoint=STEP with a readable one, 0$"):
    checkpoint_lookup.checkpoint_to_read(str(model_dir), None, tmp_path)
  start = starting_point.training_start(str(model_dir))
  assert start.checkpoint == str(model_dir / "model.ckpt-0")
  assert start.damaged == {str(model_dir / "model.ckpt-10"): "its files are gone"}


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
  for read in (starting_point.training_start,
               lambda path: checkpoint_lookup.checkpoint_to_read(path, None, str(tmp_path))):
    with pytest.raises(UserError) as error:
      read(model_dir)
    assert str(error.value) == message
  assert sorted(os.listdir(model_dir)) == before


def test_checkpoints_deleted_at_every_lookup_are_refused_in_one_line(model_dir, tmp_path,
                                                                     monkeypatch):
  def always_deleted(checkpoint, folder=None):
    del folder
    raise checkpoint_reading.ChangedWhileRead(checkpoint)

  monkeypatch.setattr(checkpoint_reading, "read_unless_deleted", always_deleted)
  for read in (starting_point.training_start,
               lambda path: checkpoint_lookup.checkpoint_to_read(path, None, str(tmp_path))):
    with pytest.raises(UserError, match=f"^the checkpoints of .* were deleted while read, "
                       f"{checkpoint_lookup.LOOKUPS} times: run again$"):
      read(str(model_dir))
