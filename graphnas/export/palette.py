"""Op colours shared by every drawing: one stable colour per op name across a set of architectures.

Colours come from a colour-blind-friendly qualitative palette (Okabe-Ito, then Tableau 20), in the
sorted order of the op names present, so a gallery or a diff colours the same op the same way in
every picture.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from graphnas.graph import ArchGraph

# Okabe & Ito (2008) qualitative palette without black, then Tableau 20 for larger vocabularies.
QUALITATIVE = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#1F77B4",
    "#FF7F0E",
    "#2CA02C",
    "#D62728",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#7F7F7F",
    "#BCBD22",
    "#17BECF",
    "#AEC7E8",
    "#FFBB78",
    "#98DF8A",
    "#FF9896",
    "#C5B0D5",
    "#C49C94",
    "#F7B6D2",
    "#DBDB8D",
    "#9EDAE5",
)
ROLE_FILL = "#222222"  # input and output nodes: dark boxes with white text
PLAIN_FILL = "#FFFFFF"  # hidden nodes without an op (edge-labelled spaces)
PLAIN_EDGE = "#555555"  # edges without an op
PORT_FILL = "#BBBBBB"  # stage input/output ports of stages that have no input/output role
OUTLINE = "#333333"
DIFF_ADDED = "#1B9E3E"
DIFF_REMOVED = "#D62728"
DIFF_CHANGED = "#E08E0B"
DIFF_SAME = "#BBBBBB"


@dataclass(frozen=True)
class OpPalette:
    """Node-op and edge-op colours (kept apart: one name can be both a node op and an edge op)."""

    node_colors: dict[str, str]
    edge_colors: dict[str, str]

    @classmethod
    def for_archs(cls, archs: Iterable[ArchGraph]) -> OpPalette:
        """A palette covering every node op and edge op used by `archs`."""
        node_ops: set[str] = set()
        edge_ops: set[str] = set()
        for arch in archs:
            node_ops.update(op for op in arch.ops if op is not None)
            edge_ops.update(e.op for e in arch.edges if e.op is not None)
        # Edge ops continue the palette after the node ops so the two never share a colour.
        return cls(_assign(sorted(node_ops)), _assign(sorted(edge_ops), start=len(node_ops)))

    def node_color(self, op: str | None) -> str:
        if op is None:
            return PLAIN_FILL
        return self.node_colors.get(op) or _fallback(op)

    def edge_color(self, op: str | None) -> str:
        if op is None:
            return PLAIN_EDGE
        return self.edge_colors.get(op) or _fallback(op)


def _assign(ops: list[str], start: int = 0) -> dict[str, str]:
    return {op: QUALITATIVE[(start + i) % len(QUALITATIVE)] for i, op in enumerate(ops)}


def _fallback(op: str) -> str:
    """A stable colour for an op the palette was not built with."""
    return QUALITATIVE[sum(op.encode()) % len(QUALITATIVE)]


def text_color(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (#RRGGBB), by relative luminance."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "#FFFFFF"


def short_op(op: str, limit: int = 14) -> str:
    """A compact op label for node and edge text (full names stay in the legend)."""
    return op if len(op) <= limit else op[: limit - 1] + "…"
