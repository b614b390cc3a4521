"""--mode=train_and_eval: here, or as the task of a TF_CONFIG cluster.

Without a cluster in TF_CONFIG this is app.train.train, evaluating every
--eval_every steps. With one, every task runs the same command and
`train_and_evaluate` gives it its role: the chief and workers train (the
chief saves a checkpoint every --eval_every steps), the evaluator evaluates
each new checkpoint, the ps tasks hold the variables. All tasks share
--model_dir and need --max_steps, so that they agree on the last step;
--sync_replicas makes the updates synchronous. With
--distribution=multi_worker_mirrored there are no ps tasks: each trainer holds
a copy of the variables and tf.estimator's train_distribute
(MultiWorkerMirroredStrategy) all-reduces the gradients over gRPC. Either way
--batch_size is each trainer's, as in tf.estimator: a synchronous step
averages the gradients of trainers x batch_size examples.
"""

import contextlib
import os
import socket
import time

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.app import tf_config
from estimator_cnn.app import resolve
from estimator_cnn.app import train
from estimator_cnn.base import path_checks
from estimator_cnn.base.errors import UserError
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.data import read_ahead
from estimator_cnn.training import build
from estimator_cnn.training.model_dir import path_characters
from estimator_cnn.training.model_dir import saved_params

v1 = tf.compat.v1
EVALUATOR = tf_config.EVALUATOR
ALL_REDUCE = "multi_worker_mirrored"
# How often, at most, the evaluator evaluates the newest checkpoint.
EVALUATOR_THROTTLE_SECS = 1
# TensorFlow's UnknownError when a task's server cannot listen on its TF_CONFIG port.
SERVER_NOT_STARTED = "Could not start gRPC server"


class _ReportMetrics(tf_estimator.Exporter):
  """Prints each evaluation's metrics as app.train does, keeping the best if the recipe does.

  train_and_evaluate calls its exporters after every evaluation.
  """

  def __init__(self, split, num_images, keep_best):
    self._split = split
    self._num_images = num_images
    self._keep_best = keep_best

  @property
  def name(self):
    return "report_metrics"

  def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
    del export_path, is_the_final_export
    build.print_metrics(estimator, self._split, eval_result, self._num_images, checkpoint_path,
                         self._keep_best)


class TaskProgressHook(v1.train.SessionRunHook):
  """Prints the global step and this task's speed every `every_n_steps` of its own steps, and
  keeps the global step its training ended at (final_global_step; None before then) and the
  steps this task trained (steps)."""

  def __init__(self, batch_size, last_step, every_n_steps):
    self._batch_size = batch_size
    self._last_step = last_step
    self._every_n_steps = every_n_steps
    self.final_global_step = None
    self.steps = 0

  def begin(self):
    self._global_step = v1.train.get_global_step()

  def after_create_session(self, session, coord):
    del session, coord
    self._logged_steps = self.steps
    self._logged_time = time.time()

  def before_run(self, run_context):
    del run_context
    if (self.steps + 1) % self._every_n_steps == 0:
      return v1.train.SessionRunArgs(self._global_step)
    return None

  def after_run(self, run_context, run_values):
    del run_context
    self.steps += 1
    if run_values.results is None:
      return
    now = time.time()
    steps_per_sec = (self.steps - self._logged_steps) / max(now - self._logged_time, 1e-9)
    print(f"global_step {run_values.results}/{self._last_step}  task steps {self.steps}  "
          f"{steps_per_sec:.2f} steps/s  {steps_per_sec * self._batch_size:.0f} examples/s",
          flush=True)
    self._logged_steps, self._logged_time = self.steps, now

  def end(self, session):
    # A worker ends before the chief's last checkpoint: the cluster's step, not the checkpoint's.
    self.final_global_step = int(session.run(self._global_step))


def _run_config():
  """The RunConfig TF_CONFIG makes, its mistakes as UserErrors."""
  try:
    return tf_estimator.RunConfig()
  except ValueError as e:
    raise UserError(f"TF_CONFIG: {e}") from e


def _train_distribute(settings, run_config):
  """tf.estimator's train_distribute for --distribution: None with parameter servers."""
  if settings.distribution != ALL_REDUCE or run_config.task_type == EVALUATOR:
    return None  # The evaluator evaluates the chief's checkpoints on its own.
  # Collectives on the CPU over gRPC to TF_CONFIG's addresses; the chief's initial weights
  # are broadcast to every trainer.
  return tf.distribute.experimental.MultiWorkerMirroredStrategy()


