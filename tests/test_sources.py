"""``logdial._sources``: where the settings in force came from, as one value, and what a registration changes."""

from __future__ import annotations

import copy
import logging
import pickle

from logdial import Artifact, Registry
from logdial._env import EnvConfig
from logdial._inputs import Inputs, Reading
from logdial._settings import Settings
from logdial._sources import DEFAULTS, Change, Sources, registration_change

UNSET = EnvConfig.from_environ({}, prefix="APP")
SET = EnvConfig.from_environ({"APP_LOGS": "+core"}, prefix="APP")


def _inputs(registry: Registry, rank: int | None = None) -> Inputs:
    return Inputs("app", "APP_LOGS", "app", lambda: registry, lambda: rank)


REGISTRY = Registry().with_component("core", ["app.core"]).with_artifact(Artifact("graph", "The graph."))
INPUTS = _inputs(REGISTRY)


def _settings(text: str) -> Settings:
    return INPUTS.parse(text, None)


def _read(text: str | None) -> Sources:
    env = UNSET if text is None else EnvConfig.from_environ({"APP_LOGS": text}, prefix="APP")
    return Sources(UNSET).read(env, INPUTS.variable(text, True, print))


class TestSources:
    """
    The builders ``LogSystem`` asks for the next value.
    """

    def test_the_variable_wins_at_init(self) -> None:
        """
        ``init()`` with the variable set: its settings are in force, from ``"env"``, and its
        items are kept for registrations to come.
        """
        sources = _read("+core")
        assert (_settings("+core"), "env", True) == (sources.settings, sources.source, sources.initialized)
        assert ["+core"] == [item.text for item in sources.parsed.items]  # type: ignore[union-attr]

    def test_without_the_variable_the_api_stands(self) -> None:
        """
        Once the variable is gone, ``init()`` goes back to what ``set_logs`` asked for, or
        to the defaults when it asked for nothing.
        """
        asked = _read("+core").asked(_settings("graph"), "api")
        assert (_settings("graph"), "api") == (asked.settings, asked.source)
        again = asked.read(UNSET, Reading())
        assert (_settings("graph"), "api", None) == (again.settings, again.source, again.parsed)
        nothing = _read("+core").read(UNSET, Reading())
        assert (DEFAULTS, "default") == (nothing.settings, nothing.source)

    def test_precedence(self) -> None:
        """
        With the variable set and ``precedence="env"``, ``set_logs`` is remembered but not
        in force; with ``"api"`` it is in force; without the variable, either way.
        """
        sources = _read("+core")
        ignored = sources.asked(_settings("graph"), "env")
        assert (True, _settings("+core"), _settings("graph")) == (
            sources.ignores_api("env"),
            ignored.settings,
            ignored.api,
        )
        assert (False, _settings("graph")) == (
            sources.ignores_api("api"),
            sources.asked(_settings("graph"), "api").settings,
        )
        unset = Sources(UNSET).read(UNSET, Reading())
        assert (False, "api") == (unset.ignores_api("env"), unset.asked(_settings("graph"), "env").source)

    def test_an_override_is_restored(self) -> None:
        """
        An override is in force whatever the precedence; at its end the settings and
        source before it return, and what ``set_logs`` asked inside the block is kept.
        """
        before = _read("+core")
        inside = before.overriding(_settings("graph")).asked(_settings("-core"), "env")
        assert (_settings("graph"), "override") == (inside.settings, inside.source)
        after = inside.restored(before)
        assert (_settings("+core"), "env", _settings("-core")) == (after.settings, after.source, after.api)

    def test_for_rank_changes_only_ranked_settings(self) -> None:
        """
        ``for_rank`` gives the same value when nothing changes, and resolves the items
        with ranks again for the rank now known.
        """
        sources = _read("+core@1")
        assert sources is sources.for_rank(lambda settings: settings)
        on_rank_1 = sources.for_rank(_inputs(REGISTRY, rank=1).for_rank)
        assert ({}, {"app.core": logging.DEBUG}) == (dict(sources.settings.levels), dict(on_rank_1.settings.levels))

    def test_values_copy_and_pickle(self) -> None:
        """
        A ``Sources`` is immutable: a copy is itself, and it survives pickling equal.
        """
        sources = _read("+core")
        assert sources is copy.copy(sources) is copy.deepcopy(sources)
        assert sources == pickle.loads(pickle.dumps(sources))


def _registered(sources: Sources, registry: Registry, name: str, own: tuple[str, ...]) -> Change:
    # What registering component ``name`` (``own``: its loggers) in ``registry`` changes.
    inputs = _inputs(registry)
    return registration_change(
        sources, None, name, own, shared=False, resolver=inputs.resolve, resolve_one=inputs.resolve_one
    )


class TestRegistrationChange:
    """
    What registering a name does to the settings the variable gave.
    """

    def test_a_pending_name_is_resolved_when_registered(self) -> None:
        """
        ``+plugin`` names what is not registered at ``init()``: it is pending; once a
        plugin registers it, everything is resolved again and applied.
        """
        sources = Sources(UNSET).read(SET, INPUTS.variable("+core,+plugin", False, lambda message: None))
        assert ["+plugin"] == [item.text for item in sources.pending]
        change = _registered(sources, REGISTRY.with_component("plugin", ["plug"]), "plugin", ("plug",))
        assert ("all", (), logging.DEBUG) == (
            change.apply,
            change.sources.pending,
            change.sources.settings.levels["plug"],
        )

    def test_a_wildcard_match_is_kept_unfolded(self) -> None:
        """
        After ``init()``, a name a wildcard matches adds to the settings without copying
        them: the addition waits, unfolded, until they are read.
        """
        sources = Sources(UNSET).read(SET, INPUTS.variable("+c*", True, print))
        change = _registered(sources, REGISTRY.with_component("cache", ["app.cache"]), "cache", ("app.cache",))
        assert ("unfolded", sources) == (change.apply, change.sources)
        assert change.unfolded is not None
        assert logging.DEBUG == change.unfolded.fold(sources.settings).levels["app.cache"]

    def test_settings_from_the_api_are_left_alone(self) -> None:
        """
        When ``set_logs`` chose the settings, a registration configures its new loggers
        and changes nothing else.
        """
        sources = Sources(UNSET).read(UNSET, Reading()).asked(_settings("+core"), "env")
        change = _registered(sources, REGISTRY, "cache", ("app.cache",))
        assert ("new", sources, None) == (change.apply, change.sources, change.unfolded)
