"""python -m estimator_cnn.experiments.op_profile: where a step's time goes (--help).

  python -m estimator_cnn.experiments.op_profile
  python -m estimator_cnn.experiments.op_profile --dtype=bfloat16
  python -m estimator_cnn.experiments.op_profile --recipe=fast --traced_steps=50
  python -m estimator_cnn.experiments.op_profile --stage=eval --compare_stack=legacy
"""

from estimator_cnn.base import command
from estimator_cnn.base import stacks
from estimator_cnn.experiments.op_profile import stack_compare
from estimator_cnn.experiments.op_profile import stages
from estimator_cnn.flags import studies as flags_studies
from estimator_cnn.flags import study_main
from estimator_cnn.model import presets

# The flags the profile on --compare_stack is given as they were given here.
PROFILE_FLAGS = ("stage", "batch_size", "warmup_steps", "traced_steps", "kernel_steps", "dtype",
                 "recipe", "data_dir")


def define_flags():
  """This main's flags, with the stages and the stacks."""
  flags_studies.define_op_profile_flags(stages.STAGES, stacks.STACKS, stack_compare.GAP_MS)


def run(flag_values):
  """Profiles with the parsed flags; returns the exit code."""
  flag_args = [f"--{name}={flag_values[name].value}" for name in PROFILE_FLAGS
               if flag_values[name].value is not None]
  return command.run("estimator_cnn.experiments.op_profile.report:run", flag_values.stage,
                     presets.run_params(flag_values.recipe, flag_values.dtype),
                     stages.batch_size(flag_values.stage, flag_values.batch_size,
                                       flag_values.recipe),
                     flag_values.warmup_steps, flag_values.traced_steps,
                     flag_values.kernel_steps, flag_values.data_dir, flag_values.output_dir,
                     flag_values.compare_stack, flag_args)


if __name__ == "__main__":
  study_main.main(define_flags, run, key_flag_modules=(flags_studies,))
