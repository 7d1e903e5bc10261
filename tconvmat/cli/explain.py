"""``tconvmat explain``: the whole story of one transposed convolution."""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops import conv, equivalent_conv
from ..spec import ConvTransposeSpec
from ..testing import IdentityCheck, IdentityReport, _check
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


def _agree(expected: np.ndarray, got: np.ndarray) -> bool:
    if expected.shape != got.shape:
        return False
    if expected.dtype.kind in "iu" and got.dtype.kind in "iu":
        return bool(np.array_equal(expected, got))
    return bool(np.allclose(expected, got, rtol=1e-10, atol=1e-9))


def run_checks(problem: Problem) -> list[IdentityCheck]:
    """Every identity on this problem: routes, adjointness, sub-pixel, symbolic, oracles."""
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    x, w, kw = problem.x, problem.weight, problem.kwargs
    ref = problem.apply("scatter")
    rng = np.random.default_rng(0)

    def matrix() -> bool:
        return _agree(ref, (x.reshape(-1) @ problem.matrix()).reshape(ref.shape))

    def flipped() -> bool:
        return _agree(ref, problem.apply("flipped"))

    def adjoint() -> bool:
        fwd = spec.adjoint
        u = rng.integers(-5, 6, fwd.input_shape)
        conv_kw = {k: v for k, v in kw.items() if k not in ("output_padding", "output_size")}
        cu = conv(u, w, **conv_kw)[(slice(None), *(slice(0, n) for n in spec.input_size))]
        return (
            int(np.sum(cu * x)) == int(np.sum(u * ref))
            if ref.dtype.kind in "iu"
            else bool(np.isclose(np.sum(cu * x), np.sum(u * ref)))
        )

    def subpixel() -> bool | str:
        if spec.padding_mode != "zeros":
            return "zeros padding only"
        from ..identities import subpixel as decompose

        sub_kw = {k: v for k, v in kw.items() if k not in ("padding_mode", "output_size")}
        sub_kw["output_padding"] = spec.output_padding
        return _agree(ref, decompose(w, spec.input_shape, **sub_kw).apply(x))

    def symbolic() -> bool | str:
        if math.prod(spec.output_shape) * math.prod(spec.kernel_size) > 20000:
            return "too large to expand symbolically"
        try:
            sym = symbolic_module()
            ys = np.asarray(sym.conv_transpose_expressions(x, w, **kw))
        except (UsageError, AttributeError):
            return "tconvmat.symbolic unavailable"
        return _agree(ref, ys.astype(ref.dtype))

    return [
        _check("Cᵀx (sparse matrix)", matrix),
        _check("flipped-kernel convolution", flipped),
        _check("adjoint: ⟨conv(u), x⟩ = ⟨u, Cᵀx⟩", adjoint),
        _check("sub-pixel decomposition", subpixel),
        _check("symbolic expressions", symbolic),
        _check("PyTorch", lambda: _torch_check(problem, ref)),
        _check("PyTorch autograd VJP", lambda: _torch_vjp_check(problem, ref)),
        _check("ONNX reference", lambda: _onnx_check(problem, ref)),
    ]


def _torch_module() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_check(problem: Problem, reference: np.ndarray) -> bool | str:
    spec = problem.spec
    if spec.ndim > 3:
        return "PyTorch has no convolution past 3-d"
    if spec.padding_mode != "zeros" and problem.transposed:
        return "PyTorch has no padding modes for ConvTranspose"
    if any(pb != pa for pb, pa in spec.padding):
        return "asymmetric padding: PyTorch cannot express it"
    torch = _torch_module()
    if torch is None:
        return "torch not installed"
    F = torch.nn.functional
    x = torch.from_numpy(problem.x.astype(np.float64))[None]
    w = torch.from_numpy(problem.weight.astype(np.float64))
    p = tuple(pb for pb, _ in spec.padding)
    with torch.no_grad():
        if isinstance(spec, ConvTransposeSpec):
            f = getattr(F, f"conv_transpose{spec.ndim}d")
            y = f(
                x,
                w,
                stride=spec.stride,
                padding=p,
                output_padding=spec.output_padding,
                groups=spec.groups,
                dilation=spec.dilation,
            )
        else:
            if spec.padding_mode != "zeros":
                pads = [v for pair in reversed(spec.padding) for v in pair]
                x, p = F.pad(x, pads, mode=spec.padding_mode), (0,) * spec.ndim
            f = getattr(F, f"conv{spec.ndim}d")
            y = f(x, w, stride=spec.stride, padding=p, dilation=spec.dilation, groups=spec.groups)
    return _agree(reference.astype(np.float64), y[0].numpy())


def _torch_vjp_check(problem: Problem, reference: np.ndarray) -> bool | str:
    """The transposed convolution is the VJP of the padded forward convolution."""
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    if spec.ndim > 3:
        return "PyTorch has no convolution past 3-d"
    torch = _torch_module()
    if torch is None:
        return "torch not installed"
    F = torch.nn.functional
    fwd = spec.adjoint
    z = torch.zeros((1, *fwd.input_shape), dtype=torch.float64, requires_grad=True)
    mode = "constant" if spec.padding_mode == "zeros" else spec.padding_mode
    zp = F.pad(z, [v for pair in reversed(spec.padding) for v in pair], mode=mode)
    y = getattr(F, f"conv{spec.ndim}d")(
        zp,
        torch.from_numpy(problem.weight.astype(np.float64)),
        stride=spec.stride,
        dilation=spec.dilation,
        groups=spec.groups,
    )
    g = torch.zeros_like(y)
    g[(0, slice(None), *(slice(0, n) for n in spec.input_size))] = torch.from_numpy(
        problem.x.astype(np.float64)
    )
    (grad,) = torch.autograd.grad(y, z, g)
    return _agree(reference.astype(np.float64), grad[0].numpy())


ONNX_MAX_WORK = 2**18
"""Largest ``C_in · ∏L · ∏K`` the explain/verify checks hand to ``onnx.reference`` (~1 s)."""


def _onnx_check(problem: Problem, reference: np.ndarray) -> bool | str:
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    if spec.padding_mode != "zeros":
        return "ONNX has no padding modes"
    if spec.groups > 1:
        return "the ONNX reference implementation mishandles groups > 1"
    if any(op >= s for op, s in zip(spec.output_padding, spec.stride)):
        return "the ONNX reference implementation mishandles output_padding ≥ stride"
    work = spec.in_channels * math.prod(spec.input_size) * math.prod(spec.kernel_size)
    if work > ONNX_MAX_WORK:  # its col2im is a Python loop: ~5 µs per element
        return f"too large: {work:,} products"
    try:
        from onnx import TensorProto, helper
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return "onnx not installed"
    node = helper.make_node(
        "ConvTranspose",
        ["X", "W"],
        ["Y"],
        strides=list(spec.stride),
        dilations=list(spec.dilation),
        pads=[pb for pb, _ in spec.padding] + [pa for _, pa in spec.padding],
        group=spec.groups,
        output_padding=list(spec.output_padding),
        kernel_shape=list(spec.kernel_size),
    )
    value = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in ("X", "W", "Y")]
    model = helper.make_model(
        helper.make_graph([node], "t", value[:2], value[2:]), opset_imports=[helper.make_opsetid("", 17)]
    )
    (y,) = ReferenceEvaluator(model).run(
        None, {"X": problem.x.astype(np.float64)[None], "W": problem.weight.astype(np.float64)}
    )
    return _agree(reference.astype(np.float64), np.asarray(y)[0])


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
