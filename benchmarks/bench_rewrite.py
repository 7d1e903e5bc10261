"""ONNX Runtime on the original model, its ``conv`` rewrite and its ``subpixel`` rewrite.

Run from the repository root:

    python benchmarks/bench_rewrite.py              # the test models, channels and sizes ×8
    python benchmarks/bench_rewrite.py --quick      # ×2, fewer repeats
    python benchmarks/bench_rewrite.py --threads 2  # ONNX Runtime's intra-op threads

The models are the PyTorch modules of ``tests/test_rewrite.py`` (DCGAN generator, a
decoder with groups, dilation and output padding, a 1-D upsampler stack as in audio
vocoders, a 3-D case), exported with the TorchScript exporter, with every channel count
and input size multiplied by ``--scale``.  Each model is rewritten both ways and checked
(``tconvmat.rewrite.check_rewrite``) before it is timed.

Columns (best time per ``session.run`` of several, CPU execution provider, default graph
optimisations):

original
    ONNX Runtime's ``ConvTranspose`` kernels;
conv
    zero insertion + stride-1 ``Conv`` (every ``s − 1`` inserted zero multiplied);
subpixel
    the phase kernels as stride-1 ``Conv`` channels, interleaved (no inserted zero multiplied);
MAC conv/sub
    multiply-accumulates of the rewritten graphs' ``Conv`` nodes, conv ÷ subpixel: the
    speed-up skipping the zeros should give where the convolutions dominate.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
parser.add_argument("--quick", action="store_true", help="scale 2 and fewer repeats")
parser.add_argument(
    "--scale", type=int, default=None, help="multiply channels and sizes (default 8; --quick: 2)"
)
ARGS = parser.parse_args()

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the working tree's tconvmat (and its tests' models)

import numpy as np  # noqa: E402
from _timing import best_time  # noqa: E402  (benchmarks/, beside this script)

from tconvmat.rewrite import RewriteWarning, check_rewrite, rewrite_model  # noqa: E402


def conv_macs(model: object) -> int:
    """Multiply-accumulates of the model's Conv nodes (static shapes from shape inference)."""
    import onnx

    g = onnx.shape_inference.infer_shapes(model).graph
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in (*g.value_info, *g.output)}
    weights = {t.name: list(t.dims) for t in g.initializer}
    total = 0
    for n in g.node:
        if n.op_type == "Conv":
            out, w = shapes[n.output[0]], weights[n.input[1]]
            total += math.prod(out) * math.prod(w[1:])
    return total


def main() -> None:
    import onnx
    import onnxruntime as ort
    import torch

    from tests.test_rewrite import export, torch_models

    torch.set_num_threads(1)
    scale = ARGS.scale or (2 if ARGS.quick else 8)
    repeat = 3 if ARGS.quick else 7
    print(
        f"ONNX Runtime {ort.__version__}, onnx {onnx.__version__}, PyTorch {torch.__version__} "
        f"(TorchScript exporter, opset 17), Python {sys.version.split()[0]}"
    )
    print(f"intra-op threads {ARGS.threads}; scale ×{scale}; float32; best of {repeat}; times per run")
    print()
    print(
        f"{'model':10} {'input':>16} {'original':>10} {'conv':>10} {'subpixel':>10}  "
        f"{'conv÷sub':>8} {'MAC conv/sub':>12} {'orig÷sub':>8}"
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = ARGS.threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    rng = np.random.default_rng(0)
    ratios = {}
    for name, (module, x, dyn) in torch_models(torch, scale=scale).items():
        if dyn:  # the same modules as their static versions
            continue
        model = export(torch, module, x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RewriteWarning)
            forms = {"conv": rewrite_model(model, "conv"), "subpixel": rewrite_model(model, "subpixel")}
        for form, m in forms.items():
            check = check_rewrite(model, m, n=1, threads=ARGS.threads)
            if not check.ok:
                raise SystemExit(f"{name} {form}: the rewrite differs from the original: {check}")
        feed = {"x": rng.standard_normal(tuple(x.shape)).astype(np.float32)}
        times = []
        for m in (model, forms["conv"], forms["subpixel"]):
            sess = ort.InferenceSession(m.SerializeToString(), options, providers=["CPUExecutionProvider"])
            times.append(best_time(lambda sess=sess, feed=feed: sess.run(None, feed), repeat))
        t_orig, t_conv, t_sub = times
        macs = conv_macs(forms["conv"]) / conv_macs(forms["subpixel"])
        ratios[name] = (t_conv / t_sub, macs)
        print(
            f"{name:10} {'×'.join(map(str, x.shape)):>16} {t_orig * 1e3:8.3f}ms {t_conv * 1e3:8.3f}ms "
            f"{t_sub * 1e3:8.3f}ms  {t_conv / t_sub:7.2f}× {macs:11.2f}× {t_orig / t_sub:7.2f}×"
        )
    print()
    print("conv÷sub > 1: the sub-pixel form is faster than zero insertion; MAC conv/sub: what skipping")
    print("the inserted zeros saves in multiply-accumulates (the decoder's dilation-2 stride-2 layer is")
    print("the conv form in both, and its other layers have few channels)")


if __name__ == "__main__":
    main()
