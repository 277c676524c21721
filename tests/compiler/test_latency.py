"""Latency lookup table: measurement, JSON round trip, device refusal, cost model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from graphnas.compiler import arch_cost
from graphnas.compiler.compile import resolve_network
from graphnas.compiler.cost_model import CostModel
from graphnas.compiler.latency import (
    LatencyError,
    LatencyTable,
    all_sites,
    base_key,
    build_latency_table,
    default_table_path,
    device_name,
    load_table_for,
    op_sites,
)
from graphnas.errors import GraphnasError
from graphnas.spaces import load_space

SMALL_NB201 = {"channels": 4, "cells_per_stage": 1, "input_size": 16}


@pytest.fixture(scope="module")
def nb201_table() -> LatencyTable:
    return build_latency_table("nb201", network=SMALL_NB201, repeats=2, warmup=0)


def test_table_holds_every_op_site_and_the_base(nb201_table):
    space = load_space("nb201")
    keys = {site.key for site in all_sites(space, SMALL_NB201)}
    assert len(keys) == 4 * 3  # four real ops at three stage sizes
    base = base_key(space, resolve_network(space, SMALL_NB201))
    assert set(nb201_table.entries) == keys | {base}
    assert all(v >= 0 for v in nb201_table.entries.values())


def test_round_trip_is_exact(nb201_table, tmp_path):
    path = nb201_table.save(tmp_path / "sub" / "table.json")
    loaded = LatencyTable.load(path)
    assert loaded == nb201_table
    space = load_space("nb201")
    for seed in range(5):
        arch = space.sample_prior(np.random.default_rng(seed))
        assert loaded.arch_latency_ms(arch, space, SMALL_NB201) == nb201_table.arch_latency_ms(
            arch, space, SMALL_NB201
        )


def test_latency_is_base_plus_op_sites(nb201_table):
    space = load_space("nb201")
    arch = space.decode("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|none~1|none~2|")
    sites = op_sites(arch, space, SMALL_NB201)
    assert sum(sites.values()) == 3 * 3  # 3 present edges x 1 cell x 3 stages
    base = nb201_table.entries[base_key(space, resolve_network(space, SMALL_NB201))]
    expected = base + sum(n * nb201_table.entries[s.key] for s, n in sites.items())
    assert nb201_table.arch_latency_ms(arch, space, SMALL_NB201) == pytest.approx(expected)


def test_another_device_and_missing_entries_are_refused(nb201_table, tmp_path, monkeypatch):
    path = tmp_path / "t.json"
    LatencyTable("some other gpu", 1, dict(nb201_table.entries)).save(path)
    with pytest.raises(LatencyError, match="measured on 'some other gpu'"):
        load_table_for("cpu", path)
    space = load_space("nb201")
    with pytest.raises(LatencyError, match="no entry"):
        nb201_table.arch_latency_ms(space.example(), space)  # the full-size skeleton: not built
    monkeypatch.setenv("GRAPHNAS_CACHE", str(tmp_path / "cache"))
    assert default_table_path("cpu").parent == tmp_path / "cache" / "latency"
    nb201_table.save(default_table_path("cpu"))
    assert load_table_for("cpu").device == device_name("cpu")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"format": "x"}',
        '{"format": "graphnas-latency-table/1", "device": 1}',
        '{"format": "graphnas-latency-table/1", "device": "d", "batch_size": 1, '
        '"entries": {"a": -1}}',
    ],
)
def test_malformed_tables_are_one_line_errors(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(GraphnasError) as err:
        LatencyTable.load(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_complete_space_and_cost_model(tmp_path):
    network = {"channels": 4, "num_cells": 2, "input_size": 16}
    table = build_latency_table("complete", network=network, repeats=1, warmup=0)
    space = load_space("complete")
    model = CostModel(space, network, table)
    arch = space.example()
    costs = model.costs(arch)
    cost = arch_cost(arch, space, network=network)
    assert costs["params"] == cost.params and costs["flops"] == cost.flops
    assert costs["latency_ms"] == table.arch_latency_ms(arch, space, network) > 0
    assert "latency_ms" not in CostModel(space, network).costs(arch)
    json.dumps(table.to_dict())  # plain JSON


def test_unsupported_kind_is_one_line():
    with pytest.raises(LatencyError, match="no per-op latency model"):
        build_latency_table("nb101", repeats=1)


def test_latency_command_builds_and_extends_the_table(tmp_path, capsys):
    from typer.testing import CliRunner

    from graphnas.cli import app

    out = tmp_path / "t.json"
    args = ["latency", "--space", "nb201", "--device", "cpu", "--repeats", "1", "--out", str(out)]
    small = ["--network", "channels=4", "--network", "cells_per_stage=1"]
    result = CliRunner().invoke(app, [*args, *small])
    assert result.exit_code == 0, result.output
    first = LatencyTable.load(out)
    result = CliRunner().invoke(app, [*args, *small, "--network", "input_size=16"])
    assert result.exit_code == 0 and len(LatencyTable.load(out).entries) > len(first.entries)
    from graphnas.cli import main

    assert main([*args, "--network", "channels"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
