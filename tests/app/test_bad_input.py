"""Bad input: one line saying what is wrong and how to fix it, a non-zero exit, no traceback.

No traceback unless --verbose, and every file that was there before is left
unchanged. Where each case is tested: "here" is this module; data/test_idx_csv.py
checks each data error's message, this module what the user sees from run.py.
Signals, a second writer and divergence are tested in training/test_safety.py.

Case                                   Tests
-------------------------------------  ---------------------------------------------------------
data folder missing, or missing a      data/test_idx_csv.py::test_explicit_data_dir_does_not_exist,
  file                                   ::test_explicit_data_dir_missing_files_no_fallback;
                                       app/test_run.py::test_missing_data_says_how_to_get_it;
                                       here: test_bad_data_is_refused_before_anything_is_written
truncated or corrupt .gz               data/test_idx_csv.py::test_truncated_gzip, ::test_corrupt_gzip_bytes;
                                       here: test_bad_data_is_refused_before_anything_is_written
wrong IDX magic                        data/test_idx_csv.py::test_wrong_magic,
                                         ::test_labels_file_in_place_of_images; here: same
labels outside 0..9 (IDX and CSV)      data/test_idx_csv.py::test_label_out_of_range,
                                         ::test_csv_label_out_of_range; here: same
CSV with a wrong column count or a     data/test_idx_csv.py::test_csv_wrong_column_count,
  non-numeric cell                       ::test_csv_non_numeric_cell; here: same
model_dir of another network           app/test_run.py::test_model_dir_of_another_network_is_refused_
                                         and_untouched
a damaged checkpoint (a short .index   here: test_damaged_checkpoint_is_named_with_the_readable_ones_
  or data file): eval, predict and        untouched; test_training_resumes_from_the_newest_readable_
  export refuse naming the readable      checkpoint_and_keeps_the_damaged_one; training/test_
  ones; train resumes from the newest    checkpoint_lookup.py, training/test_damaged_checkpoints.py
  readable one, the damaged kept
eval, predict, export and a second     app/test_readers_beside_training.py; training/test_
  training beside a training that        checkpoint_lookup.py::test_a_checkpoint_deleted_before_
  saves and deletes checkpoints          it_is_copied_is_looked_up_again, ::test_a_checkpoint_
                                         deleted_while_copied_is_looked_up_again
--model_dir with * ? [ or a backslash  app/test_model_dir_checks.py; training/test_path_
  (run[1]), or holding another tool's    characters.py, training/test_checkpoint_lookup.py::test_
  checkpoints                            another_tools_checkpoints_are_named_so
--model_dir a file, or empty           app/test_run.py::test_model_dir_that_is_a_file_is_refused;
                                       here: test_empty_model_dir_is_refused
a path flag with a symlink loop, a     app/test_path_flags.py (every path flag, every mode; the
  dangling symlink, a file as a folder   longest --model_dir taken trains and saves);
  (afile/sub), a name over NAME_MAX, a   base/test_path_checks.py::test_check_path_*
  path over PATH_MAX with what is
  written in it
eval with an unwritable --report_dir   here: test_eval_with_an_unwritable_report_dir_writes_nothing
  (read-only, or /proc, which os.access
  calls writable for root): refused
  before the evaluation's event file
read-only model_dir: training refused; here: test_read_only_model_dir_is_refused_untouched;
  eval, predict and export only read   app/test_modes.py::test_a_read_only_model_dir_is_only_
  it (eval's events go to the report)    read, ::test_eval_of_a_read_only_model_dir_without_
                                         report_dir_prints_the_report_only
disk full mid-training (a real tmpfs): here: test_full_disk_mid_training_stops_in_one_line_then_
  the failed save's *_temp removed at    resumes; training/test_safety.py::test_the_partial_
  once, a stale one at the next start,   files_of_a_failed_save_are_removed_with_the_lock,
  and the lock's own temporary file      ::test_the_lock_temporaries_of_ended_processes_are_
                                         removed_at_the_next_start, ::test_a_lock_write_on_a_
                                         full_disk_leaves_no_temporary
disk full, no permission, read-only    app/test_modes.py::test_a_failed_eval_report_keeps_the_
  or Ctrl-C in eval, predict --output,   earlier_one, ::test_failed_predictions_keep_the_earlier_
  export or inspect: nothing partial,    file, ::test_a_failed_export_adds_no_version, ::test_a_
  earlier files kept                     failed_inspect_keeps_the_earlier_files, ::test_a_really_
                                         full_disk_is_one_line (a real tmpfs); base/test_atomic_
                                         writes.py
Ctrl-C at start-up (TensorFlow import, base/test_command.py::test_ctrl_c_is_one_line_and_exit_code_
  data loading)                          130
a checkpoint write fails mid-training  here: test_failed_checkpoint_write_mid_training_stops_in_
  (disk full, permission denied)         one_line
flags at their limits: steps 1,        here: test_flags_at_their_limits_train
  batch_size 1 and the number of
  training images, dropout 0 and 0.999,
  conv_blocks 2 and 3, learning_rate
  1e-30
flags past their limits: steps 0,      app/test_run.py::test_bad_flags_exit_nonzero_without_traceback
  batch_size 0, dropout_dense 1,
  learning_rate 0, predict_indices 3,x
conv_blocks 1 and 4, other dropouts,   here: test_flags_past_their_limits_are_refused
  learning_rate -1, 0, nan, inf and
  1e308 (infinite in float32), epochs
  inf, steps -1 and above int64,
  max_steps 0 and 2**63, seed -1,
  predict_indices 10000, -1 and empty,
  --images empty or with an empty name
a learning rate that passes the flag    here: test_a_learning_rate_that_overflows_the_weights_ends_
  (1e30) but overflows the weights       in_the_divergence_line
a batch larger than the training split here: test_a_batch_larger_than_the_training_split_is_
  (--train_subset, the recipe's split)   refused_before_anything_is_written
a preset's split larger than           here: test_a_split_larger_than_train_subset_says_to_raise_it;
  --train_subset                         data/test_splits.py
params.json hand-edited: a value      here: test_a_hand_edited_params_json_is_refused_untouched
  breaking its flag's rule ("three",     (train and eval), test_a_flag_replaces_the_broken_value_
  true, 7, 1.5, "sgdx", "fast",           it_names; model/test_param_rules.py (every rule, the
  Infinity an older version wrote), an   flags', the plan's); app/test_resume_plan.py::test_a_
  unknown preset or key, a broken plan   damaged_plan_is_one_line
IDX files of 0 training or 0 test      here: test_bad_data_is_refused_before_anything_is_written,
  images (train, eval)                   test_eval_on_zero_test_images_is_refused
a CSV separated by semicolons: a short here: test_a_csv_separated_by_semicolons_is_a_short_line
  line, not the whole header
--max_steps at or below the global     here: test_max_steps_already_reached_changes_nothing
  step: nothing to train, nothing
  written
~ in path flags (bash leaves it after  here: test_tilde_expands_in_path_flags_and_path_hints_are_
  `=`), spaces in printed hints          quoted
predict_indices 9999 past a smaller    here: test_predict_indices_past_the_test_set_are_refused
  test set (and 99, the last one)
predict on non-images, empty files,    app/test_predict_files.py::test_bad_files_are_refused_in_one_
  wrong-shape arrays, missing files      line
--images=a,b.png for a file a,b.png:   app/test_predict_files.py::test_a_name_with_a_comma_is_taken_
  taken quoted ("a,b.png", as CSV);      quoted_and_unquoted_says_how
  unquoted, the error says to quote it
--output not .json or .csv             app/test_predict_files.py::test_output_of_another_extension_
                                         is_refused_before_predicting
export into a folder that is a file,   report/test_saved_model.py::test_bad_export_dir_is_refused_
  holds other files or a SavedModel      untouched
  itself
a flag given to a mode it is not for   here: test_flag_of_another_mode_is_refused_untouched,
  (--images without --mode=predict,      test_forgotten_mode_is_refused_on_the_command_line;
  --export_dir in eval, --steps in       app/test_flag_modes.py: the map of flags and modes
  eval, --model_dir in inspect...);      against the flags, --help and what each mode reads
  in predict, --invert,
  --max_image_pixels without --images,
  --predict_indices, --data_dir with it
TF_CONFIG malformed ('{not json', '', app/test_tf_config.py::test_malformed_tf_config_is_one_line_
  '[1,2]', wrong types inside): one     and_train_makes_no_model_dir (each case),
  line in every mode, no model_dir       ::test_malformed_tf_config_is_one_line_in_every_mode
TF_CONFIG of a cluster: train refused, app/test_tf_config.py::test_train_under_a_cluster_is_refused_
  eval, predict, export and inspect      naming_train_and_eval, ::test_modes_without_a_cluster_run_
  run without it after one line          without_tf_config
a cluster task's port in use (a ps, an app/test_cluster.py::test_a_task_whose_port_is_in_use_says_
  all-reduce worker)                     which_in_one_line
launch_cluster.py: an option neither   app/test_cluster.py::test_launcher_mistakes_are_one_line_and_
  its own nor run.py's, --python not     start_nothing
  executable, timeouts below 0 or NaN,
  more tasks than RLIMIT_NOFILE allows
launch_cluster.py stopped by SIGINT,   app/test_cluster.py::test_launcher_stops_every_task_and_their_
  SIGTERM or SIGHUP: no task left        children_on_a_stop_signal
--verbose shows the traceback          here: test_verbose_adds_the_traceback
a bug (not a UserError) keeps its      here: test_unexpected_exception_keeps_its_traceback
  traceback
"""

