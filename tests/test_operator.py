"""Matrix-free operators, the size guard and the row-block builder.

The operators are checked against the matrices (themselves checked against
PyTorch's exact Jacobian in test_matrix.py) and directly against PyTorch (the
convolution and its autograd VJP); the size guard's estimate against the nonzeros of
the built matrices; row blocks against the full matrix.  Integer data: exact equality.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.sparse.linalg import LinearOperator, lsqr

import tconvmat as tcm
from tconvmat.matrix import DEFAULT_MAX_NNZ, MatrixTooLargeError
from tconvmat.operator import conv_operator, conv_transpose_operator

from . import oracles
from .cases import Case, cases

MODES = ("zeros", "reflect", "replicate", "circular")
SEED = st.integers(0, 2**32 - 1)


def _operator(case: Case, w: np.ndarray, **kw) -> LinearOperator:
    make = conv_operator if case.kind == "conv" else conv_transpose_operator
    return make(w, case.input_shape, **case.kwargs, **kw)


def _matrix(case: Case, w: np.ndarray, **kw) -> sp.csr_array:
    """The matrix of the operator's map: ``C`` for conv, ``Cᵀ`` for the transpose."""
    if case.kind == "conv":
        return tcm.conv_matrix(w, case.input_shape, **case.kwargs, **kw)
    return tcm.conv_transpose_matrix(w, case.input_shape, **case.kwargs, **kw).T.tocsr()


