"""ONNX ``ConvTranspose`` and ``Conv``: attributes ↔ the canonical spec.

The operator attributes (``auto_pad``, ``pads``, ``output_shape``, ``output_padding``,
``strides``, ``dilations``, ``group``, ``kernel_shape``) map to a
:class:`~tconvmat.ConvTransposeSpec` (or :class:`~tconvmat.ConvSpec`), the layouts are
PyTorch's already (``X`` is ``(N, C, D1, …)``, ``ConvTranspose``'s ``W`` is
``(C, M/group, k1, …)``, ``Conv``'s ``W`` is ``(M, C/group, k1, …)``), and ``pads`` are
the crops of the full output, ``[x1_begin, x2_begin, …, x1_end, x2_end, …]``.

The trio, as in every convention module: :func:`spec_from_onnx` (``ConvTranspose``
attributes → spec; :func:`conv_spec_from_onnx` for ``Conv``), :func:`to_onnx` (spec →
attributes) and the operator-signature functions :func:`conv_transpose` / :func:`conv`.

``output_shape`` follows the operator specification (ONNX ``ConvTranspose``, opset 22)::

    total_padding[i] = stride[i]·(input_size[i] − 1) + output_padding[i]
                       + ((kernel_shape[i] − 1)·dilations[i] + 1) − output_shape[i]
    SAME_UPPER:   pads[start_i] = total_padding[i] / 2,  pads[end_i] = total_padding[i] − pads[start_i]
    otherwise:    pads[start_i] = total_padding[i] − total_padding[i] / 2,  pads[end_i] = total_padding[i] / 2

and ``pads`` are ignored when ``output_shape`` is given.  ``auto_pad="SAME_UPPER"``/
``"SAME_LOWER"`` without ``output_shape`` target ``output_shape[i] = input_shape[i]·strides[i]``.
``total_padding`` is :func:`tconvmat.spec.conv_transpose_output_length` with no padding,
minus the target.  Where the text leaves the case open, tconvmat does what ONNX
Runtime (and ONNX's own shape inference) do; ``docs/conventions.md`` shows each case
with the three answers (specification, ``onnx.reference``, ONNX Runtime):

* a negative ``total_padding`` (an ``output_shape`` past the uncropped output): the
  output is extended with zeros at the end (ONNX's backend test
  ``test_convtranspose_output_shape``), by at most ``stride − 1`` past the uncropped
  output without ``output_padding`` (ONNX Runtime refuses more, so does tconvmat);
* ``auto_pad="SAME_*"`` without ``output_shape`` when ``input·stride`` exceeds the
  uncropped output (a kernel shorter than the stride): no crop, the uncropped output;
* ``output_padding ≥ stride`` is refused (ONNX Runtime and ``onnx.reference`` refuse it,
  even where ``output_padding < dilation`` would make it meaningful in PyTorch).

The tests name each of these (``tests/test_conventions.py``, ``tests/test_runtimes.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    conv_spec,
    conv_transpose_output_length,
    conv_transpose_spec,
    same_split,
    same_total_padding,
)
from ._common import apply, fmt, ints

__all__ = [
    "AUTO_PADS",
    "OnnxNode",
    "conv",
    "conv_spec_from_onnx",
    "conv_transpose",
    "conv_transpose_spec_from_attributes",
    "from_node",
    "spec_from_onnx",
    "to_onnx",
]

AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")

Pairs = tuple[tuple[int, int], ...]


def _auto_pad(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode()
    if value not in AUTO_PADS:
        raise ConvolutionSpecError(
            f"auto_pad must be one of {', '.join(map(repr, AUTO_PADS))}; got auto_pad={value!r}"
        )
    return str(value)


def _shapes(
    X_shape: Sequence[int], W_shape: Sequence[int], op: str
) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    x, w = tuple(int(n) for n in X_shape), tuple(int(n) for n in W_shape)
    if len(w) < 3:
        raise ConvolutionSpecError(f"{op}: W must have at least 3 dimensions; got W shape {w}")
    ndim = len(w) - 2
    if len(x) != ndim + 2:
        raise ConvolutionSpecError(
            f"{op}: X must be (N, C, D1, …) with {ndim} spatial axes to match the {len(w)}-d W; got X shape {x}"
        )
    return x, w, ndim


def _kernel_shape(kernel_shape: Any, w: tuple[int, ...], ndim: int) -> None:
    if kernel_shape is None:
        return
    k = ints(kernel_shape, "kernel_shape", ndim, broadcast=False)
    if k != w[2:]:
        raise ConvolutionSpecError(
            f"kernel_shape must equal W.shape[2:]; got kernel_shape={fmt(k)}, W shape {w}"
        )


def _explicit_pads(pads: Any, ndim: int) -> Pairs:
    flat = ints(pads, "pads", 2 * ndim, broadcast=False)
    return tuple(zip(flat[:ndim], flat[ndim:]))


def _split(total: int, auto_pad: str) -> tuple[int, int]:
    """The specification's split of ``total_padding`` into (begin, end)."""
    return same_split(total, odd_at_end=auto_pad == "SAME_UPPER")


