"""The standalone proof document: theorem, machine-checked proof, worked instance.

Whole documents are ``.tex`` templates shipped with the package
(``tconvmat/latex/templates``) filled with :class:`string.Template`; the general
statements come from the symbolic layer's derivations (``tconvmat.symbolic``), the
shape facts from :mod:`tconvmat.spec`, the numbers from the matrix and the three
numeric routes, which are checked to agree before anything is written.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from string import Template
from typing import Any

import numpy as np
import sympy
from numpy.typing import ArrayLike

from .. import symbolic
from ..matrix import conv_transpose_matrix
from ..ops import conv_transpose, equivalent_conv
from ..spec import ConvTransposeSpec, IntOrSeq, PaddingArg, conv_transpose_spec
from ._builder import Tex, environment, escape, join
from ._fragments import _latex, _names, matrix, transpose_product, vector
from ._general import Appendix, display, proof_steps
from ._pictures import flipped_picture, scatter_picture, sparsity_picture
from ._printer import human

__all__ = ["proof_document"]

DEFAULT_TITLE = (
    "Transposed convolution is a convolution with the flipped kernel: a proof and a worked instance"
)
_EXPRESSION_BUDGET = 4096  # input elements × kernel taps up to which element expressions are shown
_OPTION = re.compile(r"[A-Za-z0-9.=-]+")


@functools.cache
def _template(name: str) -> Template:
    text = resources.files("tconvmat.latex").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)


# ---------------------------------------------------------------------------
# Pieces of the general part
# ---------------------------------------------------------------------------


def _tuple(values: Sequence[Any]) -> str:
    return "(" + ", ".join(str(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def macros() -> str:
    """The document's helper macros (``\tcmdisplay``), safe to include more than once."""
    return _template("macros.tex").substitute()


_LEMMA_REFS = {"output_length": r"Lemma~\ref{lem:length}", "matrix_element": r"Lemma~\ref{lem:element}"}


def _theorem_counts(flipped: symbolic.Derivation) -> str:
    """The abstract's count of the theorem's steps, from the same standings as the proof's summary."""
    steps = flipped.steps
    defs = sum(st.standing == "definition" for st in steps)
    proved = sum(st.standing == "verified" and st.kind == "proved" for st in steps)
    cited = [st for st in steps if st.standing == "verified" and st.kind == "cited"]
    failed = sum(st.standing == "failed" for st in steps)
    unproved = sum(st.standing == "unproved" for st in steps)
    parts = [f"{defs} {'is a definition' if defs == 1 else 'are definitions'}"]
    parts.append(
        f"{proved} {'is a claim' if proved == 1 else 'are claims'} proved by SymPy for \\(N = 1, 2, 3\\)"
    )
    if cited:
        refs = ", ".join(sorted({_LEMMA_REFS.get(st.cites or "", "a proved result") for st in cited}))
        parts.append(f"{len(cited)} {'cites' if len(cited) == 1 else 'cite'} {refs}")
    if failed:
        parts.append(rf"\textbf{{{failed} failed {'its' if failed == 1 else 'their'} check}}")
    parts.append(f"{unproved or 'none'} {'is' if unproved < 2 else 'are'} argued in words")
    return (
        f"of its {len(steps)} steps, "
        + ", ".join(parts[:-1])
        + " and "
        + parts[-1]
        + (" (checked when this document was generated).")
    )


