"""A model_dir's checkpoints on disk, by tf.estimator's names."""

from estimator_cnn.training.model_dir import checkpoint_files


def test_checkpoints_on_disk_are_those_with_an_index_newest_first(tmp_path):
  for name in ("model.ckpt-9.index", "model.ckpt-10.index", "model.ckpt-10.data-00000-of-00001",
               "model.ckpt-11.data-00000-of-00001", "ckpt-12.index"):
    (tmp_path / name).write_text("")
  assert checkpoint_files.checkpoints_on_disk(str(tmp_path)) == [
      str(tmp_path / "model.ckpt-10"), str(tmp_path / "model.ckpt-9")]
  assert checkpoint_files.files_of(str(tmp_path / "model.ckpt-10")) == [
      "model.ckpt-10.data-00000-of-00001", "model.ckpt-10.index"]
  assert checkpoint_files.checkpoint_step(str(tmp_path / "model.ckpt-10")) == 10


def test_a_missing_folder_has_no_checkpoints(tmp_path):
  assert checkpoint_files.checkpoints_on_disk(str(tmp_path / "missing")) == []
  assert checkpoint_files.files_of(str(tmp_path / "missing" / "model.ckpt-1")) == []