import json
import os
import shlex

import numpy as np
import pytest

from estimator_cnn.base import command
from estimator_cnn.data import idx_csv
from estimator_cnn.training import safety
from estimator_cnn.training.model_dir import saved_params
from estimator_cnn.training.model_dir import starting_point
from estimator_cnn.base.tf_setup import tf
from tests import idx_fixtures
from tests.helpers import TINY, copy_of, read_only, run_in_process, run_script, small_disk, snapshot

v1 = tf.compat.v1


def assert_one_line_error(err, message):
  assert err.startswith("error: ") and message in err, err
  assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def _truncate(path):
  with open(path, "rb") as f:
    content = f.read()
  _overwrite(path, content[:len(content) // 2])


def _overwrite(path, content):
  with open(path, "wb") as f:
    f.write(content)


def _relabel(path, label):
  labels = idx_csv.read_idx(path).copy()
  labels[7] = label
  idx_csv.write_idx(path, labels)


def _edit_csv_line(path, line_number, edit):
  with open(path) as f:
    lines = f.read().split("\n")
  lines[line_number - 1] = edit(lines[line_number - 1])
  with open(path, "w") as f:
    f.write("\n".join(lines))


def _set_cell(line, column, value):
  cells = line.split(",")
  cells[column - 1] = value
  return ",".join(cells)


def _idx(folder, key):
  return os.path.join(idx_fixtures.write_fixture_dataset(folder, 50, 20), idx_csv.IDX_FILES[key])


def _empty(folder, split):
  """Rewrites the fixture's IDX files of split to hold 0 images and 0 labels."""
  images = _idx(folder, f"{split}_images")
  idx_csv.write_idx(images, np.zeros((0, 28, 28), np.uint8))
  idx_csv.write_idx(os.path.join(folder, idx_csv.IDX_FILES[f"{split}_labels"]),
                    np.zeros(0, np.uint8))


def _csv(folder, split):
  return os.path.join(idx_fixtures.write_fixture_csv(folder, 50, 20), idx_csv.CSV_FILES[split])


BAD_DATA = {
    "missing folder": (lambda folder: None, "does not exist or is not a folder"),
    "missing file": (lambda folder: os.remove(_idx(folder, "train_labels")),
                     "is missing train-labels-idx1-ubyte.gz"),
    "truncated gz": (lambda folder: _truncate(_idx(folder, "train_images")),
                     "is not a valid gzip file or is truncated"),
    "corrupt gz": (lambda folder: _overwrite(_idx(folder, "test_labels"), b"not gzip"),
                   "is not a valid gzip file"),
    "wrong magic": (lambda folder: idx_fixtures.rewrite_decompressed(
        _idx(folder, "test_images"), lambda content: b"\x12\x34" + content[2:]),
                    "its magic number is 0x12340803"),
    "label 12": (lambda folder: _relabel(_idx(folder, "train_labels"), 12),
                 "holds label 12, expected 0..9"),
    "0 training images": (lambda folder: _empty(folder, "train"),
                          "train-images-idx3-ubyte.gz holds 0 images: re-install or re-download "
                          "it, or pass --data_dir with a folder whose files hold images"),
    "0 test images": (lambda folder: _empty(folder, "test"),
                      "t10k-images-idx3-ubyte.gz holds 0 images: "),
    "csv columns": (lambda folder: _edit_csv_line(_csv(folder, "train"), 3,
                                                  lambda line: line + ",0"),
                    "line 3 has 786 columns, expected 785"),
    "csv cell": (lambda folder: _edit_csv_line(_csv(folder, "test"), 2,
                                               lambda line: _set_cell(line, 2, "x")),
                 "line 2 column 2 holds 'x', expected an integer"),
    "csv label 10": (lambda folder: _edit_csv_line(_csv(folder, "test"), 4,
                                                   lambda line: _set_cell(line, 1, "10")),
                     "holds label 10 on line 4, expected 0..9"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_data_is_refused_before_anything_is_written(tmp_path, capsys, case):
  make, message = BAD_DATA[case]
  data_dir = str(tmp_path / "data")
  make(data_dir)
  before = snapshot(tmp_path)
  assert run_in_process(f"--data_dir={data_dir}", f"--model_dir={tmp_path / 'model'}", *TINY,
                        "--steps=1") == 1
  assert_one_line_error(capsys.readouterr().err, message)
  assert snapshot(tmp_path) == before and not (tmp_path / "model").exists()


@pytest.mark.parametrize("damaged_file", ["model.ckpt-2.index", "model.ckpt-2.data-00000-of-00001"])
@pytest.mark.parametrize("mode", ["eval", "predict", "export"])
def test_damaged_checkpoint_is_named_with_the_readable_ones_untouched(
    fixture_data, trained, tmp_path, capsys, damaged_file, mode):
  model_dir = copy_of(trained, tmp_path)
  with open(os.path.join(model_dir, damaged_file), "r+b") as f:
    f.truncate(10)  # As a crash while the file was written would leave it.
  before = snapshot(model_dir)
  common = [f"--model_dir={model_dir}", f"--mode={mode}",
            f"--export_dir={tmp_path / 'export'}" if mode == "export"
            else f"--data_dir={fixture_data}"]
  assert run_in_process(*common) == 1
  err = capsys.readouterr().err
  assert_one_line_error(err, f"checkpoint {model_dir}/model.ckpt-2 is damaged (")
  assert err.strip().endswith(": pass --checkpoint=STEP with a readable one, 0"), err
  assert snapshot(model_dir) == before
  # The readable one, picked by its step.
  assert run_in_process(*common, "--checkpoint=0") == 0
  assert f"checkpoint: {model_dir}/model.ckpt-0 (global step 0)" in capsys.readouterr().out


@pytest.mark.parametrize("damaged_file", ["model.ckpt-2.index", "model.ckpt-2.data-00000-of-00001"])
def test_training_resumes_from_the_newest_readable_checkpoint_and_keeps_the_damaged_one(
    fixture_data, trained, tmp_path, capsys, damaged_file):
  model_dir = copy_of(trained, tmp_path)
  with open(os.path.join(model_dir, damaged_file), "r+b") as f:
    f.truncate(10)
  before = snapshot(model_dir)
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                        "--optimizer=gradient_descent", "--steps=1") == 0
  out = capsys.readouterr().out
  assert (f"checkpoint {model_dir}/model.ckpt-2 is damaged (" in out and
          f"its files are kept as *.damaged; training resumes from {model_dir}/model.ckpt-0"
          in out)
  assert "global_step 1  (100 test images)" in out
  after = snapshot(model_dir)
  # Every checkpoint file that was there is there, unchanged: the damaged ones renamed.
  for name, digest in before.items():
    if name.startswith("model.ckpt-"):
      kept = f"{name}.damaged" if name.startswith("model.ckpt-2.") else name
      assert after[kept] == digest, name


@pytest.mark.parametrize("mode", ["train", "eval", "predict"])
def test_empty_model_dir_is_refused(fixture_data, tmp_path, capsys, monkeypatch, mode):
  monkeypatch.chdir(tmp_path)
  assert run_in_process(f"--data_dir={fixture_data}", "--model_dir=", f"--mode={mode}",
                        *(["--steps=1"] if mode == "train" else [])) == 1
  assert_one_line_error(capsys.readouterr().err, "--model_dir is empty: pass a folder path")
  assert os.listdir(tmp_path) == []


def test_read_only_model_dir_is_refused_untouched(fixture_data, trained, tmp_path, capsys):
  model_dir = copy_of(trained, tmp_path)
  before = snapshot(model_dir)
  with read_only(model_dir):
    assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                          "--steps=2") == 1
  assert_one_line_error(capsys.readouterr().err,
                        f"--model_dir={model_dir} is not writable: pick a folder you can write to")
  assert snapshot(model_dir) == before


def test_full_disk_mid_training_stops_in_one_line_then_resumes(fixture_data, trained, tmp_path,
                                                                capsys):
  used = sum(os.path.getsize(os.path.join(trained, name)) for name in os.listdir(trained)
             if os.path.isfile(os.path.join(trained, name)))
  checkpoint_size = os.path.getsize(os.path.join(trained, "model.ckpt-2.data-00000-of-00001"))
  disk = str(tmp_path / "disk")
  with small_disk(disk, used + checkpoint_size * 3 // 2 + 2**20) as resize:
    model_dir = copy_of(trained, disk)
    kept = {name: digest for name, digest in snapshot(model_dir).items()
            if name.startswith("model.ckpt-")}
    params = saved_params.load_params(model_dir)
    common = [f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY]
    assert run_in_process(*common, "--steps=20", "--save_checkpoints_steps=2") == 1
    err = capsys.readouterr().err
    latest = v1.train.latest_checkpoint(model_dir)
    assert_one_line_error(
        err, f"cannot write to {model_dir}: No space left on device, the disk is full; the "
        f"latest checkpoint is {latest}: free some space and run again to resume from it")
    assert latest.endswith("model.ckpt-4")  # One more checkpoint fitted on the disk.
    assert {name: snapshot(model_dir)[name] for name in kept} == kept
    assert saved_params.load_params(model_dir) == params  # Its plan now says step 22.
    assert starting_point.training_start(model_dir).plan == {"batch_size": 20, "last_step": 22}
    assert not os.path.exists(os.path.join(model_dir, safety.LOCK_FILE))
    assert not safety.partial_files(model_dir)  # The failed save's model.ckpt-6_temp is gone.

    assert resize(used + 5 * checkpoint_size).returncode == 0
    stale = os.path.join(model_dir, "model.ckpt-6_temp")  # As a kill during that save leaves.
    os.mkdir(stale)
    with open(os.path.join(stale, "part-00000-of-00001.data-00000-of-00001"), "wb") as f:
      f.write(b"partial")
    assert run_in_process(*common, "--steps=2") == 0
    out = capsys.readouterr().out
    assert "removed 1 partial file(s) of an interrupted run: model.ckpt-6_temp" in out
    assert "global_step 6" in out and not safety.partial_files(model_dir)


@pytest.mark.parametrize("error,cause,reason", [
    (tf.errors.ResourceExhaustedError, "No space left on device", "the disk is full"),
    (tf.errors.PermissionDeniedError, "Permission denied", "the folder is not writable"),
])
def test_failed_checkpoint_write_mid_training_stops_in_one_line(
    fixture_data, tmp_path, capsys, monkeypatch, error, cause, reason):
  save = v1.train.Saver.save

  def save_until_step_4(saver, session, save_path, global_step=None, **kwargs):
    if global_step >= 4:
      raise error(None, None, f"{save_path}-{global_step}_temp/part-00000-of-00001.data-00000-"
                  f"of-00001.tempstate123; {cause}")
    return save(saver, session, save_path, global_step=global_step, **kwargs)

  monkeypatch.setattr(v1.train.Saver, "save", save_until_step_4)
  model_dir = str(tmp_path / "model")
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                        "--steps=10", "--save_checkpoints_steps=2") == 1
  assert_one_line_error(capsys.readouterr().err,
                        f"cannot write to {model_dir}: {cause}, {reason}; the latest checkpoint "
                        f"is {model_dir}/model.ckpt-2: ")
  assert v1.train.latest_checkpoint(model_dir) == os.path.join(model_dir, "model.ckpt-2")
  assert not os.path.exists(os.path.join(model_dir, safety.LOCK_FILE))


@pytest.mark.parametrize("flags", [
    ["--conv_blocks=2", "--steps=1", "--batch_size=1", "--learning_rate=1e-30",
     "--dropout_pool2=0.999", "--dropout_pool3=0.999", "--dropout_dense=0.999",
     "--save_checkpoints_steps=1", "--log_every=1"],
    ["--conv_blocks=3", "--max_steps=1", "--batch_size=30", "--dropout_pool2=0",
     "--dropout_pool3=0", "--dropout_dense=0", "--optimizer=gradient_descent"],
], ids=["2_blocks_batch_1_dropout_0.999", "3_blocks_batch_of_all_the_data_dropout_0"])
def test_flags_at_their_limits_train(tmp_path, capsys, flags):
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", 30, 20)
  assert run_in_process(f"--data_dir={data_dir}", f"--model_dir={tmp_path / 'model'}",
                        *flags) == 0
  assert "global_step 1  (20 test images)" in capsys.readouterr().out


@pytest.mark.parametrize("flag,message", [
    ("--conv_blocks=1", "--conv_blocks=1"),
    ("--conv_blocks=4", "--conv_blocks=4"),
    ("--dropout_pool2=1", "--dropout_pool2 must be in [0, 1)"),
    ("--dropout_pool3=-0.1", "--dropout_pool3 must be in [0, 1)"),
    ("--learning_rate=-1", "--learning_rate must be > 0"),
    ("--learning_rate=nan", "--learning_rate must be > 0"),
    ("--learning_rate=inf", "--learning_rate must be > 0 and at most 3.403e+38 (float32's"),
    ("--learning_rate=1e308", "--learning_rate must be > 0 and at most 3.403e+38 (float32's"),
    ("--learning_rate=0", "--learning_rate must be > 0"),
    ("--epochs=inf", "--epochs must be > 0 and finite"),
    ("--images=", "--images names no file, or an empty one: pass PNG, JPEG or .npy"),
    ("--images=a.png,", "--images names no file, or an empty one: pass PNG, JPEG or .npy"),
    ("--steps=-1", "--steps=-1"),
    ("--max_steps=0", "--max_steps=0"),
    ("--steps=99999999999999999999", "--steps=99999999999999999999"),
    ("--max_steps=9223372036854775808", "--max_steps=9223372036854775808"),
    ("--batch_size=-5", "--batch_size=-5"),
    ("--eval_every=0", "--eval_every=0"),
    ("--log_every=0", "--log_every=0"),
    ("--save_checkpoints_steps=0", "--save_checkpoints_steps=0"),
    ("--seed=-1", "--seed=-1"),
    ("--train_subset=0", "--train_subset=0"),
    ("--predict_indices=10000", "--predict_indices must be integers in 0..9999"),
    ("--predict_indices=-1", "--predict_indices must be integers in 0..9999"),
    ("--predict_indices=", "--predict_indices must be integers in 0..9999"),
])
def test_flags_past_their_limits_are_refused(tmp_path, flag, message):
  result = run_script(flag, cwd=str(tmp_path))
  assert result.returncode != 0 and message in result.stderr, result.stderr
  assert "Traceback" not in result.stderr and os.listdir(tmp_path) == []


def test_train_subset_past_the_training_set_is_refused(fixture_data, tmp_path, capsys):
  model_dir = tmp_path / "model"
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                        "--train_subset=301", "--steps=1") == 1
  assert_one_line_error(capsys.readouterr().err, "--train_subset=301 is more than the 300 "
                        "training images: pass at most 300")
  assert not model_dir.exists()


def test_a_learning_rate_that_overflows_the_weights_ends_in_the_divergence_line(
    fixture_data, tmp_path, capsys):
  """1e30 is finite, so the flag takes it; Adam's first update moves each weight by about the
  learning rate, so the next forward pass overflows float32 on every CPU."""
  model_dir = str(tmp_path / "model")
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                        "--learning_rate=1e30", "--steps=5") == 1
  err = capsys.readouterr().err
  assert_one_line_error(err, "error: training diverged: the loss or a weight became NaN or "
                        "infinite at step ")
  assert f"the latest checkpoint is {model_dir}/model.ckpt-0: lower --learning_rate" in err
  latest = v1.train.latest_checkpoint(model_dir)
  assert latest == os.path.join(model_dir, "model.ckpt-0")
  reader = v1.train.load_checkpoint(latest)
  assert all(np.all(np.isfinite(reader.get_tensor(name)))
             for name in reader.get_variable_to_shape_map())
  with open(os.path.join(model_dir, saved_params.PARAMS_FILE)) as f:
    saved = json.loads(f.read(), parse_constant=lambda name: pytest.fail(f"params.json: {name}"))
  assert saved["learning_rate"] == 1e30
  assert not os.path.exists(os.path.join(model_dir, safety.LOCK_FILE))


