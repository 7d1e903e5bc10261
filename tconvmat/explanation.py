"""What ``tconvmat explain`` shows, computed at the cost of what it shows.

A learner reads a dozen output elements, a few rows of ``C`` and small windows of the
arrays of the equivalent convolution, whatever the input size.  This module picks them
and computes them without building ``C``, a SymPy symbol per input element or any array
larger than the problem's own input and output:

- :func:`axis_stories`: what ``padding`` and ``output_padding`` do on each axis (which
  positions of the full result are cropped, which forward input lengths give the same
  output length and which one ``output_padding`` picks), every number from
  :mod:`tconvmat.spec`;
- :func:`focus`: an output window where something happens (every tap of the kernel
  lands, on real inputs);
- :func:`terms` and :func:`expressions`: the products ``w[…]·x[…]`` that add up to
  chosen output elements, from the index relation :func:`tconvmat.spec.input_index` and
  the padding maps :func:`tconvmat.padding.source_index` (per axis, a loop over taps);
- :func:`padded_window`: a window of the zero-inserted, padded input of the equivalent
  stride-1 convolution, without making the whole padded array.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .padding import source_index
from .spec import (
    ConvTransposeSpec,
    conv_output_length,
    conv_transpose_output_length,
    full_length,
    input_index,
    reach,
    shape_arithmetic,
)

__all__ = [
    "AxisStory",
    "Explanation",
    "axis_stories",
    "count",
    "explain",
    "expressions",
    "focus",
    "indices_in",
    "padded_window",
    "reads",
    "symbol_name",
    "terms",
]


@dataclass(frozen=True)
class AxisStory:
    """One spatial axis of a transposed convolution, told from its full result.

    Attributes
    ----------
    axis : int
    full : int
        Length of the full result, every product of every input and tap, before any
        cropping and without ``output_padding`` (:func:`tconvmat.spec.full_length`).
    start, stop : int
        The output is positions ``start … stop − 1`` of the full result:
        ``padding`` crops ``p_before`` at the start and ``p_after`` at the end, and
        ``output_padding`` adds ``op`` positions back at the end (beyond the full
        result they hold zeros).
    forward_lengths : tuple of int
        The input lengths ``L`` that the forward convolution (same kernel, stride,
        padding and dilation) maps to this axis' input length: the transposed
        convolution cannot tell them apart.
    length : int
        The output length, the one of ``forward_lengths`` that ``output_padding`` picks.
    """

    axis: int
    full: int
    start: int
    stop: int
    forward_lengths: tuple[int, ...]
    length: int


def axis_stories(spec: ConvTransposeSpec) -> list[AxisStory]:
    """Per axis: the full result, the crop, and the forward lengths ``output_padding`` picks from.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> spec = conv_transpose_spec((1, 1, 3), (1, 3), stride=2, padding=1, output_padding=1)
    >>> axis_stories(spec)
    [AxisStory(axis=0, full=7, start=1, stop=7, forward_lengths=(5, 6), length=6)]
    """
    out = []
    for a in range(spec.ndim):
        L, K, s, d = spec.input_size[a], spec.kernel_size[a], spec.stride[a], spec.dilation[a]
        pb, pa = spec.padding[a]
        length = spec.output_size[a]
        shortest = conv_transpose_output_length(L, K, s, pb, pa, d, 0)
        candidates = range(max(shortest, 1), max(shortest, 1) + s)
        forward = tuple(n for n in candidates if conv_output_length(n, K, s, pb, pa, d) == L)
        out.append(AxisStory(a, full_length(L, K, s, d), pb, pb + length, forward, length))
    return out


def _axis_map(spec: ConvTransposeSpec, axis: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """``(J, valid)`` of shape ``(L_in, K)``: input ``i`` through tap ``k`` lands on output
    ``J[i, k]`` (after the padding mode folds it back), if ``valid[i, k]``."""
    L, K = spec.input_size[axis], spec.kernel_size[axis]
    s, d, pb = spec.stride[axis], spec.dilation[axis], spec.padding[axis][0]
    u = input_index(np.arange(L)[:, None], np.arange(K)[None, :], s, d, pb)
    return source_index(u, spec.output_size[axis], spec.padding_mode)


def focus(spec: ConvTransposeSpec, want: Sequence[int] | None = None) -> tuple[range, ...]:
    """An output window where something happens: every position in it receives every tap
    that can reach it from a real input (none is lost to the edge), near the middle.

    Per axis the window holds at least ``want`` positions that taps reach (default 2) and
    at least ``s`` positions (``s`` consecutive positions see every tap of the kernel
    once), cut to the output length.  With ``gcd(s, d) > 1`` some positions no tap
    reaches: the window is longer, so that it still holds ``want`` that some tap does.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> focus(conv_transpose_spec((1, 1, 3), (1, 10), stride=2))
    (range(9, 11),)
    >>> focus(conv_transpose_spec((1, 1, 3, 3), (1, 2, 2)))
    (range(1, 3), range(1, 3))
    """
    window = []
    for a in range(spec.ndim):
        n_out, s = spec.output_size[a], spec.stride[a]
        J, valid = _axis_map(spec, a)
        # how many (input, tap) pairs land on each output, against how many taps are in phase with it
        hits = np.bincount(J[valid], minlength=n_out) if spec.padding_mode == "zeros" else None
        u = input_index(0, np.arange(spec.kernel_size[a]), s, spec.dilation[a], spec.padding[a][0])
        phase = np.bincount(np.mod(u, s), minlength=s)
        reached = int(np.count_nonzero(phase))  # positions per period of s that some tap reaches
        goal = want[a] if want is not None else 2
        n = min(n_out, max(s, s * -(-goal // reached)))
        if hits is None:  # a padding mode: compare against zeros, where nothing folds
            J0, v0 = _axis_map(replace(spec, padding_mode="zeros"), a)
            hits = np.bincount(J0[v0], minlength=n_out)
        complete = hits == phase[np.arange(n_out) % s]
        # complete windows: a sliding count; prefer the one nearest the middle
        sums = np.convolve(complete.astype(np.int64), np.ones(n, dtype=np.int64), "valid")
        starts = np.arange(sums.size)
        middle = (n_out - n) / 2
        best = np.lexsort((np.abs(starts - middle), -sums))[0]
        window.append(range(int(best), int(best) + n))
    return tuple(window)


def terms(spec: ConvTransposeSpec, index: Sequence[int]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The products ``w[weight_index] · x[input_index]`` that add up to ``y[index]``.

    ``index`` is ``(c_out, *j)``; each term is ``(weight_index, input_index)`` in the
    weight layout ``(C_in, C_out/groups, *K)`` and the input layout ``(C_in, *L)``.
    Derived from :func:`tconvmat.spec.input_index` and, for padding modes, the fold of
    :func:`tconvmat.padding.source_index`; nothing is built beyond the axes' index maps.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> spec = conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> terms(spec, (0, 2))
    [((0, 0, 0), (0, 1)), ((0, 0, 2), (0, 0))]
    """
    c_out, *j = (int(v) for v in index)
    per_axis = []
    for a in range(spec.ndim):
        J, valid = _axis_map(spec, a)
        i, k = np.nonzero(valid & (J == j[a]))
        per_axis.append(list(zip(i.tolist(), k.tolist())))
    per_group_out = spec.out_channels // spec.groups
    per_group_in = spec.in_channels // spec.groups
    group, local = divmod(c_out, per_group_out)
    out = []
    for c_in in range(group * per_group_in, (group + 1) * per_group_in):
        for combo in itertools.product(*per_axis):
            i = tuple(p[0] for p in combo)
            k = tuple(p[1] for p in combo)
            out.append(((c_in, local, *k), (c_in, *i)))
    return sorted(out)


