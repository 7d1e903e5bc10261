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
jacobian (second table, small cases)
    ``torch.autograd.functional.jacobian`` of ``F.conv*d`` (one thread), the way
    many users get the matrix today: a dense (outputs × inputs) matrix, one
    backward pass per output.  Compared per nonzero of ``C``.
pylops (second table, if installed)
    ``pylops.signalprocessing.ConvolveND(...).todense()`` for one-channel cases.

The working tree's ``tconvmat`` is benchmarked (the repository root goes first on
``sys.path``), not an installed copy.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
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
            np.arange(c_out),
            np.arange(Ho),
            np.arange(Wo),
            np.arange(c_in_g),
            np.arange(kh),
            np.arange(kw_),
            indexing="ij",
            sparse=True,
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
    (
        "2-D 8→8 groups=2, 64×64, 5×5, s=2, d=2",
        (8, 4, 5, 5),
        (8, 64, 64),
        {"stride": 2, "dilation": 2, "padding": 2, "groups": 2},
    ),
    ("3-D 16→16, 16³, 3³, p=1", (16, 16, 3, 3, 3), (16, 16, 16, 16), {"padding": 1}),
]
QUICK = [("2-D 16→16, 16×16, 3×3, p=1", (16, 16, 3, 3), (16, 16, 16), {"padding": 1})]
SMALL = [  # for the jacobian (dense, one backward pass per output) and pylops
    ("1-D 1→1, L=256, K=5, p=2", (1, 1, 5), (1, 256), {"padding": 2}),
    ("1-D 4→4, L=64, K=3, s=2", (4, 4, 3), (4, 64), {"stride": 2, "padding": 1}),
    ("2-D 1→1, 24×24, 3×3, p=1", (1, 1, 3, 3), (1, 24, 24), {"padding": 1}),
    ("2-D 8→8, 16×16, 3×3, p=1", (8, 8, 3, 3), (8, 16, 16), {"padding": 1}),
    ("3-D 2→2, 8³, 3³, p=1", (2, 2, 3, 3, 3), (2, 8, 8, 8), {"padding": 1}),
    ("2-D 16→16, 16×16, 3×3, p=1", (16, 16, 3, 3), (16, 16, 16), {"padding": 1}),
]


def per_call(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best per-call time over ``repeat`` runs of enough calls to last ≥ 50 ms (small cases)."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        if (t := time.perf_counter() - t0) >= 0.05:
            break
        n *= 2
    best = t / n
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def jacobian_build(weight: np.ndarray, input_shape: tuple[int, ...], **kw: object) -> Callable[[], object]:
    import torch

    f = getattr(torch.nn.functional, f"conv{weight.ndim - 2}d")
    wt = torch.from_numpy(weight)
    x0 = torch.zeros((1, *input_shape), dtype=wt.dtype)
    return lambda: torch.autograd.functional.jacobian(lambda x: f(x, wt, **kw), x0)


def pylops_build(
    weight: np.ndarray, input_shape: tuple[int, ...], **kw: object
) -> Callable[[], object] | None:
    """One-channel, stride-1, zero-padded 'same' cases only (what ConvolveND expresses)."""
    if importlib.util.find_spec("pylops") is None or weight.shape[:2] != (1, 1) or kw.get("stride", 1) != 1:
        return None
    from pylops.signalprocessing import ConvolveND

    kernel = weight[0, 0]
    op = ConvolveND(
        input_shape[1:], h=kernel, offset=tuple(k // 2 for k in kernel.shape), axes=tuple(range(kernel.ndim))
    )
    return lambda: op.todense()


def small_table() -> None:
    try:
        import torch
    except ImportError:
        print("jacobian: torch not installed, skipped")
        return
    torch.set_num_threads(1)
    have_pylops = importlib.util.find_spec("pylops") is not None
    rng = np.random.default_rng(1)
    print(f"{'small case':42} {'nnz':>10} {'ours':>9} {'jacobian':>9} {'×jacobian':>10} {'×pylops':>8}")
    print(f"{'':42} {'':>10} {'Mnnz/s':>9} {'Mnnz/s':>9} {'per nnz':>10} {'':>8}")
    for name, wshape, ishape, kw in SMALL:
        w = rng.standard_normal(wshape)
        build = functools.partial(tcm.conv_matrix, w, ishape, **kw)
        C = build()
        jac = jacobian_build(w, ishape, **kw)
        J = jac().reshape(C.shape).numpy()
        assert np.array_equal(J, C.toarray()), "jacobian disagrees"
        t_build, t_jac = per_call(build), best_time(jac, 1)
        pl = "-"
        run = pylops_build(w, ishape, **kw)
        if run is not None:
            np.testing.assert_allclose(run(), C.toarray(), atol=1e-12)
            pl = f"{best_time(run, 1) / t_build:7.0f}×"
        print(
            f"{name:42} {C.nnz:>10,} {C.nnz / t_build / 1e6:9.1f} {C.nnz / t_jac / 1e6:9.3f} "
            f"{t_jac / t_build:9.0f}× {pl:>8}"
        )
    print()
    print("×jacobian: jacobian time ÷ our build time, per nonzero of C (target ≥ 500)")
    print(
        "pylops: "
        + (
            "ConvolveND(...).todense(), one-channel stride-1 cases"
            if have_pylops
            else "not installed, skipped"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small cases only")
    parser.add_argument("--no-small", action="store_true", help="skip the jacobian / pylops table")
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
    if not args.no_small:
        print()
        small_table()


if __name__ == "__main__":
    main()
