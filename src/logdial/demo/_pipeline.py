"""A toy compile pipeline that logs from every component and emits every artifact.

Each stage logs through the logger of the module that owns that step in PyTorch, so the
components and artifacts behave as they do there: ``dynamo`` traces and guards,
``aot`` builds the forward and backward graphs, ``inductor`` generates and schedules
code. Nothing is really compiled; the point is the logging.

Every plain message starts with its component (``dynamo:``, ``aot:``, ``inductor:``,
``user code:``), so the effect of a setting shows at a glance and the tests can tell
where each line comes from; artifact records carry their ``[__name]`` tag instead.
"""

from __future__ import annotations

import dis
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType

from logdial import LazyString, LogSystem

__all__ = ["Loggers", "run", "toy_fn"]

# Where the user's function lives, as a path that is the same on every machine.
_SOURCE = __name__.replace(".", "/") + ".py"


def toy_fn(x: list[float], y: list[float]) -> list[float]:
    """
    The user function the demo "compiles".
    """
    a = [v * 0.5 for v in x]
    b = [p + q for p, q in zip(a, y, strict=True)]
    if sum(b) > 0:
        print_positive = True  # the toy graph break: data-dependent control flow
        del print_positive
    return [v * 2 for v in b]


@dataclass(frozen=True)
class Node:
    """
    One node of a toy FX-like graph.
    """

    opcode: str
    name: str
    target: str
    args: tuple[str, ...]


GRAPH = (
    Node("placeholder", "l_x_", "L_x_", ()),
    Node("placeholder", "l_y_", "L_y_", ()),
    Node("call_function", "mul", "operator.mul", ("l_x_", "0.5")),
    Node("call_function", "add", "operator.add", ("mul", "l_y_")),
    Node("output", "output", "output", ("add",)),
)


class Loggers:
    """
    The loggers of the pipeline's modules, with torch's module layout under ``minitorch``.
    """

    def __init__(self, logs: LogSystem) -> None:
        get = logging.getLogger
        art = logs.getArtifactLogger
        self.eval_frame = get("minitorch._dynamo.eval_frame")
        self.convert_frame = get("minitorch._dynamo.convert_frame")
        self.symbolic_convert = get("minitorch._dynamo.symbolic_convert")
        self.output_graph = get("minitorch._dynamo.output_graph")
        self.shapes = get("minitorch.fx.experimental.symbolic_shapes")
        self.bytecode = art("minitorch._dynamo.convert_frame", "bytecode")
        self.guards = art("minitorch._dynamo.guards", "guards")
        self.recompiles = art("minitorch._dynamo.guards", "recompiles")
        self.graph_breaks = art("minitorch._dynamo.symbolic_convert", "graph_breaks")
        self.graph = art("minitorch._dynamo.output_graph", "graph")
        self.graph_code = art("minitorch._dynamo.output_graph", "graph_code")
        self.aot = get("minitorch._functorch._aot_autograd.jit_compile_runtime_wrappers")
        self.partitioner = get("minitorch._functorch._aot_autograd.partitioners")
        self.aot_graphs = art("minitorch._functorch._aot_autograd.jit_compile_runtime_wrappers", "aot_graphs")
        self.aot_joint_graph = art("minitorch._functorch._aot_autograd.jit_compile_runtime_wrappers", "aot_joint_graph")
        self.compile_fx = get("minitorch._inductor.compile_fx")
        self.scheduler = get("minitorch._inductor.scheduler")
        self.output_code = art("minitorch._inductor.graph", "output_code")
        self.schedule = art("minitorch._inductor.scheduler", "schedule")
        self.compiled_autograd = art("minitorch._dynamo.compiled_autograd", "compiled_autograd")
        self.ddp_graphs = art("minitorch._dynamo.backends.distributed", "ddp_graphs")
        self.user = get("some.random.module")


