"""Program: a straight-line schedule over a register file, fixed at compile time.

A DAG block (a cell, a RandWire stage, the ENAS layer chain) is lowered once into a list of steps
`register[out] = module(register[in_0], register[in_1], ...)` in topological order. The forward
pass is one flat loop over that list: no graph traversal, no dict lookups, and registers are
released right after their last reader so activations are freed as early as possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor, nn


@dataclass(frozen=True)
class Step:
    """One instruction: `registers[output] = module(*registers[inputs])`."""

    module: nn.Module
    inputs: tuple[int, ...]
    output: int


class Program(nn.Module):
    """Runs a fixed list of steps. Register 0 holds the block input; `result` names the output.

    forward: [B, C_in, H, W] -> whatever the last writer of `result` produces.
    """

    def __init__(self, steps: Sequence[Step], result: int) -> None:
        super().__init__()
        if not steps:
            raise ValueError("a program needs at least one step")
        num_registers = 1 + max(max(s.output, *s.inputs) if s.inputs else s.output for s in steps)
        written = {0}
        last_read: dict[int, int] = {}
        for index, step in enumerate(steps):
            missing = [r for r in step.inputs if r not in written]
            if missing:
                raise ValueError(f"step {index} reads register(s) {missing} before any write")
            for r in step.inputs:
                last_read[r] = index
            written.add(step.output)
        if result not in written:
            raise ValueError(f"result register {result} is never written")
        last_read[result] = len(steps)  # the result is read by the caller
        releases: list[list[int]] = [[] for _ in steps]
        for register, index in last_read.items():
            if index < len(steps):
                releases[index].append(register)
        self.steps = nn.ModuleList(step.module for step in steps)
        # Plain tuples: the loop below does only list indexing.
        self.schedule = tuple(
            (step.inputs, step.output, tuple(sorted(releases[i]))) for i, step in enumerate(steps)
        )
        self.num_registers = num_registers
        self.result = result

    def forward(self, x: Tensor) -> Tensor:
        registers: list[Tensor | None] = [None] * self.num_registers
        registers[0] = x
        for module, (inputs, output, release) in zip(self.steps, self.schedule, strict=True):
            registers[output] = module(*[registers[r] for r in inputs])
            for r in release:
                registers[r] = None
        return registers[self.result]  # type: ignore[return-value]
