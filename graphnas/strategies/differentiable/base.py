"""DifferentiableSearch: bilevel supernet optimisation as an ask/tell strategy.

A differentiable search is one long "evaluation" of a supernet. Here it is cut into slices:
each `ask` runs `steps_per_ask` bilevel steps (an architecture step on a held-out batch, then a
weight step on a training batch) and proposes the architecture derived from the current
architecture parameters. The search loop evaluates it like any proposal (e.g. `nb201_table`
for the benchmark's accuracy), so the ledger records the derived cell each time it changes
(a cell derived again is a free repeat); `search_cost_s` reports the seconds spent training, so
`budget.seconds` counts them. After `total_steps` the strategy proposes nothing and the search
ends. The state holds the supernet weights, architecture parameters, both optimisers, the
sampling generator and the batch positions, so a resumed search continues bit for bit.

Subclasses say how architecture parameters become mixture weights (`mixture`), which choices
those parameters prefer (`probabilities`), and optionally a cost term (`arch_penalty`).
The derived architecture is the most probable *valid* one: the per-decision argmax when valid
(as in each paper), otherwise the best-first next most probable choice vector.
"""

from __future__ import annotations

import copy
import heapq
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from graphnas.compiler.supernet import Supernet, build_supernet
from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.seeding import derive_seed
from graphnas.spaces.base import SearchSpace
from graphnas.strategies.differentiable.settings import NoOptions, split_options
from graphnas.strategies.differentiable.task import BilevelTask

Mixture = tuple[list[Tensor], list[list[int]] | None]
# Choices that carry no parameters: what a collapsed DARTS cell is made of.
PARAMETER_FREE = ("none", "skip_connect", "identity", "avg_pool_3x3", "max_pool_3x3")
MAX_DERIVE_EXPANSIONS = 20_000


