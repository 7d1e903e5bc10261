"""The figure objects: data computed once, ``plot(ax=None)`` draws it (scikit-learn's Display style)."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..spec import ConvTransposeSpec
from ._model import (
    Matrix,
    MatrixData,
    ScatterData,
    Scene,
    SceneOptions,
    SlidingData,
    Val,
    _position,
    channel_pairs,
    check_drawable,
    default_position,
    matrix_data,
    resolve_arrays,
    scatter_data,
    scatter_scene,
    sliding_data,
    sliding_scene,
    stack,
    tap_key,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["Animation", "MatrixFigure", "ScatterFigure", "SlidingFigure", "animate", "write_figures"]

FORMATS = ("png", "svg", "pdf", "gif")


class _Drawable:
    """``plot``, ``savefig``, ``to_png``/``to_svg``/``to_pdf`` and Jupyter's PNG, from :meth:`scene`."""

    def scene(self) -> Scene:  # pragma: no cover - every figure defines it
        raise NotImplementedError

    def plot(self, ax: Axes | None = None) -> Any:
        """Draw on ``ax`` (or on a new figure's axes); returns the object itself.

        After the call, ``figure_`` and ``ax_`` are the matplotlib objects drawn on.
        """
        from . import _mpl

        scene = self.scene()
        if ax is None:
            fig, ax = _mpl.new_figure(scene)
        else:
            fig = ax.figure
        _mpl.draw_scene(ax, scene)
        object.__setattr__(self, "figure_", fig)
        object.__setattr__(self, "ax_", ax)
        return self

    def _fresh_figure(self, dpi: float = 100) -> Figure:
        from . import _mpl

        scene = self.scene()
        fig, ax = _mpl.new_figure(scene, dpi=dpi)
        _mpl.draw_scene(ax, scene)
        return fig

    def _bytes(self, fmt: str, dpi: float = 100) -> bytes:
        buf = io.BytesIO()
        self._fresh_figure(dpi).savefig(buf, format=fmt, dpi=dpi)
        return buf.getvalue()

    def to_png(self, dpi: float = 100) -> bytes:
        """The picture as PNG bytes."""
        return self._bytes("png", dpi)

    def to_svg(self) -> str:
        """The picture as an SVG document."""
        return self._bytes("svg").decode("utf-8")

    def to_pdf(self) -> bytes:
        """The picture as a one-page PDF."""
        return self._bytes("pdf")

    def savefig(self, path: str | Path, format: str | None = None, dpi: float = 100) -> Path:
        """Write the picture to ``path`` (format from the suffix unless given: png, svg, pdf)."""
        p = Path(path)
        fmt = (format or p.suffix.lstrip(".") or "png").lower()
        if fmt not in ("png", "svg", "pdf"):
            raise ValueError(f"format must be png, svg or pdf for a still picture; got {fmt!r}")
        p.write_bytes(self._bytes(fmt, dpi))
        return p

    def _repr_png_(self) -> bytes:
        return self.to_png()


