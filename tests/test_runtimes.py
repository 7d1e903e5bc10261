"""The real runtimes as oracles: ONNX Runtime, TensorFlow, Keras 3 (TF and JAX backends),
JAX and MLX against ``tconvmat.conventions``.

Each property draws ``BATCH`` random parameter sets per example and sends them to the
runtime in one call (one ONNX model with ``BATCH`` nodes, one request to a worker
process), so the thorough profile (400 examples) compares 2,000 cases per property
(JAX, which compiles every new shape: 3 + 2 per example over its two properties, 2,000
in all; Keras 6 and MLX 7, so that 2,000 are compared besides the documented gaps).
The run ends with the count per runtime ("runtime cases compared").
Every property checks refusal parity too: the runtime refuses exactly what tconvmat
refuses, except for the documented cases (named in the assertions and in
docs/conventions.md).  Data are small integers in float64 (float32 for ONNX Runtime,
exact at these sizes), so every comparison is exact.

TensorFlow and Keras-on-TF run in one subprocess, JAX and Keras-on-JAX in another
(``tests/runtime_worker.py``): Keras picks its backend at import.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm
from tconvmat.conventions import jax as J
from tconvmat.conventions import keras as KE
from tconvmat.conventions import mlx as M
from tconvmat.conventions import onnx as O
from tconvmat.conventions import tf as TF

from .conftest import count_cases

BATCH = 5
SEEDS = st.integers(0, 2**32 - 1)


def ints(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    return rng.integers(-3, 4, shape).astype(dtype)


def ours(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """tconvmat's answer in the workers' form: ("ok", array) or ("err", message)."""
    try:
        return "ok", fn(*args, **kwargs)
    except tcm.ConvolutionSpecError as e:
        return "err", str(e)


RUNTIME_KEYS = {
    "ONNX Runtime": "onnxruntime",
    "TensorFlow (tf)": "tensorflow",
    "TensorFlow (tf_grad)": "tensorflow",
    "Keras (TensorFlow backend)": "keras-tensorflow",
    "Keras (JAX backend)": "keras-jax",
    "JAX": "jax",
    "MLX": "mlx",
}


def assert_same(case: Any, theirs: tuple[str, Any], mine: tuple[str, Any], runtime: str) -> None:
    """Both refuse, or both compute the same array (shape, and values exactly).

    A runtime whose process aborted on the case (XLA's CPU compiler does, on a few
    convolutions: docs/howto-graph-rewrite.md) has no answer: counted, not compared."""
    if theirs[0] == "crash":
        count_cases(f"{RUNTIME_KEYS[runtime]}: the runtime's process aborted, not compared")
        return
    count_cases(RUNTIME_KEYS[runtime])
    (t_kind, t_val), (m_kind, m_val) = theirs, mine
    if t_kind == "err" or m_kind == "err":
        assert t_kind == m_kind, (
            f"{runtime}: {t_kind}={t_val!r:.300} but tconvmat {m_kind}={m_val!r:.300} for {case}"
        )
        return
    t_arr = np.asarray(t_val, dtype=np.float64)
    assert t_arr.shape == m_val.shape, f"{runtime} shape {t_arr.shape} ≠ tconvmat {m_val.shape} for {case}"
    np.testing.assert_array_equal(m_val, t_arr, err_msg=f"{runtime} vs tconvmat for {case}")


# ---------------------------------------------------------------------------
# ONNX Runtime
# ---------------------------------------------------------------------------


def ort_run(ort: Any, op: str, cases: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Run every case as one node of one model; on failure run them one by one."""
    from onnx import TensorProto, helper

    def model(batch: list[tuple[int, dict[str, Any]]]) -> tuple[bytes, dict[str, np.ndarray]]:
        nodes, inputs, outputs, feeds = [], [], [], {}
        for i, c in batch:
            names = [f"X{i}", f"W{i}"] + ([f"B{i}"] if c["B"] is not None else [])
            nodes.append(helper.make_node(op, names, [f"Y{i}"], **c["attrs"]))
            for name, arr in zip(names, (c["X"], c["W"], c["B"])):
                inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, arr.shape))
                feeds[name] = arr.astype(np.float32)
            outputs.append(helper.make_tensor_value_info(f"Y{i}", TensorProto.FLOAT, None))
        graph = helper.make_graph(nodes, "g", inputs, outputs)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
        m.ir_version = 10
        return m.SerializeToString(), feeds

    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.intra_op_num_threads = 1

    def run(batch: list[tuple[int, dict[str, Any]]]) -> list[tuple[str, Any]]:
        data, feeds = model(batch)
        try:
            sess = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            return [("ok", y) for y in sess.run([f"Y{i}" for i, _ in batch], feeds)]
        except Exception as e:
            if len(batch) == 1:
                return [("err", f"{type(e).__name__}: {e}")]
            return [r for item in batch for r in run([item])]

    return run(list(enumerate(cases)))


