"""The ledger on its own: lines written and read back, the digest chain from the config
identity, what the verifying reader refuses, and a torn last line cut before appending."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from graphnas.errors import InputFileError
from graphnas.evaluators.base import EvalResult
from graphnas.graph import ArchGraph
from graphnas.search.ledger import LedgerWriter, chain_start, ledger_line, read_ledger
from graphnas.spaces import load_space

SPACE = load_space("nb201")
CELLS = list(SPACE.enumerate())[:4]
START = chain_start({"space": "nb201", "seed": 3})
RESULTS = [EvalResult(0.5, {"test": 0.4}, 1.0), EvalResult.failure("boom"), EvalResult(0.7)]


def lines(results=RESULTS, start: str = START) -> list[dict]:
    """The ledger lines of `results` (query i at step i, one cell each), chained from `start`."""
    out, previous = [], start
    for i, result in enumerate(results):
        line = ledger_line(
            previous,
            query=i + 1,
            step=i + 1,
            seed=3,
            hash=SPACE.canonical_hash(CELLS[i]),
            exact=True,
            arch=CELLS[i].to_dict(),
            result=result,
            elapsed_s=0.1 * i,
        )
        out.append(line)
        previous = line["digest"]
    return out


def write(path: Path, records: list[dict]) -> Path:
    writer = LedgerWriter(path)
    for record in records:
        writer.append(record)
    writer.close()
    return path


def test_written_lines_read_back_as_the_results_with_their_chain(tmp_path: Path) -> None:
    records = lines()
    path = write(tmp_path / "ledger.jsonl", records)
    entries, valid = read_ledger(path, seed=3, start=START)
    assert valid == path.stat().st_size
    assert [e.query for e in entries] == [1, 2, 3] and [e.line for e in entries] == [1, 2, 3]
    assert [e.digest for e in entries] == [r["digest"] for r in records]
    assert entries[0].result == RESULTS[0] and entries[2].result == RESULTS[2]
    assert not entries[1].result.ok and math.isnan(entries[1].result.reward)
    assert entries[1].result.error == "boom"
    assert ArchGraph.from_dict(entries[0].arch) == CELLS[0]


def test_the_chain_starts_at_the_config_identity_and_ignores_timings(tmp_path: Path) -> None:
    path = write(tmp_path / "ledger.jsonl", lines())
    other = chain_start({"space": "nb201", "seed": 4})
    with pytest.raises(InputFileError, match="line 1 was not written with this run's"):
        read_ledger(path, seed=3, start=other)
    retimed = [{**r, "elapsed_s": 99.0} for r in lines()]
    assert len(read_ledger(write(tmp_path / "retimed.jsonl", retimed), 3, START)[0]) == 3


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r[1].update(reward=0.9, status="ok", error=None), "line 2 was edited"),
        (lambda r: r[2].update(query=4), "line 3 is query 4, expected 3"),
        (lambda r: r[2].update(step=1), "line 3 goes back to step 1"),
        (lambda r: r[2].update(hash=r[0]["hash"]), "line 3 repeats architecture"),
        (lambda r: r[0].update(seed=5), "line 1: seed 5, but the run's config has 3"),
        (lambda r: r[0].update(status="done"), "line 1: status 'done' is not ok or failed"),
        (lambda r: r[0].update(cost_s=-1.0), "line 1: 'cost_s' is not a non-negative number"),
    ],
    ids=["reward", "query", "step", "hash", "seed", "status", "cost"],
)
def test_the_reader_refuses_an_edited_line_naming_it(tmp_path: Path, edit, message: str) -> None:
    records = lines()
    edit(records)
    path = write(tmp_path / "ledger.jsonl", records)
    with pytest.raises(InputFileError, match=message) as refused:
        read_ledger(path, seed=3, start=START)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


def test_a_torn_last_line_is_beyond_the_valid_bytes_and_cut_before_appending(
    tmp_path: Path,
) -> None:
    records = lines()
    path = write(tmp_path / "ledger.jsonl", records[:2])
    whole = path.stat().st_size
    with path.open("a") as torn:
        torn.write(json.dumps(records[2])[:40])  # killed mid-write: no newline
    entries, valid = read_ledger(path, seed=3, start=START)
    assert len(entries) == 2 and valid == whole
    writer = LedgerWriter(path, valid)
    writer.append(records[2])
    writer.close()
    assert [e.query for e in read_ledger(path, seed=3, start=START)[0]] == [1, 2, 3]
