"""Tests for the registry: immutable snapshots of components and artifacts, wildcards, suggestions."""

from __future__ import annotations

import re

import pytest

from logdial import RegistrationError
from logdial._registry import RESERVED, Artifact, Component, Registry, check_logger_name

NAME_RULE = "use letters, digits and '_', starting with a letter or '_'"


def _demo_like() -> Registry:
    """
    A registry shaped like the demo's: three components and a few artifacts.
    """
    registry = (
        Registry()
        .with_component("dynamo", ["minitorch._dynamo", "minitorch.fx.experimental.symbolic_shapes"])
        .with_component("aot", ["minitorch._functorch.aot_autograd", "minitorch._functorch._aot_autograd"])
        .with_component("inductor", ["minitorch._inductor"])
    )
    for name in ("graph", "graph_code", "graph_breaks", "ddp_graphs", "aot_graphs", "guards", "schedule"):
        registry = registry.with_artifact(Artifact(name, f"The {name}."))
    return registry


class TestWithComponent:
    """
    ``Registry.with_component``: registering and extending components.
    """

    def test_registers_a_component(self) -> None:
        """
        A new component maps its alias to its logger names, in order.
        """
        registry = Registry().with_component("io", ["app.io", "app.net"])
        assert {"io": Component("io", ("app.io", "app.net"))} == dict(registry.components)

    def test_returns_a_new_snapshot(self) -> None:
        """
        Registering leaves the old snapshot as it was.
        """
        old = Registry().with_component("core", ["app.core"])
        new = old.with_component("io", ["app.io"])
        assert (["core"], ["core", "io"]) == (list(old.components), list(new.components))

    def test_registering_again_extends_the_component(self) -> None:
        """
        A second registration of an alias adds its logger names after the first ones.
        """
        registry = Registry().with_component("core", ["app.core"]).with_component("core", ["plugin.core"])
        assert Component("core", ("app.core", "plugin.core")) == registry.components["core"]

    def test_duplicate_logger_names_are_kept_once(self) -> None:
        """
        A logger name given twice, in one call or across calls, is listed once, where it
        first appeared.
        """
        registry = Registry().with_component("core", ["a.x", "a.y", "a.x"]).with_component("core", ["a.y", "a.z"])
        assert ("a.x", "a.y", "a.z") == registry.components["core"].loggers

    def test_a_string_is_one_logger_name(self) -> None:
        """
        A single string is one logger name, not a sequence of one-letter names.
        """
        assert ("mylib",) == Registry().with_component("core", "mylib").components["core"].loggers

    def test_needs_a_logger(self) -> None:
        """
        A component needs at least one logger name.
        """
        with pytest.raises(RegistrationError, match=r"^component 'core' needs at least one logger name$"):
            Registry().with_component("core", [])

    @pytest.mark.parametrize("name", ["", "1abc", "a.b", "a-b", "a b", "+dynamo", "graph*"])
    def test_invalid_component_name(self, name: str) -> None:
        """
        A component name is an identifier.
        """
        message = f"component name {name!r} is not valid: {NAME_RULE}"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            Registry().with_component(name, ["app.x"])

    def test_component_name_must_be_a_string(self) -> None:
        """
        A name that is not a string is rejected, not crashed on.
        """
        with pytest.raises(RegistrationError, match=f"^{re.escape(f'component name 3 is not valid: {NAME_RULE}')}$"):
            Registry().with_component(3, ["app.x"])  # type: ignore[arg-type]

    @pytest.mark.parametrize("name", sorted(RESERVED))
    def test_reserved_names(self, name: str) -> None:
        """
        ``all`` and ``help`` mean something in the grammar and cannot be components.
        """
        message = f"component name {name!r} is reserved by the settings grammar (all, help)"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            Registry().with_component(name, ["app.x"])

    @pytest.mark.parametrize("logger_name", ["", "a..b", ".a", "a.", "a-b.c", "a b", "a.1b"])
    def test_invalid_logger_name(self, logger_name: str) -> None:
        """
        Each logger name is a dotted name of identifiers.
        """
        message = f"logger name {logger_name!r} is not valid: use dotted identifiers, e.g. 'mylib.module'"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            Registry().with_component("core", ["ok.name", logger_name])

    def test_a_failed_registration_changes_nothing(self) -> None:
        """
        When one logger name is invalid, the component is not registered at all.
        """
        registry = Registry()
        with pytest.raises(RegistrationError):
            registry.with_component("core", ["ok.name", "bad name"])
        assert {} == dict(registry.components)

    def test_name_taken_by_an_artifact(self) -> None:
        """
        A component cannot take the name of an artifact.
        """
        registry = Registry().with_artifact(Artifact("graph", "The graph."))
        message = "'graph' is already registered as an artifact; choose another component name"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            registry.with_component("graph", ["app.graph"])

    def test_registration_error_is_a_value_error(self) -> None:
        """
        ``RegistrationError`` is a ``ValueError``, as invalid arguments are.
        """
        with pytest.raises(ValueError, match=r"^component 'x' needs at least one logger name$"):
            Registry().with_component("x", ())


