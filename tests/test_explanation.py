"""tconvmat.explanation: what explain shows, checked against the full computations it avoids."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

import tconvmat as tcm
from tconvmat import explanation as ex
from tconvmat import symbolic as sym
from tconvmat.spec import conv_output_length
from tconvmat.testing import conv_params, example_arrays

MODES = ("zeros", "reflect", "replicate", "circular")


@settings(max_examples=60, deadline=None)
@given(conv_params(ndim=(1, 2), max_size=4, padding_modes=MODES))
def test_expressions_are_the_symbolic_modules_elements(params):
    """Every output element, in symbols: the same SymPy expression as
    symbolic.conv_transpose_expressions builds over the whole array (printed alike)."""
    spec = tcm.conv_transpose_spec(**params)
    full = sym.conv_transpose_expressions(
        sym.input_symbols(spec.input_shape), sym.weight_symbols(spec.weight_shape), **spec.kwargs()
    )
    indices = list(np.ndindex(*spec.output_shape))
    for idx, e in zip(indices, ex.expressions(spec, indices)):
        assert str(e) == str(full[idx])


@settings(max_examples=60, deadline=None)
@given(conv_params(ndim=(1, 2, 3), max_size=4, padding_modes=MODES))
def test_expressions_with_numbers_are_y(params):
    spec = tcm.conv_transpose_spec(**params)
    x, w = example_arrays(params, batch=None)
    y = tcm.conv_transpose(x, w, **spec.kwargs())
    indices = list(np.ndindex(*spec.output_shape))
    assert [int(e) for e in ex.expressions(spec, indices, x, w)] == [int(v) for v in y.ravel()]


@settings(max_examples=60, deadline=None)
@given(conv_params(ndim=(1, 2), max_size=6))
def test_the_padded_window_convolved_is_ys_window(params):
    """Steps 1–4 on a window only (nothing else of the padded input made) give y there."""
    spec = tcm.conv_transpose_spec(**params)
    x, w = example_arrays(params, batch=None)
    y = tcm.conv_transpose(x, w, **spec.kwargs())
    window = ex.focus(spec)
    kw = {k: v for k, v in spec.kwargs().items() if k != "padding_mode"}
    eq = tcm.equivalent_conv(w, spec.input_shape, **kw)
    padded = ex.padded_window(x, spec, spec.flipped_pads, ex.reads(spec, window))
    got = tcm.conv(padded, eq.weight, dilation=spec.dilation, groups=spec.groups)
    assert np.array_equal(got, y[(slice(None), *(slice(r.start, r.stop) for r in window))])


def test_padded_window_whole_is_the_equivalent_convs_input():
    spec = tcm.conv_transpose_spec((1, 1, 3, 2), (1, 3, 2), stride=(2, 3), padding=1, output_padding=1)
    x = np.arange(1, 7).reshape(1, 3, 2)
    from tconvmat.padding import pad

    up = np.zeros((1, 5, 4), dtype=x.dtype)
    up[:, ::2, ::3] = x
    whole = pad(up, spec.flipped_pads, "zeros")
    window = [range(n) for n in whole.shape[1:]]
    assert np.array_equal(ex.padded_window(x, spec, spec.flipped_pads, window), whole)


@settings(max_examples=80, deadline=None)
@given(conv_params(ndim=(1, 2), max_size=6))
def test_axis_stories_agree_with_the_forward_convolution(params):
    """The crop keeps output_size positions of the full result, and output_padding picks
    the output length among the forward lengths that give the input length."""
    spec = tcm.conv_transpose_spec(**params)
    for st in ex.axis_stories(spec):
        a = st.axis
        K, s, d = spec.kernel_size[a], spec.stride[a], spec.dilation[a]
        (pb, pa), L = spec.padding[a], spec.input_size[a]
        assert st.stop - st.start == st.length == spec.output_size[a]
        assert st.start == pb and st.full == spec.full_size[a] - spec.output_padding[a]
        assert all(conv_output_length(n, K, s, pb, pa, d) == L for n in st.forward_lengths)
        assert len(st.forward_lengths) <= s
        if spec.output_padding[a] < s:
            assert st.length in st.forward_lengths


def test_focus_is_a_window_where_every_tap_lands():
    spec = tcm.conv_transpose_spec((1, 1, 3), (1, 50), stride=3, padding=1)
    (window,) = ex.focus(spec)
    assert len(window) == 3 and abs(window.start - (spec.output_size[0] - 3) / 2) <= 3  # the middle
    taps = {wi[-1] for j in window for wi, _ in ex.terms(spec, (0, j))}
    assert taps == {0, 1, 2}
    # stride 2, dilation 2: no tap reaches the odd (here even) positions; the window grows
    spec = tcm.conv_transpose_spec((1, 1, 3), (1, 50), stride=2, dilation=2, padding=1)
    (window,) = ex.focus(spec)
    assert sum(bool(ex.terms(spec, (0, j))) for j in window) >= 2


def test_symbol_names_are_the_symbolic_modules():
    for shape in [(1, 5), (3, 1), (1, 1), (2, 3, 4), (1, 1, 3, 3), (2, 1, 1, 2)]:
        names = [str(v) for v in sym.input_symbols(shape).ravel()]
        assert [ex.symbol_name(shape, idx, "x") for idx in np.ndindex(*shape)] == names
