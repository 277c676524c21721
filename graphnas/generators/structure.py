"""What a node-by-node generator must respect, as tensors: `GenerationStructure`.

A space's `GenerationRules` are turned into static masks over *blocks*. A block is a run of nodes
that no allowed edge leaves (a RandWire stage); the blocks of one graph are independent DAGs, so a
generator builds them side by side as separate rows of one batch. Spaces whose edges may join any
two nodes form one block. Row r of a batch of B graphs is block `r % S` of graph `r // S`.

`GraphTensors` holds the decisions that make up a batch of graphs in that row layout, and the
structure converts between them and `ArchGraph`s (`encode` / `decode`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph, Edge, Node
from graphnas.spaces.base import GenerationRules, SearchSpace

ROLES = ("input", "hidden", "output")
INPUT, HIDDEN, OUTPUT = 0, 1, 2
NO_CHOICE = -1


@dataclass
class GraphTensors:
    """Decisions of R rows (blocks) of n node slots each.

    `node_op` [R, n] long: index into the node vocabulary of every decided op (-1 where the op is
    fixed by the space or the slot is unused); `adj` [R, n, n] bool: adj[r, j, t] is an edge j -> t;
    `edge_op` [R, n, n] long: index into the edge vocabulary (-1 where absent or unlabelled);
    `length` [R] long: nodes used by the row (the block size unless a stop op ended it earlier).
    """

    node_op: torch.Tensor
    adj: torch.Tensor
    edge_op: torch.Tensor
    length: torch.Tensor

    @property
    def rows(self) -> int:
        return self.node_op.shape[0]

    def to(self, device: torch.device) -> GraphTensors:
        return GraphTensors(
            self.node_op.to(device),
            self.adj.to(device),
            self.edge_op.to(device),
            self.length.to(device),
        )


class GenerationStructure:
    """Static masks and vocabularies of a space's generation rules, split into blocks.

    Tensors (S blocks, n = largest block, V_e edge ops), all on `device`:
    `allowed` [S, n, n] bool (j -> t may exist, roles permitting), `forced` [S, n, n] bool,
    `decide_op` [S, n] bool (the node's op is a decision), `fixed_op` holds the space's fixed op
    per global node, `role` [S, n] long (static role; a stop node becomes an output),
    `block_len` [S] long, `last_target` [S, n] long (last node j can feed, -1 if none),
    `edge_op_allowed` [S, n, n, V_e] bool.
    """

    def __init__(self, space: SearchSpace, device: torch.device | str = "cpu") -> None:
        rules = space.generation_rules()
        self.space = space
        self.rules = rules
        self.device = torch.device(device)
        self.num_nodes = rules.max_nodes
        self.node_vocab: tuple[str, ...] = tuple(rules.node_ops) + (
            (rules.stop_op,) if rules.stop_op is not None else ()
        )
        self.edge_vocab: tuple[str, ...] = tuple(rules.edge_ops)
        self.stop_index = len(self.node_vocab) - 1 if rules.stop_op is not None else None
        self.min_nodes = rules.min_nodes
        self.max_edges = rules.max_edges
        self.max_in_degree = rules.max_in_degree
        self.require_in = rules.require_in_edge
        self.require_out = rules.require_out_edge
        self.blocks = self._split_blocks(rules)
        self._check_supported(rules)
        self.num_blocks = len(self.blocks)
        self.block_size = max(size for _, size in self.blocks)
        self._build_tensors(rules)

    # ------------------------------------------------------------------ construction
    def _split_blocks(self, rules: GenerationRules) -> list[tuple[int, int]]:
        """(offset, size) of each block: runs of equal stage that no allowed edge crosses."""
        n = rules.max_nodes
        if rules.stop_op is not None or rules.max_edges is not None or n == 0:
            return [(0, n)]
        runs: list[tuple[int, int]] = []
        start = 0
        for i in range(1, n + 1):
            if i == n or rules.stages[i] != rules.stages[start]:
                runs.append((start, i - start))
                start = i
        block_of = [b for b, (off, size) in enumerate(runs) for _ in range(size)]
        for j in range(n):
            for t in range(n):
                crossing = block_of[j] != block_of[t]
                if crossing and (rules.allowed_edges[j][t] or rules.forced_edges[j][t]):
                    return [(0, n)]
        return runs

    def _check_supported(self, rules: GenerationRules) -> None:
        name = self.space.name
        if rules.stop_op is not None and not rules.node_ops:
            raise ConfigError(f"space {name!r}: a stop op needs node ops to choose from")
        if rules.stop_op is not None and 0 in rules.fixed_ops and rules.min_nodes < 1:
            raise ConfigError(f"space {name!r}: min_nodes must be at least 1")
        forced_any = any(any(row) for row in rules.forced_edges)
        if rules.max_edges is not None and forced_any:
            raise ConfigError(
                f"space {name!r}: the generator cannot combine max_edges with forced edges"
            )

    def _build_tensors(self, rules: GenerationRules) -> None:
        S, n = self.num_blocks, self.block_size
        v_e = len(self.edge_vocab)
        allowed = torch.zeros(S, n, n, dtype=torch.bool)
        forced = torch.zeros(S, n, n, dtype=torch.bool)
        decide = torch.zeros(S, n, dtype=torch.bool)
        role = torch.full((S, n), HIDDEN, dtype=torch.long)
        stage = torch.zeros(S, dtype=torch.long)
        block_len = torch.zeros(S, dtype=torch.long)
        edge_ops = torch.zeros(S, n, n, max(v_e, 1), dtype=torch.bool)
        choices = rules.edge_op_choices
        for s, (off, size) in enumerate(self.blocks):
            block_len[s] = size
            stage[s] = rules.stages[off] if rules.stages else 0
            for t in range(size):
                g = off + t
                role[s, t] = ROLES.index(rules.roles[g])
                decide[s, t] = g not in rules.fixed_ops and bool(self.node_vocab)
            for t in range(size):
                for j in range(t):
                    gj, gt = off + j, off + t
                    ok = rules.allowed_edges[gj][gt] or rules.forced_edges[gj][gt]
                    ok = ok and rules.roles[gt] != "input"
                    # In a stop space the static output role only marks the last slot.
                    ok = ok and (rules.roles[gj] != "output" or rules.stop_op is not None)
                    allowed[s, j, t] = ok
                    forced[s, j, t] = ok and rules.forced_edges[gj][gt]
                    if v_e:
                        names = choices[gj][gt] if choices is not None else None
                        names = self.edge_vocab if names is None else names
                        for name in names:
                            edge_ops[s, j, t, self.edge_vocab.index(name)] = True
        last_target = torch.full((S, n), -1, dtype=torch.long)
        for s in range(S):
            for j in range(n):
                targets = allowed[s, j].nonzero().flatten()
                if len(targets):
                    last_target[s, j] = int(targets.max())
        dev = self.device
        self.allowed = allowed.to(dev)
        self.forced = forced.to(dev)
        self.decide_op = decide.to(dev)
        self.role = role.to(dev)
        self.stage = stage.to(dev)
        self.block_len = block_len.to(dev)
        self.last_target = last_target.to(dev)
        self.edge_op_allowed = edge_ops.to(dev)
        self.num_stages = int(stage.max()) + 1 if S else 1
        self._allowed_list = allowed.tolist()
        self._edge_cache: dict[tuple[int, int, str | None], Edge] = {}
        self._where = [(s, t) for s, (_, size) in enumerate(self.blocks) for t in range(size)]

    def rows_of(self, num_graphs: int) -> torch.Tensor:
        """Block index of each of the num_graphs * S rows: [R] long."""
        return torch.arange(self.num_blocks, device=self.device).repeat(num_graphs)

    # ------------------------------------------------------------------ ArchGraph <-> tensors
    def empty(self, num_graphs: int) -> GraphTensors:
        R, n = num_graphs * self.num_blocks, self.block_size
        dev = self.device
        return GraphTensors(
            torch.full((R, n), NO_CHOICE, dtype=torch.long, device=dev),
            torch.zeros(R, n, n, dtype=torch.bool, device=dev),
            torch.full((R, n, n), NO_CHOICE, dtype=torch.long, device=dev),
            torch.zeros(R, dtype=torch.long, device=dev),
        )

    def encode(self, archs: Sequence[ArchGraph]) -> tuple[GraphTensors, list[list[str]]]:
        """Decisions that produce each arch, and per arch the reasons it is outside the support
        of the masks that static checks can see (the rollout finds the dynamic ones)."""
        S, n = self.num_blocks, self.block_size
        node_op = [[NO_CHOICE] * n for _ in range(len(archs) * S)]
        length = [0] * (len(archs) * S)
        edge_list: list[tuple[int, int, int, int]] = []
        problems: list[list[str]] = []
        for b, arch in enumerate(archs):
            found: list[str] = []
            self._encode_nodes(arch, b, node_op, length, found)
            if not found:
                self._encode_edges(arch, b, edge_list, found)
            problems.append(found)
        tensors = self.empty(len(archs))
        tensors.node_op = torch.tensor(node_op, dtype=torch.long, device=self.device).view(-1, n)
        tensors.length = torch.tensor(length, dtype=torch.long, device=self.device)
        if edge_list:
            idx = torch.tensor(edge_list, dtype=torch.long, device=self.device)
            tensors.adj[idx[:, 0], idx[:, 1], idx[:, 2]] = True
            tensors.edge_op[idx[:, 0], idx[:, 1], idx[:, 2]] = idx[:, 3]
        return tensors, problems

    def _encode_nodes(
        self,
        arch: ArchGraph,
        b: int,
        node_op: list[list[int]],
        length: list[int],
        found: list[str],
    ) -> None:
        rules = self.rules
        count = arch.num_nodes
        if self.stop_index is None and count != rules.max_nodes:
            found.append(f"has {count} nodes; the generator makes exactly {rules.max_nodes}")
            return
        if self.stop_index is not None and not (
            max(rules.min_nodes, 1) <= count <= rules.max_nodes
        ):
            found.append(
                f"has {count} nodes; the generator makes {rules.min_nodes}..{rules.max_nodes}"
            )
            return
        S = self.num_blocks
        for s, (_, size) in enumerate(self.blocks):
            length[b * S + s] = size if self.stop_index is None else count
        for g, node in enumerate(arch.nodes):
            s, t = self._locate(g)
            stop_here = self.stop_index is not None and g == count - 1
            expected_role = "output" if stop_here else rules.roles[g]
            if node.role != expected_role:
                found.append(f"node {g} has role {node.role!r}, expected {expected_role!r}")
            if rules.stages and node.stage != rules.stages[g]:
                found.append(f"node {g} is in stage {node.stage}, expected {rules.stages[g]}")
            if stop_here:
                if g in rules.fixed_ops:
                    found.append(f"node {g} cannot be the stop node: its op is fixed")
                elif node.op is not None:
                    found.append(f"output node {g} must have no op, got {node.op!r}")
                node_op[b * S + s][t] = self.stop_index  # type: ignore[assignment]
            elif g in rules.fixed_ops:
                if node.op != rules.fixed_ops[g]:
                    found.append(
                        f"node {g} op {node.op!r} differs from the fixed {rules.fixed_ops[g]!r}"
                    )
            elif node.op in rules.node_ops:
                node_op[b * S + s][t] = rules.node_ops.index(node.op)
            else:
                found.append(f"node {g} op {node.op!r} is not one of {', '.join(rules.node_ops)}")

    def _encode_edges(
        self, arch: ArchGraph, b: int, edge_list: list[tuple[int, int, int, int]], found: list[str]
    ) -> None:
        S = self.num_blocks
        for e in arch.edges:
            if not (0 <= e.src < e.dst < arch.num_nodes):
                found.append(f"edge {e.src}->{e.dst} does not go forward between existing nodes")
                continue
            (s, j), (s2, t) = self._locate(e.src), self._locate(e.dst)
            if s != s2 or not self._allowed_list[s][j][t]:
                found.append(f"edge {e.src}->{e.dst} is not allowed")
                continue
            if self.edge_vocab:
                if e.op not in self.edge_vocab:
                    found.append(f"edge {e.src}->{e.dst} op {e.op!r} is not in the edge vocabulary")
                    continue
                op = self.edge_vocab.index(e.op)
            else:
                if e.op is not None:
                    found.append(f"edge {e.src}->{e.dst} carries op {e.op!r}; edges have no ops")
                    continue
                op = NO_CHOICE
            edge_list.append((b * S + s, j, t, op))

    def _locate(self, g: int) -> tuple[int, int]:
        """(block, index in block) of global node g."""
        return self._where[g]

    def decode(self, tensors: GraphTensors) -> list[ArchGraph]:
        """ArchGraphs from decisions (rows of a graph are consecutive)."""
        S = self.num_blocks
        node_op = tensors.node_op.tolist()
        length = tensors.length.tolist()
        graphs = len(length) // S
        per_graph = self._decode_edges(tensors, graphs)
        archs = []
        block_nodes: dict[tuple[int, tuple[int, ...]], tuple[Node, ...]] = {}
        for b in range(graphs):
            nodes: tuple[Node, ...] = ()
            for s in range(S):
                r = b * S + s
                key = (s, tuple(node_op[r][: length[r]]))
                if key not in block_nodes:
                    block_nodes[key] = self._block_nodes(s, key[1])
                nodes += block_nodes[key]
            archs.append(ArchGraph(nodes, per_graph[b], self.space.name))
        return archs

    def _decode_edges(self, tensors: GraphTensors, graphs: int) -> list[tuple[Edge, ...]]:
        """Each graph's edges, sorted by (src, dst). Edge objects are immutable and shared."""
        found = tensors.adj.nonzero()  # [M, 3] rows (r, j, t) in lexicographic order
        if not len(found):
            return [() for _ in range(graphs)]
        r, j, t = found.unbind(1)
        offsets = torch.tensor([off for off, _ in self.blocks], device=r.device)
        base = offsets[r % self.num_blocks]
        names = (*self.edge_vocab, None)  # op index -1 -> None
        keys = zip(
            (base + j).tolist(),
            (base + t).tolist(),
            (names[k] for k in tensors.edge_op[r, j, t].tolist()),
            strict=True,
        )
        cache = self._edge_cache
        flat = [cache.get(k) or cache.setdefault(k, Edge(*k)) for k in keys]
        counts = torch.bincount(r // self.num_blocks, minlength=graphs).tolist()
        per_graph, start = [], 0
        for count in counts:
            per_graph.append(tuple(flat[start : start + count]))
            start += count
        return per_graph

    def _block_nodes(self, s: int, choices: tuple[int, ...]) -> tuple[Node, ...]:
        """The nodes of block s given its op decisions (-1: the space's fixed op)."""
        rules, off = self.rules, self.blocks[s][0]
        nodes = []
        for t, choice in enumerate(choices):
            g = off + t
            if self.stop_index is not None and choice == self.stop_index:
                nodes.append(Node(None, "output", rules.stages[g]))
            elif choice >= 0:
                nodes.append(Node(self.node_vocab[choice], rules.roles[g], rules.stages[g]))
            else:
                nodes.append(Node(rules.fixed_ops.get(g), rules.roles[g], rules.stages[g]))
        return tuple(nodes)


def logit(p: float) -> float:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))
