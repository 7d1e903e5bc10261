"""Figures: the pictures of a transposed convolution as data, drawn by matplotlib or TikZ.

The figure model is computed once from the index relation
(:func:`tconvmat.spec.input_index`) and the spec's derived values (``flipped_pads``,
``output_size``), the matrix from :func:`tconvmat.conv_transpose_matrix` and the numbers
from :func:`tconvmat.conv_transpose`: which cell holds which number, its kind (input,
inserted zero, padding, cropped, output padding) and the kernel tap whose colour it wears,
the same colour as that tap's entries of ``C``.  ``plot(ax=None)`` draws it with
matplotlib (no pyplot state); :mod:`tconvmat.latex` draws the same scenes as TikZ.

Examples
--------
>>> import tconvmat as tcm
>>> from tconvmat import figures
>>> spec = tcm.conv_transpose_spec((1, 1, 3), (1, 2), stride=2)
>>> fig = figures.ScatterFigure.from_spec(spec, [[[1, 1, 1]]], [[1, 1]])
>>> fig.data[0].y.tolist()
[1, 1, 2, 1, 1]
>>> fig.plot().figure_.get_size_inches().round(1).tolist()
[5.8, 2.8]
"""

from ._display import FORMATS, Animation, MatrixFigure, ScatterFigure, SlidingFigure, animate, write_figures
from ._model import (
    Grid,
    Matrix,
    MatrixData,
    ScatterData,
    Scene,
    SceneOptions,
    SlidingData,
    Text,
    Val,
    channel_pairs,
    check_drawable,
    default_position,
    matrix_data,
    scatter_data,
    scatter_scene,
    sliding_data,
    sliding_scene,
    stack,
    tap_key,
)
from ._palette import TAP_COLORS, Color, cell_fill, tap_color

__all__ = [
    "FORMATS",
    "TAP_COLORS",
    "Animation",
    "Color",
    "Grid",
    "Matrix",
    "MatrixData",
    "MatrixFigure",
    "ScatterData",
    "ScatterFigure",
    "Scene",
    "SceneOptions",
    "SlidingData",
    "SlidingFigure",
    "Text",
    "Val",
    "animate",
    "cell_fill",
    "channel_pairs",
    "check_drawable",
    "default_position",
    "matrix_data",
    "scatter_data",
    "scatter_scene",
    "sliding_data",
    "sliding_scene",
    "stack",
    "tap_color",
    "tap_key",
    "write_figures",
]
