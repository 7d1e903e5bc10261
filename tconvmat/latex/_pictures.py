"""TikZ pictures: the scatter, the flipped-kernel gather, the sparsity pattern of ``C``.

What a learner draws by hand, drawn exactly.  Every position comes from
:func:`tconvmat.spec.input_index` and the spec's derived values (output length,
pads of the equivalent convolution); kernel taps have the same colour in every
picture.  Pictures are text-mode :class:`~tconvmat.latex.Tex` (``tikzpicture``),
needing ``\\usepackage{tikz}`` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..matrix import conv_transpose_matrix
from ..spec import ConvTransposeSpec, conv_transpose_spec, input_index
from ._builder import Tex, environment, join
from ._fragments import _block, _is_zero, _kept, _latex, _names, _shape2

__all__ = ["flipped_picture", "scatter_picture", "sparsity_picture", "tap_color"]

_PALETTE = (
    "blue!22",
    "orange!40",
    "green!28",
    "red!22",
    "violet!25",
    "cyan!30",
    "yellow!50",
    "brown!30",
    "magenta!22",
    "teal!30",
    "lime!45",
    "gray!35",
)


def tap_color(k: int) -> str:
    """The xcolor colour of kernel tap ``k`` (flat index) in every picture.

    Examples
    --------
    >>> tap_color(0), tap_color(12)
    ('blue!22', 'blue!22')
    """
    return _PALETTE[int(k) % len(_PALETTE)]


def _num(v: float) -> str:
    """A TikZ coordinate: short, deterministic."""
    r = round(float(v), 4)
    return str(int(r)) if r == int(r) else f"{r:.4f}".rstrip("0")


def _spec_1d(
    x: Any, w: Any, stride: int, padding: Any, output_padding: int, dilation: int
) -> ConvTransposeSpec:
    pads = [tuple(padding)] if isinstance(padding, (tuple, list)) else padding
    return conv_transpose_spec((1, 1, len(w)), (1, len(x)), stride, pads, output_padding, 1, dilation)


def _vec(a: Any, what: str) -> np.ndarray:
    v = np.asarray(a)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{what} must be a non-empty 1-D array (one channel, one axis); got shape {v.shape}")
    return v.astype(object) if v.dtype == object else v


def _cell_size(n_cols: int, width_cm: float) -> float:
    return min(0.9, width_cm / max(n_cols, 1))


def _font(size: float) -> str:
    return r"\footnotesize" if size >= 0.75 else (r"\scriptsize" if size >= 0.55 else r"\tiny")


def _cell(col: float, row: float, value: str, fill: str | None, style: str = "cell") -> str:
    fill_opt = f", fill={fill}" if fill else ""
    return f"\\node[{style}{fill_opt}] at ({_num(col + 0.5)},{_num(-row)}) {{{value}}};"


def _label(row: float, tex: str, col: float = 0.0) -> str:
    return f"\\node[anchor=east] at ({_num(col - 0.15)},{_num(-row)}) {{{tex}}};"


def _picture(size: float, body: list[str], extra_styles: str = "") -> Tex:
    s = _num(size)
    options = (
        f"x={s}cm, y={s}cm, font={_font(size)},\n"
        f"  cell/.style={{draw, minimum width={s}cm, minimum height={s}cm, inner sep=0pt, anchor=center}},\n"
        f"  ghost/.style={{draw=gray!60, dashed, text=gray, minimum width={s}cm, minimum height={s}cm, inner sep=0pt}}"
        + extra_styles
    )
    picture = environment("tikzpicture", join("\n", body, "text"), options=options, mode="text")
    # never wider than the line: shrink (text too) only when the natural width exceeds it;
    # \resizebox is graphicx's, which TikZ loads
    return Tex(
        "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n" + picture + "}", "text"
    )


def _val(v: Any, names: Mapping[str, str] | None) -> str:
    return "$" + _latex(v, names) + "$"


@dataclass(frozen=True)
class _Scatter:
    """The numbers of the scatter picture: positions ``lo … hi``, per-tap positions and products, sums."""

    spec: ConvTransposeSpec
    x: np.ndarray
    positions: tuple[np.ndarray, ...]  # per tap k: output position of every input, i·s + k·d − p
    products: tuple[np.ndarray, ...]  # per tap k: x_i · w_k
    lo: int
    hi: int
    sums: np.ndarray  # over positions lo … hi (cropped ones included)

    @property
    def y(self) -> np.ndarray:
        """The output: the sums at ``0 ≤ j < L_out``."""
        return self.sums[-self.lo : -self.lo + self.spec.output_size[0]]


def _scatter(
    x: Any, w: Any, stride: int, padding: Any, output_padding: int, dilation: int, max_inputs: int
) -> _Scatter:
    xv, wv = _vec(x, "x"), _vec(w, "w")
    xv = xv[:max_inputs]
    spec = _spec_1d(xv, wv, stride, padding, output_padding, dilation)
    s, d, (pb, _), L_out = spec.stride[0], spec.dilation[0], spec.padding[0], spec.output_size[0]
    i = np.arange(len(xv))
    positions = tuple(input_index(i, k, s, d, pb) for k in range(len(wv)))
    products = tuple(xv * wv[k] for k in range(len(wv)))
    lo = min(0, min(int(p.min()) for p in positions))
    hi = max(L_out - 1, max(int(p.max()) for p in positions))
    dtype = object if (xv.dtype == object or wv.dtype == object) else np.result_type(xv, wv)
    sums = np.zeros(hi - lo + 1, dtype=dtype)
    for pos, prod in zip(positions, products):  # loop over kernel taps only
        np.add.at(sums, pos - lo, prod)
    return _Scatter(spec, xv, positions, products, lo, hi, sums)


def scatter_picture(
    x: Any,
    w: Any,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int = 0,
    dilation: int = 1,
    *,
    index_base: int = 0,
    max_inputs: int = 8,
    width_cm: float = 12.0,
    symbol_names: Mapping[str, str] | None = None,
) -> Tex:
    r"""The scatter picture of a 1-D transposed convolution (TikZ).

    Row ``i`` is input element ``x_i`` dropping the scaled kernel ``x_i·w`` at output
    positions ``j = i·s + k·d − p`` (:func:`tconvmat.spec.input_index`), cells
    coloured by tap ``k``; the bottom row is their sum, the output ``y``.
    Positions the padding crops are dashed, outside the output.

    Parameters
    ----------
    x : 1-D array_like, length L
        One input channel (numbers or SymPy expressions).
    w : 1-D array_like, length K
        One kernel row.
    stride, padding, output_padding, dilation
        As in :func:`tconvmat.conv_transpose`; ``padding`` may be a
        ``(before, after)`` pair.
    index_base : {0, 1}
        First index of the labels.
    max_inputs : int
        At most this many input rows; past it the picture shows the first
        ``max_inputs`` inputs only and its sum row is *their* transposed
        convolution (the caption of the proof document says so).
    width_cm : float
        Width available for the cells (the whole picture, labels included, is shrunk to
        the line width if it comes out wider).
    symbol_names : mapping, optional
        Names for ``"x"``, ``"w"``, ``"y"``.

    Returns
    -------
    Tex
        A text-mode ``tikzpicture`` (needs ``\usepackage{tikz}``).

    Examples
    --------
    >>> tex = scatter_picture([1, 1], [1, 1, 1], stride=2)
    >>> tex.splitlines()[1], tex.mode
    ('\\begin{tikzpicture}[x=0.9cm, y=0.9cm, font=\\footnotesize,', 'text')
    """
    _check_base(index_base)
    data = _scatter(x, w, stride, padding, output_padding, dilation, max_inputs)
    spec, lo, hi = data.spec, data.lo, data.hi
    L_out = spec.output_size[0]
    nm = _names(symbol_names)
    size = _cell_size(hi - lo + 1, width_cm)
    body = [
        f"% scatter: L={len(data.x)}, K={len(data.positions)}, stride={spec.stride[0]}, "
        f"padding={spec.padding[0]}, dilation={spec.dilation[0]}, L_out={L_out}"
    ]
    for j in range(lo, hi + 1):
        body.append(f"\\node[gray] at ({_num(j - lo + 0.5)},0) {{${j + index_base}$}};")
    body.append(_label(0, r"output position $j$"))
    for row, xi in enumerate(data.x.tolist(), start=1):
        body.append(_label(row, f"${nm['x']}_{{{row - 1 + index_base}}} = {_latex(xi, symbol_names)}$"))
    for k, (pos, prod) in enumerate(zip(data.positions, data.products)):
        for row, (j, v) in enumerate(zip(pos.tolist(), prod.tolist()), start=1):
            inside = 0 <= j < L_out
            body.append(
                _cell(
                    j - lo,
                    row,
                    _val(v, symbol_names),
                    tap_color(k) if inside else None,
                    "cell" if inside else "ghost",
                )
            )
    total_row = len(data.x) + 1.3
    body.append(f"\\draw[thick] (0,{_num(-total_row + 0.65)}) -- ({hi - lo + 1},{_num(-total_row + 0.65)});")
    body.append(_label(total_row, f"${nm['y']} = \\sum$"))
    for j in range(lo, hi + 1):
        inside = 0 <= j < L_out
        body.append(
            _cell(
                j - lo,
                total_row,
                _val(data.sums[j - lo], symbol_names),
                "white" if inside else None,
                "cell" if inside else "ghost",
            )
        )
    return _picture(size, body)


@dataclass(frozen=True)
class _Flipped:
    """The numbers of the flipped picture: ``u`` (zero-inserted, padded), its kinds, ``w'``, ``y``."""

    spec: ConvTransposeSpec
    u: np.ndarray
    is_x: np.ndarray
    is_pad: np.ndarray
    w_flip: np.ndarray
    y: np.ndarray


