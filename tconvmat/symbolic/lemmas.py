"""One-axis lemmas: the output length, the element formula of ``Cᵀx``, the round trip, the checkerboard.

Every ``"proved"`` step compares two sides built independently (a definition against a
claim, or a claim against an external reference formula such as PyTorch's documented
length); inequalities are proved by SymPy's assumptions after writing each bounded
variable as its bound plus or minus a non-negative integer.
"""

from __future__ import annotations

import sympy

from ..spec import conv_output_length, conv_transpose_output_length, input_index
from .formulas import DELTA, PARAMS, _w, _x, element_formula, forward_length, overlap_count
from .steps import Derivation, define, prove, sign_is, sums_equal, verify_equal

__all__ = ["checkerboard", "matrix_element", "output_length", "round_trip"]

P = PARAMS
_nn = {"integer": True, "nonnegative": True}
# non-negative slack variables: a bounded variable is its bound plus or minus one of these
_e, _f, _t, _u = sympy.symbols("e f t u", **_nn)


def _floor_is(value: sympy.Expr, arg: sympy.Expr) -> bool:
    """``⌊arg⌋ = value`` by its definition: ``value ≤ arg < value + 1`` (SymPy's assumptions)."""
    return sign_is(sympy.together(arg - value), "nonnegative") and sign_is(
        sympy.together(value + 1 - arg), "positive"
    )


# ---------------------------------------------------------------------------
# Lemma: the output length (asymmetric padding, output padding)
# ---------------------------------------------------------------------------


def output_length() -> Derivation:
    """``L_out = (L_in − 1)·s − p_before − p_after + d·(K − 1) + op + 1``, from the scatter positions."""
    L, K, s, d, pb, pa, op = P.L_in, P.K, P.s, P.d, P.p_before, P.p_after, P.op
    j_of = input_index(P.i, P.k, s, d, pb)
    j_min, j_max = sympy.Symbol("j_min", integer=True), sympy.Symbol("j_max", integer=True)
    lowest = -pb
    highest = (L - 1) * s + d * (K - 1) - pb
    length = conv_transpose_output_length(L, K, s, pb, pa, d, op)
    torch_doc = (
        (L - 1) * s - 2 * P.p + d * (K - 1) + op + 1
    )  # PyTorch's ConvTranspose1d docs, typed from them
    i_, k_, a_ = sympy.symbols("i' k' a", integer=True, nonnegative=True)
    dv = s * (i_ - 1) + a_ + k_ - 2 * P.p  # Dumoulin & Visin, relationship 14: o' = s(i' − 1) + a + k − 2p
    slip = L * s - 2 * P.p + d * (K - 1) + op + 1
    steps = (
        define(
            P.j,
            j_of,
            "input i sends kernel tap k to output position j, for 0 ≤ i < L_in and 0 ≤ k < K",
            "definition (the index relation read the other way)",
            name="scatter",
        ),
        prove(
            sympy.Eq(j_min, lowest),
            "the smallest position: i·s + k·d ≥ 0 for i, k ≥ 0, with equality at i = k = 0",
            "sign_is(i·s + k·d, 'nonnegative') with i, k non-negative symbols; j at i = k = 0 "
            "against −p_before (verify_equal)",
            sign_is((j_of + pb).subs({P.i: _e, P.k: _f}), "nonnegative")
            and verify_equal(j_of.subs({P.i: 0, P.k: 0}), lowest),
            name="j_min",
        ),
        prove(
            sympy.Eq(j_max, highest),
            "the largest position: (L_in − 1 − i)·s + (K − 1 − k)·d ≥ 0, with equality at i = L_in − 1, k = K − 1",
            "sign_is of the claimed j_max minus j with i = L_in − 1 − e, k = K − 1 − f (e, f ≥ 0); "
            "j at the corner against the claim (verify_equal)",
            sign_is((highest - j_of).subs({P.i: L - 1 - _e, P.k: K - 1 - _f}), "nonnegative")
            and verify_equal(j_of.subs({P.i: L - 1, P.k: K - 1}), highest),
            name="j_max",
        ),
        define(
            P.L_out,
            j_max + 1 - pa + op,
            "the output keeps positions 0 … j_max − p_after + op: p_before positions are cropped "
            "before (j_min = −p_before), p_after after, and op positions are added at the end",
            "definition (PyTorch's transposed convolution)",
            name="crop",
        ),
        prove(
            sympy.Eq(P.L_out, length),
            "substituting j_max",
            "verify_equal(j_max + 1 − p_after + op, tconvmat.spec.conv_transpose_output_length)",
            verify_equal(highest + 1 - pa + op, length),
            name="L_out",
        ),
        prove(
            sympy.Eq(P.L_out, torch_doc, evaluate=False),
            "with p_before = p_after = p this is the formula of PyTorch's documentation",
            "verify_equal against the formula typed from PyTorch's ConvTranspose1d documentation",
            verify_equal(length.subs({pb: P.p, pa: P.p}), torch_doc),
            name="pytorch",
        ),
        prove(
            sympy.Eq(sympy.Symbol("o'"), dv, evaluate=False),
            "and with d = 1, i' = L_in, k' = K and op = a it is Dumoulin and Visin's o' = s(i' − 1) + a + k' − 2p",
            "verify_equal against relationship 14 of Dumoulin & Visin, typed from the paper",
            verify_equal(length.subs({L: i_, K: k_, d: 1, op: a_, pb: P.p, pa: P.p}), dv),
            name="dumoulin_visin",
        ),
        prove(
            sympy.Eq(sympy.Symbol("slip") - P.L_out, s, evaluate=False),
            "the common slip L_in·s in place of (L_in − 1)·s is s too long: the last copy starts at (L_in − 1)·s",
            "verify_equal(slip − L_out, s)",
            verify_equal(slip - length.subs({pb: P.p, pa: P.p}), s),
            name="slip",
        ),
    )
    return Derivation(
        "output_length", "The output length of a transposed convolution", sympy.Eq(P.L_out, length), steps
    )


