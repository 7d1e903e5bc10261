"""tconvmat.testing: the assertions explain failures; the strategies keep their promises."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm
import tconvmat.testing as tt
from tconvmat.testing import (
    assert_conv_transpose_close,
    assert_conv_transpose_equal,
    check_identities,
    conv_params,
    example_arrays,
    torch_kwargs,
)

SEEDS = st.integers(0, 2**32 - 1)


def kwargs(params):
    return {k: v for k, v in params.items() if k not in ("weight_shape", "input_shape")}


def scatter_1d(x, w, stride=1, padding=0):
    """A hand-written single-channel 1-d transposed convolution (correct)."""
    K = w.shape[-1]
    full = np.zeros((x.shape[0], 1, (x.shape[-1] - 1) * stride + K), dtype=np.result_type(x, w))
    for i in range(x.shape[-1]):
        full[:, 0, i * stride : i * stride + K] += x[:, 0, i : i + 1] * w[0, 0]
    return full[..., padding : full.shape[-1] - padding]


def gather_without_flip(x, w, stride=1, padding=0):
    """The classic bug: the stride-1 'equivalent convolution' with the kernel not flipped."""
    eq = tcm.equivalent_conv(w, x.shape[1:], stride=stride, padding=padding)
    return tcm.conv(
        np.pad(
            np.kron(x, [1] + [0] * (stride - 1))[..., : (x.shape[-1] - 1) * stride + 1],
            ((0, 0), (0, 0), eq.pads[0]),
        ),
        np.flip(eq.weight, -1),
    )


def test_passes_on_correct_implementations(torch):
    rng = np.random.default_rng(0)
    x, w = rng.integers(-3, 4, (2, 1, 5)), rng.integers(-3, 4, (1, 1, 3))
    assert_conv_transpose_equal(scatter_1d, x, w, stride=2, padding=1)
    xt, wt = rng.normal(size=(2, 4, 3, 3)), rng.normal(size=(4, 3, 2, 2))

    def torch_fn(x, w, **kw):
        return torch.nn.functional.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), **kw).numpy()

    assert_conv_transpose_close(
        torch_fn, xt, wt, rtol=1e-12, atol=1e-12, stride=2, padding=1, output_padding=1, groups=2
    )


@given(params=conv_params(asymmetric=False), seed=SEEDS)
def test_torch_kwargs_let_pytorch_itself_be_the_kernel(torch, params, seed):
    x, w = example_arrays(params, seed=seed, batch=2)
    x, w = x.astype(np.float64), w.astype(np.float64)  # small integers: exact in float64
    fn = getattr(torch.nn.functional, f"conv_transpose{w.ndim - 2}d")
    assert_conv_transpose_equal(
        lambda x, w, **kw: fn(torch.from_numpy(x), torch.from_numpy(w), **kw).numpy(),
        x,
        w,
        **torch_kwargs(params),
    )


def test_torch_kwargs_refuses_what_pytorch_cannot_say():
    with pytest.raises(tcm.ConvolutionSpecError, match=r"one padding per axis.*asymmetric=False"):
        torch_kwargs({"padding": ((1, 2),)})
    with pytest.raises(tcm.ConvolutionSpecError, match="padding_mode='zeros' only"):
        torch_kwargs({"padding": ((1, 1),), "padding_mode": "circular"})


def test_no_flip_hint_when_the_flip_explains_nothing():
    """An all-zero wrong answer equals the flipped kernel's all-zero result by chance: no hint."""
    with pytest.raises(AssertionError) as info:
        assert_conv_transpose_equal(
            lambda x, w, **k: np.zeros((1, 1, 1), int),
            np.array([[[2]]]),
            np.array([[[1, 0]]]),
            padding=((0, 1),),
        )
    assert "hint" not in str(info.value)


