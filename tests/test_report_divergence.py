"""
The report's divergence view of a multi-rank trace: the computation on hand-written
traces, its caps, and the real thing, four ranks under torchrun (torch 2.13.0, CPU) where
rank 3 recompiles, against what the real ``tlparse --all-ranks-html`` flags on the same trace.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from pathlib import Path

import pytest
from tests.subprocesses import tlparse
from tests.test_ranks_launch import WORLD, torchrun
from tests.test_report import _line

from logdial._report import _divergence, _events, find_traces, write_report
from logdial._report._divergence import Divergence, Group
from logdial._report._model import Summary

#: Four ranks compile f (inductor, with an all_reduce in it); rank 3 alone calls it again
#: with another shape, so it recompiles ([0/1]): another compile id, more cache misses and
#: more collective operations there. The others meet its all_reduce eagerly.
RECOMPILE_SCRIPT = textwrap.dedent(
    """
    import torch
    import torch.distributed as dist
    import torch.distributed._functional_collectives as funcol

    dist.init_process_group("gloo")

    def f(x):
        return funcol.all_reduce(torch.sin(x) * 2 + x, "sum", dist.group.WORLD)

    g = torch.compile(f, dynamic=False)
    g(torch.ones(4))
    if dist.get_rank() == 3:
        g(torch.ones(8))
    else:
        dist.all_reduce(torch.ones(8))
    dist.barrier()
    dist.destroy_process_group()
    """
)


def divergent_trace(directory: Path) -> Path:
    """
    Run ``RECOMPILE_SCRIPT`` under ``torchrun --nproc-per-node 4`` with
    ``TORCH_TRACE=directory/trace`` (and a fresh inductor cache); the trace directory.
    """
    script = directory / "recompile.py"
    script.write_text(RECOMPILE_SCRIPT)
    trace = directory / "trace"
    done = torchrun(
        directory, str(script), TORCH_TRACE=str(trace), TORCHINDUCTOR_CACHE_DIR=str(directory / "inductor_cache")
    )
    assert 0 == done.returncode, done.stderr[-4000:]
    assert WORLD == len(list(trace.glob("dedicated_log_torch_trace_rank_*.log")))
    return trace


def _rank_file(directory: Path, rank: int, lines: list[str]) -> None:
    (directory / f"dedicated_log_torch_trace_rank_{rank}_x.log").write_text("".join(lines))


def _ctx(frame: int, compile_: int, rank: int) -> dict[str, object]:
    return {"rank": rank, "frame_id": frame, "frame_compile_id": compile_, "attempt": 0}


def _compile(rank: int, compile_: int, seconds: float, *, fail: bool = False, at: int = 0) -> list[str]:
    # One compile of frame 0 on ``rank``: its start, a cache artifact, a collective schedule, its metrics.
    ctx = _ctx(0, compile_, rank)
    metrics: dict[str, object] = {"co_name": "f", "entire_frame_compile_time_s": seconds}
    if fail:
        metrics |= {"fail_type": "E", "fail_reason": "boom"}
    time = f"0101 00:00:0{at}"
    return [
        _line(f"{time}.000001", {"dynamo_start": {"stack": []}, **ctx}),
        _line(f"{time}.000002", {"artifact": {"name": "fx_graph_cache_miss", "encoding": "json"}, **ctx}, "{}"),
        _line(
            f"{time}.000003",
            {"artifact": {"name": "inductor_collective_schedule", "encoding": "json"}, **ctx},
            json.dumps(["all_reduce", "wait_tensor"]),
        ),
        _line(f"{time}.000004", {"compilation_metrics": metrics, **ctx}),
    ]


def compute(directory: Path) -> Divergence:
    """
    The divergence of the traces in ``directory``, as the report adds it up.
    """
    divergence = Divergence()
    summary = Summary()
    for event in _events(find_traces([directory]), summary, None):
        summary.add(event)
        divergence.add(event)
    return divergence


class TestComputation:
    """
    The divergence of hand-written traces of three ranks.
    """

    @pytest.fixture
    def traces(self, tmp_path: Path) -> Path:
        """
        Ranks 0, 1 and 2 compile [0/0]; rank 1's compile fails and rank 2's is the
        slowest; rank 2 alone compiles [0/1] too (a cache miss and collectives more).
        """
        _rank_file(tmp_path, 0, _compile(0, 0, 1.0))
        _rank_file(tmp_path, 1, _compile(1, 0, 1.5, fail=True))
        _rank_file(tmp_path, 2, _compile(2, 0, 2.0) + _compile(2, 1, 0.5, at=1))
        return tmp_path

    def test_missing_ids(self, traces: Path) -> None:
        """
        [0/1] is on rank 2 only.
        """
        assert [("[0/1]", ["2"], ["0", "1"])] == compute(traces).missing_ids()

    def test_kinds(self, traces: Path) -> None:
        """
        Every kind rank 2 has twice differs; the counts are per rank, in rank order.
        """
        assert [
            ("artifact", [2, 2, 4]),
            ("compilation_metrics", [1, 1, 2]),
            ("dynamo_start", [1, 1, 2]),
        ] == compute(traces).kind_differences()

    def test_failures(self, traces: Path) -> None:
        """
        Rank 1 failed one compile, the others none.
        """
        assert [("0", 0), ("1", 1), ("2", 0)] == compute(traces).failed()

    def test_slowest(self, traces: Path) -> None:
        """
        The slowest and fastest rank of [0/0], by its compilation_metrics; [0/1] is on one rank only.
        """
        assert [("[0/0]", "2", 2.0, "0", 1.0)] == compute(traces).slowest()

    def test_cache_and_collectives(self, traces: Path) -> None:
        """
        Ranks 0 and 1 have the same cache misses and collectives, rank 2 more.
        """
        divergence = compute(traces)
        same = ("[0/0] fx_graph_cache_miss",)
        assert [Group(("0", "1"), 1, same), Group(("2",), 2, (*same, "[0/1] fx_graph_cache_miss"))] == (
            divergence.groups(divergence.cache)
        )
        ops = ("all_reduce", "wait_tensor")
        assert [Group(("0", "1"), 2, ops), Group(("2",), 4, ops * 2)] == divergence.groups(divergence.collectives)

    def test_same_ranks(self, tmp_path: Path) -> None:
        """
        Ranks that did the same have no divergence, and the view says so.
        """
        for rank in (0, 1):
            _rank_file(tmp_path, rank, _compile(rank, 0, 1.0))
        divergence = compute(tmp_path)
        assert ([], [], [], 1, 1) == (
            divergence.missing_ids(),
            divergence.kind_differences(),
            divergence.failed(),
            len(divergence.groups(divergence.cache)),
            len(divergence.groups(divergence.collectives)),
        )
        page = write_report([tmp_path], tmp_path / "out").read_text()
        assert 'class="same">No divergence: the 2 ranks' in page

    def test_one_rank_no_view(self, tmp_path: Path) -> None:
        """
        A trace of one rank has no divergence section.
        """
        _rank_file(tmp_path, 0, _compile(0, 0, 1.0))
        assert 'id="divergence"' not in write_report([tmp_path], tmp_path / "out").read_text()

    def test_view(self, traces: Path) -> None:
        """
        The report lists each finding, and the tables name the compile id and ranks.
        """
        page = write_report([traces], traces / "out").read_text()
        section = page[page.index('<section id="divergence">') :]
        section = section[: section.index("</section>")]
        assert ["compile-ids", "kinds", "failures", "cache", "collectives"] == re.findall(
            r'data-finding="([^"]+)"', section
        )
        assert ['id="div-ids"', 'id="div-slowest"'] == re.findall(r'id="div-(?:ids|slowest)"', section)
        assert '<a href="#divergence">Divergence</a>' in page

    def test_caps(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        Past DIVERGENCE_IDS compile ids and DIVERGENCE_KINDS kinds nothing more is
        tracked (each left out counted once, up to as many names as the two caps), and
        the sequences keep SEQUENCE_KEPT items.
        """
        monkeypatch.setattr(_divergence, "DIVERGENCE_IDS", 2)
        monkeypatch.setattr(_divergence, "DIVERGENCE_KINDS", 2)
        monkeypatch.setattr(_divergence, "SEQUENCE_KEPT", 3)
        lines = [line for c in range(4) for line in _compile(0, c, 1.0, at=c)]
        lines += [_line("0101 00:00:09.000000", {"mylib_x": {}, "rank": 0})] * 2
        _rank_file(tmp_path, 0, lines)
        _rank_file(tmp_path, 1, _compile(1, 0, 1.0))
        divergence = compute(tmp_path)
        assert (2, 2, 2, 2, 3, 8) == (
            len(divergence.compiles),
            divergence.untracked_ids,
            len(divergence.kinds),
            divergence.untracked_kinds,
            len(divergence.collectives["0"].kept),
            divergence.collectives["0"].count,
        )
        page = write_report([tmp_path], tmp_path / "out").read_text()
        assert "Not compared: 2 compile ids past the first 2 and 2 kinds past the first 2." in html.unescape(page)