# ---------------------------------------------------------------------------
# Lemma: Cᵀx is the transposed convolution, and its element formula
# ---------------------------------------------------------------------------


def scatter_sum(pad: sympy.Expr | None = None) -> sympy.Sum:
    """PyTorch's transposed convolution on one axis: ``y_j = Σ_i Σ_k w_k x_i δ(j − (i·s + k·d − p))``."""
    pb = P.p_before if pad is None else pad
    return sympy.Sum(
        _w(P.k) * _x(P.i) * DELTA(P.j - input_index(P.i, P.k, P.s, P.d, pb)),
        (P.i, 0, P.L_in - 1),
        (P.k, 0, P.K - 1),
    )


def _collapse_checks(s: sympy.Expr) -> dict[str, bool]:
    """``s·e + r = 0`` with ``0 ≤ r < s`` only for ``e = r = 0``: by the sign of ``s·e + r`` on each side."""
    r1 = 1 + _u  # 0 < r < s: r = 1 + u, s = r + 1 + t
    s_r = r1 + 1 + _t
    return {
        # r = 0: s·e > 0 for e ≥ 1, s·e < 0 for e ≤ −1
        "r0": sign_is(s * (1 + _e), "positive") and sign_is(s * (-1 - _e), "negative"),
        # 0 < r < s: s·e + r > 0 for e ≥ 0, < 0 for e ≤ −1
        "r_pos": sign_is(s_r * _e + r1, "positive") and sign_is(s_r * (-1 - _e) + r1, "negative"),
    }


def _assembled_matches(q: sympy.Symbol, r: sympy.Symbol) -> bool:
    """The per-tap term assembled from the case steps equals :func:`element_formula`'s term, case by case.

    ``T_k = w_k x_q`` if ``r = 0`` and ``0 ≤ q < L_in``, else 0 (the steps *miss*, *hit*, *unit*),
    is compared with the formula's Piecewise at ``j = s·q + r − p_before + k·d`` for ``r = 0`` and
    for ``0 < r < s`` (``r = 1 + u``, ``s = r + 1 + t``); the formula must sum over the taps
    ``0 … K − 1`` of the scatter sum.
    """
    L, s = P.L_in, P.s
    formula = element_formula().rhs
    if not isinstance(formula, sympy.Sum) or tuple(formula.limits) != ((P.k, 0, P.K - 1),):
        return False
    term = formula.function
    assembled = sympy.Piecewise((_w(P.k) * _x(q), sympy.And(sympy.Eq(r, 0), q >= 0, q < L)), (0, True))
    at = term.subs(P.j, s * q + r - P.p_before + P.k * P.d)
    r0 = sympy.simplify(at.subs(r, 0) - assembled.subs(r, 0)) == 0
    r_pos = {r: 1 + _u, s: 2 + _u + _t}
    miss = sympy.simplify(at.subs(r_pos)) == 0 and sympy.simplify(assembled.subs(r_pos)) == 0
    return bool(r0 and miss)


