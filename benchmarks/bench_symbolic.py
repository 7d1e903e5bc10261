"""Symbolic element expressions: tconvmat's sparse construction beside a dense SymPy matrix.

    python benchmarks/bench_symbolic.py [--quick]

The case of issue 3: 2-D, 16×16 input, 3×3 kernel, stride 2, 4→4 channels (4·33·33 outputs),
symbolic inputs and weights.  Then every mix of numeric and symbolic ``x``/``w`` on a 66×66 output
(32×32 input, 3×3 kernel, stride 2, output padding 1) at 1→1 and 4→4 channels.  The naive reference builds the dense symbolic matrix and multiplies
``Matrix(C).T * x``; it is timed on a smaller case in the same run and reported per output element.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sympy

from tconvmat import symbolic as sym


def timed(fn):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def best_of(fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    """Best wall time of ``repeat`` runs and that run's CPU time (the machine may be shared)."""
    runs = []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    wall, cpu = min(runs)
    return wall, cpu, out


def mixes(size: int) -> None:
    """Numeric/symbolic mixes: integer data 1, 2, 3, … where numeric."""
    import numpy as np

    for c in (1, 4):
        for sx, sw in ((True, True), (False, True), (True, False)):
            x = (
                sym.input_symbols((c, size, size))
                if sx
                else np.arange(1, c * size * size + 1).reshape(c, size, size)
            )
            w = sym.weight_symbols((c, c, 3, 3)) if sw else np.arange(1, c * c * 9 + 1).reshape(c, c, 3, 3)
            t, cpu, y = best_of(
                lambda x=x, w=w: sym.conv_transpose_expressions(x, w, stride=2, output_padding=1)
            )
            kind = f"x {'symbolic' if sx else 'numeric '}, w {'symbolic' if sw else 'numeric '}"
            print(
                f"tconvmat  2-D {c}→{c}, {y.shape[-2]}×{y.shape[-1]} out, {kind}: {t:7.3f} s  (CPU {cpu:.3f} s; best of 3)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size, naive_size = (6, 3) if args.quick else (16, 8)
    w = sym.weight_symbols((4, 4, 3, 3))
    x = sym.input_symbols((4, size, size))
    t, y = timed(lambda: sym.conv_transpose_expressions(x, w, stride=2))
    print(
        f"tconvmat  2-D 4→4, {size}×{size}, 3×3, s=2: {y.size:6d} outputs in {t:7.3f} s  ({t / y.size * 1e6:7.1f} µs/output)"
    )

    mixes(size=8 if args.quick else 32)

    xs = sym.input_symbols((4, naive_size, naive_size))
    t_ours, ys = timed(lambda: sym.conv_transpose_expressions(xs, w, stride=2))

    def naive():  # type: ignore[no-untyped-def]
        C = sympy.Matrix(sym.conv_transpose_matrix(w, xs.shape, stride=2))  # dense symbolic matrix
        return C.T * sympy.Matrix(xs.ravel().tolist())

    t_naive, yn = timed(naive)
    assert all(sympy.expand(a - b) == 0 for a, b in zip(ys.ravel().tolist(), list(yn)))
    print(
        f"tconvmat  2-D 4→4, {naive_size}×{naive_size}, 3×3, s=2: {ys.size:6d} outputs in {t_ours:7.3f} s  "
        f"({t_ours / ys.size * 1e6:7.1f} µs/output)"
    )
    print(
        f"dense SymPy Matrix(C).T * x, same case:   {yn.shape[0]:6d} outputs in {t_naive:7.3f} s  "
        f"({t_naive / yn.shape[0] * 1e6:7.1f} µs/output)  → {t_naive / t_ours:.0f}× slower"
    )


if __name__ == "__main__":
    main()
