"""GenerationStructure (structure.py): encoding into rows of blocks and decoding back."""

from __future__ import annotations

import numpy as np
import torch

from graphnas.generators.structure import GenerationStructure
from graphnas.spaces import load_space

CPU = torch.device("cpu")


def test_every_nb201_cell_decodes_back_from_its_encoding() -> None:
    space = load_space("nb201")
    structure = GenerationStructure(space, CPU)
    cells = list(space.enumerate())
    assert len(cells) == 15625
    tensors, problems = structure.encode(cells)
    assert not any(problems)
    decoded = structure.decode(tensors)
    assert [a.to_dict() for a in decoded] == [a.to_dict() for a in cells]
    assert len({tuple(row) for row in tensors.edge_op.flatten(1).tolist()}) == 15625


def test_randwire_graphs_are_rows_of_stage_blocks_and_round_trip() -> None:
    space = load_space("randwire_tiny")
    structure = GenerationStructure(space, CPU)
    S = structure.num_blocks
    assert S == 3
    rng = np.random.default_rng(0)
    archs = [space.sample_prior(rng) for _ in range(4)]
    tensors, problems = structure.encode(archs)
    assert tensors.adj.shape[0] == 4 * S and not any(problems)
    assert structure.rows_of(4).tolist() == list(range(S)) * 4
    sizes = [size for _, size in structure.blocks]
    assert tensors.length.tolist() == sizes * 4
    assert [a.to_dict() for a in structure.decode(tensors)] == [a.to_dict() for a in archs]


def test_an_arch_of_another_space_is_reported_with_the_reason() -> None:
    structure = GenerationStructure(load_space("nb201"), CPU)
    nb101 = load_space("nb101").sample_prior(np.random.default_rng(0))
    _, problems = structure.encode([nb101])
    assert len(problems[0]) >= 1
    assert problems[0][0].startswith(f"has {nb101.num_nodes} nodes; the generator makes exactly 4")


def test_an_empty_batch_has_no_decided_op_and_no_edge() -> None:
    structure = GenerationStructure(load_space("nb101"), CPU)
    empty = structure.empty(3)
    assert empty.node_op.eq(-1).all() and not empty.adj.any() and empty.length.eq(0).all()
