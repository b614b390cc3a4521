"""An ablation study's reports, from its finished runs' records, in OUTPUT_DIR:

  results.md             per rung: mean +- std over seeds, the blog's number, the
                         tf.estimator reference, and the run.py command of each rung
  results.json           {"study", "title", "seeds", "eval_every", "data", "rungs":
                         per-rung summaries, "runs": one record per run}
  results.csv            one row per run: rung, name, seed, the config, eval_every,
                         accuracy, loss, global_step, wall_seconds, ..., curve as
                         "step:accuracy" pairs
  accuracy_by_rung.png   bars with error bars; the blog's numbers and the reference
  accuracy_curves.png    test accuracy versus step, mean over seeds, min-max band
  train_test_gap.png     with train_accuracy: training against test accuracy
"""

import csv
import io
import os
import shlex
import statistics

from estimator_cnn.base import atomic_writes
from estimator_cnn.base import durations
from estimator_cnn.base import json_files
from estimator_cnn.experiments import plots
from estimator_cnn.experiments.ablation.ladder import CONFIG_KEYS

REFERENCE_LABEL = "tf.estimator (TF 2.15) reference"
BARS_FIGURE = "accuracy_by_rung.png"
CURVES_FIGURE = "accuracy_curves.png"
GAP_FIGURE = "train_test_gap.png"


def flag_value(value):
  """A config value as flag text, floats in their shortest form (0.25, 1e-05)."""
  return f"{value:g}" if isinstance(value, float) else str(value)


def _percent(fraction):
  return f"{100 * fraction:.1f}%"


def _blog_text(blog):
  if blog is None:
    return ""
  low, high = (f"{round(100 * value, 2):g}" for value in blog)
  return f"{low}%" if low == high else f"{low}-{high}%"


def run_py_command(rung_config, seed, eval_every, data_dir=None):
  """The run.py command that trains and evaluates like this study's run of the config."""
  args = ["python", "run.py", "--mode=train_and_eval", f"--eval_every={eval_every}",
          *(f"--{key}={flag_value(rung_config[key])}" for key in CONFIG_KEYS
            if rung_config[key] is not None), f"--seed={seed}"]
  if data_dir:
    args.append(f"--data_dir={data_dir}")
  return shlex.join(args)


def _curve_summary(records, key="accuracy"):
  """Per evaluated step: mean, min and max over seeds of the curve points' `key`."""
  by_step = {}
  for record in records:
    for point in record["curve"]:
      if key in point:
        by_step.setdefault(point["step"], []).append(point[key])
  return [{"step": step, "mean": statistics.mean(values), "min": min(values), "max": max(values),
           "seeds": len(values)} for step, values in sorted(by_step.items())]


def _mean(values):
  return statistics.mean(values) if values else None


def summarize(ladder, records, eval_every, data_dir):
  """Per-rung summaries of the finished runs' records."""
  summaries = []
  for rung in ladder.rungs:
    runs = sorted((r for r in records if r["rung"] == rung.number), key=lambda r: r["seed"])
    accuracies = [r["accuracy"] for r in runs]
    train_accuracies = [r["train_accuracy"] for r in runs if "train_accuracy" in r]
    summaries.append({
        "rung": rung.number, "name": rung.name, "change": rung.change, "config": rung.config,
        "blog_accuracy": list(rung.blog_accuracy) if rung.blog_accuracy else None,
        "reference_accuracy": list(rung.reference_accuracy),
        "seeds": [r["seed"] for r in runs], "accuracies": accuracies,
        "accuracy_mean": statistics.mean(accuracies) if accuracies else None,
        "accuracy_std": statistics.stdev(accuracies) if len(accuracies) > 1 else None,
        "wall_seconds_mean": statistics.mean(r["wall_seconds"] for r in runs) if runs else None,
        "run_py_command": run_py_command(rung.config, 1, eval_every, data_dir),
        "curve": _curve_summary(runs),
    })
    if train_accuracies:
      summaries[-1].update({
          "train_accuracies": train_accuracies, "train_accuracy_mean": _mean(train_accuracies),
          "gap_mean": _mean([r["train_accuracy"] - r["accuracy"] for r in runs]),
          "best_accuracy_mean": _mean([max(p["accuracy"] for p in r["curve"]) for r in runs]),
          "train_curve": _curve_summary(runs, "train_accuracy"),
          "loss_curve": _curve_summary(runs, "loss")})
  return summaries


def _csv_text(records):
  out = io.StringIO()
  writer = csv.writer(out, lineterminator="\n")
  writer.writerow(["rung", "name", "seed", *CONFIG_KEYS, "eval_every", "accuracy", "loss",
                   "global_step", "wall_seconds", "stack", "model_dir", "curve"])
  for r in records:
    curve = " ".join(f"{point['step']}:{point['accuracy']:.4f}" for point in r["curve"])
    writer.writerow([r["rung"], r["name"], r["seed"], *(r["config"][key] for key in CONFIG_KEYS),
                     r["eval_every"], f"{r['accuracy']:.4f}", f"{r['loss']:.4f}", r["global_step"],
                     r["wall_seconds"], r["stack"], r["model_dir"], curve])
  return out.getvalue()


