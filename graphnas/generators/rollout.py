"""The node-by-node decision process shared by every autoregressive generator.

A `Rollout` runs R rows (blocks of graphs, see `structure.py`) through the same steps, either
sampling each decision or reading it from given graphs (teacher forcing). Both modes go through the
same code, so the log-probability of a sampled graph and that of the same graph scored later agree.

Step t adds node t of every row:
1. its op, if the space lets the node choose one: a categorical over the node vocabulary, masked
   so that a stop op (NB101's output) is only offered when the graph may end there and is forced
   on the last slot or when the edge budget leaves no room for another node;
2. its incoming edges from candidates j < t: a K-component mixture of Bernoulli products. The
   masks come from the rules: candidates (allowed edges, roles), forced edges (the space's, and
   edges from nodes that still need a successor when node t is their last chance), at least one
   in-edge when required, and edge budgets (max in-degree, max edges counting what the rest of the
   graph will need). Masked decisions are made in candidate order, so each Bernoulli is
   renormalised over the choices still feasible: a forced or blocked edge costs no probability;
3. the op of each new edge (edge-labelled spaces), a categorical masked to the ops allowed there.

The probability of a graph is the product of all decisions; the mixture component is summed out
per step. The entropy reported per graph is the sum over steps of each decision's entropy given
the graph so far; for the edge mixture it is H(component) + sum_k alpha_k H(edges | k), an upper
bound on the mixture's own entropy (exact when K = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import torch

from graphnas.generators.categorical import masked_categorical
from graphnas.generators.edges import UNLIMITED, EdgeConstraints, mixture_edges
from graphnas.generators.structure import (
    INPUT,
    NO_CHOICE,
    OUTPUT,
    GenerationStructure,
    GraphTensors,
)


@dataclass
class EdgeLogits:
    """Logits of step t: `mixture` [R, K], `present` [R, K, t] per component and candidate,
    `op` [R, t, V_e] for edge-labelled spaces (else None)."""

    mixture: torch.Tensor
    present: torch.Tensor
    op: torch.Tensor | None


@dataclass
class NodeChoice:
    """Node t's final decisions: `op` [R] long, `edges` [R, t] bool, `edge_ops` [R, t] long
    (-1: no op chosen / no edge)."""

    t: int
    op: torch.Tensor
    edges: torch.Tensor
    edge_ops: torch.Tensor


class StepPolicy(Protocol):
    """What a generator network supplies to a rollout; `ctx` is its own per-rollout state."""

    def begin(self, roll: Rollout) -> Any: ...

    def op_logits(self, ctx: Any, roll: Rollout, t: int) -> torch.Tensor:
        """[R, V_n] logits of node t's op."""

    def edge_logits(self, ctx: Any, roll: Rollout, t: int, op: torch.Tensor) -> EdgeLogits:
        """Logits of node t's in-edges given its op ([R] long, -1 where fixed)."""

    def commit(self, ctx: Any, roll: Rollout, node: NodeChoice) -> None:
        """Node `node.t` is final (its op, in-edges and their ops)."""


@dataclass
class RolloutResult:
    """Decisions and per-row totals: `log_prob`, `entropy` [R] float; `outside` [R] bool marks
    given rows that the masks cannot produce (teacher forcing only)."""

    tensors: GraphTensors
    log_prob: torch.Tensor
    entropy: torch.Tensor
    outside: torch.Tensor


