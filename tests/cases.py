"""Hypothesis strategies for convolution parameters, shared by the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import tconvmat as tcm

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


def _pads(draw, ndim, limit, asymmetric):
    if asymmetric and draw(st.booleans()):
        return tuple((draw(st.integers(0, limit[a])), draw(st.integers(0, limit[a]))) for a in range(ndim))
    p = tuple(draw(st.integers(0, limit[a])) for a in range(ndim))
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
    """A valid parameter set for a convolution or a transposed convolution."""
    ndim = draw(st.sampled_from(ndims))
    groups = draw(st.integers(1, 3))
    c_a = draw(st.integers(1, max_channels))
    c_b = draw(st.integers(1, max_channels))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    size = tuple(draw(st.integers(1, MAX_SIZE[ndim])) for _ in range(ndim))
    limit = [d * (k - 1) + 2 for d, k in zip(dilation, kernel)]
    mode = draw(st.sampled_from(modes))
    batch = draw(st.sampled_from([None, 1, 2]))
    kw: dict[str, Any] = {"groups": groups}
    if any(s > 1 for s in stride) or draw(st.booleans()):
        kw["stride"] = stride if draw(st.booleans()) or ndim > 1 else stride[0]
    if any(d > 1 for d in dilation):
        kw["dilation"] = dilation
    kw["padding"] = _pads(draw, ndim, limit, asymmetric and not output_size)
    if mode != "zeros":
        kw["padding_mode"] = mode
    if kind == "conv":
        weight_shape = (c_b * groups, c_a, *kernel)
        input_shape = (c_a * groups, *size)
    else:
        weight_shape = (c_a * groups, c_b, *kernel)
        input_shape = (c_a * groups, *size)
        op = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        if output_size and draw(st.booleans()):
            try:
                base = tcm.conv_transpose_spec(weight_shape, input_shape, **{**kw, "padding_mode": "zeros"})
            except tcm.ConvolutionSpecError:
                assume(False)
            kw["output_size"] = tuple(
                n + draw(st.integers(0, s - 1)) for n, s in zip(base.output_size, stride)
            )
        elif any(op):
            kw["output_padding"] = op
    case = Case(kind, weight_shape, input_shape, batch, kw)
    try:
        case.spec()
    except tcm.ConvolutionSpecError:
        assume(False)
    return case
