"""python -m estimator_cnn.experiments.ablation: runs the study the flags pick (--help)."""

from absl import flags

from estimator_cnn.base import command
from estimator_cnn.experiments.ablation import ladder
from estimator_cnn.flags import studies as flags_studies
from estimator_cnn.flags import study_main


def run(flag_values):
  """Runs the study of the parsed flags; returns the exit code."""
  options = ladder.StudyOptions(**{name: flag_values[name].value
                                   for name in ladder.StudyOptions._fields})
  return command.run("estimator_cnn.experiments.ablation.study:run_study", options)


def define_flags(flag_values=flags.FLAGS):
  """This main's flags, with the built-in ladders' names and defaults."""
  flags_studies.define_ablation_flags(ladder.STUDIES, ladder.DEFAULT_SEEDS,
                                      ladder.DEFAULT_EVAL_EVERY, flag_values)


if __name__ == "__main__":
  study_main.main(define_flags, run)
