"""Ablation studies: a ladder of changes to the blog's CNN, trained rung by rung and seed by seed.

  python -m estimator_cnn.ablation                      # the blog's 5 rungs x seeds 1, 2, 3
  python -m estimator_cnn.ablation --study=optimizers   # Adam vs gradient descent's learning rate
  python -m estimator_cnn.ablation --rungs=1,adam --seeds=1
  python -m estimator_cnn.ablation --ladder=my_ladder.json

Every rung x seed trains with run.py's Estimator, model_fn and input_fn in its
own model_dir, OUTPUT_DIR/runs/<rung name>-seed<N>-<key>, and is evaluated on
the test set every --eval_every steps. <key> hashes the run's config,
--eval_every, the data and the stack (TensorFlow and tf.estimator versions), so a
finished run (its result.json) is reused only
for the same config; a changed rung trains afresh beside the old run, which is
kept. An interrupted run resumes from its checkpoint, keeping its curve.

Output, in OUTPUT_DIR (default results/<study> or results/<ladder file name>):
  results.md             per rung: mean +- std over seeds, the blog's number, the
                         tf.estimator reference, and the run.py command of each rung
  results.json           {"study", "title", "seeds", "eval_every", "data", "rungs":
                         per-rung summaries, "runs": one record per run}
  results.csv            one row per run: rung, name, seed, the config, eval_every,
                         accuracy, loss, global_step, wall_seconds, ..., curve as
                         "step:accuracy" pairs
  accuracy_by_rung.png   bars with error bars; the blog's numbers and the reference
  accuracy_curves.png    test accuracy versus step, mean over seeds, min-max band
The reports cover every rung that has finished runs, also rungs not picked by --rungs.

Ladder files: a JSON list of rungs, or an object {"title": ..., "description":
..., "rungs": [...]} like each study in studies.json. A rung is an object:
  "name"                required and unique; --rungs takes it (or its number)
  "change"              the config keys it changes, on top of the rung above
                        (rung 1: on top of run.py's defaults): optimizer
                        ("adam" or "gradient_descent"), learning_rate (> 0),
                        conv_blocks (2 or 3), dropout_pool2, dropout_pool3,
                        dropout_dense (in [0, 1)), steps, batch_size (>= 1)
  "blog_accuracy"       optional: the blog's test accuracy, 0.82 or a range [0.89, 0.9]
  "reference_accuracy"  optional: test accuracies of the real tf.estimator (TF 2.15)
For example, the blog's ladder with two more rungs is studies.json's "ablation"
rungs followed by
  {"name": "5000 steps", "change": {"steps": 5000}},
  {"name": "GD lr 0.05", "change": {"optimizer": "gradient_descent", "learning_rate": 0.05}}
"""

import csv
import glob
import hashlib
import io
import json
import os
import re
import shlex
import statistics
import time
import typing

from absl import app
from absl import flags
import numpy as np

from estimator_cnn import cli
from estimator_cnn import config as config_lib
from estimator_cnn import data
from estimator_cnn import driver
from estimator_cnn import model
from estimator_cnn import model_dir as model_dir_lib
from estimator_cnn import study_plots
from estimator_cnn.legacy import compat as legacy_compat
from estimator_cnn.errors import UserError

