"""Hypothesis strategies for settings strings, items and names, over the demo's registrations."""

from __future__ import annotations

from hypothesis import strategies as st

from logdial._levels import LEVEL_NAMES
from logdial.demo._registrations import ARTIFACTS, COMPONENTS

__all__ = [
    "ARTIFACT_NAMES",
    "COMPONENT_NAMES",
    "ROOT",
    "any_case",
    "artifact_items",
    "component_items",
    "help_items",
    "item_lists",
    "level_values",
    "module_items",
    "noisy_settings",
    "settings_strings",
    "switch_values",
    "valid_items",
    "wildcard_items",
]

#: The demo system's root logger; names under it are always valid modules.
ROOT = "minitorch"
COMPONENT_NAMES: tuple[str, ...] = tuple(COMPONENTS)
ARTIFACT_NAMES: tuple[str, ...] = tuple(ARTIFACTS)

_SWITCHES = ("on", "off", "true", "false", "1", "0", "yes", "no")
_SIGNS = st.sampled_from(("", "+", "-"))


def any_case(word: str) -> st.SearchStrategy[str]:
    """
    ``word`` with each letter in upper or lower case.
    """
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


def level_values() -> st.SearchStrategy[str]:
    """
    What may follow ``=`` for a component or module: a level name in any case, or a number.
    """
    return st.one_of(
        st.sampled_from(sorted(LEVEL_NAMES)).flatmap(any_case),
        st.integers(min_value=0, max_value=999_999_999).map(str),
    )


def switch_values() -> st.SearchStrategy[str]:
    """
    What may follow ``=`` for an artifact: on/off and their synonyms, in any case.
    """
    return st.sampled_from(_SWITCHES).flatmap(any_case)


def _signed_or_valued(names: st.SearchStrategy[str], values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    signed = st.tuples(_SIGNS, names).map("".join)
    valued = st.tuples(names, values).map("=".join)
    return st.one_of(signed, valued)


def component_items() -> st.SearchStrategy[str]:
    """
    ``+dynamo``, ``aot``, ``-all``, ``inductor=Warn``, ``all=15``...
    """
    return _signed_or_valued(st.sampled_from(("all", *COMPONENT_NAMES)), level_values())


def artifact_items() -> st.SearchStrategy[str]:
    """
    ``graph_code``, ``-guards`` (the sign is a no-op), ``schedule=off``...
    """
    return _signed_or_valued(st.sampled_from(ARTIFACT_NAMES), switch_values())


def module_names() -> st.SearchStrategy[str]:
    """
    Dotted names under the demo's root, which are valid without existing anywhere.
    """
    segment = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)
    return st.lists(segment, min_size=0, max_size=3).map(lambda parts: ".".join((ROOT, *parts)))


def module_items() -> st.SearchStrategy[str]:
    """
    ``+minitorch._inductor``, ``minitorch.x.y=error``...
    """
    return _signed_or_valued(module_names(), level_values())


def _patterns(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """
    Wildcard patterns that match at least the name they were made from.
    """

    def make(name: str) -> st.SearchStrategy[str]:
        cut = st.integers(min_value=0, max_value=len(name) - 1)
        return st.one_of(
            cut.map(lambda k: name[:k] + "*"),
            cut.map(lambda k: "*" + name[k + 1 :]),
            cut.map(lambda k: name[:k] + "?" + name[k + 1 :]),
        )

    return st.sampled_from(names).flatmap(make)


def wildcard_items() -> st.SearchStrategy[str]:
    """
    Patterns with a value that fits what they match: a level or a sign for a pattern made
    from a component name, on/off or nothing for one made from an artifact name (a sign
    asks for a level, which artifacts do not have).
    """
    bare = _patterns(ARTIFACT_NAMES)
    return st.one_of(
        _signed_or_valued(_patterns(COMPONENT_NAMES), level_values()),
        st.one_of(bare, st.tuples(bare, switch_values()).map("=".join)),
    )


def help_items() -> st.SearchStrategy[str]:
    """
    ``help`` and ``+help``.
    """
    return st.sampled_from(("help", "+help"))


def valid_items() -> st.SearchStrategy[str]:
    """
    One valid item of any kind.
    """
    return st.one_of(component_items(), artifact_items(), module_items(), wildcard_items(), help_items())


def item_lists() -> st.SearchStrategy[list[str]]:
    """
    Lists of valid items, as written.
    """
    return st.lists(valid_items(), max_size=8)


_PADDING = st.sampled_from(("", "", "", " ", "  ", "\t", "\n", " \t "))


def settings_strings(items: list[str]) -> st.SearchStrategy[str]:
    """
    ``items`` joined by commas, with whitespace around them and empty items in between.
    """
    padded = st.tuples(*(st.tuples(_PADDING, st.just(item), _PADDING).map("".join) for item in items))
    empties = st.lists(_PADDING, max_size=2)
    return st.tuples(empties, padded, empties).map(lambda t: ",".join([*t[0], *t[1], *t[2]]))


_NOISE = st.sampled_from(
    ("", " ", ",", ",,", "+", "-", "++", "=", "==", "*", "?", ".", "..", "\x00", "\t", "\u00e9", "\u0301", "[", "\\")
)


def noisy_settings() -> st.SearchStrategy[str]:
    """
    Near-valid strings: valid items mixed with stray signs, separators and odd characters,
    so that every branch of the resolver is reached often.
    """
    piece = st.one_of(valid_items(), _NOISE, st.text(max_size=4))
    return st.lists(piece, max_size=10).map("".join)
