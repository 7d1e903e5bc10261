"""``tconvmat explain``: the whole story of one transposed convolution."""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..explanation import axis_stories, count, expressions, focus, indices_in, padded_window, reads, terms
from ..matrix import matrix_nnz
from ..ops import conv, equivalent_conv
from ..spec import ConvTransposeSpec, conv_output_length, reach
from ..testing import ORACLES, IdentityCheck, check_identities
from ._args import Command, Problem, UsageError, add_params, positive, problem_from_args, writable
from ._render import WIDTH, fmt_grid, fmt_tuple, heading, indent, num, params_text, rows_grid, shape_text
from .prove import write_proof


def _spatial(window: Sequence[range]) -> str:
    """``9…10`` per axis, joined by commas."""
    return ", ".join(f"{r.start}…{r.stop - 1}" if len(r) > 1 else str(r.start) for r in window)


def _flipped_story(problem: Problem, y: np.ndarray, focus: tuple[range, ...]) -> str:
    """Steps 1–4 (5 for a padding mode) of the equivalent stride-1 convolution, each with its
    array: whole when small, else the window that gives the output window ``focus``."""
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    zeros = spec.padding_mode == "zeros"
    pads = spec.flipped_pads if zeros else spec.full_pads
    w_prime = equivalent_conv(problem.weight, spec.input_shape, **_zeros_kwargs(spec)).weight
    result_size = spec.output_size if zeros else spec.full_size
    padded_size = tuple(n + reach(K, d) for n, K, d in zip(result_size, spec.kernel_size, spec.dilation))
    small = spec.ndim <= 2 and all(n <= SMALL for n in padded_size)
    # the result's window (positions of the full result for a padding mode: y's position + p_before)
    if small:
        out_win = tuple(range(n) for n in result_size)
    else:
        out_win = tuple(
            r if zeros else range(r.start + pb, r.stop + pb) for r, (pb, _) in zip(focus, spec.padding)
        )
    read = reads(spec, out_win)
    padded = padded_window(problem.x, spec, pads, read)
    result = conv(padded, w_prime, dilation=spec.dilation, groups=spec.groups)
    up = spec.upsampled_size
    where = "" if small else f", positions {_spatial(read)} (what the window below reads)"
    crop = "  (negative: crop)" if any(min(p) < 0 for p in pads) else ""
    lines = [
        f"1. insert s − 1 zeros between neighbours, s = {fmt_tuple(spec.stride)}:",
        f"   shape {fmt_tuple(spec.input_shape)} → {fmt_tuple((spec.in_channels, *up))}",
    ]
    if small:
        lines += _block(
            padded_window(problem.x, spec, [(0, 0)] * spec.ndim, [range(n) for n in up]), 1, "x↑", 3
        )
    shape = fmt_tuple((spec.in_channels, *padded_size))
    if zeros:
        lines.append("2. pad by P_l = d·(K−1) − p_before and P_r = d·(K−1) − p_after + op")
        text = f"   = {fmt_tuple(pads)}{crop}: shape {shape}{where}"
    else:
        lines.append("2. pad by d·(K−1) and d·(K−1) + op (the full result's pads; the padding")
        text = f"   mode comes in step 5) = {fmt_tuple(pads)}: shape {shape}{where}"
    lines += textwrap.wrap(text, WIDTH - 2, subsequent_indent="   ")
    lines += _block(padded, 1, "x↑ padded", 3)
    lines += [
        "3. flip the kernel on every spatial axis, swap in/out channels per group:",
        f"   weight {fmt_tuple(problem.weight.shape)} → {fmt_tuple(w_prime.shape)}",
        *_block(w_prime, 2, "w′", 3),
    ]
    conv_line = (
        f"4. convolve with stride 1, no padding, dilation {fmt_tuple(spec.dilation)}, groups {spec.groups}"
    )
    if zeros:
        conv_line += ", giving y:" if small else f", giving y at positions {_spatial(out_win)}:"
        lines += textwrap.wrap(conv_line, WIDTH - 2, subsequent_indent="   ")
        lines += _block(result, 1, "y", 3)
    else:
        conv_line += ", giving the full result, shape " + fmt_tuple((spec.out_channels, *result_size))
        conv_line += ":" if small else f", at positions {_spatial(out_win)}:"
        lines += textwrap.wrap(conv_line, WIDTH - 2, subsequent_indent="   ")
        lines += _block(result, 1, "full", 3)
        note = (
            f"5. padding_mode={spec.padding_mode}: add each of the p_before, p_after positions of the full "
            "result onto the position the padding copied it from (the adjoint of the padding), "
            f"which leaves y{'' if small else f' (at positions {_spatial(focus)})'}:"
        )
        lines += textwrap.wrap(note, WIDTH - 2, subsequent_indent="   ")
        lines += _block(y if small else y[(slice(None), *(slice(r.start, r.stop) for r in focus))], 1, "y", 3)
    return "\n".join(lines)