@pytest.mark.parametrize("flags,message", [
    (["--batch_size=1000000000000", "--train_subset=200"],
     "--batch_size=1000000000000 is more than the 200 training images of --train_subset=200: "
     "pass --batch_size=200 or less or a larger --train_subset"),
    (["--preset=keras_cnn", "--train_subset=100"],
     "--preset=keras_cnn's batch of 128 is more than the 70 training images of --train_subset=100 "
     "left by the recipe's validation split: pass --batch_size=70 or less or a larger "
     "--train_subset"),
    (["--batch_size=301"],
     "--batch_size=301 is more than the 300 training images: pass --batch_size=300 or less"),
], ids=["explicit_with_subset", "preset_after_its_split", "explicit"])
@pytest.mark.parametrize("with_model_dir", [True, False])
def test_a_batch_larger_than_the_training_split_is_refused_before_anything_is_written(
    fixture_data, tmp_path, capsys, monkeypatch, flags, message, with_model_dir):
  monkeypatch.chdir(tmp_path)  # Without --model_dir, training would make runs/ here.
  model_dir = [f"--model_dir={tmp_path / 'model'}"] if with_model_dir else []
  assert run_in_process(f"--data_dir={fixture_data}", *model_dir, *flags, "--steps=1") == 1
  err = capsys.readouterr().err
  assert_one_line_error(err, message)
  assert err == f"error: {message}\n"
  assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("preset,problem", [
    ("small_cnn", "this recipe trains on the first 1,000 training images and validates on the "
     "next 1,000, but the data has only 100: "),
    ("bn_cnn", "this recipe holds out 1,000 images of each class for validation, but the data "
     "has "),
])
def test_a_split_larger_than_train_subset_says_to_raise_it(fixture_data, tmp_path, capsys, preset,
                                                           problem):
  """Not "pass --data_dir with the full Fashion-MNIST": the user has it, and cut it short."""
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={tmp_path / 'model'}",
                        f"--preset={preset}", "--train_subset=100") == 1
  err = capsys.readouterr().err
  assert_one_line_error(err, problem)
  assert err.endswith(": pass a larger --train_subset than 100, or leave it out\n"), err
  assert os.listdir(tmp_path) == []


