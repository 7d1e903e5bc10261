"""Derivations as data: :class:`Step`, :class:`Derivation`, and the checks a proved step passes.

A step's standing is a property of the step, fixed when it is built:

- ``"proved"``: SymPy checked an equation (or inequality) whose two sides were built
  independently; ``verified`` says whether the check passed;
- ``"definition"``: a definition, nothing to prove;
- ``"cited"``: a result of another derivation (``cites``); verified only if that derivation is;
- ``"argued"``: reasoning in words that SymPy did not check;
- ``"checked"``: checked over a finite range of parameters only.

A derivation is verified only if every step is a definition, or proved and verified, or
cited from a verified derivation.  The checks here (:func:`verify_equal`,
:func:`sums_equal`, :func:`sign_is`) can fail: the tests give the theorem's checks and
most lemma and identity checks a wrong claim and assert that the check rejects it (the proof
document's appendix lists which).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy

__all__ = [
    "STEP_KINDS",
    "Derivation",
    "Step",
    "argued",
    "cite",
    "define",
    "prove",
    "sign_is",
    "sums_equal",
    "verify_equal",
]

STEP_KINDS = ("proved", "definition", "cited", "argued", "checked")
"""What a step is: see :class:`Step`."""

STANDINGS = ("verified", "definition", "failed", "unproved")


@dataclass(frozen=True)
class Step:
    """One step of a derivation.

    Attributes
    ----------
    statement : sympy.Basic
        Usually ``sympy.Eq(lhs, rhs)``.
    justification : str
        One line of prose (plain text; the LaTeX layer typesets it).
    check : str
        How SymPy checked it, naming the SymPy calls (or, for the other kinds, where it comes from).
    verified : bool
        For ``"proved"``: the check passed.  For ``"cited"``: the cited derivation is verified.
        False for every other kind.
    kind : {"proved", "definition", "cited", "argued", "checked"}
        See the module docstring.
    cites : str, optional
        The derivation a ``"cited"`` step cites.
    name : str, optional
        A short label (``"P_l"``, ``"flip"``), used by tests and documents to find the step.
    """

    statement: sympy.Basic
    justification: str
    check: str
    verified: bool = False
    kind: str = "proved"
    cites: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ValueError(f"kind must be one of {STEP_KINDS}; got kind={self.kind!r}")
        if self.verified and self.kind not in ("proved", "cited"):
            raise ValueError(f"a {self.kind!r} step cannot be verified")

    @property
    def standing(self) -> str:
        """``"verified"`` (proved, or cited from a verified derivation), ``"definition"``,
        ``"failed"`` (a check that did not pass, or a citation of an unverified derivation)
        or ``"unproved"`` (argued in words, or checked over a range only).

        Examples
        --------
        >>> import sympy
        >>> Step(sympy.Eq(1, 1), "trivially", "1 - 1 = 0", verified=True).standing
        'verified'
        >>> define(sympy.Symbol("a"), 1, "let a be 1").standing
        'definition'
        """
        if self.kind == "definition":
            return "definition"
        if self.kind in ("argued", "checked"):
            return "unproved"
        return "verified" if self.verified else "failed"


@dataclass(frozen=True)
class Derivation:
    """An ordered list of steps that derives ``statement`` under ``hypotheses``."""

    name: str
    title: str
    statement: sympy.Basic
    steps: tuple[Step, ...]
    hypotheses: tuple[sympy.Basic, ...] = field(default=())

    @property
    def verified(self) -> bool:
        """Every step is a definition or verified (a citation counts only if its derivation is)."""
        return all(step.standing in ("verified", "definition") for step in self.steps)

    def counts(self) -> dict[str, int]:
        """How many steps have each standing (``verified``, ``definition``, ``failed``, ``unproved``)."""
        return {s: sum(step.standing == s for step in self.steps) for s in STANDINGS}

    def step(self, name: str) -> Step:
        """The step labelled ``name``."""
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(f"derivation {self.name!r} has no step named {name!r}")

    def _repr_latex_(self) -> str:  # pragma: no cover - rendering lives in tconvmat.latex
        from .. import latex  # lazy: latex imports symbolic, never the reverse

        return str(latex.derivation(self))


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def verify_equal(lhs: Any, rhs: Any) -> bool:
    """``simplify(expand(lhs − rhs)) == 0``; a difference SymPy cannot simplify is not verified.

    >>> from tconvmat.symbolic import PARAMS as P
    >>> verify_equal(P.s * (P.L_in - 1) + 1, P.s * P.L_in - P.s + 1)
    True
    >>> verify_equal(P.s * P.L_in, P.s * (P.L_in - 1))
    False
    """
    try:
        return bool(sympy.simplify(sympy.expand(lhs - rhs)) == 0)
    except (sympy.PolynomialError, NotImplementedError, TypeError, ValueError, AttributeError):
        return False


def sign_is(expr: Any, sign: str) -> bool:
    """SymPy's assumptions prove ``expr`` (expanded) ``"positive"``, ``"negative"``, ``"nonnegative"``
    or ``"nonpositive"`` from the symbols' assumptions alone (``None``, undecided, is False).

    >>> r, t = sympy.symbols("r t", integer=True, nonnegative=True)
    >>> sign_is(r * t + 1, "positive"), sign_is(r - t, "nonnegative")
    (True, False)
    """
    return getattr(sympy.expand(expr), "is_" + sign) is True


class _Clash(Exception):
    """Two sums reuse a bound variable, a bound depends on a summation variable (the range is not
    rectangular), or a factor's free symbol would be captured by another factor's sum."""


def _terms(e: Any) -> list[tuple[tuple[Any, ...], Any]]:
    """``e`` as a list of ``(limits, coefficient)``: ``Σ_limits coefficient`` each.

    Linearity only: a sum of sums is flattened, a product of sums becomes one sum over the
    union of their (distinct, rectangular) limits, a constant factor moves inside.  A factor that
    mentions another factor's summation variable is refused (:class:`_Clash`), not captured.
    """
    if isinstance(e, sympy.Sum):
        inner = _terms(e.function)
        out = []
        for lims, coeff in inner:
            names = {lim[0] for lim in lims}
            for v, _lo, _hi in e.limits:
                if v in names:
                    raise _Clash(v)
            for _, lo2, hi2 in lims:  # inner bounds must not depend on the outer variables
                if (lo2.free_symbols | hi2.free_symbols) & {v for v, _, _ in e.limits}:
                    raise _Clash(lo2)
            out.append((lims + tuple(e.limits), coeff))
        return out
    if isinstance(e, sympy.Add):
        return [t for a in e.args for t in _terms(a)]
    if isinstance(e, sympy.Mul):
        acc: list[tuple[tuple[Any, ...], Any]] = [((), sympy.Integer(1))]
        for factor in e.args:
            nxt = []
            for lims, coeff in acc:
                for lims2, coeff2 in _terms(factor):
                    here, there = {v for v, _, _ in lims}, {v for v, _, _ in lims2}
                    if here & there:
                        raise _Clash(factor)
                    # a factor's free symbol named like another factor's bound variable would be captured
                    if (sympy.sympify(coeff).free_symbols & there) or (
                        sympy.sympify(coeff2).free_symbols & here
                    ):
                        raise _Clash(factor)
                    nxt.append((lims + lims2, coeff * coeff2))
            acc = nxt
        return acc
    return [((), e)]


def _normal(e: Any) -> dict[tuple[Any, ...], Any]:
    """Linear normal form: sorted limits → expanded coefficient, undefined functions' arguments expanded."""
    out: dict[tuple[Any, ...], Any] = {}
    for lims, coeff in _terms(e):
        names = {v for v, _, _ in lims}
        for _, lo, hi in lims:  # sorting the limits is Fubini only for a rectangular range
            if (sympy.sympify(lo).free_symbols | sympy.sympify(hi).free_symbols) & names:
                raise _Clash(lo)
        key = tuple(sorted(((v, sympy.expand(lo), sympy.expand(hi)) for v, lo, hi in lims), key=str))
        out[key] = out.get(key, 0) + coeff
    normal = {}
    for key, coeff in out.items():
        c = sympy.expand(coeff)
        c = c.replace(
            lambda a: isinstance(a, sympy.core.function.AppliedUndef),
            lambda a: a.func(*(sympy.expand(x) for x in a.args)),
        )
        c = sympy.expand(c)
        if c != 0:
            normal[key] = c
    return normal


