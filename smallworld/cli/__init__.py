"""The ``smallworld`` command line.

One entry point with subcommands.  Each subcommand lives in its own private
module ``smallworld/cli/_<name>.py`` that defines

- ``HELP``: a one-line summary shown by ``smallworld --help``;
- ``add_arguments(parser)``: adds its arguments to an ``argparse`` parser;
- ``run(args) -> int``: does the work and returns the exit status.

Heavy libraries (torch, matplotlib, the analysis package) are imported inside
``run`` so that ``smallworld --help`` and ``import smallworld`` stay fast.

Every subcommand takes ``--threads N`` (added here, in :func:`build_parser`,
not by the subcommands): the thread budget of the run's compiled kernels and
torch (:func:`smallworld.set_num_threads`; default ``SMALLWORLD_NUM_THREADS``
or the cores this process may use).

User errors (``ValueError``, ``TypeError``, missing or existing files) become
one line on stderr and exit status 2, never a traceback.  The library refuses
work that cannot fit before allocating it (a ``ValueError``); a
``MemoryError`` that still escapes is caught here as a last resort and shown
the same way.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "build_parser", "CLIError"]

#: Subcommands in the order ``--help`` lists them.
COMMANDS = ("demo", "generate", "score", "train", "reproduce")


class CLIError(Exception):
    """An error to be shown to the user as one line (exit status 2)."""


def _load(name: str):
    try:
        return importlib.import_module(f"smallworld.cli._{name}")
    except ModuleNotFoundError as exc:  # a subcommand not shipped in this build
        if exc.name == f"smallworld.cli._{name}":
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available subcommand."""
    from smallworld import __version__

    parser = argparse.ArgumentParser(
        prog="smallworld",
        description="Brain-like sparse neural networks: generate, wire, train and score small-world graphs.",
    )
    parser.add_argument("--version", action="version", version=f"smallworld {__version__}")
    parser.error = _one_line_error(parser)  # type: ignore[method-assign]
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        mod = _load(name)
        if mod is None:
            continue
        p = sub.add_parser(
            name,
            help=mod.HELP,
            description=getattr(mod, "DESCRIPTION", mod.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # argument errors as one line on stderr with exit status 2, not argparse's usage dump
        # (a subcommand's add_arguments may refine this, as generate does)
        p.error = _one_line_error(p)  # type: ignore[method-assign]
        mod.add_arguments(p)
        _add_threads(p)
        p.set_defaults(_run=mod.run)
    return parser


def _threads_arg(text: str) -> int:
    """``--threads`` value: an integer >= 1 (argparse turns the error into one line, exit 2)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1 (a number of threads), got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1 (a number of threads), got {n}")
    return n


def _add_threads(parser: argparse.ArgumentParser, default: Any = None) -> None:
    """Add ``--threads`` to a subcommand and to any nested sub-subcommand (``generate MODEL``), so
    it may come before or after the nested name; nested copies leave an earlier value alone."""
    parser.add_argument(
        "--threads", type=_threads_arg, default=default, metavar="N",
        help="CPU threads for compiled kernels and torch (default: $SMALLWORLD_NUM_THREADS, else the cores this "
             "process may use: affinity and cgroup quota); small kernels run on one thread regardless",
    )  # fmt: skip
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for nested in dict.fromkeys(action.choices.values()):  # aliases share a parser
                _add_threads(nested, argparse.SUPPRESS)


def _one_line_error(parser: argparse.ArgumentParser) -> Any:
    def error(message: str) -> Any:
        parser.exit(2, f"{parser.prog}: error: {message}\n")

    return error


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (also used as a console script)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    previous = _terminate_as_interrupt()
    try:
        if getattr(args, "threads", None) is None:
            return int(args._run(args) or 0)
        from smallworld._threads import thread_limit

        with thread_limit(args.threads):  # restored after the command (main may run in-process)
            return int(args._run(args) or 0)
    except KeyboardInterrupt as exc:
        print(f"smallworld {args.command}: {'terminated' if isinstance(exc, _Terminated) else 'interrupted'}",
              file=sys.stderr)
        return 143 if isinstance(exc, _Terminated) else 130
    except (CLIError, ValueError, TypeError, OSError, MemoryError) as exc:  # OSError: read-only fs, disk full...
        msg = str(exc) or type(exc).__name__
        if isinstance(exc, MemoryError):  # last resort: sizes are checked before allocating where known
            detail = f" ({' '.join(str(exc).split())})" if str(exc).strip() else ""
            msg = f"out of memory{detail}; the input or the requested graph is too large for this machine"
        elif isinstance(exc, OSError) and exc.strerror and exc.filename:
            msg = f"{exc.strerror}: {exc.filename}"  # "No such file or directory: x", not "[Errno 2] ..."
        elif isinstance(exc, OSError) and exc.filename and str(exc.filename) not in msg:
            msg = f"{msg}: {exc.filename}"
        print(f"smallworld {args.command}: error: {msg}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(KeyboardInterrupt):
    """SIGTERM (``timeout``, job schedulers), unwound like Ctrl-C so staged output is removed."""


def _terminate_as_interrupt() -> Any:
    """Make SIGTERM raise :class:`_Terminated` in the main thread; returns the old handler (None if not set)."""

    def handler(signum: int, frame: Any) -> None:
        raise _Terminated()

    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not the main thread, or no SIGTERM on this platform
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
