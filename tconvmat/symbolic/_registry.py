"""The named derivations, built once on first use."""

from __future__ import annotations

from collections.abc import Callable

from ..spec import ConvolutionSpecError
from .steps import Derivation


def _builders() -> dict[str, Callable[[], Derivation]]:
    from . import identities, lemmas, theorem

    return {
        "output_length": lemmas.output_length,
        "matrix_element": lemmas.matrix_element,
        "flipped_kernel": theorem.flipped_kernel,
        "flipped_kernel_nd": theorem.flipped_kernel_nd,
        "round_trip": lemmas.round_trip,
        "gradient": identities.gradient,
        "subpixel": identities.subpixel,
        "checkerboard": lemmas.checkerboard,
        "composition": identities.composition,
    }


NAMES = (
    "output_length",
    "matrix_element",
    "flipped_kernel",
    "flipped_kernel_nd",
    "round_trip",
    "gradient",
    "subpixel",
    "checkerboard",
    "composition",
)
_CACHE: dict[str, Derivation] = {}


def derivation(name: str) -> Derivation:
    """One of the named derivations (see :func:`derivations`), built once.

    Examples
    --------
    >>> d = derivation("output_length")
    >>> d.verified
    True
    """
    if name not in NAMES:
        raise ConvolutionSpecError(
            f"derivation name must be one of {', '.join(map(repr, NAMES))}; got name={name!r}"
        )
    if name not in _CACHE:
        _CACHE[name] = _builders()[name]()
    return _CACHE[name]


def derivations() -> dict[str, Derivation]:
    """All named derivations, in order."""
    return {name: derivation(name) for name in NAMES}
