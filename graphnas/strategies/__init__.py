"""Search strategies (ask/tell). Importing this package registers every built-in strategy."""

from graphnas.strategies import (  # noqa: F401  (registration)
    differentiable,
    evolution,
    graphpnas,
    prior,
    random_search,
    reinforce_lstm,
)
from graphnas.strategies.registry import STRATEGIES

__all__ = ["STRATEGIES"]