def symbol_name(shape: Sequence[int], index: Sequence[int], name: str) -> str:
    """The name :func:`tconvmat.symbolic.input_symbols` (and ``weight_symbols``) gives the
    element ``index`` of an array of ``shape``: ``x3`` with one non-trivial axis,
    ``x_{0,1,2}`` otherwise.

    Examples
    --------
    >>> symbol_name((1, 5), (0, 3), "x"), symbol_name((2, 3, 3), (1, 0, 2), "x")
    ('x3', 'x_{1,0,2}')
    """
    axes = [a for a, n in enumerate(shape) if n != 1]
    if len(axes) <= 1:
        return f"{name}{index[axes[0]] if axes else 0}"
    return f"{name}_{{{','.join(str(int(v)) for v in index)}}}"


def expressions(
    spec: ConvTransposeSpec,
    indices: Sequence[Sequence[int]],
    x: NDArray[Any] | None = None,
    weight: NDArray[Any] | None = None,
) -> list[Any]:
    """SymPy expressions of the output elements ``indices`` (each ``(c_out, *j)``).

    In the symbols of :func:`tconvmat.symbolic.input_symbols` and ``weight_symbols``
    (only the ones used are made), or in the values of ``x`` and ``weight`` where given
    (numbers or SymPy objects).  Equal to those elements of
    :func:`tconvmat.symbolic.conv_transpose_expressions`.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> spec = conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> expressions(spec, [(0, 1), (0, 2)])
    [w1*x0, w0*x1 + w2*x0]
    """
    import sympy

    def value(a: NDArray[Any] | None, shape: tuple[int, ...], idx: tuple[int, ...], name: str) -> Any:
        if a is None:
            return sympy.Symbol(symbol_name(shape, idx, name))
        v = a[idx]
        return sympy.sympify(v.item() if isinstance(v, np.generic) else v)

    out = []
    for index in indices:
        # one product per entry of C: an input times the sum of the taps that reach it
        # (several where a padding mode folds them onto one position)
        by_input: dict[tuple[int, ...], list[Any]] = {}
        for wi, xi in terms(spec, index):
            by_input.setdefault(xi, []).append(value(weight, spec.weight_shape, wi, "w"))
        products = [sympy.Add(*taps) * value(x, spec.input_shape, xi, "x") for xi, taps in by_input.items()]
        out.append(sympy.Add(*products))
    return out