def _graph_table(nodes: tuple[Node, ...]) -> str:
    rows = [("opcode", "name", "target", "args"), *((n.opcode, n.name, n.target, ", ".join(n.args)) for n in nodes)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _graph_code(name: str, nodes: tuple[Node, ...]) -> str:
    params = ", ".join(n.name for n in nodes if n.opcode == "placeholder")
    body = [f"    {n.name} = {n.target}({', '.join(n.args)})" for n in nodes if n.opcode == "call_function"]
    out = next(n for n in nodes if n.opcode == "output")
    return "\n".join([f"def {name}(self, {params}):", *body, f"    return ({out.args[0]},)"])


def _bytecode(fn: Callable[..., object]) -> str:
    # One line per instruction, without dis's blank lines or the addresses of nested
    # code objects, so that two runs print the same text.
    lines = []
    for ins in dis.get_instructions(fn):
        arg = f"<code object {ins.argval.co_name}>" if isinstance(ins.argval, CodeType) else ins.argrepr
        lines.append(f"{ins.offset:>4} {ins.opname:<24} {arg}".rstrip())
    return "\n".join(lines)


def _compile(log: Loggers, frame: int, size: int) -> None:
    """
    One toy compile of toy_fn for inputs of length ``size``.
    """
    name = f"__compiled_fn_{frame}"
    log.eval_frame.info("dynamo: Step 1: start tracing toy_fn (inputs of size %d)", size)
    log.convert_frame.debug("dynamo: start compiling toy_fn %s:%d", _SOURCE, toy_fn.__code__.co_firstlineno)
    log.bytecode.debug("ORIGINAL BYTECODE toy_fn\n%s", LazyString(_bytecode, toy_fn))
    for node in GRAPH:
        log.symbolic_convert.debug("dynamo: TRACE %s %s", node.opcode, node.name)
    log.shapes.debug("dynamo: create_symbol s0 = %d for L['x'].size()[0]", size)
    log.shapes.info("dynamo: produce_guards: s0 == %d", size)
    log.graph_breaks.debug(
        "Graph break in user code at %s:%d\nReason: data-dependent branching on sum(b)",
        _SOURCE,
        toy_fn.__code__.co_firstlineno + 6,  # the line of `if sum(b) > 0:`
    )
    log.symbolic_convert.warning("dynamo: graph break in toy_fn on data-dependent control flow; splitting it in two")
    log.graph.debug("TRACED GRAPH\n ===== %s =====\n%s", name, LazyString(_graph_table, GRAPH))
    log.graph_code.debug("TRACED GRAPH\n ===== %s =====\n%s", name, LazyString(_graph_code, name, GRAPH))
    log.output_graph.info("dynamo: Step 2: calling the compiler backend for %s", name)
    log.guards.debug("GUARDS:\n  check_obj_id(L['toy_fn'], 4371)\n  len(L['x']) == %d\n  len(L['y']) == %d", size, size)
    log.eval_frame.debug("dynamo: done tracing toy_fn (RETURN_VALUE)")

    log.aot.info("aot: compiling the forward and backward graphs of %s", name)
    log.aot_joint_graph.debug(
        "Joint graph:\ndef joint(primals_1, primals_2, tangents_1):\n"
        "    mul = primals_1 * 0.5\n    add = mul + primals_2\n    mul_1 = tangents_1 * 0.5\n"
        "    return [add, mul_1, tangents_1]"
    )
    log.partitioner.debug("aot: the min-cut partitioner saves 0 activations for backward")
    log.aot_graphs.debug(
        "Forward graph:\ndef forward(primals_1, primals_2):\n    mul = primals_1 * 0.5\n"
        "    add = mul + primals_2\n    return [add]"
    )
    log.aot_graphs.debug(
        "Backward graph:\ndef backward(tangents_1):\n    mul_1 = tangents_1 * 0.5\n    return [mul_1, tangents_1]"
    )
    log.aot.warning("aot: input y was mutated in place; adding a copy to the graph")

    log.compile_fx.info("inductor: Step 3: compiling the forward graph of %s", name)
    log.compile_fx.debug("inductor: lowering %d nodes", len(GRAPH))
    log.output_code.debug(
        "Output code:\n# kernel for %s\ndef call(args):\n    x, y = args\n"
        "    out = [a * 0.5 + b for a, b in zip(x, y)]\n    return (out,)",
        name,
    )
    log.schedule.debug("scheduling kernels for %s:\n  buf0: fused(mul, add) -> kernel_0", name)
    log.scheduler.debug("inductor: the scheduler fused 2 nodes into 1 kernel")
    log.compile_fx.warning("inductor: no autotuning cache found; using the default block size")
    log.compile_fx.info("inductor: Step 3: done compiling %s", name)


def run(logs: LogSystem) -> None:
    """
    Run the toy pipeline: two compiles of toy_fn (the second a recompile), a backward
    pass through compiled autograd, a DDP split, and errors from each component.
    """
    log = Loggers(logs)
    log.user.debug("user code: building inputs")
    log.user.info("user code: calling the compiled toy_fn")
    log.user.warning("user code: toy_fn is compiled with an experimental backend")
    _compile(log, frame=0, size=4)
    log.recompiles.debug(
        "Recompiling function toy_fn in %s\n    triggered by the following guard failure(s):\n"
        "    - 0/0: len(L['x']) == 4  # got 8",
        _SOURCE,
    )
    log.convert_frame.warning("dynamo: recompiling toy_fn because its input sizes changed (4 -> 8)")
    _compile(log, frame=1, size=8)
    log.compiled_autograd.debug(
        "Cache miss due to new autograd node: MulBackward0\nTRACED GRAPH\n  grad = tangents * 0.5"
    )
    log.compiled_autograd.info("compiled autograd: backward graph captured (2 nodes)")
    log.ddp_graphs.debug("DDPOptimizer split the graph into 2 buckets:\n  bucket 0: mul\n  bucket 1: add")
    log.eval_frame.error("dynamo: toy_fn exceeded the recompile limit of 2; falling back to eager")
    log.aot.error("aot: could not save the forward graph's metadata; skipping the cache")
    log.compile_fx.error("inductor: kernel_0 failed its accuracy check; using the eager kernel")
    log.shapes.debug("dynamo: symbolic shapes produced 2 guards")
    log.user.info("user code: done, eager result %s", toy_fn([1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]))
