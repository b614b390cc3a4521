"""The benchmark's pieces on tiny settings: behaviour, not timings."""

import json
import os
import re
import sys

import pytest

from absl import flags

from estimator_cnn.app import settings as settings_lib
from estimator_cnn.base import stacks as stacks_lib
from estimator_cnn.base.errors import UserError
from estimator_cnn.experiments.benchmark import __main__ as benchmark_main
from estimator_cnn.experiments.benchmark import machine
from estimator_cnn.experiments.benchmark import measures
from estimator_cnn.experiments.benchmark import program_worker
from estimator_cnn.experiments.benchmark import report
from estimator_cnn.experiments.benchmark import schedule
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.flags import core as flags_core
from estimator_cnn.model import presets
from tests import idx_fixtures
from tests import stacks

BLOG_FORWARD_FLOPS = 43.8e6
# conv 832 + 51,264 + 204,928, dense 1,180,672, logits 10,250.
BLOG_PARAMETERS = 1_447_946


def test_flops_of_the_blogs_network_match_its_hand_count():
  flops = machine.count_flops()
  assert flops["forward"] == pytest.approx(BLOG_FORWARD_FLOPS, rel=0.02)
  assert flops["backward"] == pytest.approx(2 * flops["forward"], rel=0.05)
  assert flops["training"] == flops["forward"] + flops["backward"]


def test_flops_follow_the_network():
  two_blocks = machine.count_flops({"conv_blocks": 2})
  # conv1 1.25 + conv2 20.07 + dense on 7x7x64 inputs 6.42 + logits 0.02 MFLOP.
  assert two_blocks["forward"] == pytest.approx(27.77e6, rel=0.02)


def test_schedule_alternates_the_systems_round_by_round():
  assert schedule.schedule(["a", "b"], 3) == [
      (0, "a"), (0, "b"), (1, "a"), (1, "b"), (2, "a"), (2, "b")]
  assert schedule.schedule(["a", "b"], 0) == []


def test_bf16_systems_run_only_with_native_bf16_or_emulation():
  bf16, fp32 = systems.SYSTEMS["ours_bf16"], systems.SYSTEMS["ours_fp32"]
  assert not systems.runs_here(bf16, bf16_native=False, emulated_bf16=False)
  assert systems.runs_here(bf16, bf16_native=False, emulated_bf16=True)
  assert systems.runs_here(bf16, bf16_native=True, emulated_bf16=False)
  assert systems.runs_here(fp32, bf16_native=False, emulated_bf16=False)
  assert systems.runs_here(systems.SYSTEMS["ours_fast"], False, False)


@pytest.mark.parametrize("asked, computed, bf16_native, label", [
    (presets.FLOAT32, presets.FLOAT32, False, "float32"),
    (None, presets.FLOAT32, True, "float32"),
    (presets.BFLOAT16, presets.BFLOAT16, True, "bfloat16"),
    (presets.BFLOAT16, presets.BFLOAT16, False, "bfloat16" + systems.EMULATED),
    (presets.BFLOAT16, presets.FLOAT32, False, "float32" + systems.FALLBACK),
])
def test_a_systems_dtype_says_when_bf16_was_emulated_or_fell_back(asked, computed, bf16_native,
                                                                  label):
  assert systems.dtype_label(asked, computed, bf16_native) == label


COMPILED_TWINS = {"torch_compile_fp32": "torch_fp32", "torch_compile_bf16": "torch_bf16"}


@pytest.mark.parametrize("compiled,eager", COMPILED_TWINS.items())
def test_compiled_pytorch_peers_are_the_eager_ones_in_torch_compile(compiled, eager):
  compiled_system = systems.SYSTEMS[compiled]
  assert compiled_system.compile_mode == "default" and systems.SYSTEMS[eager].compile_mode is None
  assert compiled_system._replace(label="", compile_mode=None) == systems.SYSTEMS[eager]._replace(
      label="")
  assert "torch.compile" in compiled_system.label and compiled in systems.DEFAULT_SYSTEMS


