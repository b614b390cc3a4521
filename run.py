"""Trains, evaluates or predicts with the Fashion-MNIST CNN: python run.py --help."""

from absl import app
from absl import flags

from estimator_cnn.base import command
from flags import core as flags_core

FLAGS = flags.FLAGS


def run(flag_values):
  """Runs the parsed flags' --mode; returns the exit code."""
  return command.run("estimator_cnn.app.main:run", flags_core.settings(flag_values),
                     verbose=flag_values.verbose)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  return run(FLAGS)


def entry_point():
  flags_core.define_all()
  flags.adopt_module_key_flags(flags_core)
  app.run(main)


if __name__ == "__main__":
  entry_point()
