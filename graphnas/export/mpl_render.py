"""Matplotlib rendering of a Scene: the fallback when the graphviz `dot` binary is absent.

Same content as the graphviz drawing (op colours, role boxes, stage frames, edge-op labels and a
legend) on the layered layout of `graphnas.export.layout`. Uses the object-oriented matplotlib
API (no pyplot state), so it is safe in threads and headless processes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from graphnas.export.layout import Geometry, Layout, layout_scene
from graphnas.export.palette import OUTLINE, text_color
from graphnas.export.scene import LegendEntry, Scene

PNG_DPI = 144
MARGIN = 0.3  # inches around the drawing
TITLE_HEIGHT = 0.35  # inches
LEGEND_ROW = 0.24  # inches per legend row
LEGEND_COLUMN = 2.2  # inches per legend column
MIN_WIDTH = 4.5  # inches
MAX_INCHES = 120.0  # Agg refuses images over 2^16 pixels a side


def render_with_matplotlib(scene: Scene, fmt: str) -> bytes:
    """Render to svg, png or pdf bytes."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    layout = layout_scene(scene)
    geometry = Geometry.for_scene(scene)
    width = min(MAX_INCHES, max(MIN_WIDTH, layout.width + 2 * MARGIN))
    legend_columns = max(1, min(len(scene.legend), int(width // LEGEND_COLUMN)))
    legend_rows = -(-len(scene.legend) // legend_columns)
    header = TITLE_HEIGHT + legend_rows * LEGEND_ROW
    height = min(MAX_INCHES, layout.height + 2 * MARGIN + header)
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    # One data unit is one inch on both axes, so shapes keep their proportions.
    ax.set_xlim(-MARGIN, width - MARGIN)
    ax.set_ylim(-MARGIN, height - MARGIN)
    _draw_frames(ax, scene, layout)
    extents = _draw_nodes(ax, scene, layout, geometry)
    _draw_edges(ax, scene, layout, extents)
    _draw_header(fig, scene, height, legend_columns)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
    # SVG text stays text (selectable, editable, smaller) rather than glyph outlines.
    with rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format=fmt, dpi=PNG_DPI, facecolor="white", metadata=metadata)
    return buffer.getvalue()


def _draw_frames(ax, scene: Scene, layout: Layout) -> None:
    from matplotlib.patches import FancyBboxPatch

    for key, (x0, y0, x1, y1) in layout.frames.items():
        ax.add_artist(
            FancyBboxPatch(
                (x0 - 0.15, y0 - 0.15),
                x1 - x0,
                y1 - y0,
                boxstyle="round,pad=0,rounding_size=0.12",
                facecolor="none",
                edgecolor="#777777",
                linewidth=1.0,
            )
        )
        ax.text(x0 - 0.02, y1 - 0.2, scene.cluster_label(key), fontsize=10, va="top")


def _draw_nodes(ax, scene: Scene, layout: Layout, geometry: Geometry) -> dict[str, NodeExtent]:
    """Draw every node; return each node's shape and half-sizes (inches) for edge clipping."""
    from matplotlib.patches import Ellipse, FancyBboxPatch, Polygon

    extents: dict[str, NodeExtent] = {}
    node_w, node_h = geometry.node_w, geometry.node_h
    for node in scene.nodes:
        x, y = layout.positions[node.key]
        style = {
            "facecolor": node.fill,
            "edgecolor": node.border,
            "linewidth": node.border_width,
            "zorder": 3,
        }
        if node.kind == "port":
            r = 0.16
            patch = Polygon([(x - r, y), (x, y + r), (x + r, y), (x, y - r)], **style)
            extents[node.key] = NodeExtent("diamond", r, r)
            fontsize = 6
        elif node.kind == "role":
            w, h = (0.42, 0.3) if scene.compact else (node_w, node_h)
            patch = FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.08", **style
            )
            extents[node.key] = NodeExtent("box", w / 2, h / 2)
            fontsize = 7 if scene.compact else 8
        else:
            patch = Ellipse((x, y), node_w, node_h, **style)
            extents[node.key] = NodeExtent("ellipse", node_w / 2, node_h / 2)
            fontsize = 6.5 if scene.compact else 8
        ax.add_artist(patch)
        ax.text(
            x,
            y,
            node.label,
            ha="center",
            va="center",
            fontsize=fontsize,
            color=text_color(node.fill),
            zorder=4,
        )
    return extents


def _draw_edges(ax, scene: Scene, layout: Layout, extents: dict[str, NodeExtent]) -> None:
    from matplotlib.patches import FancyArrowPatch

    for edge, bend in zip(scene.edges, layout.bends, strict=True):
        p0, p1 = layout.positions[edge.src], layout.positions[edge.dst]
        # The curve's control point lies 2 * bend left of the chord's midpoint; the ends are
        # trimmed at the node outlines along the tangents, which point at the control point.
        length = max(math.dist(p0, p1), 1e-6)
        nx, ny = -(p1[1] - p0[1]) / length, (p1[0] - p0[0]) / length
        cx, cy = (p0[0] + p1[0]) / 2 + 2 * bend * nx, (p0[1] + p1[1]) / 2 + 2 * bend * ny
        start = _step_towards(p0, (cx, cy), extents[edge.src].reach(cx - p0[0], cy - p0[1]))
        end = _step_towards(p1, (cx, cy), extents[edge.dst].reach(cx - p1[0], cy - p1[1]) + 0.01)
        # matplotlib's arc3 puts the control point rad * |chord| right of the chord's midpoint.
        rad = -2 * bend / max(math.dist(start, end), 1e-6)
        ax.add_artist(
            FancyArrowPatch(
                start,
                end,
                shrinkA=0.0,
                shrinkB=0.0,
                arrowstyle="-|>",
                mutation_scale=7 + 2 * edge.width,
                connectionstyle=f"arc3,rad={rad:.4f}",
                color=edge.color,
                linewidth=edge.width,
                linestyle=(0, (4, 3)) if edge.dashed else "-",
                zorder=2,
            )
        )
        if edge.label:
            ax.text(
                (p0[0] + p1[0]) / 2 + bend * nx,
                (p0[1] + p1[1]) / 2 + bend * ny,
                edge.label,
                ha="center",
                va="center",
                fontsize=7,
                color=edge.color,
                zorder=5,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            )


@dataclass(frozen=True)
class NodeExtent:
    """A node's outline: shape and half width/height in inches."""

    shape: str  # "ellipse", "box" or "diamond"
    half_w: float
    half_h: float

    def reach(self, dx: float, dy: float) -> float:
        """Distance from the centre to the outline in direction (dx, dy), in inches."""
        norm = math.hypot(dx, dy)
        if norm == 0:
            return 0.0
        c, s = abs(dx) / norm, abs(dy) / norm
        if self.shape == "ellipse":
            return self.half_w * self.half_h / math.hypot(self.half_h * c, self.half_w * s)
        if self.shape == "diamond":
            return self.half_w / (c + s)
        return min(self.half_w / c if c else math.inf, self.half_h / s if s else math.inf)


def _step_towards(
    point: tuple[float, float], target: tuple[float, float], distance: float
) -> tuple[float, float]:
    """`point` moved `distance` inches towards `target`."""
    gap = math.dist(point, target)
    if gap == 0:
        return point
    f = distance / gap
    return (point[0] + f * (target[0] - point[0]), point[1] + f * (target[1] - point[1]))


def _draw_header(fig, scene: Scene, height: float, legend_columns: int) -> None:
    """Title and legend across the top of the figure."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    top = 1.0 - 0.12 / height
    fig.text(0.01, top, scene.title, fontsize=11, fontweight="bold", va="top")
    if not scene.legend:
        return
    handles = [_legend_handle(entry, Line2D, Patch) for entry in scene.legend]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, top - TITLE_HEIGHT / height + 0.1 / height),
        ncol=legend_columns,
        fontsize=8,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
        borderaxespad=0.2,
    )


def _legend_handle(entry: LegendEntry, line_cls, patch_cls):
    label = f"edge: {entry.label}" if entry.kind == "edge" else entry.label
    if entry.kind in ("edge", "diff"):
        return line_cls([], [], color=entry.color, linewidth=2.5, label=label)
    return patch_cls(facecolor=entry.color, edgecolor=OUTLINE, label=label)
