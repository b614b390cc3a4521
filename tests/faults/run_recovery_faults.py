"""Recovery fault test: many random damages to a model_dir, each checked as tests/training/
test_recovery.py checks a few dozen.

    python tests/faults/run_recovery_faults.py [--cases=1000] [--seed=0]

Not part of the test suite: it takes minutes. It trains a tiny model_dir on
generated data once, then for each case damages a copy (each checkpoint's files
truncated, emptied or deleted; the `checkpoint` index emptied, garbled, binary,
naming a missing or another folder's checkpoint, or deleted), spells the folder
in one of several ways (relative, `./m`, `m/`, `other/../m`, absolute, `.`, `..`,
a symlink), and runs the readers' lookup, training's start and set_aside. Each
case must keep every complete checkpoint byte for byte, and TensorFlow's own
get_checkpoint_state and checkpoint reader must find the checkpoint training
resumes from (tests/training/model_dir/recovery_cases.py). Exits 0 when every case passes.
"""

import argparse
import collections
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)

from hypothesis import HealthCheck, given, seed, settings

from tests import idx_fixtures
from tests.helpers import TINY, run_in_process
from tests.training.model_dir import recovery_cases


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--cases", type=int, default=1000, help="Random cases to check.")
  parser.add_argument("--seed", type=int, default=0, help="Seed of the cases.")
  args = parser.parse_args()
  with tempfile.TemporaryDirectory() as folder:
    data = idx_fixtures.write_fixture_dataset(os.path.join(folder, "data"), 300, 100)
    trained = os.path.join(folder, "model")
    if run_in_process(f"--data_dir={data}", f"--model_dir={trained}", *TINY, "--steps=10"):
      sys.exit("the tiny training failed")
    base = recovery_cases.make_base(trained, folder)
    kinds = collections.Counter()
    started = time.monotonic()

    @settings(max_examples=args.cases, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=recovery_cases.cases())
    def check(case):
      recovery_cases.check_case(base, case)
      kinds[case[2]] += 1

    seed(args.seed)(check)()
    seconds = time.monotonic() - started
  print(f"PASS: {sum(kinds.values())} cases in {seconds:.0f} s, every complete checkpoint kept "
        f"and the resumed one found by TensorFlow; index damages: "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))


if __name__ == "__main__":
  main()
