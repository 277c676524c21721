"""Dataclass configs loaded from YAML with `key=value` overrides (OmegaConf structured configs).

A config file is plain YAML read with `yaml.safe_load`; it is merged over the dataclass defaults,
then dotted overrides (`strategy.params.population=20 seed=3`) are merged over that. Every problem
(bad YAML, unknown key, wrong type, bad value) becomes a one-line `ConfigError` naming the file or
the override. Nothing here is global: each load returns a fresh object.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from graphnas.errors import ConfigError
from graphnas.safe_yaml import load_yaml

T = TypeVar("T")

# Sections naming a registered component: `strategy: random` means `strategy: {name: random}`.
COMPONENT_SECTIONS = ("strategy", "evaluator", "pool")
# Overrides that stand for a longer key: `dataset=cifar100` sets the evaluator's dataset.
OVERRIDE_SHORTHANDS = {"dataset": ("evaluator", "params", "dataset")}


@dataclass
class ComponentConfig:
    """A registered component chosen by name, with keyword options passed to its constructor."""

    name: str = ""
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class BudgetConfig:
    """When a search stops: after `queries` unique evaluations and/or `seconds` of evaluation cost.

    `seconds` counts the evaluators' reported cost (simulated for table lookups, measured for real
    training), so a table search on a time budget behaves like the real search it stands for.
    """

    queries: int | None = 100
    seconds: float | None = None


@dataclass
class TrackingConfig:
    """Where progress goes. `backends`: any of stdout, wandb. `wandb_mode`: online/offline/disabled;
    unset means the WANDB_MODE environment variable, else offline. `group`: the wandb group tying
    runs together (`graphnas compare` sets one per comparison)."""

    backends: list[str] = field(default_factory=list)
    project: str = "graphnas"
    wandb_mode: str | None = None
    log_every: int = 10
    group: str | None = None


@dataclass
class ConstraintsConfig:
    """Hard limits (null: none): a proposal above one is never evaluated (the strategy is told it
    failed). Params and FLOPs are the compiler's analytic counts (FLOPs per sample, NB201 rule);
    latency is predicted from the device's measured table (`graphnas latency`)."""

    max_params: float | None = None
    max_flops: float | None = None
    max_latency_ms: float | None = None


@dataclass
class ObjectiveConfig:
    """What the search optimises. `mode`: reward (the evaluator's), weighted (MnasNet/
    ProxylessNAS: reward * (metric / target) ** (alpha if metric <= target else beta); alpha=beta
    =-0.07 is MnasNet's soft form, alpha=0, beta=-1 its hard one), or pareto (the non-dominated
    set of max reward and min `pareto_metrics`; the strategy is told minus the number of
    evaluated results that dominate each one). `network`, `latency_table`: the skeleton
    overrides and the table file (default: the device's cache) every cost is computed with."""

    mode: str = "reward"
    metric: str = "latency_ms"
    target: float | None = None
    alpha: float = -0.07
    beta: float = -0.07
    pareto_metrics: list[str] = field(default_factory=lambda: ["params"])
    network: dict[str, Any] = field(default_factory=dict)
    latency_table: str | None = None


