"""Trainer: learning, schedule, weight-decay groups, clipping, divergence, checkpoint and resume."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from graphnas.data.synthetic import make_synthetic
from graphnas.errors import ConfigError, GraphnasError, InputFileError
from graphnas.train import TrackerCallback, TrainConfig, Trainer
from graphnas.train.checkpoint import load_checkpoint, save_checkpoint
from graphnas.train.metrics import topk_correct
from graphnas.train.optim import parameter_groups
from graphnas.train.schedule import lr_at


def tiny_net(num_classes: int = 4, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(32, num_classes),
    )


@pytest.fixture(scope="module")
def data():
    return make_synthetic(num_classes=4, train_per_class=48, val_per_class=16, size=12, seed=0)


FAST = dict(batch_size=32, eval_batch_size=64, lr=0.2, warmup_epochs=0.5, crop_padding=1)


def test_learns_well_above_chance(data, device: torch.device) -> None:
    config = TrainConfig(epochs=4, **FAST)
    result = Trainer(tiny_net(), data, config, device).fit()
    assert result.status == "ok" and result.epochs == 4 and len(result.history) == 4
    final = result.final
    assert final["val_top1"] > 80.0  # chance is 25%
    assert final["val_top5"] == 100.0  # only 4 classes
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert result.train_images_per_s > 0 and final["train_images"] == 192


def test_schedule_warmup_then_cosine() -> None:
    lrs = [lr_at(s, 100, 10, 0.4, 0.01) for s in range(100)]
    assert lrs[0] == pytest.approx(0.04) and lrs[9] == pytest.approx(0.4)
    assert lrs[10] == pytest.approx(0.4)
    assert all(a >= b for a, b in itertools.pairwise(lrs[10:]))
    assert lr_at(100, 100, 10, 0.4, 0.01) == pytest.approx(0.01)
    assert lrs[55] == pytest.approx(0.01 + 0.5 * 0.39 * (1 + math.cos(math.pi * 0.5)))


def test_weight_decay_only_on_weights() -> None:
    net = tiny_net()
    decay, no_decay = parameter_groups(net, 1e-3)
    assert decay["weight_decay"] == 1e-3 and no_decay["weight_decay"] == 0.0
    assert {p.ndim for p in decay["params"]} == {2, 4}  # conv and linear weights
    names = {id(p): n for n, p in net.named_parameters()}
    assert sorted(names[id(p)] for p in no_decay["params"]) == ["1.bias", "1.weight", "5.bias"]


def test_topk_counts() -> None:
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.8, 0.1, 0.3], [0.2, 0.3, 0.5]])
    labels = torch.tensor([1, 2, 0])
    assert topk_correct(logits, labels, (1, 2, 5)).tolist() == [1, 2, 3]


def test_gradient_clipping_bounds_the_update(data) -> None:
    config = TrainConfig(
        epochs=1,
        batch_size=192,
        lr=1.0,
        momentum=0.0,
        nesterov=False,
        weight_decay=0.0,
        warmup_epochs=0,
        grad_clip=1e-3,
    )
    net = tiny_net()
    before = torch.cat([p.detach().flatten().clone() for p in net.parameters()])
    Trainer(net, data, config).fit()
    after = torch.cat([p.detach().flatten() for p in net.parameters()])
    assert 0 < float((after - before).norm()) <= 1e-3 + 1e-6


def test_nan_loss_ends_the_run_as_failed(data) -> None:
    class Poisoned(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = tiny_net()
            self.calls = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.calls += 1
            out = self.net(x)
            return out * math.nan if self.calls >= 3 else out

    config = TrainConfig(epochs=3, check_every=2, **FAST)
    result = Trainer(Poisoned(), data, config).fit()
    assert result.status == "failed" and result.epochs == 0 and result.history == []
    assert result.error == "training diverged: loss became nan in epoch 1, step 4"


def test_exploding_loss_ends_the_run_as_failed(data) -> None:
    config = TrainConfig(
        epochs=3,
        batch_size=32,
        lr=1e4,
        warmup_epochs=0,
        grad_clip=0,
        momentum=0.9,
        label_smoothing=0,
    )
    result = Trainer(tiny_net(), data, config).fit()
    assert result.status == "failed" and "training diverged" in (result.error or "")


def test_resume_equals_uninterrupted_run(data, tmp_path: Path, device: torch.device) -> None:
    config = TrainConfig(epochs=3, **FAST)
    straight = Trainer(tiny_net(seed=1), data, config, device)
    straight_result = straight.fit()

    class Interrupt(Exception):
        pass

    class StopAfterTwo:
        def on_epoch_end(self, trainer, record) -> None:
            if record["epoch"] == 2:
                raise Interrupt

        def on_train_end(self, trainer, result) -> None:
            pass

    ckpt = tmp_path / "run" / "train.pt"
    with pytest.raises(Interrupt):
        Trainer(tiny_net(seed=1), data, config, device, [StopAfterTwo()], ckpt).fit()
    assert load_checkpoint(ckpt)["epoch"] == 2
    assert [p.name for p in ckpt.parent.iterdir()] == ["train.pt"]  # no temp files left
    resumed = Trainer(tiny_net(seed=99), data, config, device, checkpoint_path=ckpt)
    resumed_result = resumed.fit(resume=True)
    assert resumed_result.status == "ok" and resumed_result.epochs == 3
    for a, b in zip(
        straight.model.state_dict().values(), resumed.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    timing = {"train_seconds"}
    strip = [{k: v for k, v in r.items() if k not in timing} for r in straight_result.history]
    again = [{k: v for k, v in r.items() if k not in timing} for r in resumed_result.history]
    assert strip == again


def test_resume_refuses_other_options_or_network(data, tmp_path: Path) -> None:
    ckpt = tmp_path / "train.pt"
    Trainer(tiny_net(), data, TrainConfig(epochs=1, **FAST), checkpoint_path=ckpt).fit()
    other = TrainConfig(epochs=1, **{**FAST, "lr": 0.3})
    with pytest.raises(GraphnasError, match=r"other options \(lr 0\.2 -> 0\.3\)"):
        Trainer(tiny_net(), data, other, checkpoint_path=ckpt).fit(resume=True)
    with pytest.raises(GraphnasError, match="different network"):
        Trainer(
            tiny_net(num_classes=5), data, TrainConfig(epochs=1, **FAST), checkpoint_path=ckpt
        ).fit(resume=True)


class Arbitrary:
    """Any class: torch.save pickles it, a weights-only load must refuse it."""


def test_checkpoint_files_are_weights_only(tmp_path: Path) -> None:
    save_checkpoint({"x": Arbitrary()}, tmp_path / "bad.pt")
    with pytest.raises(InputFileError, match=r"bad\.pt: not a readable training checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    save_checkpoint({"x": torch.ones(2)}, tmp_path / "good.pt")
    assert torch.equal(load_checkpoint(tmp_path / "good.pt")["x"], torch.ones(2))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(InputFileError, match=r"junk\.pt: not a readable training checkpoint"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(InputFileError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "none.pt")


def test_bf16_and_channels_last_options(data, device: torch.device) -> None:
    config = TrainConfig(epochs=3, bf16=True, channels_last=True, **FAST)
    trainer = Trainer(tiny_net(), data, config, device)
    assert trainer.model[0].weight.is_contiguous(memory_format=torch.channels_last)
    result = trainer.fit()
    assert result.status == "ok" and result.final["val_top1"] > 60.0


def test_tracker_callback_logs_each_epoch(data) -> None:
    logged: list[tuple[dict, int]] = []

    class Recorder:
        def log(self, metrics, step: int) -> None:
            logged.append((dict(metrics), step))

    Trainer(
        tiny_net(), data, TrainConfig(epochs=2, **FAST), callbacks=[TrackerCallback(Recorder())]
    ).fit()
    assert [step for _, step in logged] == [1, 2]
    assert {"train/val_top1", "train/train_loss", "train/lr"} <= set(logged[0][0])


def test_config_errors_are_one_line() -> None:
    with pytest.raises(ConfigError, match="epochs must be >= 1; momentum must be in"):
        TrainConfig(epochs=0, momentum=1.5)
    with pytest.raises(ConfigError, match="unknown option"):
        TrainConfig.from_dict({"epoch": 3})
