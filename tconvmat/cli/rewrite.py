"""``tconvmat rewrite``: every ConvTranspose of an ONNX model as standard operators, checked."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from ._args import Command, ToolMissing, UsageError, write_output

INSTALL = "pip install 'tconvmat[rewrite]' (onnx and onnxruntime)"


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="IN.onnx", help="the ONNX model to rewrite")
    p.add_argument(
        "-o", "--output", metavar="OUT.onnx", required=True, help="where to write the rewritten model"
    )
    p.add_argument(
        "--to",
        choices=("conv", "subpixel"),
        default="conv",
        help="conv: zero insertion + a stride-1 Conv (default); subpixel: the phase kernels as "
        "stride-1 Conv channels, interleaved (no multiplication by inserted zeros)",
    )
    p.add_argument(
        "--check",
        type=_count,
        default=3,
        metavar="N",
        help="run both models in ONNX Runtime on N random inputs and compare (default 3; 0: no check)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the random inputs (default 0)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 and write nothing if any ConvTranspose is left (for backends that have none)",
    )
    p.add_argument(
        "--dim",
        action="append",
        default=[],
        metavar="NAME=SIZE",
        help="size of a symbolic input dimension for the check (default 2 on axis 0, else 8); repeatable",
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a count ≥ 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a count ≥ 0; got {text!r}")
    return value


def _dims(items: list[str]) -> dict[str, int]:
    dims = {}
    for item in items:
        m = re.fullmatch(r"\s*([^=\s]+)\s*=\s*(\d+)\s*", item)
        if not m or int(m.group(2)) < 1:
            raise UsageError(f"--dim: expected NAME=SIZE with SIZE ≥ 1, e.g. batch=4; got {item!r}")
        dims[m.group(1)] = int(m.group(2))
    return dims


def _load(path: str) -> object:
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(path)
    except FileNotFoundError:
        raise UsageError(f"cannot read {path!r}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {path!r}: it is a directory") from None
    except OSError as e:
        raise UsageError(f"cannot read {path!r}: {e.strerror or e}") from None
    except (DecodeError, ValueError, RuntimeError) as e:
        raise UsageError(f"{path!r} is not an ONNX model ({type(e).__name__})") from None
    if model.ir_version == 0 or not model.opset_import:
        raise UsageError(f"{path!r} is not an ONNX model (no IR version or opset)")
    return model


def _symbolic_dims(model: Any) -> set[str]:
    """Names of the dynamic dimensions of the model's graph inputs."""
    return {
        d.dim_param
        for v in model.graph.input
        for d in v.type.tensor_type.shape.dim
        if d.HasField("dim_param") and d.dim_param
    }


def _run(args: argparse.Namespace) -> int:
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ToolMissing(f"the rewrite needs onnx: {INSTALL}") from None
    from ..rewrite import CheckFailed, RewriteError, check_rewrite, rewrite

    dims = _dims(args.dim)
    if args.check:
        try:
            import onnxruntime
        except ImportError:
            raise ToolMissing(
                f"--check needs onnxruntime: {INSTALL}, or --check 0 to skip the check"
            ) from None
    out = Path(args.output)
    if out.is_dir() or not out.parent.is_dir():
        raise UsageError(
            f"-o: cannot write {args.output!r}: {'it is a directory' if out.is_dir() else 'no such directory'}"
        )
    model = _load(args.model)
    try:
        result = rewrite(model, args.to)
    except RewriteError as e:
        raise UsageError(str(e)) from None
    total = len(result.nodes)
    lines = [
        f"{len(result.rewritten)} of {total} ConvTranspose node{'s' * (total != 1)} rewritten (--to {args.to})"
    ]
    lines += [
        f"  {o.node}: {o.form}" + ("" if o.form == args.to else " instead") + f" ({o.note})"
        for o in result.rewritten
    ]
    if result.left:
        lines.append(f"{len(result.left)} left as ConvTranspose:")
        lines += [f"  {o.node}: {o.note}" for o in result.left]
    status = 0
    unknown = sorted(set(dims) - _symbolic_dims(model))
    if unknown:
        raise UsageError(
            f"--dim: the model has no dynamic dimension {unknown[0]!r}; "
            f"its dynamic dimensions: {', '.join(sorted(_symbolic_dims(model))) or 'none'}"
        )
    if args.strict and result.left:
        print("\n".join(lines))
        print("--strict: ConvTranspose nodes remain; nothing written")
        return 1
    if args.check:
        try:
            check = check_rewrite(model, result.model, n=args.check, seed=args.seed, dims=dims)
        except CheckFailed as e:
            print("\n".join(lines))
            raise ToolMissing(f"check failed: {e}; nothing written") from None
        except RewriteError as e:
            raise UsageError(str(e)) from None
        lines.append(
            f"check: {check.runs} random input{'s' * (check.runs != 1)} (seed {args.seed}), "
            f"ONNX Runtime {onnxruntime.__version__}, CPU"
        )
        for name, d in check.differences.items():
            tol = check.tolerances[name]
            lines.append(
                f"  {name}: max |difference| {d:.3g} (tolerance {tol:.3g}) {'ok' if d <= tol else 'FAILED'}"
            )
        if not check.ok:
            lines.append("the outputs differ beyond the tolerance: nothing written")
            status = 1
    print("\n".join(lines))
    if status == 0:
        write_output(args.output, result.model.SerializeToString())
    return status


COMMANDS = (
    Command(
        name="rewrite",
        help="replace every ConvTranspose of an ONNX model by standard operators, checked in ONNX Runtime",
        examples="examples:\n"
        "  tconvmat rewrite model.onnx -o model_conv.onnx\n"
        "  tconvmat rewrite model.onnx -o model_subpixel.onnx --to subpixel --check 5 --seed 1\n"
        "  tconvmat rewrite vocoder.onnx -o out.onnx --dim time=400",
        configure=_configure,
        run=_run,
    ),
)
