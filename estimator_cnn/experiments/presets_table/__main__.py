"""python -m estimator_cnn.experiments.presets_table: trains the presets the flags pick (--help)."""

from estimator_cnn.base import command
from estimator_cnn.experiments.presets_table import plan
from estimator_cnn.flags import studies as flags_studies
from estimator_cnn.flags import study_main


def run(flag_values):
  """Trains and tabulates the presets the parsed flags pick; returns the exit code."""
  options = plan.TableOptions(**{name: flag_values[name].value
                                 for name in plan.TableOptions._fields})
  return command.run("estimator_cnn.experiments.presets_table.table:run_table", options)


if __name__ == "__main__":
  study_main.main(flags_studies.define_presets_table_flags, run)