@dataclass(frozen=True, eq=False)
class ScatterFigure(_Drawable):
    """The scatter picture: every input drops its kernel copy ``x_i·w`` into the output.

    One panel per (input, output) channel pair drawn (``data``).  1-D: one row per input,
    the copies coloured by tap, and their sum.  2-D: the input with ``focus`` marked, the
    copy of ``x_focus`` in the output (cropped positions dashed) and the sum of every copy.

    Examples
    --------
    >>> import tconvmat as tcm
    >>> from tconvmat.figures import ScatterFigure
    >>> spec = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> fig = ScatterFigure.from_spec(spec, [[[1, 1, 1]]], [[1, 1]])
    >>> fig.data[0].sums.tolist()
    [1, 1, 2, 1, 1]
    >>> fig.to_png()[:4]
    b'\\x89PNG'
    """

    spec: ConvTransposeSpec
    data: tuple[ScatterData, ...]
    total_pairs: int = 1
    focus: tuple[int, ...] | None = None
    index_base: int = 0

    @classmethod
    def from_spec(
        cls,
        spec: ConvTransposeSpec,
        weight: Any = None,
        x: Any = None,
        *,
        pairs: Sequence[tuple[int, int]] | None = None,
        max_pairs: int = 4,
        focus: Sequence[int] | int | None = None,
        index_base: int = 0,
    ) -> ScatterFigure:
        """From a spec, its weight (default: every kernel 1, 2, …, K) and input (default 1, 2, …; unbatched)."""
        data, total = _per_pair(scatter_data, spec, weight, x, pairs, max_pairs, index_base)
        f = (
            None
            if focus is None
            else ((int(focus),) if np.ndim(focus) == 0 else tuple(int(v) for v in focus))
        )
        return cls(spec, data, total, f, index_base)

    def scene(self, upto: int | None = None, running: Sequence[np.ndarray] | None = None) -> Scene:
        """The backend-free scene (``upto``: an animation's step, inputs ``0 … upto`` scattered)."""
        opts = SceneOptions(self.index_base)
        scenes = [
            scatter_scene(d, self.focus, upto, opts, running=None if running is None else running[n])
            for n, d in enumerate(self.data)
        ]
        return _caption(stack(scenes), len(self.data), self.total_pairs)

    def animate(self, interval_ms: int = 700, with_matrix: bool = True) -> Animation:
        """The scatter view: one frame per input (C order), its copy coloured, the sum growing."""
        running = [d.running_sums() for d in self.data]
        n = running[0].shape[0]
        x0 = self.data[0].x.reshape(-1)
        scenes = []
        for t in range(n):  # one frame per input element
            i = np.unravel_index(t, self.spec.input_size)
            name = _plain_name("x", i, self.index_base)
            step = (f"{t + 1}/{n}: {name} = ", Val(x0[t]), f" scatters {name}·w")
            scenes.append(self.scene(t, running).replace(step=step))
        rows = [
            tuple(
                (
                    "row",
                    int(
                        np.ravel_multi_index(
                            (d.pair[0], *np.unravel_index(t, self.spec.input_size)), self.spec.input_shape
                        )
                    ),
                )
                for d in self.data
            )
            for t in range(n)
        ]
        return _animation(self.spec, scenes, rows, "scatter", interval_ms, with_matrix)


@dataclass(frozen=True, eq=False)
class SlidingFigure(_Drawable):
    """The flipped kernel sliding over the zero-inserted, padded input, at one output ``position``.

    Examples
    --------
    >>> import tconvmat as tcm
    >>> from tconvmat.figures import SlidingFigure
    >>> spec = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> fig = SlidingFigure.from_spec(spec, [[[1, 1, 1]]], [[1, 1]], position=2)
    >>> fig.data[0].u.tolist(), fig.data[0].y.tolist()
    ([0, 0, 1, 0, 1, 0, 0], [1, 1, 2, 1, 1])
    >>> cells, taps = fig.data[0].window((2,))
    >>> cells[:, 0].tolist(), taps.tolist()  # u cells 2, 3, 4 read by w'_0, w'_1, w'_2 = w_2, w_1, w_0
    ([2, 3, 4], [2, 1, 0])
    """

    spec: ConvTransposeSpec
    data: tuple[SlidingData, ...]
    total_pairs: int = 1
    position: tuple[int, ...] | None = None
    index_base: int = 0

    @classmethod
    def from_spec(
        cls,
        spec: ConvTransposeSpec,
        weight: Any = None,
        x: Any = None,
        *,
        pairs: Sequence[tuple[int, int]] | None = None,
        max_pairs: int = 4,
        position: Sequence[int] | int | None = None,
        index_base: int = 0,
    ) -> SlidingFigure:
        """From a spec, its weight (default: every kernel 1, 2, …, K) and input (default 1, 2, …; unbatched)."""
        data, total = _per_pair(sliding_data, spec, weight, x, pairs, max_pairs, index_base)
        at = default_position(data[0]) if position is None else _position(spec, position)
        return cls(spec, data, total, at, index_base)

    def scene(self, position: Sequence[int] | None = None, computed: np.ndarray | None = None) -> Scene:
        """The backend-free scene at output ``position`` (``computed``: outputs shown so far)."""
        opts = SceneOptions(self.index_base)
        at = self.position if position is None else position
        scenes = [sliding_scene(d, at, opts, computed=computed) for d in self.data]
        return _caption(stack(scenes), len(self.data), self.total_pairs)

    def animate(self, interval_ms: int = 500, with_matrix: bool = True) -> Animation:
        """The gather view: every output in turn, the taps that feed it coloured as in ``C``."""
        out = self.spec.output_size
        n = math.prod(out)
        scenes = []
        cols = []
        for t in range(n):  # one frame per output element
            o = tuple(int(v) for v in np.unravel_index(t, out))
            computed = (np.arange(n) <= t).reshape(out)
            name = _plain_name("y", o, self.index_base)
            step = (f"{t + 1}/{n}: {name} = ", Val(self.data[0].y[o]))
            scenes.append(self.scene(o, computed).replace(step=step))
            cols.append(
                tuple(
                    ("col", int(np.ravel_multi_index((d.pair[1], *o), self.spec.output_shape)))
                    for d in self.data
                )
            )
        return _animation(self.spec, scenes, cols, "gather", interval_ms, with_matrix)


