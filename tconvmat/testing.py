"""Test your own (transposed) convolution against tconvmat.

Assertions whose failure message explains the first wrong output element (the
input elements and kernel taps that make it up, read off the column of ``C``),
a report of the identities tconvmat checks on itself, and Hypothesis strategies
of valid (and near-miss invalid) parameter sets.

Hypothesis is imported only inside :func:`conv_params`, so ``import
tconvmat.testing`` needs nothing beyond tconvmat's own dependencies.

Examples
--------
>>> import numpy as np
>>> from tconvmat.testing import assert_conv_transpose_equal
>>> def mine(x, w, stride=1):  # a 1-channel, 1-d scatter
...     y = np.zeros((1, 1, (x.shape[-1] - 1) * stride + w.shape[-1]), dtype=x.dtype)
...     for i, v in enumerate(x[0, 0]):
...         y[0, 0, i * stride : i * stride + w.shape[-1]] += v * w[0, 0]
...     return y
>>> assert_conv_transpose_equal(mine, np.array([[[1, 2]]]), np.array([[[1, 10, 100]]]), stride=2)
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import sympy
from numpy.typing import ArrayLike, NDArray

from . import symbolic
from .explanation import terms
from .identities import subpixel
from .matrix import matrix_nnz
from .ops import conv, conv_transpose
from .spec import (
    PADDING_MODES,
    ConvolutionSpecError,
    ConvTransposeSpec,
    conv_spec,
    conv_transpose_spec,
    full_length,
    reach,
    shape_arithmetic,
)

__all__ = [
    "RULES",
    "IdentityCheck",
    "IdentityReport",
    "InvalidParams",
    "assert_conv_transpose_close",
    "assert_conv_transpose_equal",
    "break_rule",
    "check_identities",
    "conv_params",
    "example_arrays",
    "random_params",
    "sample_params",
    "torch_kwargs",
]

_SPEC_KEYS = ("stride", "padding", "output_padding", "groups", "dilation", "output_size", "padding_mode")


# ---------------------------------------------------------------------------
# Assertions
# ---------------------------------------------------------------------------


def _spec_of(x: NDArray[Any], w: NDArray[Any], params: dict[str, Any]) -> ConvTransposeSpec:
    kw = {k: v for k, v in params.items() if k in _SPEC_KEYS}
    shape = x.shape[1:] if x.ndim == w.ndim else x.shape
    return conv_transpose_spec(w.shape, shape, **kw)


def _idx(t: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(v)) for v in t) + "]"


def _explain(
    x: NDArray[Any], w: NDArray[Any], spec: ConvTransposeSpec, index: tuple[int, ...], batched: bool
) -> list[str]:
    """The terms of output element ``index``: column ``(c, *j)`` of ``C``, read off the index
    relation (:func:`tconvmat.explanation.terms`) without building ``C``."""
    n = index[0] if batched else None
    c, j = index[-spec.ndim - 1], index[-spec.ndim :]
    col = int(np.ravel_multi_index((c, *j), spec.output_shape))
    by_input: dict[int, list[tuple[int, ...]]] = {}
    for wi, xi in terms(spec, (c, *j)):
        by_input.setdefault(int(np.ravel_multi_index(xi, spec.input_shape)), []).append(tuple(wi))
    xs = x[n] if batched else x
    lines = [
        f"y{_idx(index)} = Σ x[{'n, ' if batched else ''}c_in, *i] · w[c_in, c_out, *k] over the input "
        f"elements i and kernel taps k with j = i·s + k·d − p_before (column {col} of C, "
        f"{len(by_input)} nonzero entr{'y' if len(by_input) == 1 else 'ies'}):"
    ]
    if not by_input:
        lines.append("    (no input element reaches this output: it should be 0, plus bias)")
    shown = 0
    for row in sorted(by_input):
        if shown >= MAX_TERMS_SHOWN:
            rest = sum(len(v) for v in by_input.values()) - shown
            lines.append(
                f"    … and {rest} more products (the sum has {shown + rest}); use a smaller case to see them"
            )
            break
        ci, *i = (int(v) for v in np.unravel_index(row, spec.input_shape))
        xi = (*(() if n is None else (n,)), ci, *i)
        xv = xs[(ci, *i)]
        for wi in sorted(by_input[row]):
            wv = w[wi]
            k = wi[2:]
            lines.append(
                f"    x{_idx(xi)} · w{_idx(wi)} = {xv} · {wv} = {xv * wv}    (input i={tuple(i)}, tap k={k})"
            )
            shown += 1
    return lines


MAX_TERMS_SHOWN = 100
"""Products listed in a failure message; a larger sum is cut with a count."""


def _hints(fn_out: NDArray[Any], x: NDArray[Any], w: NDArray[Any], params: dict[str, Any]) -> list[str]:
    hints = []
    kw = {k: v for k, v in params.items() if k in (*_SPEC_KEYS, "bias")}
    flipped = np.flip(w, axis=tuple(range(2, w.ndim)))
    try:
        with_flip = conv_transpose(x, flipped, **kw)
        # only when the flip explains the output: it must change the result and leave a nonzero
        # one (on the tiny inputs Hypothesis shrinks to, zeros or symmetric kernels match by chance)
        if (
            np.any(with_flip != 0)
            and not np.allclose(with_flip, conv_transpose(x, w, **kw))
            and np.allclose(fn_out, with_flip)
        ):
            hints.append(
                "hint: the whole output equals tconvmat's with every spatial axis of the weight flipped: "
                "a transposed convolution scatters w[k] to j = i·s + k·d − p; the flip belongs only to the "
                "equivalent stride-1 convolution (see tconvmat.equivalent_conv)"
            )
    except ConvolutionSpecError:
        pass
    return hints


def _compare(
    fn: Callable[..., Any],
    x: ArrayLike,
    weight: ArrayLike,
    params: dict[str, Any],
    close: Callable[[NDArray[Any], NDArray[Any]], NDArray[np.bool_]],
    how: str,
) -> None:
    xa, wa = np.asarray(x), np.asarray(weight)
    spec = _spec_of(xa, wa, params)
    kw = {k: v for k, v in params.items() if k in (*_SPEC_KEYS, "bias")}
    expected = conv_transpose(xa, wa, **kw)
    actual = np.asarray(fn(x, weight, **params))
    ptext = ", ".join(f"{k}={v!r}" for k, v in params.items())
    if actual.shape != expected.shape:
        lines = [
            f"conv_transpose output shape differs: expected {expected.shape}, got {actual.shape} "
            f"(x shape {xa.shape}, weight shape {wa.shape}, {ptext})",
        ]
        formula, *axes = shape_arithmetic(spec)
        lines.append(f"{formula} per axis:")
        for a, line in enumerate(axes):
            lines.append(f"    {line}")
            s = spec.stride[a]
            got = actual.shape[actual.ndim - spec.ndim + a] if actual.ndim >= spec.ndim else None
            if s > 1 and got == spec.output_size[a] + s:
                lines.append(
                    f"    axis {a}: the actual size {got} is what L_in·s (instead of (L_in − 1)·s) gives"
                )
        raise AssertionError("\n".join(lines))
    bad = ~close(actual, expected)
    if not bad.any():
        return
    first = tuple(int(v) for v in np.argwhere(bad)[0])
    batched = xa.ndim == wa.ndim
    lines = [
        f"conv_transpose output differs ({how}) at index {first}: expected {expected[first].item()!r}, "
        f"got {actual[first].item()!r} ({int(bad.sum())} of {bad.size} elements differ)",
        f"parameters: x shape {xa.shape}, weight shape {wa.shape}, {ptext}",
    ]
    lines += _explain(xa, wa, spec, first, batched)
    if "bias" in params and params["bias"] is not None:
        c = first[-spec.ndim - 1]
        lines.append(f"    + bias[{c}] = {np.asarray(params['bias'])[c]}")
    lines += _hints(actual, xa, wa, params)
    raise AssertionError("\n".join(lines))


def assert_conv_transpose_equal(
    fn: Callable[..., Any], x: ArrayLike, weight: ArrayLike, **params: Any
) -> None:
    """Assert ``fn(x, weight, **params)`` equals ``tconvmat.conv_transpose`` exactly.

    Parameters
    ----------
    fn : callable
        Your implementation, called as ``fn(x, weight, **params)`` with PyTorch's
        layouts and argument names (``weight`` is ``(C_in, C_out/groups, *kernel)``).
    x : array_like, shape (N, C_in, *L) or (C_in, *L)
        Use integers: then every route is exact and so must yours be.
    weight : array_like
    **params
        ``bias``, ``stride``, ``padding``, ``output_padding``, ``groups``,
        ``dilation``, ``output_size``, ``padding_mode``: passed to ``fn`` and to
        :func:`tconvmat.conv_transpose`.

    Raises
    ------
    AssertionError
        On a shape mismatch, with the output-length formula per axis; on a value
        mismatch, with the first differing index, expected and actual values, and
        every term ``x[c_in, i] · w[c_in, c_out, k]`` of that element (the
        nonzeros of that column of ``C``).

    Examples
    --------
    Forgetting that there are ``L − 1`` gaps between ``L`` inputs:

    >>> def wrong(x, w, stride=1):
    ...     n = x.shape[-1] * stride + w.shape[-1]
    ...     return np.zeros((1, 1, n), dtype=x.dtype)
    >>> assert_conv_transpose_equal(wrong, np.array([[[1, 2]]]), np.array([[[1, 10, 100]]]), stride=2)
    Traceback (most recent call last):
    ...
    AssertionError: conv_transpose output shape differs: expected (1, 1, 5), got (1, 1, 7) (x shape (1, 1, 2), weight shape (1, 1, 3), stride=2)
    L_out = (L_in − 1)·s − p_before − p_after + d·(K − 1) + op + 1 per axis:
        axis 0: (2 − 1)·2 − 0 − 0 + 1·(3 − 1) + 0 + 1 = 5
        axis 0: the actual size 7 is what L_in·s (instead of (L_in − 1)·s) gives
    """
    _compare(fn, x, weight, params, lambda a, e: a == e, "exact")


def assert_conv_transpose_close(
    fn: Callable[..., Any],
    x: ArrayLike,
    weight: ArrayLike,
    *,
    rtol: float = 1e-7,
    atol: float = 0.0,
    **params: Any,
) -> None:
    """As :func:`assert_conv_transpose_equal`, within ``|actual − expected| ≤ atol + rtol·|expected|``.

    Examples
    --------
    >>> import tconvmat
    >>> x, w = np.random.default_rng(0).normal(size=(2, 3, 4)), np.ones((3, 2, 3))
    >>> assert_conv_transpose_close(lambda x, w, **kw: tconvmat.conv_transpose(x, w, **kw) + 1e-12, x, w, stride=2)
    """

    def close(a: NDArray[Any], e: NDArray[Any]) -> NDArray[np.bool_]:
        return np.asarray(np.abs(a - e) <= atol + rtol * np.abs(e))

    _compare(fn, x, weight, params, close, f"rtol={rtol}, atol={atol}")


# ---------------------------------------------------------------------------
# Identity report
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityCheck:
    """One identity: its name, ``"pass"``/``"fail"``/``"skip"``, a detail, and a stable ``key``.

    Keys: ``matrix``, ``flipped``, ``dot``, ``symbolic``, ``subpixel``, ``torch``,
    ``torch_vjp``, ``onnx`` (what a caller may relabel, as the CLI does for learners).
    """

    name: str
    status: Literal["pass", "fail", "skip"]
    detail: str = ""
    key: str = ""


@dataclass(frozen=True)
class IdentityReport:
    """The identities checked for one parameter set.

    ``bool(report)`` and ``report.ok`` are True when nothing failed (skips allowed).
    """

    params: dict[str, Any]
    checks: tuple[IdentityCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    @property
    def failed(self) -> tuple[IdentityCheck, ...]:
        return tuple(c for c in self.checks if c.status == "fail")

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        width = max(len(c.name) for c in self.checks) + 2
        words = {"pass": "agrees", "fail": "DISAGREES", "skip": "skipped"}
        return "\n".join(
            f"{c.name.ljust(width)}{words[c.status]}{f' ({c.detail})' if c.detail else ''}"
            for c in self.checks
        )


def example_arrays(
    params: dict[str, Any], *, batch: int | None = 1, seed: int = 0, low: int = -3, high: int = 3
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Integer ``(x, weight)`` of the shapes in ``params`` (from :func:`conv_params`).

    Examples
    --------
    >>> x, w = example_arrays({"weight_shape": (2, 3, 3), "input_shape": (2, 5)}, batch=4)
    >>> x.shape, w.shape, x.dtype
    ((4, 2, 5), (2, 3, 3), dtype('int64'))
    """
    rng = np.random.default_rng(seed)
    shape = tuple(params["input_shape"])
    x = rng.integers(low, high + 1, shape if batch is None else (batch, *shape))
    w = rng.integers(low, high + 1, tuple(params["weight_shape"]))
    return x, w


