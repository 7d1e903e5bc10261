"""The symbolic layer: golden expressions, exact agreement with the numeric routes, checked derivations."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat import symbolic as sym
from tconvmat.identities import overlap_counts
from tconvmat.symbolic import theorem
from tconvmat.symbolic.identities import matrix_equal

from .cases import cases

P = sym.PARAMS
x0, x1 = sympy.symbols("x0 x1")
w0, w1, w2 = sympy.symbols("w0 w1 w2")


@pytest.mark.parametrize(
    ("stride", "expected"),
    [
        (1, [w0 * x0, w1 * x0 + w0 * x1, w2 * x0 + w1 * x1, w2 * x1]),
        (2, [w0 * x0, w1 * x0, w2 * x0 + w0 * x1, w1 * x1, w2 * x1]),
        (4, [w0 * x0, w1 * x0, w2 * x0, 0, w0 * x1, w1 * x1, w2 * x1]),
    ],
)
def test_learner_examples_golden(stride, expected):
    y = sym.conv_transpose_expressions(
        sym.input_symbols((1, 2)), sym.weight_symbols((1, 1, 3)), stride=stride
    )
    assert y.shape == (1, len(expected))
    assert [sympy.expand(e - f) for e, f in zip(y[0], expected)] == [0] * len(expected)
    ones = {x0: 1, x1: 1, w0: 1, w1: 1, w2: 1}
    numeric = tcm.conv_transpose(np.ones((1, 1, 2), np.int64), np.ones((1, 1, 3), np.int64), stride=stride)
    assert [int(e.subs(ones)) for e in y[0]] == numeric[0, 0].tolist()


def _substitute(exprs, values):
    f = np.frompyfunc(lambda e: int(sympy.sympify(e).xreplace(values)), 1, 1)
    return f(exprs).astype(np.int64)


def _draw(case, seed, symbolic_x, symbolic_w):
    rng = np.random.default_rng(seed)
    xv = rng.integers(-3, 4, case.x_shape)
    wv = rng.integers(-3, 4, case.weight_shape)
    xs = sym.input_symbols(case.x_shape) if symbolic_x else xv
    ws = sym.weight_symbols(case.weight_shape) if symbolic_w else wv
    values = {}
    if symbolic_x:
        values.update(zip(xs.ravel().tolist(), map(sympy.Integer, xv.ravel().tolist())))
    if symbolic_w:
        values.update(zip(ws.ravel().tolist(), map(sympy.Integer, wv.ravel().tolist())))
    return xs, ws, xv, wv, values


@given(
    case=cases(
        modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True, output_size=True, max_channels=2
    ),
    seed=st.integers(0, 2**32 - 1),
    which=st.sampled_from([(True, True), (True, False), (False, True)]),
)
def test_conv_transpose_expressions_equal_numeric_exactly(case, seed, which):
    xs, ws, xv, wv, values = _draw(case, seed, *which)
    y = sym.conv_transpose_expressions(xs, ws, **case.kwargs)
    np.testing.assert_array_equal(_substitute(y, values), tcm.conv_transpose(xv, wv, **case.kwargs))


@given(
    case=cases(
        kind="conv", modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True, max_channels=2
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv_expressions_equal_numeric_exactly(case, seed):
    xs, ws, xv, wv, values = _draw(case, seed, True, True)
    y = sym.conv_expressions(xs, ws, **case.kwargs)
    np.testing.assert_array_equal(_substitute(y, values), tcm.conv(xv, wv, **case.kwargs))


@given(
    case=cases(modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True, max_channels=2)
    | cases(
        kind="conv", modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True, max_channels=2
    ),
    count=st.integers(1, 40),
)
def test_leading_expressions_are_the_first_of_all(case, count):
    """``tconvmat explain`` builds only the elements it shows; they are the full result's first."""
    spec = case.spec()
    x = sym.input_symbols(spec.input_shape)
    w = sym.weight_symbols(case.weight_shape)
    full = (sym.conv_transpose_expressions if case.kind == "transpose" else sym.conv_expressions)(
        x, w, **case.kwargs
    )
    assert sym._leading(spec, x, w, count).tolist() == full.ravel()[:count].tolist()