class Rollout:
    """Runs the decision process for `num_graphs` graphs; see the module docstring.

    Public state a policy may read while the rollout runs: `structure`, `block` [R] (block index),
    `adj` [R, n, n] bool, `out_degree` [R, n] long, `is_open` [R, n] bool (needs a successor
    still), `role` [R, n] long, `active` [R] bool (row still growing).
    """

    def __init__(
        self,
        structure: GenerationStructure,
        num_graphs: int,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
        given: GraphTensors | None = None,
    ) -> None:
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.structure = structure
        self.num_graphs = num_graphs
        self.temperature = float(temperature)
        self.rng = generator
        self.given = given
        self.block = structure.rows_of(num_graphs)
        self.rows = len(self.block)
        dev = structure.device
        R, n = self.rows, structure.block_size
        self.out = structure.empty(num_graphs)
        self.adj = self.out.adj
        self.out_degree = torch.zeros(R, n, dtype=torch.long, device=dev)
        self.is_open = torch.zeros(R, n, dtype=torch.bool, device=dev)
        self.role = structure.role[self.block].clone()
        self.n_edges = torch.zeros(R, dtype=torch.long, device=dev)
        self.alive = torch.ones(R, dtype=torch.bool, device=dev)
        self.active = self.alive.clone()
        # Totals are accumulated in float64 so that long graphs keep their precision.
        self.log_prob = torch.zeros(R, dtype=torch.float64, device=dev)
        self.entropy = torch.zeros(R, dtype=torch.float64, device=dev)
        self.outside = torch.zeros(R, dtype=torch.bool, device=dev)

    # ------------------------------------------------------------------ main loop
    def run(self, policy: StepPolicy) -> RolloutResult:
        st = self.structure
        ctx = policy.begin(self)
        for t in range(st.block_size):
            self.active = self.alive & (t < st.block_len[self.block])
            if not bool(self.active.any()):
                break
            op = self._node_op(policy, ctx, t)
            stop = (op == st.stop_index) if st.stop_index is not None else None
            stop = stop & self.active if stop is not None else torch.zeros_like(self.active)
            role_t = torch.where(stop, OUTPUT, st.role[self.block, t])
            edges, edge_ops = self._edges(policy, ctx, t, op, stop, role_t)
            policy.commit(ctx, self, NodeChoice(t, op, edges, edge_ops))
            self._commit(t, op, edges, edge_ops, stop, role_t)
        if self.given is not None:
            self.outside |= self.out.length != self.given.length
        return RolloutResult(self.out, self.log_prob, self.entropy, self.outside)

    # ------------------------------------------------------------------ node op
    def _node_op(self, policy: StepPolicy, ctx: Any, t: int) -> torch.Tensor:
        st = self.structure
        decide = st.decide_op[self.block, t] & self.active
        if not bool(decide.any()):
            return torch.full_like(self.block, NO_CHOICE)
        mask = self._op_mask(t)
        logits = policy.op_logits(ctx, self, t).double() / self.temperature
        given = self.given.node_op[:, t] if self.given is not None else None
        choice, lp, ent, bad = masked_categorical(logits, mask, decide, given, self.rng)
        self.log_prob = self.log_prob + lp
        self.entropy = self.entropy + ent
        self.outside |= bad
        return torch.where(decide, choice, NO_CHOICE)

    def _op_mask(self, t: int) -> torch.Tensor:
        """[R, V_n] ops open to node t: a stop op only when the graph may (or must) end here."""
        st = self.structure
        R, V = self.rows, len(st.node_vocab)
        mask = torch.ones(R, V, dtype=torch.bool, device=st.device)
        if st.stop_index is None:
            return mask
        last_slot = t >= st.block_len[self.block] - 1
        go_on = ~last_slot
        if st.max_edges is not None:
            future = max(1, st.min_nodes - t - 1)
            left = st.max_edges - self.n_edges
            if st.require_out:
                go_on &= left - (future - 1) - self.is_open.sum(1) - 1 >= 0
            elif st.require_in:
                go_on &= left - future >= 1
        may_stop = torch.full_like(go_on, t >= st.min_nodes - 1) | ~go_on
        mask[:, : st.stop_index] = go_on[:, None]
        mask[:, st.stop_index] = may_stop
        return mask

    # ------------------------------------------------------------------ edges
    def _edges(
        self,
        policy: StepPolicy,
        ctx: Any,
        t: int,
        op: torch.Tensor,
        stop: torch.Tensor,
        role_t: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dev = self.structure.device
        edges = torch.zeros(self.rows, t, dtype=torch.bool, device=dev)
        edge_ops = torch.full((self.rows, t), NO_CHOICE, dtype=torch.long, device=dev)
        if t == 0:
            return edges, edge_ops
        cons = self._edge_constraints(t, stop, role_t)
        if not bool(cons.candidate.any()):
            if self.given is not None:
                self.outside |= self.given.adj[:, :t, t].any(1) & self.active
            return edges, edge_ops
        logits = policy.edge_logits(ctx, self, t, op)
        given = self.given.adj[:, :t, t] if self.given is not None else None
        edges, lp, ent, outside = mixture_edges(
            logits.mixture, logits.present, cons, given, self.temperature, self.rng
        )
        self.log_prob = self.log_prob + lp
        self.entropy = self.entropy + ent
        self.outside |= outside
        if self.structure.edge_vocab:
            given_ops = self.given.edge_op[:, :t, t] if self.given is not None else None
            edge_ops = self._edge_ops(logits.op, t, edges, given_ops)
        return edges, edge_ops

    def _edge_constraints(
        self, t: int, stop: torch.Tensor, role_t: torch.Tensor
    ) -> EdgeConstraints:
        st, blk = self.structure, self.block
        R, dev = self.rows, st.device
        candidate = (
            st.allowed[blk, :t, t]
            & self.active[:, None]
            & (role_t != INPUT)[:, None]
            & (self.role[:, :t] != OUTPUT)
        )
        forced = st.forced[blk, :t, t] & candidate
        if st.require_out:
            last_chance = stop[:, None] | (st.last_target[blk, :t] == t)
            forced = forced | (self.is_open[:, :t] & candidate & last_chance)
        if st.require_in:
            need_one = self.active & (role_t != INPUT) & ~forced.any(1)
        else:
            need_one = torch.zeros(R, dtype=torch.bool, device=dev)
        cap = torch.full((R,), UNLIMITED, dtype=torch.long, device=dev)
        budget = torch.full((R,), UNLIMITED, dtype=torch.long, device=dev)
        costly = torch.zeros(R, t, dtype=torch.bool, device=dev)
        if st.max_edges is not None:
            if st.stop_index is not None:
                future = torch.where(stop, 0, max(1, st.min_nodes - t - 1))
            else:
                future = st.block_len[blk] - 1 - t
            left = st.max_edges - self.n_edges
            more = future >= 1
            if st.require_out:
                # Node t opens itself; every open node will need one edge, so only edges from
                # nodes that already have a successor ("costly") eat into the spare budget.
                spare = left - (future - 1) - self.is_open.sum(1) - 1
                budget = torch.where(more, spare, UNLIMITED)
                cap = torch.where(more, UNLIMITED, left)
                costly = ~self.is_open[:, :t] & more[:, None]
            elif st.require_in:
                cap = torch.where(more, left - future, left)
            else:
                cap = left
        if st.max_in_degree is not None:
            cap = cap.clamp(max=st.max_in_degree)
        sequential = st.max_edges is not None or st.max_in_degree is not None
        return EdgeConstraints(candidate, forced, need_one, cap, costly, budget, sequential)

    def _edge_ops(
        self,
        op_logits: torch.Tensor | None,
        t: int,
        edges: torch.Tensor,
        given: torch.Tensor | None,
    ) -> torch.Tensor:
        """Ops [R, t] of the new edges (-1 where absent)."""
        assert op_logits is not None, "an edge-labelled space needs edge op logits"
        st = self.structure
        mask = st.edge_op_allowed[self.block, :t, t]  # [R, t, V_e]
        decide = edges & (mask.sum(-1) > 1)
        R, V = self.rows, mask.shape[-1]
        flat_given = given.reshape(-1) if given is not None else None
        choice, lp, ent, bad = masked_categorical(
            (op_logits.double() / self.temperature).reshape(R * t, V),
            mask.reshape(R * t, V),
            decide.reshape(-1),
            flat_given,
            self.rng,
        )
        only = mask.float().argmax(-1)  # the single allowed op where there is no choice
        ops = torch.where(decide, choice.view(R, t), only)
        if given is not None:
            forced_wrong = edges & ~decide & (given != only)
            self.outside |= bad.view(R, t).any(1) | forced_wrong.any(1)
        self.log_prob = self.log_prob + lp.view(R, t).sum(1)
        self.entropy = self.entropy + ent.view(R, t).sum(1)
        return torch.where(edges, ops, NO_CHOICE)

    # ------------------------------------------------------------------ bookkeeping
    def _commit(
        self,
        t: int,
        op: torch.Tensor,
        edges: torch.Tensor,
        edge_ops: torch.Tensor,
        stop: torch.Tensor,
        role_t: torch.Tensor,
    ) -> None:
        st, active = self.structure, self.active
        edges = edges & active[:, None]
        self.out.node_op[:, t] = torch.where(active, op, NO_CHOICE)
        self.adj[:, :t, t] = edges
        self.out.edge_op[:, :t, t] = torch.where(edges, edge_ops, NO_CHOICE)
        self.out.length = torch.where(active, t + 1, self.out.length)
        self.n_edges = self.n_edges + edges.sum(1)
        self.out_degree[:, :t] += edges.long()
        self.is_open[:, :t] &= ~edges
        if st.require_out:
            self.is_open[:, t] = active & (role_t != OUTPUT)
        self.role[:, t] = torch.where(active, role_t, self.role[:, t])
        self.alive = self.alive & ~stop
