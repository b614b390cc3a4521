"""--mode=eval, predict, export and inspect: a read-only model_dir, a full disk, Ctrl-C.

They only read the model_dir. A full disk, a folder without permission or
read-only, and Ctrl-C while they run each give one line, a non-zero exit (130
for Ctrl-C) and no traceback; they leave no partial file, every earlier file as
it was, and the model_dir's checkpoints unchanged.
"""

import errno
import os
import shutil

import numpy as np
import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.app import modes
from estimator_cnn.base import atomic_writes
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.report import data_overview
from estimator_cnn.report import eval_report
from tests.helpers import copy_of, read_only, run_in_process, small_disk, snapshot

# {case: (a fresh exception, exit code, the line's words after the path)}
FAULTS = {
    "disk full": (lambda: OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), 1,
                  "No space left on device, the disk is full; {kept}: free some space"),
    "no permission": (lambda: PermissionError(errno.EACCES, os.strerror(errno.EACCES)), 1,
                      "Permission denied, the folder is not writable; {kept}: make it writable"),
    "read-only": (lambda: OSError(errno.EROFS, os.strerror(errno.EROFS)), 1,
                  "Read-only file system, the folder is not writable; {kept}: make it writable"),
    "Ctrl-C": (KeyboardInterrupt, 130, None),
}


def expected_line(fault, path, flag, kept):
  """The one line on stderr when `fault` stops writing to --flag's path."""
  words = FAULTS[fault][2]
  if words is None:
    return f"interrupted by SIGINT: nothing written to {path}, {kept}\n"
  return (f"error: cannot write to {path}: {words.format(kept=kept)} and run again, or pass "
          f"another --{flag}\n")


def checkpoint_files(model_dir):
  """{name: sha256} of the files that make the model_dir's checkpoints."""
  return {name: digest for name, digest in snapshot(model_dir).items()
          if name.startswith("model.ckpt-") or name in ("checkpoint", "params.json")}


def a_shirt(folder):
  path = os.path.join(folder, "shirt.npy")
  np.save(path, np.zeros((28, 28), np.float32))
  return path


def half_written_then(error):
  """A stand-in for save_figure that writes half a PNG, then raises error()."""

  def save_figure(figure, path):
    del figure
    with open(path, "wb") as f:
      f.write(b"\x89PNG\r\n\x1a\n half")
    raise error()

  return save_figure


