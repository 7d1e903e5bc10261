"""tconvmat.conventions: every framework's convention mapped to the canonical spec, and back.

Oracles here: ``onnx.reference`` (required in CI) where it is correct, PyTorch (required
in CI), and for TensorFlow/Keras the published formulas re-typed
from the TF and Keras sources, with the transposed convolution taken as the autograd VJP
of the forward convolution (TF's own definition), computed by PyTorch.  The runtimes
themselves (ONNX Runtime, TensorFlow, Keras on both backends, JAX, MLX) are the oracles
of tests/test_runtimes.py.
"""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat.conventions import jax as J
from tconvmat.conventions import keras as KE
from tconvmat.conventions import onnx as O
from tconvmat.conventions import tf as TF
from tconvmat.conventions import torch as T
from tconvmat.conventions._common import same_map
from tconvmat.testing import conv_params

from .cases import cases

SEEDS = st.integers(0, 2**32 - 1)


def ints(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-3, 4, shape).astype(np.float64)


# ---------------------------------------------------------------------------
# ONNX
# ---------------------------------------------------------------------------


def onnx_run(onnx: ModuleType, op: str, X, W, B=None, **attrs):
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    names = ["X", "W"] + (["B"] if B is not None else [])
    node = helper.make_node(op, names, ["Y"], **attrs)
    vi = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in [*names, "Y"]]
    model = helper.make_model(
        helper.make_graph([node], "g", vi[:-1], vi[-1:]), opset_imports=[helper.make_opsetid("", 22)]
    )
    feeds = {"X": np.asarray(X, np.float64), "W": np.asarray(W, np.float64)}
    if B is not None:
        feeds["B"] = np.asarray(B, np.float64)
    return np.asarray(ReferenceEvaluator(model).run(None, feeds)[0])


def _reference_handles(spec: tcm.ConvTransposeSpec, bias: bool) -> bool:
    """Where onnx.reference's ConvTranspose is right (see the regression tests below)."""
    per_group_ok = spec.groups == 1 or (
        spec.in_channels == spec.groups and spec.out_channels == spec.groups and not bias
    )
    return per_group_ok and all(op < s for op, s in zip(spec.output_padding, spec.stride))


@given(
    params=conv_params(ndim=(1, 2), max_size=4),
    how=st.sampled_from(
        ["pads", "SAME_UPPER", "SAME_LOWER", "output_shape+SAME_UPPER", "output_shape+SAME_LOWER"]
    ),
    seed=SEEDS,
    bias=st.booleans(),
)
def test_onnx_conv_transpose_matches_reference(onnx, params, how, seed, bias):
    spec0 = tcm.conv_transpose_spec(**params)
    rng = np.random.default_rng(seed)
    X = ints(rng, (2, *spec0.input_shape))
    W = ints(rng, spec0.weight_shape)
    B = ints(rng, (spec0.out_channels,)) if bias else None
    try:
        attrs = O.to_onnx(spec0)
    except tcm.ConvolutionSpecError:  # output_padding ≥ stride: ONNX refuses (test_onnx_round_trip)
        return
    if how != "pads":
        del attrs["pads"]
        attrs["auto_pad"] = how.split("+")[-1]
        if how.startswith("output_shape"):
            attrs["output_shape"] = list(spec0.output_size)
    try:
        spec = O.spec_from_onnx(X.shape, W.shape, **attrs)
    except tcm.ConvolutionSpecError as e:
        assert "output_padding must be smaller than strides" in str(e)
        return
    assume(_reference_handles(spec, bias))
    if how in ("SAME_UPPER", "SAME_LOWER"):  # the reference pads zeros up to input·stride (documented)
        assume(all(n >= L * s for n, L, s in zip(spec.output_size, spec.input_size, spec.stride)))
    ours = O.conv_transpose(X, W, B, **attrs)
    assert ours.shape == (2, *spec.output_shape)
    np.testing.assert_array_equal(ours, onnx_run(onnx, "ConvTranspose", X, W, B, **attrs))


@given(
    params=conv_params(ndim=(1, 2), max_size=5, transposed=False),
    how=st.sampled_from(["pads", "SAME_UPPER", "SAME_LOWER", "VALID"]),
    seed=SEEDS,
)
def test_onnx_conv_matches_reference(onnx, params, how, seed):
    spec0 = tcm.conv_spec(**{k: v for k, v in params.items() if k != "output_padding"})
    rng = np.random.default_rng(seed)
    X, W, B = (
        ints(rng, (2, *spec0.input_shape)),
        ints(rng, spec0.weight_shape),
        ints(rng, (spec0.out_channels,)),
    )
    attrs = O.to_onnx(spec0)
    if how != "pads":
        del attrs["pads"]
        attrs["auto_pad"] = how
    try:
        ours = O.conv(X, W, B, **attrs)
    except tcm.ConvolutionSpecError:
        assume(False)  # VALID on a too-small input
    np.testing.assert_array_equal(ours, onnx_run(onnx, "Conv", X, W, B, **attrs))


LEARNER_X = np.array([[[1.0, 2.0, 3.0]]])
LEARNER_W = np.array([[[1.0, 10.0, 100.0]]])
FULL = [1, 10, 102, 20, 203, 30, 300]  # conv_transpose(LEARNER_X, LEARNER_W, stride=2)


def test_onnx_full_output():
    np.testing.assert_array_equal(tcm.conv_transpose(LEARNER_X, LEARNER_W, stride=2)[0, 0], FULL)


def test_onnx_same_upper_vs_same_lower(onnx):
    """SAME_UPPER crops the odd element at the end, SAME_LOWER at the start (total_padding 1)."""
    upper = O.conv_transpose(LEARNER_X, LEARNER_W, strides=[2], auto_pad="SAME_UPPER")
    lower = O.conv_transpose(LEARNER_X, LEARNER_W, strides=[2], auto_pad="SAME_LOWER")
    np.testing.assert_array_equal(upper[0, 0], FULL[:-1])
    np.testing.assert_array_equal(lower[0, 0], FULL[1:])
    for mode, ours in (("SAME_UPPER", upper), ("SAME_LOWER", lower)):
        np.testing.assert_array_equal(
            ours, onnx_run(onnx, "ConvTranspose", LEARNER_X, LEARNER_W, strides=[2], auto_pad=mode)
        )


