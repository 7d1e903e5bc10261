"""Past memory: the matrix-free operators beside the matrix, and lsqr on a 512×512×16 problem.

Run from the repository root:

    python benchmarks/bench_scale.py             # both parts (~1 minute)
    python benchmarks/bench_scale.py --quick     # 256×256, fewer iterations

Part 1 applies the same convolution three ways on a problem whose ``C`` still fits
(16→16 channels, 128×128, 3×3): ``C @ x`` / ``C.T @ y`` with ``C`` built beforehand,
``conv_operator`` (``A @ x`` / ``A.H @ y``, nothing built), and the cost of building
``C`` itself, with the peak memory each allocates (tracemalloc).

Part 2 is deconvolution past memory: ``b = A x`` for a 16→16-channel 3×3
convolution of a 512×512 image (``C`` would hold 602 M nonzeros, 7.2 GB, and
``conv_matrix`` refuses it by default), then ``scipy.sparse.linalg.lsqr(A, b)``
through :func:`tconvmat.conv_operator`.

NumPy's BLAS is limited to one thread (``OPENBLAS_NUM_THREADS=1`` etc., set before
NumPy is imported) so the figures compare like with like.
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.sparse.linalg import lsqr  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the working tree's tconvmat
import tconvmat as tcm  # noqa: E402
from tconvmat.matrix import MatrixTooLargeError  # noqa: E402
from tconvmat.operator import conv_operator  # noqa: E402


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, int]:
    """Best time and peak traced memory of ``fn``."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def mb(n: int) -> str:
    return f"{n / 1e6:8.1f} MB"


def blur_weight(channels: int, rng: np.random.Generator) -> np.ndarray:
    """A 3×3 blur on every channel plus weak cross-channel mixing (16→16 conv layout)."""
    g = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16
    w = 0.02 * rng.standard_normal((channels, channels, 3, 3))
    w[np.arange(channels), np.arange(channels)] += g
    return w


def part1(rng: np.random.Generator) -> None:
    shape = (16, 128, 128)
    w = rng.standard_normal((16, 16, 3, 3))
    kw = {"padding": 1}
    x = rng.standard_normal(int(np.prod(shape)))
    t_build, m_build = timed(lambda: tcm.conv_matrix(w, shape, **kw))
    C = tcm.conv_matrix(w, shape, **kw)
    A = conv_operator(w, shape, **kw)
    y = A @ x
    np.testing.assert_allclose(y, C @ x, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(A.H @ y, C.T @ y, rtol=1e-10, atol=1e-10)
    csr = C.data.nbytes + C.indices.nbytes + C.indptr.nbytes
    print(f"Part 1: 16→16, 128×128, 3×3, p=1, float64; C has {C.nnz:,} nonzeros, {csr / 1e6:.0f} MB as CSR")
    print(f"{'':28} {'time':>10} {'peak memory':>12}")
    print(f"{'build C (conv_matrix)':28} {t_build * 1e3:8.1f}ms {mb(m_build)}")
    rows = [
        ("C @ x", lambda: C @ x),
        ("A @ x (conv_operator)", lambda: A @ x),
        ("C.T @ y", lambda: C.T @ y),
        ("A.H @ y (conv_operator)", lambda: A.H @ y),
    ]
    for name, fn in rows:
        t, m = timed(fn, 5)
        print(f"{name:28} {t * 1e3:8.1f}ms {mb(m)}")
    print(f"(x and y are {x.nbytes / 1e6:.1f} MB each)")


def part2(rng: np.random.Generator, size: int, iters: int) -> None:
    shape = (16, size, size)
    w = blur_weight(16, rng)
    print()
    print(f"Part 2: lsqr deconvolution, 16→16 channels, {size}×{size}, 3×3 blur + mixing, p=1, float64")
    try:  # the guard's estimate alone (max_nnz=0 refuses anything): nothing is built
        tcm.conv_matrix(w, shape, padding=1, max_nnz=0)
    except MatrixTooLargeError as e:
        verdict = "refuses" if e.nnz > tcm.matrix.DEFAULT_MAX_NNZ else "would build"
        print(
            f"conv_matrix {verdict} it: {e.nnz:,} nonzeros, {e.nbytes / 1e9:.1f} GB as CSR "
            f"(default max_nnz={tcm.matrix.DEFAULT_MAX_NNZ:,})"
        )
    A = conv_operator(w, shape, padding=1)
    yy, xx = np.mgrid[0:size, 0:size] / size
    x_true = np.stack([np.sin(2 * np.pi * (c + 1) * xx) * np.cos(3 * np.pi * yy) for c in range(16)]).ravel()
    b = A @ x_true
    t_mv, m_mv = timed(lambda: A @ x_true, 2)
    t_rmv, m_rmv = timed(lambda: A.H @ b, 2)
    t_copy, _ = timed(lambda: x_true.copy(), 5)
    print(f"A @ x  {t_mv * 1e3:7.1f} ms, peak {mb(m_mv)};  A.H @ y {t_rmv * 1e3:7.1f} ms, peak {mb(m_rmv)}")
    print(
        f"(x is {x_true.nbytes / 1e6:.1f} MB, copied in {t_copy * 1e3:.1f} ms: A @ x is {t_mv / t_copy:.0f} copies; "
        f"A is {A.shape[0]:,} × {A.shape[1]:,})"
    )
    t0 = time.perf_counter()
    x_hat, istop, itn, *_ = lsqr(A, b, atol=1e-10, btol=1e-10, iter_lim=iters)
    t = time.perf_counter() - t0
    err = np.linalg.norm(x_hat - x_true) / np.linalg.norm(x_true)
    res = np.linalg.norm(A @ x_hat - b) / np.linalg.norm(b)
    each = t / max(itn, 1)
    print(
        f"lsqr: {itn} iterations in {t:.1f} s ({each * 1e3:.0f} ms each, {each / (t_mv + t_rmv):.2f}× its "
        f"A @ x + A.H @ y; istop={istop}); relative residual {res:.1e}, relative error {err:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="256×256 and 20 iterations")
    args = parser.parse_args()
    print(
        f"NumPy BLAS threads: OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']} (set before importing NumPy)"
    )
    rng = np.random.default_rng(0)
    part1(rng)
    part2(rng, 256 if args.quick else 512, 20 if args.quick else 100)


if __name__ == "__main__":
    main()
