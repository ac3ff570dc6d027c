"""``python -m logdial.pytorch SCRIPT [ARGS...]``: run a script as ``python SCRIPT`` would, logdial in charge."""

from __future__ import annotations

import os
import runpy
import sys

from . import install

__all__ = ["main"]

USAGE = """\
usage: python -m logdial.pytorch SCRIPT [ARGS...]
       python -m logdial.pytorch -m MODULE [ARGS...]

Run a Python script (or module) as `python SCRIPT` (or `python -m MODULE`) would, with
torch's logging under logdial: TORCH_LOGS accepts logdial's settings (levels, wildcards,
artifact=off), a typo is reported with a suggestion instead of aborting `import torch`,
and TORCH_LOGS=help prints the help and exits 0."""


def main(argv: list[str] | None = None) -> int:
    """
    Install logdial for torch, then run the script (or ``-m`` module) with ``sys.argv``
    set to it and its arguments, as the interpreter would.

    Returns:
        0 after the script returns (``sys.exit`` in it ends the process as usual), 2 for
        a usage error or a script that cannot be opened.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    if args[0] == "-m":
        if len(args) < 2:
            print(f"{USAGE}\n\nerror: -m needs a module name", file=sys.stderr)
            return 2
        install()
        sys.argv = args[1:]  # run_module puts the module's file name in argv[0], as python -m does
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return 0
    script = args[0]
    if not os.path.exists(script):
        where = os.path.abspath(script)
        print(f"{sys.executable}: can't open file {where!r}: [Errno 2] No such file or directory", file=sys.stderr)
        return 2
    install()
    sys.argv = args
    # python SCRIPT puts the script's directory first on sys.path (python -m put the cwd).
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
