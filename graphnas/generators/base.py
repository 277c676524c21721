"""The generator contract: `sample(n) -> SampleBatch` and an exact `log_prob(archs)`.

`AutoregressiveGenerator` is the base of the learned generators (GraphPNAS, the LSTM controller):
a subclass supplies the logits of each decision (the `StepPolicy` methods of `rollout.py`) and
inherits batched sampling, teacher-forced scoring, masking and (de)serialisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from graphnas.generators.rollout import EdgeLogits, NodeChoice, Rollout, RolloutResult
from graphnas.generators.structure import GenerationStructure, GraphTensors
from graphnas.graph import ArchGraph
from graphnas.registry import Registry
from graphnas.spaces.base import SearchSpace

GENERATORS: Registry = Registry("generator")
PRIOR_DENSITY_SAMPLES = 32


@dataclass
class SampleBatch:
    """n sampled architectures with their log-probabilities and entropies, each [n] float."""

    archs: list[ArchGraph]
    log_prob: torch.Tensor
    entropy: torch.Tensor

    def __len__(self) -> int:
        return len(self.archs)


class AutoregressiveGenerator(nn.Module):
    """A node-by-node generator whose samples obey the space's rules by construction.

    Subclasses implement `begin`, `op_logits`, `edge_logits` and `commit` (see `StepPolicy`),
    create `node_op` (an embedding of the node ops, last row: no op chosen) and list their
    constructor options in `options()` so checkpoints can rebuild them. Every one takes the width
    `hidden`, the sampling `temperature` and `edge_init_prob` (initial edge probability; None:
    the edge density of the space's prior).
    """

    kind: ClassVar[str]
    node_op: nn.Embedding

    def __init__(
        self,
        space: SearchSpace,
        hidden: int,
        temperature: float = 1.0,
        edge_init_prob: float | None = None,
    ) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.space = space
        self.hidden = hidden
        self.temperature = float(temperature)
        self._structures: dict[torch.device, GenerationStructure] = {}
        self.structure = self.structure_on(torch.device("cpu"))
        self.edge_init_prob = (
            prior_edge_density(space) if edge_init_prob is None else float(edge_init_prob)
        )

    # ------------------------------------------------------------------ device handling
    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def structure_on(self, device: torch.device) -> GenerationStructure:
        """The space's masks as tensors on `device` (built once per device)."""
        if device not in self._structures:
            self._structures[device] = GenerationStructure(self.space, device)
        return self._structures[device]

    # ------------------------------------------------------------------ sampling and scoring
    def rollout(
        self,
        num_graphs: int,
        *,
        given: GraphTensors | None = None,
        generator: torch.Generator | None = None,
        temperature: float | None = None,
    ) -> RolloutResult:
        """Run the decision process on `num_graphs` graphs (sampling, or scoring `given`)."""
        structure = self.structure_on(self.device)
        roll = Rollout(
            structure,
            num_graphs,
            temperature=self.temperature if temperature is None else temperature,
            generator=generator,
            given=given,
        )
        return roll.run(self)

    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        temperature: float | None = None,
    ) -> SampleBatch:
        """n graphs drawn at once; log_prob and entropy [n] (no gradient)."""
        with torch.no_grad():
            result = self.rollout(n, generator=generator, temperature=temperature)
        structure = self.structure_on(self.device)
        blocks = structure.num_blocks
        return SampleBatch(
            structure.decode(result.tensors),
            result.log_prob.view(n, blocks).sum(1),
            result.entropy.view(n, blocks).sum(1),
        )

    def score(
        self, archs: Sequence[ArchGraph], temperature: float | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced (log_prob [n], entropy [n], supported [n] bool), with gradients.

        An architecture the generator cannot produce gets log_prob -inf and supported False.
        """
        structure = self.structure_on(self.device)
        tensors, problems = structure.encode(archs)
        result = self.rollout(len(archs), given=tensors, temperature=temperature)
        blocks = structure.num_blocks
        outside = result.outside.view(len(archs), blocks).any(1)
        static_bad = torch.tensor([bool(p) for p in problems], device=outside.device)
        supported = ~(outside | static_bad)
        log_prob = result.log_prob.view(len(archs), blocks).sum(1)
        log_prob = torch.where(supported, log_prob, torch.full_like(log_prob, -torch.inf))
        entropy = result.entropy.view(len(archs), blocks).sum(1)
        return log_prob, entropy, supported

    def log_prob(
        self, archs: Sequence[ArchGraph], temperature: float | None = None
    ) -> torch.Tensor:
        """Exact log-probability [n] of each architecture's encoding (-inf outside the support)."""
        return self.score(archs, temperature)[0]

    def supports(self, archs: Sequence[ArchGraph]) -> list[bool]:
        """Whether each architecture is one the generator can produce."""
        with torch.no_grad():
            return self.score(archs)[2].tolist()

    # ------------------------------------------------------------------ policy hooks
    def begin(self, roll: Rollout) -> Any:
        raise NotImplementedError

    def op_logits(self, ctx: Any, roll: Rollout, t: int) -> torch.Tensor:
        raise NotImplementedError

    def edge_logits(self, ctx: Any, roll: Rollout, t: int, op: torch.Tensor) -> EdgeLogits:
        raise NotImplementedError

    def commit(self, ctx: Any, roll: Rollout, node: NodeChoice) -> None:
        raise NotImplementedError

    def _op_embedding(self, op: torch.Tensor) -> torch.Tensor:
        """[R, H] embedding of each row's op ([R] long, -1: no op chosen)."""
        none = self.node_op.num_embeddings - 1
        return self.node_op(torch.where(op < 0, none, op))

    # ------------------------------------------------------------------ persistence
    def options(self) -> dict[str, Any]:
        """Constructor options (besides the space) that rebuild this generator."""
        raise NotImplementedError

    def to_checkpoint(self) -> dict[str, Any]:
        """Everything needed to rebuild the generator: kind, space, options, weights."""
        return {
            "kind": self.kind,
            "space": self.space.to_config(),
            "options": self.options(),
            "state_dict": {k: v.detach().cpu() for k, v in self.state_dict().items()},
        }


def generator_from_checkpoint(
    checkpoint: dict[str, Any], device: torch.device | str = "cpu"
) -> AutoregressiveGenerator:
    """Rebuild a generator saved by `to_checkpoint`."""
    from graphnas.spaces import space_from_config

    space = space_from_config(checkpoint["space"], "generator checkpoint")
    cls = GENERATORS.get(checkpoint["kind"])
    model = cls(space, **checkpoint["options"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device)


def prior_edge_density(space: SearchSpace, samples: int = PRIOR_DENSITY_SAMPLES) -> float:
    """Fraction of optional (allowed, not forced) node pairs that are edges in prior samples."""
    rules = space.generation_rules()
    optional = [
        (j, t)
        for j in range(rules.max_nodes)
        for t in range(j + 1, rules.max_nodes)
        if rules.allowed_edges[j][t] and not rules.forced_edges[j][t]
    ]
    if not optional:
        return 0.5
    rng = np.random.default_rng(0)
    present = 0
    for _ in range(samples):
        arch = space.sample_prior(rng)
        edges = {(e.src, e.dst) for e in arch.edges}
        present += sum(1 for pair in optional if pair in edges)
    density = present / (samples * len(optional))
    return float(min(max(density, 0.02), 0.98))
