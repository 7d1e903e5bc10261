"""Convolution parameters, validated once, and the shape arithmetic.

Everything downstream (the sparse matrix, the numeric routes, the symbolic layer,
the LaTeX layer) takes a :class:`ConvSpec` or :class:`ConvTransposeSpec` and never
re-validates loose keyword arguments.

The one relation every route derives from lives here, in :func:`input_index`:

.. math::  i = o \\cdot s + k \\cdot d - p

(output position ``o`` of a forward convolution reads input position ``i`` through
kernel tap ``k``).  The output lengths of the forward and the transposed convolution
are derived from it in :func:`conv_output_length` and
:func:`conv_transpose_output_length`.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar

__all__ = [
    "PADDING_MODES",
    "ConvSpec",
    "ConvTransposeSpec",
    "ConvolutionSpecError",
    "IntOrSeq",
    "PaddingArg",
    "as_input_shape",
    "as_per_axis",
    "as_positive_int",
    "as_shape",
    "conv_output_length",
    "conv_spec",
    "conv_transpose_output_length",
    "conv_transpose_spec",
    "format_tuple",
    "full_length",
    "input_index",
    "reach",
    "same_split",
    "same_total_padding",
    "shape_arithmetic",
    "zero_inserted_length",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
PaddingMode: TypeAlias = Literal["zeros", "reflect", "replicate", "circular"]
IntOrSeq: TypeAlias = "int | Sequence[int]"
PaddingArg: TypeAlias = "int | str | Sequence[int] | Sequence[Sequence[int]]"
Pads: TypeAlias = tuple[tuple[int, int], ...]

T = TypeVar("T")


class ConvolutionSpecError(ValueError):
    """Invalid convolution parameters.

    The message names the parameter, the rule it breaks and the values, e.g.
    ``stride must be positive on every axis; got stride=(0, 1) (axis 0)``.
    """


# ---------------------------------------------------------------------------
# The index relation and the shape formulas: the single source of truth.
# ---------------------------------------------------------------------------


def input_index(o: T, k: Any, stride: Any, dilation: Any, pad_before: Any) -> T:
    """Input position read by output position ``o`` through kernel tap ``k``.

    ``i = o·s + k·d − p``.  Works element-wise on integers, NumPy arrays and SymPy
    expressions alike; every other part of tconvmat derives from this function.

    Examples
    --------
    >>> input_index(2, 1, stride=2, dilation=1, pad_before=0)
    5
    """
    return o * stride + k * dilation - pad_before  # type: ignore[no-any-return, operator]


def conv_output_length(
    length: Any, kernel: Any, stride: Any, pad_before: Any, pad_after: Any, dilation: Any
) -> Any:
    """Output length of a forward convolution along one axis.

    The last output position ``o`` is the largest whose last tap still reads inside
    the padded input, ``input_index(o, K − 1) ≤ L − 1 + p_after``, so
    ``L_out = ⌊(L − 1 + p_after − input_index(0, K − 1)) / s⌋ + 1``
    ``= ⌊(L + p_before + p_after − d·(K − 1) − 1) / s⌋ + 1``.

    Examples
    --------
    >>> conv_output_length(5, 3, stride=2, pad_before=1, pad_after=1, dilation=1)
    3
    """
    last_tap = input_index(0, kernel - 1, stride, dilation, pad_before)
    return (length - 1 + pad_after - last_tap) // stride + 1


def conv_transpose_output_length(
    length: Any,
    kernel: Any,
    stride: Any,
    pad_before: Any,
    pad_after: Any,
    dilation: Any,
    output_padding: Any = 0,
) -> Any:
    """Output length of a transposed convolution along one axis.

    The transposed convolution scatters input ``i`` through tap ``k`` to output
    ``j = i·s + k·d − p_before`` (the index relation read the other way).  The
    output is position ``0`` up to the largest such ``j``, plus ``output_padding``,
    less the trailing crop ``p_after``:
    ``L_out = (L − 1)·s + d·(K − 1) − p_before − p_after + op + 1``.

    Examples
    --------
    >>> conv_transpose_output_length(2, 3, stride=2, pad_before=0, pad_after=0, dilation=1)
    5
    """
    last = input_index(length - 1, kernel - 1, stride, dilation, pad_before)
    return last + 1 + output_padding - pad_after


def reach(kernel: Any, dilation: Any) -> Any:
    """Distance from the first to the last tap of a dilated kernel, ``d·(K − 1)``: the input
    offset of the last tap.

    The dilated kernel covers ``reach + 1`` positions; the equivalent convolution pads
    the zero-inserted input by ``reach − p_before`` and ``reach − p_after + op``.

    Examples
    --------
    >>> reach(3, dilation=2)
    4
    """
    return input_index(0, kernel - 1, 1, dilation, 0)


def zero_inserted_length(length: Any, stride: Any) -> Any:
    """Length ``(L − 1)·s + 1`` of a signal with ``s − 1`` zeros inserted between neighbours
    (``0`` for an empty signal).

    Examples
    --------
    >>> zero_inserted_length(3, stride=2), zero_inserted_length(0, stride=2)
    (5, 0)
    """
    if isinstance(length, numbers.Integral) and length <= 0:  # plain numbers; SymPy's stay symbolic
        return 0
    return input_index(length - 1, 0, stride, 1, 0) + 1


def full_length(length: Any, kernel: Any, stride: Any, dilation: Any, output_padding: Any = 0) -> Any:
    """The transposed convolution's output length before any cropping, ``(L − 1)·s + d·(K − 1) + op + 1``.

    Examples
    --------
    >>> full_length(2, 3, stride=2, dilation=1)
    5
    """
    return conv_transpose_output_length(length, kernel, stride, 0, 0, dilation, output_padding)


def same_total_padding(length: Any, kernel: Any, stride: Any, dilation: Any) -> Any:
    """Total padding of a forward convolution with ``"SAME"`` output size ``⌈L / s⌉``:
    ``max(0, (⌈L/s⌉ − 1)·s + d·(K − 1) + 1 − L)`` (TensorFlow, ONNX ``SAME_*``, JAX).

    Examples
    --------
    >>> same_total_padding(5, 4, stride=2, dilation=1), same_total_padding(4, 1, stride=2, dilation=1)
    (3, 0)
    """
    out = -(-length // stride)
    return max(0, input_index(out - 1, kernel - 1, stride, dilation, 0) + 1 - length)


def same_split(total: int, *, odd_at_end: bool = True) -> tuple[int, int]:
    """``total`` padding as ``(before, after)``: halves, the odd one at the end
    (``(t // 2, t − t // 2)``: PyTorch's ``padding='same'``, TF ``SAME``, ONNX ``SAME_UPPER``)
    or at the beginning (ONNX ``SAME_LOWER``).

    Examples
    --------
    >>> same_split(3), same_split(3, odd_at_end=False)
    ((1, 2), (2, 1))
    """
    small, large = total // 2, total - total // 2
    return (small, large) if odd_at_end else (large, small)


# ---------------------------------------------------------------------------
# Argument normalisation
# ---------------------------------------------------------------------------


def _as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ConvolutionSpecError(f"{name} must be an integer; got {name}={value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise ConvolutionSpecError(
            f"{name} must be an integer or a sequence of integers; got {name}={value!r}"
        ) from None
    if not -(2**63) <= v < 2**63:  # PyTorch: "Overflow when unpacking long long"
        raise ConvolutionSpecError(f"{name} must fit in a signed 64-bit integer; got {name}={v}")
    return v


def _per_axis(value: Any, name: str, ndim: int) -> tuple[int, ...]:
    """An int or a sequence of ``ndim`` (or 1) ints, as a tuple of ``ndim`` ints."""
    if isinstance(value, (str, bytes)):
        raise ConvolutionSpecError(
            f"{name} must be an integer or a sequence of integers; got {name}={value!r}"
        )
    if isinstance(value, Sequence) or getattr(value, "ndim", 0) > 0:
        items = tuple(_as_int(v, name) for v in list(value))  # type: ignore[arg-type]
        if len(items) == 1:
            items = items * ndim
        if len(items) != ndim:
            raise ConvolutionSpecError(
                f"{name} must be a single integer or a sequence of {ndim} integers "
                f"(one per spatial axis); got {name}={tuple(items)}"
            )
        return items
    v = _as_int(value, name)
    return (v,) * ndim


def _pads(value: Any, ndim: int) -> Pads:
    """Padding as per-axis ``(before, after)`` pairs."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = list(value)
        if items and all(isinstance(v, Sequence) and not isinstance(v, (str, bytes)) for v in items):
            if (len(items) not in (1, ndim)) or any(len(v) != 2 for v in items):
                raise ConvolutionSpecError(
                    f"padding as (before, after) pairs needs {ndim} pairs of 2 integers (or one pair "
                    f"for every axis); got padding={tuple(tuple(v) for v in items)}"
                )
            if len(items) == 1:
                items = items * ndim
            return tuple((_as_int(b, "padding"), _as_int(a, "padding")) for b, a in items)
    return tuple((p, p) for p in _per_axis(value, "padding", ndim))


def format_tuple(values: Sequence[Any]) -> str:
    """``(1, 2)``, ``(3,)``: a tuple as Python writes it, for messages and text.

    Examples
    --------
    >>> format_tuple((3,)), format_tuple([1, 2])
    ('(3,)', '(1, 2)')
    """
    return "(" + ", ".join(str(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _check_axes(name: str, values: tuple[int, ...], ok: Any, rule: str, extra: str = "") -> None:
    for axis, v in enumerate(values):
        if not ok(v):
            raise ConvolutionSpecError(
                f"{name} {rule}; got {name}={format_tuple(values)}{extra} (axis {axis})"
            )


def as_shape(value: Any, name: str) -> tuple[int, ...]:
    """A shape argument as a tuple of integers, as the spec constructors read one.

    Strings, bools, floats and nested sequences are refused (``"16"`` is not ``(1, 6)``,
    ``6.5`` is not ``6``).

    Examples
    --------
    >>> as_shape([1, 4], "input_shape")
    (1, 4)
    >>> as_shape("16", "input_shape")
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: input_shape must be a sequence of integers; got input_shape='16'
    """
    return _shape(value, name)


def as_input_shape(value: Any, name: str = "input_shape") -> tuple[int, ...]:
    """``(channels, *spatial)``: at least one spatial axis, every spatial size positive,
    channels not negative (the input rules of :func:`conv_spec`, for callers with no weight).

    Examples
    --------
    >>> as_input_shape((2, 5, 5))
    (2, 5, 5)
    >>> as_input_shape(())
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: input_shape must be (channels, *spatial) with at least one spatial axis; got input_shape=()
    """
    shape = _shape(value, name)
    if len(shape) < 2:
        raise ConvolutionSpecError(
            f"{name} must be (channels, *spatial) with at least one spatial axis; got {name}={format_tuple(shape)}"
        )
    _check_axes("input size", shape[1:], lambda v: v > 0, "must be positive on every spatial axis")
    if shape[0] < 0:
        raise ConvolutionSpecError(f"input channels must not be negative; got {name}={format_tuple(shape)}")
    return shape


def as_per_axis(value: Any, name: str, ndim: int, *, positive: bool = False) -> tuple[int, ...]:
    """An int or a sequence of ``ndim`` (or 1) ints as ``ndim`` ints, read as the spec
    constructors read ``stride``; ``positive`` adds their rule for stride and dilation.

    Examples
    --------
    >>> as_per_axis(2, "stride", 3)
    (2, 2, 2)
    >>> as_per_axis((2, 0), "stride", 2, positive=True)
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: stride must be positive on every axis; got stride=(2, 0) (axis 1)
    """
    values = _per_axis(value, name, ndim)
    if positive:
        _check_axes(name, values, lambda v: v > 0, "must be positive on every axis")
    return values


def as_positive_int(value: Any, name: str) -> int:
    """A positive integer (bools, floats and strings refused).

    Examples
    --------
    >>> as_positive_int(0, "ndim")
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: ndim must be a positive integer; got ndim=0
    """
    if not isinstance(value, bool):
        try:
            v = operator.index(value)
        except TypeError:
            pass
        else:
            if 0 < v < 2**63:
                return v
    raise ConvolutionSpecError(f"{name} must be a positive integer; got {name}={value!r}")


# ---------------------------------------------------------------------------
# Specs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvSpec:
    """A forward convolution's geometry, validated (everything but the numbers).

    Attributes
    ----------
    in_channels, out_channels, groups : int
    kernel_size, input_size, stride, dilation : tuple of int, one per spatial axis
    padding : tuple of (before, after) pairs, one per spatial axis
    padding_mode : {"zeros", "reflect", "replicate", "circular"}

    Examples
    --------
    >>> spec = conv_spec((4, 2, 3, 3), (4, 8, 8), stride=2, padding=1, groups=2)
    >>> spec.output_size, spec.output_shape
    ((4, 4), (4, 4, 4))
    """

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    input_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: Pads
    dilation: tuple[int, ...]
    groups: int = 1
    padding_mode: PaddingMode = "zeros"

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return len(self.kernel_size)

    @property
    def output_size(self) -> tuple[int, ...]:
        """Spatial output size, from :func:`conv_output_length`."""
        return tuple(
            conv_output_length(L, K, s, pb, pa, d)
            for L, K, s, (pb, pa), d in zip(
                self.input_size, self.kernel_size, self.stride, self.padding, self.dilation
            )
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(in_channels, *input_size)``."""
        return (self.in_channels, *self.input_size)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """``(out_channels, *output_size)``."""
        return (self.out_channels, *self.output_size)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """PyTorch conv layout ``(C_out, C_in/groups, *kernel)``."""
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    @property
    def padded_size(self) -> tuple[int, ...]:
        """Spatial size of the padded input."""
        return tuple(L + pb + pa for L, (pb, pa) in zip(self.input_size, self.padding))

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`tconvmat.conv` (PyTorch's names) for this spec.

        Examples
        --------
        >>> conv_spec((2, 1, 3), (1, 4), padding="same").kwargs()
        {'stride': (1,), 'padding': ((1, 1),), 'dilation': (1,), 'groups': 1, 'padding_mode': 'zeros'}
        """
        return {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
            "padding_mode": self.padding_mode,
        }


@dataclass(frozen=True)
class ConvTransposeSpec:
    """A transposed convolution's geometry, validated.

    ``output_padding`` is resolved (from ``output_size=`` if that was given).  The
    transposed convolution is the adjoint of :attr:`adjoint`, the forward convolution
    whose input has this spec's output shape, restricted to ``input_size`` output
    positions per axis (it can reach further only when ``output_padding ≥ stride``,
    which PyTorch allows when ``output_padding < dilation``).

    Examples
    --------
    >>> spec = conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> spec.output_size
    (5,)
    >>> spec.adjoint.input_size, spec.adjoint.output_size
    ((5,), (2,))
    """

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    input_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: Pads
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int = 1
    padding_mode: PaddingMode = "zeros"

    @property
    def ndim(self) -> int:
        """Number of spatial axes."""
        return len(self.kernel_size)

    @property
    def output_size(self) -> tuple[int, ...]:
        """Spatial output size, from :func:`conv_transpose_output_length`."""
        return tuple(
            conv_transpose_output_length(L, K, s, pb, pa, d, op)
            for L, K, s, (pb, pa), d, op in zip(
                self.input_size,
                self.kernel_size,
                self.stride,
                self.padding,
                self.dilation,
                self.output_padding,
            )
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """``(in_channels, *input_size)``."""
        return (self.in_channels, *self.input_size)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """``(out_channels, *output_size)``."""
        return (self.out_channels, *self.output_size)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """PyTorch conv-transpose layout ``(C_in, C_out/groups, *kernel)``."""
        return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)

    @property
    def adjoint(self) -> ConvSpec:
        """The forward convolution ``C`` with ``conv_transpose(x) = Cᵀ x``.

        Same weight tensor read in conv layout, same stride, padding, dilation,
        groups and padding mode; its input has this spec's output size.
        """
        return ConvSpec(
            in_channels=self.out_channels,
            out_channels=self.in_channels,
            kernel_size=self.kernel_size,
            input_size=self.output_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            padding_mode=self.padding_mode,
        )

    @property
    def flipped_pads(self) -> Pads:
        """Pads of the equivalent stride-1 convolution: ``P_l = d(K−1) − p_before``,
        ``P_r = d(K−1) − p_after + op`` (negative means crop)."""
        return tuple(
            (reach(K, d) - pb, reach(K, d) - pa + op)
            for K, d, (pb, pa), op in zip(self.kernel_size, self.dilation, self.padding, self.output_padding)
        )

    @property
    def full_size(self) -> tuple[int, ...]:
        """Spatial output size before cropping ``p_before`` and ``p_after`` (:func:`full_length`)."""
        return tuple(
            full_length(L, K, s, d, op)
            for L, K, s, d, op in zip(
                self.input_size, self.kernel_size, self.stride, self.dilation, self.output_padding
            )
        )

    @property
    def full_pads(self) -> Pads:
        """Pads of the equivalent stride-1 convolution that gives the full, uncropped output:
        ``(d(K−1), d(K−1) + op)`` (the :attr:`flipped_pads` before subtracting the padding)."""
        return tuple(
            (reach(K, d), reach(K, d) + op)
            for K, d, op in zip(self.kernel_size, self.dilation, self.output_padding)
        )

    @property
    def upsampled_size(self) -> tuple[int, ...]:
        """Spatial size of the zero-inserted input, ``(L − 1)·s + 1`` (:func:`zero_inserted_length`)."""
        return tuple(zero_inserted_length(L, s) for L, s in zip(self.input_size, self.stride))

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`tconvmat.conv_transpose` (PyTorch's names) for this spec.

        ``conv_transpose(x, w, **spec.kwargs())`` computes exactly this spec; the
        values are the validated per-axis tuples (padding as ``(before, after)`` pairs).

        Examples
        --------
        >>> conv_transpose_spec((1, 1, 3), (1, 2), stride=2, output_size=(6,)).kwargs()
        {'stride': (2,), 'padding': ((0, 0),), 'output_padding': (1,), 'groups': 1, 'dilation': (1,), 'padding_mode': 'zeros'}
        """
        return {
            "stride": self.stride,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "groups": self.groups,
            "dilation": self.dilation,
            "padding_mode": self.padding_mode,
        }


# ---------------------------------------------------------------------------
# Validation (shared by every public entry point)
# ---------------------------------------------------------------------------


def _shape(value: Any, name: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not (isinstance(value, Sequence) or getattr(value, "ndim", 0) == 1):
        raise ConvolutionSpecError(f"{name} must be a sequence of integers; got {name}={value!r}")
    return tuple(_as_int(v, name) for v in value)


def _check_common(
    weight_shape: tuple[int, ...],
    input_shape: tuple[int, ...],
    stride: tuple[int, ...],
    padding: Pads,
    dilation: tuple[int, ...],
    groups: int,
    padding_mode: str,
) -> None:
    ndim = len(weight_shape) - 2
    if any(n < 0 for n in weight_shape):
        raise ConvolutionSpecError(f"weight shape must not be negative; got weight shape {weight_shape}")
    _check_axes("kernel_size", weight_shape[2:], lambda v: v > 0, "must be positive on every axis")
    _check_axes("stride", stride, lambda v: v > 0, "must be positive on every axis")
    _check_axes("dilation", dilation, lambda v: v > 0, "must be positive on every axis")
    flat = tuple(p for pair in padding for p in pair)
    if any(p < 0 for p in flat):
        axis = next(a for a, pair in enumerate(padding) if min(pair) < 0)
        raise ConvolutionSpecError(f"padding must not be negative; got padding={padding} (axis {axis})")
    if groups <= 0:
        raise ConvolutionSpecError(f"groups must be positive; got groups={groups}")
    if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
        raise ConvolutionSpecError(
            f"padding_mode must be one of {', '.join(repr(m) for m in PADDING_MODES)}; "
            f"got padding_mode={padding_mode!r}"
        )
    if len(input_shape) != ndim + 1:
        raise ConvolutionSpecError(
            f"input_shape must be (channels, *spatial) with {ndim} spatial axes to match the "
            f"{len(weight_shape)}-d weight; got input_shape={input_shape}"
        )
    _check_axes("input size", input_shape[1:], lambda v: v > 0, "must be positive on every spatial axis")
    if input_shape[0] < 0:
        raise ConvolutionSpecError(f"input channels must not be negative; got input_shape={input_shape}")


def _check_padding_mode(padding_mode: str, padding: Pads, size: tuple[int, ...], what: str) -> None:
    """PyTorch's ``F.pad`` rules for the non-zero modes, on the padded signal ``size``."""
    for axis, ((pb, pa), n) in enumerate(zip(padding, size)):
        if padding_mode == "reflect" and max(pb, pa) >= n:
            raise ConvolutionSpecError(
                f"reflect padding must be smaller than the {what} size on every axis; "
                f"got padding={padding}, {what} size={size} (axis {axis})"
            )
        if padding_mode == "circular" and max(pb, pa) > n:
            raise ConvolutionSpecError(
                f"circular padding must not exceed the {what} size on every axis (it would wrap "
                f"around more than once); got padding={padding}, {what} size={size} (axis {axis})"
            )


def conv_spec(
    weight_shape: Sequence[int],
    input_shape: Sequence[int],
    *,
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> ConvSpec:
    """Validate forward-convolution parameters into a :class:`ConvSpec`.

    Parameters
    ----------
    weight_shape : sequence of int
        PyTorch conv layout ``(C_out, C_in/groups, *kernel)``.
    input_shape : sequence of int
        ``(C_in, *spatial)``, no batch axis.
    stride, dilation : int or sequence of int
    padding : int, sequence of int, sequence of (before, after) pairs, "same" or "valid"
    groups : int
    padding_mode : {"zeros", "reflect", "replicate", "circular"}

    Raises
    ------
    ConvolutionSpecError
        For anything PyTorch refuses, with the parameter, rule, values and axis.

    Examples
    --------
    >>> conv_spec((2, 1, 3), (1, 4), padding="same").padding
    ((1, 1),)
    >>> conv_spec((2, 3, 3), (1, 4))
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: input channels must equal weight.shape[1] * groups = 3 * 1 = 3 for a convolution; got input_shape=(1, 4), weight shape (2, 3, 3), groups=1
    """
    wshape = _shape(weight_shape, "weight shape")
    ishape = _shape(input_shape, "input_shape")
    if len(wshape) < 3:
        raise ConvolutionSpecError(
            f"weight must have at least 3 dimensions (C_out, C_in/groups, *kernel); got weight shape {wshape}"
        )
    ndim = len(wshape) - 2
    kernel = wshape[2:]
    stride_t = _per_axis(stride, "stride", ndim)
    dilation_t = _per_axis(dilation, "dilation", ndim)
    groups = _as_int(groups, "groups")
    if isinstance(padding, str):
        if padding == "valid":
            pads: Pads = ((0, 0),) * ndim
        elif padding == "same":
            if any(s != 1 for s in stride_t):
                raise ConvolutionSpecError(
                    f"padding='same' needs stride 1 on every axis, as in PyTorch; got stride={format_tuple(stride_t)}"
                )
            pads = tuple(same_split(reach(K, d)) for d, K in zip(dilation_t, kernel))
        else:
            raise ConvolutionSpecError(f"padding string must be 'same' or 'valid'; got padding={padding!r}")
    else:
        pads = _pads(padding, ndim)
    _check_common(wshape, ishape, stride_t, pads, dilation_t, groups, padding_mode)
    c_out, c_in_g = wshape[0], wshape[1]
    if c_out == 0:  # PyTorch: "expected weight to be at least 1 at dimension 0"
        raise ConvolutionSpecError(
            f"weight must have at least one output channel (axis 0); got weight shape {wshape}"
        )
    if c_in_g == 0:  # PyTorch's empty-input shortcut answers with 0 channels, not c_out
        raise ConvolutionSpecError(
            f"weight must have at least one input channel per group (axis 1); got weight shape {wshape} "
            f"(PyTorch returns an output with 0 channels here, not out_channels={c_out})"
        )
    if c_out % groups:
        raise ConvolutionSpecError(
            f"out_channels=weight.shape[0]={c_out} is not divisible by groups={groups}"
        )
    if ishape[0] != c_in_g * groups:
        raise ConvolutionSpecError(
            f"input channels must equal weight.shape[1] * groups = {c_in_g} * {groups} = "
            f"{c_in_g * groups} for a convolution; got input_shape={ishape}, weight shape {wshape}, groups={groups}"
        )
    spec = ConvSpec(
        in_channels=ishape[0],
        out_channels=c_out,
        kernel_size=kernel,
        input_size=ishape[1:],
        stride=stride_t,
        padding=pads,
        dilation=dilation_t,
        groups=groups,
        padding_mode=padding_mode,  # type: ignore[arg-type]
    )
    if padding_mode != "zeros":
        _check_padding_mode(padding_mode, pads, spec.input_size, "input")
    out = spec.output_size
    if any(n <= 0 for n in out):
        axis = next(a for a, n in enumerate(out) if n <= 0)
        raise ConvolutionSpecError(
            f"the dilated kernel must fit in the padded input on every axis, "
            f"d·(K−1)+1 ≤ L+p_before+p_after; got input size={spec.input_size}, padding={pads}, "
            f"kernel_size={kernel}, dilation={dilation_t} (axis {axis}): output size would be {out}"
        )
    return spec


def output_size_spatial(output_size: Any, ndim: int, batched: bool) -> tuple[int, ...]:
    """The spatial part of ``output_size``, by ``ConvTranspose*d.forward``'s length rule.

    For a batched input ``(N, C, *spatial)`` PyTorch takes ``ndim`` or ``ndim + 2``
    sizes, for an unbatched ``(C, *spatial)`` one ``ndim`` or ``ndim + 1``.

    Examples
    --------
    >>> output_size_spatial((1, 1, 6), 1, batched=True)
    (6,)
    >>> output_size_spatial((1, 6), 1, batched=True)
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: output_size must have 1 or 3 elements for a batched 3-d input (the spatial sizes, or the batch, channel and spatial sizes); got output_size=(1, 6)
    """
    sizes = _shape(output_size, "output_size")
    extra = 2 if batched else 1
    if len(sizes) == ndim + extra:
        return sizes[extra:]
    if len(sizes) != ndim:
        what, axes = ("a batched", "batch, channel") if batched else ("an unbatched", "channel")
        raise ConvolutionSpecError(
            f"output_size must have {ndim} or {ndim + extra} elements for {what} {ndim + extra}-d "
            f"input (the spatial sizes, or the {axes} and spatial sizes); got output_size={format_tuple(sizes)}"
        )
    return sizes


def _resolve_output_padding(
    output_size: Any,
    ishape: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: Pads,
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    """PyTorch's ``ConvTranspose._output_padding``: ``op = output_size − min_size``."""
    ndim = len(kernel)
    sizes = _shape(output_size, "output_size")
    if len(sizes) in (ndim + 1, ndim + 2):  # (C, *spatial) or (N, C, *spatial), as torch allows
        sizes = sizes[len(sizes) - ndim :]
    if len(sizes) != ndim:
        raise ConvolutionSpecError(
            f"output_size must have {ndim} spatial sizes (or include the channel/batch axes); "
            f"got output_size={format_tuple(sizes)}"
        )
    min_sizes = tuple(
        conv_transpose_output_length(L, K, s, pb, pa, d)
        for L, K, s, (pb, pa), d in zip(ishape[1:], kernel, stride, pads, dilation)
    )
    max_sizes = tuple(m + s - 1 for m, s in zip(min_sizes, stride))
    for axis, (n, lo, hi) in enumerate(zip(sizes, min_sizes, max_sizes)):
        if not lo <= n <= hi:
            raise ConvolutionSpecError(
                f"output_size must lie between the smallest and largest reachable sizes "
                f"{format_tuple(min_sizes)} and {format_tuple(max_sizes)} on every axis; got output_size={format_tuple(sizes)} "
                f"for input size {format_tuple(ishape[1:])}, stride={format_tuple(stride)} (axis {axis})"
            )
    return tuple(n - lo for n, lo in zip(sizes, min_sizes))


def conv_transpose_spec(
    weight_shape: Sequence[int],
    input_shape: Sequence[int],
    *,
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    output_size: Sequence[int] | None = None,
    padding_mode: str = "zeros",
) -> ConvTransposeSpec:
    """Validate transposed-convolution parameters into a :class:`ConvTransposeSpec`.

    Parameters
    ----------
    weight_shape : sequence of int
        PyTorch conv-transpose layout ``(C_in, C_out/groups, *kernel)``.
    input_shape : sequence of int
        ``(C_in, *spatial)``, no batch axis.
    stride, output_padding, dilation : int or sequence of int
    padding : int, sequence of int, or sequence of (before, after) pairs
        The amount cropped from each end of the full output.  Pairs go beyond PyTorch
        (ONNX ``pads`` allow them).
    groups : int
    output_size : sequence of int, optional
        Resolves ``output_padding`` exactly as ``torch.nn.ConvTranspose*d.forward``
        does (and, as there, replaces it).
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        Non-zero modes go beyond PyTorch: the transposed convolution is the exact
        adjoint of the padded forward convolution.

    Raises
    ------
    ConvolutionSpecError

    Examples
    --------
    >>> conv_transpose_spec((1, 1, 3), (1, 2), stride=2, output_size=(6,)).output_padding
    (1,)
    >>> conv_transpose_spec((1, 1, 3), (1, 2), stride=2, output_padding=2)
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: output_padding must be smaller than stride or dilation on every axis; got output_padding=(2,), stride=(2,), dilation=(1,) (axis 0)
    """
    wshape = _shape(weight_shape, "weight shape")
    ishape = _shape(input_shape, "input_shape")
    if len(wshape) < 3:
        raise ConvolutionSpecError(
            f"weight must have at least 3 dimensions (C_in, C_out/groups, *kernel); got weight shape {wshape}"
        )
    ndim = len(wshape) - 2
    kernel = wshape[2:]
    if isinstance(padding, str):
        raise ConvolutionSpecError(
            f"padding for a transposed convolution must be integers or (before, after) pairs, "
            f"as in PyTorch; got padding={padding!r}"
        )
    stride_t = _per_axis(stride, "stride", ndim)
    dilation_t = _per_axis(dilation, "dilation", ndim)
    # With output_size, output_padding is ignored, as in ConvTranspose*d.forward.
    op_t = _per_axis(output_padding, "output_padding", ndim) if output_size is None else ()
    pads = _pads(padding, ndim)
    groups = _as_int(groups, "groups")
    _check_common(wshape, ishape, stride_t, pads, dilation_t, groups, padding_mode)
    c_in, c_out_g = wshape[0], wshape[1]
    if c_in == 0 or c_out_g == 0:  # PyTorch refuses both ("non-empty ... weight tensor expected")
        raise ConvolutionSpecError(
            f"weight must have at least one input channel (axis 0) and one output channel per "
            f"group (axis 1); got weight shape {wshape}"
        )
    if c_in % groups:
        raise ConvolutionSpecError(f"in_channels=weight.shape[0]={c_in} is not divisible by groups={groups}")
    if ishape[0] != c_in:
        raise ConvolutionSpecError(
            f"input channels must equal weight.shape[0]={c_in} for a transposed convolution; "
            f"got input_shape={ishape}, weight shape {wshape}"
        )
    if output_size is not None:
        op_t = _resolve_output_padding(output_size, ishape, kernel, stride_t, pads, dilation_t)
    _check_axes("output_padding", op_t, lambda v: v >= 0, "must not be negative")
    for axis, (op, s, d) in enumerate(zip(op_t, stride_t, dilation_t)):
        if op >= max(s, d):
            raise ConvolutionSpecError(
                f"output_padding must be smaller than stride or dilation on every axis; "
                f"got output_padding={format_tuple(op_t)}, stride={format_tuple(stride_t)}, dilation={format_tuple(dilation_t)} (axis {axis})"
            )
    spec = ConvTransposeSpec(
        in_channels=c_in,
        out_channels=c_out_g * groups,
        kernel_size=kernel,
        input_size=ishape[1:],
        stride=stride_t,
        padding=pads,
        output_padding=op_t,
        dilation=dilation_t,
        groups=groups,
        padding_mode=padding_mode,  # type: ignore[arg-type]
    )
    out = spec.output_size
    if any(n <= 0 for n in out):
        axis = next(a for a, n in enumerate(out) if n <= 0)
        raise ConvolutionSpecError(
            f"the output must not be empty: (L−1)·s + d·(K−1) + op + 1 must exceed "
            f"p_before + p_after on every axis; got input size={spec.input_size}, padding={pads}, "
            f"kernel_size={kernel}, stride={stride_t}, dilation={dilation_t}, "
            f"output_padding={op_t} (axis {axis}): output size would be {out}"
        )
    if padding_mode != "zeros":
        _check_padding_mode(padding_mode, pads, out, "output")
    return spec


# ---------------------------------------------------------------------------
# The shape arithmetic as text (the CLI and the testing kit print it)
# ---------------------------------------------------------------------------

CONV_TRANSPOSE_LENGTH_TEXT = "L_out = (L_in − 1)·s − p_before − p_after + d·(K − 1) + op + 1"
CONV_LENGTH_TEXT = "L_out = ⌊(L_in + p_before + p_after − d·(K − 1) − 1) / s⌋ + 1"


def shape_arithmetic(spec: ConvSpec | ConvTransposeSpec) -> list[str]:
    """The output-length formula, then each axis with its numbers filled in.

    Examples
    --------
    >>> print(chr(10).join(shape_arithmetic(conv_transpose_spec((1, 1, 3), (1, 2), stride=2))))
    L_out = (L_in − 1)·s − p_before − p_after + d·(K − 1) + op + 1
    axis 0: (2 − 1)·2 − 0 − 0 + 1·(3 − 1) + 0 + 1 = 5
    """
    transposed = isinstance(spec, ConvTransposeSpec)
    lines = [CONV_TRANSPOSE_LENGTH_TEXT if transposed else CONV_LENGTH_TEXT]
    for a in range(spec.ndim):
        L, K, s, d = spec.input_size[a], spec.kernel_size[a], spec.stride[a], spec.dilation[a]
        pb, pa = spec.padding[a]
        out = spec.output_size[a]
        if isinstance(spec, ConvTransposeSpec):
            op = spec.output_padding[a]
            lines.append(f"axis {a}: ({L} − 1)·{s} − {pb} − {pa} + {d}·({K} − 1) + {op} + 1 = {out}")
        else:
            lines.append(f"axis {a}: ⌊({L} + {pb} + {pa} − {d}·({K} − 1) − 1) / {s}⌋ + 1 = {out}")
    return lines
