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

Policies shared by every subcommand, all applied here:

- errors and warnings are one line on stderr in the flags the user typed
  (:func:`as_flags`: ``null='rewire'`` -> ``--null rewire``), exit status 2;
- an existing output is refused unless ``--force`` (:func:`refuse_existing`),
  and every output is written atomically;
- progress bars only when stderr is a terminal (:func:`progress_enabled`);
- ``smallworld`` without a subcommand prints its usage and exits 2.

User errors (``ValueError``, ``TypeError``, missing or existing files) become
one line on stderr and exit status 2, never a traceback.  The library refuses
work that cannot fit before allocating it (a ``ValueError``); a
``MemoryError`` that still escapes is caught here as a last resort and shown
the same way.
"""

from __future__ import annotations

import argparse
import importlib
import re
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "build_parser", "CLIError", "as_flags", "refuse_existing", "progress_enabled"]

#: Subcommands in the order ``--help`` lists them.
COMMANDS = ("demo", "generate", "score", "train", "reproduce")


class CLIError(Exception):
    """An error to be shown to the user as one line (exit status 2)."""


def refuse_existing(path: Any, flag: str, force: bool) -> None:
    """The CLI's one overwrite policy: an existing output is refused unless ``--force``.

    Every output is then written atomically (:mod:`smallworld._atomic`), so ``--force`` replaces the old
    file whole or not at all.  ``path`` ``'-'`` (stdout) and ``None`` (nothing written) pass.
    """
    from pathlib import Path

    if path is None or str(path) == "-":
        return
    p = Path(path)
    if p.is_dir():
        raise CLIError(f"{flag} must name a file, got a directory: {path}")
    if not force and (p.exists() or p.is_symlink()):
        raise CLIError(f"{flag} {path} already exists; pass --force to overwrite it, or choose another name")


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
    if getattr(args, "_run", None) is None:  # no subcommand: usage on stderr, a failure status
        parser.print_help(sys.stderr)
        return 2
    if hasattr(args, "no_progress"):
        args.no_progress = not progress_enabled(args)
    previous = _terminate_as_interrupt()
    flags = _flag_names(parser, args.command)
    with warnings.catch_warnings():  # warnings as one line in the user's flags, never a source line
        warnings.showwarning = lambda message, category, *_a, **_k: print(
            f"smallworld {args.command}: warning: {as_flags(str(message), flags)}", file=sys.stderr)
        return _run(args, flags, previous)


def _run(args: argparse.Namespace, flags: dict[str, str], previous: Any) -> int:
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
        msg = as_flags(msg, flags)
        print(f"smallworld {args.command}: error: {msg}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def progress_enabled(args: Any = None) -> bool:
    """The CLI's one progress-bar policy: bars on stderr only when it is a terminal (a log file gets no
    ``\\r`` lines) and ``--no-progress`` is not given.  Every subcommand's bars follow it."""
    return _stderr_is_tty() and not getattr(args, "no_progress", False)


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


#: Library argument names whose flag is not the same word, per subcommand.
_RENAMED = {
    "score": {"name": "--dataset", "n_bootstrap": "--bootstrap", "relabel": "--relabel"},
    "train": {"name": "--data", "root": "--data", "resume": "--resume"},
}


def _flag_names(parser: argparse.ArgumentParser, command: str) -> dict[str, str]:
    """Library argument name -> the flag of ``command`` (from its parser, ``generate MODEL`` included)."""
    names: dict[str, str] = {}

    def walk(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for nested in dict.fromkeys(action.choices.values()):
                    walk(nested)
            elif action.option_strings and action.dest not in (argparse.SUPPRESS, "help"):
                flag = next((o for o in action.option_strings if o.startswith("--")), action.option_strings[0])
                names.setdefault(action.dest.removeprefix("param_"), flag)

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            walk(action.choices[command])
    names.update(_RENAMED.get(command, {}))
    return names


def as_flags(message: str, flags: dict[str, str]) -> str:
    """Say a library error in the flags the user typed: the one translation layer of the CLI.

    ``null='rewire'`` -> ``--null rewire``, ``resume=True`` -> ``--resume``, ``root=DIR`` -> ``--data DIR``,
    ``got density=None`` -> ``got no --density``, ``one of density or mean_degree`` -> ``one of --density
    or --mean-degree``, ``lr must be`` -> ``--lr must be``.  Names not in ``flags`` are left alone.
    """
    if not flags:
        return message
    alt = "|".join(sorted(map(re.escape, flags), key=len, reverse=True))

    def assign(m: re.Match) -> str:
        flag, value = flags[m.group(1)], m.group(2)
        if value == "True":
            return flag
        if value == "None":
            return f"no {flag}"
        if value[:1] in "'\"" and value[-1:] == value[:1] and len(value) >= 2:
            value = value[1:-1]
        return f"{flag} {value}"

    value = r"('[^']*'|\"[^\"]*\"|[^\s,;:)]+)"
    message = re.sub(rf"(?<![\w-])({alt})={value}", assign, message)
    word = lambda m: flags[m.group(0)]  # noqa: E731
    bare = rf"(?<![\w-])(?:{alt})(?![\w-])"
    message = re.sub(  # "one of density or mean_degree", "both a and b", "either x or y"
        rf"\b(one of|both|either|neither) ({bare}(?:(?:, | or | and | nor ){bare})+)",
        lambda m: f"{m.group(1)} {re.sub(bare, word, m.group(2))}", message)
    message = re.sub(rf"(?:^|(?<=; ))({bare})(?= must | does not | is )", word, message)  # "lr must be ..."
    message = re.sub(rf"(?<=\bpoint )({bare})(?= at )", word, message)
    return message


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
