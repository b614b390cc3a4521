"""The PyTorch peer's measurements: the blog's network as a user would write it in PyTorch.

Runs in the PyTorch environment (`make bench-peers`), which has no TensorFlow:
nothing imported here may import it. Eager mode, default backends, Adam 0.001,
torch.set_num_threads(cores). In bfloat16, PyTorch's advice for CPUs: the forward
pass and loss under torch.autocast("cpu", dtype=torch.bfloat16) (float32
weights, bf16 convolutions and matmuls) and the model and images in
channels_last memory format. A system with a compile_mode runs the same program
with the model wrapped in torch.compile (Inductor, C++ on the CPU): it compiles
on its first training step and on its first evaluation batch, from an empty
cache (but for Inductor's precompiled C++ header, which PyTorch keeps machine-wide
in the default cache folder by design: built once, by the first compilation on a
machine), which the examples/s leave out and the result gives apart
(train_compile_secs, eval_compile_secs: the warm-up's seconds beyond the steady
pace).
"""

import atexit
import contextlib
import os
import shutil
import tempfile
import time

import numpy as np
import torch
from torch import nn

from estimator_cnn.data import idx_csv
from estimator_cnn.data import read_ahead
from estimator_cnn.experiments.benchmark import measures
from estimator_cnn.experiments.benchmark import systems
from estimator_cnn.model import presets

BLOG_PARAMS = presets.PRESETS[presets.DEFAULT_PRESET].params


def blog_network():
  """The blog's network: 3 conv blocks (5x5 same, ReLU, 2x2 pool), dense 1024, logits."""
  layers, channels = [], 1
  dropouts = (0.0, BLOG_PARAMS["dropout_pool2"], BLOG_PARAMS["dropout_pool3"])
  for filters, rate in zip((32, 64, 128), dropouts):
    layers += [nn.Conv2d(channels, filters, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)]
    if rate:
      layers.append(nn.Dropout(rate))
    channels = filters
  # 28 -> 14 -> 7 -> 3 with TF's "valid" 2x2 pooling, as nn.MaxPool2d floors too.
  layers += [nn.Flatten(), nn.Linear(channels * 3 * 3, 1024), nn.ReLU(),
             nn.Dropout(BLOG_PARAMS["dropout_dense"]), nn.Linear(1024, 10)]
  return nn.Sequential(*layers)


class Precision:
  """Float32, or PyTorch's CPU bfloat16 recipe: autocast and channels_last."""

  def __init__(self, dtype):
    self.bfloat16 = dtype == presets.BFLOAT16
    self.memory_format = torch.channels_last if self.bfloat16 else torch.contiguous_format

  def autocast(self):
    """The context the forward pass and the loss run in."""
    if self.bfloat16:
      return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()

  def images(self, batch):
    """A batch of N x 28 x 28 float32 images as the model's N x 1 x 28 x 28 input."""
    return torch.from_numpy(batch).unsqueeze(1).contiguous(memory_format=self.memory_format)


def build_model(system, precision):
  """The blog's network in the precision's memory format; in torch.compile with the system's
  compile_mode if it has one (compiled lazily, on the first call)."""
  model = blog_network().to(memory_format=precision.memory_format)
  return torch.compile(model, mode=system.compile_mode) if system.compile_mode else model


def _fresh_inductor_cache():
  """Points Inductor at an empty cache folder, removed at exit: every measurement compiles from
  scratch, as a first run does, whatever ran before it."""
  folder = tempfile.mkdtemp(prefix="estimator_cnn-inductor-")
  os.environ["TORCHINDUCTOR_CACHE_DIR"] = folder
  atexit.register(shutil.rmtree, folder, ignore_errors=True)


def _setup(spec):
  """(model, optimizer, precision, dataset, what ran) of a PyTorch system."""
  system = systems.SYSTEMS[spec["system"]]
  torch.set_num_threads(os.cpu_count())
  torch.manual_seed(spec["seed"])
  precision = Precision(system.dtype)
  if system.compile_mode:
    _fresh_inductor_cache()
  model = build_model(system, precision)
  optimizer = torch.optim.Adam(model.parameters(), lr=BLOG_PARAMS["learning_rate"])
  dataset = idx_csv.with_unit_float_images(read_ahead.load(spec["data_dir"]))
  emulated = precision.bfloat16 and not spec["bf16_native"]
  info = {"tensorflow": "-", "runtime": f"PyTorch {torch.__version__}",
          "batch_size": spec["batch_size"],
          "dtype": system.dtype + (systems.EMULATED if emulated else "")}
  return model, optimizer, precision, dataset, info