class DifferentiableSearch:
    """Base class of DARTS, GDAS, StacNAS and ProxylessNAS (see the module docstring)."""

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed", "device")
    method: ClassVar[str]
    own_options: ClassVar[type] = NoOptions  # the method's own options: a dataclass, as `own`

    def __init__(
        self, space: SearchSpace, seed: int = 0, device: torch.device | str = "cpu", **options: Any
    ) -> None:
        self.space = space
        self.seed = int(seed)
        self.device = torch.device(device)
        self.own, self.settings = split_options(self.method, self.own_options, options)
        s = self.settings
        self.task = BilevelTask(
            s.data,
            batch_size=s.batch_size,
            seed=self.seed,
            device=self.device,
            num_classes=s.num_classes,
            train_per_class=s.train_per_class,
            val_per_class=s.val_per_class,
            resolution=s.resolution,
            augment=s.augment,
            cache_dir=s.cache_dir,
            channels_last=s.channels_last,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(self.seed, "supernet-init"))
            supernet = build_supernet(
                space,
                num_classes=self.task.num_classes,
                input_size=self.task.resolution,
                network=s.network,
                channels_last=s.channels_last,
                precision=s.precision,
            )
        self.supernet: Supernet = supernet.to(self.device)
        self.generator = torch.Generator().manual_seed(derive_seed(self.seed, "sampling"))
        self.w_optimizer = torch.optim.SGD(
            self.supernet.parameters(),
            lr=s.w_lr,
            momentum=s.w_momentum,
            weight_decay=s.w_weight_decay,
        )
        self.step = 0
        self.cost_s = 0.0
        self.last: dict[str, float] = {}

    # ------------------------------------------------------------------ per method
    def mixture(self, phase: str) -> Mixture:
        """(weights [K_d] per decision, active choices per decision or None=all) for the
        forward of `phase` ("weights" or "arch"); weights carry gradients in the arch phase."""
        raise NotImplementedError

    def probabilities(self) -> list[Tensor]:
        """The method's preference over every decision's choices (detached, [K_d] each)."""
        raise NotImplementedError

    def arch_optimizer(self) -> torch.optim.Optimizer:
        """The optimiser of the architecture parameters currently searched."""
        raise NotImplementedError

    def arch_penalty(self) -> Tensor | None:
        """A term added to the architecture loss (ProxylessNAS's cost), or None."""
        return None

    def on_step(self) -> None:
        """Called before each bilevel step (schedules, stage changes)."""

    def method_state(self) -> dict[str, Any]:
        return {}

    def load_method_state(self, state: dict[str, Any]) -> None:
        del state

    def method_metrics(self) -> dict[str, float]:
        return {}

    # ------------------------------------------------------------------ the bilevel step
    def new_alphas(self, sizes: Sequence[int], name: str) -> list[Tensor]:
        """Architecture parameters 1e-3 * N(0, 1) (as DARTS), one [K] tensor per size."""
        gen = torch.Generator().manual_seed(derive_seed(self.seed, name))
        return [
            (1e-3 * torch.randn(k, generator=gen)).to(self.device).requires_grad_(True)
            for k in sizes
        ]

    def adam(self, params: list[Tensor]) -> torch.optim.Adam:
        s = self.settings
        return torch.optim.Adam(
            params, lr=s.alpha_lr, betas=(0.5, 0.999), weight_decay=s.alpha_weight_decay
        )

    def _loss(self, phase: str, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        weights, active = self.mixture(phase)
        logits = self.supernet.forward_mixed(x, weights, active)
        # at least float32 (low-precision forwards); float64 stays (the gradient checks)
        loss = F.cross_entropy(logits if logits.dtype == torch.float64 else logits.float(), y)
        accuracy = (logits.argmax(1) == y).float().mean()
        return loss, accuracy

    def arch_backward(self) -> tuple[Tensor, Tensor]:
        """Gradients of the held-out loss (plus `arch_penalty`) into the architecture
        parameters on the next held-out batch (first order); its (loss, accuracy)."""
        loss, accuracy = self._loss("arch", *self.task.arch.next())
        penalty = self.arch_penalty()
        if penalty is not None:
            self.last["arch_penalty"] = penalty.item()
        (loss if penalty is None else loss + penalty).backward()
        return loss, accuracy

    def train_step(self) -> None:
        """One architecture step (after the warm-up) and one weight step."""
        self.on_step()
        s = self.settings
        self.supernet.train()
        if self.step >= s.warmup_steps:
            optimizer = self.arch_optimizer()
            optimizer.zero_grad(set_to_none=True)
            loss, accuracy = self.arch_backward()
            optimizer.step()
            self.last["arch_loss"], self.last["arch_accuracy"] = loss.item(), accuracy.item()
        for group in self.w_optimizer.param_groups:
            group["lr"] = s.lr_at(self.step)
        self.w_optimizer.zero_grad(set_to_none=True)
        loss, accuracy = self._loss("weights", *self.task.weights.next())
        loss.backward()
        if s.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.supernet.parameters(), s.grad_clip)
        self.w_optimizer.step()
        self.last["weight_loss"], self.last["weight_accuracy"] = loss.item(), accuracy.item()
        self.step += 1

    # ------------------------------------------------------------------ ask / tell
    def ask(self, n: int) -> list[ArchGraph]:
        """Run the next slice of the search and propose the derived architecture."""
        if n < 1 or self.step >= self.settings.total_steps:
            return []
        start = time.perf_counter()
        end = min(self.step + self.settings.steps_per_ask, self.settings.total_steps)
        while self.step < end:
            self.train_step()
        arch = self.derive()
        self.cost_s += time.perf_counter() - start
        return [arch]

    def tell(
        self,
        archs: Sequence[ArchGraph],
        results: Sequence[EvalResult],
        hashes: Sequence[str | None] | None = None,
    ) -> None:
        if len(archs) != len(results):
            raise ValueError(f"tell: {len(archs)} architectures but {len(results)} results")
        for result in results:
            if result.ok:
                self.last["derived_reward"] = float(result.reward)

    def search_cost_s(self) -> float:
        return self.cost_s

    # ------------------------------------------------------------------ deriving
    def derive(self) -> ArchGraph:
        """The most probable valid architecture under `probabilities()`."""
        return self.supernet.decode(self.derive_choices())

    def derive_choices(self) -> list[int]:
        """Best-first search over choice vectors by total log-probability, from the argmax."""
        logp = [p.clamp_min(1e-12).log().cpu().tolist() for p in self.probabilities()]
        ranked = [sorted(range(len(lp)), key=lambda k, lp=lp: -lp[k]) for lp in logp]
        start = (0,) * len(ranked)  # rank index per decision (0 = argmax)
        heap = [(0.0, start)]
        seen = {start}
        for _ in range(MAX_DERIVE_EXPANSIONS):
            if not heap:
                break
            loss, ranks = heapq.heappop(heap)
            choices = [ranked[d][r] for d, r in enumerate(ranks)]
            if self.space.is_valid(self.supernet.decode(choices)):
                return choices
            for d, r in enumerate(ranks):
                if r + 1 < len(ranked[d]):
                    child = (*ranks[:d], r + 1, *ranks[d + 1 :])
                    if child not in seen:
                        seen.add(child)
                        drop = logp[d][ranked[d][r]] - logp[d][ranked[d][r + 1]]
                        heapq.heappush(heap, (loss + drop, child))
        return self.supernet.encode(self.space.example())  # nothing valid nearby (never seen)

    def parameter_free_share(self, choices: Sequence[int]) -> float:
        """Share of op decisions (not edge presence) whose derived choice has no weights."""
        ops = [
            (d, k)
            for d, k in enumerate(choices)
            if "present" not in self.supernet.decisions[d].choices
        ]
        if not ops:
            return 0.0
        free = sum(self.supernet.decisions[d].choices[k] in PARAMETER_FREE for d, k in ops)
        return free / len(ops)

    def metrics(self) -> dict[str, float]:
        entropy = entropy_of(self.probabilities())
        choices = self.derive_choices()
        return {
            **self.last,
            "step": float(self.step),
            "alpha_entropy": entropy,
            "derived_parameter_free_share": self.parameter_free_share(choices),
            "search_cost_s": self.cost_s,
            **self.method_metrics(),
        }

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """A snapshot (copies, not views of the live tensors)."""
        return {
            "supernet": {k: v.detach().clone() for k, v in self.supernet.state_dict().items()},
            "w_optimizer": copy.deepcopy(self.w_optimizer.state_dict()),
            "generator": self.generator.get_state(),
            "task": self.task.state_dict(),
            "step": self.step,
            "cost_s": self.cost_s,
            "last": dict(self.last),
            "method": self.method_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.w_optimizer.load_state_dict(state["w_optimizer"])
        self.generator.set_state(state["generator"])
        self.task.load_state_dict(state["task"])
        self.step = int(state["step"])
        self.cost_s = float(state["cost_s"])
        self.last = {str(k): float(v) for k, v in state["last"].items()}
        self.load_method_state(state["method"])


def load_alphas(target: Sequence[Tensor], saved: Sequence[Tensor]) -> None:
    """Copy saved architecture parameters into `target` in place (shapes must agree)."""
    if len(target) != len(saved):
        raise ValueError(f"expected {len(target)} architecture tensors, got {len(saved)}")
    with torch.no_grad():
        for t, v in zip(target, saved, strict=True):
            t.copy_(v.to(t.device))


def gumbel(shape: Sequence[int], generator: torch.Generator) -> Tensor:
    """Standard Gumbel noise [shape] (CPU, from `generator`)."""
    u = torch.rand(tuple(shape), generator=generator).clamp(1e-9, 1 - 1e-9)
    return -torch.log(-torch.log(u))


def entropy_of(probs: Sequence[Tensor]) -> float:
    return sum(-(p * p.clamp_min(1e-12).log()).sum().item() for p in probs) / max(1, len(probs))


class AlphaSearch(DifferentiableSearch):
    """One architecture vector alpha_d [K_d] per decision, Adam-optimised; the preference is
    softmax(alpha_d). DARTS, GDAS and ProxylessNAS differ only in how alphas weight the paths."""

    def __init__(
        self, space: SearchSpace, seed: int = 0, device: torch.device | str = "cpu", **options: Any
    ) -> None:
        super().__init__(space, seed, device, **options)
        self.alphas = self.new_alphas([len(d.choices) for d in self.supernet.decisions], "alphas")
        self.a_optimizer = self.adam(self.alphas)

    def probabilities(self) -> list[Tensor]:
        return [torch.softmax(a.detach(), dim=0) for a in self.alphas]

    def arch_optimizer(self) -> torch.optim.Optimizer:
        return self.a_optimizer

    def method_state(self) -> dict[str, Any]:
        return {
            "alphas": [a.detach().clone() for a in self.alphas],
            "a_optimizer": copy.deepcopy(self.a_optimizer.state_dict()),
        }

    def load_method_state(self, state: dict[str, Any]) -> None:
        load_alphas(self.alphas, state["alphas"])
        self.a_optimizer.load_state_dict(state["a_optimizer"])
