"""Applying a transposed convolution: tconvmat's routes beside single-threaded PyTorch.

Run from the repository root:

    python benchmarks/bench_apply.py              # one thread for NumPy's BLAS and for PyTorch
    python benchmarks/bench_apply.py --threads 2  # both libraries with 2 threads
    python benchmarks/bench_apply.py --quick      # fewer repeats

The BLAS thread count must be fixed before NumPy is imported, so this script sets
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` (and checks them
with threadpoolctl when it is installed) and calls ``torch.set_num_threads`` with the
same count: both sides get the same cores.

Columns (times per call, best of several; the ratios are what to read):

scatter
    ``tconvmat.conv_transpose`` default route: one GEMM for all taps, then one
    strided add per tap (col2im);
flipped
    ``method="flipped"``: the stride-1 convolution of the zero-inserted input with
    the flipped kernel (the graph rewrite a compiler does);
C.T @ x
    the sparse matrix product with ``C`` built beforehand (build time excluded);
torch
    ``torch.nn.functional.conv_transpose{1,2}d`` on the same float32 data.
"""

from __future__ import annotations

import argparse
import os
import sys

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--threads", type=int, default=1, help="threads for NumPy's BLAS and for PyTorch")
parser.add_argument("--quick", action="store_true", help="fewer repeats")
ARGS = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import math  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from _timing import best_time  # noqa: E402  (benchmarks/, beside this script)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the working tree's tconvmat
import tconvmat as tcm  # noqa: E402


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"OPENBLAS_NUM_THREADS={ARGS.threads} set before importing NumPy (threadpoolctl not installed)"
    info = [f"{p['internal_api']}={p['num_threads']}" for p in threadpool_info()]
    return "threadpoolctl: " + ", ".join(info)


# name, batch, channels in → out, groups, spatial size, kernel, stride, padding, output_padding
CASES: list[tuple[str, int, int, int, tuple[int, ...], tuple[int, ...], int, int, int]] = [
    ("1-D 1→1, L=16, K=3", 1, 1, 1, (16,), (3,), 2, 1, 1),
    ("2-D 1→1, 8×8, 3×3", 1, 1, 1, (8, 8), (3, 3), 2, 1, 1),
    ("2-D 1→1, 32×32, 3×3", 1, 1, 1, (32, 32), (3, 3), 2, 1, 1),
    ("2-D 1→1, 32×32, 3×3", 8, 1, 1, (32, 32), (3, 3), 2, 1, 1),
    ("2-D 1→1, 128×128, 3×3", 1, 1, 1, (128, 128), (3, 3), 2, 1, 1),
    ("2-D 16→16, 32×32, 3×3", 1, 16, 1, (32, 32), (3, 3), 2, 1, 1),
    ("2-D 16→16, 32×32, 3×3", 8, 16, 1, (32, 32), (3, 3), 2, 1, 1),
    ("2-D 64→64, 32×32, 3×3", 1, 64, 1, (32, 32), (3, 3), 2, 1, 1),
    ("2-D 64→64, 32×32, 3×3", 8, 64, 1, (32, 32), (3, 3), 2, 1, 1),
    ("2-D 32→32 depthwise", 1, 32, 32, (32, 32), (3, 3), 2, 1, 1),
    ("2-D 32→32 depthwise", 8, 32, 32, (32, 32), (3, 3), 2, 1, 1),
]


def measure(torch, x: np.ndarray, w: np.ndarray, kw: dict[str, int], repeat: int) -> tuple[float, ...]:
    """Times of scatter, flipped, C.T @ x (C prebuilt) and PyTorch, after checking they agree."""
    CT = tcm.conv_transpose_matrix(w, x.shape[1:], **kw).T.tocsr()
    f = getattr(torch.nn.functional, f"conv_transpose{x.ndim - 2}d")
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    ref = f(xt, wt, **kw).numpy()

    def via_matrix() -> np.ndarray:
        return (CT @ x.reshape(x.shape[0], -1).T).T.reshape(ref.shape)

    def scatter() -> np.ndarray:
        return tcm.conv_transpose(x, w, **kw)

    def flipped() -> np.ndarray:
        return tcm.conv_transpose(x, w, **kw, method="flipped")

    for route in (scatter, flipped, via_matrix):
        np.testing.assert_allclose(route(), ref, rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        t_torch = best_time(lambda: f(xt, wt, **kw), repeat)
    return best_time(scatter, repeat), best_time(flipped, repeat), best_time(via_matrix, repeat), t_torch


def main() -> None:
    import torch

    torch.set_num_threads(ARGS.threads)
    repeat = 3 if ARGS.quick else 7
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__}, PyTorch {torch.__version__}, Python {sys.version.split()[0]}")
    print(f"threads: torch.set_num_threads({torch.get_num_threads()}); NumPy BLAS: {blas_threads()}")
    print("stride 2, padding 1, output_padding 1 (×2 upsampling), float32; times per call")
    print()
    head = f"{'case':24} {'N':>2} {'scatter':>9} {'flipped':>9} {'C.T @ x':>9} {'torch':>9}   {'scatter÷torch':>13} {'C.T@x÷torch':>11}"
    print(head)
    rows = []
    for name, n, c, g, size, kernel, s, p, op in CASES:
        x = rng.standard_normal((n, c, *size)).astype(np.float32)
        w = rng.standard_normal((c, c // g, *kernel)).astype(np.float32)
        kw = {"stride": s, "padding": p, "output_padding": op, "groups": g}
        times = measure(torch, x, w, kw, repeat)
        t_scatter, t_flipped, t_matrix, t_torch = times
        rows.append((name, n, c, g, math.prod(size), t_scatter / t_torch))
        print(
            f"{name:24} {n:>2} {t_scatter * 1e6:7.0f}µs {t_flipped * 1e6:7.0f}µs {t_matrix * 1e6:7.0f}µs "
            f"{t_torch * 1e6:7.0f}µs   {t_scatter / t_torch:12.2f}× {t_matrix / t_torch:10.2f}×"
        )
    print()
    print("ratio = our time ÷ PyTorch's time (< 1: faster than PyTorch)")
    print(
        "targets: default route (scatter) ≤ 3× PyTorch for 16 and 64 channels; < 1× for 1 channel at small sizes"
    )
    dense = [r for _, _, c, g, _, r in rows if c >= 16 and g == 1]
    small = [r for _, _, c, _, size, r in rows if c == 1 and size <= 1024]
    for label, ok, got in (
        ("16 and 64 channels within 3×", max(dense) <= 3, dense),
        ("1 channel, small sizes (≤ 32×32) faster", max(small) < 1, small),
    ):
        span = f"{min(got):.2f}–{max(got):.2f}×"
        print(f"  {label}: {'holds' if ok else 'MISSED'} ({span})")
    depthwise = [r for _, _, c, g, _, r in rows if g > 1]
    print(f"  (no target) depthwise: {min(depthwise):.2f}–{max(depthwise):.2f}×")


if __name__ == "__main__":
    main()
