"""Export speed: a 3 x 32-node RandWire architecture (the small regime, WS(4, 0.75)) to SVG.

Timed in one process, median of --repeats runs each, for the same architecture:
- graphnas SVG (graphviz): the full styled export `arch_bytes(arch, "svg")` - scene with stage
  clusters, ports and legend, styled DOT, `dot -Tsvg` through the graphviz package;
- graphnas SVG (matplotlib fallback): the same export with engine="matplotlib" (layered layout,
  curved long edges, legend);
- plain dot: the naive reference - `dot -Tsvg` of a bare DOT text (one labelled node per node, one
  line per edge; no clusters, styling or legend), run the same way;
- networkx draw: the other naive reference - `networkx.draw` with a spring layout saved as SVG.
Then the command a user runs, end to end in a fresh interpreter (Python start-up and imports
included): `graphnas export arch.json --format svg --out arch.svg`.

Usage: python benchmarks/bench_export.py [--repeats 7] [--json PATH]
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from record import add_json_option, write_record

from graphnas.export import arch_bytes
from graphnas.graph import ArchGraph
from graphnas.spaces import load_space

PLAIN_DOT = "plain dot, bare DOT text (reference)"


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: imports, font cache, first process start
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plain_dot(arch: ArchGraph) -> bytes:
    import graphviz

    lines = [f'  n{i} [label="{node.op or node.role}"];' for i, node in enumerate(arch.nodes)]
    lines += [f"  n{e.src} -> n{e.dst};" for e in arch.edges]
    text = "digraph arch {\n" + "\n".join(lines) + "\n}\n"
    return graphviz.Source(text).pipe(format="svg", engine="dot", quiet=True)


def networkx_draw(arch: ArchGraph) -> bytes:
    import networkx as nx
    from matplotlib.figure import Figure

    g = arch.to_networkx()
    fig = Figure(figsize=(12, 12))
    ax = fig.add_subplot()
    nx.draw(g, nx.spring_layout(g, seed=0), ax=ax, node_size=120, with_labels=True, font_size=6)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg")
    return buffer.getvalue()


def cli_seconds(arch: ArchGraph, repeats: int, engine: str) -> float:
    graphnas = Path(sys.executable).with_name("graphnas")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "arch.json"
        source.write_text(arch.to_json())
        command = [str(graphnas), "export", str(source), "--format", "svg"]
        command += ["--out", str(Path(tmp) / "arch.svg"), "--engine", engine]
        return median_seconds(
            lambda: subprocess.run(command, check=True, capture_output=True), repeats
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    add_json_option(parser)
    args = parser.parse_args()

    arch = load_space("randwire_small").sample_prior(np.random.default_rng(0))
    has_dot = shutil.which("dot") is not None
    rows: list[tuple[str, float]] = []
    if has_dot:
        rows.append(
            (
                "graphnas SVG (graphviz)",
                median_seconds(lambda: arch_bytes(arch, "svg", engine="graphviz"), args.repeats),
            )
        )
    rows.append(
        (
            "graphnas SVG (matplotlib fallback)",
            median_seconds(lambda: arch_bytes(arch, "svg", engine="matplotlib"), args.repeats),
        )
    )
    if has_dot:
        rows.append(
            (
                PLAIN_DOT,
                median_seconds(lambda: plain_dot(arch), args.repeats),
            )
        )
    rows.append(
        (
            "networkx.draw, spring layout (reference)",
            median_seconds(lambda: networkx_draw(arch), args.repeats),
        )
    )
    engine = "graphviz" if has_dot else "matplotlib"
    cli = cli_seconds(arch, max(3, args.repeats // 2), engine)

    rows.append((f"`graphnas export arch.json --format svg` ({engine}), whole command", cli))
    base = dict(rows).get(PLAIN_DOT)
    lines = [
        f"RandWire 3 x 32 nodes ({arch.num_nodes} nodes, {arch.num_edges} edges), SVG, "
        f"median of {args.repeats} (the whole command: of {max(3, args.repeats // 2)}, "
        "start-up included)",
        "",
        "| export | seconds | vs plain dot |",
        "|---|---|---|",
    ]
    for name, seconds in rows:
        ratio = f"{seconds / base:.2f}x" if base else "n/a"
        lines.append(f"| {name} | {seconds:.3f} | {ratio} |")
    if not has_dot:
        lines += ["", "graphviz's `dot` is not installed here: no graphviz rows."]
    records = [
        {"export": name, "seconds": seconds, "vs_plain_dot": seconds / base if base else None}
        for name, seconds in rows
    ]
    write_record(args.json, "export", "\n".join(lines), records)


if __name__ == "__main__":
    main()