HAND_EDITED_PARAMS = {  # params.json's entry: the error after "error: MODEL_DIR/params.json".
    '"conv_blocks": "three"': ': conv_blocks must be 2 or 3, not "three": correct it there, or '
                               "pass --conv_blocks",
    '"conv_blocks": 7': ": conv_blocks must be 2 or 3, not 7: correct it there, or pass "
                        "--conv_blocks",
    '"conv_blocks": true': ": conv_blocks must be 2 or 3, not true: correct it there, or pass "
                           "--conv_blocks",
    '"dropout_dense": 1.5': ": dropout_dense must be in [0, 1), not 1.5: correct it there, or "
                            "pass --dropout_dense",
    '"optimizer": "sgdx"': ': optimizer must be one of adam, gradient_descent, not "sgdx": '
                           "correct it there, or pass --optimizer",
    '"learning_rate": "fast"': ": learning_rate must be > 0 and at most 3.403e+38 (float32's "
                               'largest number, which training computes in), not "fast": correct '
                               "it there, or pass --learning_rate",
    '"learning_rate": Infinity': ": learning_rate must be > 0 and at most 3.403e+38 (float32's "
                                 "largest number, which training computes in), not Infinity: "
                                 "correct it there, or pass --learning_rate",
    '"preset": "blog"': ': preset must be one of blog_cnn, tf_tutorial, keras_cnn, small_cnn, '
                        'bn_cnn, mlp, small_conv2, not "blog": correct it there, or pass --preset',
    '"colour": "red"': ' holds an unknown key, "colour" (set to "red"): delete it there; the keys '
                       "are preset, conv_blocks, ",
}


