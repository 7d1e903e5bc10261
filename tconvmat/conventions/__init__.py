"""Every framework's transposed-convolution convention, mapped to tconvmat's canonical spec.

One module per convention, each mirroring the real signature with NumPy in and out and
converting to and from :class:`tconvmat.ConvTransposeSpec` / :class:`tconvmat.ConvSpec`:

``tconvmat.conventions.torch``
    ``from_module(module)`` for ``torch.nn.ConvTranspose{1,2,3}d`` / ``Conv{1,2,3}d``
    (torch is never imported), ``to_kwargs(spec)``, ``to_module_kwargs(spec)``.
``tconvmat.conventions.onnx``
    ``conv_transpose(X, W, B=None, *, auto_pad=…, …)``, ``conv(…)``, ``from_node(node)``,
    ``to_attributes(spec)``.
``tconvmat.conventions.tf``
    ``conv2d_transpose(input, filters, output_shape, strides, padding="SAME",
    data_format="NHWC", dilations=None)``, ``conv_transpose(…)``, Keras
    ``keras_conv_transpose(…)``, layout converters, ``to_tf_args``, ``to_keras_args``.
``tconvmat.conventions.jax``
    ``conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None,
    dimension_numbers=None, transpose_kernel=False)``, ``conv_general_dilated(…)``,
    ``to_conv_transpose_args``.

None of them imports its framework; see ``docs/conventions.md`` for the conversion table.

Examples
--------
>>> import numpy as np
>>> from tconvmat.conventions import onnx
>>> onnx.conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), strides=[2], auto_pad="SAME_LOWER")
array([[[1., 2., 1., 1.]]])
"""

from . import jax, onnx, tf, torch

__all__ = ["jax", "onnx", "tf", "torch"]
