r"""The benchmark: training speed of the blog's network on each system, measured A B A B in
fresh processes.

  python -m estimator_cnn.experiments.benchmark                     # everything, 3 rounds
  python -m estimator_cnn.experiments.benchmark --systems=ours_fp32,tf_estimator --rounds=2
  python -m estimator_cnn.experiments.benchmark --rounds=1 --steps=50 --warmup_steps=10 \
      --tta_rounds=0
  python -m estimator_cnn.experiments.benchmark --systems=ours_fp32,ours_fast \
      --tta_systems=ours_fast

Systems (--systems; default all but tf_estimator_bf16):
  ours_fp32          the real tf.estimator on TF 2.21 (current stack, estimator_cnn's
                     compatibility module), float32
  ours_bf16          the same with --dtype=bfloat16 (bf16 compute, float32 variables)
  tf_estimator       the real tf.estimator, TF 2.15 (legacy stack), the same model_fn
  tf_estimator_bf16  the same with --dtype=bfloat16
  keras_fp32         Keras 3 model.fit of the same architecture, TF 2.21, float32
  keras_bf16         the same with the mixed_bfloat16 policy
  ours_fast          ours_fp32 with run.py --recipe=fast (its batch size)
  torch_fp32         PyTorch eager, the same network and Adam, float32; only where its
                     environment exists (make bench-peers), else "not measured"
  torch_bf16         the same under torch.autocast("cpu", bfloat16), channels_last
  torch_compile_fp32 torch_fp32 with the model in torch.compile (Inductor, default mode)
  torch_compile_bf16 torch_bf16 with the model in torch.compile (Inductor, default mode)
  runner_tf1         the blog's CNN as a TF 1.x program (tests/fixtures/tf1_programs/
                     blog_cnn_tf1.py: tf.layers, Adam, numpy_input_fn) through
                     `python -m estimator_cnn.legacy`, TF 2.21, float32
  runner_tf1_bf16    the same with the runner's --bf16 (TensorFlow's oneDNN bf16 rewrite)
  runner_tf1_legacy  the same program through the runner on TF 2.15 (legacy stack)
  plain_tf1          the same program, plain `python` on TF 1.15 / Python 3.7; only where
                     its environment exists (make bench-tf1), else "not measured"
On a CPU without AVX512_BF16 or AMX-BF16 the bf16 systems are reported as
"not supported on this CPU" unless --emulated_bf16 measures them anyway,
labelled "bfloat16 (emulated)". ours_fast then runs in float32, as run.py does.

Each measurement is a fresh process (its stack's Python, see estimator_cnn.base.stacks);
rounds alternate the systems (A B C A B C ...) so that machine drift cancels; round r
trains with seed r.
  - training examples/s: --warmup_steps untimed steps, then --steps timed ones
    (batch --batch_size); median over --rounds.
  - eval examples/s: then one pass over the 10,000 test images (batches of 500),
    timed from the end of the first batch to the end of the last.
  - compile seconds (torch.compile's systems): the time the warm-up steps took beyond
    the timed steps' pace, and the first eval batch beyond the other batches' pace:
    the compilation, left out of the examples/s; median over --rounds.
  - peak memory: the process's RSS high-water mark (getrusage), max over rounds.
  - the program systems (runner_tf1*, plain_tf1): training examples/s from the
    program's own global_step/sec lines over the same timed steps; no eval
    examples/s and no time to accuracy (the program trains and evaluates once, as
    written), but its final test accuracy; start-up: from just before its process
    starts to its first statement, beside `python -c "from estimator_cnn import
    estimator; import tensorflow as tf"` and `python -c "import tensorflow"` on the
    same stack, fresh processes in each round, to their first statement after the
    imports; medians over --rounds (program_worker.py).
  - time to accuracy: a fresh process trains from scratch, evaluating on the test
    set every --eval_every steps (Estimator: train(max_steps) then evaluate, as
    run.py --mode=train_and_eval; Keras: fit with validation), until the test
    accuracy reaches --target; wall clock from launching the process to the end of
    that evaluation, or "not reached by step --tta_max_steps", with the seconds spent
    training and evaluating. --tta_rounds runs of each of --tta_systems, seeds 1, 2, ...;
    a --recipe evaluates at its own cadence (fast: once, at its last step).
  - FLOPs per training example: tf.compat.v1.profiler float_ops of the TRAIN graph
    at batch 1, forward (everything outside gradients/, initializers excluded) and
    backward (gradients/) counted separately.
  - peaks: the best of 10 timed --matmul_size tf.matmul calls after 3 of warm-up
    (TF 2.21 eager, float32 and bfloat16), beside the theoretical float32 peak
    (cores x reported clock x 2 FMA units x SIMD lanes x 2); each system's share is
    its training FLOP/s over the larger of the two for its dtype.

Output in --output_dir (default results/benchmark): benchmark.json (everything,
every sample, the order of the measurements) and benchmark.md (a table).
"""
