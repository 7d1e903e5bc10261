"""PyTorch ``nn.ConvTranspose{1,2,3}d`` / ``nn.Conv{1,2,3}d`` modules ↔ the canonical spec.

tconvmat's own semantics are PyTorch's, so the mapping is one to one; this module
reads a module's weight, bias and arguments into a :class:`TorchConv` that tconvmat
can apply (``TorchConv(x)`` equals ``module(x)``, ``TorchConv(x, output_size=…)``
equals ``module(x, output_size=…)``), and renders a canonical spec back as PyTorch
arguments where PyTorch can express it.

The trio, as in every convention module: :func:`spec_from_torch` (the arguments of
``F.conv_transpose{n}d`` / ``F.conv{n}d`` → spec), :func:`to_torch` (spec → those
arguments) and the framework-signature functions :func:`conv_transpose` / :func:`conv`.

torch is never imported here: :func:`from_module` reads the passed object's
attributes (duck typing), so ``import tconvmat.conventions.torch`` works without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import ops
from ..spec import (
    ConvolutionSpecError,
    ConvSpec,
    ConvTransposeSpec,
    PaddingArg,
    conv_spec,
    conv_transpose_spec,
    output_size_spatial,
    reach,
    same_split,
)
from ._common import apply, fmt

__all__ = [
    "TorchConv",
    "conv",
    "conv_transpose",
    "from_module",
    "spec_from_torch",
    "to_module_kwargs",
    "to_torch",
]

_CLASSES = {
    **{f"ConvTranspose{n}d": (True, n) for n in (1, 2, 3)},
    **{f"Conv{n}d": (False, n) for n in (1, 2, 3)},
}


@dataclass(frozen=True, eq=False)
class TorchConv:
    """A PyTorch convolution module's numbers and arguments, as NumPy and tuples.

    Attributes
    ----------
    transposed : bool
        ``ConvTranspose*d`` (True) or ``Conv*d`` (False).
    weight : ndarray
        ``(C_in, C_out/groups, *kernel)`` if transposed, else ``(C_out, C_in/groups, *kernel)``.
    bias : ndarray or None
    stride, output_padding, dilation : tuple of int
    padding : tuple of int, or "same"/"valid" (``Conv*d`` only)
    groups : int
    padding_mode : str

    Examples
    --------
    >>> tc = TorchConv(True, np.ones((1, 1, 3)), None, (2,), (1,), (1,), (1,), 1, "zeros")
    >>> tc.spec((1, 4)).output_size
    (8,)
    >>> tc(np.ones((1, 4)), output_size=[7])
    array([[1., 2., 1., 2., 1., 2., 1.]])
    """

    transposed: bool
    weight: NDArray[Any]
    bias: NDArray[Any] | None
    stride: tuple[int, ...]
    padding: tuple[int, ...] | str
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    padding_mode: str

    def spec(
        self, input_shape: Sequence[int], output_size: Sequence[int] | None = None
    ) -> ConvSpec | ConvTransposeSpec:
        """The canonical spec for an input of shape ``(C, *spatial)`` or ``(N, C, *spatial)``.

        ``output_size`` resolves ``output_padding`` as ``ConvTranspose*d.forward`` does.
        """
        ndim = self.weight.ndim - 2
        shape = tuple(input_shape)
        if output_size is not None and self.transposed and len(shape) in (ndim + 1, ndim + 2):
            output_size = output_size_spatial(output_size, ndim, batched=len(shape) == ndim + 2)
        if len(shape) == ndim + 2:
            shape = shape[1:]
        if self.transposed:
            return conv_transpose_spec(
                self.weight.shape,
                shape,
                stride=self.stride,
                padding=self.padding,  # type: ignore[arg-type]
                output_padding=self.output_padding,
                groups=self.groups,
                dilation=self.dilation,
                output_size=output_size,
                padding_mode=self.padding_mode,
            )
        if output_size is not None:
            raise ConvolutionSpecError(
                f"output_size is an argument of ConvTranspose*d.forward only; got output_size={output_size!r} for a Conv"
            )
        return conv_spec(
            self.weight.shape,
            shape,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.groups,
            padding_mode=self.padding_mode,
        )

    def __call__(self, input: ArrayLike, output_size: Sequence[int] | None = None) -> NDArray[Any]:
        """``module(input)`` / ``module(input, output_size=…)``, computed by tconvmat."""
        x = np.asarray(input)
        return apply(self.spec(x.shape, output_size), x, self.weight, self.bias)


def _numpy(t: Any) -> NDArray[Any]:
    if hasattr(t, "detach"):
        t = t.detach()
    if hasattr(t, "cpu"):
        t = t.cpu()
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def from_module(module: Any) -> TorchConv:
    """Read a ``torch.nn.ConvTranspose{1,2,3}d`` or ``torch.nn.Conv{1,2,3}d``.

    Subclasses count (the class name is looked up along the MRO); torch is not
    imported.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    TorchConv
        Apply it with ``from_module(m)(x)`` or read ``.spec(input_shape)``.

    Raises
    ------
    ConvolutionSpecError
        When ``module`` is none of these classes, or its weight's rank does not match
        the class (``Conv2d`` needs a 4-d weight).

    Examples
    --------
    >>> import torch  # doctest: +SKIP
    >>> m = torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)  # doctest: +SKIP
    >>> x = torch.randn(1, 4, 5, 5)  # doctest: +SKIP
    >>> np.allclose(from_module(m)(x.numpy()), m(x).detach().numpy())  # doctest: +SKIP
    True
    """
    kind = next((_CLASSES[c.__name__] for c in type(module).__mro__ if c.__name__ in _CLASSES), None)
    if kind is None:
        raise ConvolutionSpecError(
            f"module must be a torch.nn.ConvTranspose1d/2d/3d or Conv1d/2d/3d; got {type(module).__name__}"
        )
    transposed, ndim = kind
    weight = _numpy(module.weight)
    if weight.ndim != ndim + 2:
        raise ConvolutionSpecError(
            f"{type(module).__name__} needs a {ndim + 2}-d weight; got weight shape {weight.shape}"
        )
    bias = None if getattr(module, "bias", None) is None else _numpy(module.bias)
    padding = module.padding if isinstance(module.padding, str) else tuple(int(p) for p in module.padding)
    return TorchConv(
        transposed=transposed,
        weight=weight,
        bias=bias,
        stride=tuple(int(s) for s in module.stride),
        padding=padding,
        output_padding=tuple(int(p) for p in getattr(module, "output_padding", (0,) * ndim)),
        dilation=tuple(int(d) for d in module.dilation),
        groups=int(module.groups),
        padding_mode=str(getattr(module, "padding_mode", "zeros")),
    )


def spec_from_torch(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    *,
    transposed: bool = True,
    stride: Any = 1,
    padding: PaddingArg = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
    output_size: Sequence[int] | None = None,
    padding_mode: str = "zeros",
) -> ConvSpec | ConvTransposeSpec:
    """The canonical spec of ``F.conv_transpose{n}d(input, weight, …)`` (``transposed``)
    or ``F.conv{n}d(input, weight, …)``.

    Parameters
    ----------
    input_shape : sequence of int
        ``(N, C, *spatial)`` or ``(C, *spatial)``, as PyTorch takes them.
    weight_shape : sequence of int
        ``(C_in, C_out/groups, *k)`` if ``transposed``, else ``(C_out, C_in/groups, *k)``.
    stride, padding, output_padding, groups, dilation
        PyTorch's arguments; ``padding`` may be ``"same"``/``"valid"`` for a convolution.
    output_size : sequence of int, optional
        ``nn.ConvTranspose*d.forward``'s ``output_size`` (resolves ``output_padding``).
    padding_mode : str
        The ``nn.Conv*d`` module argument.

    Examples
    --------
    >>> spec_from_torch((1, 2, 5), (2, 3, 3), stride=2, padding=1, output_padding=1).output_size
    (10,)
    >>> spec_from_torch((1, 5), (1, 1, 2), transposed=False, padding="same").padding
    ((0, 1),)
    """
    weight = np.empty(tuple(int(n) for n in weight_shape), dtype=np.int8)
    module = TorchConv(
        transposed=transposed,
        weight=weight,
        bias=None,
        stride=stride,
        padding=padding,  # type: ignore[arg-type]
        output_padding=output_padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
    return module.spec(input_shape, output_size)


def _symmetric(spec: ConvSpec | ConvTransposeSpec, what: str) -> tuple[int, ...]:
    for axis, (b, a) in enumerate(spec.padding):
        if b != a:
            raise ConvolutionSpecError(
                f"{what} cannot express asymmetric padding (PyTorch pads/crops both ends equally); "
                f"got padding={spec.padding} (axis {axis}). Use ONNX pads, or pad/crop explicitly"
            )
    return tuple(b for b, _ in spec.padding)


def _is_same(spec: ConvSpec) -> bool:
    """Whether ``F.conv{n}d(padding="same")`` gives ``spec``'s padding."""
    return all(s == 1 for s in spec.stride) and spec.padding == tuple(
        same_split(reach(K, d)) for K, d in zip(spec.kernel_size, spec.dilation)
    )


