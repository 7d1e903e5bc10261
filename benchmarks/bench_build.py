"""Building the sparse matrix C: nonzeros per second and peak memory, beside references.

Run from the repository root:

    python benchmarks/bench_build.py            # the default cases
    python benchmarks/bench_build.py --quick    # small cases only

Every figure is printed beside a reference measured in the same run, because these
machines are noisy: ratios hold, absolute times do not.

References
----------
plain write
    ``np.full`` of the same number of index + value bytes as the finished CSR
    arrays: the practical limit of the machine for producing that output.
COO build
    the straightforward vectorized construction: all (row, col, value) triplets
    by broadcasting, masked, then ``scipy.sparse.coo_array(...).tocsr()``.
"""

from __future__ import annotations

import argparse
import functools
import gc
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

import tconvmat as tcm


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_bytes(fn: Callable[[], object]) -> tuple[int, object]:
    """Peak memory allocated through NumPy while ``fn`` runs (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, result


def csr_bytes(C: sp.csr_array) -> int:
    return C.data.nbytes + C.indices.nbytes + C.indptr.nbytes


def plain_write(C: sp.csr_array) -> Callable[[], object]:
    n_idx, n_val = C.indices.size + C.indptr.size, C.data.size

    def run() -> object:
        return np.full(n_idx, 1, dtype=C.indices.dtype), np.full(n_val, 1.0, dtype=C.data.dtype)

    return run


def coo_build(weight: np.ndarray, input_shape: tuple[int, ...], **kw: object) -> Callable[[], object]:
    """Straightforward vectorized build (2-D, zero padding, symmetric int pads)."""
    spec = tcm.conv_spec(weight.shape, input_shape, **kw)  # type: ignore[arg-type]
    c_out, c_in_g, kh, kw_ = weight.shape
    (H, W), (Ho, Wo) = spec.input_size, spec.output_size
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    ph, pw = spec.padding[0][0], spec.padding[1][0]
    g = spec.groups

    def run() -> object:
        co, oh, ow, ci, a, b = np.meshgrid(
            np.arange(c_out), np.arange(Ho), np.arange(Wo), np.arange(c_in_g), np.arange(kh), np.arange(kw_),
            indexing="ij", sparse=True,
        )
        ih, iw = oh * sh + a * dh - ph, ow * sw + b * dw - pw
        ok = (ih >= 0) & (ih < H) & (iw >= 0) & (iw < W)
        shape = np.broadcast_shapes(co.shape, oh.shape, ow.shape, ci.shape, a.shape, b.shape)
        ok = np.broadcast_to(ok, shape)
        rows = np.broadcast_to((co * Ho + oh) * Wo + ow, shape)[ok]
        cols = np.broadcast_to(((co // (c_out // g)) * c_in_g + ci) * H * W + ih * W + iw, shape)[ok]
        vals = np.broadcast_to(weight[co, ci, a, b], shape)[ok]
        return sp.coo_array((vals, (rows, cols)), shape=(c_out * Ho * Wo, spec.in_channels * H * W)).tocsr()

    return run


CASES: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, object]]] = [
    # name, weight shape, input shape, kwargs
    ("1-D 16→16, L=4096, K=5, s=2", (16, 16, 5), (16, 4096), {"stride": 2, "padding": 2}),
    ("2-D 64→64, 32×32, 3×3, p=1 (target)", (64, 64, 3, 3), (64, 32, 32), {"padding": 1}),
    ("2-D 8→8 groups=2, 64×64, 5×5, s=2, d=2", (8, 4, 5, 5), (8, 64, 64), {"stride": 2, "dilation": 2, "padding": 2, "groups": 2}),
    ("3-D 16→16, 16³, 3³, p=1", (16, 16, 3, 3, 3), (16, 16, 16, 16), {"padding": 1}),
]
QUICK = [("2-D 16→16, 16×16, 3×3, p=1", (16, 16, 3, 3), (16, 16, 16), {"padding": 1})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small cases only")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'case':42} {'nnz':>10} {'Mnnz/s':>8} {'write':>7} {'COO':>7} {'peak/CSR':>9}")
    print(f"{'':42} {'':>10} {'':>8} {'ratio':>7} {'speedup':>7} {'':>9}")
    for name, wshape, ishape, kw in QUICK if args.quick else CASES:
        w = rng.standard_normal(wshape)
        build = functools.partial(tcm.conv_matrix, w, ishape, **kw)
        C = build()
        t_build = best_time(build)
        t_write = best_time(plain_write(C))
        peak, _ = peak_bytes(build)
        extra = (peak - csr_bytes(C)) / csr_bytes(C)
        coo = "-"
        if len(wshape) == 4:
            run = coo_build(w, ishape, **kw)
            ref = run()
            assert (abs(ref - C)).max() == 0, "COO reference disagrees"
            coo = f"{best_time(run, 1) / t_build:6.1f}×"
        print(
            f"{name:42} {C.nnz:>10,} {C.nnz / t_build / 1e6:8.1f} {t_write / t_build:6.2f}× {coo:>7} "
            f"{peak / csr_bytes(C):8.2f}×"
        )
        del C
    print()
    print("write ratio: plain-write time / build time (1.0 = as fast as writing the bytes; target ≥ 0.3)")
    print("peak/CSR: peak memory allocated during the build / size of the finished CSR arrays")
    print(f"(extra memory beyond the CSR itself = peak/CSR − 1; target ≤ 1.5; last case: {extra:.2f})")


if __name__ == "__main__":
    main()