def spec_from_onnx(
    X_shape: Sequence[int],
    W_shape: Sequence[int],
    *,
    auto_pad: str = "NOTSET",
    dilations: Sequence[int] | None = None,
    group: int = 1,
    kernel_shape: Sequence[int] | None = None,
    output_padding: Sequence[int] | None = None,
    output_shape: Sequence[int] | None = None,
    pads: Sequence[int] | None = None,
    strides: Sequence[int] | None = None,
) -> ConvTransposeSpec:
    """The canonical spec of an ONNX ``ConvTranspose`` node.

    Parameters
    ----------
    X_shape : sequence of int
        ``(N, C, D1, …)``.
    W_shape : sequence of int
        ``(C, M/group, k1, …)``, PyTorch's conv-transpose layout.
    auto_pad, dilations, group, kernel_shape, output_padding, output_shape, pads, strides
        The operator's attributes, with ONNX defaults.

    Returns
    -------
    ConvTransposeSpec
        ``padding`` holds the (begin, end) crops, derived from ``output_shape`` or
        ``auto_pad`` as the specification says.

    Raises
    ------
    ConvolutionSpecError
        Unknown ``auto_pad``; ``pads`` with ``auto_pad`` other than NOTSET;
        ``output_padding ≥ stride``, or an ``output_shape`` ``stride`` or more past the
        uncropped output (ONNX Runtime refuses both); ``kernel_shape`` ≠ ``W.shape[2:]``;
        anything the canonical spec rejects.

    Examples
    --------
    >>> spec = spec_from_onnx((1, 1, 3), (1, 1, 3), strides=[2], auto_pad="SAME_UPPER")
    >>> spec.padding, spec.output_size
    (((0, 1),), (6,))
    >>> spec_from_onnx((1, 1, 3), (1, 1, 3), strides=[2], auto_pad="SAME_LOWER").padding
    ((1, 0),)

    ``output_shape`` one past the uncropped 7: one zero at the end (``output_padding`` 1).

    >>> spec = spec_from_onnx((1, 1, 3), (1, 1, 3), strides=[2], output_shape=[8])
    >>> spec.padding, spec.output_padding
    (((0, 0),), (1,))
    >>> spec_from_onnx((1, 1, 3), (1, 1, 3), auto_pad="SAME")
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: auto_pad must be one of 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'; got auto_pad='SAME'
    """
    mode = _auto_pad(auto_pad)
    x, w, ndim = _shapes(X_shape, W_shape, "ConvTranspose")
    _kernel_shape(kernel_shape, w, ndim)
    stride = ints(strides, "strides", ndim, default=1, broadcast=False)
    dilation = ints(dilations, "dilations", ndim, default=1, broadcast=False)
    op = ints(output_padding, "output_padding", ndim, default=0, broadcast=False)
    given = None if pads is None else _explicit_pads(pads, ndim)
    if given is not None and mode != "NOTSET":
        raise ConvolutionSpecError(
            f"pads cannot be used together with auto_pad={mode!r} (the ONNX spec: 'This attribute "
            f"cannot be used simultaneously with auto_pad'); got pads={list(pads)}"  # type: ignore[arg-type]
        )
    for axis, (p, s) in enumerate(zip(op, stride)):
        if p >= s:
            raise ConvolutionSpecError(
                f"output_padding must be smaller than strides on every axis (ONNX Runtime and onnx.reference "
                f"refuse it, even below the dilation); got output_padding={fmt(op)}, strides={fmt(stride)} "
                f"(axis {axis})"
            )
    spatial = x[2:]
    full0 = tuple(
        conv_transpose_output_length(L, K, s, 0, 0, d) for L, K, s, d in zip(spatial, w[2:], stride, dilation)
    )
    full = tuple(f + p for f, p in zip(full0, op))
    if output_shape is not None:
        target = ints(output_shape, "output_shape", ndim, broadcast=False)
        crops: list[tuple[int, int]] = []
        ops: list[int] = []
        for axis, (t, f0, f, s) in enumerate(zip(target, full0, full, stride)):
            if t - f0 >= s:
                raise ConvolutionSpecError(
                    f"output_shape must be less than stride past the uncropped output {fmt(full0)} "
                    f"(stride·(L−1) + (K−1)·d + 1; ONNX Runtime: 'Explicit output_shape is inconsistent with "
                    f"input spatial dimensions'); got output_shape={fmt(target)}, strides={fmt(stride)} (axis {axis})"
                )
            total = f - t
            if total >= 0:
                crops.append(_split(total, mode))
                ops.append(op[axis])
            else:  # past the uncropped output: zeros at the end (ONNX Runtime, ONNX's backend test)
                crops.append((0, 0))
                ops.append(t - f0)
        return conv_transpose_spec(
            w,
            x[1:],
            stride=stride,
            padding=tuple(crops),
            output_padding=tuple(ops),
            groups=group,
            dilation=dilation,
        )
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        # target input·stride; a negative total leaves the uncropped output (ONNX Runtime, shape inference)
        pairs: Pairs = tuple(_split(max(0, f - L * s), mode) for f, L, s in zip(full, spatial, stride))
    else:
        pairs = given if given is not None and mode == "NOTSET" else ((0, 0),) * ndim
    return conv_transpose_spec(
        w, x[1:], stride=stride, padding=pairs, output_padding=op, groups=group, dilation=dilation
    )


