"""The explorer: a local web page with the linked pictures of a transposed convolution.

``tconvmat serve`` runs :func:`make_server`; ``tconvmat explore --html FILE`` writes
:func:`page` with one :func:`build_model` embedded.  The page draws the JSON model and does
no convolution arithmetic of its own: every number, index and expression comes from here.

Examples
--------
>>> from tconvmat import explorer
>>> m = explorer.model_from_params({"kernel_size": "3", "input_size": "2", "stride": "2", "weight": "1,1,1"})
>>> [o["value"] for o in m["outputs"]]
[1, 1, 3, 2, 2]
>>> m["outputs"][2]["contributors"]  # [input, tap, weight entry]: column 2 of C
[[0, 2, 2], [1, 0, 0]]
"""

from ._api import (
    GUARDS,
    Guards,
    build_model,
    check_guards,
    expression_html,
    model_from_params,
    parse_params,
    torch_call,
)
from ._server import ExplorerServer, make_server, model_json, page

__all__ = [
    "GUARDS",
    "ExplorerServer",
    "Guards",
    "build_model",
    "check_guards",
    "expression_html",
    "make_server",
    "model_from_params",
    "model_json",
    "page",
    "parse_params",
    "torch_call",
]
