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

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ._arrays import numeric
from ._core import assemble, index_dtype, nnz
from .spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    conv_spec,
    conv_transpose_spec,
)

__all__ = ["MatrixTooLargeError", "conv_matrix", "conv_transpose_matrix", "matrix_nnz"]

DEFAULT_MAX_NNZ = 2**28
"""Default ``max_nnz`` of the builders: 268,435,456 nonzeros (about 3.2 GB as float64 CSR)."""


class MatrixTooLargeError(ConvolutionSpecError):
    """``C`` would exceed ``max_nnz``; raised before anything is built.

    Attributes
    ----------
    nnz : int
        The exact number of stored entries ``C`` (or the requested row block) would have.
    nbytes : int
        Bytes of its CSR arrays (``data``, ``indices``, ``indptr``).
    max_nnz : int
        The limit it exceeds.
    """

    def __init__(self, message: str, nnz: int, nbytes: int, max_nnz: int) -> None:
        super().__init__(message)
        self.nnz, self.nbytes, self.max_nnz = nnz, nbytes, max_nnz


def _bytes(n: int) -> str:
    """``1536`` → ``"1.5 kB"`` (decimal units)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _resolve_rows(rows: slice | None, n_rows: int) -> tuple[int, int] | None:
    if rows is None:
        return None
    if not isinstance(rows, slice) or rows.step not in (None, 1):
        raise ConvolutionSpecError(
            f"rows must be a slice with step 1 (a contiguous block of rows) or None; got rows={rows!r}"
        )
    try:
        start, stop, _ = rows.indices(n_rows)
    except TypeError:  # a float or other non-integer bound
        raise ConvolutionSpecError(
            f"rows must be a slice of integers (or None bounds); got rows={rows!r}"
        ) from None
    return start, max(start, stop)


def _build(
    spec: ConvSpec,
    weight: NDArray[Any],
    rows_size: tuple[int, ...],
    rows: slice | None,
    max_nnz: int | None,
    fn: str,
    operator: str,
) -> sp.csr_array:
    """Estimate, refuse above ``max_nnz``, then assemble (the public builders' common path)."""
    n_rows = spec.out_channels * math.prod(rows_size)
    n_cols = spec.in_channels * math.prod(spec.input_size)
    block = _resolve_rows(rows, n_rows)
    if max_nnz is not None:
        if isinstance(max_nnz, bool) or not isinstance(max_nnz, (int, np.integer)) or max_nnz < 0:
            raise ConvolutionSpecError(
                f"max_nnz must be a non-negative integer or None; got max_nnz={max_nnz!r}"
            )
        start, stop = (0, n_rows) if block is None else block
        count = nnz(spec, rows_size, start, stop)
        if count > max_nnz:
            idx = np.dtype(index_dtype(count, stop - start, n_cols))
            nbytes = count * (weight.dtype.itemsize + idx.itemsize) + (stop - start + 1) * idx.itemsize
            what = "C" if block is None else f"rows {start}:{stop} of C"
            raise MatrixTooLargeError(
                f"{fn}: {what} would have {count:,} nonzeros, {nbytes:,} bytes as CSR "
                f"({_bytes(nbytes)}: {weight.dtype} data, {idx} indices), over max_nnz={max_nnz:,}; "
                f"apply it without building it with tconvmat.{operator}(...) (a scipy LinearOperator), "
                f"build it in pieces with rows=slice(start, stop), or pass max_nnz=None",
                count,
                nbytes,
                max_nnz,
            )
    return assemble(spec, weight, rows_size, block)


def _as_weight(weight: ArrayLike) -> NDArray[Any]:
    return numeric(weight, "weight", objects=False)  # scipy.sparse holds numbers only


def conv_matrix(
    weight: ArrayLike,
    input_shape: tuple[int, ...],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    *,
    rows: slice | None = None,
    max_nnz: int | None = DEFAULT_MAX_NNZ,
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
    rows : slice, optional
        Build only these rows, ``C[rows]`` (all columns), without building the
        rest; step 1.  Blocks stack back to ``C`` with ``scipy.sparse.vstack``.
    max_nnz : int or None, default 2**28
        Refuse (before building anything) if ``C``, or the requested row block,
        would have more nonzeros than this; ``None`` lifts the limit.

    Returns
    -------
    scipy.sparse.csr_array, shape (C_out·∏L_out, C_in·∏L_in)
        Rows ``(c_out, *o)``, columns ``(c_in, *i)``, both row-major; canonical
        (sorted, no duplicates); int32 indices where they fit.

    Raises
    ------
    MatrixTooLargeError
        A :class:`~tconvmat.spec.ConvolutionSpecError` naming the exact number of
        nonzeros and the bytes ``C`` would take, if that exceeds ``max_nnz``.
    ConvolutionSpecError
        For invalid parameters.

    See Also
    --------
    conv_transpose_matrix, tconvmat.conv
    tconvmat.conv_operator : the same linear map, matrix-free.

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

    Row blocks, and the size guard:

    >>> conv_matrix(np.array([[[1, 2, 3]]]), (1, 4), padding=1, rows=slice(1, 3)).toarray()
    array([[1, 2, 3, 0],
           [0, 1, 2, 3]])
    >>> conv_matrix(np.ones((16, 16, 3, 3)), (16, 512, 512), padding=1)
    Traceback (most recent call last):
    ...
    tconvmat.matrix.MatrixTooLargeError: conv_matrix: C would have 602,407,936 nonzeros, 7,245,672,452 bytes as CSR (7.2 GB: float64 data, int32 indices), over max_nnz=268,435,456; apply it without building it with tconvmat.conv_operator(...) (a scipy LinearOperator), build it in pieces with rows=slice(start, stop), or pass max_nnz=None
    """
    w = _as_weight(weight)
    spec = conv_spec(
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
    return _build(spec, w, spec.output_size, rows, max_nnz, "conv_matrix", "conv_operator")


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
    *,
    rows: slice | None = None,
    max_nnz: int | None = DEFAULT_MAX_NNZ,
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
    rows : slice, optional
        Build only ``C[rows]`` (step 1), as in :func:`conv_matrix`.
    max_nnz : int or None, default 2**28
        Refuse above this many nonzeros, as in :func:`conv_matrix`.

    Returns
    -------
    scipy.sparse.csr_array, shape (C_in·∏L_in, C_out·∏L_out)

    Raises
    ------
    MatrixTooLargeError
        If ``C`` (or the row block) would have more than ``max_nnz`` nonzeros.

    See Also
    --------
    conv_matrix, tconvmat.conv_transpose
    tconvmat.conv_transpose_operator : the same linear map, matrix-free.

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
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
        output_size=output_size,
        padding_mode=padding_mode,
    )
    return _build(
        spec.adjoint, w, spec.input_size, rows, max_nnz, "conv_transpose_matrix", "conv_transpose_operator"
    )


def matrix_nnz(spec: ConvSpec | ConvTransposeSpec) -> int:
    """The exact number of stored entries of ``C`` for ``spec``, counted without building it.

    The size guard's count (per-axis counts only): ``conv_matrix`` for a
    :class:`~tconvmat.ConvSpec`, ``conv_transpose_matrix`` for a
    :class:`~tconvmat.ConvTransposeSpec`.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> matrix_nnz(conv_transpose_spec((1, 1, 3), (1, 2), stride=2))
    6
    >>> matrix_nnz(conv_transpose_spec((16, 16, 3, 3), (16, 512, 512), padding=1))
    602407936
    """
    if isinstance(spec, ConvTransposeSpec):
        rows = spec.in_channels * math.prod(spec.input_size)
        return nnz(spec.adjoint, spec.input_size, 0, rows)
    return nnz(spec, spec.output_size, 0, spec.out_channels * math.prod(spec.output_size))
