"""python -m estimator_cnn.experiments.ablation: runs the study the flags pick (--help)."""

from absl import app
from absl import flags

from estimator_cnn.base import command
from estimator_cnn.experiments.ablation import ladder
from estimator_cnn.flags import core as flags_core
from estimator_cnn.flags import studies as flags_studies


def run(flag_values):
  """Runs the study of the parsed flags; returns the exit code."""
  options = ladder.StudyOptions(**{name: flag_values[name].value
                                   for name in ladder.StudyOptions._fields})
  return command.run("estimator_cnn.experiments.ablation.study:run_study", options)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  flags_core.hide_library_info_logs()
  return run(flags.FLAGS)


def define_flags(flag_values=flags.FLAGS):
  """This main's flags, with the built-in ladders' names and defaults."""
  flags_studies.define_ablation_flags(ladder.STUDIES, ladder.DEFAULT_SEEDS,
                                      ladder.DEFAULT_EVAL_EVERY, flag_values)


if __name__ == "__main__":
  define_flags()
  flags.adopt_module_key_flags(flags_studies)
  flags.adopt_module_key_flags(flags_core)
  app.run(main)