def _edit_params(model_dir, entry):
  """Sets params.json's entry (JSON text such as '"conv_blocks": 7') as a hand edit would."""
  path = os.path.join(model_dir, saved_params.PARAMS_FILE)
  with open(path) as f:
    saved = json.load(f)
  with open(path, "w") as f:
    json.dump({**saved, **json.loads("{" + entry + "}")}, f)
  return path


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("entry", HAND_EDITED_PARAMS)
def test_a_hand_edited_params_json_is_refused_untouched(fixture_data, trained, tmp_path, capsys,
                                                         entry, mode):
  """Before anything is written (the plan's last step, an event file) and before the checkpoint
  is checked: conv_blocks 7 is params.json's mistake, not the checkpoint's."""
  model_dir = copy_of(trained, tmp_path)
  path = _edit_params(model_dir, entry)
  before = snapshot(model_dir)
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                        f"--mode={mode}", *(["--steps=1"] if mode == "train" else [])) == 1
  captured = capsys.readouterr()
  assert_one_line_error(captured.err, f"error: {path}{HAND_EDITED_PARAMS[entry]}")
  assert snapshot(model_dir) == before and "Traceback" not in captured.out


def test_a_flag_replaces_the_broken_value_it_names(fixture_data, trained, tmp_path, capsys):
  model_dir = copy_of(trained, tmp_path)
  path = _edit_params(model_dir, '"learning_rate": Infinity')
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", "--steps=1",
                        "--learning_rate=0.01") == 0
  with open(path) as f:
    assert json.load(f)["learning_rate"] == 0.01
  capsys.readouterr()