def test_the_flags_offer_every_system_of_the_table():
  flag_values = flags.FlagValues()
  benchmark_main.define_flags(flag_values)
  flag_values(["benchmark", "--systems=torch_compile_fp32,torch_compile_bf16"])
  assert flag_values.systems == ["torch_compile_fp32", "torch_compile_bf16"]
  assert flag_values["systems"].default == systems.DEFAULT_SYSTEMS
  for name, system in systems.SYSTEMS.items():
    assert f"{name}: {system.label}" in flag_values["systems"].help


@pytest.mark.parametrize("name", [name for name, system in systems.SYSTEMS.items()
                                  if system.runner == "estimator"])
def test_estimator_systems_train_with_run_pys_params(name):
  system = systems.SYSTEMS[name]
  run_py_flags = flags.FlagValues()
  flags_core.define_all(run_py_flags)
  run_py_flags(["run.py"] + ([f"--recipe={system.recipe}"] if system.recipe else [])
               + ([f"--dtype={system.dtype}"] if system.dtype else []))
  assert presets.run_params(system.recipe, system.dtype) == settings_lib.model_params(
      flags_core.settings(run_py_flags))


def test_the_keras_worker_stays_on_keras_3():
  code = ("import sys; from estimator_cnn.flags import studies; "
          "from estimator_cnn.experiments.benchmark import keras_worker, worker; "
          "print(keras_worker.keras.__version__, 'estimator_cnn.base.tf_setup' in sys.modules)")
  version, tf_setup_imported = stacks.run(stacks.CURRENT, ["-c", code]).stdout.split()
  assert version.startswith("3.") and tf_setup_imported == "False"


@pytest.mark.parametrize("names,message", [
    (["ours_fp32", "bogus"], "unknown system(s) bogus"),
    ([], "(none given)"),
    (["ours_fp32", "ours_fp32"], "twice"),
])
def test_bad_systems_are_refused(names, message):
  with pytest.raises(UserError, match=re.escape(message)):
    systems.check_systems(names)


def test_steady_examples_per_sec_skips_the_first_batch():
  assert measures.steady_examples_per_sec([10.0, 11.0, 12.0], 100) == 100.0
  assert measures.steady_examples_per_sec([10.0], 100) is None


def test_compile_time_is_the_warmup_beyond_the_steady_pace():
  # Started at 0; warm-up batches end at 30 and 31, then one batch a second.
  assert measures.warmup_excess_secs(0.0, [30.0, 31.0, 32.0, 33.0], 2) == 29.0
  assert measures.warmup_excess_secs(5.0, [6.0, 6.5, 7.0], 1) == pytest.approx(0.5)
  assert measures.warmup_excess_secs(0.0, [30.0, 31.0], 2) is None


def test_throughput_summary_has_compile_seconds_of_compiled_systems_only():
  sample = {"train_examples_per_sec": 100.0, "eval_examples_per_sec": 400.0, "peak_rss_mb": 900.0}
  compiled = [{**sample, "train_compile_secs": secs, "eval_compile_secs": secs / 10}
              for secs in (30.0, 40.0, 35.0)]
  summary = schedule.summarize_throughput(compiled)
  assert (summary["train_compile_secs"], summary["eval_compile_secs"]) == (35.0, 3.5)
  assert report.compile_secs_text(summary) == "35.0 + 3.5"
  eager = schedule.summarize_throughput([sample])
  assert eager["train_compile_secs"] is None and eager["eval_compile_secs"] is None
  assert report.compile_secs_text(eager) is None


def test_time_to_accuracy_summary():
  runs = [{"seconds": 30.0, "step": 800, "train_secs": 20.0, "eval_secs": 8.0},
          {"seconds": 40.0, "step": 900, "train_secs": 24.0, "eval_secs": 9.0}]
  summary = schedule.summarize_time_to_accuracy(runs, 0.9, 3000)
  assert (summary["seconds"], summary["step"]) == (35.0, 850)
  assert summary["text"] == "35.0 s at step 850 (training 22.0 s, evaluating 8.5 s)"
  missed = schedule.summarize_time_to_accuracy(
      runs[:1] + [{"seconds": None, "step": None, "train_secs": 50.0, "eval_secs": 9.0}],
      0.9, 3000)
  assert missed["seconds"] is None
  assert missed["text"] == "not reached by step 3000 in 1 of 2 runs"
  only_run = {"seconds": None, "step": None, "train_secs": 1.0, "eval_secs": 1.0}
  assert schedule.summarize_time_to_accuracy([only_run], 0.9, 100)["text"] == (
      "not reached by step 100")


