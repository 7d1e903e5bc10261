"""conv / conv_transpose / equivalent_conv against PyTorch and against each other."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat import identities as ids

from . import oracles
from .cases import cases

LEARNER = [  # kernel [1, 1, 1], input [1, 1]: the examples a learner starts with
    (1, [1, 2, 2, 1]),
    (2, [1, 1, 2, 1, 1]),
    (4, [1, 1, 1, 0, 1, 1, 1]),
]
METHODS = ["scatter", "matrix", "flipped"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("stride", "expected"), LEARNER)
def test_learner_examples(stride, expected, method):
    x = np.array([[[1.0, 1.0]]])
    w = np.array([[[1.0, 1.0, 1.0]]])
    y = tcm.conv_transpose(x, w, stride=stride, method=method)
    np.testing.assert_array_equal(y, [[expected]])


@pytest.mark.parametrize(("stride", "expected"), LEARNER)
def test_learner_examples_torch(torch, stride, expected):
    m = torch.nn.ConvTranspose1d(1, 1, 3, stride=stride, bias=False)
    with torch.no_grad():
        m.weight.fill_(1.0)
        assert m(torch.ones(1, 1, 2)).flatten().tolist() == expected


@given(case=cases(kind="conv", asymmetric=True), seed=st.integers(0, 2**32 - 1), bias=st.booleans())
def test_conv_matches_torch(torch, case, seed, bias):
    x, w, b = case.arrays(seed, np.float64, bias)
    np.testing.assert_array_equal(tcm.conv(x, w, b, **case.kwargs), oracles.conv(torch, case, x, w, b))


@given(
    case=cases(kind="conv", modes=("reflect", "replicate", "circular"), asymmetric=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv_padding_modes_match_torch(torch, case, seed):
    x, w, _ = case.arrays(seed, np.float64)
    np.testing.assert_array_equal(tcm.conv(x, w, **case.kwargs), oracles.conv(torch, case, x, w, None))


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("kernel", [(1,), (2,), (3, 4), (2, 3, 2)])
def test_conv_same_matches_torch_module(torch, mode, kernel):
    nd = len(kernel)
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, (2, 2, *(5,) * nd)).astype(np.float64)
    w = rng.integers(-3, 4, (3, 2, *kernel)).astype(np.float64)
    m = getattr(torch.nn, f"Conv{nd}d")(
        2, 3, kernel, padding="same", padding_mode=mode, bias=False, dilation=2, dtype=torch.float64
    )
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(w))
        expected = m(torch.from_numpy(x)).numpy()
    got = tcm.conv(x, w, padding="same", padding_mode=mode, dilation=2)
    np.testing.assert_array_equal(got, expected)


@given(case=cases(asymmetric=True, output_size=True), seed=st.integers(0, 2**32 - 1), bias=st.booleans())
def test_conv_transpose_matches_torch(torch, case, seed, bias):
    x, w, b = case.arrays(seed, np.float64, bias)
    expected = oracles.conv_transpose(torch, case, x, w, b)
    for method in METHODS:
        np.testing.assert_array_equal(tcm.conv_transpose(x, w, b, **case.kwargs, method=method), expected)


@given(
    case=cases(modes=("reflect", "replicate", "circular"), asymmetric=True),
    seed=st.integers(0, 2**32 - 1),
)
def test_conv_transpose_padding_modes_are_the_autograd_vjp(torch, case, seed):
    x, w, _ = case.arrays(seed, np.float64)
    expected = oracles.padded_conv_vjp(torch, case, x, w)
    for method in METHODS:
        np.testing.assert_array_equal(tcm.conv_transpose(x, w, **case.kwargs, method=method), expected)


@given(
    case=cases(modes=("zeros", "reflect", "replicate", "circular"), asymmetric=True, output_size=True),
    seed=st.integers(0, 2**32 - 1),
    bias=st.booleans(),
)
def test_three_routes_agree_exactly_on_integers(case, seed, bias):
    x, w, b = case.arrays(seed, np.int64, bias)
    ys = [tcm.conv_transpose(x, w, b, **case.kwargs, method=m) for m in METHODS]
    spec = case.spec()
    expected_shape = spec.output_shape if case.batch is None else (case.batch, *spec.output_shape)
    for y in ys:
        assert y.dtype == np.int64
        assert y.shape == expected_shape
        np.testing.assert_array_equal(y, ys[0])


@pytest.mark.parametrize("method", METHODS)
def test_crop_past_the_zero_inserted_input(torch, method):
    """padding 2 on one input: the flipped route's left pad is −2, a crop longer than the
    zero-inserted input (found by Hypothesis: cropping first, then padding, gave length 2)."""
    x, w = np.array([[[7.0]]]), np.array([[[3.0]]])
    kw = {"stride": 5, "padding": 2, "output_padding": 4}
    assert tcm.equivalent_conv(w, (1, 1), **kw).pads == ((-2, 2),)
    expected = torch.nn.functional.conv_transpose1d(torch.tensor(x), torch.tensor(w), **kw).numpy()
    assert expected.shape == (1, 1, 1)
    np.testing.assert_array_equal(tcm.conv_transpose(x, w, **kw, method=method), expected)
    np.testing.assert_array_equal(tcm.equivalent_conv(w, (1, 1), **kw).apply(x), expected)


@given(case=cases(asymmetric=True), seed=st.integers(0, 2**32 - 1))
def test_equivalent_conv_apply(case, seed):
    x, w, _ = case.arrays(seed, np.int64)
    kw = {k: v for k, v in case.kwargs.items() if k != "padding_mode"}
    eq = tcm.equivalent_conv(w, case.input_shape, **kw)
    spec = case.spec()
    assert eq.upsample == spec.stride and eq.dilation == spec.dilation and eq.groups == spec.groups
    for a, ((pl, pr), (pb, pa)) in enumerate(zip(eq.pads, spec.padding)):
        reach = spec.dilation[a] * (spec.kernel_size[a] - 1)
        assert (pl, pr) == (reach - pb, reach - pa + spec.output_padding[a])
    # The flipped weight is a plain conv weight: the stride-1 conv by tcm.conv agrees.
    u = np.zeros(
        (*x.shape[: -spec.ndim], *((L - 1) * s + 1 for L, s in zip(spec.input_size, spec.stride))), x.dtype
    )
    u[(Ellipsis, *(slice(None, None, s) for s in spec.stride))] = x
    # Pad first, then crop (negative pads), then an ordinary stride-1 tcm.conv.
    u = np.pad(u, [(0, 0)] * (u.ndim - spec.ndim) + [(max(pl, 0), max(pr, 0)) for pl, pr in eq.pads])
    crop = tuple(
        slice(max(-pl, 0), u.shape[u.ndim - spec.ndim + a] - max(-pr, 0))
        for a, (pl, pr) in enumerate(eq.pads)
    )
    u = u[(Ellipsis, *crop)]
    via_conv = tcm.conv(u, eq.weight, dilation=eq.dilation, groups=eq.groups)
    np.testing.assert_array_equal(eq.apply(x), via_conv)
    np.testing.assert_array_equal(via_conv, tcm.conv_transpose(x, w, **kw, method="scatter"))


@given(case=cases(asymmetric=True, output_size=True), seed=st.integers(0, 2**32 - 1))
def test_equivalent_conv_from_spec_uses_every_field(torch, case, seed):
    """From a validated spec (e.g. read from an ONNX node): the rewrite equals PyTorch's op."""
    x, w, _ = case.arrays(seed, np.float64)  # small integers: exact in float64
    eq = tcm.EquivalentConv.from_spec(case.spec(), w)
    np.testing.assert_array_equal(eq.apply(x), oracles.conv_transpose(torch, case, x, w, None))


