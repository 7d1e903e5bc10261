"""The tconvmat command: outputs checked against the library, bad input → one line, exit 2."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import tconvmat as tcm
from tconvmat.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


LEARNER = ["--kernel-size", "3", "--input", "1,1", "--weight", "1,1,1"]


@pytest.mark.parametrize(
    ("stride", "y"), [(1, "1  2  2  1"), (2, "1  1  2  1  1"), (4, "1  1  1  0  1  1  1")]
)
def test_explain_learner_examples(capsys, stride, y):
    code, out, err = run(capsys, "explain", *LEARNER, "--stride", str(stride))
    assert code == 0, err
    assert f"y = Cᵀx\n-------\n  y[0] = {y}\n" in out
    n = 4 + (stride - 1) * 1 if stride < 4 else 7
    assert f"(2 − 1)·{stride} − 0 − 0 + 1·(3 − 1) + 0 + 1 = {n}" in out
    assert "DISAGREES" not in out


def test_explain_grid_labels_taps(capsys):
    _, out, _ = run(capsys, "explain", *LEARNER, "--stride", "2")
    assert "  i=0   k0  k1  k2   ·   ·\n  i=1    ·   ·  k0  k1  k2\n" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--kernel-size", "3", "--stride", "2", "--input-size", "7"],
        [
            "--kernel-size",
            "3x3",
            "--stride",
            "2",
            "--padding",
            "1",
            "--output-padding",
            "1",
            "--input-size",
            "5x6",
            "--in-channels",
            "4",
            "--out-channels",
            "6",
            "--groups",
            "2",
            "--weight",
            "random:1",
            "--input",
            "random:2",
        ],
        [
            "--kernel-size",
            "2x3x2",
            "--stride",
            "2,1,3",
            "--dilation",
            "2",
            "--input-size",
            "3x2x2",
            "--in-channels",
            "2",
            "--out-channels",
            "3",
        ],
        ["--kernel-size", "3", "--stride", "2", "--padding", "1:2", "--input-size", "5"],
        [
            "--kernel-size",
            "3",
            "--stride",
            "2",
            "--padding",
            "2",
            "--padding-mode",
            "reflect",
            "--input-size",
            "5",
        ],
    ],
)
def test_explain_fits_80_columns_and_routes_agree(capsys, argv):
    code, out, err = run(capsys, "explain", *argv)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "agrees" in out and "DISAGREES" not in out
    assert "\x1b[" not in out  # no colour codes when not a TTY


def test_explain_is_deterministic(capsys):
    argv = ["explain", "--kernel-size", "3x3", "--stride", "2", "--input-size", "3x3", "--weight", "random:5"]
    assert run(capsys, *argv)[1] == run(capsys, *argv)[1]


def test_shape(capsys):
    code, out, _ = run(
        capsys,
        "shape",
        "--kernel-size",
        "3x3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--output-padding",
        "1",
        "--input-size",
        "4x4",
    )
    assert code == 0
    assert "axis 0: (4 − 1)·2 − 1 − 1 + 1·(3 − 1) + 1 + 1 = 8" in out
    assert "output shape (C_out, *L_out) = (1, 8, 8)" in out
    code, out, _ = run(
        capsys,
        "shape",
        "--conv",
        "--kernel-size",
        "3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--input-size",
        "8",
    )
    assert "axis 0: ⌊(8 + 1 + 1 − 1·(3 − 1) − 1) / 2⌋ + 1 = 4" in out


MATRIX_ARGS = [
    "--kernel-size",
    "3x2",
    "--stride",
    "2,1",
    "--padding",
    "1,0",
    "--input-size",
    "3x3",
    "--in-channels",
    "2",
    "--out-channels",
    "2",
    "--weight",
    "random:3",
]


def _expected_matrix() -> sp.csr_array:
    w = np.random.default_rng(3).integers(-5, 6, (2, 2, 3, 2))
    return tcm.conv_transpose_matrix(w, (2, 3, 3), stride=(2, 1), padding=(1, 0))


def test_matrix_json(capsys):
    code, out, _ = run(capsys, "matrix", *MATRIX_ARGS, "--format", "json")
    assert code == 0
    d = json.loads(out)
    C = sp.csr_array((d["data"], d["indices"], d["indptr"]), shape=tuple(d["shape"]))
    np.testing.assert_array_equal(C.toarray(), _expected_matrix().toarray())


def test_matrix_mtx_and_npz(capsys, tmp_path):
    code, out, _ = run(capsys, "matrix", *MATRIX_ARGS, "--format", "mtx")
    assert code == 0
    C = scipy.io.mmread(io.BytesIO(out.encode()))
    np.testing.assert_array_equal(C.toarray(), _expected_matrix().toarray())
    path = tmp_path / "C.npz"
    assert run(capsys, "matrix", *MATRIX_ARGS, "--format", "npz", "-o", str(path))[0] == 0
    np.testing.assert_array_equal(sp.load_npz(path).toarray(), _expected_matrix().toarray())


def test_matrix_text_grid_shows_values(capsys):
    code, out, _ = run(
        capsys, "matrix", "--kernel-size", "3", "--stride", "2", "--input-size", "2", "--weight", "1,2,3"
    )
    assert code == 0
    assert out.splitlines()[2:] == ["i=0    1   2   3   ·   ·", "i=1    ·   ·   1   2   3"]


def test_matrix_grid_elides_big_matrices(capsys):
    code, out, _ = run(capsys, "matrix", "--kernel-size", "3x3", "--input-size", "20x20")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) < 30 and max(map(len, lines)) <= 80
    assert "⋮" in out and "…" in out


def test_apply_matches_library(capsys, tmp_path):
    x = np.random.default_rng(0).integers(-3, 4, (2, 4, 3))
    w = np.random.default_rng(1).integers(-3, 4, (2, 3, 2, 2))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "w.npy", w)
    for method in ("scatter", "matrix", "flipped"):
        y_path = tmp_path / f"y_{method}.npy"
        code, _, err = run(
            capsys,
            "apply",
            "--input",
            str(tmp_path / "x.npy"),
            "--weight",
            str(tmp_path / "w.npy"),
            "--stride",
            "2",
            "--padding",
            "1",
            "--method",
            method,
            "-o",
            str(y_path),
        )
        assert code == 0, err
        np.testing.assert_array_equal(np.load(y_path), tcm.conv_transpose(x, w, stride=2, padding=1))


def test_apply_forward_conv(capsys):
    code, out, _ = run(
        capsys,
        "apply",
        "--conv",
        "--kernel-size",
        "3",
        "--input",
        "1,2,3,4",
        "--weight",
        "1,0,-1",
        "--padding",
        "1",
    )
    assert code == 0
    assert out.strip() == "[[-2, -2, -2,  3]]"


BAD = [
    (["explain", "--kernel-size", "3", "--stride", "0", "--input", "1,1"], "stride must be positive"),
    (
        ["explain", "--kernel-size", "3", "--stride", "2", "--output-padding", "2", "--input", "1,1"],
        "output_padding must be smaller than stride or dilation",
    ),
    (["explain", "--kernel-size", "3", "--input", "1,a"], "--input: expected comma-separated numbers"),
    (
        ["explain", "--kernel-size", "3", "--input-size", "2", "--weight", "missing.npy"],
        "--weight: cannot read",
    ),
    (["explain", "--kernel-size", "3x", "--input", "1,1"], "--kernel-size: expected integers"),
    (["explain", "--kernel-size", "3", "--stride", "2x2x", "--input", "1,1"], "--stride: expected integers"),
    (
        ["explain", "--groups", "0", "--kernel-size", "3", "--input", "1"],
        "--groups: expected a positive integer",
    ),
    (["explain", "--bogus"], "unrecognized arguments: --bogus"),
    (["explain", *LEARNER[:4], "--weight", "1,1"], "--weight: expected 3 values for shape (1, 1, 3), got 2"),
    (["explain", "--input", "1,1"], "--kernel-size is required"),
    (["explain", "--kernel-size", "3"], "--input-size is required"),
    (
        ["explain", "--kernel-size", "3x3", "--input", "1,2,3"],
        "--input: 3 inline values make a 1-d input, but the kernel is 2-d (--kernel-size 3x3); "
        "give --input-size with 2 sizes that hold them (e.g. --input-size 1x3), or a .npy file",
    ),
    (["explain", "--kernel-size", "3x3", "--input-size", "2x2x2"], "--input-size: expected 1 or 2 sizes"),
    (
        ["explain", "--kernel-size", "3", "--padding", "same", "--input", "1,1"],
        "padding for a transposed convolution",
    ),
    (
        ["explain", "--kernel-size", "3", "--padding", "1:2:3", "--input", "1,1"],
        "--padding: pairs are written",
    ),
    (["explain", "--kernel-size", "3", "--padding", "9", "--input", "1,1"], "the output must not be empty"),
    (
        ["explain", "--kernel-size", "3", "--input", "1,1", "--output-size", "9"],
        "output_size must lie between",
    ),
    (
        ["explain", "--kernel-size", "3", "--input-size", "2", "--input", "random:x"],
        "random:SEED needs a non-negative integer seed",
    ),
    (
        [
            "explain",
            "--in-channels",
            "3",
            "--out-channels",
            "2",
            "--groups",
            "2",
            "--kernel-size",
            "3",
            "--input-size",
            "4",
        ],
        "must both be divisible by groups=2",
    ),
    (
        ["shape", "--kernel-size", "3", "--input-size", "4", "--padding-mode", "mirror"],
        "invalid choice: 'mirror'",
    ),
    (
        ["shape", "--conv", "--kernel-size", "3", "--stride", "2", "--padding", "same", "--input-size", "8"],
        "padding='same' needs stride 1",
    ),
    (["shape", "--conv", "--kernel-size", "9", "--input-size", "4"], "the dilated kernel must fit"),
    (
        ["shape", "--conv", "--kernel-size", "3", "--input-size", "4", "--output-padding", "1"],
        "apply to transposed",
    ),
    (["matrix", "--kernel-size", "3", "--input-size", "2", "--format", "npz"], "give a file name with -o"),
    (["matrix", "--kernel-size", "3", "--input-size", "2", "--format", "xml"], "invalid choice: 'xml'"),
    (
        ["matrix", "--kernel-size", "3", "--input-size", "2", "-o", "/nonexistent/dir/C.txt"],
        "-o: cannot write",
    ),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    # sizes are validated before any array is made
    (["explain", "--kernel-size", "-1", "--input-size", "3"], "--kernel-size must be positive on every axis"),
    (
        ["shape", "--kernel-size", "3x3", "--input-size", "3x-2"],
        "--input-size must be positive on every axis",
    ),
    (["explain", "--kernel-size", "3", "--input-size", "99999999999"], "more than the command line makes"),
    (["matrix", "--kernel-size", "3", "--in-channels", "9999", "--input-size", "99999"], "--input: shape"),
    (["shape", "--kernel-size", "3", "--input-size", "3", "--input", "1,2"], "--input: expected 3 values"),
    (["shape", "--kernel-size", "3", "--input-size", "3", "--input", "random:x"], "random:SEED needs"),
    # malformed values are refused, whatever else is missing
    (
        ["apply", "--kernel-size", "3", "--input-size", "2", "--input", "random:-1"],
        "non-negative integer seed",
    ),
    (["apply", "--kernel-size", "3", "--input-size", "2", "--input", "random:"], "non-negative integer seed"),
    (["apply", "--kernel-size", "3", "--input", "random:abc"], "got 'random:abc'"),
    (
        ["apply", "--kernel-size", "3", "--input", "99999999999999999999,1"],
        "does not fit in a 64-bit integer",
    ),
    (["apply", "--kernel-size", "3", "--input", "1,,1"], "--input: expected comma-separated numbers"),
    (["apply", "--kernel-size", "3", "--input", "1,2,"], "--input: expected comma-separated numbers"),
    (["apply", "--kernel-size", "3", "--input-size", "2", "--input", ""], "got ''"),
    (
        ["apply", "--kernel-size", "3", "--input", "1,1", "--output-size", "6x6"],
        "--output-size: expected 1 size",
    ),
    (["matrix", "--kernel-size", "3", "--input-size", "2", "--weight", "symbolic"], "--format latex only"),
    (["verify", "--random", "5", "--kernel-size", "7x7"], "drop --kernel-size"),
    (
        ["prove", "--kernel-size", "3", "--padding", "1", "--padding-mode", "circular", "--input-size", "4"],
        "the proof document covers padding_mode='zeros' only; got --padding-mode circular",
    ),
]


def test_shape_needs_no_values_so_any_size_can_be_asked(capsys):
    code, out, _ = run(capsys, "shape", "--kernel-size", "3", "--stride", "2", "--input-size", "99999999999")
    assert code == 0
    assert "output shape (C_out, *L_out) = (1, 199999999999)" in out


@pytest.mark.parametrize(("argv", "message"), BAD)
def test_bad_input_one_line_exit_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert message in err
    assert "Traceback" not in err


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tconvmat", *argv], capture_output=True, text=True, check=False
    )


def test_python_dash_m_and_version():
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"tconvmat {tcm.__version__}"
    r = _cli("explain", *LEARNER, "--stride", "2")
    assert r.returncode == 0 and "y[0] = 1  1  2  1  1" in r.stdout


def test_bad_input_from_a_real_process_has_no_traceback():
    r = _cli("explain", "--kernel-size", "3", "--stride", "-1", "--input", "1,1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("command", ["shape", "matrix", "apply", "explain", "prove", "verify"])
def test_every_subcommand_has_help_with_examples(command):
    r = _cli(command, "--help")
    assert r.returncode == 0
    assert "examples:" in r.stdout and f"tconvmat {command}" in r.stdout
    assert "--kernel-size" in r.stdout


def test_verify_random_all_agree(capsys):
    code, out, _ = run(capsys, "verify", "--random", "25", "--seed", "7")
    assert code == 0
    assert "25 parameter sets: all agree" in out
    rows = {line[:34].strip(): line[34:].split() for line in out.splitlines()[1:9]}
    assert rows["Cᵀx (sparse matrix)"] == ["25", "0", "0"]
    assert rows["adjoint: ⟨conv(u), x⟩ = ⟨u, Cᵀx⟩"] == ["25", "0", "0"]


def test_verify_exits_1_and_names_the_failure(capsys, monkeypatch):
    from tconvmat import _core, ops

    wrong = dict(ops.ROUTES)
    wrong["flipped"] = lambda x, w, spec: _core.flipped(x, w, spec) + 1
    monkeypatch.setattr(ops, "ROUTES", wrong)
    code, out, _ = run(capsys, "verify", *LEARNER, "--stride", "2")
    assert code == 1
    assert "1 parameter set: 1 FAILED" in out
    assert "FAILED flipped-kernel convolution: weight (1, 1, 3), input (1, 2), stride=(2,)" in out


def test_verify_shows_progress_on_stderr_for_long_runs(capsys):
    code, _, err = run(capsys, "verify", "--random", "20", "--seed", "1")
    assert code == 0
    assert "verify: 20/20 parameter sets" in err


def test_explain_exits_1_when_a_route_disagrees(capsys, monkeypatch):
    from tconvmat import _core, ops

    wrong = dict(ops.ROUTES)
    wrong["matrix"] = lambda x, w, spec: _core.via_matrix(x, w, spec) * 2
    monkeypatch.setattr(ops, "ROUTES", wrong)
    monkeypatch.setattr(
        "tconvmat.cli._args.conv_transpose_matrix", lambda *a, **k: tcm.conv_transpose_matrix(*a, **k) * 2
    )
    code, out, _ = run(capsys, "explain", *LEARNER, "--stride", "2")
    assert code == 1 and "DISAGREES" in out


def test_prove_writes_a_complete_document(capsys, tmp_path):
    path = tmp_path / "proof.tex"
    code, _, err = run(capsys, "prove", *LEARNER, "--stride", "2", "-o", str(path))
    assert code == 0 and err == f"wrote {path}\n"
    tex = path.read_text()
    assert tex.startswith("%") and "\\documentclass" in tex and tex.rstrip().endswith("\\end{document}")
    assert "Checked by SymPy" in tex
    code, out, _ = run(capsys, "prove", *LEARNER, "--stride", "2")  # stdout by default
    assert out == tex or out == tex + "\n"


def test_explain_and_prove_write_pdfs(capsys, tmp_path):
    import shutil

    from .conftest import REQUIRE_ORACLES

    if shutil.which("pdflatex") is None:
        if REQUIRE_ORACLES:
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    pdf = tmp_path / "proof.pdf"
    code, _, err = run(
        capsys, "explain", *LEARNER, "--stride", "4", "--pdf", str(pdf), "--tex", str(tmp_path / "p.tex")
    )
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF") and (tmp_path / "p.tex").exists()
    pdf2 = tmp_path / "proof2.pdf"
    code, _, err = run(
        capsys,
        "prove",
        "--kernel-size",
        "3x3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--input-size",
        "3x3",
        "--in-channels",
        "2",
        "--out-channels",
        "4",
        "--groups",
        "2",
        "--pdf",
        str(pdf2),
    )
    assert code == 0, err
    assert pdf2.read_bytes().startswith(b"%PDF")


def test_prove_without_pdflatex_says_how_to_install(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "tconvmat", "prove", *LEARNER, "--pdf", str(tmp_path / "p.pdf")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(tmp_path)},
    )
    assert r.returncode == 1
    assert (
        r.stderr.count("\n") == 1
        and "pdflatex not found" in r.stderr
        and "apt-get install texlive" in r.stderr
    )


def test_prove_refuses_what_the_document_does_not_cover(capsys):
    code, _, err = run(
        capsys,
        "prove",
        "--kernel-size",
        "3",
        "--padding",
        "1",
        "--padding-mode",
        "reflect",
        "--input-size",
        "4",
    )
    assert code == 2 and "padding_mode='zeros'" in err


def test_prove_identity(capsys, tmp_path):
    path = tmp_path / "sub.tex"
    code, _, err = run(capsys, "prove", "--identity", "subpixel", "-o", str(path))
    assert code == 0 and err == f"wrote {path}\n"
    tex = path.read_text()
    assert "Sub-pixel (polyphase) decomposition" in tex and tex.rstrip().endswith("\\end{document}")
    code, out, _ = run(capsys, "prove", "--identity", "all")
    assert code == 0 and out.count("\\section{") == 7


def test_output_size_broadcasts_like_the_other_sizes(capsys):
    code, out, _ = run(
        capsys, "shape", "--kernel-size", "3x3", "--stride", "2", "--input-size", "2", "--output-size", "6"
    )
    assert code == 0 and "(1, 6, 6)" in out


def test_symbolic_matrix_as_latex(capsys):
    code, out, _ = run(
        capsys,
        "matrix",
        "--kernel-size",
        "3",
        "--stride",
        "2",
        "--input-size",
        "2",
        "--weight",
        "symbolic",
        "--format",
        "latex",
    )
    assert code == 0
    assert "w_{0} & w_{1} & w_{2} & 0 & 0" in out and "0 & 0 & w_{0} & w_{1} & w_{2}" in out


def test_output_files_are_announced_and_complete(capsys, tmp_path):
    y = tmp_path / "y.npy"
    code, _, err = run(
        capsys,
        "apply",
        "--kernel-size",
        "3",
        "--stride",
        "2",
        "--input",
        "1,1",
        "--weight",
        "ones",
        "-o",
        str(y),
    )
    assert code == 0 and err == f"wrote {y}\n"
    assert np.load(y).tolist() == [[1, 1, 2, 1, 1]]
    C = tmp_path / "C.npz"
    code, _, err = run(
        capsys,
        "matrix",
        "--kernel-size",
        "3",
        "--stride",
        "2",
        "--input-size",
        "2",
        "--weight",
        "ones",
        "--format",
        "npz",
        "-o",
        str(C),
    )
    assert code == 0 and err == f"wrote {C}\n"
    assert sp.load_npz(C).toarray().tolist() == [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]]
    bad = tmp_path / "ys.npy"
    code, _, _ = run(
        capsys, "apply", "--kernel-size", "3", "--input", "1,2", "--weight", "symbolic", "-o", str(bad)
    )
    assert code == 2 and not bad.exists()


def test_explain_builds_only_the_expressions_it_shows(capsys, monkeypatch):
    """A 16×16, 3→4-channel explain makes a dozen SymPy expressions and none of
    tconvmat.symbolic's arrays (no symbol per input element); each shown expression is
    that element of the full symbolic result, and its number is y's."""
    import tconvmat.symbolic.expressions as sym

    made = []
    real = sym._sum_by
    monkeypatch.setattr(
        sym, "_sum_by", lambda index, terms, n, distinct: made.append(n) or real(index, terms, n, distinct)
    )
    monkeypatch.setattr(sym, "input_symbols", lambda *a, **k: pytest.fail("a symbol per input element"))
    monkeypatch.setattr(
        "tconvmat.symbolic.input_symbols", lambda *a, **k: pytest.fail("a symbol per input element")
    )
    argv = ["--kernel-size", "3x3", "--stride", "2", "--input-size", "16", "--in-channels", "3"]
    code, out, _ = run(capsys, "explain", *argv, "--out-channels", "4", "--no-checks")
    assert code == 0 and made == []
    monkeypatch.undo()
    x = sym.input_symbols((3, 16, 16))
    w = sym.weight_symbols((3, 4, 3, 3))
    full = sym.conv_transpose_expressions(x, w, stride=2)
    y = tcm.conv_transpose(
        np.arange(1, 3 * 256 + 1).reshape(3, 16, 16), np.arange(1, 109).reshape(3, 4, 3, 3), stride=2
    )
    text = " ".join(line.strip() for line in out.split("Element expressions")[1].splitlines())
    shown = re.findall(r"y\[(\d+), (\d+), (\d+)\] = ", text)
    assert 4 <= len(shown) <= 12
    for idx in shown:
        i = tuple(map(int, idx))
        assert f"y[{', '.join(idx)}] = {full[i]} = {y[i]}" in text
    assert f"… ({4 * 33 * 33 - len(shown)} more)" in text


