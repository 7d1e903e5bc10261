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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._arrays import batched, bias_array, finish, weight_array
from ._core import ROUTES, flip_swap, gather, stride1
from .spec import (
    ConvolutionSpecError,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    conv_spec,
    conv_transpose_spec,
    output_size_spatial,
)

__all__ = ["EquivalentConv", "conv", "conv_transpose", "equivalent_conv"]

Method = Literal["scatter", "matrix", "flipped"]
METHODS: tuple[str, ...] = ("scatter", "matrix", "flipped")


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
def _cached(make: Any, weight_shape: Any, input_shape: Any, options: tuple[tuple[str, Any], ...]) -> Any:
    return make(weight_shape, input_shape, **dict(options))


def _spec(make: Any, weight_shape: Any, input_shape: Any, **options: Any) -> Any:
    """``make(weight_shape, input_shape, **options)``, memoised for plain arguments (small
    problems are validation-bound).

    Only exact ints, strings, None and tuples of them are keys: ``True == 1`` and
    ``2.0 == 2`` must still reach the validator, which refuses them.  Errors are
    never cached.
    """
    items = tuple(options.items())
    if _plain((weight_shape, input_shape, *(v for _, v in items))):
        return _cached(make, weight_shape, input_shape, items)
    return make(weight_shape, input_shape, **options)


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
        if not isinstance(spec, ConvTransposeSpec):
            raise ConvolutionSpecError(
                f"spec must be a ConvTransposeSpec (from tconvmat.conv_transpose_spec); "
                f"got spec of type {type(spec).__name__}"
            )
        if spec.padding_mode != "zeros":
            raise ConvolutionSpecError(
                f"the stride-1 rewrite needs padding_mode='zeros'; got padding_mode={spec.padding_mode!r}"
            )
        w = weight_array(weight, "(C_in, C_out/groups, *kernel)")
        if w.shape != spec.weight_shape:
            raise ConvolutionSpecError(
                f"weight shape must be the spec's {spec.weight_shape}; got weight shape {w.shape}"
            )
        return _equivalent(spec, w)

    def apply(self, x: ArrayLike, bias: ArrayLike | None = None) -> NDArray[Any]:
        """Run the stride-1 convolution on ``x`` (``(N, C_in, *L)`` or ``(C_in, *L)``)."""
        xb, unbatched = batched(x, self.spec.ndim, "EquivalentConv.apply")
        if xb.shape[1:] != self.spec.input_shape:
            raise ConvolutionSpecError(
                f"input must have shape (N, *{self.spec.input_shape}) or {self.spec.input_shape} "
                f"for this EquivalentConv; got input shape {np.shape(x)}"
            )
        y = stride1(xb, self.weight, self.upsample, self.pads, self.dilation, self.groups)
        return finish(y, bias_array(bias, self.spec.out_channels), unbatched, self.spec.ndim)

    def __repr__(self) -> str:
        return (
            f"EquivalentConv(upsample={self.upsample}, pads={self.pads}, "
            f"weight shape={self.weight.shape}, stride=1, dilation={self.dilation}, groups={self.groups})"
        )


def _equivalent(spec: ConvTransposeSpec, w: NDArray[Any]) -> EquivalentConv:
    return EquivalentConv(
        spec, spec.stride, spec.flipped_pads, flip_swap(w, spec.groups), spec.dilation, spec.groups
    )


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
    w = weight_array(weight, "(C_out, C_in/groups, *kernel)")
    x, unbatched = batched(input, w.ndim - 2, "conv")
    spec = _spec(
        conv_spec,
        w.shape,
        x.shape[1:],
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
    b = bias_array(bias, spec.out_channels)
    return finish(gather(x, w, spec), b, unbatched, spec.ndim)


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
    w = weight_array(weight, "(C_in, C_out/groups, *kernel)")
    x, unbatched = batched(input, w.ndim - 2, "conv_transpose")
    if output_size is not None:
        output_size = output_size_spatial(output_size, w.ndim - 2, batched=not unbatched)
    spec = _spec(
        conv_transpose_spec,
        w.shape,
        x.shape[1:],
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
        output_size=output_size,
        padding_mode=padding_mode,
    )
    b = bias_array(bias, spec.out_channels)
    route = (
        ROUTES.get("scatter" if method is None else method) if isinstance(method, (str, type(None))) else None
    )
    if route is None:
        raise ConvolutionSpecError(
            f"method must be one of {', '.join(map(repr, METHODS))}; got method={method!r}"
        )
    return finish(route(x, w, spec), b, unbatched, spec.ndim)


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
    w = weight_array(weight, "(C_in, C_out/groups, *kernel)")
    spec = conv_transpose_spec(
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
        output_size=output_size,
    )
    return _equivalent(spec, w)
