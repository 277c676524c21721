"""StacNAS (Li et al. 2020): cluster similar operators, choose a category, then the operator.

DARTS collapses when similar operators (e.g. two convolutions) split the weight of one
category between them while a parameter-free op (skip) keeps its weight whole. StacNAS
searches in two stages:

0. warm-up (`warmup_steps`): the weights train on the uniform mixture of every choice;
1. operator categories come from a clustering of operator similarity measured on that
   supernet (`operator_categories`); stage 1 runs DARTS over categories, each represented
   by its medoid op, for `stage1_fraction` of the remaining steps;
2. each decision keeps the category its stage-1 argmax chose, and DARTS runs over the
   operators inside it for the rest of the run.

The derived architecture is, per decision, the argmax operator of its chosen category (during
stage 1: the argmax category's medoid).

Similarity of choices k, k' of decision d is the correlation over a held-out batch of their
effects on the network: e_k = logits(d := k) - mean_k' logits(d := k'), every other decision
on its uniform mixture. It is averaged over the decisions that share a choice list and over
`similarity_batches` batches, then clustered by average linkage until no two clusters
correlate above `similarity_threshold`.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from graphnas.compiler.supernet import Supernet
from graphnas.errors import ConfigError
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.differentiable.base import DifferentiableSearch, Mixture, load_alphas
from graphnas.strategies.registry import STRATEGIES

Categories = list[list[int]]  # choice indices per category


def choice_similarity(supernet: Supernet, batches: Sequence[Tensor]) -> list[Tensor]:
    """[K_d, K_d] correlation of the choices' effects per decision (see the module docstring)."""
    uniform = supernet.uniform_weights(next(supernet.parameters()).device)
    sums = [torch.zeros(len(d.choices), len(d.choices)) for d in supernet.decisions]
    supernet.eval()
    with torch.no_grad():
        for x in batches:
            for d, decision in enumerate(supernet.decisions):
                outputs = []
                for k in range(len(decision.choices)):
                    weights = list(uniform)
                    weights[d] = torch.zeros_like(uniform[d])
                    weights[d][k] = 1.0
                    active: list[list[int]] = [list(range(len(w))) for w in uniform]
                    active[d] = [k]
                    outputs.append(supernet.forward_mixed(x, weights, active).float().flatten())
                effects = torch.stack(outputs)
                effects = effects - effects.mean(dim=0, keepdim=True)
                sums[d] += torch.nan_to_num(torch.corrcoef(effects).cpu())
    supernet.train()
    return [s / len(batches) for s in sums]


def average_linkage(similarity: Tensor, threshold: float) -> Categories:
    """Agglomerative clustering of the choices: merge the two clusters of highest average
    similarity while it exceeds `threshold`; clusters are sorted by their smallest member."""
    clusters = [[k] for k in range(similarity.shape[0])]
    while len(clusters) > 1:
        best, pair = -float("inf"), (0, 0)
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                value = float(similarity[clusters[a]][:, clusters[b]].mean())
                if value > best:
                    best, pair = value, (a, b)
        if best <= threshold:
            break
        a, b = pair
        clusters[a] = sorted(clusters[a] + clusters.pop(b))
    return sorted(clusters)


def medoid(members: Sequence[int], similarity: Tensor) -> int:
    """The member most similar to the others (the lowest index on a tie)."""
    return max(members, key=lambda k: (float(similarity[k, list(members)].sum()), -k))


def operator_categories(
    supernet: Supernet, batches: Sequence[Tensor], threshold: float
) -> tuple[list[Categories], list[list[int]], list[Tensor]]:
    """(categories per decision, medoid per category, similarity per decision); decisions with
    the same choice list share one clustering of their averaged similarities."""
    similarity = choice_similarity(supernet, batches)
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for d, decision in enumerate(supernet.decisions):
        groups[decision.choices].append(d)
    categories: list[Categories] = [[] for _ in supernet.decisions]
    medoids: list[list[int]] = [[] for _ in supernet.decisions]
    shared = list(similarity)
    for members in groups.values():
        mean = torch.stack([similarity[d] for d in members]).mean(dim=0)
        clusters = average_linkage(mean, threshold)
        for d in members:
            shared[d] = mean
            categories[d] = clusters
            medoids[d] = [medoid(c, mean) for c in clusters]
    return categories, medoids, shared


@dataclass(frozen=True)
class StacOptions:
    """StacNAS's own options: the clustering threshold on the similarity, the share of the
    post-warm-up steps spent on stage 1, and the held-out batches the similarity is measured on."""

    similarity_threshold: float = 0.5
    stage1_fraction: float = 0.5
    similarity_batches: int = 2

    def check(self, owner: str) -> None:
        if not (0 < self.stage1_fraction < 1 and -1 <= self.similarity_threshold <= 1):
            raise ConfigError(
                f"{owner}: stage1_fraction must be in (0, 1) and similarity_threshold in [-1, 1]"
            )
        if self.similarity_batches < 1:
            raise ConfigError(f"{owner}: similarity_batches must be >= 1")