@given(
    case=cases(modes=("zeros", "reflect"), asymmetric=True, max_channels=2), seed=st.integers(0, 2**32 - 1)
)
def test_symbolic_matrix_equals_sparse_matrix(case, seed):
    _, ws, _, wv, values = _draw(case, seed, False, True)
    M = sym.conv_transpose_matrix(ws, case.input_shape, **case.kwargs)
    C = tcm.conv_transpose_matrix(wv, case.input_shape, **case.kwargs)
    assert M.shape == C.shape
    np.testing.assert_array_equal(np.array(M.xreplace(values).tolist(), dtype=np.int64), C.toarray())


def test_bias_and_mixed_numbers():
    y = sym.conv_transpose_expressions(
        np.array([[2, 0]]), sym.weight_symbols((1, 1, 2)), bias=[sympy.Symbol("b")]
    )
    assert y.tolist() == [
        [
            2 * sympy.Symbol("w0") + sympy.Symbol("b"),
            2 * sympy.Symbol("w1") + sympy.Symbol("b"),
            sympy.Symbol("b"),
        ]
    ]


def test_errors_are_shared_with_the_numeric_layer():
    with pytest.raises(tcm.ConvolutionSpecError, match="output_padding must be smaller"):
        sym.conv_transpose_expressions(
            sym.input_symbols((1, 2)), sym.weight_symbols((1, 1, 3)), output_padding=1
        )
    with pytest.raises(tcm.ConvolutionSpecError, match="derivation name must be one of"):
        sym.derivation("nope")


def test_hostile_symbol_names_are_accepted():
    """Names with TeX specials are ordinary symbols in the expressions and escaped text in LaTeX."""
    from tconvmat import latex

    a, b = sympy.Symbol("a_b%c&#"), sympy.Symbol("\\x{")
    x = np.array([[a, b]], dtype=object)
    y = sym.conv_transpose_expressions(x, np.array([[[2, 3]]]))
    assert y.tolist() == [[2 * a, 2 * b + 3 * a, 3 * b]]
    assert sym.conv_transpose_expressions(x, np.ones((1, 1, 2), np.int64)).tolist() == [[a, a + b, b]]
    tex = latex.expressions(y)
    assert r"\text{a\_b\%c\&\#}" in tex and r"\text{\textbackslash{}x\{}" in tex
    assert "%" not in tex.replace(r"\%", "") and "#" not in tex.replace(r"\#", "")
    assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")


UNPROVED = {  # derivation: the steps SymPy does not prove, each marked with its kind
    "flipped_kernel_nd": {1: "argued"},
    "subpixel": {5: "argued"},
}


@pytest.mark.parametrize("name", list(sym.derivations()))
def test_every_claim_is_proved_or_marked(name):
    """Every step is a definition, a citation, proved by SymPy, or marked as not proved;
    every check passes; "verified" is never set on a step SymPy did not check."""
    d = sym.derivation(name)
    assert d.steps
    assert all(
        isinstance(step.statement, sympy.Basic) and step.justification and step.check for step in d.steps
    )
    assert all(step.kind in sym.STEP_KINDS for step in d.steps)
    assert all(step.standing != "failed" for step in d.steps)
    unproved = {n: step.kind for n, step in enumerate(d.steps) if step.kind in ("argued", "checked")}
    assert unproved == UNPROVED.get(name, {})
    assert d.verified == (not unproved)
    for step in d.steps:
        if step.kind == "cited":
            assert step.cites in sym.derivations()
            assert step.verified == sym.derivation(step.cites).verified


def test_the_general_theorem_has_no_argued_step():
    d = sym.derivation("flipped_kernel")
    assert d.verified and d.counts()["unproved"] == 0 and d.counts()["verified"] >= 6


