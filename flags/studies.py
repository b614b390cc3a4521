"""The studies' flags: the ablation ladders, the presets table and the benchmark.

Grouped like flags/core.py; each define_* function takes the FlagValues to
define into. The studies' tables (the ladders, the systems) come in as data from
their mains: flags/ imports no part of estimator_cnn.experiments, whose mains
import it. Only modules without TensorFlow are imported here, so the benchmark's
Keras 3 worker, which parses these flags, keeps Keras 3.
"""

import os

from absl import flags

from estimator_cnn.flags import core as flags_core
from estimator_cnn.model import presets


def define_ablation_flags(studies, default_seeds, default_eval_every, flag_values=flags.FLAGS):
  """python -m estimator_cnn.experiments.ablation's flags.

  Args:
    studies: {built-in ladder's name: what it compares}; the first is the default.
    default_seeds: --seeds and --eval_every when the ladder sets neither.
    default_eval_every: see default_seeds.
    flag_values: the FlagValues to define into.
  """
  choices = ", ".join(f"{name} ({summary})" for name, summary in studies.items())
  flags.DEFINE_enum("study", next(iter(studies)), list(studies), f"Built-in ladder: {choices}.",
                    flag_values=flag_values)
  flags.DEFINE_string("ladder", None,
                      "JSON ladder file to run instead of --study's (format: the docstring of "
                      "estimator_cnn/experiments/ablation/ladder.py, examples: its studies.json).",
                      flag_values=flag_values)
  flags.DEFINE_list("rungs", [],
                    "Rungs to train, by number or name, e.g. 1,adam. Default: all.",
                    flag_values=flag_values)
  flags.DEFINE_integer("seeds", None,
                       f"Seeds per rung: 1..N. Default: the study's ({default_seeds} "
                       "unless it says otherwise).", lower_bound=1, flag_values=flag_values)
  flags.DEFINE_string("output_dir", None,
                      "Results folder. Default results/<study> or results/<ladder file name>.",
                      flag_values=flag_values)
  flags_core.define_data_flag(flag_values)
  flags.DEFINE_integer("eval_every", None,
                       "Training steps between test-set evaluations (the curves' points). "
                       f"Default: the study's ({default_eval_every} unless it says "
                       "otherwise).", lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("batch_size", None,
                       "Training batch size of every rung. Default: the ladder's "
                       f"({presets.DEFAULT_BATCH_SIZE} unless it says otherwise).",
                       lower_bound=1, flag_values=flag_values)


def define_presets_table_flags(flag_values=flags.FLAGS):
  """python -m estimator_cnn.experiments.presets_table's flags."""
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
  flags.DEFINE_string("output_dir", os.path.join("results", "presets"), "Results folder.",
                      flag_values=flag_values)
  flags_core.define_data_flag(flag_values)
  flags.DEFINE_integer("seed", 1, "Graph-level random seed of every preset.",
                       flag_values=flag_values)
  flags.DEFINE_integer("log_every", 100, "Steps between progress lines.", lower_bound=1,
                       flag_values=flag_values)


def define_benchmark_flags(systems, default_systems, default_output_dir,
                           flag_values=flags.FLAGS):
  """python -m estimator_cnn.experiments.benchmark's flags.

  Args:
    systems: {system's name: what it runs}, in the order the benchmark measures them.
    default_systems: --systems' default, the names of some of them.
    default_output_dir: --output_dir's default.
    flag_values: the FlagValues to define into.
  """
  choices = "; ".join(f"{name}: {label}" for name, label in systems.items())
  flags.DEFINE_list("systems", default_systems,
                    f"Systems to measure, in this order ({choices}).", flag_values=flag_values)
  flags.DEFINE_integer("rounds", 3, "Throughput measurements per system, alternating.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("steps", 300, "Timed training steps per measurement.", lower_bound=2,
                       flag_values=flag_values)
  flags.DEFINE_integer("warmup_steps", 50, "Untimed training steps before them.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("batch_size", presets.DEFAULT_BATCH_SIZE,
                       "Training batch size (ours_fast: its recipe's).",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("tta_rounds", 1, "Time-to-accuracy runs per system; 0 skips them.",
                       lower_bound=0, flag_values=flag_values)
  flags.DEFINE_list("tta_systems", None,
                    "Systems whose time to accuracy is measured, among --systems. Default: all.",
                    flag_values=flag_values)
  flags.DEFINE_float("target", 0.90, "Test accuracy that time to accuracy waits for.",
                     lower_bound=0.0, upper_bound=1.0, flag_values=flag_values)
  flags.DEFINE_integer("eval_every", 100, "Training steps between test-set evaluations.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("tta_max_steps", 3000,
                       "Time to accuracy gives up after this many steps.", lower_bound=1,
                       flag_values=flag_values)
  flags.DEFINE_bool("emulated_bf16", False,
                    "Measure the bf16 systems even on a CPU without native bf16 (TensorFlow "
                    "emulates it: slow), labelled emulated.", flag_values=flag_values)
  flags.DEFINE_integer("matmul_size", 2048, "Side of the square matrices of the matmul peak.",
                       lower_bound=1, flag_values=flag_values)
  flags_core.define_data_flag(flag_values)
  flags.DEFINE_string("output_dir", default_output_dir,
                      "Folder for benchmark.json and benchmark.md.", flag_values=flag_values)
  flags.DEFINE_string("worker", None, "Internal: a JSON task to run in this process.",
                      flag_values=flag_values)


def define_op_profile_flags(stages, stacks, gap_ms, flag_values=flags.FLAGS):
  """python -m estimator_cnn.experiments.op_profile's flags.

  Args:
    stages: {stage: what a step of it is}; the first is the default.
    stacks: the stacks --compare_stack can name.
    gap_ms: the smallest difference --compare_stack lists, in ms a step.
    flag_values: the FlagValues to define into.
  """
  choices = "; ".join(f"{name}: {step}" for name, step in stages.items())
  flags.DEFINE_enum("stage", next(iter(stages)), list(stages), f"What a step is. {choices}.",
                    flag_values=flag_values)
  flags.DEFINE_integer("batch_size", None, "Batch size. Default: in training, --recipe's, else "
                       f"the {presets.DEFAULT_PRESET} preset's ({presets.DEFAULT_BATCH_SIZE}); in "
                       f"evaluation, the Estimator's ({presets.EVAL_BATCH_SIZE}).",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("warmup_steps", 50, "Untraced steps before the profile.",
                       lower_bound=1, flag_values=flag_values)
  flags.DEFINE_integer("traced_steps", 30,
                       "Traced steps (each followed by an untraced one, timed).", lower_bound=1,
                       flag_values=flag_values)
  flags.DEFINE_integer("kernel_steps", 20,
                       "Steps of a second, untraced run whose oneDNN kernels are listed "
                       "(ONEDNN_VERBOSE); 0: none.", lower_bound=0, flag_values=flag_values)
  flags.DEFINE_enum("compare_stack", None, list(stacks),
                    "Also profile on this stack's Python (into OUTPUT_DIR/STACK), then list the "
                    "ops and oneDNN kernels whose time a step differs between the two by more "
                    f"than {gap_ms} ms (stack_compare.md).", flag_values=flag_values)
  flags_core.define_performance_flags(flag_values)
  flags_core.define_data_flag(flag_values)
  flags.DEFINE_string("output_dir", os.path.join("results", "op_profile"),
                      "Folder for op_profile.json and op_profile.md.", flag_values=flag_values)
