"""Finds the current (TF 2.21) and legacy (TF 2.15) Pythons and runs code on them.

Each stack's Python is estimator_cnn.stacks.python_of's; tests that need a
stack that can't be found are skipped, and fail if its variable names a
Python that isn't there.
"""

import pathlib
import subprocess

import pytest

from estimator_cnn.base import stacks as stacks_lib
from estimator_cnn.base.tf_setup import TF_VERSION, major_minor

REPO_ROOT = pathlib.Path(stacks_lib.REPO_ROOT)
CURRENT = stacks_lib.CURRENT
LEGACY = stacks_lib.LEGACY
STACKS = stacks_lib.STACKS
DEFAULT_TIMEOUT_SECS = 300
# For tests that only start processes on named stacks: the legacy stack's pytest run would make the
# very runs the current stack's makes, so only the current stack's makes them.
made_by_the_current_run = pytest.mark.skipif(
    major_minor(TF_VERSION) < (2, 16), reason="the current stack's pytest run makes these same runs")


def python_of(stack):
  """Path of the stack's Python; skips the calling test when there is none, fails it when
  the stack's variable names no Python."""
  try:
    return stacks_lib.python_of(stack)
  except stacks_lib.StackNotFound as e:
    if e.configured:
      pytest.fail(str(e))
    pytest.skip(str(e))


def run(stack, args, env=None, timeout=DEFAULT_TIMEOUT_SECS, check=True, cwd=REPO_ROOT):
  """Runs `python *args` on the stack from cwd (the repo root); returns the CompletedProcess.

  Args:
    stack: a stack of estimator_cnn.base.stacks, e.g. CURRENT or LEGACY.
    args: the Python's arguments, e.g. ["-c", code, ...] or [script, ...].
    env: variables to set on top of this process's environment, from which
      TF_USE_LEGACY_KERAS and ESTIMATOR_CNN_RUNTIME are removed; PYTHONPATH
      is the repo root.
    timeout: seconds before the run fails.
    check: whether to fail the test, showing the output, if the exit code is not 0.
  """
  return run_python(python_of(stack), stack, args, env, timeout, check, cwd)


def run_python(python, stack, args, env=None, timeout=DEFAULT_TIMEOUT_SECS, check=True,
               cwd=REPO_ROOT):
  """Like run, on the given Python; `stack` names it in failure messages."""
  command = [python, *map(str, args)]
  full_env = stacks_lib.subprocess_env(env)
  try:
    result = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True,
                            text=True, timeout=timeout, check=False)
  except subprocess.TimeoutExpired as e:
    pytest.fail(f"{stack} stack: timed out after {timeout} s\n"
                + describe(command, None, e.stdout, e.stderr))
  if check and result.returncode != 0:
    pytest.fail(f"{stack} stack: exit code {result.returncode}\n"
                + describe(command, result.returncode, result.stdout, result.stderr))
  return result


def describe(command, returncode, stdout, stderr, max_chars=6000):
  """The command, exit code and the ends of its output, for assertion messages."""

  def tail(text):
    if isinstance(text, bytes):
      text = text.decode(errors="replace")
    text = text or ""
    return text if len(text) <= max_chars else "..." + text[-max_chars:]

  shown = [arg if len(arg) < 200 else arg[:200] + "..." for arg in command]
  return (f"command: {shown}\nexit code: {returncode}\n"
          f"--- stdout ---\n{tail(stdout)}\n--- stderr ---\n{tail(stderr)}")
