"""TensorFlow ``tf.nn.conv_transpose`` / ``conv{1,2,3}d_transpose`` ↔ the canonical spec.

TensorFlow defines the transposed convolution as the gradient of ``tf.nn.conv*d``
with respect to its input: the forward convolution runs on a tensor of
``output_shape``, with TF's padding, and must produce the input's shape.  Its
padding (TF ``GetWindowedOutputSizeVerbose``, ``tensorflow/core/framework/kernel_shape_util.cc``)
is, per spatial axis with ``K_eff = (K − 1)·d + 1`` and forward input ``L_out``:

* ``'VALID'``: no padding; the forward output is ``⌈(L_out − K_eff + 1) / s⌉``;
* ``'SAME'``: forward output ``⌈L_out / s⌉``, padding
  ``P = max(0, (⌈L_out/s⌉ − 1)·s + K_eff − L_out)``, ``P // 2`` before and the rest after;
* explicit ``[[before, after], …]`` pairs (one per dimension of ``input``, zeros for
  the batch and channel dimensions).

So the canonical spec has crops = that forward padding and ``output_size = L_out``
(which fixes ``output_padding``), and TF refuses an ``output_shape`` whose forward
output is not the input's size: so does tconvmat.  Filters are ``[*k, out, in]``
(for ``conv_transpose``), i.e. the forward convolution's ``[*k, in_fwd, out_fwd]``;
no flip, so ``W_torch = filters.transpose(n+1, n, 0, …, n−1)``.

The TensorFlow CPU kernels refuse channels-first layouts ("Conv2DCustomBackpropInputOp only
supports NHWC"); tconvmat computes them (the channels-last answer, transposed).  They also
refuse ``dilations > 1`` ("Current CPU implementations do
not yet support dilation rates larger than 1"); the definition holds for them all the same
(TF's GPU kernels and the gradient of ``tf.nn.convolution`` compute it), so tconvmat
computes it: the tests check those cases against TF's own ``GradientTape`` gradient of
the dilated forward convolution.

The trio, as in every convention module: :func:`spec_from_tf`, :func:`to_tf` and the
signature functions :func:`conv_transpose`, :func:`conv1d_transpose`,
:func:`conv2d_transpose`, :func:`conv3d_transpose`.  Keras lives in
:mod:`tconvmat.conventions.keras`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..spec import (
    ConvolutionSpecError,
    ConvTransposeSpec,
    conv_output_length,
    conv_transpose_spec,
    same_split,
    same_total_padding,
)
from ._common import apply, fmt, ints

__all__ = [
    "channels_first_to_last",
    "channels_last_to_first",
    "conv1d_transpose",
    "conv2d_transpose",
    "conv3d_transpose",
    "conv_transpose",
    "filters_from_torch",
    "filters_to_torch",
    "spec_from_tf",
    "to_tf",
]

Pairs = tuple[tuple[int, int], ...]


# ---------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------


def channels_last_to_first(x: ArrayLike) -> NDArray[Any]:
    """``(N, *spatial, C)`` → ``(N, C, *spatial)`` (NHWC → NCHW, any rank ≥ 3).

    Examples
    --------
    >>> channels_last_to_first(np.zeros((2, 5, 6, 3))).shape
    (2, 3, 5, 6)
    """
    a = np.asarray(x)
    return np.moveaxis(a, -1, 1)


def channels_first_to_last(x: ArrayLike) -> NDArray[Any]:
    """``(N, C, *spatial)`` → ``(N, *spatial, C)`` (NCHW → NHWC).

    Examples
    --------
    >>> channels_first_to_last(np.zeros((2, 3, 5, 6))).shape
    (2, 5, 6, 3)
    """
    return np.moveaxis(np.asarray(x), 1, -1)


def filters_to_torch(filters: ArrayLike) -> NDArray[Any]:
    """TF/Keras filters → PyTorch weight layout: ``[*k, a, b]`` → ``(b, a, *k)``.

    ``[*k, out, in]`` (``conv_transpose``, ``Conv*DTranspose``) → ``(in, out, *k)``;
    ``[*k, in, out]`` (``conv*d``, ``Conv*D``) → ``(out, in, *k)``: the same axis
    permutation in both cases, and no flip.

    Examples
    --------
    >>> filters_to_torch(np.zeros((3, 3, 8, 4))).shape
    (4, 8, 3, 3)
    """
    f = np.asarray(filters)
    n = f.ndim - 2
    return np.ascontiguousarray(np.transpose(f, (n + 1, n, *range(n))))


def filters_from_torch(weight: ArrayLike) -> NDArray[Any]:
    """PyTorch weight layout → TF/Keras filters (the inverse of :func:`filters_to_torch`).

    Examples
    --------
    >>> w = np.arange(24).reshape(4, 2, 3)
    >>> bool(np.array_equal(filters_to_torch(filters_from_torch(w)), w))
    True
    """
    w = np.asarray(weight)
    n = w.ndim - 2
    return np.ascontiguousarray(np.transpose(w, (*range(2, n + 2), 1, 0)))


def _data_format(data_format: str | None, ndim: int) -> bool:
    """True for channels-last."""
    if data_format is None:
        return True
    last = {"NWC": 1, "NHWC": 2, "NDHWC": 3}
    first = {"NCW": 1, "NCHW": 2, "NCDHW": 3}
    if data_format in last or data_format in first:
        n = last.get(data_format, first.get(data_format))
        if n != ndim:
            raise ConvolutionSpecError(
                f"data_format={data_format!r} is for {n} spatial axes; the filters have {ndim}"
            )
        return data_format in last
    raise ConvolutionSpecError(
        f"data_format must be one of {', '.join(map(repr, [*last, *first]))}; got data_format={data_format!r}"
    )


def _tf_per_axis(value: Any, name: str, ndim: int, channels_last: bool) -> tuple[int, ...]:
    """TF's int / length-1 / length-n / length-(n+2) convention for strides and dilations."""
    if value is None:
        return (1,) * ndim
    items = tuple(int(v) for v in np.asarray(value).reshape(-1).tolist())
    if len(items) == ndim + 2:
        outer = (items[0], items[-1]) if channels_last else (items[0], items[1])
        if outer != (1, 1):
            raise ConvolutionSpecError(
                f"{name} on the batch and channel dimensions must be 1; got {name}={list(items)}"
            )
        items = items[1:-1] if channels_last else items[2:]
    return ints(items, name, ndim)