def to_torch(spec: ConvSpec | ConvTransposeSpec) -> dict[str, Any]:
    """``torch.nn.functional.conv_transpose*d`` / ``conv*d`` keyword arguments for ``spec``.

    A convolution whose padding is PyTorch's ``"same"`` split (stride 1, the odd one
    at the end, as ``F.conv*d(padding="same")`` pads for an even ``d·(K − 1)``) gets
    ``padding="same"``.

    Raises
    ------
    ConvolutionSpecError
        For any other asymmetric padding (PyTorch has one number per axis), and for a
        ``padding_mode`` other than ``"zeros"`` (``ConvTranspose*d`` refuses them; for
        a convolution it is a module argument: see :func:`to_module_kwargs`).

    Examples
    --------
    >>> from tconvmat import conv_spec, conv_transpose_spec
    >>> to_torch(conv_transpose_spec((2, 3, 3), (2, 5), stride=2, padding=1, output_padding=1))
    {'stride': (2,), 'padding': (1,), 'output_padding': (1,), 'groups': 1, 'dilation': (1,)}
    >>> to_torch(conv_spec((1, 1, 2), (1, 5), padding="same"))
    {'stride': (1,), 'padding': 'same', 'dilation': (1,), 'groups': 1}
    >>> to_torch(conv_transpose_spec((2, 3, 3), (2, 5), stride=2, padding=((0, 1),)))
    Traceback (most recent call last):
    ...
    tconvmat.spec.ConvolutionSpecError: torch.nn.functional.conv_transpose1d cannot express asymmetric padding (PyTorch pads/crops both ends equally); got padding=((0, 1),) (axis 0). Use ONNX pads, or pad/crop explicitly
    """
    if spec.padding_mode != "zeros":
        what = "ConvTranspose supports" if isinstance(spec, ConvTransposeSpec) else "F.conv*d takes"
        raise ConvolutionSpecError(
            f"PyTorch's {what} only padding_mode='zeros'; got padding_mode={spec.padding_mode!r}"
            + ("" if isinstance(spec, ConvTransposeSpec) else " (a Conv*d module argument: to_module_kwargs)")
        )
    if isinstance(spec, ConvTransposeSpec):
        padding = _symmetric(spec, f"torch.nn.functional.conv_transpose{spec.ndim}d")
        return {
            "stride": spec.stride,
            "padding": padding,
            "output_padding": spec.output_padding,
            "groups": spec.groups,
            "dilation": spec.dilation,
        }
    same = _is_same(spec) and any(b != a for b, a in spec.padding)
    conv_padding: tuple[int, ...] | str = (
        "same" if same else _symmetric(spec, f"torch.nn.functional.conv{spec.ndim}d")
    )
    return {"stride": spec.stride, "padding": conv_padding, "dilation": spec.dilation, "groups": spec.groups}


