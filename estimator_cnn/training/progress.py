"""Progress lines: training's step, loss, steps/s, examples/s and ETA; evaluation's images."""

import time

from estimator_cnn.base import durations
from estimator_cnn.base.tf_setup import tf

EVAL_PROGRESS_EVERY = 5  # Batches between two of an evaluation's progress lines.


class ProgressHook(tf.compat.v1.train.SessionRunHook):
  """Prints a line on the steps TensorBoard shows, and at `last_step`; fetches only on those.

  The Estimator's summary hook writes the loss on a session's first step and every
  `every_n_steps` after it (1, 101, 201... from scratch), each at the global step its train op
  made: so does this hook, with the loss of the same run.
  """

  def __init__(self, batch_size, last_step, every_n_steps=100, printer=print):
    self._batch_size = batch_size
    self._last_step = last_step
    self._every_n_steps = every_n_steps
    self._print = printer

  def begin(self):
    self._global_step = tf.compat.v1.train.get_global_step()
    # The EstimatorSpec's loss, which the Estimator adds last to LOSSES and writes as "loss";
    # get_total_loss would count it twice, the model's loss being in LOSSES already.
    self._loss = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.LOSSES)[-1]
    self._last_time = None
    self._last_logged = None
    self._first_step = None
    self._next_step = None

  def after_create_session(self, session, coord):
    del coord
    self._last_logged = int(session.run(self._global_step))
    self._last_time = time.time()
    self._first_step = self._next_step = self._last_logged + 1

  def before_run(self, run_context):
    if ((self._next_step - self._first_step) % self._every_n_steps == 0
        or self._next_step == self._last_step):
      return tf.compat.v1.train.SessionRunArgs(self._loss)
    return None

  def after_run(self, run_context, run_values):
    step, loss = self._next_step, run_values.results
    self._next_step += 1
    if loss is None:
      return
    now = time.time()
    steps_per_sec = (step - self._last_logged) / max(now - self._last_time, 1e-9)
    eta = (self._last_step - step) / steps_per_sec if steps_per_sec else 0
    self._print(f"step {step}/{self._last_step}  loss {loss:.4f}  {steps_per_sec:.2f} steps/s  "
                f"{steps_per_sec * self._batch_size:.0f} examples/s  "
                f"ETA {durations.format_duration(eta)}")
    self._last_logged, self._last_time = step, now


class EvalProgressHook(tf.compat.v1.train.SessionRunHook):
  """Prints "evaluated 2500/10000 images" every EVAL_PROGRESS_EVERY batches, not at the end.

  An evaluation of EVAL_PROGRESS_EVERY batches or fewer prints nothing.
  """

  def __init__(self, num_images, batch_size):
    self._num_images = num_images
    self._batch_size = batch_size

  def begin(self):
    self._batches = 0

  def after_run(self, run_context, run_values):
    self._batches += 1
    evaluated = self._batches * self._batch_size
    if self._batches % EVAL_PROGRESS_EVERY == 0 and evaluated < self._num_images:
      print(f"evaluated {evaluated}/{self._num_images} images", flush=True)
