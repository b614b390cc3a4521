"""Ladders: the rungs a study trains, from studies.json or a user's file, checked.

No TensorFlow here: the ablation's main imports this module before it parses its flags.

Ladder files: a JSON list of rungs, or an object {"title": ..., "description":
..., "rungs": [...]} like each study in studies.json. A rung is an object:
  "name"                required and unique; --rungs takes it (or its number)
  "change"              the config keys it changes, on top of the rung above
                        (rung 1: on top of run.py's defaults): optimizer
                        ("adam" or "gradient_descent"), learning_rate (> 0),
                        conv_blocks (2 or 3), dropout_pool2, dropout_pool3,
                        dropout_dense (in [0, 1)), steps, batch_size (>= 1),
                        train_subset (>= 1: train on the first N images)
  "blog_accuracy"       optional: the blog's test accuracy, 0.82 or a range [0.89, 0.9]
  "reference_accuracy"  optional: test accuracies of the real tf.estimator (TF 2.15)
A ladder object may also set "seeds" and "eval_every" (the defaults of --seeds
and --eval_every) and "train_accuracy" (true: every evaluation also measures the
training images'). For example, the blog's ladder with two more rungs is
studies.json's "ablation" rungs followed by
  {"name": "5000 steps", "change": {"steps": 5000}},
  {"name": "GD lr 0.05", "change": {"optimizer": "gradient_descent", "learning_rate": 0.05}}
"""

import json
import os
import re
import typing

from estimator_cnn.base import files
from estimator_cnn.base.errors import UserError
from estimator_cnn.model import param_rules
from estimator_cnn.model import presets

STUDIES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "studies.json")
# The built-in ladders of studies.json, each with what it compares (--study's help).
STUDIES = {
    "ablation": "the blog's rungs",
    "optimizers": "Adam vs gradient descent at several learning rates",
    "dropouts": "the dropouts added one at a time, on 10,000 training images",
}
DEFAULT_SEEDS = 3
DEFAULT_EVAL_EVERY = 100
# Config keys in the order results and commands show them; run.py's defaults.
BASE_CONFIG = {
    "optimizer": presets.DEFAULT_PARAMS["optimizer"],
    "learning_rate": presets.DEFAULT_PARAMS["learning_rate"],
    "conv_blocks": presets.DEFAULT_PARAMS["conv_blocks"],
    "dropout_pool2": presets.DEFAULT_PARAMS["dropout_pool2"],
    "dropout_pool3": presets.DEFAULT_PARAMS["dropout_pool3"],
    "dropout_dense": presets.DEFAULT_PARAMS["dropout_dense"],
    "steps": presets.DEFAULT_STEPS,
    "batch_size": presets.DEFAULT_BATCH_SIZE,
    "train_subset": None,  # All the training images.
}
CONFIG_KEYS = tuple(BASE_CONFIG)
RUNG_KEYS = ("name", "change", "blog_accuracy", "reference_accuracy")
LADDER_KEYS = ("title", "description", "rungs", "seeds", "eval_every", "train_accuracy")
_FLOAT_KEYS = ("learning_rate", "dropout_pool2", "dropout_pool3", "dropout_dense")
_COUNT = param_rules.Rule("an integer >= 1",
                          lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1)
# Each config key's rule: run.py's (model.param_rules) for the network's params.
_VALUE_RULES = {
    **{key: param_rules.RULES[key] for key in ("optimizer", "conv_blocks", "dropout_pool2",
                                                "dropout_pool3", "dropout_dense")},
    "learning_rate": param_rules.Rule(
        "a number > 0",
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0),
    "steps": _COUNT,
    "batch_size": _COUNT,
    "train_subset": _COUNT,
}


class StudyOptions(typing.NamedTuple):
  """What a study's command line picks; None takes the ladder's default."""
  study: str = "ablation"  # One of STUDIES; a ladder file replaces it.
  ladder: typing.Optional[str] = None  # The ladder file's path.
  rungs: typing.Sequence[str] = ()  # Numbers or names; all rungs when empty.
  seeds: typing.Optional[int] = None
  output_dir: typing.Optional[str] = None  # Default: results/<ladder name>.
  data_dir: typing.Optional[str] = None  # Default: searched.
  eval_every: typing.Optional[int] = None
  batch_size: typing.Optional[int] = None  # Replaces every rung's.


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


def _check_config_value(key, value, where):
  """The value, a float for float keys; raises UserError saying what a valid one is."""
  rule = _VALUE_RULES[key]
  if not rule.accepts(value):
    raise UserError(f"{where}: {key}={json.dumps(value)} must be {rule.expected}")
  return float(value) if key in _FLOAT_KEYS else value


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


def load_ladder(ladder_path=None, study="ablation"):
  """The ladder of a user's file, else the built-in study's."""
  if ladder_path:
    name = os.path.splitext(os.path.basename(ladder_path))[0]
    return parse_ladder(files.read_json(ladder_path, "ladder file"), name, ladder_path)
  return parse_ladder(files.read_json(STUDIES_FILE, "studies file")[study], study,
                      f"{STUDIES_FILE} [{study}]")


def slug(name):
  """The name in lower case, runs of other characters than letters and digits as one "-"."""
  return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "rung"


def _same_name(a, b):
  return a.casefold() == b.casefold() or slug(a) == slug(b)


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
