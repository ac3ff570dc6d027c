"""Public-API usage that ``mypy --strict`` checks: what a library author and a user write."""

from __future__ import annotations

import logging

import logdial

logs = logdial.LogSystem("mylib", root="mylib", env_prefix="MYLIB", strict=False, precedence="env")
logs.register_log("core", ["mylib.core", "mylib.extra"])
logs.register_log("io", "mylib.io")
logs.register_artifact("plan", "The query plan.", visible=True, off_by_default=False, log_format=None)
plan_log: logging.Logger = logs.getArtifactLogger(__name__, "plan")
same: logging.Logger = logs.artifact_logger(__name__, "plan")

settings: logdial.Settings = logs.parse("+core,plan")
levels: int = settings.levels["mylib.core"]
enabled: frozenset[str] = settings.artifacts
text: str = settings.to_string()

logs.set_logs(core=logging.DEBUG, plan=True, modules={"mylib.other": logging.INFO})
logs.set_logs("+core,plan=off")
logs.set_logs()
with logs.override("+io") as scoped:
    scoped_levels: int = len(scoped.levels)
logs.set_output(console="stdout", file=None, format="short", propagate=False)
logs.init()
logs.init({"MYLIB_LOGS": "+core"})
logs.set_output(format="json", file=None)
logs.set_ranks("0,2-3", others=logging.ERROR)
logs.set_ranks(range(4), others=None)
logs.set_ranks(None)
rank: int | None = logs.rank()
message: str = logs.help_message(verbose=True)

lazy = logdial.LazyString(str.upper, "expensive")
plan_log.debug("plan: %s", lazy)
logdial.warning_once(plan_log, "deprecated option %s", "x")

try:
    logs.parse("cor")
except logdial.SettingsError as exc:
    problems: tuple[str, ...] = exc.problems
logs.reset()

# The README's hot path: the loggers logdial hands out are FastLoggers, with `enabled`.
log = logs.getLogger(__name__)
if log.enabled:
    log.debug("state: %s", {"a": 1})
fast: logdial.FastLogger = logs.get_logger("mylib.core.fast")
artifact_on: bool = logs.getArtifactLogger(__name__, "plan").enabled
plain: logging.Logger = fast  # still a logging.Logger
