"""The figure model against the index relation and PyTorch; every format written and opened; golden PNGs."""

from __future__ import annotations

import io
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat import figures
from tconvmat.cli import draw
from tconvmat.cli._args import Parser, UsageError
from tconvmat.spec import ConvolutionSpecError, input_index

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TCONVMAT_UPDATE_GOLDEN") == "1"

LEARNER = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
TWO_D = tcm.conv_transpose_spec((1, 1, 3, 3), (1, 3, 3), stride=2, padding=1, dilation=2, output_padding=1)


def test_default_weight_numbers_every_kernel() -> None:
    """Without a weight every kernel is 1 … K, so the flipped kernel reads K … 1."""
    fig = figures.SlidingFigure.from_spec(TWO_D)
    np.testing.assert_array_equal(fig.scene().grid("w").values.astype(int), np.arange(9, 0, -1).reshape(3, 3))
    spec = tcm.conv_transpose_spec((2, 3, 2), (2, 4), stride=2)
    d = figures.ScatterFigure.from_spec(spec, pairs=[(1, 2)]).data[0]  # x[1] = 5 … 8 scatters w = [1, 2]
    assert d.w.tolist() == [1, 2] and d.y.tolist() == [5, 10, 6, 12, 7, 14, 8, 16]


def test_learner_example_cells_and_colours() -> None:
    fig = figures.ScatterFigure.from_spec(LEARNER, [[[1, 1, 1]]], [[1, 1]])
    scene = fig.scene()
    copies = scene.grid("copies")
    # row i holds x_i·w_k at j = i·s + k·d − p, coloured by tap k; nothing elsewhere
    assert copies.tap.tolist() == [[0, 1, 2, -1, -1], [-1, -1, 0, 1, 2]]
    assert (copies.kind == "empty").tolist() == [[False] * 3 + [True] * 2, [True] * 2 + [False] * 3]
    assert scene.grid("sum").values.tolist() == [[1, 1, 2, 1, 1]]
    assert figures.cell_fill("value", 1, False) == figures.tap_color(1)
    for stride, y in ((1, [1, 2, 2, 1]), (2, [1, 1, 2, 1, 1]), (4, [1, 1, 1, 0, 1, 1, 1])):
        spec = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=stride)
        assert figures.ScatterFigure.from_spec(spec, [[[1, 1, 1]]], [[1, 1]]).data[0].y.tolist() == y
        assert figures.SlidingFigure.from_spec(spec, [[[1, 1, 1]]], [[1, 1]]).data[0].y.tolist() == y


def test_sliding_window_colours_are_the_entries_of_C() -> None:
    """In the gather view at output j, input i wears tap k's colour exactly when C[i, j] = w_k."""
    for spec in (
        LEARNER,
        TWO_D,
        tcm.conv_transpose_spec((1, 1, 2, 3), (1, 4, 3), stride=(2, 1), padding=(0, 1)),
    ):
        fig = figures.SlidingFigure.from_spec(spec)
        T = figures.matrix_data(spec, 10**6, 10**6).taps  # tap + 1 of every entry of C
        for j in range(int(np.prod(spec.output_size))):
            o = np.unravel_index(j, spec.output_size)
            scene = fig.scene(o)
            x_taps = scene.grid("x").tap.reshape(-1)
            np.testing.assert_array_equal(x_taps + 1, T[:, j])
            assert scene.grid("y").current.reshape(-1).tolist() == [k == j for k in range(T.shape[1])]


def test_scatter_positions_are_the_index_relation() -> None:
    data = figures.ScatterFigure.from_spec(TWO_D).data[0]
    taps = list(np.ndindex(*TWO_D.kernel_size))
    inputs = list(np.ndindex(*TWO_D.input_size))
    for n, i in enumerate(inputs):
        for t, k in enumerate(taps):
            want = [
                input_index(i[a], k[a], TWO_D.stride[a], TWO_D.dilation[a], TWO_D.padding[a][0])
                for a in (0, 1)
            ]
            assert data.positions[n, t].tolist() == want
    lo = np.asarray(data.lo)
    np.testing.assert_array_equal(
        data.sums[-lo[0] :, -lo[1] :][: TWO_D.output_size[0], : TWO_D.output_size[1]], data.y
    )
    scene = figures.ScatterFigure.from_spec(TWO_D).scene()
    s = scene.grid("sum")
    assert (s.kind[0] == "crop").all() and (s.kind[:, 0] == "crop").all()  # padding 1 crops position -1
    assert s.outpad[-1, 1:].all() and s.outpad[1:, -1].all() and not s.outpad[1:-1, 1:-1].any()