def run_check(name: str, fn: Callable[[], bool | str], key: str = "") -> IdentityCheck:
    """Run one check: True passes, False fails, a string is the reason it was skipped,
    and an exception is a failure with its message."""
    try:
        out = fn()
    except Exception as e:  # a check that crashes is a failed check, with the reason
        return IdentityCheck(name, "fail", f"{type(e).__name__}: {e}", key)
    if isinstance(out, str):
        return IdentityCheck(name, "skip", out, key)
    return IdentityCheck(name, "pass" if out else "fail", "", key)


def _agree(expected: NDArray[Any], got: NDArray[Any]) -> bool:
    """Exact on integers, to float64 round-off otherwise."""
    if expected.shape != got.shape:
        return False
    if expected.dtype.kind in "iu" and got.dtype.kind in "iu":
        return bool(np.array_equal(expected, got))
    return bool(np.allclose(expected, got, rtol=1e-10, atol=1e-9))


SYMBOLIC_MAX_WORK = 20_000
"""Largest ``∏output_shape · ∏K`` the symbolic check expands."""

MATRIX_MAX_NNZ = 2**24
"""Largest ``C`` (nonzeros) the ``Cᵀx`` check builds (about 200 MB as float64 CSR)."""

ONNX_MAX_WORK = 2**18
"""Largest ``C_in · ∏L · ∏K`` handed to ``onnx.reference`` (a pure-Python col2im: ~1 s)."""


