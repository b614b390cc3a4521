"""python -m estimator_cnn.experiments.benchmark: each system's training speed (--help; what is
measured and how: estimator_cnn/experiments/benchmark/__init__.py)."""

from absl import flags

from estimator_cnn.base import command
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.flags import studies as flags_studies
from estimator_cnn.flags import study_main


def run(flag_values):
  """Runs the benchmark of the parsed flags, or --worker's task; returns the exit code."""
  if flag_values.worker:
    return command.run("estimator_cnn.experiments.benchmark.worker:run", flag_values.worker)
  settings = {name: flag_values[name].value for name in systems.SETTINGS}
  return command.run("estimator_cnn.experiments.benchmark.main:run_benchmark",
                     flag_values.systems, flag_values.tta_systems, settings,
                     flag_values.data_dir, flag_values.output_dir)


def define_flags(flag_values=flags.FLAGS):
  """This main's flags, with the systems' names and labels."""
  labels = {name: system.label for name, system in systems.SYSTEMS.items()}
  flags_studies.define_benchmark_flags(labels, systems.DEFAULT_SYSTEMS, systems.OUTPUT_DIR,
                                       flag_values)


if __name__ == "__main__":
  study_main.main(define_flags, run)
