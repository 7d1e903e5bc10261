"""A subprocess that runs one framework's transposed convolutions for tests/test_runtimes.py.

Keras chooses its backend from ``KERAS_BACKEND`` at import, and TensorFlow, JAX and
PyTorch share a process badly, so each runtime runs here, in its own process, started by
a fixture (``tests/conftest.py``).  Protocol: length-prefixed pickles on stdin/stdout;
a request is ``(op, [case, …])``, the answer a list of ``("ok", array)`` or
``("err", "Type: message")``, one per case.  ``op`` is one of ``tf``, ``tf_grad``,
``keras``, ``jax_transpose``, ``jax_general``.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import Any

import numpy as np


def read_message(stream: Any) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        return None
    (n,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(n))


def write_message(stream: Any, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _runner(kind: str) -> Any:
    if kind == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)

        def tf_op(c: dict[str, Any]) -> Any:
            return tf.nn.conv_transpose(
                c["x"],
                c["filters"],
                c["output_shape"],
                c["strides"],
                c["padding"],
                c["data_format"],
                c["dilations"],
            ).numpy()

        def tf_grad(c: dict[str, Any]) -> Any:
            """TF's definition: the gradient of tf.nn.convolution w.r.t. its input at c["x"]."""
            z = tf.Variable(tf.zeros(c["output_shape"], dtype=tf.float64))
            padding = c["padding"]
            with tf.GradientTape() as tape:
                zp = z
                if not isinstance(padding, str):
                    zp, padding = tf.pad(z, padding), "VALID"
                y = tf.nn.convolution(
                    zp, c["filters"], c["strides"], padding, c["data_format"], c["dilations"]
                )
            if tuple(y.shape) != c["x"].shape:
                raise ValueError(f"forward shape {tuple(y.shape)} is not the input's {c['x'].shape}")
            return tape.gradient(y, z, output_gradients=tf.constant(c["x"])).numpy()

        return {"tf": tf_op, "tf_grad": tf_grad, "keras": _keras()}
    if kind == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
        lax = jax.lax

        def transpose(c: dict[str, Any]) -> Any:
            return np.asarray(lax.conv_transpose(**c))

        def general(c: dict[str, Any]) -> Any:
            return np.asarray(lax.conv_general_dilated(**c))

        out = {"jax_transpose": transpose, "jax_general": general}
        if os.environ.get("KERAS_BACKEND") == "jax":
            out["keras"] = _keras()
        return out
    raise SystemExit(f"unknown runtime {kind!r}")


def _keras() -> Any:
    """A ``Conv{n}DTranspose`` layer's construction (its argument checks) and its ``call``:
    ``ops.conv_transpose`` with the layer's standardised arguments, plus the bias
    (``BaseConvTranspose.call``), without building weights (a built layer costs a
    compilation per call on the JAX backend)."""
    import keras

    def run(c: dict[str, Any]) -> Any:
        n = c["kernel"].ndim - 2
        cls = getattr(keras.layers, f"Conv{n}DTranspose")
        layer = cls(
            c["kernel"].shape[-2],
            c["kernel"].shape[:n],
            strides=c["strides"],
            padding=c["padding"],
            output_padding=c["output_padding"],
            data_format=c["data_format"],
            dilation_rate=c["dilation_rate"],
            use_bias=c["bias"] is not None,
            dtype="float64",
        )
        y = keras.ops.conv_transpose(
            c["x"],
            c["kernel"],
            strides=list(layer.strides),
            padding=layer.padding,
            output_padding=layer.output_padding,
            dilation_rate=layer.dilation_rate,
            data_format=layer.data_format,
        )
        y = np.asarray(y)
        if c["bias"] is not None:
            shape = (1,) * (n + 1) + (-1,) if layer.data_format == "channels_last" else (1, -1) + (1,) * n
            y = y + c["bias"].reshape(shape)
        return y

    return run


def main() -> None:
    kind = sys.argv[1]
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
    try:
        ops = _runner(kind)
    except ImportError as e:
        write_message(stdout, ("import-error", str(e)))
        return
    write_message(stdout, ("ready", sorted(ops)))
    while (request := read_message(stdin)) is not None:
        op, cases = request
        answers = []
        for c in cases:
            try:
                answers.append(("ok", ops[op](c)))
            except Exception as e:  # the runtime's refusal, reported to the test
                answers.append(("err", f"{type(e).__name__}: {str(e)[:400]}"))
        write_message(stdout, answers)


if __name__ == "__main__":
    main()