params = st.tuples(
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 2),
    st.integers(0, 1),
)


@settings(max_examples=30)
@given(
    params, params, st.integers(1, 2), st.integers(1, 2), st.integers(1, 2), st.randoms(use_true_random=False)
)
def test_model_numbers_match_torch(
    torch: ModuleType, a: tuple, b: tuple, cin: int, cout: int, groups: int, rnd
) -> None:
    (L0, K0, s0, p0, d0, op0), (L1, K1, s1, p1, d1, op1) = a, b
    try:
        spec = tcm.conv_transpose_spec(
            (cin * groups, cout, K0, K1),
            (cin * groups, L0, L1),
            stride=(s0, s1),
            padding=(p0, p1),
            output_padding=(op0, op1),
            dilation=(d0, d1),
            groups=groups,
        )
    except ConvolutionSpecError:
        assume(False)
    w = np.array([rnd.randint(-5, 5) for _ in range(int(np.prod(spec.weight_shape)))]).reshape(
        spec.weight_shape
    )
    x = np.array([rnd.randint(-5, 5) for _ in range(int(np.prod(spec.input_shape)))]).reshape(
        spec.input_shape
    )
    ref = torch.nn.functional.conv_transpose2d(
        torch.tensor(x[None], dtype=torch.float64),
        torch.tensor(w, dtype=torch.float64),
        stride=spec.stride,
        padding=(p0, p1),
        output_padding=spec.output_padding,
        dilation=spec.dilation,
        groups=groups,
    ).numpy()[0]
    _, total = figures.channel_pairs(spec, max_pairs=100)
    assert total == groups * cin * cout
    scatter = figures.ScatterFigure.from_spec(
        spec,
        w,
        x,
        pairs=[
            (c, o) for c in range(spec.in_channels) for o in range(spec.out_channels) if c // cin == o // cout
        ],
    )
    sliding = figures.SlidingFigure.from_spec(spec, w, x, pairs=[p for p in ((d.pair) for d in scatter.data)])
    for o in range(spec.out_channels):  # each output channel is the sum of its pairs' panels
        total_s = sum(d.y for d in scatter.data if d.pair[1] == o)
        total_f = sum(d.y for d in sliding.data if d.pair[1] == o)
        np.testing.assert_array_equal(total_s, ref[o])
        np.testing.assert_array_equal(total_f, ref[o])
    for d in scatter.data:
        lo = np.asarray(d.lo)
        inside = d.sums[-lo[0] : -lo[0] + spec.output_size[0], -lo[1] : -lo[1] + spec.output_size[1]]
        np.testing.assert_array_equal(inside, d.y)