def test_share_of_peak():
  assert schedule.share_of_peak(1000, 131.5e6, 263.0) == pytest.approx(0.5)
  assert schedule.share_of_peak(None, 131.5e6, 263.0) is None


def test_a_recipes_share_counts_its_own_networks_flops():
  probed = {"flops_per_example": {"training": 131.5e6}, "recipe_training_flops": {"fast": 83.3e6}}
  assert schedule.training_flops(probed, "fast") == 83.3e6
  assert schedule.training_flops(probed, None) == 131.5e6


@pytest.mark.parametrize("cpu_flags, expected", [
    ({"avx512f", "avx2", "avx", "fma"}, 2 * 2.6 * 2 * 16 * 2),
    ({"avx2", "avx", "fma"}, 2 * 2.6 * 2 * 8 * 2),
    ({"avx"}, 2 * 2.6 * 2 * 8),
    ({"sse2"}, 2 * 2.6 * 2 * 4),
])
def test_theoretical_peak_follows_the_vector_units(cpu_flags, expected):
  assert machine.theoretical_gflops(2, 2600.0, cpu_flags) == pytest.approx(expected)
  assert machine.theoretical_gflops(2, None, cpu_flags) is None


def test_the_peak_of_shares_is_the_larger_of_measured_and_theoretical():
  probe = {"theoretical_gflops": 300.0, "bf16_native": True,
           "matmul_gflops": {"float32": 450.0, "bfloat16": 500.0}}
  assert schedule.peak_gflops(probe, "float32") == 450.0
  assert schedule.peak_gflops(probe, "bfloat16") == 600.0
  assert schedule.peak_gflops({**probe, "bf16_native": False}, "bfloat16") == 500.0
  assert schedule.peak_gflops({**probe, "theoretical_gflops": None}, "float32") == 450.0


def test_anonymous_memory_is_part_of_the_rss():
  with open(f"/proc/{os.getpid()}/statm") as statm:
    rss_mb = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
  assert 0 < schedule.anonymous_mb(os.getpid()) < rss_mb
  assert schedule.anonymous_mb(2**22 + 1) is None  # Above Linux's largest pid: no such process.


def test_ratios_to_the_baselines():
  rows = {"ours_fp32": {"train_examples_per_sec": 330.0, "eval_examples_per_sec": 900.0,
                        "peak_rss_mb": 900.0, "peak_anonymous_mb": 440.0},
          "tf_estimator": {"train_examples_per_sec": 300.0, "eval_examples_per_sec": 1000.0,
                           "peak_rss_mb": 1000.0, "peak_anonymous_mb": 400.0,
                           "time_to_accuracy": {"seconds": 90.0}},
          "torch_fp32": {"status": "not measured: no torch stack"},
          "ours_bf16": {"train_examples_per_sec": 500.0},
          "keras_bf16": {"train_examples_per_sec": 400.0},
          "torch_bf16": {"train_examples_per_sec": 625.0},
          "torch_compile_fp32": {"train_examples_per_sec": 300.0},
          "torch_compile_bf16": {"train_examples_per_sec": 400.0},
          "ours_fast": {"time_to_accuracy": {"seconds": 27.0}}}
  assert report.ratio_lines(rows) == [
      "- ours_fp32 / tf_estimator, training examples/s: 1.10x",
      "- ours_fp32 / torch_compile_fp32, training examples/s: 1.10x",
      "- ours_bf16 / keras_bf16, training examples/s: 1.25x",
      "- ours_bf16 / torch_bf16, training examples/s: 0.80x",
      "- ours_bf16 / torch_compile_bf16, training examples/s: 1.25x",
      "- ours_fp32 / tf_estimator, eval examples/s: 0.90x",
      "- ours_fp32 / tf_estimator, peak memory: 0.90x",
      "- ours_fp32 / tf_estimator, peak anonymous memory: 1.10x",
      "- time to accuracy, ours_fast / tf_estimator (the blog's recipe): 0.30x"]


