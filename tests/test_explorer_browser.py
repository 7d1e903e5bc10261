"""The explorer page in a real browser (Debian's Chromium driven by Playwright): pointing at an
element highlights what the library says feeds it; errors show the library's message; the
``explore --html`` file works offline from ``file://``.  Screenshots go to /tmp/explorer/."""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tconvmat as tcm
from tconvmat import explorer, figures
from tconvmat.cli import serve as serve_cli

from .conftest import REQUIRE_ORACLES, oracle

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path("/tmp/explorer")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = oracle("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        if REQUIRE_ORACLES:
            pytest.fail(f"{CHROMIUM} is required (TCONVMAT_REQUIRE_ORACLES=1) but missing")
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    srv = explorer.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.url
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def page(browser: Any, url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and "(Bad Request)" not in m.text else None,
    )
    pg.goto(url)
    pg.wait_for_selector("body[data-ready]")
    yield pg
    context.close()
    assert errors == []


def _ready(pg: Any) -> str:
    return pg.evaluate("document.body.dataset.ready || ''")


def set_params(pg: Any, **params: Any) -> None:
    """Change the controls one at a time, waiting for the library's answer after each."""
    for name, value in params.items():
        before = _ready(pg)
        sel = f"#controls [name={name}]"
        if pg.eval_on_selector(sel, "e => e.tagName") == "SELECT":
            pg.select_option(sel, str(value))
        else:
            pg.fill(sel, str(value))
        pg.wait_for_function("(b) => document.body.dataset.ready !== b", arg=before)


def _cells(pg: Any, selector: str, *attrs: str) -> list[tuple[Any, ...]]:
    return [
        tuple(_num(v) for v in row)
        for row in pg.eval_on_selector_all(
            selector, f"els => els.map(e => [{', '.join(f'e.getAttribute({a!r})' for a in attrs)}])"
        )
    ]


def _num(v: Any) -> Any:
    try:
        return int(v)
    except (TypeError, ValueError):
        return v


def _library(params: dict[str, Any]) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The spec, default values (1, 2, …), and ``C`` coded by weight entry + 1, straight from tconvmat."""
    ndim = int(params.get("ndim", 1))

    def t(k: str, d: Any) -> tuple[int, ...]:
        v = tuple(int(p) for p in str(params.get(k, d)).split("x"))
        return v * ndim if len(v) == 1 else v

    c_in, c_out, g = (int(params.get(k, 1)) for k in ("in_channels", "out_channels", "groups"))
    w_shape = (c_in, c_out // g, *t("kernel_size", 3))
    spec = tcm.conv_transpose_spec(
        w_shape,
        (c_in, *t("input_size", 2)),
        stride=t("stride", 2),
        padding=t("padding", 0),
        output_padding=t("output_padding", 0),
        dilation=t("dilation", 1),
        groups=g,
    )
    w = np.arange(1, math.prod(spec.weight_shape) + 1).reshape(spec.weight_shape)
    x = np.arange(1, math.prod(spec.input_shape) + 1).reshape(spec.input_shape)
    C = tcm.conv_transpose_matrix(w, spec.input_shape, **spec.kwargs()).toarray()
    return spec, w, x, C


CASES = [
    pytest.param({"kernel_size": 3, "input_size": 2, "stride": 2}, id="1d-stride2"),
    pytest.param(
        {"input_size": 5, "kernel_size": 3, "stride": 3, "padding": 2, "output_padding": 2},
        id="1d-pad-outpad",
    ),
    pytest.param({"input_size": 4, "kernel_size": 2, "stride": 1, "dilation": 3}, id="1d-dilation"),
    pytest.param(
        {"in_channels": 2, "out_channels": 2, "input_size": 3, "kernel_size": 2, "stride": 2},
        id="1d-channels",
    ),
    pytest.param(
        {
            "ndim": 2,
            "input_size": "3x3",
            "kernel_size": "3",
            "stride": "2",
            "padding": "1",
            "output_padding": "1x1",
        },
        id="2d-stride-pad-outpad",
    ),
    pytest.param(
        {"ndim": 2, "input_size": "3x2", "kernel_size": "2", "stride": "1x2", "dilation": "2"},
        id="2d-dilation",
    ),
]


@pytest.mark.parametrize("params", CASES)
def test_pointing_highlights_what_the_library_says(page: Any, params: dict[str, Any], request: Any) -> None:
    set_params(page, **params)
    spec, w, x, C = _library(params)
    n_taps = math.prod(spec.kernel_size)
    n_out = C.shape[1]
    n_out_sp = math.prod(spec.output_size)
    shown = [float(v) for _, v in _cells(page, '[data-view="y"] .cell', "data-flat", "data-flat")]
    assert len(shown) == n_out
    y = tcm.conv_transpose(x[None], w, **spec.kwargs())[0].reshape(-1)
    texts = page.eval_on_selector_all('[data-view="y"] .cell text', "els => els.map(e => e.textContent)")
    assert [int(t) for t in texts] == y.tolist()
    for j in sorted({0, n_out // 2, n_out - 1, min(n_out - 1, 5)}):
        page.hover(f'[data-view="y"] .cell[data-flat="{j}"]')
        rows = np.flatnonzero(C[:, j])
        want_inputs = sorted((int(i), int((C[i, j] - 1) % n_taps)) for i in rows)
        assert sorted(_cells(page, '[data-view="x"] .cell.hl', "data-flat", "data-tap")) == want_inputs
        want_c = sorted((int(i), j, int((C[i, j] - 1) % n_taps)) for i in rows)
        assert sorted(_cells(page, '[data-view="C"] .entry.hl', "data-row", "data-col", "data-tap")) == want_c
        assert page.get_attribute('[data-view="C"]', "data-pointed") == f"col {j}"
        # the flipped view: the window of output j's position, coloured by the original tap
        o_channel, o_spatial = divmod(j, n_out_sp)
        cin_g, cout_g = spec.in_channels // spec.groups, spec.out_channels // spec.groups
        data = figures.sliding_data(spec, w, x, ((o_channel // cout_g) * cin_g, o_channel))
        cells, taps = data.window(tuple(int(v) for v in np.unravel_index(o_spatial, spec.output_size)))
        want_win = sorted((",".join(str(int(v)) for v in c), int(t)) for c, t in zip(cells, taps))
        got_win = sorted(
            (str(p), t) for p, t in _cells(page, '[data-view="u"] .cell.win', "data-pos", "data-tap")
        )
        assert got_win == want_win
        expr = page.text_content("#expression")
        assert f"= {y[j]}" in expr.replace("\u00a0", " ")
    page.screenshot(path=str(SHOTS / f"output-{request.node.callspec.id}.png"), full_page=True)
    # pointing at an input: its row of C and its kernel copy in the output
    i = C.shape[0] - 1
    page.hover(f'[data-view="x"] .cell[data-flat="{i}"]')
    cols = np.flatnonzero(C[i])
    want = sorted((int(j), int((C[i, j] - 1) % n_taps)) for j in cols)
    assert sorted(_cells(page, '[data-view="y"] .cell.hl', "data-flat", "data-tap")) == want
    assert sorted(_cells(page, '[data-view="C"] .entry.hl', "data-row", "data-col")) == [
        (i, int(j)) for j in cols
    ]
    page.screenshot(path=str(SHOTS / f"input-{request.node.callspec.id}.png"), full_page=True)


def test_shape_arithmetic_and_torch_call_come_from_the_library(page: Any) -> None:
    set_params(page, input_size=4, kernel_size=3, stride=3, padding=1)
    spec, *_ = _library({"input_size": 4, "kernel_size": 3, "stride": 3, "padding": 1})
    assert page.text_content("#shapes") == "\n".join(tcm.spec.shape_arithmetic(spec))
    assert "conv_transpose1d(x, w, stride=3, padding=1, output_padding=0" in page.text_content("#torch")
    options = page.eval_on_selector_all(
        "#controls [name=output_padding] option", "els => els.map(e => e.value)"
    )
    assert options == ["0", "1", "2"]  # output_padding < max(stride, dilation): the allowed values only


def test_invalid_combination_shows_the_library_message(page: Any) -> None:
    set_params(page, input_size=1, kernel_size=1, stride=1)
    set_params(page, padding=1)
    with pytest.raises(tcm.ConvolutionSpecError) as e:
        tcm.conv_transpose_spec((1, 1, 1), (1, 1), stride=1, padding=1)
    assert page.is_visible("#error")
    assert page.text_content("#error") == str(e.value)
    assert "stale" in (page.get_attribute("#views", "class") or "")
    page.screenshot(path=str(SHOTS / "error.png"), full_page=True)
    set_params(page, padding=0)  # back to a valid one: the error goes, the views come back
    assert not page.is_visible("#error")
    assert "stale" not in (page.get_attribute("#views", "class") or "")


def test_guard_refusal_shows_in_the_page(page: Any) -> None:
    set_params(page, input_size=40)
    assert "at most 16 in the explorer" in page.text_content("#error")


def test_step_and_play_walk_the_outputs_and_inputs(page: Any) -> None:
    set_params(page, input_size=3, kernel_size=2, stride=2)
    page.click("#step-next")
    assert page.get_attribute("#expression", "data-output") == "0"
    page.click("#step-next")
    assert page.get_attribute("#expression", "data-output") == "1"
    assert _cells(page, '[data-view="y"] .cell.cur', "data-flat") == [(1,)]
    page.select_option("#step-mode", "scatter")
    assert page.get_attribute('[data-view="x"]', "data-pointed") == "0"
    page.click("#step-play")
    page.wait_for_function(
        "(n) => document.querySelector('[data-view=x]').dataset.pointed === n", arg="1", timeout=5000
    )
    page.click("#step-play")  # pause
    assert page.text_content("#step-play").strip().endswith("play")


def test_html_file_works_offline(browser: Any, tmp_path: Path) -> None:
    out = tmp_path / "explorer.html"
    argv = ["explore", "--kernel-size", "3x3", "--input-size", "3x3", "--stride", "2", "--padding", "1"]
    assert serve_cli.main([*argv, "--output-padding", "1", "--html", str(out)]) == 0
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(out.as_uri())
    pg.wait_for_selector("body[data-ready]")
    assert pg.is_visible("#fixed-note") and pg.is_disabled("#controls [name=stride]")
    spec = tcm.conv_transpose_spec((1, 1, 3, 3), (1, 3, 3), stride=2, padding=1, output_padding=1)
    w = np.arange(1, 10).reshape(spec.weight_shape)  # explore's default: distinct integers
    C = tcm.conv_transpose_matrix(
        np.arange(1, 10).reshape(spec.weight_shape), spec.input_shape, **spec.kwargs()
    )
    C = C.toarray()
    j = 8
    pg.hover(f'[data-view="y"] .cell[data-flat="{j}"]')
    want = sorted((int(i), int(C[i, j] - 1)) for i in np.flatnonzero(C[:, j]))
    assert sorted(_cells(pg, '[data-view="x"] .cell.hl', "data-flat", "data-tap")) == want
    y = tcm.conv_transpose(np.arange(1, 10).reshape(1, 1, 3, 3), w, **spec.kwargs()).reshape(-1)
    texts = pg.eval_on_selector_all('[data-view="y"] .cell text', "els => els.map(e => e.textContent)")
    assert [int(t) for t in texts] == y.tolist()
    pg.screenshot(path=str(SHOTS / "offline-html.png"), full_page=True)
    context.close()
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert errors == []


def setup_module() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)


def test_scatter_labels_each_channel_pair_share(page: Any) -> None:
    set_params(page, input_size=2, kernel_size=3, stride=2, padding=0, in_channels=2, out_channels=2)
    labels = page.eval_on_selector_all('[data-view="scatter"] text', "els => els.map(e => e.textContent)")
    assert any(t.endswith("] = Σ") and " ∗ w[" in t for t in labels), labels
    assert "Σ" not in labels and not any(re.fullmatch(r"x\d·w", t) for t in labels), labels
    assert any(re.fullmatch(r"x\d,\d·w", t) for t in labels)


def test_tap_colour_key_under_scatter_and_c(page: Any) -> None:
    set_params(page, input_size=2, kernel_size=3, stride=2, padding=0, in_channels=1, out_channels=1)
    for v in ("scatter", "C"):
        keys = page.eval_on_selector_all(
            f'[data-view="{v}"] .tapkey text', "els => els.map(e => e.textContent)"
        )
        assert keys == ["taps:", "w[0]", "w[1]", "w[2]"], (v, keys)
