"""``tconvmat explain``: the whole story of one transposed convolution."""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..ops import equivalent_conv
from ..spec import ConvTransposeSpec
from ..testing import ORACLES, IdentityCheck, IdentityReport, check_identities
from ._args import Command, Problem, UsageError, add_params, positive, problem_from_args, symbolic_module
from ._render import WIDTH, fmt_array, fmt_tuple, grid, heading, indent, params_text, shape_text
from .prove import write_proof


def _flipped_story(problem: Problem) -> str:
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    kw = {k: v for k, v in problem.kwargs.items() if k != "padding_mode"}
    eq = equivalent_conv(problem.weight, spec.input_shape, **kw)
    from .._core import upsample
    from ..padding import pad

    up = upsample(problem.x, eq.upsample)
    padded = pad(up, eq.pads, "zeros")
    small = spec.ndim == 1 and padded.size <= 64

    def show(a: np.ndarray) -> list[str]:
        return ["   " + line for line in fmt_array(a).splitlines()] if small else []

    crop = "  (negative: crop)" if any(min(p) < 0 for p in eq.pads) else ""
    lines = [
        f"1. insert s − 1 zeros between neighbours, s = {fmt_tuple(eq.upsample)}:",
        f"   shape {fmt_tuple(problem.x.shape)} → {fmt_tuple(up.shape)}",
        *show(up),
        "2. pad by P_l = d·(K−1) − p_before and P_r = d·(K−1) − p_after + op",
        f"   = {fmt_tuple(eq.pads)}{crop}: shape {fmt_tuple(padded.shape)}",
        *show(padded),
        "3. flip the kernel on every spatial axis, swap in/out channels per group:",
        f"   weight {fmt_tuple(problem.weight.shape)} → {fmt_tuple(eq.weight.shape)}",
        *show(eq.weight),
        f"4. convolve with stride 1, dilation {fmt_tuple(eq.dilation)}, groups {eq.groups}:",
        *show(eq.apply(problem.x)),
    ]
    if spec.padding_mode != "zeros":
        note = (
            f"(padding_mode={spec.padding_mode}: the full output is computed with pads d·(K−1) and "
            "d·(K−1) + op, then each padded position is folded back onto the position it copies, the "
            "adjoint of the padding; the steps above show padding_mode=zeros)"
        )
        lines.extend(textwrap.wrap(note, WIDTH - 4))
    return "\n".join(lines)


CHECKS = {
    "matrix": ("Cᵀx (sparse matrix)", "multiply by the transpose of the matrix C above"),
    "flipped": ("flipped-kernel convolution", "the stride-1 convolution of steps 1–4"),
    "dot": ("adjoint: ⟨conv(u), x⟩ = ⟨u, Cᵀx⟩", "the forward convolution is its transpose"),
    "subpixel": ("sub-pixel decomposition", "s^N small convolutions, interleaved"),
    "symbolic": ("symbolic expressions", "the formulas y[j] = … with the numbers put in"),
    "torch": ("PyTorch", "torch.nn.functional.conv_transpose*d"),
    "torch_vjp": ("PyTorch autograd VJP", "the gradient of the forward convolution"),
    "onnx": ("ONNX reference", "onnx.reference's ConvTranspose"),
}
"""Each check of :func:`tconvmat.testing.check_identities` as the command names it, and what it means."""


def run_checks(problem: Problem) -> list[IdentityCheck]:
    """Every identity on this problem (:func:`tconvmat.testing.check_identities` with the
    oracles), named as the command names them, in the command's order."""
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    report = check_identities(
        weight_shape=spec.weight_shape,
        input_shape=spec.input_shape,
        x=problem.x,
        weight=problem.weight,
        oracles=ORACLES,
        **spec.kwargs(),
    )
    by_key = {c.key: c for c in report.checks}
    return [replace(by_key[key], name=name) for key, (name, _) in CHECKS.items() if key in by_key]


def check_lines(checks: Sequence[IdentityCheck]) -> str:
    lines = str(IdentityReport({}, tuple(checks))).splitlines()
    return "\n".join(line if len(line) <= WIDTH - 2 else line[: WIDTH - 3] + "…" for line in lines)


