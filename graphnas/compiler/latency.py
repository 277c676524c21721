"""Per-op latency lookup table, measured on the machine at hand and cached by device name.

The latency model is ProxylessNAS's: a network's latency is the sum of the latencies of its
searchable ops plus a fixed part (stem, reductions, head, the cell's additions):

    latency_ms(arch) = base_ms(space, network) + sum over op sites of table[op, channels, hw]

An op site is one searchable op at the feature-map size where it runs (an NB201 edge op in one
of the N cells of a stage; a complete-space node op in one cell); the table holds one entry per
(op, channels, hw). `base_ms` is measured as the whole compiled network of the space's example
architecture minus its op sites. Entries are the median forward time of one module (eval mode,
no grad) on a [batch, C, hw, hw] input. Tables are JSON files, one per device, kept under
`$GRAPHNAS_CACHE/latency/` (default `~/.cache/graphnas/latency/`) and named after the device
(`torch.cuda.get_device_name`, or the CPU model and thread count).
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from graphnas.compiler.compile import compile_arch, resolve_network
from graphnas.compiler.complete import _op_module as complete_op_module
from graphnas.compiler.cost import conv_out
from graphnas.compiler.ops import ConvBN, avg_pool_3x3
from graphnas.errors import ConfigError, GraphnasError, InputFileError
from graphnas.graph import ArchGraph
from graphnas.paths import safe_filename
from graphnas.spaces import SearchSpace, load_space

FORMAT = "graphnas-latency-table/1"
LATENCY_KINDS = ("nb201", "complete")
NB201_CONV_KERNELS = {"nor_conv_3x3": 3, "nor_conv_1x1": 1}


class LatencyError(GraphnasError):
    """A latency table is missing, malformed, for another device, or lacks an entry."""


@dataclass(frozen=True, order=True)
class OpSite:
    """One searchable op running on a [B, channels, hw, hw] feature map."""

    op: str
    channels: int
    hw: int

    @property
    def key(self) -> str:
        return f"{self.op}@{self.channels}c{self.hw}px"


def _stages(space: SearchSpace, network: Mapping[str, Any]) -> list[tuple[int, int, int]]:
    """(channels, hw, cells) per stage of the space's skeleton (nb201 and complete kinds)."""
    if space.kind not in LATENCY_KINDS:
        raise LatencyError(
            f"space {space.name!r} ({space.kind}): no per-op latency model; "
            f"supported kinds: {', '.join(LATENCY_KINDS)}"
        )
    c, hw = int(network["channels"]), int(network["input_size"])
    if space.kind == "nb201":
        count, per_stage = 3, int(network["cells_per_stage"])
    else:
        count, per_stage = int(network["num_cells"]), 1
    stages = []
    for stage in range(count):
        if stage > 0:
            c, hw = 2 * c, conv_out(hw, 3, 2)
        stages.append((c, hw, per_stage))
    return stages


def _cell_ops(arch: ArchGraph, kind: str) -> list[str]:
    """The searchable ops of one cell (NB201: present edges; complete: kept hidden nodes)."""
    if kind == "nb201":
        return [str(e.op) for e in arch.edges if e.op not in (None, "none")]
    return [str(node.op) for node in arch.prune().nodes[1:-1]]


def op_sites(
    arch: ArchGraph, space: SearchSpace, network: Mapping[str, Any] | None = None
) -> Counter[OpSite]:
    """How many times each op site occurs in the network compiled from `arch`."""
    resolved = resolve_network(space, network)
    sites: Counter[OpSite] = Counter()
    ops = _cell_ops(arch, space.kind)
    for c, hw, cells in _stages(space, resolved):
        for op in ops:
            sites[OpSite(op, c, hw)] += cells
    return sites


def all_sites(space: SearchSpace, network: Mapping[str, Any] | None = None) -> list[OpSite]:
    """Every op site any architecture of the space can have (what a table must hold)."""
    resolved = resolve_network(space, network)
    vocab = space.edge_ops if space.kind == "nb201" else space.node_ops
    stages = _stages(space, resolved)
    return sorted({OpSite(op, c, hw) for c, hw, _ in stages for op in vocab})


def op_module(kind: str, op: str, channels: int) -> nn.Module:
    """The op as its kind's compiler builds it: [B, C, H, W] -> [B, C, H, W]."""
    if kind == "complete":
        return complete_op_module(op, channels)
    if op in NB201_CONV_KERNELS:
        return ConvBN(channels, channels, NB201_CONV_KERNELS[op])
    if op == "avg_pool_3x3":
        return avg_pool_3x3()
    if op == "skip_connect":
        return nn.Identity()
    raise LatencyError(f"nb201: op {op!r} has no latency entry")


def base_key(space: SearchSpace, network: Mapping[str, Any]) -> str:
    """Table key of the fixed part of `space`'s network with the skeleton `network`."""
    return f"base:{space.name}:" + json.dumps(dict(network), sort_keys=True)