conv_transpose_spec_from_attributes = spec_from_onnx  # the name docs/howto-graph-rewrite.md uses


def conv_spec_from_onnx(
    X_shape: Sequence[int],
    W_shape: Sequence[int],
    *,
    auto_pad: str = "NOTSET",
    dilations: Sequence[int] | None = None,
    group: int = 1,
    kernel_shape: Sequence[int] | None = None,
    pads: Sequence[int] | None = None,
    strides: Sequence[int] | None = None,
) -> ConvSpec:
    """The canonical spec of an ONNX ``Conv`` node.

    ``SAME_UPPER``/``SAME_LOWER`` pad so that ``output_shape[i] = ⌈input_shape[i] /
    strides[i]⌉``: ``total = max(0, (out − 1)·s + (K − 1)·d + 1 − L)``, the odd one at
    the end for ``SAME_UPPER`` and at the beginning for ``SAME_LOWER``.

    Examples
    --------
    >>> conv_spec_from_onnx((1, 1, 5), (1, 1, 4), strides=[2], auto_pad="SAME_UPPER").padding
    ((1, 2),)
    >>> conv_spec_from_onnx((1, 1, 5), (1, 1, 4), pads=[0, 1, 2]).padding
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: pads must have 2 entries (one per spatial axis); got pads=(0, 1, 2)
    """
    mode = _auto_pad(auto_pad)
    x, w, ndim = _shapes(X_shape, W_shape, "Conv")
    _kernel_shape(kernel_shape, w, ndim)
    stride = ints(strides, "strides", ndim, default=1, broadcast=False)
    dilation = ints(dilations, "dilations", ndim, default=1, broadcast=False)
    if pads is not None and mode != "NOTSET":
        raise ConvolutionSpecError(
            f"pads cannot be used together with auto_pad={mode!r}; got pads={list(pads)}"
        )
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        pairs: Pairs = tuple(
            _split(same_total_padding(L, K, s, d), mode) for L, K, s, d in zip(x[2:], w[2:], stride, dilation)
        )
    elif pads is None or mode == "VALID":
        pairs = ((0, 0),) * ndim
    else:
        pairs = _explicit_pads(pads, ndim)
    return conv_spec(w, x[1:], stride=stride, padding=pairs, dilation=dilation, groups=group)


