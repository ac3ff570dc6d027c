"""``logdial merge``: per-rank logs written by real processes, merged by the real command."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tests.subprocesses import child_environ

from logdial._merge import MAX_LINE, MergeError, format_ranks, merge
from logdial._run import parse_offset

WORLD = 4
# A library as the README writes one: every rank says the same, rank 2 alone warns, and
# each rank reports a value of its own.
PROGRAM = textwrap.dedent(
    """
    import logging, os
    import logdial

    logs = logdial.LogSystem("shop", env_prefix="SHOP")
    logs.register_log("core", ["shop.core"])
    logs.init()
    log = logging.getLogger("shop.core")
    rank = int(os.environ["RANK"])
    for step in range(3):
        log.info("step %d done", step)
        if step == 1 and rank == 2:
            log.warning("disk slow on this node")
    log.info("loss %.1f", rank / 10)
    try:
        raise ValueError("bad batch")
    except ValueError:
        log.exception("step failed")
    """
)


def run_ranks(directory: Path, **variables: str) -> list[Path]:
    """
    ``PROGRAM`` as four ranks at once (``RANK``/``WORLD_SIZE`` as a launcher sets them),
    each writing ``SHOP_LOGS_OUT=run_%r.log``; returns the files in rank order.
    """
    script = directory / "program.py"
    script.write_text(PROGRAM, encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script)],
            env=child_environ(
                RANK=str(rank),
                WORLD_SIZE=str(WORLD),
                SHOP_LOGS="+core",
                SHOP_LOGS_OUT=str(directory / "run_%r.log"),
                **variables,
            ),
            cwd=directory,
            stderr=subprocess.PIPE,
            encoding="utf-8",
        )
        for rank in range(WORLD)
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
    return [directory / f"run_{rank}.log" for rank in range(WORLD)]


def logdial(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "logdial", *args],
        cwd=cwd,
        env=child_environ(),
        capture_output=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def tagged(text: str) -> list[tuple[str, str]]:
    """
    (rank tag, message) of every merged line (the message after the location).
    """
    out = []
    for line in text.splitlines():
        match = re.match(r"\[(?P<tag>[^\]]*)\]:[VIWEC]\d{4} [\d:.]+ \d+ [^ ]+\] (?P<message>.*)", line)
        assert match is not None, line
        out.append((match["tag"], match["message"]))
    return out


@pytest.mark.parametrize("layout", ["glog", "json"])
def test_four_real_ranks(tmp_path: Path, layout: str) -> None:
    """
    Each line every rank wrote appears once, tagged ``rank0-3``, at the time of the first
    rank that wrote it; the warning rank 2 alone wrote keeps ``rank2``; each rank's own
    value keeps its rank; a traceback's lines are each tagged; the lines are in time order.
    """
    variables = {"SHOP_LOGS_FORMAT": "json"} if layout == "json" else {}
    files = run_ranks(tmp_path, **variables)
    done = logdial("merge", *map(str, files))
    assert done.returncode == 0, done.stderr
    lines = tagged(done.stdout)
    assert [m for t, m in lines if m.startswith("step ") and "done" in m] == [
        "step 0 done",
        "step 1 done",
        "step 2 done",
    ]
    assert all(t == "rank0-3" for t, m in lines if "done" in m or m == "step failed")
    assert ("rank2", "disk slow on this node") in lines
    assert sorted((t, m) for t, m in lines if m.startswith("loss")) == [
        (f"rank{r}", f"loss {r / 10:.1f}") for r in range(WORLD)
    ]
    assert ("rank0-3", "ValueError: bad batch") in lines  # the traceback's last line, alike on all
    if layout == "glog":
        stamps = [line.split(" ", 2)[1] for line in done.stdout.splitlines()]
        assert stamps == sorted(stamps)


def test_a_directory_and_an_output_file(tmp_path: Path) -> None:
    run_ranks(tmp_path)
    done = logdial("merge", str(tmp_path), "-o", str(tmp_path / "merged.log"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert re.fullmatch(r".*merged\.log: \d+ lines from \d+ lines of 4 files\n", done.stderr)
    assert ("rank2", "disk slow on this node") in tagged((tmp_path / "merged.log").read_text(encoding="utf-8"))


def glog(rank: int | None, seconds: float, message: str, *, letter: str = "I", where: str = "m.py:1") -> str:
    stamp = time.strftime("%m%d %H:%M:%S", time.localtime(int(seconds)))
    micros = round((seconds - int(seconds)) * 1_000_000)
    prefix = "" if rank is None else f"[rank{rank}]:"
    return f"{prefix}{letter}{stamp}.{micros:06d} {4000 + (rank or 0)} {where}] {message}\n"


T0 = 1_733_400_000.0  # a fixed moment (what matters is the differences)


def merged(tmp_path: Path, files: dict[str, str], **options: object) -> list[str]:
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        paths.append(str(tmp_path / name))
    out = io.StringIO()
    merge(paths, out, **options)  # type: ignore[arg-type]
    return out.getvalue().splitlines()


def test_the_window(tmp_path: Path) -> None:
    """
    Alike lines within the window are one; one past it starts a group of its own; a
    level, a location or a message that differs is another line.
    """
    a = glog(0, T0, "ready") + glog(0, T0 + 5, "ready") + glog(0, T0 + 6, "x", letter="W") + glog(0, T0 + 7, "y")
    b = (
        glog(1, T0 + 0.9, "ready")
        + glog(1, T0 + 6, "x")
        + glog(1, T0 + 6.5, "ready")
        + glog(1, T0 + 7, "y", where="n.py:2")
    )
    lines = merged(tmp_path, {"a.log": a, "b.log": b})
    assert [(line.split("]:")[0] + "]", line.rsplit("] ", 1)[1]) for line in lines] == [
        ("[rank0-1]", "ready"),
        ("[rank0]", "ready"),
        ("[rank0]", "x"),  # a warning
        ("[rank1]", "x"),  # the same words at INFO
        ("[rank1]", "ready"),  # 1.5 s after rank 0's second: past the window
        ("[rank0]", "y"),
        ("[rank1]", "y"),  # another location
    ]
    wide = merged(tmp_path, {"a.log": a, "b.log": b}, window=10.0)
    assert [line.split("]:")[0] + "]" for line in wide][:2] == ["[rank0-1]", "[rank0-1]"]  # both "ready" pairs
    assert len(wide) == 6


def test_a_rank_repeating_a_line_pairs_with_the_others(tmp_path: Path) -> None:
    """
    The n-th alike line of a rank goes with the n-th of the others, not all into one.
    """
    a = glog(0, T0, "tick") + glog(0, T0 + 0.1, "tick")
    b = glog(1, T0 + 0.2, "tick") + glog(1, T0 + 0.3, "tick")
    assert [line.split("]:")[0] for line in merged(tmp_path, {"a.log": a, "b.log": b})] == ["[rank0-1", "[rank0-1"]


def test_rank_sets() -> None:
    assert format_ranks(0b1111_1111) == "0-7"
    assert format_ranks(0b100101) == "0,2,5"
    assert format_ranks((1 << 1024) - 1 - (1 << 500)) == "0-499,501-1023"
    assert format_ranks(0) == ""


def test_the_rank_from_the_file_name_and_none(tmp_path: Path) -> None:
    """
    A line without a prefix takes its file name's rank; a file with none is shown by
    name, never alike with another; torchrun's launcher file ``rank_norank.log`` too.
    """
    lines = merged(
        tmp_path,
        {
            "worker_3.log": glog(None, T0, "hello"),
            "w.log": glog(7, T0 + 0.1, "hello"),
            "rank_norank.log": glog(None, T0 + 0.2, "hello"),
        },
    )
    assert [line.split(":I")[0] for line in lines] == ["[rank3,7]", "[rank_norank.log]"]


def test_json_times_with_offsets_and_glog_in_a_given_zone(tmp_path: Path) -> None:
    """
    JSON lines are placed by their UTC offset; glog lines in the zone ``utc_offset`` names.
    """
    year = time.localtime().tm_year  # (a glog line's year is its file's)
    east = {"time": f"{year}-12-05T12:00:00.500000+02:00", "level": "INFO", "rank": 0, "pid": 1, "message": "east"}
    west = {"time": f"{year}-12-05T05:00:00.250000-05:00", "level": "INFO", "rank": 1, "pid": 2, "message": "west"}
    utc = "[rank2]:I1205 10:00:00.400000 3 m.py:1] utc\n"
    lines = merged(
        tmp_path,
        {"e.jsonl": json.dumps(east) + "\n", "w.jsonl": json.dumps(west) + "\n", "u.log": utc},
        utc_offset=0,
    )
    assert [line.rsplit("] ", 1)[1] for line in lines] == ["west", "utc", "east"]
    assert lines[0].startswith("[rank1]:I1205 05:00:00.250000 2 ?:?]")
    assert parse_offset("+05:30") == 19800
    assert parse_offset("-0800") == -28800
    with pytest.raises(MergeError, match=r"expected an offset like \+01:00"):
        parse_offset("+25:00")


def test_a_file_s_own_order_is_kept(tmp_path: Path) -> None:
    """
    A line whose time goes back (a clock stepped) stays after the lines its file wrote
    before it; other text stays where its file wrote it.
    """
    a = glog(0, T0 + 5, "first") + "plain text from print()\n" + glog(0, T0 + 1, "second, stamped earlier")
    b = glog(1, T0 + 3, "other")
    lines = merged(tmp_path, {"a.log": a, "b.log": b}, window=0.0)
    assert [line.rsplit("] ", 1)[-1] for line in lines] == [
        "other",
        "first",
        "[rank0]:plain text from print()",
        "second, stamped earlier",
    ]


def test_hostile_input_is_shown_safely_and_loses_nothing(tmp_path: Path) -> None:
    """
    Terminal controls are written as escapes, bytes that are not UTF-8 as ``\\x..``, a
    line longer than MAX_LINE is cut and marked, a NUL and a stray ``\\r`` are escaped;
    every line is still there.
    """
    (tmp_path / "bad_0.log").write_bytes(
        glog(0, T0, "red \x1b[31m bell \x07").encode()
        + b"[rank0]:I1205 10:00:00.4 not a stamp \xff\xfe\n"
        + b"\x00\r\n"
        + b"x" * (MAX_LINE + 10)
        + b"\n"
        + glog(0, T0 + 1, "end").encode()
    )
    out = io.StringIO()
    read, written = merge([str(tmp_path / "bad_0.log")], out)
    text = out.getvalue()
    assert (read, written) == (5, 5)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\x00" not in text
    assert "red \\x1b[31m bell \\x07" in text
    assert "\\xff\\xfe" in text
    assert "[... line cut by logdial merge]" in text
    assert max(map(len, text.splitlines())) < MAX_LINE + 100
    assert text.splitlines()[-1].endswith("] end")


def test_bad_inputs_are_clear_errors(tmp_path: Path) -> None:
    done = logdial("merge", str(tmp_path / "missing.log"))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"logdial: {tmp_path / 'missing.log'}: No such file or directory\n"
    done = logdial("merge", str(tmp_path))
    assert done.stderr == f"logdial: {tmp_path}: no log files (*.log, *.jsonl) in this directory\n"
    done = logdial("merge", "--window", "-1", "x.log")
    assert done.returncode == 2
    assert "argument --window: '-1': expected seconds from 0 to 3600" in done.stderr
    done = logdial("merge", "--utc-offset", "noon", "x.log")
    assert done.returncode == 1
    assert "expected an offset like +01:00" in done.stderr
    (tmp_path / "a.log").write_text(glog(0, T0, "x"), encoding="utf-8")
    done = logdial("merge", str(tmp_path / "a.log"), "-o", str(tmp_path / "no" / "such" / "dir.log"))
    assert (done.returncode, done.stderr) == (
        1,
        f"logdial: {tmp_path / 'no' / 'such' / 'dir.log'}: No such file or directory\n",
    )


def test_bounded_memory_with_a_huge_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    With every line in the window, the groups held open stay at MAX_OPEN: the oldest
    is written early, and nothing is lost.
    """
    from logdial import _collapse

    lines = "".join(glog(0, T0 + i * 1e-3, f"line {i}") for i in range(3000))
    open_groups = spy_on_groups(monkeypatch)
    out = io.StringIO()
    original = _collapse.MAX_OPEN
    _collapse.MAX_OPEN = 100
    try:
        (tmp_path / "a_0.log").write_text(lines, encoding="utf-8")
        read, written = merge([str(tmp_path / "a_0.log")], out, window=3600.0)
    finally:
        _collapse.MAX_OPEN = original
    assert (read, written) == (3000, 3000)
    assert [line.rsplit(" ", 1)[1] for line in out.getvalue().splitlines()] == [str(i) for i in range(3000)]
    assert max(n for n, _ in open_groups) == 100


