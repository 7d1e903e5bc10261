"""PyTorch references for the tests (imported only through the ``torch`` fixture)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .cases import Case


def _t(torch: ModuleType, a: np.ndarray | None) -> Any:
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def _symmetric(padding: Any) -> bool:
    return not (isinstance(padding, tuple) and padding and isinstance(padding[0], tuple))


def _torch_pads(pairs: tuple[tuple[int, int], ...]) -> list[int]:
    """F.pad order: last axis first."""
    return [v for pair in reversed(pairs) for v in pair]


def conv(torch: ModuleType, case: Case, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``F.conv*d``; padding modes and asymmetric pads through ``F.pad`` first, as ``nn.Conv*d`` does."""
    F = torch.nn.functional
    f = getattr(F, f"conv{case.ndim}d")
    kw = dict(case.kwargs)
    mode = kw.pop("padding_mode", "zeros")
    padding = kw.pop("padding", 0)
    xt = _t(torch, x)
    if mode == "zeros" and _symmetric(padding):
        return f(xt, _t(torch, w), _t(torch, b), padding=padding, **kw).numpy()
    pairs = case.spec().padding
    xt = F.pad(xt, _torch_pads(pairs), mode="constant" if mode == "zeros" else mode)
    return f(xt, _t(torch, w), _t(torch, b), **kw).numpy()


def conv_transpose(
    torch: ModuleType, case: Case, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
) -> np.ndarray:
    """``F.conv_transpose*d``, ``nn.ConvTranspose*d.forward(output_size=…)``, or for
    asymmetric padding the unpadded result cropped (the ONNX definition)."""
    kw = dict(case.kwargs)
    assert kw.pop("padding_mode", "zeros") == "zeros"
    padding = kw.pop("padding", 0)
    output_size = kw.pop("output_size", None)
    xt, wt, bt = _t(torch, x), _t(torch, w), _t(torch, b)
    n = case.ndim
    if output_size is not None:
        module = getattr(torch.nn, f"ConvTranspose{n}d")(
            w.shape[0],
            w.shape[1] * kw.get("groups", 1),
            w.shape[2:],
            padding=padding,
            bias=b is not None,
            dtype=wt.dtype,
            **kw,
        )
        with torch.no_grad():
            module.weight.copy_(wt)
            if b is not None:
                module.bias.copy_(bt)
            return module(xt, output_size=list(output_size)).numpy()
    f = getattr(torch.nn.functional, f"conv_transpose{n}d")
    if _symmetric(padding):
        return f(xt, wt, bt, padding=padding, **kw).numpy()
    y = f(xt, wt, bt, **kw).numpy()
    crop = tuple(slice(pb, y.shape[y.ndim - n + a] - pa) for a, (pb, pa) in enumerate(padding))
    return y[(Ellipsis, *crop)]


def padded_conv(torch: ModuleType, case: Case, x: Any, w: np.ndarray) -> Any:
    """The forward convolution of ``case`` on a torch tensor ``x``: ``F.pad`` with the
    padding mode (and asymmetric pads), then ``F.conv*d`` without padding."""
    F = torch.nn.functional
    mode = case.kwargs.get("padding_mode", "zeros")
    xp = F.pad(x, _torch_pads(case.spec().padding), mode="constant" if mode == "zeros" else mode)
    kw = {k: v for k, v in case.kwargs.items() if k in ("stride", "dilation", "groups")}
    return getattr(F, f"conv{case.ndim}d")(xp, torch.from_numpy(w), **kw)


def padded_conv_vjp(torch: ModuleType, case: Case, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Autograd VJP, w.r.t. its input, of the convolution padded with ``padding_mode``:
    the definition of a transposed convolution with that mode."""
    spec = case.spec()
    xb = x if case.batch is not None else x[None]
    z = torch.zeros((xb.shape[0], *spec.adjoint.input_shape), dtype=torch.float64, requires_grad=True)
    y = padded_conv(torch, case, z, w.astype(np.float64))
    g = torch.zeros_like(y)
    g[(Ellipsis, *(slice(0, L) for L in spec.input_size))] = _t(torch, xb.astype(np.float64))
    y.backward(g)
    out = z.grad.numpy()
    return out if case.batch is not None else out[0]


def jacobian(torch: ModuleType, fn: Any, x_shape: tuple[int, ...]) -> np.ndarray:
    """Exact Jacobian (float64) of ``fn`` at zero, as a (outputs × inputs) matrix."""
    x0 = torch.zeros(x_shape, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(fn, x0)
    n_in = int(np.prod(x_shape))
    return J.reshape(-1, n_in).numpy()
