"""The `graphnas` command line: one module per command, each a thin layer over library code.

`graphnas.cli:main` is the console entry point. To add a command, write a module here with a
function decorated `@app.command()` (from `graphnas.cli.app`) and import it below.
"""

from graphnas.cli import (
    compare,
    data,
    evaluate,
    export,
    info,
    latency,
    listing,
    runs,
    sample,
    search,
    train,
)
from graphnas.cli.app import USER_ERROR_STATUS, app, echo, main, user_error_line

__all__ = [
    "USER_ERROR_STATUS",
    "app",
    "compare",
    "data",
    "echo",
    "evaluate",
    "export",
    "info",
    "latency",
    "listing",
    "main",
    "runs",
    "sample",
    "search",
    "train",
    "user_error_line",
]
