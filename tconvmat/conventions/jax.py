"""JAX ``lax.conv_general_dilated`` and ``lax.conv_transpose`` ↔ the canonical spec.

``jax.lax.conv_transpose`` (``jax/_src/lax/convolution.py``) is not the adjoint
of a convolution by construction: it *is* a convolution,

    conv_general_dilated(lhs, rhs, window_strides=1, padding=pads,
                         lhs_dilation=strides, rhs_dilation=rhs_dilation)

of the zero-inserted input (``s − 1`` zeros between neighbours) with ``rhs`` as
given.  Two consequences, both classic porting bugs:

* **No flip** unless ``transpose_kernel=True`` (which flips every spatial axis and
  swaps the kernel's ``I``/``O`` axes).  With ``transpose_kernel=True`` and the
  kernel of the forward convolution it equals the gradient of that convolution,
  as PyTorch's and Keras' transposed convolutions do.
* **Integer padding pads the dilated input** (``pads = padding`` as given), unless
  ``use_consistent_padding=True``.  In tconvmat's terms those are the pads
  ``(P_l, P_r)`` of :func:`tconvmat.equivalent_conv`, i.e. crops
  ``p_before = d·(K − 1) − P_l``, ``p_after = d·(K − 1) − P_r + output_padding``.
  ``'SAME'``/``'VALID'`` (and tuples with ``use_consistent_padding=True``) are read
  as the forward convolution's padding by ``_conv_transpose_padding(k, s, padding)``
  with ``k = d·(K − 1) + 1``::

      'SAME':  pad_len = k + s − 2;  pad_a = k − 1 if s > k − 1 else ⌈pad_len / 2⌉
      'VALID': pad_len = k + s − 2 + max(k − s, 0);  pad_a = k − 1
      (p_lo, p_hi): pads = (k − 1 − p_lo, k − 1 − p_hi)
      pad_b = pad_len − pad_a

Default ``dimension_numbers``: ``conv_general_dilated`` uses ``('NCH…', 'OIH…',
'NCH…')``; ``conv_transpose`` uses TensorFlow's ``('NHWC', 'HWIO', 'NHWC')`` (and
``'NC'``, ``'NHC'``, ``'NHWDC'`` for other ranks).  Spatial axes are matched by
letter and ordered as in the kernel's spec string.

Where JAX returns an empty array (a window longer than the padded input, a zero
batch, zero output features), :func:`conv_general_dilated` and :func:`conv_transpose`
return the same empty array (shape and dtype); where JAX refuses (padding that crops
more than the whole dilated input), they raise :class:`~tconvmat.ConvolutionSpecError`.
:func:`spec_from_jax` refuses an empty result: a spec has a non-empty output.

The trio, as in every convention module: :func:`spec_from_jax` (``lax.conv_transpose``
arguments → spec and weight map), :func:`to_jax` (spec → arguments) and the
signature functions :func:`conv_transpose` / :func:`conv_general_dilated`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..ops import conv
from ..padding import pad
from ..spec import (
    ConvolutionSpecError,
    ConvTransposeSpec,
    conv_output_length,
    conv_transpose_spec,
    reach,
    same_split,
    same_total_padding,
    zero_inserted_length,
)
from ._common import fmt, ints

__all__ = [
    "conv_general_dilated",
    "conv_transpose",
    "conv_transpose_pads",
    "dimension_permutations",
    "spec_from_jax",
    "to_jax",
]

Pairs = tuple[tuple[int, int], ...]
Perms = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]

_TRANSPOSE_DEFAULTS = {
    2: ("NC", "IO", "NC"),
    3: ("NHC", "HIO", "NHC"),
    4: ("NHWC", "HWIO", "NHWC"),
    5: ("NHWDC", "HWDIO", "NHWDC"),
}


def dimension_permutations(dimension_numbers: Any, rank: int) -> Perms:
    """``(lhs, rhs, out)`` axis permutations to ``(N, C, *spatial)``, ``(O, I, *spatial)``,
    ``(N, C, *spatial)``, as ``jax.lax.conv_general_permutations``.

    ``dimension_numbers``: None (``NCH…``/``OIH…``), three spec strings, or three
    integer tuples (a ``ConvDimensionNumbers``).

    Examples
    --------
    >>> dimension_permutations(("NHWC", "HWIO", "NHWC"), 4)
    ((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    >>> dimension_permutations(("NWHC", "HWIO", "NHWC"), 4)[0]
    (0, 3, 2, 1)
    """
    if dimension_numbers is None:
        ident = tuple(range(rank))
        return ident, ident, ident
    specs = tuple(dimension_numbers)
    if len(specs) != 3:
        raise ConvolutionSpecError(
            f"dimension_numbers must have 3 entries (lhs, rhs, out); got {dimension_numbers!r}"
        )
    if all(isinstance(s, str) for s in specs):
        lhs, rhs, out = specs
        for s, pair in zip(specs, ("NC", "OI", "NC")):
            if len(s) != rank or len(set(s)) != rank or any(c not in s for c in pair):
                raise ConvolutionSpecError(
                    f"dimension_numbers spec {s!r} must have {rank} distinct letters including {pair[0]!r} "
                    f"and {pair[1]!r} to match rank-{rank} arrays; got dimension_numbers={specs}"
                )
        spatial = [c for c in rhs if c not in "OI"]
        for s in (lhs, out):
            if sorted(c for c in s if c not in "NC") != sorted(spatial):
                raise ConvolutionSpecError(
                    f"dimension_numbers must use the same spatial letters in lhs, rhs and out; got {specs}"
                )

        def perm(s: str, a: str, b: str) -> tuple[int, ...]:
            return (s.index(a), s.index(b), *(s.index(c) for c in spatial))

        return perm(lhs, "N", "C"), perm(rhs, "O", "I"), perm(out, "N", "C")
    perms = tuple(tuple(int(i) for i in p) for p in specs)
    for p in perms:
        if sorted(p) != list(range(rank)):
            raise ConvolutionSpecError(
                f"dimension_numbers must be permutations of range({rank}); got dimension_numbers={perms}"
            )
    return perms  # type: ignore[return-value]


def _dilate_and_pad(x: NDArray[Any], dilation: Sequence[int], pads: Pairs) -> NDArray[Any]:
    """Zero-insert (``d − 1`` zeros between neighbours) then pad; negative pads crop."""
    n = len(dilation)
    lead = x.ndim - n
    size = tuple(zero_inserted_length(L, d) for L, d in zip(x.shape[lead:], dilation))
    u = np.zeros(x.shape[:lead] + size, dtype=x.dtype)
    u[(Ellipsis, *(slice(None, None, d) for d in dilation))] = x
    return pad(u, tuple(pads), "zeros")


def _out_spatial(
    size: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Pairs,
    lhs_dilation: Sequence[int],
    rhs_dilation: Sequence[int],
) -> tuple[int, ...]:
    """JAX's ``conv_shape_tuple``: refuse a negative padded length, else
    ``max(0, ⌊(padded − d·(K − 1) − 1) / s⌋ + 1)`` (0 when the window does not fit)."""
    padded = tuple(zero_inserted_length(L, ld) + lo + hi for L, ld, (lo, hi) in zip(size, lhs_dilation, pads))
    if any(n < 0 for n in padded):
        raise ConvolutionSpecError(
            f"padding must not crop more than the dilated input's size on any axis (JAX: 'Negative padding "
            f"is larger than the size of the corresponding dimension'); got padding={tuple(pads)} for "
            f"dilated input size {tuple(zero_inserted_length(L, ld) for L, ld in zip(size, lhs_dilation))}"
        )
    return tuple(
        max(0, conv_output_length(n, K, s, 0, 0, d))
        for n, K, s, d in zip(padded, kernel, strides, rhs_dilation)
    )


def _string_pads(
    padding: str, size: Sequence[int], kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int]
) -> Pairs:
    """``lax.padtype_to_pads``: 'SAME' (odd one at the end), 'SAME_LOWER', 'VALID'."""
    if padding == "VALID":
        return ((0, 0),) * len(size)
    if padding not in ("SAME", "SAME_LOWER"):
        raise ConvolutionSpecError(
            f"padding must be 'SAME', 'SAME_LOWER', 'VALID' or (low, high) pairs; got padding={padding!r}"
        )
    return tuple(
        same_split(same_total_padding(L, K, s, d), odd_at_end=padding == "SAME")
        for L, K, s, d in zip(size, kernel, strides, dilation)
    )


def _pairs(padding: Any, n: int) -> Pairs:
    try:
        rows = tuple((int(lo), int(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        raise ConvolutionSpecError(
            f"padding must be a string or a sequence of {n} (low, high) pairs; got padding={padding!r}"
        ) from None
    if len(rows) != n:
        raise ConvolutionSpecError(f"padding must have {n} (low, high) pairs; got padding={rows}")
    return rows


def conv_general_dilated(
    lhs: ArrayLike,
    rhs: ArrayLike,
    window_strides: Sequence[int],
    padding: str | Sequence[tuple[int, int]],
    lhs_dilation: Sequence[int] | None = None,
    rhs_dilation: Sequence[int] | None = None,
    dimension_numbers: Any = None,
    feature_group_count: int = 1,
) -> NDArray[Any]:
    """``jax.lax.conv_general_dilated`` on NumPy arrays (``batch_group_count=1``).

    The ``lhs`` is zero-inserted by ``lhs_dilation``, padded by ``padding``
    (negative entries crop), and convolved (cross-correlation) with ``rhs`` dilated
    by ``rhs_dilation``, with ``window_strides`` and ``feature_group_count`` groups.

    Examples
    --------
    ``lhs_dilation`` is the transposed convolution (here the learner's example).

    >>> conv_general_dilated(np.ones((1, 1, 2)), np.ones((1, 1, 3)), [1], [(2, 2)], lhs_dilation=[2])
    array([[[1., 1., 2., 1., 1.]]])

    A window longer than the padded input: JAX's empty array.

    >>> conv_general_dilated(np.ones((1, 1, 2)), np.ones((1, 1, 3)), [1], "VALID").shape
    (1, 1, 0)
    """
    x, w = np.asarray(lhs), np.asarray(rhs)
    if x.ndim != w.ndim or x.ndim < 3:
        raise ConvolutionSpecError(
            f"lhs and rhs must have the same rank ≥ 3; got lhs shape {x.shape}, rhs shape {w.shape}"
        )
    n = x.ndim - 2
    lp, rp, op = dimension_permutations(dimension_numbers, x.ndim)
    xs, ws = np.transpose(x, lp), np.transpose(w, rp)
    strides = ints(window_strides, "window_strides", n, broadcast=False)
    ldil = ints(lhs_dilation, "lhs_dilation", n, default=1, broadcast=False)
    rdil = ints(rhs_dilation, "rhs_dilation", n, default=1, broadcast=False)
    if isinstance(padding, str):
        if any(d != 1 for d in ldil):
            raise ConvolutionSpecError(
                f"string padding is not implemented with lhs_dilation (as in JAX): give explicit pairs or use "
                f"conv_transpose; got padding={padding!r}, lhs_dilation={fmt(ldil)}"
            )
        pads = _string_pads(padding, xs.shape[2:], ws.shape[2:], strides, rdil)
    else:
        pads = _pairs(padding, n)
    g = feature_group_count
    if g <= 0 or xs.shape[1] != ws.shape[1] * g or ws.shape[0] % g:
        raise ConvolutionSpecError(
            f"lhs features must equal rhs input features × feature_group_count and rhs output features be "
            f"divisible by it (as in JAX); got lhs features {xs.shape[1]}, rhs shape (O, I, …) "
            f"{ws.shape}, feature_group_count={g}"
        )
    out = _out_spatial(xs.shape[2:], ws.shape[2:], strides, pads, ldil, rdil)
    shape = (xs.shape[0], ws.shape[0], *out)
    if 0 in shape or xs.shape[1] == 0:  # JAX's empty (or all-zero, no input features) result
        return np.transpose(np.zeros(shape, dtype=np.result_type(xs, ws)), np.argsort(op))
    u = _dilate_and_pad(xs, ldil, pads)
    y = conv(u, ws, stride=strides, dilation=rdil, groups=g)
    return np.transpose(y, np.argsort(op))


def conv_transpose_pads(
    kernel: Sequence[int],
    strides: Sequence[int],
    padding: Any,
    rhs_dilation: Sequence[int] | None = None,
    use_consistent_padding: bool = False,
) -> Pairs:
    """The pads of the dilated input that ``lax.conv_transpose`` uses (JAX's
    ``_conv_transpose_padding``).

    Examples
    --------
    >>> conv_transpose_pads([3], [2], "SAME"), conv_transpose_pads([3], [2], "VALID")
    (((2, 1),), ((2, 2),))
    >>> conv_transpose_pads([3], [2], [(1, 1)]), conv_transpose_pads([3], [2], [(1, 1)], use_consistent_padding=True)
    (((1, 1),), ((1, 1),))
    >>> conv_transpose_pads([4], [2], [(0, 0)], use_consistent_padding=True)
    ((3, 3),)
    """
    n = len(kernel)
    dil = ints(rhs_dilation, "rhs_dilation", n, default=1, broadcast=False)
    strides = ints(strides, "strides", n, broadcast=False)
    k_eff = [reach(K, d) + 1 for K, d in zip(kernel, dil)]
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise ConvolutionSpecError(
                f"conv_transpose padding must be 'SAME', 'VALID' or (low, high) pairs; got padding={padding!r}"
            )
        per_axis: list[Any] = [padding] * n
    elif use_consistent_padding:
        per_axis = list(_pairs(padding, n))
    else:
        return _pairs(padding, n)
    out = []
    for k, s, p in zip(k_eff, strides, per_axis):
        if p == "SAME":
            pad_len = k + s - 2
            pad_a = k - 1 if s > k - 1 else -(-pad_len // 2)
        elif p == "VALID":
            pad_len = k + s - 2 + max(k - s, 0)
            pad_a = k - 1
        else:
            pad_a, pad_b = k - p[0] - 1, k - p[1] - 1
            pad_len = pad_a + pad_b
        out.append((pad_a, pad_len - pad_a))
    return tuple(out)


def _transpose_parts(
    lhs_shape: Sequence[int], rhs_shape: Sequence[int], dimension_numbers: Any
) -> tuple[Any, Perms]:
    rank = len(lhs_shape)
    if rank != len(rhs_shape) or rank < 3:
        raise ConvolutionSpecError(
            f"lhs and rhs must have the same rank ≥ 3; got lhs shape {tuple(lhs_shape)}, rhs shape {tuple(rhs_shape)}"
        )
    dn = _TRANSPOSE_DEFAULTS.get(rank) if dimension_numbers is None else dimension_numbers
    if dn is None:
        raise ConvolutionSpecError(f"no default dimension_numbers for rank {rank} (as in JAX); pass them")
    return dn, dimension_permutations(dn, rank)


def conv_transpose(
    lhs: ArrayLike,
    rhs: ArrayLike,
    strides: Sequence[int],
    padding: str | Sequence[tuple[int, int]],
    rhs_dilation: Sequence[int] | None = None,
    dimension_numbers: Any = None,
    transpose_kernel: bool = False,
    use_consistent_padding: bool = False,
) -> NDArray[Any]:
    """``jax.lax.conv_transpose`` on NumPy arrays, computed as JAX defines it.

    Parameters
    ----------
    lhs, rhs : array_like
        Layouts from ``dimension_numbers`` (default ``NHWC``/``HWIO`` style).
    strides : sequence of int
        The zero-insertion factor (``lhs_dilation``).
    padding : "SAME", "VALID" or (low, high) pairs
        Pairs pad the *dilated* input, unless ``use_consistent_padding``.
    rhs_dilation : sequence of int, optional
    dimension_numbers : optional
    transpose_kernel : bool
        Flip the spatial axes and swap ``I``/``O`` first.

    Examples
    --------
    The kernel is used as given: without ``transpose_kernel`` the taps come out
    reversed compared with PyTorch's ``conv_transpose1d``.

    >>> x = np.ones((1, 2, 1)); k = np.array([1., 10., 100.]).reshape(3, 1, 1)
    >>> conv_transpose(x, k, [2], "VALID")[0, :, 0]
    array([100.,  10., 101.,  10.,   1.])
    >>> conv_transpose(x, k, [2], "VALID", transpose_kernel=True)[0, :, 0]
    array([  1.,  10., 101.,  10., 100.])
    """
    x, w = np.asarray(lhs), np.asarray(rhs)
    dn, (_, rp, _) = _transpose_parts(x.shape, w.shape, dimension_numbers)
    n = x.ndim - 2
    if transpose_kernel:
        w = np.flip(w, axis=rp[2:]).swapaxes(rp[0], rp[1])
    kernel = tuple(w.shape[a] for a in rp[2:])
    pads = conv_transpose_pads(kernel, strides, padding, rhs_dilation, use_consistent_padding)
    strides_t = ints(strides, "strides", n, broadcast=False)
    return conv_general_dilated(x, w, (1,) * n, pads, strides_t, rhs_dilation, dn)


def spec_from_jax(
    lhs_shape: Sequence[int],
    rhs_shape: Sequence[int],
    strides: Sequence[int],
    padding: str | Sequence[tuple[int, int]],
    rhs_dilation: Sequence[int] | None = None,
    dimension_numbers: Any = None,
    transpose_kernel: bool = False,
    use_consistent_padding: bool = False,
) -> tuple[ConvTransposeSpec, Any]:
    """The canonical spec of a ``lax.conv_transpose`` call and the weight map.

    Returns
    -------
    spec : ConvTransposeSpec
    to_torch_weight : callable
        ``rhs`` (in its layout) → the PyTorch conv-transpose weight
        ``(C_in, C_out, *kernel)`` with which ``tconvmat.conv_transpose`` on the
        ``(N, C, *spatial)`` input equals ``lax.conv_transpose``: the ``(O, I)``
        kernel unflipped if ``transpose_kernel``, else the ``(I, O)`` kernel flipped.

    Raises
    ------
    ConvolutionSpecError
        When the pads exceed ``d·(K − 1)`` at the start (that would be a negative
        crop), ``output_padding`` would reach ``max(stride, dilation)``, or the result
        is empty: no canonical spec (the function :func:`conv_transpose` still computes it).

    Examples
    --------
    >>> spec, to_w = spec_from_jax((1, 4, 1), (3, 1, 1), [2], "SAME")
    >>> spec.padding, spec.output_padding, spec.output_size
    (((0, 1),), (0,), (8,))
    """
    dn, (lp, rp, _) = _transpose_parts(lhs_shape, rhs_shape, dimension_numbers)
    n = len(lhs_shape) - 2
    lhs_t = tuple(int(lhs_shape[a]) for a in lp)
    rhs_t = tuple(int(rhs_shape[a]) for a in rp)  # (O, I, *k) as given
    kernel = rhs_t[2:]
    # After the optional flip/swap, conv_general_dilated reads rhs as (O=out, I=in).
    c_out, c_in = (rhs_t[1], rhs_t[0]) if transpose_kernel else rhs_t[:2]
    if c_in != lhs_t[1]:
        raise ConvolutionSpecError(
            f"the kernel's {'O' if transpose_kernel else 'I'} dimension must equal lhs features "
            f"(transpose_kernel={transpose_kernel}); got rhs shape {tuple(rhs_shape)}, lhs shape "
            f"{tuple(lhs_shape)}, dimension_numbers={dn}"
        )
    strides_t = ints(strides, "strides", n, broadcast=False)
    dil = ints(rhs_dilation, "rhs_dilation", n, default=1, broadcast=False)
    pads = conv_transpose_pads(kernel, strides_t, padding, dil, use_consistent_padding)
    crops, ops = [], []
    for axis, ((pl, pr), K, d, s) in enumerate(zip(pads, kernel, dil, strides_t)):
        r = reach(K, d)
        extra = max(pr - r, 0)
        if pl > r or extra >= max(s, d):
            raise ConvolutionSpecError(
                f"pads of the dilated input {pads} reach beyond d·(K−1)={r} "
                f"({'at the start' if pl > r else 'at the end by ≥ max(stride, dilation)'}): "
                f"not a transposed convolution with crops ≥ 0 and output_padding < max(stride, dilation) (axis {axis})"
            )
        crops.append((r - pl, r - pr + extra))
        ops.append(extra)
    spec = conv_transpose_spec(
        (c_in, c_out, *kernel),
        lhs_t[1:],
        stride=strides_t,
        padding=tuple(crops),
        output_padding=tuple(ops),
        dilation=dil,
    )
    spatial = tuple(range(2, n + 2))

    def to_torch_weight(rhs: ArrayLike) -> NDArray[Any]:
        r = np.transpose(np.asarray(rhs), rp)  # (O, I, *k)
        if transpose_kernel:
            return np.ascontiguousarray(r)
        return np.ascontiguousarray(np.flip(r.swapaxes(0, 1), axis=spatial))

    return spec, to_torch_weight


def to_jax(spec: ConvTransposeSpec, *, transpose_kernel: bool = True) -> dict[str, Any]:
    """``lax.conv_transpose`` arguments equal to ``spec`` (explicit pads of the dilated
    input), with ``dimension_numbers`` ``('NC…', 'OI…', 'NC…')``; pass the PyTorch
    weight as ``rhs`` when ``transpose_kernel=True`` (the default), or
    ``tconvmat.equivalent_conv(...).weight`` with ``transpose_kernel=False``.

    Raises
    ------
    ConvolutionSpecError
        For ``groups > 1`` (``lax.conv_transpose`` has no groups; use
        ``conv_general_dilated`` with ``feature_group_count``) or a non-zero
        ``padding_mode``.

    Examples
    --------
    >>> from tconvmat import conv_transpose_spec
    >>> to_jax(conv_transpose_spec((1, 1, 3), (1, 4), stride=2, padding=1, output_padding=1))
    {'strides': (2,), 'padding': ((1, 2),), 'rhs_dilation': (1,), 'dimension_numbers': ('NCH', 'OIH', 'NCH'), 'transpose_kernel': True}
    """
    if spec.groups != 1:
        raise ConvolutionSpecError(
            f"lax.conv_transpose has no groups; got groups={spec.groups} (use conv_general_dilated with "
            f"feature_group_count and tconvmat.equivalent_conv)"
        )
    if spec.padding_mode != "zeros":
        raise ConvolutionSpecError(
            f"lax.conv_transpose pads with zeros only; got padding_mode={spec.padding_mode!r}"
        )
    letters = "HWDTUVXYZ"[: spec.ndim]
    if spec.ndim > len("HWDTUVXYZ"):
        raise ConvolutionSpecError(f"too many spatial axes for letter dimension_numbers; got {spec.ndim}")
    return {
        "strides": spec.stride,
        "padding": spec.flipped_pads,
        "rhs_dilation": spec.dilation,
        "dimension_numbers": ("NC" + letters, "OI" + letters, "NC" + letters),
        "transpose_kernel": transpose_kernel,
    }