def cmd_explain(args: argparse.Namespace) -> int:
    problem = problem_from_args(args)
    if not problem.transposed:
        raise UsageError("explain is about transposed convolutions; drop --conv")
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    out: list[str] = []
    out.append(f"tconvmat explain — {spec.ndim}-d transposed convolution")
    out.append("=" * WIDTH)
    out.append(indent(params_text(problem)))
    out.append(heading("Output shape"))
    out.append(indent(shape_text(spec)))
    out.append(heading("Input and weight"))
    out.append(indent("x =\n" + indent(fmt_array(problem.x))))
    out.append(indent("w =\n" + indent(fmt_array(problem.weight))))
    symbolic = problem.symbolic
    if not symbolic:
        C = problem.matrix()
        out.append(heading(f"The matrix C ({C.shape[0]} × {C.shape[1]}, {C.nnz} nonzeros)"))
        out.append(
            indent(
                "C is the matrix of the forward convolution whose input has the transposed\n"
                "output's shape: row i (an input element of the transposed convolution)\n"
                "holds the kernel at columns j = i·s + k·d − p. Cells show the tap k."
                + (
                    "\nRows and columns are flattened (channel, *position) indices, row-major."
                    if spec.ndim > 1 or spec.in_channels > 1 or spec.out_channels > 1
                    else ""
                )
            )
        )
        out.append(indent(grid(problem, C, max_rows=args.max_rows, width=WIDTH - 2)))
        y = problem.apply()
        out.append(heading("y = Cᵀx"))
        out.append(indent(fmt_array(y)))
    out.append(heading("Element expressions"))
    out.append(indent(_expressions_text(problem)))
    out.append(heading("The equivalent stride-1 convolution"))
    if symbolic:
        out.append(indent("(shown for numeric weights; run without 'symbolic' to see the numbers)"))
    else:
        out.append(indent(_flipped_story(problem)))
        out.append(heading("Check: every route gives the same y"))
        checks = run_checks(problem)
        out.append(indent(check_lines(checks)))
        if any(c.status == "fail" for c in checks):
            print("\n".join(out))
            return 1
    print("\n".join(out))
    if args.tex or args.pdf:
        write_proof(problem, args.tex, args.pdf)
    return 0


def _expressions_text(problem: Problem, limit: int = 12) -> str:
    try:
        sym = symbolic_module()
        # With symbolic values given, show them as given (numbers and symbols mixed);
        # otherwise the general expressions in x and w.
        x = problem.x if problem.symbolic else sym.input_symbols(problem.x.shape, name="x")
        w = problem.weight if problem.symbolic else sym.weight_symbols(problem.weight.shape, name="w")
        ys = sym._leading(problem.spec, x, w, limit)  # only the elements shown are built
    except (UsageError, AttributeError, ImportError):
        return "(tconvmat.symbolic unavailable)"
    lines = []
    shape = problem.spec.output_shape
    for flat, value in enumerate(ys):
        idx = np.unravel_index(flat, shape)
        line = f"y[{', '.join(map(str, idx))}] = {value}"
        lines.extend(textwrap.wrap(line, WIDTH - 2, subsequent_indent="    ", break_long_words=False))
    total = math.prod(shape)
    if total > limit:
        lines.append(f"… ({total - limit} more)")
    return "\n".join(lines)


def _configure(p: argparse.ArgumentParser) -> None:
    add_params(p, transposed_only=True)
    p.add_argument("--tex", metavar="FILE", help="also write the LaTeX proof document")
    p.add_argument("--pdf", metavar="FILE", help="also write the proof as PDF (needs pdflatex)")
    p.add_argument("--max-rows", type=positive, default=16, metavar="N", help="rows shown in the grid")


COMMANDS = (
    Command(
        name="explain",
        help="the whole story: shape, C, y = Cᵀx, expressions, equivalent conv, checks",
        examples="""examples:
  tconvmat explain --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1
  tconvmat explain --kernel-size 3 --stride 4 --input 1,1 --weight 1,1,1 --pdf proof.pdf
  tconvmat explain --kernel-size 2x2 --stride 2 --padding 1 --input-size 2x2
  tconvmat explain --kernel-size 3 --stride 2 --input 1,2 --weight symbolic""",
        configure=_configure,
        run=cmd_explain,
    ),
)
