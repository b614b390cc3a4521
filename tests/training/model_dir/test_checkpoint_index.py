"""The `checkpoint` file: the latest read around a missing or unreadable one, rewritten with
names relative to the model_dir."""

import os

from estimator_cnn.training.model_dir import checkpoint_index


def test_the_index_is_written_with_names_tensorflow_finds(model_dir, monkeypatch):
  monkeypatch.chdir(model_dir.parent)
  checkpoint_index.write_index("model", ["model/model.ckpt-0"])
  assert (model_dir / "checkpoint").read_text() == ('model_checkpoint_path: "model.ckpt-0"\n'
                                                    'all_model_checkpoint_paths: "model.ckpt-0"\n')
  assert checkpoint_index.index_leads_to("model", "model/model.ckpt-0")
  assert checkpoint_index.latest("model") == os.path.join("model", "model.ckpt-0")


def test_without_a_readable_index_the_newest_on_disk_is_the_latest(model_dir):
  (model_dir / checkpoint_index.INDEX_FILE).write_bytes(bytes(range(256)))
  assert checkpoint_index.index_is_unreadable(str(model_dir))
  assert checkpoint_index.latest(str(model_dir)) == str(model_dir / "model.ckpt-10")
  assert checkpoint_index.listed_before(str(model_dir), str(model_dir / "model.ckpt-10")) == []
