"""The matplotlib renderer of a :class:`~tconvmat.figures._model.Scene`.

No pyplot: a :class:`matplotlib.figure.Figure` with an Agg canvas.  A static picture is
drawn with collections (one per style) and one text per number.  An animation draws the
first frame once and then, per frame, redraws only the cells whose number or kind changed
(pooled artists) and applies the colours (taps, the current output) to a copy of the
pixels by a multiply blend in NumPy, so a frame costs a few small draws, not a figure.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text as MplText

from . import _palette as pal
from ._model import Grid, Label, Matrix, Scene, Val

__all__ = ["FrameRenderer", "draw_scene", "new_figure"]


def format_value(v: Any) -> str:
    """A cell's number as short plain text."""
    if isinstance(v, str):
        return v
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isfinite(f) and f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return f"{f:.3g}"
    return str(v).replace("**", "^").replace("*", "·")


def format_label(label: Label) -> str:
    """A label's parts joined (values as plain text inside the surrounding math)."""
    return "".join(format_value(p.value) if isinstance(p, Val) else str(p) for p in label)


def _label_width(label: Label) -> float:
    """Rough width of a label in cell units (for the margins)."""
    text = format_label(label)
    plain = text.replace("$", "").replace("\\sum", "Σ").replace("\\rightarrow", "→").replace("\\cdot", "·")
    for ch in "{}_\\":
        plain = plain.replace(ch, "")
    return 0.32 * len(plain)


def _margins(scene: Scene) -> tuple[float, float, float, float]:
    """Room (left, top, right, bottom) in cell units beyond the cells, for labels and titles."""
    x_min, y_min, x_max, _y_max = scene.bounds
    left = 0.3
    top = 0.6
    for g in scene.grids:
        if g.row_labels:
            left = max(left, 0.3 + max(_label_width(lab) for lab in g.row_labels) - (g.x0 - x_min))
        above = (g.col_label_gap + 0.6 if g.col_labels else 0.6) + (0.9 if g.title else 0.0)
        top = max(top, (y_min - (g.y0 - 0.5)) + above)
    for t in scene.texts:
        if t.anchor == "east":
            left = max(left, x_min - t.x + _label_width(t.label) + 0.3)
        top = max(top, y_min - t.y + 0.8)
    right = 0.3
    for t in scene.texts:
        if t.anchor in ("west", "center"):
            right = max(right, t.x + _label_width(t.label) - x_max)
    for g in scene.grids:
        if g.title:
            right = max(right, g.x0 + _label_width(g.title) - x_max + 0.3)
    if scene.step:
        top += 1.2
        right = max(right, x_min + _label_width(scene.step) - x_max)
    if scene.matrix is not None:  # the title above C, its row numbers and axis name left of it
        m = scene.matrix
        top = max(top, y_min - m.y0 + 2.0)
        left = max(left, x_min - m.x0 + 1.3 + 0.32 * len(str(m.data.shape[0] - 1)))
        if m.title:
            right = max(right, m.x0 + _label_width(m.title) - x_max + 0.3)
    entries = legend_entries(scene)
    bottom = (
        0.4 + (1.4 if entries else 0.0) + (1.0 if scene.caption else 0.0) + (1.4 if scene.tap_key else 0.0)
    )
    if scene.matrix is not None:
        bottom += 1.0  # the column axis name under C
    if entries:
        right = max(right, x_min + _legend_width(entries) - x_max)
    if scene.tap_key:
        right = max(right, x_min + _tap_key_width(scene.tap_key) - x_max)
    if scene.caption:
        right = max(right, x_min + 0.32 * len(scene.caption) - x_max)
    return left, top, right, bottom


def _tap_key_width(labels: tuple[str, ...]) -> float:
    return 1.8 + sum(1.1 + 0.24 * len(t) for t in labels)


def _legend_width(entries: list[tuple[str, str]]) -> float:
    return sum(1.6 + 0.3 * len(text) for _, text in entries)


