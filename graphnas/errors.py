"""User-facing errors: one line naming the input and the problem (CLI exit status 2)."""

from __future__ import annotations


class GraphnasError(Exception):
    """A problem with user input that the CLI reports as one line and exit status 2."""


class ConfigError(GraphnasError):
    """A configuration file or override is malformed or names something unknown."""


class UnknownNameError(GraphnasError, KeyError):
    """A name given for a registered component (space, strategy, evaluator, ...) is not known."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InputFileError(GraphnasError):
    """A file given by the user is missing, unreadable or malformed."""
