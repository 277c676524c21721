"""The ENAS-style LSTM controller (Pham et al. 2018), the `reinforce_lstm` baseline's policy.

A 2-layer LSTM walks the nodes in order and makes the same decisions as the GraphPNAS generator,
under the same masks (`rollout.py`): for node t one LSTM step gives the op logits; a second step,
fed the chosen op, gives a query q_t, and each candidate predecessor j is scored by ENAS's
attention v^T tanh(W_a h_j + W_q q_t) (h_j: node j's second-step output), which also feeds the
edge op head. The next node's input is the mean of the chosen predecessors' outputs. Logits pass
through ENAS's squashing c * tanh(x / T) (tanh constant c = 2.5, temperature T = 5). The edge
distribution has a single mixture component.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from graphnas.generators.base import GENERATORS, AutoregressiveGenerator
from graphnas.generators.rollout import EdgeLogits, NodeChoice, Rollout
from graphnas.generators.structure import logit
from graphnas.spaces.base import SearchSpace


@dataclass
class _LSTMState:
    """Per-rollout state: LSTM (h, c) per layer, node outputs [R, H] per step, next input."""

    hidden: list[tuple[torch.Tensor, torch.Tensor]]
    outputs: list[torch.Tensor] = field(default_factory=list)
    anchors: list[torch.Tensor] = field(default_factory=list)
    next_input: torch.Tensor | None = None
    query: torch.Tensor | None = None
    stepped: bool = False


@GENERATORS.register("lstm")
class LSTMController(AutoregressiveGenerator):
    """ENAS controller over any space; see the module docstring."""

    kind = "lstm"

    def __init__(
        self,
        space: SearchSpace,
        hidden: int = 64,
        temperature: float = 1.0,
        tanh_constant: float = 2.5,
        logit_temperature: float = 5.0,
        edge_init_prob: float | None = None,
    ) -> None:
        super().__init__(space, hidden, temperature, edge_init_prob)
        st = self.structure
        H, n = hidden, max(st.block_size, 1)
        self.tanh_constant = float(tanh_constant)
        self.logit_temperature = float(logit_temperature)
        v_n, v_e = len(st.node_vocab), len(st.edge_vocab)
        self.cells = nn.ModuleList([nn.LSTMCell(H, H), nn.LSTMCell(H, H)])
        self.start = nn.Parameter(torch.zeros(H))
        self.position = nn.Embedding(n, H)
        self.stage = nn.Embedding(st.num_stages, H)
        self.node_op = nn.Embedding(v_n + 1, H)  # last row: no op chosen
        self.op_head = nn.Linear(H, max(v_n, 1))
        self.anchor = nn.Linear(H, H, bias=False)
        self.query = nn.Linear(H, H, bias=False)
        self.attend = nn.Linear(H, 1)
        self.edge_op_head = nn.Linear(H, max(v_e, 1))
        for layer in (self.op_head, self.edge_op_head):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        nn.init.normal_(self.attend.weight, std=0.1 / H**0.5)
        limit = 0.999 * self.tanh_constant
        target = max(-limit, min(limit, logit(self.edge_init_prob)))
        nn.init.constant_(
            self.attend.bias, self.logit_temperature * math.atanh(target / self.tanh_constant)
        )

    def options(self) -> dict[str, Any]:
        return {
            "hidden": self.hidden,
            "temperature": self.temperature,
            "tanh_constant": self.tanh_constant,
            "logit_temperature": self.logit_temperature,
            "edge_init_prob": self.edge_init_prob,
        }

    def _squash(self, x: torch.Tensor) -> torch.Tensor:
        return self.tanh_constant * torch.tanh(x / self.logit_temperature)

    def _step(self, ctx: _LSTMState, x: torch.Tensor) -> torch.Tensor:
        new_hidden = []
        for cell, state in zip(self.cells, ctx.hidden, strict=True):
            h, c = cell(x, state)
            new_hidden.append((h, c))
            x = h
        ctx.hidden = new_hidden
        return x

    # ------------------------------------------------------------------ policy hooks
    def begin(self, roll: Rollout) -> _LSTMState:
        zeros = self.start.new_zeros(roll.rows, self.hidden)
        state = _LSTMState([(zeros, zeros) for _ in self.cells])
        state.next_input = self.start.expand(roll.rows, self.hidden)
        return state

    def _first_step(self, ctx: _LSTMState, roll: Rollout, t: int) -> torch.Tensor:
        st = roll.structure
        assert ctx.next_input is not None
        x = ctx.next_input + self.position.weight[t] + self.stage(st.stage[roll.block])
        ctx.stepped = True
        return self._step(ctx, x)

    def op_logits(self, ctx: _LSTMState, roll: Rollout, t: int) -> torch.Tensor:
        return self._squash(self.op_head(self._first_step(ctx, roll, t)))

    def _second_step(self, ctx: _LSTMState, roll: Rollout, t: int, op: torch.Tensor) -> None:
        if not ctx.stepped:
            self._first_step(ctx, roll, t)
        ctx.query = self._step(ctx, self._op_embedding(op))

    def edge_logits(self, ctx: _LSTMState, roll: Rollout, t: int, op: torch.Tensor) -> EdgeLogits:
        self._second_step(ctx, roll, t, op)
        assert ctx.query is not None
        anchors = torch.stack(ctx.anchors, 1)  # [R, t, H]
        z = torch.tanh(anchors + self.query(ctx.query)[:, None, :])
        present = self._squash(self.attend(z)).transpose(1, 2)  # [R, 1, t]
        edge_ops = self._squash(self.edge_op_head(z)) if roll.structure.edge_vocab else None
        mixture = z.new_zeros(z.shape[0], 1)
        return EdgeLogits(mixture, present, edge_ops)

    def commit(self, ctx: _LSTMState, roll: Rollout, node: NodeChoice) -> None:
        t, op, edges = node.t, node.op, node.edges
        if ctx.query is None:
            self._second_step(ctx, roll, t, op)
        assert ctx.query is not None
        output = ctx.query
        if t:
            previous = torch.stack(ctx.outputs, 1)  # [R, t, H]
            weights = edges.to(previous.dtype)
            count = weights.sum(1, keepdim=True).clamp(min=1.0)
            chosen = (weights[:, :, None] * previous).sum(1) / count
        else:
            chosen = torch.zeros_like(output)
        ctx.outputs.append(output)
        ctx.anchors.append(self.anchor(output))
        ctx.next_input = chosen
        ctx.query = None
        ctx.stepped = False
