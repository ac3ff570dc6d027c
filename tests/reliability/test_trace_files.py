"""
Promise 6, the trace and the report: trace files are created 0600 in directories created
0700; a symlink planted where the trace file will be is never followed; the HTML report
escapes everything a trace holds, so trace content cannot add markup or script.
"""

from __future__ import annotations

import collections
import html.parser
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from logdial import LogSystem
from logdial._report import write_report
from logdial._trace import FILE_PREFIX


def mode(path: str | Path) -> int:
    """
    The permission bits of ``path`` (not following a symlink).
    """
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """
    A umask of 0 for the test: the modes logdial asks for are all that protects its files.
    """
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


class TestPermissions:
    """
    What logdial creates for a trace, and with which mode.
    """

    @pytest.mark.usefixtures("open_umask")
    def test_file_0600_in_directories_0700(self, system: LogSystem, tmp_path: Path) -> None:
        """
        Every missing directory on the way is created 0700 and the file 0600, even
        with a umask of 0.
        """
        trace_dir = tmp_path / "a" / "b" / "c"
        system.set_trace_dir(trace_dir)
        system.trace_structured("testsys_step", lambda: {"n": 1})
        assert system.trace_file is not None
        created = [tmp_path / "a", tmp_path / "a" / "b", trace_dir]
        assert ([0o700] * 3, 0o600) == ([mode(d) for d in created], mode(system.trace_file))

    def test_existing_directory_untouched(self, system: LogSystem, tmp_path: Path) -> None:
        """
        A directory that exists is used as it is (the user chose it): its mode does not
        change, and the file in it is 0600 all the same.
        """
        trace_dir = tmp_path / "shared"
        trace_dir.mkdir()
        trace_dir.chmod(0o755)
        system.set_trace_dir(trace_dir)
        system.trace_structured("testsys_step", lambda: {"n": 1})
        assert system.trace_file is not None
        assert (0o755, 0o600) == (mode(trace_dir), mode(system.trace_file))


