"""MLX ``mx.conv_transpose{1,2,3}d`` ↔ the canonical spec.

MLX (``mlx.core``) takes PyTorch's arguments (``stride``, symmetric ``padding``,
``dilation``, ``output_padding``, ``groups``) but channels-last layouts:

* input ``(N, *spatial, C_in)`` (a batch axis is required), output ``(N, *spatial, C_out)``;
* weight ``(C_out, *kernel, C_in/groups)``: output channel ``g·(C_out/g) + a`` holds
  PyTorch's ``weight[g·(C_in/g) + b, a]`` at input channel ``b`` (the swap is inside each
  group), no flip: :func:`weight_to_torch` / :func:`weight_from_torch`.

MLX computes ``conv_general(x, w, padding_lo = d·(K − 1) − p, padding_hi = d·(K − 1) − p
+ op, kernel_dilation = d, input_dilation = s, flip=True)``: PyTorch's numbers wherever
PyTorch accepts the arguments, with three differences that tconvmat refuses rather
than reproduces (``docs/conventions.md`` shows each):

* ``stride > 1`` with ``padding > dilation·(kernel − 1)``: the negative ``padding_lo``
  crops the input *before* zero insertion, a different map from the transposed
  convolution (and from PyTorch, which crops the output);
* ``output_padding ≥ max(stride, dilation)``: MLX appends zeros; PyTorch refuses;
* negative ``padding``: MLX pads the output with zeros; PyTorch refuses.

What MLX refuses (an empty output: "Spatial dimensions of input after padding cannot be
smaller than weight spatial dimensions"; input channels not divisible by ``groups``;
``groups > 1`` in 3-D; an unbatched input) tconvmat refuses too.

The trio, as in every convention module: :func:`spec_from_mlx`, :func:`to_mlx` and the
signature function :func:`conv_transpose` (with :func:`conv_transpose1d` …
:func:`conv_transpose3d`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..spec import ConvolutionSpecError, ConvTransposeSpec, conv_transpose_spec, reach
from ._common import apply, fmt, ints

__all__ = [
    "conv_transpose",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "spec_from_mlx",
    "to_mlx",
    "weight_from_torch",
    "weight_to_torch",
]


def weight_to_torch(weight: ArrayLike, groups: int = 1) -> NDArray[Any]:
    """MLX ``(C_out, *k, C_in/g)`` → PyTorch conv-transpose ``(C_in, C_out/g, *k)``.

    Examples
    --------
    >>> w = np.arange(2 * 3 * 4).reshape(4, 3, 2)          # C_out=4, K=3, C_in/g=2
    >>> weight_to_torch(w, groups=2).shape
    (4, 2, 3)
    >>> bool(np.array_equal(weight_from_torch(weight_to_torch(w, 2), 2), w))
    True
    """
    w = np.asarray(weight)
    c_out, *k, c_in_g = w.shape
    if groups <= 0 or c_out % groups:
        raise ConvolutionSpecError(
            f"weight output channels must be divisible by groups; got weight shape {w.shape}, groups={groups}"
        )
    per = w.reshape(groups, c_out // groups, *k, c_in_g)  # (g, a, *k, b)
    t = np.moveaxis(per, -1, 1)  # (g, b, a, *k)
    return np.ascontiguousarray(t.reshape(groups * c_in_g, c_out // groups, *k))


def weight_from_torch(weight: ArrayLike, groups: int = 1) -> NDArray[Any]:
    """PyTorch conv-transpose ``(C_in, C_out/g, *k)`` → MLX ``(C_out, *k, C_in/g)``."""
    w = np.asarray(weight)
    c_in, c_out_g, *k = w.shape
    if groups <= 0 or c_in % groups:
        raise ConvolutionSpecError(
            f"weight input channels must be divisible by groups; got weight shape {w.shape}, groups={groups}"
        )
    per = w.reshape(groups, c_in // groups, c_out_g, *k)  # (g, b, a, *k)
    t = np.moveaxis(per, 1, -1)  # (g, a, *k, b)
    return np.ascontiguousarray(t.reshape(groups * c_out_g, *k, c_in // groups))


def spec_from_mlx(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    output_padding: Any = 0,
    groups: int = 1,
) -> ConvTransposeSpec:
    """The canonical spec of ``mx.conv_transpose{n}d(input, weight, …)``.

    Parameters
    ----------
    input_shape : sequence of int
        ``(N, *spatial, C_in)``.
    weight_shape : sequence of int
        ``(C_out, *kernel, C_in/groups)``.
    stride, padding, dilation, output_padding : int or tuple
    groups : int

    Raises
    ------
    ConvolutionSpecError
        What MLX refuses, and the three cases where MLX's result is not the
        transposed convolution (see the module notes).

    Examples
    --------
    >>> spec = spec_from_mlx((1, 4, 2), (3, 3, 2), stride=2, padding=1, output_padding=1)
    >>> spec.weight_shape, spec.output_size
    ((2, 3, 3), (8,))
    >>> spec_from_mlx((1, 4, 1), (1, 2, 1), stride=2, padding=2)
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: padding must not exceed dilation·(kernel − 1) = (1,) where stride > 1: MLX then crops the input before zero insertion, which is not the transposed convolution (PyTorch crops the output); got padding=(2,), stride=(2,), dilation=(1,) (axis 0)
    """
    w = tuple(int(n) for n in weight_shape)
    x = tuple(int(n) for n in input_shape)
    ndim = len(w) - 2
    if ndim not in (1, 2, 3) or len(x) != ndim + 2:
        raise ConvolutionSpecError(
            f"MLX takes inputs (N, *spatial, C_in) with 1-3 spatial axes and a weight (C_out, *kernel, C_in/groups) "
            f"of the same rank; got input shape {x}, weight shape {w}"
        )
    s = ints(stride, "stride", ndim)
    p = ints(padding, "padding", ndim)
    d = ints(dilation, "dilation", ndim)
    op = ints(output_padding, "output_padding", ndim)
    kernel = w[1:-1]
    if groups <= 0 or x[-1] % groups or x[-1] != w[-1] * groups:
        raise ConvolutionSpecError(
            f"input channels must equal weight.shape[-1] · groups = {w[-1]} · {groups} (MLX: 'The input channels "
            f"must be divisible by the number of groups'); got input shape {x}, weight shape {w}"
        )
    if groups != 1 and ndim == 3:
        raise ConvolutionSpecError(
            f"MLX has groups for 1-D and 2-D transposed convolutions only ('Can only handle groups != 1 in 1D "
            f"or 2D convolutions'); got groups={groups} with 3 spatial axes"
        )
    if any(v < 0 for v in p):
        raise ConvolutionSpecError(
            f"padding must not be negative (MLX pads the output with zeros then; PyTorch refuses); got padding={fmt(p)}"
        )
    reaches = tuple(reach(K, dd) for K, dd in zip(kernel, d))
    for axis, (pa, sa, r) in enumerate(zip(p, s, reaches)):
        if sa > 1 and pa > r:
            raise ConvolutionSpecError(
                f"padding must not exceed dilation·(kernel − 1) = {fmt(reaches)} where stride > 1: MLX then crops "
                f"the input before zero insertion, which is not the transposed convolution (PyTorch crops the "
                f"output); got padding={fmt(p)}, stride={fmt(s)}, dilation={fmt(d)} (axis {axis})"
            )
    torch_weight = (x[-1], w[0] // groups, *kernel)
    return conv_transpose_spec(
        torch_weight, (x[-1], *x[1:-1]), stride=s, padding=p, output_padding=op, groups=groups, dilation=d
    )


def conv_transpose(
    input: ArrayLike,
    weight: ArrayLike,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    output_padding: Any = 0,
    groups: int = 1,
) -> NDArray[Any]:
    """``mx.conv_transpose{1,2,3}d`` on NumPy arrays (channels last).

    Examples
    --------
    >>> x = np.array([1.0, 2.0]).reshape(1, 2, 1); w = np.array([1.0, 10.0, 100.0]).reshape(1, 3, 1)
    >>> conv_transpose(x, w, stride=2)[0, :, 0]
    array([  1.,  10., 102.,  20., 200.])
    """
    xa, wa = np.asarray(input), np.asarray(weight)
    spec = spec_from_mlx(xa.shape, wa.shape, stride, padding, dilation, output_padding, groups)
    y = apply(spec, np.moveaxis(xa, -1, 1), weight_to_torch(wa, groups))
    return np.moveaxis(y, 1, -1)


def _ranked(n: int) -> Any:
    def f(
        input: ArrayLike,
        weight: ArrayLike,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        output_padding: Any = 0,
        groups: int = 1,
    ) -> NDArray[Any]:
        if np.ndim(weight) != n + 2:
            raise ConvolutionSpecError(
                f"conv_transpose{n}d needs a {n + 2}-d weight (C_out, *kernel, C_in/groups); got weight shape "
                f"{np.shape(weight)}"
            )
        return conv_transpose(input, weight, stride, padding, dilation, output_padding, groups)

    f.__name__ = f.__qualname__ = f"conv_transpose{n}d"
    f.__doc__ = f"``mx.conv_transpose{n}d`` on NumPy arrays: :func:`conv_transpose` for {n} spatial axes."
    return f


conv_transpose1d = _ranked(1)
conv_transpose2d = _ranked(2)
conv_transpose3d = _ranked(3)


def to_mlx(spec: ConvTransposeSpec) -> dict[str, Any]:
    """``mx.conv_transpose{n}d`` keyword arguments for ``spec`` (pass the weight through
    :func:`weight_from_torch` and the input channels last).

    Raises
    ------
    ConvolutionSpecError
        For asymmetric crops (MLX has one padding per axis), a ``padding_mode`` other
        than zeros, more than 3 spatial axes, or a crop MLX computes differently
        (``stride > 1`` and ``padding > dilation·(kernel − 1)``).

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> to_mlx(conv_transpose_spec((4, 3, 3), (4, 5), stride=2, padding=1, output_padding=1, groups=2))
    {'stride': (2,), 'padding': (1,), 'dilation': (1,), 'output_padding': (1,), 'groups': 2}
    """
    if spec.padding_mode != "zeros" or spec.ndim > 3:
        raise ConvolutionSpecError(
            f"MLX conv_transpose pads with zeros and has 1-3 spatial axes; got padding_mode={spec.padding_mode!r}, "
            f"{spec.ndim} axes"
        )
    for axis, (b, a) in enumerate(spec.padding):
        if b != a:
            raise ConvolutionSpecError(
                f"MLX conv_transpose cannot express asymmetric padding; got padding={spec.padding} (axis {axis})"
            )
    kw = {
        "stride": spec.stride,
        "padding": tuple(b for b, _ in spec.padding),
        "dilation": spec.dilation,
        "output_padding": spec.output_padding,
        "groups": spec.groups,
    }
    shape = (1, *spec.input_size, spec.in_channels)
    spec_from_mlx(shape, (spec.out_channels, *spec.kernel_size, spec.in_channels // spec.groups), **kw)
    return kw
