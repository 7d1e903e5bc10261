"""The numeric core: kernels that take a validated spec (internal; no validation here).

Public functions in :mod:`tconvmat.ops`, :mod:`tconvmat.matrix`, :mod:`tconvmat.operator`
and :mod:`tconvmat.identities` validate their arguments into a spec once and call these.
"""

from .csr import Pattern, assemble, axis_index, index_dtype, nnz, pattern, transpose_matrix
from .routes import (
    ROUTES,
    blocks,
    flip_swap,
    flipped,
    gather,
    scatter,
    stride1,
    tap_slices,
    taps,
    upsample,
    via_matrix,
)

__all__ = [
    "ROUTES",
    "Pattern",
    "assemble",
    "axis_index",
    "blocks",
    "flip_swap",
    "flipped",
    "gather",
    "index_dtype",
    "nnz",
    "pattern",
    "scatter",
    "stride1",
    "tap_slices",
    "taps",
    "transpose_matrix",
    "upsample",
    "via_matrix",
]
