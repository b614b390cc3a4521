"""estimator_cnn.legacy.compat: each patch, that they change nothing on TF 2.15, and that
RunConfig and the distribute coordinator behave as on TF 2.15 (compared in subprocesses)."""

import importlib
import importlib.metadata
import json
import os
import sys

import pytest

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import TF_VERSION, major_minor, tf
from estimator_cnn.base.errors import UserError
from estimator_cnn.legacy import compat
from tests import stacks
from tests.legacy import probes

PATCHED = major_minor(TF_VERSION) >= (2, 16)
ESTIMATOR_TRAINING = "tensorflow.python.distribute.estimator_training"
ESTIMATOR_TRAINING_FUNCTIONS = ("init_run_config", "should_run_distribute_coordinator",
                                "train_and_evaluate", "estimator_train", "estimator_evaluate")
TPU_MODULES = ("tensorflow.python.tpu.tpu_embedding",
               "tensorflow.python.tpu.tpu_embedding_gradient",
               "tensorflow.python.tpu.session_support")
TF215_API_ATTRS = ("_estimator_api_names", "_estimator_api_constants")
TF215_API_ATTRS_V1 = ("_estimator_api_names_v1", "_estimator_api_constants_v1")

# On TF 2.15: TensorFlow's tf_export state and the ids of its modules before and after
# patch_tensorflow() (with tf.compat.v1.estimator loaded first), as a JSON line.
_TF215_PATCH_SNIPPET = """
import json
import sys

import tensorflow as tf
from tensorflow.python.util import tf_export

tf.compat.v1.estimator.Estimator
for name in ("tensorflow.python.distribute.estimator_training",
             "tensorflow.python.tpu.tpu_embedding",
             "tensorflow.python.tpu.tpu_embedding_gradient",
             "tensorflow.python.tpu.session_support"):
  __import__(name)


def snapshot():
  return {"modules": {n: id(m) for n, m in sys.modules.items() if n.startswith("tensorflow")},
          "estimator_api_name": getattr(tf_export, "ESTIMATOR_API_NAME", None),
          "subpackage_namespaces": list(tf_export.SUBPACKAGE_NAMESPACES),
          "api_attrs": {k: list(v) for k, v in tf_export.API_ATTRS.items()},
          "api_attrs_v1": {k: list(v) for k, v in tf_export.API_ATTRS_V1.items()}}


before = snapshot()
from estimator_cnn.legacy import compat
compat.patch_tensorflow()
after = snapshot()
changed = sorted(n for n, i in before.pop("modules").items() if after["modules"].get(n) != i)
after.pop("modules")
print(json.dumps({"tf_version": tf.__version__, "changed_modules": changed,
                  "tf_export_before": before, "tf_export_after": after}))
"""