def test_channel_pairs_are_labelled_and_checked() -> None:
    spec = tcm.conv_transpose_spec((4, 3, 3), (4, 5), stride=2, groups=2)
    pairs, total = figures.channel_pairs(spec)
    # group 0's pairs in order, and the first pair of group 1 (inputs 2-3 feed outputs 3-5 only)
    assert pairs == ((0, 0), (0, 1), (0, 2), (2, 3)) and total == 12
    two = tcm.conv_transpose_spec((2, 1, 3), (2, 4), groups=2)
    assert figures.channel_pairs(two) == (((0, 0), (1, 1)), 2)
    assert figures.channel_pairs(spec, max_pairs=1) == (((0, 0),), 12)
    fig = figures.SlidingFigure.from_spec(spec, pairs=[(2, 3), (3, 5)])
    assert [d.pair for d in fig.data] == [(2, 3), (3, 5)]
    assert "group 1" in str(fig.scene().texts[0].label)
    shown = figures.ScatterFigure.from_spec(spec)
    assert shown.scene().caption == "4 of 12 channel pairs shown"
    assert "4 of 12 channel pairs shown" in [t.get_text() for t in shown.plot().ax_.texts]  # drawn
    with pytest.raises(ConvolutionSpecError, match="not connected"):
        figures.SlidingFigure.from_spec(spec, pairs=[(0, 3)])
    with pytest.raises(ConvolutionSpecError, match="padding_mode"):
        figures.ScatterFigure.from_spec(
            tcm.conv_transpose_spec((1, 1, 3), (1, 4), padding=1, padding_mode="reflect")
        )
    with pytest.raises(ConvolutionSpecError, match="1-D and 2-D"):
        figures.MatrixFigure.from_spec(tcm.conv_transpose_spec((1, 1, 2, 2, 2), (1, 2, 2, 2)))


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize(
    "name, make",
    [
        ("learner_scatter", lambda: figures.ScatterFigure.from_spec(LEARNER, [[[1, 1, 1]]], [[1, 1]])),
        ("learner_sliding", lambda: figures.SlidingFigure.from_spec(LEARNER, [[[1, 1, 1]]], [[1, 1]])),
        ("two_d_sliding", lambda: figures.SlidingFigure.from_spec(TWO_D)),
        ("two_d_matrix", lambda: figures.MatrixFigure.from_spec(TWO_D)),
    ],
)
def test_golden_images(name: str, make) -> None:
    png = make().to_png(dpi=50)
    path = GOLDEN / f"{name}.png"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no golden image {path}; run with TCONVMAT_UPDATE_GOLDEN=1 to create it")
        path.write_bytes(png)
    got, want = _pixels(png), _pixels(path.read_bytes())
    assert got.shape == want.shape
    differ = np.abs(got - want).max(axis=2) > 60
    assert differ.mean() < 0.01, f"{differ.mean():.2%} of the pixels differ from {path.name}"


def _cli(argv: list[str]) -> int:
    p = Parser(prog="tconvmat draw")
    draw.COMMANDS[0].configure(p)
    try:
        return draw.COMMANDS[0].run(p.parse_args(argv))
    except (UsageError, ConvolutionSpecError) as e:
        print(f"tconvmat draw: error: {e}", file=sys.stderr)
        return 2


LEARNER_ARGS = ["--kernel-size", "3", "--stride", "2", "--input", "1,1", "--weight", "1,1,1"]


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "gif"])
@pytest.mark.parametrize("what", ["scatter", "sliding", "matrix"])
def test_every_format_is_written_and_opens(tmp_path: Path, what: str, fmt: str) -> None:
    from PIL import Image

    out = tmp_path / f"{what}.{fmt}"
    status = _cli([*LEARNER_ARGS, "--what", what, "--format", fmt, "-o", str(out)])
    if what == "matrix" and fmt == "gif":
        assert status == 2 and not out.exists()
        return
    assert status == 0
    data = out.read_bytes()
    if fmt == "png":
        assert Image.open(out).size[0] > 100
    elif fmt == "svg":
        assert ET.fromstring(data).tag.endswith("svg")
    elif fmt == "pdf":
        assert data.startswith(b"%PDF") and b"/Type /Page" in data
    else:  # one frame per output (gather) or per input (scatter)
        assert Image.open(out).n_frames == {"sliding": 5, "scatter": 2}[what]


