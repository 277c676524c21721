"""Config: YAML + overrides over dataclass defaults, one-line errors, the dumped config reloads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from graphnas.config import (
    SearchConfig,
    dump_config,
    load_search_config,
    read_yaml_mapping,
    resolve_device,
)
from graphnas.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_file_and_overrides_merge_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "strategy: evolution\nbudget:\n  queries: 50\nseed: 1\n")
    config = load_search_config(
        path, ["seed=3", "strategy.params.population_size=7", "budget.seconds=2.5"]
    )
    assert isinstance(config, SearchConfig)
    assert config.strategy.name == "evolution"
    assert config.strategy.params == {"population_size": 7}
    assert (config.budget.queries, config.budget.seconds, config.seed) == (50, 2.5, 3)
    assert config.evaluator.name == "nb201_table"  # default kept
    assert load_search_config(path, ["strategy=random"]).strategy.name == "random"


def test_each_load_is_independent(tmp_path: Path) -> None:
    path = write(tmp_path, "seed: 1\n")
    first = load_search_config(path, ["strategy.params.k=1"])
    second = load_search_config(path)
    assert first.strategy.params == {"k": 1} and second.strategy.params == {}


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        ("strategy: [\n", [], "malformed YAML at line 2"),
        ("foo: 1\n", [], "unknown key 'foo'; valid keys: name, space"),
        ("budget:\n  quries: 3\n", [], "unknown key 'budget.quries'; valid keys: queries, seconds"),
        ("- 1\n- 2\n", [], "expected a mapping"),
        ("budget: 3\n", [], "budget must be a mapping"),
        ("seed: 1\n", ["seed=abc"], "override 'seed=abc': seed"),
        ("seed: 1\n", ["seed"], "expected key=value"),
        ("seed: 1\n", ["budget.queries=0"], "budget.queries: must be >= 1"),
        ("seed: 1\n", ["device=gpu"], "device: 'gpu'"),
        ("seed: 1\n", ["budget.queries=null"], "set budget.queries and/or budget.seconds"),
        ("seed: 1\n", ["batch_size=0"], "batch_size: must be >= 1"),
        ("seed: !!python/object:os.system x\n", [], "malformed YAML"),
    ],
)
def test_bad_input_is_one_line_naming_the_source(
    tmp_path: Path, text: str, overrides: list[str], expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_search_config(path, overrides)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert str(path) in message or "override" in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_yaml_mapping(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="is a directory"):
        read_yaml_mapping(tmp_path)


def test_dumped_config_reloads_to_the_same_object(tmp_path: Path) -> None:
    config = load_search_config(
        write(tmp_path, "name: x\n"),
        ["strategy=evolution", "strategy.params.sample_size=3", "out=runs/a"],
    )
    dumped = dump_config(config, tmp_path / "config.yaml")
    assert yaml.safe_load(dumped.read_text())["strategy"]["params"] == {"sample_size": 3}
    assert load_search_config(dumped) == config


def test_device_resolution() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    with pytest.raises(ConfigError):
        resolve_device("tpu")


def test_renaming_a_component_drops_the_file_params(tmp_path: Path) -> None:
    path = write(tmp_path, "strategy:\n  name: evolution\n  params:\n    population_size: 9\n")
    assert load_search_config(path, ["strategy=random"]).strategy.params == {}
    assert load_search_config(path, ["strategy.name=random"]).strategy.params == {}
    same = load_search_config(path, ["strategy=evolution", "strategy.params.sample_size=2"])
    assert same.strategy.params == {"population_size": 9, "sample_size": 2}
    replaced = load_search_config(path, ["strategy.params={sample_size: 4}"])
    assert replaced.strategy.params == {"sample_size": 4}