def test_a_citation_of_an_unverified_derivation_is_not_verified():
    assert not sym.derivation("flipped_kernel_nd").verified
    cited = sym.Step(sympy.Eq(P.s, P.s), "as shown", "proved in derivation x", False, "cited", "x")
    assert cited.standing == "failed"
    with pytest.raises(ValueError, match="cannot be verified"):
        sym.Step(sympy.Eq(P.s, P.s), "by definition", "definition", True, "definition")


# ---------------------------------------------------------------------------
# Negative controls: every proved check rejects a perturbed claim
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_theorem_checks_pass_for_each_ndim(ndim):
    assert all(theorem.equivalence_checks(ndim).values())


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize(
    ("perturb", "fails"),
    [
        ("P_l_off_by_d", {"equal", "delta_arguments", "lengths"}),
        ("no_flip", {"equal"}),
        ("no_channel_swap", {"equal"}),
        ("P_r_without_op", {"lengths", "in_range"}),
        ("no_zero_insertion", {"equal"}),
    ],
)
def test_theorem_checks_fail_on_wrong_claims(ndim, perturb, fails):
    checks = theorem.equivalence_checks(ndim, perturb)
    assert {name for name, ok in checks.items() if not ok} >= fails


def test_linearity_and_sum_comparison_can_fail():
    f = sympy.Function("f")
    one = sympy.Sum(f(P.i) * sympy.Sum(f(P.k), (P.k, 0, P.K - 1)), (P.i, 0, P.L_in - 1))
    flat = sympy.Sum(f(P.i) * f(P.k), (P.i, 0, P.L_in - 1), (P.k, 0, P.K - 1))
    assert sym.sums_equal(one, flat)
    assert not sym.sums_equal(one, 2 * flat)
    assert not sym.sums_equal(flat, sympy.Sum(f(P.i) * f(P.k), (P.i, 0, P.L_in), (P.k, 0, P.K - 1)))
    assert not sym.sums_equal(flat, sympy.Sum(f(P.i) * f(P.k + 1), (P.i, 0, P.L_in - 1), (P.k, 0, P.K - 1)))
    # a bound depending on another sum's variable is refused, not silently reordered
    tri = sympy.Sum(f(P.i) * sympy.Sum(f(P.k), (P.k, 0, P.i)), (P.i, 0, P.L_in - 1))
    assert not sym.sums_equal(tri, sympy.Sum(f(P.i) * f(P.k), (P.k, 0, P.i), (P.i, 0, P.L_in - 1)))


def test_sum_comparison_refuses_capture_and_dependent_bounds():
    f, g = sympy.Function("f"), sympy.Function("g")
    k, i, K = P.k, P.i, P.K
    # a free k outside the sum is not the bound k inside it
    assert not sym.sums_equal(k * sympy.Sum(f(k), (k, 0, K - 1)), sympy.Sum(k * f(k), (k, 0, K - 1)))
    assert not sym.sums_equal(sympy.Sum(f(k), (k, 0, K - 1)) * k, sympy.Sum(k * f(k), (k, 0, K - 1)))
    # limits of one Sum that depend on each other are not reordered
    tri = sympy.Sum(g(i, k), (i, 0, k), (k, 0, K))
    assert not sym.sums_equal(tri, sympy.Sum(g(i, k), (k, 0, K), (i, 0, k)))
    assert not sym.sums_equal(tri, tri)  # refused, not compared: the check cannot confirm it
    # rectangular sums still compare, in either order
    rect = sympy.Sum(g(i, k), (i, 0, K), (k, 0, K))
    assert sym.sums_equal(rect, sympy.Sum(g(i, k), (k, 0, K), (i, 0, K)))
    assert sym.sums_equal(2 * sympy.Sum(f(k), (k, 0, K)), sympy.Sum(f(k) + f(k), (k, 0, K)))