SMALL = 16
"""Largest padded length (per axis, 1-d and 2-d) whose arrays the story shows whole."""


def _block(a: np.ndarray, lead: int, name: str, n: int) -> list[str]:
    text = fmt_grid(a, lead, name, width=WIDTH - 2 - n, max_rows=SMALL)
    return [" " * n + line for line in text.splitlines()]


def _zeros_kwargs(spec: ConvTransposeSpec) -> dict[str, object]:
    return {k: v for k, v in spec.kwargs().items() if k != "padding_mode"}


CHECKS = {
    "matrix": ("Cᵀx (sparse matrix)", "x times the transpose of C above"),
    "flipped": ("flipped-kernel convolution", "the steps just above"),
    "dot": ("adjoint: ⟨conv(u), x⟩ = ⟨u, Cᵀx⟩", "conv is the transpose (random u)"),
    "subpixel": ("sub-pixel decomposition", "s^N small convolutions, interleaved"),
    "symbolic": ("symbolic expressions", "the formulas y[…] = … with numbers put in"),
    "torch": ("PyTorch", "torch.nn.functional.conv_transpose*d on the same x, w"),
    "torch_vjp": ("PyTorch autograd VJP", "the gradient of F.conv*d, by autograd"),
    "onnx": ("ONNX reference", "onnx.reference's ConvTranspose on the same x, w"),
}
"""Each check of :func:`tconvmat.testing.check_identities` as the command names it, and what it means."""

CHECK_MAX_NNZ = 2**24
"""Largest ``C`` (nonzeros) whose checks ``explain`` runs unasked: the ``Cᵀx`` check builds
all of ``C`` (16.8 M nonzeros: about 200 MB as int64 CSR).  ``--checks`` runs them anyway."""


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


def check_lines(checks: Sequence[IdentityCheck], width: int = WIDTH - 2) -> str:
    """One line per check, the verdict first, then what the check means (and why it was
    skipped), wrapped to ``width``."""
    words = {"pass": "agrees", "fail": "DISAGREES", "skip": "skipped"}
    col = max(len(w) for w in words.values()) + 1
    lines = []
    for c in checks:
        meaning = CHECKS.get(c.key, (c.name, ""))[1]
        text = f"{words[c.status].ljust(col)}{c.name}" + (f": {meaning}" if meaning else "")
        if c.detail:
            text += f" ({c.detail})"
        lines += textwrap.wrap(text, width, subsequent_indent=" " * col, break_long_words=False)
    return "\n".join(lines)


def _nnz(problem: Problem) -> int:
    """Nonzeros of ``C``, counted without building it (the size guard's count)."""
    return matrix_nnz(problem.spec)


