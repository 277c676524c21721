"""Golden checks: compiled networks have the published parameter counts and FLOPs.

The committed fixture (tests/assets/compiler_golden.json, from scripts/make_compiler_golden.py)
holds a sample of the NAS-Bench-Suite-Zero figures; the full tables in ../shared/data are swept
when present. NB201 parameter counts for all 15,625 cells come from the packaged benchmark table.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from graphnas.compiler import arch_cost, compile_arch, count_parameters, measure_flops
from graphnas.evaluators.nb201_table import load_nb201_table
from graphnas.spaces import load_space

GOLDEN = json.loads(
    (Path(__file__).resolve().parents[1] / "assets" / "compiler_golden.json").read_text()
)
NB201 = load_space("nb201")
NB101 = load_space("nb101")
# Classifier rule of NAS-Bench-201: only the last linear layer differs between datasets.
EXTRA_PARAMS = {"cifar100": 5_850, "ImageNet16-120": 7_150}
# RandWire small regime (Xie et al. 2019, Table 2): ~583M multiply-adds, ~5.6M parameters.
RANDWIRE_SMALL_FLOPS, RANDWIRE_SMALL_PARAMS = 583e6, 5.6e6


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """One intra-op thread: on a shared, loaded 2-core machine OpenMP workers that wait for
    each other make small ops 30-300x slower than single-threaded."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _millions(value: int) -> float:
    return round(value / 1e6, 6)


def _nb201_checks(cells: list[dict]) -> int:
    checked = 0
    for cell in cells:
        arch = NB201.from_ops(cell["ops"])
        for dataset, (classes, size) in GOLDEN["nb201_datasets"].items():
            cost = arch_cost(arch, NB201, num_classes=classes, input_size=size)
            assert _millions(cost.params) == cell[dataset]["params_M"], (cell["ops"], dataset)
            assert _millions(cost.flops_elementwise) == cell[dataset]["flops_M"], (
                cell["ops"],
                dataset,
            )
            checked += 1
    return checked


def _nb101_checks(cells: list[dict]) -> int:
    for cell in cells:
        bits = [int(b) for b in cell["matrix"]]
        matrix = [bits[7 * i : 7 * i + 7] for i in range(7)]
        arch = NB101.from_matrix(matrix, cell["ops"])
        cost = arch_cost(arch, NB101)
        assert _millions(cost.params) == cell["params_M"], cell
        assert _millions(cost.flops_elementwise) == cell["flops_M"], cell
    return len(cells)


def test_nb201_fixture_params_and_flops_match_published() -> None:
    assert _nb201_checks(GOLDEN["nb201"]) == 3 * len(GOLDEN["nb201"]) >= 150


def test_nb101_fixture_params_and_flops_match_published() -> None:
    assert _nb101_checks(GOLDEN["nb101"]) >= 50


def test_nb201_all_cells_match_the_benchmark_table() -> None:
    """All 15,625 cells against params_c10_M. 204 rows of the merged table carry values that
    are no NB201 network's count (they mix counts of different cells, e.g. 0.119973 =
    (2 x 129,306 + 101,306) / 3); every other row must match exactly."""
    table = load_nb201_table()
    archs = [NB201.decode(table.arch_str(row)) for row in range(len(table.params_cifar10))]
    counts = [arch_cost(arch, NB201, validate=False).params for arch in archs]
    realizable = set(counts)
    mismatched = [row for row, n in enumerate(counts) if n != table.params(row, "cifar10")]
    assert len(counts) == 15_625
    assert len(mismatched) == 204
    assert all(table.params(row, "cifar10") not in realizable for row in mismatched)
    for arch, count in zip(archs[:40], counts[:40], strict=True):
        for dataset, extra in EXTRA_PARAMS.items():
            classes, size = GOLDEN["nb201_datasets"][dataset]
            cost = arch_cost(arch, NB201, num_classes=classes, input_size=size, validate=False)
            assert cost.params == count + extra


@pytest.mark.parametrize(
    "arch_str",
    [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|",
        "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|",
    ],
)
def test_nb201_built_network_equals_table(arch_str: str) -> None:
    """The built network (not the analytic count) has the table's parameters and FLOPs."""
    table = load_nb201_table()
    net = compile_arch(NB201.decode(arch_str), NB201)
    assert (
        count_parameters(net) == net.cost.params == table.params(table.row_of[arch_str], "cifar10")
    )
    assert measure_flops(net, 32, batch=1) == net.cost.flops


def test_randwire_small_regime_matches_published_size() -> None:
    space = load_space("randwire_small")
    costs = [
        arch_cost(space.sample_prior(np.random.default_rng(seed)), space) for seed in range(20)
    ]
    params = np.mean([c.params for c in costs])
    flops = np.mean([c.flops for c in costs])
    assert abs(params / RANDWIRE_SMALL_PARAMS - 1) < 0.02, params
    assert abs(flops / RANDWIRE_SMALL_FLOPS - 1) < 0.02, flops


# ----------------------------------------------------------------------------- full sweeps
def _shared_nb201_cells(shared: Path) -> list[dict]:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "scripts" / "make_compiler_golden.py"
    spec = importlib.util.spec_from_file_location("make_compiler_golden", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_nb201(shared), module.load_nb101(shared)


def test_full_published_tables(shared_data: Path) -> None:
    nb201_cells, nb101_cells = _shared_nb201_cells(shared_data)
    assert _nb201_checks(nb201_cells) == 3 * 491
    assert _nb101_checks(nb101_cells) == 500


def test_merged_csv_against_compiled_counts(shared_data: Path) -> None:
    """The CSV rows that disagree are exactly the ones the zc table contradicts where both
    exist: where a cell is in both tables, the zc figure equals our count."""
    zc = json.loads((shared_data / "nb201" / "zc_nasbench201.json").read_text())
    zc_c10 = zc["nasbench201"]["cifar10"]
    checked = 0
    with (shared_data / "nb201" / "nb201_merged.csv").open() as handle:
        for row in csv.DictReader(handle):
            arch = NB201.decode(row["arch_str"])
            count = arch_cost(arch, NB201, validate=False).params
            key = str(tuple(int(x) for x in row["naslib_ops"].split("-")))
            if key in zc_c10:
                assert _millions(count) == zc_c10[key]["params"], row["arch_str"]
                checked += 1
    assert checked == 491
