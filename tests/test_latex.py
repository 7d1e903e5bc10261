"""LaTeX export: golden fragments, escaping, pictures against PyTorch, documents that compile."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat import latex, symbolic
from tconvmat.latex import _builder, _pictures
from tconvmat.latex._printer import human
from tconvmat.spec import ConvolutionSpecError, conv_transpose_output_length, conv_transpose_spec
from tconvmat.symbolic import Derivation, Step

from .conftest import REQUIRE_ORACLES

# The learner's example: kernel [1, 1, 1], input [1, 1], stride 2 → y = [1, 1, 2, 1, 1].
W1 = np.array([[[1, 1, 1]]])
X1 = np.array([[1, 1]])


# ---------------------------------------------------------------------------
# A small derivation made of real symbolic steps
# ---------------------------------------------------------------------------


def _demo_derivation() -> Derivation:
    a, b = sympy.symbols("a b", integer=True)
    x = sympy.IndexedBase("x")
    steps = (
        Step(sympy.Eq((a + b) ** 2, a**2 + 2 * a * b + b**2), "expand κ − 1 ≤ 50% & {x}_#", "expand", True),
        Step(sympy.Le(a, a + b**2, evaluate=False), "because b² ≥ 0", "not attempted", False, "argued"),
        Step(sympy.Eq(x[a], x[a], evaluate=False), "trivially", "definition", False, "definition"),
    )
    return Derivation("demo", "A demo", steps[0].statement, steps)


# ---------------------------------------------------------------------------
# Builder and escaping
# ---------------------------------------------------------------------------


def test_builder_golden() -> None:
    assert latex.command("frac", "a", "b") == r"\frac{a}{b}"
    assert latex.command("usepackage", "tikz", options="x") == r"\usepackage[x]{tikz}"
    assert latex.environment("bmatrix", "1 & 2") == "\\begin{bmatrix}\n1 & 2\n\\end{bmatrix}"
    assert latex.environment("tabular", "a & b", "ll").startswith(r"\begin{tabular}{ll}")
    assert latex.join(" & ", ["1", "2"]) == "1 & 2"
    with pytest.raises(ValueError, match="command name"):
        latex.command("bad name")


def test_tex_modes_and_repr_latex() -> None:
    m = latex.matrix(np.eye(2, dtype=int))
    assert isinstance(m, latex.Tex) and isinstance(m, str) and m.mode == "math"
    assert m._repr_latex_() == "$\\displaystyle " + m + "$"
    d = latex.derivation(_demo_derivation())
    assert d.mode == "display" and d._repr_latex_() == str(d)
    assert latex.scatter_picture([1], [1])._repr_latex_() is None  # TikZ: MathJax cannot show it
    with pytest.raises(ValueError, match="mode"):
        latex.Tex("x", "bogus")  # type: ignore[arg-type]


def test_tex_is_immutable_and_pickles() -> None:
    import pickle

    t = latex.Tex("a", "display")
    with pytest.raises(AttributeError, match="immutable"):
        t.mode = "text"  # type: ignore[misc]
    u = pickle.loads(pickle.dumps(t))
    assert u == "a" and u.mode == "display"
    with pytest.raises(ValueError, match="non-empty strings"):
        latex.transpose_product(np.eye(2), [1, 2], symbol_names={"x": ""})


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("_", r"\_"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("#", r"\#"),
        ("$", r"\ensuremath{\$}"),
        ("{", r"\{"),
        ("}", r"\}"),
        ("\\", r"\textbackslash{}"),
        ("^", r"\^{}"),
        ("~", r"\~{}"),
        ("κ", r"\ensuremath{\kappa}"),
        ("−", r"\ensuremath{-}"),
        ("é", "e"),
        ("\u2603", r"\texttt{[U+2603]}"),
    ],
)
def test_escape_each_special_character(raw: str, escaped: str) -> None:
    assert latex.escape("a" + raw + "b") == "a" + escaped + "b"


def test_prose_sets_subscripted_names_as_maths() -> None:
    assert _builder.prose("P_l and L_out, not conv_transpose or 50%") == (
        r"\(P_{l}\) and \(L_{\mathrm{out}}\), not conv\_transpose or 50\%"
    )


def test_math_name() -> None:
    assert latex.math_name("x") == "x"
    assert latex.math_name("out") == r"\mathrm{out}"
    assert latex.math_name("x_1") == r"\text{x\_1}"
    assert latex.math_name("θ") == r"\theta"
    with pytest.raises(ValueError, match="non-empty"):
        latex.math_name("")


# ---------------------------------------------------------------------------
# Golden fragments: the learner's stride-2 example
# ---------------------------------------------------------------------------


def test_learner_matrix_golden() -> None:
    C = tcm.conv_transpose_matrix(W1, (1, 2), stride=2)
    assert latex.matrix(C) == "\\begin{bmatrix}\n1 & 1 & 1 & 0 & 0 \\\\\n0 & 0 & 1 & 1 & 1\n\\end{bmatrix}"
    assert latex.matrix(C, zero="cdot") == (
        "\\begin{bmatrix}\n1 & 1 & 1 & \\cdot & \\cdot \\\\\n\\cdot & \\cdot & 1 & 1 & 1\n\\end{bmatrix}"
    )
    assert (
        latex.matrix(C, zero="blank")
        == "\\begin{bmatrix}\n1 & 1 & 1 &  &  \\\\\n &  & 1 & 1 & 1\n\\end{bmatrix}"
    )
    assert latex.matrix(C, labels=True, index_base=1) == (
        "\\begin{array}{r|ccccc}\n & 1 & 2 & 3 & 4 & 5 \\\\ \\hline\n"
        "1 & 1 & 1 & 1 & 0 & 0 \\\\\n2 & 0 & 0 & 1 & 1 & 1\n\\end{array}"
    )


def test_learner_y_golden() -> None:
    y = tcm.conv_transpose(X1, W1, stride=2)
    assert latex.vector(y) == "\\begin{bmatrix}\n1 \\\\\n1 \\\\\n2 \\\\\n1 \\\\\n1\n\\end{bmatrix}"
    C = tcm.conv_transpose_matrix(W1, (1, 2), stride=2)
    assert latex.transpose_product(C, X1) == (
        "y = C^{\\top} x = \\begin{bmatrix}\n1 & 0 \\\\\n1 & 0 \\\\\n1 & 1 \\\\\n0 & 1 \\\\\n0 & 1\n\\end{bmatrix}"
        "\\begin{bmatrix}\n1 \\\\\n1\n\\end{bmatrix} = "
        "\\begin{bmatrix}\n1 \\\\\n1 \\\\\n2 \\\\\n1 \\\\\n1\n\\end{bmatrix}"
    )
    with pytest.raises(ValueError, match="must equal"):
        latex.transpose_product(C, X1, [1, 1, 2, 1, 2])


def test_learner_length_formula_golden() -> None:
    L, K, s, p, d, op = sympy.symbols("L K s p d op", integer=True)
    length = conv_transpose_output_length(L, K, s, p, p, d, op)
    assert latex.Tex(sympy.latex(length)) == r"d \left(K - 1\right) + op - 2 p + s \left(L - 1\right) + 1"
    # the lemma as the proof document states it, and its value for the learner's example
    lemma = symbolic.derivation("output_length").statement
    assert human(lemma) == (
        r"L_{\mathrm{out}} = \left(L_{\mathrm{in}} - 1\right) s - p_{\mathrm{before}} - p_{\mathrm{after}}"
        r" + d \left(K - 1\right) + \mathrm{op} + 1"
    )
    assert human(symbolic.flipped_pads(asymmetric=True)[0]) == r"d \left(K - 1\right) - p_{\mathrm{before}}"
    tex = latex.proof_document(weight=W1, x=X1, stride=2)
    assert r"L_{\mathrm{out}} &= (2 - 1) \cdot 2 - 0 - 0 + 1 \cdot (3 - 1) + 0 + 1 = 5" in tex
    assert "y[0] = " + latex.vector([1, 1, 2, 1, 1], row=True) in tex  # the learner's answer


def test_symbolic_matrix_and_expressions() -> None:
    a, b = sympy.symbols("w_0 w_1")
    M = sympy.SparseMatrix([[a, 0], [0, a + b]])
    assert latex.matrix(M) == "\\begin{bmatrix}\nw_{0} & 0 \\\\\n0 & w_{0} + w_{1}\n\\end{bmatrix}"
    assert latex.matrix(M, symbol_names={"w": r"\theta"}) == (
        "\\begin{bmatrix}\n{\\theta}_{0} & 0 \\\\\n0 & {\\theta}_{0} + {\\theta}_{1}\n\\end{bmatrix}"
    )
    e = latex.expressions(np.array([[a, a + b]], dtype=object), name="y", index_base=1)
    assert e == "\\begin{align*}\ny_{1,1} &= w_{0} \\\\\ny_{1,2} &= w_{0} + w_{1}\n\\end{align*}"
    many = latex.expressions(np.array(sympy.symbols("t0:100"), dtype=object), max_items=5)
    assert (
        many.count("&=") == 4 and many.count("\\\\") == 4 and r"\vdots" in many and "y_{99} &= t_{99}" in many
    )


def test_numbers() -> None:
    assert latex.matrix(np.array([[0.5, -2.0], [1e-7, np.inf]])) == (
        "\\begin{bmatrix}\n0.5 & -2 \\\\\n1 \\cdot 10^{-7} & \\infty\n\\end{bmatrix}"
    )


# ---------------------------------------------------------------------------
# Elision: huge matrices give small fragments, read from CSR only
# ---------------------------------------------------------------------------


def test_huge_matrix_is_elided_without_densifying() -> None:
    n = 1_000_000  # C is 10⁶ × 2·10⁶: dense it would be 16 TB
    w = np.array([[[1, 2, 3]]])
    C = tcm.conv_transpose_matrix(w, (1, n), stride=2)
    tex = latex.matrix(C, max_rows=7, max_cols=9)
    assert len(tex) < 1000
    rows = tex.split("\n")[1:-1]
    assert len(rows) == 7
    assert r"\ddots" in rows[3] and rows[3].count(r"\vdots") == 8  # head 3, gap, tail 3
    first = [c.strip().removesuffix("\\\\").strip() for c in rows[0].split("&")]
    assert first == ["1", "2", "3", "0", r"\cdots", "0", "0", "0", "0"]
    last = [c.strip().removesuffix("\\\\").strip() for c in rows[-1].split("&")]
    assert last[-4:] == ["0", "1", "2", "3"]
    labelled = latex.matrix(C, max_rows=5, max_cols=5, labels=True, index_base=1)
    assert f"& {2 * n + 1}" in labelled and f"\n{n} &" in labelled
    big = latex.transpose_product(C, np.ones(n, dtype=np.int64))
    assert len(big) < 3000


def test_elision_limits() -> None:
    with pytest.raises(ValueError, match="max_rows must be at least 3"):
        latex.matrix(np.eye(4), max_rows=2)
    with pytest.raises(ValueError, match="zero must be"):
        latex.matrix(np.eye(4), zero="o")  # type: ignore[arg-type]
    v = latex.vector(np.arange(20), max_rows=6)
    assert v.count("\\\\") == 5 and r"\vdots" in v and "19" in v


def test_wide_matrix_compiles_without_maxmatrixcols() -> None:
    tex = latex.matrix(np.arange(12).reshape(1, 12))
    assert tex.startswith(r"\left[\begin{array}{cccccccccccc}") and tex.endswith(r"\right]")


# ---------------------------------------------------------------------------
# Derivations
# ---------------------------------------------------------------------------


def test_derivation_renderer() -> None:
    d = _demo_derivation()
    tex = latex.derivation(d)
    lines = tex.split("\n")
    assert lines[0] == r"\begin{align*}" and lines[-1] == r"\end{align*}"
    body = lines[1:-1]
    assert len(body) == 6  # per step: its justification (\intertext, wraps), then its statement
    assert body[0].startswith(r"\intertext{expand ") and body[0].endswith(r"[verified by SymPy]}")
    assert r"\(\kappa - 1 \le\)" in body[0] and r"50\%" in body[0] and r"\{x\}\_\#" in body[0]
    assert body[1] == r"\left(a + b\right)^{2} &= a^{2} + 2 a b + b^{2} \\"
    assert "[NOT verified by SymPy]" in body[2] and r"a &\leq a + b^{2}" in body[3]
    assert "[definition]" in body[4] and body[5] == r"x\left[a\right] &= x\left[a\right]"
    checked = latex.derivation(d, show_check=True)
    assert "[verified by SymPy: expand]" in checked and "[NOT verified by SymPy: not attempted]" in checked
    renamed = latex.derivation(d, symbol_names={"x": r"\xi"})
    assert r"\xi\left[a\right]" in renamed


def test_failed_check_is_marked() -> None:
    a = sympy.Symbol("a")
    bad = Derivation(
        "bad", "Bad", sympy.Eq(a, a + 1), (Step(sympy.Eq(a, a + 1), "wrong", "verify_equal", False),)
    )
    assert "[SymPy check FAILED]" in latex.derivation(bad)
    assert not bad.verified


# ---------------------------------------------------------------------------
# Pictures: their numbers against PyTorch, colours by tap
# ---------------------------------------------------------------------------

picture_params = st.tuples(
    st.integers(1, 6),  # L
    st.integers(1, 4),  # K
    st.integers(1, 3),  # stride
    st.integers(0, 3),  # padding
    st.integers(1, 3),  # dilation
    st.integers(0, 2),  # output padding
)


@settings(max_examples=40)
@given(picture_params, st.randoms(use_true_random=False))
def test_picture_numbers_match_torch(torch: ModuleType, params: tuple[int, ...], rnd: Any) -> None:
    L, K, s, p, d, op = params
    try:
        conv_transpose_spec((1, 1, K), (1, L), stride=s, padding=p, output_padding=op, groups=1, dilation=d)
    except ConvolutionSpecError:
        assume(False)
    x = np.array([rnd.randint(-9, 9) for _ in range(L)])
    w = np.array([rnd.randint(-9, 9) for _ in range(K)])
    ref = torch.nn.functional.conv_transpose1d(
        torch.tensor(x[None, None], dtype=torch.float64),
        torch.tensor(w[None, None], dtype=torch.float64),
        stride=s,
        padding=p,
        output_padding=op,
        dilation=d,
    ).numpy()[0, 0]
    scatter = _pictures._scatter(x, w, s, p, op, d, max_inputs=100)
    flipped = _pictures._flipped(x, w, s, p, op, d, max_inputs=100)
    np.testing.assert_array_equal(scatter.y, ref)
    np.testing.assert_array_equal(flipped.y, ref)
    # u is the zero-inserted input, padded (or cropped) by the equivalent convolution's pads
    ((P_l, P_r),) = tcm.equivalent_conv(w[None, None], (1, L), s, p, op, 1, d).pads
    z = np.zeros((L - 1) * s + 1, dtype=x.dtype)
    z[::s] = x
    u = np.pad(z, (max(P_l, 0), max(P_r, 0)))  # then crop the negative pads
    u = u[max(-P_l, 0) : len(u) - max(-P_r, 0)]
    np.testing.assert_array_equal(flipped.u, u)
    assert flipped.u[~flipped.is_x].tolist() == [0] * int((~flipped.is_x).sum())
    # the picture shows the numbers: the sum row's cells, in order
    tex = latex.scatter_picture(x, w, s, p, op, d, max_inputs=100)
    sum_row = [line for line in tex.splitlines() if f",{_pictures._num(-(L + 1.3))})" in line]
    assert [c.split("{$")[1].split("$}")[0] for c in sum_row if "{$" in c][-len(scatter.sums) :] == [
        str(v) for v in scatter.sums.tolist()
    ]


def test_asymmetric_padding_picture_matches_conv_transpose() -> None:
    x, w = np.array([1, 2, 3]), np.array([1, 10, 100])
    ref = tcm.conv_transpose(x[None], w[None, None], stride=2, padding=[(1, 2)])[0]
    np.testing.assert_array_equal(_pictures._scatter(x, w, 2, (1, 2), 0, 1, 8).y, ref)
    np.testing.assert_array_equal(_pictures._flipped(x, w, 2, (1, 2), 0, 1, 8).y, ref)


def test_symbolic_pictures() -> None:
    x = np.array(sympy.symbols("x_0 x_1"), dtype=object)
    w = np.array(sympy.symbols("w_0 w_1 w_2"), dtype=object)
    data = _pictures._scatter(x, w, 2, 0, 0, 1, 8)
    assert data.y.tolist() == [x[0] * w[0], x[0] * w[1], x[0] * w[2] + x[1] * w[0], x[1] * w[1], x[1] * w[2]]
    assert "{$" + sympy.latex(x[0] * w[2] + x[1] * w[0]) + "$}" in latex.scatter_picture(x, w, stride=2)
    flipped = _pictures._flipped(x, w, 2, 0, 0, 1, 8)
    assert [sympy.expand(a - b) for a, b in zip(flipped.y, data.y)] == [0] * 5


def test_sparsity_taps(torch: ModuleType) -> None:
    spec = conv_transpose_spec((2, 3, 2, 3), (2, 3, 4), stride=(2, 1), padding=1, dilation=(1, 2), groups=1)
    T = _pictures._tap_matrix(spec)
    taps = 2 * 3
    for flat in range(taps):  # the entries coloured as tap k are those a one-hot kernel at k produces
        onehot = np.zeros(spec.weight_shape)
        onehot[..., flat // 3, flat % 3] = 1
        C = tcm.conv_transpose_matrix(onehot, spec.input_shape, stride=(2, 1), padding=1, dilation=(1, 2))
        C.eliminate_zeros()
        assert (C.astype(bool) != sp.csr_array(T == flat + 1)).nnz == 0
    tex = latex.sparsity_picture(spec, max_rows=100, max_cols=100)
    assert tex.count("rectangle +(1,-1)") == T.nnz  # no elision: one cell per stored entry
    assert "$w_{1,2}$" in tex
    big = conv_transpose_spec((1, 1, 3, 3), (1, 64, 64), stride=2)
    kept = [0, 1, 2, 4093, 4094, 4095]  # only these rows are built
    assert (_pictures._tap_rows(big, kept) != _pictures._tap_matrix(big)[kept]).nnz == 0
    tex = latex.sparsity_picture(big, max_rows=10, max_cols=10, index_base=1)
    assert r"\vdots" in tex and r"\cdots" in tex and "{$4096$}" in tex and len(tex) < 10_000


# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------


def test_real_derivations_render() -> None:
    for name in ("output_length", "matrix_element", "flipped_kernel", "round_trip"):
        d = symbolic.derivation(name)
        tex = latex.derivation(d)
        lines = tex.split("\n")[1:-1]
        assert len(lines) == 2 * len(d.steps)  # per step: justification and mark, then statement
        for n, step in enumerate(d.steps):
            one = latex.derivation(Derivation("one", "one", step.statement, (step,))).split("\n")[1:-1]
            assert lines[2 * n] == one[0] and lines[2 * n + 1].startswith(one[1])
            mark = {"verified": "[verified by SymPy]", "definition": "[definition]"}[step.standing]
            mark = "[cited]" if step.kind == "cited" else mark
            assert lines[2 * n].endswith(mark + "}")
        assert d._repr_latex_() == str(tex)  # how Derivation shows in Jupyter
    element = latex.derivation(symbolic.derivation("matrix_element"), symbol_names={"x": r"\xi"})
    assert r"{\xi}\left(i\right)" in element and r"\delta\left(" in element
    assert r"W'\left[" in latex.derivation(symbolic.derivation("flipped_kernel"))


def test_proof_document_content() -> None:
    tex = latex.proof_document(weight_shape=(1, 1, 3), input_shape=(1, 2), stride=2)
    assert tex.startswith("% Generated by tconvmat") and tex.rstrip().endswith(r"\end{document}")
    # default data 1, 2, 3 and 1, 2: C and y = Cᵀx = [1, 2, 5, 4, 6]
    assert latex.matrix(tcm.conv_transpose_matrix(np.array([[[1, 2, 3]]]), (1, 2), stride=2)) in tex
    assert latex.vector([1, 2, 5, 4, 6], row=True) in tex
    assert "All three are equal" in tex and r"\begin{theorem}" in tex and r"\begin{lemma}" in tex
    names = ("matrix_element", "output_length", "flipped_kernel")
    for name in names:  # every step of the three derivations, printed in human order, in the proof
        for step in symbolic.derivation(name).steps:
            assert "\\tcmdisplay{" + human(step.statement, {"x": "x", "w": "w", "y": "y"}) + "}" in tex
    steps = [s for n in names for s in symbolic.derivation(n).steps]
    proved = sum(s.kind == "proved" and s.standing == "verified" for s in steps)
    assert tex.count(r"\emph{Checked by SymPy}") == proved
    assert "Argued in words, not checked" not in tex.split("appendix")[0]  # the theorem: no argued step
    assert "none is argued in words" in tex
    # no Python reprs, code names or SymPy print order in the theorem and proof
    main = tex.split("\\appendix")[0]
    for bad in ("(2,)", "group(s)", "sums_equal(", "verify_equal", "K d - d", "P\\_l", "L\\_in"):
        assert bad not in main, bad
    assert r"\(P_{l}\)" in tex and r"L_{\mathrm{in}}" in tex


def test_proof_document_options() -> None:
    body = latex.proof_document(standalone=False)
    assert r"\documentclass" not in body and r"\begin{theorem}" in body
    tex = latex.proof_document(documentclass_options="12pt,letterpaper")
    assert r"\documentclass[12pt,letterpaper]{article}" in tex.splitlines()
    with pytest.raises(ValueError, match="documentclass_options"):
        latex.proof_document(documentclass_options=["11pt]{article}\\input{/etc/passwd"])
    with pytest.raises(ValueError, match="symbol_names keys"):
        latex.proof_document(symbol_names={"z": "q"})
    with pytest.raises(ValueError, match="weight must have shape"):
        latex.proof_document(weight=np.ones((1, 1, 4)), weight_shape=(1, 1, 3))
    with pytest.raises(ConvolutionSpecError, match="output_padding"):
        latex.proof_document(output_padding=3)
    one = latex.proof_document(index_base=1)
    assert "indices start at 1" in one and "x_{1}" in one
    floats = latex.proof_document(weight=np.array([[[0.5, 0.25, 2.0]]]), x=np.array([[1.5, -1.0]]))
    assert "floating point" in floats and "All three agree" in floats


def test_proof_document_is_deterministic(tmp_path: Path) -> None:
    kw: dict[str, Any] = dict(weight_shape=(2, 1, 3, 3), input_shape=(2, 4, 4), stride=2, padding=1, groups=2)
    a, b = latex.proof_document(**kw), latex.proof_document(**kw)
    assert a.encode() == b.encode()
    code = (
        "import sys; from tconvmat import latex; "
        "sys.stdout.write(latex.proof_document(weight_shape=(2, 1, 3, 3), input_shape=(2, 4, 4), stride=2, padding=1, groups=2))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        ).stdout
        assert out == a.encode()


# --- compiling ---------------------------------------------------------------


def _tools() -> None:
    missing = [t for t in ("pdflatex", "pdftoppm") if shutil.which(t) is None]
    if missing:
        if REQUIRE_ORACLES:
            pytest.fail(f"{', '.join(missing)} required (TCONVMAT_REQUIRE_ORACLES=1) but not installed")
        pytest.skip(f"{', '.join(missing)} not installed")


def _dark_pixels(pgm: bytes) -> int:
    """Pixels not white in a binary PGM (P5, 8-bit)."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments allowed
        while pgm[pos : pos + 1].isspace():
            pos += 1
        if pgm[pos : pos + 1] == b"#":
            pos = pgm.index(b"\n", pos)
            continue
        end = pos
        while not pgm[end : end + 1].isspace():
            end += 1
        fields.append(pgm[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    pixels = np.frombuffer(pgm[pos + 1 : pos + 1 + width * height], dtype=np.uint8)
    assert pixels.size == width * height
    return int((pixels < 224).sum())


def compile_tex(tex: str, directory: Path, name: str = "doc", unmapped_ok: bool = False) -> Path:
    """pdflatex twice with -halt-on-error; no errors, no undefined references, nothing invalid in
    math mode, no unmapped character ``[U+…]`` (unless ``unmapped_ok``: hostile user text); page 1
    not blank."""
    _tools()
    (directory / f"{name}.tex").write_text(tex, encoding="utf-8")
    for _ in range(2):
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
            cwd=directory,
            capture_output=True,
            timeout=120,
        )
        log = (directory / f"{name}.log").read_text(encoding="latin-1")
        assert run.returncode == 0, log[-3000:]
    assert "Undefined control sequence" not in log
    assert "undefined references" not in log and "Reference `" not in log, log[-3000:]
    assert "Unicode character" not in log
    assert "invalid in math mode" not in log, log[log.find("invalid in math mode") - 800 :][:1000]
    if not unmapped_ok:
        assert "[U+" not in tex and "[U+" not in log, tex[tex.find("[U+") - 200 :][:400]
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "50", "-f", "1", "-l", "1", f"{name}.pdf", "page"],
        cwd=directory,
        check=True,
        timeout=60,
    )
    (page,) = sorted(directory.glob("page*.pgm"))
    assert _dark_pixels(page.read_bytes()) > 1500  # text and pictures, not a blank page
    return directory / f"{name}.pdf"


