"""The numeric kernels of every route, on validated specs and batched arrays.

``gather(spec, w, x)`` (forward convolution, im2col), ``scatter(spec, w, x)``
(transposed convolution, col2im), ``via_matrix`` (``Cᵀx``) and ``flipped`` (the
stride-1 convolution of the zero-inserted, padded input with the flipped,
channel-swapped kernel).  ``x`` is ``(N, C, *spatial)``; nothing here validates:
the public functions in :mod:`tconvmat.ops` and :mod:`tconvmat.operator` do, once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..padding import fold, pad
from ..spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    conv_spec,
    input_index,
    zero_inserted_length,
)
from .csr import transpose_matrix

__all__ = [
    "BLOCK",
    "ROUTES",
    "blocks",
    "flip_swap",
    "flipped",
    "gather",
    "scatter",
    "span",
    "stride1",
    "tap_list",
    "tap_slices",
    "taps",
    "upsample",
    "via_matrix",
]


def taps(kernel_size: tuple[int, ...]) -> Sequence[tuple[int, ...]]:
    return tap_list(tuple(kernel_size))


@functools.lru_cache(maxsize=64)
def tap_list(kernel_size: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(np.ndindex(*kernel_size))


def tap_slices(
    k: tuple[int, ...], count: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> tuple[slice, ...]:
    """Padded positions ``o·s + k·d`` for ``o < count``: a strided slice per axis."""
    return tuple(
        slice(input_index(0, ka, s, d, 0), input_index(n - 1, ka, s, d, 0) + 1, s)
        for ka, n, s, d in zip(k, count, stride, dilation)
    )


@functools.lru_cache(maxsize=256)
def blocks(
    kernel_size: tuple[int, ...],
    count: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    per_row: int,
) -> tuple[tuple[slice, tuple[tuple[slice, ...], ...]], ...]:
    """Blocks of positions along axis 0, each with its slice and every tap's padded slices.

    A block holds as many axis-0 positions as keep ``per_row`` elements each under
    :data:`BLOCK` (at least one), so the per-block buffers stay cache-sized and the
    extra memory of a route stays bounded whatever the problem size.
    """
    step = max(1, BLOCK // max(per_row, 1))
    out = []
    for lo in range(0, count[0], step):
        hi = min(count[0], lo + step)
        first = tuple(
            (
                span(lo, hi, k[0], stride[0], dilation[0]),
                *tap_slices(k[1:], count[1:], stride[1:], dilation[1:]),
            )
            for k in tap_list(kernel_size)
        )
        out.append((slice(lo, hi), first))
    return tuple(out)


def span(lo: int, hi: int, k: int, stride: int, dilation: int) -> slice:
    """Padded positions ``o·s + k·d`` for ``lo ≤ o < hi`` along one axis."""
    return slice(
        input_index(lo, k, stride, dilation, 0), input_index(hi - 1, k, stride, dilation, 0) + 1, stride
    )


BLOCK = 2**18
"""Elements of a route's per-block buffer (im2col columns, or scattered kernel copies)."""


def gather(x: NDArray[Any], w: NDArray[Any], spec: ConvSpec) -> NDArray[Any]:
    """Forward convolution (``x`` batched): im2col, one matrix product per block of rows."""
    n, g = x.shape[0], spec.groups
    c_in_g, c_out_g = spec.in_channels // g, spec.out_channels // g
    out = spec.output_size
    taps = math.prod(spec.kernel_size)
    xp = pad(x, spec.padding, spec.padding_mode)
    xg = xp.reshape(n, g, c_in_g, *xp.shape[2:])
    wg = w.reshape(g, c_out_g, c_in_g * taps)
    y = np.empty((n, g, c_out_g, *out), dtype=np.result_type(x, w))
    rest = out[1:]
    per_row = n * g * c_in_g * taps * math.prod(rest)
    for rows, tap_slices in blocks(spec.kernel_size, out, spec.stride, spec.dilation, per_row):
        m = rows.stop - rows.start
        cols = np.empty((n, g, c_in_g, taps, m, *rest), dtype=x.dtype)
        for t, sl in enumerate(tap_slices):
            cols[:, :, :, t] = xg[(Ellipsis, *sl)]
        target = y[:, :, :, rows].reshape(n, g, c_out_g, m * math.prod(rest))
        product = np.multiply if c_in_g * taps == 1 else np.matmul  # inner dimension 1: see scatter
        product(wg, cols.reshape(n, g, c_in_g * taps, m * math.prod(rest)), out=target)
    return y.reshape(n, spec.out_channels, *out)