def test_equivalent_conv_from_spec_refuses_what_it_cannot_rewrite():
    spec = tcm.conv_transpose_spec((1, 1, 3), (1, 4), padding=1, padding_mode="circular")
    with pytest.raises(tcm.ConvolutionSpecError, match="needs padding_mode='zeros'"):
        tcm.EquivalentConv.from_spec(spec, np.ones((1, 1, 3)))
    spec = tcm.conv_transpose_spec((1, 1, 3), (1, 4))
    with pytest.raises(tcm.ConvolutionSpecError, match=r"weight shape must be the spec's \(1, 1, 3\)"):
        tcm.EquivalentConv.from_spec(spec, np.ones((1, 1, 2)))


def test_equivalent_conv_flips_and_swaps_channels_per_group():
    w = np.arange(2 * 2 * 3 * 2).reshape(4, 3, 2)  # C_in=4, C_out/g=3, K=2, groups=2
    eq = tcm.equivalent_conv(w, (4, 5), groups=2)
    assert eq.weight.shape == (6, 2, 2)
    for g in range(2):
        for a in range(3):
            for b in range(2):
                np.testing.assert_array_equal(eq.weight[g * 3 + a, b], w[g * 2 + b, a, ::-1])


@pytest.mark.parametrize(
    ("x", "w", "name"),
    [
        (np.ones((1, 1, 2), bool), np.ones((1, 1, 3), bool), "weight"),
        (np.array([[["a", "b"]]]), np.ones((1, 1, 3)), "input"),
        (np.ones((1, 1, 2)), np.array([[["2026-01-01"]]], dtype="datetime64[D]"), "weight"),
    ],
)
def test_non_numbers_are_refused_as_pytorch_does(torch, x, w, name):
    """bool would be computed as logic (True + True is True), not as sums; PyTorch refuses it."""
    with pytest.raises(tcm.ConvolutionSpecError, match=rf"{name} must hold numbers"):
        tcm.conv_transpose(x, w, stride=2)
    with pytest.raises(tcm.ConvolutionSpecError, match=rf"{name} must hold numbers"):
        tcm.conv(x, w)
    with pytest.raises(RuntimeError):
        ones = torch.ones(1, 1, 2, dtype=torch.bool)
        torch.nn.functional.conv_transpose1d(ones, torch.ones(1, 1, 3, dtype=torch.bool))
    with pytest.raises(tcm.ConvolutionSpecError, match=r"weight must hold numbers"):
        tcm.conv_matrix(np.ones((1, 1, 3), bool), (1, 4))
    with pytest.raises(tcm.ConvolutionSpecError, match=r"bias must hold numbers"):
        tcm.conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), np.array([True]))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("method", METHODS)
