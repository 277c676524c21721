"""Registry: name-or-object resolution, context passing, errors that list the valid names."""

from __future__ import annotations

import pytest

from graphnas.errors import GraphnasError, UnknownNameError
from graphnas.registry import Registry, context_fields


def make_registry() -> Registry:
    registry: Registry = Registry("widget")

    @registry.register("round_widget")
    class Round:
        context_fields = ("seed",)

        def __init__(self, radius: float = 1.0, seed: int = 0) -> None:
            self.radius = radius
            self.seed = seed

    @registry.register("square")
    def square(side: int = 2, **extra: object) -> dict:
        return {"side": side, **extra}

    square.context_fields = ("seed", "device")  # type: ignore[attr-defined]

    return registry


def test_names_lookup_and_membership_are_case_and_dash_insensitive() -> None:
    registry = make_registry()
    assert registry.names() == ["round_widget", "square"]
    assert "Round-Widget" in registry and "square" in registry and "circle" not in registry
    assert registry.get("ROUND-widget").__name__ == "Round"
    assert list(registry) == registry.names() and len(registry) == 2


def test_unknown_name_lists_every_valid_name() -> None:
    with pytest.raises(UnknownNameError) as info:
        make_registry().get("triangle")
    message = str(info.value)
    assert "triangle" in message and "round_widget" in message and "square" in message
    assert "\n" not in message
    assert isinstance(info.value, GraphnasError) and isinstance(info.value, KeyError)


def test_resolve_name_class_and_instance() -> None:
    registry = make_registry()
    by_name = registry.resolve("round_widget", radius=3.0)
    assert by_name.radius == 3.0
    by_class = registry.resolve(type(by_name), radius=2.0)
    assert type(by_class) is type(by_name) and by_class.radius == 2.0
    assert registry.resolve(by_name) is by_name
    with pytest.raises(GraphnasError, match="already built"):
        registry.resolve(by_name, radius=1.0)


def test_bad_options_name_the_accepted_ones() -> None:
    with pytest.raises(GraphnasError) as info:
        make_registry().resolve("round_widget", diameter=2)
    assert "diameter" in str(info.value) and "radius" in str(info.value)


def test_build_passes_exactly_the_context_a_factory_declares() -> None:
    registry = make_registry()
    context = {"seed": 7, "device": "cpu", "space": "s"}
    widget = registry.build("round_widget", {"radius": 5.0}, context)
    assert (widget.radius, widget.seed) == (5.0, 7)  # device and space not declared: not passed
    # A function declares its fields as an attribute; **kwargs alone receives nothing.
    assert registry.build("square", {"side": 3}, context) == {"side": 3, "seed": 7, "device": "cpu"}
    assert registry.build("square", {}, {"space": "s"}) == {"side": 2}
    # A declared field the caller does not provide keeps the factory's default.
    assert registry.build("round_widget", {}, {}).seed == 0
    with pytest.raises(GraphnasError, match="set by the caller"):
        registry.build("round_widget", {"seed": 1}, context)
    assert registry.build("round_widget", {"seed": 1}, {"device": "cpu"}).seed == 1


def test_context_fields_must_be_names() -> None:
    class Bad:
        context_fields = "space"

    with pytest.raises(TypeError, match="tuple of names"):
        context_fields(Bad)
    assert context_fields(object) == ()


def test_registering_a_taken_name_is_refused() -> None:
    registry = make_registry()
    with pytest.raises(ValueError, match="already registered"):
        registry.add("square", object())
    assert registry.name_of(registry.get("square")) == "square"
