"""Trains every preset with its published recipe and tabulates its test accuracy.

  python -m estimator_cnn.presets_table                      # every preset, its whole recipe
  python -m estimator_cnn.presets_table --presets=mlp,bn_cnn
  python -m estimator_cnn.presets_table --budget_steps=20    # a quick check: 20 steps each

Each preset trains as `python run.py --preset=NAME --mode=train_and_eval` does:
its network, optimizer, batch size and budget on its recipe's training split,
validated on the recipe's held-out split if it has one (bn_cnn keeps the
checkpoint of best validation accuracy in best/ and is tested with it), then
tested on the test set. tf_tutorial's 200,000 steps would take days on a CPU,
so it trains for TIME_CAPS_MINUTES at most and the table says how far it got.

Each preset trains in OUTPUT_DIR/runs/<preset>-<key>, <key> hashing its plan,
seed and data: a finished preset (its result.json) is skipped, an interrupted
one resumes from its checkpoint. Output, in OUTPUT_DIR (default
results/presets): results.md, the table, and results.json, one record per preset.
"""

import hashlib
import json
import os
import shlex
import time
import typing

from absl import app
from absl import flags

from estimator_cnn import ablation
from estimator_cnn import cli
from estimator_cnn import data
from estimator_cnn import driver
from estimator_cnn import model
from estimator_cnn import model_dir as model_dir_lib
from estimator_cnn import presets
from estimator_cnn.compat import tf
from estimator_cnn.errors import UserError
from estimator_cnn.progress import ProgressHook

DEFAULT_OUTPUT_DIR = os.path.join("results", "presets")
TIME_CAPS_MINUTES = {"tf_tutorial": 20}
CHUNK_STEPS = 1000  # Steps between saves of the wall time, for recipes that don't validate.
RESULT_FILE = "result.json"
PROGRESS_FILE = "progress.json"


class Plan(typing.NamedTuple):
  """One preset's training here: its recipe's budget, capped by steps or minutes."""
  preset: presets.Preset
  batch_size: int
  recipe_steps: int
  steps: int
  validate_every: typing.Optional[int]
  max_minutes: typing.Optional[float]
  seed: int
  model_dir: str


def define_flags(flag_values=flags.FLAGS):
  """The table's flags."""
  flags.DEFINE_list("presets", [], "Presets to train, e.g. mlp,bn_cnn. Default: all.",
                    flag_values=flag_values)
  flags.DEFINE_integer("budget_steps", None, "Train each preset at most this many steps.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_float("max_minutes_per_preset", None,
                     "Train each preset at most this many minutes (tf_tutorial: 20 at most).",
                     flag_values=flag_values)
  flags.register_validator("max_minutes_per_preset", lambda value: value is None or value > 0,
                           message="--max_minutes_per_preset must be > 0",
                           flag_values=flag_values)
  flags.DEFINE_string("output_dir", DEFAULT_OUTPUT_DIR, "Results folder.",
                      flag_values=flag_values)
  flags.DEFINE_string("data_dir", None,
                      "Folder with Fashion-MNIST (as run.py's --data_dir). Default: searched.",
                      flag_values=flag_values)
  flags.DEFINE_integer("seed", 1, "Graph-level random seed of every preset.",
                       flag_values=flag_values)
  flags.DEFINE_integer("log_every", 100, "Steps between progress lines.", lower_bound=1,
                       flag_values=flag_values)


class _StopAfterSeconds(tf.compat.v1.train.SessionRunHook):
  """Stops training once `seconds` have passed since the session was created."""

  def __init__(self, seconds):
    self._seconds = seconds
    self._deadline = None

  def after_create_session(self, session, coord):
    del session, coord
    self._deadline = time.monotonic() + self._seconds

  def after_run(self, run_context, run_values):
    del run_values
    if time.monotonic() > self._deadline:
      run_context.request_stop()


def _read_json(path):
  with open(path) as f:
    return json.load(f)


def _write_atomically(path, text):
  temp = path + ".tmp"
  with open(temp, "w") as f:
    f.write(text)
  os.replace(temp, path)


