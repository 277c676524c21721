"""SGD with weight decay on weights only (biases, norm scales and other 1-D tensors excluded)."""

from __future__ import annotations

import torch
from torch import nn

from graphnas.train.config import TrainConfig


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: multi-dimensional weights (decayed) and 1-D/scalar parameters (not decayed).

    1-D covers biases, BatchNorm/LayerNorm affine parameters and per-node scalar weights such as
    RandWire's aggregation weights.
    """
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.ndim > 1 else no_decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def build_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.SGD:
    return torch.optim.SGD(
        parameter_groups(model, config.weight_decay),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
    )