def tlparse_divergence(trace: Path, out: Path) -> dict[str, list[frozenset[str]]]:
    """
    What ``tlparse --all-ranks-html`` flags on ``trace``: each warning of its index page
    (by our name for it), with the groups of ranks it lists (empty when it lists none).
    """
    done = tlparse(trace, out, "--all-ranks-html")
    assert 0 == done.returncode, done.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    names = {
        "Diverging Compilation IDs": "compile-ids",
        "Diverging Cache hit/miss patterns": "cache",
        "Diverging collective operation sequences": "collectives",
        "divergent inductor tensor metadata": "tensor-meta",
        "Schedule mismatch": "schedule",
        "Cache hit/miss mismatch": "cache",
    }
    found: dict[str, list[frozenset[str]]] = {}
    warnings = re.split(r"<strong>Warning:</strong>", page)[1:]
    for text in warnings:
        head = html.unescape(re.sub(r"<[^>]+>", "", text.split("</p>", 1)[0]))
        name = next((n for key, n in names.items() if key in head), f"unknown: {head.strip()}")
        block = text.split("<strong>Warning:</strong>", 1)[0].split("</ul>", 1)[0]
        groups = [
            frozenset(g.replace(" ", "").split(",")) for g in re.findall(r"<li>\s*Ranks:\s*([\d, ]+)</li>", block)
        ]
        found[name] = groups
    return found