def conv_transpose(
    X: ArrayLike,
    W: ArrayLike,
    B: ArrayLike | None = None,
    *,
    auto_pad: str = "NOTSET",
    dilations: Sequence[int] | None = None,
    group: int = 1,
    kernel_shape: Sequence[int] | None = None,
    output_padding: Sequence[int] | None = None,
    output_shape: Sequence[int] | None = None,
    pads: Sequence[int] | None = None,
    strides: Sequence[int] | None = None,
) -> NDArray[Any]:
    """ONNX ``ConvTranspose`` on NumPy arrays, as the operator specification defines it.

    Parameters
    ----------
    X : array_like, shape (N, C, D1, …)
    W : array_like, shape (C, M/group, k1, …)
    B : array_like, shape (M,), optional
    auto_pad, dilations, group, kernel_shape, output_padding, output_shape, pads, strides
        See :func:`spec_from_onnx`.

    Returns
    -------
    ndarray, shape (N, M, *output_shape)

    Examples
    --------
    The learner's example with ``output_shape``: 6 of the 7 full positions, the
    missing one cropped at the beginning (``total_padding = 1``, "otherwise" rule).

    >>> X = np.array([[[1, 1, 1]]]); W = np.array([[[1, 1, 1]]])
    >>> conv_transpose(X, W, strides=[2])
    array([[[1, 1, 2, 1, 2, 1, 1]]])
    >>> conv_transpose(X, W, strides=[2], output_shape=[6])
    array([[[1, 2, 1, 2, 1, 1]]])
    >>> conv_transpose(X, W, strides=[2], auto_pad="SAME_UPPER")
    array([[[1, 1, 2, 1, 2, 1]]])
    """
    Xa, Wa = np.asarray(X), np.asarray(W)
    spec = spec_from_onnx(
        Xa.shape,
        Wa.shape,
        auto_pad=auto_pad,
        dilations=dilations,
        group=group,
        kernel_shape=kernel_shape,
        output_padding=output_padding,
        output_shape=output_shape,
        pads=pads,
        strides=strides,
    )
    return apply(spec, Xa, Wa, B)


def conv(
    X: ArrayLike,
    W: ArrayLike,
    B: ArrayLike | None = None,
    *,
    auto_pad: str = "NOTSET",
    dilations: Sequence[int] | None = None,
    group: int = 1,
    kernel_shape: Sequence[int] | None = None,
    pads: Sequence[int] | None = None,
    strides: Sequence[int] | None = None,
) -> NDArray[Any]:
    """ONNX ``Conv`` on NumPy arrays.

    Parameters
    ----------
    X : array_like, shape (N, C, D1, …)
    W : array_like, shape (M, C/group, k1, …)
    B : array_like, shape (M,), optional

    Examples
    --------
    >>> conv(np.array([[[1, 2, 3, 4]]]), np.array([[[1, 0, -1]]]), auto_pad="SAME_UPPER")
    array([[[-2, -2, -2,  3]]])
    """
    Xa, Wa = np.asarray(X), np.asarray(W)
    spec = conv_spec_from_onnx(
        Xa.shape,
        Wa.shape,
        auto_pad=auto_pad,
        dilations=dilations,
        group=group,
        kernel_shape=kernel_shape,
        pads=pads,
        strides=strides,
    )
    return apply(spec, Xa, Wa, B)


