"""``logdial._inputs``: what ``set_logs`` and ``override`` are given, turned into items."""

from __future__ import annotations

import logging

import pytest

from logdial import Artifact, Registry
from logdial._inputs import A_LEVEL, MAX_SETTINGS_LENGTH, api_items, level_of, too_long

REGISTRY = Registry().with_component("core", ["app.core"]).with_artifact(Artifact("graph", "The graph."))


def _texts(settings: str | None = None, modules: object = None, **values: object) -> tuple[list[str], list[str]]:
    parsed, _ = api_items(settings, modules, values, REGISTRY)  # type: ignore[arg-type]
    return [item.text for item in parsed.items], [f"{p.text}: {p.reason}" for p in parsed.problems]


def test_keywords_become_items_after_the_string() -> None:
    """
    The string's items come first, then one item per keyword, written as the grammar
    writes them (a level by name, an artifact on or off); None leaves a keyword out.
    """
    assert (["-core", "core=debug", "graph=on"], []) == _texts("-core", core=logging.DEBUG, graph=True, all=None)
    assert (["all=warning", "graph=off"], []) == _texts(all="WARNING", graph=False)


def test_modules_are_taken_as_they_are() -> None:
    """
    ``modules=`` names become items and are returned, so the resolver takes them
    without looking them up.
    """
    parsed, names = api_items(None, {"app.extra": "info", "app.other": None}, {}, REGISTRY)
    assert (["app.extra=info"], frozenset({"app.extra"})) == ([i.text for i in parsed.items], names)


@pytest.mark.parametrize(
    ("values", "modules", "problem"),
    [
        ({"core": 1.5}, None, f"core=1.5: must be {A_LEVEL} or None"),
        ({"graph": "yes"}, None, "graph='yes': must be True or False (or None)"),
        ({"cor": 10}, None, "cor=10: unknown keyword; did you mean 'core'? accepted: all, core, graph, modules"),
        ({}, ["app.x"], "modules: must be a mapping of module name to level, not ['app.x']"),
        ({}, {"not a name": 10}, "modules['not a name']: is not a dotted module name"),
        ({}, {"app.x": "loud"}, f"modules['app.x']='loud': must be {A_LEVEL}"),
    ],
    ids=["level", "switch", "unknown", "not-a-mapping", "bad-name", "bad-level"],
)
def test_problems_name_what_was_wrong_and_what_would_be_right(
    values: dict[str, object], modules: object, problem: str
) -> None:
    """
    A wrong keyword or module gives one problem naming it and what is accepted; no item.
    """
    assert ([], [problem]) == _texts(None, modules, **values)


def test_level_values() -> None:
    """
    A level is an int of 0 or more or a level's name in any case; a bool or anything else
    is not.
    """
    assert [10, 0, 20, 25, None, None, None] == [level_of(v) for v in (10, 0, "info", 25, True, -1, "loud")]


def test_length_limit() -> None:
    """
    A settings string is refused whole past ``MAX_SETTINGS_LENGTH`` characters, before
    anything is parsed; up to it, it is taken.
    """
    assert too_long("x" * MAX_SETTINGS_LENGTH) is None
    problem = too_long("x" * (MAX_SETTINGS_LENGTH + 1))
    assert problem is not None
    assert (
        f"a string of {MAX_SETTINGS_LENGTH + 1:,} characters",
        f"longer than the {MAX_SETTINGS_LENGTH:,} a setting may have",
    ) == (problem.text, problem.reason)