def _general(names: Mapping[str, str], appendix: Appendix) -> dict[str, str]:
    """The general part: every statement and step from the symbolic layer's derivations."""
    length = symbolic.derivation("output_length")
    element = symbolic.derivation("matrix_element")
    flipped = symbolic.derivation("flipped_kernel")
    pl, pr = symbolic.flipped_pads(asymmetric=True)  # from tconvmat.spec, on symbols
    P_l, P_r = sympy.symbols("P_l P_r", integer=True)
    pads = r",\qquad ".join(f"{human(lhs)} = {human(v)}" for lhs, v in ((P_l, pl), (P_r, pr)))
    W, Wp = sympy.IndexedBase("W"), sympy.IndexedBase("W'")
    gamma, a, b, _kappa, m, n = sympy.symbols("gamma a b kappa m n", integer=True)
    bold = sympy.Symbol(r"\boldsymbol{\kappa}")
    weight = (
        human(Wp[gamma * m + a, b, bold]) + " = " + human(W[gamma * n + b, a, sympy.Symbol("K") - 1 - bold])
    )
    counts = _theorem_counts(flipped)
    return {
        "theorem_counts": counts,
        "element_statement": display(human(element.statement, names)),
        "element_proof": proof_steps(element, names, appendix),
        "length_statement": display(human(length.statement, names)),
        "length_proof": proof_steps(length, names, appendix),
        "theorem_pads": display(pads),
        "theorem_weight": display(weight),
        "flipped_proof": proof_steps(flipped, names, appendix),
    }


# ---------------------------------------------------------------------------
# The worked instance
# ---------------------------------------------------------------------------


