"""``tconvmat verify``: every identity, for given or random parameters."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..spec import ConvolutionSpecError
from ..testing import random_params
from ._args import Command, Parser, UsageError, add_params, positive, problem_from_args
from ._render import describe
from .explain import run_checks


def random_args(rng: np.random.Generator, base: argparse.Namespace) -> argparse.Namespace:
    """A random valid parameter set (:func:`tconvmat.testing.random_params`) as command-line values."""
    while True:
        p = random_params(
            rng,
            max_size={1: 6, 2: 4, 3: 3},
            padding_modes=("zeros", "zeros", "reflect", "replicate", "circular"),
            max_groups=2,
            max_channels=2,
            asymmetric=rng.integers(0, 3) == 0,  # PyTorch checks the symmetric two thirds
        )
        c_in, c_out_g, *kernel = p["weight_shape"]
        ns = argparse.Namespace(**vars(base))
        ns.in_channels, ns.out_channels, ns.groups = c_in, c_out_g * p["groups"], p["groups"]
        ns.kernel_size = ",".join(map(str, kernel))
        ns.stride = ",".join(map(str, p["stride"]))
        ns.dilation = ",".join(map(str, p["dilation"]))
        ns.padding = ",".join(f"{b}:{a}" for b, a in p["padding"])
        ns.padding_mode = p["padding_mode"]
        ns.output_padding = ",".join(map(str, p["output_padding"]))
        ns.input_size = ",".join(map(str, p["input_shape"][1:]))
        ns.output_size = None
        ns.weight = f"random:{int(rng.integers(1 << 30))}"
        ns.input = f"random:{int(rng.integers(1 << 30))}"
        try:
            problem_from_args(ns)
        except (ConvolutionSpecError, UsageError):
            continue
        return ns


def cmd_verify(args: argparse.Namespace) -> int:
    if args.random:
        parser = Parser()
        _configure(parser)
        defaults = vars(parser.parse_args(["--random", "1"]))
        given = [
            "--" + k.replace("_", "-")
            for k, v in vars(args).items()
            if k not in ("random", "seed", "func", "command") and v != defaults.get(k)
        ]
        if given:
            raise UsageError(
                f"--random draws every parameter and value itself; drop {', '.join(given)} "
                "(or drop --random to check those)"
            )
    rng = np.random.default_rng(args.seed)
    n = args.random or 1
    table: dict[str, list[int]] = {}
    failures: list[str] = []
    tty = sys.stderr.isatty()
    for case in range(n):
        ns = random_args(rng, args) if args.random else args
        problem = problem_from_args(ns)
        if problem.symbolic:
            raise UsageError("verify needs numeric --weight and --input")
        for c in run_checks(problem):
            counts = table.setdefault(c.name, [0, 0, 0])
            counts[{"pass": 0, "fail": 1, "skip": 2}[c.status]] += 1
            if c.status == "fail":
                failures.append(f"{c.name}: {describe(problem)}")
        if n >= 20 and (tty or (case + 1) * 4 // n != case * 4 // n):
            end = "\r" if tty and case + 1 < n else "\n"
            print(f"verify: {case + 1}/{n} parameter sets", end=end, file=sys.stderr, flush=True)
    w0 = max(len(k) for k in table) + 2
    print(f"{'check'.ljust(w0)}{'passed':>7}{'failed':>7}{'skipped':>8}")
    for name, (ok, bad, skip) in table.items():
        print(f"{name.ljust(w0)}{ok:>7}{bad:>7}{skip:>8}")
    print(
        f"{n} parameter set{'s' if n != 1 else ''}: "
        + (f"{len(failures)} FAILED" if failures else "all agree")
    )
    for line in failures[:20]:
        print("  FAILED " + line)
    return 1 if failures else 0


def _configure(p: argparse.ArgumentParser) -> None:
    add_params(p, transposed_only=True)
    p.add_argument("--random", type=positive, metavar="N", help="check N random parameter sets")
    p.add_argument("--seed", type=int, default=0, help="seed for --random (default 0)")


COMMANDS = (
    Command(
        name="verify",
        help="check all identities for given or random parameters",
        examples="""examples:
  tconvmat verify --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1
  tconvmat verify --random 200 --seed 1""",
        configure=_configure,
        run=cmd_verify,
    ),
)
