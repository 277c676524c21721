"""Run directory files: fsynced JSON lines, atomic JSON, refusal to overwrite a run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from graphnas.errors import ConfigError, InputFileError
from graphnas.runfiles import dumps_line, read_jsonl, write_json_atomic
from graphnas.search import RunDir


def test_ledger_lines_round_trip_in_order(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "run")
    writer = run.open_ledger()
    entries = [{"query": i, "reward": float(i) / 3} for i in range(5)]
    for entry in entries:
        writer.append(entry)
    writer.close()
    assert list(run.read_ledger()) == entries
    assert len(run.ledger.read_text().splitlines()) == 5


def test_non_finite_and_numpy_values_become_plain_json() -> None:
    line = dumps_line(
        {"r": math.nan, "m": {"acc": np.float32(0.5), "n": np.int64(3), "v": np.arange(2)}}
    )
    assert json.loads(line) == {"r": None, "m": {"acc": 0.5, "n": 3, "v": [0, 1]}}
    assert "\n" not in line


def test_a_torn_last_line_is_skipped_but_a_corrupt_middle_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_text('{"query": 1}\n{"query": 2}\n{"que')
    assert [e["query"] for e in read_jsonl(path)] == [1, 2]
    path.write_text('{"query": 1}\nnot json\n{"query": 3}\n')
    with pytest.raises(InputFileError, match="line 2"):
        list(read_jsonl(path))
    path.write_text("[1, 2]\n{}\n")
    with pytest.raises(InputFileError, match="not a JSON object"):
        list(read_jsonl(path))


def test_atomic_json_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    write_json_atomic(target, {"best": None, "wall_s": math.inf})
    write_json_atomic(target, {"best": {"reward": 1.0}})
    assert json.loads(target.read_text()) == {"best": {"reward": 1.0}}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_create_refuses_a_directory_that_holds_a_run(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "run")
    run.ledger.write_text("")
    with pytest.raises(ConfigError, match="already holds a run"):
        RunDir.create(tmp_path / "run")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        RunDir.create(tmp_path / "file")
    # An empty existing directory is fine.
    (tmp_path / "empty").mkdir()
    assert RunDir.create(tmp_path / "empty").path == tmp_path / "empty"


def test_default_paths_do_not_collide(tmp_path: Path) -> None:
    first = RunDir.default_path("exp", 3, root=tmp_path)
    first.mkdir()
    second = RunDir.default_path("exp", 3, root=tmp_path)
    assert first != second and first.name.startswith("exp-seed3-")
