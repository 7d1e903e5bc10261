"""tconvmat.rewrite and ``tconvmat rewrite``: ConvTranspose → standard operators, against ONNX Runtime.

Real models are exported from PyTorch with the TorchScript exporter
(``torch.onnx.export(..., dynamo=False)``, which needs no onnxscript); single nodes
are built with ``onnx.helper``.  ONNX Runtime runs the original and the rewritten
model on the same inputs; with integer weights and inputs the outputs are equal.
"""

from __future__ import annotations

import io
import math
import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .conftest import oracle

FORMS = ("conv", "subpixel")


@pytest.fixture(scope="module")
def ort() -> ModuleType:
    return oracle("onnxruntime")


def _rw() -> ModuleType:
    from tconvmat import rewrite

    return rewrite


# ---------------------------------------------------------------------------
# Models: PyTorch modules (also used by benchmarks/bench_rewrite.py)
# ---------------------------------------------------------------------------


def torch_models(torch: ModuleType, scale: int = 1, integer: bool = False) -> dict[str, tuple[Any, Any, Any]]:
    """``name -> (module, example input, dynamic_axes)``; ``scale`` multiplies channels and sizes.

    ``integer=True``: integer weights in [-2, 2], no normalisation and ReLU only, so
    that with integer inputs every sum is an exact float32 integer.
    """
    nn = torch.nn
    c = scale

    def act() -> Any:
        return nn.ReLU() if integer else nn.LeakyReLU(0.1)

    def norm(ch: int, nd: int = 2) -> Any:
        return nn.Identity() if integer else (nn.BatchNorm2d(ch) if nd == 2 else nn.BatchNorm1d(ch))

    dcgan = nn.Sequential(
        nn.ConvTranspose2d(8 * c, 16 * c, 4, 1, 0, bias=False),
        norm(16 * c),
        nn.ReLU(),
        nn.ConvTranspose2d(16 * c, 8 * c, 4, 2, 1, bias=False),
        norm(8 * c),
        nn.ReLU(),
        nn.ConvTranspose2d(8 * c, 4 * c, 4, 2, 1, bias=False),
        norm(4 * c),
        nn.ReLU(),
        nn.ConvTranspose2d(4 * c, 3, 4, 2, 1, bias=False),
        nn.Identity() if integer else nn.Tanh(),
    )
    decoder = nn.Sequential(
        nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1, groups=4),
        act(),
        nn.ConvTranspose2d(
            8, 6, (3, 2), stride=(2, 3), padding=(2, 0), dilation=(3, 1), output_padding=(1, 2)
        ),
        act(),
        nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, dilation=2, groups=2),  # gcd(s, d) = 2
        act(),
        nn.ConvTranspose2d(4, 2, (1, 4), stride=(1, 2), padding=(0, 3)),
    )
    vocoder = nn.Sequential(
        nn.Conv1d(4, 8 * c, 7, padding=3),
        act(),
        nn.ConvTranspose1d(8 * c, 4 * c, 16, stride=8, padding=4),
        act(),
        nn.ConvTranspose1d(4 * c, 4 * c, 4, stride=2, padding=1),
        act(),
        nn.ConvTranspose1d(4 * c, 2 * c, 4, stride=2, padding=1),
        act(),
        nn.Conv1d(2 * c, 1, 7, padding=3),
    )
    volume = nn.Sequential(
        nn.ConvTranspose3d(4, 3, (3, 3, 2), stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 1)),
        act(),
        nn.ConvTranspose3d(3, 2, 2, stride=2),
    )
    models = {
        "dcgan": (dcgan, torch.zeros(1, 8 * c, 1, 1), None),
        "dcgan_dynamic_batch": (dcgan, torch.zeros(2, 8 * c, 1, 1), {"x": {0: "batch"}, "y": {0: "batch"}}),
        "decoder": (decoder, torch.zeros(1, 8, 3 * c, 4 * c), None),
        "vocoder": (vocoder, torch.zeros(1, 4, 8 * c), None),
        "vocoder_dynamic_time": (vocoder, torch.zeros(1, 4, 8 * c), {"x": {0: "batch", 2: "time"}}),
        "volume": (volume, torch.zeros(1, 4, 2 * c, 3 * c, 2 * c), None),
    }
    generator = torch.Generator().manual_seed(0)
    for module, _, _ in models.values():
        module.eval()
        with torch.no_grad():
            for p in module.parameters():
                if integer:
                    p.copy_(torch.randint(-2, 3, p.shape, generator=generator).to(p.dtype))
                else:
                    p.copy_(torch.randn(p.shape, generator=generator) * 0.3)
            for name, buf in module.named_buffers():
                if name.endswith("running_var"):
                    buf.copy_(torch.rand(buf.shape, generator=generator) + 0.5)
                elif name.endswith("running_mean"):
                    buf.copy_(torch.randn(buf.shape, generator=generator) * 0.1)
    return models


