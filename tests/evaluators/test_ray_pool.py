"""Ray pool on one local Ray instance per module (2 CPUs): sequential-equal results, actors killed
mid-evaluation (retried, then failed), plug-ins in the actors, timeouts, connection errors in one
line within `connect_timeout_s`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from graphnas.errors import ConfigError
from graphnas.evaluators import POOLS
from graphnas.evaluators.pool import SerialPool
from graphnas.evaluators.ray_pool import _capacity
from graphnas.evaluators.recipe import EvaluatorRecipe
from graphnas.plugins import load_plugins
from graphnas.spaces import load_space

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")

REPO = Path(__file__).resolve().parents[2]
EXPERIMENT = REPO / "experiments" / "nb201.yaml"
SPACE = load_space("nb201")
DATA = "synthetic:classes=3,train=16,val=4,size=16"
# The real compiler on a reduced NB201 skeleton: small and fast.
NASWOT = {
    "name": "naswot",
    "params": {"data": DATA, "batch_size": 12, "network": {"channels": 4, "cells_per_stage": 1}},
}
PLUGIN = "ray_plugin_edges"


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """One local Ray for the module; actors find the test plug-in through PYTHONPATH."""
    plugin_dir = tmp_path_factory.mktemp("plugins")
    (plugin_dir / f"{PLUGIN}.py").write_text(
        textwrap.dedent(
            f"""
            import os
            from graphnas.evaluators.base import EvalResult
            from graphnas.evaluators.registry import EVALUATORS

            @EVALUATORS.register({PLUGIN!r})
            class Edges:
                context_fields = ("space", "seed")

                def __init__(self, space, seed=0):
                    self.seed = seed

                def evaluate(self, archs):
                    return [EvalResult(float(a.num_edges), {{"pid": os.getpid()}}) for a in archs]
            """
        )
    )
    sys.path.insert(0, str(plugin_dir))
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=80 * 2**20,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(plugin_dir)}},
    )
    yield
    ray.shutdown()
    sys.path.remove(str(plugin_dir))


def _run(pool, archs, first_ticket: int = 0) -> dict:
    for ticket, arch in enumerate(archs, start=first_ticket):
        pool.submit(ticket, arch)
    out = {}
    while pool.pending():
        for ticket, result in pool.collect(block=True):
            out[ticket] = result
    return out


def _evaluating_actor(timeout_s: float = 60.0):
    """The process of an actor that is running `evaluate` right now (Ray titles it so)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for process in psutil.process_iter(["cmdline"]):
            if (process.info["cmdline"] or [""])[0].startswith("ray::EvaluationActor.evaluate"):
                return process
        time.sleep(0.05)
    raise AssertionError("no actor started evaluating")


def test_ray_pool_matches_sequential_and_survives_dead_actors(local_ray) -> None:
    archs = [SPACE.sample_prior(np.random.default_rng(i)) for i in range(4)]
    recipe = EvaluatorRecipe.of(NASWOT, SPACE, seed=7)
    sequential = _run(SerialPool(recipe.build("cpu", space=SPACE)), archs)
    with POOLS.build("ray", {"workers": 2}, {"recipe": recipe, "device": "cpu"}) as pool:
        assert not pool._started_ray  # joined the module's instance
        parallel = _run(pool, archs)
        for ticket in range(4):
            assert parallel[ticket].ok
            assert parallel[ticket].reward == sequential[ticket].reward
            assert parallel[ticket].metrics == sequential[ticket].metrics
        # Kill the actor running a task: it is replaced and the task retried once.
        pool.submit(10, archs[0])
        (ref,) = pool._running
        ray.kill(pool._actors[pool._running[ref][0]])
        retried = _run(pool, [])
        assert retried[10].ok and retried[10].reward == sequential[0].reward
        # Killed twice: a failed result that says so.
        pool.submit(11, archs[1])
        for _ in range(2):
            deadline = time.monotonic() + 60
            while not pool._running and time.monotonic() < deadline:
                pool.collect(block=False)
            (ref,) = pool._running
            ray.kill(pool._actors[pool._running[ref][0]])
            pool._harvest(timeout=30)
        failed = _run(pool, [])
        assert failed[11].status == "failed"
        assert failed[11].error.startswith("evaluation actor died (")
        assert failed[11].error.endswith(") 2 times")
    assert ray.is_initialized()  # a pool that joined an instance leaves it running


def test_a_worker_process_killed_mid_evaluation_is_retried(local_ray) -> None:
    """SIGKILL to the actor's process (as the OOM killer would) while it evaluates: the
    architecture is evaluated again on a new actor and the pool keeps serving."""
    recipe = EvaluatorRecipe.of({"name": "nb201_table", "params": {"latency_s": 1.5}}, SPACE)
    table = recipe.build("cpu", space=SPACE)
    arch = SPACE.example()
    with POOLS.build("ray", {"workers": 1}, {"recipe": recipe}) as pool:
        pool.submit(0, arch)
        victim = _evaluating_actor()
        victim.send_signal(signal.SIGKILL)
        (result,) = _run(pool, []).values()
        assert result.ok and result == table.evaluate([arch])[0]
        assert not victim.is_running()
        assert _run(pool, [arch])[0] == result


