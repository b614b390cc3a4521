"""Checkpoints checked before use: a data file cut short, a bad index, files gone."""

import os
import shutil

import pytest

from estimator_cnn.base.errors import UserError
from estimator_cnn.training import model_dir as model_dir_lib


@pytest.fixture(name="model_dir")
def fixture_model_dir(tiny_model_dir, tmp_path):
  """A copy of the tiny model_dir: checkpoints at steps 0 and 10."""
  return shutil.copytree(tiny_model_dir, tmp_path / "model")


def _cut_in_half(path):
  with open(path, "r+b") as f:
    f.truncate(os.path.getsize(path) // 2)


def test_readable_checkpoints_newest_first(model_dir):
  named, readable, damaged = model_dir_lib.sort_out(str(model_dir))
  assert named == str(model_dir / "model.ckpt-10")
  assert readable == [str(model_dir / "model.ckpt-10"), str(model_dir / "model.ckpt-0")]
  assert damaged == {}


@pytest.mark.parametrize("suffix", [".data-00000-of-00001", ".index"])
def test_a_file_cut_short_makes_the_checkpoint_damaged(model_dir, suffix):
  _cut_in_half(model_dir / f"model.ckpt-10{suffix}")
  named, readable, damaged = model_dir_lib.sort_out(str(model_dir))
  assert named == str(model_dir / "model.ckpt-10")
  assert readable == [str(model_dir / "model.ckpt-0")]
  assert list(damaged) == [named] and damaged[named]


def test_a_named_checkpoint_whose_files_are_gone_is_damaged(model_dir):
  for name in os.listdir(model_dir):
    if name.startswith("model.ckpt-10."):
      os.remove(model_dir / name)
  named, readable, damaged = model_dir_lib.sort_out(str(model_dir))
  assert named == str(model_dir / "model.ckpt-10")
  assert damaged == {named: "its files are gone"}
  assert readable == [str(model_dir / "model.ckpt-0")]


def _files(model_dir):
  return sorted(name for name in os.listdir(model_dir) if name.startswith("model.ckpt"))


def test_require_checkpoint_names_the_damaged_one_and_the_readable_ones(model_dir):
  _cut_in_half(model_dir / "model.ckpt-10.data-00000-of-00001")
  before = _files(model_dir)
  with pytest.raises(UserError) as error:
    model_dir_lib.require_checkpoint(str(model_dir))
  assert str(error.value).startswith(f"checkpoint {model_dir}/model.ckpt-10 is damaged (")
  assert str(error.value).endswith(": pass --checkpoint=STEP with a readable one, 0")
  assert model_dir_lib.require_checkpoint(str(model_dir), 0) == str(model_dir / "model.ckpt-0")
  with pytest.raises(UserError, match="no checkpoint of step 5 in .*: pass "
                     "--checkpoint with one of 0"):
    model_dir_lib.require_checkpoint(str(model_dir), 5)
  assert _files(model_dir) == before


def test_resume_falls_back_to_the_newest_readable_and_sets_the_damaged_aside(model_dir):
  _cut_in_half(model_dir / "model.ckpt-10.data-00000-of-00001")
  lines = []
  assert model_dir_lib.resume_checkpoint(str(model_dir), lines.append) == str(
      model_dir / "model.ckpt-0")
  assert lines == [f"checkpoint {model_dir}/model.ckpt-10 is damaged ("
                   + lines[0].split(" is damaged (")[1]]
  assert lines[0].endswith(f"its files are kept as *.damaged; training resumes from "
                           f"{model_dir}/model.ckpt-0")
  assert "model.ckpt-10.data-00000-of-00001.damaged" in _files(model_dir)
  assert not any(name.startswith("model.ckpt-10.") and not name.endswith(".damaged")
                 for name in _files(model_dir))
  assert model_dir_lib.latest_checkpoint(str(model_dir)) == str(model_dir / "model.ckpt-0")


def test_resume_refuses_when_no_checkpoint_is_readable(model_dir):
  for step in (0, 10):
    _cut_in_half(model_dir / f"model.ckpt-{step}.index")
  before = _files(model_dir)
  with pytest.raises(UserError, match="no other in .* is readable"):
    model_dir_lib.resume_checkpoint(str(model_dir))
  assert _files(model_dir) == before