@dataclass(frozen=True, eq=False)
class MatrixFigure(_Drawable):
    """The sparsity pattern of ``C``, every entry coloured by the kernel tap that puts it there.

    Examples
    --------
    >>> import tconvmat as tcm
    >>> from tconvmat.figures import MatrixFigure
    >>> fig = MatrixFigure.from_spec(tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2))
    >>> fig.data.taps.tolist()  # tap + 1 of every entry of the 2 × 5 C, 0 where none
    [[1, 2, 3, 0, 0], [0, 0, 1, 2, 3]]
    """

    data: MatrixData

    @classmethod
    def from_spec(
        cls, spec: ConvTransposeSpec | Any, *, max_rows: int = 64, max_cols: int = 64
    ) -> MatrixFigure:
        """From a spec (``C`` by tap) or any matrix (nonzeros shaded); past the limits, head and tail."""
        return cls(matrix_data(spec, max_rows, max_cols))

    def scene(self) -> Scene:
        n_r, n_c = self.data.display_shape
        cell = min(1.0, 40.0 / max(n_c, 1), 30.0 / max(n_r, 1))
        m = Matrix(self.data, 0.0, 0.0, cell, title=(_matrix_title(self.data),))
        key = tap_key(self.data.kernel_size) if self.data.kernel_size is not None else ()
        return Scene((), matrix=m, tap_key=key)


def _matrix_title(data: MatrixData) -> str:
    r, c = data.shape
    elided = (
        " (first and last rows and columns)" if data.row_gap is not None or data.col_gap is not None else ""
    )
    return f"$C$: {r} × {c}, entries coloured by kernel tap{elided}".replace("×", "$\\times$")


def _plain_name(name: str, index: Sequence[int], base: int) -> str:
    """``x[1, 2]``: plain text (an animation's step line is redrawn every frame; no mathtext)."""
    return f"{name}[{', '.join(str(int(v) + base) for v in index)}]"


def _per_pair(
    make: Any,
    spec: ConvTransposeSpec,
    weight: Any,
    x: Any,
    pairs: Sequence[tuple[int, int]] | None,
    max_pairs: int,
    index_base: int,
) -> tuple[tuple[Any, ...], int]:
    """The data of each chosen channel pair (``make(spec, w, x, pair)``) and how many pairs there are."""
    check_drawable(spec)
    _check_base(index_base)
    w, xa = resolve_arrays(spec, weight, x)
    chosen, total = channel_pairs(spec, pairs, max_pairs)
    return tuple(make(spec, w, xa, p) for p in chosen), total


def _check_base(index_base: int) -> None:
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1; got index_base={index_base!r}")