def test_explain_shows_a_window_where_every_tap_lands(capsys):
    """Past a dozen outputs, the expressions are a window in the middle whose outputs,
    together, use every tap, and the grid shows the rows of C they read."""
    code, out, _ = run(capsys, "explain", "--kernel-size", "3", "--stride", "2", "--input-size", "40")
    assert code == 0
    text = out.split("Element expressions")[1].split("The equivalent")[0]
    text = " ".join(line.strip() for line in text.splitlines())
    assert "positions 37…42: a window where every tap lands (of 81 outputs)" in text
    used = set(re.findall(r"w(\d)\*", text))
    assert used == {"0", "1", "2"}
    grid = out.split("The matrix C")[1].split("y = Cᵀx")[0]
    assert "i=18" in grid and "i=0 " not in grid


@pytest.mark.parametrize(
    ("argv", "lines"),
    [
        (
            [
                "--kernel-size",
                "3",
                "--stride",
                "2",
                "--padding",
                "1",
                "--output-padding",
                "1",
                "--input-size",
                "3",
            ],
            [
                "the full result (every x times every tap) has 7 positions, 0…6;",
                "output_padding=1 adds position 7 at its end (no tap reaches it: zeros);",
                "padding=1 crops position 0 and position 7: y is positions 1…6 (6 positions).",
                "Conv1d with this kernel, stride, padding and dilation maps L = 5 or 6 to 3;",
                "output_padding=1 picks 6. So y = Cᵀx is the gradient of Conv1d(L = 6 → 3)",
            ],
        ),
        (
            ["--kernel-size", "3", "--stride", "2", "--input", "1,1"],
            ["padding=0 crops nothing", "maps L = 5 or 6 to 2;", "output_padding=0 picks 5"],
        ),
        (
            ["--kernel-size", "3", "--input", "1,1"],
            ["maps L = 4 to 2, and no other length"],
        ),
        (
            ["--kernel-size", "3", "--stride", "2", "--padding", "2:1", "--input", "1,1"],
            ["padding=(2, 1) crops positions 0…1 and position 4"],
        ),
    ],
)
def test_explain_says_what_padding_and_output_padding_do(capsys, argv, lines):
    code, out, _ = run(capsys, "explain", *argv)
    assert code == 0
    text = out.split("What padding and output_padding do")[1].split("Input and weight")[0]
    flat = " ".join(line.strip() for line in text.splitlines())
    for line in lines:
        assert line in flat


