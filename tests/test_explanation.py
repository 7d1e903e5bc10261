"""tcm.explain(...): the explanation object a notebook user meets."""

from __future__ import annotations

import base64
import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tconvmat as tcm

from . import oracles
from .cases import Case, cases


def test_learner_example_text_and_html():
    e = tcm.explain([[1, 1]], [[[1, 1, 1]]], stride=2)
    assert e.y.tolist() == [[1, 1, 2, 1, 1]]
    assert (e.matrix.T @ np.array([1, 1])).tolist() == [1, 1, 2, 1, 1]
    assert e.equivalent.pads == ((2, 2),)
    text = str(e)
    assert "axis 0: (2 − 1)·2 − 0 − 0 + 1·(3 − 1) + 0 + 1 = 5" in text
    assert "y[0, 2] = w0*x1 + w2*x0 = 2" in text and "y[0, 0] = w0*x0 = 1" in text
    assert "[[1 1 1 0 0]" in text and "pad by P_l, P_r = 2, 2" in text
    html = e._repr_html_()
    images = re.findall(r'<img alt="(\w+)" src="data:image/png;base64,([^"]+)"', html)
    assert [name for name, _ in images] == ["scatter", "matrix", "sliding"]
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for _, data in images)


def test_no_pictures_past_two_axes_says_why():
    e = tcm.explain(np.ones((1, 2, 2, 2)), np.ones((1, 1, 2, 2, 2)))
    assert "<img" not in e._repr_html_() and "figures draw 1-D and 2-D" in e._repr_html_()


def test_bad_input_is_refused_with_the_library_error():
    import pytest

    with pytest.raises(tcm.ConvolutionSpecError, match="output_padding must be smaller"):
        tcm.explain([[1, 1]], [[[1, 1, 1]]], stride=2, output_padding=2)


@given(case=cases(kind="transpose", ndims=(1, 2)), seed=st.integers(0, 50))
def test_explanation_y_is_torch(torch, case: Case, seed: int):
    x, w, _ = case.arrays(seed)
    one = Case(case.kind, case.weight_shape, case.input_shape, None, case.kwargs)
    x1 = x if case.batch is None else x[0]
    e = tcm.explain(x1, w, **case.kwargs)
    np.testing.assert_array_equal(e.y, oracles.conv_transpose(torch, one, x1, w, None))
    for line in e.lines():
        m = re.fullmatch(r"y\[([\d, ]+)\] = .* = (-?\d+)", line)
        if m:
            index = tuple(int(v) for v in m.group(1).split(", "))
            assert int(m.group(2)) == e.y[index]
