"""logdial against its peers, measured side by side in one process: ``make bench``.

Every row is a ratio of two figures measured in the same run, interleaved round by round;
the absolute times are printed for reference only. Peers that are not installed show as
n/a. ``--quick`` runs fewer, shorter rounds (for before/after checks of a hot path);
``--section torch_compile`` runs only that section, ``--rounds N`` N rounds.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Loop, Samples, interleave
from _merge_bench import merge_rows, summary
from _throughput import (
    FIVE_LINES,
    apply_curve,
    file_lines,
    formatters,
    import_times,
    pth_startup,
    registration_curve,
    same_bytes,
    threads,
    torch_compile,
    torch_registry_apply,
    traces_on,
    wildcard_registrations,
)

import logdial
from logdial._lazy import PyLazyString


@dataclass
class Row:
    name: str
    ours: float | None
    peer: float | None
    peer_name: str
    unit: str
    target: str
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.peer is None or self.peer == 0:
            return None
        return self.ours / self.peer


def _optional(name: str) -> object | None:
    try:
        return __import__(name)
    except ImportError:
        return None


# -- systems under test ---------------------------------------------------------------------


def logdial_system(tmp: Path, *, enabled: str = "") -> tuple[logdial.LogSystem, logging.Logger, logging.Logger]:
    logs = logdial.LogSystem("benchsys")
    logs.register_log("core", ["benchsys.core"])
    logs.register_artifact("graph_code", "The graph as code.")
    art = logs.getArtifactLogger("benchsys.core.passes", "graph_code")
    logs.set_output(console="none", file=str(tmp / "logdial.log"))
    logs.init({"BENCHSYS_LOGS": enabled} if enabled else {})
    return logs, art, logs.getLogger("benchsys.core.passes")


def disabled_calls(tmp: Path, torch: object | None, *, peers: bool = True) -> dict[str, Loop]:
    std = logging.getLogger("bench.stdlib.disabled")
    std.setLevel(logging.WARNING)
    std.addHandler(logging.NullHandler())
    _, art, comp = logdial_system(tmp)

    def loop_for(log: object) -> Loop:
        def loop(n: int, log: Any = log) -> None:
            for _ in range(n):
                log.debug("x %s", 1)

        return loop

    class Floor:
        def debug(self, msg: object, *args: object, **kwargs: object) -> None:
            pass

    candidates = {
        "stdlib": loop_for(std),
        "logdial artifact": loop_for(art),
        "logdial component": loop_for(comp),
        "signature floor": loop_for(Floor()),
    }
    if torch is not None:
        import torch._logging as tl

        candidates["torch artifact"] = loop_for(tl.getArtifactLogger("torch._dynamo.benchmod", "graph_code"))
    if not peers:
        return candidates
    loguru = _optional("loguru")
    if loguru is not None:
        from loguru import logger

        logger.remove()
        logger.add(io.StringIO(), level="WARNING")

        def loguru_loop(n: int, debug: Callable[..., object] = logger.debug) -> None:
            for _ in range(n):
                debug("x {}", 1)

        candidates["loguru"] = loguru_loop
    structlog = _optional("structlog")
    if structlog is not None:
        import structlog as sl

        sl.configure(
            wrapper_class=sl.make_filtering_bound_logger(logging.WARNING),
            logger_factory=sl.PrintLoggerFactory(io.StringIO()),
        )
        candidates["structlog"] = loop_for(sl.get_logger().bind())
    pico = _optional("picologging")
    if pico is not None:
        import picologging

        plog = picologging.getLogger("bench.pico")
        plog.setLevel(picologging.WARNING)
        candidates["picologging"] = loop_for(plog)
    return candidates


def empty_loop(n: int) -> None:
    for _ in range(n):
        pass


def _empty() -> None:
    pass


def empty_call(n: int, f: Callable[[], None] = _empty) -> None:
    for _ in range(n):
        f()


def guards(tmp: Path) -> dict[str, Loop]:
    _, art, _ = logdial_system(tmp)

    def guard(n: int, log: object = art) -> None:
        for _ in range(n):
            if log.enabled:  # type: ignore[attr-defined]
                pass

    if not hasattr(art, "enabled"):
        return {"empty call": empty_call}
    return {"logdial if art.enabled": guard, "empty call": empty_call}


def lazy_calls(tmp: Path, torch: object | None) -> dict[str, Loop]:
    std = logging.getLogger("bench.stdlib.lazy")
    std.setLevel(logging.WARNING)
    _, art, _ = logdial_system(tmp)

    def expensive() -> str:
        return "x" * 10

    def lazy_loop(debug: Callable[..., object], lazy: type) -> Loop:
        # The same call for each LazyString type, each bound as a local like the others.
        def loop(n: int, debug: Callable[..., object] = debug, lazy: type = lazy) -> None:
            for _ in range(n):
                debug("graph %s", lazy(expensive))

        return loop

    def plain(n: int, debug: Callable[..., object] = std.debug) -> None:
        for _ in range(n):
            debug("x %s", 1)

    # logdial.LazyString is the C type where the wheel was built with a compiler, and
    # PyLazyString where it was not: each its own row.
    out = {
        "stdlib": plain,
        "logdial": lazy_loop(art.debug, logdial.LazyString),
        "logdial pure Python": lazy_loop(art.debug, PyLazyString),
    }
    if torch is not None:
        import torch._logging as tl

        tart = tl.getArtifactLogger("torch._dynamo.benchlazy", "graph_code")
        out["torch"] = lazy_loop(tart.debug, tl.LazyString)
    return out


def trace_off(tmp: Path, torch: object | None) -> dict[str, Loop]:
    logs, _, _ = logdial_system(tmp)
    calls = [0]

    def meta() -> dict[str, object]:
        calls[0] += 1
        return {}

    def ours(n: int, trace: Callable[..., None] = logs.trace_structured) -> None:
        for _ in range(n):
            trace("mylib_event", meta)

    def payload() -> str:
        return "text"

    def ours_keyword(n: int, trace: Callable[..., None] = logs.trace_structured) -> None:
        for _ in range(n):
            trace("mylib_event", payload_fn=payload)  # the form of PyTorch's call sites

    std = logging.getLogger("bench.stdlib.trace")
    std.setLevel(logging.WARNING)

    def plain(n: int, debug: Callable[..., object] = std.debug) -> None:
        for _ in range(n):
            debug("x %s", 1)

    out = {"stdlib": plain, "logdial": ours, "logdial keyword": ours_keyword}
    if torch is not None:
        import torch._logging as tl
        from torch._logging import _internal

        # With TORCH_TRACE unset, torch's lazy trace handler drops itself once it has seen
        # a record; measure that steady state, not the first calls.
        tl.trace_structured("mylib_warmup", dict)
        for handler in list(_internal.trace_log.handlers):
            if type(handler).__name__ == "LazyTraceHandler" and not os.environ.get("TORCH_TRACE"):
                _internal.trace_log.removeHandler(handler)

        def theirs(n: int, trace: Callable[..., None] = tl.trace_structured) -> None:
            for _ in range(n):
                trace("mylib_event", meta)

        def theirs_keyword(n: int, trace: Callable[..., None] = tl.trace_structured) -> None:
            for _ in range(n):
                trace("mylib_event", payload_fn=payload)

        out["torch"] = theirs
        out["torch keyword"] = theirs_keyword
    return out


def python_rows(rounds: int, target: float, json_path: Path | None) -> None:
    """
    The fast paths against the stdlib alone, on whichever Python runs this: ``make bench``
    runs it on each CPython it tests (no torch or other peers there).
    """
    version = platform.python_version()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        lazy = lazy_calls(tmp, None)
        trace = trace_off(tmp, None)
        loops = {
            **disabled_calls(tmp, None, peers=False),
            "LazyString": lazy["logdial"],
            "LazyString, pure Python": lazy["logdial pure Python"],
            "trace positional": trace["logdial"],
            "trace keyword": trace["logdial keyword"],
            "(empty loop)": empty_loop,
        }
        disabled = interleave(loops, rounds, target)
        base = disabled.pop("(empty loop)")
        for s in disabled.values():
            s.ns = [max(v - b, 0.01) for v, b in zip(s.ns, base.ns, strict=True)]
        files = interleave(file_lines(tmp, None, peers=False)[0], rounds, target)
    startup = pth_startup(runs=21)
    std = disabled["stdlib"].median
    rows = [
        Row(f"{version}: disabled artifact .debug('x %s', 1)", disabled["logdial artifact"].median, std, "stdlib",
            "ns", "<= 0.60"),
        Row(f"{version}: disabled component .debug('x %s', 1)", disabled["logdial component"].median, std, "stdlib",
            "ns", "<= 0.60"),
        Row(f"{version}: disabled .debug('graph %s', LazyString(fn))", disabled["LazyString"].median, std, "stdlib",
            "ns", "<= 1.10"),
        Row(f"{version}:   the same, pure-Python LazyString", disabled["LazyString, pure Python"].median, std,
            "stdlib", "ns", ""),
        Row(f"{version}: trace_structured('x', fn), off", disabled["trace positional"].median, std, "stdlib",
            "ns", "<= 0.60"),
        Row(f"{version}: trace_structured('x', payload_fn=fn), off", disabled["trace keyword"].median, std, "stdlib",
            "ns", "<= 0.60"),
        Row(f"{version}: enabled record to a file, msgs/s", 1e9 / files["logdial"].median,
            1e9 / files["stdlib"].median, "FileHandler", "msg/s", ">= 1.2", True),
        Row(f"{version}:   the same, plain getLogger(__name__)", 1e9 / files["logdial, plain logger"].median,
            1e9 / files["stdlib"].median, "FileHandler", "msg/s", ">= 1.2", True),
        Row(f"{version}: python -c pass with the .pth line (ms)", startup["the line"], startup["no line"], "no line",
            "ms", "<= 1.05"),
    ]  # fmt: skip
    print_table(rows)
    if json_path:
        raw = {"disabled": {k: v.ns for k, v in disabled.items()}, "file": {k: v.ns for k, v in files.items()},
               "pth_startup_ms": {k: [v] for k, v in startup.items()}}  # fmt: skip
        json_path.write_text(json.dumps({"python": version, "machine": platform.machine(), "raw_ns": raw}, indent=1))


def compile_rows(runs: int) -> tuple[list[Row], dict[str, dict[str, list[float]]], list[str]]:
    """
    A real ``torch.compile``'s first call and ``import torch``, under the takeover against
    plain torch (``torch_compile``: fresh interpreters, interleaved): the rows (best of
    ``runs`` each), the raw samples, and a line per figure with its median and range.
    """
    samples = torch_compile(runs)
    rows: list[Row] = []
    lines = [f"torch.compile, TORCH_LOGS unset, {runs} interleaved runs each (ms: best, median, min-max):"]
    for backend, s in samples.items():
        rows.append(Row(f"torch.compile {backend}, 1st call, takeover (ms)", min(s["takeover compile_ms"]),
                        min(s["plain compile_ms"]), "plain torch", "ms", "<= 1.02"))  # fmt: skip
        rows.append(Row("  import torch, with install() (ms)", min(s["takeover import_ms"]),
                        min(s["plain import_ms"]), "plain torch", "ms", ""))  # fmt: skip
        for figure in ("compile", "import", "wall"):
            for variant in ("takeover", "plain"):
                v = s[f"{variant} {figure}_ms"]
                lines.append(f"  {backend:>8} {figure:>7} {variant:>8}: {min(v):8.1f} {statistics.median(v):8.1f} "
                             f"{min(v):8.1f}-{max(v):.1f}")  # fmt: skip
    return rows, {f"torch_compile_{k}_ms": v for k, v in samples.items()}, lines


def merge_section(rounds: int) -> tuple[list[Row], dict[str, list[float]]]:
    """
    ``logdial merge`` of 256 per-rank files of 20,000 lines against ``sort -m`` (time, and
    peak memory against its 150 MB bound): the rows and the samples.
    """
    samples, peak = merge_rows(rounds)
    median = summary(samples)
    sort = median["sort -m -s -k2,2"]
    rows = [
        Row("logdial merge, 256 files x 20,000 lines (s)", median["logdial merge"], sort, "sort -m", "s", "<= 8"),
        Row("  peer: heapq.merge of the lines (s)", median["heapq.merge of the lines"], sort, "sort -m", "s", ""),
        Row("  logdial merge, peak memory (MB)", peak, 150.0, "150 MB", "MB", "<= 1"),
    ]
    return rows, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write the raw samples here")
    parser.add_argument("--python-rows", action="store_true", help="only the fast paths against the stdlib")
    parser.add_argument("--section", choices=["torch_compile", "merge"], help="only this section")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 15, 5 with --quick)")
    args = parser.parse_args()
    rounds, target = (5, 0.02) if args.quick else (15, 0.05)
    rounds = args.rounds or rounds
    if args.python_rows:
        python_rows(rounds, target, args.json)
        return
    if args.section == "merge":
        merge_table, merge_raw = merge_section(3 if args.quick else 5)
        print_table(merge_table)
        if args.json:
            args.json.write_text(json.dumps({"python": platform.python_version(), "raw_s": merge_raw}, indent=1))
        return
    if args.section == "torch_compile":
        only_rows, only_raw, lines = compile_rows(rounds)
        print_table(only_rows)
        print("\n" + "\n".join(lines))
        if args.json:
            args.json.write_text(json.dumps({"python": platform.python_version(), "machine": platform.machine(),
                                             "raw_ns": only_raw}, indent=1))  # fmt: skip
        return
    torch = _optional("torch")
    rows: list[Row] = []
    raw: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)

        def run(section: str, candidates: dict[str, Loop], net: bool = True) -> dict[str, Samples]:
            cands = dict(candidates)
            if net:
                cands["(empty loop)"] = empty_loop
            res = interleave(cands, rounds, target)
            if net:
                base = res.pop("(empty loop)")
                for s in res.values():
                    s.ns = [max(v - b, 0.01) for v, b in zip(s.ns, base.ns, strict=True)]
            raw[section] = {k: v.ns for k, v in res.items()}
            return res

        r = run("disabled", disabled_calls(tmp, torch))
        std = r["stdlib"].median
        for name in ("logdial artifact", "logdial component"):
            rows.append(Row(f"disabled {name}.debug('x %s', 1)", r[name].median, std, "stdlib", "ns", "<= 0.60"))
        rows.append(
            Row("  floor: an empty method, logging's signature", r["signature floor"].median, std, "stdlib", "ns", "")
        )
        for peer in ("torch artifact", "loguru", "structlog", "picologging"):
            rows.append(Row(f"  peer: {peer}", r[peer].median if peer in r else None, std, "stdlib", "ns", ""))
        r = run("guard", guards(tmp))
        guard = r["logdial if art.enabled"].median if "logdial if art.enabled" in r else None
        rows.append(Row("if art.enabled:", guard, r["empty call"].median, "empty call", "ns", "<= 0.30"))
        r = run("lazy", lazy_calls(tmp, torch))
        rows.append(
            Row("disabled art.debug('graph %s', LazyString(fn))", r["logdial"].median, r["stdlib"].median, "stdlib",
                "ns", "<= 1.10")
        )  # fmt: skip
        rows.append(
            Row("  the same, pure-Python LazyString (no compiler)", r["logdial pure Python"].median,
                r["stdlib"].median, "stdlib", "ns", "")
        )  # fmt: skip
        if "torch" in r:
            rows.append(Row("  peer: torch", r["torch"].median, r["stdlib"].median, "stdlib", "ns", ""))
        r = run("trace_off", trace_off(tmp, torch))
        std = r["stdlib"].median
        rows.append(
            Row("trace_structured('x', meta_fn), tracing off", r["logdial"].median, std, "stdlib", "ns", "<= 0.60")
        )
        if "torch" in r:
            rows.append(Row("  peer: torch", r["torch"].median, std, "stdlib", "ns", ""))
        rows.append(
            Row(
                "trace_structured('x', payload_fn=fn), tracing off",
                r["logdial keyword"].median,
                std,
                "stdlib",
                "ns",
                "<= 0.60",
            )
        )
        if "torch keyword" in r:
            rows.append(Row("  peer: torch", r["torch keyword"].median, std, "stdlib", "ns", ""))
        r = run("file", (loops := file_lines(tmp, torch))[0], net=False)
        layout = same_bytes(loops[1])
        base = r.get("torch")
        rows.append(Row("enabled glog line to a file, logs.getLogger(), msgs/s", 1e9 / r["logdial"].median,
                        1e9 / base.median if base else None, "torch", "msg/s", ">= 1.5", True))  # fmt: skip
        rows.append(Row("  the same, plain logging.getLogger(__name__)", 1e9 / r["logdial, plain logger"].median,
                        1e9 / base.median if base else None, "torch", "msg/s", ">= 1.5", True))  # fmt: skip
        rows.append(Row("  the same, logs.getLogger(), live control on", 1e9 / r["logdial, live control on"].median,
                        1e9 / r["logdial"].median, "control off", "msg/s", "~ 1 (same path)", True))  # fmt: skip
        for peer in ("stdlib", "loguru", "structlog", "picologging"):
            value = 1e9 / r[peer].median if peer in r else None
            rows.append(Row(f"  peer: {peer}", value, 1e9 / base.median if base else None, "torch", "msg/s", "", True))
        r = run("file5", file_lines(tmp, torch, FIVE_LINES)[0], net=False)
        base = r.get("torch")
        rows.append(Row("enabled 5-line message to a file, msgs/s", 1e9 / r["logdial"].median,
                        1e9 / base.median if base else None, "torch", "msg/s", ">= 1.5", True))  # fmt: skip
        r = run("format", formatters(torch))
        base = r.get("torch")
        rows.append(Row("formatter format(record) alone, calls/s", 1e9 / r["logdial"].median,
                        1e9 / base.median if base else None, "torch", "call/s", ">= 2.5", True))  # fmt: skip
        rows.append(Row("  peer: stdlib (basic format)", 1e9 / r["stdlib"].median,
                        1e9 / base.median if base else None, "torch", "call/s", "", True))  # fmt: skip
        r = run("trace_on", traces_on(tmp, torch), net=False)
        base = r.get("torch")
        rows.append(Row("trace_structured on, 10-line payload, rec/s", 1e9 / r["logdial"].median,
                        1e9 / base.median if base else None, "torch", "rec/s", ">= 1.5", True))  # fmt: skip
        r = run("apply", torch_registry_apply(torch), net=False)
        if torch is not None:
            import torch._logging as tl

            tl.set_logs()  # leave torch's logging as it found it, so it prints nothing at exit
        if r:
            rows.append(Row("set_logs, PyTorch's registry (us/call)", r["logdial"].median / 1000,
                            r["torch"].median / 1000, "torch", "us", "<= 0.5"))  # fmt: skip
        one, four, check = threads(tmp)
        rows.append(Row("4 threads on 1 CPU vs 1 thread, msgs/s", four, one, "1 thread", "msg/s", ">= 0.9", True))
    times = import_times(rounds=3 if args.quick else 7)
    rows.append(
        Row("import logdial + LogSystem() (ms)", times["logdial"], times["logging"], "import logging", "ms", "<= 1.3")
    )
    startup = pth_startup(runs=11 if args.quick else 41)
    without = startup["no line"]
    rows.append(Row("python -c pass, with the .pth takeover line (ms)", startup["the line"], without, "no line", "ms",
                    "<= 1.05"))  # fmt: skip
    rows.append(Row("  the same, the line of earlier READMEs (ms)", startup["the earlier line"], without, "no line",
                    "ms", ""))  # fmt: skip
    compile_lines: list[str] = []
    if torch is not None:
        compile_table, compile_raw, compile_lines = compile_rows(rounds)
        rows += compile_table
        raw.update(compile_raw)
    merge_table, merge_raw = merge_section(3 if args.quick else 5)
    rows += merge_table
    raw.update({f"merge {k} s": v for k, v in merge_raw.items()})
    curve = apply_curve((100, 1000) if args.quick else (100, 1000, 10_000))
    registrations = registration_curve((100, 1000) if args.quick else (100, 1000, 10_000))
    wildcards = wildcard_registrations((2000,) if args.quick else (2000, 10_000))
    print_table(rows)
    print(f"\nlogdial's line vs torch's (to a file): {layout}")
    print(f"4 threads, one file: {check}")
    if compile_lines:
        print("\n".join(compile_lines))
    print("set_logs with N registered names and 10,000 unrelated loggers (should grow linearly):")
    for n, seconds in curve.items():
        print(f"  N={n:>6}: {seconds * 1e3:8.2f} ms  ({seconds / n * 1e6:.2f} us per name)")
    print("register_log, then getArtifactLogger after init(), N names, 10,000 unrelated loggers (linear):")
    for n, (registered, made) in registrations.items():
        print(
            f"  N={n:>6}: register {registered * 1e3:8.2f} ms ({registered / n * 1e6:.2f} us each), "
            f"artifact loggers {made * 1e3:8.2f} ms ({made / n * 1e6:.2f} us each)"
        )
    print("N components and N artifacts registered after init(), under +base and under +* (target: <= 2x):")
    for n, (plain, wild) in wildcards.items():
        print(f"  N={n:>6}: +base {plain:6.2f} s, +* {wild:6.2f} s: {wild / plain:.2f}x")
    if args.json:
        raw["wildcard_registrations_s"] = {str(k): list(v) for k, v in wildcards.items()}
        raw["curve_s"] = {str(k): [v] for k, v in curve.items()}
        raw["registration_curve_s"] = {str(k): list(v) for k, v in registrations.items()}
        raw["import_ms"] = {k: [v] for k, v in times.items()}
        raw["pth_startup_ms"] = {name: [ms] for name, ms in startup.items()}
        args.json.write_text(json.dumps({"python": platform.python_version(), "machine": platform.machine(),
                                         "raw_ns": raw}, indent=1))  # fmt: skip


def print_table(rows: list[Row]) -> None:
    print(f"{'path':<46} {'logdial':>11} {'vs':>14} {'peer':>11} {'ratio':>7}  target")
    for row in rows:
        ours = "n/a" if row.ours is None else f"{row.ours:.1f}"
        peer = "n/a" if row.peer is None else f"{row.peer:.1f}"
        ratio = "n/a" if row.ratio is None else f"{row.ratio:.2f}"
        print(f"{row.name:<46} {ours:>11} {row.peer_name:>14} {peer:>11} {ratio:>7}  {row.target}")


if __name__ == "__main__":
    main()