def _batches(images, labels, batch_size, seed, precision):
  """Shuffled (images, labels) tensor batches forever, an epoch at a time."""
  labels = torch.from_numpy(labels.astype(np.int64))
  generator = torch.Generator().manual_seed(seed)
  while True:
    order = torch.randperm(len(labels), generator=generator)
    for start in range(0, len(labels) - batch_size + 1, batch_size):
      indices = order[start:start + batch_size]
      yield precision.images(images[indices.numpy()]), labels[indices]


def _train(model, optimizer, precision, batches, steps, times=None):
  """Trains `steps` Adam steps, appending perf_counter after each to `times`."""
  model.train()
  loss_fn = nn.CrossEntropyLoss()
  for _ in range(steps):
    images, labels = next(batches)
    optimizer.zero_grad()
    with precision.autocast():
      loss = loss_fn(model(images), labels)
    loss.backward()
    optimizer.step()
    loss.item()  # As the Estimator fetches the loss every step.
    if times is not None:
      times.append(time.perf_counter())


def _evaluate(model, precision, images, labels, times=None):
  """Test accuracy, batches of presets.EVAL_BATCH_SIZE; appends perf_counter after each batch."""
  model.eval()
  correct = 0
  with torch.no_grad(), precision.autocast():
    for start in range(0, len(labels), presets.EVAL_BATCH_SIZE):
      batch = precision.images(images[start:start + presets.EVAL_BATCH_SIZE])
      predicted = model(batch).argmax(dim=1).numpy()
      correct += int((predicted == labels[start:start + presets.EVAL_BATCH_SIZE]).sum())
      if times is not None:
        times.append(time.perf_counter())
  return correct / len(labels)


def throughput(spec):
  """Training and evaluation examples/s of the PyTorch system; a compiled one's compile seconds."""
  model, optimizer, precision, dataset, info = _setup(spec)
  batches = _batches(dataset.train_images, dataset.train_labels, spec["batch_size"],
                     spec["seed"], precision)
  train_times, eval_times = [], []
  train_start = time.perf_counter()
  _train(model, optimizer, precision, batches, spec["warmup_steps"] + spec["steps"],
         train_times)
  eval_start = time.perf_counter()
  _evaluate(model, precision, dataset.test_images, dataset.test_labels, eval_times)
  result = measures.throughput_result(info, train_times, eval_times, spec["warmup_steps"],
                                      presets.EVAL_BATCH_SIZE)
  if systems.SYSTEMS[spec["system"]].compile_mode:
    result["train_compile_secs"] = measures.warmup_excess_secs(train_start, train_times,
                                                               spec["warmup_steps"])
    result["eval_compile_secs"] = measures.warmup_excess_secs(eval_start, eval_times, 1)
  return result


def time_to_accuracy(spec):
  """Trains, evaluating every spec["eval_every"] steps, until the target accuracy or max_steps."""
  model, optimizer, precision, dataset, info = _setup(spec)
  batches = _batches(dataset.train_images, dataset.train_labels, spec["batch_size"],
                     spec["seed"], precision)
  curve, reached, train_secs, eval_secs, step = [], None, 0.0, 0.0, 0
  while step < spec["max_steps"] and not reached:
    start = time.time()
    chunk = min(spec["eval_every"], spec["max_steps"] - step)
    _train(model, optimizer, precision, batches, chunk)
    step += chunk
    middle = time.time()
    accuracy = _evaluate(model, precision, dataset.test_images, dataset.test_labels)
    end = time.time()
    train_secs, eval_secs = train_secs + middle - start, eval_secs + end - middle
    curve.append([step, accuracy])
    if accuracy >= spec["target"]:
      reached = {"step": step, "time": end}
  return measures.time_to_accuracy_result(info, reached, curve, train_secs, eval_secs)
