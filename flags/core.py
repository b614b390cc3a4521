"""Flag definitions, grouped as in tensorflow/models' official/utils/flags, with validators.

Each define_* function takes the FlagValues to define into (absl's global FLAGS
by default; tests pass their own). Flags are never mutated: `settings` hands
their values to the library as an app.settings.Settings, where values that
depend on other flags (the step budget, say) are resolved. FLAG_MODES says which
modes each of run.py's flags belongs to: --help shows it, and `mode_mistake`
refuses a flag given to another mode.
"""

import math
import os

from absl import flags
from absl import logging as absl_logging

from estimator_cnn.app import settings as settings_lib
from estimator_cnn.app import tf_config
from estimator_cnn.base.errors import UserError
from estimator_cnn.data import user_images
from estimator_cnn.model import param_rules
from estimator_cnn.model import presets

MODES = ("train", "eval", "predict", "train_and_eval", "inspect", "export")
INVERT_CHOICES = ("auto", "yes", "no")
# Each dropout flag, and where its dropout is.
DROPOUT_FLAGS = {"dropout_pool2": "pool 2", "dropout_pool3": "pool 3",
                 "dropout_dense": "the dense layer"}
DISTRIBUTIONS = ("parameter_server", "multi_worker_mirrored")

TRAINING_MODES = ("train", "train_and_eval")
CHECKPOINT_MODES = ("eval", "predict", "export")  # They read a trained model_dir's checkpoint.
# The network's flags: eval, predict and export need them to match a checkpoint without
# params.json (one a plain tf.estimator script wrote); the optimizer decides its slot variables.
NETWORK_MODES = TRAINING_MODES + CHECKPOINT_MODES
# The modes each of run.py's flags belongs to, in --help's order. Given explicitly to
# another mode, a flag is refused (mode_mistake); define_all tags its help with them.
FLAG_MODES = {
    "mode": MODES,
    "verbose": MODES,
    "model_dir": NETWORK_MODES,
    "data_dir": ("train", "train_and_eval", "eval", "predict", "inspect"),
    "seed": TRAINING_MODES,
    "predict_indices": ("predict",),
    "preset": NETWORK_MODES,
    "conv_blocks": NETWORK_MODES,
    **{name: NETWORK_MODES for name in DROPOUT_FLAGS},
    "optimizer": NETWORK_MODES,
    "dtype": NETWORK_MODES,
    "learning_rate": TRAINING_MODES,
    "steps": TRAINING_MODES,
    "max_steps": TRAINING_MODES,
    "epochs": TRAINING_MODES,
    "batch_size": TRAINING_MODES,
    "recipe": TRAINING_MODES,
    "log_every": TRAINING_MODES,
    "train_subset": TRAINING_MODES,
    "save_checkpoints_steps": TRAINING_MODES,
    "eval_every": ("train_and_eval",),
    "sync_replicas": ("train_and_eval",),
    "distribution": ("train_and_eval",),
    "report_dir": ("eval", "inspect"),
    "images": ("predict",),
    "invert": ("predict",),
    "output": ("predict",),
    "max_image_pixels": ("predict",),
    "export_dir": ("export",),
    "checkpoint": CHECKPOINT_MODES,
}
# --mode=predict reads these with --images only, and these without it only (the test images).
IMAGES_FLAGS = ("invert", "max_image_pixels")
TEST_IMAGES_FLAGS = ("predict_indices", "data_dir")


def define_data_flag(flag_values=flags.FLAGS):
  """--data_dir: where Fashion-MNIST is; run.py's and every study's."""
  flags.DEFINE_string("data_dir", None,
                      "Folder with the four Fashion-MNIST IDX .gz files or Kaggle's two CSVs. "
                      "Searched otherwise: ~/.keras/datasets/fashion-mnist, then "
                      "/usr/share/datasets/fashion-mnist.",
                      flag_values=flag_values)


def define_run_flags(flag_values=flags.FLAGS):
  """--mode, --model_dir, --data_dir, --seed, the test images to predict, and --verbose."""
  flags.DEFINE_enum("mode", "train", MODES,
                    "What to do with the model_dir. Flags marked [mode, ...] are for those modes "
                    "only, and refused in the others; the unmarked ones are for every mode.",
                    flag_values=flag_values)
  flags.DEFINE_string("model_dir", None,
                      "Checkpoint folder. Training without it makes a fresh one under runs/.",
                      flag_values=flag_values)
  define_data_flag(flag_values)
  flags.DEFINE_integer("seed", 1,
                       "Graph-level random seed (weights, dropout, shuffling).",
                       lower_bound=0, flag_values=flag_values)
  flags.DEFINE_list("predict_indices", ["0", "1", "2", "3", "4"],
                    "Test-set images to classify in --mode=predict without --images (0..9999).",
                    flag_values=flag_values)
  flags.register_validator(
      "predict_indices",
      lambda values: bool(values) and all(v.strip().isdigit() and int(v) < 10000 for v in values),
      message="--predict_indices must be integers in 0..9999, comma-separated, e.g. 0,42,9999",
      flag_values=flag_values)
  flags.DEFINE_bool("verbose", False,
                    "Print the traceback of errors too, not only the one line saying what to fix.",
                    flag_values=flag_values)