def test_compile_errors_are_detected(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="Undefined control sequence"):
        compile_tex("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}", tmp_path)


def test_blank_page_is_detected(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        compile_tex(
            "\\documentclass{article}\\begin{document}\\thispagestyle{empty}\\ \\end{document}", tmp_path
        )


def test_learner_document_compiles(tmp_path: Path) -> None:
    compile_tex(latex.proof_document(weight_shape=(1, 1, 3), input_shape=(1, 2), stride=2), tmp_path)


def test_2d_grouped_document_compiles(tmp_path: Path) -> None:
    tex = latex.proof_document(
        weight_shape=(4, 1, 3, 3),
        input_shape=(4, 8, 8),
        stride=2,
        padding=1,
        output_padding=1,
        groups=2,
        index_base=1,
    )
    compile_tex(tex, tmp_path)


HOSTILE = r"a_b%c&d#e$f{g}h\i^j~k \end{document} \input{x}"


def test_hostile_names_compile(tmp_path: Path) -> None:
    tex = latex.proof_document(
        symbol_names={"x": HOSTILE, "w": "}{", "y": "$$", "C": "\\"},
        title=HOSTILE + " κ − ☃",
        documentclass_options=("a4paper", "10pt"),
    )
    assert r"\input{x}" not in tex and r"a\_b\%c\&d\#e" in tex
    compile_tex(tex, tmp_path, unmapped_ok=True)  # the snowman has no mapping: shown as [U+2603]


def test_fragments_compile(tmp_path: Path) -> None:
    """Every fragment kind, in a plain document with amsmath and tikz only."""
    C = tcm.conv_transpose_matrix(np.arange(1, 10).reshape(1, 1, 3, 3), (1, 5, 5), stride=2)
    x = np.arange(1, 26)
    s = np.array(sympy.symbols("x_0:3"), dtype=object)
    pieces = [
        r"\[" + latex.matrix(C) + r"\]",
        r"\[" + latex.matrix(C, zero="blank", labels=True, index_base=1) + r"\]",
        r"\[" + latex.transpose_product(C, x, symbol_names={"x": HOSTILE, "C": "%"}) + r"\]",
        r"\[" + latex.vector(x, row=True) + r"\]",
        latex.expressions(s * 2, name=HOSTILE),
        latex.derivation(_demo_derivation(), show_check=True),
        latex.scatter_picture([1, 2, 3], [1, 2, 3], 2, 1, 1, 2, index_base=1, symbol_names={"x": HOSTILE}),
        latex.flipped_picture(s, [1, 2, 3], 2, 1, 1, 2),
        latex.sparsity_picture(conv_transpose_spec((1, 1, 3, 3), (1, 5, 5), stride=2)),
        latex.sparsity_picture(C, max_rows=8, max_cols=8),
    ]
    body = "\n\n\\bigskip\n\n".join(pieces)
    doc = f"\\documentclass{{article}}\n\\usepackage{{amsmath}}\n\\usepackage{{tikz}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    compile_tex(doc, tmp_path)


def test_body_only_compiles_in_a_users_document(tmp_path: Path) -> None:
    body = latex.proof_document(input_shape=(1, 3), stride=3, dilation=2, standalone=False)
    doc = (
        "\\documentclass{article}\n\\usepackage{amsmath,amsthm,tikz}\n"
        "\\newtheorem{theorem}{Theorem}\\newtheorem{lemma}{Lemma}\\newtheorem{definition}{Definition}"
        "\\newtheorem{remark}{Remark}\n"
        "\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    compile_tex(doc, tmp_path)


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    ndim = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 2))
    c_in = groups * draw(st.integers(1, 2))
    c_out_g = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    size = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
    op = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    return dict(
        weight_shape=(c_in, c_out_g, *kernel),
        input_shape=(c_in, *size),
        stride=stride,
        padding=padding,
        output_padding=op,
        dilation=dilation,
        groups=groups,
        index_base=draw(st.integers(0, 1)),
    )


