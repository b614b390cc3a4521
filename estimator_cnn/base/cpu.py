"""The CPU's model, clock and flags, and whether it computes bfloat16 natively.

Without AVX512_BF16 or AMX-BF16, TensorFlow emulates bfloat16, slower than float32: the callers
fall back to float32 there.
"""

import platform

# /proc/cpuinfo flags of CPUs with native bf16 arithmetic.
BF16_CPU_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
CPUINFO_PATH = "/proc/cpuinfo"


def cpu_flags():
  """The CPU's feature flags from /proc/cpuinfo, or None where they can't be read (non-Linux)."""
  try:
    with open(CPUINFO_PATH) as f:
      for line in f:
        key, _, value = line.partition(":")
        if key.strip() == "flags":
          return frozenset(value.split())
  except OSError:
    return None
  return None


def bfloat16_supported():
  """True if the CPU has native bf16 (AVX512_BF16 or AMX-BF16); False when unknown."""
  flags = cpu_flags()
  return flags is not None and bool(flags & BF16_CPU_FLAGS)


def cpu_model_and_mhz():
  """(model name, clock in MHz) of the first CPU in /proc/cpuinfo; the clock None if unknown."""
  model, mhz = platform.processor() or platform.machine(), None
  try:
    with open(CPUINFO_PATH) as f:
      lines = f.read().split("\n\n")[0].splitlines()
  except OSError:
    return model, mhz
  fields = {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}
  return fields.get("model name") or model, float(fields["cpu MHz"]) if "cpu MHz" in fields else None