def _flipped(
    x: Any, w: Any, stride: int, padding: Any, output_padding: int, dilation: int, max_inputs: int
) -> _Flipped:
    xv, wv = _vec(x, "x"), _vec(w, "w")
    xv = xv[:max_inputs]
    spec = _spec_1d(xv, wv, stride, padding, output_padding, dilation)
    s, d, L_out = spec.stride[0], spec.dilation[0], spec.output_size[0]
    ((P_l, P_r),) = spec.flipped_pads
    n_z = (len(xv) - 1) * s + 1  # zero-inserted length
    z_index = np.arange(n_z + P_l + P_r) - P_l  # position in the zero-inserted signal
    is_x = (z_index >= 0) & (z_index < n_z) & (z_index % s == 0)
    is_pad = (z_index < 0) | (z_index >= n_z)
    dtype = object if (xv.dtype == object or wv.dtype == object) else np.result_type(xv, wv)
    u = np.zeros(z_index.size, dtype=dtype)
    u[is_x] = xv[z_index[is_x] // s]
    w_flip = wv[::-1]
    y = np.zeros(L_out, dtype=dtype)
    j = np.arange(L_out)
    for kappa in range(len(wv)):  # stride-1 gather u[j + κ·d], a loop over taps only
        y = y + w_flip[kappa] * u[input_index(j, kappa, 1, d, 0)]
    return _Flipped(spec, u, is_x, is_pad, w_flip, y)


def flipped_picture(
    x: Any,
    w: Any,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    output_padding: int = 0,
    dilation: int = 1,
    *,
    position: int | None = None,
    index_base: int = 0,
    max_inputs: int = 8,
    width_cm: float = 12.0,
    symbol_names: Mapping[str, str] | None = None,
) -> Tex:
    r"""The flipped-kernel picture of a 1-D transposed convolution (TikZ).

    Top: the input with ``s − 1`` zeros inserted between neighbours (light grey)
    and padded by ``P_l, P_r`` (dark grey), the spec's
    :attr:`~tconvmat.spec.ConvTransposeSpec.flipped_pads`; a negative pad crops
    instead.  Middle: the flipped kernel ``w'_κ = w_{K−1−κ}`` over the window of
    output ``position`` (cells coloured by the original tap ``k = K − 1 − κ``,
    spaced by the dilation).  Bottom: the stride-1 convolution's output ``y``, each
    ``y_j`` under the first cell of its window.

    Parameters
    ----------
    x, w, stride, padding, output_padding, dilation, index_base, max_inputs, width_cm, symbol_names
        As in :func:`scatter_picture`.
    position : int, optional
        The output position whose window is drawn (0-based); default the middle.

    Returns
    -------
    Tex
        A text-mode ``tikzpicture``.

    Examples
    --------
    >>> "\\begin{tikzpicture}" in flipped_picture([1, 1], [1, 1, 1], stride=2)
    True
    """
    _check_base(index_base)
    data = _flipped(x, w, stride, padding, output_padding, dilation, max_inputs)
    spec, u, K = data.spec, data.u, len(data.w_flip)
    d, L_out = spec.dilation[0], spec.output_size[0]
    ((P_l, P_r),) = spec.flipped_pads
    nm = _names(symbol_names)
    if position is None:
        position = L_out // 2
    if not 0 <= position < L_out:
        raise ValueError(f"position must lie in [0, L_out) = [0, {L_out}); got position={position}")
    size = _cell_size(u.size, width_cm)
    body = [
        f"% flipped: L={spec.input_size[0]}, K={K}, stride={spec.stride[0]}, pads=({P_l}, {P_r}), "
        f"dilation={d}, L_out={L_out}, position={position}"
    ]
    for col in range(u.size):
        body.append(f"\\node[gray] at ({_num(col + 0.5)},0.85) {{${col + index_base}$}};")
    body.append(_label(0, "$u$"))
    for col in range(u.size):
        fill = "white" if data.is_x[col] else ("gray!45" if data.is_pad[col] else "gray!15")
        body.append(_cell(col, 0, _val(u[col], symbol_names), fill))
    body.append(_label(1.4, f"${nm['w']}' \\text{{ at }} j = {position + index_base}$"))
    for kappa in range(K):
        col = int(input_index(position, kappa, 1, d, 0))
        body.append(_cell(col, 1.4, _val(data.w_flip[kappa], symbol_names), tap_color(K - 1 - kappa)))
    body.append(_label(2.8, f"${nm['y']}$"))
    for j in range(L_out):
        body.append(_cell(j, 2.8, _val(data.y[j], symbol_names), "yellow!35" if j == position else "white"))
    return _picture(size, body)


def _check_base(index_base: int) -> None:
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1; got index_base={index_base!r}")


def _tap_matrix(spec: ConvTransposeSpec, rows: slice | None = None) -> sp.csr_array:
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


def _tap_rows(spec: ConvTransposeSpec, rows: list[int]) -> sp.csr_array:
    """The tap matrix at the kept rows only (a head and a tail run), built without the rest."""
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][1]:
            runs[-1][1] = r + 1
        else:
            runs.append([r, r + 1])
    return sp.csr_array(sp.vstack([_tap_matrix(spec, slice(a, b)) for a, b in runs], format="csr"))


