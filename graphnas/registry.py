"""Registry: name-or-object resolution for pluggable components; every error lists the valid names.

A registry maps short names ("nb201", "evolution", "nb201_table", ...) to classes or factories.
`resolve` accepts a registered name, a class/factory, or an already-built instance, so library users
can pass objects while config files pass names. `build` adds what the caller's context holds
(the space, the component's seed, the device, ...) for exactly the fields a component declares
in its `context_fields` class (or function) attribute: wiring is declared, never guessed from
signatures.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import UnionType
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

from graphnas.errors import ConfigError, GraphnasError, UnknownNameError

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
        """Like `resolve`, plus the `context` entries (space, seed, device...) the factory
        declares in its `context_fields` (see `context_fields`).

        `params` are the user's options and must all be accepted; a declared field the caller
        provides is passed (a user option of that name is refused), one it does not provide is
        left to the factory's default; undeclared context entries are not passed.
        """
        params = dict(params or {})
        is_name = isinstance(name_or_obj, str)
        if is_name or (callable(name_or_obj) and not self._is_instance(name_or_obj)):
            factory = self.get(name_or_obj) if is_name else name_or_obj
            given = {k: v for k, v in (context or {}).items() if k in context_fields(factory)}
            clash = sorted(set(params) & set(given))
            if clash:
                raise GraphnasError(
                    f"{self.kind} {_label(name_or_obj)!r}: options {clash} are set by the caller"
                )
            check_option_types(f"{self.kind} {_label(name_or_obj)!r}", factory, params)
            params.update(given)
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


def context_fields(factory: Any) -> tuple[str, ...]:
    """What `factory` declares it receives from the build (its `context_fields` class or
    function attribute: any of "space", "seed", "run_seed", "device", "timeout_s", ...)."""
    fields = getattr(factory, "context_fields", ())
    if isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
        raise TypeError(f"{_label(factory)}.context_fields must be a tuple of names")
    return tuple(fields)


def _label(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    return getattr(obj, "__name__", type(obj).__name__)


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


# Annotations whose values a config file can give, and how to test a value against them.
_SCALAR_CHECKS: dict[Any, Callable[[Any], bool]] = {
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    str: lambda v: isinstance(v, str),
    type(None): lambda v: v is None,
}


def _annotation_checks(hint: Any) -> list[tuple[str, Callable[[Any], bool]]] | None:
    """(type name, test) for each alternative of a simple annotation; None when not simple."""
    alternatives = (
        get_args(hint) if isinstance(hint, UnionType) or get_origin(hint) is Union else (hint,)
    )
    checks = []
    for alternative in alternatives:
        origin = get_origin(alternative) or alternative
        if alternative in _SCALAR_CHECKS:
            type_name = "null" if alternative is type(None) else alternative.__name__
            checks.append((type_name, _SCALAR_CHECKS[alternative]))
        elif origin in (Mapping, dict):
            checks.append(("a mapping", lambda v: isinstance(v, Mapping)))
        elif origin in (Sequence, list, tuple):
            checks.append(("a list", lambda v: isinstance(v, (list, tuple))))
        else:
            return None
    return checks


def check_option_types(owner: str, factory: Any, params: Mapping[str, Any]) -> None:
    """Refuse a user option whose value contradicts the (simple) type annotation of that
    parameter of `factory` (a class or function): ConfigError('<owner>: option ... must be ...').
    Annotations other than bool/int/float/str/None, mappings and sequences are not checked."""
    try:
        hints = get_type_hints(factory.__init__ if isinstance(factory, type) else factory)
    except Exception:  # unresolvable annotations: the call itself decides
        return
    for name, value in params.items():
        checks = _annotation_checks(hints[name]) if name in hints else None
        if checks and not any(test(value) for _, test in checks):
            expected = " or ".join(type_name for type_name, _ in checks)
            raise ConfigError(
                f"{owner}: option {name} must be {expected}, got {type(value).__name__}"
            )
