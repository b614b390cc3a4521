"""Helpers the tests share: running run.py here or in a subprocess, folder snapshots, read-only
folders and small disks (mounts), graphs."""

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from absl import flags
import pytest

from estimator_cnn import __main__ as run
from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.flags import core as flags_core
from estimator_cnn.model import model_fn
from estimator_cnn.training.progress import ProgressHook

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_PY = os.path.join(REPO, "run.py")
TINY = ["--conv_blocks=2", "--batch_size=20", "--log_every=5"]
MOUNT_TIMEOUT_SECS = 30
SUBPROCESS_TIMEOUT_SECS = 120
v1 = tf.compat.v1


def parse_run_flags(*args):
  """run.py's FlagValues, parsed from args."""
  flag_values = flags.FlagValues()
  flags_core.define_all(flag_values)
  flag_values(["run.py", *args])
  return flag_values


def parse_settings(*args):
  """The app.settings.Settings of run.py's flags args."""
  return flags_core.settings(parse_run_flags(*args))


def run_in_process(*args):
  """Parses args like run.py and runs them here; returns the exit code."""
  return run.run(parse_run_flags(*args))


def run_script(*args, cwd=REPO):
  """Runs run.py in a subprocess; returns the CompletedProcess."""
  return subprocess.run([sys.executable, RUN_PY, *args], cwd=cwd, capture_output=True,
                        text=True, timeout=300, env={**os.environ, "PYTHONPATH": REPO})


@contextlib.contextmanager
def training_in_background(log_path, *args):
  """A run.py process started with args, its output in log_path; killed on the way out if it
  still runs. SIGTERM it inside to see it stop by itself."""
  with open(log_path, "w") as log:
    process = subprocess.Popen([sys.executable, RUN_PY, *args], stdout=log, stderr=log, cwd=REPO,
                               env={**os.environ, "PYTHONPATH": REPO, "PYTHONUNBUFFERED": "1"})
  try:
    yield process
  finally:
    process.kill()
    process.wait()


def stop_with_sigterm(process):
  """Sends SIGTERM and waits for the process to end."""
  process.send_signal(signal.SIGTERM)
  process.wait(timeout=SUBPROCESS_TIMEOUT_SECS)


def wait_for(predicate, what, process, timeout=SUBPROCESS_TIMEOUT_SECS):
  """Polls predicate until it holds; fails the test once process ended or timeout passed."""
  deadline = time.monotonic() + timeout
  while not predicate():
    if process.poll() is not None or time.monotonic() > deadline:
      pytest.fail(f"gave up waiting for {what}; the process exited with {process.returncode}")
    time.sleep(0.05)


def snapshot(folder):
  """{relative path: sha256} of every file below folder."""
  result = {}
  for root, _, files in os.walk(folder):
    for name in files:
      path = os.path.join(root, name)
      with open(path, "rb") as f:
        result[os.path.relpath(path, folder)] = hashlib.sha256(f.read()).hexdigest()
  return result


def _mount(*args):
  """Runs mount(8); the CompletedProcess fails where there is no mount command."""
  if not shutil.which("mount"):
    return subprocess.CompletedProcess(["mount", *args], 1, "", "no mount command")
  return subprocess.run(["mount", *args], capture_output=True, text=True,
                        timeout=MOUNT_TIMEOUT_SECS)


@contextlib.contextmanager
def read_only(folder):
  """Makes folder read-only: chmod, or a read-only bind mount where chmod does not stop root."""
  mode = os.stat(folder).st_mode
  os.chmod(folder, 0o555)
  mounted = False
  try:
    if os.access(folder, os.W_OK):  # Root ignores permission bits.
      result = _mount("--bind", folder, folder)
      if result.returncode != 0:
        pytest.skip(f"root ignores chmod and cannot bind-mount here: {result.stderr.strip()}")
      mounted = True
      result = _mount("-o", "remount,ro,bind", folder)
      assert result.returncode == 0, result.stderr
      assert not os.access(folder, os.W_OK)
    yield
  finally:
    if mounted:
      subprocess.run(["umount", "--lazy", folder], check=True, timeout=MOUNT_TIMEOUT_SECS)
    os.chmod(folder, mode)


@contextlib.contextmanager
def small_disk(folder, size):
  """A tmpfs of `size` bytes mounted at folder (root only); yields a function to resize it."""
  os.makedirs(folder)
  result = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder)
  if result.returncode != 0:
    pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip()}")
  try:
    yield lambda new_size: _mount("-o", f"remount,size={new_size}", folder)
  finally:
    v1.summary.FileWriterCache.clear()  # Closes the event files training left open there.
    subprocess.run(["umount", "--lazy", folder], check=True, timeout=MOUNT_TIMEOUT_SECS)


def build_graph(mode, params=None):
  """Builds model_fn on placeholders in a fresh graph; returns (graph, spec, images, labels)."""
  graph = tf.Graph()
  with graph.as_default():
    v1.train.get_or_create_global_step()
    images = v1.placeholder(tf.float32, [None, 28, 28])
    labels = v1.placeholder(tf.int32, [None])
    spec = model_fn.model_fn({model_fn.FEATURE_KEY: images},
                             None if mode == tf_estimator.ModeKeys.PREDICT else labels,
                             mode, params or {})
  return graph, spec, images, labels



def sigint_after(steps):
  """A ProgressHook class that sends this process SIGINT from inside training after `steps`."""

  class SigintAfter(ProgressHook):

    def begin(self):
      super().begin()
      self.steps_run = 0

    def after_run(self, run_context, run_values):
      super().after_run(run_context, run_values)
      self.steps_run += 1
      if self.steps_run == steps:
        os.kill(os.getpid(), signal.SIGINT)

  return SigintAfter


def poison_weights_at(step):
  """A ProgressHook class that sets every weight to NaN right after global step `step` ran.

  A divergence by construction, the same on every CPU (how far a large learning rate
  drives the loss depends on the CPU's kernels).
  """

  class PoisonWeightsAt(ProgressHook):

    def begin(self):
      super().begin()
      self._poison = tf.group([weight.assign(tf.fill(tf.shape(weight), np.nan))
                               for weight in v1.trainable_variables()])
      self._step = v1.train.get_global_step()

    def after_run(self, run_context, run_values):
      super().after_run(run_context, run_values)
      if run_context.session.run(self._step) == step:
        run_context.session.run(self._poison)

  return PoisonWeightsAt


def copy_of(model_dir, folder):
  """A copy of model_dir in folder, for a test that changes it."""
  return shutil.copytree(model_dir, os.path.join(folder, "model"))
