"""The runner's --bf16 on an old program: the blog's CNN as a TF 1.x program, float32 against bf16.

    python scripts/bf16_program_ab.py [--steps=1500] [--seeds=1,2,3] [--python=.venv/bin/python]

Runs tests/fixtures/tf1_programs/blog_cnn_tf1.py through `python -m
estimator_cnn.legacy`, without and with --bf16, for each seed (the two in turn,
the order swapped every seed), on the real Fashion-MNIST. Training examples/s is
the median of tf.estimator's own global_step/sec lines after the first, times
the batch of 100; accuracy is the program's test accuracy after --steps. Prints
a row per run and the medians over seeds, and writes them as JSON to --output.
Nothing else should run on the machine meanwhile.
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from estimator_cnn.base import cpu  # pylint: disable=g-import-not-at-top

PROGRAM = os.path.join(REPO, "tests", "fixtures", "tf1_programs", "blog_cnn_tf1.py")
BATCH_SIZE = 100  # The program's.
STEPS_PER_SECOND = re.compile(r"global_step/sec: ([0-9.]+)")


def run(python, data_dir, steps, seed, bf16):
  """(training examples/s, test accuracy) of one run of the program."""
  with tempfile.TemporaryDirectory() as model_dir:
    command = [python, "-m", "estimator_cnn.legacy", *(["--bf16"] if bf16 else []), PROGRAM,
               f"--data_dir={data_dir}", f"--model_dir={model_dir}", f"--steps={steps}",
               f"--seed={seed}"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": REPO})
  if result.returncode != 0:
    sys.exit(f"the program failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
  rates = [float(rate) for rate in STEPS_PER_SECOND.findall(result.stderr)][1:]
  accuracy = json.loads(result.stdout.strip().splitlines()[-1])["accuracy"]
  return statistics.median(rates) * BATCH_SIZE, accuracy


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--steps", type=int, default=1500)
  parser.add_argument("--seeds", default="1,2,3")
  parser.add_argument("--data_dir", default="/usr/share/datasets/fashion-mnist")
  parser.add_argument("--python", default=os.path.join(REPO, ".venv", "bin", "python"))
  parser.add_argument("--output", default=os.path.join(REPO, "results", "bf16_program",
                                                        f"{datetime.date.today()}.json"))
  args = parser.parse_args()
  seeds = [int(seed) for seed in args.seeds.split(",")]
  runs = {False: [], True: []}
  print(f"{'seed':>4} {'dtype':>8} {'examples/s':>11} {'accuracy':>9}", flush=True)
  for index, seed in enumerate(seeds):
    for bf16 in ((False, True) if index % 2 == 0 else (True, False)):
      speed, accuracy = run(args.python, args.data_dir, args.steps, seed, bf16)
      runs[bf16].append({"seed": seed, "examples_per_sec": speed, "accuracy": accuracy})
      print(f"{seed:>4} {'bfloat16' if bf16 else 'float32':>8} {speed:>11.0f} {accuracy:>9.4f}",
            flush=True)
  medians = {("bfloat16" if bf16 else "float32"): {
      key: statistics.median(run[key] for run in rows) for key in ("examples_per_sec", "accuracy")}
             for bf16, rows in runs.items()}
  ratio = medians["bfloat16"]["examples_per_sec"] / medians["float32"]["examples_per_sec"]
  points = 100 * (medians["bfloat16"]["accuracy"] - medians["float32"]["accuracy"])
  print(f"median over seeds: float32 {medians['float32']['examples_per_sec']:.0f} examples/s, "
        f"accuracy {medians['float32']['accuracy']:.4f}; bfloat16 "
        f"{medians['bfloat16']['examples_per_sec']:.0f} examples/s, accuracy "
        f"{medians['bfloat16']['accuracy']:.4f}; bf16/fp32 {ratio:.2f}x, {points:+.2f} points")
  os.makedirs(os.path.dirname(args.output), exist_ok=True)
  with open(args.output, "w") as f:
    json.dump({"date": str(datetime.date.today()), "cpu": cpu.cpu_model_and_mhz()[0],
               "bf16_native": cpu.bfloat16_supported(), "steps": args.steps, "runs": {
                   "float32": runs[False], "bfloat16": runs[True]}, "medians": medians,
               "ratio": ratio, "accuracy_points": points}, f, indent=1)


if __name__ == "__main__":
  main()
