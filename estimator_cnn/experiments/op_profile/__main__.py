"""python -m estimator_cnn.experiments.op_profile: where a training step's time goes (--help).

  python -m estimator_cnn.experiments.op_profile
  python -m estimator_cnn.experiments.op_profile --dtype=bfloat16
  python -m estimator_cnn.experiments.op_profile --recipe=fast --traced_steps=50
"""

from estimator_cnn.base import command
from estimator_cnn.flags import studies as flags_studies
from estimator_cnn.flags import study_main
from estimator_cnn.model import presets


def run(flag_values):
  """Profiles with the parsed flags; returns the exit code."""
  return command.run("estimator_cnn.experiments.op_profile.report:run",
                     presets.run_params(flag_values.recipe, flag_values.dtype),
                     presets.batch_size(flag_values.batch_size, flag_values.recipe),
                     flag_values.warmup_steps, flag_values.traced_steps,
                     flag_values.kernel_steps, flag_values.data_dir, flag_values.output_dir)


if __name__ == "__main__":
  study_main.main(flags_studies.define_op_profile_flags, run, key_flag_modules=(flags_studies,))