def matrix_element() -> Derivation:
    """``Cᵀx`` is the transposed convolution, and its element formula (the case split on ``j + p − k·d``)."""
    L, K, s, d, pb = P.L_in, P.K, P.s, P.d, P.p_before
    C, y = sympy.Function("C"), sympy.Function("y")
    entry = sympy.Sum(_w(P.k) * DELTA(P.j - input_index(P.i, P.k, s, d, pb)), (P.k, 0, K - 1))
    ct_x = sympy.Sum(entry * _x(P.i), (P.i, 0, L - 1))  # (Cᵀx)_j = Σ_i C[i, j] x_i
    scatter = scatter_sum()
    q, r, n = sympy.symbols("q r n", integer=True)
    e = sympy.Symbol("e", integer=True)
    cases = _collapse_checks(s)
    unit = sympy.Sum(_x(P.i) * sympy.KroneckerDelta(P.i, q), (P.i, 0, L - 1)).doit()
    unit_claim = sympy.Piecewise((_x(q), sympy.And(q >= 0, q <= L - 1)), (0, True))
    term = element_formula().rhs.function  # the Piecewise of the element formula, at n = j + p − k·d
    at_r0 = term.subs(P.j, s * q - pb + P.k * d)  # n = s·q
    steps = (
        define(
            C(P.i, P.j),
            entry,
            "the matrix C of the forward convolution: row i holds tap k at column j = i·s + k·d − p_before",
            "definition (the forward convolution's matrix, from the index relation)",
            name="C",
        ),
        define(
            y(P.j),
            scatter,
            "the transposed convolution: every input i adds w_k x_i to position i·s + k·d − p_before",
            "definition (PyTorch's transposed convolution)",
            name="scatter",
        ),
        prove(
            sympy.Eq(sympy.Sum(C(P.i, P.j) * _x(P.i), (P.i, 0, L - 1)), scatter),
            "so y = Cᵀx: column j of C, weighted by x, is the scatter sum",
            "sums_equal(Σ_i C(i, j)·x_i with C substituted, the scatter sum): linearity and "
            "summand-by-summand comparison",
            sums_equal(ct_x, scatter),
            name="transpose",
        ),
        define(
            n,
            s * q + r,
            "for one tap k write n = j + p_before − k·d = s·q + r with 0 ≤ r < s (division with remainder)",
            "definition (q = ⌊n/s⌋, r = n mod s)",
            name="division",
        ),
        prove(
            sympy.Eq(DELTA(n - s * P.i), DELTA(s * (q - P.i) + r)),
            "then input i meets output j through tap k iff s·(q − i) + r = 0",
            "verify_equal of the δ arguments with n = s·q + r",
            verify_equal((n - s * P.i).subs(n, s * q + r), s * (q - P.i) + r),
            name="rewrite",
        ),
        prove(
            sympy.Ne(s * e + r, 0),
            "if 0 < r < s no input meets j through tap k: s·e + r ≠ 0 for every integer e",
            "sign_is: with r = 1 + u, s = r + 1 + t (u, t ≥ 0), s·e + r > 0 for e ≥ 0 and < 0 for e ≤ −1",
            cases["r_pos"],
            name="miss",
        ),
        prove(
            sympy.Eq(DELTA(s * (q - P.i)), DELTA(q - P.i)),
            "if r = 0, s·(q − i) = 0 iff i = q (s ≥ 1)",
            "sign_is: s·e > 0 for e ≥ 1 and s·e < 0 for e ≤ −1",
            cases["r0"],
            name="hit",
        ),
        prove(
            sympy.Eq(sympy.Sum(_x(P.i) * sympy.KroneckerDelta(P.i, q), (P.i, 0, L - 1)), unit_claim),
            "and the sum over i keeps x_q alone, if 0 ≤ q < L_in",
            "sympy Sum(x(i)·KroneckerDelta(i, q)).doit() (unit coefficient) against the Piecewise",
            unit == unit_claim,
            name="unit",
        ),
        prove(
            sympy.Eq(
                sympy.Symbol("T_k"), sympy.Piecewise((_w(P.k) * _x(q), sympy.And(q >= 0, q < L)), (0, True))
            ),
            "which is the element formula's term at n = s·q (SymPy evaluates Mod(s·q, s) = 0)",
            "substitute j = s·q − p + k·d into the formula's Piecewise; compare (==)",
            at_r0 == sympy.Piecewise((_w(P.k) * _x(q), sympy.And(q >= 0, q < L)), (0, True)),
            name="formula_r0",
        ),
    )
    steps += (
        prove(
            element_formula(),
            "summing over the taps: the two cases r = 0 and 0 < r < s are exhaustive, and in each the "
            "formula's term is the term the case steps derived",
            "the assembled term T_k = w_k x_q [r = 0, 0 ≤ q < L_in], built from the case steps, against the "
            "formula's Piecewise at j = s·q + r − p_before + k·d in each case: r = 0, and r = 1 + u, "
            "s = r + 1 + t (u, t ≥ 0), where SymPy evaluates both to 0 (==); the formula sums over the "
            "scatter sum's taps 0 … K − 1; and the case steps above passed",
            lambda: _assembled_matches(q, r) and all(st.verified for st in steps[4:]),
            name="element",
        ),
    )
    return Derivation("matrix_element", "The element formula of Cᵀx", element_formula(), steps)


