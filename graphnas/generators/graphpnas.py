"""The GraphPNAS generator: an autoregressive GNN over partial DAGs (GRAN-style, block size 1).

At step t the new node t is embedded from its position, stage and static role. A gated
message-passing layer (`GatedGRUConv`) reads every candidate predecessor j < t into the new
node's context u_t; heads on u_t give the node's op, then (conditioned on that op) the mixture
weights over K components, and heads on each pair (u_t, j) give per-component edge logits and the
edge's op logits. Once node t's edges are decided it is embedded by `layers` further gated layers
over its actual in-edges (labelled by edge op). Because node ids are a topological order, a node's
embedding depends only on its ancestors and never changes afterwards, so each node is embedded
once: generating a graph costs O(edges) message passing instead of GRAN's O(nodes x edges).
What a node cannot see through its ancestors (its successors so far) enters its candidate
features as its out-degree, whether it still needs a successor, and a running sum of messages
from its successors. First layers that act on concatenations are applied per node instead of per
pair (they are linear), which keeps the O(nodes^2) candidate pairs cheap.

Output layers start at zero (ops and mixture weights uniform; edge logits at the prior's edge
density plus small noise that tells the mixture components apart), so an untrained generator
draws from roughly the space's own prior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from graphnas.generators.base import GENERATORS, AutoregressiveGenerator
from graphnas.generators.layers import GatedGRUConv
from graphnas.generators.rollout import EdgeLogits, NodeChoice, Rollout
from graphnas.generators.structure import logit
from graphnas.spaces.base import SearchSpace


@dataclass
class _GraphState:
    """Per-rollout state: `layers[l][t]` [R, H] is node t after layer l (l = 0: input);
    `tops[t]` [R, H] node t's final state mapped to candidate-feature space; `successors` [R, n, H]
    sums (in that space) messages from each node's successors; the rest is step-t cache."""

    layers: list[list[torch.Tensor]]
    tops: list[torch.Tensor]
    successors: torch.Tensor
    x_t: torch.Tensor | None = None
    context: torch.Tensor | None = None
    candidates: torch.Tensor | None = None