@STRATEGIES.register("stacnas")
class StacNAS(DifferentiableSearch):
    """StacNAS. Options: similarity_threshold, stage1_fraction, similarity_batches, plus
    BilevelSettings (set warmup_steps so the similarity is measured on trained weights)."""

    method = "stacnas"
    own_options = StacOptions

    def __init__(
        self, space: SearchSpace, seed: int = 0, device: torch.device | str = "cpu", **options: Any
    ) -> None:
        super().__init__(space, seed, device, **options)
        self.threshold = float(self.own.similarity_threshold)
        self.similarity_batches = int(self.own.similarity_batches)
        stage1_fraction = self.own.stage1_fraction
        s = self.settings
        self.stage1_end = s.warmup_steps + round(stage1_fraction * (s.total_steps - s.warmup_steps))
        self.stage = 0
        self.categories: list[Categories] = []
        self.medoids: list[list[int]] = []
        self.similarity: list[Tensor] = []
        self.chosen: list[int] = []  # stage 2: the category index kept per decision
        self.alphas: list[Tensor] = []
        self.a_optimizer: torch.optim.Optimizer | None = None

    # ------------------------------------------------------------------ stages
    def on_step(self) -> None:
        if self.stage == 0 and self.step >= self.settings.warmup_steps:
            batches = [self.task.arch.next()[0] for _ in range(self.similarity_batches)]
            self.categories, self.medoids, self.similarity = operator_categories(
                self.supernet, batches, self.threshold
            )
            self._enter(1)
        if self.stage == 1 and self.step >= self.stage1_end:
            self.chosen = [int(a.detach().argmax()) for a in self.alphas]
            self._enter(2)

    def _enter(self, stage: int) -> None:
        self.stage = stage
        self.alphas = self.new_alphas([len(m) for m in self.members()], f"alphas-stage{stage}")
        self.a_optimizer = self.adam(self.alphas)

    def members(self) -> list[list[int]]:
        """The choices each decision's alphas weigh: medoids (stage 1), the kept category's
        operators (stage 2); every choice before the clustering."""
        if self.stage == 1:
            return self.medoids
        if self.stage == 2:
            return [cats[c] for cats, c in zip(self.categories, self.chosen, strict=True)]
        return [list(range(len(d.choices))) for d in self.supernet.decisions]

    def _spread(self, probs: Sequence[Tensor]) -> list[Tensor]:
        """Per decision, the member probabilities placed at their choice indices ([K_d])."""
        out = []
        for decision, members, p in zip(
            self.supernet.decisions, self.members(), probs, strict=True
        ):
            index = torch.tensor(members, device=p.device)
            out.append(torch.zeros(len(decision.choices), device=p.device).scatter(0, index, p))
        return out

    # ------------------------------------------------------------------ method hooks
    def mixture(self, phase: str) -> Mixture:
        if self.stage == 0:
            return self.supernet.uniform_weights(self.device), None
        probs = [torch.softmax(a, dim=0) for a in self.alphas]
        if phase == "weights":
            probs = [p.detach() for p in probs]
        return self._spread(probs), self.members()

    def probabilities(self) -> list[Tensor]:
        if self.stage == 0:
            return self.supernet.uniform_weights(self.device)
        return self._spread([torch.softmax(a.detach(), dim=0) for a in self.alphas])

    def arch_optimizer(self) -> torch.optim.Optimizer:
        assert self.a_optimizer is not None  # on_step entered stage 1 before any arch step
        return self.a_optimizer

    def method_metrics(self) -> dict[str, float]:
        return {"stage": float(self.stage), "categories": float(sum(map(len, self.categories)))}

    def category_names(self) -> list[list[list[str]]]:
        """The categories of each decision, as choice names."""
        return [
            [[d.choices[k] for k in cat] for cat in cats]
            for d, cats in zip(self.supernet.decisions, self.categories, strict=True)
        ]

    def method_state(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "categories": self.categories,
            "medoids": self.medoids,
            "similarity": [s.clone() for s in self.similarity],
            "chosen": list(self.chosen),
            "alphas": [a.detach().clone() for a in self.alphas],
            "a_optimizer": (
                None if self.a_optimizer is None else copy.deepcopy(self.a_optimizer.state_dict())
            ),
        }

    def load_method_state(self, state: dict[str, Any]) -> None:
        self.categories = [[list(map(int, c)) for c in cats] for cats in state["categories"]]
        self.medoids = [list(map(int, m)) for m in state["medoids"]]
        self.similarity = list(state["similarity"])
        self.chosen = [int(c) for c in state["chosen"]]
        self.stage = 0
        if int(state["stage"]) > 0:
            self._enter(int(state["stage"]))
            load_alphas(self.alphas, state["alphas"])
            assert self.a_optimizer is not None
            self.a_optimizer.load_state_dict(state["a_optimizer"])
