"""
Four ranks for real: the demo started four times by a plain launcher that sets ``RANK`` and
``WORLD_SIZE`` as torchrun does, and by torchrun itself (torch 2.13.0, CPU); then a small
script under torchrun that initialises ``torch.distributed`` (gloo, on 127.0.0.1) after
``init()``, so that the rank comes from torch.distributed alone.

Checked: the ``[rankN]:`` prefixes, ``TORCH_LOGS_RANKS=0`` (only rank 0 logs below ERROR),
the per-rank files of ``TORCH_LOGS_OUT=dir/log_%r.txt``, the per-rank trace files through
``tlparse --all-ranks-html`` with zero failures, logdial's merged report, and the JSON lines
of ``TORCH_LOGS_FORMAT=json`` parsed back record by record.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import pytest
from tests.subprocesses import child_environ
from tests.test_report import Report
from tests.test_trace_tlparse import TLPARSE

from logdial._context import TraceContext
from logdial._levels import glog_letter
from logdial._report._tracefile import read_trace

WORLD = 4
#: What the launches set: dynamo at DEBUG, two artifacts, and the rank filter.
SETTINGS = "+dynamo,graph_code,aot_graphs"
#: One line of logdial's (or torch's) text format.
GLOG = re.compile(
    r"^(?:\[rank(?P<rank>\d+)\]:)?(?P<letter>[VIWEC])\d{4} \d\d:\d\d:\d\d\.\d{6} (?P<pid>\d+) "
    r"(?P<where>\S+:\d+)\] (?P<rest>.*)$"
)
_STATS = re.compile(r"^Stats \{(?P<fields>[^}]*)\}$", re.MULTILINE)
#: The keys of a JSON record that is in no trace context, in order.
JSON_KEYS = ["time", "level", "logger", "component", "artifact", "rank", "pid", "message", "file", "line"]

needs_torch = pytest.mark.torch


class Run(NamedTuple):
    """
    One process of a launch: its rank, pid, exit status and output.
    """

    rank: int
    pid: int
    returncode: int
    stdout: str
    stderr: str


class Line(NamedTuple):
    """
    One text line: the rank of its prefix (``None``: no prefix), letter, pid, where, the rest.
    """

    rank: int | None
    letter: str
    pid: int
    where: str
    rest: str


def parse_lines(text: str) -> list[Line]:
    """
    The text-format lines of ``text``; the application's own lines (``app: ...``, from
    the demo's basicConfig) and torchrun's banner are not among them.
    """
    out = []
    for line in text.splitlines():
        match = GLOG.match(line)
        if match is not None:
            rank = None if match["rank"] is None else int(match["rank"])
            out.append(Line(rank, match["letter"], int(match["pid"]), match["where"], match["rest"]))
    return out


def launch(directory: Path, **variables: str) -> list[Run]:
    """
    The plain launcher: ``python -m logdial.demo`` four times at once, with ``RANK``,
    ``LOCAL_RANK`` and ``WORLD_SIZE`` set as torchrun sets them, plus ``variables``.
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "logdial.demo"],
            env=child_environ(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD), **variables),
            cwd=directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            encoding="utf-8",
        )
        for rank in range(WORLD)
    ]
    runs = []
    for rank, proc in enumerate(procs):
        stdout, stderr = proc.communicate(timeout=60)
        runs.append(Run(rank, proc.pid, proc.returncode, stdout, stderr))
    assert [0] * WORLD == [r.returncode for r in runs], [r.stderr for r in runs]
    return runs


class Launched(NamedTuple):
    """
    The two plain launches: text (with files and traces) and JSON lines.
    """

    directory: Path
    text: list[Run]
    json: list[Run]


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Launched:
    """
    Four ranks of the demo with ``TORCH_LOGS_RANKS=0``, per-rank log files and traces;
    then four more writing JSON lines, with the same settings.
    """
    directory = tmp_path_factory.mktemp("ranks")
    common = {"TORCH_LOGS": SETTINGS, "TORCH_LOGS_RANKS": "0"}
    text = launch(
        directory,
        **common,
        TORCH_LOGS_OUT=str(directory / "log_%r.txt"),
        TORCH_TRACE=str(directory / "trace"),
    )
    as_json = launch(directory, **common, TORCH_LOGS_OUT=str(directory / "log_%r.jsonl"), TORCH_LOGS_FORMAT="json")
    return Launched(directory, text, as_json)


