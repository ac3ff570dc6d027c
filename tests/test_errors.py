"""
Exceptions (``_errors``): the hierarchy the module's docstring draws, what each is raised
for, ``SettingsError.problems``, and the public name a traceback shows.
"""

from __future__ import annotations

import pickle
import re
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.package import subclasses_in_source

import logdial
from logdial import FormatError, LogdialError, LogSystem, RegistrationError, SettingsError, _errors
from logdial._errors import ReportError
from logdial._report import write_report
from logdial._report._tracefile import TraceFormatError, read_trace

#: The exceptions ``import logdial`` exports.
EXPORTED = [LogdialError, SettingsError, FormatError, RegistrationError]


def _bad_trace(path: Path) -> None:
    """
    Read a trace file whose first line is not a record header.
    """
    path.write_text("garbage\n", encoding="utf-8")
    list(read_trace(path))


class TestHierarchy:
    """
    ``LogdialError`` and the classes below it.
    """

    def test_error_hierarchy(self) -> None:
        """
        Settings and format errors are ValueErrors and LogdialErrors.
        """
        for cls in (logdial.SettingsError, logdial.FormatError, logdial.RegistrationError):
            assert issubclass(cls, ValueError)
            assert issubclass(cls, logdial.LogdialError)

    def test_the_docstring_draws_the_hierarchy(self) -> None:
        """
        The tree in the module's docstring is whole and true: it draws every class that
        derives from ``LogdialError`` (in any module), and each is a ``ValueError`` or a
        ``LookupError`` exactly where it says so.
        """
        drawn = dict(re.findall(r"[├└]── (\w+)(?: \(also a (\w+)\))?", _errors.__doc__ or ""))
        also = {ValueError: "ValueError", LookupError: "LookupError"}
        found = {
            cls.__name__: next((name for kind, name in also.items() if issubclass(cls, kind)), "")
            for cls in subclasses_in_source("LogdialError")
        }
        assert found == drawn

    def test_base(self) -> None:
        """
        ``LogdialError`` is an ``Exception`` and nothing more (not a ``ValueError``):
        ``except LogdialError`` catches logdial's errors and no others.
        """
        assert ((Exception,), False) == (LogdialError.__bases__, issubclass(ValueError, LogdialError))

    @pytest.mark.parametrize(
        ("expected", "fail"),
        [
            (SettingsError, lambda logs, tmp: logs.parse("core=loud")),
            (SettingsError, lambda logs, tmp: logs.set_logs(core="loud")),
            (FormatError, lambda logs, tmp: logs.set_output(format="%(nope)s")),
            (RegistrationError, lambda logs, tmp: logs.register_log("bad name", ["x"])),
            (RegistrationError, lambda logs, tmp: logs.register_artifact("core", "Taken by a component.")),
            (TraceFormatError, lambda logs, tmp: _bad_trace(tmp / "bad.log")),
            (ReportError, lambda logs, tmp: write_report([], tmp / "report")),
        ],
        ids=["settings", "set_logs", "format", "bad_name", "conflict", "trace_file", "report"],
    )
    def test_raised_for_what_the_docstring_says(
        self, system: LogSystem, tmp_path: Path, expected: type[Exception], fail: Callable[[LogSystem, Path], object]
    ) -> None:
        """
        An invalid settings string or ``set_logs`` value, log format, registration, trace
        file, and a report that cannot be made each raise their class, which
        ``except LogdialError`` catches.
        """
        with pytest.raises(LogdialError) as caught:
            fail(system, tmp_path)
        assert expected is type(caught.value)


class TestSettingsError:
    """
    ``SettingsError.problems``: one line per bad item.
    """

    @pytest.mark.parametrize("problems", [None, ()], ids=["none_given", "empty"])
    def test_problems_default_to_the_message(self, problems: tuple[str, ...] | None) -> None:
        """
        Made without problems, it has one: the message.
        """
        error = SettingsError("invalid x") if problems is None else SettingsError("invalid x", problems)
        assert ("invalid x", ("invalid x",)) == (str(error), error.problems)

    def test_problems_as_given(self) -> None:
        """
        Problems given are kept, all of them, in order; the message is the one given.
        """
        error = SettingsError("invalid x (3 items)", ("'a': bad", "'b': bad", "'a': bad"))
        assert ("invalid x (3 items)", ("'a': bad", "'b': bad", "'a': bad")) == (str(error), error.problems)


class TestPublicName:
    """
    Tracebacks show the public name (``logdial.SettingsError``), not the private module.
    """

    @pytest.mark.parametrize("cls", EXPORTED, ids=lambda cls: cls.__name__)
    def test_module_is_logdial(self, cls: type[LogdialError]) -> None:
        """
        The class says it is logdial's, and ``logdial`` has it under that name.
        """
        assert ("logdial", cls) == (cls.__module__, getattr(logdial, cls.__name__))

    @pytest.mark.parametrize("cls", EXPORTED, ids=lambda cls: cls.__name__)
    def test_traceback_line(self, cls: type[LogdialError]) -> None:
        """
        The last line of a traceback names ``logdial.<Class>``.
        """
        assert [f"logdial.{cls.__name__}: bad\n"] == traceback.format_exception_only(cls("bad"))

    @pytest.mark.parametrize("cls", EXPORTED, ids=lambda cls: cls.__name__)
    def test_pickle(self, cls: type[LogdialError]) -> None:
        """
        An error pickles (as ``multiprocessing`` sends it to the parent) under its
        public name, and comes back the same class with the same message.
        """
        restored = pickle.loads(pickle.dumps(cls("bad")))
        assert (cls, ("bad",)) == (type(restored), restored.args)

    def test_pickle_keeps_problems(self) -> None:
        """
        A ``SettingsError`` comes back from pickle with its problems.
        """
        restored = pickle.loads(pickle.dumps(SettingsError("invalid x", ("'a': bad", "'b': bad"))))
        assert ("invalid x", ("'a': bad", "'b': bad")) == (str(restored), restored.problems)