def test_lemma_checks_fail_on_wrong_claims():
    from tconvmat.symbolic.lemmas import _collapse_checks, _floor_is, scatter_sum

    L, K, s, d = P.L_in, P.K, P.s, P.d
    # Cᵀx: C itself (rows and columns exchanged) is not the scatter sum
    C_wrong = sympy.Sum(
        sympy.Function("w")(P.k) * sym.DELTA(P.i - (P.j * s + P.k * d - P.p_before)), (P.k, 0, K - 1)
    )
    assert not sym.sums_equal(sympy.Sum(C_wrong * sympy.Function("x")(P.i), (P.i, 0, L - 1)), scatter_sum())
    # the sign checks behind the case split reject a wrong remainder range (r = s is a hit)
    e, t = sympy.symbols("e t", integer=True, nonnegative=True)
    assert not sym.sign_is(s * (-1 - e) + s, "negative")
    assert all(_collapse_checks(s).values())
    # floor by its definition: ⌊op/s⌋ = 0 needs op < s
    assert _floor_is(sympy.Integer(0), e / (e + 1 + t))
    assert not _floor_is(sympy.Integer(0), (e + 1 + t) / (e + 1 + t))
    assert not sym.verify_equal(sym.transposed_length(), P.L_in * s - 2 * P.p + d * (K - 1) + P.op + 1)


def _without_divisibility(orig):
    def patched(pad=None):
        eq = orig(pad)
        (value, cond), _ = eq.rhs.function.args
        kept = sympy.And(*[c for c in cond.args if not isinstance(c, sympy.Eq)])
        return sympy.Eq(eq.lhs, sympy.Sum(sympy.Piecewise((value, kept), (0, True)), *eq.rhs.limits))

    return patched


def test_element_step_compares_the_assembled_sum_with_the_formula(monkeypatch):
    """Step 10 of Lemma 1 is a real check: the formula without ``s | j + p − k·d`` fails it."""
    from tconvmat.symbolic import lemmas

    assert lemmas.matrix_element().step("element").verified
    monkeypatch.setattr(lemmas, "element_formula", _without_divisibility(lemmas.element_formula))
    wrong = lemmas.matrix_element()
    assert not wrong.step("element").verified
    assert not wrong.verified
    # the formula with the wrong range of taps fails too
    orig = sym.element_formula
    monkeypatch.setattr(
        lemmas,
        "element_formula",
        lambda pad=None: sympy.Eq(orig(pad).lhs, sympy.Sum(orig(pad).rhs.function, (P.k, 0, P.K))),
    )
    assert not lemmas.matrix_element().verified


def test_checkerboard_induction_checks_the_count_side(monkeypatch):
    from tconvmat.symbolic import lemmas

    count = sym.overlap_count(P.phi).subs(P.d, 1)
    divides = sympy.Eq(sympy.Mod(P.K - P.phi, P.s), 0)
    assert lemmas._count_step(count, divides)
    assert not lemmas._count_step(count, sympy.Eq(sympy.Mod(P.K + 1 - P.phi, P.s), 0))
    # a count of the taps with s | k − φ + 1 does not grow by [s | K − φ]: the induction fails
    shifted = lambda ph=None: sym.overlap_count(P.phi if ph is None else ph).subs(P.phi, P.phi - 1)  # noqa: E731
    monkeypatch.setattr(lemmas, "overlap_count", shifted)
    wrong = lemmas.checkerboard()
    assert not wrong.steps[3].verified and not wrong.steps[4].verified
    assert not wrong.verified


def _failed(d):
    return {i for i, st in enumerate(d.steps) if st.kind == "proved" and not st.verified}


def test_output_length_checks_fail_on_wrong_claims(monkeypatch):
    from tconvmat.symbolic import lemmas

    assert not _failed(lemmas.output_length())
    # a scatter position one off: j_min and j_max (steps 1, 2) no longer hold
    monkeypatch.setattr(lemmas, "input_index", lambda i, k, s, d, p: i * s + k * d - p + 1)
    assert {1, 2} <= _failed(lemmas.output_length())
    monkeypatch.undo()
    # the slip length (L_in·s in place of (L_in − 1)·s): L_out against PyTorch's formula fails
    slip = lambda L, K, s, pb, pa, d, op: L * s - pb - pa + d * (K - 1) + op + 1  # noqa: E731
    monkeypatch.setattr(lemmas, "conv_transpose_output_length", slip)
    assert {4, 5} <= _failed(lemmas.output_length())


