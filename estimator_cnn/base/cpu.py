"""The CPU's feature flags, and whether it computes bfloat16 natively (AVX512_BF16 or AMX-BF16).

Without either, TensorFlow emulates bfloat16, slower than float32: the callers
fall back to float32 there.
"""

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
