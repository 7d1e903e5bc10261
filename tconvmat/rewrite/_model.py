"""Rewrite every ``ConvTranspose`` of an ONNX model with standard operators."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..spec import ConvolutionSpecError, ConvTransposeSpec
from ..spec import format_tuple as fmt
from ._forms import Builder, conv_form, subpixel_fallback_reason, subpixel_form
from ._resolve import RewriteError, spec_from_attributes

__all__ = ["FORMS", "MIN_OPSET", "NodeOutcome", "RewriteResult", "RewriteWarning", "rewrite", "rewrite_model"]

FORMS = ("conv", "subpixel")
MIN_OPSET = 11
"""``Pad`` takes its pads as an input from opset 11 (``Unsqueeze`` its axes from 13; both are emitted as the opset needs)."""

Form = Literal["conv", "subpixel"]
_DOMAINS = ("", "ai.onnx")
_FLOATS = (np.float16, np.float32, np.float64)


class RewriteWarning(UserWarning):
    """A ``ConvTranspose`` left as it is, or rewritten in another form than asked."""


@dataclass(frozen=True)
class NodeOutcome:
    """What the rewrite did with one ``ConvTranspose`` node.

    Attributes
    ----------
    node : str
        The node's name, or ``ConvTranspose -> <output>`` for an unnamed one.
    form : {"conv", "subpixel"} or None
        The replacement; None when the node was left as it is.
    note : str
        Why it was left or given another form than asked; the geometry otherwise.
    """

    node: str
    form: str | None
    note: str


@dataclass(frozen=True)
class RewriteResult:
    """The rewritten model and one :class:`NodeOutcome` per ``ConvTranspose`` node."""

    model: Any
    nodes: tuple[NodeOutcome, ...]

    @property
    def rewritten(self) -> tuple[NodeOutcome, ...]:
        return tuple(o for o in self.nodes if o.form is not None)

    @property
    def left(self) -> tuple[NodeOutcome, ...]:
        return tuple(o for o in self.nodes if o.form is None)


class _Leave(Exception):
    """This node stays a ConvTranspose (the message says why)."""


def _opset(model: Any) -> int:
    versions = [o.version for o in model.opset_import if o.domain in _DOMAINS]
    if not versions:
        raise RewriteError("the model imports no opset of the default ONNX domain")
    return int(versions[0])


def _label(node: Any) -> str:
    return node.name or f"ConvTranspose -> {node.output[0]}"


def _spatial(shapes: dict[str, Any], name: str, n: int) -> tuple[int | None, ...]:
    """``name``'s spatial sizes from shape inference (None where unknown)."""
    t = shapes.get(name)
    if t is None or not t.HasField("shape") or len(t.shape.dim) != n + 2:
        return (None,) * n
    return tuple(
        d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in t.shape.dim[2:]
    )


def _describe(spec: ConvTransposeSpec) -> str:
    parts = [f"K={fmt(spec.kernel_size)}", f"s={fmt(spec.stride)}"]
    if any(v != 1 for v in spec.dilation):
        parts.append(f"d={fmt(spec.dilation)}")
    if any(b or e for b, e in spec.padding):
        parts.append(f"pads={fmt(spec.padding)}")
    if any(spec.output_padding):
        parts.append(f"op={fmt(spec.output_padding)}")
    if spec.groups > 1:
        parts.append(f"groups={spec.groups}")
    return ", ".join(parts)