def define_model_flags(flag_values=flags.FLAGS):
  """The network: conv blocks and dropouts; unset flags keep the model_dir's or the default."""
  flags.DEFINE_integer("conv_blocks", None,
                       f"Conv blocks: {param_rules.RULES['conv_blocks'].expected} (of 32, 64, "
                       f"128 filters in turn). Default {_blog_cnn('conv_blocks')}.",
                       lower_bound=min(presets.CONV_BLOCKS),
                       upper_bound=max(presets.CONV_BLOCKS), flag_values=flag_values)
  for name, where in DROPOUT_FLAGS.items():
    flags.DEFINE_float(name, None,
                       f"Dropout rate after {where}, {param_rules.RULES[name].expected}. "
                       f"Default {_blog_cnn(name)}.", flag_values=flag_values)
    _register_rule(name, flag_values)


def _blog_cnn(param):
  """The default preset's value of a model param, for help texts."""
  return presets.PRESETS[presets.DEFAULT_PRESET].preset_params[param]


def _register_rule(name, flag_values):
  """Validates --name by its model param's rule (model.param_rules), as params.json is; the
  message's example is the default preset's value."""
  rule = param_rules.RULES[name]
  example = f"--{name}={_blog_cnn(name)}"
  flags.register_validator(name, lambda value: value is None or rule.accepts(value),
                           message=f"--{name} must be {rule.expected}, e.g. {example}",
                           flag_values=flag_values)


