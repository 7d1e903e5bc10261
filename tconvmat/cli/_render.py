"""Text rendering for the terminal: arrays, the grid of ``C``, shape arithmetic, parameters."""

from __future__ import annotations

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
