"""Parameter validation: clear errors, and refusing exactly what PyTorch refuses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat import spec as spec_mod
from tconvmat.spec import conv_output_length, conv_transpose_output_length, input_index

E = tcm.ConvolutionSpecError


def test_error_is_a_value_error():
    assert issubclass(E, ValueError)


ONE = np.ones((1, 1, 3))

TRANSPOSE_ERRORS = [
    ({"stride": 0}, r"stride must be positive on every axis; got stride=\(0,\) \(axis 0\)"),
    (
        {"stride": (1, 0), "w": np.ones((1, 1, 3, 3)), "x": np.ones((1, 1, 4, 4))},
        r"stride must be positive on every axis; got stride=\(1, 0\) \(axis 1\)",
    ),
    ({"dilation": -1}, r"dilation must be positive on every axis; got dilation=\(-1,\)"),
    ({"padding": -1}, r"padding must not be negative; got padding=\(\(-1, -1\),\) \(axis 0\)"),
    ({"output_padding": -1}, r"output_padding must not be negative; got output_padding=\(-1,\)"),
    (
        {"stride": 2, "output_padding": 2},
        r"output_padding must be smaller than stride or dilation on every axis; "
        r"got output_padding=\(2,\), stride=\(2,\), dilation=\(1,\) \(axis 0\)",
    ),
    ({"groups": 0}, r"groups must be positive; got groups=0"),
    (
        {"groups": 2, "w": np.ones((3, 1, 3)), "x": np.ones((1, 3, 4))},
        r"in_channels=weight.shape\[0\]=3 is not divisible by groups=2",
    ),
    ({"x": np.ones((1, 2, 4))}, r"input channels must equal weight.shape\[0\]=1 .*got input_shape=\(2, 4\)"),
    ({"w": np.ones((1, 1, 0))}, r"kernel_size must be positive on every axis; got kernel_size=\(0,\)"),
    ({"padding": 3}, r"the output must not be empty.*output size would be \(0,\)"),
    (
        {"output_size": (9,)},
        r"output_size must lie between .* \(6,\) and \(6,\) on every axis; got output_size=\(9,\)",
    ),
    ({"output_size": (6, 6, 6, 6)}, r"output_size must have 1 or 3 elements for a batched 3-d input"),
    (
        {"padding": "same"},
        r"padding for a transposed convolution must be integers or \(before, after\) pairs",
    ),
    (
        {"padding_mode": "mirror"},
        r"padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular'; got padding_mode='mirror'",
    ),
    (
        {"padding_mode": "reflect", "padding": 2},
        r"reflect padding must be smaller than the output size.*got padding=\(\(2, 2\),\), output size=\(2,\) \(axis 0\)",
    ),
    ({"stride": 1.5}, r"stride must be an integer or a sequence of integers; got stride=1.5"),
    ({"stride": (1, 2)}, r"stride must be a single integer or a sequence of 1 integers"),
    ({"padding": ((1, 2, 3),)}, r"padding as \(before, after\) pairs needs 1 pairs of 2 integers"),
    ({"x": np.ones((1, 1, 1, 4))}, r"input to conv_transpose with a 3-d weight must be 2-d .* or 3-d"),
    ({"w": np.ones((1, 3))}, r"weight must have at least 3 dimensions"),
    ({"x": np.ones((1, 1, 0))}, r"input size must be positive on every spatial axis"),
    ({"bias": np.ones(2)}, r"bias must be 1-d with out_channels=1 elements; got bias shape \(2,\)"),
    ({"method": "fft"}, r"method must be one of 'scatter', 'matrix', 'flipped'; got method='fft'"),
]


@pytest.mark.parametrize(("kw", "match"), TRANSPOSE_ERRORS)
def test_conv_transpose_errors(kw, match):
    kw = dict(kw)
    x = kw.pop("x", np.ones((1, 1, 4)))
    w = kw.pop("w", ONE)
    with pytest.raises(E, match=match):
        tcm.conv_transpose(x, w, **kw)


CONV_ERRORS = [
    (
        {"padding": "same", "stride": 2},
        r"padding='same' needs stride 1 on every axis, as in PyTorch; got stride=\(2,\)",
    ),
    ({"padding": "full"}, r"padding string must be 'same' or 'valid'; got padding='full'"),
    ({"x": np.ones((1, 2, 4))}, r"input channels must equal weight.shape\[1\] \* groups = 1 \* 1 = 1"),
    (
        {"w": np.ones((3, 1, 3)), "x": np.ones((1, 2, 4)), "groups": 2},
        r"out_channels=weight.shape\[0\]=3 is not divisible by groups=2",
    ),
    (
        {"x": np.ones((1, 1, 2))},
        r"the dilated kernel must fit in the padded input.*output size would be \(0,\)",
    ),
    (
        {"padding": 4, "padding_mode": "reflect"},
        r"reflect padding must be smaller than the input size on every axis; got padding=\(\(4, 4\),\), input size=\(4,\) \(axis 0\)",
    ),
    ({"padding": 5, "padding_mode": "circular"}, r"circular padding must not exceed the input size"),
]


@pytest.mark.parametrize(("kw", "match"), CONV_ERRORS)
def test_conv_errors(kw, match):
    kw = dict(kw)
    x = kw.pop("x", np.ones((1, 1, 4)))
    w = kw.pop("w", ONE)
    with pytest.raises(E, match=match):
        tcm.conv(x, w, **kw)


def test_matrix_builders_share_the_validation():
    with pytest.raises(E, match="stride must be positive"):
        tcm.conv_matrix(ONE, (1, 4), stride=0)
    with pytest.raises(E, match="output_padding must be smaller"):
        tcm.conv_transpose_matrix(ONE, (1, 4), output_padding=1)
    with pytest.raises(E, match=r"input_shape must be \(channels, \*spatial\) with 1 spatial axes"):
        tcm.conv_transpose_matrix(ONE, (1, 4, 4))
    with pytest.raises(E, match="output_padding must be smaller"):
        tcm.equivalent_conv(ONE, (1, 4), output_padding=1)


def test_numpy_integers_accepted():
    spec = tcm.conv_transpose_spec(ONE.shape, (1, np.int64(4)), stride=np.int32(2), padding=[np.int8(1)])
    assert spec.stride == (2,) and spec.padding == ((1, 1),)


def test_specs_are_hashable_and_frozen():
    a = tcm.conv_transpose_spec((2, 3, 3, 3), (2, 5, 5), stride=2)
    b = tcm.conv_transpose_spec((2, 3, 3, 3), (2, 5, 5), stride=(2, 2))
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.stride = (1, 1)  # type: ignore[misc]


@given(
    L=st.integers(1, 50),
    K=st.integers(1, 9),
    s=st.integers(1, 6),
    d=st.integers(1, 6),
    pb=st.integers(0, 12),
    pa=st.integers(0, 12),
    op=st.integers(0, 5),
)
def test_shape_formulas(torch, L, K, s, d, pb, pa, op):
    assert (
        conv_transpose_output_length(L, K, s, pb, pa, d, op) == (L - 1) * s - pb - pa + d * (K - 1) + op + 1
    )
    assert conv_output_length(L, K, s, pb, pa, d) == (L + pb + pa - d * (K - 1) - 1) // s + 1

    # Derived independently of the formulas: brute force over every input i and tap k.
    i, k = np.meshgrid(np.arange(L), np.arange(K), indexing="ij")
    reached = input_index(i, k, s, d, 0)  # the full output positions j = i·s + k·d
    np.testing.assert_array_equal(reached, i * s + k * d)
    L_t = conv_transpose_output_length(L, K, s, pb, pa, d, op)
    assert L_t - 1 + pb + pa == reached.max() + op  # last position reached, + op, less the crops
    # forward: the output positions o whose every tap reads inside the padded input [−p_before, L − 1 + p_after]
    o = np.arange(L + pb + pa + 1)[:, None]
    taps = input_index(o, np.arange(K)[None, :], s, d, pb)
    fits = ((taps >= -pb) & (taps <= L - 1 + pa)).all(axis=1)
    n_fit = int(fits.sum())
    assert fits[:n_fit].all()  # a prefix: o = 0 … L_out − 1
    assert n_fit == max(conv_output_length(L, K, s, pb, pa, d), 0)

    # ... and against PyTorch's output shapes (asymmetric pads: torch pads / crops the common part)
    F = torch.nn.functional
    x, w = torch.zeros(1, 1, L), torch.zeros(1, 1, K)
    if n_fit > 0:
        assert F.conv1d(F.pad(x, (pb, pa)), w, stride=s, dilation=d).shape[-1] == n_fit
    else:
        with pytest.raises(RuntimeError):
            F.conv1d(F.pad(x, (pb, pa)), w, stride=s, dilation=d)
    if op < max(s, d) and L_t > 0:
        m = min(pb, pa)  # PyTorch crops m from both ends; the rest of the asymmetric crop is ours
        y = F.conv_transpose1d(x, w, stride=s, padding=m, output_padding=op, dilation=d)
        assert y.shape[-1] - (pb - m) - (pa - m) == L_t
        if pb == pa:
            assert y.shape[-1] == L_t


# --- Refusal parity with PyTorch, over random parameters that are often invalid -------------


@st.composite
def raw_params(draw, transposed: bool):
    nd = draw(st.integers(1, 3))
    groups = draw(st.integers(0, 3))
    w_shape = (
        draw(st.integers(1, 4)),
        draw(st.integers(1, 3)),
        *(draw(st.integers(0, 3)) for _ in range(nd)),
    )
    if draw(st.booleans()):
        channels = w_shape[0] if transposed else w_shape[1] * max(groups, 1)
    else:
        channels = draw(st.integers(1, 5))
    x_shape = (draw(st.integers(1, 2)), channels, *(draw(st.integers(0, 5)) for _ in range(nd)))
    per_axis = lambda lo, hi: draw(st.one_of(st.integers(lo, hi), st.tuples(*[st.integers(lo, hi)] * nd)))  # noqa: E731
    kw = {"stride": per_axis(-1, 3), "padding": per_axis(-1, 4), "dilation": per_axis(0, 3), "groups": groups}
    if transposed:
        kw["output_padding"] = per_axis(-1, 3)
    elif draw(st.integers(0, 4)) == 0:
        kw["padding"] = draw(st.sampled_from(["same", "valid"]))
    return x_shape, w_shape, kw


def _torch_raises(fn) -> bool:
    try:
        fn()
    except (RuntimeError, ValueError, IndexError):
        return True
    return False


def _ours_raises(fn) -> bool:
    try:
        fn()
    except E:
        return True
    return False


def test_empty_batch_is_validated_like_any_other(torch):
    """PyTorch skips some checks when the batch is empty (here: dilation=0); tconvmat
    validates parameters independently of the batch size (documented in docs/semantics.md)."""
    x, w = torch.ones(0, 1, 3), torch.ones(1, 1, 1)
    assert torch.nn.functional.conv_transpose1d(x, w, dilation=0).shape == (0, 1, 3)
    with pytest.raises(E, match="dilation must be positive"):
        tcm.conv_transpose(np.ones((0, 1, 3)), np.ones((1, 1, 1)), dilation=0)


@given(params=raw_params(transposed=True))
def test_conv_transpose_refuses_exactly_what_torch_refuses(torch, params):
    x_shape, w_shape, kw = params
    x, w = np.ones(x_shape), np.ones(w_shape)
    f = getattr(torch.nn.functional, f"conv_transpose{len(w_shape) - 2}d")
    theirs = _torch_raises(lambda: f(torch.from_numpy(x), torch.from_numpy(w), **kw))
    ours = _ours_raises(lambda: tcm.conv_transpose(x, w, **kw))
    assert ours == theirs, (x_shape, w_shape, kw)


@given(params=raw_params(transposed=False))
def test_conv_refuses_exactly_what_torch_refuses(torch, params):
    x_shape, w_shape, kw = params
    x, w = np.ones(x_shape), np.ones(w_shape)
    f = getattr(torch.nn.functional, f"conv{len(w_shape) - 2}d")
    theirs = _torch_raises(lambda: f(torch.from_numpy(x), torch.from_numpy(w), **kw))
    ours = _ours_raises(lambda: tcm.conv(x, w, **kw))
    assert ours == theirs, (x_shape, w_shape, kw)


@given(
    L=st.integers(1, 6),
    p=st.integers(0, 8),
    mode=st.sampled_from(["reflect", "replicate", "circular"]),
    nd=st.integers(1, 3),
)
def test_padding_mode_refusals_match_torch_module(torch, L, p, mode, nd):
    x = np.ones((1, 1, *(L,) * nd))
    m = getattr(torch.nn, f"Conv{nd}d")(
        1, 1, 1, padding=p, padding_mode=mode, bias=False, dtype=torch.float64
    )
    theirs = _torch_raises(lambda: m(torch.from_numpy(x)))
    ours = _ours_raises(lambda: tcm.conv(x, np.ones((1, 1, *(1,) * nd)), padding=p, padding_mode=mode))
    assert ours == theirs


@given(
    L=st.integers(1, 6),
    K=st.integers(1, 4),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    delta=st.integers(-2, 5),
    full=st.booleans(),
)
def test_output_size_refusals_match_torch_module(torch, L, K, s, p, d, delta, full):
    x = np.ones((1, 1, L))
    m = torch.nn.ConvTranspose1d(1, 1, K, stride=s, padding=p, dilation=d, bias=False, dtype=torch.float64)
    n = (L - 1) * s - 2 * p + d * (K - 1) + 1 + delta
    size = [1, 1, n] if full else [n]
    theirs = _torch_raises(lambda: m(torch.from_numpy(x), output_size=size))
    ours = _ours_raises(
        lambda: tcm.conv_transpose(x, np.ones((1, 1, K)), stride=s, padding=p, dilation=d, output_size=size)
    )
    assert ours == theirs


def test_spec_output_size_may_include_channel_and_batch_axes():
    """The shape-only spec has no batch axis, so it takes every length PyTorch takes."""
    for size in [(6,), (1, 6), (2, 1, 6)]:
        assert tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2, output_size=size).output_padding == (1,)
    with pytest.raises(E, match=r"output_size must have 1 spatial sizes \(or include the channel/batch"):
        tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2, output_size=(6, 6, 6, 6))


def test_one_bad_padding_pair_is_reported_as_given():
    with pytest.raises(
        E, match=r"needs 2 pairs of 2 integers \(or one pair for every axis\); got padding=\(\(1, 2, 3\),\)$"
    ):
        tcm.conv_transpose(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=[[1, 2, 3]])


@pytest.mark.parametrize("output_padding", [(0, 0), (1, 2, 3), 5, -1, 1.5])
def test_output_padding_is_ignored_when_output_size_is_given(torch, output_padding):
    """``ConvTranspose1d(..., output_padding=op)(x, output_size=...)`` ignores ``op``, its
    length included; so does every tconvmat entry point that takes output_size."""
    m = torch.nn.ConvTranspose1d(
        1, 1, 3, stride=2, output_padding=output_padding, bias=False, dtype=torch.float64
    )
    w = np.array([[[1.0, 2.0, 3.0]]])
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(w))
    x = np.array([[[1.0, 10.0]]])
    expected = m(torch.from_numpy(x), output_size=[6]).detach().numpy()
    kw = {"stride": 2, "output_padding": output_padding, "output_size": (6,)}
    assert tcm.conv_transpose_spec(w.shape, (1, 2), **kw).output_padding == (1,)
    for method in ("scatter", "matrix", "flipped"):
        np.testing.assert_array_equal(tcm.conv_transpose(x, w, method=method, **kw), expected)
    np.testing.assert_array_equal(tcm.equivalent_conv(w, (1, 2), **kw).apply(x), expected)
    np.testing.assert_array_equal(x.reshape(1, -1) @ tcm.conv_transpose_matrix(w, (1, 2), **kw), expected[0])
    np.testing.assert_array_equal(tcm.conv_transpose_operator(w, (1, 2), **kw) @ x.ravel(), expected.ravel())


def test_output_padding_is_still_checked_without_output_size(torch):
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose1d(
            torch.ones(1, 1, 2), torch.ones(1, 1, 3), stride=2, output_padding=(0, 0)
        )
    with pytest.raises(E, match=r"output_padding must be a single integer or a sequence of 1 integers"):
        tcm.conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 3)), stride=2, output_padding=(0, 0))


def test_no_input_channels_refused_in_the_spec(torch):
    """A (C_out, 0, *K) weight: PyTorch's answer has 0 channels, not C_out, so the spec refuses it."""
    assert tuple(torch.nn.functional.conv1d(torch.ones(1, 0, 5), torch.ones(2, 0, 3)).shape) == (1, 0, 3)
    with pytest.raises(
        E,
        match=r"^weight must have at least one input channel per group \(axis 1\); got weight shape \(2, 0, 3\) "
        r"\(PyTorch returns an output with 0 channels here, not out_channels=2\)$",
    ):
        tcm.conv_spec((2, 0, 3), (0, 5))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: spec_mod.as_shape("16", "input_shape"),
            r"^input_shape must be a sequence of integers; got input_shape='16'$",
        ),
        (
            lambda: spec_mod.as_shape((1, 6.5), "input_shape"),
            r"^input_shape must be an integer or a sequence",
        ),
        (
            lambda: spec_mod.as_shape((True, 6), "input_shape"),
            r"^input_shape must be an integer; got input_shape=True$",
        ),
        (
            lambda: spec_mod.as_input_shape(()),
            r"^input_shape must be \(channels, \*spatial\) with at least one spatial axis",
        ),
        (
            lambda: spec_mod.as_input_shape((-1, 4)),
            r"^input channels must not be negative; got input_shape=\(-1, 4\)$",
        ),
        (
            lambda: spec_mod.as_input_shape((1, 4, 0)),
            r"^input size must be positive on every spatial axis; got input size=\(4, 0\) \(axis 1\)$",
        ),
        (
            lambda: spec_mod.as_per_axis((1, 2, 3), "scale", 2),
            r"^scale must be a single integer or a sequence of 2 integers",
        ),
        (
            lambda: spec_mod.as_per_axis(-1, "scale", 2, positive=True),
            r"^scale must be positive on every axis; got scale=\(-1, -1\) \(axis 0\)$",
        ),
        (lambda: spec_mod.as_positive_int(True, "ndim"), r"^ndim must be a positive integer; got ndim=True$"),
        (lambda: spec_mod.as_positive_int(2.0, "ndim"), r"^ndim must be a positive integer; got ndim=2.0$"),
    ],
)
def test_argument_helpers_refuse_with_the_spec_messages(call, match):
    with pytest.raises(E, match=match):
        call()


