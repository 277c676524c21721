"""The typer application, the global options and the console entry point.

Every user-facing problem (a GraphnasError, a usage error, an OSError) ends with one line on stderr
naming the input and the problem, and exit status 2; no traceback. Commands live one per module in
this package and register themselves on `app`.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from graphnas import __version__
from graphnas.errors import GraphnasError

app = typer.Typer(
    name="graphnas",
    help="Graph-generative neural architecture search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

USER_ERROR_STATUS = 2


def echo(line: str = "") -> None:
    typer.echo(line)


def _version_callback(value: bool) -> None:
    if value:
        echo(f"graphnas {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
    imports: Annotated[
        list[str] | None,
        typer.Option(
            "--import",
            metavar="MODULE",
            help="Import a plug-in module first (repeatable; module or module:function).",
        ),
    ] = None,
) -> None:
    """Graph-generative neural architecture search."""
    from graphnas.plugins import load_plugins

    load_plugins(imports or [])  # before any command resolves a component


def user_error_line(exc: BaseException) -> str | None:
    """The one-line message for a user-facing problem, or None for a bug (which keeps its trace)."""
    if isinstance(exc, GraphnasError):
        text = str(exc).strip()
        return text.splitlines()[0] if text else type(exc).__name__
    format_message = getattr(exc, "format_message", None)
    if callable(format_message):  # click/typer usage errors (typer may vendor its own click)
        return " ".join(str(format_message()).split())
    if isinstance(exc, OSError):  # a full disk, a read-only or vanished folder, a bad path, ...
        return os_error_line(exc)
    return None


def os_error_line(exc: OSError) -> str:
    """`PATH: problem (ENAME)` for an OSError, one line; the path is omitted where unknown."""
    problem = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in errno.errorcode:
        problem = f"{problem} ({errno.errorcode[exc.errno]})"
    paths = [str(p) for p in (exc.filename, exc.filename2) if p not in (None, "")]
    line = f"{' -> '.join(paths)}: {problem}" if paths else problem
    return " ".join(line.split())


@contextlib.contextmanager
def naming_path(path: str | Path) -> Iterator[None]:
    """Give an OSError raised inside (a write that ran out of space, ...) the path it concerns."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None:
            exc.filename = str(path)
        raise


def main(argv: list[str] | None = None) -> int:
    """Console entry point: run the command; user errors end as one stderr line and status 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        args = ["--help"]
    try:
        status = app(args=args, prog_name="graphnas", standalone_mode=False)
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", 0) or 0)
    except (typer.Abort, KeyboardInterrupt):
        print("graphnas: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        line = user_error_line(exc)
        if line is None:
            raise
        print(f"graphnas: error: {line}", file=sys.stderr)
        return USER_ERROR_STATUS
    return status if isinstance(status, int) else 0  # click returns typer.Exit's code here
