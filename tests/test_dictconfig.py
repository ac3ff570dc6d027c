"""An application's ``logging.config.dictConfig`` after a library's import: what a setting names still shows.

``dictConfig`` disables every logger that exists when it runs (``disable_existing_loggers``
defaults to True), closes every handler, and replaces the handlers of the loggers it names.
Each case runs a real program: a library that sets up logdial at import, then the
application's ``dictConfig``, then records.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.subprocesses import run_code

LIBRARY = """
import logging, logdial

logs = logdial.LogSystem("mylib")
logs.register_log("http", ["mylib.http"])
logs.register_log("db", ["mylib.db"])
logs.register_artifact("wire", "Bytes on the wire.")
logs.init()
client = logging.getLogger("mylib.http.client")       # the README's library: a plain module logger
wire = logs.getArtifactLogger("mylib.http.client", "wire")
pool = logs.getLogger("mylib.http.pool")              # a FastLogger
query = logging.getLogger("mylib.db.query")
other = logging.getLogger("otherlib")                 # no logdial setting names it
"""

#: dictConfig as applications write it: a console handler on the root logger, a level.
ROOT_CONFIG = """
logging.config.dictConfig({
    "version": 1,
    "formatters": {"app": {"format": "APP %(name)s %(message)s"}},
    "handlers": {"out": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "app"}},
    "root": {"handlers": ["out"], LEVEL},
})
"""

RECORDS = """
client.debug("client debug")
wire.debug("wire bytes")
pool.info("pool info")
query.info("query info")
other.warning("other warning")
"""


def _program(level: str = '"level": "INFO"', after: str = "") -> str:
    config = ROOT_CONFIG.replace("LEVEL", level)
    return f"import logging.config\n{LIBRARY}\n{config}\n{RECORDS}\n{after}"


def _messages(stderr: str) -> list[str]:
    # The message of each of logdial's glog lines.
    return [m.group(1) for m in re.finditer(r"^[VIWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\] (.*)$", stderr, re.MULTILINE)]


class TestNamedLoggersShow:
    """
    What the settings name shows on logdial's outputs after ``dictConfig``; what they do
    not name keeps what ``dictConfig`` decided.
    """

    def test_variable_set_before_dictconfig(self) -> None:
        """
        ``MYLIB_LOGS=+http,wire``, applied at the library's import, then ``dictConfig``
        with a root level (the usual form): the http component's loggers (a plain module
        logger, a FastLogger, an artifact logger) show; ``db`` (not named) and
        ``otherlib`` stay disabled; the application's own handler is left as configured.
        """
        done = run_code(_program(), MYLIB_LOGS="+http,wire")
        assert (0, ["client debug", "[__wire] wire bytes", "pool info"]) == (done.returncode, _messages(done.stderr))
        assert "APP mylib.http.client client debug" not in done.stdout  # mylib does not propagate to root
        assert "other warning" not in done.stdout + done.stderr

    def test_dictconfig_without_a_level_then_a_setting(self) -> None:
        """
        A ``dictConfig`` that sets no level leaves no trace logdial sees at once; the next
        setting (here an ``override``) shows what it names, and disabling does not return
        after it.
        """
        after = """
with logs.override("+db"):
    query.info("query info inside")
query.info("query info after")
client.warning("client warning after")
"""
        done = run_code(_program(level='"propagate": True', after=after), MYLIB_LOGS="")
        assert (0, ["query info inside"]) == (done.returncode, _messages(done.stderr))

    def test_ignored_set_logs_still_shows_the_variables_loggers(self) -> None:
        """
        With ``MYLIB_LOGS`` set, ``set_logs`` is ignored (with its warning), but the call
        still brings back what the variable names, which a level-less ``dictConfig``
        had disabled.
        """
        after = 'logs.set_logs("+db")\nclient.debug("client debug after")\nquery.info("query after")'
        done = run_code(_program(level='"propagate": True', after=after), MYLIB_LOGS="+http")
        assert (0, ["client debug after"]) == (done.returncode, _messages(done.stderr))
        assert "set_logs() is ignored because MYLIB_LOGS is set" in done.stderr

    def test_file_output_survives_dictconfig_closing_it(self, tmp_path: Path) -> None:
        """
        ``dictConfig`` closes every handler it finds, logdial's file handler included: the
        file is opened again and the records are in it.
        """
        out = tmp_path / "mylib.log"
        done = run_code(_program(), MYLIB_LOGS="+http", MYLIB_LOGS_OUT=str(out))
        assert 0 == done.returncode, done.stderr
        assert ["client debug", "[__wire] wire bytes", "pool info"] == _messages(out.read_text(encoding="utf-8"))

    def test_settings_applied_after_dictconfig(self) -> None:
        """
        ``set_logs`` after ``dictConfig`` shows what it names, at once.
        """
        after = 'logs.set_logs("+db")\nquery.debug("query debug")\nclient.warning("client warning")'
        done = run_code(_program(level='"propagate": True', after=after))
        assert (0, ["query debug"]) == (done.returncode, _messages(done.stderr))

    @pytest.mark.parametrize("disable", [True, False])
    def test_a_logger_dictconfig_names_keeps_its_configuration(self, disable: bool) -> None:
        """
        A logger the application's ``dictConfig`` names explicitly is the application's:
        its level and handler hold (``mylib`` at ERROR to the app's handler) until the next
        logdial setting, which adds logdial's output beside the app's handler.
        """
        program = f"""
import logging.config
{LIBRARY}
logging.config.dictConfig({{
    "version": 1,
    "disable_existing_loggers": {disable},
    "formatters": {{"app": {{"format": "APP %(name)s %(message)s"}}}},
    "handlers": {{"out": {{"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "app"}}}},
    "loggers": {{"mylib": {{"level": "ERROR", "handlers": ["out"]}}}},
}})
client.info("client info")
client.error("client error")
logs.set_logs("+http")
client.debug("client debug after")
"""
        done = run_code(program)
        assert ["APP mylib.http.client client error", "APP mylib.http.client client debug after"] == (
            done.stdout.splitlines()
        )
        assert (0, ["client debug after"]) == (done.returncode, _messages(done.stderr))