def ours(index: Path) -> dict[str, list[frozenset[str]]]:
    """
    What our report's divergence view flags: each finding, with the groups of ranks of
    its table (cache and collectives; empty for the others).
    """
    page = index.read_text(encoding="utf-8")
    section = page[page.index('<section id="divergence">') :]
    section = section[: section.index("</section>")]
    found: dict[str, list[frozenset[str]]] = {}
    tables = {"compile-ids": ("div-ids", 1), "cache": ("div-cache", 0), "collectives": ("div-collectives", 0)}
    for name in re.findall(r'data-finding="([^"]+)"', section):
        ident, column = tables.get(name, ("", 0))
        table = re.search(rf'<table id="{ident}">(.*?)</table>', section, re.DOTALL) if ident else None
        rows = re.findall(r"<tr>(.*?)</tr>", table[1].split("</thead>")[1]) if table else []
        cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
        found[name] = [frozenset(re.findall(r">(\d+)</button>", row[column])) for row in cells]
    return found


@pytest.mark.torch
class TestAgainstTlparse:
    """
    The real four-rank trace where rank 3 recompiles: everything tlparse flags, we flag.
    """

    def test_everything_tlparse_flags(self, tmp_path: Path) -> None:
        """
        Every warning of ``tlparse --all-ranks-html`` (compile ids, cache hits and
        misses, collectives on this trace) is a finding of ours, with the same groups of
        ranks; ours also names the compile id only rank 3 has.
        """
        trace = divergent_trace(tmp_path)
        theirs = tlparse_divergence(trace, tmp_path / "tl_out")
        index = write_report([trace], tmp_path / "report")
        mine = ours(index)
        assert {"compile-ids", "cache", "collectives"} <= theirs.keys()  # (the trace diverges as meant)
        assert {name: sorted(map(sorted, groups)) for name, groups in theirs.items()} == {
            name: sorted(map(sorted, mine[name])) if theirs[name] else [] for name in theirs if name in mine
        }
        assert [frozenset({"3"})] == mine["compile-ids"]  # ([0/1], on rank 3 alone)