def _padding_text(spec: ConvTransposeSpec) -> str:
    """What padding and output_padding do, per axis, every number from :mod:`tconvmat.spec`."""
    conv = f"Conv{spec.ndim}d"
    lines = []
    stories = axis_stories(spec)

    def same(a: int) -> tuple[object, ...]:
        return (
            spec.output_padding[a],
            *(v[a] for v in (spec.input_size, spec.kernel_size, spec.stride, spec.dilation, spec.padding)),
        )

    alike = spec.ndim > 1 and all(same(a) == same(0) for a in range(spec.ndim))
    for st in stories[:1] if alike else stories:
        a = st.axis
        (pb, pa), op = spec.padding[a], spec.output_padding[a]
        head = "every axis: " if alike else f"axis {a}: " if spec.ndim > 1 else ""
        zeros = spec.padding_mode == "zeros"
        end = st.full + op  # output_padding extends the full result at its end, then padding crops
        crops = []
        if pb:
            crops.append(_positions(range(0, pb)))
        if pa:
            crops.append(_positions(range(end - pa, end)))
        verb = "crops" if zeros else "folds back"
        what = (
            f"padding={pb if pb == pa else (pb, pa)} {verb} {' and '.join(crops)}"
            if crops
            else f"padding=0 {verb} nothing"
        )
        if not zeros and crops:
            what += f" (onto the positions they copy, padding_mode={spec.padding_mode}: step 5 below)"
        full = f"the full result (every x times every tap) has {st.full} positions, 0…{st.full - 1}"
        if op:
            them = "it" if op == 1 else "them"
            reached = f"no tap reaches {them}: zeros" if zeros else "folded like the rest"
            full += f"; output_padding={op} adds {_positions(range(st.full, end))} at its end ({reached})"
        text = f"{head}{full}; {what}: y is positions {st.start}…{st.stop - 1} ({st.length} positions)."
        lines += textwrap.wrap(text, WIDTH - 2, subsequent_indent="  ")
        L = spec.input_size[a]
        *most, last = map(str, st.forward_lengths)
        sizes = f"{', '.join(most)} or {last}" if most else last
        if st.length in st.forward_lengths:
            pick_text = (
                f"; output_padding={op} picks {st.length}"
                if len(st.forward_lengths) > 1
                else ", and no other length"
            )
            text = (
                f"{head}{conv} with this kernel, stride, padding and dilation maps L = {sizes} to {L}"
                f"{pick_text}. So y = Cᵀx is the gradient of {conv}(L = {st.length} → {L}) with respect "
                f"to its input, when x is the gradient of its output."
            )
        else:
            beyond = conv_output_length(
                st.length, spec.kernel_size[a], spec.stride[a], pb, pa, spec.dilation[a]
            )
            text = (
                f"{head}{conv} with this kernel, stride, padding and dilation maps L = {sizes} to {L}; "
                f"output_padding={op} ≥ stride reaches past them (PyTorch allows it as op < dilation): "
                f"{conv} maps L = {st.length} to {beyond}, and C keeps the first {L} of those outputs."
            )
        lines += textwrap.wrap(text, WIDTH - 2, subsequent_indent="  ")
    return "\n".join(lines)


def _positions(r: range) -> str:
    return f"position {r.start}" if len(r) == 1 else f"positions {r.start}…{r.stop - 1}"


