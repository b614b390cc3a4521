"""The benchmark's results as JSON (everything) and as a Markdown table."""

import os

from estimator_cnn.base import json_files
from estimator_cnn.base import stacks
from estimator_cnn.experiments.benchmark import program_worker
from estimator_cnn.experiments.benchmark import schedule
from estimator_cnn.model import presets

NAME = "benchmark"
JSON_FILE = f"{NAME}.json"
MARKDOWN_FILE = f"{NAME}.md"


def _number(value, digits=0):
  return "-" if value is None else f"{value:,.{digits}f}"


def machine_lines(machine):
  """The machine in words: CPU, bf16, FLOPs per example, the theoretical and measured peaks."""
  flops, peak = machine["flops_per_example"], machine["matmul_gflops"]
  theoretical = machine.get("theoretical_gflops")
  recipes = "".join(f"; --recipe={name}'s network: {training / 1e6:.1f} M"
                    for name, training in machine["recipe_training_flops"].items())
  lines = [f"Machine: {machine['cpu']}, {machine['cores']} cores; native bf16: "
           f"{'yes' if machine['bf16_native'] else 'no (emulated: no avx512_bf16/amx)'}.",
           f"FLOPs per training example (tf.compat.v1.profiler, TRAIN graph at batch 1): forward "
           f"{flops['forward'] / 1e6:.1f} M + backward {flops['backward'] / 1e6:.1f} M = "
           f"{flops['training'] / 1e6:.1f} M{recipes}."]
  if theoretical:
    lines.append(f"Theoretical float32 peak: {theoretical:.0f} GFLOP/s ({machine['cores']} cores x "
                 f"{machine['mhz'] / 1e3:.2f} GHz, the clock the CPU reports, x the vector units).")
  lines.append(f"Matmul peak (TF eager, best of several calls after warm-up): float32 "
               f"{peak[presets.FLOAT32]:.0f} GFLOP/s, "
               f"bfloat16 {peak[presets.BFLOAT16]:.0f} GFLOP/s.")
  if theoretical and peak[presets.FLOAT32] > theoretical:
    lines.append(f"The measured float32 matmul beats the theoretical peak: the cores run at "
                 f"{machine['mhz'] / 1e3 * peak[presets.FLOAT32] / theoretical:.2f} GHz or more "
                 f"(boost); shares are of the measured peak.")
  return lines


def _ratio(rows, name, baseline, key):
  values = [rows.get(system, {}).get(key) for system in (name, baseline)]
  return None if None in values or not values[1] else values[0] / values[1]


# (system, baseline) pairs whose ratios the report gives, where both were measured.
RATIO_PAIRS = (("ours_fp32", "tf_estimator"), ("ours_fp32", "torch_fp32"),
               ("ours_fp32", "torch_compile_fp32"), ("ours_bf16", "keras_bf16"),
               ("ours_bf16", "torch_bf16"), ("ours_bf16", "torch_compile_bf16"),
               ("ours_bf16", "tf_estimator_bf16"), ("runner_tf1", "runner_tf1_legacy"),
               ("runner_tf1_bf16", "runner_tf1"), ("runner_tf1", "plain_tf1"))


def ratio_lines(rows):
  """Our systems' ratios to the real tf.estimator, Keras and PyTorch, and ours_fast's time to
  accuracy against the blog's recipe on the real tf.estimator, where both were measured."""
  lines = []
  for key, what in (("train_examples_per_sec", "training examples/s"),
                    ("eval_examples_per_sec", "eval examples/s"), ("peak_rss_mb", "peak memory"),
                    ("peak_anonymous_mb", "peak anonymous memory")):
    for name, baseline in RATIO_PAIRS:
      ratio = _ratio(rows, name, baseline, key)
      if ratio is not None:
        lines.append(f"- {name} / {baseline}, {what}: {ratio:.2f}x")
  fast = (rows.get("ours_fast", {}).get("time_to_accuracy") or {}).get("seconds")
  blog = (rows.get("tf_estimator", {}).get("time_to_accuracy") or {}).get("seconds")
  if fast and blog:
    lines.append(f"- time to accuracy, ours_fast / tf_estimator (the blog's recipe): "
                 f"{fast / blog:.2f}x")
  return lines