def export(torch: ModuleType, module: Any, x: Any, dynamic_axes: Any = None, opset: int = 17) -> Any:
    """The module as an ONNX model (TorchScript exporter, constants folded)."""
    import onnx

    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (x,),
            f,
            dynamo=False,
            opset_version=opset,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes=dynamic_axes,
        )
    return onnx.load_from_string(f.getvalue())


def _ops(model: Any) -> list[str]:
    return [n.op_type for n in model.graph.node]


def _valid(onnx: ModuleType, model: Any) -> None:
    onnx.checker.check_model(model, full_check=True)
    onnx.shape_inference.infer_shapes(model, strict_mode=True)


def _rewrite_quietly(model: Any, to: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _rw().RewriteWarning)
        return _rw().rewrite_model(model, to)


MODEL_NAMES = ("dcgan", "dcgan_dynamic_batch", "decoder", "vocoder", "vocoder_dynamic_time", "volume")


@pytest.mark.parametrize("to", FORMS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_torch_model(torch: ModuleType, onnx: ModuleType, ort: ModuleType, name: str, to: str) -> None:
    module, x, dyn = torch_models(torch)[name]
    model = export(torch, module, x, dyn)
    count = _ops(model).count("ConvTranspose")
    assert count >= 2
    result = _rw().rewrite(model, to)
    out = result.model
    assert "ConvTranspose" not in _ops(out)
    assert len(result.rewritten) == count and not result.left
    _valid(onnx, out)
    dims = {"batch": 3, "time": 11}
    check = _rw().check_rewrite(model, out, n=2, seed=1, dims=dims)
    assert check.ok and check.max_difference < 1e-4, check
    # and against PyTorch itself, on another input size
    xb = torch.randn(3, *x.shape[1:]) if dyn else torch.randn(*x.shape)
    if name == "vocoder_dynamic_time":
        xb = torch.randn(2, 4, 13)
    with torch.no_grad():
        want = module(xb).numpy()
    sess = ort.InferenceSession(out.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"x": xb.numpy()})[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(want).max())))
    if to == "subpixel" and name == "decoder":
        forms = [o.form for o in result.rewritten]
        assert forms == ["subpixel", "subpixel", "conv", "subpixel"]  # gcd(2, 2) = 2: conv instead
        assert "share the factor 2" in result.rewritten[2].note


