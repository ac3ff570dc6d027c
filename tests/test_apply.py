"""
Applying a plan to the stdlib loggers (``_apply``): the applier that places levels,
propagation and handlers and gives them back, and the level caches.
Real loggers and handlers; the logger tree is restored after each test (conftest).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from tests.plans import ARTIFACT_LOGGERS, DEBUG, ERROR, INFO, REGISTRY, ROOT, WARNING, plan

from logdial import LogSystem, _apply
from logdial._apply import Applier, clear_caches_below, enable_named, relink
from logdial._fast import fast_logger
from logdial._filters import OwnLevelFilter
from logdial._levels import OFF
from logdial._plan import Plan
from logdial._settings import Settings


class Output:
    """
    A real handler writing ``name message`` lines to a string.
    """

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def lines(self) -> list[str]:
        """
        The lines written since the last call.
        """
        text = self.stream.getvalue()
        self.stream.seek(0)
        self.stream.truncate()
        return text.splitlines()


def carrying(handler: logging.Handler) -> list[str]:
    """
    The loggers (the root logger included) that carry ``handler``, sorted.
    """
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return sorted(lg.name for lg in loggers if isinstance(lg, logging.Logger) and handler in lg.handlers)


@pytest.fixture
def applier() -> Iterator[Applier]:
    """
    An applier for the root ``ap``, released after the test.
    """
    made = Applier(ROOT)
    yield made
    made.release_all()


@pytest.fixture
def output() -> Output:
    """
    A fresh string output.
    """
    return Output()


class TestApply:
    """
    ``Applier.apply``: levels, propagation, handlers and filters for a plan.
    """

    def test_places_levels_and_handlers(self, applier: Applier, output: Output) -> None:
        """
        Every owned logger gets the plan's level; the handler goes on the topmost owned
        loggers only, with the floor filter, and they stop propagating.
        """
        applier.apply(plan(levels={"ap.core": DEBUG}), [output.handler])
        owned = ["ap", "ap.core", "ap.core.__graph", "ap.core.__schedule", "ext.pkg"]
        assert (
            [WARNING, DEBUG, logging.NOTSET, OFF, logging.NOTSET],
            ["ap", "ext.pkg"],
            [False, False],
            True,
        ) == (
            [logging.getLogger(n).level for n in owned],
            carrying(output.handler),
            [logging.getLogger(n).propagate for n in ("ap", "ext.pkg")],
            applier.floor_filter in output.handler.filters,
        )
        logging.getLogger("ap.core.mod").debug("once")
        assert ["ap.core.mod once"] == output.lines()

    def test_idempotent(self, applier: Applier, output: Output) -> None:
        """
        Applying the same plan again, with or without the handlers, changes nothing: the
        same levels, propagation, handlers and filters everywhere; a record is written once.
        """
        lowered = plan(levels={"ap.core": ERROR, "ext.pkg.sub": INFO}, floors={"ap.core": DEBUG})
        names = ["ap", "ap.core", "ap.core.__graph", "ap.core.__schedule", "ext.pkg", "ext.pkg.sub"]

        def state() -> list[tuple[str, int, bool, list[logging.Handler], list[object]]]:
            loggers = [logging.getLogger(n) for n in names]
            return [(lg.name, lg.level, lg.propagate, list(lg.handlers), list(lg.filters)) for lg in loggers]

        applier.apply(lowered, [output.handler])
        first = state()
        handler_filters = list(output.handler.filters)
        applier.apply(lowered, [output.handler])
        applier.apply(lowered)
        assert (first, handler_filters) == (state(), output.handler.filters)
        logging.getLogger("ext.pkg.sub").info("once")
        assert ["ext.pkg.sub once"] == output.lines()

    def test_floor_and_own_level(self, applier: Applier, output: Output) -> None:
        """
        ``-ap.core,+core``: the loggers below are held to ERROR; ``+ap.core,-core``: the
        logger's own records are held to ERROR by an OwnLevelFilter, those below pass at
        DEBUG; a plan without either takes the filter off again.
        """
        core, below = logging.getLogger("ap.core"), logging.getLogger("ap.core.sub")
        applier.apply(plan(levels={"ap.core": DEBUG}, floors={"ap.core": ERROR}), [output.handler])
        core.debug("own")
        below.warning("held")
        below.error("shown")
        raised = output.lines()
        applier.apply(plan(levels={"ap.core": ERROR}, floors={"ap.core": DEBUG}))
        own = [type(f) for f in core.filters]
        core.warning("held")
        core.error("own error")
        below.debug("below")
        lowered = output.lines()
        applier.apply(plan())
        assert (
            ["ap.core own", "ap.core.sub shown"],
            [OwnLevelFilter],
            ["ap.core own error", "ap.core.sub below"],
            [],
        ) == (raised, own, lowered, core.filters)

    def test_level_caches_follow(self, applier: Applier) -> None:
        """
        Loggers whose levels were cached before see the new levels at once (the levels
        are set directly, and the caches cleared once).
        """
        warm = logging.getLogger("ap.core.warm")
        applier.apply(plan())
        before = warm.isEnabledFor(DEBUG)
        applier.apply(plan(levels={"ap.core": DEBUG}))
        assert (False, True) == (before, warm.isEnabledFor(DEBUG))

    def test_a_module_no_longer_named_is_given_back(self, applier: Applier) -> None:
        """
        A logger outside the root that a later plan no longer names gets back the level
        and propagation it had.
        """
        mod = logging.getLogger("elsewhere.mod")
        mod.setLevel(ERROR)
        applier.apply(plan(levels={"elsewhere.mod": DEBUG}), [logging.NullHandler()])
        named = (mod.level, mod.propagate)
        applier.apply(plan())
        assert ((DEBUG, False), (ERROR, True)) == (named, (mod.level, mod.propagate))

    def test_a_module_no_longer_named_gets_its_propagation_back(self, applier: Applier) -> None:
        """
        A logger outside the root that did not propagate, named by one plan and not by the
        next, does not propagate again (as after ``release_all``).
        """
        mod = logging.getLogger("elsewhere.mod")
        mod.propagate = False
        applier.apply(plan(levels={"elsewhere.mod": DEBUG}), [logging.NullHandler()])
        applier.apply(plan())
        assert (logging.NOTSET, False) == (mod.level, mod.propagate)

    def test_rank_level(self, applier: Applier, output: Output) -> None:
        """
        The rank filter's level goes on the handlers; it holds back FastLogger calls under
        the tops only while records reach logdial's handlers alone.
        """
        applier.rank_level = ERROR
        applier.apply(plan(), [output.handler])
        alone = (output.handler.level, applier.floor_filter.rank_scope)
        applier.propagate = True
        applier.apply(plan())
        assert ((ERROR, frozenset({"ap", "ext.pkg"})), frozenset()) == (alone, applier.floor_filter.rank_scope)


class TestAdd:
    """
    ``Applier.add``: loggers registered after ``apply``.
    """

    def test_new_top(self, applier: Applier, output: Output) -> None:
        """
        A component's logger outside every top is configured, becomes a top and carries
        the handler; the loggers already below it see its level at once; a component
        registered above it later takes the handler over.
        """
        applier.apply(plan(), [output.handler])
        warm = logging.getLogger("other.late.mod")
        before = warm.isEnabledFor(DEBUG)
        late = REGISTRY.with_component("late", ["other.late"])
        applier.add(Plan(Settings(levels={"other.late": DEBUG}), late, ARTIFACT_LOGGERS, ROOT), ["other.late"])
        added = (logging.getLogger("other.late").level, warm.isEnabledFor(DEBUG), carrying(output.handler))
        outer = late.with_component("outer", ["other"])
        applier.add(Plan(Settings(levels={"other.late": DEBUG}), outer, ARTIFACT_LOGGERS, ROOT), ["other"])
        warm.debug("once")
        assert (False, (DEBUG, True, ["ap", "ext.pkg", "other.late"]), ["ap", "ext.pkg", "other"]) == (
            before,
            added,
            carrying(output.handler),
        )
        assert ["other.late.mod once"] == output.lines()

    def test_under_a_top(self, applier: Applier, output: Output) -> None:
        """
        An artifact logger made under a top gets its level and no handler of its own.
        """
        applier.apply(plan(artifacts=frozenset({"graph"})), [output.handler])
        name = "ap.core.m.__graph"
        later = Plan(Settings(artifacts=frozenset({"graph"})), REGISTRY, {**ARTIFACT_LOGGERS, name: "graph"}, ROOT)
        applier.add(later, [name])
        assert (DEBUG, ["ap", "ext.pkg"]) == (logging.getLogger(name).level, carrying(output.handler))


class TestReleaseAll:
    """
    ``Applier.release_all``: every logger as it was before.
    """

    def test_gives_back_levels_propagation_and_handlers(self, applier: Applier, output: Output) -> None:
        """
        The loggers outside the root get back their level and propagation, those under
        it inherit again and propagate; no handler and no OwnLevelFilter is left.
        """
        top, sub = logging.getLogger("ext.pkg"), logging.getLogger("ext.pkg.sub")
        top.setLevel(INFO)
        sub.setLevel(ERROR)
        sub.propagate = False
        before = [(lg.level, lg.propagate) for lg in (top, sub)]
        settings = {"levels": {"ext.pkg.sub": DEBUG, "ap.core": ERROR, "ext.pkg": DEBUG}, "floors": {"ap.core": DEBUG}}
        applier.apply(plan(**settings), [output.handler])
        applied = ([(lg.level, lg.propagate) for lg in (top, sub)], len(logging.getLogger("ap.core").filters))
        applier.release_all()
        names = ["ap", "ap.core", "ap.core.__graph", "ap.core.__schedule"]
        assert (
            ([(DEBUG, False), (DEBUG, False)], 1),
            before,
            [(logging.NOTSET, True)] * 4,
            [],
            [],
            set(),
        ) == (
            applied,
            [(lg.level, lg.propagate) for lg in (top, sub)],
            [(logging.getLogger(n).level, logging.getLogger(n).propagate) for n in names],
            carrying(output.handler),
            logging.getLogger("ap.core").filters,
            applier.owned,
        )


class TestRelink:
    """
    ``relink``: the parents CPython's logging gets wrong under "r", "ro" and "roo".
    """

    @pytest.mark.parametrize("top", ["r", "ro", "roo"])
    def test_parent_set_right(self, top: str) -> None:
        """
        A logger made before its ancestor named "r", "ro" or "roo" is left under the root
        logger (whose name is "root"); after ``relink`` its records reach that ancestor.
        """
        child = logging.getLogger(f"{top}.sub.mod")
        parent = logging.getLogger(top)
        relink([top])
        assert parent is child.parent

    def test_other_names_untouched(self) -> None:
        """
        Names with another first part are left alone, even a logger whose parent was set by hand.
        """
        child = logging.getLogger("rx.sub")
        logging.getLogger("rx")
        child.parent = logging.root
        relink(["rx", "other"])
        assert logging.root is child.parent


class TestEnableNamed:
    """
    ``enable_named``: what ``dictConfig`` disabled, back for the loggers the settings name.
    """

    def test_named_and_below(self) -> None:
        """
        The named loggers and those below them are enabled again; a name that only starts
        the same way, and other loggers, stay disabled.
        """
        names = ["ap.core", "ap.core.sub", "ap.corex", "other"]
        for name in names:
            logging.getLogger(name).disabled = True
        enable_named(["ap.core"])
        assert [False, False, True, True] == [logging.getLogger(n).disabled for n in names]

    def test_registrations_under_a_wildcard_walk_only_for_existing_loggers(
        self, system: LogSystem, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        Registering under ``+*`` names every new logger; only those that exist already (a
        library's logger made before its registration, disabled by ``dictConfig``) are
        looked for below: a logger not made yet has nothing below it, so thousands of
        registrations do not each go over every logger in the process.
        """
        walked: list[list[str]] = []
        monkeypatch.setattr(_apply, "enable_named", lambda names: walked.append(sorted(names)))
        system.init({"TESTSYS_LOGS": "+*"})
        logging.getLogger("testsys.made.first").disabled = True
        system.register_log("fresh", ["testsys.fresh"])
        system.register_log("made", ["testsys.made"])  # (a placeholder: a logger below exists)
        system.register_log("early", ["testsys.made.first"])
        assert [[], ["testsys.made"], ["testsys.made.first"]] == walked[-3:]


