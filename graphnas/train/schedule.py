"""Learning-rate schedule: linear warm-up, then half-cosine decay, evaluated per optimiser step."""

from __future__ import annotations

import math


def lr_at(
    step: int, total_steps: int, warmup_steps: int, base_lr: float, min_lr: float = 0.0
) -> float:
    """The learning rate for 0-based `step` of `total_steps`.

    Warm-up: base_lr * (step + 1) / warmup_steps for step < warmup_steps. Then cosine from base_lr
    (first step after warm-up) to min_lr (reached after the last step).
    """
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress))
