"""Generating the LaTeX proof document, and compiling it: seconds, beside references.

Run from the repository root:

    python benchmarks/bench_latex.py            # the issue's 2-D case and a few more
    python benchmarks/bench_latex.py --quick    # the 2-D case only

The target (issue 4): a proof document for a 2-D instance (8×8 input, 3×3 kernel,
stride 2) generated in under a second, pdflatex excluded.  Every figure is printed
beside references measured in the same run, because these machines are noisy:

References
----------
routes
    the three numeric routes the document checks (``Cᵀx``, scatter, flipped) plus
    building ``C``: the arithmetic the document cannot avoid.
dense sympy.latex(C)
    the naive way to print the matrix: ``sympy.latex(sympy.Matrix(C.toarray()))``,
    densified and printed whole (skipped above 40,000 entries).
pdflatex
    two ``pdflatex -interaction=nonstopmode -halt-on-error`` passes (the document uses
    references), if pdflatex is installed.

"cold" is the first call in the process (templates read, derivations built, caches
filled); "warm" is the best of three later calls.  The working tree's ``tconvmat`` is
benchmarked (the repository root goes first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import sympy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import tconvmat as tcm
from tconvmat import latex


def timed(fn: Callable[[], object]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    return min(timed(fn)[0] for _ in range(repeat))


def pdflatex_seconds(tex: str) -> float | None:
    if shutil.which("pdflatex") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "doc.tex").write_text(tex, encoding="utf-8")
        t0 = time.perf_counter()
        for _ in range(2):
            subprocess.run(
                ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                cwd=tmp,
                check=True,
                capture_output=True,
            )
        return time.perf_counter() - t0


CASES: list[tuple[str, dict[str, Any]]] = [
    ("2-D 8×8, 3×3, s=2 (issue)", dict(weight_shape=(1, 1, 3, 3), input_shape=(1, 8, 8), stride=2)),
    ("1-D learner, 3, s=2", dict(weight_shape=(1, 1, 3), input_shape=(1, 2), stride=2)),
    (
        "2-D 4→8 ch, 32×32, g=2",
        dict(
            weight_shape=(4, 4, 3, 3),
            input_shape=(4, 32, 32),
            stride=2,
            padding=1,
            output_padding=1,
            groups=2,
        ),
    ),
    ("3-D 8³, 3³, s=2", dict(weight_shape=(1, 1, 3, 3, 3), input_shape=(1, 8, 8, 8), stride=2)),
    ("1-D 10⁶ input, s=2", dict(weight_shape=(1, 1, 3), input_shape=(1, 1_000_000), stride=2)),
]


def routes(kw: dict[str, Any]) -> Callable[[], object]:
    w = np.arange(1, int(np.prod(kw["weight_shape"])) + 1).reshape(kw["weight_shape"])
    x = np.arange(1, int(np.prod(kw["input_shape"])) + 1).reshape(kw["input_shape"])
    params = {k: v for k, v in kw.items() if k not in ("weight_shape", "input_shape")}

    def run() -> object:
        C = tcm.conv_transpose_matrix(w, kw["input_shape"], **params)
        return (
            C.T @ x.ravel(),
            tcm.conv_transpose(x, w, method="scatter", **params),
            tcm.conv_transpose(x, w, method="flipped", **params),
        )

    return run


def dense_sympy(kw: dict[str, Any]) -> Callable[[], object] | None:
    w = np.arange(1, int(np.prod(kw["weight_shape"])) + 1).reshape(kw["weight_shape"])
    params = {k: v for k, v in kw.items() if k not in ("weight_shape", "input_shape")}
    C = tcm.conv_transpose_matrix(w, kw["input_shape"], **params)
    if C.shape[0] * C.shape[1] > 40_000:
        return None
    return lambda: sympy.latex(sympy.Matrix(C.toarray()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the issue's 2-D case only")
    args = parser.parse_args()
    cases = CASES[:1] if args.quick else CASES
    print(
        f"{'case':<28} {'cold s':>8} {'warm s':>8} {'KB':>6} | {'routes s':>9} {'dense sympy s':>14} | {'pdflatex×2 s':>12}"
    )
    for name, kw in cases:
        cold, tex = timed(lambda kw=kw: latex.proof_document(**kw))
        warm = best_time(lambda kw=kw: latex.proof_document(**kw))
        ref_routes = best_time(routes(kw))
        dense = dense_sympy(kw)
        ref_dense = f"{best_time(dense, 1):14.3f}" if dense is not None else f"{'(too big)':>14}"
        pdf = pdflatex_seconds(tex)
        pdf_s = f"{pdf:12.2f}" if pdf is not None else f"{'(missing)':>12}"
        print(
            f"{name:<28} {cold:8.3f} {warm:8.3f} {len(tex) / 1024:6.0f} | {ref_routes:9.4f} {ref_dense} | {pdf_s}"
        )
    print("\ntarget: the first row's generation (cold and warm) under 1 s, pdflatex excluded")


if __name__ == "__main__":
    main()