def test_explain_prints_2d_arrays_as_grids_and_ends_step_4_with_its_result(capsys):
    code, out, _ = run(capsys, "explain", "--kernel-size", "3x3", "--stride", "2", "--input-size", "2x2")
    assert code == 0
    assert "  x[0] =\n    1  2\n    3  4\n" in out
    assert "  w[0, 0] =\n    1  2  3\n    4  5  6\n    7  8  9\n" in out
    assert "     w′[0, 0] =\n       9  8  7\n       6  5  4\n       3  2  1\n" in out
    y = tcm.conv_transpose(np.arange(1, 5).reshape(1, 2, 2), np.arange(1, 10).reshape(1, 1, 3, 3), stride=2)
    rows = "".join("       " + "  ".join(f"{v:2d}" for v in row) + "\n" for row in y[0])
    assert "groups 1, giving y:\n     y[0] =\n" + rows in out
    assert "[[" not in out


def test_explain_large_input_shows_windows_at_the_cost_of_what_it_shows(capsys, monkeypatch):
    """1000×1000: no full C, no symbol per element; the story's window equals y's."""
    calls = []
    real = tcm.matrix.conv_transpose_matrix

    def spy(*a, **k):
        calls.append(
            k.get("rows"),
        )
        return real(*a, **k)

    monkeypatch.setattr("tconvmat.matrix.conv_transpose_matrix", spy)
    monkeypatch.setattr("tconvmat.cli._render.conv_transpose_matrix", spy)
    code, out, _ = run(capsys, "explain", "--kernel-size", "3x3", "--input-size", "1000x1000", "--no-checks")
    assert code == 0
    assert calls and all(r is not None for r in calls)  # row blocks only; the count builds nothing
    assert max(len(line) for line in out.splitlines()) <= 79
    x = np.arange(1, 10**6 + 1).reshape(1, 1000, 1000)
    w = np.arange(1, 10).reshape(1, 1, 3, 3)
    y = tcm.conv_transpose(x, w)
    story = out.split("4. convolve")[1]
    assert "positions 500…501, 500…501" in story
    assert f"{y[0, 500, 500]}  {y[0, 500, 501]}" in story and f"{y[0, 501, 500]}  {y[0, 501, 501]}" in story
    assert "(not run: --no-checks; add --checks to run them)" in out