class TestWithArtifact:
    """
    ``Registry.with_artifact``: registering artifacts.
    """

    def test_registers_an_artifact(self) -> None:
        """
        The artifact is stored under its name, with all its fields.
        """
        artifact = Artifact("graph", "The graph.", visible=True, off_by_default=True, log_format="%(message)s")
        assert {"graph": artifact} == dict(Registry().with_artifact(artifact).artifacts)

    def test_same_artifact_again_is_allowed(self) -> None:
        """
        Registering an equal artifact again changes nothing and returns the same snapshot.
        """
        registry = Registry().with_artifact(Artifact("graph", "The graph."))
        assert registry is registry.with_artifact(Artifact("graph", "The graph."))

    @pytest.mark.parametrize(
        "other",
        [
            Artifact("graph", "Another description."),
            Artifact("graph", "The graph.", visible=True),
            Artifact("graph", "The graph.", off_by_default=True),
            Artifact("graph", "The graph.", log_format="%(message)s"),
        ],
    )
    def test_same_name_other_fields(self, other: Artifact) -> None:
        """
        Registering a name again with any other field is an error that shows the first one.
        """
        registry = Registry().with_artifact(Artifact("graph", "The graph."))
        message = (
            "artifact 'graph' is already registered with other fields: "
            "Artifact(name='graph', description='The graph.', visible=False, off_by_default=False, log_format=None)"
        )
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            registry.with_artifact(other)

    def test_name_taken_by_a_component(self) -> None:
        """
        An artifact cannot take the name of a component.
        """
        registry = Registry().with_component("dynamo", ["app.dynamo"])
        message = "'dynamo' is already registered as a component; choose another artifact name"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            registry.with_artifact(Artifact("dynamo", "Dynamo."))

    @pytest.mark.parametrize("name", sorted(RESERVED))
    def test_reserved_names(self, name: str) -> None:
        """
        ``all`` and ``help`` cannot be artifacts either.
        """
        message = f"artifact name {name!r} is reserved by the settings grammar (all, help)"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            Registry().with_artifact(Artifact(name, "x"))

    @pytest.mark.parametrize("name", ["", "graph.code", "graph-code", "9lives", "graph*"])
    def test_invalid_artifact_name(self, name: str) -> None:
        """
        An artifact name is an identifier.
        """
        message = f"artifact name {name!r} is not valid: {NAME_RULE}"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            Registry().with_artifact(Artifact(name, "x"))

    def test_returns_a_new_snapshot(self) -> None:
        """
        Registering leaves the old snapshot as it was.
        """
        old = Registry()
        new = old.with_artifact(Artifact("graph", "The graph."))
        assert ([], ["graph"]) == (list(old.artifacts), list(new.artifacts))


class TestSnapshots:
    """
    ``Registry``, ``Component`` and ``Artifact`` are immutable values.
    """

    def test_artifact_defaults(self) -> None:
        """
        An artifact is hidden from ``help``, follows its component, and has no own format
        unless told otherwise.
        """
        assert Artifact("x", "d", visible=False, off_by_default=False, log_format=None) == Artifact("x", "d")

    def test_tables_are_read_only(self) -> None:
        """
        The registry's tables cannot be changed in place.
        """
        registry = _demo_like()
        with pytest.raises(TypeError):
            registry.components["x"] = Component("x", ("x",))  # type: ignore[index]
        with pytest.raises(TypeError):
            registry.artifacts["x"] = Artifact("x", "d")  # type: ignore[index]

    @pytest.mark.parametrize(
        ("value", "field"),
        [(Registry(), "components"), (Component("x", ("x",)), "loggers"), (Artifact("x", "d"), "visible")],
    )
    def test_frozen(self, value: object, field: str) -> None:
        """
        Fields cannot be reassigned.
        """
        with pytest.raises(AttributeError, match=f"^cannot assign to field '{field}'$"):
            setattr(value, field, None)

    def test_logger_names(self) -> None:
        """
        ``logger_names`` is every logger any component covers, once.
        """
        registry = Registry().with_component("a", ["x.a", "x.shared"]).with_component("b", ["x.b", "x.shared"])
        assert frozenset({"x.a", "x.b", "x.shared"}) == registry.logger_names

    def test_empty_registry(self) -> None:
        """
        An empty registry has no names at all.
        """
        registry = Registry()
        assert ({}, {}, frozenset()) == (dict(registry.components), dict(registry.artifacts), registry.logger_names)


