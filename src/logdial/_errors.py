"""Exceptions raised by logdial.

The hierarchy::

    LogdialError
     ├── SettingsError (also a ValueError): an invalid settings string or set_logs value
     ├── FormatError (also a ValueError): an invalid log format string
     ├── RegistrationError (also a ValueError): an invalid or conflicting registration
     ├── TraceFormatError (also a ValueError): a trace file logdial cannot read (in _tracefile)
     ├── ReportError: a report that cannot be made from these inputs or into that directory
     ├── PluginError: an installed system that cannot be loaded (in _plugins)
     ├── ControlError: this process cannot be controlled live (in _control; enable_control says it)
     ├── MergeError (also a ValueError): logs that logdial merge or run cannot read or write (in _merge)
     └── UnknownSystemError (also a LookupError): no installed system has that name (in _plugins)
"""

from __future__ import annotations

__all__ = ["FormatError", "LogdialError", "RegistrationError", "ReportError", "SettingsError"]


class LogdialError(Exception):
    """
    Base class of every exception logdial raises on purpose.
    """


class SettingsError(LogdialError, ValueError):
    """
    An invalid settings string (``{P}_LOGS``, ``parse``, ``set_logs``) or keyword value.

    The message names each bad item, its position, and the closest registered names (the
    first 20 items, then how many more there are). ``problems`` holds one line per bad
    item, all of them, in the order they appear (names are suggested for the first 20).
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = problems or (message,)


class FormatError(LogdialError, ValueError):
    """
    An invalid log format string (``{P}_LOGS_FORMAT`` or an artifact's ``log_format``).
    """


class RegistrationError(LogdialError, ValueError):
    """
    An invalid registration: a bad name, or a name already registered as something else.
    """


class ReportError(LogdialError):
    """
    The report cannot be made from these inputs or into this directory; the message says why.
    """


# Tracebacks show the public name (logdial.SettingsError), not the private module; the
# errors logdial does not export keep theirs, so that they pickle.
for _cls in (LogdialError, SettingsError, FormatError, RegistrationError):
    _cls.__module__ = "logdial"
del _cls
