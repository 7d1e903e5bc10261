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
