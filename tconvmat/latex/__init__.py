"""LaTeX export: fragments, TikZ pictures and a standalone proof document that compiles.

The maths is printed by SymPy (:func:`sympy.latex`); structure comes from a small
immutable builder (:func:`command`, :func:`environment`, :func:`join`); whole
documents are ``.tex`` templates shipped with the package and filled with
:class:`string.Template`.  Every function returns a :class:`Tex`, a ``str`` that
also renders in Jupyter (``_repr_latex_``).

Examples
--------
>>> import numpy as np, tconvmat as tcm
>>> from tconvmat import latex
>>> C = tcm.conv_transpose_matrix(np.array([[[1, 1, 1]]]), (1, 2), stride=2)
>>> print(latex.matrix(C))
\\begin{bmatrix}
1 & 1 & 1 & 0 & 0 \\\\
0 & 0 & 1 & 1 & 1
\\end{bmatrix}
"""

from ._builder import Tex, command, environment, escape, join, math_name, text
from ._document import proof_document
from ._fragments import derivation, expressions, matrix, transpose_product, vector
from ._identities import IDENTITIES, identity_document, identity_section
from ._pictures import flipped_picture, scatter_picture, scene_tikz, sparsity_picture, tap_color

__all__ = [
    "IDENTITIES",
    "Tex",
    "command",
    "derivation",
    "environment",
    "escape",
    "expressions",
    "flipped_picture",
    "identity_document",
    "identity_section",
    "join",
    "math_name",
    "matrix",
    "proof_document",
    "scatter_picture",
    "scene_tikz",
    "sparsity_picture",
    "tap_color",
    "text",
    "transpose_product",
    "vector",
]
