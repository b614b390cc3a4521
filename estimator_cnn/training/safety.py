"""Keeps a model_dir resumable through crashes, signals, divergence and failed writes.

One writer at a time (ModelDirLock, which also removes the partial files an
interrupted writer left); SIGINT and SIGTERM stop training with a checkpoint
(StopOnSignal); the checkpoint training resumed from is never written again
(CheckpointSaverHook); a diverged run leaves its last finite checkpoint as the
latest (DivergenceHook, rollback_to_finite_checkpoint); a full disk or a folder
that is not writable ends training in one line (write_failures_reported).
"""

import contextlib
import datetime
import glob
import json
import os
import re
import shutil
import signal
import socket

import numpy as np

from estimator_cnn.base.tf_setup import tf
from estimator_cnn.base import write_failures
from estimator_cnn.base.errors import UserError
from estimator_cnn.training.model_dir import checkpoint_index

LOCK_FILE = ".estimator_cnn.lock"
# Files of writes that never finished: TensorFlow's checkpoint shards before their merge
# (model.ckpt-N_temp/, *.tempstate*) and files written under a temporary name then renamed
# (checkpoint.tmp*, graph.pbtxt.tmp*, params.json.tmp).
PARTIAL_FILE_PATTERNS = ("*_temp", "*.tempstate*", "*.tmp*")
# The lock's own temporary names (ModelDirLock), hidden from PARTIAL_FILE_PATTERNS by their dot;
# left behind when their process died or a full disk stopped the write.
LOCK_TEMPORARY = re.compile(re.escape(LOCK_FILE) + r"\.(\d+)\.(tmp|stale)")
v1 = tf.compat.v1


def _process_alive(pid):
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  except PermissionError:
    return True
  return True


def partial_files(model_dir):
  """Leftovers in model_dir of writes that never finished, e.g. after a SIGKILL; the lock's
  temporary files only once their process has ended."""
  found = {path for pattern in PARTIAL_FILE_PATTERNS
           for path in glob.glob(os.path.join(glob.escape(model_dir), pattern))}
  for path in glob.glob(os.path.join(glob.escape(model_dir), glob.escape(LOCK_FILE) + ".*")):
    match = LOCK_TEMPORARY.fullmatch(os.path.basename(path))
    if match and not _process_alive(int(match.group(1))):
      found.add(path)
  return sorted(found)


def _remove(path):
  if os.path.isdir(path):
    shutil.rmtree(path, ignore_errors=True)
  else:
    with contextlib.suppress(FileNotFoundError):
      os.remove(path)


class ModelDirLock:
  """An exclusive lock file in model_dir naming its holder; a dead holder's lock is taken over.

  Holding the lock, it removes the partial files an interrupted writer left, and
  on release those of its own holder's writes that failed (a full disk leaves a
  checkpoint's model.ckpt-N_temp folder of shards).
  """

  def __init__(self, model_dir, printer=print):
    self._model_dir = model_dir
    self._path = os.path.join(model_dir, LOCK_FILE)
    self._print = printer
    self._held = False
    self._partial_before = set()

  def _holder(self):
    try:
      with open(self._path) as f:
        return json.load(f)
    except (OSError, ValueError):
      return None

  def _try_create(self):
    """Creates the lock with its content in one step (a hard link), so it is never seen empty."""
    temp = f"{self._path}.{os.getpid()}.tmp"
    try:
      with open(temp, "w") as f:
        json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                   "started": datetime.datetime.now().isoformat(timespec="seconds")}, f)
      os.link(temp, self._path)
    except FileExistsError:
      return False
    finally:
      with contextlib.suppress(FileNotFoundError):
        os.remove(temp)  # Also when the write failed: a full disk leaves it empty.
    return True

  def __enter__(self):
    if not self._try_create():
      holder = self._holder()
      same_host = holder and holder.get("host") == socket.gethostname()
      if holder and not (same_host and not _process_alive(int(holder.get("pid", -1)))):
        raise UserError(
            f"{self._model_dir} is being trained by process {holder.get('pid')} on "
            f"{holder.get('host')} since {holder.get('started')}: wait for it, stop it, or use "
            "another --model_dir")
      stale = f"{self._path}.{os.getpid()}.stale"
      try:
        os.replace(self._path, stale)  # Only one process wins the rename of a stale lock.
        os.remove(stale)
      except FileNotFoundError:
        pass
      if not self._try_create():
        raise UserError(f"{self._model_dir} was just locked by another process: "
                        "use another --model_dir")
      self._print(f"took over the stale lock of process {holder and holder.get('pid')}, "
                  "which is no longer running")
    self._held = True
    leftovers = partial_files(self._model_dir)
    for path in leftovers:
      _remove(path)
    if leftovers:
      self._print(f"removed {len(leftovers)} partial file(s) of an interrupted run: "
                  f"{', '.join(os.path.basename(path) for path in leftovers)}")
    self._partial_before = set(partial_files(self._model_dir))  # Those it could not remove.
    return self

  def __exit__(self, *exc_info):
    if self._held:
      for path in set(partial_files(self._model_dir)) - self._partial_before:
        _remove(path)
      if (self._holder() or {}).get("pid") == os.getpid():
        os.remove(self._path)
    self._held = False