@pytest.mark.parametrize("name", ("dcgan_dynamic_batch", "vocoder_dynamic_time", "decoder"))
def test_torch_model_dynamo_exporter(torch: ModuleType, onnx: ModuleType, ort: ModuleType, name: str) -> None:
    """PyTorch's default (torch.export-based) exporter, opset 20 here: needs onnxscript."""
    oracle("onnxscript")
    from torch.export import Dim

    module, x, dyn = torch_models(torch)[name]
    shapes = None
    if dyn:
        axes = {0: Dim("batch", min=1, max=64)}
        if 2 in dyn["x"]:
            axes[2] = Dim("time", min=2, max=4096)
        shapes = (axes,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = torch.onnx.export(module, (x,), dynamo=True, dynamic_shapes=shapes, verbose=False).model_proto
    assert "ConvTranspose" in _ops(model)
    for to in FORMS:
        out = _rewrite_quietly(model, to)
        assert "ConvTranspose" not in _ops(out)
        _valid(onnx, out)
        check = _rw().check_rewrite(model, out, n=2, dims={"batch": 3, "time": 11})
        assert check.ok, check


@pytest.mark.parametrize("to", FORMS)
@pytest.mark.parametrize("name", ("decoder", "vocoder_dynamic_time", "volume", "dcgan_dynamic_batch"))
def test_torch_model_exact(torch: ModuleType, onnx: ModuleType, ort: ModuleType, name: str, to: str) -> None:
    module, x, dyn = torch_models(torch, integer=True)[name]
    model = export(torch, module, x, dyn)
    out = _rewrite_quietly(model, to)
    assert "ConvTranspose" not in _ops(out)
    check = _rw().check_rewrite(model, out, n=2, seed=2, dims={"batch": 2, "time": 9}, integers=True)
    assert check.max_difference == 0.0, check


def test_subpixel_skips_the_zeros(torch: ModuleType, onnx: ModuleType) -> None:
    """DCGAN's stride-2 4×4 layers: the sub-pixel Conv has 2×2 taps per phase, 4 phases."""
    module, x, _ = torch_models(torch)["dcgan"]
    out = _rw().rewrite_model(export(torch, module, x), "subpixel")
    convs = [n for n in out.graph.node if n.op_type == "Conv"]
    shapes = {i.name: tuple(i.dims) for i in out.graph.initializer}
    assert [shapes[n.input[1]][2:] for n in convs] == [(4, 4), (2, 2), (2, 2), (2, 2)]
    assert [shapes[n.input[1]][0] for n in convs] == [16, 8 * 4, 4 * 4, 3 * 4]
    assert _ops(out).count("DepthToSpace") == 3


# ---------------------------------------------------------------------------
# Hand-built nodes: auto_pad, output_shape, pads, constants, opsets
# ---------------------------------------------------------------------------


def single(
    attrs: dict[str, Any],
    L: tuple[Any, ...] = (4,),
    cin: int = 2,
    cout: int = 4,
    K: tuple[int, ...] = (3,),
    group: int = 1,
    bias: bool = True,
    opset: int = 17,
    batch: Any = 1,
    seed: int = 0,
    weight_as: str = "initializer",
    bias_as: str = "initializer",
) -> Any:
    """One ConvTranspose node with integer weights, as an ONNX model."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    W = rng.integers(-3, 4, (cin, cout // group, *K)).astype(np.float32)
    B = rng.integers(-3, 4, cout).astype(np.float32)
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [batch, cin, *L])]
    inits, nodes = [], []
    if weight_as == "initializer":
        inits.append(numpy_helper.from_array(W, "W"))
    elif weight_as == "constant":
        nodes.append(helper.make_node("Constant", [], ["W"], value=numpy_helper.from_array(W, "w")))
    else:
        inputs.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, list(W.shape)))
    names = ["X", "W"]
    if bias:
        names.append("B")
        if bias_as == "initializer":
            inits.append(numpy_helper.from_array(B, "B"))
        else:
            inputs.append(helper.make_tensor_value_info("B", TensorProto.FLOAT, [cout]))
    nodes.append(helper.make_node("ConvTranspose", names, ["Y"], name="up", group=group, **attrs))
    out = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [None] * (len(L) + 2))
    graph = helper.make_graph(nodes, "g", inputs, [out], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _same_in_ort(onnx: ModuleType, model: Any, to: str, **kw: Any) -> Any:
    out = _rewrite_quietly(model, to)
    assert "ConvTranspose" not in _ops(out)
    _valid(onnx, out)
    check = _rw().check_rewrite(model, out, n=2, integers=True, **kw)
    assert check.max_difference == 0.0, check
    return out


CASES = {
    "same_upper": dict(attrs=dict(strides=[2], auto_pad="SAME_UPPER")),
    "same_lower": dict(attrs=dict(strides=[2], auto_pad="SAME_LOWER")),
    "same_upper_2d_op": dict(
        attrs=dict(strides=[2, 3], auto_pad="SAME_UPPER", output_padding=[1, 0]), L=(3, 2), K=(3, 2)
    ),
    "same_lower_kernel_shorter_than_stride": dict(attrs=dict(strides=[3], auto_pad="SAME_LOWER"), K=(2,)),
    "valid": dict(attrs=dict(strides=[2], auto_pad="VALID")),
    "output_shape_crop": dict(attrs=dict(strides=[2], output_shape=[6])),
    "output_shape_crop_same_upper": dict(attrs=dict(strides=[2], output_shape=[6], auto_pad="SAME_UPPER")),
    "output_shape_with_pads_ignored": dict(attrs=dict(strides=[2], output_shape=[7], pads=[0, 2])),
    "output_shape_full": dict(attrs=dict(strides=[2], output_shape=[9])),
    "output_shape_beyond": dict(attrs=dict(strides=[3], output_shape=[13]), L=(4,)),
    "output_shape_beyond_2d": dict(attrs=dict(strides=[2, 3], output_shape=[8, 10]), L=(3, 3), K=(3, 2)),
    "asymmetric_pads": dict(attrs=dict(strides=[2, 2], pads=[0, 3, 2, 1]), L=(3, 4), K=(3, 3)),
    "crop_past_the_input": dict(attrs=dict(strides=[5], pads=[2, 2], output_padding=[4]), L=(1,), K=(1,)),
    "dilation_coprime": dict(attrs=dict(strides=[3], dilations=[2], pads=[3, 1], output_padding=[1])),
    "groups": dict(attrs=dict(strides=[2]), cin=4, cout=6, group=2),
    "dynamic_batch": dict(attrs=dict(strides=[2], pads=[1, 0]), batch="N"),
    "dynamic_length": dict(attrs=dict(strides=[3], dilations=[2], pads=[2, 4]), L=("T",)),
    "dynamic_2d": dict(attrs=dict(strides=[2, 2], pads=[1, 1, 1, 1]), L=("H", "W"), K=(4, 4), batch="N"),
    "constant_weight": dict(attrs=dict(strides=[2]), weight_as="constant"),
    "bias_input": dict(attrs=dict(strides=[2], pads=[1, 1]), bias_as="input"),
    "no_bias": dict(attrs=dict(strides=[2]), bias=False),
    "opset_11": dict(attrs=dict(strides=[2]), opset=11),
    "opset_13": dict(attrs=dict(strides=[2, 2]), L=(2, 2), K=(2, 2), opset=13),
    "stride_1": dict(attrs=dict(dilations=[2], pads=[1, 0])),
}


@pytest.mark.parametrize("to", FORMS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_single_node(onnx: ModuleType, ort: ModuleType, case: str, to: str) -> None:
    model = single(**CASES[case])
    onnx.checker.check_model(model)
    _same_in_ort(onnx, model, to, dims={"N": 3, "T": 5, "H": 3, "W": 2})


def test_output_shape_beyond_is_output_padding() -> None:
    """ONNX Runtime appends the extra positions at the end: output_padding grown by them."""
    spec = _rw().spec_from_attributes((1, 1, 3), (4,), {"strides": [3], "output_shape": [14]})
    assert spec.padding == ((0, 0),) and spec.output_padding == (2,) and spec.output_size == (14,)
    with pytest.raises(
        _rw().RewriteError, match=r"exceeds the uncropped output size 12 by 3, more than stride − 1"
    ):
        _rw().spec_from_attributes((1, 1, 3), (4,), {"strides": [3], "output_shape": [15]})


def test_spec_from_attributes_refusals() -> None:
    rw = _rw()
    with pytest.raises(rw.RewriteError, match="pads cannot be used together with auto_pad='VALID'"):
        rw.spec_from_attributes((1, 1, 3), (4,), {"auto_pad": b"VALID", "pads": [1, 1]})
    with pytest.raises(rw.RewriteError, match="auto_pad must be one of"):
        rw.spec_from_attributes((1, 1, 3), (4,), {"auto_pad": "SAME"})
    with pytest.raises(rw.RewriteError, match="unknown \\(dynamic\\) on axis 0"):
        rw.spec_from_attributes((1, 1, 3), (None,), {"output_shape": [6]})
    with pytest.raises(rw.RewriteError, match="kernel_shape must equal"):
        rw.spec_from_attributes((1, 1, 3), (4,), {"kernel_shape": [2]})
    with pytest.raises(rw.RewriteError, match="strides must have 1 entries"):
        rw.spec_from_attributes((1, 1, 3), (4,), {"strides": [2, 2]})
    with pytest.raises(rw.RewriteError, match="output_shape must have 1 entries, the spatial sizes"):
        rw.spec_from_attributes((1, 1, 3), (4,), {"output_shape": [1, 1, 9]})
    with pytest.raises(ValueError, match="no attribute 'foo'"):
        rw.spec_from_attributes((1, 1, 3), (4,), {"foo": 1})


def test_same_split_as_onnx_runtime(ort: ModuleType) -> None:
    """SAME_UPPER crops the odd one at the end, SAME_LOWER and NOTSET at the start."""
    rw = _rw()
    for mode, pads in (("SAME_UPPER", ((0, 1),)), ("SAME_LOWER", ((1, 0),)), ("NOTSET", ((1, 0),))):
        spec = rw.spec_from_attributes(
            (1, 1, 3), (3,), {"strides": [2], "output_shape": [6], "auto_pad": mode}
        )
        assert spec.padding == pads


def test_weight_not_constant_is_left(onnx: ModuleType, ort: ModuleType) -> None:
    model = single(dict(strides=[2]), weight_as="input")
    with pytest.warns(_rw().RewriteWarning, match=r"up: weight 'W' is not a constant \(a graph input\)"):
        out = _rw().rewrite_model(model, "conv")
    assert _ops(out) == ["ConvTranspose"]
    result = _rw().rewrite(model, "subpixel")
    assert result.left[0].node == "up" and not result.rewritten


def test_initializer_that_is_an_input_is_not_constant(onnx: ModuleType) -> None:
    from onnx import TensorProto, helper

    model = single(dict(strides=[2]))
    model.graph.input.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, [2, 4, 3]))
    assert _rw().rewrite(model).left[0].note.startswith("weight 'W' is not a constant (a graph input)")


def test_fallback_warns(onnx: ModuleType, ort: ModuleType) -> None:
    model = single(dict(strides=[2], dilations=[2]))
    with pytest.warns(_rw().RewriteWarning, match=r"dilation 2 and stride 2 share the factor 2 \(axis 0\)"):
        out = _rw().rewrite_model(model, "subpixel")
    assert "ConvTranspose" not in _ops(out)
    assert _rw().check_rewrite(model, out, integers=True).max_difference == 0.0


def test_old_weight_removed_shared_weight_kept(onnx: ModuleType, ort: ModuleType) -> None:
    from onnx import helper

    model = single(dict(strides=[2]))
    out = _rw().rewrite_model(model)
    assert "W" not in {t.name for t in out.graph.initializer}
    assert "B" in {t.name for t in out.graph.initializer}  # the Conv reads it
    sub = _rw().rewrite_model(model, "subpixel")  # reads a bias repeated per phase instead
    assert not {"W", "B"} & {t.name for t in sub.graph.initializer}
    # W also read by another node: kept
    model.graph.node.append(helper.make_node("Identity", ["W"], ["W_copy"]))
    model.graph.output.append(onnx.helper.make_tensor_value_info("W_copy", onnx.TensorProto.FLOAT, [2, 4, 3]))
    out = _rw().rewrite_model(model)
    assert "W" in {t.name for t in out.graph.initializer}
    _valid(onnx, out)
    assert _rw().check_rewrite(model, out, integers=True).max_difference == 0.0


def test_input_model_not_modified(onnx: ModuleType) -> None:
    model = single(dict(strides=[2]))
    before = model.SerializeToString()
    _rw().rewrite_model(model, "subpixel")
    assert model.SerializeToString() == before


def test_rewrite_refusals(onnx: ModuleType) -> None:
    rw = _rw()
    with pytest.raises(
        rw.RewriteError, match=r"opset is 9; the rewrite needs opset ≥ 11 .*version_converter"
    ):
        rw.rewrite_model(single(dict(strides=[2]), opset=9))
    with pytest.raises(rw.RewriteError, match="to must be one of 'conv', 'subpixel'; got to='pixel'"):
        rw.rewrite_model(single(dict(strides=[2])), "pixel")  # type: ignore[arg-type]
    with pytest.raises(rw.RewriteError, match=r"model must be an onnx\.ModelProto; got bytes"):
        rw.rewrite_model(b"not a model")
    with pytest.raises(rw.RewriteError, match=r"node 'up': output_padding must be smaller"):
        rw.rewrite_model(single(dict(strides=[2], output_padding=[2])))
    broken = single(dict(strides=[2]))
    broken.graph.output[0].type.tensor_type.ClearField("shape")
    with pytest.raises(rw.RewriteError, match=r"the model does not pass onnx\.checker: Field 'shape'"):
        rw.rewrite_model(broken)
    assert issubclass(rw.RewriteError, ValueError)


def test_check_reports_a_difference(onnx: ModuleType, ort: ModuleType) -> None:
    """A wrong rewrite is caught: the check must be able to fail."""
    from onnx import numpy_helper

    model = single(dict(strides=[2]))
    out = _rw().rewrite_model(model)
    conv = next(n for n in out.graph.node if n.op_type == "Conv")
    init = next(t for t in out.graph.initializer if t.name == conv.input[1])
    w = numpy_helper.to_array(init).copy()
    w[0, 0, 0] += 1
    init.CopyFrom(numpy_helper.from_array(w, init.name))
    check = _rw().check_rewrite(model, out, n=1)
    assert not check.ok and check.max_difference > 0.1


def test_output_padding_past_stride_is_refused_as_onnx_runtime_does(
    onnx: ModuleType, ort: ModuleType
) -> None:
    """ONNX Runtime refuses output_padding ≥ stride even where dilation allows it (PyTorch does):
    the rewrite reads the node as ONNX Runtime runs it, as conventions.onnx does, and refuses it
    up front instead of writing a model that runs where the original cannot."""
    import tconvmat as tcm
    from tconvmat.conventions import onnx as O

    model = single(dict(strides=[1], dilations=[2], output_padding=[1]))
    with pytest.raises(_rw().RewriteError, match="output_padding must be smaller than strides"):
        _rw().rewrite_model(model)
    with pytest.raises(tcm.ConvolutionSpecError):
        O.spec_from_onnx((1, 1, 4), (1, 1, 3), strides=[1], dilations=[2], output_padding=[1])


# ---------------------------------------------------------------------------
# Hypothesis: random single nodes, both forms, exact against ONNX Runtime
# ---------------------------------------------------------------------------


@st.composite
def node_params(draw: Any) -> dict[str, Any]:
    nd = draw(st.integers(1, 3))
    group = draw(st.integers(1, 2))
    K = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    s = [draw(st.integers(1, 3)) for _ in range(nd)]
    d = [draw(st.integers(1, 3)) for _ in range(nd)]
    L = tuple(draw(st.integers(1, {1: 6, 2: 4, 3: 3}[nd])) for _ in range(nd))
    op = [draw(st.integers(0, si - 1)) for si in s]  # ONNX Runtime: output_padding < stride
    full = [(n - 1) * si + di * (k - 1) + 1 + o for n, si, di, k, o in zip(L, s, d, K, op)]
    mode = draw(st.sampled_from(["pads", "pads", "SAME_UPPER", "SAME_LOWER", "VALID", "output_shape"]))
    attrs: dict[str, Any] = {"strides": s, "dilations": d, "output_padding": op}
    if mode == "pads":
        pb = [draw(st.integers(0, f - 1)) for f in full]
        attrs["pads"] = pb + [draw(st.integers(0, f - 1 - b)) for f, b in zip(full, pb)]
    elif mode == "output_shape":
        attrs["output_shape"] = [draw(st.integers(1, f + si - 1 - o)) for f, si, o in zip(full, s, op)]
        if draw(st.booleans()):
            attrs["auto_pad"] = draw(st.sampled_from(["SAME_UPPER", "SAME_LOWER"]))
    else:
        attrs["auto_pad"] = mode
    dynamic = mode != "output_shape" and draw(st.booleans())
    return dict(
        attrs=attrs,
        L=tuple(f"L{a}" for a in range(nd)) if dynamic else L,
        cin=group * draw(st.integers(1, 2)),
        cout=group * draw(st.integers(1, 2)),
        K=K,
        group=group,
        bias=draw(st.booleans()),
        batch=draw(st.sampled_from([1, 2, "N"])),
        seed=draw(st.integers(0, 2**16)),
        bias_as=draw(st.sampled_from(["initializer", "initializer", "input"])),
        sizes={f"L{a}": v for a, v in enumerate(L)},
    )


@given(p=node_params(), to=st.sampled_from(FORMS))
def test_random_nodes(onnx: ModuleType, ort: ModuleType, p: dict[str, Any], to: str) -> None:
    sizes = p.pop("sizes")
    model = single(**p)
    out = _rewrite_quietly(model, to)
    assert "ConvTranspose" not in _ops(out)
    onnx.checker.check_model(out)
    onnx.shape_inference.infer_shapes(out, strict_mode=True)
    check = _rw().check_rewrite(model, out, n=1, seed=p["seed"], dims={"N": 2, **sizes}, integers=True)
    assert check.max_difference == 0.0, (p, to, check)


def test_phase_count_matches_identities(onnx: ModuleType) -> None:
    """A 2-D stride (2, 3) node: one Conv with 6 phases per output channel, kernel ⌈K/s⌉."""
    out = _rw().rewrite_model(single(dict(strides=[2, 3]), L=(3, 3), K=(4, 6), cout=2), "subpixel")
    conv = next(n for n in out.graph.node if n.op_type == "Conv")
    w = next(t for t in out.graph.initializer if t.name == conv.input[1])
    assert tuple(w.dims) == (2 * 6, 2, math.ceil(4 / 2), math.ceil(6 / 3))


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def cli(argv: list[str]) -> int:
    """``tconvmat rewrite ...`` through main() once wired, else through the module's own parser."""
    from tconvmat import cli as tcli

    if "rewrite" in tcli.commands():
        return tcli.main(["rewrite", *argv])
    from tconvmat.cli import rewrite
    from tconvmat.cli._args import Parser, ToolMissing, UsageError

    parser = Parser(prog="tconvmat rewrite")
    rewrite.COMMANDS[0].configure(parser)
    try:
        return rewrite.COMMANDS[0].run(parser.parse_args(argv))
    except UsageError as e:
        print(f"tconvmat rewrite: error: {e}", file=__import__("sys").stderr)
        return 2
    except ToolMissing as e:
        print(f"tconvmat rewrite: {e}", file=__import__("sys").stderr)
        return 1


def test_cli(onnx: ModuleType, ort: ModuleType, tmp_path: Any, capsys: Any) -> None:
    src = tmp_path / "in.onnx"
    onnx.save(single(dict(strides=[2, 2], pads=[1, 1, 1, 1]), L=(3, 4), K=(4, 4)), src)
    dst = tmp_path / "out.onnx"
    assert cli([str(src), "-o", str(dst), "--to", "subpixel", "--check", "2", "--seed", "3"]) == 0
    out, err = capsys.readouterr()
    assert "1 of 1 ConvTranspose node rewritten (--to subpixel)" in out
    assert "up: subpixel (K=(4, 4), s=(2, 2), pads=((1, 1), (1, 1)))" in out
    assert "check: 2 random inputs (seed 3)" in out and " ok" in out
    assert f"wrote {dst}" in err
    written = onnx.load(dst)
    assert "ConvTranspose" not in _ops(written)
    _valid(onnx, written)


def test_cli_left_and_fallback(onnx: ModuleType, ort: ModuleType, tmp_path: Any, capsys: Any) -> None:
    src = tmp_path / "in.onnx"
    onnx.save(single(dict(strides=[2]), weight_as="input"), src)
    assert cli([str(src), "-o", str(tmp_path / "o.onnx"), "--check", "0"]) == 0
    out = capsys.readouterr().out
    assert "0 of 1 ConvTranspose node rewritten" in out and "1 left as ConvTranspose:" in out
    assert "up: weight 'W' is not a constant (a graph input)" in out
    onnx.save(single(dict(strides=[2], dilations=[2])), src)
    assert cli([str(src), "-o", str(tmp_path / "o.onnx"), "--to", "subpixel"]) == 0
    assert "up: conv instead (dilation 2 and stride 2 share the factor 2" in capsys.readouterr().out


def test_cli_strict_refuses_to_leave_a_conv_transpose(
    onnx: ModuleType, ort: ModuleType, tmp_path: Any, capsys: Any
) -> None:
    src, dst = tmp_path / "in.onnx", tmp_path / "o.onnx"
    onnx.save(single(dict(strides=[2]), weight_as="input"), src)
    assert cli([str(src), "-o", str(dst), "--check", "0", "--strict"]) == 1
    out = capsys.readouterr().out
    assert (
        "1 left as ConvTranspose:" in out and "--strict: ConvTranspose nodes remain; nothing written" in out
    )
    assert not dst.exists()
    onnx.save(single(dict(strides=[2])), src)  # all rewritten: --strict changes nothing
    assert cli([str(src), "-o", str(dst), "--strict"]) == 0 and dst.exists()


def test_cli_dim_names_must_exist(onnx: ModuleType, ort: ModuleType, tmp_path: Any, capsys: Any) -> None:
    src = tmp_path / "in.onnx"
    onnx.save(single(dict(strides=[2])), src)
    assert cli([str(src), "-o", str(tmp_path / "o.onnx"), "--dim", "foo=3"]) == 2
    assert "--dim: the model has no dynamic dimension 'foo'" in capsys.readouterr().err


def test_cli_check_failure_exits_1(
    onnx: ModuleType, ort: ModuleType, tmp_path: Any, capsys: Any, monkeypatch: Any
) -> None:
    from tconvmat.rewrite import _check

    src = tmp_path / "in.onnx"
    onnx.save(single(dict(strides=[2])), src)
    monkeypatch.setattr(_check, "RTOL", {np.dtype(np.float32): -1.0})  # a negative tolerance: always beyond
    dst = tmp_path / "o.onnx"
    assert cli([str(src), "-o", str(dst)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "nothing written" in out
    assert not dst.exists()


@pytest.mark.parametrize(
    ("make", "argv", "message"),
    [
        (None, ["{d}/missing.onnx", "-o", "{d}/o.onnx"], "cannot read '{d}/missing.onnx': no such file"),
        ("text", ["{d}/in.onnx", "-o", "{d}/o.onnx"], "'{d}/in.onnx' is not an ONNX model"),
        ("empty", ["{d}/in.onnx", "-o", "{d}/o.onnx"], "'{d}/in.onnx' is not an ONNX model"),
        (
            "model",
            ["{d}/in.onnx", "-o", "{d}/no/such/dir/o.onnx"],
            "-o: cannot write '{d}/no/such/dir/o.onnx'",
        ),
        ("model", ["{d}/in.onnx", "-o", "{d}"], "it is a directory"),
        ("model", ["{d}/in.onnx", "-o", "{d}/o.onnx", "--check", "x"], "expected a count ≥ 0; got 'x'"),
        ("model", ["{d}/in.onnx", "-o", "{d}/o.onnx", "--dim", "batch"], "--dim: expected NAME=SIZE"),
        ("opset9", ["{d}/in.onnx", "-o", "{d}/o.onnx"], "the model's opset is 9"),
        ("model", ["{d}/in.onnx", "-o", "{d}/o.onnx", "--to", "deconv"], "invalid choice: 'deconv'"),
    ],
)
def test_cli_usage_errors(
    onnx: ModuleType,
    ort: ModuleType,
    tmp_path: Any,
    capsys: Any,
    make: str | None,
    argv: list[str],
    message: str,
) -> None:
    src = tmp_path / "in.onnx"
    if make == "text":
        src.write_text("hello, not protobuf\n")
    elif make == "empty":
        src.write_bytes(b"")
    elif make == "model":
        onnx.save(single(dict(strides=[2])), src)
    elif make == "opset9":
        onnx.save(single(dict(strides=[2]), opset=9), src)
    d = str(tmp_path)
    assert cli([a.format(d=d) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message.format(d=d) in err[0], err


def test_subgraph_node_is_left(onnx: ModuleType, ort: ModuleType) -> None:
    """A ConvTranspose inside an If branch stays, and the weight it reads from outside is kept."""
    from onnx import TensorProto, helper

    model = single(dict(strides=[2]))
    branch = lambda name: helper.make_graph(  # noqa: E731
        [helper.make_node("ConvTranspose", ["X", "W"], [f"{name}_y"], name=f"{name}_up", strides=[2])],
        name,
        [],
        [helper.make_tensor_value_info(f"{name}_y", TensorProto.FLOAT, [1, 4, 9])],
    )
    model.graph.input.append(helper.make_tensor_value_info("cond", TensorProto.BOOL, []))
    model.graph.node.append(
        helper.make_node(
            "If", ["cond"], ["Z"], name="choose", then_branch=branch("a"), else_branch=branch("b")
        )
    )
    model.graph.output.append(helper.make_tensor_value_info("Z", TensorProto.FLOAT, [1, 4, 9]))
    result = _rw().rewrite(model, "subpixel")
    assert [(o.node, o.form) for o in result.rewritten] == [("up", "subpixel")]
    assert sorted(o.node for o in result.left) == ["a_up", "b_up"]
    assert result.left[0].note == "inside a subgraph of If 'choose'"
    assert "W" in {t.name for t in result.model.graph.initializer}
    check = _rw().check_rewrite(model, result.model, n=2, integers=True)
    assert check.differences == {"Y": 0.0, "Z": 0.0}


def test_output_shape_with_dynamic_size_is_left(onnx: ModuleType) -> None:
    result = _rw().rewrite(single(dict(strides=[2], output_shape=[8]), L=("T",)), "conv")
    assert result.left[0].note == (
        "output_shape=[8] needs the input's spatial size, which is unknown (dynamic): left as ConvTranspose"
    )
