"""The sparse matrix C against PyTorch's exact Jacobian, the routes, and its own structure."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat._core import index_dtype as _index_dtype

from . import oracles
from .cases import cases


def _check_csr(C: sp.csr_array, shape: tuple[int, int]) -> None:
    assert isinstance(C, sp.csr_array)
    assert C.shape == shape
    C.check_format(full_check=True)
    D = C.copy()
    D.sum_duplicates()
    D.sort_indices()
    np.testing.assert_array_equal(D.indices, C.indices)  # already canonical
    np.testing.assert_array_equal(D.indptr, C.indptr)


def test_learner_matrix():
    C = tcm.conv_transpose_matrix(np.array([[[1.0, 1.0, 1.0]]]), (1, 2), stride=2)
    assert C.shape == (2, 5)
    np.testing.assert_array_equal(C.toarray(), [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(C.T @ np.array([1.0, 1.0]), [1, 1, 2, 1, 1])


def test_conv_matrix_is_banded_toeplitz_for_stride_one():
    w = np.array([[[1, 2, 3]]])
    C = tcm.conv_matrix(w, (1, 5), padding=1).toarray()
    for o in range(5):
        for i in range(5):
            k = i - o + 1
            assert C[o, i] == (w[0, 0, k] if 0 <= k < 3 else 0)


@given(
    case=cases(
        kind="conv", modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True, max_channels=2
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv_matrix_is_torch_jacobian(torch, case, seed):
    _, w, _ = case.arrays(seed, np.float64)
    C = tcm.conv_matrix(w, case.input_shape, **case.kwargs)
    spec = case.spec()
    _check_csr(C, (int(np.prod(spec.output_shape)), int(np.prod(spec.input_shape))))
    one = type(case)(case.kind, case.weight_shape, case.input_shape, None, case.kwargs)
    J = oracles.jacobian(torch, lambda x: oracles.padded_conv(torch, one, x, w), case.input_shape)
    np.testing.assert_array_equal(C.toarray(), J)


@given(case=cases(output_size=True, max_channels=2), seed=st.integers(0, 2**32 - 1))
def test_conv_transpose_matrix_is_torch_jacobian(torch, case, seed):
    _, w, _ = case.arrays(seed, np.float64)
    C = tcm.conv_transpose_matrix(w, case.input_shape, **case.kwargs)
    spec = case.spec()
    _check_csr(C, (int(np.prod(spec.input_shape)), int(np.prod(spec.output_shape))))
    one = type(case)(case.kind, case.weight_shape, case.input_shape, None, case.kwargs)
    J = oracles.jacobian(torch, lambda x: _torch_conv_transpose(torch, one, x, w), case.input_shape)
    np.testing.assert_array_equal(C.T.toarray(), J)


def _torch_conv_transpose(torch, case, x, w):
    kw = dict(case.kwargs)
    output_size = kw.pop("output_size", None)
    if output_size is not None:
        kw["output_padding"] = case.spec().output_padding
    return getattr(torch.nn.functional, f"conv_transpose{case.ndim}d")(x, torch.from_numpy(w), **kw)


@given(
    case=cases(modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True, output_size=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_matrix_routes_and_dot_test(case, seed):
    """x @ C == conv_transpose(x); C u == conv(u); <C u, v> == <u, Cᵀ v> exactly."""
    x, w, _ = case.arrays(seed, np.int64)
    C = tcm.conv_transpose_matrix(w, case.input_shape, **case.kwargs)
    assert C.dtype == np.int64
    xb = x if case.batch is not None else x[None]
    y = tcm.conv_transpose(xb, w, **case.kwargs, method="scatter")
    np.testing.assert_array_equal(xb.reshape(len(xb), -1) @ C.toarray(), y.reshape(len(xb), -1))
    spec = case.spec()
    rng = np.random.default_rng(seed)
    u = rng.integers(-3, 4, spec.output_shape)
    fwd = spec.adjoint
    if fwd.output_size == spec.input_size:  # the forward conv reaches exactly the transposed input
        conv_kw = {k: v for k, v in case.kwargs.items() if k not in ("output_padding", "output_size")}
        np.testing.assert_array_equal(C @ u.ravel(), tcm.conv(u, w, **conv_kw).ravel())
    v = rng.integers(-3, 4, C.shape[0])
    assert (C @ u.ravel()) @ v == u.ravel() @ (C.T @ v)


def test_matrix_with_output_padding_past_stride_keeps_first_rows():
    """op ≥ s (allowed when op < d): C has L_in rows per axis, the forward conv more."""
    w = np.arange(1, 4).reshape(1, 1, 3)
    spec = tcm.conv_transpose_spec(w.shape, (1, 3), stride=2, output_padding=2, dilation=3)
    assert spec.adjoint.output_size == (4,)
    C = tcm.conv_transpose_matrix(w, (1, 3), stride=2, output_padding=2, dilation=3)
    full = tcm.conv_matrix(w, (1, spec.output_size[0]), stride=2, dilation=3)
    np.testing.assert_array_equal(C.toarray(), full.toarray()[:3])


def test_padding_mode_matrix_sums_taps_on_one_column():
    # reflect with padding 2 on length 3: taps land on the same source position.
    C = tcm.conv_matrix(np.array([[[1, 10, 100, 1000, 10000]]]), (1, 3), padding=2, padding_mode="reflect")
    # output 0 reads padded [x2, x1, x0, x1, x2]
    assert C.toarray()[0].tolist() == [100, 1010, 10001]


def test_integer_and_float32_dtypes_kept():
    assert tcm.conv_matrix(np.ones((1, 1, 2), np.float32), (1, 4)).dtype == np.float32
    assert tcm.conv_matrix(np.ones((1, 1, 2), np.int32), (1, 4)).dtype == np.int32


def test_multichannel_block_structure():
    """Zero outside a group; each block is that (c_out, c_in) pair's single-channel matrix."""
    rng = np.random.default_rng(3)
    w = rng.integers(1, 5, (4, 3, 2, 2))  # groups=2: C_in=6, C_out=4
    C = tcm.conv_matrix(w, (6, 4, 3), stride=(2, 1), groups=2).toarray()
    rows, cols = 2 * 2, 4 * 3  # output (2, 2), input (4, 3)
    for co in range(4):
        for ci in range(6):
            block = C[co * rows : (co + 1) * rows, ci * cols : (ci + 1) * cols]
            if co // 2 != ci // 3:
                assert not block.any()
            else:
                single = tcm.conv_matrix(w[co : co + 1, ci % 3 : ci % 3 + 1], (1, 4, 3), stride=(2, 1))
                np.testing.assert_array_equal(block, single.toarray())


