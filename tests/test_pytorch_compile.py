"""
Real torch.compile runs (2.13.0, CPU) under TORCH_LOGS, torch's own logging against
logdial.pytorch's, in separate processes: the documentation's five examples give the same
records (level, source line, compile id, artifact) in both; logdial's extensions act on
real torch logs; caplog receives torch's records; a trace written during an inductor
compile passes tlparse.

Compiling is slow, so every process runs once, from one module-scoped fixture, two at a
time. There is one real inductor compile: the first run fills a fresh inductor cache
(and writes the trace tlparse reads); every other inductor run, torch's and logdial's
alike, loads the compiled code from that cache, so they do the same work and log the same.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.subprocesses import Output
from tests.test_pytorch import Key, line_of, other_lines, records, run_python, write

pytestmark = pytest.mark.torch

#: The script every run compiles; its flags choose the extras.
SCRIPT = """
    import logging
    import sys

    if "--user-logger" in sys.argv:  # made before import torch, as a program's module would be
        user = logging.getLogger("some.random.module")
    import torch

    if "--user-module" in sys.argv:
        import some.random.module  # noqa: F401 (the test's own package, beside this script)
    if "--trace-dir" in sys.argv:
        import logdial.pytorch

        logdial.pytorch.set_trace_dir(sys.argv[sys.argv.index("--trace-dir") + 1])

    torch.compile(lambda x: x.sin() + 1, backend="eager")(torch.randn(3))
    if "--recompile" in sys.argv:  # what torch's own logging tests make Dynamo do
        twice = torch.compile(lambda x: x * 2, backend="eager")
        twice(torch.ones(2))
        twice(torch.ones(2, dtype=torch.float64))  # a guard fails: a recompile

        def broken(x):
            x = x + 1
            torch._dynamo.graph_break()
            return x + 1

        torch.compile(broken, backend="eager")(torch.ones(2))
    if "--inductor" in sys.argv:
        torch.compile(lambda x: x.sin() + 1)(torch.randn(3))
    if "--user-logger" in sys.argv:
        user.debug("user code at DEBUG")
    print("compiled")
"""

USER_MODULE = """
    import logging

    logging.getLogger(__name__).debug("some.random.module imported")
"""

CAPLOG_TEST = """
    import logging

    import torch

    import logdial.pytorch


    def test_caplog_receives_torch_records(caplog):
        assert logdial.pytorch.install()  # after import torch, as in a notebook
        logs = logdial.pytorch.get_system()
        logs.set_output(console="none", propagate=True)
        with caplog.at_level(logging.DEBUG), logs.override("+dynamo,graph_code"):
            torch.compile(lambda x: x.sin() + 1, backend="eager")(torch.randn(3))
        names = {r.name for r in caplog.records}
        assert "torch._dynamo.output_graph.__graph_code" in names
        assert any(r.name.startswith("torch._dynamo.") and r.levelno == logging.DEBUG for r in caplog.records)
"""

#: One rank of a two-rank run (torchrun): compiles, and logs an error.
DIST_SCRIPT = """
    import logging
    import os

    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    print(f"rank {dist.get_rank()} pid {os.getpid()}", flush=True)
    torch.compile(lambda x: x.sin() + 1, backend="eager")(torch.randn(3))
    logging.getLogger("torch._dynamo.mine").error("an error on rank %d", dist.get_rank())
    dist.barrier()
    dist.destroy_process_group()
