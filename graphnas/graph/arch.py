"""ArchGraph: the one architecture type of graphnas, a frozen, torch-free labelled DAG.

Node ids are a topological order: every edge goes from a lower to a higher id. Nodes carry an op
label (None in edge-labelled spaces), a role (input, hidden, output) and a stage index (RandWire
stacks several stage graphs in one ArchGraph). Edges carry an optional op label.

The methods are thin: validation, pruning and identity live in their own modules, and each format
(json, networkx, graphml, dot, pyg) lives with its reader in `<format>_format.py` (DOT is written by
`graphnas.export`, the drawing source, with the data attributes `dot_format` defines).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from graphnas.graph.elements import Edge, InvalidArchError, Node
from graphnas.graph.identity import CanonicalId, canonical_id, is_isomorphic
from graphnas.graph.pruning import prune
from graphnas.graph.validation import structural_problems

if TYPE_CHECKING:
    import networkx as nx
    from torch_geometric.data import Data


Derived = TypeVar("Derived")


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
        return structural_problems(self)

    def validate(self, rules: RuleChecker | None = None, source: str = "architecture") -> ArchGraph:
        """Return self if valid; else raise InvalidArchError listing every problem at once."""
        problems = self.structural_problems()
        if not problems and rules is not None:
            problems = rules.problems(self)
        if problems:
            raise InvalidArchError(problems, source)
        return self

    def prune(self) -> ArchGraph:
        """Drop nodes on no input -> output path (NAS-Bench-101 rule); renumber the rest."""
        return prune(self)

    # ----------------------------------------------------------------------------- identity
    def canonical_id(self) -> CanonicalId:
        """Id equal for isomorphic labelled DAGs; `exact` False where the WL fallback was used
        (then a match must be confirmed with `is_isomorphic`)."""
        return canonical_id(self)

    def canonical_hash(self) -> str:
        """The digest of `canonical_id()` ("c:..." exact, "w:..." Weisfeiler-Lehman)."""
        return canonical_id(self).digest

    def derived(self, owner: object, name: str, compute: Callable[[], Derived]) -> Derived:
        """A value `owner` derives from this (immutable) graph, computed on the first call and
        carried with the graph afterwards (a space's identity of a proposal is computed once).
        Kept per owner object; neither compared nor pickled."""
        memo: dict[tuple[int, str], tuple[object, Any]] = self.__dict__.setdefault("_derived", {})
        key = (id(owner), name)
        kept = memo.get(key)
        if kept is None or kept[0] is not owner:
            kept = memo[key] = (owner, compute())
        return kept[1]

    def is_isomorphic(self, other: ArchGraph) -> bool:
        """Exact labelled-DAG isomorphism test (networkx VF2)."""
        return is_isomorphic(self, other)

    # ----------------------------------------------------------------------------- formats
    def to_dict(self) -> dict[str, Any]:
        """Versioned JSON-ready dict: {schema, space, nodes, edges, meta}."""
        from graphnas.graph.json_format import arch_to_dict

        return arch_to_dict(self)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any, source: str = "architecture") -> ArchGraph:
        """Parse a dict of the versioned schema; any problem raises InvalidArchError."""
        from graphnas.graph.json_format import arch_from_dict

        return arch_from_dict(data, source)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "architecture") -> ArchGraph:
        from graphnas.graph.json_format import arch_from_json

        return arch_from_json(text, source)

    def to_networkx(self) -> nx.DiGraph:
        """DiGraph with node attrs op/role/stage, edge attr op and graph attrs space/meta."""
        from graphnas.graph.networkx_format import arch_to_networkx

        return arch_to_networkx(self)

    @classmethod
    def from_networkx(cls, g: nx.DiGraph, space: str | None = None) -> ArchGraph:
        """Inverse of to_networkx; node keys are relabelled 0..n-1 in sorted order."""
        from graphnas.graph.networkx_format import arch_from_networkx

        return arch_from_networkx(g, space)

    def to_graphml(self) -> str:
        """GraphML text (None ops written as empty strings, meta as a JSON string)."""
        from graphnas.graph.graphml_format import arch_to_graphml

        return arch_to_graphml(self)

    @classmethod
    def from_graphml(cls, text: str, source: str = "graphml") -> ArchGraph:
        from graphnas.graph.graphml_format import arch_from_graphml

        return arch_from_graphml(text, source)

    @classmethod
    def from_dot(cls, text: str | bytes, source: str = "dot") -> ArchGraph:
        """Read DOT carrying graphnas's data attributes (what `graphnas export --format dot`
        writes); anything else is refused with InvalidArchError."""
        from graphnas.graph.dot_format import arch_from_dot

        return arch_from_dot(text, source)

    def to_pyg(self, node_vocab: Sequence[str], edge_vocab: Sequence[str] = ()) -> Data:
        """PyG Data: x [n] long op ids in node_vocab (-1 for None), edge_index [2, E] long,
        edge_attr [E] long op ids in edge_vocab (-1 for None), role [n] long, stage [n] long."""
        from graphnas.graph.pyg_format import arch_to_pyg

        return arch_to_pyg(self, node_vocab, edge_vocab)

    @classmethod
    def from_pyg(
        cls, data: Data, node_vocab: Sequence[str], edge_vocab: Sequence[str] = (), space: str = ""
    ) -> ArchGraph:
        """Inverse of to_pyg."""
        from graphnas.graph.pyg_format import arch_from_pyg

        return arch_from_pyg(data, node_vocab, edge_vocab, space)
