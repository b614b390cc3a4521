"""The presets table: results.md, one row per preset, and results.json, one record per preset."""

from estimator_cnn.base import durations
from estimator_cnn.base import json_files
from estimator_cnn.model import presets


def _steps_text(record):
  text = f"{record['global_step']:,}"
  if record["capped_by"] == "time":
    return (f"{text} of {record['recipe_steps']:,}: capped at {record['max_minutes']:g} minutes "
            "here")
  if record["capped_by"] == "budget_steps":
    return f"{text} of {record['recipe_steps']:,}: capped by --budget_steps"
  return text


def _markdown(records, context):
  """results.md: one row per preset, then what each source leaves out and we chose."""
  lines = [
      "# Published Fashion-MNIST networks, each trained with its recipe", "",
      f"Test accuracy on the {context['test_images']:,} test images of {context['data']}; "
      f"{context['stack']}; seed {context['seed']}. Each preset trains as `python run.py "
      "--preset=NAME --mode=train_and_eval` does. Parameters are the trainable ones, plus batch "
      "norm's moving statistics in the total where there are any.", "",
      "| preset | network | parameters | recipe | published | ours | steps | wall time |",
      "|---|---|---:|---|---:|---:|---|---:|",
  ]
  for name, record in records.items():
    if record is None:
      preset = presets.PRESETS[name]
      lines.append(f"| {name} | {preset.architecture} | | | {preset.published_accuracy} | not run "
                   "| | |")
      continue
    parameters = f"{record['trainable_parameters']:,}"
    if record["total_parameters"] != record["trainable_parameters"]:
      parameters += f" ({record['total_parameters']:,} in total)"
    ours = f"{100 * record['accuracy']:.2f}%"
    if record["best"]:
      ours += f" (best validation checkpoint, step {record['best']['step']:,})"
    lines.append(f"| {name} | {record['network']} | {parameters} | {record['recipe']} | "
                 f"{record['published_accuracy']} | {ours} | {_steps_text(record)} | "
                 f"{durations.format_duration(record['wall_seconds'])} |")
  lines += ["", "## What the sources leave out", ""]
  lines += [f"- {name}: {preset.assumptions}" for name, preset in presets.PRESETS.items()
            if preset.assumptions]
  lines += ["", "## Reproduce a preset with run.py", ""]
  lines += [f"- {name}: `{record['run_py_command']}`" for name, record in records.items()
            if record]
  return "\n".join(lines) + "\n"


def write_reports(output_dir, records, context):
  """Writes results.json and results.md from {preset name: its record, None if not run}."""
  json_files.write_results(output_dir, "results",
                      {**context, "presets": [record for record in records.values() if record]},
                      _markdown(records, context))
