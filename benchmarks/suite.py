"""Every figure BENCHMARKS.md quotes: which script makes it, with which arguments per mode.

`python -m benchmarks [--mode quick|full] [--only NAME ...]` runs the entries below (each script
is called as `python benchmarks/<script>.py ARGS --json benchmarks/results/<name>.json`) and
`python -m benchmarks render` rewrites the BENCHMARKS.md sections between
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->` from those result files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bench:
    """One benchmark: `script` (file stem in benchmarks/), arguments for each mode."""

    name: str
    script: str
    quick: tuple[str, ...]
    full: tuple[str, ...]


SUITE: list[Bench] = [
    Bench(
        "supernet_ranking",
        "supernet_ranking",
        ("--cells", "16", "--warmup-steps", "30"),
        ("--cells", "200", "--warmup-steps", "600"),
    ),
    Bench(
        "supernet_cost",
        "supernet_cost",
        ("--steps", "4", "--cells", "3", "--train-cells", "1"),
        ("--steps", "30", "--cells", "10", "--train-cells", "2"),
    ),
    Bench(
        "supernet_search",
        "supernet_search",
        ("--seeds", "1", "--queries", "4", "--warmup-steps", "10"),
        ("--seeds", "2", "--queries", "60"),
    ),
    # Bench("search_overhead", "search_overhead", ("--queries", "10"), ("--queries", "100")),
]