# ---------------------------------------------------------------------------
# tf.nn.conv_transpose
# ---------------------------------------------------------------------------


def _tf_padding(
    padding: Any,
    out: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    channels_last: bool,
) -> Pairs:
    """The forward convolution's padding on an input of spatial size ``out``."""
    ndim = len(out)
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return ((0, 0),) * ndim
        if mode == "SAME":
            return tuple(
                same_split(same_total_padding(L, K, s, d))
                for L, K, s, d in zip(out, kernel, stride, dilation)
            )
        raise ConvolutionSpecError(
            f"padding must be 'SAME', 'VALID' or explicit pairs; got padding={padding!r}"
        )
    if ndim != 2:
        raise ConvolutionSpecError(
            f"explicit padding pairs are for 2 spatial axes only (TF's conv1d_transpose and conv3d_transpose "
            f"take 'SAME' or 'VALID': \"Expected string for argument 'padding'\"); got {ndim} axes, padding={padding!r}"
        )
    rows = [tuple(int(v) for v in row) for row in padding]
    if len(rows) != ndim + 2 or any(len(r) != 2 for r in rows):
        raise ConvolutionSpecError(
            f"explicit padding must be {ndim + 2} [before, after] pairs, one per dimension of the input; "
            f"got padding={rows}"
        )
    outer = (rows[0], rows[-1]) if channels_last else (rows[0], rows[1])
    if outer != ((0, 0), (0, 0)):
        raise ConvolutionSpecError(
            f"explicit padding of the batch and channel dimensions must be 0; got padding={rows}"
        )
    spatial = rows[1:-1] if channels_last else rows[2:]
    return tuple((b, a) for b, a in spatial)


