"""Architecture generators: the GraphPNAS GNN generator, the ENAS-style LSTM controller and the
space-prior sampler. Every generator draws valid architectures by construction."""

from graphnas.generators.base import (
    GENERATORS,
    AutoregressiveGenerator,
    SampleBatch,
    generator_from_checkpoint,
)
from graphnas.generators.graphpnas import GraphPNASGenerator
from graphnas.generators.lstm import LSTMController
from graphnas.generators.prior import PriorSampler

__all__ = [
    "GENERATORS",
    "AutoregressiveGenerator",
    "GraphPNASGenerator",
    "LSTMController",
    "PriorSampler",
    "SampleBatch",
    "generator_from_checkpoint",
]
