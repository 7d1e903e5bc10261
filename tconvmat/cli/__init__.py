"""The ``tconvmat`` command: explain, inspect and check transposed convolutions.

Every subcommand takes the PyTorch argument names (``--in-channels``, ``--kernel-size``,
``--stride``, …).  Bad input prints one line on stderr and exits with status 2; a failed
``verify`` exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..spec import ConvolutionSpecError
from . import draw, explain, inspect, prove, rewrite, serve, verify
from ._args import Command, Parser, ToolMissing, UsageError

FAMILIES = (inspect, explain, prove, verify, draw, rewrite, serve)
"""The command modules; each lists its subcommands in ``COMMANDS`` (:class:`~._args.Command`)."""


def commands() -> dict[str, Command]:
    """Every subcommand by name, in the order ``tconvmat --help`` lists them."""
    return {c.name: c for family in FAMILIES for c in family.COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tconvmat",
        description="Transposed convolution, exact and visible: the matrix C, y = Cᵀx, the equivalent "
        "stride-1 convolution, symbolic expressions and LaTeX proofs, with PyTorch's semantics.",
        epilog="run 'tconvmat COMMAND --help' for a command's options and examples",
    )
    parser.add_argument("--version", action="version", version=f"tconvmat {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in commands().values():
        p = sub.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            epilog=command.examples,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.configure(p)
        p.set_defaults(func=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tconvmat`` command; returns the exit status (0, 1 failed check/tool, 2 bad input)."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    # errors while parsing a subcommand's options name it too, as the later ones do
    prog = next((f"tconvmat {w}" for w in words[:1] if w in commands()), "tconvmat")
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return 2
        prog = f"tconvmat {args.command}"
        return int(args.func(args))
    except (UsageError, ConvolutionSpecError) as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except ToolMissing as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into head
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
