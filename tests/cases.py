"""Hypothesis strategies for convolution parameters, shared by the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat.testing import sample_params

MAX_SIZE = {1: 7, 2: 5, 3: 4}


@dataclass
class Case:
    """One convolution problem: shapes and keyword arguments."""

    kind: str  # "conv" or "transpose"
    weight_shape: tuple[int, ...]
    input_shape: tuple[int, ...]  # (C, *spatial), no batch
    batch: int | None  # None: unbatched
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def ndim(self) -> int:
        return len(self.weight_shape) - 2

    @property
    def x_shape(self) -> tuple[int, ...]:
        return self.input_shape if self.batch is None else (self.batch, *self.input_shape)

    def arrays(self, seed: int, dtype: Any = np.int64, bias: bool = False):
        rng = np.random.default_rng(seed)
        x = rng.integers(-3, 4, self.x_shape).astype(dtype)
        w = rng.integers(-3, 4, self.weight_shape).astype(dtype)
        if not bias:
            return x, w, None
        c = (
            self.weight_shape[0]
            if self.kind == "conv"
            else self.weight_shape[1] * self.kwargs.get("groups", 1)
        )
        return x, w, rng.integers(-3, 4, c).astype(dtype)

    def spec(self):
        if self.kind == "conv":
            return tcm.conv_spec(self.weight_shape, self.input_shape, **self.kwargs)
        return tcm.conv_transpose_spec(self.weight_shape, self.input_shape, **self.kwargs)


def _padding_form(draw, pads):
    """The same padding written as PyTorch users do: one int, per-axis ints, or (before, after) pairs."""
    if any(b != a for b, a in pads):
        return pads
    p = tuple(b for b, _ in pads)
    return p if draw(st.booleans()) or len(set(p)) > 1 else p[0]


@st.composite
def cases(
    draw,
    kind: str = "transpose",
    ndims=(1, 2, 3),
    modes=("zeros",),
    asymmetric: bool = False,
    output_size: bool = False,
    max_channels: int = 3,
) -> Case:
    """A valid parameter set for a convolution or a transposed convolution, drawn by
    :func:`tconvmat.testing.sample_params` and written in the argument forms users write."""
    transposed = kind != "conv"
    p = sample_params(
        lambda lo, hi: draw(st.integers(lo, hi)),
        ndim=ndims,
        max_channels=max_channels,
        max_size=MAX_SIZE,
        transposed=transposed,
        padding_modes=modes,
        max_kernel=4,
        max_stride=3,
        max_dilation=3,
        asymmetric=asymmetric and not output_size,
    )
    assume(p is not None)
    ndim = len(p["stride"])
    batch = draw(st.sampled_from([None, 1, 2]))
    kw: dict[str, Any] = {"groups": p["groups"]}
    stride, dilation = p["stride"], p["dilation"]
    if any(s > 1 for s in stride) or draw(st.booleans()):
        kw["stride"] = stride if draw(st.booleans()) or ndim > 1 else stride[0]
    if any(d > 1 for d in dilation):
        kw["dilation"] = dilation
    kw["padding"] = _padding_form(draw, p["padding"])
    if p["padding_mode"] != "zeros":
        kw["padding_mode"] = p["padding_mode"]
    if transposed:
        if output_size and draw(st.booleans()):
            try:
                base = tcm.conv_transpose_spec(
                    p["weight_shape"], p["input_shape"], **{**kw, "padding_mode": "zeros"}
                )
            except tcm.ConvolutionSpecError:  # the pads needed the output_padding drawn
                assume(False)
            kw["output_size"] = tuple(
                n + draw(st.integers(0, s - 1)) for n, s in zip(base.output_size, stride)
            )
        elif any(p["output_padding"]):
            kw["output_padding"] = p["output_padding"]
    case = Case(kind, p["weight_shape"], p["input_shape"], batch, kw)
    try:
        case.spec()
    except tcm.ConvolutionSpecError:
        assume(False)
    return case
