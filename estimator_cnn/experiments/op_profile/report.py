"""The op profile as a Markdown table, and its files."""

import os

from estimator_cnn.base import json_files
from estimator_cnn.base import stacks
from estimator_cnn.experiments.op_profile import groups
from estimator_cnn.experiments.op_profile import kernels
from estimator_cnn.experiments.op_profile import onednn_log
from estimator_cnn.experiments.op_profile import stack_compare

NAME = "op_profile"
JSON_FILE = f"{NAME}.json"
MARKDOWN_FILE = f"{NAME}.md"


def markdown_table(result):
  """One row per group: op time per step, its share, GFLOP per step and GFLOP/s."""
  rows = result["groups"]
  total_ms = sum(row["op_ms"] for row in rows.values())
  total_gflop = sum(row["gflop"] for row in rows.values())
  lines = [f"TF {result['tensorflow']}, {result['stage']}, {result['dtype']}, batch "
           f"{result['batch_size']}: a step takes "
           f"{result['step_ms']:.1f} ms untraced ({result['examples_per_sec']:,.0f} examples/s; "
           f"median), op times are the mean of {result['traced_steps']} traced steps.", "",
           "| group | op time ms/step | share of op time | GFLOP/step | GFLOP/s |",
           "|---|---:|---:|---:|---:|"]
  for group in groups.GROUPS:
    row = rows[group]
    rate = f"{row['gflop'] / row['op_ms'] * 1e3:,.0f}" if row["gflop"] and row["op_ms"] else "-"
    lines.append(f"| {group} | {row['op_ms']:.2f} | {row['op_ms'] / total_ms:.1%} | "
                 f"{row['gflop']:.3f} | {rate} |")
  lines.append(f"| all ops | {total_ms:.2f} | 100% | {total_gflop:.3f} | "
               f"{total_gflop / total_ms * 1e3:,.0f} |")
  if result.get("kernels"):
    lines += ["", kernel_table(result["kernels"], result["kernel_steps"], result["stage"]), "",
              f"The untraced step over its oneDNN kernels: {result['step_over_kernels']:.2f}x "
              f"({result['step_ms']:.1f} ms against {kernels_ms(result['kernels']):.2f} ms a step; "
              "the rest is TensorFlow's own kernels and the runtime between them)."]
  return "\n".join(lines) + "\n"


def kernels_ms(rows):
  """The oneDNN kernels' time a step, in ms."""
  return sum(row["ms_per_step"] for row in rows)


def kernel_table(rows, steps, stage):
  """The oneDNN kernels, slowest first, with the ISA each ran on and the reorders' total."""
  total_ms = kernels_ms(rows)
  reorder_ms = sum(row["ms_per_step"] for row in rows if row["primitive"] == onednn_log.REORDER)
  lines = [f"oneDNN kernels (ONEDNN_VERBOSE=1, an untraced run of the {stage} stage, {steps} "
           f"steps after the warm-up): {total_ms:.2f} ms per step in oneDNN, of which layout "
           f"reorders {reorder_ms:.2f} ms.", "",
           "| primitive | pass | shape | kernel | ISA | runs/step | ms/step |",
           "|---|---|---|---|---|---:|---:|"]
  for row in rows:
    lines.append(f"| {row['primitive']} | {row['pass']} | `{row['shape']}` | `{row['kernel']}` | "
                 f"{row['isa']} | {row['runs_per_step']:g} | {row['ms_per_step']:.3f} |")
  return "\n".join(lines)


def write(output_dir, result):
  """Writes op_profile.json and op_profile.md into output_dir; returns their paths."""
  return json_files.write_results(output_dir, NAME, result, markdown_table(result))


def run(stage, params, batch_size, warmup_steps, traced_steps, kernel_steps, data_dir,
        output_dir, compare_stack=None, flag_args=()):
  """Profiles, lists the oneDNN kernels (none if kernel_steps is 0), prints the tables and
  writes the files; with compare_stack, runs the command's flag_args there too (into
  OUTPUT_DIR/STACK) and writes the two side by side."""
  # A missing stack fails now, not after the profile.
  other_python = stacks.python_of(compare_stack) if compare_stack else None
  # pylint: disable=g-import-not-at-top
  from estimator_cnn.experiments.op_profile import profile  # Imports TensorFlow.
  result = profile.profile(batch_size, warmup_steps, traced_steps, data_dir, params, stage)
  if kernel_steps:
    result["kernel_steps"] = kernel_steps
    result["kernels"] = kernels.kernel_rows(stage, params, batch_size, warmup_steps,
                                            kernel_steps, data_dir)
    result["step_over_kernels"] = result["step_ms"] / kernels_ms(result["kernels"])
  paths = write(output_dir, result)
  print(f"\n{markdown_table(result)}\nresults: {', '.join(paths)}", flush=True)
  if compare_stack:
    other_dir = os.path.join(output_dir, compare_stack)
    stack_compare.profile_on(compare_stack, other_python, flag_args, other_dir)
    other = json_files.read_json(os.path.join(other_dir, JSON_FILE),
                                 f"the {compare_stack} stack's profile")
    paths = stack_compare.write(output_dir, result, other)
    print(f"\n{stack_compare.markdown_table(result, other)}\nresults: {', '.join(paths)}")
  return result
