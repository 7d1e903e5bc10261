"""Element expressions and symbolic matrices, built from the sparse structure of ``C``.

Every output element of a convolution or transposed convolution as a SymPy expression, for
symbolic and/or numeric inputs and weights, never by multiplying dense SymPy matrices.
"""

from __future__ import annotations

import functools
import gc
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy
from numpy.typing import ArrayLike, NDArray

from .._core import pattern as _pattern
from ..spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    conv_spec,
    conv_transpose_spec,
)

__all__ = [
    "conv_expressions",
    "conv_matrix",
    "conv_transpose_expressions",
    "conv_transpose_matrix",
    "input_symbols",
    "leading_expressions",
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
    index: NDArray[np.intp], terms: NDArray[np.object_], n: int, distinct: bool | str
) -> NDArray[np.object_]:
    """``out[m] = Σ terms[index == m]`` as SymPy sums (zeros where nothing lands).

    With ``distinct`` (products of distinct symbols, no like terms), the canonical ``Add``
    is built directly from its sorted terms, what ``sympy.Add(*terms)`` evaluates to.
    ``distinct="ordered"``: the terms of each output are canonical, unlike and in SymPy's
    order already (the fast path); they are only grouped.
    """
    order = np.argsort(index, kind="stable")
    index, terms = index[order], terms[order]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]]) if index.size else np.zeros(0, int)
    out = np.empty(n, dtype=object)
    out[:] = sympy.Integer(0)
    if index.size:
        groups = np.split(terms, starts[1:])
        fast = distinct is True and all(type(t) is sympy.Mul for t in terms.tolist())
        if distinct == "ordered":
            sums = [g[0] if len(g) == 1 else _new_add(tuple(g)) for g in groups]
        elif fast:
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


# ---------------------------------------------------------------------------
# The fast path for every mix of rational numbers and plain symbols
# ---------------------------------------------------------------------------


_FAST = True  # tests compare the fast path with the general one by switching it off


def _kind_of(v: object) -> int:
    """0: an exact rational number (Python/NumPy integer, SymPy Rational); 1: a plain
    commutative ``Symbol``; 2: anything else (the general path)."""
    if isinstance(v, sympy.Rational) or (
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
    ):
        return 0
    if type(v) is sympy.Symbol and v.is_commutative:
        return 1
    return 2


_kinds = np.frompyfunc(_kind_of, 1, 1)
_as_python = np.frompyfunc(lambda v: int(v) if isinstance(v, np.integer) else v, 1, 1)


def _constructor(cls: type) -> Any:
    """``cls._from_args(args, True)`` without its call overhead: what ``AssocOp._from_args``
    and ``Basic.__new__`` do for already-canonical commutative arguments (the fast path makes
    ~10⁵ of them).  Checked against ``_from_args`` on import; if a SymPy version builds its
    objects differently, ``_from_args`` itself is used."""
    new, assumptions = object.__new__, cls.default_assumptions  # type: ignore[attr-defined]

    def make(args: tuple[Any, ...]) -> Any:
        obj = new(cls)
        obj._assumptions = assumptions
        obj._mhash = None
        obj._args = args
        obj.is_commutative = True
        return obj

    a, b = sympy.symbols("a b")
    try:
        ok = all(
            (got := make(args)) == (ref := cls._from_args(args, True))  # type: ignore[attr-defined]
            and hash(got) == hash(ref)
            and got.is_commutative is True
            and str(got) == str(ref)
            and (got + a) == (ref + a)
            for args in ((a, b), (sympy.Integer(2), a, b))
        )
    except Exception:  # any difference means: do not take the shortcut
        ok = False
    return make if ok else (lambda args: cls._from_args(args, True))  # type: ignore[attr-defined]


_new_mul, _new_add = _constructor(sympy.Mul), _constructor(sympy.Add)
_mul2 = np.frompyfunc(lambda a, b: _new_mul((a, b)), 2, 1)
_mul3 = np.frompyfunc(lambda a, b, c: _new_mul((a, b, c)), 3, 1)
_CLASS_RANK = {"number": -1, "Symbol": 0, "Mul": 1}
if sympy.Symbol("a").compare(sympy.Mul._from_args((sympy.Symbol("a"), sympy.Symbol("b")))) > 0:
    _CLASS_RANK.update(Symbol=1, Mul=0)


