"""A study's run trained through training.loop in chunks, measured after each; how a stop ends
the study.

Training stops on SIGINT or SIGTERM after saving a checkpoint, and on a NaN or
infinite loss or weight keeping the last finite checkpoint, as run.py's does; the
study then ends in one line (study_error) that names its finished runs' results.
"""

from estimator_cnn.base.errors import TrainingInterrupted, UserError
from estimator_cnn.training import build
from estimator_cnn.training import loop


class Stopped(Exception):
  """A run stopped before its last step: on `signal` after saving a checkpoint, or (signal None)
  on divergence, its last finite checkpoint kept. The message says where it stopped."""

  def __init__(self, message, signal=None):
    super().__init__(message)
    self.signal = signal


def train(estimator, input_fn, params, last_step, chunk_steps, after_chunk, hooks=()):
  """loop.train in chunks ending at multiples of chunk_steps, after_chunk(global step) after each
  (ending training when it returns True); raises Stopped on a signal or a divergence."""
  try:
    stopped_by = loop.train(estimator, input_fn, params, last_step, hooks, chunk_steps,
                            after_chunk, aligned=True)
  except loop.Diverged as e:
    raise Stopped(f"training diverged: {e} (learning_rate {params['learning_rate']}); the latest "
                  f"checkpoint is {e.kept or 'none'}") from None
  if stopped_by is not None:
    raise Stopped(f"checkpoint saved at global step {build.global_step(estimator)} in "
                  f"{estimator.model_dir}", stopped_by)


def study_error(stopped, label, finished, results_path, noun="run"):
  """The one-line error ending a study whose run `label` stopped (a Stopped): it names
  results_path, the report of its `finished` runs, which the caller wrote."""
  kept = (f"the {finished} finished {noun}(s) are in {results_path}" if finished
          else f"no {noun} has finished yet")
  if stopped.signal is None:
    return UserError(f"{label}: {stopped}; {kept}")
  return TrainingInterrupted(f"interrupted by {stopped.signal.name}: {label}: {stopped}; {kept}; "
                             "run the same command again to resume", stopped.signal.value)
