"""base.atomic_writes: files and folders written whole or not at all."""

import errno
import os

import pytest

from estimator_cnn.base import atomic_writes
from tests.helpers import snapshot


def test_an_interrupted_write_keeps_the_earlier_file_and_leaves_no_temporary(tmp_path,
                                                                            monkeypatch):
  path = tmp_path / "out.json"
  path.write_text("earlier")

  def interrupted(*args):
    del args
    raise KeyboardInterrupt

  monkeypatch.setattr(atomic_writes.os, "replace", interrupted)
  with pytest.raises(KeyboardInterrupt):
    atomic_writes.write_atomically(str(path), "new")
  assert path.read_text() == "earlier" and os.listdir(tmp_path) == ["out.json"]


def test_a_new_folder_appears_whole(tmp_path):
  path = tmp_path / "reports" / "new"
  with atomic_writes.folder_written_atomically(str(path)) as staging:
    with open(os.path.join(staging, "a.txt"), "w") as f:
      f.write("a")
    assert not path.exists()  # Until the block ends.
  assert os.listdir(tmp_path / "reports") == ["new"] and (path / "a.txt").read_text() == "a"


def test_an_existing_folder_gets_the_new_files_and_keeps_its_others(tmp_path):
  (tmp_path / "eval").mkdir()
  for name, text in (("a.txt", "earlier a"), ("notes.txt", "mine"), ("eval/1", "earlier 1")):
    (tmp_path / name).write_text(text)
  with atomic_writes.folder_written_atomically(str(tmp_path)) as staging:
    os.mkdir(os.path.join(staging, "eval"))
    for name in ("a.txt", "eval/2"):
      with open(os.path.join(staging, name), "w") as f:
        f.write(f"new {name}")
    assert (tmp_path / "a.txt").read_text() == "earlier a"  # Until the block ends.
  assert {name: (tmp_path / name).read_text() for name in ("a.txt", "notes.txt", "eval/1",
                                                           "eval/2")} == {
      "a.txt": "new a.txt", "notes.txt": "mine", "eval/1": "earlier 1", "eval/2": "new eval/2"}
  assert sorted(os.listdir(tmp_path)) == ["a.txt", "eval", "notes.txt"]


@pytest.mark.parametrize("exists", [True, False], ids=["existing", "new"])
def test_a_failed_block_leaves_the_folder_as_it_was(tmp_path, exists):
  path = tmp_path / "report"
  if exists:
    path.mkdir()
    (path / "a.txt").write_text("earlier")
  before = snapshot(tmp_path)
  with pytest.raises(OSError):
    with atomic_writes.folder_written_atomically(str(path)) as staging:
      with open(os.path.join(staging, "a.txt"), "w") as f:
        f.write("half")
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
  assert snapshot(tmp_path) == before
  assert os.listdir(tmp_path) == (["report"] if exists else [])