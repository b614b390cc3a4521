"""base.path_checks: path flags this system cannot use, refused in one line."""

import os

import pytest

from estimator_cnn.base import path_checks
from estimator_cnn.base.errors import UserError


def test_existing_and_missing_parts_of_a_path(tmp_path):
  (tmp_path / "a").mkdir()
  assert path_checks.existing_and_missing(tmp_path / "a" / "b" / "c") == (
      str(tmp_path / "a"), str(tmp_path / "a" / "b"))
  assert path_checks.existing_and_missing(tmp_path / "a") == (str(tmp_path / "a"), None)


def test_check_path_takes_usable_paths_existing_or_not(tmp_path, monkeypatch):
  monkeypatch.chdir(tmp_path)
  os.symlink(".", "here")
  for path in ("new/sub", "here/here/new", ".", "..", "n" * 255, str(tmp_path / ("d" * 200))):
    path_checks.check_path(path, "flag")
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
    path_checks.check_path(path, "flag")
  assert message.format(tmp=tmp_path) in str(raised.value), raised.value


def test_check_path_leaves_room_for_what_is_written_in_and_beside_it(tmp_path):
  path_max = os.pathconf(tmp_path, "PC_PATH_MAX") - 1
  path = str(tmp_path) + "/" + "/".join(["d" * 100] * ((path_max - len(str(tmp_path))) // 101))
  path += "/" + "e" * (path_max - len(path) - 1 - 10)  # 10 characters short of PATH_MAX.
  path_checks.check_path(path, "flag", room_below=9)
  path_checks.check_path(path, "flag", room_beside=10)
  with pytest.raises(UserError, match=r"is too long: .* and what is written in it adds up to 11 "
                     f"more, over this system's limit of {path_max:,}: pass a path of at most "):
    path_checks.check_path(path, "flag", room_below=10)
  with pytest.raises(UserError, match="what is written beside it adds up to 11 more"):
    path_checks.check_path(path, "flag", room_beside=11)
  with pytest.raises(UserError, match=r"holds a name of 256 bytes \(with the 1 of its temporary "):
    path_checks.check_path(str(tmp_path / ("n" * 255)), "flag", room_beside=1)
