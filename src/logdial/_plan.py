"""The plan: what the settings in force give each logger, the level rules in one place.

``Plan`` is pure: it reads the settings and the registrations and changes nothing. The
applier (``_apply``) carries it out, the floor filter (``_filters``) reads it, and
``explain`` reports from it, so that what is explained is what is applied.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ._frozen import Frozen
from ._levels import OFF
from ._registry import Registry
from ._settings import Settings

__all__ = ["Plan", "under"]


def under(name: str, root: str) -> bool:
    """
    Whether logger ``name`` is ``root`` or below it.
    """
    return name == root or name.startswith(root + ".")


class Plan(Frozen):
    """
    Everything ``Applier.apply`` needs: the settings and what is registered.

    Attributes:
        settings: the settings in force.
        registry: the registrations.
        artifact_loggers: artifact logger name → artifact name.
        root: the system's root logger name.
    """

    __slots__ = ("artifact_loggers", "registry", "root", "settings")
    _fields = ("settings", "registry", "artifact_loggers", "root")
    settings: Settings
    registry: Registry
    artifact_loggers: Mapping[str, str]
    root: str

    def __init__(self, settings: Settings, registry: Registry, artifact_loggers: Mapping[str, str], root: str) -> None:
        self._set(settings=settings, registry=registry, artifact_loggers=artifact_loggers, root=root)

    def level(self, name: str) -> int:
        """
        The level the plan gives logger ``name``.
        """
        artifact = self.artifact_loggers.get(name)
        settings = self.settings
        if artifact is not None:
            switch = self.switch(artifact)
            if switch is not None:
                return switch
            # It follows its module's logger; if that logger's level was lowered for the
            # loggers below it, follow the module's own level instead, as its records do.
            module = name.rpartition(".__")[0]
            own, floor = settings.levels.get(module), settings.floors.get(module)
            if own is not None and floor is not None and floor < own:
                return own
            return logging.NOTSET
        level = settings.levels.get(name, logging.WARNING if name == self.root else logging.NOTSET)
        floor = settings.floors.get(name)
        if floor is not None and floor < level:
            # The loggers below must pass more than this one: they inherit the floor from
            # it, and its own records are held to its level by an OwnLevelFilter.
            return floor
        return level

    def switch(self, artifact: str) -> int | None:
        """
        The level the plan gives every logger of ``artifact`` whatever its module: OFF
        when switched off (by the settings, or by default), DEBUG when the settings name
        it; ``None`` when it follows its module's logger (see ``level``).
        """
        settings = self.settings
        if artifact in settings.disabled:
            return OFF
        if artifact in settings.artifacts:
            return logging.DEBUG  # an enabled artifact passes whatever its component's level
        return OFF if self.registry.artifacts[artifact].off_by_default else None

    def effective_level(self, name: str) -> tuple[int, str] | None:
        """
        The level logger ``name`` has once the plan is applied, as logging's
        ``getEffectiveLevel`` finds it: that of ``name`` or of its nearest ancestor that
        the plan sets to something other than NOTSET, with that logger's name. ``None``
        when there is none: the application's logging decides.
        """
        while (level := self.level(name)) == logging.NOTSET:
            cut = name.rfind(".")
            if cut <= 0:  # (as logging finds a parent: ".a" is below the root logger)
                return None
            name = name[:cut]
        return level, name

    def own_levels(self) -> dict[str, int]:
        """
        Loggers whose own records need a higher level than the one set on them (see
        ``level``): logger name → the level of its own records.
        """
        settings = self.settings
        return {
            name: settings.levels[name]
            for name, floor in settings.floors.items()
            if name in settings.levels and floor < settings.levels[name]
        }

    def owned(self) -> set[str]:
        """
        The loggers the plan configures.
        """
        return {self.root, *self.registry.logger_names, *self.artifact_loggers, *self.settings.levels}

    def named(self) -> frozenset[str]:
        """
        The loggers the settings name explicitly (a level, or an enabled artifact): they
        show whatever ``logger.disabled`` says, as do the loggers below them.
        """
        artifacts = self.settings.artifacts
        return frozenset(
            {*self.settings.levels, *(name for name, art in self.artifact_loggers.items() if art in artifacts)}
        )

    def is_named(self, name: str) -> bool:
        """
        Whether the settings name logger ``name`` explicitly (one of ``named()``, found
        without going over the others).
        """
        return name in self.settings.levels or self.artifact_loggers.get(name) in self.settings.artifacts
