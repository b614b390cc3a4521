"""python -m estimator_cnn.experiments.presets_table: trains the presets the flags pick (--help)."""

from absl import app
from absl import flags

from estimator_cnn.base import command
from estimator_cnn.experiments.presets_table import plan
from estimator_cnn.flags import core as flags_core
from estimator_cnn.flags import studies as flags_studies


def main(argv):
  """Trains and tabulates the presets the flags pick; returns the exit code."""
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  flags_core.hide_library_info_logs()
  options = plan.TableOptions(**{name: flags.FLAGS[name].value
                                 for name in plan.TableOptions._fields})
  return command.run("estimator_cnn.experiments.presets_table.table:run_table", options)


if __name__ == "__main__":
  flags_studies.define_presets_table_flags()
  flags.adopt_module_key_flags(flags_studies)
  flags.adopt_module_key_flags(flags_core)
  app.run(main)
