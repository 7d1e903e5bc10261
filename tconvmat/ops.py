"""Convolution and transposed convolution on NumPy arrays, by three routes.

``conv_transpose`` has three independent implementations, each a test oracle for the
others:

``"scatter"`` (default, fastest)
    every input element adds a scaled copy of the kernel at offset ``i·s − p`` — one
    matrix product for all taps, then one strided add per tap (col2im);
``"matrix"``
    ``y = Cᵀ x`` through :func:`tconvmat.conv_transpose_matrix`;
``"flipped"``
    the stride-1 convolution of the zero-inserted, padded input with the flipped,
    channel-swapped kernel (:func:`equivalent_conv`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._arrays import numeric
from .matrix import _transpose_matrix
from .padding import fold, pad
from .spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    conv_spec,
    conv_transpose_spec,
    input_index,
    output_size_spatial,
)

__all__ = ["EquivalentConv", "conv", "conv_transpose", "equivalent_conv"]

Method = Literal["scatter", "matrix", "flipped"]
METHODS: tuple[str, ...] = ("scatter", "matrix", "flipped")


def _weight(weight: ArrayLike, layout: str) -> NDArray[Any]:
    w = numeric(weight, "weight")
    if w.ndim < 3:
        raise ConvolutionSpecError(
            f"weight must have at least 3 dimensions {layout}; got weight shape {w.shape}"
        )
    return w


def _batched(x: ArrayLike, ndim: int, fn: str) -> tuple[NDArray[Any], bool]:
    """``(N, C, *spatial)`` view of ``x`` and whether it came unbatched."""
    a = numeric(x, "input")
    if a.ndim == ndim + 2:
        return a, False
    if a.ndim == ndim + 1:
        return a[None], True
    raise ConvolutionSpecError(
        f"input to {fn} with a {ndim + 2}-d weight must be {ndim + 1}-d (C, *spatial) or "
        f"{ndim + 2}-d (N, C, *spatial); got input shape {a.shape}"
    )


def _bias(bias: ArrayLike | None, channels: int) -> NDArray[Any] | None:
    if bias is None:
        return None
    b = numeric(bias, "bias")
    if b.shape != (channels,):
        raise ConvolutionSpecError(
            f"bias must be 1-d with out_channels={channels} elements; got bias shape {b.shape}"
        )
    return b


def _finish(y: NDArray[Any], bias: NDArray[Any] | None, unbatched: bool, ndim: int) -> NDArray[Any]:
    if bias is not None:
        y = y + bias.reshape((-1,) + (1,) * ndim)
    return y[0] if unbatched else y


def _taps(kernel_size: tuple[int, ...]) -> Sequence[tuple[int, ...]]:
    return _tap_list(tuple(kernel_size))


@functools.lru_cache(maxsize=64)
def _tap_list(kernel_size: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    return tuple(np.ndindex(*kernel_size))


def _tap_slices(
    k: tuple[int, ...], count: Sequence[int], stride: Sequence[int], dilation: Sequence[int]
) -> tuple[slice, ...]:
    """Padded positions ``o·s + k·d`` for ``o < count``: a strided slice per axis."""
    return tuple(
        slice(input_index(0, ka, s, d, 0), input_index(n - 1, ka, s, d, 0) + 1, s)
        for ka, n, s, d in zip(k, count, stride, dilation)
    )


@functools.lru_cache(maxsize=256)
def _blocks(
    kernel_size: tuple[int, ...],
    count: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    per_row: int,
) -> tuple[tuple[slice, tuple[tuple[slice, ...], ...]], ...]:
    """Blocks of positions along axis 0, each with its slice and every tap's padded slices.

    A block holds as many axis-0 positions as keep ``per_row`` elements each under
    :data:`_BLOCK` (at least one), so the per-block buffers stay cache-sized and the
    extra memory of a route stays bounded whatever the problem size.
    """
    step = max(1, _BLOCK // max(per_row, 1))
    out = []
    for lo in range(0, count[0], step):
        hi = min(count[0], lo + step)
        first = tuple(
            (
                _span(lo, hi, k[0], stride[0], dilation[0]),
                *_tap_slices(k[1:], count[1:], stride[1:], dilation[1:]),
            )
            for k in _tap_list(kernel_size)
        )
        out.append((slice(lo, hi), first))
    return tuple(out)


def _span(lo: int, hi: int, k: int, stride: int, dilation: int) -> slice:
    """Padded positions ``o·s + k·d`` for ``lo ≤ o < hi`` along one axis."""
    return slice(
        input_index(lo, k, stride, dilation, 0), input_index(hi - 1, k, stride, dilation, 0) + 1, stride
    )


_BLOCK = 2**18
"""Elements of a route's per-block buffer (im2col columns, or scattered kernel copies)."""


