"""An ONNX ``ConvTranspose`` node's attributes as a spec, the way ONNX Runtime reads them.

The formulas come from :mod:`tconvmat.spec`; this module only decides which of them
the attributes select (``auto_pad``, ``output_shape``, ``pads``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..spec import (
    ConvolutionSpecError,
    ConvTransposeSpec,
    conv_transpose_output_length,
    conv_transpose_spec,
    same_split,
)
from ..spec import format_tuple as fmt

__all__ = ["ATTRIBUTES", "AUTO_PADS", "RewriteError", "spec_from_attributes"]

AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")
ATTRIBUTES = (
    "auto_pad",
    "dilations",
    "group",
    "kernel_shape",
    "output_padding",
    "output_shape",
    "pads",
    "strides",
)


class RewriteError(ConvolutionSpecError):
    """A model or node the rewrite cannot take (a :class:`ValueError`), with the reason."""


def _ints(attrs: Mapping[str, Any], name: str, n: int, default: int) -> tuple[int, ...]:
    value = attrs.get(name)
    if value is None:
        return (default,) * n
    items = tuple(int(v) for v in value)
    if len(items) != n:
        raise RewriteError(f"{name} must have {n} entries (one per spatial axis); got {name}={list(items)}")
    return items


def _split(total: int, auto_pad: str) -> tuple[int, int]:
    """ONNX's split of ``total_padding``: the odd one at the end for SAME_UPPER, else at the start."""
    return same_split(total, odd_at_end=auto_pad == "SAME_UPPER")


