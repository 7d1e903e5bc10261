"""ONNX graph rewrite: every ``ConvTranspose`` as standard operators, checked with ONNX Runtime.

Two forms (``tconvmat rewrite IN.onnx -o OUT.onnx --to conv|subpixel``):

``conv``
    Zero insertion (``Unsqueeze``/``Pad``/``Reshape``), then a stride-1 ``Conv`` with the
    flipped, per-group channel-swapped weight of :meth:`tconvmat.EquivalentConv.from_spec`
    and the pads of :attr:`tconvmat.ConvTransposeSpec.flipped_pads` (a negative pad: a
    ``Slice``).
``subpixel``
    The polyphase form of :func:`tconvmat.identities.subpixel`: the ``∏s`` phase kernels
    as the output channels of stride-1 ``Conv`` nodes, interleaved (``DepthToSpace`` or
    ``Reshape``/``Transpose``/``Reshape``) and cropped; it multiplies no inserted zeros.

``auto_pad`` and ``output_shape`` are resolved first as ONNX Runtime reads them
(:func:`spec_from_attributes`).  Needs ``onnx`` (and ``onnxruntime`` for
:func:`check_rewrite`): ``pip install tconvmat[rewrite]``.
"""

from __future__ import annotations

from ._check import CheckFailed, CheckResult, check_rewrite, random_inputs
from ._model import FORMS, MIN_OPSET, NodeOutcome, RewriteResult, RewriteWarning, rewrite, rewrite_model
from ._resolve import RewriteError, spec_from_attributes

__all__ = [
    "FORMS",
    "MIN_OPSET",
    "CheckFailed",
    "CheckResult",
    "NodeOutcome",
    "RewriteError",
    "RewriteResult",
    "RewriteWarning",
    "check_rewrite",
    "random_inputs",
    "rewrite",
    "rewrite_model",
    "spec_from_attributes",
]
