"""Registry: name-or-object resolution for pluggable components; every error lists the valid names.

A registry maps short names ("nb201", "evolution", "nb201_table", ...) to classes or factories.
`resolve` accepts a registered name, a class/factory, or an already-built instance, so library users
can pass objects while config files pass names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
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
            raise ValueError(f"{self.kind} registry: name {name!r} is already registered")
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
        - a class, or a callable that is not an instance of a registered class: called with kwargs;
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

    def build(
        self,
        name_or_obj: Any,
        params: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Like `resolve`, plus the `context` entries (space, seed, device...) the factory accepts.

        `params` are the user's options and must all be accepted; each `context` entry is passed
        only when the factory's signature names it (or takes **kwargs), so a component declares
        what it needs (e.g. a strategy that may run on a torch device asks for `device`).
        """
        params = dict(params or {})
        is_name = isinstance(name_or_obj, str)
        if is_name or (callable(name_or_obj) and not self._is_instance(name_or_obj)):
            factory = self.get(name_or_obj) if is_name else name_or_obj
            clash = sorted(set(params) & set(context or {}))
            if clash:
                raise GraphnasError(
                    f"{self.kind} {_label(name_or_obj)!r}: options {clash} are set by the caller"
                )
            params.update(_accepted(factory, context or {}))
        return self.resolve(name_or_obj, **params)

    def name_of(self, obj: Any) -> str | None:
        """The registered name of a class/factory or of an instance of a registered class."""
        for name, entry in self._entries.items():
            if obj is entry or (isinstance(entry, type) and type(obj) is entry):
                return name
        return None

    def _is_instance(self, obj: Any) -> bool:
        return any(isinstance(e, type) and isinstance(obj, e) for e in self._entries.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._key(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()})"


def _label(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    return getattr(obj, "__name__", type(obj).__name__)


def _accepted(factory: Any, context: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of `context` that `factory` can take as keyword arguments."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(context)
    names = {
        name
        for name, p in parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return {key: value for key, value in context.items() if key in names}


def _call(kind: str, label: str, factory: Any, kwargs: dict[str, Any]) -> Any:
    """Call `factory(**kwargs)` after checking the options against its signature."""
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
        valid = ", ".join(accepted) or "(none)"
        raise GraphnasError(
            f"{kind} {label!r}: bad options: {exc}; accepted options: {valid}"
        ) from None
    return factory(**kwargs)
