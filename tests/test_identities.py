"""Gradient, im2col, sub-pixel, checkerboard and Gram identities against PyTorch and exact algebra."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat import identities as ids

from . import oracles
from .cases import Case, cases


def _conv_kwargs(case: Case) -> dict:
    return {k: v for k, v in case.kwargs.items() if k != "output_padding"}


@given(case=cases(kind="conv", ndims=(2,), max_channels=2), seed=st.integers(0, 2**32 - 1))
def test_im2col_matrix_is_torch_unfold(torch, case, seed):
    kw = case.kwargs
    x, _, _ = case.arrays(seed, np.float64)
    x1 = x if case.batch is None else x[0]
    U = ids.im2col_matrix(
        case.input_shape,
        case.weight_shape[2:],
        kw.get("stride", 1),
        kw.get("padding", 0),
        kw.get("dilation", 1),
    )
    expected = torch.nn.functional.unfold(
        torch.from_numpy(x1)[None],
        case.weight_shape[2:],
        dilation=kw.get("dilation", 1),
        padding=kw.get("padding", 0),
        stride=kw.get("stride", 1),
    ).numpy()
    np.testing.assert_array_equal(U @ x1.ravel(), expected.ravel())


@given(case=cases(kind="conv", asymmetric=True), seed=st.integers(0, 2**32 - 1))
def test_conv_is_weight_times_im2col(case, seed):
    kw = {**case.kwargs, "groups": 1}
    c_in = case.input_shape[0]
    case = Case("conv", (case.weight_shape[0], c_in, *case.weight_shape[2:]), case.input_shape, None, kw)
    x, w, _ = case.arrays(seed)
    U = ids.im2col_matrix(
        case.input_shape, w.shape[2:], kw.get("stride", 1), kw.get("padding", 0), kw.get("dilation", 1)
    )
    X = (U @ x.ravel()).reshape(c_in * int(np.prod(w.shape[2:])), -1)
    y = tcm.conv(x, w, **kw)
    np.testing.assert_array_equal(w.reshape(w.shape[0], -1) @ X, y.reshape(w.shape[0], -1))
    # and the weight gradient is g · Xᵀ
    g = np.random.default_rng(seed).integers(-3, 4, y.shape)
    dw = ids.conv_weight_grad(x, g, w.shape, **kw)
    np.testing.assert_array_equal(dw.reshape(w.shape[0], -1), g.reshape(w.shape[0], -1) @ X.T)


@given(case=cases(kind="conv", asymmetric=False), seed=st.integers(0, 2**32 - 1))
def test_gradients_match_torch_nn_grad(torch, case, seed):
    x, w, _ = case.arrays(seed, np.float64)
    xb = x if case.batch is not None else x[None]
    kw = case.kwargs
    y = tcm.conv(xb, w, **kw)
    g = np.random.default_rng(seed).integers(-3, 4, y.shape).astype(np.float64)
    n = case.ndim
    tkw = {k: v for k, v in kw.items() if k in ("stride", "padding", "dilation", "groups")}
    t = torch.from_numpy
    gx = getattr(torch.nn.grad, f"conv{n}d_input")(xb.shape, t(w), t(g), **tkw).numpy()
    gw = getattr(torch.nn.grad, f"conv{n}d_weight")(t(xb), w.shape, t(g), **tkw).numpy()
    np.testing.assert_array_equal(ids.conv_input_grad(g, w, case.input_shape, **kw), gx)
    np.testing.assert_array_equal(ids.conv_weight_grad(xb, g, w.shape, **kw), gw)


@given(
    case=cases(kind="conv", modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_input_gradient_is_the_autograd_vjp(torch, case, seed):
    """conv_transpose(g; W) = ∂⟨conv(x; W), g⟩/∂x, for every padding mode."""
    x, w, _ = case.arrays(seed, np.float64)
    xb = x if case.batch is not None else x[None]
    xt = torch.from_numpy(xb.copy()).requires_grad_(True)
    y = torch.from_numpy(tcm.conv(xb, w, **case.kwargs))
    g = torch.from_numpy(np.random.default_rng(seed).integers(-3, 4, tuple(y.shape)).astype(np.float64))
    one = Case("conv", case.weight_shape, case.input_shape, xb.shape[0], case.kwargs)
    yt = oracles.padded_conv(torch, one, xt, w)
    (grad,) = torch.autograd.grad(yt, xt, g)
    np.testing.assert_array_equal(
        ids.conv_input_grad(g.numpy(), w, case.input_shape, **case.kwargs), grad.numpy()
    )


@given(case=cases(asymmetric=True), seed=st.integers(0, 2**32 - 1))
def test_subpixel_equals_conv_transpose(case, seed):
    x, w, _ = case.arrays(seed)
    kw = {k: v for k, v in case.kwargs.items() if k != "padding_mode"}
    dec = ids.subpixel(w, case.input_shape, **kw)
    assert len(dec.phases) == int(np.prod(dec.spec.stride))
    np.testing.assert_array_equal(dec.apply(x), tcm.conv_transpose(x, w, **kw))


@given(
    r=st.integers(1, 3),
    K=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    L=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    p=st.integers(0, 2),
    d=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_subpixel_is_pixel_shuffle_of_stacked_phase_convs(torch, r, K, L, p, d, seed):
    """Shi et al.: stack the r² stride-1 convolutions and pixel-shuffle them."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-3, 4, (2, 3, *K)).astype(np.float64)
    x = rng.integers(-3, 4, (1, 2, *L)).astype(np.float64)
    try:
        dec = ids.subpixel(w, x.shape[1:], stride=r, padding=p, dilation=d)
    except tcm.ConvolutionSpecError:
        return
    q = [-(-B // r) for B in dec.full_size]
    stacked = np.zeros((1, 3, r, r, *q))
    for ph, y in zip(dec.phases, dec.phase_outputs(x)):
        stacked[:, :, ph.phase[0], ph.phase[1], : y.shape[2], : y.shape[3]] = y
    shuffled = torch.nn.functional.pixel_shuffle(
        torch.from_numpy(stacked.reshape(1, 3 * r * r, *q)), r
    ).numpy()
    B = dec.full_size
    y = shuffled[:, :, p : B[0] - p, p : B[1] - p]
    expected = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(w), stride=r, padding=p, dilation=d
    ).numpy()
    np.testing.assert_array_equal(y, expected)


@given(K=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3))
def test_overlap_counts_are_the_matrix_column_counts(K, s, d):
    L = 12
    C = tcm.conv_transpose_matrix(np.ones((1, 1, K), np.int64), (1, L), stride=s, dilation=d)
    per_column = np.diff(C.tocsc().indptr)
    counts = ids.overlap_counts(K, s, d)
    reach = d * (K - 1)
    interior = np.arange(reach, (L - 1) * s + 1)  # positions every tap can reach
    np.testing.assert_array_equal(per_column[interior], counts[interior % s])
    if d == 1:
        assert (np.unique(counts).size == 1) == (K % s == 0)