def test_program_systems_run_their_worker_on_the_current_stack_without_time_to_accuracy():
  for name in ("runner_tf1", "runner_tf1_bf16", "runner_tf1_legacy", "plain_tf1"):
    system = systems.SYSTEMS[name]
    assert system.runner == systems.PROGRAM and system.worker_stack == stacks_lib.CURRENT
    assert name in systems.DEFAULT_SYSTEMS and name not in systems.TIMED_TO_ACCURACY
  assert systems.SYSTEMS["runner_tf1_legacy"].stack == stacks_lib.LEGACY
  assert systems.SYSTEMS["tf_estimator"].worker_stack == stacks_lib.LEGACY
  assert not program_worker.through_runner(systems.SYSTEMS["plain_tf1"])
  with pytest.raises(UserError, match=r"--tta_systems: unknown system\(s\) runner_tf1; choose "
                     r"from ours_fp32, "):
    systems.check_systems(["runner_tf1"], "tta_systems", systems.TIMED_TO_ACCURACY)


def test_program_examples_per_sec_are_the_timed_windows():
  # Windows of 50 steps from step 1: the first is the warm-up's; then 25 and 50 steps/s.
  stderr = ("INFO:tensorflow:global_step/sec: 5\nINFO:tensorflow:loss = 2.3, step = 51\n"
            "INFO:tensorflow:global_step/sec: 25\nINFO:tensorflow:global_step/sec: 50\n")
  window = program_worker.window_steps(50, 100)
  assert window == 50 and program_worker.window_steps(1, 2) == 1
  # 100 steps of batch 10 in 2 + 1 s.
  assert program_worker.examples_per_sec(stderr, window, 50, 10) == pytest.approx(1000 / 3)
  assert program_worker.examples_per_sec(stderr, 50, 150, 10) is None


def _program_row(tensorflow, startup, accuracy):
  return {"status": "ok", "tensorflow": tensorflow, "startup_secs": startup, "accuracy": accuracy}


def test_program_lines_give_start_up_beside_the_baselines_and_accuracy():
  rows = {"ours_fp32": {"status": "ok"},
          "runner_tf1": _program_row("2.21.0", {"program": 3.42, "import_tensorflow": 3.87,
                                                "one_import": 3.55}, 0.8980),
          "runner_tf1_legacy": _program_row("2.15.1", {"program": 2.43, "import_tensorflow": 2.2,
                                                       "one_import": 2.38}, 0.9001),
          "plain_tf1": _program_row("1.15.5", {"program": 0.05, "import_tensorflow": 1.7}, 0.899),
          "runner_tf1_bf16": {"status": systems.NOT_SUPPORTED}}
  lines = report.program_lines(rows, {"rounds": 5, "steps": 1400, "warmup_steps": 100})
  assert "`tests/fixtures/tf1_programs/blog_cnn_tf1.py`" in lines[1]
  assert "100 + 1400 + 1 training steps; medians of 5 rounds" in lines[1]
  assert lines[5:] == ["| runner_tf1 | 2.21.0 | 3.42 | 3.55 | 3.87 | -0.45 | 0.8980 |",
                       "| runner_tf1_legacy | 2.15.1 | 2.43 | 2.38 | 2.20 | +0.23 | 0.9001 |",
                       "| plain_tf1 | 1.15.5 | 0.05 | - | 1.70 | -1.65 | 0.8990 |", "",
                       "- runner_tf1 - runner_tf1_legacy, test accuracy: -0.21 points",
                       "- runner_tf1 - plain_tf1, test accuracy: -0.10 points"]
  assert report.program_lines({"ours_fp32": {"status": "ok"}}, {}) == []


def test_program_summary_takes_medians_over_the_rounds():
  samples = [{"accuracy": accuracy, "steps_trained": 1501,
              "startup_secs": {"program": secs, "import_tensorflow": secs + 1}}
             for accuracy, secs in ((0.90, 3.0), (0.88, 5.0), (0.89, 4.0))]
  summary = schedule.summarize_program(samples)
  assert summary["accuracy"] == 0.89 and summary["steps_trained"] == 1501
  assert summary["startup_secs"] == {"program": 4.0, "import_tensorflow": 5.0}
  assert summary["startup_samples"]["program"] == [3.0, 5.0, 4.0]