# Runs train_and_evaluate through the distribute coordinator (INDEPENDENT_WORKER mode) on a
# one-chief cluster on localhost: as the chief (trains under MultiWorkerMirroredStrategy), then
# as the evaluator (evaluates the chief's last checkpoint). Prints a JSON line of what it saw.
_COORDINATOR_SNIPPET = """
import json
import os
import socket
import sys
import tempfile

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf
import numpy as np

MAX_STEPS = 5
with socket.socket() as s:
  s.bind(("localhost", 0))
  port = s.getsockname()[1]
x = np.random.RandomState(0).randn(64, 2).astype(np.float32)
y = (x.sum(axis=1) > 0).astype(np.int32)
strategies_seen = []


def model_fn(features, labels, mode):
  strategies_seen.append([mode, type(tf.distribute.get_strategy()).__name__])
  logits = tf.compat.v1.layers.dense(features["x"], 2)
  loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
  train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
      loss, tf.compat.v1.train.get_global_step())
  accuracy = tf.compat.v1.metrics.accuracy(labels, tf.argmax(logits, 1))
  return tf_estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                    eval_metric_ops={"accuracy": accuracy})


def input_fn():
  return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(16)


model_dir = tempfile.mkdtemp()
result = {"tf_version": tf.__version__}
for task in ("chief", "evaluator"):
  os.environ["TF_CONFIG"] = json.dumps({"cluster": {"chief": [f"localhost:{port}"]},
                                        "task": {"type": task, "index": 0}})
  # MultiWorkerMirroredStrategy reads TF_CONFIG and wants no evaluator in it.
  strategy = (tf.compat.v1.distribute.experimental.MultiWorkerMirroredStrategy()
              if task == "chief" else tf.distribute.MirroredStrategy(["/cpu:0"]))
  estimator = tf_estimator.Estimator(
      model_fn, model_dir=model_dir,
      config=tf_estimator.RunConfig(train_distribute=strategy, tf_random_seed=0))
  tf_estimator.train_and_evaluate(
      estimator, tf_estimator.TrainSpec(input_fn, max_steps=MAX_STEPS),
      tf_estimator.EvalSpec(input_fn, steps=2, start_delay_secs=0, throttle_secs=0))
  result[task] = {"coordinator_mode": str(estimator.config._distribute_coordinator_mode),
                  "latest_checkpoint": os.path.basename(estimator.latest_checkpoint())}
evaluated = {}
for name in tf.io.gfile.glob(os.path.join(estimator.eval_dir(), "events.out.tfevents.*")):
  for event in tf.compat.v1.train.summary_iterator(name):
    for value in event.summary.value:
      evaluated.setdefault(event.step, []).append(value.tag)
result["evaluated"] = {step: sorted(tags) for step, tags in evaluated.items()}
result["strategies_seen"] = strategies_seen
print(json.dumps(result))
"""

# TensorFlow's multi-worker test harness replaces os.environ (per-thread TF_CONFIG, nothing else)
# before Keras is first used; then a chief thread runs train_and_evaluate of a canned
# DNNClassifier (tf.compat.v1.keras.layers.DenseFeatures) in INDEPENDENT_WORKER mode under
# collective all-reduce, then under a parameter-server strategy with an in-process ps.
_REPLACED_ENVIRON_SNIPPET = """
import json
import os
import socket
import tempfile
import threading
from unittest import mock

import numpy as np
from tensorflow.python.distribute import multi_worker_test_base

from estimator_cnn import estimator as tf_estimator
from estimator_cnn.base.tf_setup import tf

x = np.random.RandomState(0).randn(64, 2).astype(np.float32)
y = (x.sum(axis=1) > 0).astype(np.int32)


def free_address():
  with socket.socket() as s:
    s.bind(("localhost", 0))
    return f"localhost:{s.getsockname()[1]}"


def input_fn():
  return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(16)


def chief(cluster, strategy_name, result):
  os.environ["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "chief", "index": 0}})
  strategy = (tf.compat.v1.distribute.experimental.MultiWorkerMirroredStrategy()
              if strategy_name == "collective" else
              tf.compat.v1.distribute.experimental.ParameterServerStrategy())
  estimator = tf_estimator.DNNClassifier(
      hidden_units=[4], feature_columns=[tf.feature_column.numeric_column("x", shape=(2,))],
      model_dir=tempfile.mkdtemp(),
      config=tf_estimator.RunConfig(train_distribute=strategy, tf_random_seed=0))
  tf_estimator.train_and_evaluate(
      estimator, tf_estimator.TrainSpec(input_fn, max_steps=5),
      tf_estimator.EvalSpec(input_fn, steps=2, start_delay_secs=0, throttle_secs=0))
  result["coordinator_mode"] = str(estimator.config._distribute_coordinator_mode)
  result["latest_checkpoint"] = os.path.basename(estimator.latest_checkpoint())


result = {"tf_version": tf.__version__}
with mock.patch.object(os, "environ", multi_worker_test_base.MockOsEnv()):
  for strategy_name in ("collective", "parameter_server"):
    cluster = {"chief": [free_address()]}
    if strategy_name == "parameter_server":
      cluster["ps"] = [free_address()]
      tf.distribute.Server(tf.train.ClusterSpec(cluster), job_name="ps", task_index=0)
    result[strategy_name] = {}
    thread = threading.Thread(target=chief, args=(cluster, strategy_name, result[strategy_name]))
    thread.start()
    thread.join()
print(json.dumps(result))
"""

