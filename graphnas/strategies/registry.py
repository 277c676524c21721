"""The strategy registry: config names (`random`, `evolution`, ...) to strategy classes.

A strategy class is built as `cls(space=..., seed=..., [device=...], **params)`: the search passes
`space` and `seed` (and `device` when the constructor names it), the user's config passes `params`.
"""

from __future__ import annotations

from graphnas.registry import Registry

STRATEGIES: Registry = Registry("strategy")
