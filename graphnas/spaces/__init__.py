"""Search-space kinds and space loading. Importing this package registers every kind."""

from graphnas.spaces import chain, complete, enas, nb101, nb201, randwire  # noqa: F401  (registration)
from graphnas.spaces.base import SPACE_KINDS, GenerationRules, SearchSpace, SpaceDescription
from graphnas.spaces.loading import load_space, shipped_space_names, space_from_config

__all__ = [
    "SPACE_KINDS",
    "GenerationRules",
    "SearchSpace",
    "SpaceDescription",
    "load_space",
    "shipped_space_names",
    "space_from_config",
]