class HalfWrittenFile:
  """A stand-in for `open` in base.atomic_writes: its files take half of what is written, then
  fail."""

  def __init__(self, error):
    self._error = error

  def __call__(self, path, mode="r", **kwargs):
    self._file = open(path, mode, **kwargs)  # pylint: disable=consider-using-with
    return self

  def __enter__(self):
    return self

  def __exit__(self, *exc_info):
    self._file.close()

  def write(self, text):
    self._file.write(text[:len(text) // 2])
    self._file.flush()
    raise self._error()


@pytest.mark.parametrize("mode", ["predict", "predict --output", "export", "eval --report_dir"])
def test_a_read_only_model_dir_is_only_read(fixture_data, trained, tmp_path, capsys, mode):
  model_dir = copy_of(trained, tmp_path)
  before = snapshot(model_dir)
  output, export_dir, report_dir = (str(tmp_path / name)
                                    for name in ("preds.json", "export", "report"))
  flags = {"predict": ["--mode=predict", f"--data_dir={fixture_data}"],
           "predict --output": ["--mode=predict", f"--images={a_shirt(tmp_path)}",
                                f"--output={output}"],
           "export": ["--mode=export", f"--export_dir={export_dir}"],
           "eval --report_dir": ["--mode=eval", f"--data_dir={fixture_data}",
                                 f"--report_dir={report_dir}"]}[mode]
  with read_only(model_dir):
    assert run_in_process(f"--model_dir={model_dir}", *flags) == 0
  captured = capsys.readouterr()
  assert captured.err == "" and f"checkpoint: {model_dir}/model.ckpt-2 (global step 2)" in (
      captured.out)
  assert snapshot(model_dir) == before
  if mode == "predict --output":
    assert os.path.isfile(output)
  if mode == "export":
    assert os.listdir(export_dir) == ["1"]
  if mode == "eval --report_dir":  # The evaluation's event files are in the report.
    assert sorted(os.listdir(report_dir)) == sorted(
        ["eval", eval_report.METRICS_FILE, *eval_report.PNG_FILES])
    assert os.listdir(os.path.join(report_dir, "eval"))[0].startswith("events.out.tfevents.")
    assert f"eval report: {report_dir}  (metrics.json and 5 PNGs)" in captured.out


def test_eval_of_a_read_only_model_dir_without_report_dir_prints_the_report_only(
    fixture_data, trained, tmp_path, capsys, monkeypatch):
  model_dir = copy_of(trained, tmp_path)
  monkeypatch.chdir(tmp_path)
  before = snapshot(tmp_path)
  with read_only(model_dir):
    assert run_in_process(f"--model_dir={model_dir}", "--mode=eval",
                          f"--data_dir={fixture_data}") == 0
  captured = capsys.readouterr()
  lines = captured.out.splitlines()
  table_start = lines.index("class        precision  recall     F1  support")
  assert lines[table_start + 11] == (f"eval report not written: --model_dir={model_dir} is "
                                     "read-only (pass --report_dir to keep it)")
  assert lines[table_start + 12].startswith("accuracy ") and captured.err == ""
  assert snapshot(tmp_path) == before and os.listdir(tmp_path) == ["model"]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_eval_report_keeps_the_earlier_one(fixture_data, trained, tmp_path, capsys,
                                                    monkeypatch, fault):
  model_dir = copy_of(trained, tmp_path)
  report_dir = str(tmp_path / "report")
  common = [f"--model_dir={model_dir}", "--mode=eval", f"--data_dir={fixture_data}",
            f"--report_dir={report_dir}"]
  assert run_in_process(*common) == 0
  capsys.readouterr()
  earlier, checkpoints = snapshot(report_dir), checkpoint_files(model_dir)
  make_error, exit_code, _ = FAULTS[fault]
  monkeypatch.setattr(eval_report, "save_figure", half_written_then(make_error))
  assert run_in_process(*common) == exit_code
  assert capsys.readouterr().err == expected_line(fault, report_dir, "report_dir",
                                                  "any earlier report there is kept")
  assert snapshot(report_dir) == earlier and sorted(os.listdir(tmp_path)) == ["model", "report"]
  assert checkpoint_files(model_dir) == checkpoints


def test_a_failed_first_eval_report_leaves_no_folder(fixture_data, trained, tmp_path, capsys,
                                                     monkeypatch):
  model_dir = copy_of(trained, tmp_path)
  checkpoints = checkpoint_files(model_dir)
  report_dir = str(tmp_path / "reports" / "first")
  monkeypatch.setattr(eval_report, "save_figure", half_written_then(FAULTS["disk full"][0]))
  assert run_in_process(f"--model_dir={model_dir}", "--mode=eval", f"--data_dir={fixture_data}",
                        f"--report_dir={report_dir}") == 1
  assert capsys.readouterr().err == expected_line("disk full", report_dir, "report_dir",
                                                  "any earlier report there is kept")
  assert os.listdir(tmp_path / "reports") == [] and checkpoint_files(model_dir) == checkpoints


def test_ctrl_c_during_the_evaluation_writes_no_report(fixture_data, trained, tmp_path, capsys,
                                                       monkeypatch):
  model_dir = copy_of(trained, tmp_path)
  before = snapshot(model_dir)

  class CtrlC(tf.compat.v1.train.SessionRunHook):

    def __init__(self, *args):
      del args

    def after_run(self, run_context, run_values):
      raise KeyboardInterrupt

  monkeypatch.setattr(modes, "EvalProgressHook", CtrlC)
  assert run_in_process(f"--model_dir={model_dir}", "--mode=eval",
                        f"--data_dir={fixture_data}") == 130
  report_dir = os.path.join(model_dir, eval_report.EVAL_REPORT_DIR)
  assert capsys.readouterr().err == expected_line("Ctrl-C", report_dir, "report_dir",
                                                  "any earlier report there is kept")
  assert snapshot(model_dir) == before and sorted(os.listdir(model_dir)) == sorted(
      os.listdir(trained))


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_failed_predictions_keep_the_earlier_file(trained, tmp_path, capsys, monkeypatch, fault):
  output = tmp_path / "preds.json"
  output.write_text("earlier predictions")
  checkpoints = checkpoint_files(trained)
  make_error, exit_code, _ = FAULTS[fault]
  monkeypatch.setattr(atomic_writes, "open", HalfWrittenFile(make_error), raising=False)
  assert run_in_process(f"--model_dir={trained}", "--mode=predict",
                        f"--images={a_shirt(tmp_path)}", f"--output={output}") == exit_code
  assert capsys.readouterr().err == expected_line(fault, output, "output",
                                                  "any earlier file there is kept")
  assert output.read_text() == "earlier predictions"
  assert sorted(os.listdir(tmp_path)) == ["preds.json", "shirt.npy"]
  assert checkpoint_files(trained) == checkpoints


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failed_export_adds_no_version(trained, tmp_path, capsys, monkeypatch, fault):
  export_dir = str(tmp_path / "export")
  common = [f"--model_dir={trained}", "--mode=export", f"--export_dir={export_dir}"]
  assert run_in_process(*common) == 0
  capsys.readouterr()
  earlier, checkpoints = snapshot(export_dir), checkpoint_files(trained)
  make_error, exit_code, _ = FAULTS[fault]
  export_saved_model = tf_estimator.Estimator.export_saved_model

  def export_then_fail(estimator, *args, **kwargs):
    export_saved_model(estimator, *args, **kwargs)  # A complete SavedModel in its temporary place.
    raise make_error()

  monkeypatch.setattr(tf_estimator.Estimator, "export_saved_model", export_then_fail)
  assert run_in_process(*common) == exit_code
  assert capsys.readouterr().err == expected_line(fault, export_dir, "export_dir",
                                                  "its earlier versions are kept")
  assert snapshot(export_dir) == earlier and os.listdir(tmp_path) == ["export"]
  assert checkpoint_files(trained) == checkpoints


def test_a_failed_inspect_keeps_the_earlier_files(fixture_data, tmp_path, capsys, monkeypatch):
  report_dir = str(tmp_path / "data")
  assert run_in_process(f"--data_dir={fixture_data}", "--mode=inspect",
                        f"--report_dir={report_dir}") == 0
  capsys.readouterr()
  earlier = snapshot(report_dir)
  monkeypatch.setattr(data_overview, "save_figure", half_written_then(KeyboardInterrupt))
  assert run_in_process(f"--data_dir={fixture_data}", "--mode=inspect",
                        f"--report_dir={report_dir}") == 130
  assert capsys.readouterr().err == expected_line("Ctrl-C", report_dir, "report_dir",
                                                  "the files there are kept")
  assert snapshot(report_dir) == earlier and os.listdir(tmp_path) == ["data"]


def fill(disk):
  """Fills the disk mounted at folder disk, leaving no byte free."""
  with open(os.path.join(disk, "filler"), "wb") as f:
    with pytest.raises(OSError, match="No space left on device"):
      while True:
        f.write(b"\0" * 2**16)
        f.flush()


@pytest.mark.parametrize("mode", ["eval", "predict --output", "export"])
def test_a_really_full_disk_is_one_line(fixture_data, trained, tmp_path, capsys, mode):
  disk = str(tmp_path / "disk")
  target = os.path.join(disk, {"eval": "report", "predict --output": "preds.json",
                               "export": "export"}[mode])
  flags = {"eval": ["--mode=eval", f"--data_dir={fixture_data}", f"--report_dir={target}"],
           "predict --output": ["--mode=predict", f"--images={a_shirt(tmp_path)}",
                                f"--output={target}"],
           "export": ["--mode=export", f"--export_dir={target}"]}[mode]
  with small_disk(disk, 2**20):
    fill(disk)
    assert run_in_process(f"--model_dir={trained}", *flags) == 1
    flag, kept = {"eval": ("report_dir", "any earlier report there is kept"),
                  "predict --output": ("output", "any earlier file there is kept"),
                  "export": ("export_dir", "its earlier versions are kept")}[mode]
    assert capsys.readouterr().err == expected_line("disk full", target, flag, kept)
    assert os.listdir(disk) == ["filler"]


def test_eval_on_a_full_disk_of_the_model_dir_is_one_line(fixture_data, trained, tmp_path,
                                                          capsys):
  disk = str(tmp_path / "disk")
  with small_disk(disk, 64 * 2**20):
    model_dir = copy_of(trained, disk)
    shutil.rmtree(os.path.join(model_dir, "eval"))
    checkpoints = checkpoint_files(model_dir)
    fill(disk)
    assert run_in_process(f"--model_dir={model_dir}", "--mode=eval",
                          f"--data_dir={fixture_data}", f"--report_dir={tmp_path / 'report'}") == 1
    assert capsys.readouterr().err == (
        f"error: cannot write to {model_dir}/eval: No space left on device, the disk is full; "
        "no eval report written: free some space and run again\n")
    assert checkpoint_files(model_dir) == checkpoints
  assert not (tmp_path / "report").exists()
