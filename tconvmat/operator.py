"""Convolutions as matrix-free ``scipy.sparse.linalg.LinearOperator`` objects.

:func:`conv_operator` and :func:`conv_transpose_operator` are the linear maps of
:func:`tconvmat.conv_matrix` and :func:`tconvmat.conv_transpose_matrix` without the
matrix: ``A @ x`` runs the convolution (the gather route of :func:`tconvmat.conv`) and
``A.H @ y`` its adjoint, the transposed convolution (the scatter route of
:func:`tconvmat.conv_transpose`), on flattened ``(C, *spatial)`` vectors in the same
row-major order as the matrix.  Memory is that of one input and one output, whatever
the size of ``C``, so the ``scipy.sparse.linalg`` solvers (``lsqr``, ``lsmr``, ``cg``,
``svds`` …) work on problems whose matrix would not fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray
from scipy.sparse.linalg import LinearOperator

from ._arrays import numeric
from ._core import gather, scatter
from .spec import (
    ConvSpec,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    conv_spec,
    conv_transpose_spec,
)

__all__ = ["conv_operator", "conv_transpose_operator"]

_Apply = Callable[[NDArray[Any]], NDArray[Any]]


class _ConvOperator(LinearOperator):
    """A linear map between flattened ``in_shape`` and ``out_shape`` arrays.

    ``forward`` and ``adjoint`` take and return batched arrays ``(k, *shape)``.
    """

    def __init__(
        self,
        forward: _Apply,
        adjoint: _Apply,
        in_shape: tuple[int, ...],
        out_shape: tuple[int, ...],
        dtype: np.dtype[Any],
        spec: ConvSpec | ConvTransposeSpec,
    ) -> None:
        super().__init__(dtype=dtype, shape=(math.prod(out_shape), math.prod(in_shape)))
        self._forward, self._backward = forward, adjoint
        self.in_shape, self.out_shape, self.spec = in_shape, out_shape, spec

    def _matvec(self, x: NDArray[Any]) -> NDArray[Any]:
        return self._forward(np.asarray(x).reshape(1, *self.in_shape)).reshape(-1)

    def _rmatvec(self, y: NDArray[Any]) -> NDArray[Any]:
        return self._backward(np.asarray(y).reshape(1, *self.out_shape)).reshape(-1)

    def _matmat(self, X: NDArray[Any]) -> NDArray[Any]:
        X = np.asarray(X)  # (the sizes are spelled out: -1 cannot be inferred for 0 columns)
        Y = self._forward(X.T.reshape(X.shape[1], *self.in_shape))
        return Y.reshape(X.shape[1], self.shape[0]).T

    def _rmatmat(self, Y: NDArray[Any]) -> NDArray[Any]:
        Y = np.asarray(Y)
        X = self._backward(Y.T.reshape(Y.shape[1], *self.out_shape))
        return X.reshape(Y.shape[1], self.shape[1]).T

    def _adjoint(self) -> _ConvOperator:
        return _ConvOperator(
            self._backward, self._forward, self.out_shape, self.in_shape, self.dtype, self.spec
        )


def _weight(weight: ArrayLike, dtype: DTypeLike | None) -> NDArray[Any]:
    return numeric(weight, "weight", objects=False, dtype=dtype)


def _conj(w: NDArray[Any]) -> NDArray[Any]:
    return np.conj(w) if np.iscomplexobj(w) else w


def _crop(y: NDArray[Any], size: Sequence[int]) -> NDArray[Any]:
    """The first ``size`` positions of each spatial axis (a no-op unless it is longer)."""
    if tuple(y.shape[2:]) == tuple(size):
        return y
    return y[(Ellipsis, *(slice(0, n) for n in size))]


def _conv_pair(spec: ConvSpec, w: NDArray[Any]) -> tuple[_Apply, _Apply]:
    """Forward convolution and its adjoint, the transposed convolution reaching the input size."""
    t_spec = conv_transpose_spec(
        w.shape,
        spec.output_shape,
        stride=spec.stride,
        padding=spec.padding,
        groups=spec.groups,
        dilation=spec.dilation,
        output_size=spec.input_size,
        padding_mode=spec.padding_mode,
    )
    wh = _conj(w)
    return (lambda x: gather(x, w, spec)), (lambda y: scatter(y, wh, t_spec))


def conv_operator(
    weight: ArrayLike,
    input_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
    *,
    dtype: DTypeLike | None = None,
) -> LinearOperator:
    """The convolution as a matrix-free :class:`scipy.sparse.linalg.LinearOperator`.

    The same linear map as :func:`tconvmat.conv_matrix` (same arguments, same shape
    and row/column order) without building ``C``: ``A @ x`` is the convolution of
    ``x.reshape(input_shape)``, ``A.H @ y`` (``rmatvec``) the transposed convolution.

    Parameters
    ----------
    weight : array_like, shape (C_out, C_in/groups, *kernel)
        PyTorch conv layout.
    input_shape : sequence of int
        ``(C_in, *spatial)``.
    stride, padding, dilation, groups, padding_mode
        As in :func:`tconvmat.conv`.
    dtype : dtype, optional
        The operator's dtype (integer, floating or complex); the weight is cast to it,
        and a cast that would change its values beyond rounding (complex to real,
        fractions to integers) is refused.  Default: the weight's dtype (integer
        weights and vectors give exact integer results).

    Returns
    -------
    scipy.sparse.linalg.LinearOperator, shape (C_out·∏L_out, C_in·∏L_in)
        ``matvec``/``matmat``: convolution; ``rmatvec``/``rmatmat``: the adjoint
        (conjugated weight for complex dtypes).  Its ``spec`` attribute is the
        validated :class:`~tconvmat.spec.ConvSpec`.

    See Also
    --------
    conv_transpose_operator, tconvmat.conv_matrix

    Notes
    -----
    Each product costs one convolution, ``O(C_out·C_in/g·∏K·∏L_out)`` operations,
    and holds one input and one output in memory; ``C`` itself would hold
    ``C_out·C_in/g·∏K·∏L_out`` (less the border) stored entries.

    Examples
    --------
    Deconvolution: recover a signal from its blurred copy with ``lsqr``.

    >>> import numpy as np
    >>> from scipy.sparse.linalg import lsqr
    >>> w = np.array([[[1., 2., 1.]]]) / 4
    >>> A = conv_operator(w, (1, 8), padding=1)
    >>> A.shape
    (8, 8)
    >>> x = np.array([0., 0., 1., 0., 0., 2., 0., 0.])
    >>> b = A @ x
    >>> x_hat = lsqr(A, b, atol=1e-12, btol=1e-12)[0]
    >>> bool(np.allclose(x_hat, x))
    True

    It is ``conv_matrix`` without the matrix:

    >>> from tconvmat import conv_matrix
    >>> bool(np.array_equal(A @ x, conv_matrix(w, (1, 8), padding=1) @ x))
    True
    """
    w = _weight(weight, dtype)
    spec = conv_spec(
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
    forward, adjoint = _conv_pair(spec, w)
    return _ConvOperator(forward, adjoint, spec.input_shape, spec.output_shape, w.dtype, spec)


def conv_transpose_operator(
    weight: ArrayLike,
    input_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    output_size: Sequence[int] | None = None,
    padding_mode: str = "zeros",
    *,
    dtype: DTypeLike | None = None,
) -> LinearOperator:
    """The transposed convolution as a matrix-free :class:`~scipy.sparse.linalg.LinearOperator`.

    The linear map ``x ↦ Cᵀ x`` of :func:`tconvmat.conv_transpose_matrix` (shape
    that of ``Cᵀ``) without building ``C``: ``A @ x`` is
    :func:`tconvmat.conv_transpose` of ``x.reshape(input_shape)``, ``A.H @ y`` the
    forward convolution.

    Parameters
    ----------
    weight : array_like, shape (C_in, C_out/groups, *kernel)
        PyTorch conv-transpose layout.
    input_shape : sequence of int
        ``(C_in, *spatial)`` of the transposed convolution's input.
    stride, padding, output_padding, groups, dilation, output_size, padding_mode
        As in :func:`tconvmat.conv_transpose`.
    dtype : dtype, optional
        The operator's dtype; the weight is cast to it, as in :func:`conv_operator`.
        Default: the weight's dtype.

    Returns
    -------
    scipy.sparse.linalg.LinearOperator, shape (C_out·∏L_out, C_in·∏L_in)
        ``matvec``/``matmat``: transposed convolution; ``rmatvec``/``rmatmat``:
        the forward convolution.  ``spec`` is the :class:`~tconvmat.spec.ConvTransposeSpec`.

    See Also
    --------
    conv_operator, tconvmat.conv_transpose_matrix

    Examples
    --------
    The learner's example, kernel ``[1, 1, 1]``, input ``[1, 1]``, stride 2:

    >>> import numpy as np
    >>> A = conv_transpose_operator(np.array([[[1, 1, 1]]]), (1, 2), stride=2)
    >>> A.shape
    (5, 2)
    >>> A @ np.array([1, 1])
    array([1, 1, 2, 1, 1])
    >>> A.H @ np.array([1, 0, 0, 0, 1])
    array([1, 1])
    """
    w = _weight(weight, dtype)
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
    adjoint_spec, wh = spec.adjoint, _conj(w)

    def forward(x: NDArray[Any]) -> NDArray[Any]:
        return scatter(x, w, spec)

    def adjoint(y: NDArray[Any]) -> NDArray[Any]:
        # With output_padding ≥ stride the forward convolution reaches further than
        # the transposed one's input: keep its first input_size positions, as C does.
        return _crop(gather(y, wh, adjoint_spec), spec.input_size)

    return _ConvOperator(forward, adjoint, spec.input_shape, spec.output_shape, w.dtype, spec)
