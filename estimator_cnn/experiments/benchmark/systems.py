"""The measured systems and the names, labels and settings every part of the benchmark shares.

No TensorFlow here: the flags, and so the Keras 3 worker, import this module.
"""

import os
import typing

from estimator_cnn.base import stacks
from estimator_cnn.base.errors import UserError
from estimator_cnn.model import presets

EMULATED = " (emulated)"
FALLBACK = " (bfloat16 asked for: not supported on this CPU)"
NOT_SUPPORTED = "not supported on this CPU (no avx512_bf16/amx)"
PROGRAM = "program"  # The runner of the systems that start a TF 1.x program (program_worker).
OUTPUT_DIR = os.path.join("results", "benchmark")
# The flags that set how the systems are measured; the results record them.
SETTINGS = ("rounds", "steps", "warmup_steps", "batch_size", "tta_rounds", "target", "eval_every",
            "tta_max_steps", "emulated_bf16", "matmul_size")


class System(typing.NamedTuple):
  """What one measured column runs."""
  stack: str
  runner: str  # "estimator", "keras", "torch" or PROGRAM: the worker module that measures it.
  dtype: typing.Optional[str]  # None: the recipe's.
  recipe: typing.Optional[str]
  label: str
  compile_mode: typing.Optional[str] = None  # torch.compile's mode (torch runner); None: eager.

  @property
  def worker_stack(self):
    """The stack its worker runs on: a program system's worker runs on the current stack and
    starts the program on the system's (TF 1.15's Python 3.7 has no estimator_cnn)."""
    return stacks.CURRENT if self.runner == PROGRAM else self.stack

  @property
  def times_accuracy(self):
    """Whether it has a time to accuracy: a program trains and evaluates as its author wrote it,
    once; it reports its final test accuracy instead."""
    return self.runner != PROGRAM


SYSTEMS = {
    "ours_fp32": System(stacks.CURRENT, "estimator", presets.FLOAT32, None,
                        "tf.estimator on TF 2.21, float32"),
    "ours_bf16": System(stacks.CURRENT, "estimator", presets.BFLOAT16, None,
                        "tf.estimator on TF 2.21, --dtype=bfloat16"),
    "tf_estimator": System(stacks.LEGACY, "estimator", presets.FLOAT32, None,
                           "real tf.estimator, TF 2.15, float32"),
    "tf_estimator_bf16": System(stacks.LEGACY, "estimator", presets.BFLOAT16, None,
                                "real tf.estimator, TF 2.15, --dtype=bfloat16"),
    "keras_fp32": System(stacks.CURRENT, "keras", presets.FLOAT32, None,
                         "Keras 3 model.fit, TF 2.21, float32"),
    "keras_bf16": System(stacks.CURRENT, "keras", presets.BFLOAT16, None,
                         "Keras 3 model.fit, TF 2.21, mixed_bfloat16"),
    "ours_fast": System(stacks.CURRENT, "estimator", None, "fast",
                        "tf.estimator on TF 2.21, --recipe=fast"),
    "torch_fp32": System(stacks.TORCH, "torch", presets.FLOAT32, None,
                         "PyTorch eager, the same network and Adam, float32"),
    "torch_bf16": System(stacks.TORCH, "torch", presets.BFLOAT16, None,
                         "PyTorch eager, torch.autocast bfloat16, channels_last"),
    "torch_compile_fp32": System(stacks.TORCH, "torch", presets.FLOAT32, None,
                                 "PyTorch torch.compile (Inductor, default mode), float32",
                                 compile_mode="default"),
    "torch_compile_bf16": System(stacks.TORCH, "torch", presets.BFLOAT16, None,
                                 "PyTorch torch.compile (Inductor, default mode), torch.autocast "
                                 "bfloat16, channels_last", compile_mode="default"),
    "runner_tf1": System(stacks.CURRENT, PROGRAM, presets.FLOAT32, None,
                         "the blog's CNN as a TF 1.x program, python -m estimator_cnn.legacy, "
                         "TF 2.21"),
    "runner_tf1_bf16": System(stacks.CURRENT, PROGRAM, presets.BFLOAT16, None,
                              "the same TF 1.x program, python -m estimator_cnn.legacy --bf16, "
                              "TF 2.21"),
    "runner_tf1_legacy": System(stacks.LEGACY, PROGRAM, presets.FLOAT32, None,
                                "the same TF 1.x program, python -m estimator_cnn.legacy, TF 2.15"),
    "plain_tf1": System(stacks.TF1, PROGRAM, presets.FLOAT32, None,
                        "the same TF 1.x program, plain python on TF 1.15 (Python 3.7)"),
}
DEFAULT_SYSTEMS = [name for name in SYSTEMS if name != "tf_estimator_bf16"]
TIMED_TO_ACCURACY = tuple(name for name, system in SYSTEMS.items() if system.times_accuracy)
# Measured only where its environment exists (make bench-peers, make bench-tf1); never a dependency.
OPTIONAL_STACKS = (stacks.TORCH, stacks.TF1)


def check_systems(names, flag="systems", choices=tuple(SYSTEMS)):
  """The systems' names given to --flag, checked; raises UserError naming the valid choices."""
  unknown = [name for name in names if name not in choices]
  if unknown or not names:
    raise UserError(f"--{flag}: unknown system(s) {', '.join(unknown) or '(none given)'}; "
                    f"choose from {', '.join(choices)}")
  if len(set(names)) != len(names):
    raise UserError(f"--{flag} names a system twice: {','.join(names)}")
  return list(names)


def dtype_label(asked, computed, bf16_native):
  """The dtype a system reports: the one it computed in, marked EMULATED for bf16 on a CPU
  without native bf16, FALLBACK for float32 where bf16 was asked for."""
  if computed == presets.BFLOAT16 and not bf16_native:
    return computed + EMULATED
  if asked == presets.BFLOAT16 and computed == presets.FLOAT32:
    return computed + FALLBACK
  return computed


def runs_here(system, bf16_native, emulated_bf16):
  """False for a bf16 system on a CPU without native bf16, unless emulation is asked for."""
  return system.dtype != presets.BFLOAT16 or bf16_native or emulated_bf16