"""

#: python's arguments for two ranks of dist.py under logdial, launched by torchrun.
TORCHRUN = ("-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "logdial.pytorch", "dist.py")

#: The examples of torch's logging documentation (and of its TORCH_LOGS=help).
EXAMPLES = ("+dynamo,aot", "-dynamo,+inductor", "aot_graphs", "+dynamo,schedule", "+some.random.module,schedule")
#: Settings torch's own logging tests use, run on a recompile and a graph break.
TORCH_TEST_SETTINGS = ("recompiles,graph_breaks", "guards,bytecode", "+dynamo,recompiles_verbose")
#: The graph artifacts torch 2.13 registers: what logdial's graph* means, in torch's terms.
GRAPH_ARTIFACTS = "graph,graph_breaks,graph_code,graph_code_verbose,graph_region_expansion,graph_sizes"
#: Dynamo's loggers (the dynamo component) write from these files.
DYNAMO_FILES = re.compile(r"^torch/(_dynamo/|fx/experimental/(symbolic_shapes|sym_node|recording)\.py:)")

TLPARSE = Path(sys.executable).parent / "tlparse"
STATS = re.compile(r"^Stats \{(?P<fields>[^}]*)\}$", re.MULTILINE)


@dataclass(frozen=True)
class Job:
    """
    One run of the script: under logdial (``python -m logdial.pytorch``) or plain torch.
    """

    logdial: bool
    settings: str  # TORCH_LOGS; "" leaves it unset (torch fails at import for an empty value)
    flags: tuple[str, ...] = ()
    inductor: bool = False  # needs the inductor cache the first run fills
    command: tuple[str, ...] = ()  # python's arguments instead of the script's
    directory: str = "."  # where it runs, in the fixture's directory: "bare" has no package some.random
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Runs:
    """
    The outputs of every job by name, and where the runs wrote their traces.
    """

    where: Path
    outputs: dict[str, Output]
    trace: Path
    runtime_trace: Path

    def __getitem__(self, name: str) -> Output:
        return self.outputs[name]


def _jobs(where: Path) -> tuple[dict[str, Job], dict[str, Job]]:
    runtime_trace = str(where / "runtime_trace")
    user = ("--user-module",)
    eager = {
        "wildcard": Job(True, "dynamo=warning,graph*", ("--trace-dir", runtime_trace)),
        "wildcard/torch": Job(False, GRAPH_ARTIFACTS),
        "dynamo=warning": Job(True, "+all,dynamo=warning"),
        "dynamo=warning/torch": Job(False, "+all"),
        "user logger": Job(True, "+some.random.module,schedule", ("--user-logger",), directory="bare"),
        "user logger/torch": Job(False, "+some.random.module,schedule", ("--user-logger",), directory="bare"),
        "caplog": Job(
            True, "", command=("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"), directory="caplog"
        ),
        "ranks": Job(True, "+dynamo", command=TORCHRUN, directory="dist", env={"TORCH_LOGS_RANKS": "1"}),
        **{s: Job(True, s, ("--recompile",)) for s in TORCH_TEST_SETTINGS},
        **{f"{s}/torch": Job(False, s, ("--recompile",)) for s in TORCH_TEST_SETTINGS},
    }
    inductor = {
        **{f"{s}/torch": Job(False, s, ("--inductor", *user), inductor=True) for s in EXAMPLES},
        **{s: Job(True, s, ("--inductor", *user), inductor=True) for s in EXAMPLES},
        "typo, guards=off": Job(True, "dynamoo,+dynamo,aot,guards=off", ("--inductor", *user), inductor=True),
    }
    return eager, inductor


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """
    Every run of this module, two at a time: first the one real inductor compile (under
    logdial, with TORCH_TRACE), and the eager-only runs beside it; then the inductor
    runs, which load its result from the cache.
    """
    where = tmp_path_factory.mktemp("compile")
    write(where / "compile.py", SCRIPT)
    write(where / "bare" / "compile.py", SCRIPT)
    write(where / "some" / "__init__.py", "")
    write(where / "some" / "random" / "__init__.py", "")
    write(where / "some" / "random" / "module.py", USER_MODULE)
    write(where / "caplog" / "pytest.ini", "[pytest]\n")
    write(where / "caplog" / "test_torch_caplog.py", CAPLOG_TEST)
    write(where / "dist" / "dist.py", DIST_SCRIPT)
    trace = where / "trace"
    common = {"TORCHINDUCTOR_CACHE_DIR": str(where / "inductor_cache"), "TORCHINDUCTOR_COMPILE_THREADS": "1"}

    def launch(job: Job) -> Output:
        args = job.command or (*(("-m", "logdial.pytorch") if job.logdial else ()), "compile.py", *job.flags)
        variables = {**common, **job.env, **({"TORCH_LOGS": job.settings} if job.settings else {})}
        return run_python(*args, cwd=where / job.directory, plain=not job.logdial, **variables)

    first = Job(True, "+inductor,output_code", ("--inductor",), env={"TORCH_TRACE": str(trace)})
    eager, inductor = _jobs(where)
    with ThreadPoolExecutor(max_workers=2) as pool:
        warm = pool.submit(launch, first)

        def after_warm(job: Job) -> Callable[[], Output]:
            def run() -> Output:
                warm.result()  # the cache is full
                return launch(job)

            return run

        futures: dict[str, Future[Output]] = {"first": warm}
        futures.update({name: pool.submit(launch, job) for name, job in eager.items()})
        futures.update({name: pool.submit(after_warm(job)) for name, job in inductor.items()})
        outputs = {name: future.result() for name, future in futures.items()}
    return Runs(where, outputs, trace, where / "runtime_trace")


def tlparse(trace: Path, out: Path) -> tuple[int, dict[str, int], str]:
    """
    tlparse on the one trace file in directory ``trace``: exit status, its Stats counters, stderr.
    """
    files = sorted(trace.glob("dedicated_log_torch_trace_*.log"))
    assert 1 == len(files), files
    done = subprocess.run(
        [str(TLPARSE), str(files[0]), "-o", str(out), "--overwrite", "--no-browser", "--strict"],
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    match = STATS.search(done.stderr)
    assert match is not None, done.stderr
    stats = {k.strip(): int(v) for k, v in (f.split(":") for f in match["fields"].split(",") if f.strip())}
    return done.returncode, stats, done.stderr


def ok(output: Output) -> set[Key]:
    """
    The records of a run that compiled and printed no line but records (no notice, no
    bare warning, no traceback).
    """
    assert (0, "compiled\n") == output[:2], output.stderr[-3000:]
    assert [] == other_lines(output.stderr)
    return records(output.stderr)


class TestDocumentedExamples:
    """
    The five TORCH_LOGS examples of torch's documentation: the same records under logdial as under torch.
    """

    @pytest.mark.parametrize("settings", EXAMPLES)
    def test_same_records_as_torch(self, runs: Runs, settings: str) -> None:
        """
        An eager and an inductor compile: every (level, path:line, compile id, artifact)
        torch prints, logdial prints, and nothing else. (The last example works in torch
        only because the test provides a package some.random.module; see
        TestSomeRandomModule for what happens without one.)
        """
        torch_records = ok(runs[f"{settings}/torch"])
        assert torch_records == ok(runs[settings])

    def test_the_examples_log_what_they_name(self, runs: Runs) -> None:
        """
        The comparisons above are not of empty outputs: each example shows what it names.
        """

        def where(settings: str) -> set[str]:
            return {path.split(":")[0] for _, path, _, _ in records(runs[settings].stderr)}

        assert {"V", "I"} <= {level for level, *_ in records(runs["+dynamo,aot"].stderr)}
        assert "torch/_functorch/_aot_autograd/autograd_cache.py" in where("+dynamo,aot")  # aot at INFO
        assert "torch/_inductor/codecache.py" in where("-dynamo,+inductor")
        assert not any(DYNAMO_FILES.match(path) for path in where("-dynamo,+inductor"))
        assert {"aot_graphs"} == {artifact for *_, artifact in records(runs["aot_graphs"].stderr)}
        assert {"some/random/module.py"} == where("+some.random.module,schedule")

    def test_one_real_inductor_compile(self, runs: Runs) -> None:
        """
        The first run compiles with inductor (gcc) and shows the code it generates, an
        off-by-default artifact named in TORCH_LOGS; the others load it from the cache.
        """
        first = runs["first"]
        assert (0, "compiled\n") == first[:2], first.stderr[-3000:]
        assert "output_code" in {artifact for *_, artifact in records(first.stderr)}
        assert "fx graph cache miss" in first.stderr
        for name in ("-dynamo,+inductor", "-dynamo,+inductor/torch"):
            assert "fx graph cache hit" in runs[name].stderr


class TestWhatTorchsTestsCheck:
    """
    Settings torch's own logging tests use, on a recompile and a graph break: the same
    records under logdial as under torch.
    """

    @pytest.mark.parametrize("settings", TORCH_TEST_SETTINGS)
    def test_same_records_as_torch(self, runs: Runs, settings: str) -> None:
        """
        Every (level, path:line, compile id, artifact) torch prints, logdial prints, and
        nothing else; each artifact named shows (so the comparison is not of nothing).
        """
        torch_records = ok(runs[f"{settings}/torch"])
        assert torch_records == ok(runs[settings])
        named = {item.lstrip("+") for item in settings.split(",")} - {"dynamo"}
        assert named <= {artifact for *_, artifact in torch_records}


class TestSomeRandomModule:
    """
    ``+some.random.module,schedule``, the example of torch's own help, for a module that is not importable.
    """

    def test_logger_made_before_import(self, runs: Runs) -> None:
        """
        torch aborts ``import torch`` (ModuleNotFoundError: it imports ``some`` to find
        the module); logdial takes the name as the logger the program made before
        ``import torch``, and shows its DEBUG record.
        """
        torch_run = runs["+some.random.module,schedule"]  # with the package: works
        assert 0 == torch_run.returncode
        crash = runs["user logger/torch"]
        assert 1 == crash.returncode
        assert crash.stderr.endswith("ModuleNotFoundError: No module named 'some'\n")
        line = line_of(SCRIPT, 'user.debug("user code at DEBUG")')
        assert {("V", f"compile.py:{line}", "", "")} == ok(runs["user logger"])


class TestExtensions:
    """
    logdial's extensions of the grammar on real torch logs.
    """

    def test_artifact_off(self, runs: Runs) -> None:
        """
        ``dynamoo,+dynamo,aot,guards=off``: torch's records for ``+dynamo,aot`` without the
        guards (the typo is the next test's).
        """
        torch_records = ok(runs["+dynamo,aot/torch"])
        assert {k for k in torch_records if k[3] == "guards"}, "torch shows guards under +dynamo"
        assert {k for k in torch_records if k[3] != "guards"} == records(runs["typo, guards=off"].stderr)

    def test_component_level(self, runs: Runs) -> None:
        """
        ``+all,dynamo=warning``: torch's records for ``+all`` but for Dynamo's, at DEBUG
        everywhere else (torch has no way to say it).
        """
        torch_records = ok(runs["dynamo=warning/torch"])
        assert {k for k in torch_records if DYNAMO_FILES.match(k[1])}, "torch's +all shows Dynamo's records"
        logdial_records = ok(runs["dynamo=warning"])
        assert {k for k in torch_records if not DYNAMO_FILES.match(k[1])} == logdial_records
        assert "V" in {level for level, *_ in logdial_records}

    def test_wildcard(self, runs: Runs) -> None:
        """
        ``dynamo=warning,graph*`` shows what torch shows for the six graph artifacts
        named one by one.
        """
        logdial_records = ok(runs["wildcard"])
        assert {"graph_code", "graph_code_verbose"} <= {artifact for *_, artifact in logdial_records}
        assert ok(runs["wildcard/torch"]) == logdial_records

    def test_typo(self, runs: Runs) -> None:
        """
        ``dynamoo,+dynamo,aot,guards=off``: the typo is reported once with a suggestion,
        the other items apply (previous test), and the compile finishes.
        """
        typo = runs["typo, guards=off"]
        assert (0, "compiled\n") == typo[:2]
        assert [
            "invalid TORCH_LOGS='dynamoo,+dynamo,aot,guards=off': 'dynamoo' at position 0: not a registered "
            "component or artifact, nor a module or logger; did you mean 'dynamo' or 'dynamic'?",
            "TORCH_LOGS=help lists all names.",
            "The other items are applied; names not registered yet are kept for plugins that register them later.",
        ] == other_lines(typo.stderr)

    def test_caplog(self, runs: Runs) -> None:
        """
        A pytest test in a subprocess: with logdial's console off and propagation on,
        caplog receives torch's records (torch's handlers stop them at torch's loggers).
        """
        done = runs["caplog"]
        assert 0 == done.returncode, done.stdout[-3000:]
        assert "1 passed" in done.stdout


class TestRanks:
    """
    ``TORCH_LOGS_RANKS`` under a real two-rank launch (torchrun, gloo).
    """

    def test_only_the_named_rank_logs(self, runs: Runs) -> None:
        """
        ``TORCH_LOGS=+dynamo TORCH_LOGS_RANKS=1``: rank 1 logs Dynamo at DEBUG; rank 0
        only its error (the others' default, so that a crash still shows). Lines carry
        torch's ``[rankN]:`` prefix.
        """
        done = runs["ranks"]
        assert 0 == done.returncode, done.stderr[-3000:]
        assert ["0", "1"] == sorted(re.findall(r"rank (\d) pid \d+", done.stdout))  # both ranks ran
        by_rank: dict[str, set[Key]] = {"0": set(), "1": set()}
        for line in done.stderr.splitlines():
            match = re.match(r"^\[rank(\d)\]:", line)
            if match is not None:
                by_rank[match[1]] |= records(line)
        error = ("E", f"dist.py:{line_of(DIST_SCRIPT, 'an error on rank')}", "", "")
        assert {error} == by_rank["0"]
        assert error in by_rank["1"]
        assert {"V", "I", "E"} == {level for level, *_ in by_rank["1"]}
        assert any(DYNAMO_FILES.match(where) for _, where, _, _ in by_rank["1"])


class TestTrace:
    """
    TORCH_TRACE stays torch's own trace writer: tlparse reads what it writes.
    """

    def test_inductor_compile_trace_passes_tlparse(self, runs: Runs, tmp_path: Path) -> None:
        """
        The trace of the inductor compile (TORCH_TRACE at import): tlparse --strict finds
        no failure of any kind.
        """
        returncode, stats, stderr = tlparse(runs.trace, tmp_path / "tl")
        assert (0, ["ok"]) == (returncode, sorted(stats)), stderr
        assert stats["ok"] > 50
        assert (tmp_path / "tl" / "index.html").exists()

    def test_trace_dir_set_at_run_time(self, runs: Runs, tmp_path: Path) -> None:
        """
        ``logdial.pytorch.set_trace_dir(dir)`` after ``import torch`` (torch reads
        TORCH_TRACE at import only): torch's writer writes there, and tlparse reads it.
        """
        returncode, stats, stderr = tlparse(runs.runtime_trace, tmp_path / "tl")
        assert (0, ["ok"]) == (returncode, sorted(stats)), stderr
        assert stats["ok"] > 10