def spec_from_tf(
    input_shape: Sequence[int],
    filters_shape: Sequence[int],
    output_shape: Sequence[int],
    strides: Any,
    padding: Any = "SAME",
    data_format: str | None = None,
    dilations: Any = None,
) -> ConvTransposeSpec:
    """The canonical spec of ``tf.nn.conv_transpose(input, filters, output_shape, …)``.

    Parameters
    ----------
    input_shape : sequence of int
        ``(N, *spatial, C)`` (channels last, the default) or ``(N, C, *spatial)``.
    filters_shape : sequence of int
        ``[*k, out, in]``.
    output_shape : sequence of int
        The full output shape ``(N, *spatial, out)`` (or channels first), or just the
        spatial sizes.
    strides, dilations : int or list
        One value, one per spatial axis, or one per dimension of ``input`` (then 1 on
        batch and channels).
    padding : "SAME", "VALID" or list of [before, after] pairs (2 spatial axes only, as in TF)
    data_format : str, optional
        ``"NWC"``, ``"NHWC"``, ``"NDHWC"`` (default) or the channels-first ones.

    Returns
    -------
    ConvTransposeSpec
        PyTorch semantics: the weight is :func:`filters_to_torch` of the filters.

    Raises
    ------
    ConvolutionSpecError
        When ``output_shape`` does not map back to the input's size under the padding
        (TF: "Conv2DSlowBackpropInput: Size of out_backprop doesn't match computed"),
        or when the layouts disagree with the filters.

    Examples
    --------
    >>> spec = spec_from_tf((1, 4, 4, 2), (3, 3, 5, 2), (1, 8, 8, 5), strides=2)
    >>> spec.padding, spec.output_padding, spec.output_size
    (((0, 1), (0, 1)), (0, 0), (8, 8))
    >>> spec_from_tf((1, 4, 4, 2), (3, 3, 5, 2), (1, 9, 9, 5), strides=2)
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: output_shape does not match the input under padding='SAME': the convolution with this padding maps output size (9, 9) to (5, 5), not the input size (4, 4) (axis 0); TF refuses it too
    """
    f = tuple(int(n) for n in filters_shape)
    if len(f) < 3:
        raise ConvolutionSpecError(
            f"filters must be [*k, out, in] with at least 3 dimensions; got filters shape {f}"
        )
    ndim = len(f) - 2
    channels_last = _data_format(data_format, ndim)
    x = tuple(int(n) for n in input_shape)
    if len(x) != ndim + 2:
        raise ConvolutionSpecError(
            f"input must have {ndim + 2} dimensions (N, spatial…, C) to match the filters; got input shape {x}"
        )
    c_in = x[-1] if channels_last else x[1]
    spatial_in = x[1:-1] if channels_last else x[2:]
    if f[-1] != c_in:
        raise ConvolutionSpecError(
            f"filters [*k, out, in] must have in = input channels; got filters shape {f}, input channels {c_in} "
            f"(input shape {x}, data_format={data_format or 'channels last'!r})"
        )
    out_full = tuple(int(n) for n in np.asarray(output_shape).reshape(-1).tolist())
    if len(out_full) == ndim + 2:
        c_out = out_full[-1] if channels_last else out_full[1]
        if c_out != f[-2]:
            raise ConvolutionSpecError(
                f"output_shape channels must equal the filters' out dimension; got output_shape={list(out_full)}, "
                f"filters shape {f}"
            )
        out = out_full[1:-1] if channels_last else out_full[2:]
    elif len(out_full) == ndim:
        out = out_full
    else:
        raise ConvolutionSpecError(
            f"output_shape must have {ndim + 2} entries (or {ndim} spatial sizes); got output_shape={list(out_full)}"
        )
    stride = _tf_per_axis(strides, "strides", ndim, channels_last)
    dilation = _tf_per_axis(dilations, "dilations", ndim, channels_last)
    kernel = f[:ndim]
    pairs = _tf_padding(padding, out, kernel, stride, dilation, channels_last)
    fwd = tuple(
        conv_output_length(L, K, s, pb, pa, d)
        for L, K, s, (pb, pa), d in zip(out, kernel, stride, pairs, dilation)
    )
    for axis, (n, L) in enumerate(zip(fwd, spatial_in)):
        if n != L:
            shown = padding if isinstance(padding, str) else "explicit"
            raise ConvolutionSpecError(
                f"output_shape does not match the input under padding={shown!r}: the convolution with this "
                f"padding maps output size {fmt(out)} to {fmt(fwd)}, not the input size {fmt(spatial_in)} "
                f"(axis {axis}); TF refuses it too"
            )
    weight_shape = (f[-1], f[-2], *kernel)
    return conv_transpose_spec(
        weight_shape, (c_in, *spatial_in), stride=stride, padding=pairs, dilation=dilation, output_size=out
    )


