"""Classification metrics accumulated on the device (no host sync per batch)."""

from __future__ import annotations

import torch


def topk_correct(logits: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...]) -> torch.Tensor:
    """Counts of samples whose label is among the top-k logits, one per k: int64 (len(ks),).

    logits: (B, C); labels: int64 (B,). k larger than C counts every sample.
    """
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices  # (B, kmax)
    hits = top.eq(labels[:, None])
    return torch.stack([hits[:, :k].any(dim=1).sum() for k in ks])
