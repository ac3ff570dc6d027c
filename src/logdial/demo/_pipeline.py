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
import time
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
        self.logs = logs
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


_FORWARD = "def forward(primals_1, primals_2):\n    mul = primals_1 * 0.5\n    add = mul + primals_2\n    return [add]"
_BACKWARD = "def backward(tangents_1):\n    mul_1 = tangents_1 * 0.5\n    return [mul_1, tangents_1]"
_JOINT = (
    "def joint(primals_1, primals_2, tangents_1):\n"
    "    mul = primals_1 * 0.5\n    add = mul + primals_2\n    mul_1 = tangents_1 * 0.5\n"
    "    return [add, mul_1, tangents_1]"
)
_BREAK = "data-dependent branching on sum(b)"


def _kernel(name: str) -> str:
    return (
        f"# kernel for {name}\ndef call(args):\n    x, y = args\n"
        "    out = [a * 0.5 + b for a, b in zip(x, y)]\n    return (out,)"
    )


def _guards(size: int) -> list[dict[str, str]]:
    return [
        {"code": "check_obj_id(L['toy_fn'], 4371)"},
        {"code": f"len(L['x']) == {size}"},
        {"code": f"len(L['y']) == {size}"},
    ]


def _metrics(log: Loggers, start: float, **extra: object) -> dict[str, object]:
    return {
        "co_name": "toy_fn",
        "co_filename": _SOURCE,
        "co_firstlineno": toy_fn.__code__.co_firstlineno,
        "graph_op_count": 2,
        "graph_node_count": len(GRAPH),
        "graph_input_count": 2,
        "start_time": start,
        "entire_frame_compile_time_s": round(time.time() - start, 6),
        **extra,
    }


def _compile(log: Loggers, compile_id: int, size: int) -> None:
    """
    One toy compile of toy_fn for inputs of length ``size``, as compile id [0/compile_id]:
    attempt 0 stops at the graph break, attempt 1 compiles the graph.
    """
    logs, name, start = log.logs, f"__compiled_fn_{compile_id}", time.time()
    with logs.trace_context(frame_id=0, frame_compile_id=compile_id, attempt=0):
        logs.trace_structured("dynamo_start", lambda: {"stack": logs.trace_stack()})
        log.eval_frame.info("dynamo: Step 1: start tracing toy_fn (inputs of size %d)", size)
        log.convert_frame.debug("dynamo: start compiling toy_fn %s:%d", _SOURCE, toy_fn.__code__.co_firstlineno)
        log.bytecode.debug("ORIGINAL BYTECODE toy_fn\n%s", LazyString(_bytecode, toy_fn))
        for node in GRAPH:
            log.symbolic_convert.debug("dynamo: TRACE %s %s", node.opcode, node.name)
        log.shapes.debug("dynamo: create_symbol s0 = %d for L['x'].size()[0]", size)
        log.shapes.info("dynamo: produce_guards: s0 == %d", size)
        log.graph_breaks.debug(
            "Graph break in user code at %s:%d\nReason: %s",
            _SOURCE,
            toy_fn.__code__.co_firstlineno + 6,  # the line of `if sum(b) > 0:`
            _BREAK,
        )
        logs.trace_artifact("dynamo_graph_break_reason", lambda: f"Graph break in toy_fn: {_BREAK}")
        log.symbolic_convert.warning(
            "dynamo: graph break in toy_fn on data-dependent control flow; splitting it in two"
        )

    with logs.trace_context(frame_id=0, frame_compile_id=compile_id, attempt=1):
        log.graph.debug("TRACED GRAPH\n ===== %s =====\n%s", name, LazyString(_graph_table, GRAPH))
        log.graph_code.debug("TRACED GRAPH\n ===== %s =====\n%s", name, LazyString(_graph_code, name, GRAPH))
        logs.trace_structured(
            "dynamo_output_graph",
            lambda: {"sizes": {"l_x_": [size], "l_y_": [size], "mul": [size], "add": [size]}},
            payload_fn=lambda: _graph_code(name, GRAPH),
        )
        log.output_graph.info("dynamo: Step 2: calling the compiler backend for %s", name)
        log.guards.debug("GUARDS:\n%s", LazyString(lambda: "\n".join("  " + g["code"] for g in _guards(size))))
        logs.trace_structured("dynamo_guards", payload_fn=lambda: _guards(size))
        log.eval_frame.debug("dynamo: done tracing toy_fn (RETURN_VALUE)")

        log.aot.info("aot: compiling the forward and backward graphs of %s", name)
        log.aot_joint_graph.debug("Joint graph:\n%s", _JOINT)
        logs.trace_structured("aot_joint_graph", payload_fn=lambda: _JOINT)
        log.partitioner.debug("aot: the min-cut partitioner saves 0 activations for backward")
        log.aot_graphs.debug("Forward graph:\n%s", _FORWARD)
        log.aot_graphs.debug("Backward graph:\n%s", _BACKWARD)
        logs.trace_structured("aot_forward_graph", payload_fn=lambda: _FORWARD)
        logs.trace_structured("aot_backward_graph", payload_fn=lambda: _BACKWARD)
        log.aot.warning("aot: input y was mutated in place; adding a copy to the graph")

        log.compile_fx.info("inductor: Step 3: compiling the forward graph of %s", name)
        log.compile_fx.debug("inductor: lowering %d nodes", len(GRAPH))
        logs.trace_artifact("fx_graph_cache_miss", lambda: {"key": f"toy_fn_{size}", "components": 2}, encoding="json")
        log.output_code.debug("Output code:\n%s", LazyString(_kernel, name))
        logs.trace_structured(
            "inductor_output_code", lambda: {"filename": f"/tmp/minitorch/{name}.py"}, payload_fn=lambda: _kernel(name)
        )
        log.schedule.debug("scheduling kernels for %s:\n  buf0: fused(mul, add) -> kernel_0", name)
        log.scheduler.debug("inductor: the scheduler fused 2 nodes into 1 kernel")
        log.compile_fx.warning("inductor: no autotuning cache found; using the default block size")
        log.compile_fx.info("inductor: Step 3: done compiling %s", name)
        logs.trace_structured(
            "compilation_metrics", lambda: _metrics(log, start, restart_reasons=[f"Graph break: {_BREAK}"])
        )