def test_dtype_follows_inputs(dtype, method):
    x = np.ones((1, 2, 3), dtype)
    w = np.ones((2, 1, 2), dtype)
    assert tcm.conv_transpose(x, w, method=method).dtype == dtype
    assert tcm.conv(x, np.ones((1, 2, 2), dtype)).dtype == dtype


def test_float16_routes_agree():
    """scipy.sparse computes float16 in float32; the matrix route rounds back to float16."""
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (2, 4, 9)).astype(np.float16)
    w = rng.integers(-3, 4, (4, 2, 3)).astype(np.float16)
    ys = [tcm.conv_transpose(x, w, stride=2, padding=1, method=m) for m in METHODS]
    for y in ys:  # small integers: exact in float16 whatever the accumulation order
        assert y.dtype == np.float16
        np.testing.assert_array_equal(y, ys[0])


def test_matrix_route_refuses_objects():
    import sympy as sp

    x = np.array([[[sp.Symbol("a"), 1]]], dtype=object)
    w = np.ones((1, 1, 3), dtype=np.int64)
    with pytest.raises(tcm.ConvolutionSpecError, match=r"method='matrix' needs numeric arrays"):
        tcm.conv_transpose(x, w, stride=2, method="matrix")
    expected = [sp.Symbol("a"), sp.Symbol("a"), sp.Symbol("a") + 1, 1, 1]
    assert tcm.conv_transpose(x, w, stride=2)[0, 0].tolist() == expected


EMPTY_WEIGHTS = [  # (function, input shape, weight shape): PyTorch refuses every one
    ("conv", (1, 1, 5), (0, 1, 3)),
    ("conv", (1, 1, 5, 5), (0, 1, 3, 3)),
    ("conv_transpose", (1, 0, 5), (0, 3, 3)),
    ("conv_transpose", (1, 1, 5), (1, 0, 3)),
    ("conv_transpose", (1, 2, 5, 5), (2, 0, 3, 3)),
]


@pytest.mark.parametrize(("fn", "x_shape", "w_shape"), EMPTY_WEIGHTS)
def test_empty_channel_weights_are_refused_as_pytorch_does(torch, fn, x_shape, w_shape):
    ndim = len(w_shape) - 2
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, f"{fn}{ndim}d")(torch.ones(x_shape), torch.ones(w_shape))
    with pytest.raises(tcm.ConvolutionSpecError, match=r"weight must have at least one"):
        getattr(tcm, fn)(np.ones(x_shape), np.ones(w_shape))
    with pytest.raises(tcm.ConvolutionSpecError, match=r"weight must have at least one"):
        getattr(tcm, f"{fn}_matrix")(np.ones(w_shape), x_shape[1:])


NO_INPUT_CHANNELS = "weight must have at least one input channel per group \\(axis 1\\); got weight shape"


