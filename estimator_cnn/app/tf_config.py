"""TF_CONFIG, the variable a cluster task learns its role from: checked in every mode, seen by
the mode that runs cluster tasks only.

No TensorFlow here: --mode=inspect checks TF_CONFIG too. What is checked is what
tf.estimator's RunConfig and train_and_evaluate read (cluster, task, service,
session_master, eval_session_master, model_dir, environment, rpc_layer), so that
a mistake there is one line naming TF_CONFIG, not a traceback from inside
TensorFlow.
"""

import contextlib
import json
import os
import sys

from estimator_cnn.base.errors import UserError

VARIABLE = "TF_CONFIG"
CLUSTER_MODE = "train_and_eval"  # The mode a cluster task runs.
EVALUATOR = "evaluator"  # The one task type that is not in the cluster.
STRING_KEYS = ("session_master", "eval_session_master", "model_dir", "environment", "rpc_layer")
EXAMPLE = ('{"cluster": {"chief": ["host0:2222"], "worker": ["host1:2222"]}, '
           '"task": {"type": "worker", "index": 0}}')
MAX_PORT = 65535


def parsed(environ=os.environ):
  """TF_CONFIG as a dict, {} when unset; raises UserError, naming TF_CONFIG, when it is malformed."""
  text = environ.get(VARIABLE)
  if text is None:
    return {}
  if not text.strip():
    raise UserError(f"{VARIABLE} is set but empty: unset it (unset {VARIABLE}), or set it to a "
                    f"JSON object such as {EXAMPLE}")
  try:
    config = json.loads(text)
  except ValueError as e:
    raise UserError(f"{VARIABLE} is not valid JSON ({e}): set it to a JSON object such as "
                    f"{EXAMPLE}, or unset it") from None
  if not isinstance(config, dict):
    raise _malformed(f"is {_json_type(config)}, not a JSON object")
  for key in STRING_KEYS:
    _check(isinstance(config.get(key, ""), str), f"{key!r} must be a string", config.get(key))
  _check(isinstance(config.get("service", {}), dict), "'service' must be an object",
         config.get("service"))
  cluster = config.get("cluster", {})
  _check_cluster(cluster)
  _check_task(config.get("task"), cluster)
  return config


def _check_cluster(cluster):
  """A cluster is {job: ["host:port", ...]}."""
  _check(isinstance(cluster, dict), "'cluster' must be an object of jobs, e.g. "
         '{"chief": ["host0:2222"]}', cluster)
  for job, addresses in cluster.items():
    _check(isinstance(addresses, list) and addresses,
           f"cluster job {job!r} must be a non-empty list of \"host:port\" addresses", addresses)
    for address in addresses:
      _check(_is_address(address), f"cluster job {job!r} has {json.dumps(address)}, not a "
             f"\"host:port\" address with a port in 1..{MAX_PORT}")


def _check_task(task, cluster):
  """A task is {"type": a job of the cluster or "evaluator", "index": its position there}."""
  if task is None:
    _check(not cluster, "has a 'cluster' but no 'task': add \"task\": {\"type\": ..., "
           "\"index\": ...}, the role of this process")
    return
  _check(isinstance(task, dict), "'task' must be an object such as "
         '{"type": "worker", "index": 0}', task)
  task_type, index = task.get("type"), task.get("index")
  _check(isinstance(task_type, str) and task_type, "task 'type' must be a non-empty string",
         task_type)
  _check(isinstance(index, int) and not isinstance(index, bool) and index >= 0,
         "task 'index' must be an integer >= 0", index)
  if not cluster or task_type == EVALUATOR:
    return
  _check(task_type in cluster, f"task type {task_type!r} is not a job of its cluster, "
         f"{', '.join(sorted(cluster))}")
  _check(index < len(cluster[task_type]), f"task index {index} is past the "
         f"{len(cluster[task_type])} {task_type} address(es) of its cluster")


def _is_address(address):
  if not isinstance(address, str):
    return False
  host, _, port = address.rpartition(":")
  return bool(host) and port.isdigit() and 1 <= int(port) <= MAX_PORT


def _json_type(value):
  """What a JSON value is, in words: 'a JSON array', 'a JSON number'..."""
  names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number",
           type(None): "null"}
  return f"a JSON {names[type(value)]}"


def _check(condition, problem, value=None):
  """Raises _malformed(problem, value) unless condition holds."""
  if not condition:
    raise _malformed(problem, value)


def _malformed(problem, value=None):
  """The UserError for a TF_CONFIG with the problem, quoting the value when given."""
  got = f" (it has {json.dumps(value)})" if value is not None else ""
  return UserError(f"{VARIABLE} {problem}{got}: correct it, or unset {VARIABLE}")


def task_name(task_type, index):
  """'worker 0', 'chief', 'evaluator': how the task is named in what a cluster task prints."""
  return task_type if task_type in ("chief", EVALUATOR) else f"{task_type} {index}"


@contextlib.contextmanager
def seen_by(mode, environ=os.environ):
  """Checks TF_CONFIG for --mode=mode, and keeps it from the mode unless it runs cluster tasks.

  A malformed TF_CONFIG is a UserError in every mode; a cluster in --mode=train is
  too (--mode=train_and_eval runs the task). Other modes need no cluster: they run
  with TF_CONFIG out of environ (tf.estimator's RunConfig reads it), after one line
  on stderr saying it is ignored, and get it back at the end.
  """
  config = parsed(environ)
  if mode == CLUSTER_MODE or not config:
    yield
    return
  if mode == "train" and config.get("cluster"):
    raise UserError(f"--mode=train trains in this process alone, but {VARIABLE} names a "
                    f"cluster: pass --mode={CLUSTER_MODE} to run its task "
                    f"({task_name(config['task']['type'], config['task']['index'])}), or unset "
                    f"{VARIABLE}")
  print(f"{VARIABLE} ignored: --mode={mode} needs no cluster", file=sys.stderr, flush=True)
  text = environ.pop(VARIABLE)
  try:
    yield
  finally:
    environ[VARIABLE] = text
