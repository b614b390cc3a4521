"""set_aside: damaged checkpoints renamed, not deleted, and the index pointed past them."""

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.training.model_dir import checkpoint_index
from estimator_cnn.training.model_dir import damaged_checkpoints
from estimator_cnn.training.model_dir import starting_point
from tests.training.model_dir.checkpoint_damage import checkpoint_file_names, cut_in_half

v1 = tf.compat.v1


def test_training_falls_back_to_the_newest_readable_and_sets_the_damaged_aside(model_dir):
  cut_in_half(model_dir / "model.ckpt-10.data-00000-of-00001")
  start = starting_point.training_start(str(model_dir))
  assert start.checkpoint == str(model_dir / "model.ckpt-0")
  assert list(start.damaged) == [str(model_dir / "model.ckpt-10")]
  lines = []
  damaged_checkpoints.set_aside(str(model_dir), start, lines.append)
  assert lines == [f"checkpoint {model_dir}/model.ckpt-10 is damaged ("
                   + lines[0].split(" is damaged (")[1]]
  assert lines[0].endswith(f"its files are kept as *.damaged; training resumes from "
                           f"{model_dir}/model.ckpt-0")
  assert "model.ckpt-10.data-00000-of-00001.damaged" in checkpoint_file_names(model_dir)
  assert not any(name.startswith("model.ckpt-10.") and not name.endswith(".damaged")
                 for name in checkpoint_file_names(model_dir))
  assert v1.train.latest_checkpoint(str(model_dir)) == str(model_dir / "model.ckpt-0")


def test_an_unreadable_index_without_checkpoints_is_kept_aside(tmp_path):
  (tmp_path / checkpoint_index.INDEX_FILE).write_bytes(bytes(range(256)))
  start = starting_point.training_start(str(tmp_path))
  lines = []
  damaged_checkpoints.set_aside(str(tmp_path), start, lines.append)
  assert [path.name for path in tmp_path.iterdir()] == ["checkpoint.damaged"]
  assert lines[0].endswith("holds no checkpoint: it is kept as checkpoint.damaged; training "
                           "starts afresh")
