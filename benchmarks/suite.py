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
    # GraphPNAS (STRATEGY): search quality over 3 datasets x 10 seeds against the baselines,
    # the learned distribution, the loop's overhead and the generator's throughput.
    Bench(
        "nb201_search",
        "nb201_search",
        (
            "--seeds",
            "0",
            "--datasets",
            "cifar10",
            "--queries",
            "25",
            "--strategies",
            "graphpnas (recipe),evolution",
        ),
        # full: the whole lineup (the recipe, the original elite rule, tempered, the three
        # baselines) on seeds 0-9, then the recipe and the baselines on the confirmation seeds
        # 300-309 (100-109 and 200-209 took part in choosing the recipe's mutants): 300 searches
        ("--seeds", "0-9", "--confirm-seeds", "300-309", "--jobs", "2"),
    ),
    Bench(
        "nb201_distribution",
        "nb201_distribution",
        ("--seeds", "0", "--queries", "25", "--samples", "200"),
        (
            "--seeds",
            "0-2",
        ),
    ),
    Bench(
        "generator_spaces",
        "generator_spaces",
        ("--queries", "6", "--samples", "20"),
        ("--queries", "24", "--samples", "200"),
    ),
    Bench("table_load", "table_load", ("--repeats", "1"), ("--repeats", "5")),
    Bench(
        "chain_bench",
        "chain_bench",
        ("--queries", "40", "--seeds", "2", "--strategies", "random,evolution"),
        ("--queries", "100", "--seeds", "3", "--strategies", "random,evolution,graphpnas"),
    ),
    # Issue 13's red-team families (LIFECYCLE): cases tried / held per family.
    Bench("redteam", "redteam", (), ()),
    Bench("search_overhead", "search_overhead", ("--queries", "25", "--randwire-queries", "3"), ()),
    Bench("generator_throughput", "generator_throughput", ("--repeats", "1", "--singles", "5"), ()),
    # Existing figures (GRAPH converted them): full mode scaled so that together they take about
    # 20 min on an idle 2-core machine; each BENCHMARKS.md section says what was scaled down.
    Bench("export", "bench_export", ("--repeats", "2"), ("--repeats", "7")),
    Bench(
        "compiler",
        "bench_compiler",
        ("--rounds", "1", "--steps", "1"),
        ("--rounds", "3", "--steps", "2"),
    ),
    Bench("data_pipeline", "data_pipeline", ("--epochs", "1"), ("--epochs", "2")),
    Bench(
        "randwire_training",
        "randwire_training",
        ("--threads", "1", "--proxy-archs", "0"),
        ("--threads", "1", "--proxy-archs", "1"),
    ),
    Bench(
        "randwire_subset_curve",
        "randwire_subset_curve",
        ("--epochs", "1", "--channels", "8", "--resolution", "16"),
        ("--epochs", "5"),
    ),
    Bench(
        "naswot_nb201",
        "naswot_nb201",
        ("--cells", "12", "--workers", "0"),
        ("--cells", "200", "--workers", "2"),
    ),
    Bench("pool_speedup", "pool_speedup", ("--archs", "2"), ("--archs", "16")),
    Bench(
        "resume_cost",
        "resume_cost",
        ("--queries", "30", "--graphpnas-queries", "4"),
        ("--queries", "200", "--graphpnas-queries", "30"),
    ),
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
    # Differentiable search (DIFFERENTIABLE): NB201 test accuracy of DARTS/GDAS/StacNAS cells,
    # random search and evolution (NASWOT) at their mean CPU time, one ProxylessNAS row.
    Bench(
        "differentiable_nb201",
        "differentiable_nb201",
        ("--seeds", "1", "--steps", "20", "--train-per-class", "60"),
        ("--seeds", "3", "--steps", "150", "--proxyless-epochs", "2"),
    ),
    # Pareto mode (DIFFERENTIABLE): fronts of accuracy vs params per strategy on the NB201 table;
    # full mode also rewrites docs/figures/pareto_nb201.svg (quick writes it to /tmp).
    Bench(
        "pareto_nb201",
        "pareto_nb201",
        (
            "--seeds",
            "1",
            "--queries",
            "20",
            "--space-samples",
            "300",
            "--figure",
            "/tmp/pareto_nb201_quick.svg",
        ),
        ("--seeds", "3", "--queries", "100", "--space-samples", "5000"),
    ),
]
