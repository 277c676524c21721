"""Evaluators and evaluation pools. Importing this package registers the built-in ones."""

from graphnas.evaluators import nb201_table, pool  # noqa: F401  (registration)
from graphnas.evaluators.pool import POOLS
from graphnas.evaluators.registry import EVALUATORS

__all__ = ["EVALUATORS", "POOLS"]
