"""Training and scoring a supernet's shared weights, one sampled path per mini-batch.

`SupernetTrainer.train_step(arch)` runs one SGD step of the sub-network of `arch` on the next
training batch (SPOS: a uniformly sampled path; ENAS: a controller's proposal). Everything random
is a pure function of (seed, step): the batch order of each epoch, the augmentation of each step;
so a trainer restored from `state_dict()` continues bit-identically.

`score(arch)` is the held-out top-1 of one path. With BN recalibration (the known one-shot
pitfall: running statistics accumulated over many paths do not fit any single one), the BN
statistics are first recomputed on a fixed set of training batches with that path alone; the
supernet's own buffers are restored afterwards, so scoring changes no state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphnas.compiler.supernet import Supernet
from graphnas.data.augment import Augment, Normalize
from graphnas.data.dataset import ImageDataset
from graphnas.data.loader import TensorBatchLoader
from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph
from graphnas.seeding import generator_for


@dataclass(frozen=True)
class SupernetTrainConfig:
    """SGD on the shared weights (Nesterov momentum, constant learning rate, gradient clipping)."""

    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    label_smoothing: float = 0.0
    crop_padding: int = 4
    flip: bool = True
    calib_batches: int = 4  # training batches for BN recalibration before scoring
    eval_batch_size: int = 250

    @classmethod
    def from_dict(cls, options: dict[str, Any]) -> SupernetTrainConfig:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ConfigError(
                f"supernet train option(s) {', '.join(unknown)} unknown; valid: {', '.join(known)}"
            )
        config = cls(**{**asdict(cls()), **options})
        for name in ("batch_size", "calib_batches", "eval_batch_size"):
            value = getattr(config, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"supernet train {name}: must be a positive integer, got {value!r}"
                )
        if not config.lr > 0 or config.momentum < 0 or config.weight_decay < 0:
            raise ConfigError("supernet train: lr must be > 0, momentum and weight_decay >= 0")
        return config


def _bn_modules(net: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@contextlib.contextmanager
def recalibrated_bn(net: Supernet, arch: ArchGraph, batches: list[Tensor]) -> Iterator[None]:
    """Inside: BN running statistics recomputed for `arch` alone on `batches` (normalised
    [B, 3, S, S]; cumulative averages, no momentum). On exit the previous buffers return.
    Parameters are never touched."""
    modules = _bn_modules(net)
    saved = [
        (m.momentum, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
        for m in modules
        if m.running_mean is not None
    ]
    was_training = net.training
    try:
        for m in modules:
            m.reset_running_stats()
            m.momentum = None  # a cumulative moving average over the calibration batches
        net.train()
        with torch.no_grad():
            for images in batches:
                net(images, arch)
        net.eval()
        yield
    finally:
        with torch.no_grad():
            for m, (momentum, mean, var, count) in zip(modules, saved, strict=True):
                m.momentum = momentum
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)
        net.train(was_training)


class SupernetTrainer:
    """Shared-weight training of `supernet` on `data.train`; scoring on `data.val`."""

    def __init__(
        self,
        supernet: Supernet,
        data: ImageDataset,
        config: SupernetTrainConfig,
        device: torch.device | str = "cpu",
        seed: int = 0,
    ) -> None:
        self.device = torch.device(device)
        self.supernet = supernet.to(self.device)
        self.data = data
        self.config = config
        self.seed = seed
        if len(data.train) < config.batch_size:
            raise ConfigError(
                f"supernet training: batch_size {config.batch_size} exceeds the "
                f"{len(data.train)} training images"
            )
        self.loader = TensorBatchLoader(
            data.train, config.batch_size, self.device, shuffle=True, drop_last=True, seed=seed
        )
        self.augment = Augment(
            data.mean, data.std, config.crop_padding, config.flip, supernet.channels_last
        )
        self.normalize = Normalize(data.mean, data.std, supernet.channels_last)
        self.optimizer = torch.optim.SGD(
            supernet.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            nesterov=config.momentum > 0,
        )
        self.steps = 0
        self._order: tuple[int, Tensor] | None = None
        self._calibration: list[Tensor] | None = None

    # ---------------------------------------------------------------- training
    def batch(self, step: int) -> tuple[Tensor, Tensor]:
        """The uint8 images [B, 3, S, S] and labels [B] of training step `step`."""
        per_epoch = len(self.loader)
        epoch, position = divmod(step, per_epoch)
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, self.loader.order(epoch))
        size = self.config.batch_size
        index = self._order[1][position * size : (position + 1) * size]
        images = self.loader.images.index_select(0, index.to(self.loader.images.device))
        labels = self.loader.labels.index_select(0, index.to(self.loader.labels.device))
        return images.to(self.device), labels.to(self.device)

    def train_step(self, arch: ArchGraph) -> float:
        """One SGD step of `arch`'s path on the next batch; returns the batch loss."""
        images, labels = self.batch(self.steps)
        x = self.augment(images, generator_for(self.seed, "supernet-augment", self.steps))
        self.supernet.train()
        logits = self.supernet(x, arch)
        loss = F.cross_entropy(logits.float(), labels, label_smoothing=self.config.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip > 0:
            nn.utils.clip_grad_norm_(self.supernet.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.steps += 1
        return float(loss.detach())

    # ---------------------------------------------------------------- scoring
    def calibration_batches(self) -> list[Tensor]:
        """The fixed, unaugmented training batches BN recalibration uses (drawn once)."""
        if self._calibration is None:
            order = torch.randperm(
                len(self.data.train), generator=generator_for(self.seed, "supernet-calibration")
            )
            size, count = self.config.batch_size, self.config.calib_batches
            picks = order[: size * count].split(size)
            self._calibration = [
                self.normalize(self.data.train.images[p].to(self.device)) for p in picks
            ]
        return self._calibration

    def score(self, arch: ArchGraph, recalibrate: bool = True) -> tuple[float, float]:
        """(top-1 %, mean loss) of `arch`'s path on the held-out split."""
        context = (
            recalibrated_bn(self.supernet, arch, self.calibration_batches())
            if recalibrate
            else contextlib.nullcontext()
        )
        was_training = self.supernet.training
        with context:
            self.supernet.eval()
            correct, loss = self._held_out(arch)
        self.supernet.train(was_training)
        return correct, loss

    def _held_out(self, arch: ArchGraph) -> tuple[float, float]:
        split, size = self.data.val, self.config.eval_batch_size
        correct, total_loss = 0, 0.0
        with torch.no_grad():
            for start in range(0, len(split), size):
                images = self.normalize(split.images[start : start + size].to(self.device))
                labels = split.labels[start : start + size].to(self.device)
                logits = self.supernet(images, arch).float()
                correct += int((logits.argmax(1) == labels).sum())
                total_loss += float(F.cross_entropy(logits, labels, reduction="sum"))
        n = max(1, len(split))
        return 100.0 * correct / n, total_loss / n

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "supernet": {
                k: v.detach().cpu().clone() for k, v in self.supernet.state_dict().items()
            },
            "optimizer": self.optimizer.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.supernet.load_state_dict(state["supernet"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps = int(state["steps"])
