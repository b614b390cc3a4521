"""training_start: params.json and the checkpoint to resume from, each read once."""

import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.training.model_dir import checkpoint_reading
from estimator_cnn.training.model_dir import saved_params
from estimator_cnn.training.model_dir import starting_point
from tests.training.model_dir.checkpoint_damage import checkpoint_file_names, cut_in_half


def test_training_start_reads_params_plan_and_the_latest_checkpoint_only(model_dir,
                                                                          monkeypatch):
  read = []
  read_in_full = checkpoint_reading.read_in_full
  monkeypatch.setattr(checkpoint_reading, "read_in_full",
                      lambda checkpoint: read.append(checkpoint) or read_in_full(checkpoint))
  start = starting_point.training_start(str(model_dir))
  assert read == [str(model_dir / "model.ckpt-10")] == [start.checkpoint]
  assert start.shapes["global_step"] == [] and start.damaged == {}
  assert start.params == saved_params.load_params(str(model_dir))
  assert start.plan == {"batch_size": 20, "last_step": 10}


def test_training_refuses_when_no_checkpoint_is_readable(model_dir):
  for step in (0, 10):
    cut_in_half(model_dir / f"model.ckpt-{step}.index")
  before = checkpoint_file_names(model_dir)
  with pytest.raises(UserError, match="no other in .* is readable"):
    starting_point.training_start(str(model_dir))
  assert checkpoint_file_names(model_dir) == before


def test_a_fresh_model_dir_starts_from_nothing(tmp_path):
  assert starting_point.training_start(str(tmp_path)) == starting_point.Start({}, None, None,
                                                                               None, {})
