"""Scene: what a drawing shows, independent of the renderer (graphviz or matplotlib).

An architecture becomes styled nodes and edges grouped in clusters (one per stage for multi-stage
spaces such as RandWire), plus a legend. Node ids are drawn left to right in topological order.
A stage without an input-role node gets an input port feeding its source nodes, and a stage
without an output-role node an output port fed by its sinks (RandWire's stage input and output);
stages are stacked top to bottom in order. `diff_scene` puts two architectures side by side with
their differences highlighted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from graphnas.export.palette import (
    DIFF_ADDED,
    DIFF_CHANGED,
    DIFF_REMOVED,
    DIFF_SAME,
    OUTLINE,
    PORT_FILL,
    ROLE_FILL,
    OpPalette,
    short_op,
)
from graphnas.graph import ArchGraph, Edge, dot_format

NodeKind = Literal["op", "role", "port"]
LegendKind = Literal["node", "edge", "role", "port", "diff"]
# Above this many nodes in one stage, node text is the id only and ops are read from the legend.
COMPACT_STAGE_NODES = 16
# Above this many edges, edge ops are shown by colour only (no text).
EDGE_LABEL_LIMIT = 16


@dataclass
class SceneNode:
    key: str
    label: str
    fill: str
    kind: NodeKind
    cluster: str | None
    border: str = OUTLINE
    border_width: float = 1.0
    tooltip: str = ""
    data: dict[str, str] = field(default_factory=dict)  # op/role/stage, kept in DOT output


@dataclass
class SceneEdge:
    src: str
    dst: str
    color: str
    label: str = ""
    dashed: bool = False
    width: float = 1.0
    data: dict[str, str] = field(default_factory=dict)  # the edge op, kept in DOT output


@dataclass
class SceneCluster:
    key: str
    label: str


@dataclass
class LegendEntry:
    label: str
    color: str
    kind: LegendKind


@dataclass
class Scene:
    title: str
    nodes: list[SceneNode] = field(default_factory=list)
    edges: list[SceneEdge] = field(default_factory=list)
    clusters: list[SceneCluster] = field(default_factory=list)
    legend: list[LegendEntry] = field(default_factory=list)
    # Cluster keys per drawn column, top to bottom: stages stack in one column, a diff has two.
    columns: list[list[str]] = field(default_factory=list)
    compact: bool = False
    # Graph-level data kept in DOT output (space, meta), so the DOT file reads back losslessly.
    data: dict[str, str] = field(default_factory=dict)

    def nodes_in(self, key: str | None) -> list[SceneNode]:
        return [n for n in self.nodes if n.cluster == key]

    def cluster_label(self, key: str) -> str:
        return next(c.label for c in self.clusters if c.key == key)


NodeStyler = Callable[[int, SceneNode], None]
EdgeStyler = Callable[[Edge, SceneEdge], None]


def arch_scene(
    arch: ArchGraph,
    palette: OpPalette | None = None,
    title: str | None = None,
    edge_labels: bool | None = None,
) -> Scene:
    """The drawing of one architecture: op-coloured nodes, roles, stage clusters and a legend.

    `edge_labels` None shows edge-op text when the graph is small enough to read it.
    """
    palette = palette or OpPalette.for_archs([arch])
    scene = Scene(title if title is not None else _default_title(arch))
    scene.compact = _is_compact(arch)
    labels = _show_edge_labels(arch, scene, edge_labels)
    column = _add_arch(scene, arch, "n", None, palette, labels)
    scene.columns = [column] if column else []
    # Node keys n<id> and the data attributes of graphnas.graph.dot_format: what from_dot reads.
    scene.data = dot_format.graph_data(arch)
    for drawn in scene.nodes:
        if drawn.kind == "port":
            drawn.data = {dot_format.AUX: "port"}
        else:
            drawn.data = dot_format.node_data(arch.nodes[int(drawn.key[1:])])
    real_edges = (e for e in scene.edges if e.src[1:].isdigit() and e.dst[1:].isdigit())
    for drawn, e in zip(real_edges, arch.edges, strict=True):
        drawn.data = dot_format.edge_data(e)
    scene.legend = _legend(scene, [arch], palette)
    return scene


def diff_scene(
    a: ArchGraph,
    b: ArchGraph,
    names: tuple[str, str] = ("A", "B"),
    palette: OpPalette | None = None,
    title: str | None = None,
) -> Scene:
    """Two architectures side by side; nodes are matched by id (ids are a topological order).

    Edges only in A are red and dashed, edges only in B are green and thick, edges whose op
    changed and nodes whose op or role changed are orange; shared edges are light grey.
    """
    palette = palette or OpPalette.for_archs([a, b])
    scene = Scene(title if title is not None else f"{names[0]} vs {names[1]}")
    scene.compact = _is_compact(a) or _is_compact(b)
    sides = ((a, b, DIFF_REMOVED, True), (b, a, DIFF_ADDED, False))
    for side, (arch, other, only_color, only_dashed) in enumerate(sides):
        other_edges = {(e.src, e.dst): e.op for e in other.edges}

        def style_node(i: int, node: SceneNode, arch=arch, other=other, only_color=only_color):
            if i >= other.num_nodes:
                node.border, node.border_width = only_color, 3.0
            elif arch.nodes[i] != other.nodes[i]:
                node.border, node.border_width = DIFF_CHANGED, 3.0

        def style_edge(
            e: Edge,
            drawn: SceneEdge,
            other_edges=other_edges,
            only_color=only_color,
            only_dashed=only_dashed,
        ):
            key = (e.src, e.dst)
            if key not in other_edges:
                drawn.color, drawn.width, drawn.dashed = only_color, 2.2, only_dashed
            elif other_edges[key] != e.op:
                drawn.color, drawn.width = DIFF_CHANGED, 2.2
            else:
                drawn.color = DIFF_SAME

        labels = _show_edge_labels(arch, scene, None)
        column = _add_arch(
            scene, arch, f"p{side}n", names[side], palette, labels, style_node, style_edge
        )
        scene.columns.append(column)
    scene.legend = [
        *_legend(scene, [a, b], palette),
        LegendEntry(f"only in {names[0]}", DIFF_REMOVED, "diff"),
        LegendEntry(f"only in {names[1]}", DIFF_ADDED, "diff"),
        LegendEntry("op or role changed", DIFF_CHANGED, "diff"),
        LegendEntry("same in both", DIFF_SAME, "diff"),
    ]
    return scene


# ----------------------------------------------------------------------------- building
def _add_arch(
    scene: Scene,
    arch: ArchGraph,
    prefix: str,
    panel: str | None,
    palette: OpPalette,
    edge_labels: bool,
    style_node: NodeStyler | None = None,
    style_edge: EdgeStyler | None = None,
) -> list[str]:
    """Add one architecture's nodes, edges and ports; return its cluster keys in stage order
    (one cluster per stage when there are several stages or a panel name, else none)."""
    stages = sorted({node.stage for node in arch.nodes})
    clustered = len(stages) > 1 or panel is not None
    cluster_of: dict[int, str | None] = {}
    for s in stages:
        if not clustered:
            cluster_of[s] = None
            continue
        size = sum(node.stage == s for node in arch.nodes)
        parts = [panel] if panel else []
        parts += [f"stage {s} ({size} nodes)"] if len(stages) > 1 else []
        cluster_of[s] = f"{prefix}s{s}"
        scene.clusters.append(SceneCluster(f"{prefix}s{s}", " · ".join(parts)))
    succs, preds = arch.successors(), arch.predecessors()
    for i, node in enumerate(arch.nodes):
        drawn = _scene_node(scene, f"{prefix}{i}", i, node.op, node.role, palette)
        drawn.cluster = cluster_of[node.stage]
        if style_node:
            style_node(i, drawn)
        scene.nodes.append(drawn)
    for e in arch.edges:
        drawn = SceneEdge(
            f"{prefix}{e.src}",
            f"{prefix}{e.dst}",
            palette.edge_color(e.op),
            short_op(e.op) if (e.op is not None and edge_labels) else "",
            width=1.6 if e.op is not None else 1.0,
        )
        if style_edge:
            style_edge(e, drawn)
        scene.edges.append(drawn)
    for s in stages:
        members = [i for i, node in enumerate(arch.nodes) if node.stage == s]
        _stage_ports(scene, arch, members, s, prefix, cluster_of[s], succs, preds)
    return [key for key in cluster_of.values() if key is not None]


def _stage_ports(
    scene: Scene,
    arch: ArchGraph,
    members: list[int],
    stage: int,
    prefix: str,
    cluster: str | None,
    succs: list[list[int]],
    preds: list[list[int]],
) -> None:
    """Add an input port feeding the stage's sources when it has no input-role node, and an
    output port fed by its sinks when it has no output-role node."""
    ports = (("input", "in", "stage input", preds), ("output", "out", "stage output", succs))
    for role, name, tooltip, neighbours in ports:
        if any(arch.nodes[i].role == role for i in members):
            continue
        port = f"{prefix}{name}{stage}"
        scene.nodes.append(SceneNode(port, name, PORT_FILL, "port", cluster, tooltip=tooltip))
        for i in members:
            if not neighbours[i]:
                ends = (port, f"{prefix}{i}") if role == "input" else (f"{prefix}{i}", port)
                scene.edges.append(SceneEdge(*ends, PORT_FILL, dashed=True))


def _scene_node(
    scene: Scene, key: str, i: int, op: str | None, role: str, palette: OpPalette
) -> SceneNode:
    if role in ("input", "output"):
        word = "in" if role == "input" else "out"
        label = word if op is None or scene.compact else f"{word} {i}\n{short_op(op)}"
        fill = ROLE_FILL if op is None else palette.node_color(op)
        return SceneNode(key, label, fill, "role", None, border_width=2.5, tooltip=f"{role} {i}")
    label = str(i) if op is None or scene.compact else f"{i}\n{short_op(op)}"
    tooltip = f"node {i}" + (f": {op}" if op else "")
    return SceneNode(key, label, palette.node_color(op), "op", None, tooltip=tooltip)


def _legend(scene: Scene, archs: list[ArchGraph], palette: OpPalette) -> list[LegendEntry]:
    node_ops = sorted({op for a in archs for op in a.ops if op is not None})
    edge_ops = sorted({e.op for a in archs for e in a.edges if e.op is not None})
    entries = [LegendEntry(op, palette.node_color(op), "node") for op in node_ops]
    entries += [LegendEntry(op, palette.edge_color(op), "edge") for op in edge_ops]
    if any(n.kind == "role" for n in scene.nodes):
        entries.append(LegendEntry("input / output node", ROLE_FILL, "role"))
    if any(n.kind == "port" for n in scene.nodes):
        entries.append(LegendEntry("stage input / output", PORT_FILL, "port"))
    return entries


def _is_compact(arch: ArchGraph) -> bool:
    counts: dict[int, int] = {}
    for node in arch.nodes:
        counts[node.stage] = counts.get(node.stage, 0) + 1
    return max(counts.values(), default=0) > COMPACT_STAGE_NODES


def _show_edge_labels(arch: ArchGraph, scene: Scene, requested: bool | None) -> bool:
    if requested is not None:
        return requested
    return not scene.compact and arch.num_edges <= EDGE_LABEL_LIMIT


def _default_title(arch: ArchGraph) -> str:
    space = f"{arch.space}: " if arch.space else ""
    return f"{space}{arch.num_nodes} nodes, {arch.num_edges} edges"
