"""estimator_cnn.safety: one writer per model_dir, clean stops on signals, no diverged checkpoint.

The crash-and-resume test with SIGKILL takes minutes and is not part of this
suite: python tests/faults/run_faults.py.
"""

import json
import os
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

from estimator_cnn.app import train
from estimator_cnn.training import safety
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base.errors import UserError
from tests.helpers import (SUBPROCESS_TIMEOUT_SECS, TINY, poison_weights_at, run_in_process,
                           sigint_after, snapshot, stop_with_sigterm, training_in_background,
                           wait_for)

v1 = tf.compat.v1


def dead_pid():
  """The pid of a process that has ended."""
  process = subprocess.Popen([sys.executable, "-c", "pass"])
  try:
    process.wait(timeout=SUBPROCESS_TIMEOUT_SECS)
  finally:
    process.kill()  # Does nothing once it has ended.
  return process.pid


def write_lock(model_dir, pid, host=None):
  with open(os.path.join(model_dir, safety.LOCK_FILE), "w") as f:
    json.dump({"pid": pid, "host": host or socket.gethostname(), "started": "earlier"}, f)


def read_lock(model_dir):
  with open(os.path.join(model_dir, safety.LOCK_FILE)) as f:
    return json.load(f)


def latest_step(model_dir):
  return int(v1.train.latest_checkpoint(model_dir).rsplit("-", 1)[1])


def test_second_lock_is_refused_naming_the_holder(tmp_path):
  with safety.ModelDirLock(str(tmp_path)):
    assert read_lock(tmp_path)["pid"] == os.getpid()
    before = snapshot(tmp_path)
    with pytest.raises(UserError, match=f"is being trained by process {os.getpid()} on "):
      with safety.ModelDirLock(str(tmp_path)):
        pass
    assert snapshot(tmp_path) == before
  assert os.listdir(tmp_path) == []


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
  pid = dead_pid()
  write_lock(tmp_path, pid)
  printed = []
  with safety.ModelDirLock(str(tmp_path), printer=printed.append):
    assert read_lock(tmp_path)["pid"] == os.getpid()
  assert printed == [f"took over the stale lock of process {pid}, which is no longer running"]
  assert os.listdir(tmp_path) == []


def test_lock_of_another_host_is_never_taken_over(tmp_path):
  write_lock(tmp_path, dead_pid(), host="elsewhere.example")
  before = snapshot(tmp_path)
  with pytest.raises(UserError, match="on elsewhere.example since earlier"):
    with safety.ModelDirLock(str(tmp_path)):
      pass
  assert snapshot(tmp_path) == before


def test_partial_files_of_an_interrupted_run_are_removed_with_the_lock_held(tmp_path):
  (tmp_path / "model.ckpt-5_temp").mkdir()
  (tmp_path / "model.ckpt-5_temp" / "part-00000-of-00001.data-00000-of-00001").write_text("x")
  for name in ("checkpoint.tmp3f2a", "model.ckpt-5.data-00000-of-00001.tempstate42",
               "params.json.tmp"):
    (tmp_path / name).write_text("partial")
  kept = {name: "complete" for name in ("checkpoint", "model.ckpt-0.index", "params.json")}
  for name, text in kept.items():
    (tmp_path / name).write_text(text)
  printed = []
  with safety.ModelDirLock(str(tmp_path), printer=printed.append):
    assert sorted(os.listdir(tmp_path)) == sorted([*kept, safety.LOCK_FILE])
  assert printed == ["removed 4 partial file(s) of an interrupted run: checkpoint.tmp3f2a, "
                     "model.ckpt-5.data-00000-of-00001.tempstate42, model.ckpt-5_temp, "
                     "params.json.tmp"]


def test_the_partial_files_of_a_failed_save_are_removed_with_the_lock(tmp_path):
  (tmp_path / "model.ckpt-0.index").write_text("complete")
  with pytest.raises(OSError, match="No space left on device"):
    with safety.ModelDirLock(str(tmp_path)):
      (tmp_path / "model.ckpt-6_temp").mkdir()  # As a save on a full disk leaves it.
      (tmp_path / "model.ckpt-6_temp" / "part-00000-of-00001.data-00000-of-00001").write_text("x")
      raise OSError(28, "No space left on device")
  assert os.listdir(tmp_path) == ["model.ckpt-0.index"]


def test_the_lock_temporaries_of_ended_processes_are_removed_at_the_next_start(tmp_path):
  """A full disk left .estimator_cnn.lock.PID.tmp empty; a live process's is its lock attempt."""
  dead, alive = dead_pid(), os.getppid()
  for name in (f"{safety.LOCK_FILE}.{dead}.tmp", f"{safety.LOCK_FILE}.{dead}.stale",
               f"{safety.LOCK_FILE}.{alive}.tmp"):
    (tmp_path / name).write_text("")
  printed = []
  with safety.ModelDirLock(str(tmp_path), printer=printed.append):
    pass
  assert os.listdir(tmp_path) == [f"{safety.LOCK_FILE}.{alive}.tmp"]
  assert printed == [f"removed 2 partial file(s) of an interrupted run: {safety.LOCK_FILE}.{dead}"
                     f".stale, {safety.LOCK_FILE}.{dead}.tmp"]