def scatter(x: NDArray[Any], w: NDArray[Any], spec: ConvTransposeSpec) -> NDArray[Any]:
    """Transposed convolution (``x`` batched) by scattering kernel copies."""
    n, g = x.shape[0], spec.groups
    c_in_g, c_out_g = spec.in_channels // g, spec.out_channels // g
    size = spec.input_size
    taps = math.prod(spec.kernel_size)
    xg = x.reshape(n, g, c_in_g, *size)
    wt = np.swapaxes(w.reshape(g, c_in_g, c_out_g * taps), -1, -2)  # (g, c_out_g·∏K, c_in_g)
    full = spec.full_size
    buf = np.zeros((n, g, c_out_g, *full), dtype=np.result_type(x, w))
    flat = buf.reshape(n * g * c_out_g, *full)  # one leading axis: cheaper views per tap
    rest = size[1:]
    per_row = n * g * c_out_g * taps * math.prod(rest)
    for rows, tap_slices in blocks(spec.kernel_size, size, spec.stride, spec.dilation, per_row):
        m = rows.stop - rows.start
        xb = xg[:, :, :, rows].reshape(n, g, c_in_g, m * math.prod(rest))
        # every tap's copy, at once; with one input channel per group (one channel, or
        # depthwise) the product has inner dimension 1, which NumPy's matmul does slowly
        # outside BLAS (4–20× slower measured): broadcasting computes the same products
        cols = (wt * xb if c_in_g == 1 else wt @ xb).reshape(n * g * c_out_g, taps, m, *rest)
        for t, sl in enumerate(tap_slices):
            view = flat[(slice(None), *sl)]
            np.add(view, cols[:, t], out=view)  # in place; `view += …` also assigns back
    return fold(buf.reshape(n, spec.out_channels, *full), spec.padding, spec.padding_mode)


def via_matrix(x: NDArray[Any], w: NDArray[Any], spec: ConvTransposeSpec) -> NDArray[Any]:
    dtype = np.result_type(x, w)
    if dtype.kind == "O":
        raise ConvolutionSpecError(
            "method='matrix' needs numeric arrays (scipy.sparse holds no objects); "
            f"got input dtype {x.dtype}, weight dtype {w.dtype}: use method='scatter' or 'flipped'"
        )
    C = transpose_matrix(spec, w)
    y = (C.T @ x.reshape(x.shape[0], C.shape[0]).T).T
    # scipy.sparse computes float16 in float32: round back so every route returns one dtype
    return np.asarray(y).astype(dtype, copy=False).reshape(x.shape[0], *spec.output_shape)


def upsample(x: NDArray[Any], factor: Sequence[int]) -> NDArray[Any]:
    """Insert ``s − 1`` zeros between neighbours on each trailing axis."""
    lead = x.ndim - len(factor)
    size = tuple(zero_inserted_length(L, s) for L, s in zip(x.shape[lead:], factor))
    u = np.zeros(x.shape[:lead] + size, dtype=x.dtype)
    u[(Ellipsis, *(slice(None, None, s) for s in factor))] = x
    return u


def flip_swap(w: NDArray[Any], groups: int) -> NDArray[Any]:
    """``W'[g·C_out/g + a, b, κ] = W[g·C_in/g + b, a, K − 1 − κ]``."""
    c_in, c_out_g, *kernel = w.shape
    swapped = np.swapaxes(w.reshape(groups, c_in // groups, c_out_g, *kernel), 1, 2)
    flipped = np.flip(swapped, axis=tuple(range(3, 3 + len(kernel))))
    return np.ascontiguousarray(flipped.reshape(groups * c_out_g, c_in // groups, *kernel))


def stride1(
    x: NDArray[Any],
    weight: NDArray[Any],
    factor: Sequence[int],
    pads: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...],
    groups: int,
) -> NDArray[Any]:
    u = pad(upsample(x, factor), pads, "zeros")
    spec = conv_spec(weight.shape, u.shape[1:], dilation=dilation, groups=groups)
    return gather(u, weight, spec)


def flipped(x: NDArray[Any], w: NDArray[Any], spec: ConvTransposeSpec) -> NDArray[Any]:
    """The stride-1 convolution of the zero-inserted input padded by ``spec.flipped_pads``
    with the flipped, channel-swapped kernel; for non-zero padding modes the full
    (uncropped) output, then the adjoint of the padding (:func:`~tconvmat.padding.fold`)."""
    w_prime = flip_swap(w, spec.groups)
    if spec.padding_mode == "zeros":
        return stride1(x, w_prime, spec.stride, spec.flipped_pads, spec.dilation, spec.groups)
    buf = stride1(x, w_prime, spec.stride, spec.full_pads, spec.dilation, spec.groups)
    return fold(buf, spec.padding, spec.padding_mode)


ROUTES = {"scatter": scatter, "matrix": via_matrix, "flipped": flipped}
