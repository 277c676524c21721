"""Architecture identity in the search: one identify per proposal, exact isomorphism behind
approximate (WL) hashes, and keys that survive a resume."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from graphnas.config import BudgetConfig, load_search_config
from graphnas.evaluators.nb201_table import NB201TableEvaluator
from graphnas.evaluators.pool import SerialPool
from graphnas.graph import CanonicalId
from graphnas.search import RunDir, SearchLoop, resume_search, run_loop, run_search
from graphnas.spaces import load_space

SPACE = load_space("nb201")
EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "nb201.yaml"
QUIET = ["progress=false", "tracking.backends=[]"]


class Scripted:
    """Proposes `archs` in order, one per ask; records what it was told."""

    def __init__(self, archs) -> None:
        self.archs, self.told = list(archs), []

    def ask(self, n: int):
        return [self.archs.pop(0)] if self.archs else []

    def tell(self, archs, results, hashes=None) -> None:
        self.told += list(zip(archs, results, strict=True))

    def state_dict(self):
        return {}

    def load_state_dict(self, state) -> None:
        pass


@pytest.fixture
def one_approximate_hash(monkeypatch):
    """Every NB201 cell gets the same approximate id, as a WL fallback collision would give."""
    calls = []

    def forced(self, arch):
        calls.append(arch)
        return CanonicalId("w:forced", exact=False)

    monkeypatch.setattr(type(SPACE), "canonical_id", forced)
    return calls


def distinct_cells(n: int):
    rng = np.random.default_rng(0)
    cells = {}
    while len(cells) < n:
        arch = SPACE.sample_prior(rng)
        cells.setdefault(SPACE.unique_str(arch), arch)
    return list(cells.values())


def test_non_isomorphic_graphs_on_one_approximate_hash_are_separate_queries(
    tmp_path: Path, one_approximate_hash
) -> None:
    a, b, c = distinct_cells(3)
    again = SPACE.decode(SPACE.encode(a))  # the same network, another object
    strategy = Scripted([a, b, again, c, b])
    table = NB201TableEvaluator(SPACE)
    loop = SearchLoop(
        SPACE,
        strategy,
        SerialPool(table),
        BudgetConfig(queries=10),
        stall_limit=10,
        run_dir=RunDir.create(tmp_path / "run"),
    )
    summary = loop.run()
    lines = [json.loads(x) for x in (tmp_path / "run" / "ledger.jsonl").read_text().splitlines()]
    assert [line["hash"] for line in lines] == ["w:forced", "w:forced#2", "w:forced#3"]
    assert all(line["exact"] is False for line in lines)
    assert summary["queries"] == 3 and summary["duplicates"] == 2
    # Each graph was told its own result; the repeats were told their class's one.
    rewards = [r.reward for _, r in strategy.told]
    expected = [table.evaluate([x])[0].reward for x in (a, b, a, c, b)]
    assert rewards == expected
    assert len(set(rewards[:2] + rewards[3:4])) == 3
    # Identified once per proposal (the space's canonical id computed once each).
    assert len(one_approximate_hash) == 5


def test_approximate_keys_are_the_same_after_a_resume(tmp_path: Path, one_approximate_hash):
    args = [*QUIET, "strategy=random", "budget.queries=6", "seed=2"]
    reference = tmp_path / "reference"
    run_search(load_search_config(EXPERIMENT, [f"out={reference}", *args]))
    lines = (reference / "ledger.jsonl").read_text().splitlines(keepends=True)
    assert [json.loads(x)["hash"] for x in lines][:3] == ["w:forced", "w:forced#2", "w:forced#3"]
    killed = tmp_path / "killed"
    killed.mkdir()
    shutil.copy(reference / "config.yaml", killed / "config.yaml")
    (killed / "ledger.jsonl").write_text("".join(lines[:4]))
    run_loop(resume_search(killed))
    strip = [{k: v for k, v in json.loads(x).items() if k != "elapsed_s"} for x in lines]
    resumed = (killed / "ledger.jsonl").read_text().splitlines()
    assert [{k: v for k, v in json.loads(x).items() if k != "elapsed_s"} for x in resumed] == strip


def test_identify_carries_problems_code_and_exactness() -> None:
    arch = distinct_cells(1)[0]
    identity = SPACE.identify(arch)
    assert identity.valid and identity.exact and identity.code == SPACE.encode(arch)
    assert identity.hash == SPACE.canonical_hash(arch)
    broken = arch.replace(space="nb101")
    bad = SPACE.identify(broken)
    assert not bad.valid and bad.code is None and bad.hash.startswith("invalid:")
    assert any("nb101" in p for p in bad.problems)
