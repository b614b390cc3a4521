"""The guarded training loop: a checkpoint on SIGINT/SIGTERM, a stop on divergence.

Its caller holds the model_dir's lock (safety.ModelDirLock) and has set a damaged
latest checkpoint aside (training.damaged_checkpoints.set_aside). Around Estimator.train it
turns a full disk or a folder that is not writable into one line, never rewrites
the checkpoint it resumed from, and on a NaN or infinite loss or weight leaves the
last finite checkpoint as the latest (see training.safety).
"""

from estimator_cnn.training import build
from estimator_cnn.training import safety
from estimator_cnn.training import saved_params


class Diverged(Exception):
  """The loss or a weight became NaN or infinite at `step`; `kept` is the latest checkpoint now,
  or None."""

  def __init__(self, step, kept):
    super().__init__(f"the loss or a weight became NaN or infinite at step {step}")
    self.step = step
    self.kept = kept


def train(estimator, input_fn, params, last_step, hooks=(), evaluate_every=None, evaluate=None,
          plan=None):
  """Trains to global step last_step, saving params.json (params, and plan); hold the lock.

  Returns the signal that stopped training after its checkpoint, or None once at last_step.

  With evaluate_every, trains in chunks of that many steps and calls evaluate(step)
  after each chunk that was not interrupted. Raises Diverged.
  """
  model_dir = estimator.model_dir
  with safety.write_failures_reported(model_dir), safety.StopOnSignal() as stop:
    saved_params.save_params(model_dir, params, plan)
    divergence = safety.DivergenceHook()
    step = build.global_step(estimator)
    while step < last_step and stop.received is None:
      step = min(last_step, step + evaluate_every) if evaluate_every else last_step
      try:
        estimator.train(input_fn, max_steps=step, hooks=[
            *hooks, stop, divergence, safety.checkpoint_saver_hook(estimator)])
      except safety.DivergedError:
        raise Diverged(divergence.diverged_at,
                       safety.rollback_to_finite_checkpoint(model_dir)) from None
      if evaluate_every and stop.received is None:
        evaluate(step)
  return stop.received