def _symbolic_check(spec: ConvTransposeSpec, x: NDArray[Any], w: NDArray[Any], y: NDArray[Any]) -> bool | str:
    """The element expressions in symbols ``x``, ``w``, substituted with the data, equal ``y``."""
    if math.prod(spec.output_shape) * math.prod(spec.kernel_size) > SYMBOLIC_MAX_WORK:
        return "too large to expand symbolically"
    xs = np.asarray(symbolic.input_symbols(x.shape), dtype=object)
    ws = np.asarray(symbolic.weight_symbols(w.shape), dtype=object)
    exprs = np.asarray(symbolic.conv_transpose_expressions(xs, ws, **spec.kwargs()), dtype=object)
    subs = {
        **dict(zip(xs.ravel().tolist(), x.ravel().tolist())),
        **dict(zip(ws.ravel().tolist(), w.ravel().tolist())),
    }
    values = np.array([complex(sympy.sympify(e).xreplace(subs)) for e in exprs.ravel()])
    if exprs.shape != y.shape:
        return False
    return _agree(y.astype(np.complex128), values.reshape(exprs.shape))


def _torch_check(spec: ConvTransposeSpec, x: NDArray[Any], w: NDArray[Any], y: NDArray[Any]) -> bool | str:
    """``F.conv_transpose*d`` (PyTorch) on the same data."""
    if spec.ndim > 3:
        return "PyTorch has no convolution past 3-d"
    if spec.padding_mode != "zeros":
        return "PyTorch has no padding modes for ConvTranspose"
    if any(pb != pa for pb, pa in spec.padding):
        return "asymmetric padding: PyTorch cannot express it"
    torch = _optional("torch")
    if torch is None:
        return "torch not installed"
    f = getattr(torch.nn.functional, f"conv_transpose{spec.ndim}d")
    kw = spec.kwargs()
    del kw["padding_mode"]
    kw["padding"] = tuple(pb for pb, _ in spec.padding)
    with torch.no_grad():
        out = f(torch.from_numpy(x.astype(np.float64)), torch.from_numpy(w.astype(np.float64)), **kw)
    return _agree(y.astype(np.float64), out.numpy())


