"""Layered left-to-right layout of a Scene, for renderers without graphviz (matplotlib).

Within each cluster, nodes go to layers by longest path from the sources (so every edge points
right), and nodes within a layer are ordered by a few sweeps of the barycentre heuristic
(Sugiyama et al. 1981) to reduce crossings. An edge that skips layers is drawn as a quadratic
curve whose bend (up or down, and how far) is chosen to miss the nodes in between. Clusters stack
top to bottom in their column and columns sit side by side. Coordinates are inches, y upwards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from graphnas.export.scene import Scene

BARYCENTRE_SWEEPS = 4
CLUSTER_PAD = 0.2  # inches between a cluster's content and its frame
CLUSTER_LABEL = 0.3  # inches above the content for the cluster label
GAP = 0.3  # inches between stacked clusters and between columns
CURVE_SAMPLES = np.linspace(0.1, 0.9, 9)
MAX_BULGE = 1.2  # inches


@dataclass(frozen=True)
class Geometry:
    """Spacing and node size of a drawing, in inches."""

    layer: float  # between consecutive layers (x)
    row: float  # between nodes of one layer (y)
    node_w: float
    node_h: float

    @classmethod
    def for_scene(cls, scene: Scene) -> Geometry:
        if scene.compact:
            return cls(0.62, 0.42, 0.3, 0.3)
        # Edge-op text needs room between layers.
        layer = 2.0 if any(e.label for e in scene.edges) else 1.35
        return cls(layer, 0.75, 1.0, 0.48)


@dataclass
class Layout:
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Signed bend of each scene edge (same order as scene.edges): how far the curve's midpoint
    # lies left of the chord, in inches (upwards for an edge pointing right); 0 is straight.
    bends: list[float] = field(default_factory=list)
    # Cluster frames as (x0, y0, x1, y1).
    frames: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def layer_and_order(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """(layer, position in layer) per node of one DAG; `keys` in topological order."""
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for src, dst in edges:
        preds[dst].append(src)
        succs[src].append(dst)
    layer: dict[str, int] = {}
    for key in _topological(keys, preds, succs):
        layer[key] = max((layer[p] + 1 for p in preds[key]), default=0)
    layers: dict[int, list[str]] = defaultdict(list)
    for key in keys:
        layers[layer[key]].append(key)
    order = {key: i for members in layers.values() for i, key in enumerate(members)}
    depth = max(layers, default=-1) + 1
    for sweep in range(BARYCENTRE_SWEEPS):
        forward = sweep % 2 == 0
        neighbours = preds if forward else succs
        for lay in range(1, depth) if forward else range(depth - 2, -1, -1):
            members = layers[lay]

            def barycentre(key: str, neighbours=neighbours) -> float:
                near = neighbours[key]
                return sum(order[n] for n in near) / len(near) if near else order[key]

            members.sort(key=lambda k: (barycentre(k), order[k]))
            order.update({key: i for i, key in enumerate(members)})
    return {key: (layer[key], order[key]) for key in keys}


def quadratic_points(
    start: tuple[float, float], end: tuple[float, float], bend: float, ts: np.ndarray
) -> np.ndarray:
    """Points [len(ts), 2] of the quadratic curve from start to end whose midpoint lies `bend`
    inches left of the chord."""
    p0, p1 = np.asarray(start, float), np.asarray(end, float)
    chord = p1 - p0
    length = float(np.hypot(*chord)) or 1.0
    normal = np.array([-chord[1], chord[0]]) / length
    control = (p0 + p1) / 2 + 2 * bend * normal
    t = ts[:, None]
    return (1 - t) ** 2 * p0 + 2 * t * (1 - t) * control + t**2 * p1


def layout_scene(scene: Scene) -> Layout:
    """Positions of every node, bends of every edge and frames of every cluster, in inches."""
    geometry = Geometry.for_scene(scene)
    layout = Layout(bends=[0.0] * len(scene.edges))
    if not scene.columns:
        x0, y0, x1, y1 = _place_group(scene, None, geometry, layout)
        _shift(layout, None, -x0, -y0)
        layout.width, layout.height = x1 - x0, y1 - y0
        return layout
    x = 0.0
    for column in scene.columns:
        top, column_width = 0.0, 0.0
        for key in column:
            x0, y0, x1, y1 = _place_group(scene, key, geometry, layout)
            # Move the content so the frame's top-left corner is at (x, top).
            keys = [n.key for n in scene.nodes_in(key)]
            _shift(layout, keys, x + CLUSTER_PAD - x0, top - CLUSTER_LABEL - CLUSTER_PAD - y1)
            frame_w = x1 - x0 + 2 * CLUSTER_PAD
            frame_h = y1 - y0 + 2 * CLUSTER_PAD + CLUSTER_LABEL
            layout.frames[key] = (x, top - frame_h, x + frame_w, top)
            top -= frame_h + GAP
            column_width = max(column_width, frame_w)
        layout.height = max(layout.height, -(top + GAP))
        x += column_width + GAP
    layout.width = x - GAP
    _shift(layout, None, 0.0, layout.height)
    return layout


def _place_group(
    scene: Scene, cluster: str | None, geometry: Geometry, layout: Layout
) -> tuple[float, float, float, float]:
    """Lay out one cluster around the origin; return its content bounds (x0, y0, x1, y1)."""
    keys = [n.key for n in scene.nodes_in(cluster)]
    members = set(keys)
    local = [
        (i, e.src, e.dst)
        for i, e in enumerate(scene.edges)
        if e.src in members and e.dst in members
    ]
    placed = layer_and_order(keys, [(s, d) for _, s, d in local])
    rows: dict[int, int] = defaultdict(int)
    for lay, _ in placed.values():
        rows[lay] += 1
    tallest = max(rows.values(), default=1)
    for key, (lay, pos) in placed.items():
        # Centre each layer vertically on the tallest one.
        y = -((tallest - rows[lay]) / 2 + pos) * geometry.row
        layout.positions[key] = (lay * geometry.layer, y)
    centres = np.array([layout.positions[k] for k in keys]).reshape(-1, 2)
    xs, ys = centres[:, 0], centres[:, 1]
    bounds = [
        xs.min() - geometry.node_w / 2,
        ys.min() - geometry.node_h / 2,
        xs.max() + geometry.node_w / 2,
        ys.max() + geometry.node_h / 2,
    ]
    middle = (ys.min() + ys.max()) / 2
    for i, src, dst in local:
        start, end = layout.positions[src], layout.positions[dst]
        if end[0] - start[0] <= geometry.layer * 1.01:
            continue
        bend = _choose_bend(start, end, centres, geometry, middle)
        layout.bends[i] = bend
        curve = quadratic_points(start, end, bend, CURVE_SAMPLES)
        bounds[1] = min(bounds[1], curve[:, 1].min() - 0.05)
        bounds[3] = max(bounds[3], curve[:, 1].max() + 0.05)
    return bounds[0], bounds[1], bounds[2], bounds[3]


def _choose_bend(
    start: tuple[float, float],
    end: tuple[float, float],
    centres: np.ndarray,
    geometry: Geometry,
    middle: float,
) -> float:
    """The bend, among a few sizes up and down, whose curve passes through the fewest nodes;
    ties go to the smaller bend away from the middle of the cluster. Returns inches."""
    span = end[0] - start[0]
    base = min(MAX_BULGE, max(0.5 * geometry.row, 0.1 * span))
    offset = (start[1] + end[1]) / 2 - middle
    if abs(offset) > 1e-6:
        outward = 1.0 if offset > 0 else -1.0
    else:  # on the middle line (a chain): alternate sides by span so arcs of a chain interleave
        outward = 1.0 if round(span / geometry.layer) % 2 == 0 else -1.0
    half = np.array([geometry.node_w / 2 + 0.05, geometry.node_h / 2 + 0.05])
    best, best_score = 0.0, float("inf")
    for size in (1.0, 1.6, 2.4):
        for side in (outward, -outward):
            bend = side * base * size
            curve = quadratic_points(start, end, bend, CURVE_SAMPLES)
            inside = (((curve[:, None, :] - centres[None, :, :]) / half) ** 2).sum(-1) < 1.0
            score = inside.any(axis=0).sum() * 10 + size + (0.5 if side != outward else 0.0)
            if score < best_score:
                best, best_score = bend, score
    return best


def _shift(layout: Layout, keys: list[str] | None, dx: float, dy: float) -> None:
    """Move the given nodes (None: every node and every frame) by (dx, dy)."""
    for key in layout.positions if keys is None else keys:
        x, y = layout.positions[key]
        layout.positions[key] = (x + dx, y + dy)
    if keys is None:
        layout.frames = {
            k: (x0 + dx, y0 + dy, x1 + dx, y1 + dy) for k, (x0, y0, x1, y1) in layout.frames.items()
        }


def _topological(
    keys: list[str], preds: dict[str, list[str]], succs: dict[str, list[str]]
) -> list[str]:
    """Kahn's algorithm, ties broken by the given key order (stable for ids already sorted)."""
    rank = {key: i for i, key in enumerate(keys)}
    indegree = {key: len(preds[key]) for key in keys}
    ready = sorted((k for k in keys if indegree[k] == 0), key=rank.__getitem__)
    result: list[str] = []
    while ready:
        key = ready.pop(0)
        result.append(key)
        for nxt in succs[key]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
        ready.sort(key=rank.__getitem__)
    return result
