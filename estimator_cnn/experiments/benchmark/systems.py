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
OUTPUT_DIR = os.path.join("results", "benchmark")
# The flags that set how the systems are measured; the results record them.
SETTINGS = ("rounds", "steps", "warmup_steps", "batch_size", "tta_rounds", "target", "eval_every",
            "tta_max_steps", "emulated_bf16", "matmul_size")


class System(typing.NamedTuple):
  """What one measured column runs."""
  stack: str
  runner: str  # "estimator", "keras" or "torch": the worker module that measures it.
  dtype: typing.Optional[str]  # None: the recipe's.
  recipe: typing.Optional[str]
  label: str
  compile_mode: typing.Optional[str] = None  # torch.compile's mode (torch runner); None: eager.


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
}
DEFAULT_SYSTEMS = [name for name in SYSTEMS if name != "tf_estimator_bf16"]
# Measured only where its environment exists (make bench-peers); never a dependency.
OPTIONAL_STACKS = (stacks.TORCH,)


def check_systems(names, flag="systems"):
  """The systems' names given to --flag, checked; raises UserError naming the valid ones."""
  unknown = [name for name in names if name not in SYSTEMS]
  if unknown or not names:
    raise UserError(f"--{flag}: unknown system(s) {', '.join(unknown) or '(none given)'}; "
                    f"choose from {', '.join(SYSTEMS)}")
  if len(set(names)) != len(names):
    raise UserError(f"--{flag} names a system twice: {','.join(names)}")
  return list(names)


def runs_here(system, bf16_native, emulated_bf16):
  """False for a bf16 system on a CPU without native bf16, unless emulation is asked for."""
  return system.dtype != presets.BFLOAT16 or bf16_native or emulated_bf16
