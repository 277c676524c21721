"""Compiler: ArchGraph + SearchSpace -> a faithful, fast PyTorch network, and its analytic cost.

net = compile_arch(arch, "nb201", num_classes=100)     # nn.Module, [B, 3, 32, 32] -> [B, 100]
arch_cost(arch, "nb201").params                         # same count, nothing built
"""

# Importing the kind modules registers them with KIND_COMPILERS.
from graphnas.compiler import chain, complete, enas, nb101, nb201, randwire  # noqa: F401  (registration)
from graphnas.compiler.compile import CompiledNet, arch_cost, compile_arch, resolve_network
from graphnas.compiler.cost import Cost
from graphnas.compiler.kinds import KIND_COMPILERS, KindCompiler
from graphnas.compiler.measure import count_parameters, measure_flops

__all__ = [
    "KIND_COMPILERS",
    "CompiledNet",
    "Cost",
    "KindCompiler",
    "arch_cost",
    "compile_arch",
    "count_parameters",
    "measure_flops",
    "resolve_network",
]
