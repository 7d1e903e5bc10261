"""Shared test plumbing: oracles, Hypothesis profiles."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

REQUIRE_ORACLES = os.environ.get("TCONVMAT_REQUIRE_ORACLES") == "1"

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def oracle(name: str) -> ModuleType:
    """Import an oracle; skip without it locally, fail without it in CI."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if REQUIRE_ORACLES:
            pytest.fail(f"oracle {name!r} is required (TCONVMAT_REQUIRE_ORACLES=1) but cannot be imported")
        pytest.skip(f"oracle {name!r} not installed")


@pytest.fixture(scope="session")
def torch() -> ModuleType:
    t = oracle("torch")
    t.set_num_threads(1)
    return t


@pytest.fixture(scope="session")
def onnx() -> ModuleType:
    return oracle("onnx")
