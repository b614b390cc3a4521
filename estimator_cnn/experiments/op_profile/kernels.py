"""The oneDNN kernels of a step: the profile's stage, run in a child with oneDNN's verbose log.

  python -m estimator_cnn.experiments.op_profile.kernels '<spec as JSON>'

is the child: it runs the spec's warm-up and timed steps (profile.run_steps) and
prints, at its end, a JSON line with the time the timed steps began. oneDNN reads
ONEDNN_VERBOSE once, when TensorFlow first runs one of its kernels, so the log
needs a process of its own, apart from the traced profile whose times it would
slow down. kernel_rows is the parent's side.
"""

import json
import os
import subprocess
import sys
import time

from estimator_cnn.experiments.op_profile import onednn_log

VERBOSE_ENV = {"ONEDNN_VERBOSE": "1", "ONEDNN_VERBOSE_TIMESTAMP": "1"}
TIMEOUT_SECS = 600


def kernel_rows(stage, params, batch_size, warmup_steps, steps, data_dir=None):
  """onednn_log.kernels_per_step of `steps` steps of the stage after warmup_steps, in a child."""
  spec = {"stage": stage, "params": params, "batch_size": batch_size,
          "warmup_steps": warmup_steps, "steps": steps, "data_dir": data_dir}
  child = subprocess.run(
      [sys.executable, "-m", __name__, json.dumps(spec)], env={**os.environ, **VERBOSE_ENV},
      capture_output=True, text=True, timeout=TIMEOUT_SECS, check=False)
  lines = child.stdout.splitlines()
  # oneDNN's C stdout and Python's reach the pipe in any order: the JSON line is found, not last.
  starts = [line for line in lines if line.startswith("{")]
  if child.returncode != 0 or not starts:
    error = (child.stderr.strip().splitlines() or ["(no output)"])[-1]
    raise RuntimeError(f"the oneDNN kernel run failed (exit code {child.returncode}): {error}")
  timed_from_ms = json.loads(starts[-1])["timed_from_ms"]
  return onednn_log.kernels_per_step(lines, timed_from_ms, steps)


def _run_and_print_start(spec):
  # pylint: disable=g-import-not-at-top
  from estimator_cnn.base.tf_setup import tf  # The child alone imports TensorFlow.
  from estimator_cnn.experiments.op_profile import profile

  class TimedStart(tf.compat.v1.train.SessionRunHook):
    """Notes the wall clock, in ms since the epoch, as the first timed step begins."""

    def __init__(self):
      self.steps, self.timed_from_ms = 0, None

    def before_run(self, run_context):
      self.steps += 1
      if self.steps == spec["warmup_steps"] + 1:
        self.timed_from_ms = time.time() * 1e3

  hook = TimedStart()
  profile.run_steps(spec["stage"], spec["params"], spec["batch_size"],
                    spec["warmup_steps"] + spec["steps"], [hook], spec["data_dir"])
  print(json.dumps({"timed_from_ms": hook.timed_from_ms}), flush=True)


if __name__ == "__main__":
  _run_and_print_start(json.loads(sys.argv[1]))