def test_explain_padding_mode_steps_end_in_y(capsys):
    """With a padding mode the story's last step is y itself, the fold explained on its line."""
    argv = [
        "--kernel-size",
        "3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--padding-mode",
        "reflect",
        "--input-size",
        "4",
    ]
    code, out, _ = run(capsys, "explain", *argv)
    assert code == 0
    y = tcm.conv_transpose(
        np.arange(1, 5).reshape(1, 4),
        np.arange(1, 4).reshape(1, 1, 3),
        stride=2,
        padding=1,
        padding_mode="reflect",
    )
    ys = "  ".join(f"{v:2d}" for v in y[0])
    story = out.split("The equivalent stride-1 convolution")[1].split("Check:")[0]
    assert "5. padding_mode=reflect: add each" in story
    assert story.rstrip().endswith(f"y[0] = {ys}")
    assert f"y = Cᵀx\n-------\n  y[0] = {ys}\n" in out
    assert "agrees    flipped-kernel convolution" in out


def test_explain_checks_say_what_they_mean_within_79_columns(capsys):
    code, out, _ = run(capsys, "explain", *LEARNER, "--stride", "2")
    assert code == 0
    block = out.split("Check: every route gives the same y")[1]
    from tconvmat.cli.explain import CHECKS

    for name, meaning in CHECKS.values():
        if name in block:
            assert f"{name}: {meaning}" in " ".join(line.strip() for line in block.splitlines())
    assert max(len(line) for line in block.splitlines()) <= 79


