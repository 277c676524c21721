"""The versioned JSON form of an ArchGraph ({schema, space, nodes, edges, meta}): writer and
reader. The reader checks every field and reports every problem at once."""

from __future__ import annotations

import json
from typing import Any

from graphnas.graph.arch import ArchGraph
from graphnas.graph.elements import (
    MAX_EDGES,
    MAX_NODES,
    SCHEMA,
    Edge,
    InvalidArchError,
    Node,
    first_line,
)


def arch_to_dict(arch: ArchGraph) -> dict[str, Any]:
    """Versioned JSON-ready dict: {schema, space, nodes, edges, meta}."""
    return {
        "schema": SCHEMA,
        "space": arch.space,
        "nodes": [{"op": n.op, "role": n.role, "stage": n.stage} for n in arch.nodes],
        "edges": [[e.src, e.dst] if e.op is None else [e.src, e.dst, e.op] for e in arch.edges],
        "meta": dict(arch.meta),
    }


def arch_from_json(text: str | bytes, source: str = "architecture") -> ArchGraph:
    """Parse JSON text of the versioned schema; any problem raises InvalidArchError."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise InvalidArchError([f"not valid JSON ({first_line(err)})"], source) from None
    return arch_from_dict(data, source)


def arch_from_dict(data: Any, source: str = "architecture") -> ArchGraph:
    """Parse a dict of the versioned schema; any problem raises InvalidArchError."""
    if not isinstance(data, dict):
        raise InvalidArchError(["expected a JSON object with nodes and edges"], source)
    problems: list[str] = []
    schema = data.get("schema", SCHEMA)
    if schema != SCHEMA:
        problems.append(f"unsupported schema {str(schema)[:60]!r} (expected {SCHEMA!r})")
    space = data.get("space", "")
    if not isinstance(space, str):
        problems.append("'space' must be a string")
        space = ""
    raw_nodes, raw_edges = data.get("nodes"), data.get("edges", [])
    meta = data.get("meta", {})
    if not isinstance(meta, dict):
        problems.append("'meta' must be an object")
        meta = {}
    if not isinstance(raw_nodes, list):
        problems.append("'nodes' must be a list")
        raw_nodes = []
    if not isinstance(raw_edges, list):
        problems.append("'edges' must be a list")
        raw_edges = []
    if len(raw_nodes) > MAX_NODES or len(raw_edges) > MAX_EDGES:
        problems.append(f"too large ({len(raw_nodes)} nodes, {len(raw_edges)} edges)")
        raise InvalidArchError(problems, source)
    nodes = _nodes(raw_nodes, problems)
    edges = _edges(raw_edges, problems)
    if problems:
        raise InvalidArchError(problems, source)
    arch = ArchGraph(tuple(nodes), tuple(edges), space, meta)
    structural = arch.structural_problems()
    if structural:
        raise InvalidArchError(structural, source)
    return arch


def _nodes(raw_nodes: list[Any], problems: list[str]) -> list[Node]:
    nodes: list[Node] = []
    for i, raw in enumerate(raw_nodes):
        if not isinstance(raw, dict):
            problems.append(f"node {i} must be an object")
            continue
        op, role, stage = raw.get("op"), raw.get("role", "hidden"), raw.get("stage", 0)
        if op is not None and not isinstance(op, str):
            problems.append(f"node {i} op must be a string or null")
            op = None
        if not isinstance(role, str):
            problems.append(f"node {i} role must be a string")
            role = "hidden"
        if isinstance(stage, bool) or not isinstance(stage, int):
            problems.append(f"node {i} stage must be an integer")
            stage = 0
        nodes.append(Node(op, role, stage))
    return nodes


def _edges(raw_edges: list[Any], problems: list[str]) -> list[Edge]:
    edges: list[Edge] = []
    for k, raw in enumerate(raw_edges):
        ok = isinstance(raw, list) and len(raw) in (2, 3)
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in raw[:2])
        ok = ok and (len(raw) == 2 or raw[2] is None or isinstance(raw[2], str))
        if not ok:
            problems.append(f"edge {k} must be [src, dst] or [src, dst, op] with integer ids")
            continue
        edges.append(Edge(raw[0], raw[1], raw[2] if len(raw) == 3 else None))
    return edges
