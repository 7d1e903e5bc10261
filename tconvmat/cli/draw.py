"""``tconvmat draw``: the scatter picture, the matrix ``C`` by tap, the sliding flipped kernel.

Still pictures as PNG, SVG or PDF; ``--format gif`` animates the scatter view (every input
scattering its copy) or the gather view (every output computed by the flipped kernel).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..spec import ConvTransposeSpec
from ._args import Command, UsageError, add_params, ints, problem_from_args, writable, write_output

WHAT = ("scatter", "matrix", "sliding", "all")
FORMATS = ("png", "svg", "pdf", "gif")


def _configure(p: argparse.ArgumentParser) -> None:
    add_params(p, transposed_only=True)
    d = p.add_argument_group("picture")
    d.add_argument(
        "--what",
        choices=WHAT,
        default="sliding",
        help="scatter (each input's kernel copy), matrix (C by tap), sliding (the flipped kernel "
        "over the zero-inserted, padded input), or all three into a directory (default sliding)",
    )
    d.add_argument(
        "--format",
        choices=FORMATS,
        help="png, svg, pdf, or gif (an animation); default: the extension of -o (png with --what all)",
    )
    d.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        required=True,
        help="the file to write (a directory with --what all)",
    )
    d.add_argument("--position", metavar="POS", help="sliding: the output drawn, e.g. 3 or 3x3 (0-based)")
    d.add_argument("--focus", metavar="POS", help="scatter (2-D): the input whose copy is drawn, e.g. 1x1")
    d.add_argument("--index-base", type=int, choices=(0, 1), default=0, help="first index of the labels")


def _pos(text: str | None, name: str) -> Any:
    return None if text is None else ints(text, name)


def picture_format(output: str, given: str | None, directory: bool = False) -> str:
    """The format ``draw`` writes: ``--format``, else the extension of ``-o``; refused when they disagree.

    Examples
    --------
    >>> picture_format("y.svg", None), picture_format("y.PDF", "pdf"), picture_format("figs", None, directory=True)
    ('svg', 'pdf', 'png')
    >>> picture_format("y.png", "pdf")
    Traceback (most recent call last):
    ...
    tconvmat.cli._args.UsageError: --format pdf contradicts -o 'y.png' (a .png name); give one or make them agree
    """
    if directory:
        return given or "png"
    ext = Path(output).suffix.lower().lstrip(".")
    if given is None:
        if ext not in FORMATS:
            raise UsageError(
                f"-o {output!r}: cannot tell the format from {'.' + ext if ext else 'a name without an extension'}; "
                f"end the name in .{', .'.join(FORMATS)} or give --format"
            )
        return ext
    if ext and ext != given:
        raise UsageError(
            f"--format {given} contradicts -o {output!r} (a .{ext} name); give one or make them agree"
        )
    return given


def _run(args: argparse.Namespace) -> int:
    from .. import figures

    args.format = picture_format(args.output, args.format, directory=args.what == "all")
    if args.what == "matrix" and args.format == "gif":
        raise UsageError(
            "--format gif animates scatter or sliding; the matrix is a still picture (png, svg, pdf)"
        )
    out = Path(args.output)
    writable(out, directory=args.what == "all")
    problem = problem_from_args(args)
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    # the weight every command uses (explain, apply, …): --weight, else arange over the whole tensor
    w, x = problem.weight, problem.x
    base = args.index_base
    if args.what == "all":
        for path in figures.write_figures(spec, w, x, out, formats=(args.format,), index_base=base):
            print(f"wrote {path}", file=sys.stderr)
        return 0
    if args.what == "matrix":
        fig: Any = figures.MatrixFigure.from_spec(spec)
    elif args.what == "scatter":
        fig = figures.ScatterFigure.from_spec(spec, w, x, focus=_pos(args.focus, "--focus"), index_base=base)
    else:
        fig = figures.SlidingFigure.from_spec(
            spec, w, x, position=_pos(args.position, "--position"), index_base=base
        )
    data = fig.animate().to_gif() if args.format == "gif" else getattr(fig, f"to_{args.format}")()
    write_output(str(out), data)
    return 0


COMMANDS = (
    Command(
        name="draw",
        help="draw the scatter picture, C by kernel tap, or the sliding flipped kernel (png, svg, pdf, gif)",
        examples="""Without --weight the weight is 1, 2, 3, ... over the whole weight tensor (C order), as in
explain and apply: every tap differs, so the flipped kernel w' shows the flip. The format is the
extension of -o (png, svg, pdf, gif) unless --format says it.
examples:
  tconvmat draw --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1 -o sliding.png
  tconvmat draw --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1 --what scatter --format gif -o scatter.gif
  tconvmat draw --kernel-size 3x3 --stride 2 --padding 1 --dilation 2 --output-padding 1 --input-size 3x3 --what all -o figures/""",
        configure=_configure,
        run=_run,
    ),
)