@settings(max_examples=8, deadline=None)
@given(_documents())
def test_random_documents_compile(tmp_path_factory: pytest.TempPathFactory, kw: dict[str, Any]) -> None:
    try:
        conv_transpose_spec(
            kw["weight_shape"],
            kw["input_shape"],
            stride=kw["stride"],
            padding=kw["padding"],
            output_padding=kw["output_padding"],
            groups=kw["groups"],
            dilation=kw["dilation"],
        )
    except ConvolutionSpecError:
        assume(False)
    compile_tex(latex.proof_document(**kw), tmp_path_factory.mktemp("doc"))


def test_identity_document_compiles_and_marks_each_step(tmp_path: Path) -> None:
    doc = str(latex.identity_document(list(latex.IDENTITIES)))
    assert doc.count("\\section{") == len(latex.IDENTITIES)
    for name in latex.IDENTITIES:
        section = str(latex.identity_section(name))
        d = symbolic.derivation(name)
        proved = [s for s in d.steps if s.kind == "proved" and s.standing == "verified"]
        assert section.count(r"\emph{Checked by SymPy}") == len(proved)
        unproved = [s for s in d.steps if s.standing == "unproved"]
        assert section.count(r"\textbf{Argued in words, not checked by SymPy}") == len(unproved)
        assert ("1 is argued in words" in section) == (len(unproved) == 1)  # the summary
        assert "none is argued in words" in section or unproved
    assert "Argued in words" in str(latex.identity_section("subpixel"))
    assert "Argued in words" not in str(latex.identity_section("checkerboard"))
    compile_tex(doc, tmp_path, "identities")


