"""The components and artifacts that PyTorch's logging documentation names, as data."""

from __future__ import annotations

from typing import Final

from logdial import LogSystem

__all__ = ["ARTIFACTS", "COMPONENTS", "build_system", "system"]

#: component alias -> the loggers it covers (the names mirror torch's module layout).
COMPONENTS: Final = {
    "dynamo": ("minitorch._dynamo", "minitorch.fx.experimental.symbolic_shapes"),
    "aot": ("minitorch._functorch.aot_autograd", "minitorch._functorch._aot_autograd"),
    "inductor": ("minitorch._inductor",),
}

#: artifact -> (description, off_by_default, visible), with torch's choices of the last two.
ARTIFACTS: Final = {
    "bytecode": ("The bytecode of each function before and after Dynamo rewrites it.", True, False),
    "aot_graphs": ("The forward, backward and inference graphs that AOTAutograd builds.", False, True),
    "aot_joint_graph": ("The joint forward-backward graph AOTAutograd traces before partitioning it.", False, False),
    "compiled_autograd": ("What compiled autograd does while it captures the backward pass.", False, True),
    "ddp_graphs": ("The subgraphs that the DDP optimizer splits a graph into.", False, False),
    "graph": ("The graph Dynamo captured, one node per row.", False, False),
    "graph_code": ("The graph Dynamo captured, as the Python code that would build it.", False, False),
    "graph_breaks": ("A message the first time tracing stops at a given graph break.", False, True),
    "guards": ("The guards Dynamo checks before reusing each compiled function.", False, True),
    "recompiles": ("Which guard failed, and why, each time a function is compiled again.", False, True),
    "output_code": ("The code Inductor generates for each graph.", True, True),
    "schedule": ("The order in which Inductor schedules its kernels.", True, False),
}


def build_system() -> LogSystem:
    """
    A LogSystem named ``minitorch`` with root ``minitorch`` and the ``TORCH_`` variables.
    """
    logs = LogSystem("minitorch", root="minitorch", env_prefix="TORCH")
    for alias, loggers in COMPONENTS.items():
        logs.register_log(alias, loggers)
    for name, (description, off_by_default, visible) in ARTIFACTS.items():
        logs.register_artifact(name, description, visible=visible, off_by_default=off_by_default)
    return logs


#: The demo's system, as the ``logdial.systems`` entry point names it (``logdial help minitorch``).
system = build_system()
