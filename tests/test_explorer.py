"""The explorer without a browser: the JSON model against the library and PyTorch, refusals, guards,
the server's security (own assets only, loopback names), a burst of requests, Ctrl-C."""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tconvmat as tcm
from tconvmat import explorer, figures, symbolic
from tconvmat.cli import serve as serve_cli
from tconvmat.spec import ConvolutionSpecError
from tconvmat.testing import random_params

ROOT = Path(__file__).resolve().parents[1]


def _query(**params: Any) -> dict[str, str]:
    return {k: str(v) for k, v in params.items()}


# ---------------------------------------------------------------------------
# The model against the library and the oracle
# ---------------------------------------------------------------------------


def test_known_case_contributors_and_values(torch: Any) -> None:
    m = explorer.model_from_params(_query(kernel_size=3, input_size=2, stride=2, weight="1,1,1", input="1,1"))
    out2 = m["outputs"][2]
    assert [(i, tap) for i, tap, _w in out2["contributors"]] == [(0, 2), (1, 0)]
    assert out2["expression"] == "w0*x1 + w2*x0"
    y = [o["value"] for o in m["outputs"]]
    x, w = np.array([[[1, 1]]]), np.array([[[1, 1, 1]]])
    assert y == tcm.conv_transpose(x, w, stride=2)[0, 0].tolist() == [1, 1, 2, 1, 1]
    ref = torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w), stride=2)
    assert y == ref[0, 0].tolist()
    # the input's row of C: input 1 lands at outputs 2, 3, 4 through taps 0, 1, 2
    assert m["inputs"][1]["targets"] == [[2, 0], [3, 1], [4, 2]]
    assert m["shape_arithmetic"] == tcm.spec.shape_arithmetic(
        tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    )
    # the flipped view: output 2 reads u[2..4] = x0, 0, x1 through taps 2, 1, 0
    sl = m["views"]["sliding"]
    assert sl["windows"][2] == [[2], [3], [4]] and sl["window_taps"] == [2, 1, 0]
    assert [sl["source"][c[0]] for c in sl["windows"][2]] == [0, -1, 1]


def _params_of(p: dict[str, Any]) -> dict[str, str]:
    w_shape, x_shape = p["weight_shape"], p["input_shape"]
    x = lambda t: "x".join(str(v) for v in t)  # noqa: E731
    return _query(
        ndim=len(w_shape) - 2,
        input_size=x(x_shape[1:]),
        kernel_size=x(w_shape[2:]),
        stride=x(p["stride"]),
        padding=x(b for b, _a in p["padding"]),
        output_padding=x(p["output_padding"]),
        dilation=x(p["dilation"]),
        in_channels=w_shape[0],
        out_channels=w_shape[1] * p["groups"],
        groups=p["groups"],
    )