def test_kronecker_structure_2d():
    """C_2d = Σ_{a,b} w[a,b] S_a ⊗ S_b with 1-D selection matrices S."""
    w = np.arange(1, 7).reshape(1, 1, 2, 3)
    C = tcm.conv_matrix(w, (1, 4, 5), stride=(1, 2), padding=(1, 1)).toarray()

    def S(k, n, s, p, K):
        e = np.zeros((1, 1, K), dtype=int)
        e[0, 0, k] = 1
        return tcm.conv_matrix(e, (1, n), stride=s, padding=p).toarray()

    expected = sum(
        w[0, 0, a, b] * np.kron(S(a, 4, 1, 1, 2), S(b, 5, 2, 1, 3)) for a in range(2) for b in range(3)
    )
    np.testing.assert_array_equal(C, expected)


def test_index_dtype_rule():
    assert _index_dtype(0) is np.int32
    assert _index_dtype(2**31 - 1, 5) is np.int32
    assert _index_dtype(2**31, 5) is np.int64
    assert _index_dtype(5, 2**40) is np.int64


def test_index_arithmetic_past_int32_does_not_overflow():
    """The pattern's column arithmetic is int64; past 2³¹ columns the matrix uses int64."""
    from tconvmat._core import pattern as _pattern

    spec = tcm.conv_spec((1, 1, 1, 1, 2), (1, 2**11, 2**11, 2**10), padding=((0, 0), (0, 0), (0, 1)))
    # 2^32 columns; the first 2^11 rows along axis 0 reach column (2^11 − 1)·2^21 + 1 > 2^31.
    pat = _pattern(spec, (2**11, 1, 1))
    assert pat.cols.dtype == np.int64
    assert int(pat.cols.max()) == (2**11 - 1) * 2**21 + 1
    assert _index_dtype(int(np.prod(spec.input_shape))) is np.int64


@pytest.mark.parametrize("bad", [np.array([[[1.0]]], dtype=object)])
def test_object_weights_point_to_symbolic(bad):
    with pytest.raises(tcm.ConvolutionSpecError, match=r"tconvmat\.symbolic"):
        tcm.conv_matrix(bad, (1, 3))


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ("16", r"^input_shape must be a sequence of integers; got input_shape='16'$"),
        ((1, 6.5), r"^input_shape must be an integer or a sequence of integers; got input_shape=6.5$"),
        ((True, 6), r"^input_shape must be an integer; got input_shape=True$"),
        ((), r"^input_shape must be \(channels, \*spatial\) with 1 spatial axes to match the 3-d weight"),
    ],
)
def test_input_shape_is_read_by_the_spec_not_coerced(shape, match):
    for build in (tcm.conv_matrix, tcm.conv_transpose_matrix):
        with pytest.raises(tcm.ConvolutionSpecError, match=match):
            build(np.ones((1, 1, 3)), shape)