def test_forgotten_flip_is_explained():
    x, w = np.array([[[1, 2, 3]]]), np.array([[[1, 10, 100]]])
    assert tcm.conv_transpose(x, w, stride=2, padding=1)[0, 0, 1] == 102
    with pytest.raises(AssertionError) as info:
        assert_conv_transpose_equal(gather_without_flip, x, w, stride=2, padding=1)
    msg = str(info.value)
    assert "conv_transpose output differs (exact) at index (0, 0, 0): expected 10, got 10" not in msg
    first = re.search(r"at index \((\d+), (\d+), (\d+)\): expected (-?\d+), got (-?\d+)", msg)
    assert first is not None, msg
    j = int(first.group(3))
    expected = tcm.conv_transpose(x, w, stride=2, padding=1)
    actual = gather_without_flip(x, w, stride=2, padding=1)
    assert int(first.group(4)) == expected[0, 0, j] and int(first.group(5)) == actual[0, 0, j]
    assert np.array_equal(expected[0, 0, :j], actual[0, 0, :j])  # really the first
    assert "x[0, 0, 0] · w[0, 0, 2] = 1 · 100 = 100    (input i=(0,), tap k=(2,))" in msg
    assert "x[0, 0, 1] · w[0, 0, 0] = 2 · 1 = 2    (input i=(1,), tap k=(0,))" in msg
    assert "hint: the whole output equals tconvmat's with every spatial axis of the weight flipped" in msg


def test_wrong_length_formula_is_explained():
    def l_times_s(x, w, stride=1):
        return np.zeros((1, 1, x.shape[-1] * stride + w.shape[-1]))

    with pytest.raises(
        AssertionError,
        match=r"(?s)expected \(1, 1, 9\), got \(1, 1, 11\).*"
        r"axis 0: \(4 − 1\)·2 − 0 − 0 \+ 1·\(3 − 1\) \+ 0 \+ 1 = 9.*"
        r"the actual size 11 is what L_in·s",
    ):
        assert_conv_transpose_equal(l_times_s, np.ones((1, 1, 4)), np.ones((1, 1, 3)), stride=2)


@given(params=conv_params(ndim=(1, 2, 3), padding_modes=tcm.spec.PADDING_MODES), seed=SEEDS, data=st.data())
def test_explanation_sums_to_the_expected_value(params, seed, data):
    """Corrupt one output element: the message names it and its listed terms (the
    column of C) add up to the expected value, with the bias."""
    x, w = example_arrays(params, batch=2, seed=seed)
    spec = tcm.conv_transpose_spec(**params)
    bias = np.arange(spec.out_channels) - 1
    kw = {**kwargs(params), "bias": bias}
    y = tcm.conv_transpose(x, w, **kw)
    bad = tuple(data.draw(st.integers(0, n - 1)) for n in y.shape)

    def off_by_one(x, w, **kw):
        out = tcm.conv_transpose(x, w, **kw).copy()
        out[bad] += 1
        return out

    with pytest.raises(AssertionError) as info:
        assert_conv_transpose_equal(off_by_one, x, w, **kw)
    msg = str(info.value)
    assert f"at index {bad}: expected {y[bad]}, got {y[bad] + 1} (1 of {y.size} elements differ)" in msg
    terms = [int(t) for t in re.findall(r"^    x\[.*\] = \S+ · \S+ = (-?\d+)", msg, flags=re.M)]
    c = bad[1]
    assert sum(terms) + bias[c] == y[bad]
    assert f"+ bias[{c}] = {bias[c]}" in msg


def test_close_tolerance():
    x, w = np.ones((1, 1, 3)), np.ones((1, 1, 2))

    def slightly_off(x, w, **kw):
        return tcm.conv_transpose(x, w, **kw) * (1 + 1e-6)

    assert_conv_transpose_close(slightly_off, x, w, rtol=1e-5)
    with pytest.raises(
        AssertionError, match=r"differs \(rtol=1e-07, atol=0.0\) at index \(0, 0, 0\): expected 1.0"
    ):
        assert_conv_transpose_close(slightly_off, x, w)


@given(params=conv_params(ndim=(1, 2), padding_modes=tcm.spec.PADDING_MODES), seed=st.integers(0, 100))
def test_check_identities_pass(params, seed):
    report = check_identities(**params, seed=seed)
    assert report.ok and bool(report)
    names = [c.name for c in report.checks]
    assert names[:3] == [
        "scatter = Cᵀx (matrix route)",
        "scatter = flipped-kernel route",
        "dot test ⟨C u, v⟩ = ⟨u, Cᵀ v⟩",
    ]
    assert all(c.status == "pass" for c in report.checks[:3])
    assert report.checks[3].status in ("pass", "skip")


