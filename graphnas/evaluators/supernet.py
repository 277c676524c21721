"""The `supernet` evaluator: weight sharing (ENAS, random search with weight sharing, SPOS).

One supernet of the space (graphnas.compiler.supernet) holds the shared weights. Each
architecture is scored by its path's held-out top-1 (%) after BN recalibration (option
`recalibrate_bn`, default on) in well under a second at CPU sizes, instead of a training run.

Training of the shared weights, on the proxy task's training split (rewards are on its held-out
split, as for the `train` evaluator):
- `training: uniform` (SPOS / RS-WS): before the first score, `warmup_steps` SGD steps, each on a
  path drawn by `sampler` (uniform: every decision uniform; prior: the space's prior, e.g.
  RandWire's random-graph model); then `steps_per_arch` more such steps per evaluated
  architecture (default 0: the supernet is fixed while the strategy searches it).
- `training: proposals` (ENAS): the strategy's proposals are the paths: `steps_per_arch` steps on
  each proposal of a batch (round-robin) before the batch is scored, after optional uniform
  warm-up; the strategy (e.g. reinforce_lstm) is then told the held-out rewards.

The evaluator is stateful: weights, optimiser and step count checkpoint with the search, and
every random draw is a function of (seed, step), so a resumed search continues bit-identically.
The cost of a result is its share of the training done in its batch plus its own scoring time.
For NB201 spaces, `nb201_dataset` adds the table's accuracies of the scored cell to the metrics
(`nb201_test`: never seen by the search; how weight-sharing methods are evaluated on NB201).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from graphnas.compiler.supernet import Supernet, build_supernet
from graphnas.data.dataset import ImageDataset
from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult, NamedRewardMixin, PrepareMixin, StatefulMixin
from graphnas.evaluators.nb201_table import canonical_dataset, load_nb201_table
from graphnas.evaluators.proxy_training import VALIDATION_CHOICES, ProxyTask
from graphnas.evaluators.registry import EVALUATORS
from graphnas.evaluators.supernet_training import SupernetTrainConfig, SupernetTrainer
from graphnas.graph import ArchGraph
from graphnas.seeding import derive_seed
from graphnas.spaces.base import SearchSpace

TRAINING_MODES = ("uniform", "proposals")
SAMPLERS = ("uniform", "prior")


@EVALUATORS.register("supernet")
class SupernetEvaluator(StatefulMixin, NamedRewardMixin, PrepareMixin):
    """Scores architectures with shared weights; reward = held-out top-1 (%) of the path.

    Options: the proxy task as for `train` (`data`, `num_classes`, `train_per_class`,
    `val_per_class`, `validation`, `resolution`), `network` (supernet skeleton overrides),
    `training`, `warmup_steps`, `steps_per_arch`, `sampler`, `recalibrate_bn`, `train` (a
    SupernetTrainConfig dict: batch_size, lr, momentum, weight_decay, grad_clip, ...),
    `channels_last`, `precision`, `nb201_dataset`.
    """

    stateful: ClassVar[bool] = True
    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed", "device")
    reward_name = "val_top1"

    def __init__(
        self,
        space: SearchSpace,
        data: str = "synthetic",
        num_classes: int | None = None,
        train_per_class: int | None = None,
        val_per_class: int | None = None,
        validation: str = "holdout",
        resolution: int | None = None,
        network: Mapping[str, Any] | None = None,
        training: str = "uniform",
        warmup_steps: int = 200,
        steps_per_arch: int = 0,
        sampler: str = "uniform",
        recalibrate_bn: bool = True,
        train: Mapping[str, Any] | None = None,
        channels_last: bool = False,
        precision: str = "fp32",
        nb201_dataset: str | None = None,
        seed: int = 0,
        device: torch.device | str = "cpu",
        cache_dir: str | None = None,
    ) -> None:
        _choice("training", training, TRAINING_MODES)
        _choice("sampler", sampler, SAMPLERS)
        _choice("validation", validation, VALIDATION_CHOICES)
        for name, value in (("warmup_steps", warmup_steps), ("steps_per_arch", steps_per_arch)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(
                    f"evaluator supernet: {name} must be an integer >= 0, got {value!r}"
                )
        if training == "proposals" and steps_per_arch == 0 and warmup_steps == 0:
            raise ConfigError(
                "evaluator supernet: training 'proposals' needs steps_per_arch > 0 (or warm-up)"
            )
        if nb201_dataset is not None and space.kind != "nb201":
            raise ConfigError(
                f"evaluator supernet: nb201_dataset needs an nb201 space, not {space.name!r}"
            )
        self.space = space
        self.data_spec = data
        self.task = ProxyTask(num_classes, train_per_class, val_per_class, validation, resolution)
        self.network = dict(network or {})
        self.training = training
        self.warmup_steps = warmup_steps
        self.steps_per_arch = steps_per_arch
        self.sampler = sampler
        self.recalibrate_bn = bool(recalibrate_bn)
        self.config = SupernetTrainConfig.from_dict(dict(train or {}))
        self.options = {"channels_last": bool(channels_last), "precision": precision}
        self.nb201_dataset = None if nb201_dataset is None else canonical_dataset(nb201_dataset)
        self.report_metric = "nb201_test" if nb201_dataset is not None else None
        self.seed = seed
        self.device = torch.device(device)
        self.cache_dir = cache_dir
        self._data: ImageDataset | None = None
        self._trainer: SupernetTrainer | None = None
        self.warm = False  # warm-up done

    # ---------------------------------------------------------------- construction
    def dataset(self) -> ImageDataset:
        if self._data is None:
            self._data = self.task.load(self.data_spec, self.cache_dir, self.seed)
        return self._data

    def prepare(self) -> None:
        self.trainer()

    def trainer(self) -> SupernetTrainer:
        """The shared-weight trainer (built with its seeded supernet on first use)."""
        if self._trainer is None:
            data = self.dataset()
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(derive_seed(self.seed, "supernet-init"))
                net = build_supernet(
                    self.space,
                    num_classes=data.num_classes,
                    input_size=data.resolution,
                    network=self.network,
                    **self.options,
                )
            self._trainer = SupernetTrainer(net, data, self.config, self.device, self.seed)
        return self._trainer

    @property
    def supernet(self) -> Supernet:
        return self.trainer().supernet

    # ---------------------------------------------------------------- training
    def sample_path(self, step: int) -> ArchGraph:
        """The path of uniform-mode training step `step` (a pure function of seed and step)."""
        rng = np.random.default_rng(derive_seed(self.seed, "supernet-path", step))
        return self.supernet.sample(rng, prior=self.sampler == "prior")

    def train_sampled(self, steps: int) -> None:
        trainer = self.trainer()
        for _ in range(steps):
            trainer.train_step(self.sample_path(trainer.steps))

    def warm_up(self) -> None:
        """The warm-up steps, once (kept through checkpoints)."""
        if not self.warm:
            self.train_sampled(self.warmup_steps)
            self.warm = True

    def _train_for(self, archs: Sequence[ArchGraph]) -> None:
        self.warm_up()
        if self.training == "uniform":
            self.train_sampled(self.steps_per_arch * len(archs))
            return
        trainer = self.trainer()
        for _ in range(self.steps_per_arch):
            for arch in archs:
                trainer.train_step(arch)

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, archs: Sequence[ArchGraph]) -> list[EvalResult]:
        problems = [self.space.problems(arch) for arch in archs]
        valid = [arch for arch, p in zip(archs, problems, strict=True) if not p]
        self.trainer()  # data and supernet: a bad option is a ConfigError, not a failed result
        start = time.perf_counter()
        try:
            self._train_for(valid)
        except Exception as err:  # a fault of the shared training fails this batch, not the run
            cost = (time.perf_counter() - start) / max(1, len(archs))
            return [
                EvalResult.failure(f"supernet training failed: {_first_line(err)}", cost)
            ] * len(archs)
        share = (time.perf_counter() - start) / max(1, len(valid))
        return [
            EvalResult.failure(f"not in space {self.space.name}: {'; '.join(p)}")
            if p
            else self.score(arch, share)
            for arch, p in zip(archs, problems, strict=True)
        ]

    def score(self, arch: ArchGraph, train_share_s: float = 0.0) -> EvalResult:
        """The shared-weight result of one architecture (no training)."""
        start = time.perf_counter()
        trainer = self.trainer()
        try:
            top1, loss = trainer.score(arch, recalibrate=self.recalibrate_bn)
            cost = self.supernet.cost(arch)
        except Exception as err:
            return EvalResult.failure(f"supernet scoring failed: {_first_line(err)}", train_share_s)
        score_s = time.perf_counter() - start
        metrics: dict[str, Any] = {
            "val_top1": top1,
            "val_loss": loss,
            "params": cost.params,
            "flops": cost.flops,
            "supernet_steps": trainer.steps,
            "train_share_s": train_share_s,
            "score_s": score_s,
        }
        if self.nb201_dataset is not None:
            metrics.update(self._table_metrics(arch))
        return EvalResult(top1, metrics, cost_s=train_share_s + score_s)

    def _table_metrics(self, arch: ArchGraph) -> dict[str, Any]:
        table = load_nb201_table()
        row = table.row_of[self.space.encode(arch)]
        dataset = self.nb201_dataset
        return {
            "nb201_index": row,
            "nb201_test": round(float(table.columns[f"test_{dataset}"][row]), 4),
            "nb201_val": round(float(table.columns[f"val_{dataset}"][row]), 4),
        }

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        if self._trainer is None and not self.warm:
            return {}
        return {"trainer": self.trainer().state_dict(), "warm": int(self.warm)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not state:
            return
        self.trainer().load_state_dict(state["trainer"])
        self.warm = bool(state["warm"])


def _choice(name: str, value: Any, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ConfigError(
            f"evaluator supernet: {name} {value!r}: expected one of {', '.join(valid)}"
        )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__