@st.composite
def onnx_transpose_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 1, 2, 2, 3]))
    max_len = {1: 5, 2: 4, 3: 3}[n]
    g, a, b = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    L = [draw(st.integers(1, max_len)) for _ in range(n)]
    K = [draw(st.integers(1, 3)) for _ in range(n)]
    s = [draw(st.integers(1, 3)) for _ in range(n)]
    d = [draw(st.integers(1, 2)) for _ in range(n)]
    attrs: dict[str, Any] = {"strides": s, "dilations": d, "group": g}
    op = [0] * n
    if draw(st.booleans()):
        # up to stride − 1, now and then stride (ONNX Runtime refuses it: refusal parity)
        op = [draw(st.integers(0, si - 1)) if draw(st.integers(0, 7)) else si for si in s]
        attrs["output_padding"] = op
    if draw(st.booleans()):
        attrs["kernel_shape"] = K
    mode = draw(st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    if mode != "NOTSET" or draw(st.booleans()):
        attrs["auto_pad"] = mode
    if mode == "NOTSET" and draw(st.booleans()):
        attrs["pads"] = [draw(st.integers(0, 3)) for _ in range(2 * n)]
    if draw(st.booleans()):
        full0 = [(Li - 1) * si + di * (Ki - 1) + 1 for Li, Ki, si, di in zip(L, K, s, d)]
        # from four below the uncropped output (with output_padding) to stride past it (refused)
        attrs["output_shape"] = [
            draw(st.integers(max(1, f + p - 4), f + si)) for f, p, si in zip(full0, op, s)
        ]
    N = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    seed = draw(SEEDS)
    rng = np.random.default_rng(seed)
    X = ints(rng, (N, g * a, *L))
    W = ints(rng, (g * a, b, *K))
    return {"X": X, "W": W, "B": ints(rng, (g * b,)) if bias else None, "attrs": attrs}


@st.composite
def onnx_conv_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 1, 2, 2, 3]))
    max_len = {1: 7, 2: 5, 3: 4}[n]
    g, a, b = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    L = [draw(st.integers(1, max_len)) for _ in range(n)]
    K = [draw(st.integers(1, 3)) for _ in range(n)]
    mode = draw(st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    dilated = (
        mode not in ("SAME_UPPER", "SAME_LOWER") or draw(st.integers(0, 4)) == 0
    )  # ORT refuses SAME + dilation
    attrs: dict[str, Any] = {
        "strides": [draw(st.integers(1, 3)) for _ in range(n)],
        "dilations": [draw(st.integers(1, 2)) if dilated else 1 for _ in range(n)],
        "group": g,
    }
    if mode != "NOTSET" or draw(st.booleans()):
        attrs["auto_pad"] = mode
    if mode == "NOTSET" and draw(st.booleans()):
        attrs["pads"] = [draw(st.integers(0, 2)) for _ in range(2 * n)]
    rng = np.random.default_rng(draw(SEEDS))
    X = ints(rng, (draw(st.integers(1, 2)), g * a, *L))
    W = ints(rng, (g * b, a, *K))
    return {"X": X, "W": W, "B": ints(rng, (g * b,)) if draw(st.booleans()) else None, "attrs": attrs}


@given(cases=st.lists(onnx_transpose_cases(), min_size=BATCH, max_size=BATCH))
def test_onnxruntime_conv_transpose(onnxruntime, cases):
    for c, theirs in zip(cases, ort_run(onnxruntime, "ConvTranspose", cases)):
        assert_same(
            c["attrs"], theirs, ours(O.conv_transpose, c["X"], c["W"], c["B"], **c["attrs"]), "ONNX Runtime"
        )


@given(cases=st.lists(onnx_conv_cases(), min_size=BATCH, max_size=BATCH))
def test_onnxruntime_conv(onnxruntime, cases):
    for c, theirs in zip(cases, ort_run(onnxruntime, "Conv", cases)):
        if theirs[0] == "err" and ORT_SAME_DILATION in theirs[1]:
            count_cases("onnxruntime Conv: SAME with dilation refused by ORT, not compared")
            continue  # ONNX Runtime's gap, not a rule of the operator: test_onnxruntime_conv_same_dilation
        assert_same(c["attrs"], theirs, ours(O.conv, c["X"], c["W"], c["B"], **c["attrs"]), "ONNX Runtime")


ORT_SAME_DILATION = "Dilation not supported for AutoPadType::SAME_UPPER or AutoPadType::SAME_LOWER"


def test_onnxruntime_conv_same_dilation(onnx, onnxruntime):
    """Conv with auto_pad=SAME_* and dilations > 1: ONNX Runtime refuses; the operator
    specification defines it and onnx.reference computes it; tconvmat computes it too."""
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    X, W = np.array([[[1.0, 2.0, 3.0, 4.0]]]), np.array([[[1.0, 10.0]]])
    for mode, expected in (("SAME_UPPER", [30, 41, 2, 3]), ("SAME_LOWER", [20, 30, 41, 2])):
        attrs = {"auto_pad": mode, "dilations": [3]}
        c = {"X": X, "W": W, "B": None, "attrs": attrs}
        ((kind, msg),) = ort_run(onnxruntime, "Conv", [c])
        assert kind == "err" and ORT_SAME_DILATION in msg
        node = helper.make_node("Conv", ["X", "W"], ["Y"], **attrs)
        vi = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in ("X", "W", "Y")]
        graph = helper.make_graph([node], "g", vi[:2], vi[2:])
        ref = ReferenceEvaluator(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)]))
        y = O.conv(X, W, **attrs)
        np.testing.assert_array_equal(y, ref.run(None, {"X": X, "W": W})[0])
        assert y[0, 0].tolist() == expected, (mode, y)


