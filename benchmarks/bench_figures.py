"""Time the figures: a 2-D animation (8×8 input, 3×3 kernel, stride 2) as a GIF, both views.

Run: ``python benchmarks/bench_figures.py``.  Target: the gather view (289 frames) under 5 s.
The machine may be shared, so the CPU time of this process (``time.process_time``) is printed
beside the wall time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout, not an installed copy

import tconvmat as tcm
from tconvmat import figures


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    w0, c0 = _clock()
    import matplotlib.backends.backend_agg  # noqa: F401  (imports timed apart: paid once per process)
    import PIL.GifImagePlugin  # noqa: F401

    w1, c1 = _clock()
    print(f"imports: matplotlib, Pillow {w1 - w0:.2f} s wall / {c1 - c0:.2f} s CPU")
    spec = tcm.conv_transpose_spec((1, 1, 3, 3), (1, 8, 8), stride=2)
    for view in ("gather", "scatter"):
        w0, c0 = _clock()
        anim = figures.animate(spec, view=view)
        w1, c1 = _clock()
        gif = anim.to_gif()
        w2, c2 = _clock()
        print(
            f"{view:7s}: {len(anim)} frames, model {w1 - w0:.2f} s, GIF {w2 - w1:.2f} s, "
            f"total {w2 - w0:.2f} s wall / {c2 - c0:.2f} s CPU, {len(gif) / 1e6:.2f} MB"
        )
    w0, c0 = _clock()
    figures.SlidingFigure.from_spec(spec).to_png()
    w1, c1 = _clock()
    print(f"still  : sliding PNG {w1 - w0:.2f} s wall / {c1 - c0:.2f} s CPU")


if __name__ == "__main__":
    main()
