"""Process pool: results equal the sequential run, any order of completion, crashed workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cellnet import cell_network, crashing_network

from graphnas.config import ComponentConfig
from graphnas.evaluators import EVALUATORS, POOLS
from graphnas.evaluators.pool import SerialPool
from graphnas.spaces import load_space

DATA = "synthetic:classes=3,train=24,val=8,size=12"
TRAIN = {"batch_size": 24, "lr": 0.2, "warmup_epochs": 0.5, "crop_padding": 1}
TIMING = {"train_images_per_s"}


def _content(result) -> tuple:
    return (
        result.reward,
        result.status,
        result.error,
        {k: v for k, v in result.metrics.items() if k not in TIMING},
    )


def _run(pool, archs) -> dict:
    for ticket, arch in enumerate(archs):
        pool.submit(ticket, arch)
    out = {}
    while pool.pending():
        for ticket, result in pool.collect(block=True):
            assert ticket not in out
            out[ticket] = result
    return out


def test_two_workers_match_the_sequential_run() -> None:
    space = load_space("nb201")
    archs = [space.sample_prior(np.random.default_rng(i)) for i in range(4)]
    config = ComponentConfig(
        "train",
        {"data": DATA, "epochs": 1, "val_per_class": 4, "train": TRAIN, "builder": cell_network},
    )
    context = {"space": space, "device": torch.device("cpu"), "seed": 11}
    sequential_evaluator = EVALUATORS.build(config.name, config.params, context)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each of the two workers on this machine's cores
    try:
        sequential = _run(SerialPool(sequential_evaluator), archs)
    finally:
        torch.set_num_threads(threads)
    pool = POOLS.build(
        "process",
        {"workers": 2, "threads": 1},
        {
            "evaluator": sequential_evaluator,
            "evaluator_config": config,
            "space": space,
            "device": torch.device("cpu"),
            "seed": 0,
        },
    )
    try:
        assert pool.collect(block=False) == [] and pool.pending() == 0
        pool.wait_ready()
        assert all(worker.ready for worker in pool._workers)
        parallel = _run(pool, archs)
    finally:
        pool.close()
    assert sorted(parallel) == list(range(4))
    for ticket in range(4):
        assert parallel[ticket].ok
        assert _content(parallel[ticket]) == _content(sequential[ticket])


@pytest.mark.slow  # four worker start-ups: about 10 s on two cores
def test_a_crashed_worker_is_replaced_and_its_task_retried_once(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CRASH_ONCE_MARKER", str(tmp_path / "crashed-once"))
    space = load_space("nb201")
    conv1x1 = space.decode(
        "|nor_conv_1x1~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|"
    )
    pooling = space.decode(
        "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|"
    )
    plain = space.decode("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|skip_connect~2|")
    config = {
        "name": "naswot",
        "params": {"data": DATA, "batch_size": 12, "builder": crashing_network},
    }
    with POOLS.build(
        "process",
        {"workers": 2, "threads": 1},
        {"evaluator_config": config, "space": space, "device": "cpu"},
    ) as pool:
        results = _run(pool, [conv1x1, pooling, plain])
        assert results[0].ok and results[2].ok  # the 1x1 cell crashed once, then succeeded
        assert (tmp_path / "crashed-once").exists()
        assert results[1].status == "failed"
        assert results[1].error == "evaluation worker crashed (exit code 3) 2 times"
        # The replaced workers keep serving.
        again = _run(pool, [plain])
        assert again[0].reward == results[2].reward


def test_bad_evaluator_options_fail_fast() -> None:
    from graphnas.errors import GraphnasError

    space = load_space("nb201")
    with (
        pytest.raises(GraphnasError, match="could not build the evaluator"),
        POOLS.build(
            "process",
            {"workers": 1},
            {
                "evaluator_config": {"name": "naswot", "params": {"batch": 3}},
                "space": space,
                "device": "cpu",
            },
        ) as pool,
    ):
        pool.submit(0, space.example())
        pool.collect()