def rewrite(model: Any, to: Form = "conv") -> RewriteResult:
    """Replace every ``ConvTranspose`` of ``model`` by standard operators.

    Parameters
    ----------
    model : onnx.ModelProto
        Not modified.
    to : {"conv", "subpixel"}
        ``"conv"``: zero insertion (``Unsqueeze``/``Pad``/``Reshape``), then a stride-1
        ``Conv`` with the flipped, channel-swapped weight, its pads, and a ``Slice`` for
        negative pads.  ``"subpixel"``: ``∏s`` phase kernels as stride-1 ``Conv``
        output channels, interleaved (``DepthToSpace`` or ``Reshape``/``Transpose``),
        cropped; no multiplication by inserted zeros.  A node whose dilation shares a
        factor with its stride gets the ``"conv"`` form (noted in its outcome).

    Returns
    -------
    RewriteResult
        ``.model`` passes ``onnx.checker.check_model``; ``.nodes`` says what happened
        to each ``ConvTranspose``.  A node is left as it is when its weight is not a
        constant (an initializer that is not also a graph input, or a ``Constant``),
        its weight is not floating point, or it sits inside a subgraph.

    Raises
    ------
    RewriteError
        ``model`` is not a ``ModelProto``, ``to`` is unknown, the default-domain opset
        is below 11, or a node's attributes are invalid.
    """
    import onnx

    if to not in FORMS:
        raise RewriteError(f"to must be one of {', '.join(map(repr, FORMS))}; got to={to!r}")
    if not isinstance(model, onnx.ModelProto):
        raise RewriteError(f"model must be an onnx.ModelProto; got {type(model).__name__}")
    opset = _opset(model)
    if opset < MIN_OPSET:
        raise RewriteError(
            f"the model's opset is {opset}; the rewrite needs opset ≥ {MIN_OPSET} (Pad with its pads as an "
            f"input); upgrade it first, e.g. onnx.version_converter.convert_version(model, 13)"
        )
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    try:
        inferred = onnx.shape_inference.infer_shapes(model).graph
    except Exception:  # shapes are a help, not a requirement
        inferred = graph
    shapes = {v.name: v.type.tensor_type for v in (*inferred.input, *inferred.value_info, *inferred.output)}
    inits = {t.name: t for t in graph.initializer}
    graph_inputs = {v.name for v in graph.input}
    constants = {n.output[0]: n for n in graph.node if n.op_type == "Constant" and n.domain in _DOMAINS}
    taken = {n.name for n in graph.node} | {o for n in graph.node for o in n.output}
    taken |= set(inits) | graph_inputs | {v.name for v in graph.output} | {v.name for v in graph.value_info}

    outcomes: list[NodeOutcome] = []
    new_nodes: list[Any] = []
    new_inits: list[Any] = []
    replaced: set[str] = set()
    for node in graph.node:
        if node.op_type != "ConvTranspose" or node.domain not in _DOMAINS:
            new_nodes.append(node)
            for sub in _subgraph_convtransposes(node):
                outcomes.append(NodeOutcome(sub, None, f"inside a subgraph of {node.op_type} {node.name!r}"))
            continue
        label = _label(node)
        try:
            b, outcome = _replace(node, label, to, opset, shapes, inits, graph_inputs, constants, taken)
        except _Leave as e:
            outcomes.append(NodeOutcome(label, None, str(e)))
            new_nodes.append(node)
            continue
        except ConvolutionSpecError as e:
            raise RewriteError(f"node {label!r}: {e}") from None
        new_nodes.extend(b.nodes)
        new_inits.extend(b.initializers)
        outcomes.append(outcome)
        replaced.update(node.input[1:3])  # dropped below if nothing reads them any more
    del graph.node[:]
    graph.node.extend(new_nodes)
    graph.initializer.extend(new_inits)
    _drop_unused(graph, replaced)
    try:
        onnx.checker.check_model(out)
    except onnx.checker.ValidationError as e:
        try:
            onnx.checker.check_model(model)
        except onnx.checker.ValidationError as e0:
            raise RewriteError(f"the model does not pass onnx.checker: {_first_line(e0)}") from None
        raise RewriteError(
            f"the rewritten model does not pass onnx.checker (a tconvmat bug): {_first_line(e)}"
        ) from None
    return RewriteResult(out, tuple(outcomes))


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _subgraph_convtransposes(node: Any) -> list[str]:
    from onnx import AttributeProto

    found = []
    for a in node.attribute:
        graphs = [a.g] if a.type == AttributeProto.GRAPH else list(a.graphs)
        for g in graphs:
            for n in g.node:
                if n.op_type == "ConvTranspose":
                    found.append(_label(n))
                found.extend(_subgraph_convtransposes(n))
    return found


def _constant(name: str, inits: dict[str, Any], graph_inputs: set[str], constants: dict[str, Any]) -> Any:
    """The array behind ``name`` if it is a constant, else None."""
    from onnx import helper, numpy_helper

    if name in inits and name not in graph_inputs:
        return numpy_helper.to_array(inits[name])
    node = constants.get(name)
    if node is not None:
        for a in node.attribute:
            if a.name == "value":
                return numpy_helper.to_array(helper.get_attribute_value(a))
    return None