def onnx_backend_cases() -> list[tuple[str, Any, list[np.ndarray], list[np.ndarray]]]:
    """The node tests ONNX ships for Conv and ConvTranspose (onnx/backend/test/case/node/conv.py,
    convtranspose.py), captured by replacing their ``expect``."""
    import onnx.backend.test.case.node.conv as conv_cases
    import onnx.backend.test.case.node.convtranspose as transpose_cases
    from onnx.backend.test.case.base import Base

    found: list[tuple[str, Any, list[np.ndarray], list[np.ndarray]]] = []
    for mod in (conv_cases, transpose_cases):
        saved = mod.expect
        mod.expect = lambda node, inputs, outputs, name, **kw: found.append((name, node, inputs, outputs))
        try:
            for cls in vars(mod).values():
                if inspect.isclass(cls) and issubclass(cls, Base) and cls is not Base:
                    for attr, fn in vars(cls).items():
                        if attr.startswith("export"):
                            fn.__func__() if isinstance(fn, staticmethod) else getattr(cls, attr)()
        finally:
            mod.expect = saved
    return found


def test_onnx_backend_node_tests(onnx, onnxruntime):
    """Every Conv/ConvTranspose node test of the installed onnx passes through tconvmat
    (and ONNX Runtime agrees), test_convtranspose_output_shape included."""
    cases = onnx_backend_cases()
    names = {name for name, *_ in cases}
    assert {
        "test_convtranspose_output_shape",
        "test_convtranspose_autopad_same",
        "test_conv_with_autopad_same",
    } <= names
    assert len(cases) >= 17
    for name, node, inputs, outputs in cases:
        got = O.from_node(node)(*inputs)
        np.testing.assert_array_equal(got, outputs[0], err_msg=name)
        c = {"X": inputs[0], "W": inputs[1], "B": inputs[2] if len(inputs) > 2 else None}
        c["attrs"] = dict(O.from_node(node).attributes)
        ((kind, y),) = ort_run(onnxruntime, node.op_type, [c])
        assert kind == "ok", (name, y)
        np.testing.assert_array_equal(y, outputs[0], err_msg=name)
    count_cases("onnx-backend-tests", len(cases))


def ort1(ort: Any, X: Any, W: Any, **attrs: Any) -> tuple[str, Any]:
    c = {"X": np.asarray(X, np.float64), "W": np.asarray(W, np.float64), "B": None, "attrs": attrs}
    return ort_run(ort, "ConvTranspose", [c])[0]


def ref1(X: Any, W: Any, **attrs: Any) -> tuple[str, Any]:
    from onnx import TensorProto, helper
    from onnx.reference import ReferenceEvaluator

    node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], **attrs)
    vi = [helper.make_tensor_value_info(n, TensorProto.DOUBLE, None) for n in ("X", "W", "Y")]
    graph = helper.make_graph([node], "g", vi[:2], vi[2:])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    try:
        return "ok", ReferenceEvaluator(model).run(
            None, {"X": np.asarray(X, float), "W": np.asarray(W, float)}
        )[0]
    except Exception as e:
        return "err", str(e)


X3 = np.array([[[1.0, 2.0, 3.0]]])
W3 = np.array([[[1.0, 10.0, 100.0]]])