def test_round_trip_checks_fail_on_wrong_claims(monkeypatch):
    from tconvmat.symbolic import lemmas

    assert not _failed(lemmas.round_trip())
    # a forward length without the floor's "+ 1" makes the reduction step fail
    monkeypatch.setattr(
        lemmas,
        "conv_output_length",
        lambda L, K, s, pb, pa, d: sympy.floor((L + pb + pa - d * (K - 1) - 1) / s),
    )
    assert 1 in _failed(lemmas.round_trip())


def test_identity_checks_fail_on_wrong_claims():
    from tconvmat.symbolic.identities import matrix_equal

    n, m = sympy.symbols("n m", integer=True, positive=True)
    C, xv, g = sympy.MatrixSymbol("C", m, n), sympy.MatrixSymbol("x", n, 1), sympy.MatrixSymbol("g", m, 1)
    # gradient: ∂⟨g, C x⟩/∂x is Cᵀg, not 2·Cᵀg
    assert matrix_equal(sympy.diff(g.T * C * xv, xv), C.T * g)
    assert not matrix_equal(sympy.diff(g.T * C * xv, xv), 2 * C.T * g)
    # composition: (C_B C_A)ᵀ is not C_Bᵀ C_Aᵀ (square, so the shapes allow the wrong order)
    A, B = sympy.MatrixSymbol("C_A", n, n), sympy.MatrixSymbol("C_B", n, n)
    assert not matrix_equal((B * A).T, B.T * A.T)
    y = sympy.MatrixSymbol("y", n, 1)
    assert not matrix_equal((A * A.T * y).T * y, 2 * (A.T * y).T * (A.T * y))
    # sub-pixel uniqueness: φ' − φ may be s itself only if φ' = s is allowed; the sign check refuses it
    e, u = sympy.symbols("e u", integer=True, nonnegative=True)
    s = P.s
    assert sym.sign_is(s * (1 + e) - (s - 1 - u), "positive")
    assert not sym.sign_is(s * (1 + e) - (s + u), "positive")
    assert not sym.verify_equal(sympy.Mod(P.i * s + P.k * P.d, s), sympy.Mod(P.k, s))


def test_sympy_kronecker_pitfall_is_not_relied_on():
    """Summing KroneckerDelta(s·i, c)·x(i) gives x(c/s) with no divisibility condition; the
    derivations use an uninterpreted δ and the unit-coefficient sum only."""
    c = sympy.Symbol("c", integer=True)
    x = sympy.Function("x")
    got = sympy.Sum(x(P.i) * sympy.KroneckerDelta(P.s * P.i, c), (P.i, 0, P.L_in - 1)).doit()
    assert got.subs({P.s: 2, c: 1, P.L_in: 3}) == x(sympy.Rational(1, 2))  # the true value is 0


@given(K=st.integers(1, 12), s=st.integers(1, 6), d=st.integers(1, 4))
def test_checkerboard_statement_against_brute_force(K, s, d):
    """The closed form holds for d = 1, which is what the theorem claims (its hypothesis)."""
    closed = sym.derivation("checkerboard").statement.rhs
    assert sympy.Eq(P.d, 1) in sym.derivation("checkerboard").hypotheses
    if d == 1:
        for phi in range(s):
            brute = sum((k - phi) % s == 0 for k in range(K))
            assert int(closed.subs({P.K: K, P.s: s, P.phi: phi})) == brute


def test_checkerboard_closed_form_is_false_for_d_2():
    closed = sym.derivation("checkerboard").statement.rhs
    assert int(closed.subs({P.K: 3, P.s: 2, P.phi: 0})) == 2
    assert sum((k * 2) % 2 == 0 for k in range(3)) == 3  # K=3, s=2, d=2: N(0) = 3


