"""User-facing errors: one line naming the input and the problem (CLI exit status 2)."""

from __future__ import annotations

import re
from typing import Any

# Characters that would break a message across lines (str.splitlines splits on all of them) or
# garble a terminal; they reach messages inside file names, keys and values taken from input.
_LINE_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


class GraphnasError(Exception):
    """A problem with user input that the CLI reports as one line and exit status 2.

    A message quoting input stays on one line: control and line-separator characters in it are
    written as escapes (a newline in a file name shows as \\n).
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (_LINE_BREAKING.sub(lambda m: repr(m.group())[1:-1], args[0]),)
        super().__init__(*args)


class ConfigError(GraphnasError):
    """A configuration file or override is malformed or names something unknown."""


class UnknownNameError(GraphnasError, KeyError):
    """A name given for a registered component (space, strategy, evaluator, ...) is not known."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InputFileError(GraphnasError):
    """A file given by the user is missing, unreadable or malformed."""
