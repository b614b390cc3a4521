"""The groups a training step's ops fall in, by the layer scope and the op type.

No TensorFlow here: names and op types are plain strings, from the graph or
from a step's trace (where oneDNN's fused ops, e.g. `conv2/Relu =
_MklNativeFusedConv2D`, carry the name of the last op they replaced).
"""

CONV_FORWARD = "conv forward"
CONV_BACKWARD_INPUT = "conv backward, input"
CONV_BACKWARD_FILTER = "conv backward, filter"
POOLING = "pooling"
DENSE = "dense"
DROPOUT = "dropout"
OPTIMIZER = "optimizer"
CASTS = "casts"  # bfloat16 copies of the float32 weights, float32 copies of their gradients.
INPUT = "input"
OTHER = "other"
GROUPS = (CONV_FORWARD, CONV_BACKWARD_INPUT, CONV_BACKWARD_FILTER, POOLING, DENSE, DROPOUT,
          OPTIMIZER, CASTS, INPUT, OTHER)
GRADIENTS_SCOPE = "gradients"
OPTIMIZER_SCOPES = ("Adam", "GradientDescent")
INPUT_OP_TYPES = ("IteratorGetNext", "IteratorV2", "MakeIterator", "OneShotIterator")
# Backward ops of a conv layer that produce the gradient of its filter and bias.
FILTER_GRADIENT_OPS = ("Conv2DBackpropFilter", "BiasAddGrad")


def group_of(node_name, op_type):
  """The group of one op of the blog network's training step."""
  scopes = node_name.split("/")
  if op_type in INPUT_OP_TYPES:
    return INPUT
  if op_type == "Cast":
    return CASTS
  if scopes[0] in OPTIMIZER_SCOPES or op_type.startswith(("ApplyAdam", "ResourceApply")):
    return OPTIMIZER
  backward = scopes[0] == GRADIENTS_SCOPE and len(scopes) > 1
  layer = scopes[1] if backward else scopes[0]
  if layer.startswith("conv"):
    if not backward:
      return CONV_FORWARD
    if any(name in op_type for name in FILTER_GRADIENT_OPS):
      return CONV_BACKWARD_FILTER
    return CONV_BACKWARD_INPUT
  if layer.startswith("pool"):
    return POOLING
  if layer in ("dense", "logits"):
    return DENSE
  if layer.startswith("dropout"):
    return DROPOUT
  return OTHER


def ran_flops(graph_flops, traced_ops):
  """FLOPs per group of the graph's ops that ran in the traced step.

  Args:
    graph_flops: {node name: (op type, float ops)} of the graph as built.
    traced_ops: {node name: op type} of the ops the trace shows.

  A graph op counts if the trace shows it, or if it was fused: the trace shows a
  fused op in its scope (conv2/Conv2D and conv2/BiasAdd run as conv2/Relu). Ops
  that graph optimisation dropped (the gradient of the input images) do not count.
  """
  fused_scopes = {name.rpartition("/")[0] for name, op_type in traced_ops.items()
                  if "Fused" in op_type}
  flops = dict.fromkeys(GROUPS, 0)
  for name, (op_type, float_ops) in graph_flops.items():
    if name in traced_ops or name.rpartition("/")[0] in fused_scopes:
      flops[group_of(name, op_type)] += float_ops
  return flops