def conv_transpose(
    input: ArrayLike,
    filters: ArrayLike,
    output_shape: Sequence[int],
    strides: Any,
    padding: Any = "SAME",
    data_format: str | None = None,
    dilations: Any = None,
) -> NDArray[Any]:
    """``tf.nn.conv_transpose`` on NumPy arrays (1, 2 or 3 spatial axes).

    Parameters and layouts as :func:`spec_from_tf`; returns an array in
    ``data_format``.

    Examples
    --------
    >>> x = np.ones((1, 2, 1)); f = np.array([1., 10., 100.]).reshape(3, 1, 1)
    >>> conv_transpose(x, f, [1, 4, 1], strides=2)[0, :, 0]
    array([  1.,  10., 101.,  10.])
    """
    x = np.asarray(input)
    f = np.asarray(filters)
    spec = spec_from_tf(x.shape, f.shape, output_shape, strides, padding, data_format, dilations)
    channels_last = _data_format(data_format, f.ndim - 2)
    xt = channels_last_to_first(x) if channels_last else x
    y = apply(spec, xt, filters_to_torch(f))
    return channels_first_to_last(y) if channels_last else y


def _fixed_rank(name: str, n: int, filters: ArrayLike) -> None:
    if np.ndim(filters) != n + 2:
        raise ConvolutionSpecError(
            f"{name} needs {n + 2}-d filters (*k, out, in); got filters shape {np.shape(filters)}"
        )


def conv1d_transpose(
    input: ArrayLike,
    filters: ArrayLike,
    output_shape: Sequence[int],
    strides: Any,
    padding: Any = "SAME",
    data_format: str = "NWC",
    dilations: Any = None,
) -> NDArray[Any]:
    """``tf.nn.conv1d_transpose`` on NumPy arrays: input ``(N, W, C_in)`` (or ``"NCW"``),
    filters ``(kw, C_out, C_in)``.

    Examples
    --------
    >>> conv1d_transpose(np.ones((1, 2, 1)), np.ones((3, 1, 1)), [1, 4, 1], 2)[0, :, 0]
    array([1., 1., 2., 1.])
    """
    _fixed_rank("conv1d_transpose", 1, filters)
    return conv_transpose(input, filters, output_shape, strides, padding, data_format, dilations)


def conv2d_transpose(
    input: ArrayLike,
    filters: ArrayLike,
    output_shape: Sequence[int],
    strides: Any,
    padding: Any = "SAME",
    data_format: str = "NHWC",
    dilations: Any = None,
) -> NDArray[Any]:
    """``tf.nn.conv2d_transpose`` on NumPy arrays.

    Parameters
    ----------
    input : array_like, shape (N, H, W, C_in) or (N, C_in, H, W)
    filters : array_like, shape (kh, kw, C_out, C_in)
    output_shape : sequence of 4 ints
    strides, dilations : int or list of 1, 2 or 4 ints
    padding : "SAME", "VALID" or [[0, 0], [top, bottom], [left, right], [0, 0]]
    data_format : {"NHWC", "NCHW"}

    Examples
    --------
    >>> x = np.ones((1, 2, 2, 1)); f = np.ones((3, 3, 1, 1))
    >>> conv2d_transpose(x, f, [1, 4, 4, 1], strides=2)[0, :, :, 0]
    array([[1., 1., 2., 1.],
           [1., 1., 2., 1.],
           [2., 2., 4., 2.],
           [1., 1., 2., 1.]])
    """
    _fixed_rank("conv2d_transpose", 2, filters)
    return conv_transpose(input, filters, output_shape, strides, padding, data_format, dilations)


