"""Exact facts about transposed convolution, as data with checks.

- **Gradient**: the transposed convolution is the vector-Jacobian product of the
  convolution with respect to its input (:func:`conv_input_grad`); the weight gradient
  is a correlation of the input with the output gradient (:func:`conv_weight_grad`),
  also ``g · Xᵀ`` with the im2col (unfold) matrix ``X`` of :func:`im2col_matrix`.
- **Sub-pixel (polyphase)**: a stride-``s`` transposed convolution equals ``∏s``
  stride-1 convolutions of the input with the kernel's polyphase components, their
  outputs interleaved (:func:`subpixel`; Shi et al., 2016).
- **Checkerboard**: how many taps reach each output position (:func:`overlap_counts`),
  uniform iff every phase gets the same number of taps, e.g. ``K mod s = 0`` for
  ``d = 1``; the resize-then-convolve alternative (:func:`resize_conv_matrix`, Odena
  et al., 2016) is uniform by construction.
- **Composition and Gram**: transposes compose in reverse order; ``C Cᵀ`` is the Gram
  matrix of ``conv ∘ conv_transpose``, with spectrum ``|Ŵ(ω)|²`` for circular padding
  and stride 1 (:func:`gram_spectrum`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ._arrays import batched, bias_array, finish, weight_array
from ._core import axis_index, flip_swap, index_dtype, stride1, tap_slices
from .matrix import conv_matrix
from .ops import conv_transpose
from .padding import fold, pad
from .spec import (
    ConvolutionSpecError,
    ConvTransposeSpec,
    IntOrSeq,
    PaddingArg,
    as_input_shape,
    as_per_axis,
    as_positive_int,
    as_shape,
    conv_spec,
    conv_transpose_spec,
    format_tuple,
)

__all__ = [
    "Subpixel",
    "SubpixelPhase",
    "conv_input_grad",
    "conv_weight_grad",
    "gram_spectrum",
    "im2col_matrix",
    "overlap_counts",
    "resize_conv_matrix",
    "subpixel",
]


# ---------------------------------------------------------------------------
# Gradient identity and im2col
# ---------------------------------------------------------------------------


def im2col_matrix(
    input_shape: Sequence[int],
    kernel_size: IntOrSeq,
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
) -> sp.csr_array:
    """The im2col (unfold) matrix ``U``: ``U @ x.ravel()`` is ``torch.nn.functional.unfold(x)``.

    Parameters
    ----------
    input_shape : sequence of int
        ``(C, *spatial)``; any number of spatial axes (``unfold`` itself is 2-D).
    kernel_size, stride, padding, dilation
        As in ``torch.nn.functional.unfold`` (zero padding; ``(before, after)`` pairs
        accepted beyond it).

    Returns
    -------
    scipy.sparse.csr_array, shape (C·∏K·∏L_out, C·∏L_in), int64 0/1
        Row ``(c, k, o)`` (row-major) has a single 1 at column ``(c, o·s + k·d − p)``
        when that position is inside the input, and is empty where it reads padding.

    Notes
    -----
    With ``X = (U @ x.ravel()).reshape(C·∏K, ∏L_out)``, a convolution (groups = 1) is the
    matrix product ``conv(x).reshape(C_out, -1) = W.reshape(C_out, -1) @ X``, and its
    weight gradient is ``g.reshape(C_out, -1) @ X.T``.

    Examples
    --------
    >>> U = im2col_matrix((1, 3), 2)
    >>> U.toarray()
    array([[1, 0, 0],
           [0, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    ishape = as_input_shape(input_shape)
    if ishape[0] == 0:  # as torch.nn.functional.unfold
        raise ConvolutionSpecError(
            f"input channels must be positive for im2col; got input_shape={format_tuple(ishape)}"
        )
    ndim = len(ishape) - 1
    kernel = as_per_axis(kernel_size, "kernel_size", ndim, positive=True)
    spec = conv_spec((1, ishape[0], *kernel), ishape, stride=stride, padding=padding, dilation=dilation)
    out = spec.output_size
    channels = spec.in_channels
    grid = (channels, *kernel, *out)
    col_strides = [math.prod(spec.input_size[a + 1 :]) for a in range(ndim)]
    cols = (np.arange(channels) * math.prod(spec.input_size)).reshape((channels,) + (1,) * (2 * ndim))
    valid = np.ones((1,) * len(grid), dtype=bool)
    for a in range(ndim):
        index, ok = axis_index(spec, a, out[a])  # (L_out_a, K_a)
        shape = [1] * len(grid)
        shape[1 + a], shape[1 + ndim + a] = kernel[a], out[a]
        cols = cols + (index.T * col_strides[a]).reshape(shape)
        valid = valid & ok.T.reshape(shape)
    cols, valid = np.broadcast_arrays(cols, valid)
    n_rows = math.prod(grid)
    idx = index_dtype(n_rows, channels * math.prod(spec.input_size))
    indices = cols[valid].astype(idx)
    indptr = np.zeros(n_rows + 1, dtype=idx)
    np.cumsum(valid.reshape(-1), out=indptr[1:])
    U = sp.csr_array(
        (np.ones(indices.size, dtype=np.int64), indices, indptr),
        shape=(n_rows, channels * math.prod(spec.input_size)),
    )
    U.has_canonical_format = True
    return U


def conv_input_grad(
    grad_output: ArrayLike,
    weight: ArrayLike,
    input_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> NDArray[Any]:
    """``∂⟨conv(x; W), g⟩/∂x``: the transposed convolution of ``g``, sized like ``x``.

    The same as ``torch.nn.grad.conv*d_input(input_size, weight, grad_output, …)``:
    a transposed convolution with the ``output_padding`` that restores the input
    length (``(L + p_b + p_a − d(K − 1) − 1) mod s``, always smaller than ``s``).

    Parameters
    ----------
    grad_output : array_like, shape (N, C_out, *L_out) or (C_out, *L_out)
    weight : array_like, shape (C_out, C_in/groups, *K)
        The *convolution's* weight (which is a transposed convolution weight with
        ``C_in = C_out``).
    input_shape : sequence of int
        ``(C_in, *L_in)`` of the convolution's input.
    stride, padding, dilation, groups, padding_mode
        The convolution's parameters.

    Examples
    --------
    >>> g = np.array([[1, 10]])
    >>> conv_input_grad(g, np.array([[[1, 2, 3]]]), (1, 6), stride=2)
    array([[ 1,  2, 13, 20, 30,  0]])
    """
    w = weight_array(weight, "(C_out, C_in/groups, *K)")
    spec = conv_spec(
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
    g, _ = batched(grad_output, spec.ndim, "conv_input_grad")
    if g.shape[1:] != spec.output_shape:
        raise ConvolutionSpecError(
            f"grad_output must have the convolution's output shape (N, *{spec.output_shape}) or "
            f"{spec.output_shape}; got grad_output shape {np.shape(grad_output)}"
        )
    return conv_transpose(
        grad_output,
        w,
        stride=spec.stride,
        padding=spec.padding,
        groups=spec.groups,
        dilation=spec.dilation,
        output_size=spec.input_size,
        padding_mode=spec.padding_mode,
    )


def conv_weight_grad(
    input: ArrayLike,
    grad_output: ArrayLike,
    weight_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    padding_mode: str = "zeros",
) -> NDArray[Any]:
    """``∂⟨conv(x; W), g⟩/∂W``: the correlation of the input with the output gradient.

    ``dW[c, c', k] = Σ_{n, o} g[n, c, o] · x_pad[n, g·C_in/g + c', o·s + k·d]``, as
    ``torch.nn.grad.conv*d_weight(input, weight_size, grad_output, …)``.

    Examples
    --------
    >>> conv_weight_grad(np.array([[1, 2, 3, 4]]), np.array([[1, -1]]), (1, 1, 3))
    array([[[-1, -1, -1]]])
    """
    wshape = as_shape(weight_shape, "weight_shape")
    if len(wshape) < 3:
        raise ConvolutionSpecError(
            f"weight_shape must have at least 3 entries (C_out, C_in/groups, *kernel); "
            f"got weight_shape={format_tuple(wshape)}"
        )
    x, _ = batched(input, len(wshape) - 2, "conv_weight_grad")
    spec = conv_spec(
        wshape,
        x.shape[1:],
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        padding_mode=padding_mode,
    )
    g_arr, _ = batched(grad_output, spec.ndim, "conv_weight_grad")
    if g_arr.shape[1:] != spec.output_shape or g_arr.shape[0] != x.shape[0]:
        raise ConvolutionSpecError(
            f"grad_output must have shape (N, *{spec.output_shape}) with the input's batch size "
            f"N={x.shape[0]}; got grad_output shape {np.shape(grad_output)}"
        )
    n, groups_ = x.shape[0], spec.groups
    c_in_g, c_out_g = spec.in_channels // groups_, spec.out_channels // groups_
    p = math.prod(spec.output_size)
    xp = pad(x, spec.padding, spec.padding_mode)
    xg = xp.reshape(n, groups_, c_in_g, *xp.shape[2:])
    gt = np.moveaxis(g_arr.reshape(n, groups_, c_out_g, p), 0, 2).reshape(groups_, c_out_g, n * p)
    taps = list(np.ndindex(*spec.kernel_size))
    dw = np.zeros((groups_, c_out_g, c_in_g, len(taps)), dtype=np.result_type(x, g_arr))
    for t, k in enumerate(taps):
        xk = xg[(Ellipsis, *tap_slices(k, spec.output_size, spec.stride, spec.dilation))]
        xk = np.moveaxis(xk.reshape(n, groups_, c_in_g, p), 0, 2).reshape(groups_, c_in_g, n * p)
        dw[..., t] = gt @ np.swapaxes(xk, -1, -2)
    return dw.reshape(spec.weight_shape)


# ---------------------------------------------------------------------------
# Sub-pixel (polyphase) decomposition
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SubpixelPhase:
    """One phase of the sub-pixel decomposition.

    The outputs at positions ``t ≡ phase (mod s)`` of the full (uncropped) output are a
    stride-1 convolution of the input with this phase's polyphase component.

    Attributes
    ----------
    phase : tuple of int
        ``φ`` per axis, ``0 ≤ φ < s``.
    taps : tuple of tuples of int
        Per axis, the original kernel taps ``k`` with ``k·d ≡ φ (mod s)``; empty when no
        tap reaches this phase (its outputs are zero).
    weight : ndarray or None
        The polyphase component in conv layout, flipped and channel-swapped (as in
        :func:`tconvmat.equivalent_conv`); None when ``taps`` is empty on some axis.
    dilation : tuple of int
        ``d / gcd(d, s)``: the spacing of this phase's taps in input units.
    pads : tuple of (before, after) pairs
        Zero padding (negative: crop) of the input for the stride-1 convolution.
    size : tuple of int
        Number of output positions in this phase, ``⌈(B − φ)/s⌉`` for full length ``B``.
    """

    phase: tuple[int, ...]
    taps: tuple[tuple[int, ...], ...]
    weight: NDArray[Any] | None
    dilation: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    size: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Subpixel:
    """A stride-``s`` transposed convolution as ``∏s`` stride-1 convolutions, interleaved.

    ``apply(x)`` runs every phase's convolution, writes phase ``φ`` to positions
    ``φ, φ + s, φ + 2s, …`` of the full output (a pixel shuffle), and crops the padding.
    Zero padding mode only.
    """

    spec: ConvTransposeSpec
    phases: tuple[SubpixelPhase, ...]

    @property
    def full_size(self) -> tuple[int, ...]:
        """Spatial size of the uncropped output, ``L_out + p_before + p_after``."""
        return tuple(L + pb + pa for L, (pb, pa) in zip(self.spec.output_size, self.spec.padding))

    def _input(self, x: ArrayLike, fn: str) -> tuple[NDArray[Any], bool]:
        xb, unbatched = batched(x, self.spec.ndim, fn)
        if xb.shape[1:] != self.spec.input_shape:
            raise ConvolutionSpecError(
                f"input must have shape (N, *{self.spec.input_shape}) or {self.spec.input_shape}; "
                f"got input shape {np.shape(x)}"
            )
        return xb, unbatched

    def phase_outputs(self, x: ArrayLike) -> list[NDArray[Any]]:
        """Each phase's stride-1 convolution of ``x`` (batched ``(N, C_out, *size)``)."""
        xb, _ = self._input(x, "Subpixel.phase_outputs")
        outs = []
        for ph in self.phases:
            if ph.weight is None or 0 in ph.size:
                outs.append(np.zeros((xb.shape[0], self.spec.out_channels, *ph.size), dtype=xb.dtype))
            else:
                outs.append(
                    stride1(xb, ph.weight, (1,) * self.spec.ndim, ph.pads, ph.dilation, self.spec.groups)
                )
        return outs

    def apply(self, x: ArrayLike, bias: ArrayLike | None = None) -> NDArray[Any]:
        """Equal to ``conv_transpose(x, weight, …)`` for the parameters this was made for."""
        xb, unbatched = self._input(x, "Subpixel.apply")
        b = bias_array(bias, self.spec.out_channels)
        outs = self.phase_outputs(xb)
        dtype = np.result_type(*outs) if outs else xb.dtype
        buf = np.zeros((xb.shape[0], self.spec.out_channels, *self.full_size), dtype=dtype)
        for ph, y in zip(self.phases, outs):
            buf[(Ellipsis, *(slice(f, None, s) for f, s in zip(ph.phase, self.spec.stride)))] = y
        y = fold(buf, self.spec.padding, "zeros")
        return finish(y, b, unbatched, self.spec.ndim)


def _axis_phase(
    L: int, K: int, s: int, d: int, full: int, phi: int
) -> tuple[tuple[int, ...], int, tuple[int, int], int]:
    """Taps, dilation, pads and size of phase ``φ`` along one axis."""
    g = math.gcd(s, d)
    taps = tuple(k for k in range(K) if (k * d - phi) % s == 0)
    size = -(-(full - phi) // s)
    dil = d // g
    if not taps:
        return taps, dil, (0, 0), size
    m0 = (taps[0] * d - phi) // s  # the first tap's shift, in input units
    n = len(taps)
    before = m0 + (n - 1) * dil
    after = size - L - before + (n - 1) * dil
    return taps, dil, (before, after), size


def subpixel(
    weight: ArrayLike,
    input_shape: Sequence[int],
    stride: IntOrSeq = 1,
    padding: PaddingArg = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
) -> Subpixel:
    """The sub-pixel (polyphase) decomposition of a transposed convolution.

    Output position ``t`` of the full output receives tap ``k`` of input ``i`` iff
    ``t = i·s + k·d``, so the taps reaching phase ``φ = t mod s`` are those with
    ``k·d ≡ φ (mod s)``: every ``s / gcd(s, d)``-th tap from the first such one.  On
    that phase they act as a stride-1 convolution with dilation ``d / gcd(s, d)``:
    the polyphase component.  Interleaving the ``∏s`` phase outputs (a pixel shuffle)
    and cropping the padding gives the transposed convolution.

    Parameters
    ----------
    weight : array_like, shape (C_in, C_out/groups, *K)
    input_shape : sequence of int
        ``(C_in, *spatial)``.
    stride, padding, output_padding, groups, dilation
        As in :func:`tconvmat.conv_transpose` (zero padding).

    Returns
    -------
    Subpixel

    Examples
    --------
    >>> w = np.array([[[1, 2, 3]]])
    >>> sp_ = subpixel(w, (1, 2), stride=2)
    >>> [(ph.phase, ph.taps) for ph in sp_.phases]
    [((0,), ((0, 2),)), ((1,), ((1,),))]
    >>> sp_.apply(np.array([[1, 10]]))
    array([[ 1,  2, 13, 20, 30]])
    """
    w = weight_array(weight, "(C_in, C_out/groups, *kernel)")
    spec = conv_transpose_spec(
        w.shape,
        input_shape,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    full = tuple(L + pb + pa for L, (pb, pa) in zip(spec.output_size, spec.padding))
    phases = []
    for phi in np.ndindex(*spec.stride):
        axes = [
            _axis_phase(L, K, s, d, B, f)
            for L, K, s, d, B, f in zip(
                spec.input_size, spec.kernel_size, spec.stride, spec.dilation, full, phi
            )
        ]
        taps = tuple(a[0] for a in axes)
        sub = None
        if all(taps):
            sub = flip_swap(w[np.ix_(range(w.shape[0]), range(w.shape[1]), *taps)], spec.groups)
        phases.append(
            SubpixelPhase(
                phase=tuple(int(f) for f in phi),
                taps=taps,
                weight=sub,
                dilation=tuple(a[1] for a in axes),
                pads=tuple(a[2] for a in axes),
                size=tuple(a[3] for a in axes),
            )
        )
    return Subpixel(spec, tuple(phases))


# ---------------------------------------------------------------------------
# Checkerboard: overlap counts, resize-then-convolve
# ---------------------------------------------------------------------------


_MAX_AXES = 64  # NumPy's maximum number of array dimensions


def _is_sequence(value: Any) -> bool:
    return (isinstance(value, Sequence) and not isinstance(value, (str, bytes))) or np.ndim(value) > 0


def overlap_counts(
    kernel_size: IntOrSeq, stride: IntOrSeq = 1, dilation: IntOrSeq = 1, ndim: int | None = None
) -> NDArray[np.int64]:
    """Taps landing on each output phase of a transposed convolution, away from borders.

    Entry ``[φ_1, …, φ_n]`` counts the taps ``k`` with ``k·d ≡ φ (mod s)`` on every axis:
    how many kernel copies overlap at an interior output position of that phase.
    Uniform (the same for every phase) means no checkerboard from the geometry; for
    ``d = 1`` that holds iff ``s`` divides ``K`` on every axis.

    Examples
    --------
    >>> overlap_counts(3, 2)
    array([2, 1])
    >>> overlap_counts(4, 2)
    array([2, 2])
    >>> overlap_counts((3, 3), 2)
    array([[4, 2],
           [2, 1]])
    """
    if ndim is not None:
        n = as_positive_int(ndim, "ndim")
    else:  # the length of the first per-axis argument given as a sequence
        seqs = [v for v in (kernel_size, stride, dilation) if _is_sequence(v)]
        n = len(seqs[0]) if seqs else 1  # type: ignore[arg-type]
    if not 0 < n <= _MAX_AXES:
        raise ConvolutionSpecError(
            f"overlap_counts needs at least one axis and at most {_MAX_AXES} (NumPy's limit); got "
            f"{n} axes from kernel_size={kernel_size!r}, stride={stride!r}, dilation={dilation!r}"
        )
    K = as_per_axis(kernel_size, "kernel_size", n, positive=True)
    s = as_per_axis(stride, "stride", n, positive=True)
    d = as_per_axis(dilation, "dilation", n, positive=True)
    counts = np.ones((1,) * n, dtype=np.int64)
    for a in range(n):
        per_phase = np.bincount((np.arange(K[a]) * d[a]) % s[a], minlength=s[a]).astype(np.int64)
        counts = counts * per_phase.reshape([-1 if b == a else 1 for b in range(n)])
    return counts


def resize_conv_matrix(
    weight: ArrayLike, input_shape: Sequence[int], scale: IntOrSeq, padding: PaddingArg = "same"
) -> sp.csr_array:
    """Matrix of the resize-then-convolve alternative to a transposed convolution.

    Nearest-neighbour upsampling by ``scale`` (``R``), then a stride-1 convolution with
    ``weight`` (conv layout ``(C_out, C_in, *K)``): ``C_conv · R``.  Every output position
    sees the same number of taps, so it has no checkerboard pattern from uneven overlap
    (Odena, Dumoulin and Olah, "Deconvolution and checkerboard artifacts", 2016).

    Examples
    --------
    >>> M = resize_conv_matrix(np.array([[[1, 1, 1]]]), (1, 2), 2, padding=1)
    >>> M.toarray()
    array([[2, 0],
           [2, 1],
           [1, 2],
           [0, 2]])
    """
    w = weight_array(weight, "(C_out, C_in, *K)")
    ishape = as_input_shape(input_shape)
    n = len(ishape) - 1
    r = as_per_axis(scale, "scale", n, positive=True)
    if w.ndim != n + 2 or w.shape[1] != ishape[0]:
        raise ConvolutionSpecError(
            f"weight must have shape (C_out, C_in, *K) with C_in = input channels = {ishape[0]} and "
            f"{n} kernel axes; got weight shape {w.shape}, input_shape={format_tuple(ishape)}"
        )
    up_shape = (ishape[0], *(L * s for L, s in zip(ishape[1:], r)))
    C = conv_matrix(w, up_shape, padding=padding)  # validates the rest, before R is built
    R = sp.csr_array(np.ones((1, 1), dtype=np.int64))
    for a in range(n):
        L = ishape[1 + a]
        R = sp.kron(
            R,
            sp.csr_array(
                (np.ones(L * r[a], dtype=np.int64), (np.arange(L * r[a]), np.arange(L * r[a]) // r[a]))
            ),
            format="csr",
        )
    R = sp.kron(sp.eye_array(ishape[0], dtype=np.int64), R, format="csr")
    return sp.csr_array(C @ R)


# ---------------------------------------------------------------------------
# Gram spectrum (circular padding, stride 1)
# ---------------------------------------------------------------------------


def gram_spectrum(
    weight: ArrayLike, input_shape: Sequence[int], padding: PaddingArg = 0, dilation: IntOrSeq = 1
) -> NDArray[np.float64]:
    """Eigenvalues of ``C Cᴴ`` for a stride-1 convolution with circular padding, from the DFT.

    With circular padding and output size equal to input size (``p_before + p_after =
    d·(K − 1)``), ``C`` is block-circulant: at each frequency ``ω`` it acts as the
    ``C_out × C_in`` matrix ``Ŵ(ω) = Σ_k w[:, :, k] e^{2πi ω·(k·d − p_before)/L}``, so
    the eigenvalues of ``C Cᴴ`` (``C Cᵀ`` for a real weight) are those of
    ``Ŵ(ω) Ŵ(ω)ᴴ`` over all ``ω``: for one channel, ``|Ŵ(ω)|²``.  Returned sorted
    ascending.

    Parameters
    ----------
    weight : array_like, shape (C_out, C_in, *K)
        Conv layout, groups = 1; integer, floating or complex.
    input_shape : sequence of int
        ``(C_in, *L)``.
    padding, dilation
        Circular padding with ``p_before + p_after = d·(K − 1)`` on every axis.

    Examples
    --------
    >>> ev = gram_spectrum(np.array([[[1., 1.]]]), (1, 4), padding=((1, 0),))
    >>> np.round(ev, 12)
    array([0., 2., 2., 4.])

    A complex weight: the eigenvalues of ``C Cᴴ``.

    >>> np.round(gram_spectrum(np.array([[[1, 1j]]]), (1, 4), padding=((1, 0),)), 12)
    array([0., 2., 2., 4.])
    """
    w = weight_array(weight, "(C_out, C_in, *K)", objects=False)
    w = w.astype(np.complex128 if np.iscomplexobj(w) else np.float64)
    spec = conv_spec(
        w.shape, input_shape, stride=1, padding=padding, dilation=dilation, padding_mode="circular"
    )
    if spec.output_size != spec.input_size:
        raise ConvolutionSpecError(
            f"gram_spectrum needs p_before + p_after = d·(K − 1) on every axis (output size = input size); "
            f"got padding={spec.padding}, kernel_size={spec.kernel_size}, dilation={spec.dilation}"
        )
    n = spec.ndim
    W = np.zeros((*w.shape[:2], *spec.input_size), dtype=np.complex128)
    for k in np.ndindex(*spec.kernel_size):
        phase = np.ones((1, 1) + (1,) * n, dtype=np.complex128)
        for a in range(n):
            L = spec.input_size[a]
            shift = k[a] * spec.dilation[a] - spec.padding[a][0]
            e = np.exp(2j * np.pi * np.arange(L) * shift / L)
            phase = phase * e.reshape((1, 1, *tuple(L if b == a else 1 for b in range(n))))
        W += w[(slice(None), slice(None), *k)][(Ellipsis, *((None,) * n))] * phase
    Wf = np.moveaxis(W.reshape(*w.shape[:2], -1), -1, 0)  # (freqs, C_out, C_in)
    ev = np.linalg.eigvalsh(Wf @ np.conj(np.swapaxes(Wf, -1, -2)))
    return np.sort(ev.ravel().real)
