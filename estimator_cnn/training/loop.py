"""The guarded training loop of run.py and the studies: chunks with a callback after each, a
checkpoint on SIGINT/SIGTERM, a stop on divergence.

run.py's training holds the model_dir's lock (safety.ModelDirLock) and has set a
damaged latest checkpoint aside (model_dir.damaged_checkpoints.set_aside). Around
Estimator.train it turns a full disk or a folder that is not writable into one line, never rewrites
the checkpoint it resumed from, and on a NaN or infinite loss or weight leaves the
last finite checkpoint as the latest (see training.safety).
"""

from estimator_cnn.training import build
from estimator_cnn.training import safety
from estimator_cnn.training.model_dir import saved_params


class Diverged(Exception):
  """The loss or a weight became NaN or infinite at `step`; `kept` is the latest checkpoint now,
  or None."""

  def __init__(self, step, kept):
    super().__init__(f"the loss or a weight became NaN or infinite at step {step}")
    self.step = step
    self.kept = kept


def chunk_ends(steps, interval):
  """Where aligned chunks end: every interval steps from step 0, and at the last step."""
  return [*range(interval, steps, interval), steps]


def _chunk_end(step, last_step, evaluate_every, aligned):
  """The global step the chunk that starts at `step` trains to."""
  if not evaluate_every:
    return last_step
  if aligned:
    return next(end for end in chunk_ends(last_step, evaluate_every) if end > step)
  return min(last_step, step + evaluate_every)


def train(estimator, input_fn, params, last_step, hooks=(), evaluate_every=None, evaluate=None,
          plan=None, aligned=False):
  """Trains to global step last_step, saving params.json (params, and plan).

  Returns the signal that stopped training after its checkpoint, or None once done.

  With evaluate_every, trains in chunks of that many steps from where training
  resumes (with aligned, to the next of chunk_ends(last_step, evaluate_every), so a
  resumed study measures at the same steps) and calls evaluate(global step) after
  each chunk that a signal did not cut short; training ends there when it returns
  True (a hook of the caller's that stops a chunk short should make it so).
  Raises Diverged.
  """
  model_dir = estimator.model_dir
  with safety.write_failures_reported(model_dir), safety.StopOnSignal() as stop:
    saved_params.save_params(model_dir, params, plan)
    divergence = safety.DivergenceHook()
    step = build.global_step(estimator)
    ended = False
    while step < last_step and stop.received is None and not ended:
      try:
        estimator.train(input_fn, max_steps=_chunk_end(step, last_step, evaluate_every, aligned),
                        hooks=[*hooks, stop, divergence, safety.checkpoint_saver_hook(estimator)])
      except safety.DivergedError:
        raise Diverged(divergence.diverged_at,
                       safety.rollback_to_finite_checkpoint(model_dir)) from None
      step = build.global_step(estimator)
      if evaluate_every and stop.received is None:
        ended = evaluate(step) is True  # Not any truthy value: metrics a callback returns.
  return stop.received
