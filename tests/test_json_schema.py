"""The JSON lines' documented, versioned schema (schemas/json-lines-1.schema.json) is what logdial writes."""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from pathlib import Path

import jsonschema
from tests.conftest import ROOT

from logdial import LogSystem

SCHEMA = json.loads(resources.files("logdial").joinpath("schemas/json-lines-1.schema.json").read_text("utf-8"))


def _lines(tmp_path: Path) -> list[dict[str, object]]:
    # Every kind of record: plain, artifact, no component, with a rank and trace
    # contexts (ids, a label), an exception, a stack, a level of the program's own.
    out = tmp_path / "run.jsonl"
    logs = LogSystem("schemasys")
    logs.register_log("core", ["schemasys.core"])
    logs.register_artifact("graph", "The graph.")
    logs.set_output(console="none", file=str(out), format="json")
    logs.init({"SCHEMASYS_LOGS": "+core,graph"})
    core = logging.getLogger("schemasys.core")
    try:
        core.info("plain %s", 1)
        logs.getArtifactLogger("schemasys.core", "graph").debug("graph\nwith lines")
        logging.getLogger("schemasys").warning("no component")
        logs.set_rank_provider(lambda: 2)
        with logs.trace_context(frame_id=1, frame_compile_id=0, attempt=0, compiled_autograd_id=3):
            core.info("in a context")
        with logs.trace_context(label="step 3"):
            core.info("labelled")
        try:
            raise ValueError("boom")
        except ValueError:
            core.exception("failed")
        core.info("with a stack", stack_info=True)
        core.log(25, "a level of its own")
    finally:
        logs.reset()
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_every_line_is_valid(tmp_path: Path) -> None:
    """
    Each line validates against the schema (draft 2020-12, no key it does not list), and
    together they use every key it lists.
    """
    lines = _lines(tmp_path)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert [] == [(line, error.message) for line in lines for error in validator.iter_errors(line)]
    assert set(SCHEMA["properties"]) == {key for line in lines for key in line}
    assert 8 == len(lines)


def test_schema_is_versioned_and_documented() -> None:
    """
    The schema names its version; the README names the version and every key.
    """
    assert "schema version 1" in SCHEMA["title"]
    assert SCHEMA["$id"].endswith("/json-lines-1.schema.json")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### JSON lines") :]
    section = section[: section.index("\n## ")]
    assert "schema version 1" in section
    assert [] == [key for key in SCHEMA["properties"] if not re.search(rf"`{key}`", section)]