def _torch_vjp_check(
    spec: ConvTransposeSpec, x: NDArray[Any], w: NDArray[Any], y: NDArray[Any]
) -> bool | str:
    """PyTorch's autograd: the VJP of the padded forward convolution (any padding mode)."""
    if spec.ndim > 3:
        return "PyTorch has no convolution past 3-d"
    torch = _optional("torch")
    if torch is None:
        return "torch not installed"
    F = torch.nn.functional
    fwd = spec.adjoint
    z = torch.zeros((x.shape[0], *fwd.input_shape), dtype=torch.float64, requires_grad=True)
    mode = "constant" if spec.padding_mode == "zeros" else spec.padding_mode
    zp = F.pad(z, [v for pair in reversed(spec.padding) for v in pair], mode=mode)
    out = getattr(F, f"conv{spec.ndim}d")(
        zp,
        torch.from_numpy(w.astype(np.float64)),
        stride=spec.stride,
        dilation=spec.dilation,
        groups=spec.groups,
    )
    g = torch.zeros_like(out)
    g[(slice(None), slice(None), *(slice(0, n) for n in spec.input_size))] = torch.from_numpy(
        x.astype(np.float64)
    )
    (grad,) = torch.autograd.grad(out, z, g)
    return _agree(y.astype(np.float64), grad.numpy())


def _onnx_check(spec: ConvTransposeSpec, x: NDArray[Any], w: NDArray[Any], y: NDArray[Any]) -> bool | str:
    """``onnx.reference``'s ConvTranspose on the same data (where it is right)."""
    if spec.padding_mode != "zeros":
        return "ONNX has no padding modes"
    if spec.groups > 1:
        return "the ONNX reference implementation mishandles groups > 1"
    if any(op >= s for op, s in zip(spec.output_padding, spec.stride)):
        return "the ONNX reference implementation mishandles output_padding ≥ stride"
    work = spec.in_channels * math.prod(spec.input_size) * math.prod(spec.kernel_size)
    if work > ONNX_MAX_WORK:  # its col2im is a Python loop: ~5 µs per element
        return f"too large: {work:,} products"
    if _optional("onnx") is None:
        return "onnx not installed"
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    node = helper.make_node(
        "ConvTranspose",
        ["X", "W"],
        ["Y"],
        strides=list(spec.stride),
        dilations=list(spec.dilation),
        pads=[pb for pb, _ in spec.padding] + [pa for _, pa in spec.padding],
        group=spec.groups,
        output_padding=list(spec.output_padding),
        kernel_shape=list(spec.kernel_size),
    )
    value = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in ("X", "W", "Y")]
    model = helper.make_model(
        helper.make_graph([node], "t", value[:2], value[2:]), opset_imports=[helper.make_opsetid("", 17)]
    )
    (out,) = ReferenceEvaluator(model).run(None, {"X": x.astype(np.float64), "W": w.astype(np.float64)})
    return _agree(y.astype(np.float64), np.asarray(out))


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


