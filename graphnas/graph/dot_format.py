"""DOT form of an ArchGraph: the data attributes a drawing carries, and the one DOT reader.

The one DOT writer is the styled drawing source of `graphnas.export` (`scene_to_dot`): it writes
the attributes defined here, so every graphnas-written .dot reads back losslessly:

- graph: `schema`, `space`, `meta` (a JSON object as a string);
- node `n<i>` (i = 0..N-1): `op` ("" for none), `role`, `stage`;
- edge `n<i> -> n<j>`: `op` when the edge has one;
- drawing-only nodes (stage ports, layout pads) carry `aux` and lie outside the architecture,
  as do the edges touching them.

The reader parses the whole DOT language (`dot_parser`) and refuses, in one line, anything it
does not fully understand: text that is not one DOT digraph, an undeclared edge endpoint, edges
into subgraphs or ports, attribute defaults that set data attributes, unknown attributes, a node
that is neither an architecture node with all three data attributes nor marked drawing-only.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from graphnas.graph.arch import ArchGraph
from graphnas.graph.dot_parser import (
    KEYWORDS,
    AttrStmt,
    Block,
    DotSyntaxError,
    EdgeStmt,
    Value,
    parse_dot,
)
from graphnas.graph.elements import SCHEMA, Edge, InvalidArchError, Node, first_line, none_if_empty

NODE_DATA = ("op", "role", "stage")
EDGE_DATA = ("op",)
GRAPH_DATA = ("schema", "space", "meta")
AUX = "aux"
# Drawing attributes the writer emits, plus those `dot -Tdot` adds when it lays a file out.
_LAYOUT = {"pos", "bb", "lp", "xlp", "lwidth", "lheight", "width", "height", "head_lp", "tail_lp"}
_GRAPH_DRAWING = {
    "rankdir", "bgcolor", "fontname", "fontsize", "labelloc", "labeljust", "nodesep", "ranksep",
    "pad", "dpi", "pack", "packmode", "label", "style", "color",
} | _LAYOUT  # fmt: skip
_NODE_DRAWING = {
    "label", "fillcolor", "fontcolor", "color", "penwidth", "tooltip", "shape", "fontsize",
    "fixedsize", "style", "margin", "fontname",
} | _LAYOUT  # fmt: skip
_EDGE_DRAWING = {
    "label", "color", "penwidth", "fontcolor", "style", "fontname", "fontsize", "arrowsize",
} | _LAYOUT  # fmt: skip
_NODE_KEY = re.compile(r"n(0|[1-9]\d*)")
_PLAIN_ID = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|-?(\.\d+|\d+(\.\d*)?)")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {"n": "\n"}


# ------------------------------------------------------------------------------ writing
def dot_quote(text: str) -> str:
    """A DOT double-quoted string (backslash, quote and newline escaped, as the reader expects)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def dot_id(key: str) -> str:
    """A DOT id: bare when DOT allows it (not a keyword), else quoted."""
    bare = _PLAIN_ID.fullmatch(key) and key.lower() not in KEYWORDS
    return key if bare else dot_quote(key)


def node_key(i: int) -> str:
    """The DOT node id of architecture node i."""
    return f"n{i}"


def graph_data(arch: ArchGraph) -> dict[str, str]:
    """Graph attributes carrying the architecture's schema, space and meta."""
    data = {"schema": SCHEMA, "space": arch.space}
    if arch.meta:
        data["meta"] = json.dumps(dict(arch.meta))
    return data


def node_data(node: Node) -> dict[str, str]:
    """Node attributes carrying one architecture node."""
    return {"op": node.op or "", "role": node.role, "stage": str(node.stage)}


def edge_data(edge: Edge) -> dict[str, str]:
    """Edge attributes carrying one architecture edge's op (none when it has no op)."""
    return {} if edge.op is None else {"op": edge.op}


# ------------------------------------------------------------------------------ reading
class _Refused(Exception):
    """One reason a DOT text is not a graphnas architecture."""


Attrs = list[tuple[str, Value]]


def arch_from_dot(text: str | bytes, source: str = "dot") -> ArchGraph:
    """Read DOT carrying the data attributes above; anything else raises InvalidArchError."""
    try:
        arch = _arch_of(_one_digraph(text))
    except _Refused as err:
        raise InvalidArchError([str(err)], source) from None
    return arch.validate(source=source)


def _one_digraph(text: str | bytes) -> Block:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise _Refused(f"not UTF-8 text ({first_line(err)})") from None
    try:
        graphs = parse_dot(text.removeprefix("\ufeff"))
    except DotSyntaxError as err:
        raise _Refused(f"not DOT ({err})") from None
    if len(graphs) != 1:
        raise _Refused(f"holds {len(graphs)} DOT graphs, expected one architecture")
    if not graphs[0].directed:
        raise _Refused("is an undirected DOT graph; an architecture is a digraph")
    return graphs[0].body


