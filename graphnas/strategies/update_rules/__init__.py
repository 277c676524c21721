"""How a learned generator is trained from rewards: the `UpdateRule` registry and its rules.

`reinforce` (policy gradient), `elite` (the original GraphPNAS refit on the top-K) and `tempered`
(rank-tempered likelihood over everything evaluated, entropy-regularised); see each module.
"""

from graphnas.strategies.update_rules import elite, reinforce, tempered  # noqa: F401  (registration)
from graphnas.strategies.update_rules.base import (
    UPDATE_RULES,
    UpdateContext,
    UpdateRule,
    build_update_rule,
)

__all__ = ["UPDATE_RULES", "UpdateContext", "UpdateRule", "build_update_rule"]