@pytest.mark.parametrize(
    ("attrs", "spec_text", "reference", "runtime"),
    [
        # output_shape one and two past the uncropped 9 (strides 3): zeros at the end
        ({"strides": [3], "output_shape": [10]}, None, "end", "end"),
        ({"strides": [3], "output_shape": [11], "auto_pad": "SAME_UPPER"}, None, "both", "end"),
        ({"strides": [3], "output_shape": [10], "auto_pad": "SAME_UPPER"}, None, "start", "end"),
        ({"strides": [3], "output_shape": [10], "auto_pad": "SAME_LOWER"}, None, "end", "end"),
    ],
)
def test_onnx_output_shape_past_the_output_three_answers(
    onnx, onnxruntime, attrs, spec_text, reference, runtime
):
    """Negative total_padding: the specification's pads would be negative (it allows none);
    onnx.reference splits the zeros by its floor-division rule, ONNX Runtime puts them all
    at the end; tconvmat follows ONNX Runtime (and ONNX's own backend test, NOTSET)."""
    full = [1, 10, 100, 2, 20, 200, 3, 30, 300]
    extra = attrs["output_shape"][0] - len(full)
    placed = {
        "end": full + [0] * extra,
        "start": [0] * extra + full,
        "both": [0] * (extra // 2) + full + [0] * (extra - extra // 2),
    }
    ref_kind, ref_y = ref1(X3, W3, **attrs)
    assert ref_kind == "ok" and ref_y[0, 0].tolist() == placed[reference]
    ort_kind, ort_y = ort1(onnxruntime, X3, W3, **attrs)
    assert ort_kind == "ok" and ort_y[0, 0].tolist() == placed[runtime]
    assert O.conv_transpose(X3, W3, **attrs)[0, 0].tolist() == placed["end"]


def test_onnx_same_past_the_output_three_answers(onnx, onnxruntime):
    """auto_pad=SAME_* without output_shape, kernel shorter than the stride: the
    specification's target input·stride = 4 exceeds the uncropped 3.  onnx.reference pads
    zeros (at the start for SAME_UPPER); ONNX Runtime and ONNX's shape inference keep the
    uncropped output (3): tconvmat follows them."""
    from onnx import TensorProto, helper, shape_inference

    x, w = np.array([[[1.0, 2.0]]]), np.array([[[1.0]]])
    for mode, ref_answer in (("SAME_UPPER", [0, 1, 0, 2]), ("SAME_LOWER", [1, 0, 2, 0])):
        assert ref1(x, w, strides=[2], auto_pad=mode)[1][0, 0].tolist() == ref_answer
        kind, y = ort1(onnxruntime, x, w, strides=[2], auto_pad=mode)
        assert kind == "ok" and y[0, 0].tolist() == [1, 0, 2]
        assert O.conv_transpose(x, w, strides=[2], auto_pad=mode)[0, 0].tolist() == [1, 0, 2]
        node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], strides=[2], auto_pad=mode)
        vi = [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
            for n, s in (("X", [1, 1, 2]), ("W", [1, 1, 1]))
        ]
        graph = helper.make_graph(
            [node], "g", vi, [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)]
        )
        inferred = shape_inference.infer_shapes(
            helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
        )
        assert [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim] == [1, 1, 3]


def test_onnx_pads_with_output_shape_and_refusals(onnx, onnxruntime):
    """pads with output_shape: the specification and ONNX Runtime ignore pads, onnx.reference
    uses them.  output_padding ≥ strides and output_shape ≥ stride past the uncropped output:
    ONNX Runtime refuses, so does tconvmat."""
    attrs = {"strides": [3], "output_shape": [8], "pads": [2, 0]}
    assert ref1(X3, W3, **attrs)[1][0, 0].tolist() == [100, 2, 20, 200, 3, 30, 300, 0]
    kind, y = ort1(onnxruntime, X3, W3, **attrs)
    assert kind == "ok" and y[0, 0].tolist() == [10, 100, 2, 20, 200, 3, 30, 300]
    assert O.conv_transpose(X3, W3, **attrs)[0, 0].tolist() == [10, 100, 2, 20, 200, 3, 30, 300]
    for bad, rule in (
        ({"strides": [3], "output_shape": [12]}, "output_shape must be less than stride past"),
        (
            {"strides": [2], "dilations": [3], "output_padding": [2]},
            "output_padding must be smaller than strides",
        ),
        (
            {"strides": [1], "dilations": [3], "output_padding": [2]},
            "output_padding must be smaller than strides",
        ),
    ):
        assert ort1(onnxruntime, X3, W3, **bad)[0] == "err"
        with pytest.raises(tcm.ConvolutionSpecError, match=rule):
            O.conv_transpose(X3, W3, **bad)


# ---------------------------------------------------------------------------
# TensorFlow tf.nn.conv_transpose
# ---------------------------------------------------------------------------