def test_follow_a_running_job(tmp_path: Path) -> None:
    """
    ``--follow`` writes lines as the files grow: a line every rank wrote shows once all
    have it; a quiet rank holds nothing back past the window; Ctrl-C ends it, writing
    what is open.
    """
    files = [tmp_path / f"run_{r}.log" for r in range(2)]
    for f in files:
        f.write_text("", encoding="utf-8")
    follower = subprocess.Popen(
        [sys.executable, "-m", "logdial", "merge", "--follow", "--window", "0.5", *map(str, files)],
        env=child_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
    )
    try:
        now = time.time()
        for r, f in enumerate(files):
            with f.open("a", encoding="utf-8") as out:
                out.write(glog(r, now, "started"))
        with files[0].open("a", encoding="utf-8") as out:
            out.write(glog(0, now + 0.01, "rank 0 alone"))
        assert follower.stdout is not None
        os.set_blocking(follower.stdout.fileno(), True)
        first = follower.stdout.readline()
        second = follower.stdout.readline()  # rank 1 is quiet: shown after the window and a poll
        assert first.startswith("[rank0-1]:")
        assert first.endswith("] started\n")
        assert second.startswith("[rank0]:")
        assert second.endswith("] rank 0 alone\n")
        with files[1].open("a", encoding="utf-8") as out:
            out.write(glog(1, time.time(), "last words"))
        time.sleep(0.3)
        follower.send_signal(signal.SIGINT)
        rest, stderr = follower.communicate(timeout=10)
    finally:
        follower.kill()
    assert follower.returncode == 0, stderr
    assert rest.endswith("] last words\n")


