"""Compiler benchmark: training throughput of compiled networks vs a naive reference, in one run.

For each architecture the naive reference is written here the way a per-node implementation
usually is: an nn.ModuleDict of node (or edge) modules walked with a dict of outputs every step,
aggregation by Python sum(), every op with its own ReLU. It has the same graph and exactly the
same parameter count (asserted). Each training step is forward + backward + SGD step on random
data. Variants are interleaved round by round so machine load hits them alike; the table gives
medians of images/s by wall clock and by process CPU time (less sensitive to other load on a
shared machine).

Also measured in the same run: dense fp32 matmul FLOP/s (the machine's practical peak) and the
fraction of it the compiled networks achieve (training FLOPs = 3 x forward, forward FLOPs =
2 x multiply-accumulates), and compile time per architecture for a 3 x 32-node RandWire.

Usage: python benchmarks/bench_compiler.py [--rounds 5] [--threads 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from record import add_json_option, write_record
from torch import Tensor, nn

from graphnas.compiler import compile_arch
from graphnas.compiler.ops import ClassifierHead, ConvBN, ResidualReduction, SepConvBN
from graphnas.graph import ArchGraph
from graphnas.spaces import load_space
from graphnas.spaces.randwire import RandWireSpace


# ----------------------------------------------------------------------------- naive references
class NaiveRandWireNode(nn.Module):
    def __init__(self, in_degree: int, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(in_degree)) if in_degree else None
        self.op = SepConvBN(c_in, c_out, 3, stride=stride, relu_before=True)

    def forward(self, inputs: list[Tensor]) -> Tensor:
        if self.weights is None:
            return self.op(inputs[0])
        return self.op(sum(torch.sigmoid(self.weights[i]) * x for i, x in enumerate(inputs)))


class NaiveRandWireStage(nn.Module):
    def __init__(self, edges: list[tuple[int, int]], n: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.preds = {str(v): [str(u) for u, w in edges if w == v] for v in range(n)}
        has_out = {str(u) for u, _ in edges}
        self.sinks = [str(v) for v in range(n) if str(v) not in has_out]
        self.nodes = nn.ModuleDict(
            {
                v: NaiveRandWireNode(len(p), c_out if p else c_in, c_out, 1 if p else 2)
                for v, p in self.preds.items()
            }
        )

    def forward(self, x: Tensor) -> Tensor:
        outputs: dict[str, Tensor] = {}
        for name, node in self.nodes.items():
            preds = self.preds[name]
            outputs[name] = node([outputs[u] for u in preds] if preds else [x])
        return sum(outputs[v] for v in self.sinks) / len(self.sinks)


def naive_randwire(arch: ArchGraph, space: RandWireSpace, net: dict) -> nn.Module:
    c = int(net["channels"])
    first_stride = 1 if net["stem"] == "tiny" else 2
    layers: list[nn.Module] = [ConvBN(3, c // 2, 3, stride=first_stride, relu_before=False)]
    layers.append(ConvBN(c // 2, c, 3, stride=2))
    c_prev = c
    for s, (n, edges) in enumerate(zip(space.stage_nodes, space.stage_edges(arch), strict=True)):
        c_stage = c * int(net["stage_channel_mult"][s])
        layers.append(NaiveRandWireStage(edges, n, c_prev, c_stage))
        c_prev = c_stage
    layers += [ConvBN(c_prev, int(net["head_channels"]), 1), nn.AdaptiveAvgPool2d(1)]
    layers += [nn.Flatten(1), nn.Linear(int(net["head_channels"]), int(net["num_classes"]))]
    return nn.Sequential(*layers)


class NaiveNB201Cell(nn.Module):
    def __init__(self, arch: ArchGraph, c: int) -> None:
        super().__init__()
        ops: dict[str, nn.Module] = {}
        for e in arch.edges:
            if e.op == "nor_conv_3x3":
                ops[f"{e.src}->{e.dst}"] = ConvBN(c, c, 3)
            elif e.op == "nor_conv_1x1":
                ops[f"{e.src}->{e.dst}"] = ConvBN(c, c, 1)
            elif e.op == "avg_pool_3x3":
                ops[f"{e.src}->{e.dst}"] = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
            else:
                ops[f"{e.src}->{e.dst}"] = nn.Identity()
        self.edges = nn.ModuleDict(ops)

    def forward(self, x: Tensor) -> Tensor:
        nodes = {0: x}
        for t in range(1, 4):
            terms = [
                self.edges[f"{j}->{t}"](nodes[j]) for j in range(t) if f"{j}->{t}" in self.edges
            ]
            nodes[t] = sum(terms) if terms else torch.zeros_like(x)
        return nodes[3]


def naive_nb201(arch: ArchGraph, net: dict) -> nn.Module:
    c = int(net["channels"])
    layers: list[nn.Module] = [ConvBN(3, c, 3, relu_before=False)]
    for stage in range(3):
        if stage:
            layers.append(ResidualReduction(c, 2 * c))
            c *= 2
        layers += [NaiveNB201Cell(arch, c) for _ in range(int(net["cells_per_stage"]))]
    layers.append(ClassifierHead(c, int(net["num_classes"]), pre_bn=True))
    return nn.Sequential(*layers)


# ----------------------------------------------------------------------------- measurement
def train_step_fn(model: nn.Module, batch: int, size: int, classes: int, channels_last: bool):
    """A closure running one SGD training step on fixed random data."""
    x = torch.randn(batch, 3, size, size)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, classes, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) for `repeats` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def matmul_peak(n: int = 1024, repeats: int = 10) -> tuple[float, float]:
    """Dense fp32 matmul FLOP/s (wall, CPU-time based)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    wall, cpu = timed(lambda: torch.mm(a, b), repeats)
    flops = 2 * n**3 * repeats
    return flops / wall, flops / cpu


