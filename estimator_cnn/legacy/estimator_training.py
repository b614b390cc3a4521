"""What TensorFlow 2.16 removed from `tensorflow.python.distribute.estimator_training`.

tensorflow-estimator 2.15 imports that module in estimator.py, training.py and
run_config.py to run Estimators under a distribution strategy through the
distribute coordinator (`RunConfig(train_distribute=...)`,
`experimental_distribute`). The coordinator itself is still in TensorFlow
(`distribute_coordinator`, `distribute_coordinator_context`); only this glue
went. These functions do what TF 2.15's did, in the same order, so a RunConfig
gets the same task type, id, cluster and coordinator mode as on TF 2.15.
"""

import copy

from tensorflow.python.distribute import distribute_coordinator as dc
from tensorflow.python.distribute import distribute_coordinator_context as dc_context
from tensorflow.python.distribute import multi_worker_util
from tensorflow.python.platform import tf_logging as logging
from tensorflow.python.training import server_lib

# pylint: disable=protected-access
CHIEF = dc._TaskType.CHIEF
EVALUATOR = dc._TaskType.EVALUATOR
PS = dc._TaskType.PS
WORKER = dc._TaskType.WORKER
_COORDINATOR_MODES = (dc.CoordinatorMode.STANDALONE_CLIENT, dc.CoordinatorMode.INDEPENDENT_WORKER)


def _global_id(cluster_spec, task_type, task_id):
  """The task's index in chief, other jobs (sorted), ps order: RunConfig.global_id_in_cluster."""
  if not task_type:
    return 0
  jobs = [CHIEF] if CHIEF in cluster_spec.jobs else []
  jobs += [job for job in sorted(cluster_spec.jobs) if job not in (CHIEF, PS)]
  jobs += [PS] if PS in cluster_spec.jobs else []
  first_id = 0
  for job in jobs:
    if job == task_type:
      return first_id + task_id
    first_id += len(cluster_spec.job_tasks(job))
  raise RuntimeError(f"task type {task_type!r} is not in the cluster {cluster_spec}")


def _init_run_config_from_worker_context(config, worker_context):
  """Sets the config's cluster, task and replica counts from the coordinator's worker context."""
  config._service = None
  config._cluster_spec = worker_context.cluster_spec
  config._task_type = worker_context.task_type
  config._task_id = worker_context.task_id
  config._evaluation_master = worker_context.master_target
  config._master = worker_context.master_target
  config._is_chief = worker_context.is_chief
  if not config._cluster_spec:
    config._global_id_in_cluster = 0
    config._num_ps_replicas = 0
    config._num_worker_replicas = 1
  elif config._task_type == EVALUATOR:
    # The evaluator is not told about the other tasks.
    config._cluster_spec = server_lib.ClusterSpec({})
    config._num_ps_replicas = 0
    config._num_worker_replicas = 0
    config._global_id_in_cluster = None
  else:
    jobs = config._cluster_spec.as_dict()
    config._num_ps_replicas = len(jobs.get(PS, []))
    config._num_worker_replicas = len(jobs.get(WORKER, [])) + len(jobs.get(CHIEF, []))
    config._global_id_in_cluster = _global_id(config._cluster_spec, config._task_type,
                                              config._task_id)


def init_run_config(config, tf_config):
  """Initializes a RunConfig that has distribution strategies (RunConfig.__init__ calls this)."""
  experimental = config._experimental_distribute
  if experimental and experimental.train_distribute:
    if config._train_distribute:
      raise ValueError("Either `train_distribute` or"
                       "`experimental_distribute.train_distribute` can be set.")
    config._train_distribute = experimental.train_distribute
  if experimental and experimental.eval_distribute:
    if config._eval_distribute:
      raise ValueError("Either `eval_distribute` or"
                       "`experimental_distribute.eval_distribute` can be set.")
    config._eval_distribute = experimental.eval_distribute

  cluster_spec = server_lib.ClusterSpec(tf_config.get("cluster", {}))
  config._init_distributed_setting_from_environment_var({})

  if config._train_distribute and experimental and experimental.remote_cluster:
    if cluster_spec:
      raise ValueError('Cannot set both "cluster_spec" of TF_CONFIG and '
                       "`experimental_distribute.remote_cluster`")
    config._distribute_coordinator_mode = dc.CoordinatorMode.STANDALONE_CLIENT
    config._cluster_spec = experimental.remote_cluster
    logging.info("RunConfig initialized for Distribute Coordinator with STANDALONE_CLIENT mode")
    return

  # Local training, a cluster with a master job, or no train_distribute: no coordinator.
  if not cluster_spec or "master" in cluster_spec.jobs or not config._train_distribute:
    config._distribute_coordinator_mode = None
    config._init_distributed_setting_from_environment_var(tf_config)
    config._maybe_overwrite_session_config_for_distributed_training()
    logging.info("Not using Distribute Coordinator.")
    return

  config._cluster_spec = cluster_spec
  config._distribute_coordinator_mode = dc.CoordinatorMode.INDEPENDENT_WORKER
  logging.info("RunConfig initialized for Distribute Coordinator with INDEPENDENT_WORKER mode")


