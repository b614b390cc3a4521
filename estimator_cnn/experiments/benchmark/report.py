"""The benchmark's results as JSON (everything) and as a Markdown table."""

import os

from estimator_cnn.base import files
from estimator_cnn.experiments.benchmark import systems

JSON_FILE = "benchmark.json"
MARKDOWN_FILE = "benchmark.md"


def _number(value, digits=0):
  return "-" if value is None else f"{value:,.{digits}f}"


def markdown_report(results):
  """The results as Markdown: the machine, FLOPs, matmul peaks and one row per system."""
  machine, flops = results["machine"], results["machine"]["flops_per_example"]
  peak = machine["matmul_gflops"]
  settings = results["settings"]
  bf16_peak_note = "" if machine["bf16_native"] else " (emulated: no avx512_bf16/amx)"
  lines = [
      "# Benchmark: the blog's network, training and evaluation speed", "",
      f"Machine: {machine['cpu']}, {machine['cores']} cores; native bf16: "
      f"{'yes' if machine['bf16_native'] else 'no'}. {results['started']}.", "",
      f"FLOPs per training example (tf.compat.v1.profiler, TRAIN graph at batch 1): forward "
      f"{flops['forward'] / 1e6:.1f} M + backward {flops['backward'] / 1e6:.1f} M = "
      f"{flops['training'] / 1e6:.1f} M.", "",
      f"Matmul peak ({settings['matmul_size']}x{settings['matmul_size']}, TF eager): float32 "
      f"{peak[systems.FLOAT32]:.0f} GFLOP/s, bfloat16 {peak[systems.BFLOAT16]:.0f} GFLOP/s"
      f"{bf16_peak_note}.", "",
      f"Training: batch {settings['batch_size']} (ours_fast: its recipe's), {settings['steps']} "
      f"timed steps after {settings['warmup_steps']}, median of {settings['rounds']} rounds "
      f"run A B A B in fresh processes. Time to {settings['target']:.0%}: wall clock from "
      f"process launch, test set evaluated every {settings['eval_every']} steps "
      f"(median of {settings['tta_rounds']} runs).", "",
      f"| system | what | ran on | dtype | train examples/s | share of matmul peak | "
      f"eval examples/s | peak RSS MB | time to {settings['target']:.0%} |",
      "|---|---|---|---|---:|---:|---:|---:|---|",
  ]
  for name, row in results["systems"].items():
    if row["status"] != "ok":
      lines.append(f"| {name} | {row['label']} | - | {row.get('dtype', '-')} | {row['status']} "
                   "| | | | |")
      continue
    share = row.get("share_of_peak")
    tta = row.get("time_to_accuracy")
    lines.append(
        f"| {name} | {row['label']} | TF {row['tensorflow']}, {row['runtime']}, batch "
        f"{row['batch_size']} | {row['dtype']} | {_number(row['train_examples_per_sec'])} | "
        f"{'-' if share is None else f'{share:.1%}'} | "
        f"{_number(row['eval_examples_per_sec'])} | {_number(row['peak_rss_mb'])} | "
        f"{tta['text'] if tta else '-'} |")
  return "\n".join(lines) + "\n"


def write_results(output_dir, results):
  """Writes benchmark.json and benchmark.md into output_dir; returns their paths."""
  os.makedirs(output_dir, exist_ok=True)
  json_path = os.path.join(output_dir, JSON_FILE)
  markdown_path = os.path.join(output_dir, MARKDOWN_FILE)
  files.write_json(json_path, results)
  files.write_atomically(markdown_path, markdown_report(results))
  return json_path, markdown_path
