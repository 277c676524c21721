"""Ray pool on a local Ray instance: sequential-equal results, dead actors replaced and retried."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from graphnas.evaluators import EVALUATORS, POOLS
from graphnas.evaluators.pool import SerialPool
from graphnas.spaces import load_space

ray = pytest.importorskip("ray")

DATA = "synthetic:classes=3,train=16,val=4,size=16"
# The real compiler on a reduced NB201 skeleton: small and fast.
CONFIG = {
    "name": "naswot",
    "params": {"data": DATA, "batch_size": 12, "network": {"channels": 4, "cells_per_stage": 1}},
}
INIT = {"num_cpus": 2, "include_dashboard": False, "object_store_memory": 80 * 2**20}


def _run(pool, archs) -> dict:
    for ticket, arch in enumerate(archs):
        pool.submit(ticket, arch)
    out = {}
    while pool.pending():
        for ticket, result in pool.collect(block=True):
            out[ticket] = result
    return out


@pytest.mark.slow  # starts a local Ray instance (about 10-20 s)
def test_ray_pool_matches_sequential_and_survives_dead_actors() -> None:
    space = load_space("nb201")
    archs = [space.sample_prior(np.random.default_rng(i)) for i in range(4)]
    context = {"space": space, "device": torch.device("cpu"), "seed": 7}
    sequential = _run(
        SerialPool(EVALUATORS.build(CONFIG["name"], CONFIG["params"], context)), archs
    )
    with POOLS.build(
        "ray",
        {"workers": 2, "init": INIT},
        {"evaluator_config": CONFIG, "space": space, "device": "cpu", "evaluator_seed": 7},
    ) as pool:
        parallel = _run(pool, archs)
        for ticket in range(4):
            assert parallel[ticket].ok
            assert parallel[ticket].reward == sequential[ticket].reward
            assert parallel[ticket].metrics == sequential[ticket].metrics
        # Kill the actor running a task: it is replaced and the task retried once.
        pool.submit(10, archs[0])
        (ref,) = pool._running
        ray.kill(pool._actors[pool._running[ref][0]])
        retried = _run_pending(pool)
        assert retried[10].ok and retried[10].reward == sequential[0].reward
        # Killed twice: a failed result that says so.
        pool.submit(11, archs[1])
        for _ in range(2):
            deadline = time.monotonic() + 60
            while not pool._running and time.monotonic() < deadline:
                pool.collect(block=False)
            (ref,) = pool._running
            ray.kill(pool._actors[pool._running[ref][0]])
            pool._harvest(timeout=30)
        failed = _run_pending(pool)
        assert failed[11].status == "failed"
        assert failed[11].error.startswith("evaluation actor died 2 times")
    assert not ray.is_initialized()


def _run_pending(pool) -> dict:
    out = {}
    while pool.pending():
        for ticket, result in pool.collect(block=True):
            out[ticket] = result
    return out
