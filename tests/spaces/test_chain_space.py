"""The chain space kind: codes, choices, the identity no-op rule, generation rules, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from graphnas.errors import GraphnasError
from graphnas.graph import InvalidArchError
from graphnas.spaces import load_space

THREE_BY_EIGHT = {"kind": "chain", "name": "c38", "num_layers": 8, "ops": ["x", "y", "z"]}


def test_every_code_of_a_3_to_the_8_space_round_trips() -> None:
    space = load_space(THREE_BY_EIGHT)
    codes = ["".join(p) for p in itertools.product("012", repeat=8)]
    archs = list(space.enumerate())
    assert space.size() == len(archs) == 3**8
    assert [space.encode(a) for a in archs] == codes
    hashes = set()
    for code, arch in zip(codes, archs, strict=True):
        assert space.decode(code) == arch
        assert space.problems(arch) == []
        hashes.add(space.canonical_hash(arch))
    assert len(hashes) == 3**8  # without the no-op rule every code is its own network


def test_identity_no_ops_merge_equivalent_codes() -> None:
    space = load_space({**THREE_BY_EIGHT, "identity_op": "x"})  # stem 16 -> 32: layer 0 changes
    same = ["01200000", "00120000", "00000012", "01020000"]
    hashes = {space.canonical_hash(space.decode(c)) for c in same}
    assert len(hashes) == 1
    # an identity where the layer changes shape (layer 0: 16 -> 32 channels) is not a no-op
    assert space.canonical_hash(space.decode("10200000")) != hashes.pop()
    classes = {space.canonical_hash(a) for a in space.enumerate()}
    # layer 0 never a no-op: 3 * (kept sequences of 1..7 non-identity layers over {y, z})
    assert len(classes) == 3 * sum(2**k for k in range(8))


def test_no_op_rule_respects_per_layer_strides_and_channels() -> None:
    network = {"stem_channels": 8, "channels": [8, 8, 16, 16, 16], "stride": [1, 2, 1, 1, 1]}
    space = load_space(
        {
            "kind": "chain",
            "num_layers": 5,
            "ops": ["id", "b"],
            "identity_op": "id",
            "network": network,
        }
    )
    h = lambda code: space.canonical_hash(space.decode(code))  # noqa: E731
    assert h("01111") != h("10111")  # layer 1 has stride 2: its identity is a downsample
    assert h("11011") != h("11101")  # layer 2 maps 8 -> 16: its identity is a projection
    assert h("11101") == h("11110")  # layers 3 and 4 both 16 -> 16, stride 1


def test_choices_restrict_layers_and_generation_rules_follow_them() -> None:
    space = load_space(
        {**THREE_BY_EIGHT, "choices": [["y", "z"], None, ["x"], None, None, None, None, None]}
    )
    assert space.size() == 2 * 3 * 1 * 3**5
    with pytest.raises(InvalidArchError, match="layer 0 op 'x'"):
        space.decode("00000000")
    rules = space.generation_rules()
    assert rules.edge_op_choices[0][1] == ("y", "z") and rules.edge_op_choices[2][3] == ("x",)
    assert rules.forced_edges[3][4] and not rules.allowed_edges[0][2]
    rng = np.random.default_rng(0)
    for _ in range(50):
        arch = space.sample_prior(rng)
        assert space.problems(arch) == []
        child = space.mutate(arch, rng)
        assert space.problems(child) == [] and space.encode(child)[2] == "0"
        assert (
            sum(a != b for a, b in zip(space.encode(arch), space.encode(child), strict=True)) == 1
        )


def test_codes_use_digits_then_letters() -> None:
    ops = [f"op{i}" for i in range(12)]
    space = load_space({"kind": "chain", "num_layers": 3, "ops": ops})
    assert space.encode(space.from_ops(["op0", "op10", "op11"])) == "0ab"
    with pytest.raises(InvalidArchError, match="'c' is not one of"):
        space.decode("0ac")


@pytest.mark.parametrize(
    "config",
    [
        {"ops": ["a", "a"]},
        {"ops": []},
        {"ops": [f"o{i}" for i in range(37)]},
        {"ops": ["a", "b"], "choices": [["a"]]},
        {"ops": ["a", "b"], "choices": [["c"], None, None]},
        {"ops": ["a", "b"], "identity_op": "c"},
        {"ops": ["a", "b"], "choices": [["a"], ["a"], ["a"]]},
        {"ops": ["a", "b"], "network": {"stride": [1, 3, 1]}},
        {"ops": ["a", "b"], "network": {"channels": [8, 8]}},
        {"ops": ["a", "b"], "num_layers": 0},
    ],
)
def test_bad_parameters_are_one_line_errors(config: dict) -> None:
    with pytest.raises(GraphnasError) as err:
        load_space({"kind": "chain", "num_layers": 3, **config})
    assert "\n" not in str(err.value)


def test_shipped_mobile_space_reloads_from_its_config() -> None:
    space = load_space("chain_mobile")
    again = load_space(space.to_config())
    assert again.params() == space.params() and again.network == space.network
    arch = space.example()
    assert again.canonical_hash(arch) == space.canonical_hash(arch)
