"""Proxy-training and chain evaluators: reward, determinism per (arch, seed), proxy task."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from cellnet import cell_network

from graphnas.data.synthetic import make_synthetic
from graphnas.errors import ConfigError
from graphnas.evaluators import EVALUATORS
from graphnas.evaluators.proxy_training import proxy_dataset
from graphnas.spaces import load_space

DATA = "synthetic:classes=3,train=40,val=8,size=12"
FAST = {"batch_size": 30, "lr": 0.2, "warmup_epochs": 0.5, "crop_padding": 1}


@pytest.fixture(scope="module")
def nb201():
    return load_space("nb201")


def _train_evaluator(space, **options):
    defaults = dict(data=DATA, epochs=2, val_per_class=8, train=FAST, seed=1, builder=cell_network)
    return EVALUATORS.build("train", {**defaults, **options}, {"space": space, "device": "cpu"})


def test_reward_is_validation_accuracy_and_deterministic(nb201) -> None:
    archs = [nb201.sample_prior(np.random.default_rng(i)) for i in range(3)]
    results = _train_evaluator(nb201).evaluate(archs)
    again = _train_evaluator(nb201).evaluate(archs[::-1])[::-1]
    for r, s in zip(results, again, strict=True):
        assert r.ok and r.reward == r.metrics["val_top1"] and 0 <= r.reward <= 100
        assert r.metrics["val_top1_curve"][-1] == r.reward and r.metrics["epochs"] == 2
        assert r.metrics["params"] > 0 and r.cost_s > 0
        timing = {"train_images_per_s"}
        assert {k: v for k, v in r.metrics.items() if k not in timing} == {
            k: v for k, v in s.metrics.items() if k not in timing
        }
    other = _train_evaluator(nb201, seed=2).evaluate(archs[:1])[0]
    assert other.metrics["val_loss"] != results[0].metrics["val_loss"]


def test_learns_on_the_proxy_task(nb201) -> None:
    arch = nb201.decode(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
        "|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    result = _train_evaluator(nb201, epochs=4).evaluate([arch])[0]
    assert result.ok and result.reward > 60.0  # chance is 33%


def test_holdout_validation_is_disjoint_and_sized() -> None:
    data = make_synthetic(num_classes=4, train_per_class=20, val_per_class=5, size=8, seed=0)
    proxy = proxy_dataset(
        data, num_classes=3, train_per_class=10, val_per_class=4, seed=0, resolution=6
    )
    assert proxy.num_classes == 3 and proxy.resolution == 6 and proxy.test is None
    assert torch.bincount(proxy.train.labels).tolist() == [10] * 3
    assert torch.bincount(proxy.val.labels).tolist() == [4] * 3
    full = proxy_dataset(data, val_per_class=4, seed=0)
    rows = {tuple(img.flatten().tolist()) for img in full.train.images}
    assert not any(tuple(img.flatten().tolist()) in rows for img in full.val.images)
    assert len(full.train) == 4 * 16
    official = proxy_dataset(data, validation="val", val_per_class=2, seed=0)
    assert len(official.val) == 8 and len(official.train) == 80
    with pytest.raises(ConfigError, match="validation 'test'"):
        proxy_dataset(data, validation="test")


def test_unbuildable_network_is_a_failed_result(nb201) -> None:
    def refuse(arch, space, num_classes, input_size, network):
        raise ValueError("no such op\nsecond line")

    result = _train_evaluator(nb201, builder=refuse).evaluate([nb201.example()])[0]
    assert result.status == "failed" and math.isnan(result.reward)
    assert result.error == "cannot build the network: ValueError: no such op"


def test_diverging_training_is_a_failed_result(nb201) -> None:
    wild = {**FAST, "lr": 1e5, "grad_clip": 0}
    result = _train_evaluator(nb201, train=wild).evaluate([nb201.example()])[0]
    assert result.status == "failed" and "diverged" in (result.error or "")


def test_chain_trains_only_the_best_screened(nb201) -> None:
    archs = [nb201.sample_prior(np.random.default_rng(i)) for i in range(5)]
    screen = {"name": "naswot", "params": {"data": DATA, "batch_size": 16, "builder": cell_network}}
    final = {
        "name": "train",
        "params": {
            "data": DATA,
            "epochs": 1,
            "train": FAST,
            "val_per_class": 8,
            "builder": cell_network,
        },
    }
    chain = EVALUATORS.build(
        "chain",
        {"screen": screen, "final": final, "keep": 0.4},
        {"space": nb201, "device": "cpu", "seed": 3},
    )
    results = chain.evaluate(archs)
    scores = [r.metrics["screen_reward"] for r in results]
    best_two = sorted(range(5), key=lambda i: -scores[i])[:2]
    assert [i for i, r in enumerate(results) if r.ok] == sorted(best_two)
    for i, r in enumerate(results):
        if i in best_two:
            assert r.reward == r.metrics["val_top1"]
        else:
            rank = sorted(scores, reverse=True).index(scores[i]) + 1
            assert r.error == f"screened out by naswot: rank {rank} of 5"
    assert chain.survivors(10) == 4 and chain.survivors(1) == 1
