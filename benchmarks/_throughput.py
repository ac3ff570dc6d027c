"""The enabled paths: lines to a file, the formatter alone, traces, settings, threads, import."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from _harness import Loop

import logdial

MESSAGE = "compiled %s in %d ms"
FIVE_LINES = "line one %s\nline two\nline three\nline four\nline five %d"


def _file_logger(name: str, path: Path, formatter: logging.Formatter) -> logging.Logger:
    log = logging.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(formatter)
    log.addHandler(handler)
    return log


def _info_loop(log: Any, message: str = MESSAGE) -> Loop:
    def loop(n: int, log: Any = log) -> None:
        for _ in range(n):
            log.info(message, "toy_fn", 12)

    return loop


def file_lines(
    tmp: Path, torch: object | None, message: str = MESSAGE, *, peers: bool = True
) -> tuple[dict[str, Loop], dict[str, Path]]:
    """
    One enabled INFO record per call, formatted and appended to a file, for each library
    (the stdlib's and torch's only, without ``peers``).
    """
    paths: dict[str, Path] = {}
    loops: dict[str, Loop] = {}
    tag = "5" if message is FIVE_LINES else "1"
    logs = logdial.LogSystem(f"benchfile{tag}")
    logs.register_log("core", [f"benchfile{tag}.core"])
    paths["logdial"] = tmp / f"logdial{tag}.log"
    logs.set_output(console="none", file=str(paths["logdial"]))
    logs.init({f"BENCHFILE{tag}_LOGS": "core"})
    loops["logdial"] = _info_loop(logs.getLogger(f"benchfile{tag}.core.mod"), message)
    # The README's library example: a plain logging.getLogger(__name__) under a component.
    loops["logdial, plain logger"] = _info_loop(logging.getLogger(f"benchfile{tag}.core.plain"), message)
    # The same system with live control on (a channel open in this process): the record's path is the same.
    controlled = logdial.LogSystem(f"benchctl{tag}")
    controlled.register_log("core", [f"benchctl{tag}.core"])
    paths["logdial, live control on"] = tmp / f"controlled{tag}.log"
    controlled.set_output(console="none", file=str(paths["logdial, live control on"]))
    controlled.init({f"BENCHCTL{tag}_LOGS": "core", f"BENCHCTL{tag}_LOGS_CONTROL": "1"})
    loops["logdial, live control on"] = _info_loop(controlled.getLogger(f"benchctl{tag}.core.mod"), message)
    paths["stdlib"] = tmp / f"stdlib{tag}.log"
    loops["stdlib"] = _info_loop(
        _file_logger(f"bench.file{tag}", paths["stdlib"], logging.Formatter(logging.BASIC_FORMAT)), message
    )
    if torch is not None:
        from torch._logging._internal import TorchLogsFormatter

        paths["torch"] = tmp / f"torch{tag}.log"
        loops["torch"] = _info_loop(
            _file_logger(f"torch._dynamo.bench{tag}", paths["torch"], TorchLogsFormatter()), message
        )
    if not peers:
        return loops, paths
    try:
        from loguru import logger
    except ImportError:
        pass
    else:
        paths["loguru"] = tmp / f"loguru{tag}.log"
        logger.remove()
        logger.add(paths["loguru"], level="INFO", enqueue=False, catch=False)
        fmt = message.replace("%s", "{}").replace("%d", "{}")

        def loguru_loop(n: int, info: Any = logger.info) -> None:
            for _ in range(n):
                info(fmt, "toy_fn", 12)

        loops["loguru"] = loguru_loop
    try:
        import structlog
    except ImportError:
        pass
    else:
        paths["structlog"] = tmp / f"structlog{tag}.log"
        stream = open(paths["structlog"], "a", encoding="utf-8")  # noqa: SIM115 (lives for the run)
        slog = structlog.wrap_logger(
            structlog.WriteLogger(stream),
            processors=[structlog.processors.TimeStamper(fmt="iso"), structlog.processors.JSONRenderer()],
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        )

        def structlog_loop(n: int, info: Any = slog.info) -> None:
            for _ in range(n):
                info(message, "toy_fn", 12)

        loops["structlog"] = structlog_loop
    try:
        import picologging
    except ImportError:
        pass
    else:
        paths["picologging"] = tmp / f"pico{tag}.log"
        plog = picologging.getLogger(f"bench.pico{tag}")
        plog.setLevel(picologging.DEBUG)
        ph = picologging.FileHandler(str(paths["picologging"]))
        ph.setFormatter(picologging.Formatter(picologging.BASIC_FORMAT))
        plog.addHandler(ph)
        loops["picologging"] = _info_loop(plog, message)
    return loops, paths


def formatters(torch: object | None, message: str = MESSAGE) -> dict[str, Loop]:
    """
    ``format(record)`` alone on one hand-made record.
    """
    record = logging.LogRecord("benchfmt.core.mod", logging.INFO, __file__, 42, message, ("toy_fn", 12), None)
    logs = logdial.LogSystem("benchfmt")
    logs.register_log("core", ["benchfmt.core"])
    logs.set_output(console="none")
    logs.init({})
    ours = logs._formatter(None, color=False)

    def loop_for(fmt: logging.Formatter) -> Loop:
        def loop(n: int, format_: Any = fmt.format, record: logging.LogRecord = record) -> None:
            for _ in range(n):
                format_(record)

        return loop

    out = {"logdial": loop_for(ours), "stdlib": loop_for(logging.Formatter(logging.BASIC_FORMAT))}
    if torch is not None:
        from torch._logging._internal import TorchLogsFormatter

        out["torch"] = loop_for(TorchLogsFormatter())
    return out


PAYLOAD = "\n".join(f"    line {i} = op_{i}(x, y)" for i in range(10))


def traces_on(tmp: Path, torch: object | None) -> dict[str, Loop]:
    """
    ``trace_structured`` with tracing on and a 10-line payload, to the trace file.
    """
    logs = logdial.LogSystem("benchtrace")
    logs.set_trace_dir(tmp / "logdial_trace")

    def ours(n: int, trace: Any = logs.trace_structured, ctx: Any = logs.trace_context) -> None:
        with ctx(frame_id=0, frame_compile_id=0):
            for _ in range(n):
                trace("dynamo_output_graph", dict, payload_fn=lambda: PAYLOAD)

    out = {"logdial": ours}
    if torch is not None:
        import torch._logging as tl
        from torch._logging import _internal

        handler = _internal.LazyTraceHandler(str(tmp / "torch_trace"))
        handler.setFormatter(_internal.TorchLogsFormatter(trace=True))
        _internal.trace_log.addHandler(handler)
        from torch._guards import CompileContext, CompileId, compile_context

        def theirs(n: int, trace: Any = tl.trace_structured) -> None:
            with compile_context(CompileContext(CompileId(frame_id=0, frame_compile_id=0))):
                for _ in range(n):
                    trace("dynamo_output_graph", dict, payload_fn=lambda: PAYLOAD)

        out["torch"] = theirs
    return out


def same_bytes(paths: dict[str, Path]) -> str:
    """
    Whether logdial's line has the layout of torch's (timestamps and pids aside).
    """
    if "torch" not in paths:
        return "n/a (torch not installed)"

    def shape(path: Path) -> str:
        line = path.read_text(encoding="utf-8").splitlines()[0]
        return re.sub(r"^([VIWEC])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} \d+ ", r"\1MMDD HH:MM:SS.ffffff PID ", line)

    ours, theirs = shape(paths["logdial"]), shape(paths["torch"])
    # The two lines come from different loggers and call sites in this file.
    ours, theirs = (re.sub(r":\d+\] ", ":N] ", s) for s in (ours, theirs))
    return "same layout" if ours == theirs else f"DIFFERENT: {ours!r} vs {theirs!r}"


def torch_registry_apply(torch: object | None) -> dict[str, Loop]:
    """
    set_logs for PyTorch's registry (its components and artifacts, one artifact logger
    each), logdial against torch's own set_logs, alternating two settings.
    """
    out: dict[str, Loop] = {}
    if torch is None:
        return out
    import torch._logging as tl
    from torch._logging import _internal

    registry = _internal.log_registry
    logs = logdial.LogSystem("benchtorch", root="benchtorch")
    for alias, names in registry.log_alias_to_log_qnames.items():
        if alias != "torch":
            logs.register_log(alias, [n.replace("torch", "benchtorch", 1) for n in names])
    for artifact in registry.artifact_names:
        logs.register_artifact(artifact, registry.artifact_descriptions.get(artifact, "") or artifact,
                               off_by_default=artifact in registry.off_by_default_artifact_names)  # fmt: skip
        logs.getArtifactLogger("benchtorch._dynamo.bench", artifact)
        tl.getArtifactLogger("torch._dynamo.bench", artifact)
    logs.set_output(console="none")
    logs.init({})

    def ours(n: int) -> None:
        for i in range(n):
            if i % 2:
                logs.set_logs(dynamo=logging.DEBUG, graph_code=True)
            else:
                logs.set_logs(inductor=logging.INFO, guards=True)

    def theirs(n: int) -> None:
        for i in range(n):
            if i % 2:
                tl.set_logs(dynamo=logging.DEBUG, graph_code=True)
            else:
                tl.set_logs(inductor=logging.INFO, guards=True)

    out["logdial"], out["torch"] = ours, theirs
    return out


def apply_curve(sizes: tuple[int, ...] = (100, 1000, 10_000), unrelated: int = 10_000) -> dict[int, float]:
    """
    Seconds per set_logs for systems of N registered names (N/2 components, N/2 artifact
    loggers), with ``unrelated`` other loggers in the process; in a fresh interpreter each.
    """
    code = textwrap.dedent(
        """
        import logging, sys, time
        import logdial
        n, unrelated = int(sys.argv[1]), int(sys.argv[2])
        for i in range(unrelated):
            logging.getLogger(f"unrelated.pkg{i % 100}.mod{i}")
        logs = logdial.LogSystem("curve")
        for i in range(n // 2):
            logs.register_log(f"c{i}", [f"curve.c{i}"])
            logs.register_artifact(f"a{i}", "x")
            logs.getArtifactLogger(f"curve.c{i}.mod", f"a{i}")
        logs.set_output(console="none")
        logs.init({})
        best = float("inf")
        for r in range(5):
            start = time.perf_counter()
            logs.set_logs("+c0,a1" if r % 2 else "c1=error")
            best = min(best, time.perf_counter() - start)
        print(best)
        """
    )
    out = {}
    for n in sizes:
        result = subprocess.run(
            [sys.executable, "-c", code, str(n), str(unrelated)], capture_output=True, text=True, check=True
        )
        out[n] = float(result.stdout)
    return out


def registration_curve(
    sizes: tuple[int, ...] = (100, 1000, 10_000), unrelated: int = 10_000
) -> dict[int, tuple[float, float]]:
    """
    Seconds to register N components (before ``init()``) and to make N artifact loggers
    after ``init()`` (half of them for an artifact that is off by default, so that their
    level changes), with ``unrelated`` other loggers in the process; a fresh interpreter each.
    """
    code = textwrap.dedent(
        """
        import logging, sys, time
        import logdial
        n, unrelated = int(sys.argv[1]), int(sys.argv[2])
        for i in range(unrelated):
            logging.getLogger(f"unrelated.pkg{i % 100}.mod{i}")
        logs = logdial.LogSystem("regcurve")
        logs.set_output(console="none")
        logs.register_artifact("graph", "on with its component")
        logs.register_artifact("schedule", "off by default", off_by_default=True)
        start = time.perf_counter()
        for i in range(n):
            logs.register_log(f"c{i}", [f"regcurve.c{i}"])
        registered = time.perf_counter() - start
        logs.init({})
        start = time.perf_counter()
        for i in range(n):
            logs.getArtifactLogger(f"regcurve.c{i}.mod", "schedule" if i % 2 else "graph")
        print(registered, time.perf_counter() - start)
        """
    )
    out = {}
    for n in sizes:
        result = subprocess.run(
            [sys.executable, "-c", code, str(n), str(unrelated)], capture_output=True, text=True, check=True
        )
        registered, made = result.stdout.split()
        out[n] = (float(registered), float(made))
    return out


def wildcard_registrations(sizes: tuple[int, ...] = (2000, 10_000)) -> dict[int, tuple[float, float]]:
    """
    Seconds to register N components and N artifacts after ``init()`` with
    ``{P}_LOGS=+base`` and with ``+*`` (a wildcard, which each registration must be
    matched against); a fresh interpreter each.
    """
    code = textwrap.dedent(
        """
        import sys, time
        import logdial
        n, settings = int(sys.argv[1]), sys.argv[2]
        logs = logdial.LogSystem("wildreg")
        logs.set_output(console="none")
        logs.register_log("base", ["wildreg.base"])
        logs.init({"WILDREG_LOGS": settings})
        start = time.perf_counter()
        for i in range(n):
            logs.register_log(f"c{i}", [f"wildreg.c{i}"])
            logs.register_artifact(f"a{i}", "an artifact")
        took = time.perf_counter() - start
        logs.settings  # (what was added is folded in when the settings are read)
        print(took, time.perf_counter() - start)
        """
    )
    out = {}
    for n in sizes:
        times = []
        for settings in ("+base", "+*"):
            result = subprocess.run([sys.executable, "-c", code, str(n), settings], capture_output=True, text=True,
                                    check=True)  # fmt: skip
            times.append(float(result.stdout.split()[1]))
        out[n] = (times[0], times[1])
    return out


def threads(tmp: Path, records: int = 20_000) -> tuple[float, float, str]:
    """
    Records per second of 1 and of 4 threads logging to one file, pinned to one CPU, in a
    fresh interpreter; and whether every line arrived whole, once.
    """
    code = textwrap.dedent(
        """
        import logging, os, sys, threading, time
        import logdial
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        path, count, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        logs = logdial.LogSystem("threads")
        logs.register_log("core", ["threads.core"])
        logs.set_output(console="none", file=path)
        logs.init({"THREADS_LOGS": "core"})
        log = logs.getLogger("threads.core.mod")
        def work(k):
            for i in range(count // workers):
                log.info("worker %d record %d", k, i)
        ts = [threading.Thread(target=work, args=(k,)) for k in range(workers)]
        start = time.perf_counter()
        for t in ts: t.start()
        for t in ts: t.join()
        print(count / (time.perf_counter() - start))
        """
    )
    rates = []
    check = "ok"
    for workers in (1, 4):
        path = tmp / f"threads{workers}.log"
        result = subprocess.run([sys.executable, "-c", code, str(path), str(records), str(workers)],
                                capture_output=True, text=True, check=True)  # fmt: skip
        rates.append(float(result.stdout))
        lines = path.read_text(encoding="utf-8").splitlines()
        messages = {line.split("] ", 1)[1] for line in lines}
        expected = {f"worker {k} record {i}" for k in range(workers) for i in range(records // workers)}
        if len(lines) != len(expected) or messages != expected:
            check = f"LOST OR TORN with {workers} threads: {len(lines)} lines for {len(expected)} records"
    return rates[0], rates[1], check


def _top_level_import_ms(statement: str) -> float:
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True
    ).stderr
    total = 0
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            total += int(parts[1])
    return total / 1000


def import_times(rounds: int = 7) -> dict[str, float]:
    """
    Milliseconds that each statement spends importing, in a fresh interpreter, net of
    what the interpreter imports at start (medians of ``rounds``; -X importtime).
    """
    statements = {"pass": "pass", "logging": "import logging", "logdial": "import logdial; logdial.LogSystem('x')"}
    samples: dict[str, list[float]] = {k: [] for k in statements}
    for _ in range(rounds):  # interleaved, like the other rows
        for label, statement in statements.items():
            samples[label].append(_top_level_import_ms(statement))
    medians = {k: sorted(v)[len(v) // 2] for k, v in samples.items()}
    return {k: medians[k] - medians["pass"] for k in ("logging", "logdial")}


def pth_startup(runs: int = 41) -> dict[str, float]:
    """
    Milliseconds ``python -c pass`` takes in one virtualenv with the README's permanent
    takeover line in a ``.pth`` file (``import _logdial_pth; _logdial_pth.install()``),
    with the line earlier READMEs showed (``import logdial.pytorch; ...``), and without a
    line: medians of ``runs`` each, interleaved (the file is rewritten or taken out between
    runs). The venv sees this interpreter's packages through a path line.
    """
    import sysconfig
    import tempfile
    import time
    import venv

    lines = {
        "the line": "import _logdial_pth; _logdial_pth.install()\n",
        "the earlier line": "import logdial.pytorch; logdial.pytorch.install()\n",
        "no line": None,
    }
    with tempfile.TemporaryDirectory() as d:
        env = Path(d) / "venv"
        venv.create(env, with_pip=False)
        python = env / "bin" / "python"
        purelib = subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        # (read first: .pth files go in name order)
        (Path(purelib) / "00-packages.pth").write_text(sysconfig.get_path("purelib") + "\n")
        pth = Path(purelib) / "logdial-pytorch.pth"
        samples: dict[str, list[float]] = {name: [] for name in lines}
        for _ in range(runs):
            for name, line in lines.items():
                if line is None:
                    pth.unlink(missing_ok=True)
                else:
                    pth.write_text(line)
                start = time.perf_counter()
                done = subprocess.run([python, "-c", "pass"], check=True, capture_output=True, text=True)
                samples[name].append((time.perf_counter() - start) * 1e3)
                if done.stderr:  # a line that fails is reported, and measures nothing
                    raise RuntimeError(f"the .pth line failed: {done.stderr}")
        return {name: sorted(times)[runs // 2] for name, times in samples.items()}


#: The child of ``torch_compile``: a small real model, compiled and called once.
COMPILE_CHILD = """
import json, os, sys, time

start = time.perf_counter()
variant, backend = sys.argv[1], sys.argv[2]
if variant == "takeover":
    import logdial.pytorch

    logdial.pytorch.install()
import torch

imported = time.perf_counter()


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(32, 64)
        self.b = torch.nn.Linear(64, 8)

    def forward(self, x):
        x = torch.relu(self.a(x))
        torch._dynamo.graph_break()  # two graphs: Dynamo resumes after a break
        return torch.relu(self.b(x)).sum(-1)


torch.manual_seed(0)
model = Net()
x = torch.randn(4, 32)
compiled = torch.compile(model, backend=backend)
before = time.perf_counter()
out = compiled(x)  # the first call compiles
after = time.perf_counter()
torch.testing.assert_close(out, model(x))
if variant == "takeover":
    system = logdial.pytorch.get_system()
    taken = system is not None and system.root == "torch"
else:
    taken = "logdial" in sys.modules  # (a .pth takeover line would make plain torch not plain)
# logdial's modules read from source, not from their bytecode cache (the import costs more)
specs = [m.__spec__ for name, m in sys.modules.items() if name.split(".")[0] == "logdial"]
uncached = [s.name for s in specs if s and s.cached and not os.path.exists(s.cached)]
print(json.dumps({"import_s": imported - start, "compile_s": after - before, "taken_over": taken,
                  "uncached": uncached}))
"""

#: Environment variables that make torch log, trace or compile differently: none reaches the children.
_TORCH_SETTINGS = ("TORCH_LOGS", "TORCH_TRACE", "TORCH_COMPILE_DEBUG", "TORCHINDUCTOR_", "TORCHDYNAMO_", "COVERAGE_")


def torch_compile(
    runs: int = 15, backends: tuple[str, ...] = ("eager", "inductor")
) -> dict[str, dict[str, list[float]]]:
    """
    Milliseconds of ``torch.compile(model, backend=...)``'s first call (the compile) and of
    ``import torch``, in a fresh interpreter each, on plain torch and under the takeover
    (``logdial.pytorch.install()`` before ``import torch``; its import counts in the
    import figure), with ``TORCH_LOGS`` and every other ``TORCH_LOGS_*``, ``TORCH_TRACE``
    and ``TORCHINDUCTOR_*`` variable (and ``TORCHDYNAMO_*``, ``COVERAGE_*``) unset;
    ``runs`` rounds per backend, the two variants interleaved (their order alternating).
    Per backend: ``{"plain compile_ms": [...], "takeover compile_ms": [...],
    "plain import_ms": ..., "plain wall_ms": ...}``.

    Caches: every child would otherwise share ``/tmp/torchinductor_$USER`` with whatever
    else runs on the machine, and a hit in inductor's FX graph cache or AOTAutograd cache
    skips most of the compile (Dynamo alone is left). So the children share one private
    ``TORCHINDUCTOR_CACHE_DIR`` with both caches off (``TORCHINDUCTOR_FX_GRAPH_CACHE=0``,
    ``TORCHINDUCTOR_AUTOGRAD_CACHE=0``): each child runs Dynamo, AOTAutograd, inductor's
    lowering, scheduling and code generation in full, where torch's log call sites are.
    What the directory does keep is the C++ that inductor builds, keyed by its source: one
    unmeasured warm-up child per variant builds it, and the measured children load the
    same ``.so`` files. A fresh directory per child would also rebuild them with the C++
    compiler (and its vector ISA probe): about 10 s a compile on this 2-core machine, of
    which the Python side is about 2 s, so the compiler's own noise would hide what is
    measured. A measured child that builds anything raises.
    """
    import os
    import tempfile
    import time

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(_TORCH_SETTINGS)}
    out: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="logdial-compile-bench-") as d:
        cache, script = Path(d) / "inductor", Path(d) / "compile_child.py"
        script.write_text(COMPILE_CHILD, encoding="utf-8")  # (a file: Dynamo reads the source of what it traces)
        env = {**base_env, "TORCHINDUCTOR_CACHE_DIR": str(cache), "TORCHINDUCTOR_FX_GRAPH_CACHE": "0",
               "TORCHINDUCTOR_AUTOGRAD_CACHE": "0"}  # fmt: skip
        warned: list[bool] = []

        def built() -> set[Path]:
            return set(cache.rglob("*.so"))

        def child(variant: str, backend: str) -> tuple[dict[str, Any], float]:
            start = time.perf_counter()
            done = subprocess.run([sys.executable, str(script), variant, backend], env=env,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            wall = time.perf_counter() - start
            if done.returncode != 0:
                raise RuntimeError(f"the {variant} {backend} child failed:\n{done.stderr}")
            result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
            if result["taken_over"] != (variant == "takeover"):
                raise RuntimeError(f"the {variant} {backend} child is {'' if result['taken_over'] else 'not '}"
                                   f"under the takeover:\n{done.stderr}")  # fmt: skip
            if result["uncached"] and not warned:
                warned.append(True)
                print(
                    f"note: {len(result['uncached'])} logdial modules read from source, without bytecode, in "
                    "every child under the takeover (PYTHONDONTWRITEBYTECODE and no __pycache__?)",
                    file=sys.stderr,
                )
            return result, wall

        for backend in backends:
            samples: dict[str, list[float]] = {}
            for variant in ("plain", "takeover"):  # the warm-up: C++ built, files in the OS cache
                child(variant, backend)
            for i in range(runs):
                order = ("plain", "takeover") if i % 2 == 0 else ("takeover", "plain")
                for variant in order:
                    before = built()
                    result, wall = child(variant, backend)
                    if built() != before:
                        raise RuntimeError(f"a measured {variant} {backend} child built C++: {built() - before}")
                    samples.setdefault(f"{variant} compile_ms", []).append(result["compile_s"] * 1e3)
                    samples.setdefault(f"{variant} import_ms", []).append(result["import_s"] * 1e3)
                    samples.setdefault(f"{variant} wall_ms", []).append(wall * 1e3)
            out[backend] = samples
    return out