class TestClearCachesBelow:
    """
    ``clear_caches_below``: the level caches a change of some loggers' levels can reach.
    """

    def test_below_and_not_beside(self) -> None:
        """
        After a level set directly (no cache cleared), the logger and those below it see
        it; a logger beside them keeps its cache (nothing changed for it).
        """
        core = logging.getLogger("ap.core")
        below, deep, beside = (logging.getLogger(n) for n in ("ap.core.a", "ap.core.a.b", "ap.io"))
        assert [False, False, False, False] == [lg.isEnabledFor(DEBUG) for lg in (core, below, deep, beside)]
        core.level = DEBUG
        clear_caches_below({"ap.core"})
        assert ([True, True, True], {DEBUG: False}) == (
            [lg.isEnabledFor(DEBUG) for lg in (core, below, deep)],
            beside._cache,  # type: ignore[attr-defined]
        )

    def test_leaves_are_not_walked(self) -> None:
        """
        A name among ``leaves`` is known to have no logger below it: only its own cache
        is cleared (a logger below it, made anyway, keeps what it cached).
        """
        leaf, below = logging.getLogger("ap.leaf"), logging.getLogger("ap.leaf.made")
        assert (False, False) == (leaf.isEnabledFor(DEBUG), below.isEnabledFor(DEBUG))
        leaf.level = DEBUG
        clear_caches_below({"ap.leaf"}, leaves={"ap.leaf"})
        assert (True, False) == (leaf.isEnabledFor(DEBUG), below.isEnabledFor(DEBUG))

    def test_loggers_made_below_a_new_artifact_logger_follow_it(self, system: LogSystem) -> None:
        """
        A logger made below an artifact logger before logdial configures it (by another
        thread, between the two steps of getArtifactLogger) sees the artifact's level:
        logdial looks below a logger whenever any logger was made since.
        """
        system.init({})
        art = fast_logger("testsys.core.racy.__schedule")
        child = logging.getLogger("testsys.core.racy.__schedule.child")
        assert child.isEnabledFor(logging.WARNING)  # cached with the artifact at NOTSET
        art.level = OFF
        clear_caches_below({art.name})
        assert not child.isEnabledFor(logging.WARNING)