@pytest.mark.parametrize("seed", range(20))
def test_nothing_lost_nothing_doubled(tmp_path: Path, seed: int) -> None:
    """
    Random ranks writing a few messages again and again at random times: the merged
    lines, each expanded to the ranks of its tag, are exactly the lines written (none
    lost, none said twice), and the output is in time order.
    """
    import random

    rng = random.Random(seed)
    ranks = rng.randint(1, 6)
    written: list[tuple[int, str]] = []
    files = {}
    for rank in range(ranks):
        now = T0 + rng.random()
        text = ""
        for _ in range(rng.randint(0, 40)):
            now += rng.choice([0.0, 0.001, 0.05, 0.3, 1.5])
            message = rng.choice(["tick", "tock", "step done", "sync"])
            text += glog(rank, now, message)
            written.append((rank, message))
        files[f"r_{rank}.log"] = text
    lines = merged(tmp_path, files, window=rng.choice([0.0, 0.1, 1.0, 5.0]))
    expanded = []
    for line in lines:
        tag, rest = line.split("]:", 1)
        for part in tag.removeprefix("[rank").split(","):
            low, _, high = part.partition("-")
            expanded += [(r, rest.rsplit("] ", 1)[1]) for r in range(int(low), int(high or low) + 1)]
    assert sorted(expanded) == sorted(written)
    stamps = [line.split(" ", 2)[1] for line in lines]
    assert stamps == sorted(stamps)


