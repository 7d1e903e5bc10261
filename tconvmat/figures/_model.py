"""The figure model: the numbers of every picture, and their layout as backend-free scenes.

Two layers, both plain frozen data:

* the *data* of one (input channel, output channel) pair, from the index relation
  :func:`tconvmat.spec.input_index` and the spec's derived values: :class:`ScatterData`
  (every input's kernel copy in the output), :class:`SlidingData` (the zero-inserted,
  padded input and the flipped kernel's window), :class:`MatrixData` (``C`` by tap);
* a :class:`Scene`: grids of cells (value, kind, tap colour, current, output padding)
  placed in cell units, free labels and rules.  A renderer (matplotlib here, TikZ in
  :mod:`tconvmat.latex`) only draws a scene; it computes no position itself.

Coordinates: cell ``(r, c)`` of a grid has its centre at ``(x0 + c + 0.5, y0 + r)``,
``y`` growing downward, one unit per cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..matrix import conv_transpose_matrix
from ..ops import conv_transpose
from ..spec import ConvolutionSpecError, ConvTransposeSpec, input_index

__all__ = [
    "Grid",
    "Matrix",
    "MatrixData",
    "ScatterData",
    "Scene",
    "SlidingData",
    "Text",
    "Val",
]

KINDS = ("value", "zero", "pad", "crop", "blank", "empty")
"""Cell kinds: an ordinary number; an inserted zero; a padding zero; a position the padding
crops (outside the output); a drawn cell with no number yet; no cell at all."""


# ---------------------------------------------------------------------------
# Scenes
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Val:
    """A number (or SymPy expression) inside a label; each renderer formats it."""

    value: Any


Label = tuple[Any, ...]
"""A label: LaTeX-math strings (``"x_{0} = "``) and :class:`Val` items, joined by the renderer."""


@dataclass(frozen=True, eq=False)
class Grid:
    """A rectangle of cells.

    ``values``, ``kind``, ``tap``, ``current`` and ``outpad`` are 2-D arrays of the grid's
    shape: the number shown, the kind (see ``KINDS``), the kernel tap whose colour fills
    the cell (``-1``: none), the current output (highlighted), and the output-padding
    cells (outlined).
    """

    name: str
    x0: float
    y0: float
    values: np.ndarray
    kind: np.ndarray
    tap: np.ndarray
    current: np.ndarray
    outpad: np.ndarray
    title: Label = ()
    row_labels: tuple[Label, ...] = ()
    col_labels: tuple[str, ...] = ()
    col_label_gap: float = 1.0

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.kind.shape[0]), int(self.kind.shape[1]))

    def replace(self, **changes: Any) -> Grid:
        """A copy with some fields changed (frames of an animation)."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return Grid(**fields)


@dataclass(frozen=True)
class Text:
    """A free label at ``(x, y)``; ``anchor`` as TikZ's (``"east"``, ``"south"``, ``"center"``…)."""

    x: float
    y: float
    label: Label
    anchor: str = "center"
    gray: bool = False


@dataclass(frozen=True, eq=False)
class Matrix:
    """The pattern of ``C`` placed at ``(x0, y0)``, ``cell`` units per entry, gaps as bands."""

    data: MatrixData
    x0: float
    y0: float
    cell: float
    title: Label = ()

    @property
    def width(self) -> float:
        return self.cell * self.data.display_shape[1]

    @property
    def height(self) -> float:
        return self.cell * self.data.display_shape[0]


