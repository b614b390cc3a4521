"""bfloat16 mixed precision the TF1 way: bf16 compute, float32 variables, float32 loss.

A `custom_getter` on the variable scope keeps every variable float32 (so
checkpoints keep their names and dtypes, interchangeable with float32 training)
and hands the layers a bf16 cast of it. The CPU's flags decide whether bf16 is
worth it (base/cpu.py): without AVX512_BF16 or AMX, TensorFlow emulates it,
slower than float32, so the model falls back to float32 unless emulation is
allowed.
"""

import contextlib

from estimator_cnn.base import cpu
from estimator_cnn.base.tf_setup import tf
from estimator_cnn.model import presets

v1 = tf.compat.v1
FALLBACK_MESSAGE = ("bfloat16 is not supported by this CPU (no avx512_bf16/amx): "
                    "training in float32")
_state = {"warned": False, "allow_emulation": False}


def allow_emulation(allowed=True):
  """Lets bfloat16 run on CPUs without native support (emulated: slow, for tests and benchmarks)."""
  _state["allow_emulation"] = allowed


def compute_dtype(requested):
  """The tf.DType to compute in for params["dtype"]: bf16 only where the CPU supports it.

  Falling back to float32 prints FALLBACK_MESSAGE, once per process.
  """
  requested = requested or presets.FLOAT32
  if requested not in presets.DTYPES:
    raise ValueError(f"dtype must be one of {presets.DTYPES}, got {requested!r}")
  if requested == presets.FLOAT32:
    return tf.float32
  if cpu.bfloat16_supported() or _state["allow_emulation"]:
    return tf.bfloat16
  if not _state["warned"]:
    print(FALLBACK_MESSAGE, flush=True)
    _state["warned"] = True
  return tf.float32


def _float32_storage_getter(getter, *args, **kwargs):
  """Creates variables asked for in bf16 as float32 and returns a bf16 cast of them."""
  if kwargs.get("dtype") != tf.bfloat16:
    return getter(*args, **kwargs)
  variable = getter(*args, **{**kwargs, "dtype": tf.float32})
  return tf.cast(variable, tf.bfloat16)


@contextlib.contextmanager
def _float32_variables():
  scope = v1.get_variable_scope()
  with v1.variable_scope(scope, custom_getter=_float32_storage_getter,
                         auxiliary_name_scope=False):
    yield


def float32_logits(network, images, dtype, *args, **kwargs):
  """Runs network(images as dtype, *args, **kwargs); returns its logits as float32.

  In bf16 the network's variables stay float32 with their usual names.
  """
  if dtype == tf.float32:
    return network(images, *args, **kwargs)
  with _float32_variables():
    logits = network(tf.cast(images, dtype), *args, **kwargs)
  return tf.cast(logits, tf.float32)