def test_a_crashing_simplify_does_not_verify():
    f = sympy.Function("f")
    crash = sympy.Sum(sympy.Sum(f(P.k) * f(P.k), (P.k, 0, P.K - 1)), (P.i, 0, P.L_in - 1))
    assert sym.verify_equal(crash, crash + 1) is False


def test_a_false_step_is_caught():
    assert not sym.verify_equal(P.L_in * P.s, (P.L_in - 1) * P.s)
    assert not sym.verify_equal(sym.transposed_length(), sym.transposed_length() + P.s)
    assert sym.verify_equal((P.L_in - 1) * P.s + 1, P.L_in * P.s - P.s + 1)


def test_length_formula_is_derived_and_not_the_slip():
    L_out = sym.transposed_length()
    slip = P.L_in * P.s - 2 * P.p + P.d * (P.K - 1) + P.op + 1
    assert sympy.simplify(L_out - slip) == -P.s
    pl, pr = sym.flipped_pads()
    assert sympy.expand(pl - (P.d * (P.K - 1) - P.p)) == 0
    pb, pa = sym.flipped_pads(asymmetric=True)
    assert sympy.expand(pb - (P.d * (P.K - 1) - P.p_before)) == 0
    assert sympy.expand(pa - (P.d * (P.K - 1) - P.p_after + P.op)) == 0
    assert sympy.expand(pr - (P.d * (P.K - 1) - P.p + P.op)) == 0


@given(
    L=st.integers(1, 9),
    K=st.integers(1, 5),
    s=st.integers(1, 4),
    p=st.integers(0, 4),
    d=st.integers(1, 3),
    op=st.integers(0, 3),
)
def test_derived_length_equals_torch(torch, L, K, s, p, d, op):
    if op >= max(s, d):
        return
    n = int(sym.transposed_length().subs({P.L_in: L, P.K: K, P.s: s, P.p: p, P.d: d, P.op: op}))
    if n <= 0:
        return
    y = torch.nn.functional.conv_transpose1d(
        torch.zeros(1, 1, L), torch.zeros(1, 1, K), stride=s, padding=p, output_padding=op, dilation=d
    )
    assert y.shape[-1] == n
    if op < s:  # round trip
        back = sym.forward_length(sympy.Integer(n)).subs({P.K: K, P.s: s, P.p: p, P.d: d})
        assert back == L


@given(K=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3))
def test_overlap_count_formula_matches_counts(K, s, d):
    counts = [int(sym.overlap_count(phi).subs({P.K: K, P.s: s, P.d: d}).doit()) for phi in range(s)]
    assert counts == overlap_counts(K, s, d).tolist()


@given(case=cases(asymmetric=True, max_channels=2), seed=st.integers(0, 2**32 - 1))
def test_fast_canonical_construction_is_identical_to_sympy_evaluation(case, seed):
    """The all-symbols fast path builds exactly the objects SymPy's own arithmetic builds."""
    xs = sym.input_symbols(case.x_shape)
    ws = sym.weight_symbols(case.weight_shape)
    fast = sym.conv_transpose_expressions(xs, ws, **case.kwargs)
    C = sym.conv_transpose_matrix(ws, case.input_shape, **case.kwargs)
    xb = xs if case.batch is not None else xs[None]
    for n in range(xb.shape[0]):
        slow = [
            sympy.Add(*[C[r, c] * v for r, v in enumerate(xb[n].ravel().tolist())]) for c in range(C.shape[1])
        ]
        got = (fast if case.batch is not None else fast[None])[n].ravel().tolist()
        assert got == slow  # structural equality: same args in the same order


def test_matrix_identity_checker_can_fail():
    n = sympy.Symbol("n", integer=True, positive=True)
    A, B = sympy.MatrixSymbol("A", n, n), sympy.MatrixSymbol("B", n, n)
    assert matrix_equal(sympy.Transpose(B * A), A.T * B.T)
    assert not matrix_equal(sympy.Transpose(B * A), B.T * A.T)