def test_onnx_output_shape_without_pads_follows_spec_not_reference(onnx):
    """ONNX spec: output_shape with auto_pad NOTSET derives pads with the 'otherwise' rule
    (begin = total − total/2).  onnx.reference keeps zero pads and then fails."""
    ours = O.conv_transpose(LEARNER_X, LEARNER_W, strides=[2], output_shape=[6])
    np.testing.assert_array_equal(ours[0, 0], FULL[1:])
    np.testing.assert_array_equal(
        ours, onnx_run(onnx, "ConvTranspose", LEARNER_X, LEARNER_W, strides=[2], pads=[1, 0])
    )
    with pytest.raises(ValueError):
        onnx_run(onnx, "ConvTranspose", LEARNER_X, LEARNER_W, strides=[2], output_shape=[6])


@pytest.mark.parametrize(("mode", "expected"), [("SAME_UPPER", [0, 1, 0, 2]), ("SAME_LOWER", [1, 0, 2, 0])])
def test_onnx_same_with_kernel_shorter_than_stride_keeps_the_uncropped_output(onnx, mode, expected):
    """K_eff + output_padding < stride: the target input·stride exceeds the uncropped output
    (total_padding < 0).  onnx.reference pads zeros to reach it (at the start for SAME_UPPER);
    tconvmat keeps the uncropped output, as ONNX Runtime and ONNX shape inference do
    (tests/test_runtimes.py checks both)."""
    x, w = np.array([[[1.0, 2.0]]]), np.array([[[1.0]]])
    ref = onnx_run(onnx, "ConvTranspose", x, w, strides=[2], auto_pad=mode)
    np.testing.assert_array_equal(ref[0, 0], expected)
    spec = O.spec_from_onnx(x.shape, w.shape, strides=[2], auto_pad=mode)
    assert spec.padding == ((0, 0),) and spec.output_padding == (0,)
    np.testing.assert_array_equal(O.conv_transpose(x, w, strides=[2], auto_pad=mode)[0, 0], [1, 0, 2])
    ok = O.conv_transpose(x, w, strides=[2], auto_pad=mode, output_padding=[1])  # K_eff + op = s
    np.testing.assert_array_equal(
        ok, onnx_run(onnx, "ConvTranspose", x, w, strides=[2], auto_pad=mode, output_padding=[1])
    )


def test_onnx_output_shape_past_the_uncropped_output_extends_with_zeros(onnx):
    """ONNX's backend test test_convtranspose_output_shape: output_shape one past the
    uncropped output on each axis; zeros at the end (the reference agrees, NOTSET)."""
    X = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    W = np.ones((1, 2, 3, 3))
    ours = O.conv_transpose(X, W, strides=[3, 2], output_shape=[10, 8])
    full = tcm.conv_transpose(X, W, stride=(3, 2))
    assert ours.shape == (1, 2, 10, 8)
    np.testing.assert_array_equal(ours[..., :9, :7], full)
    assert not ours[..., 9, :].any() and not ours[..., :, 7].any()
    np.testing.assert_array_equal(
        ours, onnx_run(onnx, "ConvTranspose", X, W, strides=[3, 2], output_shape=[10, 8])
    )
    with pytest.raises(
        tcm.ConvolutionSpecError,
        match=r"output_shape must be less than stride past the uncropped output \(9, 7\)",
    ):
        O.conv_transpose(X, W, strides=[3, 2], output_shape=[12, 8])


def test_onnx_output_shape_ignores_pads(onnx):
    """The spec ignores pads when output_shape is given (ONNX Runtime too); the reference uses them."""
    ref = onnx_run(onnx, "ConvTranspose", LEARNER_X, LEARNER_W, strides=[2], output_shape=[5], pads=[2, 0])
    np.testing.assert_array_equal(ref[0, 0], FULL[2:])  # reference: pads win
    ours = O.conv_transpose(LEARNER_X, LEARNER_W, strides=[2], output_shape=[5], pads=[2, 0])
    np.testing.assert_array_equal(ours[0, 0], FULL[1:-1])  # total 2: (1, 1)
    np.testing.assert_array_equal(ours, O.conv_transpose(LEARNER_X, LEARNER_W, strides=[2], output_shape=[5]))


def test_onnx_group_weight_layout_reference_bug(onnx, torch):
    """group > 1 with several output channels per group: onnx.reference slices W by output
    channels and fails; ours equals torch.nn.functional.conv_transpose1d."""
    rng = np.random.default_rng(0)
    X, W = ints(rng, (1, 4, 3)), ints(rng, (4, 3, 2))
    ours = O.conv_transpose(X, W, group=2)
    ref_torch = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(X), torch.from_numpy(W), groups=2
    ).numpy()
    np.testing.assert_array_equal(ours, ref_torch)
    with pytest.raises(ValueError):
        onnx_run(onnx, "ConvTranspose", X, W, group=2)


def test_onnx_group_input_channels_reference_bug(onnx, torch):
    """group > 1 with several input channels per group (one output each): the reference fails."""
    X, W = np.ones((1, 4, 3)), np.ones((4, 1, 2))
    expected = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(X), torch.from_numpy(W), groups=2
    ).numpy()
    np.testing.assert_array_equal(O.conv_transpose(X, W, group=2), expected)
    with pytest.raises(ValueError):
        onnx_run(onnx, "ConvTranspose", X, W, group=2)


def test_onnx_group_bias_reference_bug(onnx, torch):
    """group > 1 with a bias: the reference adds B[0] to every group, silently (docs/conventions.md)."""
    X, W, B = np.arange(6.0).reshape(1, 2, 3), np.ones((2, 1, 2)), np.array([1.0, 10.0])
    expected = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(X), torch.from_numpy(W), torch.from_numpy(B), groups=2
    ).numpy()
    ours = O.conv_transpose(X, W, B, group=2)
    np.testing.assert_array_equal(ours, expected)
    assert ours[0, 1].tolist() == [13, 17, 19, 15]
    assert onnx_run(onnx, "ConvTranspose", X, W, B, group=2)[0, 1].tolist() == [4, 8, 10, 6]


