"""A Ray pool: evaluation actors spread over the CPUs and GPUs of a Ray cluster (graphnas[ray]).

`address` picks the cluster: an existing one ("auto", "host:6379", "ray://host:10001"; when unset,
the RAY_ADDRESS environment variable as Ray reads it), or none, which starts a local instance that
`close` shuts down again. Ray itself retries an unreachable address for many minutes, so the pool
first opens a TCP connection to it and then bounds `ray.init` by `connect_timeout_s`: a connection
problem is one line naming the address and where it came from.

Each actor asks for `num_cpus` CPUs (also its torch thread count), `num_gpus` GPUs (fractional:
0.25 packs four small networks per GPU; default 1 when `device` is CUDA, else 0) and any custom
`resources`; it runs one evaluation at a time, so these are the resources of one evaluation. Each
actor rebuilds the evaluator from the search's `EvaluatorRecipe` (plug-ins imported first: on a
remote cluster they must be importable there too, e.g. through `init: {runtime_env: ...}`).
Results are identical in content to a sequential run with the same seed. Crashes, retries and
`timeout_s` follow `tasks.TaskBook`, as in the process pool: an actor that dies (its process
killed, out of memory) is replaced and its architecture retried `max_retries` times; an
evaluation past `timeout_s` has its actor killed and fails. `ray` is imported only here.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import torch

from graphnas.errors import ConfigError
from graphnas.evaluators.base import EvalResult, Evaluator, prepare_evaluator
from graphnas.evaluators.pool import POOLS, evaluate_safely
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.evaluators.tasks import Task, TaskBook
from graphnas.graph import ArchGraph

DEFAULT_CONNECT_TIMEOUT_S = 30.0


class EvaluationActor:
    """The body of a Ray actor: one evaluator, built on the actor's device."""

    def __init__(self, recipe: EvaluatorRecipe, threads: int, use_gpu: bool) -> None:
        torch.set_num_threads(threads)
        # Ray restricts CUDA_VISIBLE_DEVICES to the actor's GPU, which is then cuda:0.
        self.device = torch.device("cuda:0" if use_gpu else "cpu")
        self.evaluator = recipe.build(self.device)

    def evaluate(self, arch_dict: dict) -> dict:
        (result,) = evaluate_safely(self.evaluator, [ArchGraph.from_dict(arch_dict)])
        return result.to_dict()


@POOLS.register("ray")
class RayPool:
    """Evaluates on `workers` Ray actors (default: as many as the cluster's resources allow);
    see the module docstring. `init`: extra `ray.init` options (local instance or runtime_env)."""

    context_fields: ClassVar[tuple[str, ...]] = ("recipe", "evaluator", "device", "timeout_s")

    def __init__(
        self,
        recipe: EvaluatorRecipe,
        evaluator: Evaluator | None = None,
        device: torch.device | str = "cpu",
        workers: int | None = None,
        address: str | None = None,
        num_cpus: float = 1.0,
        num_gpus: float | None = None,
        resources: Mapping[str, float] | None = None,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        max_retries: int = 1,
        timeout_s: float | None = None,
        init: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "pool 'ray' needs the ray package: pip install 'graphnas[ray]'"
            ) from None
        if num_gpus is None:
            num_gpus = 1.0 if torch.device(device).type == "cuda" else 0.0
        _check_resources(num_cpus, num_gpus, resources, connect_timeout_s)
        self._ray = ray
        self.recipe = recipe
        self.book = TaskBook("ray", max_retries, timeout_s)
        self.num_cpus, self.num_gpus = float(num_cpus), float(num_gpus)
        self._actors: list[Any] = []
        prepare_evaluator(evaluator if evaluator is not None else recipe.build(device))
        self._started_ray = connect(ray, address, connect_timeout_s, dict(init or {}))
        count = workers or _capacity(ray.cluster_resources(), self.num_cpus, self.num_gpus)
        if count < 1:
            self.close()
            raise ConfigError(
                f"pool ray: the cluster has no room for a worker with {num_cpus} CPU(s) "
                f"and {num_gpus} GPU(s)"
            )
        self._actor_class = ray.remote(
            num_cpus=self.num_cpus, num_gpus=self.num_gpus, resources=dict(resources or {})
        )(EvaluationActor)
        self._actors = [self._new_actor() for _ in range(count)]
        self._idle = deque(range(count))
        self._running: dict[Any, tuple[int, Task]] = {}  # ref -> (actor index, task)

    # ------------------------------------------------------------------ pool interface
    def submit(self, ticket: int, arch: ArchGraph) -> None:
        self.book.submit(ticket, arch)
        self._dispatch()

    def collect(self, block: bool = True) -> list[tuple[int, EvalResult]]:
        while True:
            self._harvest(timeout=0)
            self._dispatch()
            if self.book.has_results() or not block or not self._running:
                break
            self._harvest(timeout=None)
        return self.book.collect()

    def pending(self) -> int:
        return self.book.pending()

    def close(self) -> None:
        if self.book.closed:
            return
        self.book.close()
        for actor in self._actors:
            self._ray.kill(actor)
        if self._started_ray:
            self._ray.shutdown()

    def __enter__(self) -> RayPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _new_actor(self) -> Any:
        threads = max(1, int(self.num_cpus))
        return self._actor_class.remote(self.recipe, threads, self.num_gpus > 0)

    def _dispatch(self) -> None:
        while self._idle:
            task = self.book.next_task()
            if task is None:
                return
            index = self._idle.popleft()
            self._running[self._actors[index].evaluate.remote(task.arch)] = (index, task)
            self.book.start(task)

    def _harvest(self, timeout: float | None) -> None:
        """Collect finished calls (waiting up to `timeout` seconds for the first one, or until
        the next deadline) and kill the actors of overdue evaluations."""
        if not self._running:
            return
        deadline = self.book.until_deadline(task for _, task in self._running.values())
        if deadline is not None:
            timeout = deadline if timeout is None else min(timeout, deadline)
        refs = list(self._running)
        ready, _ = self._ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:
            more, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
            ready = list(dict.fromkeys(ready + more))
        for ref in ready:
            index, task = self._running.pop(ref)
            try:
                payload = self._ray.get(ref)
            except self._ray.exceptions.RayActorError as err:
                self.book.crashed(task, f"evaluation actor died ({_first_line(err)})")
                self._replace_actor(index)
                continue
            except self._ray.exceptions.RayError as err:
                payload = EvalResult.failure(f"ray: {_first_line(err)}").to_dict()
            self.book.finish(task, EvalResult.from_dict(payload))
            self._idle.append(index)
        for ref, (index, task) in list(self._running.items()):
            if self.book.overdue(task):
                del self._running[ref]
                self.book.time_out(task)
                self._replace_actor(index)

    def _replace_actor(self, index: int) -> None:
        self._ray.kill(self._actors[index])
        self._actors[index] = self._new_actor()
        self._idle.append(index)