def test_symbol_names_are_escaped_once_and_tex_is_used_as_is() -> None:
    tex = latex.proof_document(
        weight_shape=(1, 1, 3), input_shape=(1, 3), symbol_names={"y": "out%", "x": latex.Tex(r"\xi")}
    )
    assert r"\text{out\%}" in tex and r"\text{\text" not in tex and r"\text{out\\\%}" not in tex
    assert r"\xi" in tex and r"\textbackslash" not in tex


def test_fragments_fit_a_default_article(tmp_path: Path) -> None:
    """Wide pictures (labels and legend outside the grid) and long step prose stay inside the
    text width of a plain article: pictures shrink to the line, justifications wrap."""
    spec = tcm.conv_transpose_spec((2, 2, 3, 3), (2, 4, 4), stride=2)
    parts = [
        latex.scatter_picture(range(1, 11), [1, 2, 3, 4, 5], stride=3),
        latex.sparsity_picture(spec),
        latex.flipped_picture([1, 2, 3], [1, 2, 3], stride=2),
    ]
    body = "\n".join(f"\\begin{{center}}\n{p}\n\\end{{center}}" for p in parts)
    body += "\n" + str(latex.derivation(symbolic.derivation("output_length"), show_check=True))
    doc = (
        "\\documentclass{article}\n\\usepackage{amsmath,tikz}\n\\begin{document}\n"
        + body
        + "\n\\end{document}\n"
    )
    compile_tex(doc, tmp_path)
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert "Overfull \\hbox" not in log, log[log.find("Overfull") :][:500]