def sparsity_picture(
    c: ConvTransposeSpec | Any,
    /,
    *,
    max_rows: int = 24,
    max_cols: int = 24,
    index_base: int = 0,
    width_cm: float = 12.0,
    legend: bool = True,
    symbol_names: Mapping[str, str] | None = None,
) -> Tex:
    r"""The sparsity pattern of ``C`` (TikZ): one cell per entry, shaded by kernel tap.

    Parameters
    ----------
    c : ConvTransposeSpec, or a sparse matrix / 2-D array
        With a spec, ``C`` is :func:`tconvmat.conv_transpose_matrix` of those
        parameters (only its kept rows are built) and every stored entry is coloured
        by the kernel tap ``k`` that puts it there (:func:`tap_color`), with a
        legend.  A matrix is shaded uniformly where nonzero.
    max_rows, max_cols : int, default 24
        Past these, the first and last rows (columns) are kept around a gap band;
        only those rows and columns are read.
    index_base : {0, 1}
        First index of the row and column labels.
    width_cm : float
        Width available for the grid (the whole picture, legend included, is shrunk to
        the line width if it comes out wider).
    legend : bool
        Show the tap colours (spec input only).
    symbol_names : mapping, optional
        Name for ``"w"`` in the legend.

    Examples
    --------
    >>> from tconvmat.spec import conv_transpose_spec
    >>> tex = sparsity_picture(conv_transpose_spec((1, 1, 3), (1, 2), stride=2))
    >>> tex.count("rectangle +(1,-1)")  # one filled cell per stored entry of the 2 × 5 C
    6
    """
    _check_base(index_base)
    if isinstance(c, ConvTransposeSpec):
        kernel: tuple[int, ...] | None = c.kernel_size
        n_rows, n_cols = math.prod(c.input_shape), math.prod(c.output_shape)
    else:
        kernel = None
        n_rows, n_cols = _shape2(c)
    rows, r_gap = _kept(n_rows, max_rows, "max_rows")
    cols, c_gap = _kept(n_cols, max_cols, "max_cols")
    if isinstance(c, ConvTransposeSpec):
        block = _block(_tap_rows(c, rows), list(range(len(rows))), cols)
    else:
        block = _block(c, rows, cols)
    disp_rows = len(rows) + (r_gap is not None)
    disp_cols = len(cols) + (c_gap is not None)
    size = min(0.5, width_cm / max(disp_cols, 1))

    def at(index: int, gap: int | None) -> int:
        return index + (gap is not None and index >= gap)

    body = [f"% sparsity: C is {n_rows} x {n_cols}, shown {len(rows)} rows x {len(cols)} columns"]
    for r in range(len(rows)):
        for q in range(len(cols)):
            v = block[r, q]
            if _is_zero(v):
                continue
            fill = tap_color(int(v) - 1) if kernel is not None else "black!60"
            body.append(f"\\fill[{fill}] ({at(q, c_gap)},{-at(r, r_gap)}) rectangle +(1,-1);")
    body.append(f"\\draw[gray!40, step=1] (0,0) grid ({disp_cols},{-disp_rows});")
    body.append(f"\\draw (0,0) rectangle ({disp_cols},{-disp_rows});")
    if r_gap is not None:
        body.append(f"\\fill[white] (0,{-r_gap}) rectangle ({disp_cols},{-r_gap - 1});")
        body.append(f"\\node at ({_num(disp_cols / 2)},{_num(-r_gap - 0.5)}) {{$\\vdots$}};")
    if c_gap is not None:
        body.append(f"\\fill[white] ({c_gap},0) rectangle ({c_gap + 1},{-disp_rows});")
        body.append(f"\\node at ({_num(c_gap + 0.5)},{_num(-disp_rows / 2)}) {{$\\cdots$}};")
    for label_at, index, gap in ((0, 0, r_gap), (len(rows) - 1, rows[-1], r_gap)):
        body.append(
            f"\\node[anchor=east, gray] at (-0.1,{_num(-at(label_at, gap) - 0.5)}) {{${index + index_base}$}};"
        )
    for label_at, index, gap in ((0, 0, c_gap), (len(cols) - 1, cols[-1], c_gap)):
        body.append(
            f"\\node[anchor=south, gray] at ({_num(at(label_at, gap) + 0.5)},0.05) {{${index + index_base}$}};"
        )
    if legend and kernel is not None:
        w = _names(symbol_names)["w"]
        y0 = -disp_rows - 0.8
        for flat, k in enumerate(np.ndindex(*kernel)):
            if flat >= len(_PALETTE):
                body.append(f"\\node[anchor=west] at ({_num(flat * 2.2)},{_num(y0)}) {{\\dots}};")
                break
            sub = ",".join(str(i + index_base) for i in k)
            body.append(
                f"\\fill[{tap_color(flat)}] ({_num(flat * 2.2)},{_num(y0)}) rectangle +(0.8,-0.8);"
                f" \\node[anchor=west] at ({_num(flat * 2.2 + 0.8)},{_num(y0 - 0.4)}) {{${w}_{{{sub}}}$}};"
            )
    return _picture(size, body)