def _caption(scene: Scene, shown: int, total: int) -> Scene:
    if total > shown:
        return scene.replace(caption=f"{shown} of {total} channel pairs shown")
    return scene


def _with_matrix(spec: ConvTransposeSpec, scenes: list[Scene]) -> list[Scene]:
    data = matrix_data(spec, max_rows=400, max_cols=400)
    x_min, _, x_max, y_max = scenes[0].bounds
    n_r, n_c = data.display_shape
    cell = min(1.0, (x_max - x_min) / max(n_c, 1), 14.0 / max(n_r, 1))
    m = Matrix(data, x_min, y_max + 4.0, cell, title=(_matrix_title(data),))
    return [s.replace(matrix=m) for s in scenes]


def _animation(
    spec: ConvTransposeSpec,
    scenes: list[Scene],
    highlights: list[tuple[tuple[str, int], ...]],
    view: str,
    interval_ms: int,
    with_matrix: bool,
) -> Animation:
    if with_matrix:
        scenes = _with_matrix(spec, scenes)
    return Animation(tuple(scenes), tuple(highlights), view, interval_ms)


@dataclass(frozen=True, eq=False)
class Animation:
    """Frames of one layout: a GIF, a self-contained HTML player (Jupyter shows it), or arrays.

    ``scenes[t]`` is frame ``t``'s scene; ``highlights[t]`` the rows (scatter view) or
    columns (gather view) of ``C`` outlined in it.
    """

    scenes: tuple[Scene, ...]
    highlights: tuple[tuple[tuple[str, int], ...], ...]
    view: str
    interval_ms: int = 500

    def __len__(self) -> int:
        return len(self.scenes)

    def frames(self, dpi: float = 64) -> list[np.ndarray]:
        """Every frame as an RGB array (height, width, 3)."""
        from ._mpl import FrameRenderer

        renderer = FrameRenderer(self.scenes[0], dpi=dpi)
        return [frame.copy() for frame, _ in renderer.frames(self.scenes, self.highlights)]

    def _indices(self, dpi: float) -> list[np.ndarray]:
        """Every frame as indices into the fixed GIF palette (only changed boxes looked up)."""
        from ._gif import palette_frames
        from ._mpl import FrameRenderer

        renderer = FrameRenderer(self.scenes[0], dpi=dpi)
        return list(palette_frames(renderer.frames(self.scenes, self.highlights)))

    def to_gif(self, dpi: float = 64) -> bytes:
        """The animation as GIF bytes (looping, one frame per step)."""
        from ._gif import encode_gif

        return encode_gif(self._indices(dpi), self.interval_ms)

    def to_html(self, dpi: float = 60) -> str:
        """A self-contained HTML player: inline PNG frames, play/pause and a slider."""

        from ._gif import Quantizer, to_image

        palette = Quantizer().palette_bytes
        uris = []
        for index in self._indices(dpi):
            image = to_image(index, palette)
            buf = io.BytesIO()
            image.save(buf, format="PNG", compress_level=1)
            uris.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"))
        uid = f"tcm{id(self):x}"
        frames_js = ",".join(f'"{u}"' for u in uris)
        n = len(uris)
        return (
            f'<div id="{uid}" style="font-family:sans-serif">'
            f'<img id="{uid}-img" src="{uris[0]}" style="max-width:100%"><br>'
            f'<button id="{uid}-play">pause</button> '
            f'<input id="{uid}-slider" type="range" min="0" max="{n - 1}" value="0" style="width:60%"> '
            f'<span id="{uid}-label">step 1 of {n}</span></div>\n'
            "<script>(function(){"
            f"var f=[{frames_js}];var i=0,on=true;"
            f'var img=document.getElementById("{uid}-img"),s=document.getElementById("{uid}-slider"),'
            f'b=document.getElementById("{uid}-play"),l=document.getElementById("{uid}-label");'
            f'function show(k){{i=k;img.src=f[k];s.value=k;l.textContent="step "+(k+1)+" of {n}";}}'
            f's.oninput=function(){{on=false;b.textContent="play";show(+s.value);}};'
            f'b.onclick=function(){{on=!on;b.textContent=on?"pause":"play";}};'
            f"setInterval(function(){{if(on)show((i+1)%f.length);}},{self.interval_ms});"
            "})();</script>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, path: str | Path) -> Path:
        """Write ``path``: ``.gif`` (animation) or ``.html`` (the player)."""
        p = Path(path)
        if p.suffix.lower() == ".html":
            p.write_text(self.to_html(), encoding="utf-8")
        elif p.suffix.lower() == ".gif":
            p.write_bytes(self.to_gif())
        else:
            raise ValueError(f"an animation is written as .gif or .html; got {p.name!r}")
        return p


def animate(
    spec: ConvTransposeSpec,
    weight: Any = None,
    x: Any = None,
    *,
    view: str = "gather",
    pairs: Sequence[tuple[int, int]] | None = None,
    max_pairs: int = 4,
    index_base: int = 0,
    with_matrix: bool = True,
    interval_ms: int | None = None,
) -> Animation:
    """The animation of a transposed convolution.

    ``view="gather"``: every output computed in turn by the flipped kernel over the
    zero-inserted, padded input; ``view="scatter"``: every input scattering its copy.
    The taps are coloured as the entries of ``C``, whose column (gather) or row (scatter)
    of the step is outlined beside (``with_matrix``).

    Examples
    --------
    >>> import tconvmat as tcm
    >>> from tconvmat.figures import animate
    >>> anim = animate(tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2), [[[1, 1, 1]]], [[1, 1]])
    >>> len(anim), anim.to_gif()[:6]
    (5, b'GIF89a')
    """
    if view == "gather":
        fig: Any = SlidingFigure.from_spec(
            spec, weight, x, pairs=pairs, max_pairs=max_pairs, index_base=index_base
        )
    elif view == "scatter":
        fig = ScatterFigure.from_spec(
            spec, weight, x, pairs=pairs, max_pairs=max_pairs, index_base=index_base
        )
    else:
        raise ValueError(f"view must be 'gather' or 'scatter'; got view={view!r}")
    kw = {} if interval_ms is None else {"interval_ms": interval_ms}
    return fig.animate(with_matrix=with_matrix, **kw)


def write_figures(
    spec: ConvTransposeSpec,
    weight: Any = None,
    x: Any = None,
    directory: str | Path = ".",
    formats: Sequence[str] = ("png",),
    *,
    index_base: int = 0,
) -> list[Path]:
    """Write the scatter, matrix and sliding pictures into ``directory``; the paths written.

    Still formats (png, svg, pdf) give ``scatter.FMT``, ``matrix.FMT``, ``sliding.FMT``;
    ``gif`` gives the animations ``scatter.gif`` (scatter view) and ``sliding.gif`` (gather
    view).  The directory is created if missing.

    Examples
    --------
    >>> import tempfile, tconvmat as tcm
    >>> from tconvmat.figures import write_figures
    >>> spec = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in write_figures(spec, [[[1, 1, 1]]], [[1, 1]], d, formats=("png", "gif"))]
    ['scatter.png', 'matrix.png', 'sliding.png', 'scatter.gif', 'sliding.gif']
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"formats must be among {', '.join(FORMATS)}; got formats={tuple(formats)!r}")
    check_drawable(spec)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    scatter = ScatterFigure.from_spec(spec, weight, x, index_base=index_base)
    sliding = SlidingFigure.from_spec(spec, weight, x, index_base=index_base)
    matrix = MatrixFigure.from_spec(spec)
    written: list[Path] = []
    for fmt in formats:
        if fmt == "gif":
            continue
        for name, fig in (("scatter", scatter), ("matrix", matrix), ("sliding", sliding)):
            written.append(fig.savefig(out / f"{name}.{fmt}", format=fmt))
    if "gif" in formats:
        written.append(scatter.animate().save(out / "scatter.gif"))
        written.append(sliding.animate().save(out / "sliding.gif"))
    return written