class TestPlantedSymlink:
    """
    Someone who can write the trace directory plants a symlink where the file will be.
    """

    @pytest.mark.parametrize("victim_exists", [True, False])
    def test_never_followed(
        self, system: LogSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, victim_exists: bool
    ) -> None:
        """
        The file name is random; here the attacker is given the name it will try first
        (the one thing that cannot happen for real: the random sequence is replaced).
        The symlink, to an existing file or to one it hopes logdial creates, is left
        alone: the file is created with ``O_EXCL``, which refuses any existing path, so
        logdial takes the next name, and the victim is neither written nor created.
        """
        trace_dir = tmp_path / "trace"
        trace_dir.mkdir(mode=0o700)
        victim = tmp_path / "victim"
        if victim_exists:
            victim.write_text("precious\n", encoding="utf-8")
        planted = trace_dir / f"{FILE_PREFIX}guessed1.log"
        planted.symlink_to(victim)
        monkeypatch.setattr(tempfile, "_name_sequence", iter(["guessed1", "guessed2"]))
        system.set_trace_dir(trace_dir)
        system.trace_structured("testsys_step", lambda: {"n": 1}, payload_fn=lambda: "secret")
        assert (str(trace_dir / f"{FILE_PREFIX}guessed2.log"), 0o600) == (system.trace_file, mode(system.trace_file))
        assert (True, victim.resolve()) == (planted.is_symlink(), planted.resolve())
        assert (victim.read_text(encoding="utf-8") if victim_exists else None) == (
            "precious\n" if victim_exists else (victim.read_text(encoding="utf-8") if victim.exists() else None)
        )

    def test_planted_file_untouched(self, system: LogSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A regular file planted at the name is not appended to or truncated either.
        """
        trace_dir = tmp_path / "trace"
        trace_dir.mkdir()
        planted = trace_dir / f"{FILE_PREFIX}guessed1.log"
        planted.write_text("planted\n", encoding="utf-8")
        monkeypatch.setattr(tempfile, "_name_sequence", iter(["guessed1", "guessed2"]))
        system.set_trace_dir(trace_dir)
        system.trace_structured("testsys_step", lambda: {"n": 1})
        assert ("planted\n", str(trace_dir / f"{FILE_PREFIX}guessed2.log")) == (
            planted.read_text(encoding="utf-8"),
            system.trace_file,
        )


#: Trace content that would be markup or script if the report did not escape it.
ATTACKS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "</script><script>alert(4)</script>",
    "</SCRIPT ><iframe src=javascript:alert(5)>",
    "<!--",
    "]]><![CDATA[",
    "javascript:alert(6)",
    "\u2028\u2029</title><base href=//evil.invalid/>",
    "&lt;already&gt; &#60;x&#62;",
]


def _trace(tmp_path: Path, texts: list[str], name: str) -> Path:
    """
    A trace whose event names, metadata, payloads, context labels and stack file names
    hold ``texts``.
    """
    logs = LogSystem(f"report_{name}")
    logs.set_trace_dir(tmp_path / name)
    for n, text in enumerate(texts):
        logs.trace_structured(
            f"mylib_{text}", lambda text=text: {"value": text, text: [text]}, payload_fn=lambda t=text: t
        )
        with logs.trace_context(
            frame_id=n, frame_compile_id=0, label=text.replace("\u2028", " ").replace("\u2029", " ")
        ):
            logs.trace_artifact("plan", lambda text=text: f"line 1\n{text}\nline 3")
        code = compile(
            "logs.trace_structured('dynamo_start', lambda: {'stack': logs.trace_stack()})", text + ".py", "exec"
        )
        exec(code, {"logs": logs})
    path = logs.trace_file
    logs.reset()
    assert path is not None
    # The same times in every such trace: the report's timeline (its ticks) follows the
    # span of the times, and the reports compared must differ only by the texts.
    count = iter(range(1_000_000))
    text = re.sub(
        r"(?m)^([VIWEC])\d{4} \d\d:\d\d:\d\d\.\d{6} ",
        lambda m: f"{m[1]}1205 00:00:00.{next(count):06d} ",
        Path(path).read_text(encoding="utf-8"),
    )
    Path(path).write_text(text, encoding="utf-8")
    return Path(path)


class _Markup(html.parser.HTMLParser):
    """
    The tags of a page with the names of their attributes, and the URLs it links to.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: collections.Counter[tuple[str, tuple[str, ...]]] = collections.Counter()
        self.urls: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag, tuple(sorted(name for name, _ in attrs))] += 1
        self.urls += [value or "" for name, value in attrs if name in ("href", "src", "action", "formaction")]


class TestReport:
    """
    The HTML report of a trace full of markup and script.
    """

    def test_everything_escaped(self, tmp_path: Path) -> None:
        """
        Against the report of the same trace with harmless text of the same shape: the
        same tags with the same attributes (so no script, frame or event handler was
        added), no ``javascript:`` link, and none of the attacks verbatim in any page,
        script or style (payload files, plain text served as such, hold them as written).
        """
        benign = [re.sub(r"[^a-z0-9 ]", "x", attack) for attack in ATTACKS]
        pages = {}
        for name, texts in (("benign", benign), ("hostile", ATTACKS)):
            out = tmp_path / f"report_{name}"
            write_report([_trace(tmp_path, texts, name)], out, progress=False)
            pages[name] = {
                p.relative_to(out): p.read_text(encoding="utf-8")
                for p in sorted(out.rglob("*"))
                if p.is_file() and p.suffix in (".html", ".js", ".css", ".json")
            }
        assert pages["benign"].keys() == pages["hostile"].keys()
        for page, text in pages["hostile"].items():
            markup = _Markup(text) if page.suffix == ".html" else None
            if markup is not None:
                assert (page, _Markup(pages["benign"][page]).tags) == (page, markup.tags)
                assert (page, []) == (page, [u for u in markup.urls if u.strip().lower().startswith("javascript:")])
            found = [attack for attack in ATTACKS if attack in text and not attack.startswith("javascript")]
            assert (page, []) == (page, found)