def test_onnx_output_padding_at_least_stride_is_refused(onnx, torch):
    """output_padding ≥ stride (< dilation) is allowed in PyTorch; onnx.reference and ONNX
    Runtime refuse it (tests/test_runtimes.py), so the ONNX convention refuses it too."""
    rng = np.random.default_rng(1)
    X, W = ints(rng, (1, 1, 3)), ints(rng, (1, 1, 3))
    with pytest.raises(tcm.ConvolutionSpecError, match=r"output_padding must be smaller than strides"):
        O.conv_transpose(X, W, dilations=[3], output_padding=[2])
    with pytest.raises(ValueError):
        onnx_run(onnx, "ConvTranspose", X, W, dilations=[3], output_padding=[2])
    expected = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(X), torch.from_numpy(W), dilation=3, output_padding=2
    ).numpy()
    np.testing.assert_array_equal(tcm.conv_transpose(X, W, dilation=3, output_padding=2), expected)


@given(params=conv_params(ndim=(1, 2, 3)))
def test_onnx_round_trip(params):
    spec = tcm.conv_transpose_spec(**params)
    try:
        attrs = O.to_onnx(spec)
    except tcm.ConvolutionSpecError as e:
        assert "refuse output_padding ≥ strides" in str(e)
        assert any(op - pa >= s for op, (_, pa), s in zip(spec.output_padding, spec.padding, spec.stride))
        return
    got = O.spec_from_onnx((1, *spec.input_shape), spec.weight_shape, **attrs)
    assert (
        got == spec if all(op < s for op, s in zip(spec.output_padding, spec.stride)) else same_map(got, spec)
    )


@given(params=conv_params(ndim=(1, 2), transposed=False))
def test_onnx_conv_round_trip(params):
    spec = tcm.conv_spec(**params)
    assert O.conv_spec_from_onnx((1, *spec.input_shape), spec.weight_shape, **O.to_onnx(spec)) == spec


def test_onnx_from_node(onnx):
    from onnx import helper

    node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], strides=[2], auto_pad="SAME_LOWER", group=1)
    n = O.from_node(node)
    assert n.op_type == "ConvTranspose" and n.attributes["auto_pad"] == "SAME_LOWER"
    np.testing.assert_array_equal(n(LEARNER_X, LEARNER_W)[0, 0], FULL[1:])
    conv_node = helper.make_node("Conv", ["X", "W"], ["Y"], pads=[1, 1])
    assert O.from_node(conv_node).spec((1, 1, 4), (2, 1, 3)) == tcm.conv_spec((2, 1, 3), (1, 4), padding=1)
    with pytest.raises(
        tcm.ConvolutionSpecError, match="node must be a Conv or ConvTranspose; got op_type='Relu'"
    ):
        O.from_node(helper.make_node("Relu", ["X"], ["Y"]))
    with pytest.raises(tcm.ConvolutionSpecError, match="Conv has no attribute 'output_padding'"):
        O.from_node(helper.make_node("Conv", ["X", "W"], ["Y"], output_padding=[1]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"auto_pad": "SAME"},
            r"auto_pad must be one of 'NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'; got auto_pad='SAME'",
        ),
        ({"auto_pad": "same_upper"}, r"auto_pad must be one of .*got auto_pad='same_upper'"),
        ({"auto_pad": "VALID", "pads": [0, 0]}, r"pads cannot be used together with auto_pad='VALID'"),
        (
            {"output_shape": [9], "strides": [2]},
            r"output_shape must be less than stride past the uncropped output \(7,\).*got output_shape=\(9,\).*\(axis 0\)",
        ),
        (
            {"kernel_shape": [2]},
            r"kernel_shape must equal W.shape\[2:\]; got kernel_shape=\(2,\), W shape \(1, 1, 3\)",
        ),
        ({"pads": [1]}, r"pads must have 2 entries .*got pads=\(1,\)"),
        ({"strides": [2, 2]}, r"strides must have 1 entries .*got strides=\(2, 2\)"),
        (
            {"output_padding": [2], "strides": [2]},
            r"output_padding must be smaller than strides on every axis",
        ),
    ],
)
def test_onnx_bad_input(kwargs, match):
    with pytest.raises(tcm.ConvolutionSpecError, match=match):
        O.conv_transpose(LEARNER_X, LEARNER_W, **kwargs)


def test_onnx_bad_shapes():
    with pytest.raises(
        tcm.ConvolutionSpecError,
        match=r"X must be \(N, C, D1, …\) with 1 spatial axes .*got X shape \(1, 3\)",
    ):
        O.conv_transpose(np.ones((1, 3)), LEARNER_W)
    with pytest.raises(tcm.ConvolutionSpecError, match=r"input channels must equal weight.shape\[0\]=2"):
        O.conv_transpose(np.ones((1, 3, 4)), np.ones((2, 1, 3)))
    with pytest.raises(tcm.ConvolutionSpecError, match="padding_mode='reflect'"):
        O.to_onnx(tcm.conv_spec((1, 1, 3), (1, 5), padding=1, padding_mode="reflect"))


# ---------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------


def make_module(torch, case, b):
    kw = dict(case.kwargs)
    kw.pop("output_size", None)
    w = case.weight_shape
    if case.kind == "transpose":
        cls = getattr(torch.nn, f"ConvTranspose{case.ndim}d")
        m = cls(w[0], w[1] * kw.get("groups", 1), w[2:], bias=b, dtype=torch.float64, **kw)
    else:
        cls = getattr(torch.nn, f"Conv{case.ndim}d")
        m = cls(w[1] * kw.get("groups", 1), w[0], w[2:], bias=b, dtype=torch.float64, **kw)
    return m