@GENERATORS.register("graphpnas")
class GraphPNASGenerator(AutoregressiveGenerator):
    """GraphPNAS generator for any space; see the module docstring.

    Options: `hidden` width H, `layers` gated layers per node, `mixtures` K Bernoulli-mixture
    components, `temperature`, `edge_init_prob` (initial edge probability; None: the edge density
    of the space's prior).
    """

    kind = "graphpnas"

    def __init__(
        self,
        space: SearchSpace,
        hidden: int = 32,
        layers: int = 3,
        mixtures: int = 10,
        temperature: float = 1.0,
        edge_init_prob: float | None = None,
    ) -> None:
        super().__init__(space, hidden, temperature, edge_init_prob)
        if hidden < 1 or layers < 1 or mixtures < 1:
            raise ValueError("hidden, layers and mixtures must be >= 1")
        st = self.structure
        H, n = hidden, max(st.block_size, 1)
        self.num_layers, self.mixtures = layers, mixtures
        v_n, v_e = len(st.node_vocab), len(st.edge_vocab)
        self.position = nn.Embedding(n, H)
        self.stage = nn.Embedding(st.num_stages, H)
        self.role = nn.Embedding(3, H)
        self.node_op = nn.Embedding(v_n + 1, H)  # last row: no op chosen
        # Candidate features of node j at step t: top(h_j) + sum of successor(h_s) over its
        # successors s so far + a linear code of (log(1 + out-degree), still needs a successor).
        self.top = nn.Linear(H, H)
        self.successor = nn.Linear(H, H, bias=False)
        self.degree = nn.Linear(2, H, bias=False)
        self.context_conv = GatedGRUConv(H, n)  # edge type: offset t - j
        self.node_convs = nn.ModuleList(GatedGRUConv(H, v_e + 1) for _ in range(layers))
        self.op_head = nn.Sequential(nn.Linear(H, H), nn.ReLU(), nn.Linear(H, max(v_n, 1)))
        self.mixture_head = nn.Linear(H, mixtures)
        # Pair head: relu(W_u u + W_c c_j + w_(t-j)) -> per-component edge logits, edge-op logits.
        self.pair_context = nn.Linear(H, H)
        self.pair_candidate = nn.Linear(H, H, bias=False)
        self.pair_offset = nn.Embedding(n, H)
        self.present_head = nn.Linear(H, mixtures)
        self.edge_op_head = nn.Linear(H, max(v_e, 1))
        self._init_outputs()

    def _init_outputs(self) -> None:
        for layer in (self.op_head[-1], self.mixture_head, self.edge_op_head):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        nn.init.normal_(self.present_head.weight, std=0.1 / self.hidden**0.5)
        nn.init.constant_(self.present_head.bias, logit(self.edge_init_prob))

    def options(self) -> dict[str, Any]:
        return {
            "hidden": self.hidden,
            "layers": self.num_layers,
            "mixtures": self.mixtures,
            "temperature": self.temperature,
            "edge_init_prob": self.edge_init_prob,
        }

    # ------------------------------------------------------------------ policy hooks
    def begin(self, roll: Rollout) -> _GraphState:
        R, n = roll.rows, roll.structure.block_size
        successors = self.position.weight.new_zeros(R, n, self.hidden)
        return _GraphState([[] for _ in range(self.num_layers + 1)], [], successors)

    def op_logits(self, ctx: _GraphState, roll: Rollout, t: int) -> torch.Tensor:
        self._prepare(ctx, roll, t)
        assert ctx.context is not None
        return self.op_head(ctx.context)

    def edge_logits(self, ctx: _GraphState, roll: Rollout, t: int, op: torch.Tensor) -> EdgeLogits:
        if ctx.context is None:  # no op decision at this step
            self._prepare(ctx, roll, t)
        assert ctx.context is not None and ctx.candidates is not None
        u = ctx.context + self._op_embedding(op)
        offsets = self.pair_offset(t - torch.arange(t, device=u.device))  # [t, H]
        z = torch.relu(
            self.pair_context(u)[:, None, :] + self.pair_candidate(ctx.candidates) + offsets
        )
        present = self.present_head(z).transpose(1, 2)  # [R, K, t]
        edge_ops = self.edge_op_head(z) if roll.structure.edge_vocab else None
        return EdgeLogits(self.mixture_head(u), present, edge_ops)

    def commit(self, ctx: _GraphState, roll: Rollout, node: NodeChoice) -> None:
        t, op, edges, edge_ops = node.t, node.op, node.edges, node.edge_ops
        if ctx.x_t is None:
            self._prepare(ctx, roll, t)
        assert ctx.x_t is not None
        state = ctx.x_t + self._op_embedding(op)
        ctx.layers[0].append(state)
        rows, cols = edges.nonzero(as_tuple=True)
        labels = edge_ops[rows, cols]
        kinds = torch.where(labels < 0, self.node_convs[0].edge_type.num_embeddings - 1, labels)
        edge_index = torch.stack([torch.arange(len(rows), device=rows.device), rows])
        for layer, conv in enumerate(self.node_convs, start=1):
            previous = ctx.layers[layer]
            sources = torch.stack(previous, 1)[rows, cols] if t else state.new_zeros(0, self.hidden)
            state = conv(sources, state, edge_index, kinds)
            previous.append(state)
        ctx.tops.append(self.top(state))
        if t:
            grown = state.new_zeros(edges.shape[0], ctx.successors.shape[1])
            grown[:, :t] = edges.to(state.dtype)
            ctx.successors = ctx.successors + grown[:, :, None] * self.successor(state)[:, None]
        ctx.x_t = ctx.context = ctx.candidates = None

    # ------------------------------------------------------------------ helpers
    def _prepare(self, ctx: _GraphState, roll: Rollout, t: int) -> None:
        """Embed the new node, its candidate predecessors, and its context u_t."""
        st, blk = roll.structure, roll.block
        x_t = self.position.weight[t] + self.stage(st.stage[blk]) + self.role(st.role[blk, t])
        R, H = x_t.shape
        if t == 0:
            candidates = x_t.new_zeros(R, 0, H)
            edge_index = torch.zeros(2, 0, dtype=torch.long, device=x_t.device)
            kinds = edge_index[0]
        else:
            counts = torch.stack(
                [
                    torch.log1p(roll.out_degree[:, :t].to(x_t.dtype)),
                    roll.is_open[:, :t].to(x_t.dtype),
                ],
                dim=-1,
            )
            candidates = (
                torch.stack(ctx.tops, 1) + ctx.successors[:, :t] + self.degree(counts)
            )  # [R, t, H]
            rows, cols = st.allowed[blk, :t, t].nonzero(as_tuple=True)
            edge_index = torch.stack([rows * t + cols, rows])
            kinds = t - cols
        ctx.x_t = x_t
        ctx.candidates = candidates
        ctx.context = self.context_conv(candidates.reshape(-1, H), x_t, edge_index, kinds)