@st.composite
def tf_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 2, 2, 3]))
    max_len = {1: 5, 2: 4, 3: 3}[n]
    L = [draw(st.integers(1, max_len)) for _ in range(n)]
    K = [draw(st.integers(1, 3)) for _ in range(n)]
    dilated = (
        draw(st.integers(0, 3)) == 0
    )  # TF's CPU kernels: dilation needs stride 1 (then via the gradient)
    s = [1] * n if dilated else [draw(st.integers(1, 3)) for _ in range(n)]
    d = [draw(st.integers(1, 2)) for _ in range(n)] if dilated else [1] * n
    # explicit pairs: tf.nn.conv_transpose takes them in 2-D only (refused in 1-D/3-D: parity);
    # the gradient route (dilated) pads by hand, so keep it to what conv_transpose accepts
    words = ["SAME", "VALID", "explicit"] if n == 2 or not dilated else ["SAME", "VALID"]
    padding: Any = draw(st.sampled_from(words))
    pairs = [[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in range(n)]
    out = []
    for Li, Ki, si, di, (pb, pa) in zip(L, K, s, d, pairs):
        k_eff = di * (Ki - 1) + 1
        lo = {"SAME": (Li - 1) * si + 1, "VALID": (Li - 1) * si + k_eff}.get(
            padding, (Li - 1) * si + k_eff - pb - pa
        )
        # the sizes that map back to L, and one past them now and then (TF refuses: parity)
        out.append(max(1, draw(st.integers(lo - (draw(st.integers(0, 9)) == 0), lo + si))))
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(SEEDS))
    x = ints(rng, (draw(st.integers(1, 2)), *L, c_in))
    return {
        "x": x,
        "filters": ints(rng, (*K, c_out, c_in)),
        "output_shape": [x.shape[0], *out, c_out],
        "strides": s,
        "padding": [[0, 0], *pairs, [0, 0]] if padding == "explicit" else padding,
        "data_format": {1: "NWC", 2: "NHWC", 3: "NDHWC"}[n],
        "dilations": d,
    }


@given(cases=st.lists(tf_cases(), min_size=BATCH, max_size=BATCH))
def test_tensorflow_conv_transpose(tf_worker, cases):
    """tf.nn.conv_transpose itself; with dilations > 1 (which TF's CPU kernels refuse) TF's
    definition, the GradientTape gradient of tf.nn.convolution w.r.t. its input."""
    plain = [c for c in cases if max(c["dilations"]) == 1]
    dilated = [c for c in cases if max(c["dilations"]) > 1]
    for op, group in (("tf", plain), ("tf_grad", dilated)):
        if not group:
            continue
        tf_worker.submit(op, group)  # TF computes while tconvmat does
        names = ("output_shape", "strides", "padding", "data_format", "dilations")
        args = [{k: c[k] for k in names} for c in group]
        mine = [ours(TF.conv_transpose, c["x"], c["filters"], **a) for c, a in zip(group, args)]
        for a, theirs, m in zip(args, tf_worker.result(), mine):
            assert_same(a, theirs, m, f"TensorFlow ({op})")


def test_tensorflow_cpu_refuses_dilation(tf_worker):
    """TF's CPU kernels refuse dilations > 1 in conv_transpose; tconvmat computes TF's definition."""
    c = {
        "x": np.ones((1, 3, 1)),
        "filters": np.ones((2, 1, 1)),
        "output_shape": [1, 6, 1],
        "strides": [1],
        "padding": "VALID",
        "data_format": "NWC",
        "dilations": [3],
    }
    (kind, msg), (grad_kind, grad) = tf_worker.run("tf", [c])[0], tf_worker.run("tf_grad", [c])[0]
    assert kind == "err" and "dilation" in msg, msg
    assert grad_kind == "ok"
    y = TF.conv_transpose(c["x"], c["filters"], [1, 6, 1], [1], "VALID", "NWC", [3])
    np.testing.assert_array_equal(y, grad)


def test_tensorflow_cpu_refuses_channels_first(tf_worker):
    """TF's CPU kernels refuse NCHW ("Conv2DCustomBackpropInputOp only supports NHWC");
    tconvmat computes it, the NHWC answer (which TF computes) transposed."""
    rng = np.random.default_rng(3)
    x, f = ints(rng, (1, 2, 3, 3)), ints(rng, (3, 3, 4, 2))  # NCHW input, [kh, kw, out, in]
    c = {"x": x, "filters": f, "output_shape": [1, 4, 6, 6], "strides": [2, 2], "padding": "SAME"}
    c |= {"data_format": "NCHW", "dilations": [1, 1]}
    nhwc = c | {"x": TF.channels_first_to_last(x), "output_shape": [1, 6, 6, 4], "data_format": "NHWC"}
    (kind, msg), (ok, y) = tf_worker.run("tf", [c, nhwc])
    assert kind == "err" and "only supports NHWC" in msg and ok == "ok"
    ours_nchw = TF.conv_transpose(x, f, [1, 4, 6, 6], [2, 2], "SAME", "NCHW")
    np.testing.assert_array_equal(ours_nchw, TF.channels_last_to_first(y))


# ---------------------------------------------------------------------------
# Keras 3 Conv{1,2,3}DTranspose, TensorFlow and JAX backends
# ---------------------------------------------------------------------------