def program_lines(rows, settings):
  """The program systems' start-up beside their stack's baselines and their final test accuracy,
  medians, as a Markdown table and the accuracy differences of RATIO_PAIRS; [] without one."""
  measured = {name: row for name, row in rows.items()
              if row["status"] == "ok" and "startup_secs" in row}
  if not measured:
    return []
  program = os.path.relpath(program_worker.PROGRAM, stacks.REPO_ROOT)
  lines = [
      "", f"The TF 1.x program (`{program}`), start-up: from just before its process starts to "
      f"its first statement, beside fresh processes' `from estimator_cnn import estimator; "
      f"import tensorflow as tf` (the one import) and `import tensorflow` on the same stack to "
      f"their first statement after it; test accuracy after its {settings['warmup_steps']} + "
      f"{settings['steps']} + 1 training steps; medians of {settings['rounds']} rounds "
      f"(seeds 1 to {settings['rounds']}). Its training examples/s: from tf.estimator's own "
      f"global_step/sec lines over the timed steps.", "",
      "| system | TF | program's first statement s | one import s | `import tensorflow` s | "
      "program over `import tensorflow` s | test accuracy |",
      "|---|---|---:|---:|---:|---:|---:|"]
  for name, row in measured.items():
    startup = row["startup_secs"]
    lines.append(f"| {name} | {row['tensorflow']} | {startup['program']:.2f} | "
                 f"{_number(startup.get('one_import'), 2)} | {startup['import_tensorflow']:.2f} | "
                 f"{startup['program'] - startup['import_tensorflow']:+.2f} | "
                 f"{row['accuracy']:.4f} |")
  differences = [
      f"- {name} - {baseline}, test accuracy: "
      f"{100 * (measured[name]['accuracy'] - measured[baseline]['accuracy']):+.2f} points"
      for name, baseline in RATIO_PAIRS if name in measured and baseline in measured]
  return lines + ([""] + differences if differences else [])


def compile_secs_text(row):
  """A compiled system's compile seconds as "train + eval"; None for the others."""
  train, evaluation = row.get("train_compile_secs"), row.get("eval_compile_secs")
  if train is None and evaluation is None:
    return None
  return f"{_number(train, 1)} + {_number(evaluation, 1)}"


def markdown_report(results):
  """The results as Markdown: the machine, how it measured, one row per system, the ratios."""
  settings = results["settings"]
  lines = ["# Benchmark: the blog's network, training and evaluation speed", "",
           f"{results['started']}.", ""]
  lines += [line + "\n" for line in machine_lines(results["machine"])]
  how = (f"Training: batch {settings['batch_size']} (ours_fast: its recipe's), {settings['steps']} "
         f"timed steps after {settings['warmup_steps']}, median of {settings['rounds']} rounds "
         f"run A B A B in fresh processes. Peak anonymous memory: the RSS without the pages "
         f"mapped from files (TensorFlow's libraries), read every "
         f"{schedule.MEMORY_SAMPLE_SECS * 1e3:.0f} ms. Compile s (torch.compile's systems): "
         f"the seconds the warm-up steps and the first eval batch took beyond the steady pace, "
         f"left out of the examples/s.")
  if settings["tta_rounds"]:
    how += (f" Time to {settings['target']:.0%}: wall clock from process launch, test set "
            f"evaluated every {settings['eval_every']} steps (a tuned recipe: at its own "
            f"cadence), median of {settings['tta_rounds']} runs (seeds 1 to "
            f"{settings['tta_rounds']}).")
  lines += [
      how, "",
      f"| system | what | ran on | dtype | train examples/s | share of peak | "
      f"eval examples/s | compile s, train + eval | peak RSS MB | peak anonymous MB | "
      f"time to {settings['target']:.0%} |",
      "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|",
  ]
  for name, row in results["systems"].items():
    if row["status"] != "ok":
      lines.append(f"| {name} | {row['label']} | - | {row.get('dtype', '-')} | {row['status']} "
                   "| | | | | | |")
      continue
    share = row.get("share_of_peak")
    tta = row.get("time_to_accuracy")
    lines.append(
        f"| {name} | {row['label']} | {row['runtime']}"
        f"{'' if row['tensorflow'] == '-' else ', TF ' + row['tensorflow']}, batch "
        f"{row['batch_size']} | {row['dtype']} | {_number(row['train_examples_per_sec'])} | "
        f"{'-' if share is None else f'{share:.1%}'} | "
        f"{_number(row['eval_examples_per_sec'])} | {compile_secs_text(row) or '-'} | "
        f"{_number(row['peak_rss_mb'])} | "
        f"{_number(row.get('peak_anonymous_mb'))} | {tta['text'] if tta else '-'} |")
  lines += program_lines(results["systems"], settings)
  ratios = ratio_lines(results["systems"])
  if ratios:
    lines += ["", "Ratios (medians of this run):"] + ratios
  return "\n".join(lines) + "\n"


def write_results(output_dir, results):
  """Writes benchmark.json and benchmark.md into output_dir; returns their paths."""
  return json_files.write_results(output_dir, NAME, results, markdown_report(results))