def connect(ray: Any, address: str | None, timeout_s: float, init: dict[str, Any]) -> bool:
    """Join the cluster `address` names (or RAY_ADDRESS), or start a local instance when there is
    none; True when this call started Ray (the pool shuts it down). Connection problems are one
    ConfigError line, raised within about `timeout_s` seconds."""
    if ray.is_initialized():
        return False
    init = {"log_to_driver": False, "logging_level": logging.ERROR, **init}  # quiet unless asked
    source = "pool ray address"
    env = os.environ.get("RAY_ADDRESS")
    if env and address in (None, "auto"):  # what ray.init itself would use
        address, source = env, "RAY_ADDRESS"
    if address in (None, "local"):
        ray.init(ignore_reinit_error=True, **init)
        return True
    assert address is not None
    where = f"{source} {address!r}"
    if address != "auto":
        _probe(address, where, timeout_s)
    outcome: dict[str, BaseException | None] = {}

    def join() -> None:
        try:
            ray.init(address=address, **init)
            outcome["error"] = None
        except BaseException as err:  # reported by the caller as one line
            outcome["error"] = err

    thread = threading.Thread(target=join, name="graphnas-ray-connect", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if "error" not in outcome:
        raise ConfigError(f"{where}: no Ray cluster answered within {timeout_s:g} s")
    error = outcome["error"]
    if error is not None:
        raise ConfigError(f"{where}: cannot connect to Ray ({_first_line(error)})")
    return False


def _probe(address: str, where: str, timeout_s: float) -> None:
    """Open (and close) a TCP connection to the address's host and port."""
    parsed = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError as err:
        raise ConfigError(f"{where}: not a host:port address ({err})") from None
    if not host or port is None:
        raise ConfigError(f"{where}: expected host:port, ray://host:port or auto")
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as err:
        reason = "timed out" if isinstance(err, TimeoutError) else (err.strerror or str(err))
        raise ConfigError(
            f"{where}: cannot reach {host}:{port} ({reason}; connect_timeout_s={timeout_s:g})"
        ) from None


def _check_resources(
    num_cpus: float, num_gpus: float, resources: Mapping[str, float] | None, timeout_s: float
) -> None:
    if not num_cpus >= 0 or not num_gpus >= 0:
        raise ConfigError(f"pool ray: num_cpus, num_gpus must be >= 0, got {num_cpus}, {num_gpus}")
    if num_gpus > 1 and num_gpus != int(num_gpus):
        raise ConfigError(f"pool ray: num_gpus above 1 must be whole, got {num_gpus}")
    for name, amount in dict(resources or {}).items():
        if not isinstance(amount, (int, float)) or not amount >= 0:
            raise ConfigError(f"pool ray: resources.{name} must be a number >= 0, got {amount!r}")
    if not timeout_s > 0:
        raise ConfigError(f"pool ray: connect_timeout_s must be > 0, got {timeout_s}")


def _capacity(resources: Mapping[str, float], cpus: float, gpus: float) -> int:
    limits = []
    if cpus > 0:
        limits.append(int(resources.get("CPU", 0) // cpus))
    if gpus > 0:
        limits.append(int(resources.get("GPU", 0) // gpus))
    return min(limits) if limits else 0


def _first_line(err: BaseException) -> str:
    text = [line for line in str(err).strip().splitlines() if line.strip()]
    return text[0].strip() if text else type(err).__name__