def test_explain_skips_checks_on_a_huge_c_unless_asked(capsys, monkeypatch):
    monkeypatch.setattr("tconvmat.cli.explain.CHECK_MAX_NNZ", 5)
    code, out, _ = run(capsys, "explain", *LEARNER, "--stride", "2")
    assert code == 0 and "(not run: C has 6 nonzeros and the Cᵀx check builds it; add --checks" in out
    code, out, _ = run(capsys, "explain", *LEARNER, "--stride", "2", "--checks")
    assert code == 0 and "agrees    Cᵀx (sparse matrix)" in out


def test_explain_cuts_expressions_of_many_channels(capsys):
    """64 input channels × 9 taps: 576 terms, of which 18 are printed, and the count."""
    argv = ["--kernel-size", "3x3", "--in-channels", "64", "--input-size", "8x8", "--no-checks"]
    code, out, _ = run(capsys, "explain", *argv)
    assert code == 0
    text = " ".join(line.strip() for line in out.split("Element expressions")[1].splitlines())
    assert "+ … (576 terms) = " in text
    assert len(out) < 20_000


def test_default_weight_is_distinct_so_the_flip_shows(capsys):
    code, out, _ = run(capsys, "apply", "--kernel-size", "3", "--stride", "2", "--input", "1,1")
    assert code == 0 and out == "[[1, 2, 4, 2, 3]]\n"
    code, out, _ = run(capsys, "explain", "--kernel-size", "3", "--input", "1,1")
    assert "w[0, 0] = 1  2  3" in out and "w′[0, 0] = 3  2  1" in out


