"""Figures of an ablation study: accuracy per rung, and test accuracy during training.

Both take the per-rung summaries of `estimator_cnn.ablation.summarize` and draw
on matplotlib's Agg canvas, without pyplot, so no display or global state is used.
"""

import os
import textwrap

from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 120
LABEL_WIDTH = 16


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
      axes.plot([x] * len(s["accuracies"]), _percent(s["accuracies"]), "o", color="black",
                markersize=4, label="this study: one seed")
      axes.annotate(f"{means[x]:.1f}%", (x, max(means[x] + stds[x], *_percent(s["accuracies"]))),
                    xytext=(0, 6), textcoords="offset points", ha="center", va="bottom",
                    fontsize=11, fontweight="bold")
    else:
      axes.annotate("not run", (x, 2), ha="center", fontsize=11, color="gray")
    if s["blog_accuracy"]:
      low, high = _percent(s["blog_accuracy"])
      axes.errorbar([x - 0.2], [(low + high) / 2], yerr=[(high - low) / 2], fmt="D",
                    color="tab:red", markersize=8, capsize=5, label="blog")
    if s["reference_accuracy"]:
      axes.plot([x + 0.2] * len(s["reference_accuracy"]), _percent(s["reference_accuracy"]), "x",
                color="tab:orange", markersize=10, markeredgewidth=2.5, label=reference_label)
  axes.set_xticks(list(positions),
                  [textwrap.fill(f"{s['rung']}. {s['name']}", LABEL_WIDTH) for s in summaries],
                  fontsize=11)
  axes.set_ylim(0, 110)
  axes.set_ylabel("test accuracy (%)", fontsize=12)
  axes.set_title(title, fontsize=14)
  axes.grid(axis="y", alpha=0.3)
  axes.tick_params(axis="y", labelsize=11)
  handles, labels = axes.get_legend_handles_labels()
  by_label = dict(zip(labels, handles))
  order = ["this study: mean ± std over seeds", "this study: one seed", "blog", reference_label]
  shown = [label for label in order if label in by_label]
  figure.legend([by_label[label] for label in shown], shown, loc="outside lower center",
                ncols=len(shown), fontsize=11)
  _save(figure, path)


def plot_curves(summaries, title, path):
  """Test accuracy versus training step per rung: mean over seeds, band from min to max."""
  figure = _new_figure()
  axes = figure.subplots()
  for index, s in enumerate(summary for summary in summaries if summary["curve"]):
    color = f"C{index % 10}"
    steps = [point["step"] for point in s["curve"]]
    axes.plot(steps, _percent(point["mean"] for point in s["curve"]), "o-", color=color,
              markersize=3, linewidth=2, label=f"{s['rung']}. {s['name']}")
    axes.fill_between(steps, _percent(point["min"] for point in s["curve"]),
                      _percent(point["max"] for point in s["curve"]), color=color, alpha=0.15)
  if not any(s["curve"] for s in summaries):
    axes.text(0.5, 0.5, "no finished runs yet", transform=axes.transAxes, ha="center",
              fontsize=14, color="gray")
  axes.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
  axes.set_xlabel("training step", fontsize=12)
  axes.set_ylabel("test accuracy (%)", fontsize=12)
  axes.set_title(title, fontsize=14)
  axes.grid(alpha=0.3)
  axes.tick_params(labelsize=11)
  if any(s["curve"] for s in summaries):
    axes.legend(loc="lower right", fontsize=11, title="mean over seeds; band: min to max",
                title_fontsize=10)
  _save(figure, path)


def plot_gap(summaries, title, path):
  """Training (dashed) and test (solid) accuracy during training, and at the end with the gap."""
  figure = _new_figure()
  curves, bars = figure.subplots(1, 2, width_ratios=(3, 2))
  measured = [s for s in summaries if "train_accuracies" in s]
  for index, s in enumerate(measured):
    color = f"C{index % 10}"
    steps = [point["step"] for point in s["curve"]]
    curves.plot(steps, _percent(point["mean"] for point in s["curve"]), "o-", color=color,
                markersize=3, linewidth=2, label=f"{s['rung']}. {s['name']}")
    curves.fill_between(steps, _percent(point["min"] for point in s["curve"]),
                        _percent(point["max"] for point in s["curve"]), color=color, alpha=0.15)
    curves.plot([point["step"] for point in s["train_curve"]],
                _percent(point["mean"] for point in s["train_curve"]), "--", color=color,
                linewidth=1.5)
  curves.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
  curves.set_xlabel("training step", fontsize=12)
  curves.set_ylabel("accuracy (%)", fontsize=12)
  curves.set_title("solid: test, dashed: training images (mean over seeds)", fontsize=11)
  curves.grid(alpha=0.3)
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
  bars.set_xticks(list(positions),
                  [textwrap.fill(f"{s['rung']}. {s['name']}", LABEL_WIDTH) for s in measured],
                  fontsize=10)
  bars.set_ylabel("accuracy at the last step (%)", fontsize=12)
  bars.set_title("at the end of training", fontsize=11)
  bars.grid(axis="y", alpha=0.3)
  bars.legend(loc="lower right", fontsize=10)
  figure.suptitle(title, fontsize=14)
  _save(figure, path)
