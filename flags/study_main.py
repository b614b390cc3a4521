"""The studies' shared main: `python -m estimator_cnn.experiments.<study>` defines the study's
flags, parses the command line and exits with what the study returns."""

import sys

from absl import app
from absl import flags

from estimator_cnn.flags import core as flags_core
from estimator_cnn.flags import studies as flags_studies


def main(define_flags, run, key_flag_modules=(flags_studies, flags_core)):
  """Defines the flags (define_flags()), parses sys.argv, exits with run(the parsed flags).

  --help lists the key flags of key_flag_modules, as adopt_module_key_flags called in the
  study's main would. A positional argument is absl's usage error (exit code 1); libraries'
  INFO logs are hidden while the study runs.
  """
  define_flags()
  for module in key_flag_modules:
    for flag in flags.FLAGS.get_key_flags_for_module(module):
      flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)

  def run_parsed(argv):
    if len(argv) > 1:
      raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    flags_core.hide_library_info_logs()
    return run(flags.FLAGS)

  app.run(run_parsed)
