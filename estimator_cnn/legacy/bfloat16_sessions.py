"""Opt-in bfloat16 for an old program: TensorFlow's oneDNN bfloat16 rewrite in every session.

TensorFlow's graph optimizer has a pass, auto_mixed_precision_onednn_bfloat16,
that turns a float32 graph into bfloat16 where it is safe (convolutions, matmuls
and what lies between them, with their gradients) and keeps the variables, the
loss and the optimizer's update in float32; no Estimator program ever switched
it on. Once installed, every session the program makes (the Estimator's train,
eval and predict, MonitoredTrainingSession, a plain tf.compat.v1.Session) gets it
on top of the program's own session config. It pays only where the CPU computes
bfloat16 natively (AVX512_BF16 or AMX-BF16) and oneDNN is on: elsewhere one line
says the program runs in float32, and nothing is changed.

    python -m estimator_cnn.legacy --bf16 SCRIPT.py     # the runner
    ESTIMATOR_CNN_BF16=1 python SCRIPT.py               # with the one import
"""

import multiprocessing
import os
import sys

from estimator_cnn.base import cpu

ENV_VAR = "ESTIMATOR_CNN_BF16"
_NOT_NATIVE = ("bfloat16: this CPU computes bfloat16 only by emulation (no avx512_bf16 or "
               "amx_bf16 flag), slower than float32: the program runs in float32")
_ONEDNN_OFF = ("bfloat16: oneDNN is off (TF_ENABLE_ONEDNN_OPTS=0), and the rewrite needs it: "
               "the program runs in float32")
_ON = ("bfloat16: every session runs TensorFlow's oneDNN bfloat16 rewrite "
       "(auto_mixed_precision_onednn_bfloat16); variables and the loss stay float32")
_said = set()


def requested():
  """Whether ESTIMATOR_CNN_BF16=1 asks for it (the runner's --bf16 sets it, for child processes
  too)."""
  return os.environ.get(ENV_VAR) == "1"


def install_if_requested():
  """install() when ESTIMATOR_CNN_BF16=1 asks for it; else nothing."""
  if requested():
    install()


def with_bfloat16_rewrite(config):
  """A copy of the session config (a ConfigProto or None) with the rewrite on."""
  from tensorflow.core.protobuf import config_pb2  # pylint: disable=g-import-not-at-top
  from tensorflow.core.protobuf import rewriter_config_pb2  # pylint: disable=g-import-not-at-top
  merged = config_pb2.ConfigProto()
  if config is not None:
    merged.CopyFrom(config)
  merged.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = (
      rewriter_config_pb2.RewriterConfig.ON)
  return merged


def _say(line):
  """Prints line to stderr once a process, and only in the program's main process."""
  if multiprocessing.parent_process() is None and line not in _said:
    _said.add(line)
    print(line, file=sys.stderr, flush=True)


def install():
  """Turns the rewrite on for every session made from now on, where it pays; says which in one
  line (once, in the main process). Returns whether it is on. Installing twice changes nothing
  more."""
  from tensorflow.python.client import session  # pylint: disable=g-import-not-at-top
  from tensorflow.python.util import _pywrap_util_port  # pylint: disable=g-import-not-at-top
  if not cpu.bfloat16_supported():
    _say(_NOT_NATIVE)
    return False
  if not _pywrap_util_port.IsMklEnabled():
    _say(_ONEDNN_OFF)
    return False
  original = session.BaseSession.__init__
  if getattr(original, "bfloat16_rewrite", False):
    return True

  def __init__(self, target="", graph=None, config=None):
    original(self, target, graph, with_bfloat16_rewrite(config))

  __init__.bfloat16_rewrite = True
  session.BaseSession.__init__ = __init__
  _say(_ON)
  return True
