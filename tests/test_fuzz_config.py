"""Fuzzing the YAML loaders: space files and dicts, search configs, key=value overrides.

Property: a file either loads (a space that describes itself, round-trips its config and, when
small, samples/validates/codes/mutates; a search config that dumps and reloads to itself) or raises
a GraphnasError whose message is one line naming the file or override; never another exception.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml
from fuzzing import (
    check_loader,
    deep_nesting_text,
    fuzz_report,  # noqa: F401  (session fixture: writes the per-loader counts)
    fuzz_settings,
    hostile_text,
    json_values,
    mutated_text,
    mutated_tree,
    scalars,
)
from hypothesis import example, given
from hypothesis import strategies as st

from graphnas.config import ComponentConfig, dump_config, load_search_config
from graphnas.errors import ConfigError
from graphnas.evaluators import EVALUATORS
from graphnas.search import build_search
from graphnas.spaces import SearchSpace, load_space
from graphnas.spaces.loading import shipped_space_dir, space_from_config
from graphnas.strategies import STRATEGIES
from graphnas.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
NB201 = load_space("nb201")
# Spaces at most this large are also sampled, validated, coded and mutated after loading.
EXERCISE_MAX_NODES = 64

HOSTILE_YAML = (
    # billion laughs: nine levels of ten-fold aliases
    "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9))
    + "kind: nb201\nnetwork: {big: *a8}\n",
    "kind: nb201\nnetwork: &loop {self: *loop}\n",
    "kind: nb201\nname: &n [*n]\n",
    "!!python/object/apply:os.system ['echo pwned']\n",
    "kind: !!python/name:os.system nb201\n",
    "kind: nb201\nname: 2020-02-30\n",
    "kind: nb101\nmax_nodes: !!int abc\n",
    "kind: enas\nnum_layers: " + "9" * 5000 + "\n",
    "kind: complete\nnum_nodes: .inf\n",
    "kind: enas\nnum_layers: .nan\n",
    "kind: randwire\nstage_nodes: [.inf]\n",
    "kind: randwire\nstage_nodes: [32]\nprior: {model: ws, k: 40, p: 0.5}\n",
    "kind: randwire\nstage_nodes: [8]\nprior: {model: ba, m: 0}\n",
    "kind: randwire\nstage_nodes: [8]\nprior: {model: er, p: 7}\n",
    "kind: complete\nnum_nodes: 100000000\n",
    "kind: nb201\n1: 2\n",
    "kind: nb201\nnetwork: [[a, b]]\n",
    "? [a, b]\n: c\n",
    "kind: nb201\nname: !!binary aGVsbG8=\n",
    "\t- bad indentation\n",
    "kind: nb201\n" * 3,
    "%YAML 9.9\n---\nkind: nb201\n",
    "",
    "~\n",
    "- kind: nb201\n",
)


@cache
def shipped_space_texts() -> tuple[str, ...]:
    return tuple(p.read_text() for p in sorted(shipped_space_dir().glob("*.yaml")))


@cache
def shipped_space_trees() -> tuple[dict, ...]:
    return tuple(yaml.safe_load(text) for text in shipped_space_texts())


def node_count(space: SearchSpace) -> int:
    for attribute in ("num_nodes", "max_nodes", "num_layers"):
        value = getattr(space, attribute, None)
        if isinstance(value, int):
            return value
    return 4  # nb201


def assert_loaded_space_is_sound(space: SearchSpace) -> None:
    description = space.describe()
    assert description.size >= 1 and description.log10_size >= 0
    again = space_from_config(space.to_config())
    assert again.to_config() == space.to_config()
    if node_count(space) > EXERCISE_MAX_NODES:
        return
    rng = np.random.default_rng(0)
    arch = space.validate(space.example())
    assert space.decode(space.encode(arch)) == arch
    assert space.is_valid(space.mutate(arch, rng))
    assert space.is_valid(space.sample_prior(rng))
    rules = space.generation_rules()
    assert rules.max_nodes >= arch.num_nodes


space_texts = st.one_of(
    mutated_text(shipped_space_texts()),
    st.sampled_from(shipped_space_trees())
    .flatmap(mutated_tree)
    .map(lambda tree: yaml.safe_dump(tree, allow_unicode=True)),
    st.sampled_from(HOSTILE_YAML),
    deep_nesting_text(),
)


@fuzz_settings(max_examples=200)
@given(text=space_texts)
def test_fuzz_space_yaml_file(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzzed-space.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    space = check_loader("space YAML file", str(path), lambda: load_space(path))
    if space is not None:
        assert_loaded_space_is_sound(space)


@fuzz_settings(max_examples=150)
@given(
    config=st.one_of(
        st.sampled_from(shipped_space_trees()).flatmap(mutated_tree),
        st.fixed_dictionaries(
            {"kind": st.sampled_from(("nb201", "nb101", "enas", "complete", "randwire"))},
            optional={
                "name": scalars(),
                "num_layers": scalars(),
                "num_nodes": scalars(),
                "max_nodes": scalars(),
                "max_edges": scalars(),
                "stage_nodes": json_values(4),
                "prior": json_values(4),
                "ops": json_values(4),
                "skip_prob": scalars(),
                "prior_edge_prob": scalars(),
                "network": json_values(6),
            },
        ),
    )
)
def test_fuzz_space_config_dict(config: dict) -> None:
    source = "fuzzed space config"
    space = check_loader("space config dict", source, lambda: space_from_config(config, source))
    if space is not None:
        assert_loaded_space_is_sound(space)


# ---------------------------------------------------------------------------- search configs
@cache
def experiment_texts() -> tuple[str, ...]:
    return tuple(p.read_text() for p in sorted((REPO / "experiments").glob("*.yaml")))


@cache
def experiment_trees() -> tuple[dict, ...]:
    return tuple(yaml.safe_load(text) for text in experiment_texts())


OVERRIDE_KEYS = (
    "seed",
    "name",
    "space",
    "out",
    "device",
    "batch_size",
    "budget.queries",
    "budget.seconds",
    "strategy",
    "strategy.name",
    "strategy.params.population_size",
    "evaluator.params",
    "tracking.backends",
    "tracking.log_every",
    "failed_reward",
    "eval_timeout_s",
    "checkpoint_every_s",
    "pool",
    "budget",
    "nope",
    "seed.x",
    "",
    ".",
    "a..b",
)
OVERRIDE_VALUES = (
    "3",
    "-1",
    "0",
    "1e999",
    ".nan",
    "null",
    "[1, 2",
    "{a: 1}",
    "${oc.env:HOME}",
    "${oops",
    "!!python/object/apply:os.system [x]",
    "9" * 5000,
    "2020-02-30",
    "cuda:x",
    "../../etc",
)

overrides = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(OVERRIDE_KEYS), st.sampled_from(OVERRIDE_VALUES)).map("=".join),
        st.tuples(st.sampled_from(OVERRIDE_KEYS), hostile_text()).map("=".join),
        hostile_text(),
    ),
    max_size=3,
)


def assert_loaded_config_is_sound(config, tmp_path: Path) -> None:
    """It dumps and reloads to itself, and its components build or refuse cleanly (the library
    message names the component; `graphnas search` adds the file, see test_fuzz_cli.py)."""
    dumped = dump_config(config, tmp_path / "resolved.yaml")
    assert load_search_config(dumped) == config
    run = tmp_path / "built-run"
    shutil.rmtree(run, ignore_errors=True)
    # A serial pool (a process pool would load the evaluator's dataset and start workers) and no
    # trackers (wandb start-up): the build checks the components the config names.
    serial = replace(
        config, pool=ComponentConfig(name="serial"), tracking=replace(config.tracking, backends=[])
    )
    loop = check_loader("search config -> components", "", lambda: build_search(serial, out=run))
    if loop is not None:
        loop.pool.close()


@fuzz_settings(max_examples=120)
@given(
    text=st.one_of(
        mutated_text(experiment_texts()),
        st.sampled_from(experiment_trees())
        .flatmap(mutated_tree)
        .map(lambda tree: yaml.safe_dump(tree, allow_unicode=True)),
        st.sampled_from(HOSTILE_YAML),
        deep_nesting_text(),
    )
)
@example(text="strategy:\n  name: random\n  params: []\n")
@example(text="seed: 2020-02-30\n")
@example(text="[" * 3000)
@example(text="space: '" + "9" * 300 + "'\n")
def test_fuzz_search_config_yaml(text: str, tmp_path: Path) -> None:
    path = tmp_path / "fuzzed-experiment.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    config = check_loader("search config YAML", str(path), lambda: load_search_config(path))
    if config is not None:
        assert_loaded_config_is_sound(config, tmp_path)


@fuzz_settings(max_examples=120)
@given(items=overrides)
@example(items=["seed=" + "9" * 5000])
@example(items=["strategy.params=[1]"])
@example(items=["budget=!!int x"])
def test_fuzz_search_config_overrides(items: list[str], tmp_path: Path) -> None:
    path = tmp_path / "experiment.yaml"
    path.write_text(experiment_texts()[0])
    # The message names the override at fault, or the file for a value check.
    sources = [str(path)] + [f"override {item!r}" for item in items]
    config = check_loader("config overrides", sources, lambda: load_search_config(path, items))
    if config is not None:
        assert_loaded_config_is_sound(config, tmp_path)


@pytest.mark.parametrize("text", HOSTILE_YAML, ids=range(len(HOSTILE_YAML)))
def test_every_hostile_yaml_is_a_clean_refusal_or_a_sound_load(text: str, tmp_path: Path) -> None:
    """Each HOSTILE_YAML document (several crashed the loaders before) through both loaders."""
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    space = check_loader("space YAML file", str(path), lambda: load_space(path))
    if space is not None:
        assert_loaded_space_is_sound(space)
    config = check_loader("search config YAML", str(path), lambda: load_search_config(path))
    if config is not None:
        assert_loaded_config_is_sound(config, tmp_path)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: STRATEGIES.build("evolution", {"population_size": [1]}, {"space": NB201}),
            "strategy 'evolution': option population_size must be int, got list",
        ),
        (
            lambda: EVALUATORS.build("nb201_table", {"seconds_per_query": "x"}, {"space": NB201}),
            "evaluator 'nb201_table': option seconds_per_query must be float, got str",
        ),
        (
            lambda: TrainConfig.from_dict({"lr": [0.2]}),
            "training config: option lr must be float, got list",
        ),
    ],
)
def test_component_option_types_regressions(build, message: str) -> None:
    """Wrong option types used to crash inside constructors with a TypeError."""
    with pytest.raises(ConfigError, match=re.escape(message)):
        build()
