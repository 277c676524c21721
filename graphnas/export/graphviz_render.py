"""Graphviz rendering of a Scene: styled DOT (left to right, stage clusters, HTML legend) and its
SVG/PNG/PDF output through the `dot` binary (via the graphviz Python package)."""

from __future__ import annotations

import html
import shutil

from graphnas.export.palette import OUTLINE, text_color
from graphnas.export.scene import LegendEntry, Scene, SceneEdge, SceneNode
from graphnas.graph.dot_format import AUX, dot_id, dot_quote

LEGEND_COLUMNS = 4
PNG_DPI = 144


def dot_available() -> bool:
    """True when the graphviz `dot` binary is on PATH."""
    return shutil.which("dot") is not None


def scene_to_dot(scene: Scene, dpi: int | None = None) -> str:
    """Styled DOT text of a scene: the one DOT writer. An architecture's scene carries the data
    attributes of `graphnas.graph.dot_format`, so `ArchGraph.from_dot` reads this text back.

    Clusters are placed by graphviz's component packing in user order ("array_ut<rows>"), which
    with rankdir=LR fills each column bottom to top: so each column is emitted bottom first.
    """
    compact = scene.compact
    graph_attrs = [
        "rankdir=LR",
        "bgcolor=white",
        "fontname=Helvetica",
        "fontsize=11",
        "labelloc=t",
        f"nodesep={0.10 if compact else 0.25}",
        f"ranksep={0.28 if compact else 0.45}",
        "pad=0.2",
    ]
    if dpi:
        graph_attrs.append(f"dpi={dpi}")
    rows = max((len(column) for column in scene.columns), default=0)
    if rows:
        graph_attrs += ["pack=true", f'packmode="array_ut{rows}"']
    lines = [
        "digraph arch {",
        f"  graph [{', '.join(graph_attrs)}];",
        "  node [fontname=Helvetica, style=filled, penwidth=1];",
        "  edge [fontname=Helvetica, fontsize=8, arrowsize=0.6];",
        f"  label=<{_title_and_legend(scene.title, scene.legend)}>;",
    ]
    if scene.data:
        lines.append(f"  graph [{_attrs(scene.data)}];")
    lines += [f"  {_node_line(node, compact)}" for node in scene.nodes_in(None)]
    for c, column in enumerate(scene.columns):
        # An invisible placeholder per missing row keeps every column aligned at the top.
        lines += [
            f'  "pad{c}_{r}" [style=invis, label="", width=0.01, height=0.01, {AUX}=pad];'
            for r in range(rows - len(column))
        ]
        for key in reversed(column):
            lines.append(f"  subgraph {dot_quote('cluster_' + key)} {{")
            lines.append(
                f"    label={dot_quote(scene.cluster_label(key))}; labeljust=l; fontsize=11; "
                'style="rounded"; color="#777777";'
            )
            lines += [f"    {_node_line(node, compact)}" for node in scene.nodes_in(key)]
            lines.append("  }")
    lines += [f"  {_edge_line(edge)}" for edge in scene.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_with_graphviz(scene: Scene, fmt: str) -> bytes:
    """Render to svg, png or pdf bytes with graphviz's `dot` layout."""
    import graphviz

    dot = scene_to_dot(scene, dpi=PNG_DPI if fmt == "png" else None)
    return graphviz.Source(dot).pipe(format=fmt, engine="dot", quiet=True)


# ----------------------------------------------------------------------------- DOT pieces
def _node_line(node: SceneNode, compact: bool) -> str:
    attrs = {
        "label": node.label,
        "fillcolor": node.fill,
        "fontcolor": text_color(node.fill),
        "color": node.border,
        "penwidth": f"{node.border_width:g}",
        "tooltip": node.tooltip or node.label,
        **node.data,
    }
    if node.kind == "port":
        attrs.update(shape="diamond", fontsize="7", width="0.3", height="0.3", fixedsize="true")
    elif node.kind == "role":
        attrs.update(shape="box", style="rounded,filled", fontsize="9" if compact else "10")
        attrs.setdefault("margin", "0.05,0.03")
    elif compact:
        attrs.update(shape="circle", fontsize="8", width="0.3", height="0.3", fixedsize="true")
    else:
        attrs.update(shape="ellipse", fontsize="9", margin="0.04,0.02")
    return f"{dot_id(node.key)} [{_attrs(attrs)}];"


def _edge_line(edge: SceneEdge) -> str:
    attrs = {"color": edge.color, "penwidth": f"{edge.width:g}", **edge.data}
    if edge.label:
        attrs.update(label=edge.label, fontcolor=_darker(edge.color))
    if edge.dashed:
        attrs["style"] = "dashed"
    return f"{dot_id(edge.src)} -> {dot_id(edge.dst)} [{_attrs(attrs)}];"


def _title_and_legend(title: str, legend: list[LegendEntry]) -> str:
    """An HTML-like graphviz label: the title, then legend swatches in rows."""
    cells = [_legend_cells(entry) for entry in legend]
    rows = [
        "<TR>" + "".join(cells[i : i + LEGEND_COLUMNS]) + "</TR>"
        for i in range(0, len(cells), LEGEND_COLUMNS)
    ]
    span = 2 * min(LEGEND_COLUMNS, max(1, len(cells)))
    title_row = f'<TR><TD COLSPAN="{span}" ALIGN="LEFT"><B>{_html(title)}</B></TD></TR>'
    return (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">'
        + title_row
        + "".join(rows)
        + "</TABLE>"
    )


def _legend_cells(entry: LegendEntry) -> str:
    if entry.kind in ("edge", "diff"):
        swatch = f'<TD BGCOLOR="{entry.color}" WIDTH="18" HEIGHT="3" FIXEDSIZE="TRUE"></TD>'
    elif entry.kind == "role":
        swatch = (
            f'<TD BGCOLOR="{entry.color}" BORDER="1" COLOR="{OUTLINE}" WIDTH="14" HEIGHT="10"'
            ' FIXEDSIZE="TRUE" STYLE="ROUNDED"></TD>'
        )
    else:
        swatch = (
            f'<TD BGCOLOR="{entry.color}" BORDER="1" COLOR="{OUTLINE}" WIDTH="12" HEIGHT="12"'
            ' FIXEDSIZE="TRUE"></TD>'
        )
    prefix = "edge: " if entry.kind == "edge" else ""
    text = _html(prefix + entry.label)
    return f'{swatch}<TD ALIGN="LEFT"><FONT POINT-SIZE="9">{text}</FONT></TD>'


def _attrs(attrs: dict[str, str]) -> str:
    return ", ".join(f"{k}={dot_quote(v)}" for k, v in attrs.items())


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _darker(color: str) -> str:
    """The same hue at 70% brightness, so edge-label text stays readable on white."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02X}{:02X}{:02X}".format(*(int(v * 0.7) for v in (r, g, b)))
