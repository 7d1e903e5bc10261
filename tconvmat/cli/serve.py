"""``tconvmat serve`` (the explorer on a local web server) and ``tconvmat explore --html`` (one page, offline)."""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser
from pathlib import Path

from ..explorer import build_model, make_server, page
from ._args import Command, UsageError, add_params, problem_from_args, writable, write_output


def _configure_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0: any free port)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1, loopback only; another address exposes the server)",
    )
    p.add_argument("--open", action="store_true", help="open the page in the web browser")


def _run_serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must lie in 0 … 65535; got {args.port}")
    try:
        server = make_server(args.host, args.port)
    except OSError as e:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    url = server.url
    print(f"tconvmat explorer at {url} (Ctrl-C stops it)", flush=True)
    if args.open:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("tconvmat explorer stopped", flush=True)
    finally:
        server.server_close()
    return 0


def _configure_explore(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--html", metavar="FILE", help="write the page, data embedded, to FILE (default: standard output)"
    )
    add_params(p, transposed_only=True)


def _run_explore(args: argparse.Namespace) -> int:
    if args.html not in (None, "-"):  # refused before any work, naming the option
        writable(Path(args.html), directory=False, option="--html")
    if args.weight is None:  # the explorer's default: distinct integers, so every tap shows
        args.weight = "arange"
    problem = problem_from_args(args)
    if problem.symbolic:
        raise UsageError(
            "the explorer shows numbers: give --input and --weight as numbers (symbols are built in)"
        )
    model = build_model(problem.spec, problem.weight, problem.x)  # type: ignore[arg-type]
    try:
        write_output(args.html, page(model))
    except UsageError as e:  # write_output names -o; this command's option is --html
        raise UsageError(str(e).replace("-o:", "--html:", 1)) from None
    return 0


COMMANDS = (
    Command(
        name="serve",
        help="the explorer: linked views of a transposed convolution on a local web page",
        examples="examples:\n  tconvmat serve\n  tconvmat serve --port 8123 --open",
        configure=_configure_serve,
        run=_run_serve,
    ),
    Command(
        name="explore",
        help="write the explorer page for one parameter set as a self-contained HTML file",
        examples="examples:\n  tconvmat explore --kernel-size 3 --input-size 2 --stride 2 --html explorer.html\n"
        "  tconvmat explore --kernel-size 3x3 --input-size 3x3 --stride 2 --padding 1 --html page.html",
        configure=_configure_explore,
        run=_run_explore,
    ),
)


def main(argv: list[str] | None = None) -> int:
    """Run one of this module's commands alone (``python -m tconvmat.cli.serve serve …``)."""
    from ._args import Parser

    parser = Parser(prog="tconvmat")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        c = sub.add_parser(command.name, help=command.help)
        command.configure(c)
        c.set_defaults(func=command.run)
    from ..spec import ConvolutionSpecError

    try:
        args = parser.parse_args(argv)
        return int(args.func(args))
    except (UsageError, ConvolutionSpecError) as e:
        print(f"tconvmat: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