# ---------------------------------------------------------------------------
# Round trip of the shapes
# ---------------------------------------------------------------------------


def round_trip() -> Derivation:
    """``conv`` undoes the shape of ``conv_transpose`` iff ``op < s`` (symmetric padding)."""
    L, K, s, d, p, op = P.L_in, P.K, P.s, P.d, P.p, P.op
    L_back = sympy.Symbol("L_back", integer=True)
    length = conv_transpose_output_length(L, K, s, p, p, d, op)
    back = conv_output_length(length, K, s, p, p, d)
    reduced = sympy.floor(((L - 1) * s + op) / s) + 1
    r_op, s_op = _e, _e + 1 + _t  # 0 ≤ op < s: op = e, s = e + 1 + t
    steps = (
        define(
            L_back,
            forward_length(P.L_out),
            "apply the forward convolution's length formula to L_out",
            "definition (tconvmat.spec.conv_output_length)",
        ),
        prove(
            sympy.Eq(L_back, reduced),
            "substituting L_out (Lemma on the output length), the padding and the kernel's reach cancel",
            "verify_equal(conv_output_length(conv_transpose_output_length(…)), the claim)",
            verify_equal(back, reduced),
        ),
        prove(
            sympy.Eq(L_back, L + sympy.floor(op / s)),
            "take the integer L_in − 1 out of the floor",
            "verify_equal",
            verify_equal(reduced, L + sympy.floor(op / s)),
        ),
        prove(
            sympy.Eq(sympy.floor(op / s), 0),
            "with 0 ≤ op < s, 0 ≤ op/s < 1, so ⌊op/s⌋ = 0 and L_back = L_in",
            "floor by its definition, 0 ≤ op/s < 1, with op = e, s = e + 1 + t (e, t ≥ 0): sign_is",
            _floor_is(sympy.Integer(0), r_op / s_op),
        ),
        prove(
            sympy.Eq(sympy.floor(op / s), 1),
            "whereas s ≤ op < 2s gives L_back = L_in + 1: the condition op < s is needed",
            "floor by its definition with op = s + e, s ≥ e + 1 + t: sign_is",
            _floor_is(sympy.Integer(1), (s_op + _e) / s_op),
        ),
    )
    return Derivation(
        "round_trip",
        "The forward convolution undoes the shape of the transposed one when op < s",
        sympy.Eq(L_back, L),
        steps,
        hypotheses=(sympy.Le(0, op, evaluate=False), sympy.Lt(op, s, evaluate=False)),
    )


# ---------------------------------------------------------------------------
# The checkerboard count, d = 1
# ---------------------------------------------------------------------------


def _count_step(count: sympy.Sum, divides: sympy.Basic) -> bool:
    """``N(K + 1) − N(K) = [s | K − φ]`` for the count ``N(K) = Σ_{k<K} [s | k − φ]``.

    The count at ``K + 1`` minus the count at ``K`` and the one-term sum ``Σ_{k=K}^{K}`` simplify
    to 0 (SymPy merges the adjacent ranges), and that one-term sum evaluates to the bracket.
    """
    K, k = P.K, P.k
    ((var, lo, hi),) = count.limits
    if var != k or lo != 0 or sympy.expand(hi - (K - 1)) != 0:
        return False
    last = sympy.Sum(count.function, (k, K, K))
    merged = sympy.simplify(count.subs(K, K + 1) - count - last) == 0
    bracket = sympy.Piecewise((1, divides), (0, True))
    return bool(merged and last.doit() == bracket)