def by_letter(lines: list[Line]) -> set[str]:
    """
    The level letters of ``lines``.
    """
    return {line.letter for line in lines}


class TestPlainLauncher:
    """
    ``RANK=0..3 WORLD_SIZE=4 python -m logdial.demo``, four processes at once.
    """

    def test_prefixes(self, launched: Launched) -> None:
        """
        Every line of rank R starts with ``[rankR]:`` and carries the process's pid;
        every line of a multi-line record too.
        """
        seen = [{(line.rank, line.pid) for line in parse_lines(run.stderr)} for run in launched.text]
        assert [{(r.rank, r.pid)} for r in launched.text] == seen
        rank0 = parse_lines(launched.text[0].stderr)
        graph_code = [line for line in rank0 if "[__graph_code]" in line.rest]
        assert (True, True) == (len(graph_code) > 3, all(line.rank == 0 for line in graph_code))

    def test_rank_filter(self, launched: Launched) -> None:
        """
        ``TORCH_LOGS_RANKS=0``: rank 0 logs at every level; the others log their errors
        only, the same ones rank 0 logs, so that a crash anywhere shows.
        """
        lines = [parse_lines(run.stderr) for run in launched.text]
        errors = [[(line.where, line.rest) for line in ls if line.letter in "EC"] for ls in lines]
        assert (
            {"V", "I", "W", "E"},
            [{"E"}] * (WORLD - 1),
            [errors[0]] * (WORLD - 1),
            3,
        ) == (by_letter(lines[0]), [by_letter(ls) for ls in lines[1:]], errors[1:], len(errors[0]))

    def test_application_lines_untouched(self, launched: Launched) -> None:
        """
        The application's own handler (not logdial's) is not filtered: each rank prints its warning.
        """
        app = "app: WARNING some.random.module: user code: toy_fn is compiled with an experimental backend"
        assert [1] * WORLD == [run.stderr.splitlines().count(app) for run in launched.text]

    def test_per_rank_files(self, launched: Launched) -> None:
        """
        ``TORCH_LOGS_OUT=dir/log_%r.txt``: one file per rank, holding what that rank's
        console showed, and nothing of another rank.
        """
        files = sorted(p.name for p in launched.directory.glob("log_*.txt"))
        contents = [parse_lines((launched.directory / f"log_{r}.txt").read_text()) for r in range(WORLD)]
        assert (
            [f"log_{r}.txt" for r in range(WORLD)],
            [parse_lines(run.stderr) for run in launched.text],
        ) == (files, contents)

    def test_traces_through_tlparse(self, launched: Launched, tmp_path: Path) -> None:
        """
        One trace file per rank, every record carrying its rank, which ``tlparse
        --all-ranks-html DIR`` renders with zero failures.
        """
        trace = launched.directory / "trace"
        files = sorted(trace.iterdir())
        ranks = [{record.envelope.get("rank") for record in read_trace(f)} for f in files]
        assert (
            [f"dedicated_log_torch_trace_rank_{r}_" for r in range(WORLD)],
            [{r} for r in range(WORLD)],
        ) == ([f.name[:33] for f in files], ranks)
        out = tmp_path / "tl_out"
        done = subprocess.run(
            [str(TLPARSE), "--all-ranks-html", str(trace), "-o", str(out), "--overwrite", "--no-browser"],
            capture_output=True,
            encoding="utf-8",
            timeout=120,
            check=False,
            env=child_environ(),
        )
        output = done.stdout + done.stderr
        stats = [
            dict(f.strip().split(": ") for f in m["fields"].split(",") if f.strip()) for m in _STATS.finditer(output)
        ]
        records = len([r for r in read_trace(files[0]) if r.name != "str"])
        pages = [(out / "index.html").is_file(), *((out / f"rank_{r}" / "index.html").is_file() for r in range(WORLD))]
        assert (0, [True] * (WORLD + 1), [{"ok": str(records)}] * WORLD, False) == (
            done.returncode,
            pages,
            stats,
            "fail" in output.lower(),
        ), output

    def test_merged_report(self, launched: Launched, tmp_path: Path) -> None:
        """
        ``logdial report DIR`` merges the four files into one report, in time order, each
        event with its rank.
        """
        trace = launched.directory / "trace"
        report = Report([trace], tmp_path / "report")
        # (the string table's records, "str", are not events: the report counts as tlparse does)
        per_rank = str(sum(1 for r in read_trace(next(trace.glob("*rank_0_*"))) if "str" not in r.envelope))
        times = [str(row[0]) for row in report.rows]
        ranks = {report.meta["ranks"][row[2]] for row in report.rows}
        assert ({str(r): [per_rank] for r in range(WORLD)}, {str(r) for r in range(WORLD)}, sorted(times)) == (
            report.page.table("by-rank"),
            ranks,
            times,
        )

    def test_json_lines(self, launched: Launched) -> None:
        """
        ``TORCH_LOGS_FORMAT=json``: every line of every rank's file and console is one
        JSON object with its rank and pid, and says what the text run said, record by
        record: level, source line, context, artifact and message.
        """
        for text_run, json_run in zip(launched.text, launched.json, strict=True):
            rank = json_run.rank
            lines = (launched.directory / f"log_{rank}.jsonl").read_text().splitlines()
            records = [json.loads(line) for line in lines]
            console = [json.loads(line) for line in json_run.stderr.splitlines() if not line.startswith("app: ")]
            assert records == console
            assert [(rank, json_run.pid)] * len(records) == [(r["rank"], r["pid"]) for r in records]
            assert [True] * len(records) == [
                list(r) == JSON_KEYS[:7] + [k for k in r if k not in JSON_KEYS] + JSON_KEYS[7:] for r in records
            ]
            assert [True] * len(records) == [datetime.fromisoformat(r["time"]).utcoffset() is not None for r in records]
            assert [(line.letter, line.where, line.rest) for line in parse_lines(text_run.stderr)] == [
                row for r in records for row in as_text(r)
            ]

    def test_json_components(self, launched: Launched) -> None:
        """
        Each record names the component that covers its logger, and the artifact it is.
        """
        records = [json.loads(line) for line in (launched.directory / "log_0.jsonl").read_text().splitlines()]
        pairs = {(r["logger"].split(".")[1], r["component"]) for r in records}
        artifacts = {r["artifact"] for r in records}
        assert (
            {("_dynamo", "dynamo"), ("fx", "dynamo"), ("_functorch", "aot"), ("_inductor", "inductor")},
            {
                None,
                "graph",
                "graph_code",
                "aot_graphs",
                "graph_breaks",
                "guards",
                "recompiles",
                "compiled_autograd",
                "ddp_graphs",
            },
        ) == (pairs, artifacts)


