"""The ``tconvmat`` command: explain, inspect and check transposed convolutions.

Every subcommand takes the PyTorch argument names (``--in-channels``, ``--kernel-size``,
``--stride``, …).  Bad input prints one line on stderr and exits with status 2; a failed
``verify`` exits with status 1.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import scipy.sparse as sp

from .. import __version__
from ..matrix import conv_matrix, conv_transpose_matrix
from ..ops import METHODS, conv, conv_transpose, equivalent_conv
from ..spec import ConvolutionSpecError, ConvSpec, ConvTransposeSpec, conv_spec, conv_transpose_spec
from ..testing import IdentityCheck, IdentityReport, _check

WIDTH = 79
TEX_INSTALL = (
    "pdflatex not found; install TeX Live, e.g. on Debian/Ubuntu: "
    "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures "
    "(or write the .tex with --tex and compile it elsewhere)"
)


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def _ints(text: str, name: str) -> tuple[int, ...]:
    """``4``, ``4x4`` or ``4,4`` as a tuple of ints."""
    if not re.fullmatch(r"\s*-?\d+(\s*[x,]\s*-?\d+)*\s*", text):
        raise UsageError(f"{name}: expected integers like 3, 3x3 or 3,3; got {text!r}")
    return tuple(int(p) for p in re.split(r"[x,]", text))


def _padding(text: str) -> Any:
    """``1``, ``1,2`` (per axis), ``1:2,0:1`` (per-axis before:after pairs), same, valid."""
    if text in ("same", "valid"):
        return text
    if ":" not in text:
        values = _ints(text, "--padding")
        return values[0] if len(values) == 1 else values
    pairs = []
    for part in text.split(","):
        pair = part.split(":")
        if len(pair) != 2:
            raise UsageError(f"--padding: pairs are written before:after, e.g. 1:2,0:1; got {text!r}")
        pairs.append(tuple(_ints(p, "--padding")[0] for p in pair))
    return tuple(pairs)


def _numbers(text: str, name: str) -> np.ndarray:
    """``1,2,3`` (or spaces): int64 if every number is an integer, else float64."""
    parts = re.split(r"\s*,\s*|\s+", text.strip())
    bad = UsageError(
        f"{name}: expected comma-separated numbers, ones, arange, random:SEED, symbolic or FILE.npy; got {text!r}"
    )
    if "" in parts:  # empty text, or an empty item as in 1,,2 or 1,2,
        raise bad
    try:
        ints = [int(p) for p in parts]
    except ValueError:
        pass
    else:
        try:
            return np.array(ints, dtype=np.int64)
        except OverflowError:
            big = next(v for v in ints if not -(2**63) <= v < 2**63)
            raise UsageError(f"{name}: {big} does not fit in a 64-bit integer") from None
    try:
        return np.array([float(p) for p in parts], dtype=np.float64)
    except ValueError:
        raise bad from None


@dataclass(frozen=True)
class Values:
    """How a tensor was given on the command line."""

    text: str
    name: str

    @property
    def kind(self) -> str:
        t = self.text
        if t in ("ones", "arange", "symbolic") or t.startswith("random"):
            return t.split(":")[0]
        if t.endswith(".npy"):
            return "file"
        return "inline"

    def count(self) -> int | None:
        if self.kind == "inline":
            return _numbers(self.text, self.name).size
        if self.kind == "file":
            return int(self._load().size)
        return None

    def _load(self) -> np.ndarray:
        try:
            return np.load(self.text, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError(f"{self.name}: cannot read {self.text!r}: {e}") from None

    def shape_hint(self) -> tuple[int, ...] | None:
        return tuple(self._load().shape) if self.kind == "file" else None

    def make(self, shape: tuple[int, ...], symbol: str) -> np.ndarray:
        n = math.prod(shape)
        kind = self.kind
        if kind == "ones":
            return np.ones(shape, dtype=np.int64)
        if kind == "arange":
            return np.arange(1, n + 1, dtype=np.int64).reshape(shape)
        if kind == "random":
            return np.random.default_rng(self._seed()).integers(-5, 6, shape).astype(np.int64)
        if kind == "symbolic":
            sym = _symbolic()
            maker = sym.weight_symbols if symbol == "w" else sym.input_symbols
            return np.asarray(maker(shape, name=symbol))
        a = self._load() if kind == "file" else _numbers(self.text, self.name)
        if kind == "file" and a.size != math.prod(shape):
            layout = "(C_in, C_out/groups, *K)" if symbol == "w" else "(C_in, *L), no batch axis"
            raise UsageError(
                f"{self.name}: {self.text} has shape {_tuple(a.shape)}; the parameters need {_tuple(shape)}, "
                f"laid out {layout}"
            )
        self.check(shape, a.size)
        return a.reshape(shape)

    def _seed(self) -> int:
        head, colon, seed = self.text.partition(":")
        if head == "random" and not colon:
            return 0
        if head != "random" or not re.fullmatch(r"\d+", seed):
            raise UsageError(f"{self.name}: random:SEED needs a non-negative integer seed; got {self.text!r}")
        return int(seed)

    def validate(self) -> None:
        """Refuse malformed values before anything else is asked of them."""
        if self.kind == "random":
            self._seed()
        elif self.kind in ("inline", "file"):
            self.count()

    def check(self, shape: tuple[int, ...], count: int | None = None) -> None:
        """Explicit values (inline or a file) must fill ``shape`` exactly; seeds must parse."""
        if self.kind == "random":
            self._seed()
        count = self.count() if count is None else count
        if count is not None and count != math.prod(shape):
            raise UsageError(
                f"{self.name}: expected {math.prod(shape)} values for shape {shape}, got {count}"
            )


def _symbolic() -> Any:
    try:
        from .. import symbolic
    except ImportError as e:  # pragma: no cover - symbolic ships with the package
        raise UsageError(f"symbolic values need tconvmat.symbolic: {e}") from None
    return symbolic


@dataclass(frozen=True)
class Problem:
    """One convolution problem assembled from the command line."""

    transposed: bool
    spec: ConvSpec | ConvTransposeSpec
    weight: np.ndarray
    x: np.ndarray
    kwargs: dict[str, Any]

    @property
    def symbolic(self) -> bool:
        return self.weight.dtype == object or self.x.dtype == object

    @property
    def ndim(self) -> int:
        return self.spec.ndim

    def matrix(self) -> sp.csr_array:
        w = self.weight
        if self.transposed:
            return conv_transpose_matrix(w, self.spec.input_shape, **self.kwargs)
        return conv_matrix(w, self.spec.input_shape, **self.kwargs)

    def apply(self, method: str | None = None) -> np.ndarray:
        if self.transposed:
            return conv_transpose(self.x, self.weight, **self.kwargs, method=method)  # type: ignore[arg-type]
        return conv(self.x, self.weight, **self.kwargs)


def _expand(values: tuple[int, ...], ndim: int, name: str) -> tuple[int, ...]:
    if len(values) == 1:
        return values * ndim
    if len(values) != ndim:
        want = "1 size" if ndim == 1 else f"1 or {ndim} sizes"
        raise UsageError(f"{name}: expected {want} for {ndim}-d; got {'x'.join(map(str, values))}")
    return values


MAX_VALUES = 2**26
"""Largest input or weight (elements) the command line materialises: 512 MB as int64."""


def _problem(args: argparse.Namespace, values: bool = True) -> Problem:
    """The problem on the command line, validated from shapes before any array exists.

    With ``values=False`` (``tconvmat shape``) no input or weight array is made, so any
    size can be asked about; ``weight`` and ``x`` are then empty placeholders.
    """
    transposed = not getattr(args, "conv", False)
    weight_v = Values(args.weight, "--weight") if args.weight is not None else None
    input_v = Values(args.input, "--input") if args.input is not None else Values("arange", "--input")
    for v in (weight_v, input_v):
        if v is not None:
            v.validate()
    kernel = _ints(args.kernel_size, "--kernel-size") if args.kernel_size else None
    input_size = _ints(args.input_size, "--input-size") if args.input_size else None
    w_hint = weight_v.shape_hint() if weight_v else None
    x_hint = input_v.shape_hint()
    if x_hint is not None and len(x_hint) >= 2:
        input_size = input_size or tuple(x_hint[1:])
    ndim = (
        len(w_hint) - 2
        if w_hint
        else len(kernel)
        if kernel and len(kernel) > 1
        else len(input_size)
        if input_size
        else 1
    )
    groups = args.groups
    c_in = args.in_channels
    c_out = args.out_channels
    if w_hint:
        if len(w_hint) < 3:
            raise UsageError(f"--weight: a weight file needs at least 3 dimensions; got shape {w_hint}")
        a, b = w_hint[0], w_hint[1] * groups
        c_in, c_out = (c_in or (a if transposed else b)), (c_out or (b if transposed else a))
        kernel = kernel or tuple(w_hint[2:])
    c_in = c_in or 1
    c_out = c_out or 1
    if c_in % groups or c_out % groups:
        raise UsageError(
            f"--groups: in_channels={c_in} and out_channels={c_out} must both be divisible by groups={groups}"
        )
    layout = (c_in, c_out // groups) if transposed else (c_out, c_in // groups)
    if kernel is None:
        n = weight_v.count() if weight_v else None
        if n is None or ndim != 1:
            raise UsageError("--kernel-size is required (or give --weight as explicit values or a .npy file)")
        if n % math.prod(layout):
            raise UsageError(f"--weight: {n} values do not fill a ({layout[0]}, {layout[1]}, K) weight")
        kernel = (n // math.prod(layout),)
    kernel = _expand(kernel, ndim, "--kernel-size")
    if input_size is None:
        n = input_v.count()
        if n is None or ndim != 1:
            raise UsageError("--input-size is required (or give --input as explicit values or a .npy file)")
        if n % c_in:
            raise UsageError(f"--input: {n} values do not fill {c_in} input channels")
        input_size = (n // c_in,)
    input_size = _expand(input_size, ndim, "--input-size")
    for name, sizes in (("--kernel-size", kernel), ("--input-size", input_size)):
        if min(sizes) < 1:
            raise UsageError(f"{name} must be positive on every axis; got {'x'.join(map(str, sizes))}")
    w_shape = (*layout, *kernel)
    x_shape = (c_in, *input_size)
    kwargs: dict[str, Any] = {
        "stride": _ints(args.stride, "--stride"),
        "padding": _padding(args.padding),
        "dilation": _ints(args.dilation, "--dilation"),
        "groups": groups,
        "padding_mode": args.padding_mode,
    }
    if transposed:
        kwargs["output_padding"] = _ints(args.output_padding, "--output-padding")
        if args.output_size:
            kwargs["output_size"] = _expand(_ints(args.output_size, "--output-size"), ndim, "--output-size")
        spec: ConvSpec | ConvTransposeSpec = conv_transpose_spec(w_shape, x_shape, **kwargs)
    else:
        if args.output_padding != "0" or args.output_size:
            raise UsageError(
                "--output-padding and --output-size apply to transposed convolutions, not --conv"
            )
        spec = conv_spec(w_shape, x_shape, **kwargs)
    if not values:
        for v, shape in ((weight_v, w_shape), (input_v, x_shape)):
            if v is not None:
                v.check(shape)
        return Problem(transposed, spec, np.zeros((0,)), np.zeros((0,)), kwargs)
    for name, shape in (("--weight", w_shape), ("--input", x_shape)):
        if math.prod(shape) > MAX_VALUES:
            raise UsageError(
                f"{name}: shape {_tuple(shape)} has {math.prod(shape):,} elements, more than the "
                f"command line makes ({MAX_VALUES:,}); tconvmat shape needs no values, and the "
                f"Python API (tconvmat.conv_operator) applies larger problems"
            )
    weight = (weight_v or Values("ones", "--weight")).make(w_shape, "w")
    x = input_v.make(x_shape, "x")
    return Problem(transposed, spec, weight, x, kwargs)


# ---------------------------------------------------------------------------
# Text rendering
# ---------------------------------------------------------------------------


def _fmt_array(a: np.ndarray) -> str:
    if a.dtype == object:
        return np.array2string(
            a, max_line_width=WIDTH - 4, threshold=64, separator=", ", formatter={"all": str}
        )
    return np.array2string(a, max_line_width=WIDTH - 4, threshold=200, separator=", ")


def _indent(text: str, n: int = 2) -> str:
    return "\n".join(" " * n + line if line else line for line in text.splitlines())


def _heading(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def _tuple(t: Sequence[Any]) -> str:
    return "(" + ", ".join(str(v) for v in t) + ("," if len(t) == 1 else "") + ")"


def _tap_labels(
    problem: Problem, C: sp.csr_array, rows: Sequence[int], cols: Sequence[int]
) -> dict[tuple[int, int], str]:
    """For the shown cells: which kernel tap contributes, "+" where several add up
    (padding modes).  Loops over taps, not entries."""
    spec = problem.spec
    taps = list(np.ndindex(*spec.kernel_size))
    labels: dict[tuple[int, int], list[str]] = {}
    r_idx, c_idx = np.asarray(rows), np.asarray(cols)
    for t, k in enumerate(taps):
        onehot = np.zeros(problem.weight.shape, dtype=np.int64)
        onehot[(Ellipsis, *k)] = 1
        if problem.transposed:
            Ct = conv_transpose_matrix(onehot, spec.input_shape, **problem.kwargs)
        else:
            Ct = conv_matrix(onehot, spec.input_shape, **problem.kwargs)
        sub = Ct[r_idx][:, c_idx].tocoo()
        hit = sub.data != 0  # C stores every tap position; this tap's are the ones
        name = f"k{t}" if len(taps) <= 10 else str(t)
        for r, c in zip(sub.row[hit].tolist(), sub.col[hit].tolist()):
            labels.setdefault((int(r_idx[r]), int(c_idx[c])), []).append(name)
    return {key: v[0] if len(v) == 1 else "+" for key, v in labels.items()}


def _pick(n: int, keep: int) -> list[int | None]:
    """Indices to show out of ``n``, with None for an elision mark."""
    if n <= keep:
        return list(range(n))
    head = keep - keep // 3
    return [*range(head), None, *range(n - (keep - head - 1), n)]


def grid(
    problem: Problem, C: sp.csr_array, values: bool = False, max_rows: int = 16, width: int = WIDTH
) -> str:
    """``C`` as a text grid: nonzeros labelled by kernel tap (or by value), zeros as dots."""
    n_rows, n_cols = C.shape
    row_label_w = len(f"i={n_rows - 1}") + 1
    rows = _pick(n_rows, max_rows)
    shown_rows = [r for r in rows if r is not None]
    cell = 4
    if values:
        sample = C[shown_rows].data if shown_rows else np.zeros(0)
        cell = max([cell, *(len(_num(v)) + 1 for v in sample.tolist())])
    cell = max(cell, len(str(n_cols - 1)) + 1)
    fit = max(4, (width - row_label_w) // cell)
    cols = _pick(n_cols, fit)
    shown_cols = [c for c in cols if c is not None]
    labels = {} if values else _tap_labels(problem, C, shown_rows, shown_cols)
    multi = "+" in labels.values()
    sub = C[shown_rows][:, shown_cols].toarray() if shown_rows and shown_cols else np.zeros((0, 0))
    r_pos = {r: i for i, r in enumerate(shown_rows)}
    c_pos = {c: i for i, c in enumerate(shown_cols)}
    lines = [
        "j=".rjust(row_label_w - 1)
        + " "
        + "".join("…".rjust(cell) if c is None else str(c).rjust(cell) for c in cols)
    ]
    for r in rows:
        if r is None:
            lines.append("⋮".rjust(row_label_w))
            continue
        cells = []
        for c in cols:
            if c is None:
                cells.append("…".rjust(cell))
                continue
            v = sub[r_pos[r], c_pos[c]]
            if values:
                cells.append((_num(v) if v != 0 else "·").rjust(cell))
            else:
                cells.append(labels.get((r, c), "·").rjust(cell))
        lines.append(f"i={r}".ljust(row_label_w) + "".join(cells))
    if not values and multi:
        lines.append("(+: several taps add up here, through the padding mode)")
    return "\n".join(lines)


def _num(v: Any) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)


def shape_text(spec: ConvSpec | ConvTransposeSpec) -> str:
    """The output-shape arithmetic with the numbers filled in, per axis."""
    lines = []
    transposed = isinstance(spec, ConvTransposeSpec)
    if transposed:
        lines.append("L_out = (L_in − 1)·s − p_before − p_after + d·(K − 1) + op + 1")
    else:
        lines.append("L_out = ⌊(L_in + p_before + p_after − d·(K − 1) − 1) / s⌋ + 1")
    for a in range(spec.ndim):
        L, K, s, d = spec.input_size[a], spec.kernel_size[a], spec.stride[a], spec.dilation[a]
        pb, pa = spec.padding[a]
        out = spec.output_size[a]
        if isinstance(spec, ConvTransposeSpec):
            op = spec.output_padding[a]
            lines.append(f"axis {a}: ({L} − 1)·{s} − {pb} − {pa} + {d}·({K} − 1) + {op} + 1 = {out}")
        else:
            lines.append(f"axis {a}: ⌊({L} + {pb} + {pa} − {d}·({K} − 1) − 1) / {s}⌋ + 1 = {out}")
    lines.append(f"output shape (C_out, *L_out) = {_tuple(spec.output_shape)}")
    return "\n".join(lines)


def params_text(problem: Problem) -> str:
    spec = problem.spec
    layout = "(C_in, C_out/groups, *K)" if problem.transposed else "(C_out, C_in/groups, *K)"
    lines = [
        f"in_channels={spec.in_channels}  out_channels={spec.out_channels}  groups={spec.groups}  "
        f"kernel_size={_tuple(spec.kernel_size)}",
        f"stride={_tuple(spec.stride)}  dilation={_tuple(spec.dilation)}  padding={_tuple(spec.padding)}",
    ]
    if isinstance(spec, ConvTransposeSpec):
        lines.append(f"output_padding={_tuple(spec.output_padding)}  padding_mode={spec.padding_mode}")
    else:
        lines.append(f"padding_mode={spec.padding_mode}")
    lines.append(f"input shape (C_in, *L_in) = {_tuple(spec.input_shape)}")
    lines.append(f"weight shape {layout} = {_tuple(spec.weight_shape)}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------


def cmd_shape(args: argparse.Namespace) -> int:
    problem = _problem(args, values=False)
    what = "transposed convolution" if problem.transposed else "convolution"
    print(f"{problem.ndim}-d {what}")
    print(_indent(params_text(problem)))
    print(_heading("Output shape"))
    print(_indent(shape_text(problem.spec)))
    return 0


def _matrix_payload(C: sp.csr_array) -> dict[str, Any]:
    data = C.data.tolist()
    return {
        "format": "csr",
        "shape": list(C.shape),
        "dtype": str(C.dtype),
        "indptr": C.indptr.tolist(),
        "indices": C.indices.tolist(),
        "data": data,
    }


def _write(out: str | None, text: str | bytes) -> None:
    """``text`` to stdout (no ``out``, or ``-``) or to the file ``out``, saying so on stderr."""
    if out is None or out == "-":
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(out).write_bytes(text) if isinstance(text, bytes) else Path(out).write_text(
            text, encoding="utf-8"
        )
    except OSError as e:
        raise UsageError(f"-o: cannot write {out!r}: {e.strerror or e}") from None
    print(f"wrote {out}", file=sys.stderr)


def cmd_matrix(args: argparse.Namespace) -> int:
    problem = _problem(args)
    fmt = args.format
    if problem.weight.dtype == object:  # C depends on the weight only
        if fmt != "latex":
            raise UsageError(
                f"--weight symbolic: a symbolic C is written with --format latex only; got --format {fmt}"
            )
        from .. import latex

        sym = _symbolic()
        build = sym.conv_transpose_matrix if problem.transposed else sym.conv_matrix
        _write(
            args.output, str(latex.matrix(build(problem.weight, problem.spec.input_shape, **problem.kwargs)))
        )
        return 0
    C = problem.matrix()
    if fmt == "text":
        relation = "y = Cᵀx" if problem.transposed else "y = Cx"
        head = f"C: {C.shape[0]} × {C.shape[1]}, {C.nnz} nonzeros, {C.dtype} ({relation})"
        _write(args.output, head + "\n" + grid(problem, C, values=True, max_rows=args.max_rows))
    elif fmt == "json":
        _write(args.output, json.dumps(_matrix_payload(C)))
    elif fmt == "latex":
        from .. import latex

        _write(args.output, str(latex.matrix(C)))
    elif fmt == "mtx":
        import scipy.io

        buf = io.BytesIO()
        scipy.io.mmwrite(buf, sp.coo_array(C))
        _write(args.output, buf.getvalue().decode("ascii"))
    elif fmt == "npz":
        if not args.output or args.output == "-":
            raise UsageError("--format npz: give a file name with -o FILE.npz")
        buf = io.BytesIO()
        sp.save_npz(buf, C)
        _write(args.output, buf.getvalue())
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    problem = _problem(args)
    if problem.symbolic:
        sym = _symbolic()
        fn = sym.conv_transpose_expressions if problem.transposed else sym.conv_expressions
        y = fn(problem.x, problem.weight, **problem.kwargs)
    else:
        y = problem.apply(args.method)
    if args.output and args.output.endswith(".npy"):
        if y.dtype == object:  # checked first: np.save would leave a partial file behind
            raise UsageError(
                "-o FILE.npy holds numbers only; symbolic results are written as text (-o FILE.txt)"
            )
        buf = io.BytesIO()
        np.save(buf, y, allow_pickle=False)
        _write(args.output, buf.getvalue())
        return 0
    _write(args.output, _fmt_array(y))
    return 0


def _flipped_story(problem: Problem) -> str:
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    kw = {k: v for k, v in problem.kwargs.items() if k != "padding_mode"}
    eq = equivalent_conv(problem.weight, spec.input_shape, **kw)
    from ..ops import _upsample
    from ..padding import pad

    up = _upsample(problem.x, eq.upsample)
    padded = pad(up, eq.pads, "zeros")
    small = spec.ndim == 1 and padded.size <= 64

    def show(a: np.ndarray) -> list[str]:
        return ["   " + line for line in _fmt_array(a).splitlines()] if small else []

    crop = "  (negative: crop)" if any(min(p) < 0 for p in eq.pads) else ""
    lines = [
        f"1. insert s − 1 zeros between neighbours, s = {_tuple(eq.upsample)}:",
        f"   shape {_tuple(problem.x.shape)} → {_tuple(up.shape)}",
        *show(up),
        "2. pad by P_l = d·(K−1) − p_before and P_r = d·(K−1) − p_after + op",
        f"   = {_tuple(eq.pads)}{crop}: shape {_tuple(padded.shape)}",
        *show(padded),
        "3. flip the kernel on every spatial axis, swap in/out channels per group:",
        f"   weight {_tuple(problem.weight.shape)} → {_tuple(eq.weight.shape)}",
        *show(eq.weight),
        f"4. convolve with stride 1, dilation {_tuple(eq.dilation)}, groups {eq.groups}:",
        *show(eq.apply(problem.x)),
    ]
    if spec.padding_mode != "zeros":
        note = (
            f"(padding_mode={spec.padding_mode}: the full output is computed with pads d·(K−1) and "
            "d·(K−1) + op, then each padded position is folded back onto the position it copies, the "
            "adjoint of the padding; the steps above show padding_mode=zeros)"
        )
        lines.extend(textwrap.wrap(note, WIDTH - 4))
    return "\n".join(lines)


def _agree(expected: np.ndarray, got: np.ndarray) -> bool:
    if expected.shape != got.shape:
        return False
    if expected.dtype.kind in "iu" and got.dtype.kind in "iu":
        return bool(np.array_equal(expected, got))
    return bool(np.allclose(expected, got, rtol=1e-10, atol=1e-9))


def _checks(problem: Problem) -> list[IdentityCheck]:
    """Every identity on this problem: routes, adjointness, sub-pixel, symbolic, oracles."""
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    x, w, kw = problem.x, problem.weight, problem.kwargs
    ref = problem.apply("scatter")
    rng = np.random.default_rng(0)

    def matrix() -> bool:
        return _agree(ref, (x.reshape(-1) @ problem.matrix()).reshape(ref.shape))

    def flipped() -> bool:
        return _agree(ref, problem.apply("flipped"))

    def adjoint() -> bool:
        fwd = spec.adjoint
        u = rng.integers(-5, 6, fwd.input_shape)
        conv_kw = {k: v for k, v in kw.items() if k not in ("output_padding", "output_size")}
        cu = conv(u, w, **conv_kw)[(slice(None), *(slice(0, n) for n in spec.input_size))]
        return (
            int(np.sum(cu * x)) == int(np.sum(u * ref))
            if ref.dtype.kind in "iu"
            else bool(np.isclose(np.sum(cu * x), np.sum(u * ref)))
        )

    def subpixel() -> bool | str:
        if spec.padding_mode != "zeros":
            return "zeros padding only"
        from ..identities import subpixel as decompose

        sub_kw = {k: v for k, v in kw.items() if k not in ("padding_mode", "output_size")}
        sub_kw["output_padding"] = spec.output_padding
        return _agree(ref, decompose(w, spec.input_shape, **sub_kw).apply(x))

    def symbolic() -> bool | str:
        if math.prod(spec.output_shape) * math.prod(spec.kernel_size) > 20000:
            return "too large to expand symbolically"
        try:
            sym = _symbolic()
            ys = np.asarray(sym.conv_transpose_expressions(x, w, **kw))
        except (UsageError, AttributeError):
            return "tconvmat.symbolic unavailable"
        return _agree(ref, ys.astype(ref.dtype))

    return [
        _check("Cᵀx (sparse matrix)", matrix),
        _check("flipped-kernel convolution", flipped),
        _check("adjoint: ⟨conv(u), x⟩ = ⟨u, Cᵀx⟩", adjoint),
        _check("sub-pixel decomposition", subpixel),
        _check("symbolic expressions", symbolic),
        _check("PyTorch", lambda: _torch_check(problem, ref)),
        _check("PyTorch autograd VJP", lambda: _torch_vjp_check(problem, ref)),
        _check("ONNX reference", lambda: _onnx_check(problem, ref)),
    ]


def _torch_module() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_check(problem: Problem, reference: np.ndarray) -> bool | str:
    spec = problem.spec
    if spec.ndim > 3:
        return "PyTorch has no convolution past 3-d"
    if spec.padding_mode != "zeros" and problem.transposed:
        return "PyTorch has no padding modes for ConvTranspose"
    if any(pb != pa for pb, pa in spec.padding):
        return "asymmetric padding: PyTorch cannot express it"
    torch = _torch_module()
    if torch is None:
        return "torch not installed"
    F = torch.nn.functional
    x = torch.from_numpy(problem.x.astype(np.float64))[None]
    w = torch.from_numpy(problem.weight.astype(np.float64))
    p = tuple(pb for pb, _ in spec.padding)
    with torch.no_grad():
        if isinstance(spec, ConvTransposeSpec):
            f = getattr(F, f"conv_transpose{spec.ndim}d")
            y = f(
                x,
                w,
                stride=spec.stride,
                padding=p,
                output_padding=spec.output_padding,
                groups=spec.groups,
                dilation=spec.dilation,
            )
        else:
            if spec.padding_mode != "zeros":
                pads = [v for pair in reversed(spec.padding) for v in pair]
                x, p = F.pad(x, pads, mode=spec.padding_mode), (0,) * spec.ndim
            f = getattr(F, f"conv{spec.ndim}d")
            y = f(x, w, stride=spec.stride, padding=p, dilation=spec.dilation, groups=spec.groups)
    return _agree(reference.astype(np.float64), y[0].numpy())


def _torch_vjp_check(problem: Problem, reference: np.ndarray) -> bool | str:
    """The transposed convolution is the VJP of the padded forward convolution."""
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    if spec.ndim > 3:
        return "PyTorch has no convolution past 3-d"
    torch = _torch_module()
    if torch is None:
        return "torch not installed"
    F = torch.nn.functional
    fwd = spec.adjoint
    z = torch.zeros((1, *fwd.input_shape), dtype=torch.float64, requires_grad=True)
    mode = "constant" if spec.padding_mode == "zeros" else spec.padding_mode
    zp = F.pad(z, [v for pair in reversed(spec.padding) for v in pair], mode=mode)
    y = getattr(F, f"conv{spec.ndim}d")(
        zp,
        torch.from_numpy(problem.weight.astype(np.float64)),
        stride=spec.stride,
        dilation=spec.dilation,
        groups=spec.groups,
    )
    g = torch.zeros_like(y)
    g[(0, slice(None), *(slice(0, n) for n in spec.input_size))] = torch.from_numpy(
        problem.x.astype(np.float64)
    )
    (grad,) = torch.autograd.grad(y, z, g)
    return _agree(reference.astype(np.float64), grad[0].numpy())


ONNX_MAX_WORK = 2**18
"""Largest ``C_in · ∏L · ∏K`` the explain/verify checks hand to ``onnx.reference`` (~1 s)."""


def _onnx_check(problem: Problem, reference: np.ndarray) -> bool | str:
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    if spec.padding_mode != "zeros":
        return "ONNX has no padding modes"
    if spec.groups > 1:
        return "the ONNX reference implementation mishandles groups > 1"
    if any(op >= s for op, s in zip(spec.output_padding, spec.stride)):
        return "the ONNX reference implementation mishandles output_padding ≥ stride"
    work = spec.in_channels * math.prod(spec.input_size) * math.prod(spec.kernel_size)
    if work > ONNX_MAX_WORK:  # its col2im is a Python loop: ~5 µs per element
        return f"too large: {work:,} products"
    try:
        from onnx import TensorProto, helper
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return "onnx not installed"
    node = helper.make_node(
        "ConvTranspose",
        ["X", "W"],
        ["Y"],
        strides=list(spec.stride),
        dilations=list(spec.dilation),
        pads=[pb for pb, _ in spec.padding] + [pa for _, pa in spec.padding],
        group=spec.groups,
        output_padding=list(spec.output_padding),
        kernel_shape=list(spec.kernel_size),
    )
    value = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in ("X", "W", "Y")]
    model = helper.make_model(
        helper.make_graph([node], "t", value[:2], value[2:]), opset_imports=[helper.make_opsetid("", 17)]
    )
    (y,) = ReferenceEvaluator(model).run(
        None, {"X": problem.x.astype(np.float64)[None], "W": problem.weight.astype(np.float64)}
    )
    return _agree(reference.astype(np.float64), np.asarray(y)[0])


def _check_lines(checks: Sequence[IdentityCheck]) -> str:
    lines = str(IdentityReport({}, tuple(checks))).splitlines()
    return "\n".join(line if len(line) <= WIDTH - 2 else line[: WIDTH - 3] + "…" for line in lines)


def cmd_explain(args: argparse.Namespace) -> int:
    problem = _problem(args)
    if not problem.transposed:
        raise UsageError("explain is about transposed convolutions; drop --conv")
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    out: list[str] = []
    out.append(f"tconvmat explain — {spec.ndim}-d transposed convolution")
    out.append("=" * WIDTH)
    out.append(_indent(params_text(problem)))
    out.append(_heading("Output shape"))
    out.append(_indent(shape_text(spec)))
    out.append(_heading("Input and weight"))
    out.append(_indent("x =\n" + _indent(_fmt_array(problem.x))))
    out.append(_indent("w =\n" + _indent(_fmt_array(problem.weight))))
    symbolic = problem.symbolic
    if not symbolic:
        C = problem.matrix()
        out.append(_heading(f"The matrix C ({C.shape[0]} × {C.shape[1]}, {C.nnz} nonzeros)"))
        out.append(
            _indent(
                "C is the matrix of the forward convolution whose input has the transposed\n"
                "output's shape: row i (an input element of the transposed convolution)\n"
                "holds the kernel at columns j = i·s + k·d − p. Cells show the tap k."
                + (
                    "\nRows and columns are flattened (channel, *position) indices, row-major."
                    if spec.ndim > 1 or spec.in_channels > 1 or spec.out_channels > 1
                    else ""
                )
            )
        )
        out.append(_indent(grid(problem, C, max_rows=args.max_rows, width=WIDTH - 2)))
        y = problem.apply()
        out.append(_heading("y = Cᵀx"))
        out.append(_indent(_fmt_array(y)))
    out.append(_heading("Element expressions"))
    out.append(_indent(_expressions_text(problem)))
    out.append(_heading("The equivalent stride-1 convolution"))
    if symbolic:
        out.append(_indent("(shown for numeric weights; run without 'symbolic' to see the numbers)"))
    else:
        out.append(_indent(_flipped_story(problem)))
        out.append(_heading("Check: every route gives the same y"))
        checks = _checks(problem)
        out.append(_indent(_check_lines(checks)))
        if any(c.status == "fail" for c in checks):
            print("\n".join(out))
            return 1
    print("\n".join(out))
    if args.tex or args.pdf:
        _write_proof(problem, args.tex, args.pdf)
    return 0


def _expressions_text(problem: Problem, limit: int = 12) -> str:
    try:
        sym = _symbolic()
        # With symbolic values given, show them as given (numbers and symbols mixed);
        # otherwise the general expressions in x and w.
        x = problem.x if problem.symbolic else sym.input_symbols(problem.x.shape, name="x")
        w = problem.weight if problem.symbolic else sym.weight_symbols(problem.weight.shape, name="w")
        ys = sym._leading(problem.spec, x, w, limit)  # only the elements shown are built
    except (UsageError, AttributeError, ImportError):
        return "(tconvmat.symbolic unavailable)"
    lines = []
    shape = problem.spec.output_shape
    for flat, value in enumerate(ys):
        idx = np.unravel_index(flat, shape)
        line = f"y[{', '.join(map(str, idx))}] = {value}"
        lines.extend(textwrap.wrap(line, WIDTH - 2, subsequent_indent="    ", break_long_words=False))
    total = math.prod(shape)
    if total > limit:
        lines.append(f"… ({total - limit} more)")
    return "\n".join(lines)


def _proof_tex(problem: Problem) -> str:
    from .. import latex

    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    kw = {k: v for k, v in problem.kwargs.items() if k not in ("padding_mode", "output_size")}
    kw["output_padding"] = spec.output_padding
    return str(
        latex.proof_document(
            weight_shape=problem.weight.shape,
            input_shape=spec.input_shape,
            weight=problem.weight,
            x=problem.x,
            **kw,
        )
    )


def _write_proof(problem: Problem, tex: str | None, pdf: str | None, command: str = "explain") -> None:
    what = "" if command == "prove" else "--tex/--pdf: "
    if problem.symbolic:
        raise UsageError(
            f"{what}the proof document needs numeric --weight and --input (it has a worked instance)"
        )
    if problem.spec.padding_mode != "zeros":
        raise UsageError(
            f"{what}the proof document covers padding_mode='zeros' only; got --padding-mode {problem.spec.padding_mode}"
        )
    source = _proof_tex(problem)
    if tex:
        _write(tex, source)
    if pdf:
        _compile(source, pdf)
        print(f"wrote {pdf}", file=sys.stderr)


def _compile(source: str, pdf: str) -> None:
    exe = shutil.which("pdflatex")
    if exe is None:
        raise ToolMissing(TEX_INSTALL)
    with tempfile.TemporaryDirectory() as tmp:
        tex_path = Path(tmp) / "proof.tex"
        tex_path.write_text(source, encoding="utf-8")
        for _ in range(2):
            run = subprocess.run(
                [exe, "-interaction=nonstopmode", "-halt-on-error", tex_path.name],
                cwd=tmp,
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )
            if run.returncode != 0:
                last = [ln for ln in run.stdout.splitlines() if ln.startswith("!")][:1]
                raise ToolMissing(f"pdflatex failed: {last[0] if last else 'see the .tex with --tex'}")
        try:
            shutil.copyfile(Path(tmp) / "proof.pdf", pdf)
        except OSError as e:
            raise UsageError(f"--pdf: cannot write {pdf!r}: {e.strerror or e}") from None


class ToolMissing(Exception):
    """A tool the command needs is missing or failed: one line, exit status 1."""


def cmd_prove(args: argparse.Namespace) -> int:
    if args.identity:
        from .. import latex

        names = list(latex.IDENTITIES) if args.identity == "all" else [args.identity]
        source = str(latex.identity_document(names))
        if args.output or not args.pdf:
            _write(args.output, source)
        if args.pdf:
            _compile(source, args.pdf)
            print(f"wrote {args.pdf}", file=sys.stderr)
        return 0
    problem = _problem(args)
    if not problem.transposed:
        raise UsageError("prove is about transposed convolutions; drop --conv")
    if not args.output and not args.pdf:
        args.output = "-"
    if args.output:
        if problem.symbolic or problem.spec.padding_mode != "zeros":
            _write_proof(problem, "-", None, "prove")
        else:
            _write(args.output, _proof_tex(problem))
    if args.pdf:
        _write_proof(problem, None, args.pdf, "prove")
    return 0


# --- verify ----------------------------------------------------------------


def _random_args(rng: np.random.Generator, base: argparse.Namespace) -> argparse.Namespace:
    """A random valid parameter set (resampled until the spec validates)."""
    while True:
        nd = int(rng.integers(1, 4))
        g = int(rng.integers(1, 3))
        K = [int(v) for v in rng.integers(1, 4, nd)]
        s = [int(v) for v in rng.integers(1, 4, nd)]
        d = [int(v) for v in rng.integers(1, 3, nd)]
        size = [int(v) for v in rng.integers(1, {1: 7, 2: 5, 3: 4}[nd], nd)]
        op = [int(rng.integers(0, max(a, b))) for a, b in zip(s, d)]
        p = [int(rng.integers(0, dd * (k - 1) + 2)) for dd, k in zip(d, K)]
        ns = argparse.Namespace(**vars(base))
        ns.in_channels = g * int(rng.integers(1, 3))
        ns.out_channels = g * int(rng.integers(1, 3))
        ns.groups = g
        ns.kernel_size = ",".join(map(str, K))
        ns.stride = ",".join(map(str, s))
        ns.dilation = ",".join(map(str, d))
        if rng.integers(0, 3) == 0:
            ns.padding = ",".join(f"{a}:{int(rng.integers(0, a + 2))}" for a in p)
        else:
            ns.padding = ",".join(map(str, p))
        ns.padding_mode = str(rng.choice(["zeros", "zeros", "reflect", "replicate", "circular"]))
        ns.output_padding = ",".join(map(str, op))
        ns.input_size = ",".join(map(str, size))
        ns.output_size = None
        ns.weight = f"random:{int(rng.integers(1 << 30))}"
        ns.input = f"random:{int(rng.integers(1 << 30))}"
        try:
            _problem(ns)
        except (ConvolutionSpecError, UsageError):
            continue
        return ns


def cmd_verify(args: argparse.Namespace) -> int:
    if args.random:
        defaults = vars(build_parser().parse_args(["verify", "--random", "1"]))
        given = [
            "--" + k.replace("_", "-")
            for k, v in vars(args).items()
            if k not in ("random", "seed", "func", "command") and v != defaults.get(k)
        ]
        if given:
            raise UsageError(
                f"--random draws every parameter and value itself; drop {', '.join(given)} "
                "(or drop --random to check those)"
            )
    rng = np.random.default_rng(args.seed)
    n = args.random or 1
    table: dict[str, list[int]] = {}
    failures: list[str] = []
    tty = sys.stderr.isatty()
    for case in range(n):
        ns = _random_args(rng, args) if args.random else args
        problem = _problem(ns)
        if problem.symbolic:
            raise UsageError("verify needs numeric --weight and --input")
        for c in _checks(problem):
            counts = table.setdefault(c.name, [0, 0, 0])
            counts[{"pass": 0, "fail": 1, "skip": 2}[c.status]] += 1
            if c.status == "fail":
                failures.append(f"{c.name}: {_describe(problem)}")
        if n >= 20 and (tty or (case + 1) * 4 // n != case * 4 // n):
            end = "\r" if tty and case + 1 < n else "\n"
            print(f"verify: {case + 1}/{n} parameter sets", end=end, file=sys.stderr, flush=True)
    w0 = max(len(k) for k in table) + 2
    print(f"{'check'.ljust(w0)}{'passed':>7}{'failed':>7}{'skipped':>8}")
    for name, (ok, bad, skip) in table.items():
        print(f"{name.ljust(w0)}{ok:>7}{bad:>7}{skip:>8}")
    print(
        f"{n} parameter set{'s' if n != 1 else ''}: "
        + (f"{len(failures)} FAILED" if failures else "all agree")
    )
    for line in failures[:20]:
        print("  FAILED " + line)
    return 1 if failures else 0


def _describe(problem: Problem) -> str:
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    return (
        f"weight {_tuple(problem.weight.shape)}, input {_tuple(spec.input_shape)}, stride={_tuple(spec.stride)}, "
        f"padding={_tuple(spec.padding)}, output_padding={_tuple(spec.output_padding)}, "
        f"dilation={_tuple(spec.dilation)}, groups={spec.groups}, padding_mode={spec.padding_mode}"
    )


# ---------------------------------------------------------------------------
# The parser
# ---------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


EXAMPLES = {
    "shape": """examples:
  tconvmat shape --kernel-size 3 --stride 2 --input-size 2
  tconvmat shape --kernel-size 3x3 --stride 2 --padding 1 --output-padding 1 --input-size 4x4
  tconvmat shape --conv --kernel-size 3 --stride 2 --padding 1 --input-size 8""",
    "matrix": """examples:
  tconvmat matrix --kernel-size 3 --stride 2 --input-size 2 --weight 1,1,1
  tconvmat matrix --kernel-size 3x3 --stride 2 --input-size 3x3 --format json -o C.json
  tconvmat matrix --in-channels 2 --out-channels 4 --groups 2 --kernel-size 2 --input-size 4 --format mtx
  tconvmat matrix --kernel-size 3x3 --input-size 8x8 --format npz -o C.npz""",
    "apply": """examples:
  tconvmat apply --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1
  tconvmat apply --kernel-size 3 --stride 2 --input 1,1 --weight symbolic
  tconvmat apply --kernel-size 3x3 --stride 2 --input-size 4x4 --input random:0 --weight arange
  tconvmat apply --kernel-size 3 --input x.npy --weight w.npy -o y.npy""",
    "explain": """examples:
  tconvmat explain --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1
  tconvmat explain --kernel-size 3 --stride 4 --input 1,1 --weight 1,1,1 --pdf proof.pdf
  tconvmat explain --kernel-size 2x2 --stride 2 --padding 1 --input-size 2x2
  tconvmat explain --kernel-size 3 --stride 2 --input 1,2 --weight symbolic""",
    "prove": """examples:
  tconvmat prove --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1 -o proof.tex
  tconvmat prove --identity subpixel --pdf subpixel.pdf
  tconvmat prove --identity all -o identities.tex
  tconvmat prove --kernel-size 3x3 --stride 2 --padding 1 --input-size 3x3 --pdf proof.pdf""",
    "verify": """examples:
  tconvmat verify --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1
  tconvmat verify --random 200 --seed 1""",
}


def _add_params(p: argparse.ArgumentParser, transposed_only: bool = False) -> None:
    g = p.add_argument_group("convolution parameters (as in torch.nn.ConvTranspose*d / Conv*d)")
    g.add_argument(
        "--in-channels",
        type=_positive,
        default=None,
        metavar="N",
        help="C_in (default 1, or from --weight FILE)",
    )
    g.add_argument(
        "--out-channels",
        type=_positive,
        default=None,
        metavar="N",
        help="C_out (default 1, or from --weight FILE)",
    )
    g.add_argument("--kernel-size", metavar="K", help="e.g. 3 or 3x3 (or inferred from --weight)")
    g.add_argument("--stride", default="1", metavar="S", help="e.g. 2 or 2x1 (default 1)")
    g.add_argument(
        "--padding",
        default="0",
        metavar="P",
        help="e.g. 1, 1,2 (per axis) or 1:2,0:1 (before:after per axis)"
        + ("" if transposed_only else "; with --conv also same or valid"),
    )
    g.add_argument(
        "--output-padding",
        default="0",
        metavar="OP",
        help="e.g. 1 or 1x0, smaller than stride or dilation (default 0)",
    )
    g.add_argument(
        "--groups", type=_positive, default=1, metavar="G", help="divides both channel counts (default 1)"
    )
    g.add_argument("--dilation", default="1", metavar="D", help="e.g. 2 or 2x1 (default 1)")
    g.add_argument("--padding-mode", default="zeros", choices=["zeros", "reflect", "replicate", "circular"])
    g.add_argument(
        "--output-size", metavar="SIZE", help="spatial output size, e.g. 8 or 8x8; resolves --output-padding"
    )
    v = p.add_argument_group("values")
    v.add_argument("--input-size", metavar="SIZE", help="spatial input size, e.g. 4 or 4x4")
    v.add_argument(
        "--input",
        metavar="VALUES",
        help="1,1 (inline, reshaped to (C_in, *L)), ones, arange (1, 2, …), random:SEED, symbolic, "
        "or FILE.npy (default arange)",
    )
    v.add_argument("--weight", metavar="VALUES", help="as --input, in PyTorch's weight layout (default ones)")
    if not transposed_only:
        p.add_argument(
            "--conv", action="store_true", help="the forward convolution instead of the transposed one"
        )


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return v


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tconvmat",
        description="Transposed convolution, exact and visible: the matrix C, y = Cᵀx, the equivalent "
        "stride-1 convolution, symbolic expressions and LaTeX proofs, with PyTorch's semantics.",
        epilog="run 'tconvmat COMMAND --help' for a command's options and examples",
    )
    parser.add_argument("--version", action="version", version=f"tconvmat {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    helps = {
        "shape": "output shape and the formula with the numbers filled in",
        "matrix": "the sparse matrix C (text grid, latex, json, mtx, npz)",
        "apply": "run the (transposed) convolution on an input",
        "explain": "the whole story: shape, C, y = Cᵀx, expressions, equivalent conv, checks",
        "prove": "write the LaTeX proof document (--pdf compiles it)",
        "verify": "check all identities for given or random parameters",
    }
    cmds: dict[str, Callable[[argparse.Namespace], int]] = {
        "shape": cmd_shape,
        "matrix": cmd_matrix,
        "apply": cmd_apply,
        "explain": cmd_explain,
        "prove": cmd_prove,
        "verify": cmd_verify,
    }
    for name, fn in cmds.items():
        p = sub.add_parser(
            name,
            help=helps[name],
            description=helps[name],
            epilog=EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_params(p, transposed_only=name in ("explain", "prove", "verify"))
        p.set_defaults(func=fn)
        if name == "matrix":
            p.add_argument("--format", default="text", choices=["text", "latex", "json", "mtx", "npz"])
            p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
            p.add_argument(
                "--max-rows", type=_positive, default=24, metavar="N", help="rows shown in the grid"
            )
        if name == "apply":
            p.add_argument(
                "--method", choices=list(METHODS), default=None, help="the route (default scatter)"
            )
            p.add_argument("-o", "--output", metavar="FILE", help="write the result (FILE.npy: NumPy format)")
        if name == "explain":
            p.add_argument("--tex", metavar="FILE", help="also write the LaTeX proof document")
            p.add_argument("--pdf", metavar="FILE", help="also write the proof as PDF (needs pdflatex)")
            p.add_argument(
                "--max-rows", type=_positive, default=16, metavar="N", help="rows shown in the grid"
            )
        if name == "prove":
            p.add_argument("-o", "--output", metavar="FILE", help="write the .tex to FILE (default stdout)")
            p.add_argument("--pdf", metavar="FILE", help="compile to PDF with pdflatex")
            p.add_argument(
                "--identity",
                choices=[
                    "all",
                    "flipped_kernel",
                    "gradient",
                    "subpixel",
                    "checkerboard",
                    "composition",
                    "output_length",
                    "round_trip",
                ],
                help="instead of the worked proof, the SymPy-checked derivation of one identity (or all)",
            )
        if name == "verify":
            p.add_argument("--random", type=_positive, metavar="N", help="check N random parameter sets")
            p.add_argument("--seed", type=int, default=0, help="seed for --random (default 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    # errors while parsing a subcommand's options name it too, as the later ones do
    prog = next((f"tconvmat {w}" for w in words[:1] if w in EXAMPLES), "tconvmat")
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        prog = f"tconvmat {args.command}"
        return int(args.func(args))
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except ConvolutionSpecError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except ToolMissing as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into head
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
