"""Text rendering for the terminal: arrays, the grid of ``C``, shape arithmetic, parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..matrix import conv_matrix, conv_transpose_matrix
from ..spec import ConvSpec, ConvTransposeSpec, shape_arithmetic
from ..spec import format_tuple as fmt_tuple
from ._args import Problem

WIDTH = 79


def fmt_array(a: np.ndarray) -> str:
    if a.dtype == object:
        return np.array2string(
            a, max_line_width=WIDTH - 4, threshold=64, separator=", ", formatter={"all": str}
        )
    return np.array2string(a, max_line_width=WIDTH - 4, threshold=200, separator=", ")


def indent(text: str, n: int = 2) -> str:
    return "\n".join(" " * n + line if line else line for line in text.splitlines())


def heading(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def tap_labels(
    problem: Problem, C: sp.csr_array, rows: Sequence[int], cols: Sequence[int]
) -> dict[tuple[int, int], str]:
    """For the shown cells: which kernel tap contributes, "+" where several add up
    (padding modes).  Loops over taps, not entries."""
    spec = problem.spec
    taps = list(np.ndindex(*spec.kernel_size))
    labels: dict[tuple[int, int], list[str]] = {}
    if not len(rows) or not len(cols):
        return {}
    r_idx, c_idx = np.asarray(rows), np.asarray(cols)
    block = slice(int(r_idx.min()), int(r_idx.max()) + 1)  # only the rows shown are built
    for t, k in enumerate(taps):
        onehot = np.zeros(problem.weight.shape, dtype=np.int64)
        onehot[(Ellipsis, *k)] = 1
        build = conv_transpose_matrix if problem.transposed else conv_matrix
        Ct = build(onehot, spec.input_shape, **problem.kwargs, rows=block)
        sub = Ct[r_idx - block.start][:, c_idx].tocoo()
        hit = sub.data != 0  # C stores every tap position; this tap's are the ones
        name = f"k{t}" if len(taps) <= 10 else str(t)
        for r, c in zip(sub.row[hit].tolist(), sub.col[hit].tolist()):
            labels.setdefault((int(r_idx[r]), int(c_idx[c])), []).append(name)
    return {key: v[0] if len(v) == 1 else "+" for key, v in labels.items()}


def pick(n: int, keep: int) -> list[int | None]:
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
    rows = pick(n_rows, max_rows)
    shown_rows = [r for r in rows if r is not None]
    cell = 4
    if values:
        sample = C[shown_rows].data if shown_rows else np.zeros(0)
        cell = max([cell, *(len(num(v)) + 1 for v in sample.tolist())])
    cell = max(cell, len(str(n_cols - 1)) + 1)
    fit = max(4, (width - row_label_w) // cell)
    cols = pick(n_cols, fit)
    shown_cols = [c for c in cols if c is not None]
    labels = {} if values else tap_labels(problem, C, shown_rows, shown_cols)
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
                cells.append((num(v) if v != 0 else "·").rjust(cell))
            else:
                cells.append(labels.get((r, c), "·").rjust(cell))
        lines.append(f"i={r}".ljust(row_label_w) + "".join(cells))
    if not values and multi:
        lines.append("(+: several taps add up here, through the padding mode)")
    return "\n".join(lines)


def rows_grid(
    problem: Problem, rows: Sequence[int], n_rows: int, n_cols: int, width: int = WIDTH
) -> tuple[str, list[int]]:
    """Rows ``rows`` of ``C`` (only they are built, with ``rows=slice(…)``) as a grid of tap labels.

    Columns are every column when they fit, else the runs of columns the shown rows
    reach, ``…`` between runs; rows are dropped from the end until the grid fits
    ``width``.  Returns the grid and the rows it shows.
    """
    spec = problem.spec
    build = conv_transpose_matrix if problem.transposed else conv_matrix
    rows = sorted(rows)
    first = rows[0]
    block = build(problem.weight, spec.input_shape, **problem.kwargs, rows=slice(first, rows[-1] + 1))
    label_w = len(f"i={n_rows - 1}") + 1
    n_taps = math.prod(spec.kernel_size)
    cell = max(4, len(f"k{n_taps - 1}" if n_taps <= 10 else str(n_taps - 1)) + 1)
    everything = label_w + max(cell, len(str(n_cols - 1)) + 1) * n_cols <= width
    if everything:
        cell = max(cell, len(str(n_cols - 1)) + 1)
    sep = " …"

    def needed(runs: list[list[int]]) -> int:
        return label_w + sum(cell * len(r) for r in runs) + len(sep) * max(len(runs) - 1, 0)

    while True:
        used = np.unique(block[np.asarray(rows) - first].indices)
        if everything:
            runs = [list(range(n_cols))]
        else:
            # runs of the columns used, a gap of up to 3 unused columns shown as dots
            runs = [
                list(range(int(r[0]), int(r[-1]) + 1))
                for r in np.split(used, np.flatnonzero(np.diff(used) > 4) + 1)
                if r.size
            ]
        if needed(runs) <= width or len(rows) == 1:
            break
        rows = rows[:-1]
    while runs and needed(runs) > width:  # one row still too wide: cut from the end
        runs[-1] = runs[-1][:-1]
        if not runs[-1]:
            runs.pop()
    cols = [c for r in runs for c in r]
    labels = tap_labels(problem, block, rows, cols)
    if everything:
        header = "".join(str(c).rjust(cell) for c in cols)
    else:
        spans = [f"{r[0]}…{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
        header = (" " * len(sep)).join(
            (t if len(t) <= cell * len(r) else f"{r[0]}").ljust(cell * len(r)) for t, r in zip(spans, runs)
        )
        header = "  " + header  # the labels sit at the right of their cells
    lines = ["j=".rjust(label_w - 1) + " " + header.rstrip()]
    for row in rows:
        cells = ["".join(labels.get((row, c), "·").rjust(cell) for c in r) for r in runs]
        lines.append(f"i={row}".ljust(label_w) + sep.join(cells))
    return "\n".join(lines), rows


def fmt_grid(a: np.ndarray, lead: int, name: str, width: int = WIDTH - 2, max_rows: int = 8) -> str:
    """An array as rows of numbers: one block per index of its first ``lead`` axes (channels).

    A 1-D block is one line ``name[c] = 1  2  3``; a 2-D block is a grid under
    ``name[c] =``; more spatial axes are cut into 2-D slices (``name[c, d0]``).  Blocks,
    rows and columns past what fits are elided (``⋮``, ``…``): only the shown
    elements are formatted, whatever the array's size.  Columns line up across blocks.
    """
    grid_ndim = min(2, a.ndim - lead)
    block_shape = a.shape[: a.ndim - grid_ndim]
    n_r = a.shape[-2] if grid_ndim == 2 else 1
    n_c = a.shape[-1] if grid_ndim >= 1 else 1
    flat = a.reshape(math.prod(block_shape), n_r, n_c)
    blocks = pick(flat.shape[0], 4)
    r_pick = pick(n_r, max_rows)
    shown_b = [b for b in blocks if b is not None]
    shown_r = [r for r in r_pick if r is not None]
    labels = {
        b: f"{name}[{', '.join(str(int(v)) for v in np.unravel_index(b, block_shape))}]"
        if block_shape
        else name
        for b in shown_b
    }
    label_w = max(len(t) for t in labels.values()) + 3 if grid_ndim == 1 else 2
    c_try = [c for c in pick(n_c, 64) if c is not None]
    texts = {(b, r, c): num(flat[b, r, c]) for b in shown_b for r in shown_r for c in c_try}
    cw = max([1, *(len(t) for t in texts.values())])
    c_pick = pick(n_c, max(3, (width - label_w + 2) // (cw + 2)))
    cell = {
        (b, r, c): texts.get((b, r, c)) or num(flat[b, r, c])
        for b in shown_b
        for r in shown_r
        for c in c_pick
        if c is not None
    }
    out: list[str] = []
    for b in blocks:
        if b is None:
            out.append("⋮")
            continue

        def row(r: int, b: int = b) -> str:
            return "  ".join("…".rjust(cw) if c is None else cell[b, r, c].rjust(cw) for c in c_pick)

        if grid_ndim == 1:
            out.append(f"{labels[b]} = ".ljust(label_w) + row(0))
            continue
        out.append(f"{labels[b]} =")
        for r in r_pick:
            out.append("  " + ("⋮".rjust(cw) if r is None else row(r)))
    return "\n".join(out)


def num(v: Any) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float | np.floating) else str(v)


def shape_text(spec: ConvSpec | ConvTransposeSpec) -> str:
    """The output-shape arithmetic with the numbers filled in, per axis (:func:`~tconvmat.spec.shape_arithmetic`)."""
    lines = shape_arithmetic(spec)
    lines.append(f"output shape (C_out, *L_out) = {fmt_tuple(spec.output_shape)}")
    return "\n".join(lines)


def params_text(problem: Problem) -> str:
    spec = problem.spec
    layout = "(C_in, C_out/groups, *K)" if problem.transposed else "(C_out, C_in/groups, *K)"
    lines = [
        f"in_channels={spec.in_channels}  out_channels={spec.out_channels}  groups={spec.groups}  "
        f"kernel_size={fmt_tuple(spec.kernel_size)}",
        f"stride={fmt_tuple(spec.stride)}  dilation={fmt_tuple(spec.dilation)}  padding={fmt_tuple(spec.padding)}",
    ]
    if isinstance(spec, ConvTransposeSpec):
        lines.append(f"output_padding={fmt_tuple(spec.output_padding)}  padding_mode={spec.padding_mode}")
    else:
        lines.append(f"padding_mode={spec.padding_mode}")
    lines.append(f"input shape (C_in, *L_in) = {fmt_tuple(spec.input_shape)}")
    lines.append(f"weight shape {layout} = {fmt_tuple(spec.weight_shape)}")
    return "\n".join(lines)


def describe(problem: Problem) -> str:
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    return (
        f"weight {fmt_tuple(problem.weight.shape)}, input {fmt_tuple(spec.input_shape)}, stride={fmt_tuple(spec.stride)}, "
        f"padding={fmt_tuple(spec.padding)}, output_padding={fmt_tuple(spec.output_padding)}, "
        f"dilation={fmt_tuple(spec.dilation)}, groups={spec.groups}, padding_mode={spec.padding_mode}"
    )
