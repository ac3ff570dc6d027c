"""The help message, generated from the registry with the system's own variable names."""

from __future__ import annotations

from ._registry import Registry

__all__ = ["help_message"]

_WIDTH = 100


def _rows(rows: list[tuple[str, str]], indent: int = 2) -> list[str]:
    import textwrap  # only for the help text: it is slow to import

    width = max((len(left) for left, _ in rows), default=0) + 2
    out = []
    for left, right in rows:
        # Long words (a format string, a path) stay whole rather than break mid-word.
        wrapped = textwrap.wrap(right, _WIDTH - indent - width, break_long_words=False) or [""]
        out.append(" " * indent + left.ljust(width) + wrapped[0])
        out.extend(" " * (indent + width) + more for more in wrapped[1:])
    return out


def help_message(name: str, root: str, var: str, registry: Registry, *, verbose: bool = False) -> str:
    """
    The help text of a system: its components, its artifacts, examples and variables.

    Args:
        name: the system's name.
        root: its root logger.
        var: its settings variable, e.g. ``TORCH_LOGS``.
        registry: what it registers.
        verbose: list every artifact, not only the visible ones.
    """
    components = [("all", f"the root logger {root!r}; every component inherits its level (default: warning)")]
    components += [(c.name, ", ".join(c.loggers)) for c in registry.components.values()]
    components.append(("a.module.name", f"any other module or logger, e.g. +{root}.some.module"))
    shown = [a for a in registry.artifacts.values() if verbose or a.visible]
    artifacts = [(a.name + (" *" if a.off_by_default else ""), a.description) for a in shown]
    hidden = len(registry.artifacts) - len(shown)

    lines = [
        f"{name} logging is set with {var}: a comma-separated list of components, artifacts and modules.",
        "",
        "Components and modules: +NAME sets DEBUG, NAME sets INFO, -NAME sets ERROR,",
        "NAME=LEVEL sets a level by name (debug, info, warning, error, critical) or number.",
        *_rows(components),
        "",
        "Artifacts: NAME (or NAME=on) shows that output whatever its component's level;",
        "NAME=off keeps it silent even at DEBUG. The others follow their component at DEBUG,",
        "except those marked *, which are off by default and shown only when named.",
    ]
    if artifacts:
        lines += _rows(artifacts)
    elif not hidden:
        lines.append("  (no artifacts are registered)")
    if hidden:
        more = "more" if shown else "hidden"
        lines.append(f"  ... and {hidden} {more}: {var}=+help lists every artifact.")
    lines += [
        "",
        "Wildcards: * and ? match registered names (graph* = every name starting with graph).",
        "Ranks: ITEM@R or ITEM@R-S applies an item only on those ranks (+NAME@0, NAME=debug@1-3).",
        "",
    ]
    lines += ["Examples:", *_rows(_examples(var, root, registry))]
    lines += [
        "",
        "Other variables:",
        *_rows(
            [
                (f"{var}_OUT=PATH", "also append the logs to the file PATH (%r: the rank, %p: the pid)"),
                (
                    f"{var}_FORMAT=FMT",
                    # no space inside the example, so that wrapping never splits it
                    "a %-style format for each line ('short' is logging's basic format, 'json' one JSON "
                    "object per record), e.g. '%(asctime)s|%(levelname)s|%(message)s'",
                ),
                (f"{var}_CONSOLE=WHERE", "stderr (default), stdout, or none"),
                (f"{var}_STRICT=1", "raise on an invalid item instead of reporting it and going on"),
                (f"{var}_RANKS=LIST", "only these ranks log, e.g. 0,2-3; the other ranks log errors only"),
                (f"{var}_RANKS_OTHERS=LEVEL", "what the other ranks log: error (default), silent, or another level"),
                (f"{var}_CONTROL=1", "let `logdial set` change the settings while the program runs"),
                (
                    f"{var.removesuffix('_LOGS')}_TRACE=DIR",
                    "write a structured trace into DIR (for tlparse, logdial report)",
                ),
                ("NO_COLOR=1", "never colour the output (it wins over the next)"),
                ("FORCE_COLOR=1", "colour it even when it is not a terminal (also CLICOLOR_FORCE=1)"),
            ]
        ),
        "",
        f"{var}=help shows this message; {var}=+help also lists the hidden artifacts.",
    ]
    return "\n".join(lines) + "\n"


def _examples(var: str, root: str, registry: Registry) -> list[tuple[str, str]]:
    names = list(registry.components)
    # Visible artifacts first: the brief help lists only those, so its examples name them.
    arts = sorted(registry.artifacts.values(), key=lambda a: not a.visible)
    examples: list[tuple[str, str]] = [(f'{var}="+all"', "everything at DEBUG")]
    if len(names) >= 2:
        examples.append((f'{var}="+{names[0]},{names[1]}"', f"{names[0]} at DEBUG, {names[1]} at INFO"))
        examples.append((f'{var}="-{names[0]},{names[1]}=debug"', f"{names[0]} at ERROR, {names[1]} at DEBUG"))
    elif names:
        examples.append((f'{var}="+{names[0]}"', f"{names[0]} at DEBUG"))
    if arts:
        examples.append((f'{var}="{arts[0].name}"', f"show the {arts[0].name} artifact"))
    quiet = next((a for a in arts if a.off_by_default), None)
    if names and quiet is not None:
        examples.append((f'{var}="+{names[0]},{quiet.name}"', f"{names[0]} at DEBUG, and {quiet.name}"))
    examples.append((f'{var}="+{root}.some.module"', "one module (and those below it) at DEBUG"))
    # =off only changes something for an artifact that would follow its component, and
    # under +all it does whichever component the artifact belongs to.
    loud = next((a for a in arts if not a.off_by_default), None)
    if loud is not None:
        examples.append((f'{var}="+all,{loud.name}=off"', f"everything at DEBUG except the {loud.name} artifact"))
    return examples