def to_onnx(spec: ConvSpec | ConvTransposeSpec) -> dict[str, Any]:
    """The ONNX attributes of a ``Conv``/``ConvTranspose`` node equal to ``spec``.

    Explicit ``pads`` (no ``auto_pad``, no ``output_shape``), so that every runtime
    reads them the same way.  Pass them to ``onnx.helper.make_node(op, …, **attrs)``.

    ``output_padding ≥ stride`` (which ONNX runtimes refuse) is traded for a smaller
    end crop where there is one (the same map: see ``same_map``).

    Raises
    ------
    ConvolutionSpecError
        For a ``padding_mode`` other than ``"zeros"``: ONNX convolutions pad with zeros;
        for an ``output_padding ≥ stride`` that no end crop absorbs.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> to_onnx(conv_transpose_spec((2, 3, 3, 3), (2, 4, 4), stride=2, padding=((0, 1), (1, 1)), output_padding=1))
    {'kernel_shape': [3, 3], 'strides': [2, 2], 'pads': [0, 1, 1, 1], 'dilations': [1, 1], 'group': 1, 'output_padding': [1, 1]}
    """
    if spec.padding_mode != "zeros":
        raise ConvolutionSpecError(
            f"ONNX Conv/ConvTranspose pad with zeros only; got padding_mode={spec.padding_mode!r} "
            f"(use a Pad node before a Conv for reflect/replicate/circular)"
        )
    padding = spec.padding
    if isinstance(spec, ConvTransposeSpec):
        ops, pairs = [], []
        for axis, ((b, e), op, s) in enumerate(zip(spec.padding, spec.output_padding, spec.stride)):
            if op >= s:
                op, e = max(op - e, 0), e - (op - max(op - e, 0))
            if op >= s:
                raise ConvolutionSpecError(
                    f"ONNX runtimes refuse output_padding ≥ strides and no end crop absorbs it; got "
                    f"output_padding={fmt(spec.output_padding)}, strides={fmt(spec.stride)}, "
                    f"padding={spec.padding} (axis {axis})"
                )
            ops.append(op)
            pairs.append((b, e))
        padding = tuple(pairs)
    attrs: dict[str, Any] = {
        "kernel_shape": list(spec.kernel_size),
        "strides": list(spec.stride),
        "pads": [b for b, _ in padding] + [e for _, e in padding],
        "dilations": list(spec.dilation),
        "group": spec.groups,
    }
    if isinstance(spec, ConvTransposeSpec):
        attrs["output_padding"] = ops
    return attrs


_TRANSPOSE_ATTRS = (
    "auto_pad",
    "dilations",
    "group",
    "kernel_shape",
    "output_padding",
    "output_shape",
    "pads",
    "strides",
)
_CONV_ATTRS = ("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides")


@dataclass(frozen=True)
class OnnxNode:
    """A ``Conv`` or ``ConvTranspose`` node's type and attributes (from :func:`from_node`).

    Attributes
    ----------
    op_type : {"Conv", "ConvTranspose"}
    attributes : mapping of str to value
        Python values (lists of int, int, str).
    """

    op_type: str
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def spec(self, X_shape: Sequence[int], W_shape: Sequence[int]) -> ConvSpec | ConvTransposeSpec:
        """The canonical spec for inputs of these shapes."""
        if self.op_type == "ConvTranspose":
            return spec_from_onnx(X_shape, W_shape, **self.attributes)
        return conv_spec_from_onnx(X_shape, W_shape, **self.attributes)

    def __call__(self, X: ArrayLike, W: ArrayLike, B: ArrayLike | None = None) -> NDArray[Any]:
        """Evaluate the node with tconvmat."""
        Xa, Wa = np.asarray(X), np.asarray(W)
        return apply(self.spec(Xa.shape, Wa.shape), Xa, Wa, B)


def from_node(node: Any) -> OnnxNode:
    """Read an ``onnx.NodeProto`` of type ``Conv`` or ``ConvTranspose`` (needs onnx).

    Raises
    ------
    ConvolutionSpecError
        For another op type or an attribute the operator does not have.

    Examples
    --------
    >>> from onnx import helper  # doctest: +SKIP
    >>> n = from_node(helper.make_node("ConvTranspose", ["X", "W"], ["Y"], strides=[2], auto_pad="SAME_LOWER"))  # doctest: +SKIP
    >>> n.spec((1, 1, 3), (1, 1, 3)).padding  # doctest: +SKIP
    ((1, 0),)
    """
    from onnx import helper

    op = node.op_type
    if op not in ("Conv", "ConvTranspose"):
        raise ConvolutionSpecError(f"node must be a Conv or ConvTranspose; got op_type={op!r}")
    known = _TRANSPOSE_ATTRS if op == "ConvTranspose" else _CONV_ATTRS
    attrs: dict[str, Any] = {}
    for a in node.attribute:
        if a.name not in known:
            raise ConvolutionSpecError(
                f"{op} has no attribute {a.name!r}; known attributes: {', '.join(known)}"
            )
        value = helper.get_attribute_value(a)
        attrs[a.name] = value.decode() if isinstance(value, bytes) else value
    return OnnxNode(op, attrs)
