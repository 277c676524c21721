"""Process pool: results equal the sequential run, any order of completion, crashed workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from cellnet import cell_network, crashing_network

from graphnas.config import ComponentConfig
from graphnas.evaluators import POOLS
from graphnas.evaluators.pool import SerialPool
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.plugins import load_plugins
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
    recipe = EvaluatorRecipe.of(config, space, seed=11)
    sequential_evaluator = recipe.build(torch.device("cpu"), space=space)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each of the two workers on this machine's cores
    try:
        sequential = _run(SerialPool(sequential_evaluator), archs)
    finally:
        torch.set_num_threads(threads)
    pool = POOLS.build(
        "process",
        {"workers": 2, "threads": 1},
        {"recipe": recipe, "evaluator": sequential_evaluator, "device": torch.device("cpu")},
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
        {"recipe": EvaluatorRecipe.of(config, space), "device": "cpu"},
    ) as pool:
        results = _run(pool, [conv1x1, pooling, plain])
        assert results[0].ok and results[2].ok  # the 1x1 cell crashed once, then succeeded
        assert (tmp_path / "crashed-once").exists()
        assert results[1].status == "failed"
        assert results[1].error == "evaluation worker crashed (exit code 3) 2 times"
        # The replaced workers keep serving.
        again = _run(pool, [plain])
        assert again[0].reward == results[2].reward


def test_bad_evaluator_options_fail_in_the_parent_before_any_worker_starts() -> None:
    from graphnas.errors import GraphnasError

    space = load_space("nb201")
    bad = EvaluatorRecipe.of({"name": "naswot", "params": {"batch": 3}}, space)
    with pytest.raises(GraphnasError, match="evaluator 'naswot': bad options"):
        POOLS.build("process", {"workers": 1}, {"recipe": bad})


def test_a_worker_that_cannot_build_the_evaluator_stops_the_pool_in_one_line() -> None:
    """The parent's copy is given (so only the workers build from the recipe): their error
    reaches the caller as one GraphnasError."""
    from graphnas.errors import GraphnasError

    space = load_space("nb201")
    bad = EvaluatorRecipe.of({"name": "naswot", "params": {"batch": 3}}, space)
    parent_copy = EvaluatorRecipe.of("nb201_table", space).build("cpu", space=space)
    with (
        pytest.raises(GraphnasError, match=r"could not build the evaluator .*'batch'"),
        POOLS.build("process", {"workers": 1}, {"recipe": bad, "evaluator": parent_copy}) as pool,
    ):
        pool.submit(0, space.example())
        pool.collect()


def test_workers_import_the_parents_plug_ins_and_the_parent_prepares_once(
    tmp_path, monkeypatch
) -> None:
    """An evaluator registered by a plug-in module resolves in spawned workers (they re-import
    what the parent loaded); `prepare` runs in the parent only, once."""
    (tmp_path / "pool_plugin_edges.py").write_text(
        "import os\n"
        "from graphnas.evaluators.base import EvalResult, PrepareMixin\n"
        "from graphnas.evaluators.registry import EVALUATORS\n"
        "PREPARED = []\n"
        "@EVALUATORS.register('pool_plugin_edges')\n"
        "class Edges(PrepareMixin):\n"
        "    context_fields = ('space', 'seed')\n"
        "    def __init__(self, space, seed=0):\n"
        "        self.seed = seed\n"
        "    def prepare(self):\n"
        "        PREPARED.append(os.getpid())\n"
        "    def evaluate(self, archs):\n"
        "        return [EvalResult(float(a.num_edges), {'pid': os.getpid()}) for a in archs]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("graphnas.plugins._LOADED", [])  # no leak into later tests
    load_plugins(["pool_plugin_edges"], entry_points=False)
    import os

    import pool_plugin_edges

    space = load_space("nb201")
    archs = [space.sample_prior(np.random.default_rng(i)) for i in range(4)]
    recipe = EvaluatorRecipe.of("pool_plugin_edges", space)
    with POOLS.build("process", {"workers": 2, "threads": 1}, {"recipe": recipe}) as pool:
        results = _run(pool, archs)
    assert [results[t].reward for t in range(4)] == [float(a.num_edges) for a in archs]
    assert all(results[t].metrics["pid"] != os.getpid() for t in range(4))
    assert [os.getpid()] == pool_plugin_edges.PREPARED
