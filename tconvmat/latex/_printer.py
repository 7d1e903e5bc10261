"""The human-order printer: SymPy checks the maths, this prints it the way a textbook writes it.

SymPy sorts the terms of a sum canonically (``K d - d + op - 2 p + s (L_in - 1) + 1``); a
reader expects PyTorch's order, ``(L_in − 1)·s − 2p + d(K − 1) + op + 1``.  :class:`HumanPrinter`
orders the terms of a sum and the factors of a product by a fixed ranking of the parameter
names, sets multi-letter names upright (``\\mathrm{op}``, ``L_{\\mathrm{in}}``), prints the
Kronecker delta as ``\\delta(…)``, indexed objects as ``W[…]`` and ``Iverson(P)`` as ``[P]``.
It only changes how an expression is printed, never the expression.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sympy
from sympy.printing.latex import LatexPrinter

__all__ = ["HumanPrinter", "human"]

# the order of terms in a sum: the index, the input length, the pads, the kernel's reach, op
_TERM_ORDER = (
    "j t tau L_in L L_v i q e r phi p_before p_after p k kappa d K op P_l P_r s m n gamma a b".split()
)
_REACH_FIRST = (
    "j t tau L_in L L_v i q e r phi k kappa d K p_before p_after p op P_l P_r s m n gamma a b".split()
)
# the order of factors in a product (after sums containing L, which come first: (L − 1)·s)
_FACTOR_ORDER = "gamma i k kappa q e n m d s G".split()
_UPRIGHT = {
    "op": r"\mathrm{op}",
    "L_in": r"L_{\mathrm{in}}",
    "L_out": r"L_{\mathrm{out}}",
    "L_back": r"L_{\mathrm{back}}",
    "L_z": r"L_{z}",
    "p_before": r"p_{\mathrm{before}}",
    "p_after": r"p_{\mathrm{after}}",
    "j_max": r"j_{\max}",
    "j_min": r"j_{\min}",
    "P_l": r"P_{l}",
    "P_r": r"P_{r}",
    "y_phi": r"y_{\varphi}",
    "phi": r"\varphi",
    "spacing": r"\mathrm{spacing}",
}
_AXIS = re.compile(r"^(.*)_(\d+)$")


def _base(name: str) -> str:
    m = _AXIS.match(name)
    return m.group(1) if m and m.group(1) in [*_TERM_ORDER, "x", "w"] else name


def _rank(expr: Any, order: tuple[str, ...] | list[str]) -> int:
    names = [_base(s.name) for s in getattr(expr, "free_symbols", ()) if isinstance(s, sympy.Symbol)]
    ranks = [order.index(n) for n in names if n in order]
    return min(ranks) if ranks else (len(order) if names else len(order) + 1)


def _degree(term: Any) -> int:
    try:
        return int(sympy.Poly(term).total_degree()) if term.free_symbols else 0
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, ValueError, TypeError):
        return 0


class HumanPrinter(LatexPrinter):
    """SymPy's LaTeX printer in human order, with user names for ``x``, ``w``, ``y``."""

    def __init__(self, names: Mapping[str, str] | None = None) -> None:
        super().__init__({"mul_symbol": None})
        self._names = dict(names or {})

    # --- names ---------------------------------------------------------------
    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        name = expr.name
        if name in _UPRIGHT:
            return _UPRIGHT[name]
        m = _AXIS.match(name)
        if m and m.group(1) in _UPRIGHT:  # per-axis: p_before_2 → p_{before,2}
            head = _UPRIGHT[m.group(1)]
            if head.endswith("}") and "_{" in head:
                return head[:-1] + "," + m.group(2) + "}"
            return head + "_{" + m.group(2) + "}"
        for key, tex in self._names.items():
            if name == key:
                return tex
            if name.startswith(key + "_"):
                rest = sympy.latex(sympy.Symbol("Q" + name[len(key) :]))
                if rest.startswith("Q"):
                    return "{" + tex + "}" + rest[1:]
        base = name.rstrip("'")
        if base != name and base:  # phi' → \varphi', as SymPy prints phi
            return self._print_Symbol(sympy.Symbol(base), style) + "'" * (len(name) - len(base))
        return super()._print_Symbol(expr, style=style)

    def _print_AppliedUndef(self, expr: Any, exp: str | None = None) -> str:
        name = expr.func.__name__
        args = ", ".join(self._print(a) for a in expr.args)
        if name == "Iverson" and len(expr.args) == 1:
            tex = r"\left[" + args + r"\right]"
        elif name == "delta":
            tex = r"\delta\left(" + args + r"\right)"
        else:
            base = name.rstrip("'")
            primes = "'" * (len(name) - len(base))
            head = self._names.get(base, self._print(sympy.Symbol(base)) if base else base)
            tex = "{" + head + primes + r"}\left(" + args + r"\right)"
        return tex if exp is None else f"{tex}^{{{exp}}}"

    def _print_Indexed(self, expr: Any) -> str:
        base = str(expr.base)
        head = self._names.get(base.rstrip("'"), base.rstrip("'")) + "'" * (len(base) - len(base.rstrip("'")))
        return head + r"\left[" + r",\, ".join(self._print(i) for i in expr.indices) + r"\right]"

    def _print_Mod(self, expr: Any, exp: str | None = None) -> str:
        a, b = expr.args
        tex = r"\left(" + self._print(a) + r"\right) \bmod " + self._print(b)
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"

    # --- order ---------------------------------------------------------------
    def _print_Add(self, expr: Any, order: str | None = None) -> str:
        # with an input length, PyTorch's order ((L − 1)s − p + d(K − 1) + op + 1); else the reach first
        has_L = any(_base(s.name) in ("L", "L_in") for s in expr.free_symbols if isinstance(s, sympy.Symbol))
        ranking = _TERM_ORDER if has_L else _REACH_FIRST
        terms = sorted(expr.args, key=lambda t: (_rank(t, ranking), -_degree(t), sympy.default_sort_key(t)))
        out = ""
        for n, term in enumerate(terms):
            if term.could_extract_minus_sign():
                body, sign = -term, " - " if n else "-"
            else:
                body, sign = term, " + " if n else ""
            tex = self._print(body)
            if isinstance(body, sympy.Add):
                tex = r"\left(" + tex + r"\right)"
            out += sign + tex
        return out

    def _print_Mul(self, expr: Any) -> str:
        coeff, factors = expr.as_coeff_mul()
        if (
            any(f.is_Pow and f.exp.is_negative for f in factors)
            or not factors
            or (coeff.is_Rational and not coeff.is_Integer)
        ):
            return super()._print_Mul(expr)
        if coeff.is_negative:
            return "-" + self._print(
                sympy.Mul(-coeff, *factors, evaluate=False) if -coeff != 1 else sympy.Mul(*factors)
            )

        def key(f: Any) -> tuple[int, int]:
            has_L = any(_base(s.name) in ("L", "L_in") for s in f.free_symbols if isinstance(s, sympy.Symbol))
            if isinstance(f, sympy.Add):
                return (0 if has_L else 2, _rank(f, _TERM_ORDER))
            return (1, _rank(f, _FACTOR_ORDER))

        parts = []
        for f in sorted(factors, key=key):
            tex = self._print(f)
            if isinstance(f, sympy.Add):
                tex = r"\left(" + tex + r"\right)"
            parts.append(tex)
        if coeff != 1:
            parts.insert(0, self._print(coeff))
        return " ".join(parts)


def human(expr: Any, names: Mapping[str, str] | None = None) -> str:
    r"""An expression as LaTeX in human order.

    Examples
    --------
    >>> from tconvmat.symbolic import transposed_length
    >>> human(transposed_length(asymmetric=True))
    '\\left(L_{\\mathrm{in}} - 1\\right) s - p_{\\mathrm{before}} - p_{\\mathrm{after}} + d \\left(K - 1\\right) + \\mathrm{op} + 1'
    """
    if isinstance(expr, sympy.Basic):
        e = expr
        syms = {s.name: s for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
        if isinstance(e, sympy.Expr) and e.is_polynomial() and not e.atoms(sympy.Indexed, sympy.Function):
            coll = [syms[n] for n in ("s", "d") if n in syms]
            if coll:
                e = sympy.collect(sympy.expand(e), coll)
        return HumanPrinter(names).doprint(e)
    return sympy.latex(sympy.sympify(expr))