INSTANCES = {
    "1d": dict(weight_shape=(1, 1, 3), input_shape=(1, 5), stride=2, padding=1, output_padding=1),
    "2d": dict(
        weight_shape=(2, 1, 3, 3),
        input_shape=(2, 4, 4),
        stride=2,
        padding=1,
        dilation=2,
        output_padding=1,
        groups=2,
    ),
    "2d-asymmetric": dict(
        weight_shape=(2, 2, 3, 2),
        input_shape=(2, 3, 4),
        stride=(2, 1),
        padding=((1, 0), (0, 2)),
        dilation=(2, 1),
        output_padding=(1, 0),
        groups=2,
    ),
    "3d": dict(weight_shape=(1, 1, 2, 2, 2), input_shape=(1, 2, 2, 3), stride=2),
}


@pytest.mark.parametrize("name", list(INSTANCES))
def test_worked_instances_fit_the_page_and_show_something(tmp_path: Path, name: str) -> None:
    """No line past the margin; distinct default numbers; the elided C is shown where its
    nonzeros are (a labelled window, not two empty corners); 2-D pictures for 2-D."""
    params = INSTANCES[name]
    tex = latex.proof_document(**params)
    compile_tex(tex, tmp_path)
    log = (tmp_path / "doc.log").read_text(encoding="latin-1")
    assert log.count("Overfull \\hbox") == 0, log[log.find("Overfull") :][:800]
    assert "1 & 2" in tex  # the default numbers are 1, 2, 3, … (distinct)
    C = tcm.conv_transpose_matrix(
        np.arange(1, math.prod(params["weight_shape"]) + 1).reshape(params["weight_shape"]),
        params["input_shape"],
        **{k: v for k, v in params.items() if k not in ("weight_shape", "input_shape")},
    )
    section = tex[tex.index(r"\subsection{The matrix}") : tex.index(r"\subsection{The scatter picture}")]
    matrix_part = section[: section.index("Its sparsity pattern")]
    if C.shape[0] > 12 or C.shape[1] > 12:
        assert "shown around the output with the most inputs" in matrix_part
        shown = [
            int(v) for v in re.findall(r"(?<![\d.])([1-9]\d*)(?![\d.])", matrix_part.split(r"\hline")[1])
        ]
        assert set(C.data.tolist()) & set(shown)  # nonzero entries on show
    if len(params["input_shape"]) == 3:  # 2-D: the pictures are 2-D scenes
        pictures = tex[tex.index(r"\subsection{The scatter picture}") : tex.index(r"\subsection{The flipped")]
        assert "copy" in pictures
    if len(params["input_shape"]) == 4:  # 3-D: every slice as a grid
        assert "x[0,0,:,:]" in tex and "x[0,1,:,:]" in tex


def test_an_output_no_tap_reaches_compiles(tmp_path: Path) -> None:
    """Every tap cropped by the padding: the symbols section says so (no empty align*)."""
    kw = dict(
        weight_shape=(1, 2, 1, 2), input_shape=(1, 3, 1), stride=(2, 1), padding=(0, 1), dilation=(1, 2)
    )
    tex = latex.proof_document(**kw)
    assert "Every output element is \\(0\\)" in tex
    compile_tex(tex, tmp_path)