class TestRootCacheWatch:
    """
    The watch on the root logger's level cache: after ``dictConfig`` (or anything that
    empties logging's handler list and disables loggers), the next change of level
    anywhere enables again what the settings name.
    """

    def test_named_loggers_enabled_again(self, applier: Applier, output: Output) -> None:
        """
        A named logger disabled while logging's handler list was emptied (as ``dictConfig``
        does) shows again after any ``setLevel``, and the handler is back in the list.
        """
        applier.apply(plan(levels={"ap.core": DEBUG}), [output.handler])
        saved = list(logging._handlerList)  # type: ignore[attr-defined]
        try:
            logging.getLogger("ap.core").disabled = True
            logging._handlerList.clear()  # type: ignore[attr-defined]  # as dictConfig does
            logging.getLogger("someone.else").setLevel(INFO)  # runs the watch
            listed = [ref() for ref in logging._handlerList]  # type: ignore[attr-defined]
        finally:
            logging._handlerList[:] = saved  # type: ignore[attr-defined]
        logging.getLogger("ap.core").debug("shown")
        assert (True, ["ap.core shown"]) == (output.handler in listed, output.lines())

    def test_a_failing_recheck_never_breaks_setlevel(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        The watch runs inside every ``setLevel`` of the program: if re-enabling failed, the
        program's ``setLevel`` still works, and the next setting tries again.
        """
        logs = LogSystem("recheck")
        logs.register_log("core", ["recheck.core"])
        logs.init({})
        logs.set_logs("+core")
        saved = list(logging._handlerList)  # type: ignore[attr-defined]
        try:

            def broken(names: object) -> None:
                raise RuntimeError("the walk failed")

            monkeypatch.setattr(_apply, "enable_named", broken)
            logging.getLogger("recheck.core").disabled = True
            logging._handlerList.clear()  # type: ignore[attr-defined]  # as dictConfig does
            logging.getLogger("someone.else").setLevel(logging.INFO)  # runs the watch: no error
            monkeypatch.undo()
            logs.set_logs("+core")
            assert logging.getLogger("recheck.core").disabled is False
        finally:
            logging._handlerList[:] = saved  # type: ignore[attr-defined]
            logs.reset()
            logging.getLogger("someone.else").setLevel(logging.NOTSET)