def test_a_lock_write_on_a_full_disk_leaves_no_temporary(tmp_path, monkeypatch):
  def full_disk(*args, **kwargs):
    del args, kwargs
    raise OSError(28, "No space left on device")

  monkeypatch.setattr(safety.json, "dump", full_disk)
  with pytest.raises(OSError, match="No space left on device"):
    with safety.ModelDirLock(str(tmp_path)):
      pass
  assert os.listdir(tmp_path) == []


def save_series(model_dir, weights):
  """Saves one checkpoint per weight vector, at steps 1, 2, ...; returns their paths."""
  paths = []
  with tf.Graph().as_default():
    step = v1.train.get_or_create_global_step()
    w = v1.get_variable("w", [2], tf.float32)
    value = v1.placeholder(tf.float32, [2])
    assign = tf.group(v1.assign(w, value), v1.assign_add(step, 1))
    saver = v1.train.Saver(max_to_keep=10, save_relative_paths=True)
    with v1.Session() as session:
      session.run(v1.global_variables_initializer())
      for vector in weights:
        session.run(assign, {value: vector})
        paths.append(saver.save(session, os.path.join(model_dir, "model.ckpt"), global_step=step))
  return paths


def state_file(model_dir):
  with open(os.path.join(model_dir, "checkpoint")) as f:
    return f.read()


def test_rollback_points_checkpoint_at_the_newest_finite_one(tmp_path):
  model_dir = str(tmp_path)
  paths = save_series(model_dir, [[1, 2], [3, 4], [5, np.nan]])
  assert safety.rollback_to_finite_checkpoint(model_dir) == paths[1]
  state = v1.train.get_checkpoint_state(model_dir)
  assert state.model_checkpoint_path == paths[1]
  assert list(state.all_model_checkpoint_paths) == paths[:2]
  assert 'model_checkpoint_path: "model.ckpt-2"' in state_file(model_dir)  # Still relative.
  np.testing.assert_array_equal(v1.train.load_variable(model_dir, "w"), [3, 4])


@pytest.mark.parametrize("weights,returned", [
    ([[1, 2], [3, 4]], 1),
    ([[np.nan, 2], [np.inf, 0]], None),
])
def test_rollback_leaves_the_state_file_alone_when_the_newest_is_finite_or_none_is(
    tmp_path, weights, returned):
  model_dir = str(tmp_path)
  paths = save_series(model_dir, weights)
  before = state_file(model_dir)
  assert safety.rollback_to_finite_checkpoint(model_dir) == (
      paths[returned] if returned is not None else None)
  assert state_file(model_dir) == before


def test_rollback_without_checkpoint_does_nothing(tmp_path):
  assert safety.rollback_to_finite_checkpoint(str(tmp_path)) is None
  assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("poisoned_at,steps", [
    (5, 50),  # The next step's loss is NaN.
    (8, 8),  # The last step: its loss was computed before the update, finite; the weights are not.
])
def test_divergence_stops_in_one_line_keeping_a_finite_checkpoint(
    fixture_data, tmp_path, capsys, monkeypatch, poisoned_at, steps):
  model_dir = str(tmp_path / "model")
  monkeypatch.setattr(train, "ProgressHook", poison_weights_at(poisoned_at))
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                        f"--steps={steps}", "--save_checkpoints_steps=1") == 1
  err = capsys.readouterr().err
  assert err.startswith("error: training diverged: the loss or a weight became NaN or infinite "
                        f"at step {poisoned_at + (steps > poisoned_at)};")
  latest = v1.train.latest_checkpoint(model_dir)
  assert len(err.strip().splitlines()) == 1 and "lower --learning_rate (now 0.001)" in err
  assert f"the latest checkpoint is {latest}:" in err
  assert latest_step(model_dir) == poisoned_at - 1
  for path in v1.train.get_checkpoint_state(model_dir).all_model_checkpoint_paths:
    reader = v1.train.load_checkpoint(path)
    for name in reader.get_variable_to_shape_map():
      assert np.all(np.isfinite(reader.get_tensor(name))), (path, name)
  assert not os.path.exists(os.path.join(model_dir, safety.LOCK_FILE))


