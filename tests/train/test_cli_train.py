"""`graphnas train` end to end on a compiled NB201 cell; `graphnas data download` input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphnas.cli import main
from graphnas.spaces import load_space

DATA = "synthetic:classes=3,train=16,val=4,size=16"


@pytest.fixture
def arch_file(tmp_path: Path) -> Path:
    space = load_space("nb201")
    arch = space.decode(
        "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"
    )
    path = tmp_path / "arch.json"
    path.write_text(arch.to_json())
    return path


def test_train_writes_result_and_resumes(
    arch_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    args = [
        "train",
        str(arch_file),
        "--data",
        DATA,
        "--epochs",
        "2",
        "--out",
        str(out),
        "--device",
        "cpu",
        "--batch-size",
        "16",
        "--lr",
        "0.05",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "epoch   2" in printed and "final: val top1" in printed
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "ok" and result["epochs"] == 2 and len(result["history"]) == 2
    assert result["num_classes"] == 3 and result["resolution"] == 16 and result["params"] > 0
    assert (out / "checkpoint.pt").is_file()
    # Resuming a finished run trains nothing more and reports the same final metrics.
    assert main([*args, "--resume"]) == 0
    again = json.loads((out / "result.json").read_text())
    assert again["final"] == result["final"]


def test_train_input_errors_are_one_line(
    arch_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["train", str(bad), "--data", DATA, "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("graphnas: error:") and "bad.json" in err and "\n" not in err
    missing = tmp_path / "nowhere"
    assert main(["train", str(arch_file), "--data", f"tiny-imagenet:{missing}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "nowhere" in err and "not found" in err and "\n" not in err
    assert main(["train", str(arch_file), "--data", "imagenet:x"]) == 2
    assert "unknown dataset 'imagenet'" in capsys.readouterr().err


def test_data_download_rejects_unknown_datasets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "download", "mnist", "--root", str(tmp_path)]) == 2
    assert "unknown dataset 'mnist'; valid: tiny-imagenet" in capsys.readouterr().err
