"""Keras 3 ``Conv{1,2,3}DTranspose`` ↔ the canonical spec, on the TensorFlow and JAX backends.

Keras computes the transposed convolution differently on each backend, so every
function here takes ``backend="tensorflow"`` (the default) or ``"jax"``:

* **TensorFlow** (``keras/src/backend/tensorflow/nn.py``): the output length comes
  from ``compute_conv_transpose_output_shape`` (:func:`output_length`), and
  ``tf.nn.conv_transpose`` runs with ``padding.upper()`` and that output shape, so TF's
  padding rule (:mod:`tconvmat.conventions.tf`) places the crops, and TF refuses an
  output length that does not map back to the input (``"same"``, an even dilated
  kernel and ``output_padding`` set; a zero-length output).
* **JAX** (``keras/src/backend/jax/nn.py``): ``lax.conv_transpose(…,
  transpose_kernel=True)`` with the pads of the dilated input from
  ``_convert_conv_transpose_padding_args_from_keras_to_jax`` (:func:`jax_pads`)::

      K_eff = (K − 1)·d + 1
      'valid':  (K_eff − 1, K_eff − 1 + op),  op = max(K_eff, s) − K_eff if None
      'same':   pad_len = s + K_eff − 2 (op None) or K_eff + K_eff % 2 − 2 + op,
                left = min(⌈pad_len / 2⌉, K_eff − 1), right = pad_len − left

  Same lengths as the TF backend and, wherever TF accepts, the same numbers; where TF
  refuses the JAX backend still computes (and returns JAX's empty array for a
  zero-length output).

The layer itself (both backends) refuses ``output_padding ≥ strides`` and
``strides > 1`` together with ``dilation_rate > 1`` (on any axes): so does tconvmat.
The layer's ``kernel`` is ``(*kernel_size, filters, in_channels)``:
:func:`tconvmat.conventions.tf.filters_to_torch` gives the PyTorch weight, no flip.

The trio, as in every convention module: :func:`spec_from_keras`, :func:`to_keras`
and the layer-call function :func:`conv_transpose`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..spec import ConvolutionSpecError, ConvTransposeSpec, conv_transpose_output_length, reach
from . import jax as _jax
from . import tf as _tf
from ._common import apply, fmt, ints, same_map

__all__ = ["BACKENDS", "conv_transpose", "jax_pads", "output_length", "spec_from_keras", "to_keras"]

BACKENDS = ("tensorflow", "jax")
_PADDINGS = ("valid", "same")


def _backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ConvolutionSpecError(
            f"backend must be one of {', '.join(map(repr, BACKENDS))}; got backend={backend!r}"
        )
    return backend


def _padding(padding: Any) -> str:
    mode = str(padding).lower()
    if mode not in _PADDINGS:
        raise ConvolutionSpecError(f"padding must be 'valid' or 'same'; got padding={padding!r}")
    return mode


def output_length(
    length: int, kernel: int, padding: str, output_padding: int | None, stride: int, dilation: int = 1
) -> int:
    """Keras' output length (``compute_conv_transpose_output_shape``), both backends.

    ``K_eff = (K − 1)·d + 1``; without ``output_padding``: ``L·s + max(K_eff − s, 0)``
    (valid) or ``L·s`` (same); with it: ``(L − 1)·s + K_eff − 2·pad + output_padding``,
    ``pad = K_eff // 2`` (same) or 0 (valid).

    Examples
    --------
    >>> output_length(4, 3, "same", None, 2), output_length(4, 3, "valid", None, 2)
    (8, 9)
    >>> output_length(4, 3, "same", 0, 2)
    7
    """
    mode = _padding(padding)
    k_eff = reach(kernel, dilation) + 1
    if output_padding is None:
        return length * stride + (max(k_eff - stride, 0) if mode == "valid" else 0)
    pad = k_eff // 2 if mode == "same" else 0
    return conv_transpose_output_length(length, kernel, stride, pad, pad, dilation, output_padding)  # type: ignore[no-any-return]


def jax_pads(
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: str,
    output_padding: Sequence[int | None] | None,
    dilation_rate: Sequence[int],
) -> tuple[tuple[int, int], ...]:
    """The pads of the dilated input that Keras' JAX backend gives ``lax.conv_transpose``.

    Examples
    --------
    >>> jax_pads([3], [2], "same", None, [1]), jax_pads([3], [2], "valid", None, [1])
    (((2, 1),), ((2, 2),))
    """
    mode = _padding(padding)
    ops = (None,) * len(kernel) if output_padding is None else tuple(output_padding)
    out = []
    for K, s, op, d in zip(kernel, strides, ops, dilation_rate):
        k_eff = reach(K, d) + 1
        if mode == "valid":
            extra = max(k_eff, s) - k_eff if op is None else op
            out.append((k_eff - 1, k_eff - 1 + extra))
            continue
        pad_len = s + k_eff - 2 if op is None else k_eff + k_eff % 2 - 2 + op
        left = min(pad_len // 2 + pad_len % 2, k_eff - 1)
        out.append((left, pad_len - left))
    return tuple(out)


def _layer_args(
    kernel_shape: Sequence[int], strides: Any, output_padding: Any, dilation_rate: Any
) -> tuple[int, tuple[int, ...], tuple[int, ...], tuple[int | None, ...] | None, tuple[int, ...]]:
    """The layer constructor's checks (``BaseConvTranspose.__init__``)."""
    k = tuple(int(n) for n in kernel_shape)
    ndim = len(k) - 2
    if ndim < 1:
        raise ConvolutionSpecError(
            f"kernel must be (*kernel_size, filters, in_channels); got kernel shape {k}"
        )
    stride = ints(strides, "strides", ndim)
    dilation = ints(dilation_rate, "dilation_rate", ndim)
    op = None if output_padding is None else ints(output_padding, "output_padding", ndim)
    if op is not None:
        for axis, (p, s) in enumerate(zip(op, stride)):
            if p >= s:
                raise ConvolutionSpecError(
                    f"output_padding must be strictly less than strides on every axis (Keras refuses it); "
                    f"got output_padding={fmt(op)}, strides={fmt(stride)} (axis {axis})"
                )
    if max(stride) > 1 and max(dilation) > 1:
        raise ConvolutionSpecError(
            f"strides > 1 cannot be combined with dilation_rate > 1 (Keras refuses it, on any axes); "
            f"got strides={fmt(stride)}, dilation_rate={fmt(dilation)}"
        )
    return ndim, k, stride, op, dilation


