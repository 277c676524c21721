"""ArchGraph: the one architecture type of graphnas, a frozen, torch-free labelled DAG.

Node ids are a topological order: every edge goes from a lower to a higher id. Nodes carry an op
label (None in edge-labelled spaces), a role (input, hidden, output) and a stage index (RandWire
stacks several stage graphs in one ArchGraph). Edges carry an optional op label.
"""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from graphnas.errors import GraphnasError

if TYPE_CHECKING:
    import networkx as nx
    from torch_geometric.data import Data

SCHEMA = "graphnas.arch/1"
ROLES = ("input", "hidden", "output")
# Hard caps that protect every loader from hostile input; spaces set much smaller limits.
MAX_NODES = 10_000
MAX_EDGES = 1_000_000
# Leaves of the individualisation-refinement search before falling back to a WL hash.
EXACT_SEARCH_LEAVES = 512


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


class RuleChecker(Protocol):
    """Anything that lists the problems of an architecture (a SearchSpace does)."""

    def problems(self, arch: ArchGraph) -> list[str]: ...


@dataclass(frozen=True)
class ArchGraph:
    """A labelled DAG. Edges are kept sorted by (src, dst); `meta` is free-form and not compared."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    space: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "edges", tuple(sorted(self.edges, key=lambda e: (e.src, e.dst))))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle/deepcopy support (the read-only meta view is not picklable itself)."""
        return (ArchGraph, (self.nodes, self.edges, self.space, dict(self.meta)))

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def build(
        cls,
        ops: Sequence[str | None],
        edges: Iterable[tuple[int, int] | tuple[int, int, str | None]],
        space: str = "",
        roles: Sequence[str] | None = None,
        stages: Sequence[int] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> ArchGraph:
        """Build from parallel per-node lists and (src, dst[, op]) tuples."""
        n = len(ops)
        roles = roles if roles is not None else ["hidden"] * n
        stages = stages if stages is not None else [0] * n
        nodes = tuple(Node(ops[i], roles[i], stages[i]) for i in range(n))
        edge_objs = tuple(Edge(e[0], e[1], e[2] if len(e) > 2 else None) for e in edges)
        return cls(nodes, edge_objs, space, meta or {})

    def replace(self, **changes: Any) -> ArchGraph:
        """A copy with some fields replaced (nodes, edges, space, meta)."""
        fields = {"nodes": self.nodes, "edges": self.edges, "space": self.space, "meta": self.meta}
        fields.update(changes)
        return ArchGraph(**fields)

    # ----------------------------------------------------------------------------- queries
    @property
    def num_nodes(self) -> int:
        return len(self.nodes)

    @property
    def num_edges(self) -> int:
        return len(self.edges)

    @property
    def ops(self) -> tuple[str | None, ...]:
        return tuple(node.op for node in self.nodes)

    def predecessors(self) -> list[list[int]]:
        """preds[v] = sorted ids of nodes with an edge into v."""
        preds: list[list[int]] = [[] for _ in self.nodes]
        for e in self.edges:
            preds[e.dst].append(e.src)
        return preds

    def successors(self) -> list[list[int]]:
        """succs[v] = sorted ids of nodes v has an edge to."""
        succs: list[list[int]] = [[] for _ in self.nodes]
        for e in self.edges:
            succs[e.src].append(e.dst)
        return succs

    def adjacency(self) -> list[list[int]]:
        """Dense 0/1 adjacency matrix, adj[src][dst]."""
        adj = [[0] * self.num_nodes for _ in self.nodes]
        for e in self.edges:
            adj[e.src][e.dst] = 1
        return adj

    def nodes_with_role(self, role: str) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.role == role]

    # ----------------------------------------------------------------------------- validation
    def structural_problems(self) -> list[str]:
        """Every structural problem: ids, backward edges, cycles, duplicates, roles, size."""
        problems: list[str] = []
        n = self.num_nodes
        if n > MAX_NODES:
            problems.append(f"{n} nodes exceed the hard limit of {MAX_NODES}")
        if self.num_edges > MAX_EDGES:
            problems.append(f"{self.num_edges} edges exceed the hard limit of {MAX_EDGES}")
        for i, node in enumerate(self.nodes):
            if node.role not in ROLES:
                problems.append(
                    f"node {i} has unknown role {node.role!r} (valid: {', '.join(ROLES)})"
                )
            if node.op is not None and not isinstance(node.op, str):
                problems.append(f"node {i} op must be a string or null")
            if not isinstance(node.stage, int) or node.stage < 0:
                problems.append(f"node {i} stage must be a non-negative integer")
        seen: set[tuple[int, int]] = set()
        backward = False
        for e in self.edges:
            if not (0 <= e.src < n and 0 <= e.dst < n):
                problems.append(f"edge {e.src}->{e.dst} names a node outside 0..{n - 1}")
                continue
            if e.src == e.dst:
                problems.append(f"edge {e.src}->{e.dst} is a self-loop")
            elif e.src > e.dst:
                backward = True
                problems.append(
                    f"edge {e.src}->{e.dst} goes backwards (ids must be a topological order)"
                )
            if (e.src, e.dst) in seen:
                problems.append(f"edge {e.src}->{e.dst} appears twice")
            seen.add((e.src, e.dst))
            if self.nodes[e.dst].role == "input":
                problems.append(f"edge {e.src}->{e.dst} enters input node {e.dst}")
            if self.nodes[e.src].role == "output":
                problems.append(f"edge {e.src}->{e.dst} leaves output node {e.src}")
        in_range = [(e.src, e.dst) for e in self.edges if 0 <= e.src < n and 0 <= e.dst < n]
        if backward and _has_cycle(n, [(s, d) for s, d in in_range if s != d]):
            problems.append("the edges form a cycle")
        return problems

    def validate(self, rules: RuleChecker | None = None, source: str = "architecture") -> ArchGraph:
        """Return self if valid; else raise InvalidArchError listing every problem at once."""
        problems = self.structural_problems()
        if not problems and rules is not None:
            problems = rules.problems(self)
        if problems:
            raise InvalidArchError(problems, source)
        return self

    # ----------------------------------------------------------------------------- pruning
    def prune(self) -> ArchGraph:
        """Drop nodes that lie on no input -> output path (NAS-Bench-101 rule); renumber the rest.

        Graphs without input or output roles are returned unchanged. If no path joins an input to
        an output, the result keeps only the input and output nodes and no edges.
        """
        inputs, outputs = self.nodes_with_role("input"), self.nodes_with_role("output")
        if not inputs or not outputs:
            return self
        forward = _reach(inputs, self.successors())
        backward = _reach(outputs, self.predecessors())
        keep = [i for i in range(self.num_nodes) if (i in forward and i in backward)]
        keep_set = set(keep) | set(inputs) | set(outputs)
        keep = sorted(keep_set)
        if len(keep) == self.num_nodes and all(
            e.src in forward and e.dst in backward for e in self.edges
        ):
            return self
        new_id = {old: new for new, old in enumerate(keep)}
        nodes = tuple(self.nodes[i] for i in keep)
        edges = tuple(
            Edge(new_id[e.src], new_id[e.dst], e.op)
            for e in self.edges
            if e.src in forward and e.dst in backward and e.src in new_id and e.dst in new_id
        )
        return ArchGraph(nodes, edges, self.space, self.meta)

    # ----------------------------------------------------------------------------- hashing
    def canonical_hash(self) -> str:
        """Hash equal for isomorphic labelled DAGs (labels: node op/role/stage, edge op).

        Exact canonical form by individualisation-refinement; prefix "c:". When the search would
        exceed EXACT_SEARCH_LEAVES (very symmetric large graphs) a Weisfeiler-Lehman hash is
        returned with prefix "w:" and callers confirm collisions with `is_isomorphic`.
        """
        form = canonical_form(self)
        if form is None:
            return "w:" + _wl_hash(self)
        return "c:" + hashlib.sha256(repr(form).encode()).hexdigest()[:32]

    def is_isomorphic(self, other: ArchGraph) -> bool:
        """Exact labelled-DAG isomorphism test (networkx VF2)."""
        import networkx as nx

        if (self.num_nodes, self.num_edges) != (other.num_nodes, other.num_edges):
            return False
        return nx.is_isomorphic(
            self.to_networkx(),
            other.to_networkx(),
            node_match=lambda a, b: (
                (a["op"], a["role"], a["stage"]) == (b["op"], b["role"], b["stage"])
            ),
            edge_match=lambda a, b: a["op"] == b["op"],
        )

    # ----------------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """Versioned JSON-ready dict: {schema, space, nodes, edges, meta}."""
        return {
            "schema": SCHEMA,
            "space": self.space,
            "nodes": [{"op": n.op, "role": n.role, "stage": n.stage} for n in self.nodes],
            "edges": [[e.src, e.dst] if e.op is None else [e.src, e.dst, e.op] for e in self.edges],
            "meta": dict(self.meta),
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any, source: str = "architecture") -> ArchGraph:
        """Parse a dict of the versioned schema; any problem raises InvalidArchError."""
        return _arch_from_dict(data, source)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "architecture") -> ArchGraph:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise InvalidArchError([f"not valid JSON ({_first_line(err)})"], source) from None
        return _arch_from_dict(data, source)

    # ----------------------------------------------------------------------------- networkx
    def to_networkx(self) -> nx.DiGraph:
        """DiGraph with node attrs op/role/stage, edge attr op and graph attrs space/meta."""
        import networkx as nx

        g = nx.DiGraph(space=self.space, meta=dict(self.meta))
        for i, node in enumerate(self.nodes):
            g.add_node(i, op=node.op, role=node.role, stage=node.stage)
        for e in self.edges:
            g.add_edge(e.src, e.dst, op=e.op)
        return g

    @classmethod
    def from_networkx(cls, g: nx.DiGraph, space: str | None = None) -> ArchGraph:
        """Inverse of to_networkx; node keys are relabelled 0..n-1 in sorted order."""
        order = sorted(g.nodes)
        index = {key: i for i, key in enumerate(order)}
        nodes = tuple(
            Node(
                _none_if_empty(g.nodes[k].get("op")),
                str(g.nodes[k].get("role", "hidden")),
                int(g.nodes[k].get("stage", 0)),
            )
            for k in order
        )
        edges = tuple(
            Edge(index[u], index[v], _none_if_empty(d.get("op"))) for u, v, d in g.edges(data=True)
        )
        meta = g.graph.get("meta") or {}
        if isinstance(meta, str):
            meta = json.loads(meta) if meta else {}
        return cls(
            nodes, edges, space if space is not None else str(g.graph.get("space", "")), meta
        )

    # ----------------------------------------------------------------------------- GraphML
    def to_graphml(self) -> str:
        """GraphML text (None ops written as empty strings, meta as a JSON string)."""
        import networkx as nx

        g = self.to_networkx()
        g.graph["meta"] = json.dumps(dict(self.meta))
        g.graph["schema"] = SCHEMA
        for _, data in g.nodes(data=True):
            data["op"] = data["op"] or ""
        for _, _, data in g.edges(data=True):
            data["op"] = data["op"] or ""
        return "\n".join(nx.generate_graphml(g))

    @classmethod
    def from_graphml(cls, text: str, source: str = "graphml") -> ArchGraph:
        import networkx as nx

        try:
            with warnings.catch_warnings():  # e.g. "No key type for id d5": types are checked below
                warnings.simplefilter("ignore")
                g = nx.parse_graphml(text, node_type=int)
            return cls.from_networkx(g)
        except Exception as err:  # networkx raises many types for malformed XML
            raise InvalidArchError(
                [f"not a graphnas GraphML graph ({_first_line(err)})"], source
            ) from None

    # ----------------------------------------------------------------------------- DOT
    def to_dot(self, name: str = "arch") -> str:
        """Plain DOT text carrying every attribute needed to read the graph back (`from_dot`)."""
        lines = [f"digraph {_dot_id(name)} {{", f"  graph [space={_dot_quote(self.space)}];"]
        if self.meta:
            lines.append(f"  graph [meta={_dot_quote(json.dumps(dict(self.meta)))}];")
        for i, node in enumerate(self.nodes):
            label = node.op if node.op is not None else node.role
            lines.append(
                f"  n{i} [label={_dot_quote(label)}, op={_dot_quote(node.op or '')}, "
                f"role={_dot_quote(node.role)}, stage={node.stage}];"
            )
        for e in self.edges:
            attrs = (
                f" [label={_dot_quote(e.op)}, op={_dot_quote(e.op)}]" if e.op is not None else ""
            )
            lines.append(f"  n{e.src} -> n{e.dst}{attrs};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_dot(cls, text: str, source: str = "dot") -> ArchGraph:
        """Read DOT written by `to_dot` (the attribute subset it emits)."""
        return _arch_from_dot(text, source)

    # ----------------------------------------------------------------------------- PyG
    def to_pyg(self, node_vocab: Sequence[str], edge_vocab: Sequence[str] = ()) -> Data:
        """PyG Data: x [n] long op ids in node_vocab (-1 for None), edge_index [2, E] long,
        edge_attr [E] long op ids in edge_vocab (-1 for None), role [n] long, stage [n] long."""
        import torch
        from torch_geometric.data import Data

        node_ids = {op: i for i, op in enumerate(node_vocab)}
        edge_ids = {op: i for i, op in enumerate(edge_vocab)}
        missing = sorted({n.op for n in self.nodes if n.op is not None and n.op not in node_ids})
        missing += sorted({e.op for e in self.edges if e.op is not None and e.op not in edge_ids})
        if missing:
            raise InvalidArchError([f"ops not in the vocabulary: {', '.join(missing)}"])
        x = torch.tensor([node_ids[n.op] if n.op is not None else -1 for n in self.nodes])
        edge_index = torch.tensor([[e.src for e in self.edges], [e.dst for e in self.edges]])
        edge_index = edge_index.reshape(2, -1).long()
        edge_attr = torch.tensor([edge_ids[e.op] if e.op is not None else -1 for e in self.edges])
        role = torch.tensor([ROLES.index(n.role) for n in self.nodes])
        stage = torch.tensor([n.stage for n in self.nodes])
        return Data(
            x=x.long(),
            edge_index=edge_index,
            edge_attr=edge_attr.long(),
            role=role.long(),
            stage=stage.long(),
            num_nodes=self.num_nodes,
        )

    @classmethod
    def from_pyg(
        cls, data: Data, node_vocab: Sequence[str], edge_vocab: Sequence[str] = (), space: str = ""
    ) -> ArchGraph:
        """Inverse of to_pyg."""
        x = data.x.tolist()
        role = data.role.tolist()
        stage = data.stage.tolist()
        nodes = tuple(
            Node(node_vocab[x[i]] if x[i] >= 0 else None, ROLES[role[i]], stage[i])
            for i in range(len(x))
        )
        src, dst = data.edge_index.tolist()
        attr = data.edge_attr.tolist()
        edges = tuple(
            Edge(s, d, edge_vocab[a] if a >= 0 else None)
            for s, d, a in zip(src, dst, attr, strict=True)
        )
        return cls(nodes, edges, space)


# ============================================================================ helpers
def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _none_if_empty(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _reach(starts: Iterable[int], neighbours: list[list[int]]) -> set[int]:
    seen = set(starts)
    stack = list(seen)
    while stack:
        for w in neighbours[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return seen


def _has_cycle(n: int, pairs: list[tuple[int, int]]) -> bool:
    indeg = [0] * n
    out: list[list[int]] = [[] for _ in range(n)]
    for s, d in pairs:
        out[s].append(d)
        indeg[d] += 1
    queue = [i for i in range(n) if indeg[i] == 0]
    visited = 0
    while queue:
        v = queue.pop()
        visited += 1
        for w in out[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                queue.append(w)
    return visited < n


def _arch_from_dict(data: Any, source: str) -> ArchGraph:
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
    edges: list[Edge] = []
    for k, raw in enumerate(raw_edges):
        ok = isinstance(raw, list) and len(raw) in (2, 3)
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in raw[:2])
        ok = ok and (len(raw) == 2 or raw[2] is None or isinstance(raw[2], str))
        if not ok:
            problems.append(f"edge {k} must be [src, dst] or [src, dst, op] with integer ids")
            continue
        edges.append(Edge(raw[0], raw[1], raw[2] if len(raw) == 3 else None))
    if problems:
        raise InvalidArchError(problems, source)
    arch = ArchGraph(tuple(nodes), tuple(edges), space, meta)
    structural = arch.structural_problems()
    if structural:
        raise InvalidArchError(structural, source)
    return arch


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


def _arch_from_dot(text: str, source: str) -> ArchGraph:
    nodes: dict[int, Node] = {}
    edges: list[Edge] = []
    graph_attrs: dict[str, str] = {}
    try:
        for line in text.splitlines():
            if m := _DOT_EDGE.match(line):
                attrs = _dot_attrs(m.group(3))
                edges.append(
                    Edge(int(m.group(1)), int(m.group(2)), _none_if_empty(attrs.get("op")))
                )
            elif m := _DOT_NODE.match(line):
                attrs = _dot_attrs(m.group(2))
                nodes[int(m.group(1))] = Node(
                    _none_if_empty(attrs.get("op")),
                    attrs.get("role", "hidden"),
                    int(attrs.get("stage", "0")),
                )
            elif m := _DOT_GRAPH.match(line):
                graph_attrs.update(_dot_attrs(m.group(1)))
        meta = json.loads(graph_attrs["meta"]) if graph_attrs.get("meta") else {}
    except (ValueError, TypeError, RecursionError) as err:
        raise InvalidArchError([f"unreadable DOT ({_first_line(err)})"], source) from None
    if not isinstance(meta, dict):
        raise InvalidArchError(["DOT graph attribute 'meta' must be a JSON object"], source)
    if sorted(nodes) != list(range(len(nodes))):
        raise InvalidArchError(["DOT node ids must be n0..n{N-1}"], source)
    arch = ArchGraph(
        tuple(nodes[i] for i in range(len(nodes))), tuple(edges), graph_attrs.get("space", ""), meta
    )
    arch.validate(source=source)
    return arch


# ============================================================================ canonical form
def _node_label(node: Node) -> str:
    return f"{node.role}|{node.op if node.op is not None else ''}|{node.stage}"


def _refine(
    colors: list[int], ins: list[list[tuple[int, int]]], outs: list[list[tuple[int, int]]]
) -> list[int]:
    """Colour refinement (1-WL) on a directed edge-labelled graph; colour ids are canonical."""
    num = len(set(colors))
    while True:
        signatures = [
            (
                colors[v],
                tuple(sorted((lab, colors[u]) for u, lab in ins[v])),
                tuple(sorted((lab, colors[w]) for w, lab in outs[v])),
            )
            for v in range(len(colors))
        ]
        ranking = {sig: rank for rank, sig in enumerate(sorted(set(signatures)))}
        new = [ranking[sig] for sig in signatures]
        if len(ranking) == num:
            return new
        colors, num = new, len(ranking)


def canonical_form(arch: ArchGraph, max_leaves: int = EXACT_SEARCH_LEAVES) -> tuple | None:
    """Canonical certificate (labels in canonical order, relabelled edges), or None if the
    individualisation-refinement search would need more than `max_leaves` leaves."""
    n = arch.num_nodes
    labels = [_node_label(node) for node in arch.nodes]
    edge_labels = sorted({e.op or "" for e in arch.edges})
    edge_code = {lab: i for i, lab in enumerate(edge_labels)}
    ins: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    outs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for e in arch.edges:
        code = edge_code[e.op or ""]
        ins[e.dst].append((e.src, code))
        outs[e.src].append((e.dst, code))
    label_rank = {lab: i for i, lab in enumerate(sorted(set(labels)))}
    start = _refine([label_rank[lab] for lab in labels], ins, outs)
    label_table = tuple(sorted(set(labels)))
    edge_list = [(e.src, e.dst, edge_code[e.op or ""]) for e in arch.edges]
    leaves = [0]

    def certificate(colors: list[int]) -> tuple:
        edges = tuple(sorted((colors[s], colors[d], c) for s, d, c in edge_list))
        order = sorted(range(n), key=colors.__getitem__)
        return (tuple(label_rank[labels[v]] for v in order), edges)

    def twin_key(v: int) -> tuple:
        return (tuple(sorted(ins[v])), tuple(sorted(outs[v])))

    def search(colors: list[int]) -> tuple | None:
        if len(set(colors)) == n:
            leaves[0] += 1
            return certificate(colors)
        counts: dict[int, int] = {}
        for c in colors:
            counts[c] = counts.get(c, 0) + 1
        target = min(c for c, k in counts.items() if k > 1)
        members = [v for v in range(n) if colors[v] == target]
        # Twins (same neighbours, same labels) give the same certificate: try one of each.
        seen_twins: set[tuple] = set()
        best: tuple | None = None
        for v in members:
            key = twin_key(v)
            if key in seen_twins:
                continue
            seen_twins.add(key)
            individual = [2 * c + (0 if u == v else 1) for u, c in enumerate(colors)]
            cert = search(_refine(individual, ins, outs))
            if cert is None or leaves[0] > max_leaves:
                return None
            if best is None or cert < best:
                best = cert
        return best

    cert = search(start)
    return None if cert is None else (label_table, tuple(edge_labels), cert)


def _wl_hash(arch: ArchGraph) -> str:
    import networkx as nx

    g = arch.to_networkx()
    for _, data in g.nodes(data=True):
        data["label"] = _node_label(Node(data["op"], data["role"], data["stage"]))
    for _, _, data in g.edges(data=True):
        data["label"] = data["op"] or ""
    return nx.weisfeiler_lehman_graph_hash(g, node_attr="label", edge_attr="label", iterations=5)