def conv3d_transpose(
    input: ArrayLike,
    filters: ArrayLike,
    output_shape: Sequence[int],
    strides: Any,
    padding: Any = "SAME",
    data_format: str = "NDHWC",
    dilations: Any = None,
) -> NDArray[Any]:
    """``tf.nn.conv3d_transpose`` on NumPy arrays: input ``(N, D, H, W, C_in)`` (or
    ``"NCDHW"``), filters ``(kd, kh, kw, C_out, C_in)``.

    Examples
    --------
    >>> conv3d_transpose(np.ones((1, 1, 1, 2, 1)), np.ones((1, 1, 3, 1, 1)), [1, 1, 1, 4, 1], 2)[0, 0, 0, :, 0]
    array([1., 1., 2., 1.])
    """
    _fixed_rank("conv3d_transpose", 3, filters)
    return conv_transpose(input, filters, output_shape, strides, padding, data_format, dilations)


def to_tf(spec: ConvTransposeSpec, *, batch: int = 1, data_format: str | None = None) -> dict[str, Any]:
    """``tf.nn.conv_transpose`` arguments (besides input and filters) equal to ``spec``.

    Explicit padding pairs for 2 spatial axes, ``"SAME"``/``"VALID"`` otherwise (TF's 1-D and
    3-D kernels take nothing else); ``output_shape`` carries ``output_padding``.

    Raises
    ------
    ConvolutionSpecError
        For ``groups > 1`` (no groups in ``tf.nn.conv_transpose``), a non-zero
        ``padding_mode``, ``output_padding ≥ stride`` (TF's output_shape check
        refuses it), or 1-D/3-D crops that neither padding word gives.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> to_tf(conv_transpose_spec((2, 5, 3, 3), (2, 4, 4), stride=2, padding=1, output_padding=1))
    {'output_shape': [1, 8, 8, 5], 'strides': [2, 2], 'padding': [[0, 0], [1, 1], [1, 1], [0, 0]], 'dilations': [1, 1], 'data_format': 'NHWC'}
    """
    if spec.groups != 1:
        raise ConvolutionSpecError(f"tf.nn.conv_transpose has no groups; got groups={spec.groups}")
    if spec.padding_mode != "zeros":
        raise ConvolutionSpecError(
            f"tf.nn.conv_transpose pads with zeros only; got padding_mode={spec.padding_mode!r}"
        )
    for axis, (op, s) in enumerate(zip(spec.output_padding, spec.stride)):
        if op >= s:
            raise ConvolutionSpecError(
                f"TF cannot express output_padding ≥ stride (its output_shape check refuses it); got "
                f"output_padding={fmt(spec.output_padding)}, stride={fmt(spec.stride)} (axis {axis})"
            )
    n = spec.ndim
    fmt_name = data_format or {1: "NWC", 2: "NHWC", 3: "NDHWC"}.get(n, "")
    channels_last = _data_format(fmt_name, n)
    pads = [list(p) for p in spec.padding]
    padding: Any
    if channels_last:
        shape = [batch, *spec.output_size, spec.out_channels]
        padding = [[0, 0], *pads, [0, 0]]
    else:
        shape = [batch, spec.out_channels, *spec.output_size]
        padding = [[0, 0], [0, 0], *pads]
    if n != 2:  # conv1d/3d_transpose take a padding word only: the one that gives spec, if any
        x_shape = (batch, *spec.input_size, spec.in_channels) if channels_last else (batch, *spec.input_shape)
        f_shape = (*spec.kernel_size, spec.out_channels, spec.in_channels)
        for word in ("VALID", "SAME"):
            try:
                got = spec_from_tf(x_shape, f_shape, shape, spec.stride, word, fmt_name, spec.dilation)
            except ConvolutionSpecError:
                continue
            if got == spec:
                padding = word
                break
        else:
            raise ConvolutionSpecError(
                f"tf.nn.conv{n}d_transpose takes 'SAME' or 'VALID' only, and neither crops padding={spec.padding} "
                f"for this output size; explicit crops need 2 spatial axes (conv2d_transpose)"
            )
    return {
        "output_shape": shape,
        "strides": list(spec.stride),
        "padding": padding,
        "dilations": list(spec.dilation),
        "data_format": fmt_name,
    }
