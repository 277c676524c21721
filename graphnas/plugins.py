"""Plug-ins: user modules that register space kinds, compiler ops, evaluators or strategies.

A plug-in is an importable module whose import registers components (`@SPACE_KINDS.register(...)`,
`@EVALUATORS.register(...)`, `register_chain_op(...)`). Plug-ins come from three places, all loaded
before any component is resolved: the config key `imports: [module, ...]`, the global CLI option
`--import MODULE`, and the `graphnas.plugins` entry-point group of installed distributions.

A spec is a module name (`mypkg.nas`), or `module:function` to import the module and call the
function once with no arguments. Modules are found on `sys.path`, then in the current directory
(as `python -m` would), so `--import myplugin` finds `./myplugin.py`. Pools re-import
`loaded_plugins()` in every worker, so a component registered by a plug-in resolves there too.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Sequence

from graphnas.errors import GraphnasError

ENTRY_POINT_GROUP = "graphnas.plugins"

# Specs imported in this process, in load order (what workers must import again).
_LOADED: list[str] = []


class PluginError(GraphnasError):
    """A plug-in module could not be imported (or its registration function failed)."""


def load_plugins(modules: Sequence[str] = (), *, entry_points: bool = True) -> list[str]:
    """Import every spec of `modules`, then (with `entry_points`) the `graphnas.plugins` group.

    Idempotent: a spec already loaded in this process is not imported or called again. Returns
    the specs this call covered (given ones first, then the entry points'), in order. Raises
    PluginError naming the module on any failure.
    """
    if isinstance(modules, str):
        modules = [modules]
    covered: list[str] = []
    for spec in modules:
        if not isinstance(spec, str) or not spec.strip():
            raise PluginError(f"imports: expected module names, got {spec!r}")
        covered.append(_load(spec.strip(), f"plug-in {spec.strip()!r}"))
    if entry_points:
        for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            source = f"plug-in {point.value!r} (entry point {point.name!r} of {ENTRY_POINT_GROUP})"
            covered.append(_load(point.value.replace(" ", ""), source))
    return covered


def loaded_plugins() -> tuple[str, ...]:
    """Every spec load_plugins imported in this process, in load order."""
    return tuple(_LOADED)


def _load(spec: str, source: str) -> str:
    if spec in _LOADED:
        return spec
    module_name, _, function_name = spec.partition(":")
    if not module_name or not all(part.isidentifier() for part in module_name.split(".")):
        raise PluginError(f"{source}: not a module name (expected e.g. mypkg.plugin)")
    if function_name and not function_name.isidentifier():
        raise PluginError(f"{source}: {function_name!r} is not a function name")
    module = _import(module_name, source)
    if function_name:
        register = getattr(module, function_name, None)
        if not callable(register):
            raise PluginError(f"{source}: module {module_name} has no function {function_name}")
        try:
            register()
        except Exception as err:
            raise PluginError(f"{source}: {function_name}() failed: {_one_line(err)}") from None
    _LOADED.append(spec)
    return spec


def _import(module_name: str, source: str) -> object:
    top = module_name.partition(".")[0]
    cwd = os.getcwd()
    if (
        top not in sys.modules
        and importlib.util.find_spec(top) is None
        and cwd not in sys.path
        and any(os.path.exists(os.path.join(cwd, name)) for name in (top, f"{top}.py"))
    ):
        sys.path.append(cwd)
    try:
        return importlib.import_module(module_name)
    except Exception as err:  # an arbitrary user module: any failure is the plug-in's
        raise PluginError(f"{source}: cannot import ({_one_line(err)})") from None


def _one_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
