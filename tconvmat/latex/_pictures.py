"""TikZ pictures: the scatter, the flipped-kernel gather, the sparsity pattern of ``C``.

What a learner draws by hand, drawn exactly.  This is the TikZ renderer of the figure
model (:mod:`tconvmat.figures`): every cell, kind, colour and label comes from the
model's scenes (computed there from :func:`tconvmat.spec.input_index` and the spec's
derived values); kernel taps have the same colour here as in the matplotlib pictures.  Pictures are text-mode :class:`~tconvmat.latex.Tex` (``tikzpicture``),
needing ``\\usepackage{tikz}`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..figures import (
    ScatterData,
    Scene,
    SceneOptions,
    SlidingData,
    Val,
    cell_fill,
    matrix_data,
    scatter_data,
    scatter_scene,
    sliding_data,
    sliding_scene,
)
from ..figures import tap_color as figure_tap_color
from ..figures._model import tap_matrix, tap_rows
from ..figures._palette import OUTPAD_EDGE, TAP_COLORS
from ..spec import ConvTransposeSpec, conv_transpose_spec
from ._builder import Tex, environment, join
from ._fragments import _latex, _names

__all__ = ["flipped_picture", "scatter_picture", "scene_tikz", "sparsity_picture", "tap_color"]

_PALETTE = TAP_COLORS


def tap_color(k: int) -> str:
    """The colour of kernel tap ``k`` (flat index) in every picture, as TikZ writes it.

    The same colour as :func:`tconvmat.figures.tap_color` (one palette for every renderer).

    Examples
    --------
    >>> tap_color(0), tap_color(12) == tap_color(0)
    ('{rgb,255:red,154;green,194;blue,221}', True)
    """
    return figure_tap_color(k).tikz


def _num(v: float) -> str:
    """A TikZ coordinate: short, deterministic."""
    r = round(float(v), 4)
    return str(int(r)) if r == int(r) else f"{r:.4f}".rstrip("0")


def _vec(a: Any, what: str) -> np.ndarray:
    v = np.asarray(a)
    if v.ndim not in (1, 2) or v.size == 0:
        raise ValueError(f"{what} must be a non-empty 1-D or 2-D array (one channel); got shape {v.shape}")
    return v.astype(object) if v.dtype == object else v


def _cell_size(n_cols: int, width_cm: float) -> float:
    return min(0.9, width_cm / max(n_cols, 1))


def _font(size: float) -> str:
    return r"\footnotesize" if size >= 0.75 else (r"\scriptsize" if size >= 0.55 else r"\tiny")


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


def _spec_nd(
    x: np.ndarray, w: np.ndarray, stride: Any, padding: Any, output_padding: Any, dilation: Any
) -> ConvTransposeSpec:
    """The spec of one channel pair: 1-D (``padding`` may be a ``(before, after)`` pair) or 2-D."""
    if x.ndim != w.ndim:
        raise ValueError(
            f"x and w must have the same number of axes (one channel, 1-D or 2-D); got x shape {x.shape}, "
            f"w shape {w.shape}"
        )
    pads = [tuple(padding)] if x.ndim == 1 and isinstance(padding, (tuple, list)) else padding
    return conv_transpose_spec(
        (1, 1, *w.shape),
        (1, *x.shape),
        stride=stride,
        padding=pads,
        output_padding=output_padding,
        dilation=dilation,
    )


def _arrays(x: Any, w: Any, max_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    xv, wv = _vec(x, "x"), _vec(w, "w")
    if xv.ndim == 1:
        xv = xv[:max_inputs]
    return xv, wv


def _scatter(
    x: Any, w: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any, max_inputs: int
) -> ScatterData:
    """The scatter numbers of one channel pair (the figure model's :class:`~tconvmat.figures.ScatterData`)."""
    xv, wv = _arrays(x, w, max_inputs)
    spec = _spec_nd(xv, wv, stride, padding, output_padding, dilation)
    return scatter_data(spec, wv[None, None], xv[None])


def _flipped(
    x: Any, w: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any, max_inputs: int
) -> SlidingData:
    """The flipped-kernel numbers of one channel pair (:class:`~tconvmat.figures.SlidingData`)."""
    xv, wv = _arrays(x, w, max_inputs)
    spec = _spec_nd(xv, wv, stride, padding, output_padding, dilation)
    return sliding_data(spec, wv[None, None], xv[None])


# ---------------------------------------------------------------------------
# The TikZ renderer of a figure scene
# ---------------------------------------------------------------------------


def _label_tex(label: tuple[Any, ...], names: Mapping[str, str] | None) -> str:
    return "".join(_latex(p.value, names) if isinstance(p, Val) else str(p) for p in label)


def scene_tikz(
    scene: Scene, *, width_cm: float = 12.0, symbol_names: Mapping[str, str] | None = None, comment: str = ""
) -> Tex:
    r"""A figure scene (:mod:`tconvmat.figures`) as a ``tikzpicture``: every cell, colour and label
    where the model puts it; this renderer computes no position.

    Examples
    --------
    >>> import tconvmat as tcm
    >>> from tconvmat import figures
    >>> spec = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> scene = figures.ScatterFigure.from_spec(spec, [[[1, 1, 1]]], [[1, 1]]).scene()
    >>> scene_tikz(scene).count("\\node[cell")  # 6 copies and 5 sums
    11
    """
    x_min, _, x_max, _ = scene.bounds
    size = _cell_size(x_max - x_min, width_cm)
    body = [f"% {comment}"] if comment else []
    for g in scene.grids:
        for c, lab in enumerate(g.col_labels):
            body.append(
                f"\\node[gray] at ({_num(g.x0 + c + 0.5)},{_num(-(g.y0 - g.col_label_gap))}) {{${lab}$}};"
            )
        for r, lab in enumerate(g.row_labels):
            body.append(
                f"\\node[anchor=east] at ({_num(g.x0 - 0.15)},{_num(-(g.y0 + r))}) {{{_label_tex(lab, symbol_names)}}};"
            )
        for r, c in zip(*np.nonzero(g.kind != "empty")):  # one node per drawn cell
            kind = str(g.kind[r, c])
            fill = cell_fill(kind, int(g.tap[r, c]), bool(g.current[r, c]))
            value = g.values[r, c]
            text = "" if isinstance(value, str) and value == "" else _val(value, symbol_names)
            style = "ghost" if kind == "crop" else "cell"
            fill_opt = f", fill={fill.tikz}" if fill is not None else ""
            cx, cy = g.x0 + int(c) + 0.5, -(g.y0 + int(r))
            body.append(f"\\node[{style}{fill_opt}] at ({_num(cx)},{_num(cy)}) {{{text}}};")
            if g.outpad[r, c]:
                body.append(
                    f"\\draw[densely dotted, draw={OUTPAD_EDGE.tikz}] ({_num(cx - 0.38)},{_num(cy - 0.38)}) "
                    f"rectangle ({_num(cx + 0.38)},{_num(cy + 0.38)});"
                )
        if g.title:
            above = g.y0 - 0.5 - (g.col_label_gap + 0.45 if g.col_labels else 0.25)
            body.append(
                f"\\node[anchor=south west, inner sep=0pt] at ({_num(g.x0)},{_num(-above)}) {{{_label_tex(g.title, symbol_names)}}};"
            )
    for t in scene.texts:
        anchor = {"east": "anchor=east", "west": "anchor=west"}.get(t.anchor, "anchor=center")
        body.append(
            f"\\node[{anchor}] at ({_num(t.x)},{_num(-t.y)}) {{{_label_tex(t.label, symbol_names)}}};"
        )
    for a, b, c, d in scene.rules:
        body.append(f"\\draw[thick] ({_num(a)},{_num(-b)}) -- ({_num(c)},{_num(-d)});")
    return _picture(size, body)


def scatter_picture(
    x: Any,
    w: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    *,
    index_base: int = 0,
    max_inputs: int = 8,
    width_cm: float = 12.0,
    symbol_names: Mapping[str, str] | None = None,
    focus: Any = None,
) -> Tex:
    r"""The scatter picture of a 1-D or 2-D transposed convolution (TikZ).

    1-D: row ``i`` is input element ``x_i`` dropping the scaled kernel ``x_i·w`` at output
    positions ``j = i·s + k·d − p`` (:func:`tconvmat.spec.input_index`), cells
    coloured by tap ``k``; the bottom row is their sum, the output ``y``.
    Positions the padding crops are dashed, outside the output; output-padding cells
    are outlined (dotted).  2-D: the input with ``focus`` highlighted, the copy
    ``x_focus·w`` in the output, and the sum of every copy.  The layout is the figure
    model's (:class:`tconvmat.figures.ScatterFigure`); this draws its scene.

    Parameters
    ----------
    x : array_like, 1-D (length L) or 2-D
        One input channel (numbers or SymPy expressions).
    w : array_like, same number of axes as ``x``
        One kernel.
    stride, padding, output_padding, dilation
        As in :func:`tconvmat.conv_transpose` (per axis in 2-D); in 1-D ``padding`` may be a
        ``(before, after)`` pair.
    index_base : {0, 1}
        First index of the labels.
    max_inputs : int
        1-D: at most this many input rows; past it the picture shows the first
        ``max_inputs`` inputs only and its sum row is *their* transposed
        convolution (the caption of the proof document says so).
    width_cm : float
        Width available for the cells (the whole picture, labels included, is shrunk to
        the line width if it comes out wider).
    symbol_names : mapping, optional
        Names for ``"x"``, ``"w"``, ``"y"``.
    focus : int or tuple of int, optional
        2-D: the input pixel whose copy is drawn (default the middle).

    Returns
    -------
    Tex
        A text-mode ``tikzpicture`` (needs ``\usepackage{tikz}``).

    Examples
    --------
    >>> tex = scatter_picture([1, 1], [1, 1, 1], stride=2)
    >>> tex.splitlines()[1], tex.mode
    ('\\begin{tikzpicture}[x=0.9cm, y=0.9cm, font=\\footnotesize,', 'text')
    >>> "copy" in scatter_picture([[1, 2, 3]] * 3, [[1, 1]] * 2, stride=2)  # 2-D
    True
    """
    _check_base(index_base)
    data = _scatter(x, w, stride, padding, output_padding, dilation, max_inputs)
    spec = data.spec
    focus_t = None if focus is None else ((int(focus),) if np.ndim(focus) == 0 else tuple(focus))
    scene = scatter_scene(data, focus_t, None, SceneOptions(index_base, _names(symbol_names)))
    return scene_tikz(
        scene,
        width_cm=width_cm,
        symbol_names=symbol_names,
        comment=f"scatter: L={_dims(spec.input_size)}, K={_dims(spec.kernel_size)}, s={_dims(spec.stride)}, "
        f"p={_dims(spec.padding)}, d={_dims(spec.dilation)}, L_out={_dims(spec.output_size)}",
    )


def flipped_picture(
    x: Any,
    w: Any,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    dilation: Any = 1,
    *,
    position: Any = None,
    index_base: int = 0,
    max_inputs: int = 8,
    width_cm: float = 12.0,
    symbol_names: Mapping[str, str] | None = None,
) -> Tex:
    r"""The flipped-kernel picture of a 1-D or 2-D transposed convolution (TikZ).

    The input ``x``; ``u``, the input with ``s − 1`` zeros inserted between neighbours
    (light grey) and padded by ``P_l, P_r`` (dark grey), the spec's
    :attr:`~tconvmat.spec.ConvTransposeSpec.flipped_pads` (a negative pad crops
    instead); the flipped kernel ``w'_κ = w_{K−1−κ}`` over the window of output
    ``position`` (under it in 1-D, beside ``u`` in 2-D), every cell coloured by the
    original tap ``k = K − 1 − κ`` (the inputs it reads too); and the stride-1
    convolution's output ``y`` with ``position`` highlighted.  The layout is the figure
    model's (:class:`tconvmat.figures.SlidingFigure`).

    Parameters
    ----------
    x, w, stride, padding, output_padding, dilation, index_base, max_inputs, width_cm, symbol_names
        As in :func:`scatter_picture`.
    position : int or tuple of int, optional
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
    spec = data.spec
    if position is None:
        position = tuple(L // 2 for L in spec.output_size)
    pos = (int(position),) if np.ndim(position) == 0 else tuple(int(v) for v in position)
    if len(pos) != spec.ndim or any(not 0 <= p < L for p, L in zip(pos, spec.output_size)):
        L_out = spec.output_size[0] if spec.ndim == 1 else spec.output_size
        shown = pos[0] if len(pos) == 1 else pos
        raise ValueError(f"position must lie in [0, L_out) = [0, {L_out}); got position={shown}")
    scene = sliding_scene(data, pos, SceneOptions(index_base, _names(symbol_names)))
    return scene_tikz(
        scene,
        width_cm=width_cm,
        symbol_names=symbol_names,
        comment=f"flipped: L={_dims(spec.input_size)}, K={_dims(spec.kernel_size)}, s={_dims(spec.stride)}, "
        f"pads={_dims(spec.flipped_pads)}, d={_dims(spec.dilation)}, L_out={_dims(spec.output_size)}, "
        f"position={_dims(pos)}",
    )


def _dims(values: Any) -> str:
    """``3×3`` for sizes, ``0:1 1:1`` for (before, after) pairs: no Python reprs in a document."""
    items = values if isinstance(values, (tuple, list)) else (values,)
    return "×".join(":".join(map(str, v)) if isinstance(v, (tuple, list)) else str(v) for v in items)


def _check_base(index_base: int) -> None:
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1; got index_base={index_base!r}")


_tap_matrix = tap_matrix
_tap_rows = tap_rows


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
    data = matrix_data(c, max_rows, max_cols)
    kernel = data.kernel_size
    n_rows, n_cols = data.shape
    rows, cols, r_gap, c_gap = list(data.rows), list(data.cols), data.row_gap, data.col_gap
    block = data.taps
    disp_rows = len(rows) + (r_gap is not None)
    disp_cols = len(cols) + (c_gap is not None)
    size = min(0.5, width_cm / max(disp_cols, 1))

    def at(index: int, gap: int | None) -> int:
        return index + (gap is not None and index >= gap)

    body = [f"% sparsity: C is {n_rows} x {n_cols}, shown {len(rows)} rows x {len(cols)} columns"]
    for r in range(len(rows)):
        for q in range(len(cols)):
            v = int(block[r, q])
            if v == 0:
                continue
            fill = tap_color(v - 1) if kernel is not None else "black!60"
            body.append(f"\\fill[fill={fill}] ({at(q, c_gap)},{-at(r, r_gap)}) rectangle +(1,-1);")
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
                f"\\fill[fill={tap_color(flat)}] ({_num(flat * 2.2)},{_num(y0)}) rectangle +(0.8,-0.8);"
                f" \\node[anchor=west] at ({_num(flat * 2.2 + 0.8)},{_num(y0 - 0.4)}) {{${w}_{{{sub}}}$}};"
            )
    return _picture(size, body)
