"""Probes of tf.estimator's distribution set-up that both stacks run, to compare with TF 2.15.

In a test they are called with estimator_cnn's tf.estimator; `python -m
tests.legacy.probes PROBE` prints PROBE's result from TensorFlow's own
`tf.compat.v1.estimator` as a JSON line with "tf_version" (the TF 2.15 reference).
"""

import importlib
import json
import sys
import tempfile
import types

from estimator_cnn.legacy import estimator_paths
from estimator_cnn.legacy.estimator_paths import public_names


def _fields(config):
  # pylint: disable=g-import-not-at-top
  from tensorflow.python.distribute import estimator_training
  session_config = config.session_config
  mode = getattr(config, "_distribute_coordinator_mode", None)
  return {
      "task_type": config.task_type,
      "task_id": config.task_id,
      "is_chief": config.is_chief,
      "global_id_in_cluster": config.global_id_in_cluster,
      "num_ps_replicas": config.num_ps_replicas,
      "num_worker_replicas": config.num_worker_replicas,
      "cluster_spec": config.cluster_spec.as_dict() if config.cluster_spec else {},
      "master": config.master,
      "evaluation_master": config.evaluation_master,
      "distribute_coordinator_mode": None if mode is None else str(mode),
      "device_filters": list(session_config.device_filters) if session_config else None,
      "should_run_distribute_coordinator":
          estimator_training.should_run_distribute_coordinator(config),
  }


def run_config_fields(estimator_module, tf):
  """What RunConfig() and RunConfig(train_distribute=MirroredStrategy(["/cpu:0"])) make of
  $TF_CONFIG: task, ids, replica counts, cluster, masters and coordinator mode."""
  strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
  return {"plain": _fields(estimator_module.RunConfig()),
          "mirrored": _fields(estimator_module.RunConfig(train_distribute=strategy))}


def standalone_client_errors(estimator_module, tf):
  """RunConfig with a remote cluster (STANDALONE_CLIENT mode), then what Estimator.train and
  .evaluate raise for a between-graph strategy and for a cluster with an evaluator job."""

  def model_fn(features, labels, mode):
    raise AssertionError(f"model_fn called with {features}, {labels}, {mode}")

  def input_fn():
    raise AssertionError("input_fn called")

  cases = {
      "between_graph": (tf.compat.v1.distribute.experimental.ParameterServerStrategy(),
                        {"worker": ["localhost:1"], "ps": ["localhost:2"]}),
      "evaluator_job": (tf.distribute.MirroredStrategy(["/cpu:0"]),
                        {"worker": ["localhost:1"], "evaluator": ["localhost:3"]}),
  }
  result = {}
  for name, (strategy, cluster) in cases.items():
    distribute = types.SimpleNamespace(train_distribute=strategy, eval_distribute=strategy,
                                       remote_cluster=tf.train.ClusterSpec(cluster))
    estimator = estimator_module.Estimator(
        model_fn, model_dir=tempfile.mkdtemp(),
        config=estimator_module.RunConfig(experimental_distribute=distribute))
    result[name] = {"config": _fields(estimator.config)}
    for method in ("train", "evaluate"):
      try:
        getattr(estimator, method)(input_fn, steps=1)
        result[name][method] = "no error"
      except ValueError as e:
        result[name][method] = f"ValueError: {e}"
  return result


def submodule(module, path):
  """module.<path>, path dotted as "tpu.experimental"."""
  for part in path.split("."):
    module = getattr(module, part)
  return module


SUBMODULES = ("export", "inputs", "experimental", "tpu", "tpu.experimental")


def estimator_names(estimator_module, tf):
  """Public names of the v1 estimator ("v1"), of its SUBMODULES ("v1.<path>") and of
  tf.estimator ("v2")."""
  names = {"v1": public_names(estimator_module), "v2": public_names(tf.estimator)}
  names.update({f"v1.{path}": public_names(submodule(estimator_module, path))
                for path in SUBMODULES})
  return names


def tf_export_names(estimator_module, tf):
  """tf_export.get_v1_names and get_v2_names of each public symbol of the v1 estimator ("v1.X")
  and of tf.estimator ("v2.X"), submodules left out."""
  from tensorflow.python.util import tf_export  # pylint: disable=g-import-not-at-top
  names = {}
  for api, module in (("v1", estimator_module), ("v2", tf.estimator)):
    for name in public_names(module):
      symbol = getattr(module, name)
      if not isinstance(symbol, types.ModuleType):
        names[f"{api}.{name}"] = [tf_export.get_v1_names(symbol), tf_export.get_v2_names(symbol)]
  return names


def estimator_path_mismatches(listed):
  """Where this process differs from TF 2.15's paths to the estimator (listed as
  estimator_paths.load_list() gives them), one line each: a path that is missing, a module of
  another __name__ or other public names, a path to a module that is not the object of the
  first path to it, a path TF 2.15 imported by name that does not import as that object.
  It looks each path up itself, so it may be the first to touch them."""
  mismatches = []
  first_path = {}
  for path, description in sorted(listed["paths"].items()):
    try:
      module = estimator_paths.resolve(path)
    except AttributeError as e:
      mismatches.append(f"{path}: AttributeError: {e}")
      continue
    name = description["module"]
    if module.__name__ != name:
      mismatches.append(f"{path}: __name__ {module.__name__}, not {name}")
    elif public_names(module) != listed["modules"][name]:
      mismatches.append(f"{path}: public names differ from {name}'s")
    first = first_path.setdefault(name, path)
    if estimator_paths.resolve(first) is not module:
      mismatches.append(f"{path} is not the object at {first}")
    if description["importable"]:
      try:
        if importlib.import_module(path) is not module:
          mismatches.append(f"import {path} gives another object")
      except ImportError as e:
        mismatches.append(f"import {path}: {type(e).__name__}: {e}")
  return mismatches


PROBES = {"run_config_fields": run_config_fields,
          "standalone_client_errors": standalone_client_errors,
          "estimator_names": estimator_names,
          "tf_export_names": tf_export_names}

if __name__ == "__main__":
  import tensorflow  # pylint: disable=g-import-not-at-top
  probe = PROBES[sys.argv[1]]
  print(json.dumps({"tf_version": tensorflow.__version__,
                    "result": probe(tensorflow.compat.v1.estimator, tensorflow)}))