def _fast_outputs(
    dst: NDArray[np.intp],
    widx: NDArray[np.intp],
    src: NDArray[np.intp],
    w: NDArray[np.object_],
    wk: NDArray[np.int_],
    sample: NDArray[np.object_],
    n_out: int,
) -> NDArray[np.object_] | None:
    """``out[m] = Σ_e w[widx[e]]·sample[src[e]]`` over the entries ``e`` with ``dst[e] = m``,
    for weights and inputs that are rational numbers or distinct plain symbols.

    What ``sympy.Add``/``sympy.Mul`` evaluate to, built without their flattening: each
    entry's product is split into a number and its symbols (none, one or two); like terms
    (the same symbols in one output) are merged by summing their numbers with NumPy; the
    terms of every output are put in SymPy's canonical order (``Basic.compare``) by one
    ``lexsort`` over the ranks of their arguments, each rank found by sorting the few
    distinct atoms once.  ``None`` when the inputs are outside that domain.
    """
    xk = _kinds(sample).astype(np.int8)
    if np.any(xk == 2):
        return None
    syms = [*w[wk == 1].tolist(), *sample[xk == 1].tolist()]
    if len(set(syms)) != len(syms):  # a repeated symbol: like terms the split cannot see
        return None
    one = np.ones(1, dtype=object)
    wnum = np.where(wk == 0, _as_python(w) if w.size else w, one)
    xnum = np.where(xk == 0, _as_python(sample) if sample.size else sample, one)
    coef = wnum[widx] * xnum[src]
    pw = np.where(wk[widx] == 1, widx, -1)
    px = np.where(xk[src] == 1, src, -1)
    order = np.lexsort((px, pw, dst))
    d, a, b, c = dst[order], pw[order], px[order], coef[order]
    out = np.empty(n_out, dtype=object)
    out[:] = sympy.Integer(0)
    if not d.size:
        return out
    new = np.r_[True, (d[1:] != d[:-1]) | (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    starts = np.flatnonzero(new)
    c = np.add.reduceat(c, starts)
    d, a, b = d[starts], a[starts], b[starts]
    keep = (c != 0).astype(bool)
    d, a, b, c = d[keep], a[keep], b[keep], c[keep]
    if not d.size:
        return out
    unit = (c == 1).astype(bool)
    # the numbers as SymPy numbers, each distinct value converted once
    as_sympy = {v: v if isinstance(v, sympy.Basic) else sympy.Integer(v) for v in dict.fromkeys(c.tolist())}
    c[:] = [as_sympy[v] for v in c.tolist()]
    # the rank of every atom (symbol or number) in SymPy's canonical order
    numbers = list(dict.fromkeys(c[~unit | ((a < 0) & (b < 0))].tolist()))
    atoms = sorted([*syms, *numbers], key=_sortkey)
    rank = {atom: r for r, atom in enumerate(atoms)}
    n_w = int(np.count_nonzero(wk == 1))
    sym_rank = np.array([rank[v] for v in syms], dtype=np.intp)
    wrank = np.full(w.size, -1, dtype=np.intp)
    wrank[wk == 1] = sym_rank[:n_w]
    xrank = np.full(sample.size, -1, dtype=np.intp)
    xrank[xk == 1] = sym_rank[n_w:]
    ra = np.where(a >= 0, wrank[np.maximum(a, 0)], -1)
    rb = np.where(b >= 0, xrank[np.maximum(b, 0)], -1)
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)  # symbol factors in canonical order (-1: none)
    n_sym = (ra >= 0).astype(np.intp) + (rb >= 0)
    sa = np.where(a >= 0, w[np.maximum(a, 0)], sample[np.maximum(b, 0)])
    sb = np.where(b >= 0, sample[np.maximum(b, 0)], sa)
    first = np.where((n_sym == 2) & (rb < ra), sb, sa)
    second = np.where((n_sym == 2) & (rb < ra), sa, sb)
    nrank = np.full(d.size, -1, dtype=np.intp)
    coefficient = ~unit & (n_sym > 0)
    if coefficient.any():
        nrank[coefficient] = [rank[v] for v in c[coefficient].tolist()]
    terms = np.empty(d.size, dtype=object)
    cls = np.full(d.size, _CLASS_RANK["Mul"], dtype=np.intp)
    length = n_sym + coefficient
    keys = np.full((3, d.size), -1, dtype=np.intp)
    # a number alone: first in its Add
    m = n_sym == 0
    terms[m], cls[m] = c[m], _CLASS_RANK["number"]
    # one symbol, coefficient 1: a Symbol term
    m = (n_sym == 1) & unit
    terms[m], cls[m], keys[0, m] = first[m], _CLASS_RANK["Symbol"], hi[m]
    # number · symbol
    m = (n_sym == 1) & ~unit
    terms[m] = _mul2(c[m], first[m]) if m.any() else terms[m]
    keys[0, m], keys[1, m] = nrank[m], hi[m]
    # symbol · symbol
    m = (n_sym == 2) & unit
    terms[m] = _mul2(first[m], second[m]) if m.any() else terms[m]
    keys[0, m], keys[1, m] = lo[m], hi[m]
    # number · symbol · symbol
    m = (n_sym == 2) & ~unit
    terms[m] = _mul3(c[m], first[m], second[m]) if m.any() else terms[m]
    keys[0, m], keys[1, m], keys[2, m] = nrank[m], lo[m], hi[m]
    order = np.lexsort((keys[2], keys[1], keys[0], length, cls, d))
    return _sum_by(d[order], terms[order], n_out, "ordered")


def _weight_index(spec: ConvSpec, rows_size: tuple[int, ...], below: tuple[bool, int] | None = None):  # type: ignore[no-untyped-def]
    """Rows, columns and the flat weight index of every entry of ``C`` (zero padding: one tap each)."""
    n = spec.out_channels * (spec.in_channels // spec.groups) * math.prod(spec.kernel_size)
    index = np.empty(n, dtype=object)
    index[:] = list(range(n))
    shape = (spec.out_channels, spec.in_channels // spec.groups, *spec.kernel_size)
    rows, cols, values = _entries(spec, index.reshape(shape), rows_size, below)
    return rows, cols, values.astype(np.intp)


def _try_fast(
    spec: ConvSpec,
    weight: NDArray[np.object_],
    rows_size: tuple[int, ...],
    samples: NDArray[np.object_],
    transpose: bool,
    n_out: int,
    below: tuple[bool, int] | None = None,
) -> list[NDArray[np.object_]] | None:
    """The outputs of every flat sample by :func:`_fast_outputs`, or ``None`` (general path)."""
    if not _FAST or spec.padding_mode != "zeros":
        return None
    w = weight.ravel()
    wk = _kinds(w).astype(np.int8) if w.size else np.zeros(0, np.int8)
    if np.any(wk == 2):
        return None
    rows, cols, widx = _weight_index(spec, rows_size, below)
    src, dst = (rows, cols) if transpose else (cols, rows)
    ys = []
    # ~10⁵ new acyclic objects: the cycle collector would scan them again and again for nothing
    enabled = gc.isenabled()
    gc.disable()
    try:
        for sample in samples:
            y = _fast_outputs(dst, widx, src, w, wk, sample, n_out)
            if y is None:
                return None
            ys.append(y)
    finally:
        if enabled:
            gc.enable()
    return ys


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
    n_out = math.prod(out_shape)
    samples = xb.reshape(xb.shape[0], -1)
    ys = _try_fast(spec, weight, rows_size, samples, transpose, n_out)
    if ys is None:
        rows, cols, values = _entries(spec, weight, rows_size)
        distinct = _distinct(spec, weight, xb)
        ys = [_outputs(rows, cols, values, sample, transpose, n_out, distinct) for sample in samples]
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
    fast = _try_fast(fwd, w, rows_size, xo[None], transpose, count, below=(transpose, count))
    if fast is not None:
        return fast[0]
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
    spec = conv_spec(
        w.shape,
        xo.shape[-(w.ndim - 1) :],
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
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
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
        output_size=output_size,
        padding_mode=padding_mode,
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
    spec = conv_spec(
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
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
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
        output_size=output_size,
        padding_mode=padding_mode,
    )
    return _sparse(spec.adjoint, w, spec.input_size)


def leading_expressions(
    spec: ConvSpec | ConvTransposeSpec, x: ArrayLike, weight: ArrayLike, count: int
) -> NDArray[np.object_]:
    """The first ``count`` elements of the flattened output of ``spec`` for one unbatched ``x``.

    Only the entries of ``C`` that reach them are made into SymPy objects, so showing a
    few elements of a large problem costs a few expressions (``tconvmat explain``).

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> spec = conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
    >>> leading_expressions(spec, input_symbols((1, 2)), weight_symbols((1, 1, 3)), 3)
    array([w0*x0, w1*x0, w0*x1 + w2*x0], dtype=object)
    """
    return _leading(spec, x, weight, count)