@st.composite
def keras_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 1, 2, 2, 3]))
    max_len = {1: 5, 2: 4, 3: 3}[n]
    L = [draw(st.integers(1, max_len)) for _ in range(n)]
    K = [draw(st.integers(1, 4)) for _ in range(n)]
    s = [draw(st.integers(1, 3)) for _ in range(n)]
    # dilation mostly with stride 1 (the layer refuses strides > 1 with dilation_rate > 1)
    d = (
        [draw(st.integers(1, 2)) for _ in range(n)]
        if max(s) == 1 or draw(st.integers(0, 5)) == 0
        else [1] * n
    )
    op = None
    if draw(st.booleans()):
        op = [
            draw(st.integers(0, si - 1)) if draw(st.integers(0, 7)) else si for si in s
        ]  # now and then refused
    rng = np.random.default_rng(draw(SEEDS))
    c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return {
        "x": ints(rng, (draw(st.integers(1, 2)), *L, c_in)),
        "kernel": ints(rng, (*K, c_out, c_in)),
        "bias": ints(rng, (c_out,)) if draw(st.booleans()) else None,
        "strides": s,
        "padding": draw(st.sampled_from(["same", "valid"])),
        "output_padding": op,
        "data_format": "channels_last",
        "dilation_rate": d,
    }


def keras_ours(c: dict[str, Any], backend: str) -> tuple[str, Any]:
    args = [c[k] for k in ("strides", "padding", "output_padding", "data_format", "dilation_rate")]
    return ours(KE.conv_transpose, c["x"], c["kernel"], c["bias"], *args, backend=backend)


TF_CPU_DILATION = "not yet support dilation rates larger than 1"  # "Current CPU implementation(s) do(es) …"


@given(cases=st.lists(keras_cases(), min_size=6, max_size=6))  # 6: a tenth is TF's CPU dilation gap
def test_keras_backends(tf_worker, jax_worker, cases):
    """Both backends against their mappings; where the TF backend's CPU kernel refuses
    dilation > 1 (an implementation gap, not a rule of the layer), tconvmat computes TF's
    definition and the case is compared with the JAX backend only."""
    tf_worker.submit("keras", cases)
    jax_worker.submit("keras", cases)  # both backends compute at once, and tconvmat meanwhile
    mine = [(keras_ours(c, "tensorflow"), keras_ours(c, "jax")) for c in cases]
    for c, t, j, (mine_t, mine_j) in zip(cases, tf_worker.result(), jax_worker.result(), mine):
        shown = {k: v for k, v in c.items() if k not in ("x", "kernel", "bias")} | {
            "x": c["x"].shape,
            "kernel": c["kernel"].shape,
        }
        if t[0] == "err" and TF_CPU_DILATION in t[1]:
            count_cases("keras-tensorflow: CPU dilation gap, compared with the JAX backend only")
        else:
            assert_same(shown, t, mine_t, "Keras (TensorFlow backend)")
        assert_same(shown, j, mine_j, "Keras (JAX backend)")


def test_keras_backends_differ(tf_worker, jax_worker):
    """'same', even kernel, output_padding set: the TF backend refuses (tf.nn.conv_transpose's
    output_shape check), the JAX backend computes; a zero-length output: TF refuses, JAX
    returns an empty array."""
    c = {
        "x": np.arange(1.0, 5.0).reshape(1, 4, 1),
        "kernel": np.array([1.0, 10.0, 100.0, 1000.0]).reshape(4, 1, 1),
        "bias": None,
        "strides": [2],
        "padding": "same",
        "output_padding": [0],
        "data_format": "channels_last",
        "dilation_rate": [1],
    }
    empty = c | {"x": np.ones((1, 1, 1)), "kernel": np.ones((2, 1, 1)), "strides": [1]}
    tf_c, tf_e = tf_worker.run("keras", [c, empty])
    jax_c, jax_e = jax_worker.run("keras", [c, empty])
    assert tf_c[0] == "err" and tf_e[0] == "err", (tf_c, tf_e)
    with pytest.raises(tcm.ConvolutionSpecError, match="under the TensorFlow backend's rule"):
        KE.conv_transpose(c["x"], c["kernel"], None, [2], "same", [0])
    with pytest.raises(tcm.ConvolutionSpecError, match="under the TensorFlow backend's rule"):
        KE.conv_transpose(empty["x"], empty["kernel"], None, [1], "same", [0])
    full = tcm.conv_transpose(np.moveaxis(c["x"], -1, 1), TF.filters_to_torch(c["kernel"]), stride=2)
    assert jax_c[0] == "ok" and jax_c[1].shape == (1, 6, 1)
    np.testing.assert_array_equal(jax_c[1][0, :, 0], full[0, 0, 2:-2])  # crops (2, 2) of the full 10
    np.testing.assert_array_equal(keras_ours(c, "jax")[1], jax_c[1])
    assert jax_e[0] == "ok" and jax_e[1].shape == (1, 0, 1)
    assert keras_ours(empty, "jax")[1].shape == (1, 0, 1)


