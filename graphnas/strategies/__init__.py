"""Search strategies (ask/tell). Importing this package registers every built-in strategy."""

from graphnas.strategies import evolution, random_search  # noqa: F401  (registration)
from graphnas.strategies.registry import STRATEGIES

__all__ = ["STRATEGIES"]