def _results():
  row = {"label": "tf.estimator on TF 2.21, float32", "stack": "current", "status": "ok",
         "tensorflow": "2.21.0", "runtime": "tf.estimator 2.15.0", "dtype": "float32",
         "batch_size": 100, "train_examples_per_sec": 1234.5, "train_samples": [1200.0, 1234.5],
         "eval_examples_per_sec": 4321.0, "peak_rss_mb": 987.6, "peak_anonymous_mb": 512.3,
         "share_of_peak": 0.25,
         "time_to_accuracy": {"text": "41.0 s at step 900 (training 30.0 s, evaluating 9.0 s)"}}
  return {
      "started": "2026-11-21 23:30:00 UTC",
      "machine": {"cpu": "Test CPU", "cores": 2, "mhz": 2500.0, "theoretical_gflops": 160.0,
                  "bf16_native": False,
                  "flops_per_example": {"forward": 43.9e6, "backward": 87.7e6,
                                        "training": 131.6e6},
                  "recipe_training_flops": {"fast": 83.3e6},
                  "matmul_gflops": {"float32": 150.0, "bfloat16": 20.0}},
      "settings": {"rounds": 2, "steps": 300, "warmup_steps": 50, "batch_size": 100,
                   "tta_rounds": 1, "target": 0.9, "eval_every": 100, "tta_max_steps": 3000,
                   "emulated_bf16": False, "matmul_size": 2048},
      "order": [[0, "ours_fp32"], [1, "ours_fp32"]],
      "systems": {"ours_fp32": row,
                  "torch_compile_bf16": {
                      **row, "label": systems.SYSTEMS["torch_compile_bf16"].label,
                      "stack": "torch", "tensorflow": "-", "runtime": "PyTorch 2.15.0",
                      "dtype": "bfloat16", "train_compile_secs": 41.23, "eval_compile_secs": 5.06,
                      "time_to_accuracy": None},
                  "keras_bf16": {"label": "Keras 3 model.fit, TF 2.21, mixed_bfloat16",
                                 "stack": "current", "status": systems.NOT_SUPPORTED,
                                 "dtype": "bfloat16"}},
      "failures": []}


def test_results_are_written_as_json_and_markdown(tmp_path):
  results = _results()
  json_path, markdown_path = report.write_results(str(tmp_path / "out"), results)
  with open(json_path) as f:
    assert json.load(f) == results
  with open(markdown_path) as f:
    markdown = f.read()
  assert markdown == report.markdown_report(results)
  assert "forward 43.9 M + backward 87.7 M = 131.6 M; --recipe=fast's network: 83.3 M." in markdown
  assert "native bf16: no (emulated" in markdown
  assert "Theoretical float32 peak: 160 GFLOP/s (2 cores x 2.50 GHz" in markdown
  assert "float32 150 GFLOP/s, bfloat16 20 GFLOP/s." in markdown
  assert "beats the theoretical peak" not in markdown
  table = [line for line in markdown.splitlines() if line.startswith("| ")]
  assert len(table) == 4 and all(line.count("|") == 12 for line in table)
  assert "| compile s, train + eval |" in table[0]
  assert table[1] == ("| ours_fp32 | tf.estimator on TF 2.21, float32 | tf.estimator 2.15.0, "
                      "TF 2.21.0, batch 100 | float32 | 1,234 | 25.0% | 4,321 | - | 988 | 512 | "
                      "41.0 s at step 900 (training 30.0 s, evaluating 9.0 s) |")
  assert table[2].startswith("| torch_compile_bf16 | PyTorch torch.compile")
  assert table[2].endswith("| PyTorch 2.15.0, batch 100 | bfloat16 | 1,234 | 25.0% | 4,321 | "
                           "41.2 + 5.1 | 988 | 512 | - |")
  assert f"| bfloat16 | {systems.NOT_SUPPORTED} |" in table[3]


def test_stack_python_comes_from_the_variable(monkeypatch):
  monkeypatch.setenv(stacks_lib.ENV_VARS[stacks_lib.LEGACY], sys.executable)
  assert stacks_lib.python_of(stacks_lib.LEGACY) == sys.executable


