"""Figures of an ablation study: accuracy per rung, test accuracy during training, the gap.

Each takes the per-rung summaries of `experiments.ablation.report.summarize` and draws
on matplotlib's Agg canvas, without pyplot, so no display or global state is used.
"""

import os
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

DPI = 120
LABEL_WIDTH = 16
MAX_STEP_TICKS = 11
ZOOM_POINTS = 6  # The zoomed panel shows this many points below the best final accuracy.


def _new_figure():
  figure = Figure(figsize=(11, 6.5), layout="constrained")
  FigureCanvasAgg(figure)
  return figure


def _save(figure, path):
  """Writes the PNG atomically, so an interrupted save never leaves half a file."""
  temp = path + ".tmp"
  figure.savefig(temp, format="png", dpi=DPI)
  os.replace(temp, path)


def _percent(values):
  return [100 * value for value in values]


def _rung_labels(summaries, width=LABEL_WIDTH):
  return [textwrap.fill(f"{s['rung']}. {s['name']}", width) for s in summaries]


def _step_ticks(axes, summaries, curve_key="curve"):
  """Ticks at the evaluated steps (every other one, or fewer, when there are many)."""
  steps = sorted({point["step"] for s in summaries for point in s.get(curve_key, [])})
  every = -(-len(steps) // MAX_STEP_TICKS) if steps else 1
  ticks = steps[::-1][::every][::-1]
  if len(ticks) > 2 and ticks[-1] - ticks[-2] < (ticks[-2] - ticks[-3]) / 2:
    del ticks[-2]  # Too close to the last step to label both.
  axes.set_xticks(ticks)


def _plot_test_curve(axes, summary, color):
  """The rung's test accuracy per step: mean over seeds, a band from min to max."""
  curve = summary["curve"]
  steps = [point["step"] for point in curve]
  axes.plot(steps, _percent(point["mean"] for point in curve), "o-", color=color, markersize=3,
            linewidth=2, label=f"{summary['rung']}. {summary['name']}")
  axes.fill_between(steps, _percent(point["min"] for point in curve),
                    _percent(point["max"] for point in curve), color=color, alpha=0.15)


def plot_rungs(summaries, title, path, reference_label):
  """A bar per rung (mean, std error bar, a dot per seed) beside the blog's and reference marks."""
  figure = _new_figure()
  axes = figure.subplots()
  positions = range(len(summaries))
  means = [100 * (s["accuracy_mean"] or 0) for s in summaries]
  stds = [100 * (s["accuracy_std"] or 0) for s in summaries]
  axes.bar(positions, means, yerr=stds, width=0.6, color="tab:blue", alpha=0.75, capsize=6,
           label="this study: mean ± std over seeds")
  for x, s in zip(positions, summaries):
    if s["accuracies"]:
      # Beside the bar's error bar, spread a little so that equal seeds stay visible.
      offsets = [0.12 + 0.05 * i for i in range(len(s["accuracies"]))]
      axes.plot([x + offset for offset in offsets], _percent(s["accuracies"]), "o",
                color="black", markersize=5, label="this study: one seed")
      axes.annotate(f"{means[x]:.1f}%", (x, max(means[x] + stds[x], *_percent(s["accuracies"]))),
                    xytext=(0, 6), textcoords="offset points", ha="center", va="bottom",
                    fontsize=11, fontweight="bold")
    else:
      axes.annotate("not run", (x, 2), ha="center", fontsize=11, color="gray")
    if s["blog_accuracy"]:
      low, high = _percent(s["blog_accuracy"])
      axes.vlines(x - 0.2, low, high, color="tab:red", linewidth=2.5)
      axes.plot([x - 0.2] * (1 if low == high else 2), sorted({low, high}), "D",
                color="tab:red", markersize=7, label="blog")
    if s["reference_accuracy"]:
      axes.plot([x + 0.2] * len(s["reference_accuracy"]), _percent(s["reference_accuracy"]), "x",
                color="tab:orange", markersize=10, markeredgewidth=2.5, label=reference_label)
  axes.set_xticks(list(positions), _rung_labels(summaries), fontsize=11)
  axes.set_ylim(0, 110)
  axes.set_ylabel("test accuracy (%)", fontsize=12)
  axes.set_title(title, fontsize=14)
  axes.grid(axis="y", alpha=0.3)
  axes.tick_params(axis="y", labelsize=11)
  handles, labels = axes.get_legend_handles_labels()
  by_label = dict(zip(labels, handles))
  if "blog" in by_label:  # A marker alone, not the marker twice of a range.
    by_label["blog"] = Line2D([], [], marker="D", color="tab:red", linestyle="", markersize=7)
  order = ["this study: mean ± std over seeds", "this study: one seed", "blog", reference_label]
  shown = [label for label in order if label in by_label]
  figure.legend([by_label[label] for label in shown], shown, loc="outside lower center",
                ncols=len(shown), fontsize=11)
  _save(figure, path)


def plot_curves(summaries, title, path):
  """Test accuracy versus training step per rung: mean over seeds, band from min to max.

  The right panel zooms on the top ZOOM_POINTS points, where close rungs would
  otherwise merge into one band.
  """
  figure = _new_figure()
  full, zoom = figure.subplots(1, 2)
  curves = [summary for summary in summaries if summary["curve"]]
  for axes in (full, zoom):
    for index, s in enumerate(curves):
      _plot_test_curve(axes, s, f"C{index % 10}")
    _step_ticks(axes, curves)
    axes.set_xlabel("training step", fontsize=12)
    axes.grid(alpha=0.3)
    axes.tick_params(labelsize=10)
  full.set_ylabel("test accuracy (%)", fontsize=12)
  full.set_title("all of it", fontsize=11)
  if curves:
    best = max(100 * s["curve"][-1]["mean"] for s in curves)
    highest = max(100 * point["max"] for s in curves for point in s["curve"])
    zoom.set_ylim(best - ZOOM_POINTS, min(100, highest + 0.5))
    zoom.set_title(f"zoomed: within {ZOOM_POINTS} points of the best", fontsize=11)
    full.legend(loc="lower right", fontsize=10, title="mean over seeds; band: min to max",
                title_fontsize=9)
  else:
    full.text(0.5, 0.5, "no finished runs yet", transform=full.transAxes, ha="center",
              fontsize=14, color="gray")
  figure.suptitle(title, fontsize=14)
  _save(figure, path)


def plot_gap(summaries, title, path):
  """Training (dashed) and test (solid) accuracy and the test loss during training; at the end,
  training and test accuracy with their gap."""
  figure = _new_figure()
  figure.set_size_inches(15, 6.5)
  curves, losses, bars = figure.subplots(1, 3, width_ratios=(5, 4, 4))
  measured = [s for s in summaries if "train_accuracies" in s]
  for index, s in enumerate(measured):
    color = f"C{index % 10}"
    _plot_test_curve(curves, s, color)
    curves.plot([point["step"] for point in s["train_curve"]],
                _percent(point["mean"] for point in s["train_curve"]), "--", color=color,
                linewidth=1.5)
    losses.plot([point["step"] for point in s["loss_curve"]],
                [point["mean"] for point in s["loss_curve"]], "o-", color=color, markersize=3,
                linewidth=2)
  for axes in (curves, losses):
    _step_ticks(axes, measured)
    axes.set_xlabel("training step", fontsize=12)
    axes.grid(alpha=0.3)
  losses.set_ylabel("test loss (cross-entropy)", fontsize=12)
  losses.set_title("test loss: rising means overfitting", fontsize=11)
  curves.set_ylabel("accuracy (%)", fontsize=12)
  curves.set_title("solid: test, dashed: training images (mean over seeds)", fontsize=11)
  curves.legend(loc="lower right", fontsize=10)
  positions = range(len(measured))
  train = [100 * s["train_accuracy_mean"] for s in measured]
  test = [100 * s["accuracy_mean"] for s in measured]
  bars.bar([x - 0.2 for x in positions], train, width=0.4, color="tab:gray",
           label="training images")
  bars.bar([x + 0.2 for x in positions], test, width=0.4, color="tab:blue", label="test images")
  for x, s in zip(positions, measured):
    bars.annotate(f"gap {100 * s['gap_mean']:.1f}", (x, max(train[x], test[x])), xytext=(0, 4),
                  textcoords="offset points", ha="center", fontsize=10, fontweight="bold")
  low = min(test + train) if measured else 0
  bars.set_ylim(max(0, low - 5), 101)
  bars.set_xticks(list(positions), _rung_labels(measured, width=10), fontsize=9)
  bars.set_ylabel("accuracy at the last step (%)", fontsize=12)
  bars.set_title("at the end of training", fontsize=11)
  bars.grid(axis="y", alpha=0.3)
  bars.legend(loc="lower right", fontsize=10)
  figure.suptitle(title, fontsize=14)
  _save(figure, path)
