"""Every framework's transposed-convolution convention, mapped to tconvmat's canonical spec.

One module per convention, each mirroring the real signature with NumPy in and out and
converting to and from :class:`tconvmat.ConvTransposeSpec` / :class:`tconvmat.ConvSpec`,
with the same trio everywhere: ``spec_from_<framework>(...)``, ``to_<framework>(spec)``
and the framework-signature function(s):

``tconvmat.conventions.torch``
    ``spec_from_torch``, ``to_torch``, ``conv_transpose`` / ``conv`` (``F.conv_transpose*d`` /
    ``F.conv*d``); ``from_module(module)`` reads a module (torch is never imported).
``tconvmat.conventions.onnx``
    ``spec_from_onnx`` (``conv_spec_from_onnx`` for ``Conv``), ``to_onnx``,
    ``conv_transpose(X, W, B=None, *, auto_pad=…, …)`` / ``conv(…)``; ``from_node(node)``.
``tconvmat.conventions.tf``
    ``spec_from_tf``, ``to_tf``, ``conv_transpose`` / ``conv{1,2,3}d_transpose``; layout converters.
``tconvmat.conventions.keras``
    ``spec_from_keras``, ``to_keras``, ``conv_transpose`` (a ``Conv*DTranspose`` call), each
    with ``backend="tensorflow"`` or ``"jax"``.
``tconvmat.conventions.jax``
    ``spec_from_jax``, ``to_jax``, ``conv_transpose`` / ``conv_general_dilated`` (``lax``).
``tconvmat.conventions.mlx``
    ``spec_from_mlx``, ``to_mlx``, ``conv_transpose`` / ``conv_transpose{1,2,3}d``.

None of them imports its framework; see ``docs/conventions.md`` for the conversion table
and the cases where the runtimes disagree.

Examples
--------
>>> import numpy as np
>>> from tconvmat.conventions import onnx
>>> onnx.conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), strides=[2], auto_pad="SAME_LOWER")
array([[[1., 2., 1., 1.]]])
"""

from . import jax, keras, mlx, onnx, tf, torch

__all__ = ["jax", "keras", "mlx", "onnx", "tf", "torch"]