def _formats(ndim: int, channels_last: bool) -> tuple[str, tuple[str, str, str]]:
    sp = "DHW"[3 - ndim :] if ndim <= 3 else "".join(chr(ord("A") + i) for i in range(ndim))
    tf_format = ("N" + sp + "C") if channels_last else ("NC" + sp)
    return tf_format, (tf_format, sp + "IO", tf_format)


def _data_format(data_format: str) -> bool:
    if data_format not in ("channels_last", "channels_first"):
        raise ConvolutionSpecError(
            f"data_format must be 'channels_last' or 'channels_first'; got data_format={data_format!r}"
        )
    return data_format == "channels_last"


def spec_from_keras(
    input_shape: Sequence[int],
    kernel_shape: Sequence[int],
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: str = "channels_last",
    dilation_rate: Any = 1,
    *,
    backend: str = "tensorflow",
) -> ConvTransposeSpec:
    """The canonical spec of a Keras ``Conv{n}DTranspose`` layer on ``input_shape``.

    Parameters
    ----------
    input_shape : sequence of int
        ``(N, *spatial, C)`` for ``"channels_last"``, ``(N, C, *spatial)`` otherwise.
    kernel_shape : sequence of int
        The layer's ``kernel`` shape ``(*kernel_size, filters, C_in)``.
    strides, dilation_rate : int or tuple
    padding : {"valid", "same"} (case-insensitive)
    output_padding : int, tuple or None
    data_format : {"channels_last", "channels_first"}
    backend : {"tensorflow", "jax"}
        Whose computation to reproduce (see the module notes).

    Raises
    ------
    ConvolutionSpecError
        What the layer refuses; on the TF backend, an output size that
        ``tf.nn.conv_transpose`` refuses; on the JAX backend, an empty result.

    Examples
    --------
    Keras ``"same"``, stride 2, kernel 3: crops ``(0, 1)``, the odd one at the end.

    >>> spec_from_keras((1, 4, 1), (3, 1, 1), strides=2, padding="same").padding
    ((0, 1),)

    ``"same"``, kernel 4, stride 2, ``output_padding=0``: TF refuses, the JAX backend crops ``(2, 2)``.

    >>> spec_from_keras((1, 4, 1), (4, 1, 1), strides=2, padding="same", output_padding=0, backend="jax").padding
    ((2, 2),)
    """
    backend = _backend(backend)
    channels_last = _data_format(data_format)
    ndim, k, stride, op, dilation = _layer_args(kernel_shape, strides, output_padding, dilation_rate)
    x = tuple(int(n) for n in input_shape)
    if len(x) != ndim + 2:
        raise ConvolutionSpecError(
            f"inputs must have {ndim + 2} dimensions to match the kernel {k}; got input shape {x}"
        )
    mode = _padding(padding)
    tf_format, dims = _formats(ndim, channels_last)
    if backend == "jax":
        pads = jax_pads(k[:ndim], stride, mode, op, dilation)
        spec, _ = _jax.spec_from_jax(x, k, stride, pads, dilation, dims, transpose_kernel=True)
        return spec
    spatial = x[1:-1] if channels_last else x[2:]
    ops: tuple[int | None, ...] = (None,) * ndim if op is None else op
    out = tuple(
        output_length(L, K, mode, p, s, d) for L, K, p, s, d in zip(spatial, k[:ndim], ops, stride, dilation)
    )
    try:
        return _tf.spec_from_tf(x, k, out, stride, mode.upper(), tf_format, dilation)
    except ConvolutionSpecError as e:  # say it in the layer's words: the user gave no output_shape
        raise ConvolutionSpecError(
            f"this Keras layer has no transposed convolution under the TensorFlow backend's rule: "
            f"padding={padding!r}, output_padding={output_padding!r} give output size {out}, which "
            f"tf.nn.conv_transpose refuses ({e})"
        ) from None