STUDIES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "studies.json")
STUDIES = ("ablation", "optimizers", "dropouts")
DEFAULT_SEEDS = 3
DEFAULT_EVAL_EVERY = 100
RESULTS_ROOT = "results"
# Config keys in the order results and commands show them; run.py's defaults.
BASE_CONFIG = {
    "optimizer": model.DEFAULT_PARAMS["optimizer"],
    "learning_rate": model.DEFAULT_PARAMS["learning_rate"],
    "conv_blocks": model.DEFAULT_PARAMS["conv_blocks"],
    "dropout_pool2": model.DEFAULT_PARAMS["dropout_pool2"],
    "dropout_pool3": model.DEFAULT_PARAMS["dropout_pool3"],
    "dropout_dense": model.DEFAULT_PARAMS["dropout_dense"],
    "steps": config_lib.DEFAULT_STEPS,
    "batch_size": 100,  # run.py's --batch_size default.
    "train_subset": None,  # All the training images.
}
CONFIG_KEYS = tuple(BASE_CONFIG)
RUNG_KEYS = ("name", "change", "blog_accuracy", "reference_accuracy")
LADDER_KEYS = ("title", "description", "rungs", "seeds", "eval_every", "train_accuracy")
REFERENCE_LABEL = "tf.estimator (TF 2.15) reference"
RESULT_FILE = "result.json"
PROGRESS_FILE = "progress.json"
BARS_FIGURE = "accuracy_by_rung.png"
CURVES_FIGURE = "accuracy_curves.png"
GAP_FIGURE = "train_test_gap.png"