# ---------------------------------------------------------------------------
# JAX lax.conv_transpose and lax.conv_general_dilated
# ---------------------------------------------------------------------------


@st.composite
def jax_transpose_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 2]))
    L = tuple(draw(st.integers(1, 4)) for _ in range(n))
    K = tuple(draw(st.integers(1, 4)) for _ in range(n))
    s = tuple(draw(st.integers(1, 3)) for _ in range(n))
    d = tuple(draw(st.integers(1, 2)) for _ in range(n))
    kind = draw(st.sampled_from(["SAME", "VALID", "pairs", "consistent"]))
    # pairs down to −3: crops past the input give JAX's empty arrays and refusals
    padding: Any = (
        kind
        if kind in ("SAME", "VALID")
        else [(draw(st.integers(-3, 3)), draw(st.integers(-3, 3))) for _ in range(n)]
    )
    tk = draw(st.booleans())
    c_in, c_out = draw(st.integers(1, 2)), draw(st.integers(0, 2))
    rng = np.random.default_rng(draw(SEEDS))
    sp = "HW"[:n]
    N = draw(st.integers(0, 2))
    if draw(st.booleans()):
        dims: Any = ("NC" + sp, "OI" + sp, "NC" + sp)
        x = ints(rng, (N, c_in, *L))
        rhs = ints(rng, ((c_in, c_out) if tk else (c_out, c_in)) + K)
    else:
        dims = None
        x = ints(rng, (N, *L, c_in))
        rhs = ints(rng, K + ((c_out, c_in) if tk else (c_in, c_out)))
    return {
        "lhs": x,
        "rhs": rhs,
        "strides": s,
        "padding": padding,
        "rhs_dilation": d,
        "dimension_numbers": dims,
        "transpose_kernel": tk,
        "use_consistent_padding": kind == "consistent",
    }


@given(cases=st.lists(jax_transpose_cases(), min_size=3, max_size=3))
def test_jax_conv_transpose(jax_worker, cases):
    jax_worker.submit("jax_transpose", cases)
    mine_all = [ours(J.conv_transpose, **c) for c in cases]
    for c, theirs, mine in zip(cases, jax_worker.result(), mine_all):
        if theirs[0] == "ok" and mine[0] == "ok":
            assert mine[1].dtype == theirs[1].dtype
        assert_same({k: v for k, v in c.items() if k not in ("lhs", "rhs")}, theirs, mine, "JAX")


@st.composite
def jax_general_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 2]))
    g = draw(st.integers(1, 2))
    L = tuple(draw(st.integers(1, 5)) for _ in range(n))
    K = tuple(draw(st.integers(1, 3)) for _ in range(n))
    ws = tuple(draw(st.integers(1, 3)) for _ in range(n))
    rd = tuple(draw(st.integers(1, 2)) for _ in range(n))
    # lhs and rhs dilation together can abort XLA's CPU compiler (docs/howto-graph-rewrite.md): one or the other
    ld = (1,) * n if max(rd) > 1 else tuple(draw(st.integers(1, 3)) for _ in range(n))
    padding: Any
    if draw(st.booleans()):
        padding = [(draw(st.integers(-3, 3)), draw(st.integers(-3, 3))) for _ in range(n)]
    else:
        padding = draw(st.sampled_from(["SAME", "SAME_LOWER", "VALID"]))
        ld = (1,) * n
    rng = np.random.default_rng(draw(SEEDS))
    return {
        "lhs": ints(rng, (draw(st.integers(0, 2)), 2 * g, *L)),
        "rhs": ints(rng, (draw(st.integers(0, 2)) * g, 2, *K)),
        "window_strides": ws,
        "padding": padding,
        "lhs_dilation": ld,
        "rhs_dilation": rd,
        "feature_group_count": g,
    }


@given(cases=st.lists(jax_general_cases(), min_size=2, max_size=2))
def test_jax_conv_general_dilated(jax_worker, cases):
    jax_worker.submit("jax_general", cases)
    mine_all = [ours(J.conv_general_dilated, **c) for c in cases]
    for c, theirs, mine in zip(cases, jax_worker.result(), mine_all):
        assert_same(
            {k: v for k, v in c.items() if k not in ("lhs", "rhs")}
            | {"lhs": c["lhs"].shape, "rhs": c["rhs"].shape},
            theirs,
            mine,
            "JAX",
        )


# ---------------------------------------------------------------------------
# MLX mx.conv_transpose{1,2,3}d
# ---------------------------------------------------------------------------

MLX_DIFFERENT = (
    "MLX then crops the input before zero insertion",
    "output_padding must be smaller than stride or dilation",
)


