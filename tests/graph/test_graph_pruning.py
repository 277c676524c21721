"""graphnas.graph.pruning: the NAS-Bench-101 rule (drop nodes on no input -> output path)."""

from __future__ import annotations

from graph_samples import cell


def test_prune_drops_nodes_off_every_input_output_path():
    # 0 -> 1 -> 4, 0 -> 2 (dead end), 3 -> 4 (unreachable from input)
    arch = cell(
        ["in", "a", "b", "c", "out"],
        [(0, 1), (1, 4), (0, 2), (3, 4)],
        roles=["input", "hidden", "hidden", "hidden", "output"],
    )
    pruned = arch.prune()
    assert [n.op for n in pruned.nodes] == ["in", "a", "out"]
    assert [(e.src, e.dst) for e in pruned.edges] == [(0, 1), (1, 2)]
    assert pruned.prune() == pruned


def test_prune_of_disconnected_cell_keeps_only_endpoints():
    arch = cell(["in", "a", "out"], [(0, 1)], roles=["input", "hidden", "output"])
    pruned = arch.prune()
    assert pruned.num_nodes == 2 and pruned.num_edges == 0


def test_prune_keeps_space_and_meta_and_leaves_graphs_without_roles_alone():
    arch = cell(["in", "a", "out"], [(0, 1)], roles=["input", "hidden", "output"])
    arch = arch.replace(space="s", meta={"k": 1})
    pruned = arch.prune()
    assert (pruned.space, dict(pruned.meta)) == ("s", {"k": 1})
    free = cell(["a", "b", "c"], [(0, 1)])
    assert free.prune() is free