def device_name(device: torch.device | str) -> str:
    """A human-readable name of the device the table is measured on."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return f"mps {platform.machine()}"
    return f"cpu {_cpu_model()} x{torch.get_num_threads()} threads"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def cache_dir() -> Path:
    """$GRAPHNAS_CACHE/latency, else $XDG_CACHE_HOME (or ~/.cache)/graphnas/latency."""
    root = os.environ.get("GRAPHNAS_CACHE")
    if root:
        return Path(root) / "latency"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "graphnas" / "latency"


def default_table_path(device: torch.device | str) -> Path:
    """Where the cached table of `device` lives."""
    return cache_dir() / safe_filename(device_name(device), ".json")


@dataclass
class LatencyTable:
    """Measured milliseconds per op site key (and per base key) on one device."""

    device: str
    batch_size: int
    entries: dict[str, float] = field(default_factory=dict)

    def lookup(self, key: str, source: str = "latency table") -> float:
        try:
            return self.entries[key]
        except KeyError:
            raise LatencyError(
                f"{source}: no entry {key!r} for device {self.device!r}; build it with "
                "`graphnas latency --space SPACE` for this space and network"
            ) from None

    def arch_latency_ms(
        self, arch: ArchGraph, space: SearchSpace, network: Mapping[str, Any] | None = None
    ) -> float:
        """Predicted latency of the compiled network of `arch` (see the module docstring)."""
        resolved = resolve_network(space, network)
        total = self.lookup(base_key(space, resolved))
        for site, count in op_sites(arch, space, resolved).items():
            total += count * self.lookup(site.key)
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "device": self.device,
            "batch_size": self.batch_size,
            "entries": dict(sorted(self.entries.items())),
        }

    def save(self, path: str | Path) -> Path:
        """Write the table as JSON, atomically (parent folders are created)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> LatencyTable:
        """Read a table written by `save`; one-line InputFileError when it is not one."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LatencyError(f"{path}: no latency table here") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputFileError(f"{path}: not a latency table ({_first_line(exc)})") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, source: str) -> LatencyTable:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise InputFileError(f"{source}: not a latency table (format must be {FORMAT!r})")
        device, batch, entries = data.get("device"), data.get("batch_size"), data.get("entries")
        if not isinstance(device, str) or isinstance(batch, bool) or not isinstance(batch, int):
            raise InputFileError(f"{source}: latency table needs a device name and a batch_size")
        if not isinstance(entries, dict) or not all(
            isinstance(k, str) and _non_negative(v) for k, v in entries.items()
        ):
            raise InputFileError(f"{source}: entries must map names to milliseconds >= 0")
        return cls(device, batch, {k: float(v) for k, v in entries.items()})


def load_table_for(device: torch.device | str, path: str | Path | None = None) -> LatencyTable:
    """The table at `path` (default: the cache of `device`), refused when measured elsewhere."""
    path = Path(path) if path is not None else default_table_path(device)
    table = LatencyTable.load(path)
    here = device_name(device)
    if table.device != here:
        raise LatencyError(f"{path}: measured on {table.device!r}, not on this {here!r}")
    return table


def measure_ms(module: nn.Module, x: torch.Tensor, repeats: int = 20, warmup: int = 3) -> float:
    """Median milliseconds of one forward pass of `module` on `x` (eval mode, no grad)."""
    synchronize = torch.cuda.synchronize if x.device.type == "cuda" else (lambda *_: None)
    module.eval()
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            synchronize(x.device)
            start = time.perf_counter()
            module(x)
            synchronize(x.device)
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def build_latency_table(
    space: SearchSpace | str | Path,
    *,
    device: torch.device | str = "cpu",
    network: Mapping[str, Any] | None = None,
    batch_size: int = 1,
    repeats: int = 20,
    warmup: int = 3,
    table: LatencyTable | None = None,
) -> LatencyTable:
    """Measure every op site of `space` (and its base) on `device`, into `table` if given.

    A table measured with another batch size or on another device is refused (ConfigError).
    """
    space = load_space(space)
    device = torch.device(device)
    if batch_size < 1 or repeats < 1 or warmup < 0:
        raise ConfigError("latency: batch_size and repeats must be >= 1, warmup >= 0")
    name = device_name(device)
    table = table or LatencyTable(name, batch_size)
    if table.device != name or table.batch_size != batch_size:
        raise ConfigError(
            f"latency: the table holds {table.device!r} at batch {table.batch_size}, "
            f"not {name!r} at batch {batch_size}"
        )
    resolved = resolve_network(space, network)
    for site in all_sites(space, resolved):
        module = op_module(space.kind, site.op, site.channels).to(device)
        x = torch.randn(batch_size, site.channels, site.hw, site.hw, device=device)
        table.entries[site.key] = measure_ms(module, x, repeats, warmup)
    example = space.example()
    net = compile_arch(example, space, network=resolved).to(device)
    size = int(resolved["input_size"])
    whole = measure_ms(net, torch.randn(batch_size, 3, size, size, device=device), repeats, warmup)
    ops = sum(n * table.entries[s.key] for s, n in op_sites(example, space, resolved).items())
    table.entries[base_key(space, resolved)] = max(0.0, whole - ops)
    return table


def _non_negative(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