def conv_transpose(
    inputs: ArrayLike,
    kernel: ArrayLike,
    bias: ArrayLike | None = None,
    strides: Any = 1,
    padding: str = "valid",
    output_padding: Any = None,
    data_format: str = "channels_last",
    dilation_rate: Any = 1,
    *,
    backend: str = "tensorflow",
) -> NDArray[Any]:
    """A Keras ``Conv{1,2,3}DTranspose`` layer's call, on NumPy arrays (no activation).

    On the JAX backend a zero-length output is JAX's empty array, as the layer returns.

    Examples
    --------
    >>> x = np.ones((1, 2, 1)); k = np.array([1., 10., 100.]).reshape(3, 1, 1)
    >>> conv_transpose(x, k, strides=2, padding="same")[0, :, 0]
    array([  1.,  10., 101.,  10.])
    >>> conv_transpose(x, k, strides=2, padding="valid")[0, :, 0]
    array([  1.,  10., 101.,  10., 100.])
    >>> conv_transpose(np.ones((1, 1, 1)), np.ones((2, 1, 1)), padding="same", output_padding=0, backend="jax").shape
    (1, 0, 1)
    """
    backend = _backend(backend)
    x, k = np.asarray(inputs), np.asarray(kernel)
    channels_last = _data_format(data_format)
    if backend == "jax":
        ndim, _, stride, op, dilation = _layer_args(k.shape, strides, output_padding, dilation_rate)
        if x.ndim != ndim + 2:
            raise ConvolutionSpecError(
                f"inputs must have {ndim + 2} dimensions to match the kernel {k.shape}; got input shape {x.shape}"
            )
        _, dims = _formats(ndim, channels_last)
        pads = jax_pads(k.shape[:ndim], stride, _padding(padding), op, dilation)
        y = _jax.conv_transpose(x, k, stride, pads, dilation, dims, transpose_kernel=True)
        if bias is not None:
            b = np.asarray(bias)
            y = y + (b if channels_last else b.reshape(-1, *(1,) * ndim))
        return y
    spec = spec_from_keras(x.shape, k.shape, strides, padding, output_padding, data_format, dilation_rate)
    xt = _tf.channels_last_to_first(x) if channels_last else x
    y = apply(spec, xt, _tf.filters_to_torch(k), bias)
    return _tf.channels_first_to_last(y) if channels_last else y


def to_keras(spec: ConvTransposeSpec, *, backend: str = "tensorflow") -> dict[str, Any]:
    """Keras ``Conv*DTranspose`` arguments (``strides``, ``padding``, ``output_padding``,
    ``dilation_rate``) that give ``spec`` on its input size, on ``backend``.

    Keras has two crop rules only (``"valid"``, ``"same"``); the combination, with
    ``output_padding`` ``None`` or ``0 … s−1``, whose spec equals ``spec`` is
    returned, preferring ``output_padding=None``.

    Raises
    ------
    ConvolutionSpecError
        When no combination gives ``spec`` (e.g. PyTorch ``padding=1,
        output_padding=1``, stride 2, kernel 3: Keras "same" is one pixel off).

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> to_keras(conv_transpose_spec((1, 1, 3), (1, 4), stride=2, padding=((0, 1),)))
    {'strides': (2,), 'padding': 'same', 'output_padding': None, 'dilation_rate': (1,)}
    """
    backend = _backend(backend)
    if spec.groups != 1 or spec.padding_mode != "zeros":
        raise ConvolutionSpecError(
            f"Keras Conv*DTranspose has no groups and pads with zeros; got groups={spec.groups}, "
            f"padding_mode={spec.padding_mode!r}"
        )
    x_shape = (1, *spec.input_size, spec.in_channels)
    k_shape = (*spec.kernel_size, spec.out_channels, spec.in_channels)
    op_choices: list[Any] = [None, *itertools.product(*(range(s) for s in spec.stride))]
    for mode in _PADDINGS:
        for op in op_choices:
            try:
                got = spec_from_keras(
                    x_shape, k_shape, spec.stride, mode, op, "channels_last", spec.dilation, backend=backend
                )
            except ConvolutionSpecError:
                continue
            if same_map(got, spec):
                return {
                    "strides": spec.stride,
                    "padding": mode,
                    "output_padding": op,
                    "dilation_rate": spec.dilation,
                }
    raise ConvolutionSpecError(
        f"Keras Conv{spec.ndim}DTranspose cannot express crops padding={spec.padding} with "
        f"output_padding={fmt(spec.output_padding)} ({backend} backend): its 'valid'/'same' rules crop "
        f"(0, 0) or TF's SAME split (P//2, P − P//2); use tf.nn.conv_transpose with explicit padding (to_tf)"
    )
