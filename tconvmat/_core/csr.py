"""The CSR assembly of ``C`` from the index relation, on validated specs.

For one spatial axis and one channel pair ``C[o, i] = Σ_k w[k] · [i = o·s + k·d − p]``
(:func:`tconvmat.spec.input_index`).  Every output channel of a group has the same
sparsity pattern; only its numbers and its column block differ.  So the pattern of
one output channel is computed once, and the full matrix is written with two
broadcast operations straight into the final ``indices`` and ``data`` arrays.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..padding import source_index
from ..spec import ConvSpec, ConvTransposeSpec, input_index

__all__ = ["Pattern", "assemble", "axis_index", "index_dtype", "nnz", "pattern", "transpose_matrix"]

_INT32_MAX = np.iinfo(np.int32).max


def index_dtype(*extents: int) -> type[np.signedinteger[Any]]:
    """int32 where every index and count fits, int64 otherwise (scipy's rule).

    >>> index_dtype(2**31 - 1, 10), index_dtype(2**31, 10)
    (<class 'numpy.int32'>, <class 'numpy.int64'>)
    """
    return np.int32 if max(extents, default=0) <= _INT32_MAX else np.int64


@dataclass(frozen=True)
class Pattern:
    """Sparsity pattern of one output channel's row block (shared by all of them).

    Entries are in CSR order: by spatial output row, then by column.  ``cols`` are
    columns inside the group's column block ``(c_in within group, *i)``; ``taps[e]``
    is the flat weight index ``(c_in within group, *k)`` feeding entry ``e``; where a
    padding mode makes several taps hit one column, ``mixing`` (entries × taps, 0/1)
    sums them and ``taps`` is None.
    """

    cols: NDArray[np.int64]
    row_counts: NDArray[np.int64]
    taps: NDArray[np.intp] | None
    mixing: sp.csr_array | None

    def entry_taps(self) -> sp.csr_array:
        """The (entries × taps) 0/1 matrix, also where ``taps`` is a plain gather."""
        if self.mixing is not None:
            return self.mixing
        assert self.taps is not None
        n = self.taps.size
        n_taps = int(self.taps.max()) + 1 if n else 0
        return sp.csr_array((np.ones(n, dtype=np.int64), self.taps, np.arange(n + 1)), shape=(n, n_taps))


def axis_index(
    spec: ConvSpec, axis: int, rows: int, start: int = 0
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Input position (rows × taps) and validity along one axis, output rows ``start …``."""
    o = np.arange(start, start + rows)[:, None]
    k = np.arange(spec.kernel_size[axis])[None, :]
    u = input_index(o, k, spec.stride[axis], spec.dilation[axis], spec.padding[axis][0])
    return source_index(u, spec.input_size[axis], spec.padding_mode)


@functools.lru_cache(maxsize=8)
def pattern(spec: ConvSpec, rows_size: tuple[int, ...]) -> Pattern:
    return _build_pattern(spec, rows_size, (0,) * len(rows_size))


def _build_pattern(spec: ConvSpec, rows_size: tuple[int, ...], starts: tuple[int, ...]) -> Pattern:
    """Pattern of the output box ``starts[a] ≤ o_a < starts[a] + rows_size[a]`` on every axis."""
    n = spec.ndim
    c_in_g = spec.in_channels // spec.groups
    col_strides = [math.prod(spec.input_size[a + 1 :]) for a in range(n)]
    block = math.prod(spec.input_size)
    # Candidate entries on the grid (*o, c_in_g, *k), in CSR order for zero padding.
    grid = (*rows_size, c_in_g, *spec.kernel_size)
    cols = np.zeros((1,) * len(grid), dtype=np.int64)
    valid = np.ones((1,) * len(grid), dtype=bool)
    for a in range(n):
        index, ok = axis_index(spec, a, rows_size[a], starts[a])
        shape = [1] * len(grid)
        shape[a], shape[n + 1 + a] = index.shape
        cols = cols + index.reshape(shape) * col_strides[a]
        valid = valid & ok.reshape(shape)
    ci_shape = [1] * len(grid)
    ci_shape[n] = c_in_g
    cols = cols + (np.arange(c_in_g) * block).reshape(ci_shape)
    cols, valid = np.broadcast_arrays(cols, valid)
    n_rows = math.prod(rows_size)
    per_row = c_in_g * math.prod(spec.kernel_size)
    taps = np.broadcast_to(np.arange(per_row), (n_rows, per_row))[valid.reshape(n_rows, per_row)]
    row_of = np.broadcast_to(np.arange(n_rows)[:, None], (n_rows, per_row))[valid.reshape(n_rows, per_row)]
    flat_cols = cols[valid]
    if spec.padding_mode == "zeros":
        # i increases with k on every axis and with c_in: rows are already sorted.
        counts = np.bincount(row_of, minlength=n_rows)
        pattern = Pattern(flat_cols, counts, taps, None)
    else:
        # Padding modes may send several taps to one column, in any order.
        key = row_of.astype(np.int64) * (c_in_g * block) + flat_cols
        unique, inverse = np.unique(key, return_inverse=True)
        mixing = sp.csr_array(
            (np.ones(key.size, dtype=np.int64), (inverse.ravel(), taps)),
            shape=(unique.size, per_row),
        )
        counts = np.bincount(unique // (c_in_g * block), minlength=n_rows)
        pattern = Pattern(unique % (c_in_g * block), counts, None, mixing)
    for arr in (pattern.cols, pattern.row_counts, pattern.taps):
        if arr is not None:
            arr.flags.writeable = False
    return pattern


def assemble(
    spec: ConvSpec, weight: NDArray[Any], rows_size: tuple[int, ...], rows: tuple[int, int] | None = None
) -> sp.csr_array:
    """CSR matrix of ``spec`` with ``rows_size`` output positions per axis.

    ``rows = (start, stop)`` builds only those rows of it (``C[start:stop]``, all
    columns): whole output channels from the shared pattern, a partial channel at
    either end from the pattern of just the output rows it covers.
    """
    c_out = spec.out_channels
    per_channel = math.prod(rows_size)
    start, stop = (0, c_out * per_channel) if rows is None else rows
    segments = [
        (c0, c1, _segment_pattern(spec, rows_size, p0, p1))
        for c0, c1, p0, p1 in _segments(start, stop, per_channel)
    ]
    n_rows = stop - start
    n_cols = spec.in_channels * math.prod(spec.input_size)
    nnz = sum((c1 - c0) * pattern.cols.size for c0, c1, pattern in segments)
    idx = index_dtype(nnz, n_rows, n_cols)
    w = weight.reshape(c_out, -1)
    indices = np.empty(nnz, dtype=idx)
    data = np.empty(nnz, dtype=w.dtype)
    indptr = np.empty(n_rows + 1, dtype=idx)
    indptr[0] = 0
    entry = row = 0
    for c0, c1, pattern in segments:
        n_ch, nnz_t, n_r = c1 - c0, pattern.cols.size, pattern.row_counts.size
        _fill(
            spec,
            w,
            pattern,
            c0,
            c1,
            indices[entry : entry + n_ch * nnz_t].reshape(n_ch, nnz_t),
            data[entry : entry + n_ch * nnz_t].reshape(n_ch, nnz_t),
            indptr[1 + row : 1 + row + n_ch * n_r].reshape(n_ch, n_r),
            entry,
        )
        entry += n_ch * nnz_t
        row += n_ch * n_r
    assert (entry, row) == (nnz, n_rows)
    C = sp.csr_array((data, indices, indptr), shape=(n_rows, n_cols))
    C.has_canonical_format = True
    return C


def _fill(
    spec: ConvSpec,
    w: NDArray[Any],
    pattern: Pattern,
    c0: int,
    c1: int,
    indices: NDArray[Any],
    data: NDArray[Any],
    indptr: NDArray[Any],
    base: int,
) -> None:
    """Write output channels ``c0:c1`` × ``pattern``'s rows into the CSR arrays (in place)."""
    idx = indices.dtype
    block = (spec.in_channels // spec.groups) * math.prod(spec.input_size)
    c_out_g = spec.out_channels // spec.groups
    offsets = ((np.arange(c0, c1) // c_out_g) * block).astype(idx)
    np.add(pattern.cols.astype(idx)[None, :], offsets[:, None], out=indices)
    if pattern.taps is not None:
        np.take(w[c0:c1], pattern.taps, axis=1, out=data, mode="clip")
    else:
        assert pattern.mixing is not None
        data[...] = (pattern.mixing @ w[c0:c1].T).T
    ends = np.cumsum(pattern.row_counts, dtype=idx)
    first = (base + np.arange(c1 - c0, dtype=idx) * pattern.cols.size).astype(idx)
    np.add(first[:, None], ends[None, :], out=indptr)


def _segments(start: int, stop: int, per_channel: int) -> list[tuple[int, int, int, int]]:
    """Rows ``start:stop`` of C as ``(c0, c1, p0, p1)``: channels ``c0:c1`` × spatial rows ``p0:p1``.

    >>> _segments(0, 12, 4), _segments(3, 9, 4), _segments(5, 6, 4)
    ([(0, 3, 0, 4)], [(0, 1, 3, 4), (1, 2, 0, 4), (2, 3, 0, 1)], [(1, 2, 1, 2)])
    """
    if stop <= start or per_channel == 0:
        return []
    c0, p0 = divmod(start, per_channel)
    c1, p1 = divmod(stop, per_channel)
    if c0 == c1:
        return [(c0, c0 + 1, p0, p1)]
    out = []
    if p0:
        out.append((c0, c0 + 1, p0, per_channel))
        c0 += 1
    if c1 > c0:
        out.append((c0, c1, 0, per_channel))
    if p1:
        out.append((c1, c1 + 1, 0, p1))
    return out


def _segment_pattern(spec: ConvSpec, rows_size: tuple[int, ...], p0: int, p1: int) -> Pattern:
    """Pattern of one output channel's spatial rows ``p0:p1`` (row-major over ``rows_size``)."""
    per_channel = math.prod(rows_size)
    if (p0, p1) == (0, per_channel):
        return pattern(spec, rows_size)
    # p0:p1 is a row-major range: a few boxes, built alone and joined in order, so a small
    # block costs what it holds (not a whole slab of the image).
    parts = [_build_pattern(spec, size, start) for start, size in _boxes(p0, p1, rows_size)]
    if len(parts) == 1:
        return parts[0]
    return Pattern(
        np.concatenate([b.cols for b in parts]),
        np.concatenate([b.row_counts for b in parts]),
        None if parts[0].taps is None else np.concatenate([b.taps for b in parts]),  # type: ignore[misc]
        None if parts[0].mixing is None else sp.vstack([b.mixing for b in parts], format="csr"),
    )


def _boxes(lo: int, hi: int, shape: tuple[int, ...]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The row-major range ``lo:hi`` of a grid as at most ``2·ndim − 1`` boxes ``(start, size)``, in order.

    >>> _boxes(3, 9, (4, 4))
    [((0, 3), (1, 1)), ((1, 0), (1, 4)), ((2, 0), (1, 1))]
    >>> _boxes(4, 12, (4, 4))
    [((1, 0), (2, 4))]
    """
    if hi <= lo:
        return []
    if len(shape) == 1:
        return [((lo,), (hi - lo,))]
    inner = math.prod(shape[1:])
    (a0, r0), (a1, r1) = divmod(lo, inner), divmod(hi, inner)
    if a0 == a1:
        return [((a0, *s), (1, *z)) for s, z in _boxes(r0, r1, shape[1:])]
    out = []
    if r0:
        out += [((a0, *s), (1, *z)) for s, z in _boxes(r0, inner, shape[1:])]
        a0 += 1
    if a1 > a0:
        out.append(((a0,) + (0,) * (len(shape) - 1), (a1 - a0, *shape[1:])))
    if r1:
        out += [((a1, *s), (1, *z)) for s, z in _boxes(0, r1, shape[1:])]
    return out


# ---------------------------------------------------------------------------
# Size estimate (before building anything) and the size guard
# ---------------------------------------------------------------------------


def _axis_counts(spec: ConvSpec, axis: int, rows: int) -> NDArray[np.int64]:
    """Distinct input positions each output position reads along one axis.

    With zero padding ``i = o·s + k·d − p`` grows with ``k``, so the valid taps are
    distinct; other modes may send several taps to one position, which count once.
    """
    index, ok = axis_index(spec, axis, rows)
    if spec.padding_mode == "zeros":
        return ok.sum(axis=1, dtype=np.int64)
    ordered = np.sort(index, axis=1)
    return 1 + (np.diff(ordered, axis=1) != 0).sum(axis=1, dtype=np.int64)


def nnz(spec: ConvSpec, rows_size: tuple[int, ...], start: int, stop: int) -> int:
    """Exact number of entries in rows ``start:stop`` of C, from per-axis counts only.

    The columns an output position ``o`` reaches are the product over axes of the
    positions each axis reads, so a row holds ``C_in/g · ∏_a n_a(o_a)`` entries; the
    sum over a row-major range needs only per-axis prefix sums (no per-row array).
    """
    counts = [_axis_counts(spec, a, n) for a, n in enumerate(rows_size)]
    totals = [int(c.sum()) for c in counts]
    c_in_g = spec.in_channels // spec.groups
    per_channel = math.prod(rows_size)

    def before(r: int) -> int:  # entries in the first r rows of C
        channels, r = divmod(r, per_channel)
        total, scale = channels * math.prod(totals), 1
        for a, c in enumerate(counts):
            q, r = divmod(r, math.prod(rows_size[a + 1 :]))
            total += scale * int(c[:q].sum()) * math.prod(totals[a + 1 :])
            if q == c.size:
                break
            scale *= int(c[q])
        return c_in_g * total

    return before(stop) - before(start) if stop > start else 0


def transpose_matrix(spec: ConvTransposeSpec, weight: NDArray[Any]) -> sp.csr_array:
    """``C`` of a transposed convolution: the forward matrix of :attr:`~ConvTransposeSpec.adjoint`, ``L_in`` rows per axis."""
    return assemble(spec.adjoint, weight, spec.input_size)
