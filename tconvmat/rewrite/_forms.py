"""The two replacements of one ``ConvTranspose``: zero insertion + ``Conv``, and sub-pixel.

Each builder takes the node's validated :class:`~tconvmat.ConvTransposeSpec` and its
constant weight and returns standard-operator nodes and new initializers.  The numbers
come from tconvmat: :meth:`tconvmat.EquivalentConv.from_spec` (the flipped,
channel-swapped weight and the pads of the stride-1 convolution) and
:func:`tconvmat.identities.subpixel` (the phase kernels and their offsets).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..identities import subpixel
from ..ops import EquivalentConv
from ..spec import ConvTransposeSpec

__all__ = ["Builder", "conv_form", "subpixel_fallback_reason", "subpixel_form"]

INT64_MAX = np.iinfo(np.int64).max


@dataclass
class Builder:
    """Nodes and initializers for one replacement, with names unique in the model."""

    taken: set[str]
    prefix: str
    opset: int
    nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    shapes: dict[str, str] = field(default_factory=dict)

    def name(self, hint: str) -> str:
        base = f"{self.prefix}/{hint}"
        name, i = base, 1
        while name in self.taken:
            name, i = f"{base}_{i}", i + 1
        self.taken.add(name)
        return name

    def const(self, value: Any, hint: str, dtype: Any = np.int64) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: Sequence[str], hint: str, **attrs: Any) -> str:
        from onnx import helper

        out = self.name(hint)
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=self.name(op), **attrs))
        return out

    def unsqueeze(self, x: str, axes: Sequence[int], hint: str) -> str:
        if self.opset >= 13:
            return self.node("Unsqueeze", [x, self.const(list(axes), "axes")], hint)
        return self.node("Unsqueeze", [x], hint, axes=list(axes))

    def slice(self, x: str, crops: Sequence[tuple[int, int]], first_axis: int, hint: str) -> str:
        """Crop ``(before, after)`` positions on axes ``first_axis + a`` (after may reach past the end)."""
        axes = [first_axis + a for a, (b, e) in enumerate(crops) if b or e]
        if not axes:
            return x
        starts = [crops[a - first_axis][0] for a in axes]
        ends = [-crops[a - first_axis][1] if crops[a - first_axis][1] else INT64_MAX for a in axes]
        return self.node(
            "Slice",
            [x, self.const(starts, "starts"), self.const(ends, "ends"), self.const(axes, "axes")],
            hint,
        )

    def dims(self, x: str, first: int, last: int | None) -> str:
        """``Shape(x)[first:last]`` as a 1-D int64 tensor."""
        if x not in self.shapes:
            self.shapes[x] = self.node("Shape", [x], "shape")
        shape = self.shapes[x]
        end = INT64_MAX if last is None else last
        return self.node("Slice", [shape, self.const([first], "starts"), self.const([end], "ends")], "dims")

    def finish(self, last: str, output: str) -> None:
        """Let the node that produces ``last`` write ``output`` instead."""
        if last == output:
            return
        for node in self.nodes:
            for i, o in enumerate(node.output):
                if o == last:
                    node.output[i] = output
                    return
        self.nodes.append(_identity(last, output, self.name("Identity")))


def _identity(x: str, y: str, name: str) -> Any:
    from onnx import helper

    return helper.make_node("Identity", [x], [y], name=name)


def _crop_split(pads: Sequence[tuple[int, int]]) -> tuple[list[int], list[tuple[int, int]]]:
    """ONNX pads ``[b…, e…]`` of the non-negative parts, and the crops of the negative parts."""
    flat = [max(b, 0) for b, _ in pads] + [max(e, 0) for _, e in pads]
    crops = [(max(-b, 0), max(-e, 0)) for b, e in pads]
    return flat, crops


def conv_form(
    b: Builder,
    spec: ConvTransposeSpec,
    x: str,
    weight: NDArray[Any],
    bias: str | None,
    static: bool,
) -> str:
    """Zero insertion, then the stride-1 ``Conv`` with the flipped, channel-swapped weight.

    Zero insertion is ``Unsqueeze`` after every strided axis, ``Pad`` of ``s − 1``
    zeros at the end of the new axis, and ``Reshape`` merging the two: ``L·s``
    positions, ``s − 1`` zeros more than ``(L − 1)·s + 1``, taken off the right pad.
    The pads ``P_l, P_r`` of :attr:`~tconvmat.ConvTransposeSpec.flipped_pads` are the
    ``Conv``'s pads where non-negative; a negative one crops the ``Conv``'s output
    (``Slice``), which for a stride-1 convolution is the same as padding the input
    first and then cropping it.
    """
    eq = EquivalentConv.from_spec(spec, weight)
    n = spec.ndim
    strided = [a for a in range(n) if spec.stride[a] > 1]
    u = x
    if strided:
        new_axes = [2 + a + j + 1 for j, a in enumerate(strided)]
        t = b.unsqueeze(x, new_axes, "unsqueezed")
        pads = [0] * (2 * (n + 2 + len(strided)))
        for a, axis in zip(strided, new_axes):
            pads[n + 2 + len(strided) + axis] = spec.stride[a] - 1
        t = b.node("Pad", [t, b.const(pads, "pads")], "spread")
        if static:
            target = b.const([0, 0, *(L * s for L, s in zip(spec.input_size, spec.stride))], "shape")
        else:
            target = b.node(
                "Mul", [b.node("Shape", [x], "shape"), b.const([1, 1, *spec.stride], "factors")], "shape"
            )
        u = b.node("Reshape", [t, target], "zero_inserted")
    pads = [(pl, pr - (s - 1)) for (pl, pr), s in zip(eq.pads, spec.stride)]
    flat, crops = _crop_split(pads)
    w = b.const(eq.weight, "W", dtype=weight.dtype)
    y = b.node(
        "Conv",
        [u, w] + ([bias] if bias else []),
        "conv",
        kernel_shape=list(spec.kernel_size),
        strides=[1] * n,
        pads=flat,
        dilations=list(eq.dilation),
        group=eq.groups,
    )
    return b.slice(y, crops, 2, "cropped")


def subpixel_fallback_reason(spec: ConvTransposeSpec) -> str | None:
    """Why the sub-pixel form does not apply (None when it does)."""
    for a, (s, d) in enumerate(zip(spec.stride, spec.dilation)):
        if s > 1 and math.gcd(s, d) > 1:
            return (
                f"dilation {d} and stride {s} share the factor {math.gcd(s, d)} (axis {a}): "
                f"{s - s // math.gcd(s, d)} of every {s} phases get no tap, so the sub-pixel form "
                f"would not save work; rewritten as conv"
            )
    return None


def subpixel_form(
    b: Builder,
    spec: ConvTransposeSpec,
    x: str,
    weight: NDArray[Any],
    bias: str | None,
    bias_value: NDArray[Any] | None,
    static: bool,
) -> str:
    """The polyphase form: stride-1 ``Conv`` per phase group, then an interleave and a crop.

    On an axis with ``d = 1`` (or ``s = 1``) all ``s`` phases share one ``Conv``: with
    the common left pad ``P = max_φ before_φ``, phase ``φ``'s taps start at position
    ``P − before_φ`` of a kernel long enough for every phase (``⌈K/s⌉`` taps when ``s``
    divides ``K``), and the phases are the output channels ``c·∏s + φ``.  On an axis with ``d > 1`` coprime with ``s`` each phase gets
    its own ``Conv`` (dilation ``d``) and the outputs are concatenated.  Every phase
    output has ``Q = ⌈F/s⌉`` positions (``F`` the uncropped length); the interleave
    (``DepthToSpace`` for 2-D equal strides, else ``Reshape``/``Transpose``/``Reshape``)
    gives ``Q·s ≥ F`` positions and a ``Slice`` takes the crops ``p_before`` and
    ``Q·s − F + p_after``.
    """
    sp = subpixel(
        weight,
        spec.input_shape,
        stride=spec.stride,
        padding=spec.padding,
        output_padding=spec.output_padding,
        groups=spec.groups,
        dilation=spec.dilation,
    )
    n, s, d = spec.ndim, spec.stride, spec.dilation
    M, G = spec.out_channels, spec.groups
    full = sp.full_size
    Q = [-(-F // st) for F, st in zip(full, s)]
    # per axis and phase: the first tap's left pad and the number of taps
    before: list[dict[int, int]] = [{} for _ in range(n)]
    ntaps: list[dict[int, int]] = [{} for _ in range(n)]
    for ph in sp.phases:
        for a in range(n):
            if ph.taps[a]:
                before[a][ph.phase[a]] = ph.pads[a][0]
                ntaps[a][ph.phase[a]] = len(ph.taps[a])
    split = [s[a] > 1 and d[a] > 1 for a in range(n)]
    fused = [a for a in range(n) if not split[a] and s[a] > 1]
    per_fused = math.prod(s[a] for a in fused)

    def axis_plan(a: int, phi: int | None) -> tuple[int, int, dict[int, int]]:
        """Left pad, kernel length and each phase's first position, for a Conv node."""
        if phi is not None:  # one phase
            if phi not in before[a]:
                return 0, 1, {}
            return before[a][phi], ntaps[a][phi], {phi: 0}
        P = max(before[a].values())
        start = {f: (P - p) // d[a] for f, p in before[a].items()}
        return P, max(start[f] + ntaps[a][f] for f in start), start

    outputs = []
    for combo in product(*(range(s[a]) if split[a] else (None,) for a in range(n))):
        plans = [axis_plan(a, combo[a]) for a in range(n)]
        J = [p[1] for p in plans]
        W = np.zeros((M, per_fused, spec.in_channels // G, *J), dtype=weight.dtype)
        for ph in sp.phases:
            if ph.weight is None or any(split[a] and ph.phase[a] != combo[a] for a in range(n)):
                continue
            f = int(np.ravel_multi_index([ph.phase[a] for a in fused], [s[a] for a in fused])) if fused else 0
            box = tuple(
                slice(plans[a][2][ph.phase[a]], plans[a][2][ph.phase[a]] + len(ph.taps[a])) for a in range(n)
            )
            W[(slice(None), f, slice(None), *box)] = ph.weight
        R = [Q[a] - spec.input_size[a] - plans[a][0] + d[a] * (J[a] - 1) for a in range(n)]
        flat, crops = _crop_split([(p[0], r) for p, r in zip(plans, R)])
        inputs = [x, b.const(W.reshape(M * per_fused, *W.shape[2:]), "W", dtype=weight.dtype)]
        if bias_value is not None:
            inputs.append(b.const(np.repeat(bias_value, per_fused), "B", dtype=bias_value.dtype))
        y = b.node(
            "Conv", inputs, "phases", kernel_shape=J, strides=[1] * n, pads=flat, dilations=list(d), group=G
        )
        outputs.append(b.slice(y, crops, 2, "phases"))
    z = outputs[0] if len(outputs) == 1 else b.node("Concat", outputs, "phases", axis=1)
    splits = [a for a in range(n) if split[a]]
    if splits or fused:
        if len(outputs) == 1 and n == 2 and s[0] == s[1] and not splits:
            z = b.node("DepthToSpace", [z], "interleaved", blocksize=s[0], mode="CRD")
        else:
            middle = [s[a] for a in splits] + [M] + [s[a] for a in fused]
            if static:
                target = b.const([0, *middle, *Q], "shape")
            else:
                target = b.node(
                    "Concat", [b.dims(z, 0, 1), b.const(middle, "shape"), b.dims(z, 2, None)], "shape", axis=0
                )
            t = b.node("Reshape", [z, target], "phases")
            # positions in t: N, split phases, M, fused phases, Q_0 … Q_{n-1}
            where = {("s", a): 1 + j for j, a in enumerate(splits)}
            where.update({("f", a): 2 + len(splits) + j for j, a in enumerate(fused)})
            perm = [0, 1 + len(splits)]
            for a in range(n):
                perm.append(1 + len(middle) + a)
                if s[a] > 1:
                    perm.append(where[("s", a) if split[a] else ("f", a)])
            t = b.node("Transpose", [t], "interleaved", perm=perm)
            if static:
                target = b.const([0, M, *(q * st for q, st in zip(Q, s))], "shape")
            else:
                dims = b.node(
                    "Concat", [b.dims(z, 0, 1), b.const([M], "M"), b.dims(z, 2, None)], "shape", axis=0
                )
                target = b.node("Mul", [dims, b.const([1, 1, *s], "factors")], "shape")
            z = b.node("Reshape", [t, target], "interleaved")
    crops = [(pb, q * st - F + pe) for (pb, pe), q, st, F in zip(spec.padding, Q, s, full)]
    y = b.slice(z, crops, 2, "cropped")
    if bias is not None and bias_value is None:
        y = b.node("Add", [y, b.unsqueeze(bias, [0, *range(2, n + 2)], "bias")], "biased")
    return y