@given(
    case=cases(kind="transpose", output_size=True) | cases(kind="conv", modes=tcm.spec.PADDING_MODES),
    seed=SEEDS,
    bias=st.booleans(),
)
def test_torch_from_module_matches_module(torch, case, seed, bias):
    rng = np.random.default_rng(seed)
    m = make_module(torch, case, bias)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(ints(rng, case.weight_shape)))
        if bias:
            m.bias.copy_(torch.from_numpy(ints(rng, tuple(m.bias.shape))))
        x = ints(rng, case.x_shape)
        output_size = case.kwargs.get("output_size")
        if output_size is not None:
            expected = m(torch.from_numpy(x), output_size=list(output_size)).numpy()
        else:
            expected = m(torch.from_numpy(x)).numpy()
    tc = T.from_module(m)
    np.testing.assert_array_equal(tc(x, output_size=output_size), expected)
    spec = tc.spec(x.shape, output_size)
    assert spec == case.spec()


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("extra", [0, 1, 2])
def test_torch_from_module_output_size_length(torch, batched, extra):
    """The module takes 1 or 3 sizes for a batched 1-d input, 1 or 2 for an unbatched one."""
    m = torch.nn.ConvTranspose1d(1, 1, 3, stride=2, bias=False, dtype=torch.float64)
    x = np.ones((1,) * batched + (1, 2))
    size = [1] * extra + [6]
    tc = T.from_module(m)
    try:
        with torch.no_grad():
            expected = m(torch.from_numpy(x), output_size=size).numpy()
    except ValueError:
        with pytest.raises(tcm.ConvolutionSpecError, match="output_size must have 1 or"):
            tc(x, output_size=size)
        return
    np.testing.assert_array_equal(tc(x, output_size=size), expected)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_torch_from_module_same_padding(torch, mode):
    m = torch.nn.Conv2d(2, 3, (3, 4), padding="same", dilation=(1, 2), padding_mode=mode, dtype=torch.float64)
    x = torch.from_numpy(ints(np.random.default_rng(2), (1, 2, 6, 7)))
    with torch.no_grad():
        np.testing.assert_allclose(T.from_module(m)(x.numpy()), m(x).numpy(), rtol=1e-12, atol=1e-12)


def test_torch_from_module_subclass_and_rejects(torch):
    class MyDeconv(torch.nn.ConvTranspose1d):
        pass

    m = MyDeconv(1, 1, 3, stride=2, bias=False)
    assert T.from_module(m).transposed
    with pytest.raises(
        tcm.ConvolutionSpecError,
        match=r"module must be a torch\.nn\.ConvTranspose1d/2d/3d or Conv1d/2d/3d; got Linear",
    ):
        T.from_module(torch.nn.Linear(2, 2))


@given(params=conv_params(ndim=(1, 2, 3), asymmetric=False), seed=SEEDS)
def test_torch_to_torch_round_trip(torch, params, seed):
    spec = tcm.conv_transpose_spec(**params)
    kw = T.to_torch(spec)
    assert tcm.conv_transpose_spec(spec.weight_shape, spec.input_shape, **kw) == spec
    rng = np.random.default_rng(seed)
    x, w = ints(rng, (1, *spec.input_shape)), ints(rng, spec.weight_shape)
    f = getattr(torch.nn.functional, f"conv_transpose{spec.ndim}d")
    np.testing.assert_array_equal(
        f(torch.from_numpy(x), torch.from_numpy(w), **kw).numpy(), tcm.conv_transpose(x, w, **kw)
    )
    m = getattr(torch.nn, f"ConvTranspose{spec.ndim}d")(**T.to_module_kwargs(spec), bias=False)
    assert T.from_module(m).spec(spec.input_shape) == spec


@given(
    params=conv_params(ndim=(1, 2, 3), transposed=False, asymmetric=False),
    same=st.booleans(),
    seed=SEEDS,
)
def test_torch_conv_round_trip(torch, params, same, seed):
    """to_torch of a forward spec gives F.conv*d's arguments, padding='same' included
    (an even d·(K − 1) pads the odd one at the end, as PyTorch does), and back."""
    kw = {k: v for k, v in params.items() if k not in ("weight_shape", "input_shape", "output_padding")}
    kw["padding_mode"] = "zeros"
    if same:
        kw.update(padding="same", stride=1)
    try:
        spec = tcm.conv_spec(params["weight_shape"], params["input_shape"], **kw)
    except tcm.ConvolutionSpecError:
        assume(False)
    args = T.to_torch(spec)
    assert T.spec_from_torch((1, *spec.input_shape), spec.weight_shape, transposed=False, **args) == spec
    rng = np.random.default_rng(seed)
    x, w = ints(rng, (1, *spec.input_shape)), ints(rng, spec.weight_shape)
    f = getattr(torch.nn.functional, f"conv{spec.ndim}d")
    expected = f(torch.from_numpy(x), torch.from_numpy(w), **args).numpy()
    np.testing.assert_array_equal(T.conv(x, w, **args), expected)
    np.testing.assert_array_equal(
        tcm.conv(x, w, stride=spec.stride, padding=spec.padding, dilation=spec.dilation, groups=spec.groups),
        expected,
    )


def test_torch_to_torch_same_padding():
    """The issue's example: F.conv1d(padding='same') computes this spec, so to_torch gives it."""
    spec = tcm.conv_spec((1, 1, 2), (1, 5), padding="same")
    assert spec.padding == ((0, 1),)
    assert T.to_torch(spec) == {"stride": (1,), "padding": "same", "dilation": (1,), "groups": 1}
    with pytest.raises(tcm.ConvolutionSpecError, match="cannot express asymmetric padding"):
        T.to_torch(tcm.conv_spec((1, 1, 2), (1, 5), padding=((1, 0),)))
    with pytest.raises(tcm.ConvolutionSpecError, match="a Conv\\*d module argument: to_module_kwargs"):
        T.to_torch(tcm.conv_spec((1, 1, 3), (1, 5), padding=1, padding_mode="reflect"))


def test_torch_to_torch_errors():
    with pytest.raises(
        tcm.ConvolutionSpecError,
        match=r"cannot express asymmetric padding .*got padding=\(\(0, 0\), \(1, 2\)\) \(axis 1\)",
    ):
        T.to_torch(tcm.conv_transpose_spec((1, 1, 3, 3), (1, 4, 4), padding=((0, 0), (1, 2))))
    with pytest.raises(
        tcm.ConvolutionSpecError, match="only padding_mode='zeros'; got padding_mode='circular'"
    ):
        T.to_torch(tcm.conv_transpose_spec((1, 1, 3), (1, 4), padding=1, padding_mode="circular"))