def test_parse_errors_name_the_subcommand(capsys):
    code, _, err = run(capsys, "apply", "--kernel-size", "3", "--groups", "0")
    assert code == 2 and err.startswith("tconvmat apply: error: argument --groups")
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and err.startswith("tconvmat: error:")


def test_explain_skips_the_onnx_reference_past_its_size(capsys, monkeypatch, onnx):
    monkeypatch.setattr("tconvmat.testing.ONNX_MAX_WORK", 5)
    code, out, _ = run(capsys, "explain", *LEARNER, "--stride", "2")
    assert code == 0 and "skipped   ONNX reference: onnx.reference's ConvTranspose on the same x, w\n" in out
    assert "(too large: 6 products)" in out


def test_a_file_of_the_wrong_shape_is_named_with_both_shapes(capsys, tmp_path):
    x, w = tmp_path / "x.npy", tmp_path / "w.npy"
    np.save(x, np.ones((2, 4)))
    np.save(w, np.ones((3, 3, 3)))
    code, _, err = run(capsys, "apply", "--input", str(x), "--weight", str(w))
    assert code == 2
    assert (
        f"--input: {x} has shape (2, 4); the parameters need (3, 4), laid out (C_in, *L), no batch axis"
        in err
    )


def test_explain_figures_writes_the_pictures(capsys, tmp_path):
    """--figures DIR draws what the text explains; the PNGs decode, the GIF has a frame per step."""
    from PIL import Image

    out = tmp_path / "figs"
    code, text, err = run(
        capsys, "explain", *LEARNER, "--stride", "2", "--figures", str(out), "--figures-format", "png,gif"
    )
    assert code == 0 and "y = Cᵀx" in text
    names = sorted(p.name for p in out.iterdir())
    assert names == ["matrix.png", "scatter.gif", "scatter.png", "sliding.gif", "sliding.png"]
    assert all(f"wrote {out / n}" in err for n in names)
    for n in ("matrix.png", "scatter.png", "sliding.png"):
        with Image.open(out / n) as im:
            assert im.format == "PNG" and im.size[0] > 100
    with Image.open(out / "sliding.gif") as im:  # gather view: one frame per output element (5)
        assert im.n_frames == 5


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--figures-format", "jpg"], "--figures-format: expected some of png, svg, pdf, gif"),
        (["--kernel-size", "3x3x3", "--input-size", "2"], "figures draw 1-D and 2-D transposed convolutions"),
        (["--padding-mode", "reflect"], "figures draw zero padding only"),
    ],
)
def test_explain_figures_refusals_come_before_any_output(capsys, tmp_path, extra, message):
    base = ["--kernel-size", "3", "--input-size", "3"]
    code, out, err = run(capsys, "explain", *base, "--figures", str(tmp_path / "f"), *extra)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


def test_explain_figures_unwritable_directory(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(capsys, "explain", *LEARNER, "--figures", str(blocker))
    assert code == 2 and out == "" and "exists and is not a directory" in err
