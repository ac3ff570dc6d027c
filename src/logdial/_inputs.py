"""What ``set_logs`` and ``override`` are given, turned into settings items: the API's input stage.

The string form goes through the grammar, as the environment variable does; keywords
(``dynamo=logging.DEBUG``, ``graph_code=True``) and ``modules=`` become items of the same
kind, checked against the registry, so one resolver (``_settings.resolve``) turns every
source of settings into ``Settings``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._levels import level_name, parse_level
from ._registry import Registry

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

    from ._grammar import Item, ParseResult, Problem

__all__ = ["A_LEVEL", "MAX_SETTINGS_LENGTH", "api_items", "level_of", "too_long"]

#: The longest settings string taken (variable or call): anything longer is refused whole.
#: Resolving costs time and memory with every item, and real settings are a few hundred characters.
MAX_SETTINGS_LENGTH: Final = 65_536
#: What a level may be, as the errors say it.
A_LEVEL: Final = "a level (an int such as logging.DEBUG, or a name such as 'debug')"


def level_of(value: object) -> int | None:
    """
    The level ``value`` gives (an int >= 0, or a level's name in any case), else None.
    """
    if isinstance(value, str):
        return parse_level(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def too_long(settings: str) -> Problem | None:
    """
    The problem of a settings string longer than ``MAX_SETTINGS_LENGTH``, found before
    anything is parsed (refusing costs nothing, whatever the length); else None.
    """
    if len(settings) <= MAX_SETTINGS_LENGTH:
        return None
    from ._grammar import Problem  # when used, not at import

    text = f"a string of {len(settings):,} characters"
    return Problem(-1, text, f"longer than the {MAX_SETTINGS_LENGTH:,} a setting may have")


def api_items(
    settings: str | None, modules: Mapping[str, int | str] | None, values: Mapping[str, object], registry: Registry
) -> tuple[ParseResult, frozenset[str]]:
    """
    The items (and problems) of one ``set_logs``/``override`` call: the string's, then
    the keywords', then ``modules=``'s; and the module names ``modules=`` gives (taken as
    they are, imported or not).
    """
    from ._grammar import Item, ParseResult, Problem, parse_items  # when used, not at import

    parsed = parse_items(settings or "")
    extra: list[Item] = []
    problems: list[Problem] = []
    for key, value in values.items():
        item = _keyword_item(key, value, problems, registry)
        if item is not None:
            extra.append(item)
    module_names: set[str] = set()
    if modules is not None:
        if not isinstance(modules, Mapping):
            problems.append(Problem(-1, "modules", f"must be a mapping of module name to level, not {modules!r}"))
            modules = {}
        for key, value in modules.items():
            if not isinstance(key, str) or not all(p.isidentifier() for p in key.split(".")):
                problems.append(Problem(-1, f"modules[{key!r}]", "is not a dotted module name"))
            elif (level := level_of(value)) is None and value is not None:
                problems.append(Problem(-1, f"modules[{key!r}]={value!r}", f"must be {A_LEVEL}"))
            elif level is not None:
                module_names.add(key)
                extra.append(Item("", key, level_name(level), -1))
    return ParseResult((*parsed.items, *extra), (*parsed.problems, *problems)), frozenset(module_names)


def _keyword_item(key: str, value: object, problems: list[Problem], registry: Registry) -> Item | None:
    from ._grammar import Item, Problem  # when used, not at import

    if key == "all" or key in registry.components:
        level = level_of(value)
        if level is None and value is not None:
            problems.append(Problem(-1, f"{key}={value!r}", f"must be {A_LEVEL} or None"))
        elif level is not None:
            return Item("", key, level_name(level), -1)  # (to_string() writes the name)
    elif key in registry.artifacts:
        if value is not None and not isinstance(value, bool):
            problems.append(Problem(-1, f"{key}={value!r}", "must be True or False (or None)"))
        elif value is not None:
            return Item("", key, "on" if value else "off", -1)
    else:
        did = registry.did_you_mean(key)
        did = f"{did} " if did else ""
        accepted = ", ".join(["all", *registry.components, *registry.artifacts, "modules"])
        problems.append(Problem(-1, f"{key}={value!r}", f"unknown keyword; {did}accepted: {accepted}"))
    return None