@st.composite
def mlx_cases(draw: Any) -> dict[str, Any]:
    n = draw(st.sampled_from([1, 1, 2, 2, 3]))
    max_len = {1: 5, 2: 4, 3: 3}[n]
    g, a, b = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    L = [draw(st.integers(1, max_len)) for _ in range(n)]
    K = [draw(st.integers(1, 3)) for _ in range(n)]
    s = [draw(st.integers(1, 3)) for _ in range(n)]
    d = [draw(st.integers(1, 2)) for _ in range(n)]
    p = [draw(st.integers(0, 3)) for _ in range(n)]
    op = [
        draw(st.integers(0, max(si, di) - 1)) if draw(st.integers(0, 7)) else max(si, di)
        for si, di in zip(s, d)
    ]
    rng = np.random.default_rng(draw(SEEDS))
    return {
        "x": ints(rng, (draw(st.integers(1, 2)), *L, g * a)),
        "w": ints(rng, (g * b, *K, a)),
        "kw": {
            "stride": tuple(s),
            "padding": tuple(p),
            "dilation": tuple(d),
            "output_padding": tuple(op),
            "groups": g,
        },
    }


def mlx_run(mx: Any, c: dict[str, Any]) -> tuple[str, Any]:
    n = c["w"].ndim - 2
    kw = {k: v[0] if n == 1 and isinstance(v, tuple) else v for k, v in c["kw"].items()}  # 1-D takes ints
    try:
        y = getattr(mx, f"conv_transpose{n}d")(mx.array(c["x"]), mx.array(c["w"]), **kw)
        return "ok", np.array(y)
    except Exception as e:
        return "err", f"{type(e).__name__}: {e}"


@given(cases=st.lists(mlx_cases(), min_size=7, max_size=7))  # 7: a fifth are documented refusals
def test_mlx_conv_transpose(mlx, cases):
    for c in cases:
        theirs, mine = mlx_run(mlx, c), ours(M.conv_transpose, c["x"], c["w"], **c["kw"])
        shown = c["kw"] | {"x": c["x"].shape, "w": c["w"].shape}
        if mine[0] == "err" and theirs[0] == "ok":  # documented: MLX computes something else there
            assert any(m in mine[1] for m in MLX_DIFFERENT), (shown, mine[1])
            count_cases("mlx: documented refusals where MLX computes otherwise")
            continue
        assert_same(shown, theirs, mine, "MLX")


def test_mlx_differences(mlx, torch):
    """Where tconvmat's MLX convention refuses although MLX computes: MLX's numbers are not
    the transposed convolution (PyTorch's), or PyTorch refuses."""
    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    w = np.array([1.0, 10.0]).reshape(1, 2, 1)
    F = torch.nn.functional
    xt, wt = torch.from_numpy(np.moveaxis(x, -1, 1).copy()), torch.from_numpy(M.weight_to_torch(w))
    kind, y = mlx_run(mlx, {"x": x, "w": w, "kw": {"stride": 3, "padding": 2}})
    assert kind == "ok" and y[0, :, 0].tolist() == [20, 0, 3]  # crops x to [2, 3], then inserts zeros
    assert F.conv_transpose1d(xt, wt, stride=3, padding=2).numpy()[0, 0].tolist() == [0, 2, 20, 0, 3, 30, 0]
    with pytest.raises(tcm.ConvolutionSpecError, match="MLX then crops the input before zero insertion"):
        M.conv_transpose(x, w, stride=3, padding=2)
    kind, y = mlx_run(mlx, {"x": x, "w": w, "kw": {"stride": 2, "output_padding": 3}})
    assert kind == "ok" and y.shape == (1, 11, 1) and not y[0, 8:].any()  # zeros appended
    with pytest.raises(
        tcm.ConvolutionSpecError, match="output_padding must be smaller than stride or dilation"
    ):
        M.conv_transpose(x, w, stride=2, output_padding=3)
    kind, y = mlx_run(mlx, {"x": x, "w": w, "kw": {"stride": 2, "padding": -1}})
    assert kind == "ok" and y.shape == (1, 10, 1)
    with pytest.raises(tcm.ConvolutionSpecError, match="padding must not be negative"):
        M.conv_transpose(x, w, stride=2, padding=-1)


def test_mlx_round_trip(mlx):
    spec = tcm.conv_transpose_spec(
        (4, 3, 3, 2), (4, 3, 5), stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2
    )
    kw = M.to_mlx(spec)
    rng = np.random.default_rng(7)
    x, w = ints(rng, (2, *spec.input_shape)), ints(rng, spec.weight_shape)
    xm, wm = np.moveaxis(x, 1, -1), M.weight_from_torch(w, groups=2)
    assert M.spec_from_mlx(xm.shape, wm.shape, **kw) == spec
    kind, y = mlx_run(mlx, {"x": xm, "w": wm, "kw": kw})
    assert kind == "ok"
    np.testing.assert_array_equal(
        np.moveaxis(y, -1, 1), tcm.conv_transpose(x, w, **{k: v for k, v in kw.items()})
    )