@pytest.mark.parametrize("where", ["read-only folder", "/proc"])
def test_eval_with_an_unwritable_report_dir_writes_nothing(fixture_data, trained, tmp_path, capsys,
                                                           where):
  """Refused before the evaluation, which would add an event file to MODEL_DIR/eval; /proc is
  a place os.access calls writable for root."""
  model_dir = copy_of(trained, tmp_path)
  folder = str(tmp_path / "reports")
  os.mkdir(folder)
  report_dir = (os.path.join(folder, "report") if where == "read-only folder"
                else f"/proc/estimator_cnn-{os.getpid()}")
  before = snapshot(model_dir)
  with read_only(folder):
    assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                          "--mode=eval", f"--report_dir={report_dir}") == 1
  captured = capsys.readouterr()
  assert captured.err == (f"error: --report_dir={report_dir} is not writable: pick a folder you "
                          "can write to\n") and captured.out == ""
  assert snapshot(model_dir) == before and os.listdir(folder) == []


def test_eval_on_zero_test_images_is_refused(trained, tmp_path, capsys):
  data_dir = str(tmp_path / "data")
  _empty(data_dir, "test")
  before = snapshot(trained)
  assert run_in_process(f"--data_dir={data_dir}", f"--model_dir={trained}", "--mode=eval",
                        f"--report_dir={tmp_path / 'report'}") == 1
  assert_one_line_error(capsys.readouterr().err, f"error: {data_dir}/t10k-images-idx3-ubyte.gz "
                        "holds 0 images: re-install or re-download it")
  assert snapshot(trained) == before and not (tmp_path / "report").exists()