def write_failures_reported(model_dir):
  """write_failures.failed_writes_in_one_line for training in model_dir: the line names the latest
  checkpoint."""
  return write_failures.failed_writes_in_one_line(
      lambda cause, reason, fix: f"cannot write to {model_dir}: {cause}, {reason}; the latest "
      f"checkpoint is {v1.train.latest_checkpoint(model_dir) or 'none'}: {fix} and run again to "
      "resume from it, or pass another --model_dir")


class StopOnSignal(v1.train.SessionRunHook):
  """On SIGINT or SIGTERM, asks training to stop after the current step, which saves a checkpoint.

  Use as a context manager around training and pass it as a hook; a second
  signal of the same kind falls back to the default behaviour.
  """

  SIGNALS = (signal.SIGINT, signal.SIGTERM)

  def __init__(self):
    self.received = None
    self._previous = {}

  def _handle(self, signum, frame):
    del frame
    self.received = signal.Signals(signum)
    signal.signal(signum, self._previous.get(signum, signal.SIG_DFL))

  def __enter__(self):
    for signum in self.SIGNALS:
      self._previous[signum] = signal.signal(signum, self._handle)
    return self

  def __exit__(self, *exc_info):
    for signum, handler in self._previous.items():
      signal.signal(signum, handler)

  def after_run(self, run_context, run_values):
    if self.received is not None:
      run_context.request_stop()


class CheckpointSaverHook(v1.train.CheckpointSaverHook):
  """tf.estimator's checkpoint saver, except that it does not save again the step it resumed at.

  tf.estimator saves a checkpoint as soon as the session starts, and saving a
  step that is already saved rewrites its index file in place: a crash then
  would break the very checkpoint a restart resumes from.
  """

  def begin(self):
    super().begin()
    latest = v1.train.latest_checkpoint(self._checkpoint_dir)
    self._resumed_at = int(v1.train.load_variable(latest, "global_step")) if latest else None

  def _save(self, session, step):
    if step == self._resumed_at:
      return False
    return super()._save(session, step)


def checkpoint_saver_hook(estimator):
  """A CheckpointSaverHook on the Estimator's checkpoint schedule, for one train() call."""
  config = estimator.config
  return CheckpointSaverHook(estimator.model_dir, save_secs=config.save_checkpoints_secs,
                             save_steps=config.save_checkpoints_steps,
                             save_graph_def=config.checkpoint_save_graph_def)


class DivergedError(Exception):
  """The training loss became NaN or infinite."""


class DivergenceHook(v1.train.SessionRunHook):
  """Ends training with DivergedError, before the final checkpoint, once the loss is not finite,
  or once a weight is not finite at the end (the last step's loss is computed before its update).
  """

  def __init__(self):
    self.diverged_at = None

  def begin(self):
    self._loss = v1.losses.get_total_loss(add_regularization_losses=False)
    self._global_step = v1.train.get_global_step()
    self._weights_finite = tf.reduce_all(
        [tf.reduce_all(tf.math.is_finite(weight)) for weight in v1.trainable_variables()])

  def before_run(self, run_context):
    return v1.train.SessionRunArgs([self._loss, self._global_step])

  def after_run(self, run_context, run_values):
    loss, step = run_values.results
    if not np.isfinite(loss):
      self.diverged_at = int(step) + 1
      raise DivergedError(f"loss is {loss} at step {self.diverged_at}")

  def end(self, session):
    finite, step = session.run([self._weights_finite, self._global_step])
    if not finite:
      self.diverged_at = int(step)
      raise DivergedError(f"a weight is NaN or infinite at step {step}")


def _finite(checkpoint):
  reader = v1.train.load_checkpoint(checkpoint)
  for name, dtype in reader.get_variable_to_dtype_map().items():
    if dtype.is_floating and not np.all(np.isfinite(reader.get_tensor(name))):
      return False
  return True


def rollback_to_finite_checkpoint(model_dir):
  """Points model_dir's `checkpoint` file at its newest checkpoint whose weights are all finite.

  Returns that checkpoint's path, or None when none is finite (the state file is then left as is).
  """
  state = v1.train.get_checkpoint_state(model_dir)
  if state is None:
    return None
  paths = list(state.all_model_checkpoint_paths) or [state.model_checkpoint_path]
  for index in range(len(paths) - 1, -1, -1):
    if _finite(paths[index]):
      if index != len(paths) - 1:
        checkpoint_index.write_index(model_dir, paths[:index + 1])
      return paths[index]
  return None
