"""A checkpoint read in full: a data file cut short is told apart; a changed one is read again."""

import pytest

from estimator_cnn.training.model_dir import checkpoint_reading
from tests.training.model_dir.checkpoint_damage import cut_in_half, remove_checkpoint


def test_a_whole_checkpoint_reads_and_one_cut_short_says_why_not(model_dir):
  whole = checkpoint_reading.read_in_full(str(model_dir / "model.ckpt-10"))
  assert whole.why_not is None and whole.shapes["global_step"] == []
  cut_in_half(model_dir / "model.ckpt-10.data-00000-of-00001")
  damaged = checkpoint_reading.read_in_full(str(model_dir / "model.ckpt-10"))
  assert damaged.shapes is None and damaged.why_not


def test_a_checkpoint_deleted_while_copied_changed_while_read(model_dir, tmp_path, monkeypatch):
  copy_of = checkpoint_reading._copy

  def deleted_meanwhile(checkpoint, names, folder):
    remove_checkpoint(model_dir, 10)
    return copy_of(checkpoint, names, folder)

  monkeypatch.setattr(checkpoint_reading, "_copy", deleted_meanwhile)
  with pytest.raises(checkpoint_reading.ChangedWhileRead):
    checkpoint_reading.read_unless_deleted(str(model_dir / "model.ckpt-10"), str(tmp_path))