@dataclass
class SearchConfig:
    """Everything a search run needs. `out` unset means `runs/<name>-seed<seed>-<timestamp>`."""

    name: str = "search"
    space: str = "nb201"
    strategy: ComponentConfig = field(default_factory=lambda: ComponentConfig(name="random"))
    evaluator: ComponentConfig = field(
        default_factory=lambda: ComponentConfig(name="nb201_table", params={"dataset": "cifar10"})
    )
    pool: ComponentConfig = field(default_factory=lambda: ComponentConfig(name="serial"))
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    batch_size: int = 1
    seed: int = 0
    out: str | None = None
    device: str = "auto"
    progress: bool = True
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    # Reliability. `failed_reward`: what the strategy is told for a failed evaluation: null (the
    # strategy's own rule, e.g. evolution ranks it last, generators skip it), a number, or
    # "worst" (the lowest successful reward so far). `eval_timeout_s`: per-evaluation limit.
    # `checkpoint_every_s`: seconds between checkpoints (0: after every step).
    failed_reward: Any = None
    eval_timeout_s: float | None = None
    checkpoint_every_s: float = 60.0
    # Plug-in modules (graphnas.plugins) imported before any component is resolved, here and in
    # every pool worker: e.g. [mypkg.nas] registering a space kind or an evaluator.
    imports: list[str] = field(default_factory=list)
    # Cost-aware search (graphnas.evaluators.objective, graphnas.strategies.constrained).
    constraints: ConstraintsConfig = field(default_factory=ConstraintsConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)

    def check(self) -> SearchConfig:
        """Value checks the type system cannot express; raises ConfigError."""
        if self.budget.queries is None and self.budget.seconds is None:
            raise ConfigError("budget: set budget.queries and/or budget.seconds")
        if self.budget.queries is not None and self.budget.queries < 1:
            raise ConfigError(f"budget.queries: must be >= 1, got {self.budget.queries}")
        if self.budget.seconds is not None and not (
            math.isfinite(self.budget.seconds) and self.budget.seconds > 0
        ):
            raise ConfigError(
                f"budget.seconds: must be a positive number, got {self.budget.seconds}"
            )
        if self.batch_size < 1:
            raise ConfigError(f"batch_size: must be >= 1, got {self.batch_size}")
        if self.seed < 0:
            raise ConfigError(f"seed: must be >= 0, got {self.seed}")
        for section in COMPONENT_SECTIONS:
            if not getattr(self, section).name:
                raise ConfigError(f"{section}.name: a {section} must be named")
        if not all(isinstance(backend, str) for backend in self.tracking.backends):
            # OmegaConf lets a nested list through into list[str]
            raise ConfigError("tracking.backends: must be a list of names such as stdout, wandb")
        if self.tracking.log_every < 1:
            raise ConfigError(f"tracking.log_every: must be >= 1, got {self.tracking.log_every}")
        check_device_spec(self.device)
        check_failed_reward(self.failed_reward)
        check_cost_settings(self.constraints, self.objective)
        if not all(isinstance(module, str) and module.strip() for module in self.imports):
            raise ConfigError("imports: must be a list of module names such as mypkg.plugin")
        if self.eval_timeout_s is not None and not (
            math.isfinite(self.eval_timeout_s) and self.eval_timeout_s > 0
        ):
            raise ConfigError(
                f"eval_timeout_s: must be a positive number of seconds, got {self.eval_timeout_s}"
            )
        if not (math.isfinite(self.checkpoint_every_s) and self.checkpoint_every_s >= 0):
            raise ConfigError(
                f"checkpoint_every_s: must be >= 0 seconds, got {self.checkpoint_every_s}"
            )
        return self


OBJECTIVE_MODES = ("reward", "weighted", "pareto")
COST_METRIC_NAMES = ("params", "flops", "latency_ms")