def test_stack_python_named_but_missing_is_an_error(monkeypatch, tmp_path):
  monkeypatch.setenv(stacks_lib.ENV_VARS[stacks_lib.CURRENT], str(tmp_path / "python"))
  with pytest.raises(stacks_lib.StackNotFound, match="ESTIMATOR_CNN_CURRENT_PYTHON=") as error:
    stacks_lib.python_of(stacks_lib.CURRENT)
  assert error.value.configured


def test_stack_python_falls_back_to_the_repo_venv(monkeypatch, tmp_path):
  monkeypatch.delenv(stacks_lib.ENV_VARS[stacks_lib.LEGACY], raising=False)
  monkeypatch.setattr(stacks_lib, "REPO_ROOT", str(tmp_path))
  with pytest.raises(stacks_lib.StackNotFound, match="make setup-legacy") as error:
    stacks_lib.python_of(stacks_lib.LEGACY)
  assert not error.value.configured
  python = tmp_path / ".venv-legacy" / "bin" / "python"
  python.parent.mkdir(parents=True)
  python.write_text("#!/bin/sh\n")
  python.chmod(0o755)
  assert stacks_lib.python_of(stacks_lib.LEGACY) == str(python)


def test_subprocess_env_clears_what_picks_keras(monkeypatch):
  monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
  env = stacks_lib.subprocess_env({"EXTRA": "x"})
  assert "TF_USE_LEGACY_KERAS" not in env
  assert env["PYTHONPATH"] == stacks_lib.REPO_ROOT and env["EXTRA"] == "x"


def _run_benchmark(*args, env=None):
  return stacks.run(stacks.CURRENT, ["-m", "estimator_cnn.experiments.benchmark", *args],
                    env=env, check=False, timeout=900)


@stacks.made_by_the_current_run
def test_missing_stack_is_one_error_line(tmp_path):
  result = _run_benchmark("--systems=tf_estimator", f"--output_dir={tmp_path}",
                          env={"ESTIMATOR_CNN_LEGACY_PYTHON": str(tmp_path / "none")})
  assert result.returncode == 1, result.stderr
  assert result.stderr.startswith("error: ESTIMATOR_CNN_LEGACY_PYTHON=")
  assert len(result.stderr.strip().splitlines()) == 1 and os.listdir(tmp_path) == []


@stacks.made_by_the_current_run
def test_unknown_system_is_one_error_line(tmp_path):
  result = _run_benchmark("--systems=ours_fp32,keras_fp16", f"--output_dir={tmp_path}")
  assert result.returncode == 1
  assert result.stderr.startswith("error: --systems: unknown system(s) keras_fp16; choose from")
  assert len(result.stderr.strip().splitlines()) == 1


@stacks.made_by_the_current_run
def test_time_to_accuracy_systems_must_be_measured_ones(tmp_path):
  result = _run_benchmark("--systems=ours_fp32", "--tta_systems=keras_fp32",
                          f"--output_dir={tmp_path}")
  assert result.returncode == 1
  assert result.stderr == "error: --tta_systems must be among --systems: keras_fp32 is not\n"


