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
from types import ModuleType
from typing import Any

import numpy as np
import sympy
from numpy.typing import ArrayLike

from ..matrix import conv_transpose_matrix
from ..ops import conv_transpose, equivalent_conv
from ..spec import ConvTransposeSpec, IntOrSeq, PaddingArg, conv_transpose_spec, input_index
from ._builder import Tex, environment, escape, join, prose
from ._fragments import (
    DerivationLike,
    StepLike,
    _latex,
    _names,
    _standing,
    expressions,
    matrix,
    transpose_product,
    vector,
)
from ._pictures import flipped_picture, scatter_picture, sparsity_picture

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


def _symbolic() -> ModuleType:
    """``tconvmat.symbolic`` with its derivations, or a clear ImportError."""
    try:
        from .. import symbolic
    except ImportError as exc:
        raise ImportError(
            "proof_document needs tconvmat.symbolic, whose SymPy-checked derivations are the proof; "
            f"it could not be imported ({exc})"
        ) from exc
    if not callable(getattr(symbolic, "derivation", None)):
        raise ImportError(
            "proof_document needs tconvmat.symbolic.derivation(name) (the SymPy-checked derivations "
            "'output_length' and 'flipped_kernel'); this tconvmat.symbolic does not provide it"
        )
    return symbolic


def _param(symbolic: ModuleType, name: str) -> sympy.Symbol:
    params = getattr(symbolic, "PARAMS", None)
    found = getattr(params, name, None)
    return found if found is not None else sympy.Symbol(name, integer=True)


# ---------------------------------------------------------------------------
# Pieces of the general part
# ---------------------------------------------------------------------------


