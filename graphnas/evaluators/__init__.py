"""Evaluators and evaluation pools. Importing this package registers the built-in ones."""

from graphnas.evaluators import (  # noqa: F401  (registration)
    chain,
    naswot,
    nb201_table,
    pool,
    process_pool,
    proxy_training,
    ray_pool,
    supernet,
    table,
)
from graphnas.evaluators.pool import POOLS
from graphnas.evaluators.registry import EVALUATORS

__all__ = ["EVALUATORS", "POOLS"]