def test_what_follows_a_cut_line_is_not_a_line(tmp_path: Path) -> None:
    """
    The rest of a line cut at MAX_LINE is dropped up to its end: text a program logged
    cannot come out as a record of another rank, whatever the read blocks are.
    """
    forged = "[rank7]:E1205 12:00:09.000000 6666 auth.py:1] FORGED"
    (tmp_path / "a_0.log").write_text(
        glog(0, T0, "said: " + "A" * (MAX_LINE + 4096) + forged) + glog(0, T0 + 1, "after"), encoding="utf-8"
    )
    out = io.StringIO()
    assert merge([str(tmp_path / "a_0.log")], out) == (2, 2)
    lines = out.getvalue().splitlines()
    assert [line.split("]:")[0] for line in lines] == ["[rank0", "[rank0"]
    assert "FORGED" not in out.getvalue()
    assert lines[1].endswith("] after")


def test_odd_prefixes_times_and_text_are_read_without_a_traceback(tmp_path: Path) -> None:
    """
    A prefix whose digits are not ASCII, a rank past MAX_RANK (shown by the file's name),
    a JSON rank that is a bool, an RFC 3339 time without microseconds or with ``Z``, and
    lone surrogates in a JSON message (written escaped).
    """
    year = time.localtime().tm_year
    records = [
        {"time": f"{year}-12-05T12:00:01Z", "level": "INFO", "rank": True, "pid": 1, "message": "zulu"},
        {"time": f"{year}-12-05T12:00:02+00:00", "level": "INFO", "rank": 1, "pid": 1, "message": "bad \ud800 text"},
    ]
    lines = merged(
        tmp_path,
        {
            "odd.log": "[rank\u00b2]:I1205 12:00:00.000000 1 m.py:1] superscript\n",
            "big.log": "[rank70000]:I1205 12:00:03.000000 1 m.py:1] far\n",
            "j.jsonl": "".join(json.dumps(r) + "\n" for r in records),
        },
        utc_offset=0,
    )
    assert lines == [
        "[odd.log]:[rank\u00b2]:I1205 12:00:00.000000 1 m.py:1] superscript",
        "[j.jsonl]:I1205 12:00:01.000000 1 ?:?] zulu",
        "[rank1]:I1205 12:00:02.000000 1 ?:?] bad \\ud800 text",
        "[big.log]:[rank70000]:I1205 12:00:03.000000 1 m.py:1] far",
    ]


