"""What the runner costs an old program at start-up, against importing TensorFlow plainly.

    python scripts/runner_startup.py [--runs=5] [--pythons=.venv/bin/python,.venv-legacy/bin/python]

For each Python (a stack), times from just before the process starts to the first
statement of the program, median of --runs, of three commands:
- `python -m estimator_cnn.legacy PROGRAM` (a TF 1.x program: the runner reads its
  source for the face, loads TensorFlow and tf.estimator, then runs it);
- `python -c "from estimator_cnn import estimator; import tensorflow as tf"` (the one
  import);
- `python -c "import tensorflow"`.
Each command prints the clock at its first statement. Nothing else should run on
the machine meanwhile.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOW = "import time; print(repr(time.time()), flush=True)"
PROGRAM = f"""{NOW}
import tensorflow as tf
tf.logging.set_verbosity(tf.logging.WARN)  # A TF 1.x name: the runner gives the TF 1.x face.
"""
COMMANDS = {
    "runner": lambda program: ["-m", "estimator_cnn.legacy", program],
    "one import": lambda program: ["-c", f"from estimator_cnn import estimator\n"
                                         f"import tensorflow as tf\n{NOW}"],
    "import tensorflow": lambda program: ["-c", f"import tensorflow\n{NOW}"],
}


def seconds_to_first_statement(python, args):
  started = time.time()
  result = subprocess.run([python, *args], cwd=REPO, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": REPO})
  if result.returncode != 0:
    sys.exit(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
  return float(result.stdout.splitlines()[0]) - started


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--runs", type=int, default=5)
  parser.add_argument("--pythons", default=",".join(
      os.path.join(REPO, venv, "bin", "python") for venv in (".venv", ".venv-legacy")))
  args = parser.parse_args()
  with tempfile.TemporaryDirectory() as folder:
    program = os.path.join(folder, "program.py")
    with open(program, "w") as f:
      f.write(PROGRAM)
    for python in args.pythons.split(","):
      version = subprocess.run([python, "-c", "import importlib.metadata as m; "
                                "print(m.version('tensorflow'))"], capture_output=True,
                               text=True, check=True).stdout.strip()
      medians = {}
      for name, command in COMMANDS.items():
        times = [seconds_to_first_statement(python, command(program)) for _ in range(args.runs)]
        medians[name] = statistics.median(times)
        print(f"TF {version}  {name:17} median {medians[name]:.2f} s  "
              f"({', '.join(f'{t:.2f}' for t in times)})", flush=True)
      print(f"TF {version}  runner over `import tensorflow`: "
            f"{medians['runner'] - medians['import tensorflow']:+.2f} s; over the one import: "
            f"{medians['runner'] - medians['one import']:+.2f} s", flush=True)


if __name__ == "__main__":
  main()