def sums_equal(lhs: Any, rhs: Any) -> bool:
    """Two finite sums are equal term by term after linearity (sums flattened, factors moved
    inside, limits sorted: Fubini for rectangular finite sums) and ``expand``.

    Bound variables are compared by name and undefined functions (``δ``, ``x``) by their
    expanded arguments, so this can only confirm an identity whose two sides agree
    summand by summand; it never evaluates a sum.  Sides it cannot put in this form soundly
    (a bound that depends on a summation variable, a factor whose free symbol another factor's
    sum would capture) are not equal (False).

    >>> k, K, j = sympy.symbols("k K j", integer=True)
    >>> f = sympy.Function("f")
    >>> sums_equal(2 * sympy.Sum(f(j + k), (k, 0, K - 1)), sympy.Sum(f(k + j) + f(j + k), (k, 0, K - 1)))
    True
    >>> sums_equal(sympy.Sum(f(j + k), (k, 0, K - 1)), sympy.Sum(f(j - k), (k, 0, K - 1)))
    False
    >>> sums_equal(k * sympy.Sum(f(k), (k, 0, K - 1)), sympy.Sum(k * f(k), (k, 0, K - 1)))
    False
    """
    try:
        a, b = _normal(lhs), _normal(rhs)
    except _Clash:
        return False
    if a.keys() != b.keys():
        return False
    return all(sympy.expand(a[key] - b[key]) == 0 for key in a)


# ---------------------------------------------------------------------------
# Building steps
# ---------------------------------------------------------------------------


def prove(
    statement: sympy.Basic,
    why: str,
    check: str,
    passed: bool | Callable[[], bool],
    name: str = "",
) -> Step:
    """A proved step: ``passed`` is the result of the check (or a callable that computes it)."""
    ok = passed() if callable(passed) else passed
    return Step(statement, why, check, bool(ok), "proved", None, name)


def define(lhs: Any, rhs: Any, why: str, where: str = "definition", name: str = "") -> Step:
    """A definition ``lhs := rhs`` (nothing to prove); ``where`` says where it comes from."""
    return Step(sympy.Eq(lhs, rhs, evaluate=False), why, where, False, "definition", None, name)


def cite(derivation_name: str, statement: sympy.Basic, why: str, name: str = "") -> Step:
    """A result of another derivation; verified only if that derivation is."""
    from ._registry import derivation

    cited = derivation(derivation_name)
    return Step(
        statement,
        why,
        f"cites the result: {cited.title[0].lower() + cited.title[1:]}",
        cited.verified,
        "cited",
        derivation_name,
        name,
    )


def argued(statement: sympy.Basic, why: str, argument: str, kind: str = "argued", name: str = "") -> Step:
    """A step SymPy did not check: ``argument`` says why it holds (``kind``: argued or checked)."""
    return Step(statement, why, argument, False, kind, None, name)