ORACLES = ("torch", "onnx")
"""The oracles :func:`check_identities` can consult: PyTorch (``F.conv_transpose*d`` and the
autograd VJP of the padded convolution) and ``onnx.reference``."""


def check_identities(
    *,
    weight_shape: Sequence[int],
    input_shape: Sequence[int],
    seed: int = 0,
    x: ArrayLike | None = None,
    weight: ArrayLike | None = None,
    oracles: Sequence[str] = (),
    **params: Any,
) -> IdentityReport:
    """Check every identity tconvmat knows for one transposed-convolution parameter set.

    On random integer data (exact), or on ``x`` and ``weight`` if given: the three
    routes agree (scatter, ``Cᵀx``, flipped-kernel stride-1 convolution); the dot test
    ``⟨C u, v⟩ = ⟨u, Cᵀ v⟩`` with ``C u`` computed by the forward convolution
    :func:`tconvmat.conv`; the symbolic expressions evaluated on the data equal the
    numbers; the sub-pixel decomposition; and each oracle named in ``oracles``
    (``"torch"``: ``F.conv_transpose*d`` and the autograd VJP; ``"onnx"``:
    ``onnx.reference``), skipped where it is not installed or cannot express the case.

    Parameters
    ----------
    weight_shape, input_shape : sequence of int
        ``(C_in, C_out/groups, *kernel)`` and ``(C_in, *L)``.
    seed : int
        Seed of the random data (and of the dot test's ``u``).
    x, weight : array_like, optional
        The data to check on (``x`` batched or not); random integers by default.
    oracles : sequence of {"torch", "onnx"}
    **params
        Keyword arguments of :func:`tconvmat.conv_transpose`.

    Returns
    -------
    IdentityReport

    Examples
    --------
    >>> report = check_identities(weight_shape=(4, 1, 3, 3), input_shape=(4, 3, 3), stride=2, groups=4)
    >>> report.ok
    True
    >>> print(report)  # doctest: +ELLIPSIS
    scatter = Cᵀx (matrix route)        agrees
    scatter = flipped-kernel route      agrees
    dot test ⟨C u, v⟩ = ⟨u, Cᵀ v⟩      agrees
    symbolic = numeric                  agrees
    sub-pixel decomposition             agrees
    """
    unknown = [o for o in oracles if o not in ORACLES]
    if unknown:
        raise ConvolutionSpecError(f"oracles must be among {ORACLES}; got oracles={tuple(oracles)!r}")
    params_all = {"weight_shape": tuple(weight_shape), "input_shape": tuple(input_shape), **params}
    spec = conv_transpose_spec(weight_shape, input_shape, **params)
    rx, rw = example_arrays(params_all, batch=2, seed=seed)
    xa = rx if x is None else np.asarray(x)
    xa = xa[None] if xa.ndim == len(spec.input_shape) else xa
    w = rw if weight is None else np.asarray(weight)
    kw = spec.kwargs()
    y = conv_transpose(xa, w, **kw, method="scatter")

    def dot() -> bool:
        rng = np.random.default_rng(seed + 1)
        u = rng.integers(-3, 4, (xa.shape[0], *spec.output_shape))
        cu = conv(u, w, **spec.adjoint.kwargs())
        cu = cu[(Ellipsis, *(slice(0, L) for L in spec.input_size))]
        lhs, rhs = np.sum(cu * xa), np.sum(u * y)
        return bool(lhs == rhs) if y.dtype.kind in "iu" else bool(np.isclose(lhs, rhs))

    def sub() -> bool | str:
        if spec.padding_mode != "zeros":
            return "zeros padding only"
        return _agree(y, subpixel(w, spec.input_shape, **_no_mode(kw)).apply(xa))

    def matrix() -> bool | str:
        n = matrix_nnz(spec)
        if n > MATRIX_MAX_NNZ:
            return f"C would have {n:,} nonzeros (over {MATRIX_MAX_NNZ:,})"
        return _agree(y, conv_transpose(xa, w, **kw, method="matrix"))

    checks = [
        run_check("scatter = Cᵀx (matrix route)", matrix, "matrix"),
        run_check(
            "scatter = flipped-kernel route",
            lambda: _agree(y, conv_transpose(xa, w, **kw, method="flipped")),
            "flipped",
        ),
        run_check("dot test ⟨C u, v⟩ = ⟨u, Cᵀ v⟩", dot, "dot"),
        run_check("symbolic = numeric", lambda: _symbolic_check(spec, xa[0], w, y[0]), "symbolic"),
        run_check("sub-pixel decomposition", sub, "subpixel"),
    ]
    if "torch" in oracles:
        checks.append(run_check("PyTorch F.conv_transpose", lambda: _torch_check(spec, xa, w, y), "torch"))
        checks.append(
            run_check("PyTorch autograd VJP", lambda: _torch_vjp_check(spec, xa, w, y), "torch_vjp")
        )
    if "onnx" in oracles:
        checks.append(run_check("ONNX reference", lambda: _onnx_check(spec, xa, w, y), "onnx"))
    return IdentityReport(params_all, tuple(checks))