CLUSTER = {"chief": ["chief0:2222"], "worker": ["worker0:2222", "worker1:2222"],
           "ps": ["ps0:2222"]}
TF_CONFIGS = {
    "local": {},
    "chief": {"cluster": CLUSTER, "task": {"type": "chief", "index": 0}},
    "worker1": {"cluster": CLUSTER, "task": {"type": "worker", "index": 1}},
    "ps": {"cluster": CLUSTER, "task": {"type": "ps", "index": 0}},
    "evaluator": {"cluster": CLUSTER, "task": {"type": "evaluator", "index": 0}},
    "master": {"cluster": {"master": ["master0:2222"], "worker": ["worker0:2222"],
                           "ps": ["ps0:2222"]},
               "task": {"type": "master", "index": 0}},
}


@pytest.fixture(scope="module")
def tf215_patch_run(tf215_json):
  """What patch_tensorflow() did to a TF 2.15 process, and its tf_export state (see
  _TF215_PATCH_SNIPPET)."""
  return tf215_json(["-c", _TF215_PATCH_SNIPPET])


def test_estimator_api_name_and_attribute_slots_are_tf215s(tf215_patch_run):
  """tf_export has ESTIMATOR_API_NAME and TF 2.15's attribute names for it, once."""
  from tensorflow.python.util import tf_export  # pylint: disable=g-import-not-at-top
  tf215 = tf215_patch_run["tf_export_before"]

  assert tf_export.ESTIMATOR_API_NAME == tf215["estimator_api_name"] == "estimator"
  assert tuple(tf_export.API_ATTRS["estimator"]) == tuple(tf215["api_attrs"]["estimator"]) == (
      TF215_API_ATTRS)
  assert tuple(tf_export.API_ATTRS_V1["estimator"]) == tuple(
      tf215["api_attrs_v1"]["estimator"]) == TF215_API_ATTRS_V1
  assert type(tf_export.API_ATTRS["estimator"]) is type(tf_export.API_ATTRS["tensorflow"])
  assert tf_export.SUBPACKAGE_NAMESPACES.count("estimator") == 1


@pytest.mark.parametrize("path, names, names_v1", [
    ("Estimator", [], ["estimator.Estimator"]),
    ("RunConfig", ["estimator.RunConfig"], ["estimator.RunConfig"]),
    ("ModeKeys", ["estimator.ModeKeys"], ["estimator.ModeKeys"]),
    ("export.ServingInputReceiver", ["estimator.export.ServingInputReceiver"],
     ["estimator.export.ServingInputReceiver"]),
])
def test_estimator_symbols_record_tf215_api_names(path, names, names_v1):
  """@estimator_export stored each symbol's API names under TF 2.15's attribute names."""
  symbol = tf_estimator
  for part in path.split("."):
    symbol = getattr(symbol, part)
  assert list(vars(symbol)[TF215_API_ATTRS[0]]) == names
  assert list(vars(symbol)[TF215_API_ATTRS_V1[0]]) == names_v1


def test_tf_export_lookups_give_tf215s_names_for_every_estimator_symbol(tf215_json):
  """tf_export.get_v1_names / get_v2_names of each public symbol of tf.compat.v1.estimator and
  tf.estimator are TF 2.15's (whose lookups read the estimator API's attributes too)."""
  tf215 = tf215_json(["-m", "tests.legacy.probes", "tf_export_names"])["result"]

  names = probes.tf_export_names(tf_estimator, tf)

  assert names == tf215
  assert names["v1.Estimator"] == [["estimator.Estimator"], []]
  assert names["v2.Estimator"] == [[], ["estimator.Estimator"]]


def test_patch_tensorflow_and_load_estimator_can_run_again():
  """Calling load_estimator() (so patch_tensorflow()) after the facade import changes nothing."""
  from tensorflow.python.util import tf_export  # pylint: disable=g-import-not-at-top
  modules = {name: sys.modules[name] for name in (ESTIMATOR_TRAINING, *TPU_MODULES)}

  assert compat.load_estimator() is tf.compat.v1.estimator
  assert tf.compat.v1.estimator.Estimator is tf_estimator.Estimator
  assert {name: sys.modules[name] for name in modules} == modules
  assert tf_export.SUBPACKAGE_NAMESPACES.count("estimator") == 1


