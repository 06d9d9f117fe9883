"""``smallworld generate MODEL [params] --seed S --out FILE``.

The options of every model are built by introspecting the generator's
signature (:func:`inspect.signature` and its type hints), so a new parameter of
a generator is a new command-line option without any change here.  Numbers
left out fall back to the generator's own defaults.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run", "ModelSpec", "ParamSpec", "model_specs", "spec_from_function"]

HELP = "generate a graph with one of the models and write it to a file"
DESCRIPTION = """\
Generate a graph with one of the models of smallworld.generators and write it
as an edge list, GML or .npz file (format from the suffix or --format).

  smallworld generate watts_strogatz --n 1000 --k 10 --p 0.1 --seed 1 --out ws.edgelist
  smallworld generate MODEL --help      lists the parameters of MODEL

Deterministic models (ring_lattice) take no --seed; giving one is an error.
"""

#: Short aliases, added when the model exists.
ALIASES = {
    "ws": "watts_strogatz",
    "nws": "newman_watts_strogatz",
    "cws": "connected_watts_strogatz",
    "er": "erdos_renyi",
    "ba": "barabasi_albert",
    "hk": "holme_kim",
    "ke": "klemm_eguiluz",
}


@dataclass
class ParamSpec:
    """One generator parameter as a command-line option."""

    name: str
    convert: Callable[[str], Any] | None  # None: a --flag/--no-flag boolean
    metavar: str
    required: bool
    default: Any
    help: str = ""
    nargs: str | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def flags(self) -> list[str]:
        hyphen = "--" + self.name.replace("_", "-")
        under = "--" + self.name
        return [hyphen] if hyphen == under else [hyphen, under]


@dataclass
class ModelSpec:
    """A generator and its options."""

    name: str
    func: Callable[..., Any]
    summary: str
    params: list[ParamSpec] = field(default_factory=list)
    takes_seed: bool = False


def _type_error(kind: str, text: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"expected {kind}, got {text!r}")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _type_error("an integer", text) from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise _type_error("a number", text) from None


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return _float(text)


def _auto(text: str) -> Any:
    """Unknown type: an integer, else a number, else the text itself."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def _seed(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


_SCALARS: dict[Any, tuple[Callable[[str], Any], str]] = {
    int: (_int, "INT"),
    float: (_float, "FLOAT"),
    str: (str, "TEXT"),
}


def _resolve(annotation: Any, default: Any) -> tuple[Callable[[str], Any] | None, str, str | None, tuple | None]:
    """(converter, metavar, nargs, choices) for an annotation; ``None`` converter = boolean flag."""
    if annotation is inspect.Parameter.empty:
        if isinstance(default, bool):
            return None, "", None, None
        if default is not None and type(default) in _SCALARS:
            return (*_SCALARS[type(default)], None, None)
        return _auto, "VALUE", None, None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _resolve(args[0], default)
        if set(args) <= {int, float}:
            return _number, "NUMBER", None, None
        if set(args) <= {int, float, str}:
            return _auto, "VALUE", None, None
        seqs = [a for a in args if typing.get_origin(a) in (list, tuple, Sequence, typing.Sequence)]
        if seqs:
            return _resolve(seqs[0], default)
        return _auto, "VALUE", None, None
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        conv = _int if all(isinstance(c, int) for c in choices) else str
        return conv, "{" + ",".join(map(str, choices)) + "}", None, choices
    if origin in (list, tuple, Sequence, typing.Sequence) or annotation in (list, tuple):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        conv, meta, _, _ = _resolve(args[0], None) if args else (_auto, "VALUE", None, None)
        return conv or _auto, meta, "+", None
    if annotation is bool:
        return None, "", None, None
    if annotation in _SCALARS:
        return (*_SCALARS[annotation], None, None)
    return _auto, "VALUE", None, None


