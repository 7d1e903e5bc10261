"""Exact symbolic convolution with SymPy: element expressions, formulas, checked derivations.

Everything here derives from the index relation :func:`tconvmat.spec.input_index`
(``i = o·s + k·d − p``) and the shape formulas built on it; nothing is re-typed.

- :mod:`~tconvmat.symbolic.expressions`: every output element as a SymPy expression
  (:func:`conv_expressions`, :func:`conv_transpose_expressions`) and ``C`` as a
  ``sympy.SparseMatrix`` (:func:`conv_matrix`, :func:`conv_transpose_matrix`), built from
  the sparse structure of ``C``, never by multiplying dense SymPy matrices.
- :mod:`~tconvmat.symbolic.formulas`: :data:`PARAMS` and the parametric formulas
  (:func:`transposed_length`, :func:`forward_length`, :func:`element_formula`,
  :func:`flipped_pads`, :func:`overlap_count`).
- :mod:`~tconvmat.symbolic.steps`: derivations as data (:class:`Derivation`, :class:`Step`
  with its standing) and the checks a proved step passes; :func:`derivation` builds the named
  derivations of :mod:`~tconvmat.symbolic.lemmas`, :mod:`~tconvmat.symbolic.theorem` (the
  general flipped-kernel theorem for N ≤ 3 axes with groups) and
  :mod:`~tconvmat.symbolic.identities`.

The LaTeX layer (:mod:`tconvmat.latex`) imports this package; this package reaches it only
lazily, inside ``Derivation._repr_latex_``.
"""

from __future__ import annotations

from ._registry import derivation, derivations
from .expressions import (
    _leading,
    _sum_by,
    conv_expressions,
    conv_matrix,
    conv_transpose_expressions,
    conv_transpose_matrix,
    input_symbols,
    leading_expressions,
    weight_symbols,
)
from .formulas import (
    DELTA,
    PARAMS,
    element_formula,
    flipped_pads,
    forward_length,
    overlap_count,
    transposed_length,
)
from .steps import STEP_KINDS, Derivation, Step, sign_is, sums_equal, verify_equal

__all__ = [
    "DELTA",
    "PARAMS",
    "STEP_KINDS",
    "Derivation",
    "Step",
    "conv_expressions",
    "conv_matrix",
    "conv_transpose_expressions",
    "conv_transpose_matrix",
    "derivation",
    "derivations",
    "element_formula",
    "flipped_pads",
    "forward_length",
    "input_symbols",
    "leading_expressions",
    "overlap_count",
    "sign_is",
    "sums_equal",
    "transposed_length",
    "verify_equal",
    "weight_symbols",
]
# ``_leading`` and ``_sum_by`` stay importable for the tests (private; prefer
# :func:`leading_expressions`).
_PRIVATE_COMPAT = (_leading, _sum_by)