def to_module_kwargs(spec: ConvSpec | ConvTransposeSpec) -> dict[str, Any]:
    """Constructor arguments of ``torch.nn.ConvTranspose{n}d`` / ``Conv{n}d`` for ``spec``.

    Examples
    --------
    >>> from tconvmat import conv_spec
    >>> to_module_kwargs(conv_spec((4, 1, 3), (2, 5), padding=1, groups=2, padding_mode="reflect"))
    {'in_channels': 2, 'out_channels': 4, 'kernel_size': (3,), 'stride': (1,), 'padding': (1,), 'dilation': (1,), 'groups': 2, 'padding_mode': 'reflect'}
    """
    kw = to_torch(spec if spec.padding_mode == "zeros" else replace(spec, padding_mode="zeros"))
    head = {
        "in_channels": spec.in_channels,
        "out_channels": spec.out_channels,
        "kernel_size": spec.kernel_size,
    }
    out = {**head, **kw}
    if not isinstance(spec, ConvTransposeSpec):
        out["padding_mode"] = spec.padding_mode
    if len(spec.kernel_size) > 3:
        raise ConvolutionSpecError(
            f"torch.nn has ConvTranspose/Conv modules for 1 to 3 spatial axes; got {spec.ndim} axes, "
            f"kernel_size={fmt(spec.kernel_size)}"
        )
    return out


def conv_transpose(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: Any = 1,
    padding: PaddingArg = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> NDArray[Any]:
    """``torch.nn.functional.conv_transpose{1,2,3}d`` on NumPy arrays (tconvmat's own semantics).

    Examples
    --------
    >>> conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), stride=2)
    array([[[1., 1., 2., 1., 1.]]])
    """
    return ops.conv_transpose(
        input,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )


def conv(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: Any = 1,
    padding: PaddingArg = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> NDArray[Any]:
    """``torch.nn.functional.conv{1,2,3}d`` on NumPy arrays, ``padding="same"``/``"valid"`` included.

    Examples
    --------
    >>> conv(np.arange(5.0).reshape(1, 1, 5), np.ones((1, 1, 2)), padding="same")
    array([[[1., 3., 5., 7., 4.]]])
    """
    return ops.conv(input, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups)