_NUMBERS = [0, 1, -1, 2, 3, sympy.Rational(1, 2), sympy.Rational(-3, 4), sympy.Integer(5), np.int64(7)]


def _mixed(symbols, seed):
    """Replace a random part of ``symbols`` by numbers: zeros, ±1, integers, rationals."""
    rng = np.random.default_rng(seed)
    flat = symbols.ravel().copy()
    pick = rng.random(flat.size) < rng.random()
    flat[pick] = [_NUMBERS[i] for i in rng.integers(0, len(_NUMBERS), int(pick.sum()))]
    return flat.reshape(symbols.shape)


@given(case=cases(asymmetric=True, max_channels=2), seed=st.integers(0, 2**32 - 1))
def test_fast_path_is_identical_for_every_numeric_symbolic_mix(case, seed):
    """Rational numbers and symbols in any mix: the fast path builds what SymPy's arithmetic
    builds (structurally equal, same printed form) and what the general path builds."""
    from tconvmat.symbolic import expressions

    x = _mixed(sym.input_symbols(case.x_shape), seed)
    w = _mixed(sym.weight_symbols(case.weight_shape), seed + 1)
    fast = sym.conv_transpose_expressions(x, w, **case.kwargs)
    expressions._FAST = False
    try:
        general = sym.conv_transpose_expressions(x, w, **case.kwargs)
    finally:
        expressions._FAST = True
    C = sym.conv_transpose_matrix(w, case.input_shape, **case.kwargs)
    xb = x if case.batch is not None else x[None]
    fb = fast if case.batch is not None else fast[None]
    for n in range(xb.shape[0]):
        samples = xb[n].ravel().tolist()
        slow = [sympy.Add(*[C[r, c] * v for r, v in enumerate(samples)]) for c in range(C.shape[1])]
        got = fb[n].ravel().tolist()
        assert got == slow
        assert [str(v) for v in got] == [str(v) for v in slow]
        assert all(sympy.expand(a - b) == 0 for a, b in zip(got, slow))
    assert fast.tolist() == general.tolist()


def test_fast_path_merges_like_terms_and_cancels():
    """Numeric x with a symbolic w: like terms merge (2·w0 + 3·w0 = 5·w0), opposite ones vanish."""
    w = sym.weight_symbols((1, 1, 2))
    y = sym.conv_transpose_expressions(np.array([[2, -2]]), w)
    assert y.tolist() == [[2 * w[0, 0, 0], 2 * w[0, 0, 1] - 2 * w[0, 0, 0], -2 * w[0, 0, 1]]]
    y = sym.conv_expressions(
        np.array([[1, 1, 1]]), np.array([[[sympy.Symbol("a"), -sympy.Symbol("a")]]], dtype=object)
    )
    assert y.tolist() == [[0, 0]]


@given(
    seed=st.integers(0, 2**32 - 1),
    mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    stride=st.integers(1, 2),
    groups=st.sampled_from([1, 2]),
)
def test_forward_fast_path_is_identical_for_every_mix(seed, mode, stride, groups):
    """conv_expressions and leading_expressions too: the fast path (zero padding) and the
    general one (the other padding modes, where one entry may hold several taps) agree exactly."""
    from tconvmat.symbolic import expressions

    x = _mixed(sym.input_symbols((2 * groups, 4, 5)), seed)
    w = _mixed(sym.weight_symbols((2 * groups, 2, 2, 3)), seed + 1)
    kw = dict(stride=stride, padding=1, groups=groups, padding_mode=mode)
    fast = sym.conv_expressions(x, w, **kw)
    expressions._FAST = False
    try:
        general = sym.conv_expressions(x, w, **kw)
    finally:
        expressions._FAST = True
    assert fast.tolist() == general.tolist()
    spec = tcm.conv_spec(w.shape, x.shape, **kw)
    assert sym.leading_expressions(spec, x, w, 7).tolist() == fast.ravel()[:7].tolist()