def test_patch_tensorflow_is_a_no_op_on_tf215(tf215_patch_run):
  """On TF 2.15 patch_tensorflow() replaces no module and leaves tf_export as it was."""
  assert tf215_patch_run["changed_modules"] == []
  assert tf215_patch_run["tf_export_after"] == tf215_patch_run["tf_export_before"]


def test_estimator_training_has_tf215_functions_and_is_what_the_estimator_uses():
  """estimator_training imports with TF 2.15's functions, and is estimator_cnn's on TF >= 2.16,
  TensorFlow's own on 2.15; tensorflow-estimator's modules use that module."""
  from tensorflow.python.distribute import estimator_training  # pylint: disable=g-import-not-at-top
  assert sys.modules[ESTIMATOR_TRAINING] is estimator_training
  for name in ESTIMATOR_TRAINING_FUNCTIONS:
    assert callable(getattr(estimator_training, name)), name
  if PATCHED:
    assert estimator_training is importlib.import_module("estimator_cnn.legacy.estimator_training")
  else:
    distribute_dir = os.path.dirname(importlib.import_module("tensorflow.python.distribute").__file__)
    assert os.path.dirname(estimator_training.__file__) == distribute_dir
  for user in ("estimator", "run_config", "training"):
    module = importlib.import_module(f"tensorflow_estimator.python.estimator.{user}")
    assert module.distribute_coordinator_training is estimator_training, user


def test_tpu_modules_are_tensorflows_own_on_tf215():
  """On TF 2.15 the TPU modules TPUEstimator imports are TensorFlow's, not placeholders."""
  if PATCHED:
    pytest.skip(f"TensorFlow {TF_VERSION} no longer has them: see the placeholder tests")
  for name in TPU_MODULES:
    assert importlib.import_module(name).__file__.endswith(name.rpartition(".")[2] + ".py")


@pytest.mark.parametrize("module_name, attribute", [
    ("tensorflow.python.tpu.tpu_embedding", "AdagradParameters"),
    ("tensorflow.python.tpu.tpu_embedding_gradient", "hook_dummy_table_variables_to_activations"),
    ("tensorflow.python.tpu.session_support", "start_worker_watchdog"),
])
def test_tpu_placeholder_raises_tpu_not_supported_in_one_line(module_name, attribute):
  """On TF >= 2.16 a removed TPU module is a placeholder: using any of its names raises
  TPUNotSupported (a UserError) whose message is one line naming the module."""
  if not PATCHED:
    pytest.skip(f"TensorFlow {TF_VERSION} still has {module_name}")
  module = importlib.import_module(module_name)
  assert getattr(module, "__file__", None) is None  # Not TensorFlow's module.
  assert not hasattr(module, "__path__")  # Dunder look-ups fail as on a plain module.
  with pytest.raises(compat.TPUNotSupported) as raised:
    getattr(module, attribute)(0.1)
  message = str(raised.value)
  assert isinstance(raised.value, UserError)
  assert "\n" not in message
  assert module_name in message and TF_VERSION in message


def test_tpu_estimator_embedding_optimizer_is_the_placeholder():
  """TPUEstimator's embedding code got the placeholder's AdagradParameters, which raises."""
  if not PATCHED:
    pytest.skip(f"TensorFlow {TF_VERSION} still has tpu_embedding.AdagradParameters")
  from tensorflow_estimator.python.estimator.tpu import _tpu_estimator_embedding  # pylint: disable=g-import-not-at-top
  with pytest.raises(compat.TPUNotSupported):
    _tpu_estimator_embedding.AdagradParameters(learning_rate=0.1)


