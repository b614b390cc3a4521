"""Path flags this system cannot use: one line, exit 1, before anything is read or written, in
every mode that takes the flag.

Kind of path (KINDS)                     Tests
---------------------------------------  --------------------------------------------------------
a symbolic link that loops               here: test_an_unusable_path_is_refused_untouched for every
a symbolic link to nothing                 path flag (--model_dir in each of its modes, --data_dir,
a file as a folder of the path             --report_dir, --export_dir, --output, --images);
  (afile/sub)                              base/test_path_checks.py::test_check_path_* for the
a name over the file system's NAME_MAX     checks themselves, inside a path too
a path over PATH_MAX with what is
  written in it (the files TensorFlow
  writes in a model_dir: a checkpoint's
  shard before its merge, at the largest
  global step, and the event files)
the longest --model_dir that is taken    here: test_the_longest_model_dir_taken_trains_and_saves
  trains and saves; a character more
  is refused
"""

import os

import pytest

from estimator_cnn.app import settings as settings_lib
from tests.app.test_bad_input import assert_one_line_error
from tests.helpers import TINY, run_in_process

NAME_MAX = 255  # ext4's and tmpfs's, where the tests run.
PATH_MAX = 4095  # Linux's 4096, its final NUL byte left out.


def _tree(folder):
  """Every name below folder, links not followed, with the content of its regular files."""
  tree = []
  for root, folders, names in os.walk(folder):
    for name in folders + names:
      path = os.path.join(root, name)
      content = (open(path, "rb").read() if os.path.isfile(path) and not os.path.islink(path)
                 else None)
      tree.append((os.path.relpath(path, folder), content))
  return sorted(tree)


def _long_path(folder, length):
  """A path below folder of `length` characters, in names of at most 200, none of them existing."""
  path = str(folder)
  while len(path) < length:
    path = os.path.join(path, "d" * min(200, length - len(path) - 1))
  return path


def _symlink_loop(tmp):
  os.symlink("loop", os.path.join(tmp, "loop"))
  return os.path.join(tmp, "loop"), "is a symbolic link that loops back on itself: fix the link"


def _dangling_symlink(tmp):
  os.symlink(os.path.join(tmp, "nowhere"), os.path.join(tmp, "dangling"))
  return (os.path.join(tmp, "dangling", "sub"),
          f"{tmp}/dangling is a symbolic link to {tmp}/nowhere, which does not exist: fix the "
          "link, or pass another path")


def _file_as_folder(tmp):
  with open(os.path.join(tmp, "afile"), "w") as f:
    f.write("not a folder")
  return (os.path.join(tmp, "afile", "sub"),
          f"{tmp}/afile is a file, not a folder: pass a path whose folders are folders")


def _long_name(tmp):
  return (os.path.join(tmp, "n" * (NAME_MAX + 1)),
          f" more than the {NAME_MAX} its file system allows: pass shorter names")


def _long_path_kind(tmp):
  return _long_path(tmp, PATH_MAX + 1), " characters as an absolute path"


KINDS = {"symlink loop": _symlink_loop, "dangling symlink": _dangling_symlink,
         "file as a folder": _file_as_folder, "name over NAME_MAX": _long_name,
         "path over PATH_MAX": _long_path_kind}
# (mode, the flags besides the path flag's): {model}, {data}, {image} are usable paths.
FLAG_CASES = {
    "model_dir train": ("train", ["--steps=1", "--data_dir={data}"]),
    "model_dir train_and_eval": ("train_and_eval", ["--steps=1", "--data_dir={data}"]),
    "model_dir eval": ("eval", ["--data_dir={data}"]),
    "model_dir predict": ("predict", ["--data_dir={data}"]),
    "model_dir export": ("export", ["--export_dir={tmp}/export"]),
    "data_dir train": ("train", ["--model_dir={tmp}/model", "--steps=1"]),
    "data_dir inspect": ("inspect", ["--report_dir={tmp}/report"]),
    "report_dir eval": ("eval", ["--model_dir={model}", "--data_dir={data}"]),
    "report_dir inspect": ("inspect", ["--data_dir={data}"]),
    "export_dir export": ("export", ["--model_dir={model}"]),
    "output predict": ("predict", ["--model_dir={model}", "--data_dir={data}"]),
    "images predict": ("predict", ["--model_dir={model}"]),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", FLAG_CASES)
def test_an_unusable_path_is_refused_untouched(fixture_data, tmp_path, capsys, case, kind):
  flag = case.split()[0]
  mode, others = FLAG_CASES[case]
  tmp = str(tmp_path)
  os.mkdir(os.path.join(tmp, "model"))  # Usable paths for the other flags: nothing is read.
  path, message = KINDS[kind](tmp)
  before = _tree(tmp)
  assert run_in_process(f"--mode={mode}", f"--{flag}={path}", *(
      arg.format(model=f"{tmp}/model", data=fixture_data, tmp=tmp) for arg in others)) == 1
  captured = capsys.readouterr()
  assert_one_line_error(captured.err, f"error: --{flag}=")
  assert message in captured.err and captured.out == ""
  assert _tree(tmp) == before


def test_the_longest_model_dir_taken_trains_and_saves(fixture_data, tmp_path, capsys):
  """TensorFlow writes a checkpoint's shard as MODEL_DIR/model.ckpt-STEP_temp/part-00000-of-00001
  .data-00000-of-00001.tempstateN before its merge, N a random 64-bit number: at the largest
  global step that is 105 characters below the model_dir."""
  below, _ = settings_lib._path_rooms()["model_dir"]  # pylint: disable=protected-access
  longest = _long_path(tmp_path, PATH_MAX - 1 - below)
  common = [f"--data_dir={fixture_data}", *TINY, "--optimizer=gradient_descent", "--steps=1"]
  assert run_in_process(*common, f"--model_dir={longest}x") == 1
  assert_one_line_error(capsys.readouterr().err, f"pass a path of at most {len(longest):,} "
                        "characters")
  assert run_in_process(*common, f"--model_dir={longest}") == 0
  assert "global_step 1" in capsys.readouterr().out
  assert os.path.exists(os.path.join(longest, "model.ckpt-1.index"))
