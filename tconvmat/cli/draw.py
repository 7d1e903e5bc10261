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
        "--format", choices=FORMATS, default="png", help="png, svg, pdf, or gif (an animation; default png)"
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


def _run(args: argparse.Namespace) -> int:
    from .. import figures

    if args.what == "matrix" and args.format == "gif":
        raise UsageError(
            "--format gif animates scatter or sliding; the matrix is a still picture (png, svg, pdf)"
        )
    out = Path(args.output)
    writable(out, directory=args.what == "all")
    problem = problem_from_args(args)
    spec = problem.spec
    assert isinstance(spec, ConvTransposeSpec)
    # without --weight every kernel is numbered 1, 2, …, K (the figures' default), so w' shows the flip
    w, x = (problem.weight if args.weight is not None else None), problem.x
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
        examples="""Without --weight every kernel is 1, 2, ..., K, so the flipped kernel w' shows the flip.
examples:
  tconvmat draw --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1 -o sliding.png
  tconvmat draw --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1 --what scatter --format gif -o scatter.gif
  tconvmat draw --kernel-size 3x3 --stride 2 --padding 1 --dilation 2 --output-padding 1 --input-size 3x3 --what all -o figures/""",
        configure=_configure,
        run=_run,
    ),
)
