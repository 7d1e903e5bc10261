"""Exact symbolic convolution with SymPy: element expressions, formulas, checked derivations.

Everything here derives from the index relation :func:`tconvmat.spec.input_index`
(``i = o·s + k·d − p``) and the shape formulas built on it; nothing is re-typed.

- :func:`conv_expressions`, :func:`conv_transpose_expressions`: every output element
  as a SymPy expression, for symbolic and/or numeric inputs and weights, built from the
  sparse structure of ``C`` (:mod:`tconvmat.matrix`), never by multiplying dense SymPy
  matrices.
- :func:`conv_matrix`, :func:`conv_transpose_matrix`: ``C`` as a ``sympy.SparseMatrix``.
- :data:`PARAMS` and the parametric formulas (:func:`transposed_length`,
  :func:`forward_length`, :func:`element_formula`, :func:`flipped_pads`,
  :func:`overlap_count`).
- :func:`derivation`: ordered, machine-checked steps (:class:`Derivation`,
  :class:`Step`) for the output length, the ``Cᵀx`` element formula, the flipped-kernel
  equivalence and the round trip of the shapes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import sympy
from numpy.typing import ArrayLike, NDArray
from sympy.simplify.simplify import factor_sum

from ._core import pattern as _pattern
from .spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    conv_output_length,
    conv_spec,
    conv_transpose_output_length,
    conv_transpose_spec,
    input_index,
)

__all__ = [
    "PARAMS",
    "Derivation",
    "Step",
    "conv_expressions",
    "conv_matrix",
    "conv_transpose_expressions",
    "conv_transpose_matrix",
    "derivation",
    "derivations",
    "element_formula",
    "flipped_pads",
    "forward_length",
    "input_symbols",
    "overlap_count",
    "transposed_length",
    "verify_equal",
    "weight_symbols",
]

# ---------------------------------------------------------------------------
# Symbols
# ---------------------------------------------------------------------------


def _names(shape: tuple[int, ...], name: str) -> list[str]:
    """``x0, x1, …`` for one non-trivial axis, ``x_{c,i,j}`` otherwise."""
    axes = [a for a, n in enumerate(shape) if n != 1]
    out = []
    for idx in np.ndindex(*shape):
        if len(axes) <= 1:
            out.append(f"{name}{idx[axes[0]] if axes else 0}")
        else:
            out.append(f"{name}_{{{','.join(str(v) for v in idx)}}}")
    return out


def _symbols(shape: Sequence[int], name: str, **assumptions: bool) -> NDArray[np.object_]:
    shp = tuple(int(v) for v in shape)
    flat = [sympy.Symbol(n, **assumptions) for n in _names(shp, name)]
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return arr.reshape(shp)


def input_symbols(shape: Sequence[int], name: str = "x") -> NDArray[np.object_]:
    """An object array of SymPy symbols in the input layout ``(C, *spatial)``.

    Examples
    --------
    >>> input_symbols((1, 2))
    array([[x0, x1]], dtype=object)
    >>> input_symbols((2, 2))[1, 0]
    x_{1,0}
    """
    return _symbols(shape, name)


def weight_symbols(shape: Sequence[int], name: str = "w") -> NDArray[np.object_]:
    """An object array of SymPy symbols in any weight layout.

    Examples
    --------
    >>> weight_symbols((1, 1, 3))
    array([[[w0, w1, w2]]], dtype=object)
    """
    return _symbols(shape, name)


def _obj(a: ArrayLike) -> NDArray[np.object_]:
    arr = np.asarray(a)
    if arr.dtype != object:
        arr = arr.astype(object)
    return arr


# ---------------------------------------------------------------------------
# Element expressions and the symbolic matrix, from the sparse structure
# ---------------------------------------------------------------------------


def _entries(
    spec: ConvSpec,
    weight: NDArray[np.object_],
    rows_size: tuple[int, ...],
    below: tuple[bool, int] | None = None,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.object_]]:
    """Rows, columns and (symbolic) values of every stored entry of ``C``, in CSR order.

    The pattern of one output channel is shared by all of them (``_pattern``); the
    values are gathered from the weight per tap, summed where a padding mode sends
    several taps to one column (a loop over taps, not entries).  ``below=(by_column,
    n)`` keeps only the entries in the first ``n`` columns (or rows), selected on the
    integer indices before any SymPy object is made.
    """
    pattern = _pattern(spec, rows_size)
    c_out, groups = spec.out_channels, spec.groups
    block = (spec.in_channels // groups) * math.prod(spec.input_size)
    n_spatial = math.prod(rows_size)
    w = weight.reshape(c_out, -1)
    taps_of = pattern.entry_taps().tocsr()
    counts = np.diff(taps_of.indptr)
    row_spatial = np.repeat(np.arange(n_spatial), pattern.row_counts)
    rows = np.arange(c_out)[:, None] * n_spatial + row_spatial[None, :]
    cols = (np.arange(c_out) // (c_out // groups))[:, None] * block + pattern.cols[None, :]
    if below is None:
        keep = np.ones(rows.shape, dtype=bool)
    else:
        keep = (cols if below[0] else rows) < below[1]
    channel, entry = np.nonzero(keep)  # row-major: CSR order
    values = np.empty(entry.size, dtype=object)
    values[:] = sympy.Integer(0)
    for j in range(int(counts.max()) if counts.size else 0):
        has = counts[entry] > j
        tap = taps_of.indices[taps_of.indptr[:-1][entry[has]] + j]
        values[has] = values[has] + w[channel[has], tap] if j else w[channel[has], tap]
    return rows[channel, entry], cols[channel, entry], values


_sortkey = functools.cmp_to_key(sympy.Basic.compare)
_is_symbol = np.frompyfunc(lambda v: isinstance(v, sympy.Symbol) and v.is_commutative, 1, 1)
_canonical_mul = np.frompyfunc(
    lambda a, b: sympy.Mul._from_args((a, b) if sympy.Basic.compare(a, b) < 0 else (b, a)), 2, 1
)


def _all_symbols(a: NDArray[np.object_]) -> bool:
    return bool(a.size == 0 or np.all(_is_symbol(a).astype(bool)))


def _products(
    values: NDArray[np.object_], sample: NDArray[np.object_], distinct: bool
) -> NDArray[np.object_]:
    """``values * sample`` elementwise.  For distinct plain symbols, the canonical ``Mul``
    is built directly (what ``a*b`` evaluates to: the two symbols in SymPy's order)."""
    if distinct and _all_symbols(values) and _all_symbols(sample):
        return _canonical_mul(values, sample)  # type: ignore[no-any-return]
    return values * sample  # type: ignore[no-any-return]


def _sum_by(
    index: NDArray[np.intp], terms: NDArray[np.object_], n: int, distinct: bool
) -> NDArray[np.object_]:
    """``out[m] = Σ terms[index == m]`` as SymPy sums (zeros where nothing lands).

    With ``distinct`` (products of distinct symbols, no like terms), the canonical ``Add``
    is built directly from its sorted terms, what ``sympy.Add(*terms)`` evaluates to.
    """
    order = np.argsort(index, kind="stable")
    index, terms = index[order], terms[order]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]]) if index.size else np.zeros(0, int)
    out = np.empty(n, dtype=object)
    out[:] = sympy.Integer(0)
    if index.size:
        groups = np.split(terms, starts[1:])
        fast = distinct and all(isinstance(t, sympy.Mul) for t in terms[:1])
        if fast:
            sums = [
                g[0] if len(g) == 1 else sympy.Add._from_args(tuple(sorted(g, key=_sortkey))) for g in groups
            ]
        else:
            sums = [sympy.Add(*g) for g in groups]
        out[index[starts]] = sums
    return out


