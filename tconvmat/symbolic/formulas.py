"""Parametric formulas: :data:`PARAMS` and the shape and element formulas on integer symbols.

Everything derives from the index relation :func:`tconvmat.spec.input_index`
(``i = o·s + k·d − p``) and the shape formulas of :mod:`tconvmat.spec`; nothing is re-typed.
"""

from __future__ import annotations

from types import SimpleNamespace

import sympy

from ..spec import ConvTransposeSpec, conv_output_length, conv_transpose_output_length, input_index

__all__ = [
    "DELTA",
    "PARAMS",
    "element_formula",
    "flipped_pads",
    "forward_length",
    "overlap_count",
    "transposed_length",
]

_pos = {"integer": True, "positive": True}
_nonneg = {"integer": True, "nonnegative": True}
PARAMS = SimpleNamespace(
    L_in=sympy.Symbol("L_in", **_pos),
    s=sympy.Symbol("s", **_pos),
    d=sympy.Symbol("d", **_pos),
    K=sympy.Symbol("K", **_pos),
    p=sympy.Symbol("p", **_nonneg),
    p_before=sympy.Symbol("p_before", **_nonneg),
    p_after=sympy.Symbol("p_after", **_nonneg),
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
DELTA = sympy.Function("delta")
"""The Kronecker delta as an uninterpreted function: ``delta(n)`` is 1 if ``n = 0`` and 0 otherwise.
The derivations never evaluate it; two sums are compared summand by summand, ``delta``'s
arguments expanded (:func:`tconvmat.symbolic.steps.sums_equal`)."""


def transposed_length(asymmetric: bool = False) -> sympy.Expr:
    """``L_out`` of a transposed convolution, from :func:`tconvmat.spec.conv_transpose_output_length`:
    symmetric padding ``p``, or ``p_before``, ``p_after`` with ``asymmetric=True``.

    >>> transposed_length()
    K*d - d + op - 2*p + s*(L_in - 1) + 1
    >>> transposed_length(asymmetric=True)
    K*d - d + op - p_after - p_before + s*(L_in - 1) + 1
    """
    P = PARAMS
    pb, pa = (P.p_before, P.p_after) if asymmetric else (P.p, P.p)
    return sympy.expand(conv_transpose_output_length(P.L_in, P.K, P.s, pb, pa, P.d, P.op)).collect(P.s)


def forward_length(length: sympy.Expr | None = None) -> sympy.Expr:
    """``L_out = ⌊(L + 2p − d(K − 1) − 1)/s⌋ + 1`` of a forward convolution (from the relation).

    >>> forward_length()
    floor((L_in - d*(K - 1) + 2*p - 1)/s) + 1
    """
    P = PARAMS
    return conv_output_length(P.L_in if length is None else length, P.K, P.s, P.p, P.p, P.d)


def _source(pad: sympy.Expr | None = None) -> sympy.Expr:
    """``i`` solved from ``j = i·s + k·d − p``: the input reaching output ``j`` through tap ``k``."""
    P = PARAMS
    pb = P.p_before if pad is None else pad
    (sol,) = sympy.solve(sympy.Eq(input_index(P.i, P.k, P.s, P.d, pb), P.j), P.i)
    return sol


def element_formula(pad: sympy.Expr | None = None) -> sympy.Eq:
    """``(Cᵀx)_j`` as a sum over taps with the divisibility and range conditions (``pad``: the
    padding before, default ``p_before``).

    >>> element_formula()
    Eq(y(j), Sum(Piecewise((w(k)*x((-d*k + j + p_before)/s), Eq(Mod(-d*k + j + p_before, s), 0) & ((-d*k + j + p_before)/s >= 0) & (L_in > (-d*k + j + p_before)/s)), (0, True)), (k, 0, K - 1)))
    """
    P = PARAMS
    i = _source(pad)
    cond = sympy.And(sympy.Eq(sympy.Mod(sympy.numer(sympy.together(i)), P.s), 0), i >= 0, i < P.L_in)
    term = sympy.Piecewise((_w(P.k) * _x(i), cond), (0, True))
    return sympy.Eq(sympy.Function("y")(P.j), sympy.Sum(term, (P.k, 0, P.K - 1)))


def flipped_pads(asymmetric: bool = False) -> tuple[sympy.Expr, sympy.Expr]:
    """``(P_l, P_r)`` of the equivalent stride-1 convolution, from
    :attr:`tconvmat.spec.ConvTransposeSpec.flipped_pads` on symbols.

    >>> flipped_pads()
    (d*(K - 1) - p, d*(K - 1) + op - p)
    >>> flipped_pads(asymmetric=True)
    (d*(K - 1) - p_before, d*(K - 1) + op - p_after)
    """
    P = PARAMS
    pads = ((P.p_before, P.p_after),) if asymmetric else ((P.p, P.p),)
    spec = ConvTransposeSpec(1, 1, (P.K,), (P.L_in,), (P.s,), pads, (P.op,), (P.d,))
    ((pl, pr),) = spec.flipped_pads
    return pl, pr


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
