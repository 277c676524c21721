"""Structural validation of an ArchGraph: ids, topological order, cycles, duplicates, roles, size.

Space rules (op vocabularies, node counts) are checked by the space; this module checks only what
every architecture must satisfy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphnas.graph.elements import MAX_EDGES, MAX_NODES, ROLES

if TYPE_CHECKING:
    from graphnas.graph.arch import ArchGraph


def structural_problems(arch: ArchGraph) -> list[str]:
    """Every structural problem of `arch`, in a stable order (empty when it is well formed)."""
    problems: list[str] = []
    n = arch.num_nodes
    if n > MAX_NODES:
        problems.append(f"{n} nodes exceed the hard limit of {MAX_NODES}")
    if arch.num_edges > MAX_EDGES:
        problems.append(f"{arch.num_edges} edges exceed the hard limit of {MAX_EDGES}")
    for i, node in enumerate(arch.nodes):
        if node.role not in ROLES:
            problems.append(f"node {i} has unknown role {node.role!r} (valid: {', '.join(ROLES)})")
        if node.op is not None and not isinstance(node.op, str):
            problems.append(f"node {i} op must be a string or null")
        if not isinstance(node.stage, int) or node.stage < 0:
            problems.append(f"node {i} stage must be a non-negative integer")
    seen: set[tuple[int, int]] = set()
    backward = False
    for e in arch.edges:
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
        if arch.nodes[e.dst].role == "input":
            problems.append(f"edge {e.src}->{e.dst} enters input node {e.dst}")
        if arch.nodes[e.src].role == "output":
            problems.append(f"edge {e.src}->{e.dst} leaves output node {e.src}")
    in_range = [(e.src, e.dst) for e in arch.edges if 0 <= e.src < n and 0 <= e.dst < n]
    if backward and has_cycle(n, [(s, d) for s, d in in_range if s != d]):
        problems.append("the edges form a cycle")
    return problems


def has_cycle(n: int, pairs: list[tuple[int, int]]) -> bool:
    """True when the directed edges `pairs` over nodes 0..n-1 contain a cycle (Kahn's algorithm)."""
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
