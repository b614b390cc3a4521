"""oneDNN's verbose log (ONEDNN_VERBOSE=1): which kernel ran each primitive, how long, on what ISA.

No TensorFlow here. With ONEDNN_VERBOSE_TIMESTAMP=1 each line executing a
primitive reads, in oneDNN 3.7 (TF 2.21)

  onednn_verbose,v1,<ms since the epoch>,primitive,exec,cpu,<primitive>,<kernel>,
      <pass>,<memory descriptors>,<attributes>,<algorithm>,<shape>,<ms>

and in oneDNN 3.2 (TF 2.15) the same without `v1` and `primitive`. Kernel names carry the ISA
they were compiled for: `brg_conv_fwd:avx10_1_512_amx` runs on AMX tiles,
`jit:avx512_core_bf16` on AVX512_BF16 instructions, `x64:gemm:jit` on the
generic GEMM (no AMX), `ref:any` on reference C++ code.
"""

import collections
import typing

PREFIX = "onednn_verbose"
REORDER = "reorder"
# The ISA a kernel name shows, checked in this order.
ISAS = (("amx", "AMX"), ("avx512_core_bf16", "AVX512_BF16"), ("avx512", "AVX-512"),
        ("avx2", "AVX2"), ("gemm", "GEMM, no AMX"), ("ref", "reference C++"))


class Execution(typing.NamedTuple):
  """One primitive run: when (ms since the epoch; None without timestamps), what, and how long."""
  timestamp_ms: typing.Optional[float]
  primitive: str  # convolution, matmul, inner_product, pooling, reorder, ...
  kernel: str
  propagation: str  # forward_training, backward_data, backward_weights, undef, ...
  shape: str
  ms: float


def parse_line(line):
  """The Execution of one verbose line, or None if it is not a primitive's execution."""
  fields = line.strip().split(",")
  if not fields or fields[0] != PREFIX or "exec" not in fields:
    return None
  at = fields.index("exec")
  if len(fields) < at + 7:
    return None
  timestamp = None
  for field in reversed(fields[1:at]):
    try:
      timestamp = float(field)
      break
    except ValueError:
      continue
  try:
    ms = float(fields[-1])
  except ValueError:
    return None
  return Execution(timestamp, fields[at + 2], fields[at + 3], fields[at + 4], fields[-2], ms)


def isa_of(kernel):
  """The ISA a kernel name shows: "AMX", "AVX512_BF16", ... or "other"."""
  for marker, isa in ISAS:
    if marker in kernel:
      return isa
  return "other"


def kernels_per_step(lines, since_ms, steps):
  """Rows (primitive, pass, shape, kernel, ISA, runs per step, ms per step), slowest first, of
  the executions at or after since_ms (ms since the epoch) over `steps` training steps."""
  totals = collections.defaultdict(lambda: [0, 0.0])
  for line in lines:
    run = parse_line(line)
    if run is None or run.timestamp_ms is None or run.timestamp_ms < since_ms:
      continue
    key = (run.primitive, run.propagation, run.shape, run.kernel)
    totals[key][0] += 1
    totals[key][1] += run.ms
  rows = [{"primitive": primitive, "pass": propagation, "shape": shape, "kernel": kernel,
           "isa": isa_of(kernel), "runs_per_step": count / steps, "ms_per_step": ms / steps}
          for (primitive, propagation, shape, kernel), (count, ms) in totals.items()]
  return sorted(rows, key=lambda row: -row["ms_per_step"])