def _shown(spec: ConvTransposeSpec, limit: int) -> tuple[list[tuple[int, ...]], tuple[range, ...]]:
    """The output elements whose expressions are shown: all when they fit, else a window
    where every tap lands (:func:`tconvmat.explanation.focus`), channel 0 first."""
    if math.prod(spec.output_shape) <= limit:
        whole = tuple(range(n) for n in spec.output_size)
        return indices_in(range(spec.out_channels), whole, limit), whole
    window = focus(spec, [6 if spec.ndim == 1 else 2] * spec.ndim)
    # every channel if they fit, else the first channel of each group (as many as fit)
    per_group = spec.out_channels // spec.groups
    channels: Sequence[int] = range(spec.out_channels)
    if spec.out_channels * count(window) > limit:
        channels = list(range(0, spec.out_channels, per_group))[: max(1, limit // count(window))]
    every = indices_in(channels, window, count(window) * len(channels))
    return [idx for idx in every if terms(spec, idx)], window


def _expressions_text(problem: Problem, y: np.ndarray | None, limit: int = 12) -> str:
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    reached, window = _shown(spec, limit)
    indices = reached[:limit]
    # With symbolic values given, show them as given (numbers and symbols mixed);
    # otherwise the general expressions in x and w, with y's number after them.
    given = (problem.x, problem.weight) if problem.symbolic else (None, None)
    values = expressions(spec, indices, *given)
    total = math.prod(spec.output_shape)
    lines = []
    if total > len(indices):
        chans = sorted({i[0] for i in indices})
        whole = all(len(r) == n for r, n in zip(window, spec.output_size))
        where = "" if whole else f", positions {_spatial(window)}: a window where every tap lands"
        which = "channel 0" if chans == [0] else f"channels {', '.join(map(str, chans))}"
        if len(chans) > 1 and len(chans) < spec.out_channels:
            which += " (the first of each group)"
        text = f"output {which}{where} (of {total:,} outputs):"
        lines += textwrap.wrap(text, WIDTH - 2, subsequent_indent="  ")
    for idx, value in zip(indices, values):
        line = f"y[{', '.join(map(str, idx))}] = {_cut(str(value))}"
        if y is not None and str(value) != num(y[idx]):
            line += f" = {num(y[idx])}"
        lines.extend(textwrap.wrap(line, WIDTH - 2, subsequent_indent="    ", break_long_words=False))
    if len(reached) > len(indices):
        lines.append(f"(and {len(reached) - len(indices)} more of the window)")
    empty = count(window) * len({i[0] for i in reached}) - len(reached) if total > len(indices) else 0
    if empty:
        lines.append(f"(no tap reaches the window's other {empty} positions: 0 there)")
    if total > len(indices):
        lines.append(f"… ({total - len(indices)} more)")
    return "\n".join(lines)


MAX_TERMS = 18
"""Terms of an element expression printed before ``+ …`` (two input channels of a 3×3 kernel)."""


def _cut(text: str, keep: int = MAX_TERMS) -> str:
    """``a + b + … + z`` cut after ``keep`` top-level terms, with the count of all of them."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and text.startswith(" + ", i):
            parts.append(text[start:i])
            start = i + 3
    parts.append(text[start:])
    if len(parts) <= keep:
        return text
    return " + ".join(parts[:keep]) + f" + … ({len(parts)} terms)"


def _grid_text(problem: Problem, indices: Sequence[tuple[int, ...]], max_rows: int) -> str:
    """The rows of ``C`` the shown expressions read, as a grid, and which elements they are."""
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    n_rows, n_cols = math.prod(spec.input_shape), math.prod(spec.output_shape)
    used = sorted(
        {int(np.ravel_multi_index(xi, spec.input_shape)) for idx in indices for _, xi in terms(spec, idx)}
    )
    text, rows = rows_grid(
        problem, list(range(n_rows)) if n_rows <= max_rows else [0], n_rows, n_cols, WIDTH - 2
    )
    if len(rows) < n_rows and used:  # not all rows fit: the rows the expressions below read
        text, rows = rows_grid(problem, used[:max_rows], n_rows, n_cols, width=WIDTH - 2)
    lines = [text]
    if len(rows) < n_rows:
        names = ", ".join(map(str, rows)) if len(rows) <= 8 else f"{rows[0]}, {rows[1]}, …, {rows[-1]}"
        what = (
            "the inputs the expressions below read"
            if rows == used
            else f"{len(rows)} of the {len(used)} inputs the expressions below read"
            if used and set(rows) <= set(used)
            else "the first rows that fit"
        )
        lines += textwrap.wrap(f"(rows {names} of {n_rows}: {what})", WIDTH - 2)
    if spec.ndim > 1 or spec.in_channels > 1 or spec.out_channels > 1:
        i = tuple(int(v) for v in np.unravel_index(rows[0], spec.input_shape))
        lines.append(
            f"Rows and columns are flattened (channel, *position), row-major: row i={rows[0]} is "
            f"x[{', '.join(map(str, i))}]."
        )
        lines = lines[:-1] + textwrap.wrap(lines[-1], WIDTH - 2)
    if spec.ndim > 1:
        taps = list(np.ndindex(*spec.kernel_size))
        names = [f"k{t}" if len(taps) <= 10 else str(t) for t in range(len(taps))]
        text = (
            f"Taps are numbered row-major over the kernel: {names[0]} = {fmt_tuple(taps[0])}, "
            f"{names[1] if len(taps) > 1 else names[0]} = {fmt_tuple(taps[1 if len(taps) > 1 else 0])}, …, "
            f"{names[-1]} = {fmt_tuple(taps[-1])}."
        )
        lines += textwrap.wrap(text, WIDTH - 2)
    return "\n".join(lines)


def cmd_explain(args: argparse.Namespace) -> int:
    if args.figures:
        writable(Path(args.figures), directory=True, option="--figures")
    problem = problem_from_args(args)
    if not problem.transposed:
        raise UsageError("explain is about transposed convolutions; drop --conv")
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    if args.figures:
        if problem.symbolic:
            raise UsageError("--figures draws numbers: give numeric --weight and --input")
        from ..figures import check_drawable, write_figures

        check_drawable(spec)
    out: list[str] = []
    out.append(f"tconvmat explain — {spec.ndim}-d transposed convolution")
    out.append("=" * WIDTH)
    out.append(indent(params_text(problem)))
    out.append(heading("Output shape"))
    out.append(indent(shape_text(spec)))
    out.append(heading("What padding and output_padding do"))
    out.append(indent(_padding_text(spec)))
    out.append(heading("Input and weight"))
    out.append(indent(fmt_grid(problem.x, 1, "x")))
    out.append(indent(fmt_grid(problem.weight, 2, "w")))
    symbolic = problem.symbolic
    indices = _shown(spec, 12)[0][:12]
    y = None
    if not symbolic:
        nnz = _nnz(problem)
        n_rows, n_cols = math.prod(spec.input_shape), math.prod(spec.output_shape)
        out.append(heading(f"The matrix C ({n_rows:,} × {n_cols:,}, {nnz:,} nonzeros)"))
        out.append(
            indent(
                "C is the matrix of the forward convolution whose input has the transposed\n"
                "output's shape: row i (an input element of the transposed convolution)\n"
                "holds the kernel at columns j = i·s + k·d − p. Cells show the tap k."
                + (
                    "\n(The relation holds per axis, between the channels of one group; the"
                    "\nrow and column numbers below flatten (channel, *position).)"
                    if spec.ndim > 1 or spec.in_channels > 1 or spec.out_channels > 1
                    else ""
                )
                + (
                    "\nTaps whose j falls outside 0…L_out − 1 are the ones padding crops."
                    if any(pb or pa for pb, pa in spec.padding) and spec.padding_mode == "zeros"
                    else ""
                )
                + (
                    "\n+: several taps add up in one cell, folded there by the padding mode."
                    if spec.padding_mode != "zeros"
                    else ""
                )
            )
        )
        out.append(indent(_grid_text(problem, indices, args.max_rows)))
        y = problem.apply()
        out.append(heading("y = Cᵀx"))
        out.append(indent(fmt_grid(y, 1, "y")))
    out.append(heading("Element expressions"))
    out.append(indent(_expressions_text(problem, y)))
    out.append(heading("The equivalent stride-1 convolution"))
    if symbolic:
        out.append(indent("(shown for numeric weights; run without 'symbolic' to see the numbers)"))
    else:
        assert y is not None
        out.append(indent(_flipped_story(problem, y, focus(spec))))
        out.append(heading("Check: every route gives the same y"))
        if args.checks is False or (args.checks is None and nnz > CHECK_MAX_NNZ):
            why = (
                "--no-checks"
                if args.checks is False
                else f"C has {nnz:,} nonzeros and the Cᵀx check builds it"
            )
            out.append(indent(textwrap.fill(f"(not run: {why}; add --checks to run them)", WIDTH - 2)))
        else:
            checks = run_checks(problem)
            out.append(indent(check_lines(checks)))
            if any(c.status == "fail" for c in checks):
                print("\n".join(out))
                return 1
    print("\n".join(out))
    if args.figures:
        formats = tuple(dict.fromkeys(args.figures_format.split(",")))
        for path in write_figures(spec, problem.weight, problem.x, args.figures, formats=formats):
            print(f"wrote {path}", file=sys.stderr)
    if args.tex or args.pdf:
        write_proof(problem, args.tex, args.pdf)
    return 0


def _figure_formats(text: str) -> str:
    from ..figures import FORMATS

    bad = [f for f in text.split(",") if f not in FORMATS]
    if bad or not text:
        raise argparse.ArgumentTypeError(
            f"expected some of {', '.join(FORMATS)}, comma-separated; got {text!r}"
        )
    return text


def _configure(p: argparse.ArgumentParser) -> None:
    add_params(p, transposed_only=True)
    p.add_argument("--tex", metavar="FILE", help="also write the LaTeX proof document")
    p.add_argument("--pdf", metavar="FILE", help="also write the proof as PDF (needs pdflatex)")
    p.add_argument("--max-rows", type=positive, default=16, metavar="N", help="rows of C shown in the grid")
    p.add_argument(
        "--figures",
        metavar="DIR",
        help="also draw the scatter picture, C by tap and the sliding flipped kernel into DIR",
    )
    p.add_argument(
        "--figures-format",
        default="png",
        type=_figure_formats,
        metavar="FMT",
        help="png, svg, pdf or gif (animations), or several, e.g. png,gif (default png)",
    )
    p.add_argument(
        "--checks",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="check every route and oracle (default: when C has at most 2^24 nonzeros)",
    )


COMMANDS = (
    Command(
        name="explain",
        help="the whole story: shape, C, y = Cᵀx, expressions, equivalent conv, checks",
        examples="""examples:
  tconvmat explain --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1
  tconvmat explain --kernel-size 3 --stride 4 --input 1,1 --weight 1,1,1 --pdf proof.pdf
  tconvmat explain --kernel-size 2x2 --stride 2 --padding 1 --input-size 2x2
  tconvmat explain --kernel-size 3 --stride 2 --input 1,2 --weight symbolic
  tconvmat explain --kernel-size 3 --stride 2 --padding 1 --padding-mode reflect --input-size 4
  tconvmat explain --kernel-size 3x3 --input-size 3000x3000""",
        configure=_configure,
        run=cmd_explain,
    ),
)