def compare(
    label: str,
    variants: dict[str, Callable[[], None]],
    batch: int,
    rounds: int,
    steps: int,
) -> dict[str, tuple[float, float]]:
    """Interleaved rounds; returns median (wall img/s, CPU img/s) per variant."""
    for step in variants.values():  # warm-up (allocator, oneDNN primitive caches)
        step()
        step()
    walls: dict[str, list[float]] = {k: [] for k in variants}
    cpus: dict[str, list[float]] = {k: [] for k in variants}
    names = list(variants)
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            wall, cpu = timed(variants[name], steps)
            walls[name].append(batch * steps / wall)
            cpus[name].append(batch * steps / cpu)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in names}


def bench_arch(
    label: str,
    compiled_factory: Callable[[bool], nn.Module],
    naive: nn.Module,
    flops: int,
    batch: int,
    size: int,
    classes: int,
    rounds: int,
    steps: int,
    peak: tuple[float, float],
) -> list[dict[str, Any]]:
    """One row per variant: img/s (wall and per CPU-second), ratios to naive, % of matmul peak."""
    compiled = compiled_factory(False)
    compiled_cl = compiled_factory(True)
    n_naive = sum(p.numel() for p in naive.parameters())
    n_comp = sum(p.numel() for p in compiled.parameters())
    assert n_naive == n_comp, (n_naive, n_comp)
    naive_cl = copy.deepcopy(naive)
    variants = {
        "naive": train_step_fn(naive, batch, size, classes, False),
        "naive channels_last": train_step_fn(naive_cl, batch, size, classes, True),
        "compiled": train_step_fn(compiled, batch, size, classes, False),
        "compiled channels_last": train_step_fn(compiled_cl, batch, size, classes, True),
    }
    result = compare(label, variants, batch, rounds, steps)
    base_wall, base_cpu = result["naive"]
    train_flops = 3 * 2 * flops
    return [
        {
            "network": label,
            "variant": name,
            "params": n_comp,
            "img_s_wall": wall,
            "vs_naive_wall": wall / base_wall,
            "img_s_cpu": cpu,
            "vs_naive_cpu": cpu / base_cpu,
            "peak_pct": 100 * train_flops * cpu / peak[1],
        }
        for name, (wall, cpu) in result.items()
    ]