def test_a_csv_separated_by_semicolons_is_a_short_line(tmp_path, capsys):
  data_dir = idx_fixtures.write_fixture_csv(tmp_path / "data", 20, 10)
  for name in idx_csv.CSV_FILES.values():
    path = os.path.join(data_dir, name)
    with open(path) as f:
      text = f.read()
    with open(path, "w") as f:
      f.write(text.replace(",", ";"))
  assert run_in_process(f"--data_dir={data_dir}", f"--model_dir={tmp_path / 'model'}",
                        "--steps=1") == 1
  err = capsys.readouterr().err
  assert_one_line_error(err, "has no 'label' column first (';' separates its fields: save it "
                        "with ','): its header starts with 'label;pixel1;pixel2;")
  assert len(err) < 400 and not (tmp_path / "model").exists()


def test_max_steps_already_reached_changes_nothing(fixture_data, trained, tmp_path, capsys):
  model_dir = copy_of(trained, tmp_path)
  before = snapshot(model_dir)
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                        "--max_steps=1") == 0
  assert capsys.readouterr().out == (
      f"global step 2 already reaches --max_steps=1: nothing to train, {model_dir} left as it "
      f"was (evaluate it: python run.py --mode=eval --model_dir={model_dir})\n")
  assert snapshot(model_dir) == before


def test_tilde_expands_in_path_flags_and_path_hints_are_quoted(fixture_data, trained, tmp_path,
                                                              capsys, monkeypatch):
  """bash leaves ~ after `=` as it is; a space in a printed path would break pasting it."""
  home, work = tmp_path / "home", tmp_path / "work"
  os.makedirs(home)
  os.makedirs(work)
  monkeypatch.setenv("HOME", str(home))
  monkeypatch.chdir(work)
  model_dir = str(home / "my run")
  assert run_in_process(f"--data_dir={fixture_data}", "--model_dir=~/my run", *TINY,
                        "--optimizer=gradient_descent", "--steps=1") == 0
  hint = [line for line in capsys.readouterr().out.splitlines() if "evaluate again: " in line][0]
  assert shlex.split(hint.split("evaluate again: ")[1].rstrip(")")) == [
      "python", "run.py", "--mode=eval", f"--model_dir={model_dir}"]
  assert os.path.exists(os.path.join(model_dir, "model.ckpt-1.index"))
  np.save(home / "shirt.npy", np.zeros((28, 28)))
  os.symlink(fixture_data, home / "data")
  for args in (["--mode=eval", f"--model_dir={trained}", f"--data_dir={fixture_data}",
                "--report_dir=~/report"],
               ["--mode=predict", f"--model_dir={trained}", "--images=~/shirt.npy",
                "--output=~/preds.csv"],
               ["--mode=export", f"--model_dir={trained}", "--export_dir=~/export"],
               ["--mode=inspect", "--data_dir=~/data", "--report_dir=~/data_report"]):
    assert run_in_process(*args) == 0, args
  assert os.listdir(work) == []
  assert sorted(os.listdir(home)) == ["data", "data_report", "export", "my run", "preds.csv",
                                      "report", "shirt.npy"]
  capsys.readouterr()


def test_predict_indices_past_the_test_set_are_refused(fixture_data, trained, capsys):
  common = [f"--data_dir={fixture_data}", f"--model_dir={trained}", "--mode=predict"]
  before = snapshot(trained)
  assert run_in_process(*common, "--predict_indices=99") == 0
  assert capsys.readouterr().out.splitlines()[1].startswith("test image 99: ")
  assert run_in_process(*common, "--predict_indices=5,9999") == 1
  captured = capsys.readouterr()
  assert captured.out == ""
  assert_one_line_error(captured.err, f"--predict_indices=9999 is past the 100 test images in "
                        f"{fixture_data}: pass indices 0..99")
  assert snapshot(trained) == before


