"""Fragments: matrices, vectors, ``y = Cᵀx``, element expressions, derivations.

Numbers and SymPy expressions are printed by :func:`sympy.latex`; structure comes
from :mod:`tconvmat.latex._builder`.  Large matrices and vectors are elided with
``\\cdots``, ``\\vdots`` and ``\\ddots``: only the kept rows and columns are ever
read (from CSR), so a huge ``C`` gives a small fragment, fast.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import sympy
from sympy.printing.latex import LatexPrinter

from ..symbolic import Derivation, Step
from ._builder import Tex, environment, escape, join, math_name, maths_prose

__all__ = ["derivation", "expressions", "matrix", "transpose_product", "vector"]

Zero = Literal["0", "cdot", "blank"]
_ZERO_TEX = {"0": "0", "cdot": r"\cdot", "blank": ""}
_AMS_MAX_COLS = 10  # amsmath's default MaxMatrixCols
_REL = {"==": "=", "!=": r"\neq", "<": "<", "<=": r"\leq", ">": ">", ">=": r"\geq"}


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


class _Printer(LatexPrinter):
    """SymPy's LaTeX printer, with user names for symbols and undefined functions.

    ``names`` maps a name (``"x"``) to TeX: the symbol ``x``, symbols ``x_…``
    (``x_3`` → ``{tex}_{3}``), indexed ``x[…]`` and the functions ``x(…)``, ``x'(…)``
    all print with it.  ``Iverson(P)`` prints as the bracket ``[P]``.
    """

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self._names = dict(names or {})

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        name = expr.name
        for key, tex in self._names.items():
            if name == key:
                return tex
            if name.startswith(key + "_"):
                rest = sympy.latex(sympy.Symbol("Q" + name[len(key) :]))
                if rest.startswith("Q"):
                    return "{" + tex + "}" + rest[1:]
        if _unsafe(name):  # SymPy would copy it into the TeX as is: set it as escaped text
            return math_name(name)
        return super()._print_Symbol(expr, style=style)

    def _print_AppliedUndef(self, expr: Any, exp: str | None = None) -> str:
        name = expr.func.__name__
        base = name.rstrip("'")
        primes = "'" * (len(name) - len(base))
        args = ", ".join(self._print(a) for a in expr.args)
        if name == "Iverson" and len(expr.args) == 1:
            tex = r"\left[" + args + r"\right]"
        elif base in self._names or (primes and len(base) == 1 and base.isalpha()):
            tex = "{" + self._names.get(base, base) + primes + r"}{\left(" + args + r" \right)}"
        else:
            return self._print_Function(expr, exp)
        return tex if exp is None else f"{tex}^{{{exp}}}"


def _unsafe(name: str) -> bool:
    """A symbol name that SymPy's printer would turn into broken TeX: a special character
    (``%&#$~^``), unbalanced braces, or a backslash not starting a command."""
    depth = 0
    for ch in name:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return True
    return bool(depth or re.search(r"[%&#$~^]|\\(?![A-Za-z])", name))


def _latex(value: Any, names: Mapping[str, str] | None = None) -> str:
    """One expression or number, as LaTeX (SymPy prints it)."""
    if isinstance(value, sympy.Basic):
        return _Printer(names).doprint(value)
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isfinite(f) and f.is_integer() and abs(f) < 2**53:
            return str(int(f))
        if not math.isfinite(f):
            return r"\text{NaN}" if math.isnan(f) else ("-" if f < 0 else "") + r"\infty"
        r = repr(f)
        if "e" in r:
            mantissa, exp = r.split("e")
            return f"{mantissa} \\cdot 10^{{{int(exp)}}}"
        return r
    return sympy.latex(sympy.sympify(value))


def _is_zero(value: Any) -> bool:
    try:
        return bool(value == 0)
    except (TypeError, ValueError):
        return False


def _cell(value: Any, zero: Zero, names: Mapping[str, str] | None) -> str:
    return _ZERO_TEX[zero] if _is_zero(value) else _latex(value, names)


# ---------------------------------------------------------------------------
# Elision: which rows and columns are shown
# ---------------------------------------------------------------------------


def _kept(n: int, limit: int, what: str) -> tuple[list[int], int | None]:
    """Indices shown out of ``n`` under ``limit`` display lines, and where the ellipsis goes.

    Past the limit: the first ``⌈(limit−1)/2⌉`` and the last ``⌊(limit−1)/2⌋``,
    with an ellipsis line between them (``limit`` lines in all).

    >>> _kept(5, 12, "rows")
    ([0, 1, 2, 3, 4], None)
    >>> _kept(100, 6, "rows")
    ([0, 1, 2, 98, 99], 3)
    """
    if limit < 3:
        raise ValueError(f"{what} must be at least 3 (head, ellipsis, tail); got {what}={limit}")
    if n <= limit:
        return list(range(n)), None
    head = limit - 1 - (limit - 1) // 2
    tail = (limit - 1) // 2
    return list(range(head)) + list(range(n - tail, n)), head


def _shape2(m: Any) -> tuple[int, int]:
    if sp.issparse(m) or isinstance(m, sympy.MatrixBase):
        r, c = m.shape
        return int(r), int(c)
    a = np.asarray(m, dtype=object) if not hasattr(m, "shape") else m
    if a.ndim != 2:
        raise ValueError(f"a matrix must be 2-D; got shape {a.shape}")
    return int(a.shape[0]), int(a.shape[1])


def _block(m: Any, rows: list[int], cols: list[int]) -> np.ndarray:
    """The kept entries only, as a small 2-D array (never the whole matrix densified)."""
    if sp.issparse(m):
        csr = m if m.format == "csr" else sp.csr_array(m)
        sub = sp.csr_array(csr[np.asarray(rows, dtype=np.intp)])[:, np.asarray(cols, dtype=np.intp)]
        return np.asarray(sub.toarray())
    if isinstance(m, sympy.MatrixBase):
        return np.array(m.extract(rows, cols).tolist(), dtype=object).reshape(len(rows), len(cols))
    return np.asarray(m)[np.ix_(rows, cols)]


def _gaps(kept: list[int], n: int) -> list[int]:
    """Positions in ``kept`` before which an ellipsis goes: wherever indices are skipped
    (before the first, between two, after the last — position ``len(kept)``)."""
    if not kept:
        return []
    gaps = [0] if kept[0] > 0 else []
    gaps += [p for p in range(1, len(kept)) if kept[p] != kept[p - 1] + 1]
    return gaps + ([len(kept)] if kept[-1] < n - 1 else [])


def _chosen(index: Any, n: int, what: str) -> list[int]:
    kept = sorted({int(v) for v in index})
    if not kept or kept[0] < 0 or kept[-1] >= n:
        raise ValueError(f"{what} must be non-empty indices in [0, {n}); got {what}={list(index)!r}")
    return kept


def _grid(
    m: Any,
    max_rows: int,
    max_cols: int,
    zero: Zero,
    names: Mapping[str, str] | None,
    rows: Any = None,
    cols: Any = None,
) -> tuple[list[list[str]], list[str], list[str]]:
    """The cells shown, with ellipses, and the row and column labels (``None`` entries: dots)."""
    n_rows, n_cols = _shape2(m)
    if rows is None:
        kept_rows, gap = _kept(n_rows, max_rows, "max_rows")
        r_gaps = [] if gap is None else [gap]
    else:
        kept_rows = _chosen(rows, n_rows, "rows")
        r_gaps = _gaps(kept_rows, n_rows)
    if cols is None:
        kept_cols, gap = _kept(n_cols, max_cols, "max_cols")
        c_gaps = [] if gap is None else [gap]
    else:
        kept_cols = _chosen(cols, n_cols, "cols")
        c_gaps = _gaps(kept_cols, n_cols)
    block = _block(m, kept_rows, kept_cols)
    cells = [[_cell(v, zero, names) for v in row] for row in block.tolist()]
    col_labels = [str(c) for c in kept_cols]
    for g in reversed(c_gaps):
        for row in cells:
            row.insert(g, r"\cdots")
        col_labels.insert(g, r"\cdots")
    row_labels = [str(r) for r in kept_rows]
    width = len(col_labels)
    c_dots = {g + k for k, g in enumerate(c_gaps)}  # positions of the \cdots columns after insertion
    for g in reversed(r_gaps):
        cells.insert(g, [r"\ddots" if c in c_dots else r"\vdots" for c in range(width)])
        row_labels.insert(g, r"\vdots")
    return cells, row_labels, col_labels


def _rows_tex(cells: list[list[str]]) -> str:
    return join(" \\\\\n", (join(" & ", row) for row in cells))


def matrix(
    m: Any,
    /,
    *,
    max_rows: int = 12,
    max_cols: int = 12,
    zero: Zero = "0",
    index_base: int = 0,
    labels: bool = False,
    symbol_names: Mapping[str, str] | None = None,
    rows: Any = None,
    cols: Any = None,
) -> Tex:
    r"""A matrix as a ``bmatrix`` (math mode), elided past ``max_rows × max_cols``.

    Parameters
    ----------
    m : scipy.sparse array or matrix, sympy.Matrix / SparseMatrix, or 2-D array_like
        Numeric or symbolic (object arrays of SymPy expressions are fine).  A sparse
        matrix is read only at the kept rows and columns.
    max_rows, max_cols : int, default 12
        Display lines at most; past them the first and last rows (columns) are
        kept around a ``\vdots`` row (``\cdots`` column, ``\ddots`` where they meet).
    zero : {"0", "cdot", "blank"}
        How zero entries are shown.
    index_base : {0, 1}
        First index of the row and column labels (with ``labels=True``).
    labels : bool
        Show row and column indices (an ``array`` with a header row and column,
        which makes clear which rows an elided matrix keeps).
    symbol_names : mapping, optional
        TeX for SymPy symbols by name prefix, e.g. ``{"w": r"\theta"}`` prints the
        symbol ``w_0`` as ``\theta_{0}``.
    rows, cols : sequence of int, optional
        The rows (columns) to show instead of the first and last: a window where the
        matrix has something to show.  Skipped indices are marked by dots (use
        ``labels=True`` so that the reader sees which are kept).

    Returns
    -------
    Tex
        Math-mode LaTeX (needs ``amsmath``); ``_repr_latex_`` shows it in Jupyter.  Past
        10 displayed columns (amsmath's ``MaxMatrixCols``) it is an ``array`` in
        ``\left[ … \right]`` instead of a ``bmatrix``, so it compiles in any document.

    Examples
    --------
    >>> import numpy as np, tconvmat as tcm
    >>> C = tcm.conv_transpose_matrix(np.array([[[1, 1, 1]]]), (1, 2), stride=2)
    >>> print(matrix(C))
    \begin{bmatrix}
    1 & 1 & 1 & 0 & 0 \\
    0 & 0 & 1 & 1 & 1
    \end{bmatrix}
    >>> print(matrix(C, zero="cdot", max_cols=4))
    \begin{bmatrix}
    1 & 1 & \cdots & \cdot \\
    \cdot & \cdot & \cdots & 1
    \end{bmatrix}
    >>> print(matrix(C, cols=[2, 3], labels=True))
    \begin{array}{r|cccc}
     & \cdots & 2 & 3 & \cdots \\ \hline
    0 & \cdots & 1 & 0 & \cdots \\
    1 & \cdots & 1 & 1 & \cdots
    \end{array}
    """
    if zero not in _ZERO_TEX:
        raise ValueError(f"zero must be one of '0', 'cdot', 'blank'; got zero={zero!r}")
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1; got index_base={index_base!r}")
    cells, row_labels, col_labels = _grid(m, max_rows, max_cols, zero, symbol_names, rows, cols)
    if not labels:
        width = len(cells[0]) if cells else 0
        if width <= _AMS_MAX_COLS:
            return environment("bmatrix", _rows_tex(cells))
        # amsmath's bmatrix takes at most 10 columns unless MaxMatrixCols is raised.
        return Tex(r"\left[" + environment("array", _rows_tex(cells), "c" * width) + r"\right]")
    shift = {str(i): str(i + index_base) for i in range(max(_shape2(m)) + 1)} if index_base else {}
    col_labels = [shift.get(c, c) for c in col_labels]
    row_labels = [shift.get(r, r) for r in row_labels]
    body = [["", *col_labels]] + [[lab, *row] for lab, row in zip(row_labels, cells)]
    head, *rest = (join(" & ", row) for row in body)
    spec = "r|" + "c" * len(col_labels)
    return environment("array", head + " \\\\ \\hline\n" + join(" \\\\\n", rest), spec)


def _column(v: Any) -> Any:
    if sp.issparse(v):
        return sp.csr_array(v.reshape(-1, 1)) if v.shape[0] == 1 else v
    if isinstance(v, sympy.MatrixBase):
        return v.reshape(len(v), 1)
    return np.asarray(v).reshape(-1, 1)


def vector(
    v: Any,
    /,
    *,
    max_rows: int = 12,
    zero: Zero = "0",
    row: bool = False,
    symbol_names: Mapping[str, str] | None = None,
) -> Tex:
    r"""A vector (any array, flattened in C order) as a column ``bmatrix``, elided past ``max_rows``.

    Examples
    --------
    >>> print(vector([1, 1, 2, 1, 1]))
    \begin{bmatrix}
    1 \\
    1 \\
    2 \\
    1 \\
    1
    \end{bmatrix}
    >>> print(vector(range(100), max_rows=4, row=True))
    \begin{bmatrix}
    0 & 1 & \cdots & 99
    \end{bmatrix}
    """
    col = _column(v)
    if row:
        col = col.T
        return matrix(col, max_rows=3, max_cols=max_rows, zero=zero, symbol_names=symbol_names)
    return matrix(col, max_rows=max_rows, max_cols=3, zero=zero, symbol_names=symbol_names)


def _names(symbol_names: Mapping[str, str] | None) -> dict[str, Tex]:
    """TeX for the names ``x``, ``w``, ``y``, ``C``, with the user's replacements (escaped)."""
    names = {"x": "x", "w": "w", "y": "y", "C": "C"}
    for key, value in (symbol_names or {}).items():
        if key not in names:
            raise ValueError(f"symbol_names keys must be among {sorted(names)}; got {key!r}")
        if not isinstance(value, str) or not value:
            raise ValueError(f"symbol_names values must be non-empty strings; got {key!r}: {value!r}")
        names[key] = value
    return {k: math_name(v) for k, v in names.items()}


def transpose_product(
    C: Any,
    x: Any,
    y: Any = None,
    /,
    *,
    max_rows: int = 12,
    max_cols: int = 12,
    zero: Zero = "0",
    symbol_names: Mapping[str, str] | None = None,
    inputs: Any = None,
    outputs: Any = None,
) -> Tex:
    r"""``y = Cᵀ x`` written out: the matrix ``Cᵀ`` times the vector ``x`` equals ``y``.

    Parameters
    ----------
    C : sparse matrix, sympy.Matrix or 2-D array_like
        As from :func:`tconvmat.conv_transpose_matrix`, shape ``(len(x), len(y))``.
    x : array_like
        Flattened in C order.
    y : array_like, optional
        Computed as ``Cᵀ x`` when omitted; when given it must equal ``Cᵀ x`` exactly.
    max_rows, max_cols, zero
        As in :func:`matrix`.
    symbol_names : mapping, optional
        Names for ``"C"``, ``"x"``, ``"y"`` (escaped as needed).
    inputs, outputs : sequence of int, optional
        A window: the elements of ``x`` (rows of ``C``) and of ``y`` (columns of ``C``)
        to show, with their indices, instead of the first and last.  With every input
        that reaches the chosen outputs among ``inputs``, each shown ``y_j`` is the sum of
        the shown products.

    Examples
    --------
    >>> import numpy as np, tconvmat as tcm
    >>> C = tcm.conv_transpose_matrix(np.array([[[1, 1, 1]]]), (1, 2), stride=2)
    >>> print(transpose_product(C, [1, 1]))
    y = C^{\top} x = \begin{bmatrix}
    1 & 0 \\
    1 & 0 \\
    1 & 1 \\
    0 & 1 \\
    0 & 1
    \end{bmatrix}\begin{bmatrix}
    1 \\
    1
    \end{bmatrix} = \begin{bmatrix}
    1 \\
    1 \\
    2 \\
    1 \\
    1
    \end{bmatrix}
    """
    names = _names(symbol_names)
    symbolic = isinstance(C, sympy.MatrixBase)
    if symbolic:
        xs = sympy.Matrix(list(np.asarray(x, dtype=object).ravel()))
        ty = (C.T * xs).applyfunc(sympy.expand)
        ct: Any = C.T
    else:
        xs = np.asarray(x).ravel()
        ct = C.T
        ty = np.asarray(ct @ xs).ravel()
    if _shape2(C)[0] != len(xs):
        raise ValueError(f"C must have one row per element of x; got C shape {_shape2(C)}, x size {len(xs)}")
    if y is None:
        y = ty
    else:
        ok = (
            all(sympy.simplify(a - b) == 0 for a, b in zip(ty, np.asarray(y, dtype=object).ravel()))
            if symbolic
            else np.array_equal(np.asarray(y).ravel(), ty)
        )
        if not ok:
            raise ValueError("y must equal Cᵀ x exactly; it does not")
    lhs = f"{names['y']} = {names['C']}^{{\\top}} {names['x']}"
    if inputs is None and outputs is None:
        return Tex(
            f"{lhs} = "
            + matrix(ct, max_rows=max_rows, max_cols=max_cols, zero=zero)
            + vector(xs, max_rows=max_cols, zero=zero)
            + " = "
            + vector(y, max_rows=max_rows, zero=zero)
        )
    n_in, n_out = _shape2(C)
    ins = list(range(n_in)) if inputs is None else inputs
    outs = list(range(n_out)) if outputs is None else outputs
    col = _column(xs)
    return Tex(
        f"{lhs} = "
        + matrix(ct, rows=outs, cols=ins, zero=zero, labels=True)
        + matrix(col, rows=ins, cols=[0], zero=zero)
        + " = "
        + matrix(_column(y), rows=outs, cols=[0], zero=zero)
    )


def _subscript(index: tuple[int, ...], base: int) -> str:
    return ",".join(str(i + base) for i in index)


def expressions(
    arr: Any,
    /,
    *,
    name: str = "y",
    index_base: int = 0,
    max_items: int = 16,
    symbol_names: Mapping[str, str] | None = None,
) -> Tex:
    r"""Element expressions ``y_{j} = …`` as an ``align*`` block, elided past ``max_items``.

    Parameters
    ----------
    arr : array_like of SymPy expressions (or numbers)
        E.g. from ``tconvmat.symbolic.conv_transpose_expressions``.  Only the
        elements shown are read.
    name : str
        The array's name (escaped as needed).
    index_base : {0, 1}
        First index of the subscripts.
    max_items : int
        At most this many lines: past it, the first ``max_items − 2`` elements, a
        ``\vdots`` line and the last element.
    symbol_names : mapping, optional
        TeX for SymPy symbols by name prefix, as in :func:`matrix`.

    Examples
    --------
    >>> import numpy as np, sympy
    >>> a, b = sympy.symbols("a b")
    >>> print(expressions(np.array([a + b, 2 * a], dtype=object)))
    \begin{align*}
    y_{0} &= a + b \\
    y_{1} &= 2 a
    \end{align*}
    """
    if index_base not in (0, 1):
        raise ValueError(f"index_base must be 0 or 1; got index_base={index_base!r}")
    if max_items < 3:
        raise ValueError(f"max_items must be at least 3; got max_items={max_items}")
    a = np.asarray(arr, dtype=object)
    n = a.size
    shown = list(range(n)) if n <= max_items else [*range(max_items - 2), n - 1]
    head = math_name(name)
    lines = []
    for pos, flat in enumerate(shown):
        if pos and flat != shown[pos - 1] + 1:
            lines.append(r"&\;\;\vdots")
        index = np.unravel_index(flat, a.shape) if a.ndim else ()
        lhs = f"{head}_{{{_subscript(tuple(int(i) for i in index), index_base)}}}"
        lines.append(f"{lhs} &= {_latex(a.flat[flat], symbol_names)}")
    return environment("align*", join(" \\\\\n", lines), mode="display")


def _statement(stmt: Any, names: Mapping[str, str] | None) -> str:
    """A step's statement in human order, with the alignment point at its relation."""
    from ._printer import human

    if isinstance(stmt, sympy.core.relational.Relational) and stmt.rel_op in _REL:
        return f"{human(stmt.lhs, names)} &{_REL[stmt.rel_op]} {human(stmt.rhs, names)}"
    return "&" + human(stmt, names)


def _mark(step: Step, show_check: bool) -> str:
    detail = ": " + step.check if show_check else ""
    standing = step.standing
    if step.kind == "cited":
        return (
            f"[{step.check}]"
            if show_check
            else ("[cited]" if standing == "verified" else "[cited, NOT verified]")
        )
    if standing == "verified":
        return "[verified by SymPy" + detail + "]"
    if standing == "definition":
        return f"[{step.check}]" if show_check else "[definition]"
    if standing == "failed":
        return "[SymPy check FAILED" + detail + "]"
    return "[NOT verified by SymPy" + detail + "]"


def derivation(
    d: Derivation,
    /,
    *,
    show_check: bool = False,
    symbol_names: Mapping[str, str] | None = None,
) -> Tex:
    r"""A derivation as an ``align*`` block: each step's justification, then its statement.

    Each step is an ``\intertext{justification [mark]}`` (prose that wraps at the
    line width) above the statement, printed by SymPy and aligned at its relation.
    The mark says how the step stands: ``[verified by SymPy]``, ``[definition]``,
    ``[cited]``, or ``[NOT verified by SymPy]`` (argued in words, checked only
    numerically, or a failed check).

    Parameters
    ----------
    d : tconvmat.symbolic.Derivation
    show_check : bool
        Also say how SymPy checked each step (``step.check``).
    symbol_names : mapping, optional
        TeX for SymPy symbols by name prefix, as in :func:`matrix`.

    Returns
    -------
    Tex
        A display-mode ``align*`` (needs ``amsmath``); shows in Jupyter.

    Examples
    --------
    >>> import sympy
    >>> from tconvmat.symbolic import Derivation, Step
    >>> a = sympy.Symbol("a")
    >>> step = Step(sympy.Eq((a + 1)**2, a**2 + 2*a + 1), "expand the square", "verify_equal", True)
    >>> print(derivation(Derivation("demo", "Demo", step.statement, (step,))))
    \begin{align*}
    \intertext{expand the square [verified by SymPy]}
    \left(a + 1\right)^{2} &= a^{2} + 2 a + 1
    \end{align*}
    """
    lines = [
        r"\intertext{"
        + maths_prose(step.justification)
        + " "
        + escape(_mark(step, show_check))
        + "}\n"
        + _statement(step.statement, symbol_names)
        for step in d.steps
    ]
    if not lines:
        lines = [_statement(d.statement, symbol_names)]
    return environment("align*", join(" \\\\\n", lines), mode="display")
