"""
Promise 4, bad input: the settings parser, ``{P}_LOGS_FORMAT``, ``set_logs`` keywords and
the trace reader, fed anything at all. Each answers with its own error (``SettingsError``,
``FormatError``, ``TraceFormatError`` with the line), never another exception, never a
hang, and evaluates nothing it is given.
"""

from __future__ import annotations

import decimal
import fractions
import gc
import hashlib
import io
import json
import logging
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tests.reliability._support import process_system
from tests.strategies import ARTIFACT_NAMES, COMPONENT_NAMES, noisy_settings, valid_items

import logdial
from logdial import FormatError, LogSystem, Settings, SettingsError
from logdial._formatting import MAX_FORMAT_WIDTH, PercentFormatter, check_format
from logdial._inputs import MAX_SETTINGS_LENGTH
from logdial._levels import parse_level
from logdial._report._tracefile import TraceFormatError, read_trace

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Characters the grammar gives a meaning, quotes, controls, escapes, any script.
_HOSTILE = ",=+-*?._ \t\n\r\x00\x1b\x7f\x85\u2028'\"`\\$%{}()[]<>;|&aZ09\u00e9\u0301\u202e\udcff"
SETTINGS_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(_HOSTILE), max_size=60),
    noisy_settings(),
    # Wildcards nested in and around dotted names and values.
    st.lists(
        st.one_of(st.sampled_from(("*", "?", "**", "*?*", ".", "*.*", "?.?", "=", "+", "-")), valid_items()),
        max_size=12,
    ).map("".join),
)


def parse_or_error(logs: LogSystem, text: str) -> Settings | SettingsError:
    """
    ``logs.parse(text)``, or the ``SettingsError`` it raised.
    """
    try:
        return logs.parse(text)
    except SettingsError as exc:
        return exc