def test_draw_all_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--kernel-size",
        "3x3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--dilation",
        "2",
        "--output-padding",
        "1",
        "--input-size",
        "3x3",
    ]
    assert _cli([*args, "--what", "all", "-o", str(tmp_path / "figs")]) == 0
    assert sorted(p.name for p in (tmp_path / "figs").iterdir()) == [
        "matrix.png",
        "scatter.png",
        "sliding.png",
    ]
    capsys.readouterr()
    assert _cli([*args, "-o", str(tmp_path / "missing" / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such directory" in err
    assert _cli([*args, "--what", "all", "-o", str(tmp_path / "figs" / "matrix.png")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert _cli([*args, "--position", "9x9", "-o", str(tmp_path / "p.png")]) == 2
    assert "position must lie" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "fmt", "magic"),
    [
        ("y.svg", None, b"<?xml"),
        ("y.pdf", None, b"%PDF"),
        ("y.gif", None, b"GIF8"),
        ("y.png", None, b"\x89PNG"),
        ("y.PNG", "png", b"\x89PNG"),
        ("y", "svg", b"<?xml"),
    ],
)
def test_draw_format_follows_the_extension(tmp_path: Path, name: str, fmt: str | None, magic: bytes) -> None:
    out = tmp_path / name
    assert _cli([*LEARNER_ARGS, *(["--format", fmt] if fmt else []), "-o", str(out)]) == 0
    assert out.read_bytes().lstrip()[: len(magic)] == magic


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("y.png", "pdf", "--format pdf contradicts -o"),
        ("y.svg", "png", "--format png contradicts -o"),
        ("y.jpg", None, "cannot tell the format from .jpg"),
        ("y", None, "cannot tell the format from a name without an extension"),
    ],
)
def test_draw_refuses_a_format_the_name_contradicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, fmt: str | None, message: str
) -> None:
    out = tmp_path / name
    assert _cli([*LEARNER_ARGS, *(["--format", fmt] if fmt else []), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not out.exists()


def test_draw_uses_the_weight_of_every_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --weight: arange over the whole weight tensor, as explain and apply (problem.weight)."""
    argv = [
        "--kernel-size",
        "2",
        "--stride",
        "2",
        "--in-channels",
        "2",
        "--out-channels",
        "2",
        "--input-size",
        "2",
    ]
    seen = []
    real = figures.SlidingFigure.from_spec

    def spy(spec: object, w: object, x: object, **kw: object) -> object:
        seen.append(np.asarray(w))
        return real(spec, w, x, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(figures.SlidingFigure, "from_spec", spy)
    assert _cli([*argv, "-o", str(tmp_path / "y.svg")]) == 0
    assert seen[0].shape == (2, 2, 2) and seen[0].reshape(-1).tolist() == list(range(1, 9))


def test_animation_frames_and_html() -> None:
    anim = figures.animate(TWO_D, view="gather")
    assert len(anim) == 64
    frames = figures.animate(LEARNER, [[[1, 1, 1]]], [[1, 1]]).frames()
    assert (
        len(frames) == 5 and frames[0].shape == frames[4].shape and not np.array_equal(frames[0], frames[4])
    )
    html = figures.animate(LEARNER, [[[1, 1, 1]]], [[1, 1]], view="scatter")._repr_html_()
    assert html.count("data:image/png;base64,") == 1 + 2 and "<script>" in html  # the <img> and 2 frames
    gif = figures.animate(TWO_D, view="scatter").to_gif()
    from PIL import Image

    assert Image.open(io.BytesIO(gif)).n_frames == 9


def test_plot_on_given_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot(1, 2, 1)
    shown = figures.SlidingFigure.from_spec(LEARNER).plot(ax=ax)
    assert shown.ax_ is ax and shown.figure_ is fig and len(ax.texts) > 10
    assert figures.MatrixFigure.from_spec(LEARNER)._repr_png_()[:4] == b"\x89PNG"


def test_write_figures(tmp_path: Path) -> None:
    paths = figures.write_figures(TWO_D, None, None, tmp_path / "out", formats=("svg", "gif"))
    assert [p.name for p in paths] == [
        "scatter.svg",
        "matrix.svg",
        "sliding.svg",
        "scatter.gif",
        "sliding.gif",
    ]
    with pytest.raises(ValueError, match="formats"):
        figures.write_figures(TWO_D, None, None, tmp_path, formats=("jpg",))


def test_gif_frames_are_the_rendered_frames() -> None:
    """Decoded, every GIF frame (deltas over the previous one, one fixed palette) is the RGB frame."""
    from PIL import Image, ImageSequence

    anim = figures.animate(TWO_D, view="gather")
    frames = anim.frames()
    gif = Image.open(io.BytesIO(anim.to_gif()))
    decoded = [np.asarray(f.convert("RGB"), dtype=np.int16) for f in ImageSequence.Iterator(gif)]
    assert len(decoded) == len(frames) == 64
    for got, want in zip(decoded, frames):
        err = np.abs(got - want).max(axis=2)
        assert err.mean() < 1.0 and (err > 40).mean() == 0  # anti-aliasing shades: nearest palette colour

    def colours(px: np.ndarray) -> set[tuple[int, ...]]:
        return {tuple(int(v) for v in c) for c in np.unique(px.reshape(-1, 3), axis=0)}

    fills = {figures.cell_fill(k, t, False) for k in ("value", "zero", "pad") for t in range(9)}
    flat = {(c.red, c.green, c.blue) for c in fills}
    assert flat & colours(frames[20]) <= colours(decoded[20])  # every fill on show kept exactly


def _text(label: object) -> str:
    return "".join(str(getattr(p, "value", p)) for p in label)  # type: ignore[attr-defined]


def test_several_channels_label_each_pair_share_and_full_input_index() -> None:
    spec = tcm.conv_transpose_spec((2, 2, 3), (2, 2), stride=2)
    w, x = np.arange(1, 13).reshape(2, 2, 3), np.arange(1, 5).reshape(2, 2)
    scene = figures.scatter_scene(figures.scatter_data(spec, w, x, (1, 1)))
    assert [_text(r) for r in scene.grid("copies").row_labels] == ["$x_{1,0} = 3$", "$x_{1,1} = 4$"]
    assert [_text(r) for r in scene.grid("sum").row_labels] == ["$x[1] \\ast w[1,1] = \\sum$"]
    two = tcm.conv_transpose_spec((2, 1, 2, 2), (2, 2, 2), stride=2)
    s2 = figures.scatter_scene(
        figures.scatter_data(
            two, np.arange(1, 9).reshape(2, 1, 2, 2), np.arange(1, 9).reshape(2, 2, 2), (1, 0)
        )
    )
    assert _text(s2.grid("sum").title) == "sum of every copy: $x[1] \\ast w[1,0]$"
    assert _text(s2.grid("copy").title).startswith("copy $x_{1,")
    one = figures.scatter_scene(
        figures.scatter_data(LEARNER, np.array([[[1, 2, 3]]]), np.array([[1, 2]]))
    )  # one channel: y and x_i
    assert [_text(r) for r in one.grid("sum").row_labels] == ["$y = \\sum$"]
    assert _text(one.grid("copies").row_labels[0]).startswith("$x_{0} = ")


def test_tap_colour_key_axis_names_and_every_column_ticked() -> None:
    scene = figures.ScatterFigure.from_spec(TWO_D).scene()
    assert scene.tap_key == tuple(f"w[{a},{b}]" for a in range(3) for b in range(3))
    texts = [t.get_text() for t in figures.ScatterFigure.from_spec(LEARNER).plot().ax_.texts]
    assert "taps:" in texts and {"w[0]", "w[1]", "w[2]"} <= set(texts)
    fig = figures.MatrixFigure.from_spec(LEARNER).plot()
    swatches = [p.get_facecolor()[:3] for p in fig.ax_.patches if p.get_fill() and p.get_width() == 0.7]
    assert np.allclose(swatches, [figures.tap_color(k).rgb for k in range(3)], atol=1e-2)
    texts = [t.get_text() for t in fig.ax_.texts]
    assert "rows: inputs $i$" in texts and "columns: outputs $j$" in texts
    assert sorted(t for t in texts if t.isdigit()) == sorted(
        ["0", "1"] + [str(j) for j in range(5)]
    )  # 1-D: all
    wide = [t.get_text() for t in figures.MatrixFigure.from_spec(TWO_D).plot().ax_.texts]
    assert sorted(t for t in wide if t.isdigit()) == sorted(["0", "8", "0", "63"])  # 2-D: first and last