def test_actors_import_the_parents_plug_ins(local_ray, monkeypatch) -> None:
    monkeypatch.setattr("graphnas.plugins._LOADED", [])  # no leak into later tests
    load_plugins([PLUGIN], entry_points=False)
    archs = [SPACE.sample_prior(np.random.default_rng(i)) for i in range(3)]
    recipe = EvaluatorRecipe.of(PLUGIN, SPACE)
    assert PLUGIN in recipe.plugins
    with POOLS.build("ray", {"workers": 1, "num_cpus": 0.5}, {"recipe": recipe}) as pool:
        results = _run(pool, archs)
    assert [results[t].reward for t in range(3)] == [float(a.num_edges) for a in archs]
    assert results[0].metrics["pid"] != os.getpid()


def test_an_evaluation_past_its_timeout_fails_and_its_actor_is_replaced(local_ray) -> None:
    slow = EvaluatorRecipe.of({"name": "nb201_table", "params": {"latency_s": 30}}, SPACE)
    with POOLS.build("ray", {"workers": 1}, {"recipe": slow, "timeout_s": 1.0}) as pool:
        start = time.monotonic()
        results = _run(pool, [SPACE.example()])
        assert time.monotonic() - start < 20
        assert results[0].error == "timed out after 1 s (eval_timeout_s)"
        assert len(pool._actors) == 1 and list(pool._idle) == [0]


def test_capacity_and_resource_options() -> None:
    assert _capacity({"CPU": 2.0}, 0.5, 0.0) == 4
    assert _capacity({"CPU": 16.0, "GPU": 1.0}, 1.0, 0.25) == 4
    assert _capacity({"CPU": 16.0}, 1.0, 0.5) == 0
    recipe = EvaluatorRecipe.of("nb201_table", SPACE)
    for params, needle in (
        ({"num_gpus": 1.5}, "num_gpus above 1 must be whole"),
        ({"num_cpus": -1}, "must be >= 0"),
        ({"resources": {"accelerator": "x"}}, "resources.accelerator"),
        ({"connect_timeout_s": 0}, "connect_timeout_s must be > 0"),
    ):
        with pytest.raises(ConfigError, match=needle):
            POOLS.build("ray", params, {"recipe": recipe})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphnas(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    environment.update(env or {})
    command = [sys.executable, "-m", "graphnas.cli", *args]
    return subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("via", ["address", "RAY_ADDRESS"])
def test_an_unreachable_cluster_is_one_line_exit_2_and_writes_nothing(tmp_path, via) -> None:
    port = _closed_port()
    out = tmp_path / "run"
    args = ["search", "--config", str(EXPERIMENT), f"out={out}", "pool=ray", "progress=false"]
    env = {}
    if via == "address":
        args.append(f"pool.params.address=127.0.0.1:{port}")
    else:
        env["RAY_ADDRESS"] = f"127.0.0.1:{port}"
    start = time.monotonic()
    done = _graphnas([*args, "tracking.backends=[]"], env)
    assert time.monotonic() - start < 60
    err = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(err) == 1, err
    source = "pool ray address" if via == "address" else "RAY_ADDRESS"
    assert f"{source} '127.0.0.1:{port}'" in err[0] and "Connection refused" in err[0]
    assert not out.exists()


def test_a_silent_server_is_refused_within_connect_timeout_s(tmp_path) -> None:
    """A port that accepts connections but never speaks Ray: bounded by connect_timeout_s."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        code = (
            "import time, ray\n"
            "from graphnas.evaluators.ray_pool import connect\n"
            "start = time.monotonic()\n"
            "try:\n"
            f"    connect(ray, 'ray://127.0.0.1:{port}', 2.0, {{}})\n"
            "except Exception as err:\n"
            "    print(type(err).__name__, err, round(time.monotonic() - start, 1))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
    name, _, rest = done.stdout.strip().partition(" ")
    message, _, seconds = rest.rpartition(" ")
    assert name == "ConfigError", done.stdout + done.stderr
    assert (
        message == f"pool ray address 'ray://127.0.0.1:{port}': no Ray cluster answered within 2 s"
    )
    assert 1.9 <= float(seconds) < 10


def test_a_search_on_ray_finishes_when_a_worker_is_killed_mid_evaluation(local_ray, tmp_path):
    """Through build_search: the Ray pool joins the running instance; one actor process is
    SIGKILLed while it evaluates; its architecture is retried and every query succeeds."""
    import threading

    from graphnas.config import load_search_config
    from graphnas.search import run_search

    config = load_search_config(
        EXPERIMENT,
        [
            f"out={tmp_path / 'run'}",
            "strategy=random",
            "budget.queries=4",
            "pool=ray",
            "pool.params.workers=1",
            "evaluator.params.latency_s=0.5",
            "tracking.backends=[]",
            "progress=false",
        ],
    )
    killed = []
    killer = threading.Thread(
        target=lambda: killed.append(_evaluating_actor().send_signal(signal.SIGKILL)), daemon=True
    )
    killer.start()
    summary = run_search(config)
    killer.join(timeout=60)
    assert len(killed) == 1
    lines = (tmp_path / "run" / "ledger.jsonl").read_text().splitlines()
    assert summary["queries"] == len(lines) == 4 and summary["failed"] == 0
