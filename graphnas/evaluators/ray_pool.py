"""A Ray pool: evaluation actors spread over every CPU and GPU of a Ray cluster (graphnas[ray]).

Each actor builds the evaluator once from plain data (registered name, options, space config,
evaluator seed; see process_pool.EvaluatorRecipe) on the device Ray gives it, then evaluates one
architecture per call. `gpus_per_worker` may be fractional (0.25 packs four small networks per
GPU). Results are identical in content to a sequential run with the same seed, as evaluators seed
every evaluation per architecture. An actor that dies is replaced and its architecture retried
`max_retries` times. `ray` is imported only when a Ray pool is built.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import torch

from graphnas.errors import ConfigError, GraphnasError
from graphnas.evaluators.base import EvalResult
from graphnas.evaluators.pool import POOLS, evaluate_safely
from graphnas.evaluators.process_pool import EvaluatorRecipe, name_and_params
from graphnas.graph import ArchGraph
from graphnas.spaces.base import SearchSpace


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
    """Evaluates on `workers` Ray actors (default: as many as the cluster's resources allow).

    `address`: a Ray cluster to join ("auto", "ray://host:10001"); None starts a local instance
    (with `init` as extra ray.init options) that `close` shuts down again. Each actor asks for
    `cpus_per_worker` CPUs (also its torch thread count) and `gpus_per_worker` GPUs (default: 1
    when `device` is CUDA, else 0).
    """

    def __init__(
        self,
        evaluator_config: Any,
        space: SearchSpace,
        device: torch.device | str = "cpu",
        workers: int | None = None,
        address: str | None = None,
        cpus_per_worker: float = 1.0,
        gpus_per_worker: float | None = None,
        evaluator_seed: int | None = None,
        evaluator: Any = None,
        max_retries: int = 1,
        init: Mapping[str, Any] | None = None,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise ConfigError(
                "pool 'ray' needs the ray package: pip install 'graphnas[ray]'"
            ) from None
        self._ray = ray
        self._closed = False
        self._actors: list[Any] = []
        name, params = name_and_params(evaluator_config)
        seed = evaluator_seed if evaluator_seed is not None else getattr(evaluator, "seed", 0)
        self.recipe = EvaluatorRecipe(name, params, space.to_config(), int(seed))
        if gpus_per_worker is None:
            gpus_per_worker = 1.0 if torch.device(device).type == "cuda" else 0.0
        self.cpus_per_worker = cpus_per_worker
        self.gpus_per_worker = gpus_per_worker
        self.max_retries = max_retries
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            ray.init(
                address=address, ignore_reinit_error=True, log_to_driver=False, **dict(init or {})
            )
        count = workers or _capacity(ray.cluster_resources(), cpus_per_worker, gpus_per_worker)
        if count < 1:
            self.close()
            raise ConfigError(
                f"pool ray: the cluster has no room for a worker with {cpus_per_worker} CPU(s) "
                f"and {gpus_per_worker} GPU(s)"
            )
        self._actor_class = ray.remote(num_cpus=cpus_per_worker, num_gpus=gpus_per_worker)(
            EvaluationActor
        )
        self._actors = [self._new_actor() for _ in range(count)]
        self._idle = deque(range(count))
        self._running: dict[Any, tuple[int, int, dict]] = {}  # ref -> (actor, ticket, arch)
        self._queue: deque[tuple[int, dict]] = deque()
        self._done: list[tuple[int, EvalResult]] = []
        self._crashes: dict[int, int] = {}
        self._tickets: set[int] = set()

    # ------------------------------------------------------------------ pool interface
    def submit(self, ticket: int, arch: ArchGraph) -> None:
        if self._closed:
            raise GraphnasError("ray pool: submit after close")
        if ticket in self._tickets:
            raise ValueError(f"ticket {ticket} is already pending")
        self._tickets.add(ticket)
        self._queue.append((ticket, arch.to_dict()))
        self._dispatch()

    def collect(self, block: bool = True) -> list[tuple[int, EvalResult]]:
        while True:
            self._harvest(timeout=0)
            self._dispatch()
            if self._done or not block or not self._running:
                break
            self._harvest(timeout=None)
        done, self._done = self._done, []
        for ticket, _ in done:
            self._tickets.discard(ticket)
            self._crashes.pop(ticket, None)  # callers reuse tickets: count crashes per task
        return done

    def pending(self) -> int:
        return len(self._tickets)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
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
        threads = max(1, int(self.cpus_per_worker))
        return self._actor_class.remote(self.recipe, threads, self.gpus_per_worker > 0)

    def _dispatch(self) -> None:
        while self._idle and self._queue:
            index = self._idle.popleft()
            ticket, arch_dict = self._queue.popleft()
            ref = self._actors[index].evaluate.remote(arch_dict)
            self._running[ref] = (index, ticket, arch_dict)

    def _harvest(self, timeout: float | None) -> None:
        """Collect finished calls (waiting up to `timeout` seconds for the first one)."""
        if not self._running:
            return
        refs = list(self._running)
        ready, _ = self._ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:
            more, _ = self._ray.wait(refs, num_returns=len(refs), timeout=0)
            ready = list(dict.fromkeys(ready + more))
        for ref in ready:
            index, ticket, arch_dict = self._running.pop(ref)
            try:
                payload = self._ray.get(ref)
            except self._ray.exceptions.RayActorError as err:
                self._actor_died(index, ticket, arch_dict, err)
                continue
            except self._ray.exceptions.RayError as err:
                payload = EvalResult.failure(f"ray: {_first_line(err)}").to_dict()
            self._done.append((ticket, EvalResult.from_dict(payload)))
            self._idle.append(index)

    def _actor_died(self, index: int, ticket: int, arch_dict: dict, err: Exception) -> None:
        crashes = self._crashes.get(ticket, 0) + 1
        self._crashes[ticket] = crashes
        if crashes > self.max_retries:
            times = "once" if crashes == 1 else f"{crashes} times"
            reason = f"evaluation actor died {times} ({_first_line(err)})"
            self._done.append((ticket, EvalResult.failure(reason)))
        else:
            self._queue.appendleft((ticket, arch_dict))
        self._ray.kill(self._actors[index])
        self._actors[index] = self._new_actor()
        self._idle.append(index)


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