def run(logs: LogSystem) -> None:
    """
    Run the toy pipeline: two compiles of toy_fn (the second a recompile), a third that
    hits the recompile limit, a backward pass through compiled autograd, a DDP split, and
    errors from each component. Each compile is traced under its compile id.
    """
    log = Loggers(logs)
    # tlparse's index links logdial's own report of the same trace, made beside it:
    # `tlparse TRACE -o tl_out` and `logdial report TRACE -o logdial_report`.
    logs.trace_structured(
        "link", lambda: {"name": "logdial report", "url": "../logdial_report/index.html"}, expect_trace_id=False
    )
    log.user.debug("user code: building inputs")
    log.user.info("user code: calling the compiled toy_fn")
    log.user.warning("user code: toy_fn is compiled with an experimental backend")
    _compile(log, compile_id=0, size=4)
    with logs.trace_context(frame_id=0, frame_compile_id=1, attempt=0):
        log.recompiles.debug(
            "Recompiling function toy_fn in %s\n    triggered by the following guard failure(s):\n"
            "    - 0/0: len(L['x']) == 4  # got 8",
            _SOURCE,
        )
        log.convert_frame.warning("dynamo: recompiling toy_fn because its input sizes changed (4 -> 8)")
    _compile(log, compile_id=1, size=8)
    with logs.trace_context(compiled_autograd_id=0):
        log.compiled_autograd.debug(
            "Cache miss due to new autograd node: MulBackward0\nTRACED GRAPH\n  grad = tangents * 0.5"
        )
        logs.trace_structured(
            "compiled_autograd_graph", payload_fn=lambda: "def backward(tangents):\n    grad = tangents * 0.5"
        )
        log.compiled_autograd.info("compiled autograd: backward graph captured (2 nodes)")
    with logs.trace_context(frame_id=0, frame_compile_id=1, attempt=1):
        log.ddp_graphs.debug("DDPOptimizer split the graph into 2 buckets:\n  bucket 0: mul\n  bucket 1: add")
        logs.trace_structured("optimize_ddp_split_graph", payload_fn=lambda: "submod_0: mul\nsubmod_1: add")
        logs.trace_structured("optimize_ddp_split_child", lambda: {"name": "submod_0"}, payload_fn=lambda: "mul")
    start = time.time()
    with logs.trace_context(frame_id=0, frame_compile_id=2, attempt=0):
        logs.trace_structured("dynamo_start", lambda: {"stack": logs.trace_stack()})
        log.eval_frame.error("dynamo: toy_fn exceeded the recompile limit of 2; falling back to eager")
        logs.trace_structured(
            "compilation_metrics",
            lambda: _metrics(
                log,
                start,
                graph_op_count=0,
                fail_type="RecompileLimitExceeded",
                fail_reason="toy_fn exceeded the recompile limit of 2 (last failed guard: len(L['x']) == 8)",
                fail_user_frame_filename=_SOURCE,
                fail_user_frame_lineno=toy_fn.__code__.co_firstlineno,
            ),
        )
    log.aot.error("aot: could not save the forward graph's metadata; skipping the cache")
    log.compile_fx.error("inductor: kernel_0 failed its accuracy check; using the eager kernel")
    log.shapes.debug("dynamo: symbolic shapes produced 2 guards")
    log.user.info("user code: done, eager result %s", toy_fn([1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]))