def as_text(record: dict[str, object]) -> list[tuple[str, str, str]]:
    """
    The text lines a JSON record stands for: (letter, path:line, context, artifact and
    message line), as the default format writes them.
    """
    ids = {k: record.get(k) for k in ("frame_id", "frame_compile_id", "attempt", "compiled_autograd_id", "label")}
    context = TraceContext(**ids).display()  # type: ignore[arg-type]
    tags = (f"{context} " if context else "") + (f"[__{record['artifact']}] " if record["artifact"] else "")
    levels = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
    letter = glog_letter(levels[str(record["level"])])
    where = f"{record['file']}:{record['line']}"
    return [(letter, where, tags + part) for part in str(record["message"]).split("\n")]


def free_port() -> int:
    """
    A TCP port free on the loopback interface now.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def torchrun(cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """
    ``torchrun --nproc-per-node 4`` on the loopback interface only, running ``args``.
    """
    launcher = Path(sys.executable).parent / "torchrun"
    command = [str(launcher)] if launcher.exists() else [sys.executable, "-m", "torch.distributed.run"]
    loopback = {"GLOO_SOCKET_IFNAME": "lo"} if Path("/sys/class/net/lo").exists() else {}
    return subprocess.run(
        [
            *command,
            "--nnodes=1",
            "--node-rank=0",
            f"--nproc-per-node={WORLD}",
            "--master-addr=127.0.0.1",
            f"--master-port={free_port()}",
            *args,
        ],
        cwd=cwd,
        env=child_environ(**loopback, **variables),
        capture_output=True,
        encoding="utf-8",
        timeout=180,
        check=False,
    )


def worker_lines(done: subprocess.CompletedProcess[str], source: str) -> dict[int | None, list[Line]]:
    """
    The text lines logged from ``source`` (a path relative to sys.path, e.g. the demo's
    package), by the rank of their prefix: not torchrun's own lines, nor torch's.
    """
    out: dict[int | None, list[Line]] = {}
    for line in parse_lines(done.stderr):
        if line.where.startswith(source):
            out.setdefault(line.rank, []).append(line)
    return out


#: The script that initialises torch.distributed after logdial's init(): the rank can
#: then come from torch.distributed alone (the launcher's variables are hidden from logdial).
DISTRIBUTED_SCRIPT = textwrap.dedent(
    """
    import json, os

    import torch
    import torch.distributed as dist

    from logdial import LogSystem
    from logdial._ranks import RANK_VARIABLES

    logs = LogSystem("distcheck")
    log = logs.getLogger("distcheck.core")
    logs.register_log("core", ["distcheck.core"])
    logs.init({k: v for k, v in os.environ.items() if k not in RANK_VARIABLES})
    before = [logs.rank(), log.enabled]
    log.warning("before init_process_group")
    dist.init_process_group("gloo")
    log.debug("after init_process_group")
    log.warning("a warning")
    log.error("an error")
    after = [logs.rank(), log.enabled]
    dist.barrier()
    result = {"torch": torch.__version__, "env": int(os.environ["RANK"]), "dist": dist.get_rank(),
              "before": before, "after": after}
    with open(f"result_{dist.get_rank()}.json", "w") as out:  # in the run's directory
        json.dump(result, out)
    dist.destroy_process_group()
    """
)


@needs_torch
class TestTorchrun:
    """
    The real ``torchrun --nproc-per-node 4`` (torch 2.13.0, CPU), on 127.0.0.1 only.
    """

    def test_demo(self, tmp_path: Path) -> None:
        """
        ``torchrun -m logdial.demo`` with ``TORCH_LOGS_RANKS=0``: four ranks, each line
        prefixed with its own, rank 0 at every level and the others with errors only.
        """
        done = torchrun(tmp_path, "-m", "logdial.demo", TORCH_LOGS=SETTINGS, TORCH_LOGS_RANKS="0")
        assert 0 == done.returncode, done.stderr
        lines = worker_lines(done, "logdial/demo/")
        errors = [sorted((line.where, line.rest) for line in lines[r] if line.letter == "E") for r in range(WORLD)]
        assert (
            (
                [0, 1, 2, 3],
                [1] * WORLD,
                {"V", "I", "W", "E"},
                [{"E"}] * (WORLD - 1),
                [errors[0]] * (WORLD - 1),
            )
            == (
                sorted(lines),  # type: ignore[type-var]
                [len({line.pid for line in lines[r]}) for r in range(WORLD)],
                by_letter(lines[0]),
                [by_letter(lines[r]) for r in range(1, WORLD)],
                errors[1:],
            )
        )

    def test_rank_from_torch_distributed(self, tmp_path: Path) -> None:
        """
        With the launcher's variables hidden from logdial, the rank comes from
        torch.distributed once it is initialised after ``init()``: no prefix before,
        ``[rankN]:`` after, the filter and ``log.enabled`` from then on.
        """
        script = tmp_path / "distcheck.py"
        script.write_text(DISTRIBUTED_SCRIPT)
        done = torchrun(tmp_path, str(script), DISTCHECK_LOGS="+core", DISTCHECK_LOGS_RANKS="0")
        assert 0 == done.returncode, done.stderr
        results = [json.loads((tmp_path / f"result_{r}.json").read_text()) for r in range(WORLD)]
        assert [
            {"torch": results[0]["torch"], "env": r, "dist": r, "before": [None, True], "after": [r, r == 0]}
            for r in range(WORLD)
        ] == results
        assert "2.13.0" == results[0]["torch"].split("+")[0]
        lines = worker_lines(done, "distcheck.py:")
        assert (
            ["before init_process_group"] * WORLD,
            ["after init_process_group", "a warning", "an error"],
            [["an error"]] * (WORLD - 1),
        ) == (
            [line.rest for line in lines[None]],
            [line.rest for line in lines[0]],
            [[line.rest for line in lines[r]] for r in range(1, WORLD)],
        )


class TestTorchPin:
    """
    The ``torch`` dependency group pins the torch these tests run, exactly.
    """

    def test_pinned(self) -> None:
        """
        ``torch==2.13.0`` is the one requirement on torch, and the Makefile installs
        that group only on the Python whose local build it is.
        """
        root = Path(__file__).resolve().parent.parent
        pyproject = (root / "pyproject.toml").read_text()
        assert ['"torch==2.13.0"'] == re.findall(r'^\s*("torch[=<>~!\s][^"]*")', pyproject, flags=re.MULTILINE)
        makefile = (root / "Makefile").read_text()
        assert re.findall(r"--group torch\b", makefile)
        assert all(pin == "torch==2.13.0" for pin in re.findall(r"\btorch[=<>~!]=?[^\s']*", makefile))
