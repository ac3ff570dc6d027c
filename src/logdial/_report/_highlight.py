"""A tiny syntax highlighter for the report: Python and JSON text → escaped HTML spans."""

from __future__ import annotations

import builtins
import html
import json
import keyword
import re
from typing import Final, Literal

__all__ = ["Language", "guess_language", "highlight"]

Language = Literal["python", "json", "text"]


_NAME_CLASS: Final = {
    **{n: "builtin" for n in dir(builtins) if not n.startswith("_")},
    **dict.fromkeys(keyword.kwlist, "keyword"),
    **dict.fromkeys(("True", "False", "None"), "constant"),
}
_STRING_PREFIXES: Final = frozenset({"r", "u", "b", "f", "br", "rb", "fr", "rf"})
# A Python string: a triple-quoted one (to the end of the text if it is not closed) or a
# one-line one (to the end of the line if not closed). A prefix (rb'...') is read as a
# name just before it, and joined to it by highlight().
_PY_STRING: Final = "|".join(
    (
        r"'''(?:\\.|[^\\])*?(?:'''|\Z)",
        r'"""(?:\\.|[^\\])*?(?:"""|\Z)',
        r"'(?:\\.|[^'\\\n])*'?",
        r'"(?:\\.|[^"\\\n])*"?',
    )
)

# The text is escaped first (``& < >``; quotes need no escaping in element content) and
# the escaped text is tokenised, so that every token is copied as it is; an entity is a
# token of its own, so that no span can split one. One regex per language, one pass;
# what no group matches is plain text. Each branch starts with what it consumes (no
# lookbehind), and names come first and are taken whole, which keeps the scan fast.
# The patterns are tolerant on purpose: a payload cut short in the middle of a string
# still highlights (the open string runs on).
_PYTHON: Final = re.compile(
    "|".join(
        (
            r"(?P<name>[^\W\d]\w*)",
            r"(?P<number>\d[\w.]*|\.\d\w*)",
            r"(?P<comment>\#[^\n]*)",
            f"(?P<string>{_PY_STRING})",
            r"(?P<entity>&(?:lt|gt|amp);)",
            r"(?P<decorator>@[\w.]+)",
        )
    )
)
_JSON: Final = re.compile(
    "|".join(
        (
            r'(?P<key>"(?:\\.|[^"\\\n])*"(?=\s*:))',
            r'(?P<string>"(?:\\.|[^"\\\n])*"?)',
            r"(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)",
            r"(?P<constant>true|false|null|NaN|Infinity)\b",
            r"(?P<entity>&(?:lt|gt|amp);)",
        )
    )
)
# The CSS class of each kind of token (the report's stylesheet colours them).
_CLASS: Final = {
    "comment": "hc",
    "string": "hs",
    "decorator": "hd",
    "number": "hn",
    "keyword": "hk",
    "constant": "hm",
    "builtin": "hb",
    "definition": "hf",
    "key": "hy",
}

# Event kinds whose payload is Python source (a graph printed as code, generated code).
_PYTHON_KINDS: Final = frozenset(
    {
        "dynamo_output_graph", "inductor_output_code", "aot_forward_graph", "aot_backward_graph",
        "aot_inference_graph", "aot_joint_graph", "compiled_autograd_graph", "optimize_ddp_split_graph",
        "optimize_ddp_split_child", "inductor_pre_grad_graph", "inductor_post_grad_graph", "graph_dump",
        "dump_file", "dynamo_cpp_guards_str",
    }
)  # fmt: skip
_JSON_KINDS: Final = frozenset({"chromium_event", "dynamo_guards", "compilation_metrics", "bwd_compilation_metrics"})
_LOOKS_PYTHON: Final = re.compile(r"^[ \t]*(?:def |class |import |from [\w.]+ import |@[\w.]+|return\b)", re.MULTILINE)


def guess_language(kind: str, metadata: object, text: str) -> Language:
    """
    The language of a payload: from the event's kind (and an artifact's ``encoding``)
    first, then from what the text looks like.

    >>> guess_language("inductor_output_code", {}, "x = 1")
    'python'
    >>> guess_language("artifact", {"name": "a", "encoding": "json"}, "{}")
    'json'
    >>> guess_language("mylib_note", {}, "hello")
    'text'
    """
    if kind in _PYTHON_KINDS:
        return "python"
    if kind in _JSON_KINDS or (
        isinstance(metadata, dict) and kind == "artifact" and metadata.get("encoding") == "json"
    ):
        return "json"
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
            pass
        else:
            return "json"
    if _LOOKS_PYTHON.search(text, 0, 4096):
        return "python"
    return "text"


def highlight(text: str, language: Language) -> str:
    """
    ``text`` as HTML for a ``<pre>``: ``& < >`` escaped, tokens in ``<span class="...">``.

    >>> highlight('def f(): "<b>"', "python")
    '<span class="hk">def</span> <span class="hf">f</span>(): <span class="hs">"&lt;b&gt;"</span>'
    >>> highlight('{"a": [1, null]}', "json")
    '{<span class="hy">"a"</span>: [<span class="hn">1</span>, <span class="hm">null</span>]}'
    """
    escaped = html.escape(text, quote=False)
    if language == "text":
        return escaped
    out: list[str] = []
    end = 0
    if language == "json":
        for match in _JSON.finditer(escaped):
            kind = match.lastgroup
            if kind == "entity" or kind is None:
                continue
            start = match.start()
            out.append(f'{escaped[end:start]}<span class="{_CLASS[kind]}">{escaped[start : match.end()]}</span>')
            end = match.end()
        out.append(escaped[end:])
        return "".join(out)
    after_def = False
    prefix = -1  # where a string prefix (rb, f, ...) that a string follows starts
    for match in _PYTHON.finditer(escaped):
        kind = match.lastgroup
        start = match.start()
        if kind == "name":
            token = match.group()
            if after_def:
                kind, after_def = "definition", False
            elif token.lower() in _STRING_PREFIXES and escaped[match.end() : match.end() + 1] in ("'", '"'):
                prefix = start
                continue
            else:
                kind = _NAME_CLASS.get(token)
                if kind is None:
                    continue
                after_def = token in ("def", "class")
        elif kind == "entity" or kind is None:
            continue
        elif kind == "string" and prefix >= 0 and escaped[prefix:start].isalpha():
            start = prefix
        prefix = -1
        out.append(f'{escaped[end:start]}<span class="{_CLASS[kind]}">{escaped[start : match.end()]}</span>')
        end = match.end()
    out.append(escaped[end:])
    return "".join(out)
