"""Padding modes as index maps.

A padding mode maps each position ``t`` of the padded signal (``0 ≤ t < L + p_before +
p_after``) to the input position it copies, or to nothing (``zeros``).  As a matrix
this is ``P`` with ``x_pad = P x``; the padded convolution is ``C = C_zero · P`` and its
adjoint is ``Cᵀ = Pᵀ · C_zeroᵀ``, so a transposed convolution with a non-zero mode
*folds* the padded output back onto the input positions (:func:`fold`).

The maps are per axis; the N-d map is their product (``P = P_1 ⊗ … ⊗ P_n``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["fold", "pad", "source_index"]


def source_index(
    u: NDArray[np.integer], length: int, mode: str
) -> tuple[NDArray[np.intp], NDArray[np.bool_]]:
    """Input position a padded position copies, and whether there is one.

    Parameters
    ----------
    u : array of int
        Positions relative to the start of the unpadded input (``−p_before ≤ u <
        L + p_after``), e.g. ``input_index(o, k, s, d, p_before)``.
    length : int
        Unpadded length ``L``.
    mode : {"zeros", "reflect", "replicate", "circular"}

    Returns
    -------
    index : array of intp
        ``u`` mapped into ``[0, L)`` by the mode (``u`` itself for zeros).
    valid : array of bool
        False where the padded position holds an inserted zero.

    Examples
    --------
    >>> u = np.arange(-2, 5)
    >>> source_index(u, 4, "reflect")[0]
    array([2, 1, 0, 1, 2, 3, 2])
    >>> source_index(u, 4, "circular")[0]
    array([2, 3, 0, 1, 2, 3, 0])
    >>> source_index(u, 4, "replicate")[0]
    array([0, 0, 0, 1, 2, 3, 3])
    >>> source_index(u, 4, "zeros")[1]
    array([False, False,  True,  True,  True,  True, False])
    """
    u = np.asarray(u, dtype=np.intp)
    if mode == "zeros":
        valid = (u >= 0) & (u < length)
        return u, valid
    if mode == "replicate":
        index = np.clip(u, 0, length - 1)
    elif mode == "circular":
        index = np.mod(u, length)
    elif mode == "reflect":
        if length == 1:
            index = np.zeros_like(u)
        else:
            period = 2 * (length - 1)
            r = np.mod(u, period)
            index = np.where(r < length, r, period - r)
    else:  # pragma: no cover - validated in spec
        raise ValueError(f"unknown padding_mode {mode!r}")
    return index, np.ones(u.shape, dtype=bool)


def pad(x: NDArray, pads: tuple[tuple[int, int], ...], mode: str) -> NDArray:
    """Pad the trailing ``len(pads)`` axes of ``x`` (``x_pad = P x``).

    Negative pads crop (zeros mode only, as used by the flipped-kernel route).

    Examples
    --------
    >>> pad(np.arange(1, 4), ((2, 1),), "reflect")
    array([3, 2, 1, 2, 3, 2])
    >>> pad(np.arange(1, 6), ((-1, 2),), "zeros")
    array([2, 3, 4, 5, 0, 0])
    >>> pad(np.array([7]), ((-2, 2),), "zeros")  # position 0 would hold x[2]: none
    array([0])
    """
    ndim = len(pads)
    lead = x.ndim - ndim
    if mode == "zeros":
        if not any(b or e for b, e in pads):
            return x
        # Output position j holds x[j − b] where that exists, else 0.  Copy the overlap
        # into zeros: cropping first and padding after would be wrong when a crop
        # reaches past the far end (e.g. pads (−2, 2) on one element).
        size = tuple(x.shape[lead + a] + b + e for a, (b, e) in enumerate(pads))
        out = np.zeros(x.shape[:lead] + size, dtype=x.dtype)
        dst, src = [], []
        for a, (b, _) in enumerate(pads):
            count = max(0, min(x.shape[lead + a] - max(-b, 0), size[a] - max(b, 0)))
            dst.append(slice(max(b, 0), max(b, 0) + count))
            src.append(slice(max(-b, 0), max(-b, 0) + count))
        out[(Ellipsis, *dst)] = x[(Ellipsis, *src)]
        return out
    for a, (b, e) in enumerate(pads):
        n = x.shape[lead + a]
        index, _ = source_index(np.arange(-b, n + e), n, mode)
        x = np.take(x, index, axis=lead + a)
    return x


def fold(buf: NDArray, pads: tuple[tuple[int, int], ...], mode: str) -> NDArray:
    """Adjoint of :func:`pad`: ``Pᵀ buf``, summing each padded position into its source.

    For ``zeros`` this is the crop ``buf[p_before : len − p_after]``.

    Examples
    --------
    >>> fold(np.array([1, 10, 100, 1000, 10000, 100000]), ((2, 1),), "reflect")
    array([   100, 101010,  10001])
    """
    ndim = len(pads)
    lead = buf.ndim - ndim
    if mode == "zeros":
        crop = tuple(slice(b, buf.shape[lead + a] - e) for a, (b, e) in enumerate(pads))
        return buf[(Ellipsis, *crop)]
    for a, (b, e) in enumerate(pads):
        axis = lead + a
        n = buf.shape[axis] - b - e
        moved = np.moveaxis(buf, axis, 0)
        out = moved[b : b + n].copy()
        edge = np.r_[0:b, b + n : b + n + e]
        if edge.size:
            index, _ = source_index(edge - b, n, mode)
            np.add.at(out, index, moved[edge])
        buf = np.moveaxis(out, 0, axis)
    return buf