def padded_window(
    x: NDArray[Any], spec: ConvTransposeSpec, pads: Sequence[tuple[int, int]], window: Sequence[range]
) -> NDArray[Any]:
    """``pad(upsample(x, s), pads)`` on the positions ``window`` (per spatial axis) only.

    ``x[i]`` sits at position ``input_index(i, 0, s, 1, −P_l) = i·s + P_l`` of the padded,
    zero-inserted input; everything else there is zero.  ``x`` is ``(C_in, *L)``.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> spec = conv_transpose_spec((1, 1, 3), (1, 3), stride=2)
    >>> padded_window(np.array([[1, 2, 3]]), spec, spec.flipped_pads, [range(0, 9)])
    array([[0, 0, 1, 0, 2, 0, 3, 0, 0]])
    """
    out = np.zeros((x.shape[0], *(len(r) for r in window)), dtype=x.dtype)
    src, dst = [], []
    for a, r in enumerate(window):
        i = np.arange(spec.input_size[a])
        t = input_index(i, 0, spec.stride[a], 1, -pads[a][0]) - r.start
        keep = (t >= 0) & (t < len(r))
        src.append(i[keep])
        dst.append(t[keep])
    out[(slice(None), *np.ix_(*dst))] = x[(slice(None), *np.ix_(*src))]
    return out


def reads(spec: ConvTransposeSpec, window: Sequence[range]) -> tuple[range, ...]:
    """Positions of the padded input that the stride-1 convolution reads for the output
    ``window``: ``j … j_last + d·(K − 1)`` per axis.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> reads(conv_transpose_spec((1, 1, 3), (1, 3), stride=2), [range(2, 4)])
    (range(2, 6),)
    """
    return tuple(
        range(r.start, r.stop + reach(K, d)) for r, K, d in zip(window, spec.kernel_size, spec.dilation)
    )


def indices_in(channels: Sequence[int], window: Sequence[range], limit: int) -> list[tuple[int, ...]]:
    """The first ``limit`` indices ``(c, *j)`` of ``channels × window`` (row-major).

    Examples
    --------
    >>> indices_in([0, 2], [range(3, 5)], 3)
    [(0, 3), (0, 4), (2, 3)]
    """
    every = itertools.product(channels, *window)
    return [tuple(int(v) for v in idx) for idx in itertools.islice(every, limit)]


def count(window: Sequence[range]) -> int:
    """Number of positions in a window.

    Examples
    --------
    >>> count([range(3, 5), range(0, 3)])
    6
    """
    return math.prod(len(r) for r in window)


