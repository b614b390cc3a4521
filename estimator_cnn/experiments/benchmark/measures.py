"""What the workers measure the same way: examples/s between batch ends, warm-up time, peak memory.

No TensorFlow here: the Keras 3 worker imports this module.
"""

import resource
import sys


def peak_rss_mb(children=False):
  """This process's RSS high-water mark in MB; with children, its largest finished child's."""
  kilobytes = resource.getrusage(resource.RUSAGE_CHILDREN if children
                                 else resource.RUSAGE_SELF).ru_maxrss
  return kilobytes / (1024 * 1024 if sys.platform == "darwin" else 1024)


def steady_examples_per_sec(batch_end_times, batch_size):
  """Examples/s from the end of the first batch to the end of the last."""
  if len(batch_end_times) < 2:
    return None
  return (len(batch_end_times) - 1) * batch_size / (batch_end_times[-1] - batch_end_times[0])


def warmup_excess_secs(start, batch_end_times, warmup_batches):
  """Seconds the first warmup_batches took beyond the pace of the batches after them (a
  compiler's time: torch.compile compiles on its first calls); None without later batches."""
  timed = len(batch_end_times) - warmup_batches
  if warmup_batches < 1 or timed < 1:
    return None
  warmup_end = batch_end_times[warmup_batches - 1]
  pace = (batch_end_times[-1] - warmup_end) / timed
  return warmup_end - start - warmup_batches * pace


def throughput_result(info, train_times, eval_times, warmup_steps, eval_batch_size):
  """A throughput task's result: what ran (info), examples/s after the warm-up, peak RSS."""
  return {**info,
          "train_examples_per_sec": steady_examples_per_sec(train_times[warmup_steps - 1:],
                                                            info["batch_size"]),
          "eval_examples_per_sec": steady_examples_per_sec(eval_times, eval_batch_size),
          "peak_rss_mb": peak_rss_mb()}


def time_to_accuracy_result(info, reached, curve, train_secs, eval_secs):
  """A time-to-accuracy task's result: what ran (info), when the target was reached, peak RSS."""
  return {**info, "reached": reached, "curve": curve, "train_secs": train_secs,
          "eval_secs": eval_secs, "peak_rss_mb": peak_rss_mb()}
