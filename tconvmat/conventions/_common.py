"""Shared plumbing for the convention modules: argument normalisation and applying a spec."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..ops import conv, conv_transpose
from ..spec import ConvolutionSpecError, ConvSpec, ConvTransposeSpec

__all__ = ["apply", "conv_kwargs", "fmt", "ints", "same_map", "transpose_kwargs"]


def fmt(values: Sequence[Any]) -> str:
    """``(1, 2)``-style rendering (a 1-tuple keeps its comma)."""
    values = tuple(values)
    return "(" + ", ".join(str(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ConvolutionSpecError(f"{name} must hold integers; got {name}={value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ConvolutionSpecError(f"{name} must hold integers; got {name}={value!r}") from None


def ints(
    value: Any, name: str, length: int, *, default: int | None = None, broadcast: bool = True
) -> tuple[int, ...]:
    """``value`` as a tuple of ``length`` ints.

    ``None`` gives ``default`` on every axis; a single int is repeated when
    ``broadcast``; a sequence must have exactly ``length`` items (or one, when
    ``broadcast``).
    """
    if value is None:
        if default is None:
            raise ConvolutionSpecError(f"{name} is required; got {name}=None")
        return (default,) * length
    if isinstance(value, (str, bytes)):
        raise ConvolutionSpecError(f"{name} must be integers; got {name}={value!r}")
    if isinstance(value, Sequence) or np.ndim(value) > 0:
        items = tuple(_int(v, name) for v in np.asarray(value).reshape(-1).tolist())
        if broadcast and len(items) == 1:
            items = items * length
        if len(items) != length:
            raise ConvolutionSpecError(
                f"{name} must have {length} entries (one per spatial axis); got {name}={fmt(items)}"
            )
        return items
    if not broadcast:
        raise ConvolutionSpecError(f"{name} must be a list of {length} integers; got {name}={value!r}")
    return (_int(value, name),) * length


def transpose_kwargs(spec: ConvTransposeSpec) -> dict[str, Any]:
    """Keyword arguments of :func:`tconvmat.conv_transpose` that rebuild ``spec``."""
    return {
        "stride": spec.stride,
        "padding": spec.padding,
        "output_padding": spec.output_padding,
        "groups": spec.groups,
        "dilation": spec.dilation,
        "padding_mode": spec.padding_mode,
    }


def conv_kwargs(spec: ConvSpec) -> dict[str, Any]:
    """Keyword arguments of :func:`tconvmat.conv` that rebuild ``spec``."""
    return {
        "stride": spec.stride,
        "padding": spec.padding,
        "dilation": spec.dilation,
        "groups": spec.groups,
        "padding_mode": spec.padding_mode,
    }


def apply(
    spec: ConvSpec | ConvTransposeSpec, x: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None
) -> NDArray[Any]:
    """Run ``spec`` with tconvmat on ``x`` (PyTorch layouts, batched or not)."""
    if isinstance(spec, ConvTransposeSpec):
        return conv_transpose(x, weight, bias, **transpose_kwargs(spec))
    return conv(x, weight, bias, **conv_kwargs(spec))


def same_map(a: ConvTransposeSpec, b: ConvTransposeSpec) -> bool:
    """Whether two specs are the same linear map.

    With zero padding a trailing crop and ``output_padding`` trade one for one
    (``padding=((0, 1),), output_padding=1`` is ``padding=0``): compare the pads of
    the equivalent stride-1 convolution instead of the two fields.
    """
    if a.padding_mode != "zeros" or b.padding_mode != "zeros":
        return a == b
    fields = ("in_channels", "out_channels", "kernel_size", "input_size", "stride", "dilation", "groups")
    return all(getattr(a, f) == getattr(b, f) for f in fields) and a.flipped_pads == b.flipped_pads