def _replace(
    node: Any,
    label: str,
    to: Form,
    opset: int,
    shapes: dict[str, Any],
    inits: dict[str, Any],
    graph_inputs: set[str],
    constants: dict[str, Any],
    taken: set[str],
) -> tuple[Builder, NodeOutcome]:
    from onnx import helper

    x, wname = node.input[0], node.input[1]
    bname = node.input[2] if len(node.input) > 2 and node.input[2] else None
    W = _constant(wname, inits, graph_inputs, constants)
    if W is None:
        where = "a graph input" if wname in graph_inputs else "computed by the graph"
        raise _Leave(f"weight {wname!r} is not a constant ({where}): left as ConvTranspose")
    if W.dtype.type not in _FLOATS:
        raise _Leave(
            f"weight {wname!r} has dtype {W.dtype}; the rewrite takes float16/32/64: left as ConvTranspose"
        )
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    n = W.ndim - 2
    size = _spatial(shapes, x, n)
    if "output_shape" in attrs and None in size:
        raise _Leave(
            f"output_shape={list(attrs['output_shape'])} needs the input's spatial size, which is unknown "
            f"(dynamic): left as ConvTranspose"
        )
    spec = spec_from_attributes(W.shape, size, attrs)
    static = all(v is not None for v in size)
    bias_value = None if bname is None else _constant(bname, inits, graph_inputs, constants)
    form: Form = to
    note = _describe(spec)
    if to == "subpixel":
        reason = subpixel_fallback_reason(spec)
        if reason is not None:
            form, note = "conv", reason
    b = Builder(taken, node.name or f"ConvTranspose_{node.output[0]}", opset)
    if form == "conv":
        y = conv_form(b, spec, x, W, bname, static)
    else:
        y = subpixel_form(b, spec, x, W, bname, bias_value, static)
    b.finish(y, node.output[0])
    return b, NodeOutcome(label, form, note)


def _drop_unused(graph: Any, names: set[str]) -> None:
    """Remove the initializers and Constant nodes among ``names`` that nothing reads any more."""
    used = Counter(i for n in graph.node for i in n.input)
    used.update(_subgraph_inputs(graph))
    used.update(v.name for v in graph.output)
    gone = names - set(used)
    keep = [n for n in graph.node if not (n.op_type == "Constant" and n.output[0] in gone)]
    if len(keep) != len(graph.node):
        del graph.node[:]
        graph.node.extend(keep)
    keep_init = [t for t in graph.initializer if t.name not in gone]
    if len(keep_init) != len(graph.initializer):
        del graph.initializer[:]
        graph.initializer.extend(keep_init)


def _subgraph_inputs(graph: Any) -> list[str]:
    """Names read inside subgraphs (they may refer to the outer graph's tensors)."""
    from onnx import AttributeProto

    names = []
    for n in graph.node:
        for a in n.attribute:
            for g in [a.g] if a.type == AttributeProto.GRAPH else list(a.graphs):
                names.extend(i for m in g.node for i in m.input)
                names.extend(_subgraph_inputs(g))
    return names


def rewrite_model(model: Any, to: Form = "conv") -> Any:
    """The model with every ``ConvTranspose`` replaced by standard operators (a new model).

    Warns with :class:`RewriteWarning` for each node left as it is and each node given
    the ``"conv"`` form instead of ``"subpixel"``.  See :func:`rewrite` for the forms,
    the conditions and the errors; :func:`tconvmat.rewrite.check_rewrite` runs both
    models in ONNX Runtime.

    Examples
    --------
    >>> import numpy as np
    >>> from onnx import TensorProto, helper, numpy_helper
    >>> node = helper.make_node("ConvTranspose", ["X", "W"], ["Y"], strides=[2], pads=[1, 1])
    >>> graph = helper.make_graph(
    ...     [node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, 4])],
    ...     [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1, 7])],
    ...     [numpy_helper.from_array(np.array([[[1.0, 2.0, 3.0]]], np.float32), "W")])
    >>> model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    >>> [n.op_type for n in rewrite_model(model).graph.node]
    ['Unsqueeze', 'Pad', 'Reshape', 'Conv']
    >>> [n.op_type for n in rewrite_model(model, to="subpixel").graph.node]
    ['Conv', 'Reshape', 'Transpose', 'Reshape', 'Slice']
    """
    result = rewrite(model, to)
    for o in result.nodes:
        if o.form is None:
            warnings.warn(f"{o.node}: {o.note}", RewriteWarning, stacklevel=2)
        elif o.form != to:
            warnings.warn(f"{o.node}: {o.note}", RewriteWarning, stacklevel=2)
    return result.model