def train_and_eval(settings):
  """Runs --mode=train_and_eval; returns the final metrics here, None as a cluster task."""
  run_config = _run_config()
  if run_config.cluster_spec or run_config.task_type == EVALUATOR:
    name = tf_config.task_name(run_config.task_type, run_config.task_id)
    with _server_start_in_one_line(name, run_config):
      return _run_task(settings, run_config, name)
  return train.train(settings, evaluate_periodically=True)


def _port_mistake(name, run_config, reason):
  """The UserError for a task whose server cannot listen on its TF_CONFIG port, for reason."""
  address = run_config.cluster_spec.task_address(run_config.task_type, run_config.task_id)
  return UserError(f"{name} cannot listen on port {address.rpartition(':')[2]}, its TF_CONFIG "
                   f"address {address}: {reason}: stop the process that holds it, or give the "
                   "task another port in TF_CONFIG")


def _try_port(name, run_config):
  """Raises _port_mistake unless the task's port is free, tried as TensorFlow's server binds it
  (on every interface): before the task writes anything, and before TF 2.15's gRPC logs its
  own lines about it."""
  address = run_config.cluster_spec.task_address(run_config.task_type, run_config.task_id)
  with socket.socket() as trial:
    trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # As gRPC does.
    try:
      trial.bind(("", int(address.rpartition(":")[2])))
    except OSError as e:
      raise _port_mistake(name, run_config, e.strerror.lower()) from None


@contextlib.contextmanager
def _server_start_in_one_line(name, run_config):
  """Turns TensorFlow's error for a server that cannot start (its port taken after _try_port)
  into _port_mistake's line."""
  try:
    yield
  except tf.errors.UnknownError as e:
    if SERVER_NOT_STARTED not in str(e):
      raise
    raise _port_mistake(name, run_config, "the server could not start") from None


def _run_task(settings, run_config, name):
  """Plays the TF_CONFIG task's role in the cluster; `name` is the task's, e.g. 'worker 0'."""
  model_dir = settings.model_dir
  if model_dir is None:
    raise UserError(f"{name}: a cluster task needs --model_dir, the folder all tasks share")
  if settings.max_steps is None:
    raise UserError(f"{name}: a cluster task needs --max_steps (absolute), so that all tasks "
                    "stop at the same global step")
  if run_config.task_type != EVALUATOR:  # The evaluator starts no server.
    _try_port(name, run_config)
  train_distribute = _train_distribute(settings, run_config)
  path_characters.check_path_characters(model_dir)
  path_checks.check_writable_folder(model_dir, "model_dir")
  # Without the lock: the tasks share model_dir. --max_steps sets the plan.
  run = resolve.training_run(settings, model_dir, read_ahead.load(settings.data_dir),
                             continue_plan=False)
  if run_config.is_chief:
    os.makedirs(model_dir, exist_ok=True)
    saved_params.save_params(model_dir, run.params)
  # Trainers shuffle each their own way; the chief alone initialises the weights.
  estimator = build.make_estimator(
      model_dir, {**run.params, "sync_replicas": settings.sync_replicas,
                  "max_steps": run.last_step},
      settings.seed + (run_config.global_id_in_cluster or 0), settings.log_every,
      save_checkpoints_steps=run.plan.eval_every, train_distribute=train_distribute)
  progress = TaskProgressHook(run.plan.batch_size, run.last_step, settings.log_every)
  train_spec = tf_estimator.TrainSpec(
      build.train_input_fn(run.data.train_images, run.data.train_labels, run.plan.batch_size,
                           as_dataset=train_distribute is not None),
      max_steps=run.last_step,
      hooks=[progress])
  split = run.evaluation.split
  eval_spec = tf_estimator.EvalSpec(
      build.eval_input_fn(run.evaluation.images, run.evaluation.labels), steps=None,
      name=None if split == "test" else split,
      exporters=[_ReportMetrics(split, len(run.evaluation.labels), run.recipe.keep_best)],
      start_delay_secs=0, throttle_secs=EVALUATOR_THROTTLE_SECS)
  print(f"{name}: starting, model_dir {model_dir}", flush=True)
  tf_estimator.train_and_evaluate(estimator, train_spec, eval_spec)
  trained_to = progress.final_global_step  # None for the evaluator, which does not train.
  if trained_to is None:
    print(f"{name}: done, global_step {build.global_step(estimator)}", flush=True)
  else:
    print(f"{name}: done, global_step {trained_to}, trained {progress.steps} steps of "
          f"{run.plan.batch_size} examples", flush=True)