class TestSettingsText:
    """
    Any settings string: ``Settings`` or ``SettingsError``.
    """

    @FUZZ
    @given(text=SETTINGS_TEXT)
    @example(text="*" * 500)
    @example(text="?.*." * 100)
    @example(text="'+dynamo'")
    @example(text='"+dynamo",\x00')
    def test_parse(self, demo: LogSystem, text: str) -> None:
        """
        ``parse`` gives ``Settings`` or raises ``SettingsError``, whose message ends with
        where to find the names.
        """
        result = parse_or_error(demo, text)
        assert isinstance(result, Settings) or str(result).endswith("TORCH_LOGS=help lists all names.")

    @FUZZ
    @given(text=SETTINGS_TEXT)
    def test_init_never_raises(self, demo: LogSystem, text: str) -> None:
        """
        The same text as ``TORCH_LOGS`` at ``init()`` (not strict) never raises: it is
        reported and its valid items applied; only ``help`` exits, with status 0.
        """
        status = None
        try:
            demo.init({"TORCH_LOGS": text, "TORCH_LOGS_CONSOLE": "none"})
        except SystemExit as exc:
            status = exc.code
        demo.reset()
        assert status is None or (0, True) == (status, "help" in text.lower())

    def test_megabyte_refused_at_once(self, demo: LogSystem) -> None:
        """
        A 1 MB settings string is refused with one ``SettingsError`` that states the
        bound, before any parsing: no more memory than a few copies of its message.
        """
        text = "+dynamo," * (1 << 17)
        tracemalloc.start()
        try:
            with pytest.raises(SettingsError) as info:
                demo.parse(text)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        expected = (
            "invalid minitorch settings: a string of 1,048,576 characters: longer than the 65,536 a setting may have\n"
            "TORCH_LOGS=help lists all names."
        )
        assert (expected, True) == (str(info.value), peak < 64 * 1024)
        with pytest.raises(SettingsError, match=r"^invalid set_logs\(\) settings: a string of 1,048,576 characters"):
            demo.set_logs(text)

    def test_megabyte_variable(self, demo: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        The same string as ``TORCH_LOGS``: one notice (without the value), nothing
        applied; in strict mode the ``SettingsError``.
        """
        text = "+dynamo," * (1 << 17)
        demo.init({"TORCH_LOGS": text, "TORCH_LOGS_CONSOLE": "none"})
        expected = (
            "invalid TORCH_LOGS: a string of 1,048,576 characters: longer than the 65,536 a setting may have\n"
            "TORCH_LOGS=help lists all names.\nNone of its items is applied.\n"
        )
        assert (expected, {}) == (capsys.readouterr().err, dict(demo.settings.levels))
        with pytest.raises(SettingsError, match=r"^invalid TORCH_LOGS: a string of 1,048,576"):
            demo.init({"TORCH_LOGS": text, "TORCH_LOGS_STRICT": "1"})

    @pytest.mark.parametrize(
        "make",
        [
            lambda n: ("+dynamo," * n)[:n],  # valid items
            lambda n: ("nope_x," * n)[:n],  # unknown names, each looked up and given suggestions
            lambda n: ("'\"\x1b=,+-" * n)[:n],  # garbage
            lambda n: ".".join("a" * (n // 2)),  # one dotted name
            lambda n: ("*.dyn?mo," * n)[:n],  # wildcards
        ],
        ids=["valid", "unknown", "garbage", "dotted", "wildcards"],
    )
    def test_memory_grows_linearly(self, demo: LogSystem, make: Callable[[int], str]) -> None:
        """
        Below the bound, the memory ``parse`` needs grows at most linearly with the
        length: four times the text, at most six times the peak.
        """

        def peak(text: str) -> int:
            gc.collect()
            tracemalloc.start()
            try:
                parse_or_error(demo, text)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        small, large = make(MAX_SETTINGS_LENGTH // 16), make(MAX_SETTINGS_LENGTH // 4)
        peak(small)  # warm the caches (module finder, regex cache) first
        ratio = peak(large) / max(peak(small), 1)
        assert ratio < 6, ratio

    def test_long_wildcard_pattern_costs_little(self, demo: LogSystem) -> None:
        """
        One long wildcard pattern (``*a*a*a...``, 32 KB) that can match nothing is
        resolved in under 1 MB of memory (fnmatch compiled it whole: 15 MB).
        """
        tracemalloc.start()
        try:
            parse_or_error(demo, "*a" * (MAX_SETTINGS_LENGTH // 4))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 1 << 20


#: Formats that must be refused at init: each names what is wrong.
HOSTILE_FORMATS = {
    "%(msg.__class__)s": "unknown field(s) 'msg.__class__'",
    "%(message)s%(__class__)s": "unknown field(s) '__class__'",
    "{message.__class__.__init__.__globals__}": "has no field",
    "%(message)999999999s": f"asks for a width of 999999999 in '%(message)999999999s'; at most {MAX_FORMAT_WIDTH}",
    "%(message)-1025s": "asks for a width of 1025",
    "%(created).999999999f": "asks for a precision of 999999999",
    "%(levelno)0999999999d": "asks for a width of 999999999",
    "%(message)*s": "is not a valid %-style format",
    "%(thread)c": "uses the conversion %c",
    "%(process)c": "uses the conversion %c",
    "%(message)d": "is not a valid %-style format",
    "%(message)s %": "is not a valid %-style format",
    "%(message": "has no field",
    "%(message)s\x00%(name)q": "is not a valid %-style format",
}


class TestFormat:
    """
    ``{P}_LOGS_FORMAT`` given something hostile or wrong.
    """

    @pytest.mark.parametrize("fmt", list(HOSTILE_FORMATS))
    def test_refused_at_init(self, system: LogSystem, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Strict: a ``FormatError`` at ``init()`` that names the problem. Not strict: one
        notice, and the first record is logged in the default format without a crash.
        """
        with pytest.raises(FormatError) as info:
            system.init({"TESTSYS_LOGS_FORMAT": fmt, "TESTSYS_LOGS_STRICT": "1"})
        assert HOSTILE_FORMATS[fmt] in str(info.value)
        system.reset()
        system.init({"TESTSYS_LOGS_FORMAT": fmt})
        logging.getLogger("testsys.core").warning("first %s", "record")
        notice, record = capsys.readouterr().err.splitlines()
        assert (True, True) == (notice.startswith("TESTSYS_LOGS_FORMAT: "), record.endswith("] first record"))

    def test_braces_are_text(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``{...}`` beside a real field is literal text: nothing in it is looked up.
        """
        fmt = "%(message)s {message.__class__.__mro__} {0} %%(name)s"
        system.init({"TESTSYS_LOGS_FORMAT": fmt})
        logging.getLogger("testsys.core").warning("hi")
        assert "hi {message.__class__.__mro__} {0} %(name)s\n" == capsys.readouterr().err

    @settings(max_examples=150, deadline=None)
    @given(
        fmt=st.lists(
            st.one_of(
                st.sampled_from(["%(message)", "%(name)", "%(levelno)", "%(created)", "%(args)", "%(msg)", "%(", ")"]),
                st.sampled_from(
                    ["s", "r", "a", "d", "x", "f", "c", "%", "-", "0", "#", " ", "+", ".", "*", "5", "99999"]
                ),
                st.sampled_from(["%", "%%", "{", "}", "{message}", "\n", "\x1b", "\u2028"]),
                st.text(max_size=3),
            ),
            max_size=8,
        ).map("".join),
        message=st.text(max_size=20),
        args=st.lists(st.one_of(st.integers(), st.text(max_size=5), st.floats(), st.none()), max_size=2),
    )
    def test_accepted_formats_never_fail(self, fmt: str, message: str, args: list[object]) -> None:
        """
        Any format is refused with ``FormatError`` at construction, or formats every
        record (any message, any arguments) without raising.
        """
        try:
            formatter = PercentFormatter(fmt)
        except FormatError:
            return
        record = logging.LogRecord("testsys.core", logging.INFO, __file__, 1, message.replace("%", "%%"), None, None)
        record.args = tuple(args) if args else None
        if args:
            record.msg = " ".join("%r" for _ in args)
        assert isinstance(formatter.format(record), str)

    def test_check_format_alone(self) -> None:
        """
        ``check_format`` answers ``FormatError`` (never ``OverflowError`` or another
        exception) for a conversion no record value fits.
        """
        with pytest.raises(FormatError):
            check_format("%(thread)c")


#: Values of every kind of wrong type for a keyword of ``set_logs``.
WRONG_VALUES: list[object] = [
    1.5,
    "LOUD",  # (a level's name, "DEBUG", or its number, "10", is a level)
    "-10",
    b"10",
    [],
    {},
    (),
    set(),
    object(),
    float("nan"),
    -1,
    1j,
    fractions.Fraction(1, 2),
    decimal.Decimal(10),
    logging,
    print,
    type,
    io.StringIO(),
]


class TestSetLogsValues:
    """
    ``set_logs`` keywords and ``modules=`` with values of the wrong type.
    """

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            pytest.param(key, value, id=f"{key}-{type(value).__name__}")
            for key in ["all", COMPONENT_NAMES[0], ARTIFACT_NAMES[0], "no_such_name"]
            for value in WRONG_VALUES
            if not (key == ARTIFACT_NAMES[0] and isinstance(value, bool))  # an artifact's value
        ],
    )
    def test_keyword(self, demo: LogSystem, key: str, value: object) -> None:
        """
        A level keyword given anything but a non-negative int, a level's name or None, an artifact
        keyword anything but a bool or None, or an unknown keyword: ``SettingsError``
        (and nothing changes).
        """
        with pytest.raises(SettingsError, match=rf"^invalid set_logs\(\) settings: {key}="):
            demo.set_logs(**{key: value})  # type: ignore[arg-type]
        assert {} == dict(demo.settings.levels)

    @FUZZ
    @given(
        value=st.one_of(
            st.floats(),
            st.text().filter(lambda text: parse_level(text) is None),  # (a level's name or number is a level)
            st.binary(),
            st.lists(st.integers()),
            st.dictionaries(st.text(), st.integers()),
        ),
        key=st.sampled_from(["all", *COMPONENT_NAMES, *ARTIFACT_NAMES]),
    )
    def test_keyword_fuzzed(self, demo: LogSystem, key: str, value: object) -> None:
        """
        The same for generated values: ``SettingsError``, nothing else.
        """
        with pytest.raises(SettingsError):
            demo.set_logs(**{key: value})  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "modules", [["minitorch"], "minitorch", {"minitorch": "LOUD"}, {3: 10}, {"a..b": 10}, {"x": -5}, {"x": 1.0}]
    )
    def test_modules(self, demo: LogSystem, modules: object) -> None:
        """
        ``modules=`` that is not a mapping of dotted names to levels: ``SettingsError``.
        """
        with pytest.raises(SettingsError, match=r"^invalid set_logs\(\) settings: modules"):
            demo.set_logs(modules=modules)  # type: ignore[arg-type]


def _valid_trace(tmp_path: Path) -> bytes:
    """
    A real trace: records with payloads, contexts, stacks and the string table.
    """
    logs = process_system()
    logs.set_trace_dir(tmp_path / "valid")
    logs.trace_structured("proc_step", lambda: {"n": 1, "s": "é\u2028"}, payload_fn=lambda: "a\n\tb\nc")
    with logs.trace_context(frame_id=0, frame_compile_id=1):
        logs.trace_structured("dynamo_start", lambda: {"stack": logs.trace_stack()})
        logs.trace_artifact("plan", lambda: "scan\nfilter")
        logs.trace_artifact("stats", lambda: {"rows": [1, 2]}, encoding="json")
    path = logs.trace_file
    logs.reset()
    assert path is not None
    return Path(path).read_bytes()


def _record(header: dict[str, object], payload: str | None = None) -> bytes:
    """
    One trace record written by hand (a valid header, with the MD5 of ``payload``).
    """
    if payload is not None:
        header = {**header, "has_payload": hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()}
    lines = [f"V1201 10:00:00.000000 42 mod.py:7] {json.dumps(header)}"]
    lines += ["\t" + line for line in (payload or "").split("\n")] if payload is not None else []
    return ("\n".join(lines) + "\n").encode()


#: Files the reader must refuse, and the line it must name.
ADVERSARIAL = {
    "deep_json": (b"V1201 10:00:00.000000 42 mod.py:7] " + b"[" * 100_000 + b"\n", 1),
    "deep_object": (b"V1201 10:00:00.000000 42 mod.py:7] " + b'{"a":' * 100_000 + b"\n", 1),
    "huge_pid": (b"V1201 10:00:00.000000 " + b"9" * 5000 + b' mod.py:7] {"a": {}}\n', 1),
    "huge_line": (b"V1201 10:00:00.000000 42 mod.py:" + b"7" * 5000 + b'] {"a": {}}\n', 1),
    "huge_number": (b'V1201 10:00:00.000000 42 mod.py:7] {"a": ' + b"1" * 5000 + b"}\n", 1),
    "nan": (b'V1201 10:00:00.000000 42 mod.py:7] {"a": NaN}\n', 1),
    "not_object": (b"V1201 10:00:00.000000 42 mod.py:7] [1, 2]\n", 1),
    "latin1": (_record({"a": {}}) + b'V1201 10:00:00.000000 42 mod.py:7] {"\xe9": 1}\n', 2),
    "orphan_payload": (_record({"a": {}}) + b"\tpayload\n", 2),
    "wrong_md5": (_record({"a": {}}, "x").replace(b"\tx", b"\ty"), 1),
    "code": (b"V1201 10:00:00.000000 42 mod.py:7] __import__('os').system('touch /tmp/pwned')\n", 1),
    "pickle": (b"V1201 10:00:00.000000 42 mod.py:7] \x80\x04\x95\n", 1),
    "nul": (_record({"a": {}}) + b"\x00\x00\x00\n", 2),
}


class TestTraceReader:
    """
    ``read_trace`` on truncated, corrupted, non-UTF-8 and adversarial files.
    """

    @pytest.mark.parametrize("name", list(ADVERSARIAL))
    def test_adversarial(self, name: str, tmp_path: Path) -> None:
        """
        Each is a ``TraceFormatError`` naming the file and the line; nothing in it runs.
        """
        data, line = ADVERSARIAL[name]
        path = tmp_path / "trace.log"
        path.write_bytes(data)
        with pytest.raises(TraceFormatError) as info:
            list(read_trace(path))
        assert str(info.value).startswith(f"{path}:{line}: ")
        assert not Path("/tmp/pwned").exists()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test_mutated_real_trace(self, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
        """
        A real trace truncated anywhere, with bytes changed, inserted or removed, or
        with non-UTF-8 bytes: the records or a ``TraceFormatError`` that names a line of
        the file, nothing else.
        """
        directory = tmp_path_factory.mktemp("mutated")
        original = _VALID.get(None) or _VALID.setdefault(None, _valid_trace(directory))
        blob = bytearray(original)
        for _ in range(data.draw(st.integers(1, 4), label="mutations")):
            where = data.draw(st.integers(0, len(blob)), label="where")
            kind = data.draw(st.sampled_from(["truncate", "flip", "insert", "delete"]), label="kind")
            if kind == "truncate":
                del blob[where:]
            elif kind == "flip" and where < len(blob):
                blob[where] = data.draw(st.integers(0, 255), label="byte")
            elif kind == "insert":
                blob[where:where] = data.draw(st.sampled_from([b"\xff", b"\n", b"\t", b"{", b"]", b"\x00", b"\xe9"]))
            elif where < len(blob):
                del blob[where]
        path = directory / "trace.log"
        path.write_bytes(bytes(blob))
        try:
            records = list(read_trace(path))
        except TraceFormatError as exc:
            lineno = int(str(exc)[len(str(path)) + 1 :].split(":", 1)[0])
            assert 1 <= lineno <= bytes(blob).count(b"\n") + 1
        else:
            assert all(isinstance(r.envelope, dict) for r in records)


_VALID: dict[None, bytes] = {}


def test_reader_imports_nothing_to_run() -> None:
    """
    The reader parses with ``json`` alone: it has no ``eval``, ``exec``, ``pickle`` or
    ``marshal`` to run what a file holds.
    """
    source = (Path(logdial.__file__).parent / "_report" / "_tracefile.py").read_text(encoding="utf-8")
    assert [] == [word for word in ("eval(", "exec(", "pickle", "marshal", "yaml") if word in source]
    assert "logdial._report._tracefile" in sys.modules
