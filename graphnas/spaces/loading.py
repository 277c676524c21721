"""Space files: YAML naming a kind and its parameters, resolved by shipped name or by path."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from graphnas.errors import ConfigError, InputFileError, UnknownNameError
from graphnas.safe_yaml import load_yaml
from graphnas.spaces.base import SPACE_KINDS, SearchSpace

SPACE_SUFFIXES = (".yaml", ".yml")


def shipped_space_dir() -> Path:
    """Where the named space files live: inside the installed wheel, else the source checkout."""
    packaged = Path(str(resources.files("graphnas"))) / "space_defs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "spaces"


def shipped_space_names() -> list[str]:
    folder = shipped_space_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def space_from_config(config: Mapping[str, Any], source: str = "space config") -> SearchSpace:
    """Build a space from a space-file dict {kind, name?, network?, **params}."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"{source}: a space must be a mapping with a 'kind'")
    params = dict(config)
    odd_keys = [key for key in params if not isinstance(key, str)]
    if odd_keys:
        raise ConfigError(f"{source}: parameter names must be strings, got {odd_keys[0]!r}")
    kind = params.pop("kind", None)
    if not isinstance(kind, str):
        raise ConfigError(f"{source}: missing 'kind' (valid: {', '.join(SPACE_KINDS.names())})")
    try:
        cls = SPACE_KINDS.get(kind)
    except UnknownNameError as err:
        raise ConfigError(f"{source}: {err}") from None
    params.setdefault("name", kind)
    if not isinstance(params["name"], str) or not params["name"].strip():
        raise ConfigError(f"{source}: 'name' must be a non-empty string")
    network = params.get("network")
    if network is not None and (
        not isinstance(network, Mapping) or not all(isinstance(k, str) for k in network)
    ):
        raise ConfigError(f"{source}: 'network' must be a mapping of names to values")
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(
            f"{source}: unknown parameter(s) {', '.join(unknown)} for kind {kind!r}; "
            f"accepted: {', '.join(accepted)}"
        )
    try:
        return cls(**params)
    except (ConfigError, TypeError, ValueError, OverflowError) as err:
        raise ConfigError(f"{source}: {_one_line(err)}") from None


def load_space_file(path: Path) -> SearchSpace:
    """Read a space YAML file (safe loader)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: space file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: cannot read space file ({_one_line(err)})") from None
    return space_from_config(load_yaml(text, str(path)), str(path))


def _exists(path: Path) -> bool:
    """Path.exists that is False, not an OSError, for names the OS refuses (e.g. too long)."""
    try:
        return path.exists()
    except OSError:
        return False


def _one_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def load_space(spec: str | Path | Mapping[str, Any] | SearchSpace) -> SearchSpace:
    """A space from an instance, a config dict, a path to a YAML file, or a shipped name."""
    if isinstance(spec, SearchSpace):
        return spec
    if isinstance(spec, Mapping):
        return space_from_config(spec)
    path = Path(spec)
    if path.suffix in SPACE_SUFFIXES or _exists(path):
        return load_space_file(path)
    shipped = shipped_space_dir() / f"{spec}.yaml"
    if _exists(shipped):
        return load_space_file(shipped)
    raise UnknownNameError(
        f"unknown space {str(spec)!r}; shipped spaces: {', '.join(shipped_space_names())} "
        "(or give a path to a space YAML file)"
    )
