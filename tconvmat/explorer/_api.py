"""The explorer's JSON model: every number, index and expression the page shows, from the library.

The page does no convolution arithmetic: for each output element the model lists its
contributing ``(input, tap)`` pairs (a column of ``C``), for each input its targets (a row
of ``C``), the window of the flipped kernel in the zero-inserted, padded input, the output
values (:func:`tconvmat.conv_transpose`) and the element expressions
(:func:`tconvmat.symbolic.conv_transpose_expressions` on symbols).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import sympy

from .. import figures
from ..matrix import conv_transpose_matrix
from ..ops import conv_transpose
from ..spec import ConvolutionSpecError, ConvTransposeSpec, conv_transpose_spec, shape_arithmetic
from ..symbolic import conv_transpose_expressions, input_symbols, weight_symbols

__all__ = [
    "GUARDS",
    "PADDING_MODES",
    "Guards",
    "build_model",
    "check_guards",
    "model_from_params",
    "parse_params",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


@dataclass(frozen=True)
class Guards:
    """The largest problem the explorer builds (it draws every entry of ``C``)."""

    spatial: int = 16
    kernel: int = 5
    channels: int = 4
    stride: int = 4
    dilation: int = 4
    padding: int = 8
    outputs: int = 1600
    entries: int = 12000


GUARDS = Guards()

_KEYS = (
    "ndim",
    "input_size",
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "dilation",
    "in_channels",
    "out_channels",
    "groups",
    "padding_mode",
    "weight",
    "input",
)


def _ints(text: str, name: str, ndim: int) -> tuple[int, ...]:
    """``3``, ``3x2`` or ``3,2`` as ``ndim`` integers (one value repeats on every axis)."""
    text = str(text).strip()
    if not re.fullmatch(r"-?\d{1,6}(\s*[x,]\s*-?\d{1,6})*", text):
        raise ConvolutionSpecError(f"{name} must be integers like 3 or 3x3; got {name}={text!r}")
    values = tuple(int(v) for v in re.split(r"\s*[x,]\s*", text))
    if len(values) == 1:
        values = values * ndim
    if len(values) != ndim:
        raise ConvolutionSpecError(
            f"{name} needs 1 or {ndim} values for {ndim}-D; got {name}={text!r} ({len(values)} values)"
        )
    return values


def _int(text: str, name: str) -> int:
    text = str(text).strip()
    if not re.fullmatch(r"-?\d{1,6}", text):
        raise ConvolutionSpecError(f"{name} must be an integer; got {name}={text!r}")
    return int(text)


def _values(text: str | None, name: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """Comma- or space-separated numbers (integers stay int64) filling ``shape``; empty: the default."""
    if text is None or not str(text).strip():
        return None
    parts = [p for p in re.split(r"[\s,;]+", str(text).strip()) if p]
    n = math.prod(shape)
    if len(parts) != n:
        raise ConvolutionSpecError(
            f"{name} must have {n} values for shape {shape}; got {len(parts)} values ({name}={str(text)[:60]!r})"
        )
    try:
        a = np.array([int(p) for p in parts], dtype=np.int64)
    except (ValueError, OverflowError):
        try:
            a = np.array([float(p) for p in parts], dtype=np.float64)
        except ValueError:
            raise ConvolutionSpecError(f"{name} must be numbers; got {name}={str(text)[:60]!r}") from None
        if not np.isfinite(a).all():
            raise ConvolutionSpecError(
                f"{name} must be finite numbers; got {name}={str(text)[:60]!r}"
            ) from None
    if a.dtype == np.int64 and np.abs(a).max(initial=0) > 10**6:
        raise ConvolutionSpecError(
            f"{name} values must lie in [-10^6, 10^6] in the explorer; got {name}={text!r}"
        )
    return a.reshape(shape)


def parse_params(params: Mapping[str, str]) -> tuple[ConvTransposeSpec, np.ndarray, np.ndarray]:
    """The spec, weight and input a query describes (PyTorch's names), validated and guarded.

    Missing keys take the page's defaults (1-D, input 2, kernel 3, stride 2); ``weight``
    and ``input`` default to the distinct integers 1, 2, … in PyTorch's layouts.

    Raises
    ------
    ConvolutionSpecError
        The library's own message for an invalid combination, or a guard's refusal.

    Examples
    --------
    >>> spec, w, x = parse_params({"kernel_size": "3", "input_size": "2", "stride": "2", "weight": "1,1,1"})
    >>> spec.output_size, w.tolist(), x.tolist()
    ((5,), [[[1, 1, 1]]], [[1, 2]])
    """
    unknown = sorted(set(params) - set(_KEYS))
    if unknown:
        raise ConvolutionSpecError(f"unknown parameter {unknown[0]!r}; the explorer takes {', '.join(_KEYS)}")
    p = {k: str(v) for k, v in params.items()}
    ndim = _int(p.get("ndim", "1"), "ndim")
    if ndim not in (1, 2):
        raise ConvolutionSpecError(f"ndim must be 1 or 2 in the explorer; got ndim={ndim}")
    size = _ints(p.get("input_size", "2"), "input_size", ndim)
    kernel = _ints(p.get("kernel_size", "3"), "kernel_size", ndim)
    stride = _ints(p.get("stride", "2"), "stride", ndim)
    padding = _ints(p.get("padding", "0"), "padding", ndim)
    output_padding = _ints(p.get("output_padding", "0"), "output_padding", ndim)
    dilation = _ints(p.get("dilation", "1"), "dilation", ndim)
    c_in = _int(p.get("in_channels", "1"), "in_channels")
    c_out = _int(p.get("out_channels", "1"), "out_channels")
    groups = _int(p.get("groups", "1"), "groups")
    mode = p.get("padding_mode", "zeros")
    if mode not in PADDING_MODES:
        raise ConvolutionSpecError(f"padding_mode must be one of {', '.join(PADDING_MODES)}; got {mode!r}")
    g = GUARDS
    for name, values, limit in (
        ("input_size", size, g.spatial),
        ("kernel_size", kernel, g.kernel),
        ("stride", stride, g.stride),
        ("dilation", dilation, g.dilation),
        ("padding", padding, g.padding),
        ("output_padding", output_padding, g.stride),
        ("in_channels", (c_in,), g.channels),
        ("out_channels", (c_out,), g.channels),
        ("groups", (groups,), g.channels),
    ):
        if max(values) > limit:
            raise ConvolutionSpecError(
                f"{name} must be at most {limit} in the explorer (it draws every entry of C); got {name}={values if len(values) > 1 else values[0]}"
            )
    for name, values in (("in_channels", (c_in,)), ("out_channels", (c_out,)), ("groups", (groups,))):
        if values[0] < 1:
            raise ConvolutionSpecError(f"{name} must be positive; got {name}={values[0]}")
    if c_out % groups:
        raise ConvolutionSpecError(f"out_channels={c_out} is not divisible by groups={groups}")
    if c_in % groups:
        raise ConvolutionSpecError(f"in_channels={c_in} is not divisible by groups={groups}")
    w_shape = (c_in, c_out // groups, *kernel)
    spec = conv_transpose_spec(
        w_shape,
        (c_in, *size),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
        padding_mode=mode,
    )
    check_guards(spec)
    w = _values(p.get("weight"), "weight", spec.weight_shape)
    x = _values(p.get("input"), "input", spec.input_shape)
    if w is None:
        w = np.arange(1, math.prod(spec.weight_shape) + 1, dtype=np.int64).reshape(spec.weight_shape)
    if x is None:
        x = np.arange(1, math.prod(spec.input_shape) + 1, dtype=np.int64).reshape(spec.input_shape)
    return spec, w, x


def check_guards(spec: ConvTransposeSpec) -> None:
    """Refuse a spec past the explorer's size guards (:data:`GUARDS`) with a :class:`ConvolutionSpecError`."""
    g = GUARDS
    if spec.ndim not in (1, 2):
        raise ConvolutionSpecError(
            f"the explorer draws 1-D and 2-D transposed convolutions; got {spec.ndim} axes"
        )
    checks = (
        ("input size", spec.input_size, g.spatial),
        ("kernel_size", spec.kernel_size, g.kernel),
        ("stride", spec.stride, g.stride),
        ("dilation", spec.dilation, g.dilation),
        ("padding", tuple(v for pair in spec.padding for v in pair), g.padding),
        ("in_channels", (spec.in_channels,), g.channels),
        ("out_channels", (spec.out_channels,), g.channels),
    )
    for name, values, limit in checks:
        if max(values) > limit:
            raise ConvolutionSpecError(
                f"{name} must be at most {limit} in the explorer (it draws every entry of C); got {name}={values}"
            )
    n_out = math.prod(spec.output_shape)
    if n_out > g.outputs:
        raise ConvolutionSpecError(
            f"the explorer shows at most {g.outputs} output elements; got output shape {spec.output_shape} "
            f"({n_out} elements)"
        )
    entries = (
        spec.in_channels
        * math.prod(spec.input_size)
        * (spec.out_channels // spec.groups)
        * math.prod(spec.kernel_size)
    )
    if entries > g.entries:
        raise ConvolutionSpecError(
            f"the explorer draws at most {g.entries} entries of C; these parameters give up to {entries}"
        )


# ---------------------------------------------------------------------------
# Rendering helpers (strings only: the maths comes from SymPy)
# ---------------------------------------------------------------------------

_SYMBOL = re.compile(r"^([A-Za-z]+)(?:_\{([\d,]+)\}|(\d+))$")


def _symbol_html(name: str) -> str:
    m = _SYMBOL.match(name)
    if not m:
        return name
    return f"<i>{m.group(1)}</i><sub>{m.group(2) or m.group(3)}</sub>"


def ordered_terms(expr: Any) -> list[Any]:
    """The terms of a SymPy sum in the order ``str(expr)`` prints them (one order for every string).

    Examples
    --------
    >>> x0, x1, w0, w2 = sympy.symbols("x0 x1 w0 w2")
    >>> e = w2 * x0 + w0 * x1
    >>> str(e), ordered_terms(e)
    ('w0*x1 + w2*x0', [w0*x1, w2*x0])
    """
    expr = sympy.sympify(expr)
    return [] if expr == 0 else list(expr.as_ordered_terms())


def expression_html(expr: Any) -> str:
    """A SymPy sum of products as HTML (``w<sub>0</sub>·x<sub>1</sub> + …``), in printed order.

    The terms come in :func:`ordered_terms`' order, the order of ``str(expr)``.

    Examples
    --------
    >>> x, w = sympy.symbols("x0 w2")
    >>> expression_html(w * x + 2 * x)
    '<i>w</i><sub>2</sub>·<i>x</i><sub>0</sub> + 2·<i>x</i><sub>0</sub>'
    >>> expression_html(sympy.Integer(0))
    '0'
    """
    expr = sympy.sympify(expr)
    if expr == 0:
        return "0"
    out = []
    for n, term in enumerate(ordered_terms(expr)):
        coeff, factors = term.as_coeff_mul()
        sign = "−" if coeff < 0 else "+"
        coeff = abs(coeff)
        parts = [] if coeff == 1 and factors else [str(coeff)]
        for f in factors:
            base, exp = f.as_base_exp()
            s = _symbol_html(str(base))
            parts.append(s if exp == 1 else f"{s}<sup>{exp}</sup>")
        body = "·".join(parts)
        out.append((("−" if sign == "−" else "") + body) if n == 0 else f" {sign} {body}")
    return "".join(out)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _tuple_arg(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(values) == 1 else f"({', '.join(map(str, values))})"


def torch_call(spec: ConvTransposeSpec, w: np.ndarray, x: np.ndarray) -> str:
    """The PyTorch (or, past PyTorch, tconvmat) code that reproduces the model's output."""
    fn = f"conv_transpose{spec.ndim}d"
    pads = tuple(pb for pb, _ in spec.padding)
    args = (
        f"stride={_tuple_arg(spec.stride)}, padding={_tuple_arg(pads)}, "
        f"output_padding={_tuple_arg(spec.output_padding)}, groups={spec.groups}, dilation={_tuple_arg(spec.dilation)}"
    )
    dtype = "" if w.dtype.kind in "iu" and x.dtype.kind in "iu" else ", dtype=torch.float64"
    lines = [
        "import torch",
        f"x = torch.tensor({x[None].tolist()}{dtype})  # (N=1, C_in, *L)",
        f"w = torch.tensor({w.tolist()}{dtype})  # (C_in, C_out/groups, *K)",
    ]
    symmetric = all(pb == pa for pb, pa in spec.padding)
    if not symmetric:
        pairs = ", ".join(f"({pb}, {pa})" for pb, pa in spec.padding)
        return "\n".join(
            [
                "# PyTorch pads both ends alike; tconvmat takes (before, after) pairs:",
                "import numpy as np, tconvmat",
                f"x = np.array({x[None].tolist()})",
                f"w = np.array({w.tolist()})",
                f"y = tconvmat.conv_transpose(x, w, {args.replace(f'padding={_tuple_arg(pads)}', f'padding=({pairs},)')}"
                f", padding_mode={spec.padding_mode!r})",
            ]
        )
    if spec.padding_mode == "zeros":
        lines.append(f"y = torch.nn.functional.{fn}(x, w, {args})")
    else:
        lines = [
            f"# PyTorch's ConvTranspose{spec.ndim}d supports padding_mode='zeros' only; tconvmat computes",
            f"# the exact adjoint of the {spec.padding_mode!r}-padded convolution:",
            "import numpy as np, tconvmat",
            f"x = np.array({x[None].tolist()})",
            f"w = np.array({w.tolist()})",
            f"y = tconvmat.conv_transpose(x, w, {args}, padding_mode={spec.padding_mode!r})",
        ]
    return "\n".join(lines)


def _tolist(a: np.ndarray) -> Any:
    a = np.asarray(a)
    if (
        a.dtype.kind == "f"
        and np.all(np.isfinite(a))
        and np.all(a == np.round(a))
        and np.abs(a).max(initial=0) < 2**53
    ):
        return a.astype(np.int64).tolist()
    return a.tolist()


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


def _pairs(spec: ConvTransposeSpec) -> tuple[tuple[int, int], ...]:
    """Every connected (input channel, output channel) pair, input channels outer."""
    cin_g, cout_g = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    wanted = [(c, (c // cin_g) * cout_g + j) for c in range(spec.in_channels) for j in range(cout_g)]
    pairs, _total = figures.channel_pairs(spec, wanted)
    return pairs


def build_model(spec: ConvTransposeSpec, weight: Any, x: Any) -> dict[str, Any]:
    """Everything the page shows for one parameter set, as JSON-ready data.

    Flat indices run in C order over ``x``'s shape ``(C_in, *L)``, ``y``'s shape
    ``(C_out, *L_out)``, the weight's ``(C_in, C_out/groups, *K)`` and the kernel's
    spatial taps ``K``.  ``outputs[j]["contributors"]`` is column ``j`` of ``C`` as
    ``[input, tap, weight]`` triples, ``inputs[i]["targets"]`` row ``i`` as
    ``[output, tap]``; ``tap`` is ``-1`` where a padding mode other than zeros mixes taps.

    Examples
    --------
    >>> spec, w, x = parse_params({"kernel_size": "3", "input_size": "2", "stride": "2", "weight": "1,1,1"})
    >>> m = build_model(spec, w, x)
    >>> m["outputs"][2]["contributors"], m["outputs"][2]["value"]
    ([[0, 2, 2], [1, 0, 0]], 3)
    """
    check_guards(spec)
    w = np.asarray(weight)
    xa = np.asarray(x)
    if w.shape != spec.weight_shape or xa.shape != spec.input_shape:
        raise ConvolutionSpecError(
            f"weight and input must have the spec's shapes {spec.weight_shape} and {spec.input_shape}; "
            f"got {w.shape} and {xa.shape}"
        )
    if w.dtype == object or xa.dtype == object:
        raise ConvolutionSpecError(
            "the explorer needs numeric weight and input values (symbols are built in)"
        )
    kw = spec.kwargs()
    n_w = math.prod(spec.weight_shape)
    n_taps = math.prod(spec.kernel_size)
    y = conv_transpose(xa[None], w, **kw)[0]
    c_val = sp.csr_array(conv_transpose_matrix(w, spec.input_shape, **kw))
    zeros = spec.padding_mode == "zeros"
    code = np.arange(1, n_w + 1, dtype=np.int64).reshape(spec.weight_shape)
    if not zeros:  # taps mix at the borders: only the pattern (ones never cancel) is exact
        code = np.ones(spec.weight_shape, dtype=np.int64)
    c_code = sp.coo_array(conv_transpose_matrix(code, spec.input_shape, **kw))
    rows, cols = c_code.row.astype(np.int64), c_code.col.astype(np.int64)
    order = np.lexsort((rows, cols))  # column-major: the contributors of each output in input order
    rows, cols, codes = rows[order], cols[order], c_code.data[order].astype(np.int64)
    w_flat = codes - 1 if zeros else np.full(codes.shape, -1, dtype=np.int64)
    taps = w_flat % n_taps if zeros else w_flat
    values = np.asarray(c_val[rows, cols]).reshape(-1)
    n_in, n_out = math.prod(spec.input_shape), math.prod(spec.output_shape)
    col_start = np.searchsorted(cols, np.arange(n_out + 1))
    by_col = np.stack([rows, taps, w_flat], axis=1).tolist()
    row_order = np.lexsort((cols, rows))
    row_start = np.searchsorted(rows[row_order], np.arange(n_in + 1))
    by_row = np.stack([cols[row_order], taps[row_order]], axis=1).tolist()

    xs = input_symbols(spec.input_shape)
    ws = weight_symbols(spec.weight_shape)
    exprs = conv_transpose_expressions(xs, ws, **kw).reshape(-1)
    y_flat = _tolist(y.reshape(-1))
    x_flat = _tolist(xa.reshape(-1))
    w_list = _tolist(w.reshape(-1))
    out_idx = np.indices(spec.output_shape).reshape(spec.ndim + 1, -1).T.tolist()
    in_idx = np.indices(spec.input_shape).reshape(spec.ndim + 1, -1).T.tolist()
    n_in_sp, n_out_sp = math.prod(spec.input_size), math.prod(spec.output_size)
    outputs = []
    xs_flat, ws_flat = xs.reshape(-1), ws.reshape(-1)
    for j in range(n_out):  # one record per output element (strings for the page, no arithmetic)
        contrib = by_col[col_start[j] : col_start[j + 1]]
        terms = _numbers(exprs[j], contrib, xs_flat, ws_flat, x_flat, w_list) if zeros else ""
        outputs.append(
            {
                "index": out_idx[j],
                "channel": out_idx[j][0],
                "spatial": j % n_out_sp,
                "value": y_flat[j],
                "contributors": contrib,
                "expression": str(exprs[j]),
                "expression_html": expression_html(exprs[j]),
                "numbers": terms,
            }
        )
    inputs = [
        {
            "index": in_idx[i],
            "channel": in_idx[i][0],
            "spatial": i % n_in_sp,
            "value": x_flat[i],
            "targets": by_row[row_start[i] : row_start[i + 1]],
        }
        for i in range(n_in)
    ]
    model: dict[str, Any] = {
        "params": {
            "ndim": spec.ndim,
            "input_size": list(spec.input_size),
            "kernel_size": list(spec.kernel_size),
            "stride": list(spec.stride),
            "padding": [pb if pb == pa else [pb, pa] for pb, pa in spec.padding],
            "output_padding": list(spec.output_padding),
            "dilation": list(spec.dilation),
            "in_channels": spec.in_channels,
            "out_channels": spec.out_channels,
            "groups": spec.groups,
            "padding_mode": spec.padding_mode,
            "weight": ",".join(map(_fmt, w_list)),
            "input": ",".join(map(_fmt, x_flat)),
        },
        "output_padding_allowed": [list(range(max(s, d))) for s, d in zip(spec.stride, spec.dilation)],
        "input_shape": list(spec.input_shape),
        "output_shape": list(spec.output_shape),
        "weight_shape": list(spec.weight_shape),
        "weight": w_list,
        "tap_colors": [figures.tap_color(k).hex for k in range(n_taps)],
        "tap_labels": list(figures.tap_key(spec.kernel_size)),
        "outpad": _outpad(spec),
        "shape_arithmetic": shape_arithmetic(spec),
        "torch_call": torch_call(spec, w, xa),
        "C": {
            "shape": [n_in, n_out],
            "entries": np.stack([rows, cols, taps], axis=1).tolist(),
            "values": _tolist(values),
        },
        "inputs": inputs,
        "outputs": outputs,
        "start": _start(spec, w, xa, np.diff(col_start)),
        "views": None,
        "views_error": None,
    }
    if zeros:
        model["views"] = _views(spec, w, xa)
    else:
        try:
            figures.scatter_data(spec, w, xa)
        except ConvolutionSpecError as e:
            model["views_error"] = str(e)
    return model


def _numbers(
    expr: Any, contrib: list[list[int]], xs: np.ndarray, ws: np.ndarray, x: list[Any], w: list[Any]
) -> str:
    """``w·x + …`` with the values of each printed term of ``expr``, in the printed order.

    Each contributor ``[input, tap, weight entry]`` is the term ``ws[entry]·xs[input]`` of
    ``expr`` (zeros padding: one term per contributor), so each printed term takes its own
    weight and input values.
    """
    value = {ws[c[2]] * xs[c[0]]: f"{_fmt(w[c[2]])}·{_fmt(x[c[0]])}" for c in contrib}
    return " + ".join(value[t] for t in ordered_terms(expr))


def _start(spec: ConvTransposeSpec, w: np.ndarray, x: np.ndarray, counts: np.ndarray) -> int:
    """The flat output the page points at first: one every tap reaches when there is one.

    Zeros padding: :func:`tconvmat.figures.default_position` (the figures' choice, the
    output whose window reads the most inputs) in the first channel pair's output channel;
    other padding modes: the output with the most contributors (first of the ties).
    """
    if spec.padding_mode != "zeros":
        return int(np.argmax(counts))
    c_in, c_out = _pairs(spec)[0]
    at = figures.default_position(figures.sliding_data(spec, w, x, (c_in, c_out)))
    return c_out * math.prod(spec.output_size) + int(np.ravel_multi_index(at, spec.output_size))


def _outpad(spec: ConvTransposeSpec) -> list[bool]:
    """Per flat spatial output position: whether output padding added it (the last ``op`` of an axis)."""
    grid = np.indices(spec.output_size).reshape(spec.ndim, -1)
    mask = np.zeros(grid.shape[1], dtype=bool)
    for a, (L_out, op) in enumerate(zip(spec.output_size, spec.output_padding)):  # a loop over axes
        mask |= grid[a] >= L_out - op
    return mask.tolist()


def _views(spec: ConvTransposeSpec, w: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    """The scatter picture and the flipped (gather) view of every channel pair, from the figure model."""
    pairs = _pairs(spec)
    scat = [figures.scatter_data(spec, w, x, pair) for pair in pairs]  # a loop over channel pairs
    slid = [figures.sliding_data(spec, w, x, pair) for pair in pairs]
    s0, g0 = scat[0], slid[0]
    cells0, window_taps = g0.window((0,) * spec.ndim)
    grid = np.indices(spec.output_size).reshape(spec.ndim, -1).T
    windows = grid[:, None, :] + cells0[None, :, :]  # the stride-1 window slides one cell per output
    return {
        "pairs": [list(p) for p in pairs],
        "scatter": {
            "positions": s0.positions.tolist(),
            "inside": s0.inside().tolist(),
            "lo": list(s0.lo),
            "hi": list(s0.hi),
            "products": [_tolist(s.products) for s in scat],
            "sums": [_tolist(s.sums.reshape(-1)) for s in scat],
        },
        "sliding": {
            "u_shape": list(g0.u.shape),
            "kind": np.where(g0.is_x, "x", np.where(g0.is_pad, "pad", "zero")).reshape(-1).tolist(),
            "source": g0.source.reshape(-1).tolist(),
            "u": [_tolist(g.u.reshape(-1)) for g in slid],
            "w_flip": [_tolist(g.w_flip.reshape(-1)) for g in slid],
            "window_taps": window_taps.tolist(),
            "windows": windows.tolist(),
            "flipped_pads": [list(p) for p in spec.flipped_pads],
            "part": [_tolist(g.y.reshape(-1)) for g in slid],
        },
        "n_taps": math.prod(spec.kernel_size),
    }


def model_from_params(params: Mapping[str, str]) -> dict[str, Any]:
    """:func:`parse_params` then :func:`build_model`."""
    spec, w, x = parse_params(params)
    return build_model(spec, w, x)