class TestMatch:
    """
    ``Registry.match``: the names a wildcard pattern matches, by kind, in registration order.
    """

    @pytest.mark.parametrize(
        ("pattern", "expected"),
        [
            ("graph*", ((), ("graph", "graph_code", "graph_breaks"))),
            ("*graph*", ((), ("graph", "graph_code", "graph_breaks", "ddp_graphs", "aot_graphs"))),
            ("a?t", (("aot",), ())),
            ("aot*", (("aot",), ("aot_graphs",))),
            (
                "*",
                (
                    ("dynamo", "aot", "inductor"),
                    ("graph", "graph_code", "graph_breaks", "ddp_graphs", "aot_graphs", "guards", "schedule"),
                ),
            ),
            ("gr?ph", ((), ("graph",))),
            ("guards", ((), ("guards",))),
            ("dynamo", (("dynamo",), ())),
            ("?", ((), ())),
            ("zzz*", ((), ())),
            ("Graph*", ((), ())),
            ("minitorch.*", ((), ())),
        ],
    )
    def test_match(self, pattern: str, expected: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
        """
        ``*`` matches any run of characters and ``?`` one character, case-sensitively.
        """
        assert expected == _demo_like().match(pattern)

    def test_all_is_not_a_component(self) -> None:
        """
        The special name ``all`` is not matched by wildcards: ``*`` means registered names.
        """
        assert ((), ()) == _demo_like().match("a?l")


class TestSuggest:
    """
    ``Registry.suggest``: did-you-mean names for a name that is not registered.
    """

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("DYNAMO", ["dynamo"]),
            ("Dynamo", ["dynamo"]),
            ("dynamoo", ["dynamo"]),
            ("+dynamoo", ["dynamo"]),
            ("-inductr", ["inductor"]),
            ("grpah", ["graph"]),
            ("guard", ["guards"]),
            ("graph_brakes", ["graph_breaks", "graph_code"]),
            ("graph*", ["graph", "graph_code", "ddp_graphs"]),
            ("gu?rds", ["guards"]),
            ("al", ["all"]),
            ("ALL", ["all"]),
        ],
    )
    def test_close_names(self, name: str, expected: list[str]) -> None:
        """
        Up to three close names, best first, ignoring case, signs and wildcards;
        ``all`` is among the candidates.
        """
        assert expected == _demo_like().suggest(name)

    @pytest.mark.parametrize("name", ["xyz", "some.random.module", "", "+"])
    def test_nothing_close(self, name: str) -> None:
        """
        A name close to nothing gets no suggestion.
        """
        assert [] == _demo_like().suggest(name)

    def test_suggests_registered_spelling(self) -> None:
        """
        The suggestion is the name as registered, even when it has upper-case letters.
        """
        registry = Registry().with_artifact(Artifact("GraphCode", "d"))
        assert ["GraphCode"] == registry.suggest("graphcode")


class TestCheckLoggerName:
    """
    ``check_logger_name``: a logger name is a dotted name of identifiers.
    """

    @pytest.mark.parametrize("name", ["a", "a.b", "_a._b", "minitorch._functorch._aot_autograd", "modül.x"])
    def test_valid(self, name: str) -> None:
        """
        Dotted identifiers pass: no exception.
        """
        check_logger_name(name)

    @pytest.mark.parametrize("name", ["", "a..b", "a.", ".a", "a b", "a-b", "1a", "a.__1.2", None, 3])
    def test_invalid(self, name: object) -> None:
        """
        Anything else is a ``RegistrationError`` naming the value.
        """
        message = f"logger name {name!r} is not valid: use dotted identifiers, e.g. 'mylib.module'"
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            check_logger_name(name)