def test_checkerboard_uniform_iff_stride_divides_kernel():
    for K in range(1, 9):
        for s in range(1, 5):
            assert (np.unique(ids.overlap_counts(K, s)).size == 1) == (K % s == 0)


def test_resize_conv_has_uniform_overlap_where_transpose_does_not():
    w = np.ones((1, 1, 3, 3), np.int64)
    M = ids.resize_conv_matrix(w, (1, 6, 6), 2, padding=1)
    interior = M.sum(axis=1).reshape(12, 12)[2:-2, 2:-2]
    assert np.unique(interior).tolist() == [9]
    C = tcm.conv_transpose_matrix(w, (1, 6, 6), stride=2, padding=1, output_padding=1)
    t_interior = C.sum(axis=0).reshape(12, 12)[2:-2, 2:-2]
    assert np.unique(t_interior).tolist() == [1, 2, 4]  # the checkerboard


@given(
    c_out=st.integers(1, 3),
    c_in=st.integers(1, 3),
    K=st.integers(1, 4),
    L=st.integers(4, 7),
    d=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
    two_d=st.booleans(),
)
def test_gram_spectrum_is_the_eigenvalues_of_C_Ct(c_out, c_in, K, L, d, seed, two_d):
    reach = d * (K - 1)
    if reach > L:
        return
    kernel = (K, 2) if two_d else (K,)
    size = (L, 3) if two_d else (L,)
    pads = ((reach // 2, reach - reach // 2), (0, 1)) if two_d else ((reach // 2, reach - reach // 2),)
    dil = (d, 1) if two_d else d
    w = np.random.default_rng(seed).integers(-3, 4, (c_out, c_in, *kernel)).astype(np.float64)
    C = tcm.conv_matrix(w, (c_in, *size), padding=pads, dilation=dil, padding_mode="circular").toarray()
    expected = np.sort(np.linalg.eigvalsh(C @ C.T))
    got = ids.gram_spectrum(w, (c_in, *size), padding=pads, dilation=dil)
    np.testing.assert_allclose(got[-len(expected) :], expected, atol=1e-9)


@given(seed=st.integers(0, 2**32 - 1), s1=st.integers(1, 3), s2=st.integers(1, 3))
def test_transposes_compose_in_reverse(seed, s1, s2):
    """(C_B C_A)ᵀ = C_Aᵀ C_Bᵀ: the transpose of conv_B ∘ conv_A is conv_transpose_A ∘ conv_transpose_B."""
    rng = np.random.default_rng(seed)
    wa = rng.integers(-3, 4, (3, 2, 3))
    wb = rng.integers(-3, 4, (2, 3, 2))
    x_shape = (2, 11)
    A = tcm.conv_matrix(wa, x_shape, stride=s1, padding=1)
    mid = tcm.conv_spec(wa.shape, x_shape, stride=s1, padding=1).output_shape
    B = tcm.conv_matrix(wb, mid, stride=s2)
    y = rng.integers(-3, 4, B.shape[0])
    composed = sp.csr_array(B @ A).T @ y
    out_b = tcm.conv_spec(wb.shape, mid, stride=s2).output_shape
    t_b = ids.conv_input_grad(y.reshape(out_b), wb, mid, stride=s2)
    t_a = ids.conv_input_grad(t_b, wa, x_shape, stride=s1, padding=1)
    np.testing.assert_array_equal(t_a.ravel(), composed)


def test_grad_errors():
    with pytest.raises(tcm.ConvolutionSpecError, match="grad_output must have shape"):
        ids.conv_weight_grad(np.ones((1, 1, 4)), np.ones((1, 1, 3)), (1, 1, 3))
    with pytest.raises(tcm.ConvolutionSpecError, match="gram_spectrum needs"):
        ids.gram_spectrum(np.ones((1, 1, 3)), (1, 5))


# ---------------------------------------------------------------------------
# Validation: the spec's rules and messages, never a NumPy or Python error
# ---------------------------------------------------------------------------

E = tcm.ConvolutionSpecError
W3 = np.ones((1, 1, 3))


@pytest.mark.parametrize(
    ("args", "kw", "match"),
    [
        ((3, 0), {}, r"^stride must be positive on every axis; got stride=\(0,\) \(axis 0\)$"),
        ((3, -1), {}, r"^stride must be positive on every axis; got stride=\(-1,\) \(axis 0\)$"),
        ((0, 2), {}, r"^kernel_size must be positive on every axis; got kernel_size=\(0,\) \(axis 0\)$"),
        ((3, 2, 0), {}, r"^dilation must be positive on every axis; got dilation=\(0,\) \(axis 0\)$"),
        (((3, 3), (2, 0)), {}, r"stride must be positive on every axis; got stride=\(2, 0\) \(axis 1\)"),
        ((3, 1.5), {}, r"stride must be an integer or a sequence of integers; got stride=1.5"),
        ((3, True), {}, r"stride must be an integer; got stride=True"),
        ((3, 2), {"ndim": 0}, r"^ndim must be a positive integer; got ndim=0$"),
        ((3, 2), {"ndim": 1.5}, r"^ndim must be a positive integer; got ndim=1.5$"),
        ((3, 2), {"ndim": "2"}, r"^ndim must be a positive integer; got ndim='2'$"),
        (((3, 3), 2), {"ndim": 1}, r"kernel_size must be a single integer or a sequence of 1 integers"),
        ((3, 2), {"ndim": 65}, r"at most 64 \(NumPy.s limit\); got 65 axes"),
        ((3, 2), {"ndim": 2**70}, r"^ndim must be a positive integer; got ndim=1180591620717411303424$"),
        (
            ((),),
            {},
            r"overlap_counts needs at least one axis and at most 64 \(NumPy.s limit\); got 0 axes from kernel_size=\(\)",
        ),
    ],
)
def test_overlap_counts_refusals(args, kw, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero warning on the way
        with pytest.raises(E, match=match):
            ids.overlap_counts(*args, **kw)


def test_overlap_counts_reads_the_axes_from_any_sequence():
    np.testing.assert_array_equal(ids.overlap_counts(3, (2, 1)), [[6], [3]])  # K = 3 on both axes
    np.testing.assert_array_equal(ids.overlap_counts(np.array([3, 3]), 2), [[4, 2], [2, 1]])
    np.testing.assert_array_equal(ids.overlap_counts(3, 2, ndim=2), [[4, 2], [2, 1]])


SHAPE_REFUSALS = [  # (input_shape, message) for every function that takes one
    ("16", r"input_shape must be a sequence of integers; got input_shape='16'"),
    (6.5, r"input_shape must be a sequence of integers; got input_shape=6.5"),
    (4, r"input_shape must be a sequence of integers; got input_shape=4"),
    (None, r"input_shape must be a sequence of integers; got input_shape=None"),
    ((1, 6.5), r"input_shape must be an integer or a sequence of integers; got input_shape=6.5"),
    ((True, 6), r"input_shape must be an integer; got input_shape=True"),
    ((1, "6"), r"input_shape must be an integer or a sequence of integers; got input_shape='6'"),
    (np.array([1.0, 6.0]), r"input_shape must be an integer or a sequence of integers"),
    ([[1, 6]], r"input_shape must be an integer or a sequence of integers; got input_shape=\[1, 6\]"),
]

SHAPE_TAKERS = {
    "im2col_matrix": lambda s: ids.im2col_matrix(s, 3),
    "conv_input_grad": lambda s: ids.conv_input_grad(np.ones((1, 4)), W3, s),
    "resize_conv_matrix": lambda s: ids.resize_conv_matrix(W3, s, 2),
    "gram_spectrum": lambda s: ids.gram_spectrum(np.ones((1, 1, 2)), s, padding=((1, 0),)),
    "subpixel": lambda s: ids.subpixel(W3, s, stride=2),
}


@pytest.mark.parametrize("fn", sorted(SHAPE_TAKERS))
@pytest.mark.parametrize(("shape", "match"), SHAPE_REFUSALS)
def test_shapes_are_never_coerced(fn, shape, match):
    """``"16"`` is not ``(1, 6)`` and ``6.5`` is not ``6``: the spec's reading of a shape, everywhere."""
    with pytest.raises(E, match=match):
        SHAPE_TAKERS[fn](shape)


@pytest.mark.parametrize(
    ("fn", "shape", "match"),
    [
        (
            "im2col_matrix",
            (),
            r"^input_shape must be \(channels, \*spatial\) with at least one spatial axis; got input_shape=\(\)$",
        ),
        ("im2col_matrix", (3,), r"with at least one spatial axis; got input_shape=\(3,\)$"),
        (
            "im2col_matrix",
            (1, 0),
            r"^input size must be positive on every spatial axis; got input size=\(0,\) \(axis 0\)$",
        ),
        ("im2col_matrix", (0, 5), r"^input channels must be positive for im2col; got input_shape=\(0, 5\)$"),
        ("resize_conv_matrix", (), r"with at least one spatial axis; got input_shape=\(\)$"),
        (
            "resize_conv_matrix",
            (1, -4),
            r"^input size must be positive on every spatial axis; got input size=\(-4,\)",
        ),
        (
            "resize_conv_matrix",
            (1, 0),
            r"^input size must be positive on every spatial axis; got input size=\(0,\)",
        ),
        (
            "resize_conv_matrix",
            (2, 4),
            r"weight must have shape \(C_out, C_in, \*K\) with C_in = input channels = 2",
        ),
        ("resize_conv_matrix", (1, 4, 4), r"and 2 kernel axes; got weight shape \(1, 1, 3\)"),
        ("conv_input_grad", (1, 6, 6), r"input_shape must be \(channels, \*spatial\) with 1 spatial axes"),
    ],
)
def test_bad_input_shapes_name_the_rule(fn, shape, match):
    with pytest.raises(E, match=match):
        SHAPE_TAKERS[fn](shape)


def test_im2col_refuses_zero_channels_as_unfold_does(torch):
    with pytest.raises(RuntimeError):
        torch.nn.functional.unfold(torch.ones(1, 0, 5, 5), 3)
    with pytest.raises(E, match=r"input channels must be positive for im2col"):
        ids.im2col_matrix((0, 5, 5), 3)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        (
            {"kernel_size": 0},
            r"^kernel_size must be positive on every axis; got kernel_size=\(0,\) \(axis 0\)$",
        ),
        ({"kernel_size": -3}, r"^kernel_size must be positive on every axis; got kernel_size=\(-3,\)"),
        (
            {"kernel_size": "3"},
            r"kernel_size must be an integer or a sequence of integers; got kernel_size='3'",
        ),
        ({"stride": 0}, r"stride must be positive on every axis; got stride=\(0,\)"),
    ],
)
def test_im2col_parameter_refusals(kw, match):
    kw = {"kernel_size": 3, **kw}
    with pytest.raises(E, match=match):
        ids.im2col_matrix((1, 5), **kw)


@pytest.mark.parametrize(
    ("scale", "match"),
    [
        (0, r"^scale must be positive on every axis; got scale=\(0,\) \(axis 0\)$"),
        ((2, -1), r"^scale must be positive on every axis; got scale=\(2, -1\) \(axis 1\)$"),
        (1.5, r"scale must be an integer or a sequence of integers; got scale=1.5"),
    ],
)
def test_resize_scale_refusals(scale, match):
    w = np.ones((1, 1, 3)) if np.ndim(scale) == 0 else np.ones((1, 1, 3, 3))
    with pytest.raises(E, match=match):
        ids.resize_conv_matrix(w, (1,) + (4,) * (w.ndim - 2), scale)


def test_grad_output_must_have_the_output_shape(torch):
    """torch.nn.grad.conv1d_input refuses a grad_output of the wrong size; so does tconvmat
    (before, the transposed convolution's output_size check answered in its own terms)."""
    with pytest.raises(RuntimeError):
        torch.nn.grad.conv1d_input((1, 1, 5), torch.ones(1, 1, 3), torch.ones(1, 1, 4))
    with pytest.raises(
        E,
        match=r"^grad_output must have the convolution's output shape \(N, \*\(1, 3\)\) or \(1, 3\); got grad_output shape \(1, 1, 4\)$",
    ):
        ids.conv_input_grad(np.ones((1, 1, 4)), W3, (1, 5))
    with pytest.raises(
        E, match=r"grad_output must have the convolution's output shape .*got grad_output shape \(2, 3\)"
    ):
        ids.conv_input_grad(np.ones((2, 3)), W3, (1, 5))
    expected = torch.nn.grad.conv1d_input(
        (1, 1, 5), torch.ones(1, 1, 3, dtype=torch.float64), torch.ones(1, 1, 3, dtype=torch.float64)
    )
    np.testing.assert_array_equal(ids.conv_input_grad(np.ones((1, 1, 3)), W3, (1, 5)), expected.numpy())


@pytest.mark.parametrize(
    ("weight_shape", "match"),
    [
        (3, r"^weight_shape must be a sequence of integers; got weight_shape=3$"),
        ("113", r"^weight_shape must be a sequence of integers; got weight_shape='113'$"),
        (
            (1, 1),
            r"^weight_shape must have at least 3 entries \(C_out, C_in/groups, \*kernel\); got weight_shape=\(1, 1\)$",
        ),
        ((1, 1, 3.0), r"weight_shape must be an integer or a sequence of integers; got weight_shape=3.0"),
    ],
)
def test_conv_weight_grad_weight_shape_refusals(weight_shape, match):
    with pytest.raises(E, match=match):
        ids.conv_weight_grad(np.ones((1, 1, 5)), np.ones((1, 1, 3)), weight_shape)


@pytest.mark.parametrize(
    ("bias", "match"),
    [
        (np.arange(5), r"^bias must be 1-d with out_channels=1 elements; got bias shape \(5,\)$"),
        (np.ones((1, 1)), r"^bias must be 1-d with out_channels=1 elements; got bias shape \(1, 1\)$"),
        (np.array(["a"]), r"^bias must hold numbers"),
        (np.array([True]), r"^bias must hold numbers .*got dtype bool"),
    ],
)
def test_subpixel_bias_is_checked_like_conv_transpose(bias, match):
    dec = ids.subpixel(W3, (1, 4), stride=2)
    with pytest.raises(E, match=match):
        dec.apply(np.ones((1, 4)), bias=bias)
    with pytest.raises(E, match=match):
        tcm.conv_transpose(np.ones((1, 4)), W3, bias=bias, stride=2)


@given(case=cases(asymmetric=True), seed=st.integers(0, 2**32 - 1))
def test_subpixel_with_bias_is_torch(torch, case, seed):
    x, w, b = case.arrays(seed, dtype=np.float64, bias=True)
    kw = {k: v for k, v in case.kwargs.items() if k != "padding_mode"}
    got = ids.subpixel(w, case.input_shape, **kw).apply(x, bias=b)
    np.testing.assert_array_equal(got, tcm.conv_transpose(x, w, b, **kw))
    one = Case(case.kind, case.weight_shape, case.input_shape, case.batch, kw)
    np.testing.assert_array_equal(got, oracles.conv_transpose(torch, one, x, w, b))


def test_subpixel_phase_outputs_check_the_input_shape():
    dec = ids.subpixel(W3, (1, 4), stride=2)
    for x in (np.ones((1, 7)), np.ones((2, 4))):
        with pytest.raises(E, match=r"^input must have shape \(N, \*\(1, 4\)\) or \(1, 4\); got input shape"):
            dec.phase_outputs(x)


def test_gram_spectrum_of_a_complex_weight_is_that_of_C_CH():
    """``[[[1, 1j]]]``, input (1, 4), padding ((1, 0),): Ŵ(ω) = e^{−2πiω/4} + i, so |Ŵ|² = 2, 0, 2, 4."""
    w = np.array([[[1, 1j]]])
    C = tcm.conv_matrix(w, (1, 4), padding=((1, 0),), padding_mode="circular").toarray()
    expected = np.linalg.eigvalsh(C @ C.conj().T)
    np.testing.assert_allclose(expected, [0, 2, 2, 4], atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: the imaginary part is kept
        got = ids.gram_spectrum(w, (1, 4), padding=((1, 0),))
    np.testing.assert_allclose(got, [0, 2, 2, 4], atol=1e-12)


@given(
    c_out=st.integers(1, 3),
    c_in=st.integers(1, 3),
    K=st.integers(1, 4),
    L=st.integers(4, 7),
    d=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_gram_spectrum_of_complex_weights_is_the_eigenvalues_of_C_CH(c_out, c_in, K, L, d, seed):
    reach = d * (K - 1)
    if reach > L:
        return
    pads = ((reach // 2, reach - reach // 2),)
    rng = np.random.default_rng(seed)
    w = rng.integers(-3, 4, (c_out, c_in, K)) + 1j * rng.integers(-3, 4, (c_out, c_in, K))
    C = tcm.conv_matrix(w, (c_in, L), padding=pads, dilation=d, padding_mode="circular").toarray()
    expected = np.sort(np.linalg.eigvalsh(C @ C.conj().T))
    got = ids.gram_spectrum(w, (c_in, L), padding=pads, dilation=d)
    np.testing.assert_allclose(got[-len(expected) :], expected, atol=1e-9)


def test_gram_spectrum_refuses_what_is_not_numbers():
    with pytest.raises(E, match=r"weight has dtype object; this needs numbers"):
        ids.gram_spectrum(np.array([[[1, 1]]], dtype=object), (1, 4), padding=((1, 0),))