def _distinct(spec: ConvSpec, weight: NDArray[np.object_], x: NDArray[np.object_]) -> bool:
    """Zero padding puts one tap on each entry: the products of an output are distinct
    (different taps or inputs) unless the user's symbols repeat."""
    names = [*weight.ravel().tolist(), *x.ravel().tolist()]
    return spec.padding_mode == "zeros" and len(set(names)) == len(names)


def _outputs(
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    values: NDArray[np.object_],
    sample: NDArray[np.object_],
    transpose: bool,
    n_out: int,
    distinct: bool,
) -> NDArray[np.object_]:
    """``C x`` (or ``Cᵀ x``) of one flat sample, from the entries of ``C``."""
    src, dst = (rows, cols) if transpose else (cols, rows)
    return _sum_by(dst, _products(values, sample[src], distinct), n_out, distinct)


def _batched(x: NDArray[np.object_], ndim: int) -> tuple[NDArray[np.object_], bool]:
    if x.ndim == ndim + 1:
        return x[None], True
    if x.ndim == ndim + 2:
        return x, False
    raise ConvolutionSpecError(
        f"input must be {ndim + 1}-d (C, *spatial) or {ndim + 2}-d (N, C, *spatial) for a "
        f"{ndim + 2}-d weight; got input shape {x.shape}"
    )


def _apply(
    spec: ConvSpec,
    weight: NDArray[np.object_],
    rows_size: tuple[int, ...],
    x: NDArray[np.object_],
    transpose: bool,
    bias: ArrayLike | None,
    out_shape: tuple[int, ...],
) -> NDArray[np.object_]:
    xb, unbatched = _batched(x, spec.ndim)
    rows, cols, values = _entries(spec, weight, rows_size)
    n_out = math.prod(out_shape)
    distinct = _distinct(spec, weight, xb)
    ys = [
        _outputs(rows, cols, values, sample, transpose, n_out, distinct)
        for sample in xb.reshape(xb.shape[0], -1)
    ]
    y = np.stack(ys).reshape(xb.shape[0], *out_shape) if ys else np.empty((0, *out_shape), dtype=object)
    if bias is not None:
        b = _obj(bias)
        if b.shape != (out_shape[0],):
            raise ConvolutionSpecError(
                f"bias must be 1-d with out_channels={out_shape[0]} elements; got bias shape {b.shape}"
            )
        y = y + b.reshape((-1,) + (1,) * spec.ndim)
    return y[0] if unbatched else y


def _leading(
    spec: ConvSpec | ConvTransposeSpec, x: ArrayLike, weight: ArrayLike, count: int
) -> NDArray[np.object_]:
    """The first ``count`` elements of the flattened output for one unbatched input ``x``.

    Only the entries of ``C`` that reach them are made into SymPy objects, so showing a
    few elements of a large problem costs a few expressions (``tconvmat explain``).
    """
    xo, w = _obj(x).ravel(), _obj(weight)
    transpose = isinstance(spec, ConvTransposeSpec)
    fwd, rows_size = (spec.adjoint, spec.input_size) if transpose else (spec, spec.output_size)
    count = min(count, math.prod(spec.output_shape))
    rows, cols, values = _entries(fwd, w, rows_size, below=(transpose, count))
    return _outputs(rows, cols, values, xo, transpose, count, _distinct(fwd, w, xo))


