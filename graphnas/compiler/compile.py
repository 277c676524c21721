"""compile_arch: ArchGraph + SearchSpace -> CompiledNet, a plain nn.Module with a fixed schedule.

Each space kind registers (graphnas.compiler.kinds) a builder (graph + skeleton -> modules) and an
analytic cost function (graph + skeleton -> params and FLOPs, without building anything).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from graphnas.compiler.cost import Cost
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler, positive_ints
from graphnas.errors import ConfigError
from graphnas.graph import ArchGraph
from graphnas.spaces import SearchSpace, load_space

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


class CompiledNet(nn.Module):
    """A compiled architecture: images [B, 3, H, W] -> logits [B, num_classes].

    `body` is an nn.Sequential (stem, blocks, head) whose DAG blocks run fixed schedules.
    `cost` is the analytic parameter/FLOP count for `input_size` (see graphnas.compiler.cost).
    """

    def __init__(
        self,
        body: nn.Module,
        arch: ArchGraph,
        space_name: str,
        kind: str,
        network: Mapping[str, Any],
        cost: Cost,
        channels_last: bool = False,
        precision: str = "fp32",
    ) -> None:
        super().__init__()
        self.body = body
        self.arch = arch
        self.space_name = space_name
        self.kind = kind
        self.network = dict(network)
        self.cost = cost
        self.input_size = int(network["input_size"])
        self.num_classes = int(network["num_classes"])
        self.channels_last = channels_last
        self.precision = precision
        self._autocast_dtype = PRECISIONS[precision]
        # A torch.compile wrapper of `body`; kept out of the module tree (same parameters).
        self.__dict__["_compiled_body"] = None
        if channels_last:
            self.body.to(memory_format=torch.channels_last)

    def forward(self, x: Tensor) -> Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        run = self.__dict__["_compiled_body"] or self.body
        if self._autocast_dtype is None:
            return run(x)
        with torch.autocast(device_type=x.device.type, dtype=self._autocast_dtype):
            return run(x)

    def enable_torch_compile(self, **options: Any) -> CompiledNet:
        """Run the body through torch.compile (slow to start: minutes per architecture)."""
        self.__dict__["_compiled_body"] = torch.compile(self.body, **options)
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Pickle/deepcopy support: a torch.compile wrapper is dropped (rebuild it on load)."""
        state = self.__dict__.copy()
        state["_compiled_body"] = None
        return state

    def extra_repr(self) -> str:
        return (
            f"space={self.space_name!r}, kind={self.kind!r}, input_size={self.input_size}, "
            f"num_classes={self.num_classes}, params={self.cost.params}, flops={self.cost.flops}"
        )


def resolve_network(
    space: SearchSpace,
    network: Mapping[str, Any] | None = None,
    num_classes: int | None = None,
    input_size: int | None = None,
) -> dict[str, Any]:
    """The space's skeleton with overrides applied and checked (ConfigError on bad values)."""
    resolved = dict(space.network)
    overrides = dict(network or {})
    if num_classes is not None:
        overrides["num_classes"] = num_classes
    if input_size is not None:
        overrides["input_size"] = input_size
    unknown = sorted(set(overrides) - set(resolved))
    if unknown:
        raise ConfigError(
            f"network override(s) {', '.join(unknown)} not known for space {space.name!r} "
            f"({space.kind}); valid: {', '.join(sorted(resolved))}"
        )
    resolved.update(overrides)
    problems = positive_ints(resolved, "num_classes", "input_size")
    problems += KIND_COMPILERS.get(space.kind).check(space, resolved)
    if problems:
        raise ConfigError(f"network for space {space.name!r}: " + "; ".join(problems))
    return resolved


def _prepare(
    arch: ArchGraph,
    space: SearchSpace | str | Path,
    network: Mapping[str, Any] | None,
    num_classes: int | None,
    input_size: int | None,
    validate: bool,
) -> tuple[SearchSpace, dict[str, Any], KindCompiler]:
    space = load_space(space)
    if validate:
        space.validate(arch)
    resolved = resolve_network(space, network, num_classes, input_size)
    return space, resolved, KIND_COMPILERS.get(space.kind)


def compile_arch(
    arch: ArchGraph,
    space: SearchSpace | str | Path,
    *,
    num_classes: int | None = None,
    input_size: int | None = None,
    network: Mapping[str, Any] | None = None,
    channels_last: bool = False,
    precision: str = "fp32",
    torch_compile: bool = False,
    validate: bool = True,
) -> CompiledNet:
    """Compile `arch` into a network following its space's paper.

    Args:
        arch: the architecture (validated against `space` unless validate=False).
        space: a SearchSpace, a shipped space name ("nb201", "randwire_tiny", ...) or a YAML path.
        num_classes, input_size: override the space's skeleton (input is 3 x size x size).
        network: further skeleton overrides, e.g. {"channels": 8}; keys must exist in the space.
        channels_last: store weights and run activations in channels_last memory format.
        precision: "fp32", or "bf16"/"fp16" to run the forward pass under torch.autocast.
        torch_compile: wrap the body with torch.compile (minutes per architecture; off by default).

    The module is created on the CPU in fp32; move it with `.to(device)` as usual.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r} unknown; valid: {', '.join(PRECISIONS)}")
    space, resolved, compiler = _prepare(arch, space, network, num_classes, input_size, validate)
    body = compiler.build(arch, space, resolved)
    net = CompiledNet(
        body,
        arch,
        space.name,
        space.kind,
        resolved,
        compiler.cost(arch, space, resolved),
        channels_last=channels_last,
        precision=precision,
    )
    if torch_compile:
        net.enable_torch_compile()
    return net


def arch_cost(
    arch: ArchGraph,
    space: SearchSpace | str | Path,
    *,
    num_classes: int | None = None,
    input_size: int | None = None,
    network: Mapping[str, Any] | None = None,
    validate: bool = True,
) -> Cost:
    """Parameters and FLOPs of the network `compile_arch` would build, without building it."""
    space, resolved, compiler = _prepare(arch, space, network, num_classes, input_size, validate)
    return compiler.cost(arch, space, resolved)