def _plain(value: Any) -> bool:
    """Built from exact ``int``/``str``/``None`` only, so equal means identical to the validator."""
    t = type(value)
    if t is int or t is str or value is None:
        return True
    if t is not tuple:
        return False
    for v in value:  # a loop, not all(generator): this runs on every call (~4× faster)
        t = type(v)
        if not (t is int or t is str or v is None or (t is tuple and _plain(v))):
            return False
    return True


@functools.lru_cache(maxsize=256)
def _cached(make: Any, *args: Any) -> Any:
    return make(*args)


def _spec(make: Any, *args: Any) -> Any:
    """``make(*args)``, memoised for plain arguments (small problems are validation-bound).

    Only exact ints, strings, None and tuples of them are keys: ``True == 1`` and
    ``2.0 == 2`` must still reach the validator, which refuses them.  Errors are
    never cached.
    """
    return _cached(make, *args) if _plain(args) else make(*args)


def _gather(x: NDArray[Any], w: NDArray[Any], spec: ConvSpec) -> NDArray[Any]:
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
    for rows, tap_slices in _blocks(spec.kernel_size, out, spec.stride, spec.dilation, per_row):
        m = rows.stop - rows.start
        cols = np.empty((n, g, c_in_g, taps, m, *rest), dtype=x.dtype)
        for t, sl in enumerate(tap_slices):
            cols[:, :, :, t] = xg[(Ellipsis, *sl)]
        target = y[:, :, :, rows].reshape(n, g, c_out_g, m * math.prod(rest))
        product = np.multiply if c_in_g * taps == 1 else np.matmul  # inner dimension 1: see _scatter
        product(wg, cols.reshape(n, g, c_in_g * taps, m * math.prod(rest)), out=target)
    return y.reshape(n, spec.out_channels, *out)


def _scatter(x: NDArray[Any], w: NDArray[Any], spec: ConvTransposeSpec) -> NDArray[Any]:
    """Transposed convolution (``x`` batched) by scattering kernel copies."""
    n, g = x.shape[0], spec.groups
    c_in_g, c_out_g = spec.in_channels // g, spec.out_channels // g
    size = spec.input_size
    taps = math.prod(spec.kernel_size)
    xg = x.reshape(n, g, c_in_g, *size)
    wt = np.swapaxes(w.reshape(g, c_in_g, c_out_g * taps), -1, -2)  # (g, c_out_g·∏K, c_in_g)
    full = tuple(L + pb + pa for L, (pb, pa) in zip(spec.output_size, spec.padding))
    buf = np.zeros((n, g, c_out_g, *full), dtype=np.result_type(x, w))
    flat = buf.reshape(n * g * c_out_g, *full)  # one leading axis: cheaper views per tap
    rest = size[1:]
    per_row = n * g * c_out_g * taps * math.prod(rest)
    for rows, tap_slices in _blocks(spec.kernel_size, size, spec.stride, spec.dilation, per_row):
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


def _via_matrix(x: NDArray[Any], w: NDArray[Any], spec: ConvTransposeSpec) -> NDArray[Any]:
    dtype = np.result_type(x, w)
    if dtype.kind == "O":
        raise ConvolutionSpecError(
            "method='matrix' needs numeric arrays (scipy.sparse holds no objects); "
            f"got input dtype {x.dtype}, weight dtype {w.dtype}: use method='scatter' or 'flipped'"
        )
    C = _transpose_matrix(spec, w)
    y = (C.T @ x.reshape(x.shape[0], C.shape[0]).T).T
    # scipy.sparse computes float16 in float32: round back so every route returns one dtype
    return np.asarray(y).astype(dtype, copy=False).reshape(x.shape[0], *spec.output_shape)


