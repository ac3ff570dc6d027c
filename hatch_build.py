"""
Builds logdial's one optional C module, ``logdial._speedups`` (``LazyString``), into the wheel.

The compiler is ``$CC`` if set, else the one this Python was built with. Where it is
missing or fails, where this Python has no headers, or where ``LOGDIAL_NO_EXTENSIONS=1`` is
set, the wheel is built without the module and stays pure Python (``py3-none-any``), and
``logdial._lazy`` uses its pure-Python ``LazyString``, which behaves the same; the build
says which. Nothing is imported from the package being built, and nothing but the
standard library and hatchling is used.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("src") / "logdial" / "_speedups.c"


class SpeedupsHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        if version == "editable":  # the source tree is imported, where no module is built
            self.app.display_info("logdial: editable install, with the pure-Python LazyString")
            return
        if os.environ.get("LOGDIAL_NO_EXTENSIONS") == "1":
            self.app.display_info("logdial: LOGDIAL_NO_EXTENSIONS=1, building the pure-Python wheel")
            return
        built = self._compile()
        if built is None:
            return
        suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
        build_data["force_include"][str(built)] = f"logdial/_speedups{suffix}"
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def _compile(self) -> Path | None:
        source = Path(self.root) / SOURCE
        compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
        include = sysconfig.get_paths()["include"]
        if not (Path(include) / "Python.h").is_file():
            self.app.display_warning(f"logdial: no Python.h in {include}; building without the C LazyString")
            return None
        scratch = tempfile.mkdtemp(prefix="logdial-build-")
        atexit.register(shutil.rmtree, scratch, True)  # after the wheel is written, or the build fails
        out = Path(scratch) / "_speedups.so"
        flags = ["-shared", "-fPIC", "-O2", "-Wall", "-Werror=implicit-function-declaration", f"-I{include}"]
        if sys.platform == "darwin":
            flags += ["-undefined", "dynamic_lookup"]
        command = [*compiler, *flags, str(source), "-o", str(out)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            self.app.display_warning(f"logdial: no C compiler ({error}); building without the C LazyString")
            return None
        if done.returncode != 0:
            self.app.display_warning(
                f"logdial: compiling {SOURCE} failed; building without the C LazyString:\n{done.stderr}"
            )
            return None
        self.app.display_info(f"logdial: built {SOURCE}")
        return out
