"""Doctests (in tconvmat/, docs/ and README.md) that import an optional oracle skip without it,
as the test modules do, and fail without it when TCONVMAT_REQUIRE_ORACLES=1 (CI)."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

OPTIONAL = ("onnx", "onnxruntime", "onnxscript", "torch", "jax", "tensorflow", "keras", "mlx", "playwright")
_IMPORT = re.compile(r"^\s*(?:from|import)\s+(" + "|".join(OPTIONAL) + r")\b", re.M)


def _missing(item: pytest.Item) -> list[str]:
    dtest = getattr(item, "dtest", None)
    if dtest is None:
        return []
    wanted = {m for ex in dtest.examples for m in _IMPORT.findall(ex.source)}
    return sorted(m for m in wanted if importlib.util.find_spec(m) is None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    required = os.environ.get("TCONVMAT_REQUIRE_ORACLES") == "1"
    for item in items:
        missing = _missing(item)
        if missing and not required:
            item.add_marker(pytest.mark.skip(reason=f"oracle {missing[0]!r} not installed"))
