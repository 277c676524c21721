"""The `supernet` evaluator: shared-weight training, BN recalibration, state, resume of a search."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from graphnas.config import load_search_config
from graphnas.errors import ConfigError
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.base import evaluator_state, is_stateful
from graphnas.evaluators.supernet_training import recalibrated_bn
from graphnas.graph import ArchGraph
from graphnas.search import resume_search, run_loop, run_search
from graphnas.spaces import load_space

SPACE = load_space("nb201")
SMALL = {
    "data": "synthetic:classes=4,train=48,val=12,size=16",
    "network": {"channels": 4, "cells_per_stage": 1},
    "train": {"batch_size": 16, "calib_batches": 2, "eval_batch_size": 32},
    "warmup_steps": 6,
}


def evaluator(**options):
    return EVALUATORS.get("supernet")(SPACE, **{**SMALL, **options})


def cells(n: int, seed: int = 0) -> list[ArchGraph]:
    rng = np.random.default_rng(seed)
    return [SPACE.sample_prior(rng) for _ in range(n)]


def weights(ev) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in ev.supernet.state_dict().items()}


def test_scores_are_held_out_accuracies_with_costs_and_table_metrics() -> None:
    ev = evaluator(nb201_dataset="cifar10")
    archs = cells(3)
    results = ev.evaluate(archs)
    assert is_stateful(ev) and ev.reward_name == "val_top1" and ev.report_metric == "nb201_test"
    for arch, result in zip(archs, results, strict=True):
        assert result.ok and 0.0 <= result.reward <= 100.0
        held_out = len(ev.dataset().val)  # 10% of each class's training images
        assert held_out == 16
        assert result.reward * held_out / 100 == pytest.approx(
            round(result.reward * held_out / 100)
        )
        assert result.metrics["supernet_steps"] == 6
        assert result.metrics["params"] == ev.supernet.cost(arch).params
        table = EVALUATORS.get("nb201_table")(SPACE).evaluate([arch])[0]
        assert result.metrics["nb201_test"] == table.metrics["test_accuracy"]
        assert result.cost_s >= result.metrics["train_share_s"] > 0


def test_scoring_changes_no_state_and_invalid_archs_fail() -> None:
    ev = evaluator()
    arch = cells(1)[0]
    first = ev.evaluate([arch])[0]
    before = weights(ev)
    again = ev.score(arch)
    assert again.reward == first.reward and again.metrics["val_loss"] == first.metrics["val_loss"]
    after = weights(ev)
    assert all(torch.equal(before[k], after[k]) for k in before)
    broken = arch.replace(space="other")
    result = ev.evaluate([broken])[0]
    assert not result.ok and "\n" not in result.error and "nb201" in result.error


def test_bn_recalibration_changes_statistics_not_weights() -> None:
    ev = evaluator()
    ev.evaluate(cells(1))
    net = ev.supernet
    arch = cells(1, seed=4)[0]
    params = {k: p.detach().clone() for k, p in net.named_parameters()}
    buffers = {k: b.clone() for k, b in net.named_buffers()}
    with recalibrated_bn(net, arch, ev.trainer().calibration_batches()):
        inside = dict(net.named_buffers())
        changed = [k for k in buffers if "running" in k and not torch.equal(inside[k], buffers[k])]
        assert changed, "recalibration left every BN statistic as it was"
        assert all(torch.equal(p, params[k]) for k, p in net.named_parameters())
        assert not net.training
    assert all(torch.equal(b, buffers[k]) for k, b in net.named_buffers())
    assert all(torch.equal(p, params[k]) for k, p in net.named_parameters())
    plain = ev.score(arch).reward
    assert evaluator(recalibrate_bn=False).evaluate([arch])[0].ok
    assert math.isfinite(plain)


def test_proposals_mode_trains_only_the_proposed_paths() -> None:
    ev = evaluator(training="proposals", warmup_steps=0, steps_per_arch=2)
    ev.trainer()
    before = weights(ev)
    # Conv 1x1 on edge 0->1 only; every other edge 'none' but 0->3 skip (output reachable).
    arch = SPACE.from_ops(["nor_conv_1x1", "none", "none", "skip_connect", "none", "none"])
    ev.evaluate([arch])
    after = weights(ev)
    assert ev.trainer().steps == 2
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert any(".convs.0.2." in k for k in moved)  # edge 0->1, choice 2 = nor_conv_1x1
    assert not any(".convs.0.3." in k or ".convs.1." in k for k in moved)


def test_uniform_paths_cover_every_op_and_depend_on_seed_and_step_only() -> None:
    ev = evaluator()
    seen = [set() for _ in range(6)]
    for step in range(80):
        for d, k in enumerate(ev.supernet.encode(ev.sample_path(step))):
            seen[d].add(k)
    assert all(s == set(range(5)) for s in seen)
    assert evaluator().sample_path(17) == ev.sample_path(17)


def test_state_round_trip_continues_bit_identically() -> None:
    a = evaluator(steps_per_arch=2)
    a.evaluate(cells(2))
    buffer = io.BytesIO()
    torch.save(evaluator_state(a), buffer)
    buffer.seek(0)
    b = evaluator(steps_per_arch=2)
    b.load_state_dict(torch.load(buffer, weights_only=True))
    more = cells(2, seed=9)
    ra, rb = a.evaluate(more), b.evaluate(more)
    assert [r.reward for r in ra] == [r.reward for r in rb]
    assert [r.metrics["val_loss"] for r in ra] == [r.metrics["val_loss"] for r in rb]
    wa, wb = weights(a), weights(b)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"training": "darts"}, "training 'darts'"),
        ({"sampler": "gauss"}, "sampler 'gauss'"),
        ({"warmup_steps": -1}, "warmup_steps"),
        ({"training": "proposals", "warmup_steps": 0}, "steps_per_arch"),
        ({"train": {"lr": 0.1, "epochs": 3}}, "epochs"),
        ({"nb201_dataset": "mnist"}, "mnist"),
    ],
)
def test_option_errors_are_one_line(options, message) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        evaluator(**options)
    assert "\n" not in str(err.value)


def search_config(tmp_path: Path, out: Path, queries: int) -> object:
    config = {
        "name": "supernet-resume",
        "space": "nb201",
        "strategy": {"name": "evolution", "params": {"population_size": 4, "sample_size": 2}},
        "evaluator": {"name": "supernet", "params": {**SMALL, "steps_per_arch": 1}},
        "budget": {"queries": queries},
        "batch_size": 2,
        "seed": 3,
        "device": "cpu",
        "tracking": {"backends": []},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return load_search_config(path, [f"out={out}", "progress=false"])


def comparable_ledger(run: Path) -> list[dict]:
    """Ledger lines without timings (measured costs differ from run to run)."""
    timing = {"elapsed_s", "digest", "cost_s", "train_share_s", "score_s"}
    lines = []
    for line in (run / "ledger.jsonl").read_text().splitlines():
        entry = {k: v for k, v in json.loads(line).items() if k not in timing}
        entry["metrics"] = {k: v for k, v in entry["metrics"].items() if k not in timing}
        lines.append(entry)
    return lines


def test_search_stopped_and_resumed_matches_an_uninterrupted_one(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    run_search(search_config(tmp_path, reference, queries=8))
    stopped = tmp_path / "stopped"
    run_search(search_config(tmp_path, stopped, queries=4))
    run_loop(resume_search(stopped, ["budget.queries=8"]))
    assert comparable_ledger(stopped) == comparable_ledger(reference)
    assert len(comparable_ledger(reference)) == 8


def test_kill_after_ledger_write_before_checkpoint_resumes_exactly(tmp_path: Path) -> None:
    """The window kill -9 can leave: a step's ledger lines written, its checkpoint not. The
    resumed run evaluates those lines again (the supernet must train on them) and ends as an
    uninterrupted run."""
    reference = tmp_path / "reference"
    run_search(search_config(tmp_path, reference, queries=8))
    killed = tmp_path / "killed"
    run_search(search_config(tmp_path, killed, queries=4))
    at_four = (killed / "checkpoint.pt").read_bytes()
    run_loop(resume_search(killed, ["budget.queries=6"]))
    (killed / "checkpoint.pt").write_bytes(at_four)  # step 3 recorded, its checkpoint lost
    assert len(comparable_ledger(killed)) == 6
    run_loop(resume_search(killed, ["budget.queries=8"]))
    assert comparable_ledger(killed) == comparable_ledger(reference)