def test_conventions_import_no_optional_dependency():
    code = (
        "import sys, tconvmat.conventions.torch, tconvmat.conventions.onnx, tconvmat.conventions.tf, "
        "tconvmat.conventions.jax, tconvmat.conventions.keras, tconvmat.conventions.mlx, tconvmat.testing; "
        "print([m for m in ('torch', 'onnx', 'jax', 'tensorflow', 'keras', 'mlx', 'onnxruntime', 'hypothesis') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# TensorFlow / Keras: the published formulas, TF's definition (gradient of conv) via torch
# ---------------------------------------------------------------------------


def tf_same_pads(L_out, K, s, d):
    """TF GetWindowedOutputSizeVerbose, SAME (re-typed from kernel_shape_util.cc)."""
    k_eff = (K - 1) * d + 1
    out = (L_out + s - 1) // s
    needed = max(0, (out - 1) * s + k_eff - L_out)
    return out, (needed // 2, needed - needed // 2)


def keras_deconv_output_length(L, K, padding, output_padding, s, d):
    """keras.utils.conv_utils.deconv_output_length, re-typed."""
    K = K + (K - 1) * (d - 1)
    if output_padding is None:
        if padding == "valid":
            return L * s + max(K - s, 0)
        return L * s
    pad = K // 2 if padding == "same" else 0
    return (L - 1) * s + K - 2 * pad + output_padding


def tf_oracle(torch, x_nchw, w_torch, out_size, stride, dilation, pads):
    """TF: conv_transpose = VJP of conv (on an input of out_size, padded by pads) at x."""
    F = torch.nn.functional
    n = len(out_size)
    z = torch.zeros((x_nchw.shape[0], w_torch.shape[1], *out_size), dtype=torch.float64, requires_grad=True)
    zp = F.pad(z, [v for p in reversed(pads) for v in p])
    y = getattr(F, f"conv{n}d")(zp, torch.from_numpy(w_torch), stride=stride, dilation=dilation)
    assert tuple(y.shape[2:]) == tuple(x_nchw.shape[2:])
    (g,) = torch.autograd.grad(y, z, torch.from_numpy(x_nchw))
    return g.numpy()


@st.composite
def tf_problems(draw):
    n = draw(st.sampled_from([1, 2]))
    L = tuple(draw(st.integers(1, 4)) for _ in range(n))
    K = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    d = tuple(draw(st.integers(1, 2)) for _ in range(n))
    padding = draw(st.sampled_from(["SAME", "VALID", "explicit"] if n == 2 else ["SAME", "VALID"]))
    out, pads = [], []
    for La, Ka, sa, da in zip(L, K, s, d):
        k_eff = (Ka - 1) * da + 1
        if padding == "SAME":
            lo = (La - 1) * sa + 1  # ceil(L_out/s) == L  ⟺  (L−1)s < L_out ≤ Ls
            L_out = draw(st.integers(lo, La * sa))
            pads.append(tf_same_pads(L_out, Ka, sa, da)[1])
        elif padding == "VALID":
            lo = (La - 1) * sa + k_eff
            L_out = draw(st.integers(lo, lo + sa - 1))
            pads.append((0, 0))
        else:
            pb, pa = draw(st.integers(0, 2)), draw(st.integers(0, 2))
            lo = (La - 1) * sa + k_eff - pb - pa
            assume(lo >= 1)
            L_out = draw(st.integers(lo, lo + sa - 1))
            pads.append((pb, pa))
        out.append(L_out)
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    channels_last = draw(st.booleans())
    return n, L, K, s, d, padding, tuple(out), tuple(pads), c_in, c_out, channels_last


@given(problem=tf_problems(), seed=SEEDS)
def test_tf_conv_transpose_is_gradient_of_conv(torch, problem, seed):
    n, L, K, s, d, padding, out, pads, c_in, c_out, channels_last = problem
    rng = np.random.default_rng(seed)
    x_nchw = ints(rng, (2, c_in, *L))
    filters = ints(rng, (*K, c_out, c_in))
    fmt = ({1: "NWC", 2: "NHWC"} if channels_last else {1: "NCW", 2: "NCHW"})[n]
    x = TF.channels_first_to_last(x_nchw) if channels_last else x_nchw
    out_shape = [2, *out, c_out] if channels_last else [2, c_out, *out]
    if padding == "explicit":
        tf_padding = (
            [[0, 0], *map(list, pads), [0, 0]] if channels_last else [[0, 0], [0, 0], *map(list, pads)]
        )
    else:
        tf_padding = padding
    y = TF.conv_transpose(x, filters, out_shape, list(s), tf_padding, fmt, list(d))
    y_nchw = TF.channels_last_to_first(y) if channels_last else y
    # TF's conv filter is [*k, in_fwd, out_fwd] = [*k, out, in]: torch conv weight (in, out, *k).
    w_fwd = np.ascontiguousarray(np.moveaxis(filters, (-1, -2), (0, 1)))
    np.testing.assert_array_equal(y_nchw, tf_oracle(torch, x_nchw, w_fwd, out, s, d, pads))
    if n == 2:
        y2 = TF.conv2d_transpose(x, filters, out_shape, list(s), tf_padding, fmt, list(d))
        np.testing.assert_array_equal(y2, y)


@given(
    n=st.sampled_from([1, 2, 3]),
    data=st.data(),
    seed=SEEDS,
)
def test_keras_conv_transpose_matches_published_semantics(torch, n, data, seed):
    L = tuple(data.draw(st.integers(1, 4)) for _ in range(n))
    K = tuple(data.draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    d = tuple(data.draw(st.integers(1, 2)) for _ in range(n))
    padding = data.draw(st.sampled_from(["same", "valid"]))
    op = data.draw(st.none() | st.tuples(*(st.integers(0, sa - 1) for sa in s)))
    out = tuple(
        keras_deconv_output_length(La, Ka, padding, None if op is None else opa, sa, da)
        for La, Ka, sa, da, opa in zip(L, K, s, d, op or (0,) * n)
    )
    rng = np.random.default_rng(seed)
    x = ints(rng, (1, *L, 2))
    kernel = ints(rng, (*K, 3, 2))
    bias = ints(rng, (3,))
    if max(s) > 1 and max(d) > 1:  # the layer refuses (tests/test_runtimes.py: so does Keras)
        with pytest.raises(
            tcm.ConvolutionSpecError, match=r"strides > 1 cannot be combined with dilation_rate > 1"
        ):
            KE.conv_transpose(x, kernel, bias, s, padding, op, "channels_last", d)
        return
    pads = []
    for Lo, Ka, sa, da, La in zip(out, K, s, d, L):
        if padding == "same":
            fwd, p = tf_same_pads(Lo, Ka, sa, da)
        else:
            fwd, p = (Lo - (Ka - 1) * da - 1) // sa + 1 if Lo >= (Ka - 1) * da + 1 else 0, (0, 0)
        pads.append(p)
        if fwd != La:  # TF refuses this output_shape; Keras with it fails too
            with pytest.raises(tcm.ConvolutionSpecError, match="output_shape does not match the input"):
                KE.conv_transpose(x, kernel, bias, s, padding, op, "channels_last", d)
            return
    y = KE.conv_transpose(x, kernel, bias, s, padding, op, "channels_last", d)
    assert y.shape == (1, *out, 3)
    w_fwd = np.ascontiguousarray(np.moveaxis(kernel, (-1, -2), (0, 1)))
    expected = tf_oracle(torch, TF.channels_last_to_first(x), w_fwd, out, s, d, pads)
    expected = expected + bias.reshape(1, 3, *(1,) * n)
    np.testing.assert_array_equal(TF.channels_last_to_first(y), expected)
    y_cf = KE.conv_transpose(TF.channels_last_to_first(x), kernel, bias, s, padding, op, "channels_first", d)
    np.testing.assert_array_equal(y_cf, expected)


def test_keras_same_stride2_off_by_one_vs_torch(torch):
    """Keras/TF 'same', K=3, s=2 keeps full positions 0…2L−1 (crops (0, 1)); PyTorch's
    padding=1, output_padding=1 keeps 1…2L (crops (1, 1), adds 1): one pixel apart."""
    rng = np.random.default_rng(3)
    x = ints(rng, (1, 1, 4))
    w = ints(rng, (1, 1, 3))
    full = torch.nn.functional.conv_transpose1d(torch.from_numpy(x), torch.from_numpy(w), stride=2).numpy()
    pt = torch.nn.functional.conv_transpose1d(
        torch.from_numpy(x), torch.from_numpy(w), stride=2, padding=1, output_padding=1
    ).numpy()
    keras = TF.channels_last_to_first(
        KE.conv_transpose(TF.channels_first_to_last(x), TF.filters_from_torch(w), strides=2, padding="same")
    )
    assert keras.shape == pt.shape == (1, 1, 8)
    np.testing.assert_array_equal(keras, full[..., 0:8])
    np.testing.assert_array_equal(pt, full[..., 1:9])
    assert not np.array_equal(keras, pt)
    spec = KE.spec_from_keras((1, 4, 1), (3, 1, 1), strides=2, padding="same")
    assert spec.padding == ((0, 1),) and spec.output_padding == (0,)
    with pytest.raises(
        tcm.ConvolutionSpecError, match="Keras Conv1DTranspose cannot express crops padding=\\(\\(1, 1\\),\\)"
    ):
        KE.to_keras(tcm.conv_transpose_spec((1, 1, 3), (1, 4), stride=2, padding=1, output_padding=1))


def test_tf_layouts():
    rng = np.random.default_rng(4)
    f = rng.integers(-9, 10, (2, 3, 5, 4))  # [kh, kw, out, in]
    w = TF.filters_to_torch(f)
    assert w.shape == (4, 5, 2, 3)
    for a, b, o, i in [(0, 0, 0, 0), (1, 2, 3, 1), (0, 1, 4, 3)]:
        assert w[i, o, a, b] == f[a, b, o, i]
    np.testing.assert_array_equal(TF.filters_from_torch(w), f)
    x = rng.integers(0, 9, (2, 3, 4, 5))
    np.testing.assert_array_equal(TF.channels_last_to_first(TF.channels_first_to_last(x)), x)
    assert TF.channels_first_to_last(x)[1, 2, 3, 0] == x[1, 0, 2, 3]


@given(params=conv_params(ndim=(1, 2), max_groups=1), seed=SEEDS)
def test_tf_export_round_trip(params, seed):
    spec = tcm.conv_transpose_spec(**params)
    try:
        args = TF.to_tf(spec)
    except tcm.ConvolutionSpecError as e:
        assert "output_padding ≥ stride" in str(e) or "takes 'SAME' or 'VALID' only" in str(e)
        return
    rng = np.random.default_rng(seed)
    x, w = ints(rng, (1, *spec.input_shape)), ints(rng, spec.weight_shape)
    x_tf = TF.channels_first_to_last(x)
    assert TF.spec_from_tf(x_tf.shape, TF.filters_from_torch(w).shape, **args) == spec
    y = TF.conv_transpose(x_tf, TF.filters_from_torch(w), **args)
    np.testing.assert_array_equal(TF.channels_last_to_first(y), tcm.conv_transpose(x, w, **params_kw(params)))
    try:
        kargs = KE.to_keras(spec)
    except tcm.ConvolutionSpecError:
        return
    x_shape = (1, *spec.input_size, spec.in_channels)
    assert same_map(KE.spec_from_keras(x_shape, TF.filters_from_torch(w).shape, **kargs), spec)


def params_kw(params):
    return {k: v for k, v in params.items() if k not in ("weight_shape", "input_shape")}


def test_tf_bad_input():
    x, f = np.ones((1, 4, 4, 2)), np.ones((3, 3, 5, 2))
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"output_shape does not match the input under padding='VALID'"
    ):
        TF.conv2d_transpose(x, f, [1, 8, 8, 5], 2, "VALID")
    with pytest.raises(
        tcm.ConvolutionSpecError,
        match=r"filters \[\*k, out, in\] must have in = input channels; got filters shape \(3, 3, 5, 2\), input channels 4",
    ):
        TF.conv2d_transpose(x, f, [1, 4, 8, 8], 2, data_format="NCHW")
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"output_shape channels must equal the filters' out dimension"
    ):
        TF.conv2d_transpose(x, f, [1, 8, 8, 4], 2)
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"data_format must be one of .*got data_format='NWHC'"
    ):
        TF.conv2d_transpose(x, f, [1, 8, 8, 5], 2, data_format="NWHC")
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"explicit padding of the batch and channel dimensions must be 0"
    ):
        TF.conv2d_transpose(x, f, [1, 8, 8, 5], 2, [[0, 0], [0, 1], [0, 1], [1, 0]])
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"strides on the batch and channel dimensions must be 1"
    ):
        TF.conv2d_transpose(x, f, [1, 8, 8, 5], [2, 2, 2, 2])
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"padding must be 'valid' or 'same'; got padding='full'"
    ):
        KE.conv_transpose(x, f, padding="full")
    with pytest.raises(tcm.ConvolutionSpecError, match=r"tf.nn.conv_transpose has no groups; got groups=2"):
        TF.to_tf(tcm.conv_transpose_spec((2, 1, 3), (2, 4), groups=2))


