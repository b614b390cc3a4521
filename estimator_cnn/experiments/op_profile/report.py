"""The op profile as a Markdown table, and its files."""

import os

from estimator_cnn.base import files
from estimator_cnn.experiments.op_profile import groups

JSON_FILE = "op_profile.json"
MARKDOWN_FILE = "op_profile.md"


def markdown_table(result):
  """One row per group: op time per step, its share, GFLOP per step and GFLOP/s."""
  rows = result["groups"]
  total_ms = sum(row["op_ms"] for row in rows.values())
  total_gflop = sum(row["gflop"] for row in rows.values())
  lines = [f"TF {result['tensorflow']}, batch {result['batch_size']}: a step takes "
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
  return "\n".join(lines) + "\n"


def write(output_dir, result):
  """Writes op_profile.json and op_profile.md into output_dir; returns their paths."""
  os.makedirs(output_dir, exist_ok=True)
  json_path = os.path.join(output_dir, JSON_FILE)
  markdown_path = os.path.join(output_dir, MARKDOWN_FILE)
  files.write_json(json_path, result)
  files.write_atomically(markdown_path, markdown_table(result))
  return json_path, markdown_path


def run(batch_size, warmup_steps, traced_steps, data_dir, output_dir):
  """Profiles, prints the table and writes the files."""
  # pylint: disable=g-import-not-at-top
  from estimator_cnn.experiments.op_profile import profile  # Imports TensorFlow.
  result = profile.profile(batch_size, warmup_steps, traced_steps, data_dir)
  paths = write(output_dir, result)
  print(f"\n{markdown_table(result)}\nresults: {', '.join(paths)}")
  return result