def _tuple(values: Sequence[Any]) -> str:
    return "(" + ", ".join(str(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def macros() -> str:
    """The document's helper macros (``\tcmdisplay``), safe to include more than once."""
    return _template("macros.tex").substitute()


def _display(tex: str) -> str:
    """A display that is scaled down to the line width if wider (``\tcmdisplay``, in the template)."""
    return "\\tcmdisplay{" + tex + "}"


def _step_mark(step: StepLike) -> str:
    """How a step stands, for the reader: proved by SymPy, a definition, a citation, or not proved."""
    standing = _standing(step)
    if standing == "verified":
        return r"\emph{Verified by SymPy: " + prose(step.check) + ".}"
    if standing == "failed":
        return r"\textbf{SymPy could not verify this step} (attempted: " + prose(step.check) + ")."
    if standing == "given":
        return r"\emph{" + prose(step.check[:1].upper() + step.check[1:]) + ".}"
    return r"\textbf{Not verified by SymPy:} " + prose(step.check) + "."


def _steps(d: DerivationLike, names: Mapping[str, str]) -> str:
    """A derivation as a numbered list: justification, statement, how it stands (:func:`_step_mark`)."""
    items = []
    for step in d.steps:
        mark = _step_mark(step)
        items.append(
            r"\item "
            + prose(step.justification)
            + ":\n"
            + _display(_latex(step.statement, names))
            + "\n"
            + mark
        )
    summary = _summary(d.steps)
    if not items:
        return summary
    return environment("enumerate", join("\n", items, "text"), mode="text") + "\n" + summary


def _summary(steps: Sequence[StepLike]) -> str:
    """One sentence: how many steps SymPy verified, and what the others are."""
    standings = [_standing(s) for s in steps]
    n = len(steps)
    proved, given = standings.count("verified"), standings.count("given")
    rest = n - proved - given
    parts = [f"{proved} of the {n} steps were verified by SymPy when this document was generated"]
    if given:
        parts.append(
            f"{given} {'is a definition or citation' if given == 1 else 'are definitions or citations'}"
        )
    if rest:
        parts.append(
            rf"\textbf{{{rest} {'is' if rest == 1 else 'are'} not verified by SymPy}} "
            "(argued in words or checked numerically, and marked so)"
        )
    return "; ".join(parts) + "."


def _general(symbolic: ModuleType, names: Mapping[str, str]) -> dict[str, str]:
    """The general part: every statement and step from the symbolic layer's derivations."""
    length = symbolic.derivation("output_length")
    element = symbolic.derivation("matrix_element")
    flipped = symbolic.derivation("flipped_kernel")
    L, K, s, p, d, op = (_param(symbolic, n) for n in ("L_in", "K", "s", "p", "d", "op"))
    i, j, k, P_l, P_r = (_param(symbolic, n) for n in ("i", "j", "k", "P_l", "P_r"))
    # The pads come from the spec (the one source of truth), evaluated on symbols.
    sym_spec = ConvTransposeSpec(1, 1, (K,), (L,), (s,), ((p, p),), (op,), (d,))
    ((left, right),) = sym_spec.flipped_pads
    pads = r",\qquad ".join(
        _latex(sympy.Eq(lhs, v, evaluate=False)) for lhs, v in ((P_l, left), (P_r, right))
    )
    W, Wp = sympy.IndexedBase("W"), sympy.IndexedBase("W'")
    gamma, a, b, kappa, m, n = sympy.symbols("gamma a b kappa m n", integer=True)
    weight = sympy.Eq(Wp[gamma * m + a, b, kappa], W[gamma * n + b, a, K - 1 - kappa], evaluate=False)
    return {
        "index_relation": _latex(sympy.Eq(j, input_index(i, k, s, d, p), evaluate=False), names),
        "element_title": escape(element.title.rstrip(".")),
        "element_statement": _display(_latex(element.statement, names)),
        "element_proof": _steps(element, names),
        "length_title": escape(length.title.rstrip(".")),
        "length_statement": _display(_latex(length.statement, names)),
        "length_proof": _steps(length, names),
        "theorem_pads": _display(pads),
        "theorem_weight": _display(_latex(weight)),
        "theorem_identity": _display(_latex(flipped.statement, names)),
        "flipped_proof": _steps(flipped, names),
    }


# ---------------------------------------------------------------------------
# The worked instance
# ---------------------------------------------------------------------------


def _default_data(shape: tuple[int, ...]) -> np.ndarray:
    return np.arange(1, math.prod(shape) + 1, dtype=np.int64).reshape(shape)


def _lengths(spec: ConvTransposeSpec, symbolic: ModuleType, statement: Any) -> str:
    L, K, s, p, d, op = (_param(symbolic, n) for n in ("L_in", "K", "s", "p", "d", "op"))
    lines = []
    for axis in range(spec.ndim):
        (pb, pa), n_out = spec.padding[axis], spec.output_size[axis]
        values = {
            L: spec.input_size[axis],
            K: spec.kernel_size[axis],
            s: spec.stride[axis],
            d: spec.dilation[axis],
            op: spec.output_padding[axis],
        }
        note = ""
        if pb == pa:
            values[p] = pb
            rhs = getattr(statement, "rhs", None)
            got = rhs.xreplace(values) if isinstance(rhs, sympy.Basic) else None
            if isinstance(got, sympy.Integer) and int(got) != n_out:
                raise RuntimeError(
                    f"the output-length lemma gives {got} but the spec gives {n_out} on axis {axis}: "
                    "tconvmat.symbolic and tconvmat.spec disagree"
                )
        else:
            # on a line of its own: beside the substitutions it runs past the margin
            note = (
                rf"\text{{asymmetric: }} p_{{\mathrm{{before}}}} + p_{{\mathrm{{after}}}} = {pb} + {pa}"
                r" \text{ in place of } 2p"
            )
        subs = ",\\ ".join(f"{_latex(sym)} = {v}" for sym, v in values.items())
        prefix = rf"\text{{axis {axis}: }}\ " if spec.ndim > 1 else ""
        lines.append(rf"{prefix}L_{{\mathrm{{out}}}} = {n_out} \quad ({subs})")
        if note:
            lines.append(note)
    return r" \\ ".join(lines) if len(lines) == 1 else environment("gathered", join(" \\\\\n", lines))


def _params_table(spec: ConvTransposeSpec) -> Tex:
    pads = (
        _tuple([pb for pb, _ in spec.padding])
        if all(pb == pa for pb, pa in spec.padding)
        else _tuple([f"({pb}, {pa})" for pb, pa in spec.padding])
    )
    rows = [
        (
            "weight shape \\((C_{\\mathrm{in}}, C_{\\mathrm{out}}/g, K_1, \\dots)\\)",
            _tuple(spec.weight_shape),
        ),
        ("input shape \\((C_{\\mathrm{in}}, L_1, \\dots)\\)", _tuple(spec.input_shape)),
        ("stride \\(s\\)", _tuple(spec.stride)),
        ("padding \\(p\\)", pads),
        ("output padding \\(\\mathit{op}\\)", _tuple(spec.output_padding)),
        ("dilation \\(d\\)", _tuple(spec.dilation)),
        ("groups \\(g\\)", str(spec.groups)),
        ("output shape \\((C_{\\mathrm{out}}, L_{\\mathrm{out}}, \\dots)\\)", _tuple(spec.output_shape)),
    ]
    body = join(" \\\\\n", (f"{name} & \\({value}\\)" for name, value in rows), "text")
    return environment("tabular", body, "ll", mode="text")


def _slice(spec: ConvTransposeSpec, x: np.ndarray, w: np.ndarray, max_inputs: int) -> tuple[Any, Any, str]:
    """Input channel 0 → output channel 0, along the last axis, other indices 0; and what to say."""
    lead = (0,) * (spec.ndim - 1)
    xs, ws = x[(0, *lead)], w[(0, 0, *lead)]
    note = ""
    if spec.ndim > 1 or spec.in_channels > 1 or spec.out_channels > 1:
        where = "along the last spatial axis, " if spec.ndim > 1 else ""
        note = (
            " For this instance the picture shows one 1-D slice: input channel 0 to output channel 0, "
            + where
            + "with every other input and kernel index at 0; its bottom row is the transposed "
            "convolution of that slice alone, and the full output adds up such slices over "
            "every kernel row and channel."
        )
    if len(xs) > max_inputs:
        note += (
            f" Only the first {max_inputs} of the {len(xs)} input elements are drawn, and the bottom "
            "row is their transposed convolution."
        )
    return xs, ws, note


def _symbols(shape: tuple[int, ...], tag: str, base: int) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        out[index] = sympy.Symbol(f"{tag}_" + ",".join(str(v + base) for v in index))
    return out


def _expressions(spec: ConvTransposeSpec, symbolic: ModuleType, names: Mapping[str, str], base: int) -> str:
    fn = getattr(symbolic, "conv_transpose_expressions", None)
    if fn is None:
        return ""
    if math.prod(spec.input_shape) * math.prod(spec.kernel_size) * (spec.out_channels // spec.groups) > (
        _EXPRESSION_BUDGET
    ):
        return ""
    xs = _symbols(spec.input_shape, "x", base)
    ws = _symbols(spec.weight_shape, "w", base)
    exprs = fn(
        xs,
        ws,
        stride=spec.stride,
        padding=spec.padding,
        output_padding=spec.output_padding,
        groups=spec.groups,
        dilation=spec.dilation,
    )
    return (
        "\n\\subsection{Every output element}\n\n"
        "In terms of the input and weight symbols (subscripts: channel(s), then position), as "
        "SymPy computes them:\n"
        + expressions(exprs, name=names["y"], index_base=base, max_items=8, symbol_names=names)
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
    symbolic = _symbolic()
    w = np.asarray(weight) if weight is not None else None
    xa = np.asarray(x) if x is not None else None
    wshape = tuple(weight_shape) if weight_shape is not None else (w.shape if w is not None else (1, 1, 3))
    ishape = tuple(input_shape) if input_shape is not None else (xa.shape if xa is not None else (1, 2))
    spec = conv_transpose_spec(wshape, ishape, stride, padding, output_padding, groups, dilation)
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

    general = _general(symbolic, {k: v for k, v in names.items() if k != "C"})
    general["index_note"] = (
        f" In the worked instance of Section~\\ref{{sec:instance}} indices start at {index_base}."
        if index_base
        else ""
    )

    xs, ws, slice_note = _slice(spec, xa, w, 8)
    last = spec.ndim - 1
    one_d = dict(
        stride=spec.stride[last],
        padding=spec.padding[last],
        output_padding=spec.output_padding[last],
        dilation=spec.dilation[last],
        index_base=index_base,
        symbol_names=symbol_names,
    )
    P_l, P_r = spec.flipped_pads[last]
    n_rows, n_cols = C.shape
    zero = "0" if n_cols <= 8 else "cdot"
    instance = _template("instance.tex").substitute(
        params_table=_params_table(spec),
        lengths=_lengths(spec, symbolic, symbolic.derivation("output_length").statement),
        weight_name=names["w"],
        x_name=names["x"],
        y_name=names["y"],
        matrix_name=names["C"],
        weight_tex=vector(w, row=True, max_rows=max_cols),
        x_tex=vector(xa, row=True, max_rows=max_cols),
        matrix_shape=f"{n_rows} \\times {n_cols}",
        matrix_elided=(
            ", shown by its first and last rows and columns" if n_rows > max_rows or n_cols > max_cols else ""
        ),
        matrix_tex=matrix(C, max_rows=max_rows, max_cols=max_cols, zero=zero),
        sparsity=sparsity_picture(spec, index_base=index_base, symbol_names=symbol_names),
        sparsity_elided=(" (first and last rows and columns)" if n_rows > 24 or n_cols > 24 else ""),
        product=transpose_product(
            C,
            xa.reshape(-1),
            y_matrix.reshape(-1),
            max_rows=max_rows,
            max_cols=min(max_cols, 8),  # Cᵀ, x and y side by side
            zero=zero,
            symbol_names=symbol_names,
        ),
        slice_note=slice_note,
        scatter=scatter_picture(xs, ws, **one_d),
        flipped=flipped_picture(xs, ws, **one_d),
        pads_text=f"\\(P_l = {P_l}\\) zeros before and \\(P_r = {P_r}\\) after",
        upsample=f"\\({_tuple(eq.upsample)}\\)",
        pads_all=f"\\({_tuple([_tuple(pair) for pair in eq.pads])}\\)",
        dilation=f"\\({_tuple(eq.dilation)}\\)",
        groups=f"\\({eq.groups}\\)",
        flipped_weight=vector(eq.weight, row=True, max_rows=max_cols),
        expressions=_expressions(spec, symbolic, names, index_base),
        y_tex=vector(y_matrix, row=True, max_rows=max_cols),
        arithmetic="in exact integer arithmetic"
        if exact
        else "in floating point (the data are not integers)",
        agreement="All three are equal" if exact else "All three agree to within \\(10^{-12}\\)",
    )
    body = _template("proof_body.tex").substitute(general, instance=instance, macros=macros())
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
