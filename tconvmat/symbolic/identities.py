"""Identities around the theorem: the gradient (VJP), the sub-pixel decomposition, composition."""

from __future__ import annotations

from typing import Any

import sympy

from ..spec import input_index
from .formulas import PARAMS
from .steps import Derivation, argued, cite, define, prove, sign_is, verify_equal

__all__ = ["composition", "gradient", "matrix_equal", "subpixel"]

P = PARAMS
_nn = {"integer": True, "nonnegative": True}


def matrix_equal(a: Any, b: Any) -> bool:
    """Matrix-expression identity: ``a − b`` is structurally zero after ``doit``.

    >>> n = sympy.Symbol("n", integer=True, positive=True)
    >>> A, B = sympy.MatrixSymbol("A", n, n), sympy.MatrixSymbol("B", n, n)
    >>> matrix_equal((B * A).T, A.T * B.T), matrix_equal((B * A).T, B.T * A.T)
    (True, False)
    """
    diff = sympy.simplify((a - b).doit())
    return bool(diff == sympy.ZeroMatrix(*diff.shape) or getattr(diff, "is_ZeroMatrix", False))


def gradient() -> Derivation:
    """The transposed convolution is the gradient (VJP) of the convolution with respect to its input."""
    n, m = sympy.symbols("n m", integer=True, positive=True)
    C = sympy.MatrixSymbol("C", m, n)
    xv = sympy.MatrixSymbol("x", n, 1)
    g = sympy.MatrixSymbol("g", m, 1)
    ct = sympy.Function("T")  # T(g): the transposed convolution of g (same kernel, stride, padding)
    steps = (
        define(sympy.Symbol("f"), (g.T * C * xv)[0, 0], "pair the convolution C x with an output gradient g"),
        prove(
            sympy.Eq(sympy.MatrixSymbol("g_x", n, 1), C.T * g, evaluate=False),
            "its gradient g_x with respect to x: for the bilinear form ⟨g, C x⟩ it is Cᵀ g",
            "sympy.diff of the matrix expression gᵀ C x against Cᵀ g: the difference is the zero matrix",
            matrix_equal(sympy.diff(g.T * C * xv, xv), C.T * g),
        ),
        cite(
            "matrix_element",
            sympy.Eq(C.T * g, ct(g), evaluate=False),
            "and Cᵀ g = T(g) is the transposed convolution of g (the lemma on Cᵀx)",
        ),
    )
    return Derivation(
        "gradient",
        "The transposed convolution is the gradient (VJP) of the convolution",
        sympy.Eq(sympy.MatrixSymbol("g_x", n, 1), ct(g), evaluate=False),
        steps,
    )