@pytest.mark.parametrize(("w_shape", "groups"), [((2, 0, 3), 1), ((4, 0, 3), 2), ((2, 0, 3, 3), 1)])
def test_conv_with_no_input_channels_is_refused_by_every_entry_point(torch, w_shape, groups):
    """PyTorch's empty-input shortcut answers a (C_out, 0, *K) weight with an output of 0
    channels, not C_out (and drops the bias): no answer every entry point could share, so
    each refuses it with the same message (they used to disagree: conv gave C_out channels,
    conv_operator refused in transposed-convolution terms)."""
    ndim = len(w_shape) - 2
    x_shape = (1, 0, *(5,) * ndim)
    f = getattr(torch.nn.functional, f"conv{ndim}d")
    y = f(torch.ones(x_shape), torch.ones(w_shape), bias=torch.ones(w_shape[0]), groups=groups)
    assert tuple(y.shape) == (1, 0, *(3,) * ndim)  # 0 channels although the weight has C_out
    w, ishape = np.ones(w_shape), x_shape[1:]
    kw = {"groups": groups}
    entry_points = {
        "conv": lambda: tcm.conv(np.ones(x_shape), w, **kw),
        "conv_spec": lambda: tcm.conv_spec(w_shape, ishape, **kw),
        "conv_matrix": lambda: tcm.conv_matrix(w, ishape, **kw),
        "conv_operator": lambda: tcm.conv_operator(w, ishape, **kw),
        "conv_input_grad": lambda: ids.conv_input_grad(np.ones((w_shape[0], *(3,) * ndim)), w, ishape, **kw),
        "conv_weight_grad": lambda: ids.conv_weight_grad(
            np.ones(x_shape), np.ones((1, w_shape[0], *(3,) * ndim)), w_shape, **kw
        ),
    }
    for name, call in entry_points.items():
        with pytest.raises(tcm.ConvolutionSpecError, match=NO_INPUT_CHANNELS) as info:
            call()
        assert f"not out_channels={w_shape[0]}" in str(info.value), name


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("extra", [0, 1, 2])
def test_output_size_length_follows_pytorch(torch, ndim, batched, extra):
    """``ConvTranspose*d.forward``: ndim or ndim + 2 sizes when batched, ndim or ndim + 1 if not."""
    x_shape = (1,) * batched + (1,) + (2,) * ndim
    size = [1] * extra + [4] * ndim  # stride 2, kernel 1: sizes 3 or 4, so op = 1
    module = getattr(torch.nn, f"ConvTranspose{ndim}d")(1, 1, 1, stride=2, bias=False)
    w = module.weight.detach().numpy().astype(np.float64)
    try:
        expected = module(torch.ones(x_shape), output_size=size).detach().numpy()
    except ValueError:
        with pytest.raises(tcm.ConvolutionSpecError, match=r"output_size must have \d or \d elements"):
            tcm.conv_transpose(np.ones(x_shape), w, stride=2, output_size=size)
        return
    np.testing.assert_allclose(tcm.conv_transpose(np.ones(x_shape), w, stride=2, output_size=size), expected)


def test_float32_matches_torch_closely(torch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 9, 7)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    expected = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(w), stride=2
    ).numpy()
    np.testing.assert_allclose(tcm.conv_transpose(x, w, stride=2), expected, rtol=1e-5, atol=1e-5)


def test_large_integers_are_exact():
    x = np.full((1, 1, 4), 2**40, dtype=np.int64)
    w = np.array([[[3, 5]]], dtype=np.int64)
    y = tcm.conv_transpose(x, w, stride=1)
    assert y.tolist() == [[[3 * 2**40, 8 * 2**40, 8 * 2**40, 8 * 2**40, 5 * 2**40]]]


def test_empty_batch():
    y = tcm.conv_transpose(np.zeros((0, 2, 3)), np.ones((2, 1, 3)), stride=2)
    assert y.shape == (0, 1, 7)


