"""Shared test set-up: wandb disabled, the test device, the shared benchmark data (optional)."""

from __future__ import annotations

import os
from pathlib import Path

# Before anything imports wandb: tests never track anywhere.
os.environ["WANDB_MODE"] = "disabled"
os.environ.setdefault("WANDB_SILENT", "true")

import pytest
import torch
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# ../shared/data relative to the repository root; absent on a fresh clone.
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# The machine is shared and slow: property tests check inputs, not speed.
settings.register_profile("graphnas", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "graphnas"))

# Tests use tiny tensors: one intra-op thread avoids OpenMP oversubscription on small CPUs
# (measured 30-300x slowdowns of small ops with 2 threads on a loaded 2-core machine).
torch.set_num_threads(int(os.environ.get("GRAPHNAS_TEST_THREADS", "1")))


@pytest.fixture(scope="session")
def device() -> torch.device:
    """The device tests run on: GRAPHNAS_TEST_DEVICE (e.g. cuda, cuda:1, mps), default cpu."""
    spec = os.environ.get("GRAPHNAS_TEST_DEVICE", "cpu")
    dev = torch.device(spec)
    if dev.type == "cuda" and not torch.cuda.is_available():
        pytest.fail(f"GRAPHNAS_TEST_DEVICE={spec} but CUDA is not available")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        pytest.fail(f"GRAPHNAS_TEST_DEVICE={spec} but MPS is not available")
    return dev


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (benchmark tables, Tiny ImageNet subset); skips the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent (fresh clone)")
    return SHARED_DATA


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
