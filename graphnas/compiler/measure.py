"""Measure a built network: parameter count and FLOPs seen by forward hooks (NB201 rule).

The independent check of `graphnas.compiler.cost`: hooks on every Conv2d, Linear, AvgPool2d and
MaxPool2d record what actually runs on a forward pass, counted as the `flops` convention does.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[-1]))


def _layer_flops(module: nn.Module, output: Tensor) -> int:
    """FLOPs of one call, per sample."""
    if isinstance(module, nn.Conv2d):
        k_h, k_w = module.kernel_size
        per_position = k_h * k_w * (module.in_channels // module.groups) * module.out_channels
        if module.bias is not None:
            per_position += module.out_channels
        return per_position * output.shape[-2] * output.shape[-1]
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features + (
            module.out_features if module.bias is not None else 0
        )
    if isinstance(module, nn.AvgPool2d | nn.MaxPool2d):
        k_h, k_w = _pair(module.kernel_size)
        return k_h * k_w * output[0].numel()
    return 0


def measure_flops(net: nn.Module, input_size: int, batch: int = 2) -> int:
    """FLOPs per sample of one forward pass on a random [batch, 3, S, S] input (eval mode)."""
    total = 0

    def hook(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        nonlocal total
        total += _layer_flops(module, output)

    handles = [
        m.register_forward_hook(hook)
        for m in net.modules()
        if isinstance(m, nn.Conv2d | nn.Linear | nn.AvgPool2d | nn.MaxPool2d)
    ]
    param = next(net.parameters())
    was_training = net.training
    try:
        net.eval()
        with torch.no_grad():
            net(torch.randn(batch, 3, input_size, input_size, device=param.device))
    finally:
        net.train(was_training)
        for handle in handles:
            handle.remove()
    return total


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())