def _ints(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.integers(-3, 4, shape).astype(np.int64)


any_case = st.one_of(
    cases(kind="conv", modes=MODES, asymmetric=True),
    cases(kind="transpose", modes=MODES, asymmetric=True),
    cases(kind="transpose", output_size=True),
)


# ---------------------------------------------------------------------------
# Operators
# ---------------------------------------------------------------------------


@given(case=any_case, seed=SEED)
def test_operator_matches_matrix(case, seed):
    _, w, _ = case.arrays(seed)
    A, M = _operator(case, w), _matrix(case, w)
    assert isinstance(A, LinearOperator)
    assert A.shape == M.shape and A.dtype == w.dtype
    rng = np.random.default_rng(seed)
    x, y = _ints(rng, M.shape[1]), _ints(rng, M.shape[0])
    X, Y = _ints(rng, M.shape[1], 3), _ints(rng, M.shape[0], 2)
    np.testing.assert_array_equal(A @ x, M @ x)
    np.testing.assert_array_equal(A.matvec(x[:, None]), (M @ x)[:, None])
    np.testing.assert_array_equal(A.H @ y, M.T @ y)
    np.testing.assert_array_equal(A.rmatvec(y), M.T @ y)
    np.testing.assert_array_equal(A @ X, M @ X)
    np.testing.assert_array_equal(A.H @ Y, M.T @ Y)
    np.testing.assert_array_equal(A.rmatmat(Y), M.T @ Y)
    np.testing.assert_array_equal(A.T @ y, M.T @ y)


@given(case=any_case, seed=SEED)
def test_dot_test_exact(case, seed):
    """⟨A u, v⟩ = ⟨u, Aᴴ v⟩ exactly, for integer and for complex-integer weights."""
    _, w, _ = case.arrays(seed)
    rng = np.random.default_rng(seed)
    A = _operator(case, w)
    u, v = _ints(rng, A.shape[1]), _ints(rng, A.shape[0])
    assert int(np.dot(A @ u, v)) == int(np.dot(u, A.H @ v))
    wc = w + 1j * np.roll(w, 1)
    Ac = _operator(case, wc)
    assert Ac.dtype == np.complex128
    uc, vc = u + 1j * np.roll(u, 1), v - 2j * np.roll(v, 2)
    assert np.vdot(vc, Ac @ uc) == np.vdot(Ac.H @ vc, uc)
    np.testing.assert_array_equal(Ac.H @ vc, _matrix(case, wc).conj().T @ vc)


@given(case=cases(kind="conv", modes=MODES, asymmetric=True), seed=SEED)
def test_conv_operator_is_torch_conv_and_vjp(torch, case, seed):
    _, w, _ = case.arrays(seed, np.float64)
    rng = np.random.default_rng(seed)
    A = conv_operator(w, case.input_shape, **case.kwargs)
    x = _ints(rng, *case.input_shape).astype(np.float64)
    z = torch.from_numpy(x[None]).requires_grad_(True)
    out = oracles.padded_conv(torch, case, z, w)
    np.testing.assert_array_equal(A @ x.ravel(), out.detach().numpy().ravel())
    y = _ints(rng, A.shape[0]).astype(np.float64)
    out.backward(torch.from_numpy(y.reshape(out.shape)))
    np.testing.assert_array_equal(A.H @ y, z.grad.numpy().ravel())


@given(case=cases(kind="transpose", output_size=True), seed=SEED)
def test_conv_transpose_operator_is_torch(torch, case, seed):
    x, w, _ = case.arrays(seed, np.float64)
    x = x if case.batch is None else x[0]
    one = Case(case.kind, case.weight_shape, case.input_shape, None, case.kwargs)
    A = conv_transpose_operator(w, case.input_shape, **case.kwargs)
    np.testing.assert_array_equal(A @ x.ravel(), oracles.conv_transpose(torch, one, x, w, None).ravel())


def test_dtype_and_spec():
    w = np.arange(6).reshape(1, 2, 3)
    A = conv_operator(w, (2, 5), padding="same", dtype=np.float32)
    assert A.dtype == np.float32 and (A @ np.ones(10, np.float32)).dtype == np.float32
    assert A.spec == tcm.conv_spec(w.shape, (2, 5), padding="same")
    B = conv_transpose_operator(w.reshape(2, 1, 3), (2, 4), stride=2, groups=2)
    assert B.spec == tcm.conv_transpose_spec((2, 1, 3), (2, 4), stride=2, groups=2)
    assert B.shape == (2 * 9, 2 * 4)
    with pytest.raises(tcm.ConvolutionSpecError, match="stride must be positive"):
        conv_operator(w, (2, 5), stride=0)


def test_lsqr_deconvolution_matches_dense_least_squares():
    """lsqr through the operator finds the least-squares solution of the dense problem."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 2, 3, 3))
    A = conv_operator(w, (2, 6, 6), padding=1, padding_mode="reflect")
    x_true = rng.standard_normal(A.shape[1])
    b = A @ x_true
    x_hat = lsqr(A, b, atol=1e-14, btol=1e-14, iter_lim=2000)[0]
    reference = np.linalg.lstsq(
        tcm.conv_matrix(w, (2, 6, 6), padding=1, padding_mode="reflect").toarray(), b
    )[0]
    np.testing.assert_allclose(x_hat, reference, atol=1e-8)
    # Overdetermined: the transposed convolution's operator (full column rank).
    T = conv_transpose_operator(w, (2, 4, 4), stride=2)
    y = T @ x_true[:32]
    x_hat = lsqr(T, y, atol=1e-14, btol=1e-14)[0]
    np.testing.assert_allclose(x_hat, x_true[:32], atol=1e-8)


# ---------------------------------------------------------------------------
# Size guard
# ---------------------------------------------------------------------------


def _csr_bytes(C: sp.csr_array) -> int:
    return C.data.nbytes + C.indices.nbytes + C.indptr.nbytes


def _build(case: Case, w: np.ndarray, **kw) -> sp.csr_array:
    if case.kind == "conv":
        return tcm.conv_matrix(w, case.input_shape, **case.kwargs, **kw)
    return tcm.conv_transpose_matrix(w, case.input_shape, **case.kwargs, **kw)


both_kinds = st.one_of(
    cases(kind="conv", modes=MODES, asymmetric=True),
    cases(kind="transpose", modes=MODES, asymmetric=True),
    cases(kind="transpose", output_size=True),
)


@given(case=both_kinds, seed=SEED, dtype=st.sampled_from([np.float64, np.float32, np.int16]))
def test_size_estimate_is_exact(case, seed, dtype):
    """The estimate, made before building, is the exact nnz and CSR size, in every padding mode."""
    _, w, _ = case.arrays(seed, dtype)
    C = _build(case, w, max_nnz=None)
    assert C.dtype == dtype
    np.testing.assert_array_equal(_build(case, w, max_nnz=C.nnz).toarray(), C.toarray())
    if C.nnz:
        with pytest.raises(MatrixTooLargeError) as info:
            _build(case, w, max_nnz=C.nnz - 1)
        assert (info.value.nnz, info.value.nbytes, info.value.max_nnz) == (C.nnz, _csr_bytes(C), C.nnz - 1)


def test_size_guard_message():
    w = np.ones((4, 4, 3, 3))
    C = tcm.conv_matrix(w, (4, 8, 8), padding=1)
    assert C.nnz == 4 * 4 * (6 * 3 + 2 * 2) ** 2
    expected = (
        "conv_matrix: C would have 7,744 nonzeros, 93,956 bytes as CSR (94.0 kB: float64 data, int32 "
        "indices), over max_nnz=1,000; apply it without building it with tconvmat.conv_operator(...) "
        "(a scipy LinearOperator), build it in pieces with rows=slice(start, stop), or pass max_nnz=None"
    )
    assert _csr_bytes(C) == 7744 * (8 + 4) + 257 * 4 == 93_956
    with pytest.raises(MatrixTooLargeError) as info:
        tcm.conv_matrix(w, (4, 8, 8), padding=1, max_nnz=1000)
    assert str(info.value) == expected
    assert isinstance(info.value, tcm.ConvolutionSpecError) and isinstance(info.value, ValueError)
    with pytest.raises(
        MatrixTooLargeError,
        match=r"^conv_transpose_matrix: rows 0:10 of C would have 236 nonzeros.*tconvmat\.conv_transpose_operator",
    ):
        tcm.conv_transpose_matrix(w, (4, 8, 8), padding=1, rows=slice(10), max_nnz=10)


def test_size_guard_refuses_before_building():
    """~10¹⁴ nonzeros: only a guard that estimates first can answer at all."""
    w = np.ones((64, 64, 3, 3, 3), dtype=np.float32)
    nnz = 64 * 64 * (1022 * 3 + 2 * 2) ** 3  # interior rows read 3 taps per axis, the 2 border rows 2
    with pytest.raises(MatrixTooLargeError, match=rf"C would have {nnz:,} nonzeros.*\(1422\.7 TB:") as info:
        tcm.conv_matrix(w, (64, 1024, 1024, 1024), padding=1)
    assert info.value.nnz == nnz
    assert info.value.nbytes == info.value.nnz * (4 + 8) + (64 * 1024**3 + 1) * 8  # int64 indices
    assert info.value.max_nnz == DEFAULT_MAX_NNZ == 2**28


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"max_nnz": -1}, "max_nnz must be a non-negative integer or None; got max_nnz=-1"),
        ({"max_nnz": 1.5}, "max_nnz must be a non-negative integer or None; got max_nnz=1.5"),
        ({"rows": slice(0, 4, 2)}, r"rows must be a slice with step 1 .*; got rows=slice\(0, 4, 2\)"),
        ({"rows": [0, 1]}, r"rows must be a slice with step 1 .*; got rows=\[0, 1\]"),
    ],
)
def test_bad_guard_arguments(kw, match):
    with pytest.raises(tcm.ConvolutionSpecError, match=match):
        tcm.conv_matrix(np.ones((1, 1, 3)), (1, 5), **kw)


# ---------------------------------------------------------------------------
# Row blocks
# ---------------------------------------------------------------------------


@given(case=both_kinds, seed=SEED, cuts=st.lists(st.floats(0, 1), max_size=5))
def test_row_blocks_stack_to_the_matrix(case, seed, cuts):
    _, w, _ = case.arrays(seed)
    C = _build(case, w)
    n = C.shape[0]
    edges = [0, *sorted(int(c * n) for c in cuts), n]
    blocks = []
    for a, b in itertools.pairwise(edges):
        B = _build(case, w, rows=slice(a, b))
        B.check_format(full_check=True)
        assert B.shape == (b - a, C.shape[1]) and B.has_canonical_format
        np.testing.assert_array_equal(B.toarray(), C[a:b].toarray())
        assert B.nnz == C[a:b].nnz  # the same stored entries, explicit zeros included
        blocks.append(B)
    S = sp.vstack(blocks, format="csr")
    np.testing.assert_array_equal(S.indptr, C.indptr)
    np.testing.assert_array_equal(S.indices, C.indices)
    np.testing.assert_array_equal(S.data, C.data)


@given(
    case=both_kinds, seed=SEED, start=st.integers(-40, 40) | st.none(), stop=st.integers(-40, 40) | st.none()
)
def test_row_block_is_c_sliced(case, seed, start, stop):
    """Python slice semantics (negative, open, empty, past the end), and the guard on the block."""
    _, w, _ = case.arrays(seed)
    C = _build(case, w)
    B = _build(case, w, rows=slice(start, stop))
    assert B.shape == C[start:stop].shape
    np.testing.assert_array_equal(B.toarray(), C[start:stop].toarray())
    assert _build(case, w, rows=slice(start, stop), max_nnz=B.nnz).nnz == B.nnz
    if B.nnz:
        with pytest.raises(MatrixTooLargeError):
            _build(case, w, rows=slice(start, stop), max_nnz=B.nnz - 1)


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), data=st.data())
def test_boxes_cover_a_row_major_range_in_order(shape, data):
    from tconvmat._core.csr import _boxes

    n = math.prod(shape)
    lo = data.draw(st.integers(0, n))
    hi = data.draw(st.integers(lo, n))
    boxes = _boxes(lo, hi, tuple(shape))
    assert len(boxes) <= 2 * len(shape) - 1
    flat = [
        int(np.ravel_multi_index(tuple(a + o for a, o in zip(start, idx)), shape))
        for start, size in boxes
        for idx in np.ndindex(*size)
    ]
    assert flat == list(range(lo, hi))


def test_a_small_row_block_costs_what_it_holds():
    """rows=slice(0, 10) of a 16→16, 8×256×256, 3³ matrix: a few hundred entries, so a few
    hundred kB at most, not the 679 MB of building the whole first 256×256 slab's pattern."""
    import tracemalloc

    w = np.ones((16, 16, 3, 3, 3))
    tracemalloc.start()
    try:
        B = tcm.conv_matrix(w, (16, 8, 256, 256), padding=1, rows=slice(0, 10))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert B.shape == (10, 16 * 8 * 256 * 256) and B.nnz == 16 * (8 + 8 * 12 + 12)
    assert peak < 2**20


def test_rows_must_be_integers():
    with pytest.raises(tcm.ConvolutionSpecError, match="rows must be a slice of integers"):
        tcm.conv_matrix(np.ones((1, 1, 3)), (1, 5), rows=slice(1.0, 3))


# ---------------------------------------------------------------------------
# Validation shared with the other entry points
# ---------------------------------------------------------------------------

E = tcm.ConvolutionSpecError


def test_no_input_channels_refused_as_conv_refuses_it():
    """The operator used to refuse a (2, 0, 3) weight in transposed-convolution terms while
    conv, conv_matrix and conv_spec accepted it; now all refuse it with conv's message."""
    messages = set()
    for call in (
        lambda: conv_operator(np.ones((2, 0, 3)), (0, 5)),
        lambda: tcm.conv(np.ones((1, 0, 5)), np.ones((2, 0, 3))),
        lambda: tcm.conv_matrix(np.ones((2, 0, 3)), (0, 5)),
        lambda: tcm.conv_spec((2, 0, 3), (0, 5)),
    ):
        with pytest.raises(
            E, match=r"^weight must have at least one input channel per group \(axis 1\)"
        ) as info:
            call()
        messages.add(str(info.value))
    assert messages == {
        "weight must have at least one input channel per group (axis 1); got weight shape (2, 0, 3) "
        "(PyTorch returns an output with 0 channels here, not out_channels=2)"
    }


@pytest.mark.parametrize("make", [conv_operator, conv_transpose_operator])
@pytest.mark.parametrize(
    ("weight", "dtype", "match"),
    [
        (
            np.ones((1, 1, 3)),
            "foo",
            r"^dtype must be a NumPy dtype \(integer, floating or complex\); got dtype='foo'$",
        ),
        (np.ones((1, 1, 3)), 0, r"^dtype must be a NumPy dtype .*got dtype=0$"),
        (
            np.ones((1, 1, 3)),
            bool,
            r"^dtype must be an integer, floating or complex dtype; got dtype=<class 'bool'> \(bool\)$",
        ),
        (
            np.ones((1, 1, 3)),
            "U3",
            r"^dtype must be an integer, floating or complex dtype; got dtype='U3' \(<U3\)$",
        ),
        (np.ones((1, 1, 3)), object, r"^dtype must be an integer, floating or complex dtype"),
        (
            np.array([[[1j, 1, 1]]]),
            np.float64,
            r"^dtype must hold the weight values without changing them beyond rounding \(complex to real drops "
            r"the imaginary part.*got dtype=float64 for weight dtype complex128$",
        ),
        (np.array([[[0.5, 1, 1]]]), np.int64, r"got dtype=int64 for weight dtype float64$"),
        (np.array([[[-1, 1, 1]]]), np.uint8, r"got dtype=uint8 for weight dtype int64$"),
        (np.array([[[1e300, 1, 1]]]), np.float32, r"got dtype=float32 for weight dtype float64$"),
    ],
)
def test_bad_dtype_refused(make, weight, dtype, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning / overflow warning on the way
        with pytest.raises(E, match=match):
            make(weight, (1, 5), dtype=dtype)


@pytest.mark.parametrize(
    ("weight", "dtype"),
    [
        (np.array([[[1.0, -2.0, 3.0]]]), np.int64),  # whole numbers: exact
        (np.array([[[1 + 0j, -2, 3]]]), np.float64),  # no imaginary part to lose
        (np.array([[[1, -2, 3]]]), np.complex128),
        (np.array([[[0.1, -2, 3]]]), np.float32),  # rounding is what float32 asks for
    ],
)
def test_value_keeping_dtype_casts_match_torch(torch, weight, dtype):
    A = conv_operator(weight, (1, 5), padding=1, dtype=dtype)
    assert A.dtype == dtype
    x = np.arange(5).astype(dtype)
    tw = torch.from_numpy(weight.astype(np.complex128))  # the values the cast must keep
    expected = torch.nn.functional.conv1d(
        torch.from_numpy(x.astype(np.complex128)).reshape(1, 1, 5), tw, padding=1
    )
    np.testing.assert_allclose(A @ x, expected.numpy().ravel(), rtol=1e-6)
