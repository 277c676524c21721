"""What a search sends to an offline wandb run: its group, the best cell's drawing each time the
best changes, and at the end the ledger as one table (a row per query, its metrics as columns)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from search_runs import EXPERIMENT, ledger

from graphnas.config import load_search_config
from graphnas.search import run_search
from graphnas.search.reports import LEDGER_COLUMNS, ledger_table
from graphnas.spaces import load_space
from graphnas.tracking import recorded_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_a_search_logs_its_group_best_cells_and_ledger_table_to_wandb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    out = tmp_path / "run"
    args = [f"out={out}", "budget.queries=5", "strategy=random", "seed=0", "progress=false"]
    args += ["tracking.backends=[wandb]", "tracking.group=nb201-cmp"]
    summary = run_search(load_search_config(EXPERIMENT, args))

    lines = ledger(out)
    assert len(lines) == summary["queries"] == 5
    record = recorded_run(out)
    assert record is not None and record["group"] == "nb201-cmp"
    (run,) = (out / "wandb").glob("offline-run-*")
    assert b"nb201-cmp" in next(run.glob("run-*.wandb")).read_bytes()

    # One drawing per new best, in query order of the improvements.
    improvements, best = [], None
    for line in lines:
        if line["status"] == "ok" and (best is None or line["reward"] > best):
            best = line["reward"]
            improvements.append(line["query"])
    drawings = sorted((out / "media").glob("best-query*.png"))
    assert [int(p.stem.removeprefix("best-query")) for p in drawings] == sorted(improvements)
    logged = sorted((run / "files" / "media" / "images" / "best").glob("cell_*.png"))
    assert len(logged) == len(improvements)
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in logged)
    assert summary["best"]["query"] == improvements[-1]

    (table_file,) = (run / "files" / "media" / "table").glob("ledger_*.table.json")
    table = json.loads(table_file.read_text())
    columns = table["columns"]
    assert columns[: len(LEDGER_COLUMNS)] == list(LEDGER_COLUMNS)
    assert "test_accuracy" in columns
    rows = [dict(zip(columns, row, strict=True)) for row in table["data"]]
    assert len(rows) == 5
    space = load_space("nb201")
    for row, line in zip(rows, lines, strict=True):
        assert (row["query"], row["hash"], row["status"]) == (
            line["query"],
            line["hash"],
            line["status"],
        )
        assert row["reward"] == pytest.approx(line["reward"])
        assert row["test_accuracy"] == pytest.approx(line["metrics"]["test_accuracy"])
        assert space.decode(row["code"]).to_dict() == line["arch"]


def test_the_ledger_table_has_every_metric_and_no_code_for_an_invalid_line() -> None:
    space = load_space("nb201")
    arch = space.example().to_dict()
    lines = [
        {"query": 1, "step": 1, "hash": "e:1", "arch": arch, "reward": 0.5, "status": "ok",
         "cost_s": 1.0, "metrics": {"acc": 0.5, "trials": [1, 2]}},
        {"query": 2, "step": 1, "hash": "invalid:ab", "arch": {"nodes": []}, "reward": None,
         "status": "failed", "cost_s": 0.0, "metrics": {}},
        {"query": 3, "step": 2, "hash": "e:2", "arch": arch, "reward": 0.7, "status": "ok",
         "cost_s": 2.0, "metrics": {"params": 10, "reward": 9.0}},
    ]  # fmt: skip
    columns, rows = ledger_table(space, lines)
    assert columns == [*LEDGER_COLUMNS, "acc", "trials", "params"]  # "reward" is not repeated
    assert rows[0] == [
        1,
        1,
        "e:1",
        space.encode(space.example()),
        0.5,
        "ok",
        1.0,
        0.5,
        "[1, 2]",
        None,
    ]
    assert rows[1][3] is None and rows[1][-3:] == [None, None, None]
    assert rows[2][4] == 0.7 and rows[2][-1] == 10