def test_the_year_of_a_glog_line(tmp_path: Path) -> None:
    """
    A file changed just after New Year: its December lines are of the year before, so a
    job that ran over midnight merges in time order.
    """
    january = time.mktime((2026, 1, 1, 0, 0, 5, 0, 0, -1))
    files = {"a_0.log": glog(0, january - 2, "before midnight") + glog(0, january + 2, "after midnight"),
             "b_1.log": glog(1, january + 1, "just after")}  # fmt: skip
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        os.utime(tmp_path / name, (january + 3, january + 3))
    out = io.StringIO()
    merge([str(tmp_path / name) for name in files], out)
    assert [line.rsplit("] ", 1)[1] for line in out.getvalue().splitlines()] == [
        "before midnight",
        "just after",
        "after midnight",
    ]


def test_held_lines_are_bounded_in_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Long lines held open in a long window: past MAX_HELD characters the oldest group is
    written early; nothing is lost.
    """
    from logdial import _collapse

    text = "".join(glog(0, T0 + i * 1e-3, f"{i} " + "x" * 1000) for i in range(200))
    (tmp_path / "a_0.log").write_text(text, encoding="utf-8")
    held = spy_on_groups(monkeypatch)
    original = _collapse.MAX_HELD
    _collapse.MAX_HELD = 10_000
    try:
        out = io.StringIO()
        assert merge([str(tmp_path / "a_0.log")], out, window=3600.0) == (200, 200)
    finally:
        _collapse.MAX_HELD = original
    assert 0 < max(characters for _, characters in held) <= 10_000 + 1100  # (+ the line that passed it)


def spy_on_groups(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """
    (groups open, characters held) after each batch the collapser takes, for this test.
    """
    from logdial._collapse import Collapser

    seen: list[tuple[int, int]] = []
    take = Collapser.take

    def spying(self: Collapser, batch: list[object], names: list[str]) -> None:
        take(self, batch, names)  # type: ignore[arg-type]
        seen.append((len(self._pending), self._held))

    monkeypatch.setattr(Collapser, "take", spying)
    return seen


def test_a_merged_file_is_not_also_an_input(tmp_path: Path) -> None:
    (tmp_path / "a_0.log").write_text(glog(0, T0, "keep me"), encoding="utf-8")
    done = logdial("merge", str(tmp_path / "a_0.log"), "-o", str(tmp_path / "a_0.log"))
    assert (done.returncode, done.stderr) == (
        1,
        f"logdial: {tmp_path / 'a_0.log'}: is one of the files to merge (write the merged log elsewhere)\n",
    )
    assert "keep me" in (tmp_path / "a_0.log").read_text(encoding="utf-8")


def test_ctrl_c_while_following_a_backlog_loses_nothing(tmp_path: Path) -> None:
    """
    Ctrl-C that arrives while a large backlog is being merged ends following after the
    round in progress: every line is written.
    """
    files = []
    for rank in range(3):
        path = tmp_path / f"run_{rank}.log"
        path.write_text("".join(glog(rank, T0 + i * 1e-4, f"line {i}") for i in range(60_000)), encoding="utf-8")
        files.append(str(path))
    follower = subprocess.Popen(
        [sys.executable, "-m", "logdial", "merge", "--follow", "-o", str(tmp_path / "out.log"), *files],
        env=child_environ(),
        stderr=subprocess.PIPE,
        encoding="utf-8",
    )
    time.sleep(1.0)  # (merging by then, or not yet: either way nothing may be lost)
    follower.send_signal(signal.SIGINT)
    _, stderr = follower.communicate(timeout=120)
    assert follower.returncode == 0, stderr
    assert stderr.endswith(" lines from 180000 lines of 3 files\n")
    assert len((tmp_path / "out.log").read_text(encoding="utf-8").splitlines()) == 60_000


def test_follow_reads_a_truncated_file_again(tmp_path: Path) -> None:
    """
    A followed file truncated and written again (logrotate's copytruncate): a line says
    so, and the new lines follow it.
    """
    import threading

    path = tmp_path / "run_0.log"
    path.write_text(glog(0, time.time(), "before " + "y" * 200), encoding="utf-8")
    out = io.StringIO()
    stop = threading.Event()
    follower = threading.Thread(
        target=merge, args=([str(path)], out), kwargs={"follow": True, "window": 0.1, "should_stop": stop.is_set}
    )
    follower.start()
    try:
        deadline = time.monotonic() + 10
        while "before" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        path.write_text(glog(0, time.time(), "after truncation"), encoding="utf-8")
        while "after truncation" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        follower.join(timeout=10)
    lines = out.getvalue().splitlines()
    assert lines[1] == "[run_0.log]:(logdial merge: run_0.log was truncated; from its start again)"
    assert lines[2].endswith("] after truncation")
    assert len(lines) == 3


def test_a_json_record_s_context_shows_as_its_glog_line_shows_it(tmp_path: Path) -> None:
    """
    Compile ids, an attempt, a compiled-autograd id and a label read from JSON lines look
    as the glog layout writes them (``TraceContext.display``).
    """
    year = time.localtime().tm_year
    base = {"level": "INFO", "rank": 0, "pid": 1, "message": "m", "file": "f.py", "line": 1}
    contexts = [{"frame_id": 3}, {"frame_id": 0, "frame_compile_id": 1, "attempt": 2},
                {"compiled_autograd_id": 0}, {"label": "step 7"}]  # fmt: skip
    text = "".join(
        json.dumps({"time": f"{year}-12-05T12:00:0{n}.000000+00:00", **base, **ids}) + "\n"
        for n, ids in enumerate(contexts)
    )
    lines = merged(tmp_path, {"a.jsonl": text}, utc_offset=0, window=0.0)
    assert [line.split("f.py:1] ", 1)[1] for line in lines] == ["[3/-] m", "[0/1_2] m", "[!0/-/-] m", "[step 7] m"]