@stacks.made_by_the_current_run
def test_tiny_benchmark_end_to_end(tmp_path):
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", num_train=200, num_test=1000)
  output_dir = tmp_path / "out"
  python = stacks.python_of(stacks.CURRENT)
  result = _run_benchmark(
      "--systems=ours_fp32,keras_fp32,keras_bf16,torch_fp32,torch_compile_bf16", "--rounds=1",
      "--steps=2",
      "--warmup_steps=1", "--batch_size=10", "--tta_rounds=1", "--target=0.0",
      "--eval_every=2", "--tta_max_steps=4", "--matmul_size=64", f"--data_dir={data_dir}",
      f"--output_dir={output_dir}",
      env={"ESTIMATOR_CNN_CURRENT_PYTHON": python,
           "ESTIMATOR_CNN_TORCH_PYTHON": str(tmp_path / "no-torch")})
  assert result.returncode == 0, stacks.describe(result.args, result.returncode, result.stdout,
                                                 result.stderr)
  with open(output_dir / report.JSON_FILE) as f:
    results = json.load(f)
  native = results["machine"]["bf16_native"]
  measured = ["ours_fp32", "keras_fp32"] + (["keras_bf16"] if native else [])
  assert results["order"] == [[0, name] for name in measured]
  if not native:
    assert results["systems"]["keras_bf16"]["status"] == systems.NOT_SUPPORTED
  for name in ("torch_fp32", "torch_compile_bf16"):
    assert results["systems"][name]["status"].startswith(
        "not measured: ESTIMATOR_CNN_TORCH_PYTHON=")
  theoretical = results["machine"]["theoretical_gflops"]
  assert theoretical is None or theoretical > 0
  for name in measured:
    row = results["systems"][name]
    assert row["status"] == "ok" and len(row["train_samples"]) == 1
    assert row["train_examples_per_sec"] > 0 and row["eval_examples_per_sec"] > 0
    assert row["peak_rss_mb"] > 100 and row["batch_size"] == 10
    assert 50 < row["peak_anonymous_mb"] < row["peak_rss_mb"]
    tta = row["time_to_accuracy"]
    assert tta["step"] == 2 and tta["seconds"] > tta["train_secs"] > 0
  assert results["systems"]["ours_fp32"]["runtime"] == "tf.estimator 2.15.0"
  assert results["systems"]["keras_fp32"]["runtime"].startswith("keras 3.")
  assert results["machine"]["flops_per_example"]["forward"] == pytest.approx(
      BLOG_FORWARD_FLOPS, rel=0.02)
  # --recipe=fast trains two conv blocks: test_flops_follow_the_network's count.
  assert results["machine"]["recipe_training_flops"]["fast"] == pytest.approx(3 * 27.77e6,
                                                                              rel=0.05)
  assert (output_dir / report.MARKDOWN_FILE).read_text() == report.markdown_report(results)


def test_the_legacy_stack_is_measured_beside_the_current_one(tmp_path):
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", num_train=200, num_test=1000)
  output_dir = tmp_path / "out"
  result = _run_benchmark(
      "--systems=ours_fp32,tf_estimator", "--rounds=1", "--steps=2", "--warmup_steps=1",
      "--batch_size=10", "--tta_rounds=0", "--matmul_size=64", f"--data_dir={data_dir}",
      f"--output_dir={output_dir}",
      env={"ESTIMATOR_CNN_LEGACY_PYTHON": stacks.python_of(stacks.LEGACY)})
  assert result.returncode == 0, stacks.describe(result.args, result.returncode, result.stdout,
                                                 result.stderr)
  with open(output_dir / report.JSON_FILE) as f:
    rows = json.load(f)["systems"]
  assert {name: (row["status"], row["tensorflow"], row["runtime"])
          for name, row in rows.items()} == {
              "ours_fp32": ("ok", "2.21.0", "tf.estimator 2.15.0"),
              "tf_estimator": ("ok", "2.15.1", "tf.estimator 2.15.0")}