# ---------------------------------------------------------------------------
# The explanation object: what `tconvmat explain` prints, for Python and notebooks
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Explanation:
    """One transposed convolution explained: its spec, data, result, ``C`` and pictures.

    Made by :func:`explain`.  ``str()`` is a short text story (the shape arithmetic,
    what padding does, ``y``, a few element expressions); in Jupyter it renders as HTML
    with the scatter picture, ``C`` coloured by tap and the sliding flipped kernel.

    Attributes
    ----------
    spec : ConvTransposeSpec
    x : ndarray, shape (C_in, *L)
    weight : ndarray, shape (C_in, C_out/groups, *K)
    """

    spec: ConvTransposeSpec
    x: NDArray[Any]
    weight: NDArray[Any]

    @functools.cached_property
    def y(self) -> NDArray[Any]:
        """``conv_transpose(x, weight)`` (the scatter route)."""
        from .ops import conv_transpose

        return conv_transpose(self.x, self.weight, **self.spec.kwargs())

    @functools.cached_property
    def matrix(self) -> Any:
        """``C`` (``scipy.sparse.csr_array``) with ``y.ravel() == C.T @ x.ravel()``."""
        from .matrix import conv_transpose_matrix

        return conv_transpose_matrix(self.weight, self.spec.input_shape, **self.spec.kwargs())

    @functools.cached_property
    def equivalent(self) -> Any:
        """The equal stride-1 convolution (:class:`tconvmat.EquivalentConv`)."""
        from .ops import EquivalentConv

        return EquivalentConv.from_spec(self.spec, self.weight)

    def figures(self) -> dict[str, Any]:
        """The three pictures (``tconvmat.figures``): ``scatter``, ``matrix``, ``sliding``."""
        from . import figures

        return {
            "scatter": figures.ScatterFigure.from_spec(self.spec, self.weight, self.x),
            "matrix": figures.MatrixFigure.from_spec(self.spec),
            "sliding": figures.SlidingFigure.from_spec(self.spec, self.weight, self.x),
        }

    def lines(self, limit: int = 6) -> list[str]:
        """The text story, line by line (``limit`` element expressions)."""
        spec = self.spec
        y = self.y
        out = [f"{spec.ndim}-d transposed convolution, weight {spec.weight_shape}, input {spec.input_shape}"]
        out += shape_arithmetic(spec)
        for st in axis_stories(spec):
            picks = " or ".join(map(str, st.forward_lengths))
            out.append(
                f"axis {st.axis}: y is positions {st.start}…{st.stop - 1} of the full {st.full}; "
                f"the forward convolution maps L = {picks} to {spec.input_size[st.axis]}, y has {st.length}"
            )
        if math.prod(spec.output_shape) <= limit:
            window: tuple[range, ...] = tuple(range(n) for n in spec.output_size)
            shown = indices_in(range(spec.out_channels), window, limit)
        else:
            window = focus(spec)
            shown = indices_in(range(min(spec.out_channels, 1)), window, limit)
        for index, expr in zip(shown, expressions(spec, shown, self.x, self.weight)):
            symbols = expressions(spec, [index])[0]
            out.append(f"y{list(index)} = {symbols} = {expr}")
        out.append(f"y = {np.array2string(y, separator=', ', threshold=50)}")
        C = self.matrix
        out.append(
            f"C: {C.shape[0]} × {C.shape[1]}, {C.nnz} nonzeros; y = Cᵀx (row i holds x[i]'s kernel copy)"
        )
        if C.shape[0] * C.shape[1] <= 120:
            out += ["  " + line for line in np.array2string(C.toarray(), separator=" ").splitlines()]
        if spec.padding_mode == "zeros":
            eq = self.equivalent
            out.append(
                f"equivalent: insert s − 1 = {', '.join(str(s - 1) for s in eq.upsample)} zeros between "
                f"neighbours, pad by P_l, P_r = {', '.join(f'{a}, {b}' for a, b in eq.pads)} (negative crops), "
                f"convolve with stride 1 and the flipped, channel-swapped kernel w′"
            )
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        s = self.spec
        return f"Explanation(weight shape {s.weight_shape}, input {s.input_shape}, output {s.output_shape})"

    def _repr_html_(self) -> str:
        import base64
        import html

        from .figures import check_drawable

        parts = [f"<pre>{html.escape(str(self))}</pre>"]
        try:
            check_drawable(self.spec)
        except ValueError as e:
            parts.append(f"<p>(no pictures: {html.escape(str(e))})</p>")
            return "\n".join(parts)
        for name, fig in self.figures().items():
            data = base64.b64encode(fig.to_png()).decode("ascii")
            parts.append(f'<figure><img alt="{name}" src="data:image/png;base64,{data}"/></figure>')
        return "\n".join(parts)


def explain(input: Any, weight: Any, **params: Any) -> Explanation:
    """Explain ``conv_transpose(input, weight, **params)``: an :class:`Explanation`.

    ``input`` is ``(C_in, *L)`` (one sample); ``params`` are the keyword arguments of
    :func:`tconvmat.conv_transpose` (PyTorch's names).

    Examples
    --------
    >>> import tconvmat as tcm
    >>> e = tcm.explain([[1, 1]], [[[1, 2, 3]]], stride=2)
    >>> e.y.tolist()
    [[1, 2, 4, 2, 3]]
    >>> print(e)
    1-d transposed convolution, weight (1, 1, 3), input (1, 2)
    L_out = (L_in − 1)·s − p_before − p_after + d·(K − 1) + op + 1
    axis 0: (2 − 1)·2 − 0 − 0 + 1·(3 − 1) + 0 + 1 = 5
    ...
    y[0, 2] = w0*x1 + w2*x0 = 4
    ...
    """
    from ._arrays import numeric, weight_array
    from .spec import conv_transpose_spec

    w = weight_array(weight, "(C_in, C_out/groups, *kernel)")
    x = numeric(input, "input")
    spec = conv_transpose_spec(w.shape, x.shape, **params)
    return Explanation(spec, x, w)
