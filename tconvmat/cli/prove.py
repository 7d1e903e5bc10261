"""``tconvmat prove``: the LaTeX proof document (and PDF through pdflatex)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..spec import ConvTransposeSpec
from ._args import Command, Problem, ToolMissing, UsageError, add_params, problem_from_args, write_output

TEX_INSTALL = (
    "pdflatex not found; install TeX Live, e.g. on Debian/Ubuntu: "
    "apt-get install texlive-latex-base texlive-latex-recommended texlive-pictures "
    "(or write the .tex with --tex and compile it elsewhere)"
)


def proof_tex(problem: Problem) -> str:
    from .. import latex

    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    kw = {k: v for k, v in problem.kwargs.items() if k not in ("padding_mode", "output_size")}
    kw["output_padding"] = spec.output_padding
    return str(
        latex.proof_document(
            weight_shape=problem.weight.shape,
            input_shape=spec.input_shape,
            weight=problem.weight,
            x=problem.x,
            **kw,
        )
    )


def write_proof(problem: Problem, tex: str | None, pdf: str | None, command: str = "explain") -> None:
    what = "" if command == "prove" else "--tex/--pdf: "
    if problem.symbolic:
        raise UsageError(
            f"{what}the proof document needs numeric --weight and --input (it has a worked instance)"
        )
    if problem.spec.padding_mode != "zeros":
        raise UsageError(
            f"{what}the proof document covers padding_mode='zeros' only; got --padding-mode {problem.spec.padding_mode}"
        )
    source = proof_tex(problem)
    if tex:
        write_output(tex, source)
    if pdf:
        compile_pdf(source, pdf)
        print(f"wrote {pdf}", file=sys.stderr)


def compile_pdf(source: str, pdf: str) -> None:
    exe = shutil.which("pdflatex")
    if exe is None:
        raise ToolMissing(TEX_INSTALL)
    with tempfile.TemporaryDirectory() as tmp:
        tex_path = Path(tmp) / "proof.tex"
        tex_path.write_text(source, encoding="utf-8")
        for _ in range(2):
            run = subprocess.run(
                [exe, "-interaction=nonstopmode", "-halt-on-error", tex_path.name],
                cwd=tmp,
                capture_output=True,
                text=True,
                errors="replace",
                check=False,
            )
            if run.returncode != 0:
                last = [ln for ln in run.stdout.splitlines() if ln.startswith("!")][:1]
                raise ToolMissing(f"pdflatex failed: {last[0] if last else 'see the .tex with --tex'}")
        try:
            shutil.copyfile(Path(tmp) / "proof.pdf", pdf)
        except OSError as e:
            raise UsageError(f"--pdf: cannot write {pdf!r}: {e.strerror or e}") from None


def cmd_prove(args: argparse.Namespace) -> int:
    if args.identity:
        from .. import latex

        names = list(latex.IDENTITIES) if args.identity == "all" else [args.identity]
        source = str(latex.identity_document(names))
        if args.output or not args.pdf:
            write_output(args.output, source)
        if args.pdf:
            compile_pdf(source, args.pdf)
            print(f"wrote {args.pdf}", file=sys.stderr)
        return 0
    problem = problem_from_args(args)
    if not problem.transposed:
        raise UsageError("prove is about transposed convolutions; drop --conv")
    if not args.output and not args.pdf:
        args.output = "-"
    if args.output:
        if problem.symbolic or problem.spec.padding_mode != "zeros":
            write_proof(problem, "-", None, "prove")
        else:
            write_output(args.output, proof_tex(problem))
    if args.pdf:
        write_proof(problem, None, args.pdf, "prove")
    return 0


def _configure(p: argparse.ArgumentParser) -> None:
    from ..latex import IDENTITIES

    add_params(p, transposed_only=True)
    p.add_argument("-o", "--output", metavar="FILE", help="write the .tex to FILE (default stdout)")
    p.add_argument("--pdf", metavar="FILE", help="compile to PDF with pdflatex")
    p.add_argument(
        "--identity",
        choices=["all", *IDENTITIES],
        help="instead of the worked proof, the SymPy-checked derivation of one identity (or all)",
    )


COMMANDS = (
    Command(
        name="prove",
        help="write the LaTeX proof document (--pdf compiles it)",
        examples="""examples:
  tconvmat prove --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1 -o proof.tex
  tconvmat prove --identity subpixel --pdf subpixel.pdf
  tconvmat prove --identity all -o identities.tex
  tconvmat prove --kernel-size 3x3 --stride 2 --padding 1 --input-size 3x3 --pdf proof.pdf""",
        configure=_configure,
        run=cmd_prove,
    ),
)