WRONG_MODE = {  # {model}, {data}, {tmp}: the trained model_dir, the data, a folder.
    "images without --mode": (["--images={tmp}/shirt.npy"],
                              "--images is for --mode=predict, not --mode=train: add "
                              "--mode=predict, or leave --images out"),
    "output in train": (["--mode=train", "--output={tmp}/predictions.json"],
                        "--output is for --mode=predict, not --mode=train: use --mode=predict, or "
                        "leave --output out"),
    "export_dir in eval": (["--mode=eval", "--data_dir={data}", "--export_dir={tmp}/export"],
                           "--export_dir is for --mode=export, not --mode=eval: use "
                           "--mode=export, or leave --export_dir out"),
    "steps in eval": (["--mode=eval", "--steps=5"],
                      "--steps is for --mode=train or train_and_eval, not --mode=eval: pick one "
                      "of those modes, or leave --steps out"),
    "batch_size in predict": (["--mode=predict", "--batch_size=10"],
                              "--batch_size is for --mode=train or train_and_eval, not "
                              "--mode=predict: pick one of those modes, or leave --batch_size out"),
    "learning_rate in export": (["--mode=export", "--export_dir={tmp}/export",
                                 "--learning_rate=0.1"],
                                "--learning_rate is for --mode=train or train_and_eval, not "
                                "--mode=export: pick one of those modes, or leave "
                                "--learning_rate out"),
    "data_dir in export": (["--mode=export", "--export_dir={tmp}/export", "--data_dir={data}"],
                           "--data_dir is for --mode=train, train_and_eval, eval, predict or "
                           "inspect, not --mode=export: pick one of those modes, or leave "
                           "--data_dir out"),
    "model_dir in inspect": (["--mode=inspect", "--report_dir={tmp}/report"],
                             "--model_dir is for --mode=train, train_and_eval, eval, predict or "
                             "export, not --mode=inspect: pick one of those modes, or leave "
                             "--model_dir out"),
    "checkpoint in train": (["--checkpoint=0", "--steps=1"],
                            "--checkpoint is for --mode=eval, predict or export, not --mode=train: "
                            "pick one of those modes, or leave --checkpoint out"),
    "eval_every in train": (["--eval_every=1", "--steps=1"],
                            "--eval_every is for --mode=train_and_eval, not --mode=train: add "
                            "--mode=train_and_eval, or leave --eval_every out"),
    "report_dir in train_and_eval": (["--mode=train_and_eval", "--report_dir={tmp}/report"],
                                     "--report_dir is for --mode=eval or inspect, not "
                                     "--mode=train_and_eval: pick one of those modes, or leave "
                                     "--report_dir out"),
    "invert without images": (["--mode=predict", "--invert=yes"],
                              "--invert needs --images: add --images=FILE,..., or leave --invert "
                              "out"),
    "predict_indices with images": (["--mode=predict", "--images={tmp}/shirt.npy",
                                     "--predict_indices=3"],
                                    "--predict_indices is for predicting test images, not "
                                    "--images files: leave --predict_indices or --images out"),
    "data_dir with images": (["--mode=predict", "--images={tmp}/shirt.npy", "--data_dir={data}"],
                             "--data_dir is for predicting test images, not --images files: "
                             "leave --data_dir or --images out"),
}


@pytest.mark.parametrize("case", WRONG_MODE)
def test_flag_of_another_mode_is_refused_untouched(fixture_data, trained, tmp_path, capsys, case):
  args, message = WRONG_MODE[case]
  np.save(tmp_path / "shirt.npy", np.zeros((28, 28)))
  before, model_before = snapshot(tmp_path), snapshot(trained)
  assert run_in_process(f"--model_dir={trained}", *(
      arg.format(model=trained, data=fixture_data, tmp=tmp_path) for arg in args)) == 2
  captured = capsys.readouterr()
  assert captured.err == f"error: {message}\n" and captured.out == ""
  assert snapshot(tmp_path) == before and snapshot(trained) == model_before


def test_forgotten_mode_is_refused_on_the_command_line(trained, tmp_path):
  """The issue's case: predicting shirt.png without --mode=predict trained on instead."""
  before = snapshot(trained)
  done = run_script(f"--model_dir={trained}", "--images=shirt.png", cwd=str(tmp_path))
  assert done.returncode == 2 and done.stdout == ""
  assert done.stderr == ("error: --images is for --mode=predict, not --mode=train: add "
                         "--mode=predict, or leave --images out\n")
  assert snapshot(trained) == before and os.listdir(tmp_path) == []


def test_verbose_adds_the_traceback(tmp_path, capsys):
  missing = tmp_path / "nowhere"
  assert run_in_process(f"--data_dir={missing}", "--verbose") == 1
  err = capsys.readouterr().err.strip().splitlines()
  assert err[0] == "Traceback (most recent call last):"
  assert err[-2].startswith("estimator_cnn.base.errors.DataError: data folder ")
  assert err[-1].startswith(f"error: data folder {missing} does not exist")
  assert os.listdir(tmp_path) == []


def _bug():
  raise ZeroDivisionError("a bug, not the user's mistake")


def test_unexpected_exception_keeps_its_traceback():
  with pytest.raises(ZeroDivisionError, match="a bug"):
    command.run(f"{__name__}:_bug")

