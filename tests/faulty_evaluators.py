"""A fault-injecting evaluator for the fault tests: NAS-Bench-201 table lookups, except that the
chosen architectures meet a chosen fault.

The fault is a module-level function, so a process-pool worker that unpickles the evaluator's
options imports this module, which registers the evaluator there too (`faulty_table`).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import torch

from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.evaluators.registry import EVALUATORS
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace

Fault = Callable[[ArchGraph, SearchSpace, torch.device], EvalResult]


def raise_error(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    raise RuntimeError(f"simulated evaluator bug on {space.encode(arch)}")


def nan_reward(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    return EvalResult(math.nan, {"note": "a metric that came out NaN"}, cost_s=1.0)


def infinite_reward(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    return EvalResult(math.inf, cost_s=1.0)


def diverge(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    """Real proxy training with a learning rate far too large: the trainer detects divergence."""
    trainer = EVALUATORS.build(
        "train",
        {
            "data": "synthetic:classes=3,train=24,val=8,size=12",
            "epochs": 1,
            "val_per_class": 4,
            "train": {"batch_size": 24, "lr": 1e6, "warmup_epochs": 0},
            "network": {"channels": 4, "cells_per_stage": 1},
        },
        {"space": space, "device": device, "seed": 0},
    )
    (result,) = trainer.evaluate([arch])
    return result


def hang(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    time.sleep(60)
    raise AssertionError("the timeout should have stopped this evaluation")


def cuda_out_of_memory(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    """On a CUDA device a real allocation failure; elsewhere the error CUDA raises."""
    if device.type == "cuda":
        total = torch.cuda.get_device_properties(device).total_memory
        held = torch.empty(total // 2, dtype=torch.uint8, device=device)  # cached after the OOM
        more = torch.empty(total, dtype=torch.uint8, device=device)
        raise AssertionError(f"allocated {held.numel() + more.numel()} bytes")
    raise torch.cuda.OutOfMemoryError(
        "CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total capacity of 79.1 GiB"
    )


def crash_worker(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    os._exit(3)


def crash_worker_once(arch: ArchGraph, space: SearchSpace, device: torch.device) -> EvalResult:
    """Kills the process the first time per architecture (marked in $FAULT_MARKERS)."""
    marker = Path(os.environ["FAULT_MARKERS"]) / space.canonical_hash(arch)
    if not marker.exists():
        marker.touch()
        os._exit(3)
    return EvalResult(12.5, {"survived": 1}, cost_s=1.0)


@EVALUATORS.register("faulty_table")
class FaultyTable:
    """The NB201 table, except that `faults` maps architecture codes to the fault they meet."""

    context_fields: ClassVar[tuple[str, ...]] = ("space", "device")

    def __init__(
        self,
        space: SearchSpace,
        faults: Mapping[str, Fault],
        device: torch.device | str = "cpu",
    ) -> None:
        self.space = space
        self.faults = dict(faults)
        self.device = torch.device(device)
        self.table = NB201TableEvaluator(space, seconds_per_query=1.0)

    def evaluate(self, archs: Sequence[ArchGraph]) -> list[EvalResult]:
        results = []
        for arch in archs:
            fault = self.faults.get(self.space.encode(arch))
            if fault is None:
                results.append(self.table.evaluate_one(arch))
            else:
                results.append(fault(arch, self.space, self.device))
        return results