def _no_mode(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if k != "padding_mode"}


# ---------------------------------------------------------------------------
# Hypothesis strategies
# ---------------------------------------------------------------------------


def torch_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``torch.nn.functional.conv_transpose*d`` for a parameter dict.

    Takes a :func:`conv_params` dict (or any mapping of tconvmat's keyword arguments):
    drops ``weight_shape``, ``input_shape`` and ``padding_mode`` (which must be
    ``"zeros"``: ``ConvTranspose*d`` has no other) and writes ``padding`` as one
    integer per axis, so a kernel with PyTorch's signature can be passed to
    :func:`assert_conv_transpose_equal` as it is.

    Raises
    ------
    ConvolutionSpecError
        For asymmetric padding, which PyTorch cannot express: draw with
        ``conv_params(asymmetric=False)``; and for other padding modes.

    Examples
    --------
    >>> torch_kwargs({"weight_shape": (2, 1, 3), "input_shape": (2, 4), "stride": (2,),
    ...               "padding": ((1, 1),), "groups": 2, "padding_mode": "zeros"})
    {'stride': (2,), 'padding': (1,), 'groups': 2}
    """
    out = {k: v for k, v in params.items() if k not in ("weight_shape", "input_shape", "padding_mode")}
    if params.get("padding_mode", "zeros") != "zeros":
        raise ConvolutionSpecError(
            f"PyTorch's transposed convolution has padding_mode='zeros' only; got "
            f"padding_mode={params['padding_mode']!r}"
        )
    pads = out.get("padding")
    if isinstance(pads, (tuple, list)) and pads and all(isinstance(p, (tuple, list)) for p in pads):
        if any(len(p) != 2 or p[0] != p[1] for p in pads):
            raise ConvolutionSpecError(
                f"PyTorch has one padding per axis, the same at both ends; got padding={tuple(map(tuple, pads))}: "
                "draw symmetric ones with conv_params(asymmetric=False)"
            )
        out["padding"] = tuple(int(p[0]) for p in pads)
    return out


class InvalidParams(dict):  # type: ignore[type-arg]
    """A parameter dict with exactly one rule broken; ``.rule`` says which."""

    rule: str = ""


DrawInt = Callable[[int, int], int]
"""``draw(lo, hi)``: an integer in ``lo..hi`` inclusive (Hypothesis' or NumPy's)."""

_SPEC_ARGS = (
    "weight_shape",
    "input_shape",
    "stride",
    "padding",
    "output_padding",
    "groups",
    "dilation",
    "padding_mode",
)


def _build(p: Mapping[str, Any], transposed: bool) -> Any:
    if transposed:
        return conv_transpose_spec(**{k: p[k] for k in _SPEC_ARGS if k in p})
    return conv_spec(**{k: p[k] for k in _SPEC_ARGS if k in p and k != "output_padding"})


def sample_params(
    draw: DrawInt,
    *,
    ndim: int | Sequence[int] = (1, 2, 3),
    max_channels: int = 3,
    max_size: int | Mapping[int, int] = 5,
    transposed: bool = True,
    padding_modes: Sequence[str] = ("zeros",),
    max_kernel: int = 3,
    max_stride: int = 3,
    max_dilation: int = 2,
    max_groups: int = 3,
    asymmetric: bool = True,
) -> dict[str, Any] | None:
    """One draw of a parameter dict (the one sampler behind :func:`conv_params`,
    :func:`random_params`, the test suite's cases and ``tconvmat verify --random``).

    ``draw(lo, hi)`` supplies every integer, so the same rules serve Hypothesis
    (``draw(st.integers(lo, hi))``) and NumPy (``rng.integers(lo, hi + 1)``).  Returns
    None for a draw the spec refuses (padding-mode limits, rare): draw again.
    ``max_size`` may map each ``ndim`` to its own largest size.
    """
    ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    n = ndims[draw(0, len(ndims) - 1)]
    size_cap = max_size if isinstance(max_size, int) else max_size[n]
    g = draw(1, max_groups)
    ca, cb = draw(1, max_channels), draw(1, max_channels)
    k = tuple(draw(1, max_kernel) for _ in range(n))
    s = tuple(draw(1, max_stride) for _ in range(n))
    d = tuple(draw(1, max_dilation) for _ in range(n))
    L = tuple(draw(1, size_cap) for _ in range(n))
    mode = padding_modes[draw(0, len(padding_modes) - 1)]
    p: dict[str, Any] = {"stride": s, "dilation": d, "groups": g, "padding_mode": mode}
    pads = []
    if transposed:
        op = tuple(draw(0, max(sa, da) - 1) for sa, da in zip(s, d))
        p["output_padding"] = op
        p["weight_shape"] = (ca * g, cb, *k)
        p["input_shape"] = (ca * g, *L)
        for La, Ka, sa, da, opa in zip(L, k, s, d, op):
            full = full_length(La, Ka, sa, da, opa)
            b = draw(0, min(full - 1, reach(Ka, da) + 1))
            a = draw(0, min(full - 1 - b, reach(Ka, da) + 1)) if asymmetric else b
            if b + a >= full:
                return None
            pads.append((b, a))
    else:
        p["weight_shape"] = (cb * g, ca, *k)
        p["input_shape"] = (ca * g, *L)
        for La, Ka, da in zip(L, k, d):
            need = reach(Ka, da) + 1 - La  # padding needed for one output
            lo = max(need, 0)
            total = draw(lo, lo + reach(Ka, da) + 1)
            b = draw(0, total) if asymmetric else total // 2
            if not asymmetric and 2 * b < need:
                return None
            pads.append((b, total - b) if asymmetric else (b, b))
    p["padding"] = tuple(pads)
    try:
        _build(p, transposed)
    except ConvolutionSpecError:
        return None
    return p


def random_params(rng: np.random.Generator, **limits: Any) -> dict[str, Any]:
    """A valid parameter dict drawn with NumPy (:func:`sample_params`'s rules and limits).

    Examples
    --------
    >>> p = random_params(np.random.default_rng(0), ndim=2)
    >>> sorted(p)
    ['dilation', 'groups', 'input_shape', 'output_padding', 'padding', 'padding_mode', 'stride', 'weight_shape']
    >>> conv_transpose_spec(**p).ndim
    2
    """

    def draw(lo: int, hi: int) -> int:
        return int(rng.integers(lo, hi + 1))

    while True:
        p = sample_params(draw, **limits)
        if p is not None:
            return p


def _at(t: tuple[int, ...], axis: int, v: Any) -> tuple[Any, ...]:
    return (*t[:axis], v, *t[axis + 1 :])


def _break_stride(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    p["stride"] = _at(p["stride"], axis, draw(-2, 0))


def _break_dilation(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    p["dilation"] = _at(p["dilation"], axis, draw(-2, 0))


def _break_padding(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    b, a = p["padding"][axis]
    p["padding"] = _at(p["padding"], axis, (-1 - b, a))


def _break_groups(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    ws, xs = list(p["weight_shape"]), list(p["input_shape"])
    c = ws[0]  # C_in (transposed) or C_out (forward): both must be divisible
    g = next(v for v in range(draw(2, c + 2), 3 * c + 4) if c % v)
    p["groups"] = g
    if not transposed:
        xs[0] = ws[1] * g  # keep the input consistent: only divisibility breaks
    p["input_shape"] = tuple(xs)


def _break_channels(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    xs = list(p["input_shape"])
    xs[0] += (-1, 1)[draw(0, 1)] if xs[0] > 1 else 1
    p["input_shape"] = tuple(xs)


def _break_kernel(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    p["weight_shape"] = _at(p["weight_shape"], 2 + axis, 0)


def _break_mode(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    p["padding_mode"] = ("zero", "constant", "same", "Zeros")[draw(0, 3)]


def _break_axes(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    n = len(p["stride"])
    p["stride"] = (*p["stride"], 1) if n > 1 or draw(0, 1) else (1, 1)


def _break_output_padding(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    s, d = p["stride"][axis], p["dilation"][axis]
    p["output_padding"] = _at(p["output_padding"], axis, max(s, d) + draw(0, 2))


def _break_empty(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    ws, xs = p["weight_shape"], p["input_shape"]
    full = full_length(
        xs[1 + axis], ws[2 + axis], p["stride"][axis], p["dilation"][axis], p["output_padding"][axis]
    )
    b = draw(0, full)
    p["padding"] = _at(p["padding"], axis, (b, full - b))
    p["padding_mode"] = "zeros"


def _break_fit(p: dict[str, Any], draw: DrawInt, axis: int, transposed: bool) -> None:
    ws, xs = list(p["weight_shape"]), list(p["input_shape"])
    d = p["dilation"][axis]
    ws[2 + axis] = max(ws[2 + axis], 2)
    span = reach(ws[2 + axis], d) + 1
    xs[1 + axis] = max(1, span - 1 - sum(p["padding"][axis]))
    if xs[1 + axis] + sum(p["padding"][axis]) >= span:
        p["padding"] = _at(p["padding"], axis, (0, 0))
        xs[1 + axis] = span - 1
    p["padding_mode"] = "zeros"
    p["weight_shape"], p["input_shape"] = tuple(ws), tuple(xs)


_Breaker = Callable[[dict[str, Any], DrawInt, int, bool], None]
RULES: tuple[tuple[str, str, _Breaker, str], ...] = (
    # (rule, what the spec's message says, how to break it, which specs: both / transposed / conv)
    ("stride must be positive", "stride must be positive", _break_stride, "both"),
    ("dilation must be positive", "dilation must be positive", _break_dilation, "both"),
    ("padding must not be negative", "padding must not be negative", _break_padding, "both"),
    ("groups must divide the channels", "is not divisible by groups", _break_groups, "both"),
    ("input channels must match the weight", "input channels must equal", _break_channels, "both"),
    ("kernel_size must be positive", "kernel_size must be positive", _break_kernel, "both"),
    ("padding_mode must be known", "padding_mode must be one of", _break_mode, "both"),
    ("one value per spatial axis", "stride must be a single integer or a sequence of", _break_axes, "both"),
    (
        "output_padding must be smaller than stride or dilation",
        "output_padding must be smaller than stride or dilation",
        _break_output_padding,
        "transposed",
    ),
    ("the output must not be empty", "the output must not be empty", _break_empty, "transposed"),
    ("the dilated kernel must fit in the padded input", "the dilated kernel must fit", _break_fit, "conv"),
)
"""The rules a parameter set can break: ``(rule, message, breaker, applies_to)``.

``message`` is a fragment of the :class:`~tconvmat.ConvolutionSpecError` the spec
constructor raises; ``breaker(params, draw, axis, transposed)`` breaks exactly that
rule in place."""


def break_rule(p: Mapping[str, Any], draw: DrawInt, transposed: bool = True) -> InvalidParams:
    """A copy of the valid ``p`` with one rule of :data:`RULES` broken (``.rule`` says which)."""
    rules = [r for r in RULES if r[3] in ("both", "transposed" if transposed else "conv")]
    rule, _, breaker, _ = rules[draw(0, len(rules) - 1)]
    q = dict(p)
    breaker(q, draw, draw(0, len(q["stride"]) - 1), transposed)
    out = InvalidParams(q)
    out.rule = rule
    return out


def conv_params(
    ndim: int | Sequence[int] = (1, 2, 3),
    max_channels: int = 3,
    max_size: int = 5,
    transposed: bool = True,
    padding_modes: Sequence[str] = ("zeros",),
    invalid: bool = False,
    max_kernel: int = 3,
    max_stride: int = 3,
    max_dilation: int = 2,
    max_groups: int = 3,
    asymmetric: bool = True,
) -> Any:
    """A Hypothesis strategy of parameter dicts for ``conv_transpose_spec`` / ``conv_spec``.

    Each dict holds ``weight_shape``, ``input_shape`` (``(C, *L)``) and the keyword
    arguments (``stride``, ``padding`` as ``(before, after)`` pairs, ``dilation``,
    ``groups``, ``padding_mode``, and ``output_padding`` if ``transposed``), so
    ``tconvmat.conv_transpose_spec(**params)`` (or ``conv_spec``) accepts it, and
    :func:`check_identities` and :func:`example_arrays` take it too.  The draws follow
    :func:`sample_params`.

    With ``invalid=True`` the dicts are :class:`InvalidParams`: a valid set with
    exactly one rule of :data:`RULES` broken (``.rule`` names it), for error-path
    tests: the spec constructor must raise :class:`~tconvmat.ConvolutionSpecError`.

    Requires hypothesis (a test dependency, imported here only).

    Examples
    --------
    >>> from hypothesis import given
    >>> import tconvmat
    >>> @given(conv_params(ndim=1))
    ... def test(params):
    ...     tconvmat.conv_transpose_spec(**params)
    >>> test()
    """
    from hypothesis import assume
    from hypothesis import strategies as st

    for m in padding_modes:
        if m not in PADDING_MODES:
            raise ConvolutionSpecError(f"padding_modes must be among {PADDING_MODES}; got {m!r}")
    limits = {
        "ndim": ndim,
        "max_channels": max_channels,
        "max_size": max_size,
        "transposed": transposed,
        "padding_modes": tuple(padding_modes),
        "max_kernel": max_kernel,
        "max_stride": max_stride,
        "max_dilation": max_dilation,
        "max_groups": max_groups,
        "asymmetric": asymmetric,
    }

    @st.composite
    def strategy(draw: Any) -> dict[str, Any]:
        def draw_int(lo: int, hi: int) -> int:
            return int(draw(st.integers(lo, hi)))

        p = sample_params(draw_int, **limits)
        assume(p is not None)
        assert p is not None
        return break_rule(p, draw_int, transposed) if invalid else p

    return strategy()