@stacks.made_by_the_current_run
def test_tiny_benchmark_of_the_tf1_program_on_both_stacks(tmp_path):
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", num_train=200, num_test=1000)
  output_dir = tmp_path / "out"
  names = ["runner_tf1", "runner_tf1_bf16", "runner_tf1_legacy", "plain_tf1"]
  result = _run_benchmark(
      f"--systems={','.join(names)}", "--rounds=1", "--steps=2", "--warmup_steps=1",
      "--batch_size=10", "--tta_rounds=1", "--matmul_size=64", f"--data_dir={data_dir}",
      f"--output_dir={output_dir}",
      env={"ESTIMATOR_CNN_LEGACY_PYTHON": stacks.python_of(stacks.LEGACY),
           "ESTIMATOR_CNN_TF1_PYTHON": str(tmp_path / "no-tf1")})
  assert result.returncode == 0, stacks.describe(result.args, result.returncode, result.stdout,
                                                 result.stderr)
  with open(output_dir / report.JSON_FILE) as f:
    results = json.load(f)
  rows = results["systems"]
  assert rows["plain_tf1"]["status"].startswith("not measured: ESTIMATOR_CNN_TF1_PYTHON=")
  native = results["machine"]["bf16_native"]
  measured = ["runner_tf1"] + (["runner_tf1_bf16"] if native else []) + ["runner_tf1_legacy"]
  assert results["order"] == [[0, name] for name in measured]
  if not native:
    assert rows["runner_tf1_bf16"]["status"] == systems.NOT_SUPPORTED
  for name in measured:
    row = rows[name]
    assert row["status"] == "ok" and row["batch_size"] == 10 and "time_to_accuracy" not in row
    assert row["train_examples_per_sec"] > 0 and row["eval_examples_per_sec"] is None
    assert 0 <= row["accuracy"] <= 1 and row["steps_trained"] == 1 + 2 + 1
    assert set(row["startup_secs"]) == {"program", "one_import", "import_tensorflow"}
    assert all(secs > 0 for secs in row["startup_secs"].values())
    assert 50 < row["peak_anonymous_mb"] < row["peak_rss_mb"]
  assert [rows[name]["tensorflow"] for name in ("runner_tf1", "runner_tf1_legacy")] == [
      "2.21.0", "2.15.1"]
  assert rows["runner_tf1"]["runtime"] == "python -m estimator_cnn.legacy"
  markdown = (output_dir / report.MARKDOWN_FILE).read_text()
  assert "| runner_tf1_legacy | 2.15.1 |" in markdown
  assert "- runner_tf1 / runner_tf1_legacy, training examples/s: " in markdown


def test_the_tf1_program_runs_plainly_on_tf_1_15(tmp_path):
  """Skipped without the TF 1.15 environment (make bench-tf1)."""
  data_dir = idx_fixtures.write_fixture_dataset(tmp_path / "data", num_train=200, num_test=100)
  result = stacks.run(stacks_lib.TF1, [program_worker.PROGRAM, f"--data_dir={data_dir}",
                                       f"--model_dir={tmp_path / 'model'}", "--steps=3",
                                       "--batch_size=10", "--log_step_count_steps=1"])
  assert json.loads(result.stdout.splitlines()[-1])["global_step"] == 3
  assert len(re.findall("global_step/sec: ", result.stderr)) == 2


def test_the_pytorch_peer_is_the_blogs_network():
  """Skipped without the PyTorch environment (make bench-peers)."""
  count = ("from estimator_cnn.experiments.benchmark import torch_worker as w; "
           "print(sum(p.numel() for p in w.blog_network().parameters()))")
  result = stacks.run(stacks_lib.TORCH, ["-c", count], check=True, timeout=300)
  assert int(result.stdout) == BLOG_PARAMETERS


def test_the_pytorch_bf16_peer_autocasts_in_channels_last():
  """Skipped without the PyTorch environment (make bench-peers)."""
  probe = ("import numpy as np, torch; "
           "from estimator_cnn.experiments.benchmark import torch_worker as w; "
           "p = w.Precision('bfloat16'); m = w.blog_network().to(memory_format=p.memory_format); "
           "x = p.images(np.zeros((2, 28, 28), np.float32)); "
           "ctx = p.autocast(); ctx.__enter__(); y = m(x); "
           "print(x.is_contiguous(memory_format=torch.channels_last), y.dtype, "
           "next(m.parameters()).dtype)")
  result = stacks.run(stacks_lib.TORCH, ["-c", probe], check=True, timeout=300)
  assert result.stdout.split() == ["True", "torch.bfloat16", "torch.float32"]


def test_the_compiled_pytorch_peers_wrap_the_network_in_torch_compile():
  """Skipped without the PyTorch environment (make bench-peers). Wrapping only: compiling takes
  the benchmark's first step."""
  probe = ("from estimator_cnn.experiments.benchmark import systems, torch_worker as w; "
           "s = systems.SYSTEMS['torch_compile_bf16']; m = w.build_model(s, w.Precision(s.dtype)); "
           "print(type(m).__name__, type(m._orig_mod).__name__, "
           "sum(p.numel() for p in m.parameters()))")
  result = stacks.run(stacks_lib.TORCH, ["-c", probe], check=True, timeout=300)
  assert result.stdout.split() == ["OptimizedModule", "Sequential", str(BLOG_PARAMETERS)]
