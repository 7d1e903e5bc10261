"""tconvmat: transposed convolution, exact and visible.

The explicit sparse convolution matrix ``C``, the transposed convolution as ``Cᵀx``,
and the stride-1 convolution with the flipped, channel-swapped kernel that equals it,
all with PyTorch's semantics and layouts.

Examples
--------
>>> import numpy as np, tconvmat as tcm
>>> x = np.array([[[1., 1.]]]); w = np.array([[[1., 1., 1.]]])
>>> tcm.conv_transpose(x, w, stride=2)
array([[[1., 1., 2., 1., 1.]]])
>>> C = tcm.conv_transpose_matrix(w, (1, 2), stride=2)
>>> C.T @ x.reshape(-1)
array([1., 1., 2., 1., 1.])
"""

from .explanation import Explanation, explain
from .identities import im2col_matrix
from .matrix import MatrixTooLargeError, conv_matrix, conv_transpose_matrix
from .operator import conv_operator, conv_transpose_operator
from .ops import EquivalentConv, conv, conv_transpose, equivalent_conv
from .spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    conv_spec,
    conv_transpose_spec,
)

__version__ = "0.1.0"

__all__ = [
    "ConvSpec",
    "ConvTransposeSpec",
    "ConvolutionSpecError",
    "EquivalentConv",
    "Explanation",
    "MatrixTooLargeError",
    "__version__",
    "conv",
    "conv_matrix",
    "conv_operator",
    "conv_spec",
    "conv_transpose",
    "conv_transpose_matrix",
    "conv_transpose_operator",
    "conv_transpose_spec",
    "equivalent_conv",
    "explain",
    "im2col_matrix",
]