def _format_duration(seconds):
  hours, rest = divmod(int(round(seconds)), 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return f"{hours}h{minutes:02d}m"
  return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def make_plan(preset, train_size, flag_values, output_dir, fingerprint):
  """The preset's Plan: its recipe's steps and validation interval, capped by the flags."""
  recipe = preset.recipe
  recipe_steps = recipe.train_steps(train_size, recipe.batch_size)
  steps = min(recipe_steps, flag_values.budget_steps or recipe_steps)
  caps = [cap for cap in (flag_values.max_minutes_per_preset, TIME_CAPS_MINUTES.get(preset.name))
          if cap]
  validate_every = recipe.validation_interval(train_size, recipe.batch_size)
  spec = {"params": preset.params, "batch_size": recipe.batch_size, "steps": steps,
          "validate_every": validate_every, "max_minutes": min(caps, default=None),
          "seed": flag_values.seed, "data": fingerprint}
  key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
  return Plan(preset, recipe.batch_size, recipe_steps, steps, validate_every,
              spec["max_minutes"], flag_values.seed,
              os.path.join(output_dir, "runs", f"{preset.name}-{key}"))


def load_result(plan):
  """The finished preset's record, or None."""
  path = os.path.join(plan.model_dir, RESULT_FILE)
  return _read_json(path) if os.path.exists(path) else None


def _chunk_ends(plan):
  interval = plan.validate_every or CHUNK_STEPS
  return [*range(interval, plan.steps, interval), plan.steps]


def _validate(estimator, plan, training_data):
  metrics = estimator.evaluate(driver.eval_input_fn(training_data.validation_images,
                                                    training_data.validation_labels),
                               name="validation")
  if plan.preset.recipe.keep_best:
    presets.keep_if_best(plan.model_dir, estimator.latest_checkpoint(), metrics)
  return {"step": int(metrics["global_step"]), "accuracy": float(metrics["accuracy"]),
          "loss": float(metrics["loss"])}


def _test(estimator, plan, dataset):
  """Test metrics of the best checkpoint if the recipe keeps one, else of the latest."""
  best = presets.load_best(plan.model_dir) if plan.preset.recipe.keep_best else None
  checkpoint = os.path.join(presets.best_dir(plan.model_dir), best["checkpoint"]) if best else None
  return estimator.evaluate(driver.eval_input_fn(dataset.test_images, dataset.test_labels),
                            checkpoint_path=checkpoint), best


def run_py_command(plan, steps, data_dir):
  """The run.py command training like this table did for `steps` steps."""
  args = ["python", "run.py", f"--preset={plan.preset.name}", "--mode=train_and_eval",
          f"--seed={plan.seed}"]
  if steps < plan.recipe_steps:
    args.append(f"--steps={steps}")
  if data_dir:
    args.append(f"--data_dir={data_dir}")
  return shlex.join(args)


def train_preset(plan, dataset, training_data, label, flag_values):
  """Trains the plan's preset (resuming), tests it, and saves and returns its record."""
  def say(line):
    print(f"{label}: {line}", flush=True)

  progress_path = os.path.join(plan.model_dir, PROGRESS_FILE)
  progress = (_read_json(progress_path) if os.path.exists(progress_path)
              else {"wall_seconds": 0.0, "validation": [], "stopped_by_time": False})
  os.makedirs(plan.model_dir, exist_ok=True)
  params = plan.preset.params
  model_dir_lib.save_params(plan.model_dir, params)
  estimator = driver.make_estimator(plan.model_dir, params, plan.seed, flag_values.log_every)
  step = driver.global_step(estimator)
  cap = f", at most {plan.max_minutes:g} minutes" if plan.max_minutes else ""
  say(f"{'resuming at step ' + str(step) if step else 'training'} to step {plan.steps:,} of the "
      f"recipe's {plan.recipe_steps:,}{cap}, batch {plan.batch_size}, on "
      f"{len(training_data.train_labels):,} images, in {plan.model_dir}")
  input_fn = driver.train_input_fn(training_data.train_images, training_data.train_labels,
                                   plan.batch_size)
  hooks = [ProgressHook(plan.batch_size, plan.steps, flag_values.log_every, printer=say)]
  session_steps, session_seconds = 0, 0.0
  for target in _chunk_ends(plan):
    if target <= step or progress["stopped_by_time"]:
      continue
    seconds_left = plan.max_minutes * 60 - progress["wall_seconds"] if plan.max_minutes else None
    if seconds_left is not None and seconds_left <= 0:
      progress["stopped_by_time"] = True
      continue
    started, start_step = time.monotonic(), step
    stop = [_StopAfterSeconds(seconds_left)] if seconds_left is not None else []
    estimator.train(input_fn, hooks=hooks + stop, max_steps=target)
    step = driver.global_step(estimator)
    progress["stopped_by_time"] = step < target
    line = f"step {step:,}/{plan.steps:,}"
    if training_data.validation_labels is not None:
      point = _validate(estimator, plan, training_data)
      progress["validation"].append(point)
      line += f"  validation accuracy {point['accuracy']:.4f}"
    seconds = time.monotonic() - started
    progress["wall_seconds"] += seconds
    session_steps, session_seconds = session_steps + step - start_step, session_seconds + seconds
    _write_atomically(progress_path, json.dumps(progress, indent=2))
    eta = (plan.steps - step) * session_seconds / max(session_steps, 1)
    if seconds_left is not None:
      eta = min(eta, max(0.0, seconds_left - seconds))
    say(f"{line}  {_format_duration(progress['wall_seconds'])} so far  "
        f"ETA {_format_duration(0 if progress['stopped_by_time'] else eta)}")
  if progress["stopped_by_time"]:
    say(f"stopped at step {step:,}: the {plan.max_minutes:g}-minute cap")
  test, best = _test(estimator, plan, dataset)
  trainable, total = model.parameter_counts(params)
  record = {
      "preset": plan.preset.name, "network": plan.preset.network,
      "recipe": plan.preset.recipe.describe(params), "assumptions": plan.preset.assumptions,
      "trainable_parameters": trainable, "total_parameters": total,
      "published_accuracy": plan.preset.published_accuracy,
      "accuracy": float(test["accuracy"]), "loss": float(test["loss"]),
      "tested_step": int(test["global_step"]), "global_step": step,
      "recipe_steps": plan.recipe_steps, "planned_steps": plan.steps,
      "capped_by": ("time" if progress["stopped_by_time"]
                    else "budget_steps" if plan.steps < plan.recipe_steps else None),
      "max_minutes": plan.max_minutes, "best": best, "validation": progress["validation"],
      "wall_seconds": round(progress["wall_seconds"], 1), "stack": ablation.stack_description(),
      "seed": plan.seed, "model_dir": plan.model_dir,
      "run_py_command": run_py_command(plan, step, flag_values.data_dir),
  }
  _write_atomically(os.path.join(plan.model_dir, RESULT_FILE), json.dumps(record, indent=2))
  say(f"test accuracy {record['accuracy']:.4f} (published {record['published_accuracy']}) after "
      f"{step:,} steps in {_format_duration(record['wall_seconds'])}")
  return record


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
      lines.append(f"| {name} | {preset.network} | | | {preset.published_accuracy} | not run "
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
                 f"{_format_duration(record['wall_seconds'])} |")
  lines += ["", "## What the sources leave out", ""]
  lines += [f"- {name}: {preset.assumptions}" for name, preset in presets.PRESETS.items()
            if preset.assumptions]
  lines += ["", "## Reproduce a preset with run.py", ""]
  lines += [f"- {name}: `{record['run_py_command']}`" for name, record in records.items()
            if record]
  return "\n".join(lines) + "\n"


def write_reports(output_dir, records, context):
  _write_atomically(os.path.join(output_dir, "results.json"), json.dumps(
      {**context, "presets": [record for record in records.values() if record]}, indent=2))
  _write_atomically(os.path.join(output_dir, "results.md"), _markdown(records, context))


def _pick(names):
  unknown = [name for name in names if name not in presets.PRESETS]
  if unknown:
    raise UserError(f"unknown preset {unknown[0]} in --presets: pick from "
                    f"{', '.join(presets.PRESETS)}")
  return [name for name in presets.PRESETS if not names or name in names]


def run_table(flag_values):
  """Trains the picked presets that have no result yet, then writes the table."""
  picked = _pick([name.strip() for name in flag_values.presets])
  output_dir = flag_values.output_dir
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise UserError(f"--output_dir={output_dir} is a file, not a folder: pass a folder path")
  dataset = data.load_fashion_mnist(flag_values.data_dir)
  fingerprint = ablation.data_fingerprint(dataset)
  splits = {name: presets.training_data(preset.recipe, dataset.train_images, dataset.train_labels)
            for name, preset in presets.PRESETS.items()}
  plans = {name: make_plan(preset, len(splits[name].train_labels), flag_values, output_dir,
                           fingerprint) for name, preset in presets.PRESETS.items()}
  records = {name: load_result(plan) for name, plan in plans.items()}
  to_train = [name for name in picked if records[name] is None]
  context = {"data": dataset.source, "test_images": len(dataset.test_labels),
             "stack": ablation.stack_description(), "seed": flag_values.seed}
  print(f"presets: {len(picked)} picked, {len(picked) - len(to_train)} done earlier, in "
        f"{output_dir} ({context['stack']})", flush=True)
  os.makedirs(output_dir, exist_ok=True)
  started = time.monotonic()
  for index, name in enumerate(picked, start=1):
    label = f"preset {index}/{len(picked)} {name}"
    if records[name] is not None:
      print(f"{label}: done earlier, test accuracy {records[name]['accuracy']:.4f}; skipped",
            flush=True)
      continue
    records[name] = train_preset(plans[name], dataset, splits[name], label, flag_values)
    write_reports(output_dir, records, context)
    done = to_train.index(name) + 1
    if done < len(to_train):
      per_preset = (time.monotonic() - started) / done
      print(f"{done}/{len(to_train)} presets trained; ETA about "
            f"{_format_duration(per_preset * (len(to_train) - done))} at this pace", flush=True)
  write_reports(output_dir, records, context)
  print(f"table: {os.path.join(output_dir, 'results.md')}")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  return cli.run_main(flags.FLAGS, "run_table", __name__)


if __name__ == "__main__":
  define_flags()
  app.run(main)