def _upsample(x: NDArray[Any], factor: Sequence[int]) -> NDArray[Any]:
    """Insert ``s − 1`` zeros between neighbours on each trailing axis."""
    lead = x.ndim - len(factor)
    size = tuple((L - 1) * s + 1 for L, s in zip(x.shape[lead:], factor))
    u = np.zeros(x.shape[:lead] + size, dtype=x.dtype)
    u[(Ellipsis, *(slice(None, None, s) for s in factor))] = x
    return u


def _flip_swap(w: NDArray[Any], groups: int) -> NDArray[Any]:
    """``W'[g·C_out/g + a, b, κ] = W[g·C_in/g + b, a, K − 1 − κ]``."""
    c_in, c_out_g, *kernel = w.shape
    swapped = np.swapaxes(w.reshape(groups, c_in // groups, c_out_g, *kernel), 1, 2)
    flipped = np.flip(swapped, axis=tuple(range(3, 3 + len(kernel))))
    return np.ascontiguousarray(flipped.reshape(groups * c_out_g, c_in // groups, *kernel))


def _stride1(
    x: NDArray[Any],
    weight: NDArray[Any],
    factor: Sequence[int],
    pads: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...],
    groups: int,
) -> NDArray[Any]:
    u = pad(_upsample(x, factor), pads, "zeros")
    spec = conv_spec(weight.shape, u.shape[1:], dilation=dilation, groups=groups)
    return _gather(u, weight, spec)


@dataclass(frozen=True, eq=False)
class EquivalentConv:
    """The stride-1 convolution equal to a transposed convolution.

    ``conv_transpose(x) == conv(pad(upsample(x, upsample), pads), weight,
    stride=1, padding=0, dilation=dilation, groups=groups)``.

    Attributes
    ----------
    spec : ConvTransposeSpec
        The transposed convolution this replaces.
    upsample : tuple of int
        Zero-insertion factor per axis (= the stride): ``s − 1`` zeros between
        neighbours, length ``(L − 1)·s + 1``.
    pads : tuple of (before, after) pairs
        ``(d·(K−1) − p_before, d·(K−1) − p_after + output_padding)`` per axis, applied
        to the zero-inserted input; negative means crop.  Pad first, then crop (as JAX
        does; :meth:`apply` does): where a crop reaches past the zero-inserted input and
        the other side pads, cropping first would ask for a negative length.
    weight : ndarray, shape (C_out, C_in/groups, *kernel)
        Conv layout: every spatial axis flipped, in/out channels swapped per group.
    dilation : tuple of int
    groups : int

    Examples
    --------
    >>> eq = equivalent_conv(np.array([[[1, 2, 3]]]), (1, 2), stride=2)
    >>> eq.upsample, eq.pads, eq.weight.tolist()
    ((2,), ((2, 2),), [[[3, 2, 1]]])
    >>> eq.apply(np.array([[1, 10]]))
    array([[ 1,  2, 13, 20, 30]])
    """

    spec: ConvTransposeSpec
    upsample: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    weight: NDArray[Any]
    dilation: tuple[int, ...]
    groups: int

    @classmethod
    def from_spec(cls, spec: ConvTransposeSpec, weight: ArrayLike) -> EquivalentConv:
        """The rewrite of a validated spec, e.g. one read from an ONNX node or a module.

        Every field of the spec (stride, padding, output_padding, dilation, groups) is
        used, so none can be dropped by copying them one by one.

        Examples
        --------
        >>> spec = conv_transpose_spec((1, 1, 3), (1, 2), stride=2, dilation=2, output_padding=1)
        >>> EquivalentConv.from_spec(spec, np.array([[[1, 2, 3]]])).pads
        ((4, 5),)
        """
        if spec.padding_mode != "zeros":
            raise ConvolutionSpecError(
                f"the stride-1 rewrite needs padding_mode='zeros'; got padding_mode={spec.padding_mode!r}"
            )
        w = _weight(weight, "(C_in, C_out/groups, *kernel)")
        if w.shape != spec.weight_shape:
            raise ConvolutionSpecError(
                f"weight shape must be the spec's {spec.weight_shape}; got weight shape {w.shape}"
            )
        return _equivalent(spec, w)

    def apply(self, x: ArrayLike, bias: ArrayLike | None = None) -> NDArray[Any]:
        """Run the stride-1 convolution on ``x`` (``(N, C_in, *L)`` or ``(C_in, *L)``)."""
        xb, unbatched = _batched(x, self.spec.ndim, "EquivalentConv.apply")
        if xb.shape[1:] != self.spec.input_shape:
            raise ConvolutionSpecError(
                f"input must have shape (N, *{self.spec.input_shape}) or {self.spec.input_shape} "
                f"for this EquivalentConv; got input shape {np.shape(x)}"
            )
        y = _stride1(xb, self.weight, self.upsample, self.pads, self.dilation, self.groups)
        return _finish(y, _bias(bias, self.spec.out_channels), unbatched, self.spec.ndim)

    def __repr__(self) -> str:
        return (
            f"EquivalentConv(upsample={self.upsample}, pads={self.pads}, "
            f"weight shape={self.weight.shape}, stride=1, dilation={self.dilation}, groups={self.groups})"
        )


def _equivalent(spec: ConvTransposeSpec, w: NDArray[Any]) -> EquivalentConv:
    return EquivalentConv(
        spec, spec.stride, spec.flipped_pads, _flip_swap(w, spec.groups), spec.dilation, spec.groups
    )


def _flipped(x: NDArray[Any], w: NDArray[Any], spec: ConvTransposeSpec) -> NDArray[Any]:
    if spec.padding_mode == "zeros":
        eq = _equivalent(spec, w)
        return _stride1(x, eq.weight, eq.upsample, eq.pads, eq.dilation, eq.groups)
    # Non-zero modes: the full (uncropped) output, then the adjoint of the padding.
    full = tuple(
        (d * (K - 1), d * (K - 1) + op)
        for K, d, op in zip(spec.kernel_size, spec.dilation, spec.output_padding)
    )
    buf = _stride1(x, _flip_swap(w, spec.groups), spec.stride, full, spec.dilation, spec.groups)
    return fold(buf, spec.padding, spec.padding_mode)


_ROUTES = {"scatter": _scatter, "matrix": _via_matrix, "flipped": _flipped}


def conv(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> NDArray[Any]:
    """N-d convolution (cross-correlation), as ``torch.nn.functional.conv*d``.

    Parameters
    ----------
    input : array_like, shape (N, C_in, *spatial) or (C_in, *spatial)
    weight : array_like, shape (C_out, C_in/groups, *kernel)
        The number of spatial axes is ``weight.ndim − 2`` (1, 2, 3 or more).
    bias : array_like, shape (C_out,), optional
    stride, dilation : int or sequence of int
    padding : int, sequence of int, sequence of (before, after) pairs, "same" or "valid"
        ``(before, after)`` pairs go beyond PyTorch.
    groups : int
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        As the ``padding_mode`` of ``torch.nn.Conv*d``.

    Returns
    -------
    ndarray, shape (N, C_out, *L_out) or (C_out, *L_out)
        dtype ``np.result_type(input, weight, bias)``: integers stay exact.

    Notes
    -----
    ``y[n, c, o] = Σ_{c', k} w[c, c', k] · x_pad[n, g·C_in/g + c', o·s + k·d]`` with
    ``L_out = ⌊(L + p_before + p_after − d·(K − 1) − 1)/s⌋ + 1``.

    Examples
    --------
    >>> conv(np.array([[1, 2, 3, 4]]), np.array([[[1, 0, -1]]]), padding=1)
    array([[-2, -2, -2,  3]])
    """
    w = _weight(weight, "(C_out, C_in/groups, *kernel)")
    x, unbatched = _batched(input, w.ndim - 2, "conv")
    spec = _spec(conv_spec, w.shape, x.shape[1:], stride, padding, dilation, groups, padding_mode)
    b = _bias(bias, spec.out_channels)
    return _finish(_gather(x, w, spec), b, unbatched, spec.ndim)


def conv_transpose(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    output_size: Sequence[int] | None = None,
    padding_mode: str = "zeros",
    *,
    method: Method | None = None,
) -> NDArray[Any]:
    """N-d transposed convolution, as ``torch.nn.functional.conv_transpose*d``.

    Parameters
    ----------
    input : array_like, shape (N, C_in, *spatial) or (C_in, *spatial)
    weight : array_like, shape (C_in, C_out/groups, *kernel)
    bias : array_like, shape (C_out,), optional
    stride, output_padding, dilation : int or sequence of int
        ``output_padding`` must be smaller than stride or dilation on each axis.
    padding : int, sequence of int, or sequence of (before, after) pairs
        Cropped from the ends of the full output; pairs go beyond PyTorch.
    groups : int
    output_size : sequence of int, optional
        As in ``torch.nn.ConvTranspose*d.forward``: resolves (and replaces)
        ``output_padding``; may include the batch and channel axes.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        Beyond PyTorch (which refuses non-zero modes here): the exact adjoint of the
        convolution padded with that mode, i.e. its autograd VJP.
    method : {"scatter", "matrix", "flipped"}, optional
        The route (default ``"scatter"``, the fastest); all three agree exactly on
        integers, and to rounding otherwise (they sum in different orders).

    Returns
    -------
    ndarray, shape (N, C_out, *L_out) or (C_out, *L_out)
        ``L_out = (L − 1)·s − p_before − p_after + d·(K − 1) + output_padding + 1``.

    Examples
    --------
    The learner's example: kernel ``[1, 1, 1]``, input ``[1, 1]``, stride 2.

    >>> x = np.array([[[1., 1.]]]); w = np.array([[[1., 1., 1.]]])
    >>> conv_transpose(x, w, stride=2)
    array([[[1., 1., 2., 1., 1.]]])
    >>> conv_transpose(x, w, stride=4, method="flipped")
    array([[[1., 1., 1., 0., 1., 1., 1.]]])
    """
    w = _weight(weight, "(C_in, C_out/groups, *kernel)")
    x, unbatched = _batched(input, w.ndim - 2, "conv_transpose")
    if output_size is not None:
        output_size = output_size_spatial(output_size, w.ndim - 2, batched=not unbatched)
    spec = _spec(
        conv_transpose_spec,
        w.shape,
        x.shape[1:],
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        output_size,
        padding_mode,
    )
    b = _bias(bias, spec.out_channels)
    route = _ROUTES.get(method or "scatter")
    if route is None:
        raise ConvolutionSpecError(
            f"method must be one of {', '.join(map(repr, METHODS))}; got method={method!r}"
        )
    return _finish(route(x, w, spec), b, unbatched, spec.ndim)


def equivalent_conv(
    weight: ArrayLike,
    input_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    output_size: Sequence[int] | None = None,
) -> EquivalentConv:
    """The stride-1 convolution that equals a transposed convolution.

    ``conv_transpose(x; W, s, p, d, op, g)`` equals the convolution, with stride 1,
    no padding, dilation ``d`` and groups ``g``, of ``x`` with ``s − 1`` zeros
    inserted between neighbours, padded by ``P_l = d·(K−1) − p_before`` and
    ``P_r = d·(K−1) − p_after + op`` (negative: crop), with the kernel flipped on
    every spatial axis and its in/out channels swapped inside each group.

    Parameters
    ----------
    weight : array_like, shape (C_in, C_out/groups, *kernel)
    input_shape : sequence of int
        ``(C_in, *spatial)`` of the transposed convolution's input.
    stride, padding, output_padding, groups, dilation, output_size
        As in :func:`conv_transpose` (zero padding only).

    Returns
    -------
    EquivalentConv

    Examples
    --------
    >>> eq = equivalent_conv(np.ones((4, 3, 3, 3)), (4, 5, 5), stride=2, padding=1, output_padding=1, groups=2)
    >>> eq.upsample, eq.pads, eq.weight.shape
    ((2, 2), ((1, 2), (1, 2)), (6, 2, 3, 3))
    >>> x = np.arange(100.).reshape(4, 5, 5)
    >>> w = np.arange(108.).reshape(4, 3, 3, 3)
    >>> eq = equivalent_conv(w, x.shape, stride=2, padding=1, output_padding=1, groups=2)
    >>> bool(np.array_equal(eq.apply(x), conv_transpose(x, w, stride=2, padding=1, output_padding=1, groups=2)))
    True
    """
    w = _weight(weight, "(C_in, C_out/groups, *kernel)")
    spec = conv_transpose_spec(
        w.shape, input_shape, stride, padding, output_padding, groups, dilation, output_size
    )
    return _equivalent(spec, w)