def checkerboard() -> Derivation:
    """``N(φ) = ⌊(K − 1 − φ)/s⌋ + 1`` taps reach phase ``φ`` when ``d = 1``: induction on ``K``."""
    K, s, phi = P.K, P.s, P.phi
    N = sympy.Function("N")
    closed = sympy.floor((K - 1 - phi) / s) + 1
    n = sympy.Symbol("n", integer=True)
    iverson = sympy.Function("Iverson")
    # floor identity ⌊(n+1)/s⌋ − ⌊n/s⌋ = [s | n+1], by n = s·q + r, 0 ≤ r < s:
    q = sympy.Symbol("q", integer=True)
    r_lt, s_lt = _e, _e + 2 + _t  # r + 1 < s
    s_eq = _e + 1  # r + 1 = s
    floor_cases = (
        _floor_is(q, (s_lt * q + r_lt) / s_lt)
        and _floor_is(q, (s_lt * q + r_lt + 1) / s_lt)
        and sign_is(r_lt + 1, "positive")
        and sign_is(s_lt - (r_lt + 1), "positive")  # so n + 1 has remainder r + 1 ≠ 0
        and _floor_is(q, (s_eq * q + _e) / s_eq)
        and _floor_is(q + 1, (s_eq * q + _e + 1) / s_eq)
        and verify_equal(s_eq * q + _e + 1, s_eq * (q + 1))  # and n + 1 = s·(q + 1)
    )
    base = _floor_is(sympy.Integer(-1), (-1 - _e) / (_e + 1 + _t))  # K = 0: ⌊(−1 − φ)/s⌋ = −1
    count_K = overlap_count(phi).subs(P.d, 1)
    step_claim = closed.subs(K, K + 1) - closed
    divides = sympy.Eq(sympy.Mod(K - phi, s), 0)
    count_step = _count_step(count_K, divides)
    closed_step = verify_equal(
        step_claim, (sympy.floor((n + 1) / s) - sympy.floor(n / s)).subs(n, K - 1 - phi)
    )
    count_base = sympy.simplify(count_K.subs(K, 0).doit()) == 0
    steps = (
        define(
            N(phi),
            count_K,
            "the taps k reaching an output of phase φ, 0 ≤ φ < s, when d = 1: those with s | k − φ",
            "definition",
        ),
        prove(
            sympy.Eq(
                sympy.floor((n + 1) / s) - sympy.floor(n / s), iverson(sympy.Eq(sympy.Mod(n + 1, s), 0))
            ),
            "the floor identity: write n = s·q + r, 0 ≤ r < s; if r + 1 < s both floors are q and s ∤ n + 1, "
            "if r + 1 = s they are q and q + 1 and s | n + 1",
            "floor by its definition (q ≤ n/s < q + 1) in each case, with r = e, s = e + 2 + t or s = e + 1: sign_is",
            floor_cases,
        ),
        prove(
            sympy.Eq(closed.subs(K, 0), 0),
            "the closed form is 0 for K = 0, as the empty count is: ⌊(−1 − φ)/s⌋ = −1 for 0 ≤ φ < s",
            "floor by its definition with φ = e, s = e + 1 + t: sign_is",
            base,
        ),
        prove(
            sympy.Eq(step_claim, iverson(sympy.Eq(sympy.Mod(K - phi, s), 0))),
            "adding tap k = K adds [s | K − φ] to the count, and the floor identity with n = K − 1 − φ "
            "adds the same to the closed form",
            "count side: simplify(N at K + 1 − N at K − Σ_{k=K}^{K} [s | k − φ]) = 0 and that one-term sum "
            "is [s | K − φ] (doit, ==); closed side: verify_equal of the closed form at K + 1 minus at K "
            "against the floor identity's left side at n = K − 1 − φ, and the floor identity's cases",
            count_step and closed_step and floor_cases,
        ),
        prove(
            sympy.Eq(N(phi), closed),
            "by induction on K: N(φ) = ⌊(K − 1 − φ)/s⌋ + 1 for every K ≥ 0 and 0 ≤ φ < s",
            "induction: both sides are 0 at K = 0 (the count's empty sum by doit, the closed form as above) "
            "and both grow by [s | K − φ] from K to K + 1 (the step above, its checks recomputed here)",
            count_base and base and count_step and closed_step and floor_cases,
        ),
        prove(
            sympy.Eq(closed.subs({K: (n + 1) * s}), n + 1),
            "if s divides K, K = (n + 1)·s, every phase 0 ≤ φ < s gets n + 1 taps: no checkerboard",
            "floor by its definition with φ = s − 1 − e (e ≥ 0): ((n + 1)s − s + e)/s = n + e/s, e < s: sign_is",
            _floor_is(n, (n * (_e + 1 + _t) + _e) / (_e + 1 + _t))
            and verify_equal(((K - 1 - phi) / s).subs({K: (n + 1) * s, phi: s - 1 - _e}), (n * s + _e) / s),
        ),
    )
    return Derivation(
        "checkerboard",
        "Uneven overlap (checkerboard) for d = 1 and when it vanishes",
        sympy.Eq(N(phi), closed),
        steps,
        hypotheses=(sympy.Eq(P.d, 1), sympy.Le(0, phi, evaluate=False), sympy.Lt(phi, s, evaluate=False)),
    )