def legend_entries(scene: Scene) -> list[tuple[str, str]]:
    """``(style, text)`` of the marks present: padding, inserted zeros, crop, output padding, current."""
    present = set()
    for g in scene.grids:
        present.update(str(k) for k in np.unique(g.kind))
        if g.outpad.any():
            present.add("outpad")
        if g.current.any():
            present.add("current")
    current = (
        "input scattering"
        if any(g.current.any() for g in scene.grids if g.name == "x")
        else "output computed"
    )
    out = []
    for key, text in (
        ("zero", "inserted zero"),
        ("pad", "padding"),
        ("crop", "cropped by the padding"),
        ("outpad", "output padding"),
        ("current", current),
    ):
        if key in present:
            out.append((key, text))
    return out


def new_figure(scene: Scene, cell_inch: float | None = None, dpi: float = 100) -> tuple[Figure, Axes]:
    """A figure sized for ``scene`` (one Axes filling it, scene units, y downward)."""
    x_min, y_min, x_max, y_max = scene.bounds
    left, top, right, bottom = _margins(scene)
    width = x_max - x_min + left + right
    height = y_max - y_min + top + bottom
    if cell_inch is None:
        cell_inch = min(0.42, max(0.16, 15.0 / width), max(0.16, 11.0 / height))
    fig = Figure(figsize=(width * cell_inch, height * cell_inch), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    _frame_axes(ax, scene)
    return fig, ax


def _frame_axes(ax: Axes, scene: Scene) -> None:
    x_min, y_min, x_max, y_max = scene.bounds
    left, top, right, bottom = _margins(scene)
    ax.set_xlim(x_min - left, x_max + right)
    ax.set_ylim(y_max + bottom, y_min - top)  # y downward, as in the model
    ax.set_aspect("equal", adjustable="datalim" if ax.get_subplotspec() is not None else "box")
    ax.set_axis_off()


def _cell_points(ax: Axes) -> float:
    """The size of one cell in points, as drawn."""
    fig = ax.figure
    bbox = ax.get_position()
    x0, x1 = ax.get_xlim()
    width_in = bbox.width * fig.get_figwidth()
    return 72.0 * width_in / abs(x1 - x0)


def _fontsize(text: str, cell_pt: float) -> float:
    n = max(len(text), 1)
    return max(3.0, min(0.42 * cell_pt, 11.0, 1.45 * cell_pt / n))


def _boxes(g: Grid, mask: np.ndarray) -> np.ndarray:
    r, c = np.nonzero(mask)
    x = g.x0 + c
    y = g.y0 + r - 0.5
    return np.stack(
        [np.stack([x, y], 1), np.stack([x + 1, y], 1), np.stack([x + 1, y + 1], 1), np.stack([x, y + 1], 1)],
        1,
    )


def _fills(g: Grid, mask: np.ndarray, tinted: bool) -> list[Any]:
    kinds, taps, cur = g.kind[mask], g.tap[mask], g.current[mask]
    out = []
    for k, t, c in zip(kinds.tolist(), taps.tolist(), cur.tolist()):  # one colour per drawn cell
        col = pal.cell_fill(k, t if tinted else -1, bool(c) and tinted)
        out.append(col.rgb if col is not None else (1.0, 1.0, 1.0, 0.0))
    return out


def draw_grid(ax: Axes, g: Grid, cell_pt: float, tinted: bool = True) -> None:
    solid = (g.kind != "empty") & (g.kind != "crop")
    crop = g.kind == "crop"
    if solid.any():
        ax.add_collection(
            PolyCollection(
                _boxes(g, solid), facecolors=_fills(g, solid, tinted), edgecolors="black", linewidths=0.6
            )
        )
    if crop.any():
        ax.add_collection(
            PolyCollection(
                _boxes(g, crop),
                facecolors=_fills(g, crop, tinted),
                edgecolors=pal.CROP_EDGE.hex,
                linewidths=0.6,
                linestyles="--",
            )
        )
    if g.outpad.any():
        ax.add_collection(_outpad_collection(g, g.outpad))
    rows, cols = np.nonzero(g.kind != "empty")
    for r, c in zip(rows.tolist(), cols.tolist()):  # one text per cell: drawing, not arithmetic
        text = format_value(g.values[r, c])
        if text == "":
            continue
        ax.text(
            g.x0 + c + 0.5,
            g.y0 + r,
            text,
            ha="center",
            va="center_baseline",
            fontsize=_fontsize(text, cell_pt),
            color="dimgray" if g.kind[r, c] == "crop" else "black",
        )
    small = min(9.0, 0.36 * cell_pt)
    for r, lab in enumerate(g.row_labels):
        ax.text(g.x0 - 0.15, g.y0 + r, format_label(lab), ha="right", va="center", fontsize=small)
    for c, lab in enumerate(g.col_labels):
        ax.text(
            g.x0 + c + 0.5,
            g.y0 - g.col_label_gap,
            lab,
            ha="center",
            va="center",
            fontsize=small,
            color="gray",
        )
    if g.title:
        above = g.y0 - 0.5 - (g.col_label_gap + 0.45 if g.col_labels else 0.25)
        ax.text(
            g.x0, above, format_label(g.title), ha="left", va="bottom", fontsize=min(11.0, 0.45 * cell_pt)
        )


def _outpad_collection(g: Grid, mask: np.ndarray) -> PolyCollection:
    boxes = _boxes(g, mask)
    inset = np.array([[0.1, 0.1], [-0.1, 0.1], [-0.1, -0.1], [0.1, -0.1]])
    return PolyCollection(
        boxes + inset, facecolors="none", edgecolors=pal.OUTPAD_EDGE.hex, linewidths=1.4, linestyles=":"
    )


def draw_matrix(
    ax: Axes, m: Matrix, cell_pt: float, highlight: tuple[int | None, int | None] = (None, None)
) -> None:
    data = m.data
    n_r, n_c = data.display_shape
    img = np.ones((n_r, n_c, 3))
    r_idx = np.array([data.display_index(r, 0) for r in data.rows], dtype=np.int64)
    c_idx = np.array([data.display_index(c, 1) for c in data.cols], dtype=np.int64)
    colors = np.array([c.rgb for c in pal.TAP_COLORS])
    rr, cc = np.nonzero(data.taps > 0)
    if data.kernel_size is not None:
        img[r_idx[rr], c_idx[cc]] = colors[(data.taps[rr, cc] - 1) % len(colors)]
    else:
        img[r_idx[rr], c_idx[cc]] = 0.35
    if data.row_gap is not None:
        img[data.row_gap, :] = 0.96
    if data.col_gap is not None:
        img[:, data.col_gap] = 0.96
    ax.imshow(
        img,
        extent=(m.x0, m.x0 + m.width, m.y0 + m.height, m.y0),
        interpolation="nearest",
        aspect="auto",
        zorder=1,
    )
    ax.add_patch(Rectangle((m.x0, m.y0), m.width, m.height, fill=False, edgecolor="black", linewidth=0.6))
    if max(n_r, n_c) <= 40 and m.cell * cell_pt >= 4:
        xs = m.x0 + m.cell * np.arange(n_c + 1)
        ys = m.y0 + m.cell * np.arange(n_r + 1)
        segs = [[(x, m.y0), (x, m.y0 + m.height)] for x in xs] + [
            [(m.x0, y), (m.x0 + m.width, y)] for y in ys
        ]
        ax.add_collection(LineCollection(segs, colors="0.85", linewidths=0.4, zorder=2))
    small = min(9.0, 0.36 * cell_pt)
    n_rows, n_cols = data.shape
    digits = 0.32 * len(str(n_rows - 1))
    ax.text(
        m.x0 - 0.5 - digits,
        m.y0 + m.height / 2,
        "rows: inputs $i$",
        ha="right",
        va="center",
        rotation=90,
        fontsize=small,
    )
    ax.text(m.x0, m.y0 + m.height + 0.5, "columns: outputs $j$", ha="left", va="center", fontsize=small)
    one_d = data.spec is not None and data.spec.ndim == 1
    if one_d and data.col_gap is None and n_cols <= 32:  # 1-D: every column ticked
        for j in range(1, n_cols - 1):  # a loop over at most 30 tick labels
            ax.text(
                m.x0 + (j + 0.5) * m.cell,
                m.y0 - 0.25,
                str(j),
                ha="center",
                va="bottom",
                fontsize=small,
                color="gray",
            )
    ax.text(m.x0 - 0.2, m.y0 + m.cell / 2, "0", ha="right", va="center", fontsize=small, color="gray")
    ax.text(
        m.x0 - 0.2,
        m.y0 + m.height - m.cell / 2,
        str(n_rows - 1),
        ha="right",
        va="center",
        fontsize=small,
        color="gray",
    )
    ax.text(m.x0 + m.cell / 2, m.y0 - 0.25, "0", ha="center", va="bottom", fontsize=small, color="gray")
    ax.text(
        m.x0 + m.width - m.cell / 2,
        m.y0 - 0.25,
        str(n_cols - 1),
        ha="center",
        va="bottom",
        fontsize=small,
        color="gray",
    )
    if m.title:
        ax.text(
            m.x0,
            m.y0 - 1.1,
            format_label(m.title),
            ha="left",
            va="bottom",
            fontsize=min(11.0, 0.45 * cell_pt),
        )


def draw_scene(ax: Axes, scene: Scene, tinted: bool = True) -> None:
    """Draw ``scene`` on ``ax`` (its limits and aspect set to fit)."""
    _frame_axes(ax, scene)
    cell_pt = _cell_points(ax)
    for g in scene.grids:
        draw_grid(ax, g, cell_pt, tinted)
    small = min(9.0, 0.36 * cell_pt)
    for t in scene.texts:
        ha = {"east": "right", "west": "left"}.get(t.anchor, "center")
        ax.text(
            t.x,
            t.y,
            format_label(t.label),
            ha=ha,
            va="center",
            fontsize=small,
            color="gray" if t.gray else "black",
        )
    for x0, y0, x1, y1 in scene.rules:
        ax.add_line(Line2D([x0, x1], [y0, y1], color="black", linewidth=1.2))
    if scene.matrix is not None:
        draw_matrix(ax, scene.matrix, cell_pt)
    entries = legend_entries(scene)
    if entries:
        _draw_legend(ax, scene, entries, small)
    below = 0.0 if scene.matrix is None else 1.0  # under C: its column axis name
    if scene.tap_key:
        _draw_tap_key(ax, scene, 1.0 + below + (1.2 if entries else 0.0), small)
    if scene.caption:  # e.g. "4 of 12 channel pairs shown"
        x_min, _, _, y_max = scene.bounds
        y = y_max + below + (2.2 if entries else 1.0) + (1.2 if scene.tap_key else 0.0)
        ax.text(x_min, y, scene.caption, ha="left", va="center", fontsize=small, color="dimgray")
    if scene.step:
        ax._add_text(_step_text(ax, scene))


def _draw_tap_key(ax: Axes, scene: Scene, dy: float, size: float) -> None:
    """One swatch per kernel tap in its colour, labelled with the weight entry it multiplies."""
    x_min, _, _, y_max = scene.bounds
    y = y_max + dy
    ax.text(x_min, y, "taps:", ha="left", va="center", fontsize=size)
    x = x_min + 1.8
    for k, text in enumerate(scene.tap_key):  # a loop over taps
        ax.add_patch(
            Rectangle(
                (x, y - 0.35), 0.7, 0.7, facecolor=pal.tap_color(k).hex, edgecolor="black", linewidth=0.6
            )
        )
        ax.text(x + 0.85, y, text, ha="left", va="center", fontsize=size)
        x += 1.1 + 0.24 * len(text)


def _step_text(ax: Axes, scene: Scene) -> MplText:
    """The step line of an animation frame, at the top left."""
    x_min, y_min, _, _ = scene.bounds
    left, top, _, _ = _margins(scene)
    return MplText(
        x_min - left + 0.3,
        y_min - top + 0.7,
        format_label(scene.step),
        ha="left",
        va="center",
        fontsize=min(11.0, 0.45 * _cell_points(ax)),
    )


def _draw_legend(ax: Axes, scene: Scene, entries: list[tuple[str, str]], size: float) -> None:
    x_min, _, _, y_max = scene.bounds
    y = y_max + 1.0 + (0.0 if scene.matrix is None else 1.0)  # under C: below its column axis name
    x = x_min
    for key, text in entries:
        if key in ("zero", "pad", "current"):
            fill = {"zero": pal.ZERO, "pad": pal.PAD, "current": pal.CURRENT}[key]
            ax.add_patch(
                Rectangle((x, y - 0.35), 0.7, 0.7, facecolor=fill.hex, edgecolor="black", linewidth=0.6)
            )
        elif key == "crop":
            ax.add_patch(
                Rectangle(
                    (x, y - 0.35),
                    0.7,
                    0.7,
                    fill=False,
                    edgecolor=pal.CROP_EDGE.hex,
                    linestyle="--",
                    linewidth=0.6,
                )
            )
        else:
            ax.add_patch(
                Rectangle((x, y - 0.35), 0.7, 0.7, facecolor="white", edgecolor="black", linewidth=0.6)
            )
            ax.add_patch(
                Rectangle(
                    (x + 0.1, y - 0.25),
                    0.5,
                    0.5,
                    fill=False,
                    edgecolor=pal.OUTPAD_EDGE.hex,
                    linestyle=":",
                    linewidth=1.4,
                )
            )
        ax.text(x + 0.9, y, text, ha="left", va="center", fontsize=size)
        x += 1.6 + 0.3 * len(text)


# ---------------------------------------------------------------------------
# Animations: draw once, then only what changes
# ---------------------------------------------------------------------------


class FrameRenderer:
    """Renders a sequence of scenes of one layout (same grids, same places) to RGB arrays.

    Frame 0 is drawn untinted; each later frame redraws the cells whose kind, number or
    output-padding mark changed, then colours the taps and the current output on a copy of
    the pixels (multiply blend, so borders and numbers stay black).  The matrix panel, if
    any, gets the ``highlights`` (row, column of ``C``) outlined.
    """

    def __init__(self, first: Scene, dpi: float = 72, cell_inch: float | None = None) -> None:
        self.fig, self.ax = new_figure(first, cell_inch=cell_inch, dpi=dpi)
        # the cells' numbers are written by Pillow below (hundreds of matplotlib texts are slow)
        bare = first.replace(
            grids=tuple(g.replace(values=np.full(g.shape, "", dtype=object)) for g in first.grids)
        )
        draw_scene(self.ax, bare, tinted=False)
        self.canvas = self.fig.canvas
        self.canvas.draw()
        self.state = first
        self.cell_pt = _cell_points(self.ax)
        self._rect = Rectangle((0, 0), 1, 1, linewidth=0.6, edgecolor="black")
        self._rect.set_animated(True)
        self.ax.add_patch(self._rect)
        self._outpad = Rectangle(
            (0, 0), 0.8, 0.8, fill=False, edgecolor=pal.OUTPAD_EDGE.hex, linestyle=":", linewidth=1.4
        )
        self._outpad.set_animated(True)
        self.ax.add_patch(self._outpad)
        self._text = MplText(0, 0, "", ha="center", va="center_baseline")
        self._text.set_animated(True)
        self.ax._add_text(self._text)
        self.height = int(self.canvas.get_width_height()[1])
        self._boxes: dict[str, np.ndarray] = {}
        self._previous: list[tuple[int, int, int, int]] = []
        self._fonts: dict[int, Any] = {}
        for g in first.grids:
            for r, c in zip(*np.nonzero((g.kind != "empty") & (g.values != ""))):  # every number, once
                self._draw_cell(g, int(r), int(c), False)
        self._strip = self._step_strip(first) if first.step else None
        # the frame: the canvas's pixels, tinted; each render restores only the boxes that changed
        self.frame = np.array(self.canvas.buffer_rgba())[..., :3]
        self._fresh = True

    def _pixel_box(self, g: Grid) -> np.ndarray:
        """Per cell of ``g``: (row0, row1, col0, col1) in buffer pixels, inside the border.

        Agg snaps a thin straight border to the pixel ``floor(v + 0.5)`` of its buffer
        coordinate ``v``: the inside is every pixel strictly between two borders (a more
        cautious box left a one- or two-pixel line of the old fill between the border and
        the tint, visible under the moved ``w'`` cells).
        """
        if g.name + str(g.x0) + str(g.y0) in self._boxes:
            return self._boxes[g.name + str(g.x0) + str(g.y0)]
        rows, cols = g.shape
        xs = g.x0 + np.arange(cols + 1)
        ys = g.y0 - 0.5 + np.arange(rows + 1)
        px = self.ax.transData.transform(np.stack([xs, np.full_like(xs, g.y0, dtype=float)], 1))[:, 0]
        py = self.ax.transData.transform(np.stack([np.full_like(ys, g.x0, dtype=float), ys], 1))[:, 1]
        py = self.height - py  # buffer rows from the top
        bx = np.floor(px + 0.5).astype(int)  # the border pixels
        by = np.floor(py + 0.5).astype(int)
        c0, c1 = bx[:-1] + 1, bx[1:]
        r0, r1 = by[:-1] + 1, by[1:]
        box = np.empty((rows, cols, 4), dtype=int)
        box[..., 0] = r0[:, None]
        box[..., 1] = r1[:, None]
        box[..., 2] = c0[None, :]
        box[..., 3] = c1[None, :]
        self._boxes[g.name + str(g.x0) + str(g.y0)] = box
        return box

    def _font_px(self, size_pt: float) -> Any:
        """DejaVu Sans (matplotlib's default face) at ``size_pt`` points, for Pillow."""
        px = max(round(size_pt * self.fig.dpi / 72), 6)
        if px not in self._fonts:
            from matplotlib import font_manager
            from PIL import ImageFont

            self._fonts[px] = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), px)
        return self._fonts[px]

    def _draw_cell(self, g: Grid, r: int, c: int, border: bool) -> None:
        """Redraw one cell on the canvas: its border with matplotlib if it changed, its fill and
        number with NumPy and Pillow (matplotlib text is too slow to redraw every frame)."""
        kind = str(g.kind[r, c])
        rect = self._rect
        if kind == "empty" or border:
            if kind == "empty":
                rect.set_bounds(g.x0 + c - 0.05, g.y0 + r - 0.55, 1.1, 1.1)
                rect.set_facecolor("white")
                rect.set_edgecolor("none")
            else:
                rect.set_bounds(g.x0 + c, g.y0 + r - 0.5, 1, 1)
                rect.set_facecolor("white")
                rect.set_edgecolor(pal.CROP_EDGE.hex if kind == "crop" else "black")
            rect.set_linestyle("--" if kind == "crop" else "-")
            self.ax.draw_artist(rect)
            if kind == "empty":
                return
        from PIL import Image, ImageDraw

        buf = np.asarray(self.canvas.buffer_rgba())
        r0, r1, c0, c1 = (int(v) for v in self._pixel_box(g)[r, c])
        fill = pal.base_fill(kind) or pal.WHITE
        patch = np.empty((r1 - r0, c1 - c0, 3), dtype=np.uint8)
        patch[...] = (fill.red, fill.green, fill.blue)
        image = Image.fromarray(patch)
        draw = ImageDraw.Draw(image)
        if g.outpad[r, c]:
            inset = max(int(0.1 * (c1 - c0)), 1)
            w, h = c1 - c0, r1 - r0
            edge = (pal.OUTPAD_EDGE.red, pal.OUTPAD_EDGE.green, pal.OUTPAD_EDGE.blue)
            for k in range(inset, w - inset, 3):  # a dotted inset outline
                draw.point([(k, inset), (k, h - 1 - inset)], fill=edge)
            for k in range(inset, h - inset, 3):
                draw.point([(inset, k), (w - 1 - inset, k)], fill=edge)
        text = format_value(g.values[r, c])
        if text:
            colour = (105, 105, 105) if kind == "crop" else (0, 0, 0)
            draw.text(
                ((c1 - c0) / 2, (r1 - r0) / 2),
                text,
                fill=colour,
                font=self._font_px(_fontsize(text, self.cell_pt)),
                anchor="mm",
            )
        buf[r0:r1, c0:c1, :3] = np.asarray(image)

    def _step_strip(self, scene: Scene) -> tuple[int, int, int, int, int, Any]:
        """The pixel rows and columns of the step line, its text's left edge and its font
        (the layout is the same in every frame: computed once)."""
        from matplotlib import font_manager
        from PIL import ImageFont

        x_min, y_min, x_max, _ = scene.bounds
        left, top, right, _ = _margins(scene)
        (xa, ya), (xb, yb) = self.ax.transData.transform(
            [(x_min - left, y_min - top), (x_max + right, y_min - top + 1.2)]
        )
        r0, r1 = sorted((self.height - int(ya), self.height - int(yb)))
        size = min(11.0, 0.45 * self.cell_pt) * self.fig.dpi / 72
        c0 = max(int(xa), 0)
        x_text = int(self.ax.transData.transform([(x_min - left + 0.3, 0)])[0][0]) - c0
        font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), max(round(size), 6))
        return max(r0, 0), r1, c0, int(xb), x_text, font

    def _draw_step(self, frame: np.ndarray, scene: Scene) -> tuple[int, int, int, int]:
        """Write the step line with Pillow (fast: it changes every frame)."""
        from PIL import Image, ImageDraw

        if self._strip is None:
            self._strip = self._step_strip(scene)
        r0, r1, c0, c1, x_text, font = self._strip
        strip = Image.new("RGB", (c1 - c0, r1 - r0), (255, 255, 255))
        ImageDraw.Draw(strip).text(
            (x_text, (r1 - r0) // 2), format_label(scene.step), fill=(0, 0, 0), font=font, anchor="lm"
        )
        frame[r0:r1, c0:c1] = np.asarray(strip)
        return (r0, r1, c0, c1)

    def _update(self, scene: Scene) -> list[tuple[int, int, int, int]]:
        dirty: list[tuple[int, int, int, int]] = []
        for old, new in zip(self.state.grids, scene.grids):
            border = (old.kind != new.kind) & (
                (old.kind == "crop") | (new.kind == "crop") | (old.kind == "empty") | (new.kind == "empty")
            )
            changed = (old.kind != new.kind) | (old.outpad != new.outpad)
            changed = changed | _values_differ(old.values, new.values)
            if not changed.any():
                continue
            emptied = changed & (new.kind == "empty")
            redraw = changed.copy()
            if emptied.any():  # erasing a cell chips its neighbours' borders: redraw them too
                near = np.zeros_like(emptied)
                near[1:] |= emptied[:-1]
                near[:-1] |= emptied[1:]
                near[:, 1:] |= emptied[:, :-1]
                near[:, :-1] |= emptied[:, 1:]
                redraw |= near & (new.kind != "empty")
                border = border | near
                for r, c in zip(*np.nonzero(emptied)):
                    self._draw_cell(new, int(r), int(c), True)
            for r, c in zip(*np.nonzero(redraw)):  # the few changed cells
                if new.kind[r, c] != "empty":
                    self._draw_cell(new, int(r), int(c), bool(border[r, c]))
            dirty.append(_bbox(self._pixel_box(new), redraw, pad=4))
        self.state = scene
        return dirty

    def render(
        self, scene: Scene, highlights: Sequence[tuple[str, int]] = ()
    ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
        """The RGB pixels of ``scene`` (same layout as the first), and the boxes that may differ
        from the previous frame (row0, row1, col0, col1).

        The pixels are this renderer's own buffer, overwritten by the next call: copy them to keep.
        """
        dirty = self._update(scene)
        frame = self.frame
        canvas = np.asarray(self.canvas.buffer_rgba())
        rows, cols = frame.shape[:2]
        if self._fresh:
            self._fresh = False
            frame[...] = canvas[..., :3]
        else:  # restore what changed on the canvas and what the previous frame coloured
            for r0, r1, c0, c1 in dirty + self._previous:
                r0, c0, r1, c1 = max(r0, 0), max(c0, 0), min(r1, rows), min(c1, cols)
                frame[r0:r1, c0:c1] = canvas[r0:r1, c0:c1, :3]
        tinted_boxes: list[tuple[int, int, int, int]] = []
        for g in scene.grids:
            tinted = (g.tap >= 0) | g.current
            if not tinted.any():
                continue
            box = self._pixel_box(g)
            for r, c in zip(*np.nonzero(tinted)):  # a loop over the few coloured cells
                colour = pal.tint(int(g.tap[r, c]), bool(g.current[r, c]))
                r0, r1, c0, c1 = (int(v) for v in box[r, c])
                region = frame[r0:r1, c0:c1].astype(np.uint16)
                frame[r0:r1, c0:c1] = region * np.array([colour.red, colour.green, colour.blue]) // 255
            tinted_boxes.append(_bbox(box, tinted))
        if scene.matrix is not None:
            for axis, index in highlights:
                box = self._outline(frame, scene.matrix, axis, index)
                if box is not None:
                    tinted_boxes.append(box)
        if scene.step:
            dirty.append(self._draw_step(frame, scene))
        dirty += tinted_boxes + self._previous
        self._previous = tinted_boxes
        return frame, dirty

    def _outline(
        self, frame: np.ndarray, m: Matrix, axis: str, index: int
    ) -> tuple[int, int, int, int] | None:
        where = m.data.display_index(index, 0 if axis == "row" else 1)
        if where is None:
            return None
        if axis == "row":
            corners = [(m.x0, m.y0 + where * m.cell), (m.x0 + m.width, m.y0 + (where + 1) * m.cell)]
        else:
            corners = [(m.x0 + where * m.cell, m.y0), (m.x0 + (where + 1) * m.cell, m.y0 + m.height)]
        (xa, ya), (xb, yb) = self.ax.transData.transform(corners)
        c0, c1 = int(min(xa, xb)) - 1, math.ceil(max(xa, xb)) + 1
        r0, r1 = self.height - math.ceil(max(ya, yb)) - 1, self.height - int(min(ya, yb)) + 1
        r0, c0 = max(r0, 0), max(c0, 0)
        frame[r0:r1, c0 : c0 + 2] = 0
        frame[r0:r1, c1 - 2 : c1] = 0
        frame[r0 : r0 + 2, c0:c1] = 0
        frame[r1 - 2 : r1, c0:c1] = 0
        return (r0, r1, c0, c1)

    def frames(
        self, scenes: Sequence[Scene], highlights: Sequence[Sequence[tuple[str, int]]] | None = None
    ) -> Iterator[tuple[np.ndarray, list[tuple[int, int, int, int]]]]:
        """Every frame's pixels (the renderer's buffer: copy to keep) and the boxes changed since
        the previous one."""
        for t, scene in enumerate(scenes):
            yield self.render(scene, highlights[t] if highlights is not None else ())


def _bbox(box: np.ndarray, mask: np.ndarray, pad: int = 0) -> tuple[int, int, int, int]:
    """The pixel box around the cells of ``mask`` (``box`` from ``_pixel_box``)."""
    b = box[mask]
    return (
        int(b[:, 0].min()) - pad,
        int(b[:, 1].max()) + pad,
        int(b[:, 2].min()) - pad,
        int(b[:, 3].max()) + pad,
    )


def _values_differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a is b:
        return np.zeros(a.shape, dtype=bool)
    try:
        return np.asarray(a != b, dtype=bool)
    except (TypeError, ValueError):  # SymPy relations: compare the printed values
        fa = np.vectorize(format_value, otypes=[object])
        return np.asarray(fa(a) != fa(b), dtype=bool)
