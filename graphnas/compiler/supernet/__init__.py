"""Supernets: one-shot networks holding every candidate op of every decision of a space.

    net = build_supernet(space, num_classes=10, input_size=32)   # nn.Module
    net(x, arch)                      # single path: the sub-network of `arch`, [B,3,S,S] -> [B,K]
    net.forward_choices(x, choices)   # the same, from one choice index per decision
    net.decisions                     # tuple[Decision(name, choices)], fixed order
    net.encode(arch) / net.decode(choices)
    net.forward_mixed(x, weights, active=None)
        # weights: one tensor [K_d] per decision; decision d contributes
        # sum_{k in active[d]} weights[d][k] * (choice k), gradients reach the weights.
        # DARTS: softmax weights, all active. GDAS: straight-through one-hot, active = [argmax].
        # ProxylessNAS: binary gates, active = the sampled path(s). Inactive choices cost nothing.
    net.sample(rng)                   # SPOS: every decision uniform, redrawn until valid
    net.uniform_weights()             # [1/K_d] * K_d per decision
    net.standalone(arch)              # compile_arch(arch) carrying the supernet's weights
    net.cost(arch)                    # the compiler's analytic params/FLOPs of that network

Kinds: nb201 (six edges x NB201_OPS, shared by all cells), complete (hidden-node ops and every
forward edge present/absent, shared by all cells), enas (layer ops and every skip bit) and
randwire (every within-stage edge present/absent; one shared conv per node, one entry conv per
node for when the wiring gives it no inputs, one aggregation weight per possible edge).
Edge decisions have choices ("absent", "present"); weight on "absent" contributes nothing except
where the kind's semantics depend on presence (randwire: source and sink nodes).

Each kind reuses the compiler's op modules and skeleton, so a single path is exactly the
compiled network: `net(x, arch)` equals `net.standalone(arch)(x)` (tests/compiler/test_supernet.py).
`channels_last` and `precision` ("fp32", "bf16", "fp16") behave as in `compile_arch`.
"""

# Importing the kind modules registers them with SUPERNET_KINDS.
from graphnas.compiler.supernet import complete, enas, nb201, randwire  # noqa: F401  (registration)
from graphnas.compiler.supernet.base import (
    ABSENT,
    EDGE_CHOICES,
    PRESENT,
    SUPERNET_KINDS,
    Decision,
    Selection,
    Supernet,
    build_supernet,
)

__all__ = [
    "ABSENT",
    "EDGE_CHOICES",
    "PRESENT",
    "SUPERNET_KINDS",
    "Decision",
    "Selection",
    "Supernet",
    "build_supernet",
]
