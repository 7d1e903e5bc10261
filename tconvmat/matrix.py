"""The explicit sparse matrix ``C`` of a convolution, built straight into CSR.

For one spatial axis and one channel pair,

    C[o, i] = Σ_k w[k] · [i = o·s + k·d − p]

(:func:`tconvmat.spec.input_index`).  Rows are ``(c_out, *o)`` and columns
``(c_in, *i)`` in row-major order.  Every output channel of a group has the same
sparsity pattern; only its numbers and its column block differ.  So the pattern of
one output channel is computed once (small: ``∏L_out · C_in/g · ∏K`` candidate
entries, masked), and the full matrix is written with two broadcast operations, a
column offset per channel and a gather of the weights, straight into the final
``indices`` and ``data`` arrays.  No sort, no COO, no dense intermediate.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from .padding import source_index
from .spec import (
    ConvSpec,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    conv_spec,
    conv_transpose_spec,
    input_index,
)

__all__ = ["conv_matrix", "conv_transpose_matrix"]

_INT32_MAX = np.iinfo(np.int32).max


def _index_dtype(*extents: int) -> type[np.signedinteger[Any]]:
    """int32 where every index and count fits, int64 otherwise (scipy's rule).

    >>> _index_dtype(2**31 - 1, 10), _index_dtype(2**31, 10)
    (<class 'numpy.int32'>, <class 'numpy.int64'>)
    """
    return np.int32 if max(extents, default=0) <= _INT32_MAX else np.int64


@dataclass(frozen=True)
class _Pattern:
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


def _axis_index(spec: ConvSpec, axis: int, rows: int) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Input position (rows × taps) and validity along one axis."""
    o = np.arange(rows)[:, None]
    k = np.arange(spec.kernel_size[axis])[None, :]
    u = input_index(o, k, spec.stride[axis], spec.dilation[axis], spec.padding[axis][0])
    return source_index(u, spec.input_size[axis], spec.padding_mode)


@functools.lru_cache(maxsize=8)
def _pattern(spec: ConvSpec, rows_size: tuple[int, ...]) -> _Pattern:
    n = spec.ndim
    c_in_g = spec.in_channels // spec.groups
    col_strides = [math.prod(spec.input_size[a + 1 :]) for a in range(n)]
    block = math.prod(spec.input_size)
    # Candidate entries on the grid (*o, c_in_g, *k), in CSR order for zero padding.
    grid = (*rows_size, c_in_g, *spec.kernel_size)
    cols = np.zeros((1,) * len(grid), dtype=np.int64)
    valid = np.ones((1,) * len(grid), dtype=bool)
    for a in range(n):
        index, ok = _axis_index(spec, a, rows_size[a])
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
        pattern = _Pattern(flat_cols, counts, taps, None)
    else:
        # Padding modes may send several taps to one column, in any order.
        key = row_of.astype(np.int64) * (c_in_g * block) + flat_cols
        unique, inverse = np.unique(key, return_inverse=True)
        mixing = sp.csr_array(
            (np.ones(key.size, dtype=np.int64), (inverse.ravel(), taps)),
            shape=(unique.size, per_row),
        )
        counts = np.bincount(unique // (c_in_g * block), minlength=n_rows)
        pattern = _Pattern(unique % (c_in_g * block), counts, None, mixing)
    for arr in (pattern.cols, pattern.row_counts, pattern.taps):
        if arr is not None:
            arr.flags.writeable = False
    return pattern


def _assemble(spec: ConvSpec, weight: NDArray[Any], rows_size: tuple[int, ...]) -> sp.csr_array:
    """CSR matrix of ``spec`` with ``rows_size`` output positions per axis."""
    pattern = _pattern(spec, rows_size)
    c_out, groups = spec.out_channels, spec.groups
    block = (spec.in_channels // groups) * math.prod(spec.input_size)
    n_rows = c_out * math.prod(rows_size)
    n_cols = spec.in_channels * math.prod(spec.input_size)
    nnz_t = pattern.cols.size
    nnz = c_out * nnz_t
    idx = _index_dtype(nnz, n_rows, n_cols)

    offsets = ((np.arange(c_out) // (c_out // groups)) * block).astype(idx) if c_out else np.zeros(0, idx)
    indices = np.empty(nnz, dtype=idx)
    np.add(pattern.cols.astype(idx)[None, :], offsets[:, None], out=indices.reshape(c_out, nnz_t))

    w = weight.reshape(c_out, -1)
    if pattern.taps is not None:
        data = np.empty((c_out, nnz_t), dtype=w.dtype)
        np.take(w, pattern.taps, axis=1, out=data, mode="clip")
    else:
        assert pattern.mixing is not None
        data = np.ascontiguousarray((pattern.mixing @ w.T).T, dtype=w.dtype)

    indptr = np.empty(n_rows + 1, dtype=idx)
    indptr[0] = 0
    ends = np.cumsum(pattern.row_counts, dtype=idx)
    np.add((np.arange(c_out, dtype=idx) * nnz_t)[:, None], ends[None, :], out=indptr[1:].reshape(c_out, -1))
    C = sp.csr_array((data.reshape(-1), indices, indptr), shape=(n_rows, n_cols))
    C.has_canonical_format = True
    return C


def _as_weight(weight: ArrayLike) -> NDArray[Any]:
    w = np.asarray(weight)
    if w.dtype == object:
        raise TypeError(
            "weight has dtype object; scipy.sparse holds numbers only. "
            "For symbolic weights use tconvmat.symbolic."
        )
    return w


def conv_matrix(
    weight: ArrayLike,
    input_shape: tuple[int, ...],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> sp.csr_array:
    """Sparse matrix ``C`` of a convolution: ``conv(x).reshape(N, -1) == x.reshape(N, -1) @ C.T``.

    Parameters
    ----------
    weight : array_like, shape (C_out, C_in/groups, *kernel)
        PyTorch conv layout.  Its dtype is the matrix's dtype.
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    stride, padding, dilation, groups, padding_mode
        As in :func:`tconvmat.conv` (``torch.nn.functional.conv*d`` plus
        ``padding_mode`` of ``torch.nn.Conv*d``).

    Returns
    -------
    scipy.sparse.csr_array, shape (C_out·∏L_out, C_in·∏L_in)
        Rows ``(c_out, *o)``, columns ``(c_in, *i)``, both row-major; canonical
        (sorted, no duplicates); int32 indices where they fit.

    See Also
    --------
    conv_transpose_matrix, tconvmat.conv

    Notes
    -----
    With zero padding, ``C[(c, o), (c', i)] = w[c, c' − g·C_in/g, k]`` when ``c`` and
    ``c'`` are in the same group ``g`` and ``i = o·s + k·d − p`` on every axis, and 0
    otherwise.  An N-d block is ``Σ_k w[k] · S_{k_1} ⊗ … ⊗ S_{k_n}`` with 1-D selection
    matrices ``S``.  Other padding modes compose the padding map: ``C = C_zero · P``,
    so taps that land on the same source position add up.

    The stored entries are the structural ones, every position a kernel tap reaches,
    whatever the weight's value: a zero weight is stored as an explicit zero, so the
    pattern (and ``C.nnz``) depends on the parameters only.  Call
    ``C.eliminate_zeros()`` to drop them.

    Examples
    --------
    >>> import numpy as np
    >>> C = conv_matrix(np.array([[[1, 2, 3]]]), (1, 4), padding=1)
    >>> C.toarray()
    array([[2, 3, 0, 0],
           [1, 2, 3, 0],
           [0, 1, 2, 3],
           [0, 0, 1, 2]])
    >>> x = np.array([1, 0, 0, 1])
    >>> from tconvmat import conv
    >>> bool(np.array_equal(C @ x, conv(x[None], np.array([[[1, 2, 3]]]), padding=1).ravel()))
    True
    """
    w = _as_weight(weight)
    spec = conv_spec(w.shape, input_shape, stride, padding, dilation, groups, padding_mode)
    return _assemble(spec, w, spec.output_size)


def conv_transpose_matrix(
    weight: ArrayLike,
    input_shape: tuple[int, ...],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    output_size: tuple[int, ...] | None = None,
    padding_mode: str = "zeros",
) -> sp.csr_array:
    """Sparse ``C`` with ``conv_transpose(x).reshape(N, -1) == x.reshape(N, -1) @ C``.

    That is ``y = Cᵀ x`` per sample: ``C`` is the matrix of the forward convolution
    (same weight tensor read in conv layout, same stride, padding, dilation, groups
    and padding mode) whose input has the transposed convolution's output shape.

    Parameters
    ----------
    weight : array_like, shape (C_in, C_out/groups, *kernel)
        PyTorch conv-transpose layout.
    input_shape : tuple of int
        ``(C_in, *spatial)`` of the transposed convolution's input.
    stride, padding, output_padding, groups, dilation, output_size, padding_mode
        As in :func:`tconvmat.conv_transpose`.

    Returns
    -------
    scipy.sparse.csr_array, shape (C_in·∏L_in, C_out·∏L_out)

    See Also
    --------
    conv_matrix, tconvmat.conv_transpose

    Notes
    -----
    When ``output_padding ≥ stride`` (PyTorch allows it if ``output_padding <
    dilation``) the forward convolution has more output positions than the
    transposed one has inputs; ``C`` keeps the first ``L_in`` of them per axis, the
    ones the input ``x`` multiplies.

    Examples
    --------
    >>> import numpy as np
    >>> C = conv_transpose_matrix(np.array([[[1., 1., 1.]]]), (1, 2), stride=2)
    >>> C.toarray()
    array([[1., 1., 1., 0., 0.],
           [0., 0., 1., 1., 1.]])
    >>> C.T @ np.array([1., 1.])
    array([1., 1., 2., 1., 1.])
    """
    w = _as_weight(weight)
    spec = conv_transpose_spec(
        w.shape, input_shape, stride, padding, output_padding, groups, dilation, output_size, padding_mode
    )
    return _transpose_matrix(spec, w)


def _transpose_matrix(spec: ConvTransposeSpec, weight: NDArray[Any]) -> sp.csr_array:
    return _assemble(spec.adjoint, weight, spec.input_size)