# ---------------------------------------------------------------------------
# JAX: the definition (conv_general_dilated of the dilated input) against the spec
# mapping and against PyTorch; against JAX itself in tests/test_runtimes.py (in a worker
# process: XLA's CPU compiler aborts the process on a few convolutions)
# ---------------------------------------------------------------------------


@st.composite
def jax_problems(draw):
    n = draw(st.sampled_from([1, 2]))
    L = tuple(draw(st.integers(1, 4)) for _ in range(n))
    K = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    d = tuple(draw(st.integers(1, 2)) for _ in range(n))
    kind = draw(st.sampled_from(["SAME", "VALID", "pairs", "consistent"]))
    if kind in ("SAME", "VALID"):
        padding = kind
    else:
        padding = [(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(n)]
    tk = draw(st.booleans())
    dn = draw(st.sampled_from([None, "channels_first"]))
    c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return n, L, K, s, d, padding, kind == "consistent", tk, dn, c_in, c_out


def jax_arrays(problem, seed):
    n, L, K, _, _, _, _, tk, dn, c_in, c_out = problem
    rng = np.random.default_rng(seed)
    sp = "HW"[:n]
    if dn == "channels_first":
        dims = ("NC" + sp, "OI" + sp, "NC" + sp)
        x = ints(rng, (2, c_in, *L))
        rhs = ints(rng, ((c_in, c_out) if tk else (c_out, c_in)) + K)
    else:
        dims = None
        x = ints(rng, (2, *L, c_in))
        rhs = ints(rng, K + ((c_out, c_in) if tk else (c_in, c_out)))
    return x, rhs, dims


@given(problem=jax_problems(), seed=SEEDS)
def test_jax_conv_transpose_spec_matches_definition(problem, seed):
    _, _, _, s, d, padding, ucp, tk, _, _, _ = problem
    x, rhs, dims = jax_arrays(problem, seed)
    try:
        y = J.conv_transpose(x, rhs, s, padding, d, dims, tk, ucp)
    except tcm.ConvolutionSpecError:
        assume(False)  # empty output (JAX returns an empty array)
    try:
        spec, to_w = J.spec_from_jax(x.shape, rhs.shape, s, padding, d, dims, tk, ucp)
    except tcm.ConvolutionSpecError as e:
        assert "reach beyond d·(K−1)" in str(e) or "output must not be empty" in str(e)
        return
    x_nc = x if dims else np.moveaxis(x, -1, 1)
    ours = tcm.conv_transpose(x_nc, to_w(rhs), **params_kw_spec(spec))
    np.testing.assert_array_equal(ours, y if dims else np.moveaxis(y, -1, 1))


def params_kw_spec(spec):
    return {
        "stride": spec.stride,
        "padding": spec.padding,
        "output_padding": spec.output_padding,
        "dilation": spec.dilation,
    }


@pytest.mark.parametrize("pads", [(-3, 3), (-2, 2), (0, -2), (-1, -1), (-2, 0), (3, -4), (1, -3), (0, -3)])
def test_jax_pads_that_crop_past_the_input(pads):
    """Output position j holds x[j − low] where it exists; JAX refuses a negative total
    length (found by Hypothesis: cropping past the end wrapped the slice) and returns an
    empty array for length 0: so does tconvmat."""
    x = np.array([[[5, 7]]])
    length = 2 + pads[0] + pads[1]
    if length < 0:
        with pytest.raises(tcm.ConvolutionSpecError, match="must not crop more than the dilated input"):
            J.conv_general_dilated(x, np.ones((1, 1, 1), int), (1,), [pads])
        return
    if length == 0:
        assert J.conv_general_dilated(x, np.ones((1, 1, 1), int), (1,), [pads]).shape == (1, 1, 0)
        return
    expected = [x[0, 0, j - pads[0]] if 0 <= j - pads[0] < 2 else 0 for j in range(length)]
    assert J.conv_general_dilated(x, np.ones((1, 1, 1), int), (1,), [pads]).tolist() == [[expected]]


def test_jax_no_flip_without_transpose_kernel(torch):
    """lax.conv_transpose uses rhs as a forward-conv kernel: without transpose_kernel the
    taps come out reversed relative to PyTorch; with it (and the (O, I) kernel) it is torch's."""
    x = np.array([[[1.0], [2.0]]])  # NHC
    k = np.array([1.0, 10.0, 100.0]).reshape(3, 1, 1)  # HIO
    torch_y = torch.nn.functional.conv_transpose1d(
        torch.tensor([[[1.0, 2.0]]], dtype=torch.float64),
        torch.tensor([[[1.0, 10.0, 100.0]]], dtype=torch.float64),
        stride=2,
    ).numpy()[0, 0]
    plain = J.conv_transpose(x, k, [2], "VALID")[0, :, 0]
    flipped = J.conv_transpose(x, k, [2], "VALID", transpose_kernel=True)[0, :, 0]
    np.testing.assert_array_equal(flipped, torch_y)
    np.testing.assert_array_equal(plain, [100, 10, 201, 20, 2])
    assert not np.array_equal(plain, torch_y)


def test_jax_integer_padding_pads_the_dilated_input(torch):
    """padding=[(1, 1)] pads the zero-inserted input (crop d(K−1) − 1 = 1 from the full
    output per side for K=3, i.e. not PyTorch's padding=1 unless K = 3 by coincidence: check K=4);
    use_consistent_padding=True reads it as the forward conv's padding, as PyTorch does."""
    rng = np.random.default_rng(5)
    x_t, w_t = ints(rng, (1, 1, 3)), ints(rng, (1, 1, 4))
    F = torch.nn.functional
    full = F.conv_transpose1d(torch.from_numpy(x_t), torch.from_numpy(w_t), stride=2).numpy()
    torch_p1 = F.conv_transpose1d(torch.from_numpy(x_t), torch.from_numpy(w_t), stride=2, padding=1).numpy()
    x = np.moveaxis(x_t, 1, -1)
    rhs = np.moveaxis(w_t, (0, 1), (-1, -2))  # (O=in, I=out, k) → HIO with transpose_kernel
    pads_dilated = np.moveaxis(J.conv_transpose(x, rhs, [2], [(1, 1)], transpose_kernel=True), -1, 1)
    consistent = np.moveaxis(
        J.conv_transpose(x, rhs, [2], [(1, 1)], transpose_kernel=True, use_consistent_padding=True), -1, 1
    )
    np.testing.assert_array_equal(pads_dilated, full[..., 2:-2])  # crop d(K−1) − 1 = 2 per side
    np.testing.assert_array_equal(consistent, torch_p1)
    assert pads_dilated.shape != torch_p1.shape


@given(params=conv_params(ndim=(1, 2), max_groups=1), seed=SEEDS, tk=st.booleans())
def test_jax_export_round_trip(params, seed, tk):
    spec = tcm.conv_transpose_spec(**params)
    args = J.to_jax(spec, transpose_kernel=tk)
    rng = np.random.default_rng(seed)
    x, w = ints(rng, (1, *spec.input_shape)), ints(rng, spec.weight_shape)
    kw = {k: v for k, v in params_kw(params).items() if k != "padding_mode"}
    rhs = w if tk else tcm.equivalent_conv(w, spec.input_shape, **kw).weight
    np.testing.assert_array_equal(
        J.conv_transpose(x, rhs, **args), tcm.conv_transpose(x, w, **params_kw(params))
    )
    got, _ = J.spec_from_jax(x.shape, rhs.shape, **args)
    assert same_map(got, spec)


def test_jax_bad_input():
    with pytest.raises(tcm.ConvolutionSpecError, match="conv_transpose padding must be 'SAME', 'VALID' or"):
        J.conv_transpose(np.ones((1, 3, 1)), np.ones((3, 1, 1)), [2], "FULL")
    with pytest.raises(tcm.ConvolutionSpecError, match=r"the kernel's I dimension must equal lhs features"):
        J.spec_from_jax((1, 3, 2), (3, 1, 1), [2], "SAME")
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"dimension_numbers spec 'NCC' must have 3 distinct letters"
    ):
        J.conv_general_dilated(
            np.ones((1, 1, 3)), np.ones((1, 1, 2)), [1], "VALID", dimension_numbers=("NCC", "OIH", "NCH")
        )
    with pytest.raises(
        tcm.ConvolutionSpecError, match=r"must use the same spatial letters .*got \('NCX', 'OIH', 'NCH'\)"
    ):
        J.conv_general_dilated(
            np.ones((1, 1, 3)), np.ones((1, 1, 2)), [1], "VALID", dimension_numbers=("NCX", "OIH", "NCH")
        )
    with pytest.raises(tcm.ConvolutionSpecError, match="string padding is not implemented with lhs_dilation"):
        J.conv_general_dilated(np.ones((1, 1, 3)), np.ones((1, 1, 2)), [1], "SAME", lhs_dilation=[2])
    with pytest.raises(tcm.ConvolutionSpecError, match=r"lax.conv_transpose has no groups; got groups=2"):
        J.to_jax(tcm.conv_transpose_spec((2, 1, 3), (2, 4), groups=2))
    with pytest.raises(tcm.ConvolutionSpecError, match=r"reach beyond d·\(K−1\)=2 \(at the start\)"):
        J.spec_from_jax((1, 3, 1), (3, 1, 1), [1], [(3, 0)])


