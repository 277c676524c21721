"""Registry: name-or-object resolution for pluggable components, with the valid names in every error.

A registry maps short names ("nb201", "evolution", "nb201_table", ...) to classes or factories.
`resolve` accepts a registered name, a class/factory, or an already-built instance, so library users
can pass objects while config files pass names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from graphnas.errors import GraphnasError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of components of one kind (e.g. "strategy").

    Names are case-insensitive; dashes and underscores are interchangeable ("nb201-table" finds
    "nb201_table").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    @staticmethod
    def _key(name: str) -> str:
        return name.strip().lower().replace("-", "_")

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering `obj` under `name`; registering a taken name is an error."""

        def decorate(obj: T) -> T:
            self.add(name, obj)
            return obj

        return decorate

    def add(self, name: str, obj: T) -> None:
        """Register `obj` under `name` (the non-decorator form)."""
        key = self._key(name)
        if not key:
            raise ValueError(f"{self.kind} registry: empty name")
        existing = self._entries.get(key)
        if existing is not None and existing is not obj:
            raise ValueError(
                f"{self.kind} registry: name {name!r} is already registered"
            )
        self._entries[key] = obj

    def get(self, name: str) -> T:
        """The object registered under `name`; UnknownNameError lists the valid names otherwise."""
        if not isinstance(name, str):
            raise UnknownNameError(
                f"{self.kind}: expected a name, got {type(name).__name__}; "
                f"valid names: {', '.join(self.names())}"
            )
        try:
            return self._entries[self._key(name)]
        except KeyError:
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}; valid names: {', '.join(self.names()) or '(none)'}"
            ) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._entries)

    def resolve(self, name_or_obj: Any, **kwargs: Any) -> Any:
        """Build a component from a name, a class/factory, or pass through an instance.

        - a string: looked up, then called with `kwargs`;
        - a class or other callable that is not an instance of a registered class: called with kwargs;
        - anything else (an instance): returned as is (kwargs must then be empty).
        """
        if isinstance(name_or_obj, str):
            factory: Any = self.get(name_or_obj)
            return _call(self.kind, name_or_obj, factory, kwargs)
        if isinstance(name_or_obj, type) or (
            callable(name_or_obj) and not self._is_instance(name_or_obj)
        ):
            return _call(self.kind, _label(name_or_obj), name_or_obj, kwargs)
        if kwargs:
            raise GraphnasError(
                f"{self.kind}: cannot apply options {sorted(kwargs)} to an already built "
                f"{type(name_or_obj).__name__}"
            )
        return name_or_obj

    def name_of(self, obj: Any) -> str | None:
        """The registered name of a class/factory or of an instance of a registered class."""
        for name, entry in self._entries.items():
            if obj is entry or (isinstance(entry, type) and type(obj) is entry):
                return name
        return None

    def _is_instance(self, obj: Any) -> bool:
        return any(
            isinstance(e, type) and isinstance(obj, e) for e in self._entries.values()
        )

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()})"


def _label(obj: Any) -> str:
    return getattr(obj, "__name__", type(obj).__name__)


def _call(kind: str, label: str, factory: Any, kwargs: dict[str, Any]) -> Any:
    """Call `factory(**kwargs)` after checking the options against its signature (one-line error)."""
    try:
        signature = inspect.signature(factory)
    except (
        TypeError,
        ValueError,
    ):  # some builtins have no signature; let the call decide
        return factory(**kwargs)
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        accepted = [
            p.name
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        raise GraphnasError(
            f"{kind} {label!r}: bad options: {exc}; accepted options: {', '.join(accepted) or '(none)'}"
        ) from None
    return factory(**kwargs)