def check_cost_settings(constraints: ConstraintsConfig, objective: ObjectiveConfig) -> None:
    """Limits positive, a known objective mode and metrics, a positive target when weighted."""
    for name in ("max_params", "max_flops", "max_latency_ms"):
        value = getattr(constraints, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise ConfigError(f"constraints.{name}: must be a positive number, got {value}")
    if objective.mode not in OBJECTIVE_MODES:
        raise ConfigError(
            f"objective.mode: {objective.mode!r} unknown; valid: {', '.join(OBJECTIVE_MODES)}"
        )
    metrics = [objective.metric, *objective.pareto_metrics]
    unknown = [m for m in metrics if m not in COST_METRIC_NAMES]
    if unknown:
        raise ConfigError(
            f"objective: unknown cost metric {unknown[0]!r}; valid: {', '.join(COST_METRIC_NAMES)}"
        )
    if objective.mode == "weighted" and not (
        objective.target is not None and math.isfinite(objective.target) and objective.target > 0
    ):
        raise ConfigError("objective.target: the weighted mode needs a positive target cost")
    if objective.mode == "pareto" and not objective.pareto_metrics:
        raise ConfigError("objective.pareto_metrics: the pareto mode needs at least one metric")
    if not (math.isfinite(objective.alpha) and math.isfinite(objective.beta)):
        raise ConfigError("objective.alpha/beta: must be finite numbers")


def check_failed_reward(value: Any) -> None:
    """Accept None, a finite number or "worst"; raise ConfigError otherwise."""
    if value is None or value == "worst":
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return
    raise ConfigError(f"failed_reward: expected null, a finite number or 'worst', got {value!r}")


def check_device_spec(spec: str) -> None:
    """Accept auto, cpu, mps, cuda or cuda:N; raise ConfigError otherwise."""
    head, _, index = spec.partition(":")
    if head in ("auto", "cpu", "mps") and not index:
        return
    if head == "cuda" and (not index or index.isdigit()):
        return
    raise ConfigError(f"device: {spec!r} is not one of auto, cpu, mps, cuda, cuda:N")


def resolve_device(spec: str) -> Any:
    """The torch.device for a spec (`auto`: cuda, then mps, then cpu)."""
    import torch

    check_device_spec(spec)
    if spec == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device: {spec!r} requested but CUDA is not available")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device: {spec!r} requested but MPS is not available")
    return device


def read_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """Read a YAML file holding a mapping (safe loader only); one-line errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {_one_line(exc)}") from None
    data = load_yaml(text, str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys to values, got {type(data).__name__}"
        )
    return data


def load_config(
    schema: type[T],
    path: str | Path | None = None,
    overrides: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
) -> T:
    """Build a `schema` dataclass: defaults <- YAML file (or `data`) <- `key=value` overrides."""
    merged = OmegaConf.structured(schema)
    source = str(path) if path is not None else "config"
    raw = read_yaml_mapping(path) if path is not None else dict(data or {})
    raw = _normalise_components(raw)
    # A file naming another component, or giving a component's params, drops the default params
    # (as the matching overrides do), so a dumped config reloads to itself.
    for section in COMPONENT_SECTIONS:
        given = raw.get(section) if isinstance(raw.get(section), Mapping) else {}
        renamed = given.get("name") is not None and given.get("name") != merged[section].name
        if renamed or isinstance(given.get("params"), Mapping):
            merged[section].params = {}
    merged = _merge(merged, schema, raw, source)
    for item in overrides:
        path, value = _parse_override(item)
        _reset_replaced_params(merged, path, value)
        merged = _merge(merged, schema, _nested(path, value), f"override {item!r}")
    try:
        obj = OmegaConf.to_object(merged)
    except OmegaConfBaseException as exc:
        raise ConfigError(f"{source}: {_omegaconf_message(exc)}") from None
    check = getattr(obj, "check", None)
    if callable(check):
        try:
            check()
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    return obj  # type: ignore[return-value]


def load_search_config(
    path: str | Path | None = None, overrides: Sequence[str] = ()
) -> SearchConfig:
    """The search config of an experiment file plus overrides, checked."""
    return load_config(SearchConfig, path, overrides)


def to_yaml(config: Any) -> str:
    """The YAML text of a config dataclass (all defaults filled in)."""
    return OmegaConf.to_yaml(OmegaConf.structured(config))


def dump_config(config: Any, path: str | Path) -> Path:
    """Write the fully resolved config as YAML (atomically) and return the path."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(to_yaml(config), encoding="utf-8")
    tmp.replace(path)
    return path


def as_dict(config: Any) -> dict[str, Any]:
    """A plain nested dict of a config dataclass (for trackers and summaries)."""
    return dataclasses.asdict(config)