# ---------------------------------------------------------------------------
# Group weight layout: what graph converters get wrong
# ---------------------------------------------------------------------------


@given(case=cases(kind="transpose", ndims=(1, 2)), seed=SEEDS)
def test_group_weight_layout_per_group_swap(torch, case, seed):
    """ConvTranspose→Conv rewrite: swap in/out channels *inside each group*; a global
    transpose of the first two axes has the right shape only when groups = 1."""
    assume(case.kwargs.get("groups", 1) > 1)
    x, w, _ = case.arrays(seed, np.float64)
    spec = case.spec()
    eq = tcm.equivalent_conv(w, spec.input_shape, **case.kwargs)
    assert eq.weight.shape == (spec.out_channels, spec.in_channels // spec.groups, *spec.kernel_size)
    # The lowering a converter emits: zero-insert (lhs_dilation), pad (negative = crop), Conv.
    from tconvmat.conventions.jax import conv_general_dilated

    xb = x if case.batch is not None else x[None]
    y = conv_general_dilated(
        xb, eq.weight, (1,) * spec.ndim, eq.pads, eq.upsample, eq.dilation, None, eq.groups
    )
    expected = tcm.conv_transpose(xb, w, **case.kwargs)
    np.testing.assert_array_equal(y, expected)
    naive = np.flip(np.swapaxes(w, 0, 1), axis=tuple(range(2, w.ndim)))
    assert naive.shape != eq.weight.shape or not np.array_equal(naive, eq.weight)


def test_keras_refusal_speaks_of_the_layer_not_of_output_shape():
    """Keras' TF backend: 'same', kernel 4, stride 2, output_padding 0 has no TF transposed conv."""
    rule = r"this Keras layer has no transposed convolution under the TensorFlow backend's rule"
    with pytest.raises(
        tcm.ConvolutionSpecError, match=rule + r": padding='same', output_padding=0 give output size \(6,\)"
    ):
        KE.spec_from_keras((1, 4, 1), (4, 1, 1), strides=2, padding="same", output_padding=0)
