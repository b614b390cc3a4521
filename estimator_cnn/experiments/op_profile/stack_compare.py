"""The same profile on another stack, and the two side by side, op by op and kernel by kernel.

No TensorFlow here. `--compare_stack=legacy` runs the command's profile again in
a child on that stack's Python and names what makes one stack's step slower: the
ops, and the oneDNN kernels, whose time a step differs by more than GAP_MS. On
its own stack (`--compare_stack=current` from the current stack) it shows the
differences between two runs of one stack: the noise.
"""

import subprocess

from estimator_cnn.base import json_files
from estimator_cnn.base import stacks
from estimator_cnn.base.errors import UserError

GAP_MS = 0.5
NAME = "stack_compare"
TIMEOUT_SECS = 1800


def profile_on(stack, python, flag_args, output_dir):
  """Runs `python -m estimator_cnn.experiments.op_profile FLAG_ARGS` with the stack's Python, its
  files written into output_dir, its output shown; a failed child is a UserError with its last
  line."""
  command = [python, "-m", __package__, *flag_args, f"--output_dir={output_dir}"]
  print(f"\nThe same profile on the {stack} stack ({python}) ...", flush=True)
  try:
    child = subprocess.run(command, env=stacks.subprocess_env(), stderr=subprocess.PIPE,
                           text=True, timeout=TIMEOUT_SECS, check=False)
  except subprocess.TimeoutExpired as e:
    raise UserError(f"the profile on the {stack} stack timed out after {TIMEOUT_SECS} s") from e
  if child.returncode != 0:
    error = (child.stderr.strip().splitlines() or ["(no output)"])[-1]
    raise UserError(f"the profile on the {stack} stack failed (exit code {child.returncode}): "
                    f"{error}")


def op_gaps(this, other, gap_ms=GAP_MS):
  """[(op name, this type, other type, this ms, other ms)] of the ops whose time a step differs by
  more than gap_ms (an op one side lacks counts 0 there), the largest difference first."""
  rows = []
  for name in this["ops"].keys() | other["ops"].keys():
    mine, theirs = this["ops"].get(name), other["ops"].get(name)
    row = (name, mine["type"] if mine else "-", theirs["type"] if theirs else "-",
           mine["ms"] if mine else 0.0, theirs["ms"] if theirs else 0.0)
    if abs(row[3] - row[4]) > gap_ms:
      rows.append(row)
  return sorted(rows, key=lambda row: -abs(row[3] - row[4]))


def kernel_gaps(this, other, gap_ms=GAP_MS):
  """[(primitive, pass, shape, this kernels, other kernels, this ms, other ms)] of the oneDNN
  primitives whose time a step differs by more than gap_ms, the largest difference first; a
  primitive is its kind, pass and shape, whichever kernel ran it on each side."""
  sides = []
  for result in (this, other):
    primitives = {}
    for row in result.get("kernels") or []:
      key = (row["primitive"], row["pass"], row["shape"])
      kernels, ms = primitives.get(key, ("", 0.0))
      primitives[key] = (", ".join(filter(None, (kernels, row["kernel"]))),
                         ms + row["ms_per_step"])
    sides.append(primitives)
  rows = []
  for key in sides[0].keys() | sides[1].keys():
    (mine, mine_ms), (theirs, theirs_ms) = (side.get(key, ("-", 0.0)) for side in sides)
    if abs(mine_ms - theirs_ms) > gap_ms:
      rows.append((*key, mine, theirs, mine_ms, theirs_ms))
  return sorted(rows, key=lambda row: -abs(row[5] - row[6]))


def markdown_table(this, other, gap_ms=GAP_MS):
  """The two steps, then the ops and the oneDNN kernels whose time differs by more than gap_ms."""
  names = [f"TF {result['tensorflow']}" for result in (this, other)]
  totals = [sum(op["ms"] for op in result["ops"].values()) for result in (this, other)]
  gaps = op_gaps(this, other, gap_ms)
  rest = (totals[0] - totals[1]) - sum(row[3] - row[4] for row in gaps)
  lines = [f"{names[0]} against {names[1]}, {this['stage']}, {this['dtype']}, batch "
           f"{this['batch_size']}: a step takes {this['step_ms']:.2f} against "
           f"{other['step_ms']:.2f} ms untraced ({this['step_ms'] / other['step_ms']:.3f}x); its "
           f"ops' time sums to {totals[0]:.2f} against {totals[1]:.2f} ms (ops of both cores "
           "overlap).", "",
           f"Ops whose time a step differs by more than {gap_ms} ms (the others: {rest:+.2f} ms "
           "in all):", "",
           f"| op | type, {names[0]} | type, {names[1]} | {names[0]} ms | {names[1]} ms | "
           "difference ms |", "|---|---|---|---:|---:|---:|"]
  lines += [f"| {name} | {mine} | {theirs} | {mine_ms:.2f} | {theirs_ms:.2f} | "
            f"{mine_ms - theirs_ms:+.2f} |" for name, mine, theirs, mine_ms, theirs_ms in gaps]
  if this.get("kernels") and other.get("kernels"):
    lines += ["", f"oneDNN primitives whose time a step differs by more than {gap_ms} ms:", "",
              f"| primitive | pass | shape | kernel, {names[0]} | kernel, {names[1]} | "
              f"{names[0]} ms | {names[1]} ms |", "|---|---|---|---|---|---:|---:|"]
    lines += [f"| {primitive} | {propagation} | `{shape}` | `{mine}` | `{theirs}` | "
              f"{mine_ms:.2f} | {theirs_ms:.2f} |"
              for primitive, propagation, shape, mine, theirs, mine_ms, theirs_ms
              in kernel_gaps(this, other, gap_ms)]
  return "\n".join(lines) + "\n"


def write(output_dir, this, other):
  """Writes stack_compare.json (both results) and stack_compare.md; returns their paths."""
  return json_files.write_results(output_dir, NAME, {"this": this, "other": other},
                                  markdown_table(this, other))
