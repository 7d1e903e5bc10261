"""Turning array-likes into arrays that hold numbers, with one clear refusal."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .spec import ConvolutionSpecError

_NUMBERS = "iufc"  # signed and unsigned integers, floating, complex


def numeric(
    value: ArrayLike, name: str, *, objects: bool = True, dtype: DTypeLike | None = None
) -> NDArray[Any]:
    """``np.asarray(value)``, refusing what is not numbers: bool, strings, dates.

    PyTorch refuses bool convolutions, and NumPy would compute them as logic (``True +
    True`` is ``True``), not sums.  ``objects`` admits dtype ``object`` (SymPy
    expressions); ``scipy.sparse`` and the operators need numbers only.
    """
    a = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    kind = a.dtype.kind
    if kind in _NUMBERS or (objects and kind == "O"):
        return a
    if kind == "O":
        raise ConvolutionSpecError(
            f"{name} has dtype object; this needs numbers (integer, floating or complex). "
            "For symbolic weights use tconvmat.symbolic."
        )
    allowed = "integer, floating, complex or object (SymPy)" if objects else "integer, floating or complex"
    raise ConvolutionSpecError(f"{name} must hold numbers ({allowed}); got dtype {a.dtype}")


def weight_array(weight: ArrayLike, layout: str) -> NDArray[Any]:
    """A weight array of numbers with at least 3 dimensions (``layout`` names them in the message)."""
    w = numeric(weight, "weight")
    if w.ndim < 3:
        raise ConvolutionSpecError(
            f"weight must have at least 3 dimensions {layout}; got weight shape {w.shape}"
        )
    return w


def batched(x: ArrayLike, ndim: int, fn: str) -> tuple[NDArray[Any], bool]:
    """``(N, C, *spatial)`` view of ``x`` and whether it came unbatched."""
    a = numeric(x, "input")
    if a.ndim == ndim + 2:
        return a, False
    if a.ndim == ndim + 1:
        return a[None], True
    raise ConvolutionSpecError(
        f"input to {fn} with a {ndim + 2}-d weight must be {ndim + 1}-d (C, *spatial) or "
        f"{ndim + 2}-d (N, C, *spatial); got input shape {a.shape}"
    )


def bias_array(bias: ArrayLike | None, channels: int) -> NDArray[Any] | None:
    """``bias`` as a 1-d array of ``channels`` numbers (None stays None)."""
    if bias is None:
        return None
    b = numeric(bias, "bias")
    if b.shape != (channels,):
        raise ConvolutionSpecError(
            f"bias must be 1-d with out_channels={channels} elements; got bias shape {b.shape}"
        )
    return b


def finish(y: NDArray[Any], bias: NDArray[Any] | None, unbatched: bool, ndim: int) -> NDArray[Any]:
    """Add the bias per channel and drop the batch axis again for an unbatched input."""
    if bias is not None:
        y = y + bias.reshape((-1,) + (1,) * ndim)
    return y[0] if unbatched else y
