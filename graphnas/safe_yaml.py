"""YAML from files and overrides: the safe loader only, with every failure one ConfigError line.

`yaml.safe_load` builds plain data only, but on hostile text it can still raise ValueError (a
timestamp like 2020-02-30, `!!int abc`, an integer of 5,000 digits), RecursionError (deep nesting)
or return a small document that aliases expand into billions of nodes ("billion laughs"), which
later code (OmegaConf, repr) would expand. `load_yaml` turns all of these into one-line errors
naming the source.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from graphnas.errors import ConfigError

# Values in a document counted with multiplicity (an alias counts as often as it is used).
MAX_YAML_VALUES = 100_000
# Integers a config may hold: 64-bit signed. Larger ones only overflow later float() conversions.
MAX_YAML_INT = 2**63 - 1
# Nesting levels (flow brackets plus block indentation) allowed before parsing: PyYAML's parser
# is recursive and its scanner slows down quadratically with open flow levels.
MAX_YAML_DEPTH = 100
_BRACKETS = re.compile(r"[^\[\]{}]+")
_BLOCK_LINE = re.compile(r"^( *)((?:- +)*)\S", re.MULTILINE)


def load_yaml(text: str, source: str) -> Any:
    """Parse `text` with the safe loader; ConfigError('<source>: ...') on any problem."""
    if nesting_depth(text) > MAX_YAML_DEPTH:
        raise ConfigError(
            f"{source}: malformed YAML: nested more than {MAX_YAML_DEPTH} levels deep"
        )
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{source}: malformed YAML{where}: {_one_line(exc.problem or exc)}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: malformed YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{source}: malformed YAML: nested too deeply") from None
    except (ValueError, OverflowError, TypeError) as exc:  # constructors of tagged scalars
        raise ConfigError(f"{source}: malformed YAML value: {_one_line(exc)}") from None
    check_size(data, source)
    return data


def nesting_depth(text: str) -> int:
    """An upper bound on the nesting depth of a YAML text: the deepest run of open flow brackets
    plus the deepest stack of block indentation levels (brackets in quoted strings count too)."""
    flow = deepest_flow = 0
    for char in _BRACKETS.sub("", text):
        flow = flow + 1 if char in "[{" else max(flow - 1, 0)
        deepest_flow = max(deepest_flow, flow)
    indents: list[int] = []
    deepest_block = 0
    for match in _BLOCK_LINE.finditer(text):
        indent = len(match.group(1))
        while indents and indents[-1] >= indent:
            indents.pop()
        indents.append(indent)
        deepest_block = max(deepest_block, len(indents) + match.group(2).count("-"))
    return deepest_flow + deepest_block


def check_size(data: Any, source: str, limit: int = MAX_YAML_VALUES) -> None:
    """Refuse documents holding more than `limit` values once aliases are expanded, or an
    integer outside the 64-bit range."""
    stack, seen = [data], 0
    while stack:
        value = stack.pop()
        seen += 1
        if seen > limit:
            raise ConfigError(
                f"{source}: YAML document too large (over {limit:,} values once aliases are "
                "expanded)"
            )
        if isinstance(value, int) and abs(value) > MAX_YAML_INT:
            raise ConfigError(f"{source}: integer out of the 64-bit range")
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set)):
            stack.extend(value)


def _one_line(exc: BaseException | str) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