def _default_data(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(1, math.prod(shape) + 1, dtype=np.int64).reshape(shape)


def _lengths(spec: ConvTransposeSpec) -> str:
    """``L_out`` on every axis: the lemma's formula with this instance's numbers, checked against the spec."""
    P = symbolic.PARAMS
    statement = symbolic.derivation("output_length").statement
    lines = []
    for axis in range(spec.ndim):
        (pb, pa), n_out = spec.padding[axis], spec.output_size[axis]
        values = {
            P.L_in: spec.input_size[axis],
            P.s: spec.stride[axis],
            P.p_before: pb,
            P.p_after: pa,
            P.d: spec.dilation[axis],
            P.K: spec.kernel_size[axis],
            P.op: spec.output_padding[axis],
        }
        got = statement.rhs.xreplace(values)
        if int(got) != n_out:
            raise RuntimeError(
                f"the output-length lemma gives {got} but the spec gives {n_out} on axis {axis}: "
                "tconvmat.symbolic and tconvmat.spec disagree"
            )
        terms = (
            f"({values[P.L_in]} - 1) \\cdot {values[P.s]} - {pb} - {pa} + {values[P.d]} \\cdot "
            f"({values[P.K]} - 1) + {values[P.op]} + 1"
        )
        sub = f"_{{\\mathrm{{out}},{axis + 1}}}" if spec.ndim > 1 else r"_{\mathrm{out}}"
        lines.append(f"L{sub} &= {terms} = {n_out}")
    return environment("aligned", join(" \\\\\n", lines))


def _seq(values: Sequence[Any]) -> str:
    """Per-axis values as maths: ``2`` on one axis, ``(2, 3)`` on several."""
    return str(values[0]) if len(values) == 1 else "(" + ", ".join(str(v) for v in values) + ")"


def _params_table(spec: ConvTransposeSpec) -> Tex:
    pads = _seq([pb for pb, _ in spec.padding]), _seq([pa for _, pa in spec.padding])
    eq_pads = spec.flipped_pads
    rows = [
        (r"weight shape \((C_{\mathrm{in}}, C_{\mathrm{out}}/g, K_1, \dots)\)", _seq(spec.weight_shape)),
        (r"input shape \((C_{\mathrm{in}}, L_{\mathrm{in},1}, \dots)\)", _seq(spec.input_shape)),
        (r"stride \(s\)", _seq(spec.stride)),
        (r"padding \(p_{\mathrm{before}}\), \(p_{\mathrm{after}}\)", f"{pads[0]},\\ {pads[1]}"),
        (r"output padding \(\mathrm{op}\)", _seq(spec.output_padding)),
        (r"dilation \(d\)", _seq(spec.dilation)),
        (r"groups \(g\); channels per group \(n\), \(m\)",
         f"{spec.groups};\\ {spec.in_channels // spec.groups},\\ {spec.out_channels // spec.groups}"),
        (r"output shape \((C_{\mathrm{out}}, L_{\mathrm{out},1}, \dots)\)", _seq(spec.output_shape)),
        (r"pads \(P_l\), \(P_r\) of Theorem~\ref{thm:flipped}",
         f"{_seq([pl for pl, _ in eq_pads])},\\ {_seq([pr for _, pr in eq_pads])}"),
    ]  # fmt: skip
    body = join(" \\\\\n", (f"{name} & \\({value}\\)" for name, value in rows), "text")
    return environment("tabular", body, "ll", mode="text")


def _grids(arr: np.ndarray, name: str, lead: int, max_cols: int, limit: int = 4) -> str:
    """An array as grids: one row vector (1-D), one matrix (2-D) or one matrix per leading index
    (3-D) for each of the first ``lead`` indices; at most ``limit`` grids, the rest elided.

    Grids are packed into lines of at most ``max_cols`` columns in all (``gather*`` rows),
    so that side-by-side matrices never run past the margin."""
    items = []
    extra = max(arr.ndim - lead - 2, 0)  # 3-D: one grid per index of the first spatial axes
    heads = list(np.ndindex(*arr.shape[: lead + extra]))
    for idx in heads[:limit]:
        a = arr[idx]
        grid = (
            vector(a, row=True, max_rows=max_cols)
            if a.ndim == 1
            else matrix(a, max_rows=8, max_cols=max_cols)
        )
        sub = ",".join([*(str(v) for v in idx), *([":"] * a.ndim if extra else [])])
        items.append((min(a.shape[-1], max_cols) + 2, f"{name}[{sub}] = {grid}"))
    more = len(heads) - limit
    tail = rf"\quad \text{{(and {more} more)}}" if more > 0 else ""
    note = ""
    lines: list[list[str]] = [[]]
    width = 0
    for cols, tex in items:
        if lines[-1] and width + cols > max_cols + 4:
            lines.append([])
            width = 0
        lines[-1].append(tex)
        width += cols
    return " \\\\\n".join(r",\quad ".join(line) for line in lines) + note + tail


def _window(C: Any, max_rows: int, max_cols: int) -> tuple[list[int], list[int]] | None:
    """Rows (inputs) and columns (outputs) of ``C`` worth showing when it is elided.

    Starting from the output with the most inputs (the one nearest the middle), outputs
    are added nearest first while all the inputs of the chosen outputs fit in
    ``max_rows``: every shown column is then complete, and the shown entries of ``Cᵀx``
    add up to the shown elements of ``y``.  ``None`` when ``C`` fits whole.

    >>> import tconvmat as tcm
    >>> C = tcm.conv_transpose_matrix(np.arange(1, 10).reshape(1, 1, 3, 3), (1, 6, 6), stride=2)
    >>> rows, cols = _window(C, 12, 12)
    >>> csc = C.tocsc(); all(set(csc[:, [j]].indices) <= set(rows) for j in cols)  # complete columns
    True
    >>> int(np.diff(csc.indptr)[cols].max()) == int(np.diff(csc.indptr).max())  # the busiest output
    True
    """
    n_rows, n_cols = C.shape
    if n_rows <= max_rows and n_cols <= max_cols:
        return None
    csc = C.tocsc()
    counts = np.diff(csc.indptr)
    best = np.flatnonzero(counts == counts.max())
    start = int(best[np.argmin(np.abs(best - n_cols // 2))])
    chosen, rows = [start], set(csc.indices[csc.indptr[start] : csc.indptr[start + 1]].tolist())
    for step in range(1, n_cols):  # a loop over candidate columns (at most max_cols kept)
        if len(chosen) >= max_cols:
            break
        for j in (start - step, start + step):
            if 0 <= j < n_cols and len(chosen) < max_cols:
                more = rows | set(csc.indices[csc.indptr[j] : csc.indptr[j + 1]].tolist())
                if len(more) <= max_rows:
                    chosen.append(j)
                    rows = more
        if step > 4 * max_cols:
            break
    return sorted(rows) or [0], sorted(chosen)


def _slice(spec: ConvTransposeSpec, x: np.ndarray, w: np.ndarray, max_inputs: int) -> tuple[Any, Any, str]:
    """Input channel 0 → output channel 0: the whole 1-D or 2-D slice; in 3-D, along the last
    axis through the middle of the others (the pictures draw 1-D and 2-D)."""
    if spec.ndim <= 2:
        xs, ws = x[0], w[0, 0]
        note = ""
        if spec.in_channels > 1 or spec.out_channels > 1:
            note = (
                " The picture shows input channel 0 and its kernel to output channel 0; the full output "
                "adds up such pictures over the input channels of each group."
            )
        if spec.ndim == 1 and len(xs) > max_inputs:
            note += f" Only the first {max_inputs} of the {len(xs)} input elements are drawn."
        return xs, ws, note
    lead_x = tuple(n // 2 for n in spec.input_size[:-1])
    lead_k = tuple(k // 2 for k in spec.kernel_size[:-1])
    xs, ws = x[(0, *lead_x)], w[(0, 0, *lead_k)]
    note = (
        " The picture shows one 1-D slice: input channel 0 to output channel 0, along the last spatial "
        "axis, through input index "
        + ", ".join(map(str, lead_x))
        + " and kernel index "
        + ", ".join(map(str, lead_k))
        + " of the other axes, and its bottom row is the transposed convolution of that slice alone; the "
        "full output adds up such slices over every kernel row and channel."
    )
    if len(xs) > max_inputs:
        note += f" Only the first {max_inputs} of the {len(xs)} input elements are drawn."
    return xs, ws, note


def _busiest(xs: Any, ws: Any, one_d: Mapping[str, Any]) -> Any:
    """The output of the slice whose window meets the most input elements (every tap, if any
    does), the one nearest the middle; an index tuple in 2-D."""
    xs = np.asarray(xs)
    shape = xs.shape if xs.ndim == 2 else (min(len(xs), 8),)
    ones = conv_transpose(
        np.ones((1, *shape), np.int64),
        np.ones((1, 1, *np.shape(ws)), np.int64),
        stride=one_d["stride"],
        padding=one_d["padding"] if xs.ndim == 2 else [one_d["padding"]],
        output_padding=one_d["output_padding"],
        dilation=one_d["dilation"],
    )[0]
    best = np.argwhere(ones == ones.max())
    middle = np.array(ones.shape) // 2
    pick = best[np.argmin(np.abs(best - middle).sum(axis=1))]
    return int(pick[0]) if ones.ndim == 1 else tuple(int(v) for v in pick)


def _symbols(shape: tuple[int, ...], tag: str, base: int) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = sympy.Symbol(f"{tag}_" + ",".join(str(v + base) for v in index))
    return out


def _expressions(spec: ConvTransposeSpec, names: Mapping[str, str], base: int) -> str:
    """Up to eight output elements in symbols: those with the most terms, together using every tap."""
    if math.prod(spec.input_shape) * math.prod(spec.kernel_size) * (spec.out_channels // spec.groups) > (
        _EXPRESSION_BUDGET
    ):
        return ""
    xs = _symbols(spec.input_shape, "x", base)
    ws = _symbols(spec.weight_shape, "w", base)
    exprs = symbolic.conv_transpose_expressions(
        xs,
        ws,
        stride=spec.stride,
        padding=spec.padding,
        output_padding=spec.output_padding,
        groups=spec.groups,
        dilation=spec.dilation,
    )
    flat = exprs.ravel()
    taps = [frozenset(str(s) for s in e.free_symbols if str(s).startswith("w_")) for e in flat.tolist()]
    order = sorted(range(flat.size), key=lambda n: (-len(taps[n]), n))
    chosen: list[int] = []
    seen: set[str] = set()
    for n in order:  # greedy: the largest first, then whatever adds taps not yet shown
        if len(chosen) >= 8 or not taps[n]:
            break
        if not chosen or not taps[n] <= seen or len(chosen) < 4:
            chosen.append(n)
            seen |= taps[n]
    if flat.size <= 8:  # a small output is shown whole
        chosen = list(range(flat.size))
    if not chosen:  # no tap reaches the output (the padding crops every one)
        return (
            "\n\\subsection{Output elements in symbols}\n\n"
            "Every output element is \\(0\\): each tap of every input lands in the cropped padding.\n"
        )
    chosen.sort()
    lines = []
    for n in chosen:
        idx = ",".join(str(int(v) + base) for v in np.unravel_index(n, exprs.shape))
        terms = [_latex(t, names) for t in sympy.Add.make_args(flat[n])]
        per_line = 6 if spec.ndim == 1 else 4  # long sums continue on the next line
        chunks = [" + ".join(terms[i : i + per_line]) for i in range(0, len(terms), per_line)]
        lhs = f"{names['y']}_{{{idx}}} &= "
        lines.append(lhs + " \\\\\n&\\quad + ".join(chunks))
    return (
        "\n\\subsection{Output elements in symbols}\n\n"
        + ("Every output element" if flat.size <= 8 else "Some output elements")
        + " in terms of the input and weight symbols (subscripts: channel(s), then position), as SymPy "
        + (
            "computes them.\n"
            if flat.size <= 8
            else "computes them: those with the most terms"
            + (", which together use every weight.\n" if len(seen) == ws.size else ".\n")
        )
        + environment("align*", join(" \\\\\n", lines), mode="display")
        + "\n"
    )


def _class_options(options: str | Sequence[str]) -> str:
    items = [options] if isinstance(options, str) else list(options)
    items = [o.strip() for item in items for o in str(item).split(",") if o.strip()]
    for o in items:
        if not _OPTION.fullmatch(o):
            raise ValueError(
                f"documentclass_options must be letters, digits, '.', '=' or '-' (e.g. '11pt', 'a4paper'); got {o!r}"
            )
    return ",".join(items)


def proof_document(
    weight_shape: Sequence[int] | None = None,
    input_shape: Sequence[int] | None = None,
    stride: IntOrSeq = 2,
    *,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    weight: ArrayLike | None = None,
    x: ArrayLike | None = None,
    symbol_names: Mapping[str, str] | None = None,
    index_base: int = 0,
    documentclass_options: str | Sequence[str] = ("a4paper", "11pt"),
    title: str | None = None,
    standalone: bool = True,
    max_rows: int = 12,
    max_cols: int = 12,
) -> Tex:
    r"""A LaTeX proof of the flipped-kernel equivalence, with a worked instance.

    The document states the theorem for general parameters (N spatial axes,
    stride, padding, dilation, output padding, groups), proves it from the
    SymPy-checked steps of ``tconvmat.symbolic.derivation("flipped_kernel")``
    (each step says how it was verified), proves the output-length lemma from
    ``derivation("output_length")``, and works through the given parameters: the
    matrix ``C`` (:func:`tconvmat.conv_transpose_matrix`), ``x``, ``y = Cᵀx``, the
    scatter picture, the flipped-kernel picture, the sparsity pattern of ``C``, and
    ``y`` by the three routes of :func:`tconvmat.conv_transpose`, which are checked
    to be equal before anything is written.

    Parameters
    ----------
    weight_shape : sequence of int, default (1, 1, 3) or ``weight.shape``
        Conv-transpose layout ``(C_in, C_out/groups, *kernel)``.
    input_shape : sequence of int, default (1, 2) or ``x.shape``
        ``(C_in, *spatial)``, no batch axis.
    stride, padding, output_padding, groups, dilation
        As in :func:`tconvmat.conv_transpose` (zero padding).
    weight, x : array_like, optional
        The numbers; default ``1, 2, 3, …`` in row-major order, so every number in
        the document is an exact integer.
    symbol_names : mapping, optional
        Names for ``"x"``, ``"w"``, ``"y"``, ``"C"``; anything is allowed (it is
        escaped); a :class:`~tconvmat.latex.Tex`, e.g. ``Tex(r"\theta")``, is LaTeX used as is.
    index_base : {0, 1}
        First index in the worked instance (labels, element symbols).  The general
        statements number from 0.
    documentclass_options : str or sequence of str
        Options of ``\documentclass{article}``, e.g. ``("a4paper", "11pt")``.
    title : str, optional
        Escaped.
    standalone : bool
        ``True``: a complete document.  ``False``: the body only, for ``\input``
        into a document that loads ``amsmath``, ``amsthm`` and ``tikz`` and defines
        the ``theorem``, ``lemma`` and ``definition`` environments.
    max_rows, max_cols : int
        Elision limits for ``C`` and the vectors.

    Returns
    -------
    Tex
        The LaTeX source; the same input gives the same bytes.

    Raises
    ------
    ConvolutionSpecError
        For invalid parameters.
    ImportError
        If ``tconvmat.symbolic`` (the derivations) is unavailable.

    Examples
    --------
    >>> from tconvmat import latex
    >>> tex = latex.proof_document(weight_shape=(1, 1, 3), input_shape=(1, 2), stride=2)
    >>> tex.startswith("% Generated by tconvmat"), tex.rstrip().endswith(r"\end{document}")
    (True, True)
    """
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1; got index_base={index_base!r}")
    w = np.asarray(weight) if weight is not None else None
    xa = np.asarray(x) if x is not None else None
    wshape = tuple(weight_shape) if weight_shape is not None else (w.shape if w is not None else (1, 1, 3))
    ishape = tuple(input_shape) if input_shape is not None else (xa.shape if xa is not None else (1, 2))
    spec = conv_transpose_spec(
        wshape,
        ishape,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    if w is None:
        w = _default_data(spec.weight_shape)
    elif w.shape != spec.weight_shape:
        raise ValueError(f"weight must have shape weight_shape={spec.weight_shape}; got shape {w.shape}")
    if xa is None:
        xa = _default_data(spec.input_shape)
    elif xa.shape != spec.input_shape:
        raise ValueError(f"x must have shape input_shape={spec.input_shape}; got shape {xa.shape}")
    names = _names(symbol_names)
    kw = dict(
        stride=spec.stride,
        padding=spec.padding,
        output_padding=spec.output_padding,
        groups=spec.groups,
        dilation=spec.dilation,
    )

    # The numbers, three ways, checked equal.
    C = conv_transpose_matrix(w, spec.input_shape, **kw)
    y_matrix = np.asarray(C.T @ xa.reshape(-1)).reshape(spec.output_shape)
    y_scatter = conv_transpose(xa, w, method="scatter", **kw)
    y_flipped = conv_transpose(xa, w, method="flipped", **kw)
    exact = all(np.issubdtype(a.dtype, np.integer) for a in (w, xa))
    same = (
        (lambda a, b: np.array_equal(a, b))
        if exact
        else (lambda a, b: np.allclose(a, b, rtol=1e-12, atol=1e-12))
    )
    if not (same(y_matrix, y_scatter) and same(y_matrix, y_flipped)):
        raise RuntimeError(
            "the three routes to the transposed convolution disagree for "
            f"{spec}; this is a bug in tconvmat, please report it"
        )
    eq = equivalent_conv(w, spec.input_shape, **kw)

    appendix = Appendix()
    general = _general({k: v for k, v in names.items() if k != "C"}, appendix)
    general["index_note"] = (
        f" In the worked instance of Section~\\ref{{sec:instance}} the symbols' indices start at {index_base}."
        if index_base
        else ""
    )

    xs, ws, slice_note = _slice(spec, xa, w, 8)
    last = spec.ndim - 1
    one_d = (
        dict(
            stride=spec.stride,
            padding=spec.padding,
            output_padding=spec.output_padding,
            dilation=spec.dilation,
            index_base=index_base,
            symbol_names=symbol_names,
        )
        if spec.ndim == 2
        else dict(
            stride=spec.stride[last],
            padding=spec.padding[last],
            output_padding=spec.output_padding[last],
            dilation=spec.dilation[last],
            index_base=index_base,
            symbol_names=symbol_names,
        )
    )
    P_l, P_r = spec.flipped_pads[last]
    n_rows, n_cols = C.shape
    zero = "0" if n_cols <= 8 else "cdot"
    window = _window(C, max_rows, max_cols)
    product_window = _window(C, max_cols, min(max_rows, 8))  # Cᵀ: outputs down, inputs across
    instance = _template("instance.tex").substitute(
        params_table=_params_table(spec),
        lengths=_lengths(spec),
        weight_name=names["w"],
        x_name=names["x"],
        y_name=names["y"],
        matrix_name=names["C"],
        weight_tex=_grids(w, names["w"], 2, max_cols),
        x_tex=_grids(xa, names["x"], 1, max_cols),
        matrix_shape=f"{n_rows} \\times {n_cols}",
        matrix_elided=(
            ""
            if window is None
            else ", shown around the output with the most inputs: the outputs (columns) labelled on top "
            "and every input (row) that reaches them"
        ),
        matrix_tex=(
            matrix(C, max_rows=max_rows, max_cols=max_cols, zero=zero)
            if window is None
            else matrix(C, rows=window[0], cols=window[1], zero=zero, labels=True, index_base=index_base)
        ),
        sparsity=sparsity_picture(
            spec if spec.ndim <= 2 else C,  # the figure model draws 1-D and 2-D; 3-D: C, uniformly shaded
            max_rows=max(24, min(n_rows, 64)),  # the whole pattern when it fits, not two empty corners
            max_cols=max(24, min(n_cols, 128)),
            index_base=index_base,
            symbol_names=symbol_names,
        ),
        sparsity_elided=(" (first and last rows and columns)" if n_rows > 64 or n_cols > 128 else ""),
        product=transpose_product(
            C,
            xa.reshape(-1),
            y_matrix.reshape(-1),
            max_rows=max_rows,
            max_cols=min(max_cols, 8),  # Cᵀ, x and y side by side
            zero=zero,
            symbol_names=symbol_names,
            inputs=None if product_window is None else product_window[0],
            outputs=None if product_window is None else product_window[1],
        ),
        slice_note=slice_note,
        scatter=scatter_picture(xs, ws, **one_d),
        flipped=flipped_picture(xs, ws, position=_busiest(xs, ws, one_d), **one_d),
        pads_text=(
            f"\\(P_l = {P_l}\\) zeros before and \\(P_r = {P_r}\\) after"
            if spec.ndim != 2
            else f"\\(P_l = {_seq([a for a, _ in spec.flipped_pads])}\\) zeros before and "
            f"\\(P_r = {_seq([b for _, b in spec.flipped_pads])}\\) after on the two axes"
        ),
        scatter_note=slice_note
        + (
            " In two dimensions the picture shows the input with one element highlighted, the copy of "
            "the kernel it drops into the output, and the output, the sum of every copy."
            if spec.ndim == 2
            else ""
        ),
        upsample=f"\\(s = {_seq(eq.upsample)}\\)",
        pads_all=f"\\(P_l = {_seq([a for a, _ in eq.pads])}\\), \\(P_r = {_seq([b for _, b in eq.pads])}\\)",
        dilation=f"\\(d = {_seq(eq.dilation)}\\)",
        groups=f"\\(g = {eq.groups}\\)",
        flipped_weight=_grids(np.asarray(eq.weight), names["w"] + "'", 2, max_cols),
        expressions=_expressions(spec, names, index_base),
        y_tex=_grids(y_matrix, names["y"], 1, max_cols),
        arithmetic="in exact integer arithmetic"
        if exact
        else "in floating point (the data are not integers)",
        agreement="All three are equal" if exact else "All three agree to within \\(10^{-12}\\)",
    )
    body = _template("proof_body.tex").substitute(
        general, instance=instance, macros=macros(), appendix=appendix.tex()
    )
    if not standalone:
        return Tex(body, "text")
    import tconvmat

    doc = _template("proof.tex").substitute(
        version=tconvmat.__version__,
        what="a proof of the flipped-kernel equivalence of transposed convolution, with a worked instance",
        class_options=_class_options(documentclass_options),
        title=escape(DEFAULT_TITLE if title is None else title),
        body=body,
    )
    return Tex(doc, "text")