def test_argument_helpers_accept_numpy_integers():
    assert spec_mod.as_shape(np.array([1, 4]), "input_shape") == (1, 4)
    assert spec_mod.as_input_shape([np.int64(2), np.int32(3)]) == (2, 3)
    assert spec_mod.as_per_axis(np.int8(2), "scale", 2, positive=True) == (2, 2)
    assert spec_mod.as_positive_int(np.int64(3), "ndim") == 3


def test_integers_past_64_bits_are_refused_as_pytorch_does(torch):
    x, w = np.ones((1, 1, 5)), np.ones((1, 1, 3))
    for kw in ({"stride": 2**63}, {"dilation": 2**63}, {"padding": -(2**63) - 1}):
        with pytest.raises((ValueError, RuntimeError)):
            torch.nn.functional.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), **kw)
        name, value = next(iter(kw.items()))
        with pytest.raises(E, match=rf"^{name} must fit in a signed 64-bit integer; got {name}={value}$"):
            tcm.conv_transpose(x, w, **kw)
    with pytest.raises(E, match=r"^stride must fit in a signed 64-bit integer"):
        tcm.conv_matrix(w, (1, 5), stride=10**20)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.array(6), r"^output_size must be a sequence of integers; got output_size=array\(6\)$"),
        ({6: 1}, r"^output_size must be a sequence of integers; got output_size=\{6: 1\}$"),
        ({6}, r"^output_size must be a sequence of integers; got output_size=\{6\}$"),
        (np.array([[6]]), r"^output_size must be a sequence of integers"),
    ],
)
def test_shapes_must_be_sequences(value, match):
    with pytest.raises(E, match=match):
        tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2, output_size=value)
    assert tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2, output_size=np.array([6])).output_padding == (
        1,
    )


@pytest.mark.parametrize("mode", [np.array([[1, 0]]), None, 0, ("zeros",)])
def test_padding_mode_must_be_a_name(mode):
    match = r"^padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular'; got padding_mode="
    with pytest.raises(E, match=match):
        tcm.conv_spec((1, 1, 3), (1, 5), padding_mode=mode)
    with pytest.raises(E, match=match):
        tcm.conv_transpose(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding_mode=mode)
