"""``tconvmat shape``, ``matrix`` and ``apply``: the shape arithmetic, ``C`` and ``y``."""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..ops import METHODS
from ._args import Command, UsageError, add_params, positive, problem_from_args, symbolic_module, write_output
from ._render import fmt_array, grid, heading, indent, params_text, shape_text


def cmd_shape(args: argparse.Namespace) -> int:
    problem = problem_from_args(args, values=False)
    what = "transposed convolution" if problem.transposed else "convolution"
    print(f"{problem.ndim}-d {what}")
    print(indent(params_text(problem)))
    print(heading("Output shape"))
    print(indent(shape_text(problem.spec)))
    return 0


def _matrix_payload(C: sp.csr_array) -> dict[str, Any]:
    data = C.data.tolist()
    return {
        "format": "csr",
        "shape": list(C.shape),
        "dtype": str(C.dtype),
        "indptr": C.indptr.tolist(),
        "indices": C.indices.tolist(),
        "data": data,
    }


def cmd_matrix(args: argparse.Namespace) -> int:
    problem = problem_from_args(args)
    fmt = args.format
    if problem.weight.dtype == object:  # C depends on the weight only
        if fmt != "latex":
            raise UsageError(
                f"--weight symbolic: a symbolic C is written with --format latex only; got --format {fmt}"
            )
        from .. import latex

        sym = symbolic_module()
        build = sym.conv_transpose_matrix if problem.transposed else sym.conv_matrix
        write_output(
            args.output, str(latex.matrix(build(problem.weight, problem.spec.input_shape, **problem.kwargs)))
        )
        return 0
    C = problem.matrix()
    if fmt == "text":
        relation = "y = Cᵀx" if problem.transposed else "y = Cx"
        head = f"C: {C.shape[0]} × {C.shape[1]}, {C.nnz} nonzeros, {C.dtype} ({relation})"
        write_output(args.output, head + "\n" + grid(problem, C, values=True, max_rows=args.max_rows))
    elif fmt == "json":
        write_output(args.output, json.dumps(_matrix_payload(C)))
    elif fmt == "latex":
        from .. import latex

        write_output(args.output, str(latex.matrix(C)))
    elif fmt == "mtx":
        import scipy.io

        buf = io.BytesIO()
        scipy.io.mmwrite(buf, sp.coo_array(C))
        write_output(args.output, buf.getvalue().decode("ascii"))
    elif fmt == "npz":
        if not args.output or args.output == "-":
            raise UsageError("--format npz: give a file name with -o FILE.npz")
        buf = io.BytesIO()
        sp.save_npz(buf, C)
        write_output(args.output, buf.getvalue())
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    problem = problem_from_args(args)
    if problem.symbolic:
        sym = symbolic_module()
        fn = sym.conv_transpose_expressions if problem.transposed else sym.conv_expressions
        y = fn(problem.x, problem.weight, **problem.kwargs)
    else:
        y = problem.apply(args.method)
    if args.output and args.output.endswith(".npy"):
        if y.dtype == object:  # checked first: np.save would leave a partial file behind
            raise UsageError(
                "-o FILE.npy holds numbers only; symbolic results are written as text (-o FILE.txt)"
            )
        buf = io.BytesIO()
        np.save(buf, y, allow_pickle=False)
        write_output(args.output, buf.getvalue())
        return 0
    write_output(args.output, fmt_array(y))
    return 0


def _configure_shape(p: argparse.ArgumentParser) -> None:
    add_params(p)


def _configure_matrix(p: argparse.ArgumentParser) -> None:
    add_params(p)
    p.add_argument("--format", default="text", choices=["text", "latex", "json", "mtx", "npz"])
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--max-rows", type=positive, default=24, metavar="N", help="rows shown in the grid")


def _configure_apply(p: argparse.ArgumentParser) -> None:
    add_params(p)
    p.add_argument("--method", choices=list(METHODS), default=None, help="the route (default scatter)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the result (FILE.npy: NumPy format)")


COMMANDS = (
    Command(
        name="shape",
        help="output shape and the formula with the numbers filled in",
        examples="""examples:
  tconvmat shape --kernel-size 3 --stride 2 --input-size 2
  tconvmat shape --kernel-size 3x3 --stride 2 --padding 1 --output-padding 1 --input-size 4x4
  tconvmat shape --conv --kernel-size 3 --stride 2 --padding 1 --input-size 8""",
        configure=_configure_shape,
        run=cmd_shape,
    ),
    Command(
        name="matrix",
        help="the sparse matrix C (text grid, latex, json, mtx, npz)",
        examples="""examples:
  tconvmat matrix --kernel-size 3 --stride 2 --input-size 2 --weight 1,1,1
  tconvmat matrix --kernel-size 3x3 --stride 2 --input-size 3x3 --format json -o C.json
  tconvmat matrix --in-channels 2 --out-channels 4 --groups 2 --kernel-size 2 --input-size 4 --format mtx
  tconvmat matrix --kernel-size 3x3 --input-size 8x8 --format npz -o C.npz""",
        configure=_configure_matrix,
        run=cmd_matrix,
    ),
    Command(
        name="apply",
        help="run the (transposed) convolution on an input",
        examples="""examples:
  tconvmat apply --kernel-size 3 --stride 2 --input 1,1 --weight 1,1,1
  tconvmat apply --kernel-size 3 --stride 2 --input 1,1 --weight symbolic
  tconvmat apply --kernel-size 3x3 --stride 2 --input-size 4x4 --input random:0 --weight arange
  tconvmat apply --kernel-size 3 --input x.npy --weight w.npy -o y.npy""",
        configure=_configure_apply,
        run=cmd_apply,
    ),
)