def table_line(row: dict[str, Any]) -> str:
    return (
        f"| {row['network']} | {row['variant']} | {row['params']:,} | {row['img_s_wall']:.1f} | "
        f"{row['vs_naive_wall']:.2f}x | {row['img_s_cpu']:.1f} | {row['vs_naive_cpu']:.2f}x | "
        f"{row['peak_pct']:.0f}% |"
    )


def compile_time_ms(count: int) -> dict[str, float]:
    """compile_arch time per architecture (ms) for 3 x 32-node RandWire (randwire_small) archs:
    median wall, max wall, median process CPU."""
    space = load_space("randwire_small")
    archs = [space.sample_prior(np.random.default_rng(seed)) for seed in range(count)]
    compile_arch(archs[0], space)
    walls, cpus = [], []
    for arch in archs:
        wall, cpu = timed(lambda arch=arch: compile_arch(arch, space), 1)
        walls.append(1000 * wall)
        cpus.append(1000 * cpu)
    return {
        "median": statistics.median(walls),
        "max": max(walls),
        "cpu": statistics.median(cpus),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2, help="training steps per round")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    add_json_option(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    peak = matmul_peak()

    lines = [
        f"torch {torch.__version__}, {args.threads} thread(s), {args.rounds} rounds x "
        f"{args.steps} steps, medians",
        f"dense fp32 matmul peak: {peak[0] / 1e9:.1f} GFLOP/s wall, "
        f"{peak[1] / 1e9:.1f} GFLOP/s per CPU-second",
        "",
        "| network | variant | params | img/s (wall) | vs naive | img/s (CPU time) | vs naive "
        "| % of matmul peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rng = np.random.default_rng(args.seed)
    rows: list[dict[str, Any]] = []

    for name, size, classes, batch in (
        ("randwire_tiny", 64, 200, 32),
        ("randwire_small", 64, 200, 32),
    ):
        space = load_space(name)
        assert isinstance(space, RandWireSpace)
        arch = space.sample_prior(rng)
        net = {**space.network, "input_size": size, "num_classes": classes}
        label = f"RandWire {name.split('_')[1]} C=78, {size}x{size}, batch {batch}"

        def factory(
            cl: bool, arch: ArchGraph = arch, space: RandWireSpace = space, net: dict = net
        ) -> nn.Module:
            return compile_arch(arch, space, network=net, channels_last=cl)

        compiled = factory(False)
        rows += bench_arch(
            label,
            factory,
            naive_randwire(arch, space, net),
            compiled.cost.flops,
            batch,
            size,
            classes,
            args.rounds,
            args.steps,
            peak,
        )

    space = load_space("nb201")
    arch = space.sample_prior(rng)
    while sum(e.op in ("nor_conv_3x3", "nor_conv_1x1") for e in arch.edges) < 3:
        arch = space.sample_prior(rng)  # a cell with real conv work
    net = dict(space.network)

    def nb201_factory(cl: bool) -> nn.Module:
        return compile_arch(arch, space, channels_last=cl)

    label = f"NB201 {space.encode(arch)}, 32x32, batch 64"
    rows += bench_arch(
        label,
        nb201_factory,
        naive_nb201(arch, net),
        nb201_factory(False).cost.flops,
        64,
        32,
        10,
        args.rounds,
        args.steps,
        peak,
    )
    lines += [table_line(row) for row in rows]
    ms = compile_time_ms(10)
    rows.append(
        {
            "compile_ms_median": ms["median"],
            "compile_ms_max": ms["max"],
            "compile_ms_cpu": ms["cpu"],
        }
    )
    rows.append({"matmul_gflops_wall": peak[0] / 1e9, "matmul_gflops_cpu": peak[1] / 1e9})
    lines += [
        "",
        f"compile_arch, 3 x 32-node RandWire (C=78, 10 archs): median {ms['median']:.0f} ms wall "
        f"(max {ms['max']:.0f} ms), median {ms['cpu']:.0f} ms process CPU per architecture",
    ]
    write_record(args.json, "compiler", "\n".join(lines), rows)


if __name__ == "__main__":
    main()