def test_check_identities_reports_a_broken_route(monkeypatch):
    real = tt.conv_transpose

    def broken(x, w, *args, method=None, **kw):
        y = real(x, w, *args, method=method, **kw)
        return y + 1 if method == "flipped" else y

    monkeypatch.setattr(tt, "conv_transpose", broken)
    report = check_identities(weight_shape=(1, 1, 3), input_shape=(1, 4), stride=2)
    assert not report.ok
    assert [c.name for c in report.failed] == ["scatter = flipped-kernel route"]
    assert "scatter = flipped-kernel route  DISAGREES" in str(report)


@given(params=conv_params(ndim=(1, 2, 3), padding_modes=tcm.spec.PADDING_MODES))
def test_conv_params_valid_transposed(params):
    spec = tcm.conv_transpose_spec(**params)
    assert spec.weight_shape == params["weight_shape"] and spec.input_shape == params["input_shape"]
    x, w = example_arrays(params)
    assert tcm.conv_transpose(x, w, **kwargs(params)).shape == (1, *spec.output_shape)


@given(params=conv_params(ndim=(1, 2, 3), transposed=False, padding_modes=tcm.spec.PADDING_MODES))
def test_conv_params_valid_forward(params):
    spec = tcm.conv_spec(**params)
    x, w = example_arrays(params)
    assert tcm.conv(x, w, **kwargs(params)).shape == (1, *spec.output_shape)


RULE_MESSAGES = {
    "stride must be positive": "stride must be positive",
    "dilation must be positive": "dilation must be positive",
    "padding must not be negative": "padding must not be negative",
    "groups must divide the channels": "is not divisible by groups",
    "input channels must match the weight": "input channels must equal",
    "kernel_size must be positive": "kernel_size must be positive",
    "padding_mode must be known": "padding_mode must be one of",
    "one value per spatial axis": "stride must be a single integer or a sequence of",
    "output_padding must be smaller than stride or dilation": "output_padding must be smaller than stride or dilation",
    "the output must not be empty": "the output must not be empty",
    "the dilated kernel must fit in the padded input": "the dilated kernel must fit",
}


@given(params=conv_params(ndim=(1, 2, 3), invalid=True, padding_modes=tcm.spec.PADDING_MODES))
def test_conv_params_invalid_transposed(params):
    assert isinstance(params, tt.InvalidParams) and params.rule in RULE_MESSAGES
    with pytest.raises(tcm.ConvolutionSpecError, match=re.escape(RULE_MESSAGES[params.rule])):
        tcm.conv_transpose_spec(**params)


@given(params=conv_params(ndim=(1, 2, 3), invalid=True, transposed=False))
def test_conv_params_invalid_forward(params):
    with pytest.raises(tcm.ConvolutionSpecError, match=re.escape(RULE_MESSAGES[params.rule])):
        tcm.conv_spec(**params)


def test_conv_params_bad_mode():
    with pytest.raises(tcm.ConvolutionSpecError, match="padding_modes must be among"):
        conv_params(padding_modes=("mirror",))


def test_failure_message_on_a_real_sized_layer_builds_no_matrix(monkeypatch):
    """48 channels at 64×64: the first wrong element is explained from the index relation,
    an AssertionError (not MatrixTooLargeError), its sum cut to MAX_TERMS_SHOWN products."""
    monkeypatch.setattr("tconvmat.matrix.conv_transpose_matrix", lambda *a, **k: pytest.fail("C was built"))
    monkeypatch.setattr("tconvmat._core.assemble", lambda *a, **k: pytest.fail("C was built"))
    x = np.ones((1, 48, 64, 64), np.int64)
    w = np.ones((48, 48, 3, 3), np.int64)

    def off_by_one(x, w, **kw):
        y = tcm.conv_transpose(x, w, **kw)
        y[0, 0, 5, 5] += 1
        return y

    with pytest.raises(AssertionError) as info:
        assert_conv_transpose_equal(off_by_one, x, w)
    text = str(info.value)
    assert "at index (0, 0, 5, 5): expected 432, got 433" in text
    assert "(column 335 of C, 432 nonzero entries)" in text
    assert f"… and {432 - tt.MAX_TERMS_SHOWN} more products (the sum has 432)" in text
    assert text.count("\n    x[") == tt.MAX_TERMS_SHOWN