def conv_expressions(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> NDArray[np.object_]:
    """Every output element of a convolution as a SymPy expression.

    Arguments as :func:`tconvmat.conv`; ``x`` and ``weight`` may hold SymPy expressions,
    numbers, or both.

    Examples
    --------
    >>> conv_expressions(input_symbols((1, 4)), weight_symbols((1, 1, 2)), stride=2)
    array([[w0*x0 + w1*x1, w0*x2 + w1*x3]], dtype=object)
    """
    xo, w = _obj(x), _obj(weight)
    spec = conv_spec(w.shape, xo.shape[-(w.ndim - 1) :], stride, padding, dilation, groups, padding_mode)
    return _apply(spec, w, spec.output_size, xo, False, bias, spec.output_shape)


def conv_transpose_expressions(
    x: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    output_size: Sequence[int] | None = None,
    padding_mode: str = "zeros",
) -> NDArray[np.object_]:
    """Every output element of a transposed convolution as a SymPy expression (``Cᵀx``).

    Arguments as :func:`tconvmat.conv_transpose`.

    Examples
    --------
    The learner's example with symbols:

    >>> x = input_symbols((1, 2)); w = weight_symbols((1, 1, 3))
    >>> conv_transpose_expressions(x, w, stride=2)
    array([[w0*x0, w1*x0, w0*x1 + w2*x0, w1*x1, w2*x1]], dtype=object)
    >>> conv_transpose_expressions(np.array([[1, 1]]), w, stride=1)
    array([[w0, w0 + w1, w1 + w2, w2]], dtype=object)
    """
    xo, w = _obj(x), _obj(weight)
    spec = conv_transpose_spec(
        w.shape,
        xo.shape[-(w.ndim - 1) :],
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        output_size,
        padding_mode,
    )
    return _apply(spec.adjoint, w, spec.input_size, xo, True, bias, spec.output_shape)


def _sparse(spec: ConvSpec, w: NDArray[np.object_], rows_size: tuple[int, ...]) -> sympy.SparseMatrix:
    rows, cols, values = _entries(spec, w, rows_size)
    shape = (spec.out_channels * math.prod(rows_size), spec.in_channels * math.prod(spec.input_size))
    return sympy.SparseMatrix(*shape, dict(zip(zip(rows.tolist(), cols.tolist()), values.tolist())))


def conv_matrix(
    weight: ArrayLike,
    input_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> sympy.SparseMatrix:
    """``C`` of a convolution as a ``sympy.SparseMatrix`` (entries may be symbolic).

    Examples
    --------
    >>> conv_matrix(weight_symbols((1, 1, 2)), (1, 3))
    Matrix([
    [w0, w1,  0],
    [ 0, w0, w1]])
    """
    w = _obj(weight)
    spec = conv_spec(w.shape, input_shape, stride, padding, dilation, groups, padding_mode)
    return _sparse(spec, w, spec.output_size)


def conv_transpose_matrix(
    weight: ArrayLike,
    input_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    output_size: Sequence[int] | None = None,
    padding_mode: str = "zeros",
) -> sympy.SparseMatrix:
    """``C`` with ``conv_transpose(x) = Cᵀx``, as a ``sympy.SparseMatrix``.

    Examples
    --------
    >>> conv_transpose_matrix(weight_symbols((1, 1, 3)), (1, 2), stride=2)
    Matrix([
    [w0, w1, w2,  0,  0],
    [ 0,  0, w0, w1, w2]])
    """
    w = _obj(weight)
    spec = conv_transpose_spec(
        w.shape, input_shape, stride, padding, output_padding, groups, dilation, output_size, padding_mode
    )
    return _sparse(spec.adjoint, w, spec.input_size)


# ---------------------------------------------------------------------------
# Parametric formulas
# ---------------------------------------------------------------------------

_pos = {"integer": True, "positive": True}
_nonneg = {"integer": True, "nonnegative": True}
PARAMS = SimpleNamespace(
    L_in=sympy.Symbol("L_in", **_pos),
    s=sympy.Symbol("s", **_pos),
    d=sympy.Symbol("d", **_pos),
    K=sympy.Symbol("K", **_pos),
    p=sympy.Symbol("p", **_nonneg),
    op=sympy.Symbol("op", **_nonneg),
    i=sympy.Symbol("i", integer=True),
    j=sympy.Symbol("j", integer=True),
    k=sympy.Symbol("k", integer=True),
    o=sympy.Symbol("o", integer=True),
    kappa=sympy.Symbol("kappa", integer=True),
    t=sympy.Symbol("t", integer=True),
    phi=sympy.Symbol("phi", **_nonneg),
    L_out=sympy.Symbol("L_out", integer=True),
    P_l=sympy.Symbol("P_l", integer=True),
    P_r=sympy.Symbol("P_r", integer=True),
)
"""Integer SymPy symbols by parameter name: ``L_in, s, d, K`` positive, ``p, op`` non-negative,
indices ``i, j, k, o, kappa, t``.  Substitute with ``expr.subs({PARAMS.s: 2, …})``."""

_x = sympy.Function("x")
_w = sympy.Function("w")


def transposed_length() -> sympy.Expr:
    """``L_out`` of a transposed convolution, from the index relation (symmetric padding ``p``).

    >>> transposed_length()
    K*d - d + op - 2*p + s*(L_in - 1) + 1
    """
    P = PARAMS
    return sympy.expand(conv_transpose_output_length(P.L_in, P.K, P.s, P.p, P.p, P.d, P.op)).collect(P.s)


def forward_length(length: sympy.Expr | None = None) -> sympy.Expr:
    """``L_out = ⌊(L + 2p − d(K − 1) − 1)/s⌋ + 1`` of a forward convolution (from the relation).

    >>> forward_length()
    floor((L_in - d*(K - 1) + 2*p - 1)/s) + 1
    """
    P = PARAMS
    return conv_output_length(P.L_in if length is None else length, P.K, P.s, P.p, P.p, P.d)


def _source() -> sympy.Expr:
    """``i`` solved from ``j = i·s + k·d − p``: the input reaching output ``j`` through tap ``k``."""
    P = PARAMS
    (sol,) = sympy.solve(sympy.Eq(input_index(P.i, P.k, P.s, P.d, P.p), P.j), P.i)
    return sol


def element_formula() -> sympy.Eq:
    """``(Cᵀx)_j`` as a sum over taps with the divisibility and range conditions.

    >>> element_formula()
    Eq(y(j), Sum(Piecewise((w(k)*x((-d*k + j + p)/s), Eq(Mod(-d*k + j + p, s), 0) & ((-d*k + j + p)/s >= 0) & (L_in > (-d*k + j + p)/s)), (0, True)), (k, 0, K - 1)))
    """
    P = PARAMS
    i = _source()
    cond = sympy.And(sympy.Eq(sympy.Mod(sympy.numer(sympy.together(i)), P.s), 0), i >= 0, i < P.L_in)
    term = sympy.Piecewise((_w(P.k) * _x(i), cond), (0, True))
    return sympy.Eq(sympy.Function("y")(P.j), sympy.Sum(term, (P.k, 0, P.K - 1)))


def flipped_pads() -> tuple[sympy.Expr, sympy.Expr]:
    """``(P_l, P_r)`` of the equivalent stride-1 convolution, solved from the relation and lengths.

    >>> flipped_pads()
    (K*d - d - p, K*d - d + op - p)
    """
    P = PARAMS
    # Tap κ = K−1−k of the flipped kernel reads position t = j + κ·d of the padded,
    # zero-inserted input, which must be s·i + P_l with i the source of (j, k).
    (pl,) = sympy.solve(sympy.Eq(P.j + (P.K - 1 - P.k) * P.d - P.P_l, P.s * _source()), P.P_l)
    upsampled = (P.L_in - 1) * P.s + 1
    (pr,) = sympy.solve(sympy.Eq(upsampled + pl + P.P_r - P.d * (P.K - 1), transposed_length()), P.P_r)
    return sympy.expand(pl), sympy.expand(pr)


def overlap_count(phase: sympy.Expr | int | None = None) -> sympy.Expr:
    """How many taps land on an output position of phase ``φ = (j + p) mod s``.

    The taps ``k`` with ``k·d ≡ φ (mod s)``, away from the borders; uneven across phases
    (a checkerboard) unless, for ``d = 1``, ``s`` divides ``K``.  Substitute numbers and
    call ``.doit()`` to count.

    >>> overlap_count().subs({PARAMS.K: 3, PARAMS.s: 2, PARAMS.d: 1, PARAMS.phi: 0}).doit()
    2
    """
    P = PARAMS
    ph = P.phi if phase is None else phase
    return sympy.Sum(
        sympy.Piecewise((1, sympy.Eq(sympy.Mod(P.k * P.d - ph, P.s), 0)), (0, True)), (P.k, 0, P.K - 1)
    )


# ---------------------------------------------------------------------------
# Derivations as data
# ---------------------------------------------------------------------------


STEP_KINDS = ("proved", "definition", "cited", "argued", "checked")
"""What a step is: see :class:`Step`."""


@dataclass(frozen=True)
class Step:
    """One step of a derivation.

    Attributes
    ----------
    statement : sympy.Basic
        Usually ``sympy.Eq(lhs, rhs)``.
    justification : str
        One line of prose.
    check : str
        How SymPy checked it (or, for the other kinds, where it comes from).
    verified : bool
        True only if SymPy proved it for all parameter values.
    kind : {"proved", "definition", "cited", "argued", "checked"}
        ``"proved"``: a claim SymPy checked (``verified`` says whether it passed);
        ``"definition"``: a definition, with nothing to prove; ``"cited"``: a result
        proved in another derivation, named in ``check``; ``"argued"``: follows from
        the steps before it by reasoning in words that SymPy did not check;
        ``"checked"``: checked over a finite range of parameters, not proved.
    """

    statement: sympy.Basic
    justification: str
    check: str
    verified: bool
    kind: str = "proved"


@dataclass(frozen=True)
class Derivation:
    """An ordered list of steps that derives ``statement``."""

    name: str
    title: str
    statement: sympy.Basic
    steps: tuple[Step, ...]

    @property
    def verified(self) -> bool:
        """Every claim proved by SymPy: each step is proved, a definition or a citation.

        A step argued in words or checked only over a range makes this False.
        """
        return all(step.verified or step.kind in ("definition", "cited") for step in self.steps)

    def _repr_latex_(self) -> str:  # pragma: no cover - rendering lives in tconvmat.latex
        from . import latex

        return str(latex.derivation(self))


def verify_equal(lhs: sympy.Expr, rhs: sympy.Expr) -> bool:
    """``simplify(lhs − rhs) == 0``, the check every verified step passes.

    A difference SymPy cannot simplify (it raises) is not verified.

    >>> verify_equal(PARAMS.s * (PARAMS.L_in - 1) + 1, PARAMS.s * PARAMS.L_in - PARAMS.s + 1)
    True
    >>> verify_equal(PARAMS.s * PARAMS.L_in, PARAMS.s * (PARAMS.L_in - 1))
    False
    """
    try:
        return bool(sympy.simplify(sympy.expand(lhs - rhs)) == 0)
    except (sympy.PolynomialError, NotImplementedError, TypeError, ValueError):
        return False


_SIMPLIFY = "simplify(lhs − rhs) = 0 for integer parameters"


def _step(lhs: Any, rhs: Any, why: str, proof: tuple[Any, Any] | None = None, check: str = _SIMPLIFY) -> Step:
    """A step ``lhs = rhs``; verified by ``proof = (a, b)`` with ``simplify(a − b) = 0``
    (default: ``lhs`` and ``rhs`` themselves)."""
    a, b = proof if proof is not None else (lhs, rhs)
    return Step(sympy.Eq(lhs, rhs, evaluate=False), why, check, verify_equal(a, b))


def _given(lhs: Any, rhs: Any, why: str, check: str = "definition", kind: str = "definition") -> Step:
    """A step SymPy does not check: a definition, a citation, or an argument in words."""
    return Step(sympy.Eq(lhs, rhs, evaluate=False), why, check, False, kind)


def _output_length() -> Derivation:
    P = PARAMS
    j_of = input_index(P.i, P.k, P.s, P.d, P.p)
    last = input_index(P.L_in - 1, P.K - 1, P.s, P.d, P.p)
    first = input_index(0, 0, P.s, P.d, P.p)
    length = transposed_length()
    steps = (
        _given(
            P.j,
            j_of,
            "input i scatters kernel tap k to output j: the index relation read the other way",
            check="definition (tconvmat.spec.input_index)",
        ),
        _step(
            sympy.Symbol("j_max"),
            sympy.expand(last),
            "j grows with i and k (s, d > 0): the largest j takes i = L_in − 1, k = K − 1",
            proof=(j_of.subs({P.i: P.L_in - 1, P.k: P.K - 1}), last),
        ),
        _step(
            sympy.Symbol("j_min"),
            first,
            "the smallest j takes i = 0, k = 0: the first p outputs are cropped",
            proof=(j_of.subs({P.i: 0, P.k: 0}), first),
        ),
        _step(
            P.L_out,
            length,
            "the output keeps 0 … j_max, plus output_padding, less the trailing crop p",
            proof=(last + 1 + P.op - P.p, length),
        ),
        Step(
            sympy.Ne(length, sympy.expand(P.L_in * P.s - 2 * P.p + P.d * (P.K - 1) + P.op + 1)),
            "the slip L_in·s instead of (L_in − 1)·s overcounts by s: the last copy starts at (L_in − 1)·s",
            "simplify(lhs − rhs) = −s ≠ 0",
            verify_equal(length - (P.L_in * P.s - 2 * P.p + P.d * (P.K - 1) + P.op + 1), -P.s),
        ),
    )
    return Derivation(
        "output_length", "The output length of a transposed convolution", sympy.Eq(P.L_out, length), steps
    )


def _matrix_element() -> Derivation:
    P = PARAMS
    i = _source()
    C = sympy.Function("C")
    y = sympy.Function("y")
    iverson = sympy.Function("Iverson")
    bracket = iverson(sympy.Eq(P.j, input_index(P.i, P.k, P.s, P.d, P.p)))
    entry = sympy.Sum(_w(P.k) * bracket, (P.k, 0, P.K - 1))
    inner = sympy.Sum(_w(P.k) * _x(P.i) * bracket, (P.k, 0, P.K - 1))
    scatter = sympy.Sum(inner, (P.i, 0, P.L_in - 1))
    steps = (
        _given(
            C(P.i, P.j),
            entry,
            "row i of C holds tap k at column j = i·s + k·d − p (the forward convolution's matrix)",
            check="definition (tconvmat.matrix builds C from tconvmat.spec.input_index)",
        ),
        _given(
            y(P.j),
            sympy.Sum(C(P.i, P.j) * _x(P.i), (P.i, 0, P.L_in - 1)),
            "y = Cᵀx: output j sums column j of C weighted by x",
            check="definition of the transpose",
        ),
        _step(
            y(P.j),
            scatter,
            "insert the entries of C: the scatter form",
            proof=(
                sympy.Sum(entry * _x(P.i), (P.i, 0, P.L_in - 1)),
                sympy.Sum(factor_sum(inner), (P.i, 0, P.L_in - 1)),
            ),
            check="substitute C(i, j); x_i leaves the sum over k (sympy factor_sum); simplify(lhs − rhs) = 0",
        ),
        _step(
            P.i,
            i,
            "for each tap k exactly one i satisfies the relation: solve it for i",
            proof=(input_index(i, P.k, P.s, P.d, P.p), P.j),
            check="substituting i back into i·s + k·d − p gives j (simplify = 0)",
        ),
        Step(
            element_formula(),
            "so tap k contributes iff s divides j + p − k·d and the quotient is a valid input index",
            "argued in words: the Iverson bracket holds for that i only, if it is an integer in "
            "0 … L_in − 1 (SymPy does not evaluate the bracketed sum)",
            False,
            "argued",
        ),
    )
    return Derivation("matrix_element", "The element formula of Cᵀx", element_formula(), steps)


def _flipped_kernel() -> Derivation:
    P = PARAMS
    i = _source()
    pl, pr = flipped_pads()
    k_of_kappa = P.K - 1 - P.kappa
    u = sympy.Function("u")
    wp = sympy.Function("w'")
    y = sympy.Function("y")
    gather = sympy.Sum(_w(P.k) * u(P.j + P.p - P.k * P.d), (P.k, 0, P.K - 1))
    flipped = sympy.Sum(wp(P.kappa) * u(P.j + P.kappa * P.d - P.P_l), (P.kappa, 0, P.K - 1))
    # channel swap: W'[a, b, κ] = W[b, a, K − 1 − κ] turns Σ_b W[b, a, k]·x_b into Σ_b W'[a, b, K−1−k]·x_b
    W = sympy.IndexedBase("W")
    X = sympy.IndexedBase("X")
    a, b, Cg = sympy.symbols("a b C_g", integer=True)

    def w_prime(a_: Any, b_: Any, kappa: Any) -> Any:
        return W[b_, a_, P.K - 1 - kappa]

    Wp = sympy.IndexedBase("W'")
    lhs_ch = sympy.Sum(W[b, a, P.k] * X[b], (b, 0, Cg - 1))
    shown_ch = sympy.Sum(Wp[a, b, P.K - 1 - P.k] * X[b], (b, 0, Cg - 1))
    rhs_ch = sympy.Sum(w_prime(a, b, P.K - 1 - P.k) * X[b], (b, 0, Cg - 1))
    read = P.j + P.kappa * P.d - P.P_l
    flipped_w = sympy.Sum(_w(P.K - 1 - P.kappa) * u(read.subs(P.P_l, pl)), (P.kappa, 0, P.K - 1))
    steps = (
        _given(
            u(P.t),
            sympy.Piecewise((_x(P.t / P.s), sympy.Eq(sympy.Mod(P.t, P.s), 0)), (0, True)),
            "zero insertion: u holds x at multiples of s and zeros between",
        ),
        _given(
            y(P.j),
            gather,
            "gather form (matrix_element): input i = (j + p − k·d)/s is u at position j + p − k·d",
            check="argued in words: the element formula of matrix_element, with u's definition and x "
            "read as 0 outside 0 … L_in − 1",
            kind="argued",
        ),
        _step(
            P.k,
            k_of_kappa,
            "flip the kernel: substitute κ = K − 1 − k, w'(κ) = w(K − 1 − κ)",
            proof=(k_of_kappa.subs(P.kappa, P.K - 1 - P.k), P.k),
            check="κ = K − 1 − k is an involution (simplify = 0)",
        ),
        _step(
            P.j + P.p - P.k * P.d,
            read,
            "the read position becomes j + κ·d − P_l with P_l = d·(K − 1) − p",
            proof=(P.j + P.p - P.k * P.d, read.subs({P.kappa: P.K - 1 - P.k, P.P_l: pl})),
            check="substitute κ = K − 1 − k and P_l, then simplify(lhs − rhs) = 0",
        ),
        _step(
            y(P.j),
            sympy.Sum(wp(P.kappa) * u(read), (P.kappa, 0, P.K - 1)),
            "so y is a stride-1 correlation with dilation d of u padded by P_l on the left, kernel w'",
            proof=(gather, flipped_w.change_index(P.kappa, -P.kappa + P.K - 1, P.k)),
            check="substitute w'(κ) = w(K − 1 − κ) and P_l, re-index the sum by κ = K − 1 − k "
            "(sympy change_index); simplify(gather sum − it) = 0",
        ),
        _step(
            P.P_l,
            pl,
            "left pad, solved from j + κ·d − P_l = s·i with the index relation",
            proof=(P.j + (P.K - 1 - P.k) * P.d - pl, P.s * i),
            check="sympy.solve; substituted back, j + (K − 1 − k)·d − P_l = s·i (simplify = 0)",
        ),
        _step(
            sympy.Symbol("L_upsampled") + P.P_l + P.P_r - P.d * (P.K - 1),
            P.L_out,
            "the lengths agree with P_r = P_l + op: (L_in − 1)·s + 1 + P_l + P_r − d·(K − 1) = L_out",
            proof=((P.L_in - 1) * P.s + 1 + pl + pr - P.d * (P.K - 1), transposed_length()),
            check="substitute L_upsampled = (L_in − 1)·s + 1, P_l, P_r = P_l + op; simplify(lhs − rhs) = 0",
        ),
        _step(
            lhs_ch,
            shown_ch,
            "channels: W'[a, b, κ] = W[b, a, K − 1 − κ] swaps in/out channels inside each group",
            proof=(lhs_ch.doit(), rhs_ch.doit()),
            check="substitute the definition of W', simplify(lhs − rhs) = 0",
        ),
    )
    statement = sympy.Eq(y(P.j), flipped)
    return Derivation(
        "flipped_kernel",
        "Transposed convolution as a stride-1 convolution with the flipped kernel",
        statement,
        steps,
    )


def _round_trip() -> Derivation:
    P = PARAMS
    length = transposed_length()
    back = forward_length(length)
    q = sympy.Symbol("q", integer=True, nonnegative=True)
    r = sympy.Symbol("r", integer=True, nonnegative=True)
    steps = (
        _given(
            P.L_out,
            length,
            "the transposed output length",
            check="proved in derivation output_length",
            kind="cited",
        ),
        _given(
            sympy.Symbol("L_back"),
            back,
            "apply the forward convolution's length formula to L_out",
            check="definition (tconvmat.spec.conv_output_length)",
        ),
        _step(
            back,
            sympy.floor(((P.L_in - 1) * P.s + P.op) / P.s) + 1,
            "the padding and the kernel reach cancel",
        ),
        _step(back, P.L_in + sympy.floor(P.op / P.s), "take the integer L_in − 1 out of the floor"),
        _given(
            sympy.floor(P.op / P.s),
            (P.op - sympy.Mod(P.op, P.s)) / P.s,
            "division with remainder: op = s·⌊op/s⌋ + (op mod s)",
            check="definition of mod",
        ),
        _step(
            (P.op - sympy.Mod(P.op, P.s)) / P.s,
            0,
            "with 0 ≤ op < s the remainder is op itself, so ⌊op/s⌋ = 0 and L_back = L_in",
            proof=((r - sympy.Mod(r, r + 1 + q)) / (r + 1 + q), 0),
            check="substitute op = r, s = r + 1 + q with r, q ≥ 0 (this encodes 0 ≤ op < s); simplify = 0",
        ),
    )
    return Derivation(
        "round_trip", "conv undoes the shape of conv_transpose when op < s", sympy.Eq(back, P.L_in), steps
    )


def _gradient() -> Derivation:
    n, m = sympy.symbols("n m", integer=True, positive=True)
    C = sympy.MatrixSymbol("C", m, n)
    xv = sympy.MatrixSymbol("x", n, 1)
    g = sympy.MatrixSymbol("g", m, 1)
    f = (g.T * C * xv)[0, 0]
    ct = sympy.Function("conv_transpose")
    steps = (
        _given(sympy.Symbol("f"), f, "pair the convolution C x with an output gradient g"),
        Step(
            sympy.Eq(sympy.MatrixSymbol("g_x", n, 1), C.T * g, evaluate=False),
            "its gradient g_x with respect to x: for the bilinear form ⟨g, C x⟩ it is Cᵀ g",
            "sympy.diff of the matrix expression gᵀ C x minus Cᵀ g simplifies to the zero matrix",
            _matrix_equal(sympy.diff(g.T * C * xv, xv), C.T * g),
        ),
        _given(
            C.T * g,
            ct(g),
            "and Cᵀ g is the transposed convolution of g",
            check="proved in derivation matrix_element (Cᵀx is the transposed convolution)",
            kind="cited",
        ),
    )
    return Derivation(
        "gradient",
        "The transposed convolution is the gradient (VJP) of the convolution",
        sympy.Eq(sympy.MatrixSymbol("g_x", n, 1), ct(g), evaluate=False),
        steps,
    )


def _matrix_equal(a: Any, b: Any) -> bool:
    """Matrix-expression identity: ``a − b`` is structurally zero after ``doit``."""
    diff = sympy.simplify((a - b).doit())
    return bool(diff == sympy.ZeroMatrix(*diff.shape) or getattr(diff, "is_ZeroMatrix", False))


def _subpixel() -> Derivation:
    P = PARAMS
    G, a_, b_, m_ = sympy.symbols("G a b m", integer=True, positive=True)
    t = input_index(P.i, P.k, P.s, P.d, 0)
    q = sympy.Symbol("q", integer=True)
    steps = (
        _given(
            P.t,
            t,
            "position of tap k of input i in the full (uncropped) output: the index relation, p = 0",
            check="definition (tconvmat.spec.input_index)",
        ),
        _step(
            sympy.Mod(t, P.s, evaluate=False),
            sympy.Mod(P.k * P.d, P.s),
            "its phase t mod s does not depend on i: only the taps with k·d ≡ φ (mod s) reach phase φ",
            proof=(sympy.Mod(t, P.s), sympy.Mod(P.k * P.d, P.s)),
        ),
        _step(
            t,
            P.phi + (P.i + m_) * P.s,
            "writing k·d = φ + m·s, the tap lands at q = i + m in the phase-φ sub-grid t = φ + q·s",
            proof=(t.subs(P.k * P.d, P.phi + m_ * P.s), P.phi + (P.i + m_) * P.s),
            check="substitute k·d = φ + m·s, simplify(lhs − rhs) = 0",
        ),
        _step(
            (P.k + a_) * P.d - P.k * P.d,
            P.s * b_,
            "with s = G·a, d = G·b, G = gcd(s, d): the taps of one phase are a = s/G apart, and m grows by "
            "b = d/G: a stride-1 convolution with dilation d/G, the polyphase component",
            proof=(((P.k + a_) * P.d - P.k * P.d).subs(P.d, G * b_), (P.s * b_).subs(P.s, G * a_)),
            check="substitute s = G·a, d = G·b, simplify(lhs − rhs) = 0",
        ),
        _given(
            sympy.Function("y")(P.phi + q * P.s),
            sympy.Function("y_phi")(q),
            "so output phase φ is that stride-1 convolution; interleaving the s phases (pixel shuffle) "
            "and cropping p gives the transposed convolution",
            check="argued in words from the steps above (tconvmat.identities.subpixel "
            "checks it numerically against PyTorch)",
            kind="argued",
        ),
    )
    return Derivation("subpixel", "Sub-pixel (polyphase) decomposition", steps[-1].statement, steps)


def _checkerboard() -> Derivation:
    P = PARAMS
    n_, r, q = sympy.symbols("n r q", integer=True, nonnegative=True)
    closed = sympy.floor((P.K - 1 - P.phi) / P.s) + 1
    exhaustive = all(
        int(overlap_count(ph).subs({P.K: K, P.s: s, P.d: 1}).doit())
        == int(closed.subs({P.K: K, P.s: s, P.phi: ph}))
        for K in range(1, 9)
        for s in range(1, 6)
        for ph in range(s)
    )
    uniform = closed.subs({P.K: n_ * P.s + P.s, P.phi: P.s - 1 - r})
    den = r + 1 + q  # s, with 0 ≤ r < s
    numer = n_ * den + r
    steps = (
        _given(
            sympy.Function("N")(P.phi),
            overlap_count(),
            "taps reaching an interior output of phase φ = (j + p) mod s",
        ),
        Step(
            sympy.Eq(overlap_count().subs(P.d, 1), closed, evaluate=False),
            "for d = 1 they are k = φ, φ + s, φ + 2s, … below K",
            "not proved symbolically; "
            + ("checked exhaustively" if exhaustive else "FAILED an exhaustive check")
            + " over 1 ≤ K ≤ 8, 1 ≤ s ≤ 5, 0 ≤ φ < s",
            False,
            "checked",
        ),
        _given(
            sympy.floor(P.K / P.s),
            (P.K - sympy.Mod(P.K, P.s)) / P.s,
            "division with remainder: ⌊N/D⌋ = (N − N mod D)/D for integers N, D > 0",
            check="definition of mod",
        ),
        _step(
            uniform,
            n_ + 1,
            "if s divides K (K = (n + 1)·s), every phase φ = s − 1 − r, 0 ≤ r < s, gets n + 1 taps: uniform",
            proof=((numer - sympy.Mod(numer, den)) / den + 1, n_ + 1),
            check="with s = r + 1 + q (0 ≤ r < s) the floor is (N − N mod s)/s, N = n·s + r; simplify = 0",
        ),
    )
    return Derivation(
        "checkerboard",
        "Uneven overlap (checkerboard) and when it vanishes",
        sympy.Eq(sympy.Function("N")(P.phi), closed),
        steps,
    )


def _composition() -> Derivation:
    a, b, c = sympy.symbols("a b c", integer=True, positive=True)
    A = sympy.MatrixSymbol("C_A", b, a)
    B = sympy.MatrixSymbol("C_B", c, b)
    y = sympy.MatrixSymbol("y", b, 1)
    v = sympy.MatrixSymbol("v", a, 1)
    steps = (
        _given(sympy.MatrixSymbol("C_BA", c, a), B * A, "the matrix of conv_B ∘ conv_A is the product"),
        Step(
            sympy.Eq(sympy.Transpose(B * A), A.T * B.T, evaluate=False),
            "its transpose is the reversed product: conv_transpose_A ∘ conv_transpose_B",
            "(C_B C_A)ᵀ − C_Aᵀ C_Bᵀ simplifies to the zero matrix",
            _matrix_equal((B * A).T, A.T * B.T),
        ),
        _given(v, A.T * y, "let v = C_Aᵀ y, the transposed convolution of y"),
        Step(
            sympy.Eq(y.T * A * A.T * y, v.T * v, evaluate=False),
            "conv_A ∘ conv_transpose_A has the Gram matrix C Cᵀ, positive semidefinite: yᵀ C Cᵀ y = |Cᵀ y|²",
            "the difference simplifies to the zero matrix",
            _matrix_equal((A * A.T * y).T * y, (A.T * y).T * (A.T * y)),
        ),
    )
    return Derivation(
        "composition", "Transposes compose in reverse; the Gram matrix C Cᵀ", steps[1].statement, steps
    )


_DERIVATIONS: dict[str, Callable[[], Derivation]] = {
    "output_length": _output_length,
    "matrix_element": _matrix_element,
    "flipped_kernel": _flipped_kernel,
    "round_trip": _round_trip,
    "gradient": _gradient,
    "subpixel": _subpixel,
    "checkerboard": _checkerboard,
    "composition": _composition,
}
_CACHE: dict[str, Derivation] = {}


def derivation(name: str) -> Derivation:
    """One of the named derivations: ``output_length``, ``matrix_element``,
    ``flipped_kernel``, ``round_trip``.

    Examples
    --------
    >>> d = derivation("output_length")
    >>> d.statement
    Eq(L_out, K*d - d + op - 2*p + s*(L_in - 1) + 1)
    >>> d.verified, len(d.steps)
    (True, 5)
    """
    if name not in _DERIVATIONS:
        raise ConvolutionSpecError(
            f"derivation name must be one of {', '.join(map(repr, _DERIVATIONS))}; got name={name!r}"
        )
    if name not in _CACHE:
        _CACHE[name] = _DERIVATIONS[name]()
    return _CACHE[name]


def derivations() -> dict[str, Derivation]:
    """All named derivations, in order."""
    return {name: derivation(name) for name in _DERIVATIONS}