def subpixel() -> Derivation:
    """Sub-pixel (polyphase) decomposition: the phases of the output, interleaved."""
    G, a_, b_, m_ = sympy.symbols("G a b m", integer=True, positive=True)
    s, d = P.s, P.d
    t = input_index(P.i, P.k, s, d, 0)
    q, q2 = sympy.symbols("q q'", integer=True)
    e, _f, u = sympy.symbols("e f u", **_nn)
    u_, v_, x_, c_ = sympy.symbols("u v x c", integer=True)
    H1, H2 = sympy.symbols("H_1 H_2", integer=True)
    # uniqueness of the phase: φ + q·s = φ' + q'·s with 0 ≤ φ, φ' < s forces q = q':
    # s·(q − q') = φ' − φ lies in (−s, s); s·e with e ≥ 1 is ≥ s, with e ≤ −1 is ≤ −s
    unique = sign_is(s * (1 + e) - (s - 1 - u), "positive") and sign_is(
        s * (-1 - e) + (s - 1 - u), "negative"
    )
    steps = (
        define(
            P.t,
            t,
            "tap k of input i lands at t = i·s + k·d in the full (uncropped) output",
            "definition (the index relation with p = 0)",
        ),
        prove(
            sympy.Eq(sympy.Mod(t, s, evaluate=False), sympy.Mod(P.k * d, s)),
            "its phase t mod s does not depend on i: only the taps with k·d ≡ φ (mod s) reach phase φ",
            "verify_equal(Mod(i·s + k·d, s), Mod(k·d, s))",
            verify_equal(sympy.Mod(t, s), sympy.Mod(P.k * d, s)),
        ),
        prove(
            sympy.Eq(t.subs(P.k * d, P.phi + m_ * s), P.phi + (P.i + m_) * s),
            "writing k·d = φ + m·s, the tap lands at q = i + m on the phase-φ sub-grid t = φ + q·s: "
            "phase φ of the output is the stride-1 convolution of x with the taps of that phase",
            "substitute k·d = φ + m·s; verify_equal",
            verify_equal(t.subs(P.k * d, P.phi + m_ * s), P.phi + (P.i + m_) * s),
        ),
        prove(
            sympy.Ne(s * (q - q2), sympy.Symbol("phi'", integer=True) - P.phi),
            "every position t is φ + q·s for exactly one phase 0 ≤ φ < s: if φ + q·s = φ' + q'·s then "
            "s·(q − q') = φ' − φ, which lies strictly between −s and s, so q = q' and φ = φ'; "
            "interleaving the s phases (pixel shuffle) therefore gives every output exactly once; for q ≠ q'",
            "for q ≠ q': |φ' − φ| ≤ s − 1 − u (u ≥ 0) and sign_is: s·e' − (s − 1 − u) > 0 for e' = q − q' ≥ 1 "
            "and s·e' + (s − 1 − u) < 0 for e' ≤ −1",
            unique,
        ),
        prove(
            sympy.Eq((P.k + a_) * d - P.k * d, s * b_).subs({d: G * b_, s: G * a_}),
            "with G = gcd(s, d), s = G·a, d = G·b: tap k + a = k + s/G reaches the same phase as tap k",
            "substitute s = G·a, d = G·b; verify_equal((k + a)·d − k·d, s·b)",
            verify_equal(((P.k + a_) * d - P.k * d).subs(d, G * b_), (s * b_).subs(s, G * a_)),
        ),
        argued(
            sympy.Eq(u_ * a_ + v_ * b_, 1),
            "and no closer tap does.  As gcd(a, b) = 1, there are integers u, v with u·a + v·b = 1",
            "Bézout's identity (a textbook theorem), not checked by SymPy",
        ),
        prove(
            sympy.Eq(x_ - a_ * (x_ * u_ + v_ * c_), x_ * H1 + v_ * H2),
            "if taps k and k' = k + x reach the same phase, s | x·d, i.e. x·b = a·c for an integer c; "
            "with H_1 = 1 − u·a − v·b = 0 and H_2 = x·b − a·c = 0 this identity gives x = a·(x·u + v·c), "
            "so s/G = a divides x: equal phases are exactly s/G taps apart (Euclid's lemma)",
            "verify_equal of the polynomial identity, H_1 and H_2 substituted by their definitions",
            verify_equal(
                x_ - a_ * (x_ * u_ + v_ * c_),
                (x_ * H1 + v_ * H2).subs({H1: 1 - u_ * a_ - v_ * b_, H2: x_ * b_ - a_ * c_}),
            ),
        ),
    )
    return Derivation(
        "subpixel",
        "Sub-pixel (polyphase) decomposition",
        sympy.Eq(sympy.Function("y")(P.phi + q * s), sympy.Function("y_phi")(q)),
        steps,
    )


def composition() -> Derivation:
    """Transposes compose in reverse; the Gram matrix ``C Cᵀ``."""
    a, b, c = sympy.symbols("a b c", integer=True, positive=True)
    A = sympy.MatrixSymbol("C_A", b, a)
    B = sympy.MatrixSymbol("C_B", c, b)
    y = sympy.MatrixSymbol("y", b, 1)
    v = sympy.MatrixSymbol("v", a, 1)
    steps = (
        define(sympy.MatrixSymbol("C_BA", c, a), B * A, "the matrix of conv_B ∘ conv_A is the product"),
        prove(
            sympy.Eq(sympy.Transpose(B * A), A.T * B.T, evaluate=False),
            "its transpose is the reversed product: conv_transpose_A ∘ conv_transpose_B",
            "(C_B C_A)ᵀ − C_Aᵀ C_Bᵀ simplifies to the zero matrix",
            matrix_equal((B * A).T, A.T * B.T),
        ),
        define(v, A.T * y, "let v = C_Aᵀ y, the transposed convolution of y"),
        prove(
            sympy.Eq(y.T * A * A.T * y, v.T * v, evaluate=False),
            "conv_A ∘ conv_transpose_A has the Gram matrix C Cᵀ, positive semidefinite: yᵀ C Cᵀ y = ‖Cᵀ y‖² ≥ 0",
            "the difference simplifies to the zero matrix",
            matrix_equal((A * A.T * y).T * y, (A.T * y).T * (A.T * y)),
        ),
    )
    return Derivation(
        "composition", "Transposes compose in reverse; the Gram matrix C Cᵀ", steps[1].statement, steps
    )
