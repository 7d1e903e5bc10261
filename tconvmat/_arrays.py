"""Turning array-likes into arrays that hold numbers, with one clear refusal."""

from __future__ import annotations

import warnings
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
    expressions); ``scipy.sparse`` and the operators need numbers only.  ``dtype``
    casts to a numeric dtype, refusing casts that change values beyond rounding
    (complex to real would drop the imaginary part, floating to integer truncate,
    out-of-range values wrap or overflow to inf).
    """
    target = None if dtype is None else numeric_dtype(dtype)
    a = np.asarray(value)
    kind = a.dtype.kind
    if not (kind in _NUMBERS or (objects and kind == "O")):
        if kind == "O":
            raise ConvolutionSpecError(
                f"{name} has dtype object; this needs numbers (integer, floating or complex). "
                "For symbolic weights use tconvmat.symbolic."
            )
        allowed = (
            "integer, floating, complex or object (SymPy)" if objects else "integer, floating or complex"
        )
        raise ConvolutionSpecError(f"{name} must hold numbers ({allowed}); got dtype {a.dtype}")
    if target is None or target == a.dtype:
        return a
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cast = a.astype(target)
        if np.can_cast(a.dtype, target, "same_kind") and not (target.kind in "iu" and kind in "iu"):
            # to a wider kind, or rounding within one (float64 to float32), but not overflow to inf
            same = bool(np.array_equal(np.isfinite(cast), np.isfinite(a)))
        else:
            same = kind != "O" and bool(np.array_equal(cast, a))
    if not same:
        raise ConvolutionSpecError(
            f"dtype must hold the {name} values without changing them beyond rounding (complex to "
            f"real drops the imaginary part, floating to integer truncates, out-of-range values wrap "
            f"or overflow); got dtype={target} for {name} dtype {a.dtype}"
        )
    return cast


def numeric_dtype(dtype: DTypeLike, name: str = "dtype") -> np.dtype[Any]:
    """``np.dtype(dtype)`` for an integer, floating or complex dtype; anything else refused."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise ConvolutionSpecError(
            f"{name} must be a NumPy dtype (integer, floating or complex); got {name}={dtype!r}"
        ) from None
    if dt.kind not in _NUMBERS:
        raise ConvolutionSpecError(
            f"{name} must be an integer, floating or complex dtype; got {name}={dtype!r} ({dt})"
        )
    return dt


def weight_array(weight: ArrayLike, layout: str, *, objects: bool = True) -> NDArray[Any]:
    """A weight array of numbers with at least 3 dimensions (``layout`` names them in the message)."""
    w = numeric(weight, "weight", objects=objects)
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