# key: (type, check, what a valid value is).
_VALUE_RULES = {
    "optimizer": (str, lambda v: v in model.OPTIMIZERS, f"one of {', '.join(model.OPTIMIZERS)}"),
    "learning_rate": (float, lambda v: v > 0, "a number > 0"),
    "conv_blocks": (int, lambda v: 2 <= v <= len(model.CONV_FILTERS), "2 or 3"),
    "dropout_pool2": (float, lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "dropout_pool3": (float, lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "dropout_dense": (float, lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "steps": (int, lambda v: v >= 1, "an integer >= 1"),
    "batch_size": (int, lambda v: v >= 1, "an integer >= 1"),
    "train_subset": (int, lambda v: v >= 1, "an integer >= 1"),
}


class Rung(typing.NamedTuple):
  """One rung of a ladder: its change, and its config with the rungs above applied."""
  number: int
  name: str
  change: dict
  config: dict
  blog_accuracy: typing.Optional[typing.Tuple[float, float]]  # (low, high)
  reference_accuracy: typing.Tuple[float, ...]


class Ladder(typing.NamedTuple):
  """A study's rungs; name names the default output folder.

  seeds and eval_every are the study's defaults for --seeds and --eval_every;
  with train_accuracy every evaluation also measures the training images'.
  """
  name: str
  title: str
  description: str
  rungs: typing.Tuple[Rung, ...]
  seeds: int = DEFAULT_SEEDS
  eval_every: int = DEFAULT_EVAL_EVERY
  train_accuracy: bool = False


class Run(typing.NamedTuple):
  """One rung trained with one seed in its own model_dir."""
  rung: Rung
  seed: int
  spec: dict  # What the cache is keyed on: config, eval_every, data, stack (, train_accuracy).
  model_dir: str


def define_flags(flag_values=flags.FLAGS):
  """The study's flags."""
  flags.DEFINE_enum("study", "ablation", STUDIES,
                    "Built-in ladder: ablation (the blog's rungs), optimizers (Adam vs gradient "
                    "descent at several learning rates) or dropouts (the dropouts added one at a "
                    "time, on 10,000 training images).", flag_values=flag_values)
  flags.DEFINE_string("ladder", None,
                      "JSON ladder file to run instead of --study's (format: this module's "
                      "docstring, examples: estimator_cnn/studies.json).", flag_values=flag_values)
  flags.DEFINE_list("rungs", [],
                    "Rungs to train, by number or name, e.g. 1,adam. Default: all.",
                    flag_values=flag_values)
  flags.DEFINE_integer("seeds", None,
                       f"Seeds per rung: 1..N. Default: the study's ({DEFAULT_SEEDS} unless it "
                       "says otherwise).", lower_bound=1, flag_values=flag_values)
  flags.DEFINE_string("output_dir", None,
                      "Results folder. Default results/<study> or results/<ladder file name>.",
                      flag_values=flag_values)
  flags.DEFINE_string("data_dir", None,
                      "Folder with Fashion-MNIST (as run.py's --data_dir). Default: searched.",
                      flag_values=flag_values)
  flags.DEFINE_integer("eval_every", None,
                       "Training steps between test-set evaluations (the curves' points). "
                       f"Default: the study's ({DEFAULT_EVAL_EVERY} unless it says otherwise).",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("batch_size", None,
                       "Training batch size of every rung. Default: the ladder's (100).",
                       lower_bound=1, flag_values=flag_values)


# Ladders.


def _check_config_value(key, value, where):
  """The value, a float for float keys; raises UserError saying what a valid one is."""
  kind, is_valid, what = _VALUE_RULES[key]
  is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
  checked = float(value) if kind is float and is_number else value
  if not isinstance(checked, kind) or isinstance(checked, bool) or not is_valid(checked):
    raise UserError(f"{where}: {key}={json.dumps(value)} must be {what}")
  return checked


def _check_accuracy(value, where, key):
  if (not isinstance(value, (int, float)) or isinstance(value, bool)
      or not 0 <= value <= 1):
    raise UserError(f"{where}: {key} must hold fractions in [0, 1], e.g. 0.82; got "
                    f"{json.dumps(value)}")
  return float(value)


def _parse_rung(number, entry, previous_config, source):
  """A Rung from its JSON object, its config the previous one updated with its change."""
  where = f"{source}: rung {number}"
  if not isinstance(entry, dict):
    raise UserError(f"{where} must be a JSON object with a \"name\", got {json.dumps(entry)}")
  unknown = sorted(set(entry) - set(RUNG_KEYS))
  if unknown:
    raise UserError(f"{where}: unknown key \"{unknown[0]}\"; a rung has {', '.join(RUNG_KEYS)}")
  name = entry.get("name")
  if not isinstance(name, str) or not name.strip():
    raise UserError(f"{where} needs a \"name\": a non-empty string")
  where = f"{where} ({name})"
  change = entry.get("change", {})
  if not isinstance(change, dict):
    raise UserError(f"{where}: \"change\" must be an object of config keys, e.g. "
                    "{\"steps\": 1500}")
  unknown = sorted(set(change) - set(CONFIG_KEYS))
  if unknown:
    raise UserError(f"{where}: unknown config key \"{unknown[0]}\" in \"change\"; known: "
                    f"{', '.join(CONFIG_KEYS)}")
  change = {key: _check_config_value(key, value, where) for key, value in change.items()}
  blog = entry.get("blog_accuracy")
  if blog is not None:
    bounds = blog if isinstance(blog, list) and len(blog) == 2 else [blog, blog]
    blog = tuple(sorted(_check_accuracy(value, where, "blog_accuracy") for value in bounds))
  reference = entry.get("reference_accuracy", [])
  if not isinstance(reference, list):
    raise UserError(f"{where}: reference_accuracy must be a list of fractions, e.g. [0.9, 0.89]")
  return Rung(number, name.strip(), change, {**previous_config, **change}, blog,
              tuple(_check_accuracy(value, where, "reference_accuracy") for value in reference))


def _check_count(value, where, key):
  if not isinstance(value, int) or isinstance(value, bool) or value < 1:
    raise UserError(f"{where}: {key} must be an integer >= 1, got {json.dumps(value)}")
  return value


def parse_ladder(content, name, source):
  """A Ladder from a ladder file's JSON content (a list of rungs, or an object with "rungs")."""
  title, description, settings = f"Ladder {name}", "", {}
  if isinstance(content, dict):
    unknown = sorted(set(content) - set(LADDER_KEYS))
    if unknown:
      raise UserError(f"{source}: unknown key \"{unknown[0]}\"; a ladder object has "
                      f"{', '.join(LADDER_KEYS)}")
    title = str(content.get("title", title))
    description = str(content.get("description", ""))
    settings = {key: _check_count(content[key], source, key) for key in ("seeds", "eval_every")
                if key in content}
    if not isinstance(content.get("train_accuracy", False), bool):
      raise UserError(f"{source}: train_accuracy must be true or false")
    settings["train_accuracy"] = content.get("train_accuracy", False)
    content = content.get("rungs")
  if not isinstance(content, list) or not content:
    raise UserError(f"{source} must hold a non-empty JSON list of rungs, e.g. "
                    "[{\"name\": \"adam\", \"change\": {\"optimizer\": \"adam\"}}]")
  rungs, config = [], BASE_CONFIG
  for number, entry in enumerate(content, start=1):
    rung = _parse_rung(number, entry, config, source)
    if any(_same_name(rung.name, other.name) for other in rungs):
      raise UserError(f"{source}: two rungs are named \"{rung.name}\": names must be unique")
    rungs.append(rung)
    config = rung.config
  return Ladder(name, title, description, tuple(rungs), **settings)


def _read_json(path, what):
  try:
    with open(path) as f:
      return json.load(f)
  except OSError as e:
    raise UserError(f"cannot read {what} {path}: {e.strerror}") from e
  except ValueError as e:
    raise UserError(f"{what} {path} is not valid JSON: {e}") from e


def load_ladder(ladder_path=None, study="ablation"):
  """The ladder of a user's file, else the built-in study's."""
  if ladder_path:
    name = os.path.splitext(os.path.basename(ladder_path))[0]
    return parse_ladder(_read_json(ladder_path, "ladder file"), name, ladder_path)
  return parse_ladder(_read_json(STUDIES_FILE, "studies file")[study], study,
                      f"{STUDIES_FILE} [{study}]")


def _slug(name):
  return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "rung"


def _same_name(a, b):
  return a.casefold() == b.casefold() or _slug(a) == _slug(b)


def select_rungs(ladder, picks):
  """The rungs picked by number or name, in ladder order; all of them when picks is empty."""
  if not picks:
    return ladder.rungs
  chosen = set()
  for pick in picks:
    pick = pick.strip()
    matches = [rung.number for rung in ladder.rungs
               if pick == str(rung.number) or _same_name(pick, rung.name)]
    if not matches:
      names = ", ".join(f"{rung.number} ({rung.name})" for rung in ladder.rungs)
      raise UserError(f"unknown rung \"{pick}\" in --rungs: pick numbers or names of {names}")
    chosen.update(matches)
  return tuple(rung for rung in ladder.rungs if rung.number in chosen)


# Runs.


def data_fingerprint(dataset):
  """Hash of the images and labels, so results on other data are never reused."""
  digest = hashlib.sha256()
  for array in (dataset.train_images, dataset.train_labels, dataset.test_images,
                dataset.test_labels):
    digest.update(f"{array.dtype}{array.shape}".encode())
    digest.update(np.ascontiguousarray(array))
  return digest.hexdigest()[:16]


def plan_run(output_dir, rung, seed, eval_every, fingerprint, train_accuracy=False):
  """The run of rung x seed, in a model_dir named after its name, seed and spec."""
  spec = {"config": rung.config, "eval_every": eval_every, "data": fingerprint,
          "stack": legacy_compat.stack_description()}
  if train_accuracy:
    spec["train_accuracy"] = True
  key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:10]
  model_dir = os.path.join(output_dir, "runs", f"{_slug(rung.name)}-seed{seed}-{key}")
  return Run(rung, seed, spec, model_dir)


def _eval_steps(steps, eval_every):
  return [*range(eval_every, steps, eval_every), steps]


def _write_atomically(path, text):
  temp = path + ".tmp"
  with open(temp, "w", newline="") as f:
    f.write(text)
  os.replace(temp, path)


def _write_json(path, content):
  _write_atomically(path, json.dumps(content, indent=2) + "\n")


def load_result(run):
  """The finished run's record, or None."""
  path = os.path.join(run.model_dir, RESULT_FILE)
  if not os.path.exists(path):
    return None
  record = _read_json(path, "run result")
  if not isinstance(record, dict) or "accuracy" not in record:
    raise UserError(f"{path} is not a run result: move it away to train that run again")
  return {**record, "rung": run.rung.number}


def _format_duration(seconds):
  hours, rest = divmod(int(round(seconds)), 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return f"{hours}h{minutes:02d}m"
  return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class _Eta:
  """Time left for the study's remaining training steps, at this session's seconds per step."""

  def __init__(self, remaining_steps):
    self._remaining_steps = remaining_steps
    self._steps = 0
    self._seconds = 0.0

  def record(self, steps, seconds):
    self._remaining_steps -= steps
    self._steps += steps
    self._seconds += seconds

  def steps_per_second(self):
    return self._steps / self._seconds if self._seconds else 0.0

  def text(self):
    if not self._steps:
      return "ETA unknown"
    return f"ETA {_format_duration(self._remaining_steps * self._seconds / self._steps)}"


def _steps_done(run):
  """Steps of run already evaluated by an earlier, interrupted session."""
  path = os.path.join(run.model_dir, PROGRESS_FILE)
  if not os.path.exists(path):
    return 0
  return max([point["step"] for point in _read_json(path, "run progress")["curve"]], default=0)


def _describe_change(old_spec, new_spec):
  changes = [f"{key} {_flag_value(old_spec['config'].get(key))} -> {_flag_value(value)}"
             for key, value in new_spec["config"].items() if old_spec["config"].get(key) != value]
  if old_spec["eval_every"] != new_spec["eval_every"]:
    changes.append(f"eval_every {old_spec['eval_every']} -> {new_spec['eval_every']}")
  if old_spec["data"] != new_spec["data"]:
    changes.append("other data")
  if old_spec.get("stack") != new_spec["stack"]:
    changes.append(f"{old_spec.get('stack', 'an earlier stack')} -> {new_spec['stack']}")
  return ", ".join(changes) or "same spec"


def _earlier_run_notice(run):
  """Says which earlier run of this rung and seed had another config, if any."""
  prefix = os.path.basename(run.model_dir).rsplit("-", 1)[0]
  earlier = [path for path in glob.glob(os.path.join(os.path.dirname(run.model_dir),
                                                     f"{glob.escape(prefix)}-*", PROGRESS_FILE))
             if os.path.dirname(path) != run.model_dir]
  if not earlier:
    return None
  latest = max(earlier, key=os.path.getmtime)
  old_spec = _read_json(latest, "run progress")["spec"]
  return (f"config changed since {os.path.dirname(latest)} ({_describe_change(old_spec, run.spec)})"
          f": training afresh, the earlier run is kept")


def _evaluate(estimator, test, train=None):
  """A curve point: test accuracy and loss, and the training images' too if train is given.

  Both are measured the same way: Estimator.evaluate, the EVAL graph (no dropout).
  """
  metrics = estimator.evaluate(driver.eval_input_fn(*test))
  point = {"step": int(metrics["global_step"]), "accuracy": float(metrics["accuracy"]),
           "loss": float(metrics["loss"])}
  if train is not None:
    metrics = estimator.evaluate(driver.eval_input_fn(*train), name="train")
    point.update(train_accuracy=float(metrics["accuracy"]), train_loss=float(metrics["loss"]))
  return point


def train_run(run, dataset, label, eta):
  """Trains run to its steps, evaluating every eval_every steps; saves and returns its record."""
  config, eval_every = run.spec["config"], run.spec["eval_every"]
  params = {key: config[key] for key in model.DEFAULT_PARAMS}
  progress_path = os.path.join(run.model_dir, PROGRESS_FILE)
  if os.path.exists(progress_path):
    progress = _read_json(progress_path, "run progress")
  else:
    notice = _earlier_run_notice(run)
    if notice:
      print(f"{label}: {notice}", flush=True)
    progress = {"rung_name": run.rung.name, "seed": run.seed, "spec": run.spec, "curve": [],
                "wall_seconds": 0.0}
  os.makedirs(run.model_dir, exist_ok=True)
  model_dir_lib.save_params(run.model_dir, params)
  estimator = driver.make_estimator(run.model_dir, params, run.seed, log_every=eval_every)
  step = driver.global_step(estimator)
  progress["curve"] = [point for point in progress["curve"] if point["step"] <= step]
  evaluated = {point["step"] for point in progress["curve"]}
  start = f"resuming at step {step}" if step else f"training {config['steps']} steps"
  print(f"{label}: {start} in {run.model_dir}", flush=True)
  train = (dataset.train_images[:config["train_subset"]],
           dataset.train_labels[:config["train_subset"]])
  input_fn = driver.train_input_fn(*train, config["batch_size"])
  test = (dataset.test_images, dataset.test_labels)
  measured_train = train if run.spec.get("train_accuracy") else None
  for target in _eval_steps(config["steps"], eval_every):
    if target in evaluated or target < step:
      continue
    started = time.perf_counter()
    if step < target:
      estimator.train(input_fn, max_steps=target)
    point = _evaluate(estimator, test, measured_train)
    seconds = time.perf_counter() - started
    eta.record(target - step, seconds)
    step = target
    progress["curve"].append(point)
    progress["wall_seconds"] += seconds
    _write_json(progress_path, progress)
    train_text = (f"train accuracy {point['train_accuracy']:.4f}  " if measured_train else "")
    print(f"{label}: step {step}/{config['steps']}  {train_text}test accuracy "
          f"{point['accuracy']:.4f}  loss {point['loss']:.4f}  {eta.steps_per_second():.2f} "
          f"steps/s  {eta.text()}", flush=True)
  final = progress["curve"][-1]
  record = {
      "rung": run.rung.number, "name": run.rung.name, "seed": run.seed, "config": config,
      "eval_every": eval_every, "accuracy": final["accuracy"], "loss": final["loss"],
      "global_step": final["step"], "wall_seconds": round(progress["wall_seconds"], 2),
      "curve": progress["curve"], "stack": legacy_compat.stack_description(),
      "data_fingerprint": run.spec["data"], "model_dir": run.model_dir,
  }
  if measured_train:
    record["train_accuracy"] = final["train_accuracy"]
  _write_json(os.path.join(run.model_dir, RESULT_FILE), record)
  print(f"{label}: test accuracy {record['accuracy']:.4f} after {record['global_step']} steps "
        f"({_format_duration(record['wall_seconds'])})", flush=True)
  return record


# Reports.


def _flag_value(value):
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
          *(f"--{key}={_flag_value(rung_config[key])}" for key in CONFIG_KEYS
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
    return ", ".join(f"{key}={_flag_value(value)}" for key, value in change.items()) or "none"

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
      duration = _format_duration(s["wall_seconds_mean"])
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
                 f"{r['loss']:.4f} | {r['global_step']} | {_format_duration(r['wall_seconds'])} | "
                 f"`{r['model_dir']}` |")
  lines += ["", "## Reproduce a rung with run.py", "",
            "Seed 1 is shown; pass `--seed=N` for seed N. `--mode=train_and_eval` with the "
            "same `--eval_every` trains in the same chunks as this study.", ""]
  for s in summaries:
    lines += [f"{s['rung']}. {s['name']}:", "", "   ```", f"   {s['run_py_command']}", "   ```",
              ""]
  return "\n".join(lines)


def write_reports(output_dir, ladder, records, context):
  """Writes results.json, .csv, .md and the two figures from the finished runs' records."""
  records = sorted(records, key=lambda r: (r["rung"], r["seed"]))
  summaries = summarize(ladder, records, context["eval_every"], context["data_dir"])
  _write_json(os.path.join(output_dir, "results.json"), {
      "study": ladder.name, "title": ladder.title, "seeds": context["seeds"],
      "eval_every": context["eval_every"], "data": context["data"], "rungs": summaries,
      "runs": records,
  })
  _write_atomically(os.path.join(output_dir, "results.csv"), _csv_text(records))
  _write_atomically(os.path.join(output_dir, "results.md"),
                    _markdown(ladder, summaries, records, context))
  study_plots.plot_rungs(summaries, ladder.title, os.path.join(output_dir, BARS_FIGURE),
                         REFERENCE_LABEL)
  study_plots.plot_curves(summaries, f"{ladder.title}: test accuracy during training",
                          os.path.join(output_dir, CURVES_FIGURE))
  if any("train_accuracies" in s for s in summaries):
    study_plots.plot_gap(summaries, f"{ladder.title}: training against test accuracy",
                         os.path.join(output_dir, GAP_FIGURE))


def _check_output_dir(output_dir):
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise UserError(f"--output_dir={output_dir} is a file, not a folder: pass a folder path")


def run_study(flag_values):
  """Trains the picked rungs x seeds that have no result yet, then writes the reports."""
  ladder = load_ladder(flag_values.ladder, flag_values.study)
  if flag_values.batch_size is not None:
    ladder = ladder._replace(rungs=tuple(
        rung._replace(config={**rung.config, "batch_size": flag_values.batch_size})
        for rung in ladder.rungs))
  picked = select_rungs(ladder, flag_values.rungs)
  output_dir = flag_values.output_dir or os.path.join(RESULTS_ROOT, ladder.name)
  _check_output_dir(output_dir)
  dataset = data.load_fashion_mnist(flag_values.data_dir)
  fingerprint = data_fingerprint(dataset)
  seeds = list(range(1, (flag_values.seeds or ladder.seeds) + 1))
  eval_every = flag_values.eval_every or ladder.eval_every
  plan = [plan_run(output_dir, rung, seed, eval_every, fingerprint, ladder.train_accuracy)
          for seed in seeds for rung in picked]
  done_earlier = {run.model_dir: load_result(run) for run in plan}
  to_train = [run for run in plan if done_earlier[run.model_dir] is None]
  eta = _Eta(sum(run.rung.config["steps"] - _steps_done(run) for run in to_train))
  print(f"{ladder.name}: {len(picked)} rung(s) x {len(seeds)} seed(s) in {output_dir}, "
        f"{len(plan) - len(to_train)} done earlier ({legacy_compat.stack_description()})",
        flush=True)
  os.makedirs(output_dir, exist_ok=True)
  context = {"seeds": seeds, "eval_every": eval_every, "data": dataset.source,
             "data_dir": flag_values.data_dir, "test_images": len(dataset.test_labels)}

  def finished_records():
    runs = (plan_run(output_dir, rung, seed, eval_every, fingerprint, ladder.train_accuracy)
            for rung in ladder.rungs for seed in seeds)
    return [record for record in map(load_result, runs) if record is not None]

  for index, run in enumerate(plan, start=1):
    label = f"run {index}/{len(plan)}: rung {run.rung.number} ({run.rung.name}) seed {run.seed}"
    record = done_earlier[run.model_dir]
    if record:
      print(f"{label}: done earlier, test accuracy {record['accuracy']:.4f}; skipped", flush=True)
    else:
      train_run(run, dataset, label, eta)
      write_reports(output_dir, ladder, finished_records(), context)
  if not to_train:
    write_reports(output_dir, ladder, finished_records(), context)
  print(f"trained {len(to_train)} run(s), skipped {len(plan) - len(to_train)} done earlier; "
        f"results: {os.path.join(output_dir, 'results.md')}")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  # __name__, not "estimator_cnn.ablation": under python -m this module is __main__.
  return cli.run_main(flags.FLAGS, "run_study", __name__)


if __name__ == "__main__":
  define_flags()
  app.run(main)
