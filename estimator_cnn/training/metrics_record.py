"""The record an evaluation leaves in JSON: best.json, the studies' curves and validation points."""


def from_metrics(metrics):
  """{"step", "accuracy", "loss"} of Estimator.evaluate's metrics, as JSON's int and floats."""
  return {"step": int(metrics["global_step"]), "accuracy": float(metrics["accuracy"]),
          "loss": float(metrics["loss"])}
