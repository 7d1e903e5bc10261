"""Time the figures: a 2-D animation (8×8 input, 3×3 kernel, stride 2) as a GIF, both views.

Run: ``python benchmarks/bench_figures.py``.  Target: the gather view (289 frames) under 5 s.
"""

from __future__ import annotations

import time

import tconvmat as tcm
from tconvmat import figures


def main() -> None:
    spec = tcm.conv_transpose_spec((1, 1, 3, 3), (1, 8, 8), stride=2)
    for view in ("gather", "scatter"):
        t0 = time.perf_counter()
        anim = figures.animate(spec, view=view)
        t1 = time.perf_counter()
        gif = anim.to_gif()
        t2 = time.perf_counter()
        print(
            f"{view:7s}: {len(anim)} frames, model {t1 - t0:.2f} s, GIF {t2 - t1:.2f} s, "
            f"total {t2 - t0:.2f} s, {len(gif) / 1e6:.2f} MB"
        )
    t0 = time.perf_counter()
    figures.SlidingFigure.from_spec(spec).to_png()
    print(f"still : sliding PNG {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