def spec_from_attributes(
    weight_shape: Sequence[int], input_size: Sequence[int | None], attributes: Mapping[str, Any]
) -> ConvTransposeSpec:
    """The spec of a ``ConvTranspose`` node, with ONNX Runtime's reading of the attributes.

    Parameters
    ----------
    weight_shape : sequence of int
        ``W``'s shape ``(C, M/group, k1, …)``.
    input_size : sequence of int or None
        ``X``'s spatial sizes; ``None`` for a size unknown before run time.  The
        rewritten graph does not depend on it unless ``output_shape`` is given; an
        unknown size is replaced by a nominal one.
    attributes : mapping
        The node's attributes as Python values (bytes or str for ``auto_pad``).

    Returns
    -------
    ConvTransposeSpec
        ``padding`` holds the (begin, end) crops of the uncropped output.

    Notes
    -----
    With ``F`` the uncropped length :func:`~tconvmat.spec.conv_transpose_output_length`
    (no pads, with ``output_padding``), ONNX Runtime 1.x reads:

    * ``output_shape`` given: ``pads`` are ignored and ``total = F − output_shape``;
      ``total ≥ 0`` is split as ONNX says (``SAME_UPPER``: the odd one at the end,
      otherwise at the start); ``total < 0`` appends ``−total`` positions at the end
      that get no contribution (bias only), which is ``output_padding`` grown by
      ``−total``; ONNX Runtime refuses more than ``stride − 1 − output_padding``.
    * ``SAME_UPPER``/``SAME_LOWER``: ``total = max(0, F − L·stride)`` (no extra
      positions when the kernel is shorter than the stride: the output is ``F`` long).
    * ``VALID``: no crop; ``NOTSET``: ``pads``.

    Examples
    --------
    >>> spec_from_attributes((1, 1, 3), (3,), {"strides": [2], "output_shape": [6]}).padding
    ((1, 0),)
    >>> spec_from_attributes((1, 1, 3), (3,), {"strides": [2], "auto_pad": "SAME_UPPER"}).padding
    ((0, 1),)
    >>> spec = spec_from_attributes((1, 1, 3), (3,), {"strides": [2], "output_shape": [8]})
    >>> spec.padding, spec.output_padding, spec.output_size
    (((0, 0),), (1,), (8,))
    """
    unknown = sorted(set(attributes) - set(ATTRIBUTES))
    if unknown:
        raise RewriteError(f"ConvTranspose has no attribute {unknown[0]!r}; known: {', '.join(ATTRIBUTES)}")
    w = tuple(int(v) for v in weight_shape)
    n = len(w) - 2
    if n < 1 or len(input_size) != n:
        raise RewriteError(
            f"ConvTranspose needs W of rank ≥ 3 and X of rank W's; got W shape {fmt(w)}, "
            f"{len(input_size)} spatial axes in X"
        )
    mode = attributes.get("auto_pad", "NOTSET")
    mode = mode.decode() if isinstance(mode, bytes) else str(mode)
    if mode not in AUTO_PADS:
        raise RewriteError(
            f"auto_pad must be one of {', '.join(map(repr, AUTO_PADS))}; got auto_pad={mode!r}"
        )
    kernel = _ints(attributes, "kernel_shape", n, 0) if "kernel_shape" in attributes else w[2:]
    if kernel != w[2:]:
        raise RewriteError(
            f"kernel_shape must equal W.shape[2:]; got kernel_shape={fmt(kernel)}, W shape {fmt(w)}"
        )
    stride = _ints(attributes, "strides", n, 1)
    dilation = _ints(attributes, "dilations", n, 1)
    op = list(_ints(attributes, "output_padding", n, 0))
    for a, (o, s_a) in enumerate(zip(op, stride)):
        if not 0 <= o < s_a:  # ONNX Runtime's rule (PyTorch allows o < max(s, d)): what it runs
            raise RewriteError(
                f"output_padding must be smaller than strides on every axis, as ONNX Runtime requires; "
                f"got output_padding={fmt(tuple(op))}, strides={fmt(stride)} (axis {a})"
            )
    pads = _ints(attributes, "pads", 2 * n, 0)
    group = int(attributes.get("group", 1))
    if mode != "NOTSET" and "pads" in attributes:
        raise RewriteError(f"pads cannot be used together with auto_pad={mode!r}; got pads={list(pads)}")
    shape = attributes.get("output_shape")
    target = None if shape is None else tuple(int(v) for v in shape)
    if target is not None and len(target) != n:
        raise RewriteError(
            f"output_shape must have {n} entries, the spatial sizes (ONNX Runtime refuses N and C in it); "
            f"got output_shape={list(shape)}"
        )
    crops: list[tuple[int, int]] = []
    for a in range(n):
        K, s, d = w[2 + a], stride[a], dilation[a]
        if target is not None:
            L = input_size[a]
            if L is None:
                raise RewriteError(
                    f"output_shape={list(target)} needs the input's spatial size, which is unknown "
                    f"(dynamic) on axis {a}"
                )
            total = conv_transpose_output_length(L, K, s, 0, 0, d, op[a]) - target[a]
            if total < 0:
                if op[a] - total > s - 1:
                    raise RewriteError(
                        f"output_shape={list(target)} exceeds the uncropped output size "
                        f"{conv_transpose_output_length(L, K, s, 0, 0, d, op[a])} by {-total}, more than "
                        f"stride − 1 − output_padding = {s - 1 - op[a]}, which ONNX Runtime refuses (axis {a})"
                    )
                op[a] -= total  # extra positions at the end: no contribution, bias only
                crops.append((0, 0))
            else:
                crops.append(_split(total, mode))
        elif mode in ("SAME_UPPER", "SAME_LOWER"):
            # F − L·s does not depend on L: take L = 1
            total = conv_transpose_output_length(1, K, s, 0, 0, d, op[a]) - s
            crops.append(_split(max(0, total), mode))
        elif mode == "VALID":
            crops.append((0, 0))
        else:
            crops.append((pads[a], pads[n + a]))
    # an unknown size: a nominal one, long enough for a non-empty output
    size = tuple(L if L is not None else 1 + pb + pe for L, (pb, pe) in zip(input_size, crops))
    return conv_transpose_spec(
        w,
        (w[0], *size),
        stride=stride,
        padding=tuple(crops),
        output_padding=tuple(op),
        groups=group,
        dilation=dilation,
    )
