"""``tconvmat explain`` should cost what it shows: time and peak memory of the command.

Run from the repository root:

    python benchmarks/bench_explain.py             # every row (the 3000×3000 one included)
    python benchmarks/bench_explain.py --quick     # up to 1000×1000

Each row runs ``python -m tconvmat explain ...`` in a fresh subprocess (imports included,
output discarded) and reports its wall time, its CPU time (user + system: steadier than
the wall time on a shared machine) and its peak resident memory (``ru_maxrss`` of
that child, from ``os.wait4``).  The explanation prints a dozen expressions, a few rows of
``C`` and NumPy's summary of the arrays whatever the input size, so the cost past the
imports should grow with the data (the input, ``y`` and the numeric checks), not with a
symbol or a matrix entry per input element.

The goal (issue 14): under 5 s and 1 GB for a 3×3 kernel on a 3000×3000 input.
Measured on the shared 2-core machine (wall times inflated by other jobs; CPU is user +
system), before and after explain built only what it shows:

    3×3 kernel on        before: wall     CPU   peak RSS    after: wall    CPU  peak RSS
    1000×1000                   62.8 s  13.4 s   1093 MB          10.9 s  4.7 s   614 MB
    3000×3000                  460.6 s 115.5 s   8767 MB           2.3 s  1.4 s   248 MB

Small problems cost ~4–5 s of CPU, nearly all importing the checks' oracles (torch,
onnx.reference); past 2**24 nonzeros in ``C`` the checks are not run unless ``--checks``
asks (their ``Cᵀx`` route builds all of ``C``), so the 3000×3000 row imports neither.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    ("1-d learner (K=3, s=2, input 1,1)", ["--kernel-size", "3", "--stride", "2", "--input", "1,1"], True),
    ("2-d 3×3, 3×3 input", ["--kernel-size", "3x3", "--stride", "2", "--input-size", "3x3"], True),
    ("2-d 3×3, 100×100", ["--kernel-size", "3x3", "--input-size", "100x100"], True),
    ("2-d 3×3, 1000×1000", ["--kernel-size", "3x3", "--input-size", "1000x1000"], True),
    (
        "2-d 3×3, s=2, p=1, 1000×1000",
        ["--kernel-size", "3x3", "--stride", "2", "--padding", "1", "--input-size", "1000x1000"],
        True,
    ),
    ("2-d 3×3, 3000×3000", ["--kernel-size", "3x3", "--input-size", "3000x3000"], False),
]
"""(label, explain arguments, in the quick run)."""


def run(argv: list[str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS in bytes and exit status of
    ``tconvmat explain ARGV``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tconvmat", "explain", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        print(err.decode(errors="replace"), file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, cpu, usage.ru_maxrss * 1024, proc.returncode  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the 3000×3000 row")
    args = parser.parse_args()
    print("tconvmat explain, one subprocess per row (imports included)")
    print(f"{'':34} {'wall':>8} {'CPU':>8} {'peak RSS':>10}  exit")
    t, cpu, rss, code = run(["--kernel-size", "1", "--input", "1"])
    print(f"{'(imports, K=1 on one element)':34} {t:7.2f}s {cpu:7.2f}s {rss / 1e6:7.0f} MB  {code}")
    for label, argv, quick in ROWS:
        if args.quick and not quick:
            continue
        t, cpu, rss, code = run(argv)
        print(f"{label:34} {t:7.2f}s {cpu:7.2f}s {rss / 1e6:7.0f} MB  {code}")


if __name__ == "__main__":
    main()
