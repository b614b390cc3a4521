"""SyncReplicasOptimizer that ends at a fixed last step: every trainer stops there, promptly.

TensorFlow's own hook (`SyncReplicasOptimizer.make_session_run_hook`) starts
the chief's queue runner, which loops forever: aggregate `replicas_to_aggregate`
gradients, update, put one token per trainer in the token queue. Each trainer's
step takes a token. At the last step two things go wrong:
- the queue runner is already waiting for the gradients of a step after the
  last, which the trainers that stopped never send: the chief's session close
  waits its stop grace period (120 s) for the thread, then cancels it, and the
  thread dies with a traceback;
- a trainer whose step needs one more token than the last update left waits
  for an update that never comes: it hangs.
SyncReplicasHook does what TF's hook does when the session starts, but runs the
chief's update in its own thread exactly up to last_step, then closes the token
queue: a trainer still waiting for a token ends its training as at the end of
its input (tf.estimator's OutOfRangeError), and no thread is left waiting.
"""

import threading

from estimator_cnn.base.tf_setup import tf

v1 = tf.compat.v1
# How long end() waits for the chief's update thread; it has nothing left to wait for then.
JOIN_SECS = 30


def sync_optimizer(optimizer, config, last_step):
  """(SyncReplicasOptimizer averaging the gradients of config's trainers, its hook)."""
  replicas = config.num_worker_replicas
  sync = v1.train.SyncReplicasOptimizer(optimizer, replicas_to_aggregate=replicas,
                                        total_num_replicas=replicas)
  return sync, SyncReplicasHook(sync, config.is_chief, last_step)


class SyncReplicasHook(v1.train.SessionRunHook):
  """Initialises the optimizer's local step and tokens; the chief updates up to last_step.

  Build it after the optimizer's apply_gradients (minimize), as TF's hook.
  """

  def __init__(self, sync_optimizer_, is_chief, last_step):
    self._optimizer = sync_optimizer_
    self._is_chief = is_chief
    self._last_step = last_step
    self._thread = None

  def begin(self):
    optimizer = self._optimizer
    if self._is_chief:
      self._local_init_op = optimizer.chief_init_op
      self._init_tokens_op = optimizer.get_init_tokens_op()
      queue_runner = optimizer.get_chief_queue_runner()
      self._update_op, = queue_runner.enqueue_ops  # Aggregates, updates, hands out tokens.
      self._close_tokens_op = queue_runner.queue.close()
      self._global_step = v1.train.get_global_step()
    else:
      self._local_init_op = optimizer.local_step_init_op

  def after_create_session(self, session, coord):
    uninitialized = session.run(self._optimizer.ready_for_local_init_op)
    if len(uninitialized):  # pylint: disable=g-explicit-length-test
      raise RuntimeError(f"SyncReplicasOptimizer: variables not initialised: {uninitialized}")
    session.run(self._local_init_op)
    if not self._is_chief:
      return
    updates = self._last_step - int(session.run(self._global_step))
    if updates > 0:
      session.run(self._init_tokens_op)
    self._thread = threading.Thread(target=self._update, args=(session, coord, updates),
                                    name="sync_replicas_updates", daemon=True)
    self._thread.start()

  def _update(self, session, coord, updates):
    """Runs the updates up to last_step, then closes the token queue."""
    try:
      for _ in range(updates):
        if coord.should_stop():
          return
        session.run(self._update_op)
      session.run(self._close_tokens_op)
    except Exception as e:  # pylint: disable=broad-except
      if not coord.should_stop():  # Else the session is closing: nothing to report.
        coord.request_stop(e)

  def end(self, session):
    del session
    if self._thread is not None:
      self._thread.join(timeout=JOIN_SECS)