def _normalise_components(raw: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(raw)
    for section in COMPONENT_SECTIONS:
        if isinstance(data.get(section), str):
            data[section] = {"name": data[section]}
    return data


def _reset_replaced_params(merged: DictConfig, path: list[str], value: Any) -> None:
    """An override that renames a component (`strategy=random`), or sets its whole `params` to a
    mapping, replaces the params from the file instead of merging into them; likewise inside the
    params, a named option set given another name (`strategy.params.update={name: reinforce}` or
    `strategy.params.update.name=reinforce` over the recipe's `elite` options) replaces it."""
    section = path[0]
    if section not in COMPONENT_SECTIONS or section not in merged or len(path) < 2:
        return
    if len(path) == 2:
        node = merged[section]
        renamed = path[1] == "name" and value != node.get("name")
        if renamed or (path[1] == "params" and isinstance(value, Mapping)):
            node.params = {}
        return
    if path[-1] == "name" and len(path) > 3:
        _replace_if_renamed(merged, path[:-1], value)
    elif isinstance(value, Mapping) and "name" in value:
        _replace_if_renamed(merged, path, value["name"])


def _replace_if_renamed(merged: DictConfig, path: list[str], name: Any) -> None:
    """Empty the mapping at `path` if it names something other than `name`."""
    key = ".".join(path)
    node = OmegaConf.select(merged, key, default=None)
    if isinstance(node, DictConfig) and node.get("name") != name:
        OmegaConf.update(merged, key, {}, merge=False)


def _parse_override(item: str) -> tuple[list[str], Any]:
    """Parse one `a.b=value` item (the value is a YAML scalar, list or map): (key path, value)."""
    key, sep, text = item.partition("=")
    parts = [part.strip() for part in key.strip().split(".")]
    if not sep or any(not part for part in parts):
        raise ConfigError(f"override {item!r}: expected key=value (e.g. seed=3)")
    value = load_yaml(text, f"override {item!r}") if text.strip() else ""
    if len(parts) == 1 and parts[0] in COMPONENT_SECTIONS and isinstance(value, str):
        parts = [parts[0], "name"]
    if len(parts) == 1 and parts[0] in OVERRIDE_SHORTHANDS:
        parts = list(OVERRIDE_SHORTHANDS[parts[0]])
    return parts, value


def _nested(path: list[str], value: Any) -> dict[str, Any]:
    nested: Any = value
    for part in reversed(path):
        nested = {part: nested}
    return nested


def _merge(base: DictConfig, schema: type, update: Mapping[str, Any], source: str) -> DictConfig:
    _check_keys(schema, update, source, prefix="")
    try:
        merged = OmegaConf.merge(base, OmegaConf.create(dict(update)))
    except OmegaConfBaseException as exc:
        raise ConfigError(f"{source}: {_omegaconf_message(exc)}") from None
    except (TypeError, ValueError) as exc:  # e.g. a list given where a mapping is expected
        raise ConfigError(f"{source}: {_one_line(exc)}") from None
    assert isinstance(merged, DictConfig)
    return merged


def _check_keys(schema: type, update: Mapping[str, Any], source: str, prefix: str) -> None:
    """Unknown keys and non-mappings given for sections, named with the valid keys."""
    hints = get_type_hints(schema)
    fields = [f.name for f in dataclasses.fields(schema)]
    for key, value in update.items():
        full = f"{prefix}{key}"
        if key not in fields:
            raise ConfigError(f"{source}: unknown key {full!r}; valid keys: {', '.join(fields)}")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"{source}: {full} must be a mapping with keys "
                    f"{', '.join(f.name for f in dataclasses.fields(hint))}, got {value!r}"
                )
            _check_keys(hint, value, source, prefix=f"{full}.")


def _omegaconf_message(exc: OmegaConfBaseException) -> str:
    """One line from an OmegaConf error: the key and what is wrong with it."""
    key = getattr(exc, "full_key", None)
    msg = getattr(exc, "msg", None) or str(exc)
    msg = _one_line(msg)
    return f"{key}: {msg}" if key else msg


def _one_line(exc: BaseException | str) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
