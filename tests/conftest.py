"""Shared test plumbing: oracles, Hypothesis profiles."""

from __future__ import annotations

import importlib
import os
import warnings
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


@pytest.fixture(scope="session")
def onnxruntime() -> ModuleType:
    return oracle("onnxruntime")


@pytest.fixture(scope="session")
def mlx() -> ModuleType:
    """``mlx.core`` (the CPU build on Linux: ``pip install "mlx[cpu]"``)."""
    return oracle("mlx.core")


class RuntimeWorker:
    """One runtime in its own process (``tests/runtime_worker.py``): TensorFlow with
    Keras on the TensorFlow backend, or JAX with Keras on the JAX backend.

    If the process aborts (XLA's CPU compiler does, on a few convolutions), it is
    restarted and the request re-run case by case: the case that aborts it gets
    ``("crash", message)``, the others their answers."""

    def __init__(self, kind: str, env: dict[str, str]) -> None:
        self.kind, self.env = kind, env
        self._pending: tuple[str, list[dict]] = ("", [])
        self._start()

    def _start(self) -> None:
        import subprocess
        import sys

        from .runtime_worker import read_message

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.runtime_worker", self.kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **self.env},
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        status = read_message(self.proc.stdout)
        if status is None or status[0] != "ready":
            self.close()
            detail = "worker died" if status is None else status[1]
            if REQUIRE_ORACLES:
                pytest.fail(
                    f"oracle {self.kind!r} is required (TCONVMAT_REQUIRE_ORACLES=1) but cannot run: {detail}"
                )
            pytest.skip(f"oracle {self.kind!r} not available: {detail}")

    def submit(self, op: str, cases: list[dict]) -> None:
        """Send a request; the worker computes while the test does its own part."""
        from .runtime_worker import write_message

        self._pending = (op, cases)
        try:
            write_message(self.proc.stdin, (op, cases))
        except BrokenPipeError:
            pass  # died earlier: result() restarts it

    def result(self) -> list[tuple[str, object]]:
        """The answers to the last :meth:`submit`, one per case."""
        from .runtime_worker import read_message

        try:
            answer = read_message(self.proc.stdout)
        except (OSError, EOFError):
            answer = None
        if answer is not None:
            return answer
        op, cases = self._pending
        answers: list[tuple[str, object]] = []
        for case in cases:
            self.close()
            self._start()
            self.submit(op, [case])
            got = read_message(self.proc.stdout)
            if got is None:
                msg = f"the {self.kind} process aborted (exit {self.proc.wait()}) on {op}: {case!r}"
                warnings.warn(msg, stacklevel=2)
                answers.append(("crash", msg))
            else:
                answers.append(got[0])
        self.close()
        self._start()
        return answers

    def run(self, op: str, cases: list[dict]) -> list[tuple[str, object]]:
        self.submit(op, cases)
        return self.result()

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=60)


@pytest.fixture(scope="session")
def tf_worker():
    """TensorFlow (``tf.nn``) and Keras 3 on the TensorFlow backend, in a subprocess."""
    w = RuntimeWorker("tensorflow", {"KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"})
    yield w
    w.close()


@pytest.fixture(scope="session")
def jax_worker():
    """JAX (``lax``) and Keras 3 on the JAX backend, in a subprocess."""
    w = RuntimeWorker("jax", {"KERAS_BACKEND": "jax", "JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"})
    yield w
    w.close()


RUNTIME_CASES: dict[str, int] = {}


def count_cases(runtime: str, n: int = 1) -> None:
    """Record ``n`` parameter sets compared with ``runtime`` (reported at the end of the run)."""
    RUNTIME_CASES[runtime] = RUNTIME_CASES.get(runtime, 0) + n


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if RUNTIME_CASES:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(RUNTIME_CASES.items()))
        terminalreporter.write_line(f"runtime cases compared: {counts}")
