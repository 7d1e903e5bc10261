"""Run the original and the rewritten model in ONNX Runtime on the same random inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._resolve import RewriteError

__all__ = ["CheckFailed", "CheckResult", "check_rewrite", "random_inputs"]

RTOL = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}
"""Tolerance per output dtype, relative to ``max(1, max |original output|)``; 0 for integers."""


class CheckFailed(RewriteError):
    """ONNX Runtime could not run the rewritten model."""


@dataclass(frozen=True)
class CheckResult:
    """Largest differences between the two models' outputs over ``runs`` random inputs.

    Attributes
    ----------
    differences : dict of str to float
        ``max |original − rewritten|`` per output (``inf`` for a shape mismatch).
    tolerances : dict of str to float
        What each difference may reach: ``RTOL[dtype] · max(1, max |original|)``.
    runs : int
    """

    differences: dict[str, float]
    tolerances: dict[str, float]
    runs: int

    @property
    def max_difference(self) -> float:
        return max(self.differences.values(), default=0.0)

    @property
    def ok(self) -> bool:
        return all(self.differences[k] <= self.tolerances[k] for k in self.differences)


def _session(model: Any, threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def random_inputs(
    model: Any, rng: np.random.Generator, dims: Mapping[str, int] | None = None, integers: bool = False
) -> dict[str, np.ndarray]:
    """Random values for the model's graph inputs (not its initializers).

    A dimension without a fixed size takes ``dims[name]`` for its symbolic name, else
    2 on axis 0 (a batch) and 8 elsewhere.  Floating inputs are standard normal, or
    integers in ``[-3, 3]`` with ``integers=True`` (so that sums are exact).
    """
    from onnx import helper

    dims = dict(dims or {})
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for v in model.graph.input:
        if v.name in inits:
            continue
        t = v.type.tensor_type
        shape = []
        for axis, d in enumerate(t.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                shape.append(d.dim_value)
            else:
                shape.append(dims.get(d.dim_param, 2 if axis == 0 else 8))
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(t.elem_type))
        if dtype.kind == "f":
            a = rng.integers(-3, 4, shape) if integers else rng.standard_normal(shape)
        elif dtype.kind == "b":
            a = rng.integers(0, 2, shape)
        else:
            a = rng.integers(0, 4, shape)
        feeds[v.name] = np.asarray(a).astype(dtype)
    return feeds


def check_rewrite(
    original: Any,
    rewritten: Any,
    n: int = 3,
    seed: int = 0,
    *,
    dims: Mapping[str, int] | None = None,
    integers: bool = False,
    threads: int = 1,
) -> CheckResult:
    """Run both models in ONNX Runtime (CPU) on ``n`` random inputs and compare the outputs.

    Parameters
    ----------
    original, rewritten : onnx.ModelProto
    n : int
        Number of random input sets.
    seed : int
        Seed of the random inputs.
    dims : mapping of str to int, optional
        Sizes for symbolic dimensions (see :func:`random_inputs`).
    integers : bool
        Integer-valued floating inputs: with integer weights, sums are exact, so the
        differences are exactly 0.
    threads : int
        ONNX Runtime's intra-op threads.

    Returns
    -------
    CheckResult

    Raises
    ------
    RewriteError
        ONNX Runtime cannot run the original model (the message is ONNX Runtime's).
    CheckFailed
        ONNX Runtime cannot run the rewritten model.

    Examples
    --------
    >>> from onnx import TensorProto, helper, numpy_helper
    >>> from tconvmat.rewrite import rewrite_model
    >>> node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], strides=[3], auto_pad="SAME_UPPER")
    >>> model = helper.make_model(helper.make_graph(
    ...     [node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 1, 4])],
    ...     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 1, 12])],
    ...     [numpy_helper.from_array(np.array([[[1.0, -2.0, 3.0, 1.0]]], np.float32), "W")]),
    ...     opset_imports=[helper.make_opsetid("", 17)])
    >>> check = check_rewrite(model, rewrite_model(model, "subpixel"), n=2, dims={"N": 3}, integers=True)
    >>> check.differences, check.ok
    ({'Y': 0.0}, True)
    """
    try:
        a = _session(original, threads)
    except Exception as e:  # ONNX Runtime raises its own exception types
        raise RewriteError(f"ONNX Runtime cannot load the original model: {_first_line(e)}") from None
    try:
        b = _session(rewritten, threads)
    except Exception as e:
        raise CheckFailed(f"ONNX Runtime cannot load the rewritten model: {_first_line(e)}") from None
    rng = np.random.default_rng(seed)
    names = [o.name for o in a.get_outputs()]
    diff = dict.fromkeys(names, 0.0)
    scale = dict.fromkeys(names, 1.0)
    dtypes: dict[str, np.dtype] = {}
    for _ in range(n):
        feeds = random_inputs(original, rng, dims, integers)
        try:
            ya = a.run(None, feeds)
        except Exception as e:
            raise RewriteError(f"ONNX Runtime cannot run the original model: {_first_line(e)}") from None
        try:
            yb = b.run(names, feeds)
        except Exception as e:
            raise CheckFailed(f"ONNX Runtime cannot run the rewritten model: {_first_line(e)}") from None
        for name, u, v in zip(names, ya, yb):
            u, v = np.asarray(u), np.asarray(v)
            dtypes[name] = u.dtype
            if u.shape != v.shape:
                diff[name] = float("inf")
                continue
            if u.size == 0:
                continue
            d = np.abs(u.astype(np.float64) - v.astype(np.float64))
            d[np.isnan(u) & np.isnan(v)] = 0.0
            diff[name] = max(diff[name], float(np.nan_to_num(d, nan=np.inf).max()))
            scale[name] = max(scale[name], float(np.nanmax(np.abs(u.astype(np.float64)))))
    tol = {k: RTOL.get(dtypes.get(k, np.dtype(np.float32)), 0.0) * scale[k] for k in names}
    return CheckResult(diff, tol, n)


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
