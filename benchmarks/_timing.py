"""The timing rule the benchmarks share: best per-call time of calls batched to ≥ 20 ms."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Best per-call time over ``repeat`` runs of enough calls to last ≥ 20 ms."""
    fn()
    n, t = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t >= 0.02:
            break
        n *= 2 if t == 0 else max(2, int(0.025 / t))
    best = t / n
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best
