"""Architecture identity: a canonical id equal for isomorphic labelled DAGs, and an exact
isomorphism test for the ids that are not exact.

Labels are the node's op, role and stage and the edge's op. The canonical form is found by
individualisation-refinement; when that search would exceed `EXACT_SEARCH_LEAVES` leaves (very
symmetric large graphs) the id falls back to a Weisfeiler-Lehman hash, which non-isomorphic graphs
can share: such an id says `exact=False` and a match on it must be confirmed with `is_isomorphic`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphnas.graph.elements import Node

if TYPE_CHECKING:
    from graphnas.graph.arch import ArchGraph

# Leaves of the individualisation-refinement search before falling back to a WL hash.
EXACT_SEARCH_LEAVES = 512
EXACT_PREFIX = "c:"
APPROXIMATE_PREFIX = "w:"


@dataclass(frozen=True)
class CanonicalId:
    """`digest` ("c:" + sha256 of the canonical form, or "w:" + a WL hash); `exact` is True when
    equal digests imply isomorphic graphs (the "c:" form)."""

    digest: str
    exact: bool

    def __str__(self) -> str:
        return self.digest


def canonical_id(arch: ArchGraph, max_leaves: int = EXACT_SEARCH_LEAVES) -> CanonicalId:
    """The canonical id of `arch`: exact unless the search needs more than `max_leaves` leaves."""
    form = canonical_form(arch, max_leaves)
    if form is None:
        return CanonicalId(APPROXIMATE_PREFIX + _wl_hash(arch), exact=False)
    digest = hashlib.sha256(repr(form).encode()).hexdigest()[:32]
    return CanonicalId(EXACT_PREFIX + digest, exact=True)


def is_isomorphic(a: ArchGraph, b: ArchGraph) -> bool:
    """Exact labelled-DAG isomorphism (networkx VF2; node op/role/stage and edge op must match)."""
    import networkx as nx

    if (a.num_nodes, a.num_edges) != (b.num_nodes, b.num_edges):
        return False
    if sorted(map(_node_label, a.nodes)) != sorted(map(_node_label, b.nodes)):
        return False
    return nx.is_isomorphic(
        a.to_networkx(),
        b.to_networkx(),
        node_match=lambda x, y: (
            (x["op"], x["role"], x["stage"]) == (y["op"], y["role"], y["stage"])
        ),
        edge_match=lambda x, y: x["op"] == y["op"],
    )


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


def _wl_hash(arch: ArchGraph) -> str:
    import networkx as nx

    g = arch.to_networkx()
    for _, data in g.nodes(data=True):
        data["label"] = _node_label(Node(data["op"], data["role"], data["stage"]))
    for _, _, data in g.edges(data=True):
        data["label"] = data["op"] or ""
    return nx.weisfeiler_lehman_graph_hash(g, node_attr="label", edge_attr="label", iterations=5)