@pytest.mark.parametrize("seed", range(30))
def test_model_matches_the_library_and_torch(seed: int, torch: Any) -> None:
    rng = np.random.default_rng(seed)
    p = random_params(rng, ndim=(1, 2), max_channels=2, max_groups=2, max_size=4, asymmetric=False)
    q = _params_of(p)
    spec, w, x = explorer.parse_params(q)
    assert spec == tcm.conv_transpose_spec(**p)
    m = explorer.build_model(spec, w, x)
    # values: tconvmat and PyTorch
    y = tcm.conv_transpose(x[None], w, **spec.kwargs())[0]
    assert [o["value"] for o in m["outputs"]] == y.reshape(-1).tolist()
    fn = getattr(torch.nn.functional, f"conv_transpose{spec.ndim}d")
    ref = fn(
        torch.tensor(x[None]),
        torch.tensor(w),
        stride=spec.stride,
        padding=tuple(b for b, _ in spec.padding),
        output_padding=spec.output_padding,
        groups=spec.groups,
        dilation=spec.dilation,
    )
    assert ref[0].reshape(-1).tolist() == y.reshape(-1).tolist()
    # the PyTorch call on the page reproduces it
    ns: dict[str, Any] = {}
    exec(m["torch_call"], ns)
    assert ns["y"][0].reshape(-1).tolist() == y.reshape(-1).tolist()
    # contributors are the columns of C: (input, weight entry) pairs with C[i, j] = w.flat[entry]
    C = tcm.conv_transpose_matrix(w, spec.input_shape, **spec.kwargs()).toarray()
    n_taps = math.prod(spec.kernel_size)
    for j, o in enumerate(m["outputs"]):  # a loop over outputs in a test
        rows = [c[0] for c in o["contributors"]]
        assert rows == np.flatnonzero(C[:, j]).tolist()
        assert [C[i, j] for i in rows] == [w.reshape(-1)[c[2]] for c in o["contributors"]]
        assert all(c[1] == c[2] % n_taps for c in o["contributors"])
    # the gather window of each pair reads exactly the contributors of that pair
    v = m["views"]
    sl = v["sliding"]
    n_in_sp = math.prod(spec.input_size)
    for n, (c_in, c_out) in enumerate(v["pairs"]):
        for o in m["outputs"]:
            if o["channel"] != c_out:
                continue
            read = {
                (c_in * n_in_sp + sl["source"][_flat(cell, sl["u_shape"])], tap)
                for cell, tap in zip(sl["windows"][o["spatial"]], sl["window_taps"])
                if sl["source"][_flat(cell, sl["u_shape"])] >= 0
            }
            want = {(i, tap) for i, tap, _w in o["contributors"] if i // n_in_sp == c_in}
            assert read == want
        assert v["sliding"]["part"][n] is not None
    # expressions: the symbolic layer's, and evaluated at the values they give the output
    xs = symbolic.input_symbols(spec.input_shape)
    ws = symbolic.weight_symbols(spec.weight_shape)
    exprs = symbolic.conv_transpose_expressions(xs, ws, **spec.kwargs()).reshape(-1)
    assert [o["expression"] for o in m["outputs"]] == [str(e) for e in exprs]
    subs = dict(zip(xs.reshape(-1), x.reshape(-1).tolist())) | dict(
        zip(ws.reshape(-1), w.reshape(-1).tolist())
    )
    for o, e in list(zip(m["outputs"], exprs))[:: max(1, len(exprs) // 7)]:
        assert e.subs(subs) == o["value"]


@pytest.mark.parametrize("seed", range(20))
def test_each_displayed_product_pairs_its_own_weight_and_input(seed: int) -> None:
    """``numbers`` reads term by term as ``expression`` with the values substituted."""
    rng = np.random.default_rng(100 + seed)
    p = random_params(rng, ndim=(1, 2), max_channels=2, max_groups=2, max_size=4, asymmetric=False)
    q = _params_of(p)
    spec, _w, _x = explorer.parse_params(q)
    w = rng.integers(-9, 10, spec.weight_shape) * 10 + 1000  # distinct from x, never 0 or 1
    x = rng.integers(-9, 10, spec.input_shape) * 10 + 5000
    m = explorer.build_model(spec, w, x)
    values = {str(s): v for s, v in zip(symbolic.input_symbols(spec.input_shape).reshape(-1), x.reshape(-1))}
    values |= {
        str(s): v for s, v in zip(symbolic.weight_symbols(spec.weight_shape).reshape(-1), w.reshape(-1))
    }
    checked = 0
    for o in m["outputs"]:  # a loop over outputs in a test
        if o["expression"] == "0":
            assert o["numbers"] == ""
            continue
        symbols = [t.split("*") for t in o["expression"].split(" + ")]
        numbers = [t.split("·") for t in o["numbers"].split(" + ")]
        assert len(symbols) == len(numbers) == len(o["contributors"])
        for (ws, xs), (wv, xv) in zip(symbols, numbers):
            assert ws.startswith("w") and xs.startswith("x")
            assert (int(wv), int(xv)) == (values[ws], values[xs])
        assert sum(int(a) * int(b) for a, b in numbers) == o["value"]
        checked += 1
    assert checked == sum(bool(o["contributors"]) for o in m["outputs"])


def test_known_case_numbers_follow_the_printed_terms() -> None:
    out2 = explorer.model_from_params(_query(kernel_size=3, input_size=2, stride=2))["outputs"][2]
    assert out2["expression"] == "w0*x1 + w2*x0"
    assert out2["numbers"] == "1·2 + 3·1"  # w = 1, 2, 3 and x = 1, 2
    assert out2["expression_html"].count("<i>w</i>") == 2
    m2 = explorer.model_from_params(_query(ndim=2, kernel_size="2x3", input_size=2, stride=2))
    assert m2["tap_labels"] == ["w[0,0]", "w[0,1]", "w[0,2]", "w[1,0]", "w[1,1]", "w[1,2]"]  # the colour key
    assert out2["expression_html"].index("<sub>0</sub>") < out2["expression_html"].index("<sub>2</sub>")


@pytest.mark.parametrize("mode", ["zeros", "reflect"])
def test_the_page_starts_on_an_output_every_tap_reaches(mode: str) -> None:
    q = _query(ndim=2, kernel_size="3x3", stride=2, padding=1, dilation=2, output_padding=1, input_size="3x3")
    m = explorer.model_from_params(q | {"padding_mode": mode})
    start = m["outputs"][m["start"]]
    assert m["start"] != len(m["outputs"]) // 2  # the flat middle, y[0,4,0], is 0: nothing to show
    assert len(start["contributors"]) == 9 == max(len(o["contributors"]) for o in m["outputs"])
    if mode == "zeros":
        spec, w, x = explorer.parse_params(q)
        at = figures.default_position(figures.sliding_data(spec, w, x))
        assert start["index"] == [0, *at]  # the figures' choice, one source


def _flat(cell: list[int], shape: list[int]) -> int:
    return int(np.ravel_multi_index(tuple(cell), tuple(shape)))


def test_values_edited_and_defaults() -> None:
    spec, w, x = explorer.parse_params(_query(ndim=2, input_size="2x3", kernel_size=2))
    assert x.tolist() == [[[1, 2, 3], [4, 5, 6]]] and w.reshape(-1).tolist() == [1, 2, 3, 4]
    spec, w, x = explorer.parse_params(_query(kernel_size=2, input_size=2, weight="1.5 -2", input="3,4"))
    assert w.dtype == np.float64 and x.tolist() == [[3, 4]]
    m = explorer.build_model(spec, w, x)
    assert [o["value"] for o in m["outputs"]] == tcm.conv_transpose(x[None], w, stride=2)[0, 0].tolist()


def test_nonzero_padding_mode_keeps_numbers_and_names_the_views_limit() -> None:
    q = _query(kernel_size=3, input_size=4, stride=1, padding=1, padding_mode="reflect")
    spec, w, x = explorer.parse_params(q)
    m = explorer.build_model(spec, w, x)
    y = tcm.conv_transpose(x[None], w, **spec.kwargs())[0]
    assert [o["value"] for o in m["outputs"]] == y.reshape(-1).tolist()
    assert m["views"] is None and "zero padding only" in m["views_error"]
    C = tcm.conv_transpose_matrix(w, spec.input_shape, **spec.kwargs()).toarray()
    for j, o in enumerate(m["outputs"]):
        assert [c[0] for c in o["contributors"]] == np.flatnonzero(C[:, j]).tolist()
        assert all(c[1] == -1 for c in o["contributors"])
    assert "zeros' only" in m["torch_call"]


# ---------------------------------------------------------------------------
# Refusals: the library's own messages, and the guards
# ---------------------------------------------------------------------------


def _library_message(**kw: Any) -> str:
    with pytest.raises(ConvolutionSpecError) as e:
        tcm.conv_transpose_spec(**kw)
    return str(e.value)


@pytest.mark.parametrize(
    ("query", "library"),
    [
        (
            _query(kernel_size=3, input_size=2, stride=2, output_padding=2),
            {"weight_shape": (1, 1, 3), "input_shape": (1, 2), "stride": 2, "output_padding": 2},
        ),
        (
            _query(kernel_size=1, input_size=1, padding=1),
            {"weight_shape": (1, 1, 1), "input_shape": (1, 1), "padding": 1, "stride": 2},
        ),
        (
            _query(kernel_size=3, input_size=3, stride=1, padding=2, padding_mode="reflect"),
            {"weight_shape": (1, 1, 3), "input_shape": (1, 3), "padding": 2, "padding_mode": "reflect"},
        ),
    ],
)
def test_invalid_combinations_give_the_library_message(
    query: dict[str, str], library: dict[str, Any]
) -> None:
    status, body = explorer.model_json("&".join(f"{k}={v}" for k, v in query.items()))
    assert status == 400
    assert json.loads(body)["error"] == _library_message(**library)


@pytest.mark.parametrize(
    ("query", "match"),
    [
        (_query(input_size=17), r"input_size must be at most 16 in the explorer"),
        (_query(kernel_size=6), r"kernel_size must be at most 5"),
        (_query(in_channels=5), r"in_channels must be at most 4"),
        (_query(stride=5), r"stride must be at most 4"),
        (_query(ndim=3), r"ndim must be 1 or 2"),
        (_query(ndim=2, input_size=16, kernel_size=5, stride=4), r"at most 1600 output elements"),
        (
            _query(ndim=2, input_size=16, kernel_size=5, stride=1, in_channels=4, out_channels=4),
            r"entries of C",
        ),
        (_query(input_size="2x2"), r"input_size needs 1 or 1 values"),
        (_query(stride="two"), r"stride must be integers"),
        (_query(weight="1,2"), r"weight must have 3 values for shape \(1, 1, 3\); got 2"),
        (_query(input="1,nan"), r"input must be finite numbers"),
        (_query(padding_mode="mirror"), r"padding_mode must be one of"),
        (_query(out_channels=3, groups=2), r"out_channels=3 is not divisible by groups=2"),
        (_query(colour="red"), r"unknown parameter 'colour'"),
    ],
)
def test_guards_and_parse_errors(query: dict[str, str], match: str) -> None:
    with pytest.raises(ConvolutionSpecError, match=match):
        explorer.model_from_params(query)


def test_check_guards_on_a_spec() -> None:
    spec = tcm.conv_transpose_spec((1, 1, 3), (1, 100), stride=2)
    with pytest.raises(ConvolutionSpecError, match="input size must be at most 16"):
        explorer.build_model(spec, np.ones((1, 1, 3)), np.ones((1, 100)))


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[explorer.ExplorerServer]:
    srv = explorer.make_server("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _get(srv: explorer.ExplorerServer, path: str, host: str | None = None) -> tuple[int, bytes, Any]:
    conn = http.client.HTTPConnection(*srv.server_address[:2], timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=host is not None)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read(), r.headers
    finally:
        conn.close()


def test_server_page_assets_and_api(server: explorer.ExplorerServer) -> None:
    status, body, headers = _get(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"/static/explorer.js" in body and b"/static/explorer.css" in body
    for path, kind in (("/static/explorer.js", "javascript"), ("/static/explorer.css", "css")):
        status, body, headers = _get(server, path)
        assert status == 200 and kind in headers["Content-Type"] and len(body) > 500
    status, body, _ = _get(server, "/api/model?kernel_size=3&input_size=2&stride=2&weight=1,1,1")
    assert status == 200
    m = json.loads(body)
    assert [o["value"] for o in m["outputs"]] == [1, 1, 3, 2, 2]
    status, body, _ = _get(server, "/api/model?kernel_size=3&input_size=2&stride=2&output_padding=2")
    assert (
        status == 400
        and "output_padding must be smaller than stride or dilation" in json.loads(body)["error"]
    )
    status, body, _ = _get(server, "/api/model?stride=2&stride=3")
    assert status == 400 and "more than once" in json.loads(body)["error"]
    status, _, _ = _get(server, "/api/model?input=" + "1," * 5000)
    assert status == 414


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/static/..%2f..%2fsetup.py",
        "/static/../../pyproject.toml",
        "/static/%2e%2e/_server.py",
        "/static/index.html",
        "/static/",
        "/assets/explorer.js",
        "/etc/passwd",
        "//etc/passwd",
        "/static/explorer.js/..",
    ],
)
def test_only_its_own_assets(server: explorer.ExplorerServer, path: str) -> None:
    status, body, _ = _get(server, path)
    assert status == 404 and b"root:" not in body and b"[project]" not in body


def test_foreign_host_names_are_refused(server: explorer.ExplorerServer) -> None:
    """A loopback server answers loopback names only (DNS rebinding)."""
    assert _get(server, "/", host="evil.example:80")[0] == 403
    port = server.server_address[1]
    assert _get(server, "/", host=f"localhost:{port}")[0] == 200
    assert _get(server, "/", host=f"127.0.0.1:{port}")[0] == 200


def test_assets_load_nothing_from_the_internet() -> None:
    page = explorer.page()
    for name in ("explorer.js", "explorer.css"):
        page += (ROOT / "tconvmat" / "explorer" / "assets" / name).read_text(encoding="utf-8")
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace, a name, never fetched
    assert "@import" not in page and "url(" not in page


# ---------------------------------------------------------------------------
# The process: a burst of requests, Ctrl-C
# ---------------------------------------------------------------------------


def _serve_command() -> list[str]:
    from tconvmat.cli import commands

    if "serve" in commands():
        return [sys.executable, "-m", "tconvmat", "serve"]
    return [sys.executable, "-m", "tconvmat.explorer"]  # until the lead wires the command in


def _start() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*_serve_command(), "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        proc.kill()
        pytest.fail(f"no URL on stdout: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, m.group(0)


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def _fetch(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="RSS read from /proc")
def test_burst_of_parameter_changes_keeps_memory_bounded() -> None:
    proc, url = _start()
    port = int(url.rsplit(":", 1)[1].strip("/"))
    try:
        for n in range(40):  # warm up: imports, caches full
            assert _fetch(port, f"/api/model?kernel_size=3&input_size=4&stride=2&weight=1,2,{n}") == 200
        before = _rss_kb(proc.pid)
        t0 = time.perf_counter()
        statuses = []
        for n in range(500):  # 500 distinct parameter changes: no cache hit
            k, L, s = 1 + n % 3, 1 + (n // 3) % 6, 1 + (n // 18) % 3
            statuses.append(
                _fetch(
                    port, f"/api/model?kernel_size={k}&input_size={L}&stride={s}&input={n}" + ",1" * (L - 1)
                )
            )
        elapsed = time.perf_counter() - t0
        after = _rss_kb(proc.pid)
        assert statuses.count(200) == 500
        assert _fetch(port, "/") == 200  # still responsive
        grow_mb = (after - before) / 1024
        print(f"500 requests in {elapsed:.1f} s; RSS {before / 1024:.1f} MB -> {after / 1024:.1f} MB")
        assert grow_mb < 40, f"RSS grew by {grow_mb:.1f} MB over 500 requests"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_ctrl_c_stops_cleanly() -> None:
    proc, url = _start()
    port = int(url.rsplit(":", 1)[1].strip("/"))
    assert _fetch(port, "/api/model") == 200
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


# ---------------------------------------------------------------------------
# The CLI: explore --html
# ---------------------------------------------------------------------------


def _embedded(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="tconvmat-model">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_explore_writes_a_self_contained_page(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    argv = ["explore", "--kernel-size", "3", "--input-size", "2", "--stride", "2", "--weight", "1,1,1"]
    assert serve_cli.main([*argv, "--html", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "/static/" not in html and "<style>" in html and "tconvmatExplorer" in html
    m = _embedded(html)
    spec = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    assert m == json.loads(
        json.dumps(explorer.build_model(spec, np.ones((1, 1, 3), int), np.array([[1, 2]])))
    )


def test_explore_refuses_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["explore", "--kernel-size", "3", "--input-size", "2", "--stride", "2", "--output-padding", "2"]
    assert serve_cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "output_padding must be smaller than stride or dilation" in err
    assert serve_cli.main(["explore", "--kernel-size", "3", "--input-size", "40"]) == 2
    assert "at most 16" in capsys.readouterr().err


def test_explore_names_html_when_it_cannot_write(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["explore", "--kernel-size", "3", "--input", "1,1", "--html"]
    assert serve_cli.main([*argv, "/nonexistent/dir/x.html"]) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1 and "--html: cannot write '/nonexistent/dir/x.html'" in err and "-o" not in err
    )
    assert serve_cli.main([*argv, str(tmp_path)]) == 2  # a directory
    assert "--html:" in capsys.readouterr().err


def test_serve_refuses_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_cli.main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_an_internal_error_is_a_500_and_the_server_keeps_serving(
    server: explorer.ExplorerServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tconvmat.explorer import _server

    def broken(query: str) -> tuple[int, bytes]:
        raise RuntimeError("boom")

    monkeypatch.setattr(_server, "model_json", broken)
    status, body, _ = _get(server, "/api/model?kernel_size=3")
    assert status == 500 and "RuntimeError: boom" in json.loads(body)["error"]
    monkeypatch.undo()
    assert _get(server, "/api/model?kernel_size=3")[0] == 200