def should_run_distribute_coordinator(config):
  """Whether train_and_evaluate goes through the distribute coordinator."""
  mode = getattr(config, "_distribute_coordinator_mode", None)
  if mode is None:
    logging.info("Not using Distribute Coordinator.")
    return False
  if mode not in _COORDINATOR_MODES:
    logging.warning("Unexpected distribute_coordinator_mode: %r", mode)
    return False
  if not config.cluster_spec:
    logging.warning("Running `train_and_evaluate` locally, ignoring "
                    "`experimental_distribute_coordinator_mode`.")
    return False
  return True


def _local_copy(estimator, context, kind, strategy):
  """A copy of the estimator for this worker's `kind` ("train" or "eval") that won't call the
  coordinator again."""
  local = copy.deepcopy(estimator)
  setattr(local._config, f"_{kind}_distribute", strategy)
  setattr(local, f"_{kind}_distribution", strategy)
  _init_run_config_from_worker_context(local._config, context)
  logging.info("Updated config: %s", str(vars(local._config)))
  local._config._distribute_coordinator_mode = None
  return local


def train_and_evaluate(estimator, train_spec, eval_spec, executor_cls):
  """Runs train_and_evaluate on every task through the distribute coordinator."""
  run_config = estimator.config
  mode = run_config._distribute_coordinator_mode
  if not mode:
    raise ValueError("Distribute coordinator mode is not specified in `RunConfig`.")

  def worker_fn(strategy):
    context = dc_context.get_current_worker_context()
    local = _local_copy(estimator, context, "train", strategy)
    # A standalone client runs hooks on the chief's thread only.
    hooks = (list(train_spec.hooks)
             if mode == dc.CoordinatorMode.INDEPENDENT_WORKER or context.is_chief else [])
    local.train(input_fn=train_spec.input_fn, max_steps=train_spec.max_steps, hooks=hooks)

  def eval_fn(strategy):
    local = _local_copy(estimator, dc_context.get_current_worker_context(), "eval", strategy)
    executor_cls(local, train_spec, eval_spec)._start_continuous_evaluation()

  # INDEPENDENT_WORKER reads the cluster from TF_CONFIG.
  cluster_spec = run_config.cluster_spec if mode == dc.CoordinatorMode.STANDALONE_CLIENT else None
  dc.run_distribute_coordinator(worker_fn, run_config.train_distribute, eval_fn,
                                run_config.eval_distribute, mode=mode, cluster_spec=cluster_spec,
                                session_config=run_config.session_config)


def _run_standalone(estimator, distributed_fn, hooks, kind):
  """Runs Estimator.train or .evaluate (`kind`) on a standalone client's workers."""
  run_config = estimator._config
  strategy = getattr(run_config, f"_{kind}_distribute")
  assert run_config._distribute_coordinator_mode and run_config.cluster_spec and strategy
  cluster_spec = multi_worker_util.normalize_cluster_spec(run_config.cluster_spec)
  method = {"train": "train", "eval": "evaluate"}[kind]
  if EVALUATOR in cluster_spec.jobs:
    raise ValueError("'evaluator' job is not supported if you don't use `train_and_evaluate`")
  if run_config._distribute_coordinator_mode != dc.CoordinatorMode.STANDALONE_CLIENT:
    raise ValueError(f"Only `STANDALONE_CLIENT` mode is supported when you call "
                     f"`Estimator.{method}`")
  if strategy.extended.experimental_between_graph:
    raise ValueError(f"`Estimator.{method}` API is not supported for "
                     f"{strategy.__class__.__name__} with `STANDALONE_CLIENT` mode.")

  def worker_fn(worker_strategy):
    context = dc_context.get_current_worker_context()
    local = _local_copy(estimator, context, kind, worker_strategy)
    result = distributed_fn(local, worker_strategy, hooks if context.is_chief else [])
    return local if kind == "train" else result

  return dc.run_distribute_coordinator(worker_fn, strategy,
                                       mode=run_config._distribute_coordinator_mode,
                                       cluster_spec=cluster_spec,
                                       session_config=run_config.session_config)


def estimator_train(estimator, train_distributed_fn, hooks):
  """Estimator.train through a standalone client's distribute coordinator."""
  return _run_standalone(estimator, train_distributed_fn, hooks, "train")


def estimator_evaluate(estimator, evaluate_distributed_fn, hooks):
  """Estimator.evaluate through a standalone client's distribute coordinator."""
  return _run_standalone(estimator, evaluate_distributed_fn, hooks, "eval")
