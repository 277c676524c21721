"""The parts an architecture is made of: nodes, edges, roles, hard size limits and the error a
malformed architecture raises."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphnas.errors import GraphnasError

SCHEMA = "graphnas.arch/1"
ROLES = ("input", "hidden", "output")
# Hard caps that protect every loader from hostile input; spaces set much smaller limits.
MAX_NODES = 10_000
MAX_EDGES = 1_000_000


class InvalidArchError(GraphnasError, ValueError):
    """An architecture breaks structural or space rules; `problems` lists every one found."""

    def __init__(self, problems: Sequence[str], source: str = "architecture") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(f"{source}: invalid: " + "; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Node:
    """One node: its op label (None when ops live on edges), role and stage index."""

    op: str | None
    role: str = "hidden"
    stage: int = 0


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed edge src -> dst (src < dst in a valid graph) with an optional op label."""

    src: int
    dst: int
    op: str | None = None


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty)."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def none_if_empty(value: object) -> str | None:
    """An op label read from a text format: "" and None mean no op."""
    return None if value is None or value == "" else str(value)
