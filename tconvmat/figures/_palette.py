"""Colours shared by every renderer: one colour per kernel tap, one per kind of cell.

A colour is an RGB triple with its TikZ spelling (``{rgb,255:red,R;green,G;blue,B}``),
so the matplotlib and TikZ pictures of the same figure model are the same colours.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Color", "cell_fill", "tap_color"]


@dataclass(frozen=True)
class Color:
    """An sRGB colour, channels 0 … 255.

    Examples
    --------
    >>> c = Color(255, 128, 0)
    >>> c.hex, c.tikz, c.rgb
    ('#ff8000', '{rgb,255:red,255;green,128;blue,0}', (1.0, 0.50196..., 0.0))
    """

    red: int
    green: int
    blue: int

    @property
    def hex(self) -> str:
        """``#rrggbb`` (matplotlib, HTML)."""
        return f"#{self.red:02x}{self.green:02x}{self.blue:02x}"

    @property
    def tikz(self) -> str:
        """The colour as a TikZ/xcolor expression, usable as ``fill=...``."""
        return f"{{rgb,255:red,{self.red};green,{self.green};blue,{self.blue}}}"

    @property
    def rgb(self) -> tuple[float, float, float]:
        """Channels as floats in ``[0, 1]``."""
        return (self.red / 255, self.green / 255, self.blue / 255)


def _light(hex_code: str, amount: float) -> Color:
    """``hex_code`` mixed with white: ``amount`` of the colour (as xcolor's ``c!amount``)."""
    rgb = [int(hex_code[i : i + 2], 16) for i in (1, 3, 5)]
    return Color(*(round(amount * v + (1 - amount) * 255) for v in rgb))


# Tableau's qualitative colours (without its grey, which the padding uses), lightened so that
# black text stays readable on them; distinguishable from each other and from the greys.
_TAP_BASE = (
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#d62728",  # red
    "#9467bd",  # purple
    "#17becf",  # cyan
    "#bcbd22",  # olive
    "#e377c2",  # pink
    "#8c564b",  # brown
    "#ffd92f",  # yellow
    "#1b9e77",  # teal
    "#7570b3",  # slate
)
TAP_COLORS: tuple[Color, ...] = tuple(_light(c, 0.45) for c in _TAP_BASE)
"""One colour per kernel tap (flat index modulo 12)."""

WHITE = Color(255, 255, 255)
ZERO = Color(240, 240, 240)  # an inserted zero
PAD = Color(200, 200, 200)  # a padding zero
CURRENT = Color(255, 236, 110)  # the output being computed
OUTPAD_EDGE = Color(0, 120, 60)  # the outline of an output-padding cell
CROP_EDGE = Color(150, 150, 150)  # the dashed outline of a cropped position


def tap_color(k: int) -> Color:
    """The colour of kernel tap ``k`` (flat index, C order) in every picture.

    Examples
    --------
    >>> tap_color(0).hex, tap_color(12) == tap_color(0)
    ('#9ac2dd', True)
    """
    return TAP_COLORS[int(k) % len(TAP_COLORS)]


def _times(a: Color, b: Color) -> Color:
    """``a`` seen through ``b`` (multiply blend): a tap colour over a grey zero stays grey-ish."""
    return Color(*(round(u * v / 255) for u, v in zip((a.red, a.green, a.blue), (b.red, b.green, b.blue))))


def base_fill(kind: str) -> Color | None:
    """The fill of a cell of ``kind`` before any tap colour (``None``: no fill)."""
    if kind == "zero":
        return ZERO
    if kind == "pad":
        return PAD
    if kind in ("crop", "empty"):
        return None
    return WHITE


def tint(tap: int, current: bool) -> Color | None:
    """What colours a cell on top of its kind: the current output, else its tap, else nothing."""
    if current:
        return CURRENT
    if tap >= 0:
        return tap_color(tap)
    return None


def cell_fill(kind: str, tap: int, current: bool) -> Color | None:
    """The fill of one cell: its kind's fill multiplied by its tint (``None``: no fill).

    Examples
    --------
    >>> cell_fill("pad", -1, False) == PAD, cell_fill("value", 2, False) == tap_color(2)
    (True, True)
    >>> cell_fill("crop", -1, False) is None, cell_fill("crop", 0, False) == tap_color(0)
    (True, True)
    """
    t = tint(tap, current)
    b = base_fill(kind)
    if t is None:
        return b
    return _times(b or WHITE, t)


def _fills() -> list[Color]:
    """Every flat colour a cell, an edge or the legend can have (the anchors of the GIF palette)."""
    out = [WHITE, ZERO, PAD, CURRENT, OUTPAD_EDGE, CROP_EDGE, Color(0, 0, 0)]
    for kind in ("value", "zero", "pad"):
        for tap in range(-1, len(TAP_COLORS)):
            for current in (False, True):
                col = cell_fill(kind, tap, current)
                if col is not None and col not in out:
                    out.append(col)
    for c in TAP_COLORS:
        if c not in out:
            out.append(c)
    return out


def gif_palette() -> list[Color]:
    """A fixed palette (at most 255 colours, index 255 left free) for an animation's frames.

    The flat fills exactly (every kind × tap × current, the edges), each also at three shades
    towards black (the anti-aliased numbers and borders on it, which the frames multiply by the
    fill), and a ramp of greys.  Fixed, so every frame of a GIF shares one global colour table.

    Examples
    --------
    >>> p = gif_palette()
    >>> len(p) <= 255, WHITE in p, cell_fill("zero", 3, False) in p
    (True, True, True)
    """
    out: list[Color] = []
    for c in _fills():
        for shade in (1.0, 0.75, 0.5, 0.25):
            s = Color(round(c.red * shade), round(c.green * shade), round(c.blue * shade))
            if s not in out:
                out.append(s)
    for v in range(0, 256, 17):  # 16 greys
        g = Color(v, v, v)
        if g not in out:
            out.append(g)
    if len(out) > 255:  # pragma: no cover - the palette above is fixed at about 190 colours
        raise AssertionError(f"GIF palette of {len(out)} colours")
    return out
