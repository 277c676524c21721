"""DOT form of an ArchGraph: writer and reader of the attributes needed to read a graph back."""

from __future__ import annotations

import json
import re

from graphnas.graph.arch import ArchGraph
from graphnas.graph.elements import Edge, InvalidArchError, Node, first_line, none_if_empty


def arch_to_dot(arch: ArchGraph, name: str = "arch") -> str:
    """Plain DOT text carrying every attribute needed to read the graph back (`arch_from_dot`)."""
    lines = [f"digraph {_dot_id(name)} {{", f"  graph [space={_dot_quote(arch.space)}];"]
    if arch.meta:
        lines.append(f"  graph [meta={_dot_quote(json.dumps(dict(arch.meta)))}];")
    for i, node in enumerate(arch.nodes):
        label = node.op if node.op is not None else node.role
        lines.append(
            f"  n{i} [label={_dot_quote(label)}, op={_dot_quote(node.op or '')}, "
            f"role={_dot_quote(node.role)}, stage={node.stage}];"
        )
    for e in arch.edges:
        attrs = f" [label={_dot_quote(e.op)}, op={_dot_quote(e.op)}]" if e.op is not None else ""
        lines.append(f"  n{e.src} -> n{e.dst}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


_DOT_ATTR = re.compile(r'(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|[-\w.]+)')
_DOT_NODE = re.compile(r"^\s*n(\d+)\s*\[(.*)\]\s*;?\s*$")
_DOT_EDGE = re.compile(r"^\s*n(\d+)\s*->\s*n(\d+)\s*(?:\[(.*)\])?\s*;?\s*$")
_DOT_GRAPH = re.compile(r"^\s*graph\s*\[(.*)\]\s*;?\s*$")


def _dot_quote(text: str | None) -> str:
    text = text or ""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _dot_id(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_]\w*", name) else _dot_quote(name)


def _dot_attrs(text: str | None) -> dict[str, str]:
    return {k: _dot_unquote(v) for k, v in _DOT_ATTR.findall(text or "")}


def arch_from_dot(text: str, source: str = "dot") -> ArchGraph:
    """Read DOT written by `arch_to_dot` (the attribute subset it emits)."""
    nodes: dict[int, Node] = {}
    edges: list[Edge] = []
    graph_attrs: dict[str, str] = {}
    try:
        for line in text.splitlines():
            if m := _DOT_EDGE.match(line):
                attrs = _dot_attrs(m.group(3))
                edges.append(Edge(int(m.group(1)), int(m.group(2)), none_if_empty(attrs.get("op"))))
            elif m := _DOT_NODE.match(line):
                attrs = _dot_attrs(m.group(2))
                nodes[int(m.group(1))] = Node(
                    none_if_empty(attrs.get("op")),
                    attrs.get("role", "hidden"),
                    int(attrs.get("stage", "0")),
                )
            elif m := _DOT_GRAPH.match(line):
                graph_attrs.update(_dot_attrs(m.group(1)))
        meta = json.loads(graph_attrs["meta"]) if graph_attrs.get("meta") else {}
    except (ValueError, TypeError, RecursionError) as err:
        raise InvalidArchError([f"unreadable DOT ({first_line(err)})"], source) from None
    if not isinstance(meta, dict):
        raise InvalidArchError(["DOT graph attribute 'meta' must be a JSON object"], source)
    if sorted(nodes) != list(range(len(nodes))):
        raise InvalidArchError(["DOT node ids must be n0..n{N-1}"], source)
    arch = ArchGraph(
        tuple(nodes[i] for i in range(len(nodes))), tuple(edges), graph_attrs.get("space", ""), meta
    )
    arch.validate(source=source)
    return arch
