"""Trains, evaluates or predicts with the Fashion-MNIST CNN: the driver of run.py, of the installed
estimator-cnn command and of python -m estimator_cnn (--help)."""

import os
import sys

from estimator_cnn.base import errors

try:
  from absl import app
  from absl import flags

  from estimator_cnn.base import command
  from estimator_cnn.flags import core as flags_core
except KeyboardInterrupt:  # Ctrl-C while the flags load: one line, as in every mode.
  print(errors.stopped_early(), file=sys.stderr)
  sys.exit(errors.stopped_early().exit_code)

FLAGS = flags.FLAGS
SCRIPT = "run.py"
PACKAGE = "estimator_cnn"
PACKAGE_MAIN = "__main__.py"  # What `python -m estimator_cnn` puts in sys.argv[0].
USAGE_EXIT_CODE = 2


def program_name(argv0):
  """What the user ran: run.py, the installed command's name, or estimator_cnn (python -m)."""
  name = os.path.basename(argv0)
  return PACKAGE if name == PACKAGE_MAIN else name


def command_name(argv0):
  """How the user ran this: `python run.py`, `python -m estimator_cnn`, else the installed
  command's name."""
  name = program_name(argv0)
  return {SCRIPT: f"python {SCRIPT}", PACKAGE: f"python -m {PACKAGE}"}.get(name, name)


def run(flag_values, command_line=f"python {SCRIPT}"):
  """Runs the parsed flags' --mode; hints name command_line; returns the exit code.

  A flag given to a mode it is not for is one line on stderr and exit code 2.
  """
  mistake = flags_core.mode_mistake(flag_values)
  if mistake:
    print(f"error: {mistake}", file=sys.stderr)
    return USAGE_EXIT_CODE
  return command.run("estimator_cnn.app.main:run", flags_core.settings(flag_values, command_line),
                     verbose=flag_values.verbose)


def main(argv):
  """Runs the flags; a positional argument is one line on stderr and exit code 2."""
  if len(argv) > 1:
    noun = "argument" if len(argv) == 2 else "arguments"
    print(f"error: unexpected {noun} {' '.join(argv[1:])}: {program_name(argv[0])} takes "
          f"flags only, e.g. --images={','.join(argv[1:])}", file=sys.stderr)
    return USAGE_EXIT_CODE
  flags_core.hide_library_info_logs()
  return run(FLAGS, command_name(argv[0]))


def parse_flags(argv):
  """absl's flag parsing, except that --help, --helpfull and --helpxml exit 0 (absl's exit 1)."""
  try:
    return FLAGS(argv)
  except flags.Error:
    return app.parse_flags_with_usage(argv)  # Parses again to say what is wrong; exits 1.
  except SystemExit:  # Only the help flags exit while the flags parse, once the help is printed.
    sys.exit(0)


def entry_point():
  """The command's start: defines run.py's flags, parses sys.argv, runs; exits with the code."""
  flags_core.define_all()
  # --help lists the key flags of the module absl names after sys.argv[0]: run.py, this file
  # (python -m) or the installed command's generated wrapper, which adopt_module_key_flags
  # would miss.
  for flag in FLAGS.get_key_flags_for_module(flags_core):
    FLAGS.register_key_flag_for_module(sys.argv[0], flag)
  app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
  entry_point()