EMPTY_BATCH = [  # (weight shape, input shape without batch, keyword arguments of the transposed convolution)
    ((2, 1, 3), (2, 3), {"stride": 2}),
    ((4, 3, 3), (4, 5), {"stride": 3, "padding": 1, "output_padding": 2, "groups": 2, "dilation": 2}),
    ((2, 3, 2, 3), (2, 4, 3), {"stride": (2, 1), "padding": (1, 0), "output_padding": (1, 0)}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("w_shape", "x_shape", "kw"), EMPTY_BATCH)
def test_empty_batch_every_route_is_torch(torch, w_shape, x_shape, kw, dtype):
    """A batch of 0: every route, conv, the matrices and the operators give PyTorch's empty
    shape and dtype (with the bias too)."""
    ndim = len(w_shape) - 2
    x, w = np.zeros((0, *x_shape), dtype), np.ones(w_shape, dtype)
    spec = tcm.conv_transpose_spec(w_shape, x_shape, **kw)
    b = np.ones(spec.out_channels, dtype)
    t = torch.nn.functional
    tx, tw, tb = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    expected = getattr(t, f"conv_transpose{ndim}d")(tx, tw, tb, **kw)
    assert expected.shape[0] == 0
    outs = {m: tcm.conv_transpose(x, w, b, method=m, **kw) for m in METHODS}
    outs["equivalent_conv"] = tcm.equivalent_conv(w, x_shape, **kw).apply(x, b)
    outs["subpixel"] = ids.subpixel(w, x_shape, **kw).apply(x, b)
    outs["matrix @"] = x.reshape(0, math.prod(x_shape)) @ tcm.conv_transpose_matrix(w, x_shape, **kw)
    outs["operator"] = (tcm.conv_transpose_operator(w, x_shape, **kw) @ x.reshape(0, math.prod(x_shape)).T).T
    for name, y in outs.items():
        want = tuple(expected.shape) if y.ndim == ndim + 2 else (0, math.prod(expected.shape[1:]))
        assert y.shape == want, name
        assert y.dtype == expected.numpy().dtype, name

    # the forward convolution of the same empty batch, and its adjoint operator
    conv_kw = {k: v for k, v in kw.items() if k != "output_padding"}
    c_w = w  # the same tensor in conv layout (C_out, C_in/groups, *K) maps the output back
    c_x = np.zeros((0, *spec.output_shape), dtype)
    expected = getattr(t, f"conv{ndim}d")(torch.from_numpy(c_x), torch.from_numpy(c_w), **conv_kw)
    y = tcm.conv(c_x, c_w, **conv_kw)
    assert y.shape == tuple(expected.shape) and y.dtype == expected.numpy().dtype
    A = tcm.conv_operator(c_w, spec.output_shape, **conv_kw)
    flat = c_x.reshape(0, math.prod(spec.output_shape))
    n_out = math.prod(expected.shape[1:])
    y = A @ flat.T
    assert y.shape == (n_out, 0) and y.dtype == dtype
    y = flat @ tcm.conv_matrix(c_w, spec.output_shape, **conv_kw).T
    assert y.shape == (0, n_out) and y.dtype == dtype
    assert (A.H @ np.zeros((A.shape[0], 0), dtype)).shape == (A.shape[1], 0)


def test_four_spatial_dims_routes_agree():
    rng = np.random.default_rng(4)
    x = rng.integers(-2, 3, (2, 3, 3, 2, 3)).astype(np.int64)
    w = rng.integers(-2, 3, (2, 2, 2, 2, 1, 2)).astype(np.int64)
    ys = [tcm.conv_transpose(x, w, stride=(2, 1, 3, 2), padding=1, method=m) for m in METHODS]
    assert ys[0].shape == (2, 4, 2, 2, 4)
    for y in ys[1:]:
        np.testing.assert_array_equal(y, ys[0])


@pytest.mark.parametrize(
    "bad",
    [{"stride": True}, {"stride": 1.0}, {"stride": (True,)}, {"groups": True}, {"padding": ((0.0, 0),)}],
)
def test_the_spec_cache_never_lets_bools_or_floats_through(bad):
    """True == 1 and 1.0 == 1 hash alike: the cached spec of the int call must not answer them."""
    x, w = np.ones((1, 1, 4)), np.ones((1, 1, 3))
    tcm.conv_transpose(x, w, stride=1, padding=((0, 0),), groups=1)  # cached
    tcm.conv_transpose(x, w, stride=(1,), groups=1)
    with pytest.raises(tcm.ConvolutionSpecError, match="must be an integer"):
        tcm.conv_transpose(x, w, **bad)


@pytest.mark.parametrize("method", [0, "", (), [["scatter"]], np.array("scatter"), "Scatter"])
def test_method_must_be_one_of_the_names(method):
    """No falsy value silently means the default, and an unhashable one is not a TypeError."""
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"^method must be one of 'scatter', 'matrix', 'flipped'; got method="
    ):
        tcm.conv_transpose(np.ones((1, 1, 4)), np.ones((1, 1, 3)), method=method)


@pytest.mark.parametrize(
    ("spec", "name"), [(tcm.conv_spec((1, 1, 3), (1, 5)), "ConvSpec"), ("spec", "str"), (None, "NoneType")]
)
def test_from_spec_needs_a_transposed_spec(spec, name):
    with pytest.raises(
        tcm.ConvolutionSpecError,
        match=rf"^spec must be a ConvTransposeSpec \(from tconvmat.conv_transpose_spec\); got spec of type {name}$",
    ):
        tcm.EquivalentConv.from_spec(spec, np.ones((1, 1, 3)))