def test_tpu_embedding_config_from_feature_columns_names_the_function_called():
  """TPU embedding stays unsupported on TF >= 2.16; building its configuration from feature
  columns (which TF 2.15 did without a TPU) fails in one line naming the function called and
  the removed piece it called."""
  if not PATCHED:
    pytest.skip(f"TensorFlow {TF_VERSION} still has tpu_embedding")
  from tensorflow_estimator.python.estimator.tpu import _tpu_estimator_embedding  # pylint: disable=g-import-not-at-top
  ids = tf.feature_column.categorical_column_with_identity("ids", num_buckets=10)
  column = tf.compat.v1.tpu.experimental.embedding_column(ids, dimension=4)

  with pytest.raises(compat.TPUNotSupported) as raised:
    _tpu_estimator_embedding.get_configs_from_feature_columns([column])

  assert str(raised.value) == (
      "tensorflow_estimator.python.estimator.tpu._tpu_estimator_embedding."
      "get_configs_from_feature_columns called tensorflow.python.tpu.tpu_embedding.FeatureConfig, "
      "but TensorFlow 2.16 removed tensorflow.python.tpu.tpu_embedding, so TPUEstimator's TPU "
      f"features cannot run on TensorFlow {TF_VERSION}: use TensorFlow 2.15 (Python <= 3.11) or "
      "a Keras TPU strategy")


def test_tpu_estimator_without_tpu_trains_on_cpu(tmp_path, input_fns):
  """TPUEstimator(use_tpu=False) still trains on CPU: the placeholders stay out of its way."""

  def model_fn(features, labels, mode, params):
    del params
    logits = tf.compat.v1.layers.dense(features["x"], 2)
    loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = tf.compat.v1.train.GradientDescentOptimizer(0.1).minimize(
        loss, tf.compat.v1.train.get_global_step())
    return tf_estimator.tpu.TPUEstimatorSpec(mode, loss=loss, train_op=train_op)

  estimator = tf_estimator.tpu.TPUEstimator(
      model_fn=model_fn, config=tf_estimator.tpu.RunConfig(model_dir=str(tmp_path)),
      use_tpu=False, train_batch_size=16)
  estimator.train(lambda params: input_fns.train(), max_steps=3)
  assert estimator.get_variable_value("global_step") == 3


@pytest.mark.parametrize("task", sorted(TF_CONFIGS))
def test_run_config_from_tf_config_matches_tf215(task, monkeypatch, tf215_json):
  """RunConfig's task, ids, replica counts, cluster and coordinator mode for a TF_CONFIG, plain
  and with train_distribute=MirroredStrategy, are TF 2.15's."""
  tf_config = json.dumps(TF_CONFIGS[task])
  tf215 = tf215_json(["-m", "tests.legacy.probes", "run_config_fields"],
                     env={"TF_CONFIG": tf_config})
  monkeypatch.setenv("TF_CONFIG", tf_config)

  fields = probes.run_config_fields(tf_estimator, tf)

  assert fields == tf215["result"]


def test_run_config_probe_sees_the_cluster(monkeypatch):
  """The probe's fields are the cluster's (a broken probe would make the equality hollow)."""
  monkeypatch.delenv("TF_CONFIG", raising=False)
  local = probes.run_config_fields(tf_estimator, tf)
  assert local["plain"]["num_worker_replicas"] == 1 and local["plain"]["cluster_spec"] == {}
  monkeypatch.setenv("TF_CONFIG", json.dumps(TF_CONFIGS["worker1"]))
  worker = probes.run_config_fields(tf_estimator, tf)
  assert worker["plain"]["task_type"] == "worker" and worker["plain"]["task_id"] == 1
  assert worker["plain"]["global_id_in_cluster"] == 2  # After the chief and worker 0.
  assert worker["plain"]["num_worker_replicas"] == 3 and worker["plain"]["num_ps_replicas"] == 1
  assert worker["mirrored"]["distribute_coordinator_mode"] == "independent_worker"
  assert worker["mirrored"]["should_run_distribute_coordinator"] is True


