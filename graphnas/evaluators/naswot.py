"""NASWOT: the training-free score of Mellor et al., "Neural Architecture Search without Training"
(ICML 2021, the final version).

For a mini-batch of N real images, every ReLU unit of the untrained network gives each image a
binary code (1 where the unit's input is positive). With N_A units in all and d_H the Hamming
distance between two images' codes, K_H[i, j] = N_A - d_H(c_i, c_j), and the score is
log |det K_H|. Per ReLU call with codes x (N, units): x x^T + (1 - x)(1 - x)^T is the number of
units on which two images agree; with s = 2x - 1 this is (units + s s^T) / 2, one matrix product.

This is not the 2020 preprint's score (the log-determinant of the correlation of input Jacobians).

Codes are taken at every ReLU, whether the network calls `nn.ReLU` modules, `F.relu`,
`torch.relu` or the in-place variants, by intercepting those functions while the network runs.
The network runs in train mode (batch statistics in BatchNorm), as in the authors' code, under
no_grad.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from graphnas.data.augment import Normalize
from graphnas.data.dataset import ImageDataset, per_class_subset
from graphnas.data.spec import load_dataset
from graphnas.evaluators.base import EvalResult, PerArchitectureMixin
from graphnas.evaluators.networks import NetworkBuilder, build_seeded, compile_network
from graphnas.evaluators.registry import EVALUATORS
from graphnas.graph import ArchGraph
from graphnas.seeding import generator_for
from graphnas.spaces.base import SearchSpace

_RELU_FUNCTIONS = {F.relu, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_}


class _ReluCodeKernel(TorchFunctionMode):
    """Accumulates the agreement kernel of the binary codes of every ReLU call it sees."""

    def __init__(self, batch: int, device: torch.device) -> None:
        super().__init__()
        self.kernel = torch.zeros((batch, batch), dtype=torch.float64, device=device)
        self.units = 0

    def __torch_function__(
        self, func: Any, types: Any, args: Sequence[Any] = (), kwargs: dict | None = None
    ) -> Any:
        if func in _RELU_FUNCTIONS and args and isinstance(args[0], torch.Tensor):
            self._add(args[0])  # before the call: in-place variants overwrite their input
        return func(*args, **(kwargs or {}))

    def _add(self, pre_activation: torch.Tensor) -> None:
        signs = (pre_activation.detach().flatten(1) > 0).float().mul_(2).sub_(1)  # (N, units)
        units = signs.shape[1]
        # Exact in float32 while units < 2**24; summed over layers in float64.
        agreement = (signs @ signs.T).double().add_(units).mul_(0.5)
        self.kernel += agreement
        self.units += units


def naswot_score(model: nn.Module, images: torch.Tensor) -> tuple[float, int]:
    """(log |det K_H|, number of ReLU units) of `model` on float images (N, 3, H, W).

    The score is -inf when K_H is singular (two images share every code) and NaN when the network
    has no ReLU.
    """
    was_training = model.training
    model.train()
    mode = _ReluCodeKernel(images.shape[0], images.device)
    try:
        with torch.no_grad(), mode:
            model(images)
    finally:
        model.train(was_training)
    if mode.units == 0:
        return math.nan, 0
    sign, logdet = torch.linalg.slogdet(mode.kernel.cpu())
    return (float(logdet) if float(sign) > 0 else -math.inf), mode.units


@EVALUATORS.register("naswot")
class NaswotEvaluator(PerArchitectureMixin):
    """Scores architectures by NASWOT on one fixed mini-batch of real training images.

    `data`: a dataset spec (e.g. "tiny-imagenet:PATH"); the batch holds `batch_size` images drawn
    with the evaluator's seed (the same batch for every architecture), optionally resized to
    `resolution`. The network is built for `num_classes` (default: the dataset's) and initialised
    from a seed derived from (seed, architecture hash), so a score depends on nothing else.
    `repeats` > 1 averages over that many initialisations; `network` overrides the compiler's
    skeleton (e.g. {"channels": 16}). Reward = score; cost = measured seconds.
    """

    context_fields: ClassVar[tuple[str, ...]] = ("space", "seed", "device")

    def __init__(
        self,
        space: SearchSpace,
        data: str = "synthetic",
        batch_size: int = 128,
        resolution: int | None = None,
        num_classes: int | None = None,
        repeats: int = 1,
        network: Mapping[str, Any] | None = None,
        seed: int = 0,
        device: torch.device | str = "cpu",
        cache_dir: str | None = None,
        builder: NetworkBuilder = compile_network,
    ) -> None:
        self.space = space
        self.data_spec = data
        self.batch_size = batch_size
        self.resolution = resolution
        self.num_classes = num_classes
        self.repeats = max(1, int(repeats))
        self.network = dict(network) if network else None
        self.seed = seed
        self.device = torch.device(device)
        self.cache_dir = cache_dir
        self.builder = builder
        self._batch: torch.Tensor | None = None
        self._classes = 0

    def batch(self) -> torch.Tensor:
        """The normalised float image batch (batch_size, 3, R, R) on the device (built once)."""
        if self._batch is None:
            dataset = load_dataset(self.data_spec, cache_dir=self.cache_dir)
            self._batch, self._classes = naswot_batch(
                dataset, self.batch_size, self.resolution, self.seed
            )
            self._batch = self._batch.to(self.device)
        return self._batch

    def prepare(self) -> None:
        """Load the data (building its tensor cache if needed) before any evaluation."""
        self.batch()

    def evaluate_one(self, arch: ArchGraph) -> EvalResult:
        images = self.batch()
        start = time.perf_counter()
        arch_hash = self.space.canonical_hash(arch)
        classes = self.num_classes or self._classes
        scores = []
        for repeat in range(self.repeats):
            model = build_seeded(
                self.builder,
                arch,
                self.space,
                classes,
                images.shape[-1],
                self.network,
                (self.seed, "naswot-init", arch_hash, repeat),
            ).to(self.device)
            score, units = naswot_score(model, images)
            scores.append(score)
        cost = time.perf_counter() - start
        score = sum(scores) / len(scores)
        if not math.isfinite(score):
            reason = "network has no ReLU" if units == 0 else "NASWOT kernel is singular"
            return EvalResult.failure(f"naswot: {reason}", cost_s=cost)
        return EvalResult(score, {"naswot": score, "relu_units": units}, cost)


def naswot_batch(
    dataset: ImageDataset, batch_size: int, resolution: int | None, seed: int
) -> tuple[torch.Tensor, int]:
    """A fixed, normalised batch of training images spread over the classes, and the class count."""
    per_class = -(-batch_size // dataset.num_classes)
    pool = per_class_subset(
        dataset.train, per_class, dataset.num_classes, generator_for(seed, "naswot-batch")
    )
    pick = torch.randperm(len(pool), generator=generator_for(seed, "naswot-pick"))[:batch_size]
    split = pool.select(pick.sort().values)
    if resolution is not None:
        split = split.resized(resolution)
    return Normalize(dataset.mean, dataset.std)(split.images), dataset.num_classes