def define_training_flags(flag_values=flags.FLAGS):
  """Optimizer, learning rate, step budget, batch size and how often to report."""
  flags.DEFINE_enum("optimizer", None, list(presets.OPTIMIZERS),
                    f"Optimizer. Default: the preset's ({_blog_cnn('optimizer')} for "
                    f"{presets.DEFAULT_PRESET}).", flag_values=flag_values)
  flags.DEFINE_float("learning_rate", None,
                     f"Learning rate. Default: the preset's ({_blog_cnn('learning_rate')} for "
                     f"{presets.DEFAULT_PRESET}).", flag_values=flag_values)
  _register_rule("learning_rate", flag_values)
  flags.DEFINE_integer("steps", None,
                       "Training steps to add to the model_dir's global step. Default: the "
                       f"preset's budget ({presets.DEFAULT_STEPS} for {presets.DEFAULT_PRESET}).",
                       lower_bound=1, upper_bound=param_rules.MAX_GLOBAL_STEP,
                       flag_values=flag_values)
  flags.DEFINE_integer("max_steps", None,
                       "Train up to this absolute global step (nothing to do once reached).",
                       lower_bound=1, upper_bound=param_rules.MAX_GLOBAL_STEP,
                       flag_values=flag_values)
  flags.register_multi_flags_validator(
      ["steps", "max_steps"], lambda values: values["steps"] is None or values["max_steps"] is None,
      message="--steps (added to the global step) and --max_steps (absolute) exclude each other: "
      "pass one", flag_values=flag_values)
  flags.DEFINE_integer("batch_size", presets.DEFAULT_BATCH_SIZE,
                       "Training batch size; the preset's unless given "
                       f"({presets.DEFAULT_BATCH_SIZE} for {presets.DEFAULT_PRESET}).",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("eval_every", presets.DEFAULT_EVAL_EVERY,
                       "Steps between evaluations, on the preset's validation split if it has "
                       "one, else on the test set. Default: the preset's interval unless given, "
                       f"else {presets.DEFAULT_EVAL_EVERY}.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("log_every", 100,
                       "Steps between progress lines, on the steps TensorBoard shows the loss at.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("train_subset", None,
                       "Train on the first N images of the training set only (before the preset's "
                       "validation split). Default: all of them.",
                       lower_bound=1,
                       flag_values=flag_values)
  flags.DEFINE_integer("save_checkpoints_steps", None,
                       "Steps between checkpoints while training. Default: tf.estimator's, one "
                       "every 10 minutes (and one at the end).", lower_bound=1,
                       flag_values=flag_values)
  flags.DEFINE_bool("sync_replicas", False,
                    "In a TF_CONFIG cluster, average every trainer's gradients before each update "
                    "(SyncReplicasOptimizer) instead of updating asynchronously. They stop "
                    "together at --max_steps.",
                    flag_values=flag_values)
  flags.DEFINE_enum("distribution", "parameter_server", DISTRIBUTIONS,
                    "In a TF_CONFIG cluster, how trainers share the variables: parameter_server "
                    "(ps tasks hold them) or multi_worker_mirrored (each trainer holds a copy; "
                    "synchronous all-reduce over gRPC, a cluster of chief, workers and an "
                    "optional evaluator, no ps). --batch_size is per trainer either way.",
                    flag_values=flag_values)
  flags.register_validator("distribution", _all_reduce_cluster_checker(os.environ),
                           flag_values=flag_values)
  flags.register_multi_flags_validator(
      ["distribution", "sync_replicas"],
      lambda values: not (values["sync_replicas"]
                          and values["distribution"] == "multi_worker_mirrored"),
      message="--sync_replicas is for --distribution=parameter_server; "
      "multi_worker_mirrored is synchronous already: leave --sync_replicas out",
      flag_values=flag_values)


def _all_reduce_cluster_checker(environ):
  """A validator of --distribution: multi_worker_mirrored needs a TF_CONFIG cluster of chief,
  workers and an optional evaluator, without ps."""

  def check(distribution):
    if distribution != "multi_worker_mirrored":
      return True
    fix = ("set TF_CONFIG to a cluster of a chief, workers and an optional evaluator, e.g. "
           "with scripts/launch_cluster.py --ps=0")
    try:
      jobs = set(tf_config.parsed(environ).get("cluster", {}))
    except UserError as e:
      raise flags.ValidationError(f"--distribution=multi_worker_mirrored: {e}") from e
    if "chief" not in jobs or not jobs <= {"chief", "worker", "evaluator"}:
      raise flags.ValidationError(
          f"--distribution=multi_worker_mirrored needs a TF_CONFIG cluster of a chief, workers "
          f"and an optional evaluator, not {sorted(jobs) or 'none'}: {fix}")
    return True

  return check


def _presets_with(param):
  """The presets whose network a model param shapes, by name."""
  return [name for name, preset in presets.PRESETS.items() if param in preset.preset_params]


def define_preset_flags(flag_values=flags.FLAGS):
  """--preset, a published network and recipe, and --epochs; after define_training_flags."""
  flags.DEFINE_enum("preset", None, list(presets.PRESETS),
                    "Published network with its training recipe, which sets the defaults of "
                    "--optimizer, --learning_rate, --batch_size, the budget, the validation split "
                    "and --eval_every; flags given explicitly win. --conv_blocks and the dropout "
                    f"flags apply to {' and '.join(_presets_with('conv_blocks'))} only. Default: "
                    f"the model_dir's, else {presets.DEFAULT_PRESET}.", flag_values=flag_values)
  flags.DEFINE_float("epochs", None,
                     "Training budget in passes over the preset's training split, converted to "
                     "steps with the batch size and added to the global step.",
                     flag_values=flag_values)
  flags.register_validator("epochs", lambda value: value is None or 0 < value < math.inf,
                           message="--epochs must be > 0 and finite, e.g. --epochs=5",
                           flag_values=flag_values)
  flags.register_multi_flags_validator(
      ["epochs", "steps", "max_steps"],
      lambda values: values["epochs"] is None or (values["steps"] is None
                                                  and values["max_steps"] is None),
      message="--epochs excludes --steps and --max_steps: pass one", flag_values=flag_values)


def define_performance_flags(flag_values=flags.FLAGS):
  """--dtype and --recipe: how fast training runs."""
  flags.DEFINE_enum("dtype", None, presets.DTYPES,
                    f"Compute dtype. {presets.BFLOAT16}: bf16 compute with float32 variables, "
                    "loss and softmax (checkpoints stay float32); on a CPU without AVX512_BF16 or "
                    "AMX it says so and trains in float32. Default: --recipe's, else the "
                    f"model_dir's, else {presets.FLOAT32}.", flag_values=flag_values)
  flags.DEFINE_enum("recipe", None, list(presets.TUNED_RECIPES),
                    f"Training recipe for {presets.TUNED_RECIPE_PRESET}: sets the defaults of "
                    "--batch_size, --steps, --learning_rate (warmed up, then cosine-decayed to 0 "
                    "at the budget's last step), --dtype, the dropout rates and --eval_every; "
                    "flags given explicitly win. fast: 90% test accuracy quickly (1.33 epochs, "
                    "no dropout, labels smoothed by "
                    f"{presets.TUNED_RECIPES['fast']['label_smoothing']}).",
                    flag_values=flag_values)


def define_report_flags(flag_values=flags.FLAGS):
  """Where reports go, the user's own images for --mode=predict, and --mode=export's folder."""
  flags.DEFINE_string("report_dir", None,
                      "Folder for the PNG and JSON reports. Default MODEL_DIR/eval_report in "
                      "--mode=eval, reports/data in --mode=inspect.",
                      flag_values=flag_values)
  flags.DEFINE_list("images", None,
                    "PNG, JPEG or .npy files to classify in --mode=predict, comma-separated; a "
                    "name with a comma goes in double quotes, as in CSV: "
                    "--images='\"a,b.png\",c.png'.",
                    flag_values=flag_values)
  flags.register_validator(
      "images", lambda paths: paths is None or (bool(paths) and all(paths)),
      message="--images names no file, or an empty one: pass PNG, JPEG or .npy files, "
      "comma-separated, e.g. --images=shirt.png,boot.jpg", flag_values=flag_values)
  flags.DEFINE_enum("invert", "auto", INVERT_CHOICES,
                    "Invert --images to a light garment on black, as in Fashion-MNIST: auto "
                    "inverts images whose border is light.", flag_values=flag_values)
  flags.DEFINE_string("output", None,
                      "File for the predictions (of --images, else of the test images): .json, "
                      "or .csv (one row per image).",
                      flag_values=flag_values)
  flags.DEFINE_string("export_dir", None,
                      "Base folder of --mode=export: each export writes the SavedModel to a new "
                      "version folder in it (1, 2, ...), as TensorFlow Serving loads them.",
                      flag_values=flag_values)
  flags.DEFINE_integer("checkpoint", None,
                       "Global step of the checkpoint to use (MODEL_DIR/model.ckpt-STEP). "
                       "Default: the latest.", lower_bound=0, flag_values=flag_values)
  flags.DEFINE_integer("max_image_pixels", user_images.MAX_IMAGE_PIXELS,
                       "Most pixels an --images file may hold, counted from its header before it "
                       "is decoded (a .npy batch: all its images').", lower_bound=1,
                       flag_values=flag_values)


def define_all(flag_values=flags.FLAGS):
  """Every flag run.py takes, each help starting with its modes unless it is for every mode."""
  define_run_flags(flag_values)
  define_model_flags(flag_values)
  define_training_flags(flag_values)
  define_preset_flags(flag_values)
  define_performance_flags(flag_values)
  define_report_flags(flag_values)
  for name, modes in FLAG_MODES.items():
    if set(modes) != set(MODES):
      flag_values[name].help = f"[{', '.join(modes)}] {flag_values[name].help}"


def mode_mistake(flag_values=flags.FLAGS):
  """The one-line error for the first flag given explicitly that --mode does not read, or None."""
  mode = flag_values.mode
  given = [name for name in FLAG_MODES if flag_values[name].present]
  for name in given:
    if mode not in FLAG_MODES[name]:
      return _wrong_mode(name, mode, mode_given=flag_values["mode"].present)
  if mode == "predict":
    for name in given:
      if name in IMAGES_FLAGS and not flag_values.images:
        return f"--{name} needs --images: add --images=FILE,..., or leave --{name} out"
      if name in TEST_IMAGES_FLAGS and flag_values.images:
        return (f"--{name} is for predicting test images, not --images files: leave --{name} "
                "or --images out")
  return None


def _wrong_mode(name, mode, mode_given):
  """--name given to --mode=mode, which it does not belong to: what to do instead."""
  modes = FLAG_MODES[name]
  if len(modes) == 1:
    belongs, fix = f"--mode={modes[0]}", f"{'use' if mode_given else 'add'} --mode={modes[0]}"
  else:
    belongs, fix = f"--mode={', '.join(modes[:-1])} or {modes[-1]}", "pick one of those modes"
  return f"--{name} is for {belongs}, not --mode={mode}: {fix}, or leave --{name} out"


def settings(flag_values=flags.FLAGS, command="python run.py"):
  """The parsed values of define_all's flags as Settings, knowing which were given; `command`
  is how the user ran them, for the hints. Path flags have ~ expanded (bash leaves it after `=`)."""
  values = {name: _expand_user(flag_values[name].value) if name in settings_lib.PATH_FLAGS
            else flag_values[name].value for name in FLAG_MODES}
  explicit = frozenset(name for name in values if flag_values[name].present)
  return settings_lib.Settings(**values, command=command, explicit=explicit)


def _expand_user(path):
  """A path flag's value (a list for --images) with ~ and ~user expanded."""
  if isinstance(path, list):
    return [os.path.expanduser(item) for item in path]
  return os.path.expanduser(path) if path else path


def hide_library_info_logs(flag_values=flags.FLAGS):
  """Unless --verbosity was given, logs warnings and errors only: the libraries' INFO logs
  (matplotlib's note on a first run that it built its font cache, say) stay off the console.

  absl's app.run raises --verbosity to INFO when it is not given; call this after it parsed.
  """
  if not flag_values["verbosity"].present:
    flag_values.verbosity = absl_logging.WARNING