def test_standalone_client_config_and_refusals_match_tf215(monkeypatch, tf215_json):
  """A RunConfig with experimental_distribute.remote_cluster (STANDALONE_CLIENT mode), and the
  ValueErrors Estimator.train / .evaluate raise through estimator_train / estimator_evaluate for
  a between-graph strategy or an evaluator job, are TF 2.15's."""
  tf215 = tf215_json(["-m", "tests.legacy.probes", "standalone_client_errors"])
  monkeypatch.delenv("TF_CONFIG", raising=False)

  result = probes.standalone_client_errors(tf_estimator, tf)

  assert result == tf215["result"]
  between_graph = result["between_graph"]
  assert between_graph["config"]["distribute_coordinator_mode"] == "standalone_client"
  assert between_graph["train"] == ("ValueError: `Estimator.train` API is not supported for "
                                    "ParameterServerStrategyV1 with `STANDALONE_CLIENT` mode.")
  assert result["evaluator_job"]["evaluate"].startswith("ValueError: 'evaluator' job is not")


def test_train_and_evaluate_through_distribute_coordinator_matches_tf215(run_for_json,
                                                                          tf215_json):
  """train_and_evaluate with train_distribute and a TF_CONFIG cluster goes through the
  distribute coordinator (estimator_training.train_and_evaluate): the chief trains under the
  strategy, the evaluator evaluates the last checkpoint, as on TF 2.15."""
  current = run_for_json(stacks.CURRENT, ["-c", _COORDINATOR_SNIPPET])
  current_version = current.pop("tf_version")
  tf215 = tf215_json(["-c", _COORDINATOR_SNIPPET])

  assert current == tf215, f"TensorFlow {current_version} differs from 2.15"
  assert current["chief"] == {"coordinator_mode": "independent_worker",
                              "latest_checkpoint": "model.ckpt-5"}
  assert current["evaluated"] == {"5": ["accuracy", "checkpoint_path", "loss"]}
  assert current["strategies_seen"] == [["train", "CollectiveAllReduceStrategyV1"],
                                        ["eval", "_DefaultDistributionStrategy"]]


@stacks.made_by_the_current_run
def test_independent_workers_under_a_replaced_os_environ_train_as_on_tf215(run_for_json,
                                                                           tf215_json):
  """The Keras choice holds when a program replaces os.environ before Keras is first used, as
  TensorFlow's multi-worker harness does: a canned DNNClassifier trains in the distribute
  coordinator's independent-worker flow under both strategies, as on TF 2.15."""
  current = run_for_json(stacks.CURRENT, ["-c", _REPLACED_ENVIRON_SNIPPET])
  current_version = current.pop("tf_version")
  tf215 = tf215_json(["-c", _REPLACED_ENVIRON_SNIPPET])

  assert current == tf215, f"TensorFlow {current_version} differs from 2.15"
  for strategy_name in ("collective", "parameter_server"):
    assert current[strategy_name] == {"coordinator_mode": "independent_worker",
                                      "latest_checkpoint": "model.ckpt-5"}


def test_estimator_namespaces_work_after_facade_import():
  """tf.estimator and tf.compat.v2.estimator are the v2 API, tf.compat.v1.estimator and
  `import tensorflow_estimator` the v1 API the facade exports."""
  import tensorflow_estimator  # pylint: disable=g-import-not-at-top

  assert tf.compat.v1.estimator.Estimator is tf_estimator.Estimator
  assert tensorflow_estimator.estimator.Estimator is tf_estimator.Estimator
  assert tf.estimator.Estimator is tf.compat.v2.estimator.Estimator
  assert tf.estimator.Estimator.__name__ == "EstimatorV2"
  assert issubclass(tf.estimator.Estimator, tf_estimator.Estimator)
  assert tf.estimator.RunConfig is tf_estimator.RunConfig
  assert not hasattr(tf.estimator, "inputs")  # v1 only, as on TF 2.15.


def test_installed_versions_are_the_checked_ones():
  """The tensorflow-estimator installed is compat.ESTIMATOR_VERSION and TensorFlow is not newer
  than compat.CHECKED_UP_TO, except a nightly: the next stack (make test-next) runs one to find
  what a coming release breaks before CHECKED_UP_TO moves."""
  assert importlib.metadata.version("tensorflow-estimator") == compat.ESTIMATOR_VERSION
  if ".dev" not in TF_VERSION:
    assert major_minor(TF_VERSION) <= compat.CHECKED_UP_TO