def test_sigint_saves_at_the_current_step_and_says_how_to_resume(fixture_data, tmp_path, capsys,
                                                                 monkeypatch):
  model_dir = str(tmp_path / "model")
  common = [f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY]
  handler = signal.getsignal(signal.SIGINT)
  monkeypatch.setattr(train, "ProgressHook", sigint_after(3))
  assert run_in_process(*common, "--steps=50") == 130
  monkeypatch.undo()
  err = capsys.readouterr().err
  assert err == (f"interrupted by SIGINT: checkpoint saved at global step 3 in {model_dir}; "
                 f"resume with: python run.py --model_dir={model_dir} --max_steps=50 "
                 "--batch_size=20\n")
  assert latest_step(model_dir) == 3 and signal.getsignal(signal.SIGINT) is handler
  index = os.path.join(model_dir, "model.ckpt-3.index")
  resumed_from = os.stat(index)

  assert run_in_process(*common, "--steps=2") == 0
  assert "global_step 5" in capsys.readouterr().out
  after = os.stat(index)  # Resuming does not write the checkpoint it resumed from again.
  assert (after.st_ino, after.st_mtime_ns) == (resumed_from.st_ino, resumed_from.st_mtime_ns)


def test_the_resume_hint_continues_the_same_plan(fixture_data, tmp_path, capsys, monkeypatch):
  model_dir = str(tmp_path / "model")
  monkeypatch.setattr(train, "ProgressHook", sigint_after(2))
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}",
                        "--conv_blocks=2", "--batch_size=10", "--max_steps=12") == 130
  monkeypatch.undo()
  hint = capsys.readouterr().err.strip().split("resume with: python run.py ")[1]
  # Run as printed (and on the test's data): the same batch size, up to the same step.
  assert run_in_process(f"--data_dir={fixture_data}", *hint.split(), "--log_every=10") == 0
  out = capsys.readouterr().out
  assert "step 12/12  loss" in out and "global_step 12  (100 test images)" in out
  assert hint.split()[1:] == ["--max_steps=12", "--batch_size=10"]


def test_second_process_is_refused_and_sigterm_saves_and_exits_143(fixture_data, tmp_path, capsys):
  model_dir, log_path = str(tmp_path / "model"), tmp_path / "first.log"
  common = [f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY]
  with training_in_background(log_path, *common, "--steps=100000", "--log_every=1") as first:
    wait_for(lambda: "\nstep 2/" in log_path.read_text(), "training to start", first)
    first.send_signal(signal.SIGSTOP)  # Its files stay as they are while the second one runs.
    before = snapshot(model_dir)
    assert run_in_process(*common, "--steps=5", "--learning_rate=0.1") == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {model_dir} is being trained by process {first.pid} on ")
    assert len(err.strip().splitlines()) == 1
    assert snapshot(model_dir) == before
    first.send_signal(signal.SIGCONT)
    stop_with_sigterm(first)
  output = log_path.read_text()
  assert first.returncode == 143, output[-3000:]
  step = latest_step(model_dir)
  assert (f"interrupted by SIGTERM: checkpoint saved at global step {step} in {model_dir}; "
          f"resume with: python run.py --model_dir={model_dir} --max_steps=") in output
  assert step >= 2 and "Traceback" not in output
  assert not os.path.exists(os.path.join(model_dir, safety.LOCK_FILE))


def test_stale_lock_left_in_a_model_dir_is_taken_over_by_training(fixture_data, tmp_path,
                                                                  capsys):
  model_dir = tmp_path / "model"
  model_dir.mkdir()
  pid = dead_pid()
  write_lock(model_dir, pid)
  assert run_in_process(f"--data_dir={fixture_data}", f"--model_dir={model_dir}", *TINY,
                        "--steps=2") == 0
  assert f"took over the stale lock of process {pid}" in capsys.readouterr().out
  assert latest_step(model_dir) == 2 and not (model_dir / safety.LOCK_FILE).exists()


@pytest.mark.parametrize("error,message", [
    (OSError(28, os.strerror(28), "params.json.tmp"),
     "No space left on device, the disk is full; the latest checkpoint is none: free some space"),
    (tf.errors.ResourceExhaustedError(None, None, "model.ckpt-5_temp/part; No space left on "
                                      "device"), "the disk is full"),
    (tf.errors.PermissionDeniedError(None, None, "graph.pbtxt.tmp1; Permission denied"),
     "Permission denied, the folder is not writable; the latest checkpoint is none: make it "
     "writable and run again to resume from it, or pass another --model_dir"),
    (tf.errors.FailedPreconditionError(None, None, "checkpoint.tmp2; Read-only file system"),
     "Read-only file system, the folder is not writable"),
    (RuntimeError("events.out.tfevents.1; No space left on device\n\tFailed to flush 2 events"),
     "No space left on device, the disk is full"),  # TensorFlow's event file writer.
])
def test_write_failures_become_one_line(tmp_path, error, message):
  with pytest.raises(UserError) as raised:
    with safety.write_failures_reported(str(tmp_path)):
      raise error
  assert str(raised.value).startswith(f"cannot write to {tmp_path}: ")
  assert message in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.parametrize("error", [
    tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[1024]"),
    FileNotFoundError(2, "No such file or directory"),
    RuntimeError("a bug, not a failed write"),
])
def test_other_errors_are_not_mistaken_for_write_failures(tmp_path, error):
  with pytest.raises(type(error)):
    with safety.write_failures_reported(str(tmp_path)):
      raise error
