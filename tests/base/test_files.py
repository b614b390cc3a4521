"""base.files: files and folders written whole or not at all, failed writes in words, and path
flags this system cannot use."""

import errno
import os

import pytest

from estimator_cnn.base import files
from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import tf
from tests.helpers import snapshot


def test_an_interrupted_write_keeps_the_earlier_file_and_leaves_no_temporary(tmp_path,
                                                                            monkeypatch):
  path = tmp_path / "out.json"
  path.write_text("earlier")

  def interrupted(*args):
    del args
    raise KeyboardInterrupt

  monkeypatch.setattr(files.os, "replace", interrupted)
  with pytest.raises(KeyboardInterrupt):
    files.write_atomically(str(path), "new")
  assert path.read_text() == "earlier" and os.listdir(tmp_path) == ["out.json"]


def test_a_new_folder_appears_whole(tmp_path):
  path = tmp_path / "reports" / "new"
  with files.folder_written_atomically(str(path)) as staging:
    with open(os.path.join(staging, "a.txt"), "w") as f:
      f.write("a")
    assert not path.exists()  # Until the block ends.
  assert os.listdir(tmp_path / "reports") == ["new"] and (path / "a.txt").read_text() == "a"


def test_an_existing_folder_gets_the_new_files_and_keeps_its_others(tmp_path):
  (tmp_path / "eval").mkdir()
  for name, text in (("a.txt", "earlier a"), ("notes.txt", "mine"), ("eval/1", "earlier 1")):
    (tmp_path / name).write_text(text)
  with files.folder_written_atomically(str(tmp_path)) as staging:
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
    with files.folder_written_atomically(str(path)) as staging:
      with open(os.path.join(staging, "a.txt"), "w") as f:
        f.write("half")
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
  assert snapshot(tmp_path) == before
  assert os.listdir(tmp_path) == (["report"] if exists else [])


@pytest.mark.parametrize("error,words", [
    (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "x"), "No space left on device"),
    (OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), os.strerror(errno.EDQUOT)),
    (PermissionError(errno.EACCES, os.strerror(errno.EACCES)), "Permission denied"),
    (PermissionError(errno.EPERM, os.strerror(errno.EPERM)), "Operation not permitted"),
    (OSError(errno.EROFS, os.strerror(errno.EROFS)), "Read-only file system"),
    (tf.errors.ResourceExhaustedError(None, None, "x/part-0; No space left on device"),
     "No space left on device"),
    (RuntimeError("x/events.out.tfevents.1; No space left on device\n\tFailed to flush 2 "
                  "events"), "No space left on device"),
])
def test_failed_writes_are_told_apart(error, words):
  cause, reason, fix = files.write_failure(error)
  assert cause == words
  assert (reason, fix) in (("the disk is full", "free some space"),
                           ("the folder is not writable", "make it writable"))


@pytest.mark.parametrize("error", [
    FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT)),
    tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor"),
    RuntimeError("something else"),
])
def test_other_errors_are_not_failed_writes(error):
  assert files.write_failure(error) is None


def test_existing_and_missing_parts_of_a_path(tmp_path):
  (tmp_path / "a").mkdir()
  assert files.existing_and_missing(tmp_path / "a" / "b" / "c") == (
      str(tmp_path / "a"), str(tmp_path / "a" / "b"))
  assert files.existing_and_missing(tmp_path / "a") == (str(tmp_path / "a"), None)


def test_check_path_takes_usable_paths_existing_or_not(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  os.symlink(".", "here")
  for path in ("new/sub", "here/here/new", ".", "..", "n" * 255, str(tmp_path / ("d" * 200))):
    files.check_path(path, "flag")
  assert os.listdir(tmp_path) == ["here"]


@pytest.mark.parametrize("make,path,message", [
    (lambda: os.symlink("a", "b") or os.symlink("b", "a"), "a/sub/x",
     "--flag=a/sub/x: {tmp}/a is a symbolic link that loops back on itself"),
    (lambda: os.makedirs("real") or os.symlink("missing", "real/link"), "real/link/x",
     "--flag=real/link/x: {tmp}/real/link is a symbolic link to missing, which does not exist"),
    (lambda: open("afile", "w").close(), "afile/sub/x",
     "--flag=afile/sub/x: {tmp}/afile is a file, not a folder"),
    (lambda: None, "new/" + "n" * 256 + "/x", "holds a name of 256 bytes, more than the 255"),
], ids=["loop inside", "dangling inside", "file inside", "long name inside"])
def test_check_path_refuses_in_one_line(tmp_path, monkeypatch, make, path, message):
  monkeypatch.chdir(tmp_path)
  make()
  with pytest.raises(UserError) as raised:
    files.check_path(path, "flag")
  assert message.format(tmp=tmp_path) in str(raised.value), raised.value


def test_check_path_leaves_room_for_what_is_written_in_and_beside_it(tmp_path):
  path_max = os.pathconf(tmp_path, "PC_PATH_MAX") - 1
  path = str(tmp_path) + "/" + "/".join(["d" * 100] * ((path_max - len(str(tmp_path))) // 101))
  path += "/" + "e" * (path_max - len(path) - 1 - 10)  # 10 characters short of PATH_MAX.
  files.check_path(path, "flag", room_below=9)
  files.check_path(path, "flag", room_beside=10)
  with pytest.raises(UserError, match=r"is too long: .* and what is written in it adds up to 11 "
                     f"more, over this system's limit of {path_max:,}: pass a path of at most "):
    files.check_path(path, "flag", room_below=10)
  with pytest.raises(UserError, match="what is written beside it adds up to 11 more"):
    files.check_path(path, "flag", room_beside=11)
  with pytest.raises(UserError, match=r"holds a name of 256 bytes \(with the 1 of its temporary "):
    files.check_path(str(tmp_path / ("n" * 255)), "flag", room_beside=1)