class _Collected:
    """Node attributes merged per id, edges as (src, dst, attrs), the graph's data attributes."""

    def __init__(self) -> None:
        self.declared: dict[str, dict[str, str]] = {}
        self.pairs: list[tuple[str, str, dict[str, str]]] = []
        self.graph: dict[str, str] = {}

    def block(self, block: Block, top: bool) -> None:
        for statement in block.statements:
            if isinstance(statement, Block):
                self.block(statement, top=False)
            elif isinstance(statement, AttrStmt):
                self.defaults(statement, top)
            elif isinstance(statement, EdgeStmt):
                self.edges(statement)
            else:
                name = statement.name
                if statement.port is not None:
                    raise _Refused(f"node {name}:{statement.port}: ports are not read")
                data = _check_attrs(
                    f"node {name}", statement.attrs, (*NODE_DATA, AUX), _NODE_DRAWING
                )
                self.declared.setdefault(name, {}).update(data)

    def defaults(self, statement: AttrStmt, top: bool) -> None:
        if statement.target == "graph":
            where = "the graph" if top else "a subgraph"
            data = GRAPH_DATA if top else ()
            self.graph.update(_check_attrs(where, statement.attrs, data, _GRAPH_DRAWING))
        else:
            drawing = _NODE_DRAWING if statement.target == "node" else _EDGE_DRAWING
            _check_attrs(f"the {statement.target} defaults", statement.attrs, (), drawing)

    def edges(self, statement: EdgeStmt) -> None:
        names = []
        for end in statement.endpoints:
            if isinstance(end, Block):
                raise _Refused("an edge joins a subgraph; write one edge per node pair")
            if end[1] is not None:
                raise _Refused(f"edge endpoint {end[0]}:{end[1]}: ports are not read")
            names.append(end[0])
        where = "edge " + " -> ".join(names)
        data = _check_attrs(where, statement.attrs, EDGE_DATA, _EDGE_DRAWING)
        self.pairs += [(src, dst, data) for src, dst in itertools.pairwise(names)]


def _arch_of(body: Block) -> ArchGraph:
    found = _Collected()
    found.block(body, top=True)
    declared = found.declared
    for src, dst, _ in found.pairs:
        if src not in declared or dst not in declared:
            missing = src if src not in declared else dst
            raise _Refused(f"edge {src} -> {dst}: node {missing} is not declared")
    nodes = _arch_nodes(declared)
    edges = []
    for src, dst, attrs in found.pairs:
        if AUX in declared[src] or AUX in declared[dst]:
            if "op" in attrs:
                raise _Refused(f"edge {src} -> {dst} touches a drawing-only node but has an op")
            continue
        edges.append(Edge(int(src[1:]), int(dst[1:]), none_if_empty(attrs.get("op"))))
    schema = found.graph.get("schema", SCHEMA)
    if schema != SCHEMA:
        raise _Refused(f"unsupported schema {schema[:60]!r} (expected {SCHEMA!r})")
    space = found.graph.get("space", "")
    return ArchGraph(tuple(nodes), tuple(edges), space, _meta(found.graph))


def _arch_nodes(declared: dict[str, dict[str, str]]) -> list[Node]:
    by_index: dict[int, Node] = {}
    for name, attrs in declared.items():
        if AUX in attrs:
            if any(key in attrs for key in NODE_DATA):
                raise _Refused(f"node {name} is drawing-only ({AUX}) but carries op/role/stage")
            continue
        if not _NODE_KEY.fullmatch(name):
            raise _Refused(f"node {name} is not an architecture node n0..n<N-1> (nor {AUX})")
        missing = [key for key in NODE_DATA if key not in attrs]
        if missing:
            raise _Refused(f"node {name} lacks the attribute(s) {', '.join(missing)}")
        if not re.fullmatch(r"0|[1-9]\d{0,8}", attrs["stage"]):
            raise _Refused(f"node {name}: stage {attrs['stage'][:20]!r} is not an integer")
        node = Node(none_if_empty(attrs["op"]), attrs["role"], int(attrs["stage"]))
        by_index[int(name[1:])] = node
    if not by_index:
        raise _Refused("holds no architecture nodes (n0, n1, ... with op, role and stage)")
    if sorted(by_index) != list(range(len(by_index))):
        raise _Refused(f"node ids must be n0..n{len(by_index) - 1}")
    return [by_index[i] for i in range(len(by_index))]


def _check_attrs(
    where: str, attrs: Attrs, data: tuple[str, ...], drawing: set[str]
) -> dict[str, str]:
    """The data attributes among `attrs`, unescaped; refuses an attribute of neither kind and a
    data attribute written as an HTML string."""
    found: dict[str, str] = {}
    for key, value in attrs:
        if key in data:
            if value.kind == "html":
                raise _Refused(f"{where}: attribute {key} must be a plain or quoted string")
            found[key] = _unescape(value.text) if value.kind == "quoted" else value.text
        elif key not in drawing:
            known = ", ".join(data) if data else "no data attributes"
            raise _Refused(f"{where}: unknown attribute {key!r} (graphnas reads {known} here)")
    return found


def _unescape(text: str) -> str:
    """Invert `dot_quote` (a backslash-newline is a DOT line continuation)."""
    text = text.replace("\\\r\n", "").replace("\\\n", "")
    return _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), text)


def _meta(graph_attrs: dict[str, str]) -> dict[str, Any]:
    text = graph_attrs.get("meta", "")
    if not text:
        return {}
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise _Refused(f"graph attribute meta is not JSON ({first_line(err)})") from None
    if not isinstance(meta, dict):
        raise _Refused("graph attribute meta must be a JSON object")
    return meta