@dataclass(frozen=True, eq=False)
class Scene:
    """Everything one picture draws, in cell units."""

    grids: tuple[Grid, ...]
    texts: tuple[Text, ...] = ()
    rules: tuple[tuple[float, float, float, float], ...] = ()  # x0, y0, x1, y1
    matrix: Matrix | None = None
    caption: str = ""
    step: Label = ()  # an animation frame's line on top (what happens at this step)
    tap_key: tuple[str, ...] = ()  # the colour key: the label of each kernel tap's colour, in tap order

    def grid(self, name: str) -> Grid:
        """The grid called ``name`` (the first, if several)."""
        for g in self.grids:
            if g.name == name:
                return g
        raise KeyError(name)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_min, y_min, x_max, y_max)`` of the cells (labels excluded)."""
        xs = [g.x0 for g in self.grids] + [g.x0 + g.shape[1] for g in self.grids]
        ys = [g.y0 - 0.5 for g in self.grids] + [g.y0 + g.shape[0] - 0.5 for g in self.grids]
        if self.matrix is not None:
            m = self.matrix
            xs += [m.x0, m.x0 + m.width]
            ys += [m.y0, m.y0 + m.height]
        return (min(xs), min(ys), max(xs), max(ys))

    def replace(self, **changes: Any) -> Scene:
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields.update(changes)
        return Scene(**fields)


def _grid(name: str, x0: float, y0: float, shape: tuple[int, int], **kw: Any) -> Grid:
    """A grid of ``shape`` whose unspecified arrays are the defaults (value cells, no tap)."""
    values = kw.pop("values", None)
    if values is None:
        values = np.full(shape, "", dtype=object)
    return Grid(
        name=name,
        x0=x0,
        y0=y0,
        values=np.asarray(values, dtype=object).reshape(shape),
        kind=np.asarray(kw.pop("kind", np.full(shape, "value", dtype="<U5"))).reshape(shape),
        tap=np.asarray(kw.pop("tap", np.full(shape, -1, dtype=np.int64))).reshape(shape),
        current=np.asarray(kw.pop("current", np.zeros(shape, dtype=bool))).reshape(shape),
        outpad=np.asarray(kw.pop("outpad", np.zeros(shape, dtype=bool))).reshape(shape),
        **kw,
    )


def _as2d(a: np.ndarray) -> np.ndarray:
    """A 1-D array as one row; a 2-D array as is."""
    return a.reshape(1, -1) if a.ndim == 1 else a


# ---------------------------------------------------------------------------
# Inputs: one channel pair of a spec
# ---------------------------------------------------------------------------


def check_drawable(spec: ConvTransposeSpec) -> None:
    """Refuse, with a :class:`~tconvmat.ConvolutionSpecError`, what the figures cannot draw:
    not a transposed convolution, a non-zero padding mode, or more than 2 spatial axes."""
    if not isinstance(spec, ConvTransposeSpec):
        raise ConvolutionSpecError(
            f"figures draw a transposed convolution: pass a ConvTransposeSpec (tconvmat.conv_transpose_spec); "
            f"got {type(spec).__name__}"
        )
    if spec.padding_mode != "zeros":
        raise ConvolutionSpecError(
            f"figures draw zero padding only (the picture of a {spec.padding_mode!r} adjoint would not be "
            f"the kernel sliding over zeros); got padding_mode={spec.padding_mode!r}"
        )
    if spec.ndim > 2:
        raise ConvolutionSpecError(
            f"figures draw 1-D and 2-D transposed convolutions; got {spec.ndim} spatial axes "
            f"(kernel_size={spec.kernel_size})"
        )


def resolve_arrays(spec: ConvTransposeSpec, weight: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """``weight`` and ``x`` checked against the spec's shapes, or their defaults.

    The default weight numbers every kernel ``1, 2, …, K`` (tap ``k`` is ``k + 1``, so the
    flipped kernel ``w'`` reads ``K, …, 2, 1``: the flip shows); the default input is
    ``1, 2, …`` over all of ``x``.

    Examples
    --------
    >>> import tconvmat as tcm
    >>> w, x = resolve_arrays(tcm.conv_transpose_spec((2, 1, 3), (2, 2)), None, None)
    >>> w[:, 0].tolist(), x.tolist()
    ([[1, 2, 3], [1, 2, 3]], [[1, 2], [3, 4]])
    """
    if weight is None:
        k = math.prod(spec.kernel_size)
        w = np.broadcast_to(
            np.arange(1, k + 1, dtype=np.int64).reshape(spec.kernel_size), spec.weight_shape
        ).copy()
    else:
        w = np.asarray(weight)
        if w.shape != spec.weight_shape:
            raise ConvolutionSpecError(
                f"weight must have the spec's shape {spec.weight_shape} (C_in, C_out/groups, *kernel); "
                f"got weight shape {w.shape}"
            )
    if x is None:
        xa = np.arange(1, math.prod(spec.input_shape) + 1, dtype=np.int64).reshape(spec.input_shape)
    else:
        xa = np.asarray(x)
        if xa.shape == (1, *spec.input_shape):
            xa = xa[0]
        if xa.shape != spec.input_shape:
            raise ConvolutionSpecError(
                f"x must have the spec's input shape {spec.input_shape} (C_in, *spatial), or with a batch "
                f"of one; got x shape {xa.shape}"
            )
    return w, xa


def channel_pairs(
    spec: ConvTransposeSpec, pairs: Sequence[tuple[int, int]] | None = None, max_pairs: int = 4
) -> tuple[tuple[tuple[int, int], ...], int]:
    """The (input channel, output channel) pairs drawn, and how many pairs there are in all.

    By default, at most ``max_pairs``: the first pair of every group after group 0 (so the
    picture shows that groups do not mix), the rest the pairs of group 0 in order (input
    channels outer).  Given pairs must be connected (the same group).

    Examples
    --------
    >>> import tconvmat as tcm
    >>> channel_pairs(tcm.conv_transpose_spec((2, 1, 3), (2, 4), groups=2))
    (((0, 0), (1, 1)), 2)
    >>> channel_pairs(tcm.conv_transpose_spec((4, 3, 3), (4, 5), groups=2))  # 2 × 3 pairs per group
    (((0, 0), (0, 1), (0, 2), (2, 3)), 12)
    """
    cin_g, cout_g = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    total = spec.groups * cin_g * cout_g
    if pairs is None:
        n = max(int(max_pairs), 1)
        later = tuple((g * cin_g, g * cout_g) for g in range(1, spec.groups))[: n - 1]
        first = tuple((c, o) for c in range(cin_g) for o in range(cout_g))[: n - len(later)]
        return first + later, total
    out = []
    for pair in pairs:
        c, o = (int(v) for v in pair)
        if not (0 <= c < spec.in_channels and 0 <= o < spec.out_channels):
            raise ConvolutionSpecError(
                f"channel pair (input {c}, output {o}) is outside in_channels={spec.in_channels}, "
                f"out_channels={spec.out_channels}"
            )
        if c // cin_g != o // cout_g:
            raise ConvolutionSpecError(
                f"channel pair (input {c}, output {o}) is not connected: input channel {c} is in group "
                f"{c // cin_g} and output channel {o} in group {o // cout_g} (groups={spec.groups})"
            )
        out.append((c, o))
    if not out:
        raise ConvolutionSpecError("pairs must name at least one (input channel, output channel) pair")
    return tuple(out), total


def _pair_arrays(
    spec: ConvTransposeSpec, w: np.ndarray, x: np.ndarray, pair: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x[c]``, the kernel ``w[c, o mod C_out/g]`` and that pair's contribution to ``y[o]``."""
    c, o = pair
    cout_g = spec.out_channels // spec.groups
    xs, ws = x[c], w[c, o % cout_g]
    part = conv_transpose(
        xs[None],
        ws[None, None],
        stride=spec.stride,
        padding=spec.padding,
        output_padding=spec.output_padding,
        dilation=spec.dilation,
    )[0]
    return xs, ws, part


def _outpad_mask(spec: ConvTransposeSpec, positions: list[np.ndarray]) -> np.ndarray:
    """Where an output position (per-axis index arrays, broadcastable) is in the last ``op`` of an axis."""
    mask = np.zeros(np.broadcast_shapes(*(p.shape for p in positions)), dtype=bool)
    for p, L_out, op in zip(positions, spec.output_size, spec.output_padding):
        mask = mask | ((p >= L_out - op) & (p < L_out))
    return mask


def _taps(kernel: tuple[int, ...]) -> list[tuple[int, ...]]:
    return list(np.ndindex(*kernel))


# ---------------------------------------------------------------------------
# Scatter: every input drops its scaled kernel copy into the output
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ScatterData:
    """One channel pair's scatter: input ``i`` through tap ``k`` lands at ``j = i·s + k·d − p``.

    Attributes
    ----------
    spec : ConvTransposeSpec
    pair : (int, int)
        Input channel, output channel.
    x, w : ndarray
        The input channel (spatial shape) and the kernel of the pair.
    positions : ndarray, shape (n_inputs, n_taps, ndim)
        Output position of every input (C order) through every tap, from
        :func:`~tconvmat.spec.input_index`; outside ``[0, L_out)`` means cropped.
    products : ndarray, shape (n_inputs, n_taps)
        ``x_i · w_k``.
    lo, hi : tuple of int
        The positions drawn per axis, cropped ones included: ``lo … hi``.
    sums : ndarray, shape ``hi − lo + 1``
        Every copy added up over ``lo … hi``; inside the output these are ``y``.
    y : ndarray
        The pair's contribution to the output, from :func:`tconvmat.conv_transpose`.
    """

    spec: ConvTransposeSpec
    pair: tuple[int, int]
    x: np.ndarray
    w: np.ndarray
    positions: np.ndarray
    products: np.ndarray
    lo: tuple[int, ...]
    hi: tuple[int, ...]
    sums: np.ndarray
    y: np.ndarray

    @property
    def canvas_shape(self) -> tuple[int, ...]:
        return tuple(h - lo + 1 for lo, h in zip(self.lo, self.hi))

    def _flat_canvas(self) -> np.ndarray:
        """Flat canvas index of every (input, tap)."""
        rel = self.positions - np.asarray(self.lo)
        return np.ravel_multi_index(tuple(rel[..., a] for a in range(rel.shape[-1])), self.canvas_shape)

    def running_sums(self) -> np.ndarray:
        """Shape ``(n_inputs, *canvas)``: the sums after inputs ``0 … t`` (C order) have scattered."""
        n_in, _n_taps = self.products.shape
        flat = self._flat_canvas()
        per_input = np.zeros((n_in, math.prod(self.canvas_shape)), dtype=self.sums.dtype)
        rows = np.broadcast_to(np.arange(n_in)[:, None], flat.shape)
        np.add.at(per_input, (rows.ravel(), flat.ravel()), self.products.ravel())
        return np.cumsum(per_input, axis=0).reshape(n_in, *self.canvas_shape)

    def inside(self) -> np.ndarray:
        """Shape ``(n_inputs, n_taps)``: whether the copy lands inside the output."""
        size = np.asarray(self.spec.output_size)
        return np.all((self.positions >= 0) & (self.positions < size), axis=-1)


def _dtype(*arrays: np.ndarray) -> Any:
    return object if any(a.dtype == object for a in arrays) else np.result_type(*arrays)


def scatter_data(
    spec: ConvTransposeSpec, w: np.ndarray, x: np.ndarray, pair: tuple[int, int] = (0, 0)
) -> ScatterData:
    """The :class:`ScatterData` of one channel pair (``w``, ``x`` full tensors of the spec)."""
    check_drawable(spec)
    xs, ws, part = _pair_arrays(spec, w, x, pair)
    nd = spec.ndim
    inputs = np.indices(spec.input_size).reshape(nd, -1)
    pos = np.stack(
        [
            np.stack(
                [
                    input_index(inputs[a], k[a], spec.stride[a], spec.dilation[a], spec.padding[a][0])
                    for a in range(nd)
                ],
                axis=-1,
            )
            for k in _taps(spec.kernel_size)  # a loop over taps only
        ],
        axis=1,
    )
    products = xs.reshape(-1)[:, None] * ws.reshape(-1)[None, :]
    lo = tuple(int(v) for v in np.minimum(0, pos.min(axis=(0, 1))))
    hi = tuple(int(v) for v in np.maximum(np.asarray(spec.output_size) - 1, pos.max(axis=(0, 1))))
    data = ScatterData(
        spec, tuple(pair), xs, ws, pos, products, lo, hi, np.zeros(0, dtype=_dtype(xs, ws)), part
    )
    flat = data._flat_canvas()
    sums = np.zeros(math.prod(data.canvas_shape), dtype=_dtype(xs, ws))
    np.add.at(sums, flat.ravel(), products.ravel())
    object.__setattr__(data, "sums", sums.reshape(data.canvas_shape))
    return data


# ---------------------------------------------------------------------------
# Sliding: the flipped kernel over the zero-inserted, padded input (gather)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SlidingData:
    """One channel pair's stride-1 view: ``u`` = the input, ``s − 1`` zeros inserted, padded by
    the spec's :attr:`~tconvmat.spec.ConvTransposeSpec.flipped_pads` (negative: cropped).

    Attributes
    ----------
    spec, pair, x, w
        As in :class:`ScatterData`.
    u : ndarray
        The zero-inserted, padded input.
    is_x, is_pad : ndarray of bool
        Cells of ``u`` holding an input element; padding cells (the rest are inserted zeros).
    source : ndarray of int
        Flat index into ``x`` of every ``is_x`` cell, ``-1`` elsewhere.
    w_flip : ndarray
        The flipped kernel ``w'[κ] = w[K − 1 − κ]``.
    y : ndarray
        The pair's contribution to the output (:func:`tconvmat.conv_transpose`).
    """

    spec: ConvTransposeSpec
    pair: tuple[int, int]
    x: np.ndarray
    w: np.ndarray
    u: np.ndarray
    is_x: np.ndarray
    is_pad: np.ndarray
    source: np.ndarray
    w_flip: np.ndarray
    y: np.ndarray

    def window(self, o: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The cells of ``u`` the flipped kernel reads for output ``o``, and the tap of each.

        Returns ``(cells, taps)``: ``cells`` of shape ``(n_taps, ndim)`` is
        ``o + κ·d`` (:func:`~tconvmat.spec.input_index` with stride 1, no pad) for every
        flipped tap ``κ`` in C order; ``taps`` the flat index of the original tap
        ``k = K − 1 − κ`` (the colour of ``C``'s entry ``w_k``).
        """
        spec = self.spec
        kappas = np.array(_taps(spec.kernel_size)).reshape(-1, spec.ndim)
        cells = input_index(np.asarray(o)[None, :], kappas, 1, np.asarray(spec.dilation)[None, :], 0)
        orig = np.asarray(spec.kernel_size) - 1 - kappas
        taps = np.ravel_multi_index(tuple(orig.T), spec.kernel_size)
        return cells, taps

    def gathered(self, o: Sequence[int]) -> np.ndarray:
        """Shape ``(n_taps,)``: the flat input index each tap reads for output ``o`` (``-1``: a zero)."""
        cells, _ = self.window(o)
        return self.source[tuple(cells.T)]


def sliding_data(
    spec: ConvTransposeSpec, w: np.ndarray, x: np.ndarray, pair: tuple[int, int] = (0, 0)
) -> SlidingData:
    """The :class:`SlidingData` of one channel pair."""
    check_drawable(spec)
    xs, ws, part = _pair_arrays(spec, w, x, pair)
    axes_x, axes_pad, axes_src = [], [], []
    for n_z, s, (P_l, P_r) in zip(spec.upsampled_size, spec.stride, spec.flipped_pads):  # loop over axes
        z = np.arange(n_z + P_l + P_r) - P_l  # position in the zero-inserted signal
        is_x = (z >= 0) & (z < n_z) & (z % s == 0)
        axes_x.append(is_x)
        axes_pad.append((z < 0) | (z >= n_z))
        axes_src.append(np.where(is_x, z // s, 0))
    shape = tuple(len(a) for a in axes_x)
    is_x = np.ones(shape, dtype=bool)
    is_pad = np.zeros(shape, dtype=bool)
    for axis, (a, p) in enumerate(zip(axes_x, axes_pad)):
        along = [1] * len(shape)
        along[axis] = shape[axis]
        is_x = is_x & a.reshape(along)
        is_pad = is_pad | p.reshape(along)
    src_idx = np.meshgrid(*axes_src, indexing="ij")
    flat_src = np.ravel_multi_index(tuple(src_idx), spec.input_size)
    source = np.where(is_x, flat_src, -1)
    u = np.zeros(is_x.shape, dtype=_dtype(xs, ws))
    u[is_x] = xs.reshape(-1)[source[is_x]]
    return SlidingData(spec, tuple(pair), xs, ws, u, is_x, is_pad, source, np.flip(ws), part)


# ---------------------------------------------------------------------------
# The matrix C, entries by tap
# ---------------------------------------------------------------------------


def kept(n: int, limit: int, what: str) -> tuple[list[int], int | None]:
    """Indices shown out of ``n`` under ``limit`` display lines, and where the gap band goes.

    Past the limit: the first ``⌈(limit−1)/2⌉`` and the last ``⌊(limit−1)/2⌋`` with a gap
    between (``limit`` lines in all).

    >>> kept(5, 12, "rows")
    ([0, 1, 2, 3, 4], None)
    >>> kept(100, 6, "rows")
    ([0, 1, 2, 98, 99], 3)
    """
    if limit < 3:
        raise ValueError(f"{what} must be at least 3 (head, gap, tail); got {what}={limit}")
    if n <= limit:
        return list(range(n)), None
    head = limit - 1 - (limit - 1) // 2
    tail = (limit - 1) // 2
    return list(range(head)) + list(range(n - tail, n)), head


def tap_matrix(spec: ConvTransposeSpec, rows: slice | None = None) -> sp.csr_array:
    """``C`` (or its ``rows``) with every entry the flat spatial tap index + 1 that puts it there."""
    taps = math.prod(spec.kernel_size)
    weight = np.broadcast_to(
        np.arange(1, taps + 1, dtype=np.int64).reshape(spec.kernel_size), spec.weight_shape
    )
    return conv_transpose_matrix(
        np.ascontiguousarray(weight),
        spec.input_shape,
        stride=spec.stride,
        padding=spec.padding,
        output_padding=spec.output_padding,
        groups=spec.groups,
        dilation=spec.dilation,
        padding_mode="zeros",
        rows=rows,
    )


def tap_rows(spec: ConvTransposeSpec, rows: list[int]) -> sp.csr_array:
    """The tap matrix at the kept rows only (runs of consecutive rows), built without the rest."""
    runs: list[list[int]] = []
    for r in rows:  # a loop over the kept rows (a head and a tail run)
        if runs and r == runs[-1][1]:
            runs[-1][1] = r + 1
        else:
            runs.append([r, r + 1])
    return sp.csr_array(sp.vstack([tap_matrix(spec, slice(a, b)) for a, b in runs], format="csr"))


@dataclass(frozen=True, eq=False)
class MatrixData:
    """The sparsity pattern of ``C`` (rows: inputs of the transposed convolution, columns: outputs).

    Attributes
    ----------
    spec : ConvTransposeSpec or None
        ``None`` for a plain matrix (entries shaded uniformly, ``taps`` is 1 where nonzero).
    shape : (int, int)
        The shape of the whole ``C``.
    rows, cols : tuple of int
        The rows and columns shown; ``row_gap``/``col_gap`` where the gap band goes (or ``None``).
    taps : ndarray of int, shape (len(rows), len(cols))
        The flat kernel tap + 1 of every shown entry, 0 where ``C`` has none.
    kernel_size : tuple of int or None
    """

    spec: ConvTransposeSpec | None
    shape: tuple[int, int]
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    row_gap: int | None
    col_gap: int | None
    taps: np.ndarray
    kernel_size: tuple[int, ...] | None

    @property
    def display_shape(self) -> tuple[int, int]:
        return (len(self.rows) + (self.row_gap is not None), len(self.cols) + (self.col_gap is not None))

    def display_index(self, index: int, axis: int) -> int | None:
        """Where row (``axis=0``) or column ``index`` of ``C`` is drawn, ``None`` if elided."""
        kept_ = self.rows if axis == 0 else self.cols
        gap = self.row_gap if axis == 0 else self.col_gap
        where = np.searchsorted(kept_, index)
        if where >= len(kept_) or kept_[where] != index:
            return None
        return int(where) + (gap is not None and where >= gap)


def matrix_data(c: Any, max_rows: int = 24, max_cols: int = 24) -> MatrixData:
    """The :class:`MatrixData` of a spec (its ``C`` by tap; only the kept rows are built) or a matrix."""
    if isinstance(c, ConvTransposeSpec):
        check_drawable(c)
        n_rows, n_cols = math.prod(c.input_shape), math.prod(c.output_shape)
    elif sp.issparse(c) or (hasattr(c, "shape") and len(c.shape) == 2):
        n_rows, n_cols = (int(v) for v in c.shape)
    else:
        a = np.asarray(c, dtype=object)
        if a.ndim != 2:
            raise ValueError(f"a matrix must be 2-D; got shape {a.shape}")
        c, (n_rows, n_cols) = a, a.shape
    rows, r_gap = kept(n_rows, max_rows, "max_rows")
    cols, c_gap = kept(n_cols, max_cols, "max_cols")
    if isinstance(c, ConvTransposeSpec):
        block = np.asarray(tap_rows(c, rows)[:, np.asarray(cols, dtype=np.intp)].toarray(), dtype=np.int64)
        return MatrixData(c, (n_rows, n_cols), tuple(rows), tuple(cols), r_gap, c_gap, block, c.kernel_size)
    if sp.issparse(c):
        csr = sp.csr_array(c)
        sub = csr[np.asarray(rows, dtype=np.intp)][:, np.asarray(cols, dtype=np.intp)]
        nz = np.asarray(sp.csr_array(sub).toarray())
    else:
        nz = np.asarray(c, dtype=object)[np.ix_(rows, cols)]
    mask = np.vectorize(_nonzero, otypes=[bool])(nz) if nz.size else np.zeros(nz.shape, dtype=bool)
    return MatrixData(
        None, (n_rows, n_cols), tuple(rows), tuple(cols), r_gap, c_gap, mask.astype(np.int64), None
    )


def _nonzero(value: Any) -> bool:
    try:
        return not bool(value == 0)
    except (TypeError, ValueError):
        return True


# ---------------------------------------------------------------------------
# Scene builders
# ---------------------------------------------------------------------------

_DEFAULT_NAMES = {"x": "x", "w": "w", "y": "y", "C": "C"}


def _names(names: Mapping[str, str] | None) -> dict[str, str]:
    out = dict(_DEFAULT_NAMES)
    out.update(names or {})
    return out


def _sub(name: str, index: Sequence[int], base: int) -> str:
    return f"{name}_{{{','.join(str(int(i) + base) for i in index)}}}"


def _share(spec: ConvTransposeSpec, pair: tuple[int, int], base: int, nm: Mapping[str, str]) -> str:
    """What a pair's sum is when there are several channels: ``x[c] ∗ w[c, o_local]``, else ``y``."""
    if spec.in_channels == 1 and spec.out_channels == 1:
        return nm["y"]
    c, o = pair
    local = o % (spec.out_channels // spec.groups)
    return f"{nm['x']}[{c + base}] \\ast {nm['w']}[{c + base},{local + base}]"


def tap_key(kernel_size: Sequence[int], base: int = 0, w: str = "w") -> tuple[str, ...]:
    """The colour key's labels: tap ``k`` (flat, C order) is ``w[k]`` (1-D) or ``w[k_0,k_1]``.

    Examples
    --------
    >>> tap_key((3,)), tap_key((2, 2), base=1)
    (('w[0]', 'w[1]', 'w[2]'), ('w[1,1]', 'w[1,2]', 'w[2,1]', 'w[2,2]'))
    """
    idx = np.indices(tuple(kernel_size)).reshape(len(kernel_size), -1).T + base
    return tuple(f"{w}[{','.join(map(str, k))}]" for k in idx.tolist())


def _pair_title(spec: ConvTransposeSpec, pair: tuple[int, int], base: int) -> str:
    if spec.in_channels == 1 and spec.out_channels == 1:
        return ""
    c, o = pair
    group = c // (spec.in_channels // spec.groups)
    g = f", group {group + base}" if spec.groups > 1 else ""
    return f"input channel {c + base} $\\rightarrow$ output channel {o + base}{g}"


@dataclass(frozen=True)
class SceneOptions:
    """How a scene is laid out and labelled (not what it shows)."""

    index_base: int = 0
    names: Mapping[str, str] = field(default_factory=dict)


def scatter_scene(
    data: ScatterData,
    focus: Sequence[int] | None = None,
    upto: int | None = None,
    options: SceneOptions = SceneOptions(),
    y0: float = 0.0,
    running: np.ndarray | None = None,
) -> Scene:
    """The scatter picture of one channel pair.

    1-D: one row per input ``x_i`` holding its copy ``x_i·w_k`` at ``j = i·s + k·d − p``
    (coloured by tap ``k``, dashed where cropped), and their sum, the output.  2-D: the
    input with ``focus`` marked, the copy of ``x_focus`` in the output (positions ``lo … hi``,
    cropped ones dashed), and the sum of every copy.  ``upto`` (an animation's step): only
    inputs ``0 … upto`` (C order) have scattered; the sum is theirs and the newest copy is
    the coloured one.
    """
    spec, base, nm = data.spec, options.index_base, _names(options.names)
    n_in, n_taps = data.products.shape
    inside = data.inside()
    outpad_c = _outpad_mask(spec, list(np.ix_(*(np.arange(lo, h + 1) for lo, h in zip(data.lo, data.hi)))))
    L_out = np.asarray(spec.output_size)
    axes_in = np.ix_(*(np.arange(lo, h + 1) for lo, h in zip(data.lo, data.hi)))
    in_out = np.ones(data.canvas_shape, dtype=bool)
    for a, p in enumerate(axes_in):
        in_out = in_out & (p >= 0) & (p < L_out[a])
    if upto is None:
        sums = data.sums
    else:
        sums = (data.running_sums() if running is None else running)[upto]
    sum_kind = np.where(in_out, "value", "crop")
    texts: list[Text] = []
    rules: list[tuple[float, float, float, float]] = []
    title = _pair_title(spec, data.pair, base)
    if spec.ndim == 1:
        cols = data.canvas_shape[0]
        rel = data.positions[..., 0] - data.lo[0]
        kind = np.full((n_in, cols), "empty", dtype="<U5")
        tap = np.full((n_in, cols), -1, dtype=np.int64)
        values = np.full((n_in, cols), "", dtype=object)
        rows = np.broadcast_to(np.arange(n_in)[:, None], rel.shape)
        taps = np.broadcast_to(np.arange(n_taps)[None, :], rel.shape)
        shown = np.ones(rel.shape, dtype=bool) if upto is None else (rows <= upto)
        kind[rows[shown], rel[shown]] = np.where(inside[shown], "value", "crop")
        tap[rows[shown], rel[shown]] = taps[shown]
        values[rows[shown], rel[shown]] = data.products[shown]
        current = np.zeros((n_in, cols), dtype=bool)
        if upto is not None:  # the newest copy coloured, the earlier ones plain
            tap[rows[shown & (rows < upto)], rel[shown & (rows < upto)]] = -1
        outpad_rows = np.broadcast_to(outpad_c[None, :], (n_in, cols)) & (kind == "value")
        channel = (data.pair[0],) if spec.in_channels > 1 else ()  # x_{c,i} with several channels
        x_labels = tuple(
            (f"${_sub(nm['x'], (*channel, i), base)} = ", Val(v), "$")
            for i, v in enumerate(data.x.reshape(-1).tolist())
        )
        copies = _grid(
            "copies",
            0,
            y0 + 1,
            (n_in, cols),
            values=values,
            kind=kind,
            tap=tap,
            current=current,
            outpad=outpad_rows,
            row_labels=x_labels,
            col_labels=tuple(str(j + base) for j in range(data.lo[0], data.hi[0] + 1)),
        )
        total_row = y0 + n_in + 1.3
        sum_grid = _grid(
            "sum",
            0,
            total_row,
            (1, cols),
            values=_as2d(sums),
            kind=_as2d(sum_kind),
            outpad=_as2d(outpad_c & in_out),
            row_labels=((f"${_share(spec, data.pair, base, nm)} = \\sum$",),),
        )
        texts.append(Text(-0.15, y0, ("output position $j$",), "east"))
        rules.append((0, total_row - 0.65, cols, total_row - 0.65))
        if title:
            texts.append(Text(cols / 2, y0 - 1, (title,), "center"))
        return Scene(
            (copies, sum_grid), tuple(texts), tuple(rules), tap_key=tap_key(spec.kernel_size, base, nm["w"])
        )
    # 2-D
    flat_focus = _flat_focus(data.spec, focus, upto)
    x_shape = spec.input_size
    current_x = np.zeros(x_shape, dtype=bool)
    current_x.reshape(-1)[flat_focus] = True
    top = y0 + 1.6
    x_grid = _grid(
        "x",
        0,
        top,
        x_shape,
        values=data.x,
        current=current_x,
        title=(f"input ${nm['x']}$",),
        row_labels=tuple((str(r + base),) for r in range(x_shape[0])),
        col_labels=tuple(str(c + base) for c in range(x_shape[1])),
        col_label_gap=0.9,
    )
    canvas = data.canvas_shape
    c_kind = np.where(in_out, "blank", "crop").astype("<U5")
    c_tap = np.full(canvas, -1, dtype=np.int64)
    c_vals = np.full(canvas, "", dtype=object)
    rel = data.positions[flat_focus] - np.asarray(data.lo)
    c_tap[tuple(rel.T)] = np.arange(n_taps)
    c_vals[tuple(rel.T)] = data.products[flat_focus]
    c_kind[tuple(rel.T)] = np.where(inside[flat_focus], "value", "crop")
    fx = np.unravel_index(flat_focus, x_shape)
    gap = 2.0
    cx0 = x_shape[1] + gap
    row_lab = tuple((str(r + base),) for r in range(data.lo[0], data.hi[0] + 1))
    col_lab = tuple(str(c + base) for c in range(data.lo[1], data.hi[1] + 1))
    copy_grid = _grid(
        "copy",
        cx0,
        top,
        canvas,
        values=c_vals,
        kind=c_kind,
        tap=c_tap,
        outpad=outpad_c & in_out,
        title=(
            (
                f"copy ${_sub(nm['x'], [*([data.pair[0]] if spec.in_channels > 1 else []), *map(int, fx)], base)}"
                f" \\cdot {nm['w']}$",
            )
            if upto is None
            else (f"copy ${nm['x']}_i \\cdot {nm['w']}$",)
        ),
        row_labels=row_lab,
        col_labels=col_lab,
        col_label_gap=0.9,
    )
    sx0 = cx0 + canvas[1] + gap
    s_tap = np.full(canvas, -1, dtype=np.int64)
    if upto is not None:
        s_tap = c_tap
    sum_title = "sum of every copy" if upto is None else "sum of the copies so far"
    if spec.in_channels > 1 or spec.out_channels > 1:
        sum_title += f": ${_share(spec, data.pair, base, nm)}$"
    sum_grid = _grid(
        "sum",
        sx0,
        top,
        canvas,
        values=sums,
        kind=sum_kind,
        tap=s_tap,
        outpad=outpad_c & in_out,
        title=(sum_title,),
        row_labels=row_lab,
        col_labels=col_lab,
        col_label_gap=0.9,
    )
    if title:
        texts.append(Text(0, y0, (title,), "west"))
    return Scene(
        (x_grid, copy_grid, sum_grid), tuple(texts), tap_key=tap_key(spec.kernel_size, base, nm["w"])
    )


def _flat_focus(spec: ConvTransposeSpec, focus: Sequence[int] | int | None, upto: int | None) -> int:
    n = math.prod(spec.input_size)
    if upto is not None:
        return int(upto)
    if focus is None:
        return int(np.ravel_multi_index(tuple(L // 2 for L in spec.input_size), spec.input_size))
    f = (int(focus),) if isinstance(focus, (int, np.integer)) else tuple(int(v) for v in focus)
    if len(f) != spec.ndim or any(not 0 <= v < L for v, L in zip(f, spec.input_size)):
        raise ConvolutionSpecError(
            f"focus must be an input position inside input size {spec.input_size}; got focus={f}"
        )
    return int(np.ravel_multi_index(f, spec.input_size)) if n else 0


def default_position(data: SlidingData) -> tuple[int, ...]:
    """The output whose window reads the most input elements (ties: the one nearest the middle)."""
    spec = data.spec
    out = spec.output_size
    grid = np.indices(out).reshape(spec.ndim, -1).T  # every output position
    count = np.zeros(len(grid), dtype=np.int64)
    for kappa in _taps(spec.kernel_size):  # a loop over taps only
        cells = input_index(grid, np.asarray(kappa), 1, np.asarray(spec.dilation), 0)
        count += data.is_x[tuple(cells.T)]
    middle = (np.asarray(out) - 1) / 2
    distance = np.abs(grid - middle).sum(axis=1)
    best = np.lexsort((distance, -count))[0]
    return tuple(int(v) for v in grid[best])


def _position(spec: ConvTransposeSpec, position: Sequence[int] | int | None) -> tuple[int, ...]:
    if position is None:
        return tuple(L // 2 for L in spec.output_size)
    p = (int(position),) if isinstance(position, (int, np.integer)) else tuple(int(v) for v in position)
    if len(p) != spec.ndim or any(not 0 <= v < L for v, L in zip(p, spec.output_size)):
        raise ConvolutionSpecError(
            f"position must lie in [0, L_out) on every axis, L_out={spec.output_size}; got position={p}"
        )
    return p


def sliding_scene(
    data: SlidingData,
    position: Sequence[int] | int | None = None,
    options: SceneOptions = SceneOptions(),
    y0: float = 0.0,
    computed: np.ndarray | None = None,
) -> Scene:
    """The flipped kernel over the zero-inserted, padded input, at output ``position``.

    Grids: ``x`` (the inputs the window reads coloured by the tap that reads them: the
    entries of ``C``'s column), ``u`` (inserted zeros light grey, padding dark grey, the
    window coloured by the original tap ``k = K − 1 − κ``), the flipped kernel ``w'``
    (under the window in 1-D, beside ``u`` in 2-D), and ``y`` with the current output
    highlighted.  ``computed`` (an animation's step): which outputs are shown so far.
    """
    spec, base, nm = data.spec, options.index_base, _names(options.names)
    o = _position(spec, position)
    cells, taps = data.window(o)
    feeds = data.source[tuple(cells.T)]
    x_tap = np.full(spec.input_size, -1, dtype=np.int64)
    x_tap.reshape(-1)[feeds[feeds >= 0]] = taps[feeds >= 0]
    u_kind = np.where(data.is_x, "value", np.where(data.is_pad, "pad", "zero")).astype("<U5")
    u_tap = np.full(data.u.shape, -1, dtype=np.int64)
    u_tap[tuple(cells.T)] = taps
    y_cur = np.zeros(spec.output_size, dtype=bool)
    y_cur[o] = True
    y_kind = np.full(spec.output_size, "value", dtype="<U5")
    y_vals = data.y.astype(object)
    if computed is not None:
        y_kind = np.where(computed, "value", "blank")
        y_vals = np.where(computed, y_vals, "")
    outpad = _outpad_mask(spec, list(np.ix_(*(np.arange(L) for L in spec.output_size))))
    w_taps = np.ravel_multi_index(
        tuple(
            np.asarray(spec.kernel_size)[:, None] - 1 - np.indices(spec.kernel_size).reshape(spec.ndim, -1)
        ),
        spec.kernel_size,
    ).reshape(spec.kernel_size)
    o_label = ",".join(str(v + base) for v in o)
    title = _pair_title(spec, data.pair, base)
    y_name = nm["y"]
    texts: list[Text] = []
    if spec.ndim == 1:
        n_u = data.u.shape[0]
        x_grid = _grid(
            "x",
            0,
            y0,
            (1, spec.input_size[0]),
            values=_as2d(data.x),
            tap=_as2d(x_tap),
            row_labels=((f"${nm['x']}$",),),
        )
        u_y = y0 + 1.7
        u_grid = _grid(
            "u",
            0,
            u_y,
            (1, n_u),
            values=_as2d(data.u),
            kind=_as2d(u_kind),
            tap=_as2d(u_tap),
            row_labels=(("$u$",),),
            col_labels=tuple(str(c + base) for c in range(n_u)),
            col_label_gap=0.85,
        )
        # the flipped kernel under its window: w'_κ at u cell o + κ·d, nothing between
        w_kind = np.full((1, n_u), "empty", dtype="<U5")
        w_vals = np.full((1, n_u), "", dtype=object)
        w_tap = np.full((1, n_u), -1, dtype=np.int64)
        cols = cells[:, 0]
        w_kind[0, cols] = "value"
        w_vals[0, cols] = data.w_flip
        w_tap[0, cols] = taps
        w_grid = _grid(
            "w",
            0,
            u_y + 1.4,
            (1, n_u),
            values=w_vals,
            kind=w_kind,
            tap=w_tap,
            row_labels=((f"${nm['w']}'$ at $j = {o_label}$",) if computed is None else (f"${nm['w']}'$",),),
        )
        yy = u_y + 2.8
        y_grid = _grid(
            "y",
            0,
            yy,
            (1, spec.output_size[0]),
            values=_as2d(y_vals),
            kind=_as2d(y_kind),
            current=_as2d(y_cur),
            outpad=_as2d(outpad),
            row_labels=((f"${y_name}$",),),
        )
        if title:
            texts.append(Text(0, y0 - 1, (title,), "west"))
        return Scene((x_grid, u_grid, w_grid, y_grid), tuple(texts))
    # 2-D: x | u with the window | w' | y, side by side
    gap = 2.0
    top = y0 + 1.6
    xs = spec.input_size
    x_grid = _grid(
        "x",
        0,
        top,
        xs,
        values=data.x,
        tap=x_tap,
        title=(f"input ${nm['x']}$",),
        row_labels=tuple((str(r + base),) for r in range(xs[0])),
        col_labels=tuple(str(c + base) for c in range(xs[1])),
        col_label_gap=0.9,
    )
    ux0 = xs[1] + gap
    us = data.u.shape
    u_grid = _grid(
        "u",
        ux0,
        top,
        us,
        values=data.u,
        kind=u_kind,
        tap=u_tap,
        title=("$u$: zeros inserted, then padded",),
        row_labels=tuple((str(r + base),) for r in range(us[0])),
        col_labels=tuple(str(c + base) for c in range(us[1])),
        col_label_gap=0.9,
    )
    wx0 = ux0 + us[1] + gap
    w_grid = _grid(
        "w",
        wx0,
        top,
        spec.kernel_size,
        values=data.w_flip,
        tap=w_taps,
        title=(f"${nm['w']}'$ (flipped)",),
    )
    yx0 = wx0 + spec.kernel_size[1] + gap
    y_grid = _grid(
        "y",
        yx0,
        top,
        spec.output_size,
        values=y_vals,
        kind=y_kind,
        current=y_cur,
        outpad=outpad,
        title=(f"${y_name}$ at $({o_label})$",) if computed is None else (f"${y_name}$",),
        row_labels=tuple((str(r + base),) for r in range(spec.output_size[0])),
        col_labels=tuple(str(c + base) for c in range(spec.output_size[1])),
        col_label_gap=0.9,
    )
    if title:
        texts.append(Text(0, y0, (title,), "west"))
    return Scene((x_grid, u_grid, w_grid, y_grid), tuple(texts))


def stack(scenes: Sequence[Scene], gap: float = 1.5) -> Scene:
    """Scenes one under the other (one per channel pair), as one scene."""
    grids: list[Grid] = []
    texts: list[Text] = []
    rules: list[tuple[float, float, float, float]] = []
    offset = 0.0
    for scene in scenes:
        top = scene.bounds[1] - 1.5  # room for titles and column labels
        dy = offset - top
        grids += [g.replace(y0=g.y0 + dy) for g in scene.grids]
        texts += [Text(t.x, t.y + dy, t.label, t.anchor, t.gray) for t in scene.texts]
        rules += [(a, b + dy, c, e + dy) for a, b, c, e in scene.rules]
        offset = scene.bounds[3] + dy + gap
    return Scene(
        tuple(grids),
        tuple(texts),
        tuple(rules),
        caption=scenes[0].caption if scenes else "",
        tap_key=scenes[0].tap_key if scenes else (),
    )