def _param_docs(doc: str) -> dict[str, str]:
    """First sentence of each entry of a numpydoc ``Parameters`` section."""
    lines = inspect.cleandoc(doc or "").splitlines()
    out: dict[str, str] = {}
    try:
        start = next(i for i, ln in enumerate(lines[:-1]) if ln.strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"})
    except StopIteration:
        return out
    names: list[str] = []
    for ln in lines[start + 2:]:
        if ln.strip() and not ln.startswith(" "):
            if set(ln.strip()) == {"-"}:  # next section's underline
                break
            m = re.match(r"^([\w*]+(?:\s*,\s*[\w*]+)*)\s*(?::|$)", ln)
            if not m or ln.strip() in ("Returns", "Raises", "Yields", "Notes", "Examples", "References", "See Also"):
                break
            names = [s.strip().lstrip("*") for s in m.group(1).split(",")]
            for nm in names:
                out[nm] = ""
        elif ln.strip() and names:
            for nm in names:
                if not out[nm].endswith((".", ";")) or not out[nm]:
                    out[nm] = (out[nm] + " " + ln.strip()).strip()
    return {k: re.split(r"(?<=\.)\s", v, maxsplit=1)[0] for k, v in out.items()}


def spec_from_function(name: str, func: Callable[..., Any]) -> ModelSpec:
    """Build the command-line description of one generator from its signature."""
    sig = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # unresolvable annotations: fall back to defaults
        hints = {}
    docs = _param_docs(func.__doc__ or "")
    summary = (inspect.cleandoc(func.__doc__ or "").splitlines() or [name])[0].rstrip(".")
    spec = ModelSpec(name=name, func=func, summary=summary)
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name.startswith("_"):
            continue
        if p.name == "seed":
            spec.takes_seed = True
            continue
        annotation = hints.get(p.name, p.annotation if not isinstance(p.annotation, str) else inspect.Parameter.empty)
        conv, meta, nargs, choices = _resolve(annotation, p.default)
        required = p.default is inspect.Parameter.empty
        spec.params.append(ParamSpec(p.name, conv, meta, required, None if required else p.default,
                                     docs.get(p.name, ""), nargs, choices))
    return spec


def model_specs() -> dict[str, ModelSpec]:
    """Every generator of :mod:`smallworld.generators`, in ``__all__`` order."""
    from smallworld import generators

    return {name: spec_from_function(name, getattr(generators, name)) for name in generators.__all__}


class _ModelParser(argparse.ArgumentParser):
    """Argument errors as one line on stderr (exit status 2), no usage dump."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> tuple[argparse.Namespace, list[str]]:
        ns, extras = super().parse_known_args(args, namespace)
        if extras:  # report here, not in the top-level parser with its usage dump
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        spec = getattr(ns, "_model", None)  # required here: either spelling (--x-y, --x_y) satisfies it
        missing = [p.flags[0] for p in getattr(spec, "params", ()) if p.required and getattr(ns, f"param_{p.name}", None) is None]
        if missing:
            self.error(f"the following arguments are required: {', '.join(missing)}")
        return ns, extras


def _generate_error(parser: argparse.ArgumentParser, names: list[str], message: str) -> typing.NoReturn:
    m = re.search(r"invalid choice: '?([^'\s]*)'?", message)
    if m:
        close = difflib.get_close_matches(m.group(1).replace("-", "_"), names, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]}?)" if close else ""
        message = f"unknown model {m.group(1)!r}{hint}; models: {', '.join(names)}"
    parser.exit(2, f"{parser.prog}: error: {message}\n")


def _add_model(sub: Any, spec: ModelSpec) -> None:
    aliases = [spec.name.replace("_", "-")] if "_" in spec.name else []
    aliases += [a for a, target in ALIASES.items() if target == spec.name]
    p = sub.add_parser(
        spec.name, aliases=aliases, help=spec.summary, description=spec.summary + "."
    )
    group = p.add_argument_group(f"{spec.name} parameters")
    for prm in spec.params:
        if prm.name.startswith("return_"):  # only changes what Python gets back; the file is the same
            continue
        text = (prm.help or prm.name).replace("``", "")
        text += " (required)" if prm.required else f" (default: {prm.default!r})"
        kwargs: dict[str, Any] = {"dest": f"param_{prm.name}", "default": None, "help": text.replace("%", "%%")}
        for i, flag in enumerate(prm.flags):  # --x-y listed; the --x_y spelling accepted, not listed twice
            if i:
                kwargs = {**kwargs, "help": argparse.SUPPRESS}
            if prm.convert is None:
                group.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
            else:
                group.add_argument(flag, type=prm.convert, metavar=prm.metavar, nargs=prm.nargs,
                                   choices=prm.choices, **kwargs)
    # a deterministic model takes no seed: --seed is parsed (to give a clear error in run), not listed
    seed_help = "random seed (non-negative integer); the same seed gives the same graph"
    p.add_argument("--seed", type=_seed, metavar="S", default=None,
                   help=seed_help if spec.takes_seed else argparse.SUPPRESS)
    p.add_argument("--out", metavar="FILE", default=None,
                   help="output file (.edgelist/.txt/.edges/.el, .gml, .npz); '-' writes to stdout; "
                        "without --out nothing is written")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out file (written atomically)")
    p.add_argument("--format", choices=("edgelist", "gml", "npz"), default=None,
                   help="file format (default: from the suffix of --out; edgelist for '-')")
    p.set_defaults(_model=spec)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one sub-command per generator to the ``generate`` parser."""
    specs = model_specs()
    parser.error = lambda message: _generate_error(parser, list(specs), message)  # type: ignore[method-assign]
    sub = parser.add_subparsers(dest="model", metavar="MODEL", required=True, parser_class=_ModelParser,
                                title="models (smallworld generate MODEL --help for its parameters)")
    for spec in specs.values():
        _add_model(sub, spec)


def _summary(name: str, A: Any) -> str:
    import numpy as np

    rows, cols = A.shape
    if rows != cols:
        return f"{name}: {rows}x{cols} layer mask, {A.nnz} connections, density {A.nnz / max(rows * cols, 1):.4g}"
    from smallworld import is_directed

    n = rows
    if is_directed(A):
        return f"{name}: n={n} arcs={A.nnz} mean out-degree {A.nnz / max(n, 1):.2f} (directed)"
    loops = int(np.count_nonzero(A.diagonal()))
    m = (A.nnz - loops) // 2 + loops
    return f"{name}: n={n} m={m} mean degree {2 * m / max(n, 1):.2f}"


def run(args: argparse.Namespace) -> int:
    """Generate, summarise and write."""
    from pathlib import Path

    import scipy.sparse as sp

    from smallworld import as_graph
    from smallworld.cli import CLIError
    from smallworld.io import infer_format, write, write_text

    spec: ModelSpec = args._model
    out = args.out
    fmt = None
    if out == "-":
        fmt = args.format or "edgelist"
        if fmt == "npz":
            raise CLIError("--out - writes text; .npz is binary, so give a file name")
    elif out is not None:
        try:
            fmt = infer_format(out, args.format)
        except ValueError:
            raise CLIError(f"cannot tell the format of {out!r} from its suffix; use .edgelist, .gml or .npz, "
                           "or pass --format") from None
        parent = Path(out).parent
        if not parent.is_dir():
            raise CLIError(f"cannot write {out!r}: directory {str(parent)!r} does not exist")
        from smallworld.cli import refuse_existing

        refuse_existing(out, "--out", args.force)  # the CLI's one overwrite policy, checked before generating
    if not spec.takes_seed and args.seed is not None:
        # refused, not ignored: a seed that changes nothing would suggest a reproducible random draw
        raise CLIError(f"{spec.name} is deterministic and takes no seed; drop --seed {args.seed}")
    kwargs = {p.name: getattr(args, f"param_{p.name}", None) for p in spec.params}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if spec.takes_seed and args.seed is not None:
        kwargs["seed"] = args.seed
    try:
        result = spec.func(**kwargs)
    except NotImplementedError:
        raise CLIError(f"model {spec.name!r} is not implemented in this build") from None
    if isinstance(result, tuple) and result and sp.issparse(result[0]):
        result = result[0]  # generators that also return coordinates or module labels
    A = result if sp.issparse(result) and result.shape[0] != result.shape[1] else as_graph(result)
    line = _summary(spec.name, A)
    if spec.takes_seed:
        line += f", seed={args.seed}" if args.seed is not None else ", seed=None (not reproducible)"
    if out is None:
        print(f"{line}; no file written (use --out FILE, or --out - for stdout)")
        return 0
    if out == "-":
        write_text(A, sys.stdout, fmt)
        sys.stdout.flush()
        print(f"{line} -> stdout ({fmt})", file=sys.stderr)
        return 0
    write(A, out, format=fmt)
    print(f"{line} -> {out} ({fmt})")
    return 0