def _markdown(ladder, summaries, records, context):
  """results.md: the rung table, the figures, every run, and each rung's run.py command."""
  def change_text(change):
    return ", ".join(f"{key}={flag_value(value)}" for key, value in change.items()) or "none"

  stacks = sorted({r["stack"] for r in records})
  lines = [f"# {ladder.title}", ""]
  if ladder.description:
    lines += [ladder.description, ""]
  lines += [
      f"Test accuracy on the {context['test_images']:,} test images of {context['data']}, "
      f"mean ± standard deviation over seed{'s' if len(context['seeds']) > 1 else ''} "
      f"{', '.join(map(str, context['seeds']))}; "
      f"{' and '.join(stacks) or 'no finished runs yet'}; evaluated every "
      f"{context['eval_every']} steps. Rungs are cumulative: each applies its change to the "
      "rung above.", "",
      f"| rung | change | test accuracy | seeds | blog | {REFERENCE_LABEL} | time per run |",
      "|---|---|---:|---:|---:|---:|---:|",
  ]
  for s in summaries:
    if s["accuracies"]:
      ours = _percent(s["accuracy_mean"])
      if s["accuracy_std"] is not None:
        ours += f" ± {100 * s['accuracy_std']:.1f}"
      duration = durations.format_duration(s["wall_seconds_mean"])
    else:
      ours, duration = "not run", ""
    reference = " / ".join(_percent(value) for value in s["reference_accuracy"])
    lines.append(f"| {s['rung']}. {s['name']} | {change_text(s['change'])} | {ours} | "
                 f"{len(s['accuracies'])} | {_blog_text(s['blog_accuracy'])} | {reference} | "
                 f"{duration} |")
  if any("train_accuracies" in s for s in summaries):
    lines += ["", "Training accuracy is measured as test accuracy is (Estimator.evaluate: no "
              "dropout) on the images each run trained on; the gap is training minus test "
              "accuracy at the last step, and the best test accuracy is the highest of the "
              "curve, mean over seeds.", "",
              "| rung | training accuracy | test accuracy | gap | best test accuracy |",
              "|---|---:|---:|---:|---:|"]
    for s in summaries:
      if "train_accuracies" in s:
        lines.append(f"| {s['rung']}. {s['name']} | {_percent(s['train_accuracy_mean'])} | "
                     f"{_percent(s['accuracy_mean'])} | {100 * s['gap_mean']:.1f} points | "
                     f"{_percent(s['best_accuracy_mean'])} |")
    lines += ["", f"![Training against test accuracy]({GAP_FIGURE})"]
  lines += ["", f"![Test accuracy by rung]({BARS_FIGURE})", "",
            f"![Test accuracy during training]({CURVES_FIGURE})", "", "## Runs", "",
            "| rung | seed | test accuracy | loss | global step | wall time | model_dir |",
            "|---|---:|---:|---:|---:|---:|---|"]
  for r in records:
    lines.append(f"| {r['rung']}. {r['name']} | {r['seed']} | {_percent(r['accuracy'])} | "
                 f"{r['loss']:.4f} | {r['global_step']} | "
                 f"{durations.format_duration(r['wall_seconds'])} | `{r['model_dir']}` |")
  lines += ["", "## Reproduce a rung with run.py", "",
            "Seed 1 is shown; pass `--seed=N` for seed N. `--mode=train_and_eval` with the "
            "same `--eval_every` trains in the same chunks as this study.", ""]
  for s in summaries:
    lines += [f"{s['rung']}. {s['name']}:", "", "   ```", f"   {s['run_py_command']}", "   ```",
              ""]
  return "\n".join(lines)


def write_reports(output_dir, ladder, records, context):
  """Writes results.json, .csv, .md and the figures from the finished runs' records."""
  records = sorted(records, key=lambda r: (r["rung"], r["seed"]))
  summaries = summarize(ladder, records, context["eval_every"], context["data_dir"])
  json_files.write_results(output_dir, "results", {
      "study": ladder.name, "title": ladder.title, "seeds": context["seeds"],
      "eval_every": context["eval_every"], "data": context["data"], "rungs": summaries,
      "runs": records,
  }, _markdown(ladder, summaries, records, context))
  atomic_writes.write_atomically(os.path.join(output_dir, "results.csv"), _csv_text(records))
  plots.plot_rungs(summaries, ladder.title, os.path.join(output_dir, BARS_FIGURE),
                   REFERENCE_LABEL)
  plots.plot_curves(summaries, f"{ladder.title}: test accuracy during training",
                    os.path.join(output_dir, CURVES_FIGURE))
  if any("train_accuracies" in s for s in summaries):
    plots.plot_gap(summaries, f"{ladder.title}: training against test accuracy",
                   os.path.join(output_dir, GAP_FIGURE))
