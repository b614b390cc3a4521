"""python -m estimator_cnn.experiments.op_profile: where a training step's time goes (--help).

  python -m estimator_cnn.experiments.op_profile
  python -m estimator_cnn.experiments.op_profile --dtype=bfloat16
  python -m estimator_cnn.experiments.op_profile --recipe=fast --traced_steps=50
"""

from absl import app
from absl import flags

from estimator_cnn.base import command
from estimator_cnn.flags import core as flags_core
from estimator_cnn.flags import studies as flags_studies
from estimator_cnn.model import presets

FLAGS = flags.FLAGS


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  flags_core.hide_library_info_logs()
  batch_size = (FLAGS.batch_size
                or presets.TUNED_RECIPES.get(FLAGS.recipe, {}).get("batch_size")
                or presets.PRESETS[presets.DEFAULT_PRESET].recipe.batch_size)
  return command.run("estimator_cnn.experiments.op_profile.report:run",
                     presets.run_params(FLAGS.recipe, FLAGS.dtype), batch_size,
                     FLAGS.warmup_steps, FLAGS.traced_steps, FLAGS.kernel_steps, FLAGS.data_dir,
                     FLAGS.output_dir)


if __name__ == "__main__":
  flags_studies.define_op_profile_flags()
  flags.adopt_module_key_flags(flags_studies)
  app.run(main)
