"""docs/tutorial.ipynb runs from a fresh kernel and prints the worked examples' numbers."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest

import tconvmat as tcm

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"


def _text(cell: dict) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def test_tutorial_notebook_executes(monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit it without outputs"
    root = str(NOTEBOOK.parent.parent)
    env_path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", env_path)  # the kernel imports this checkout's tconvmat
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": root}}
    ).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    printed = [_text(c) for c in code if "print(" in c.source]
    assert len(printed) == 5
    w = np.array([[[1, 2, 3]]])  # distinct weights: the sliding pictures show w' = [3, 2, 1]
    for text, (stride, y) in zip(
        printed, ((1, [1, 3, 5, 3]), (2, [1, 2, 4, 2, 3]), (4, [1, 2, 3, 0, 1, 2, 3]))
    ):
        C = np.zeros((2, len(y)), dtype=int)  # row i: the kernel at i·stride
        C[0, :3] = C[1, stride : stride + 3] = [1, 2, 3]
        assert str(C) in text
        assert str(tcm.conv_transpose_matrix(w, (1, 2), stride=stride).toarray().astype(int)) in text
        assert f"y = {y}" in text
    spec = tcm.conv_transpose_spec((1, 1, 3, 3), (1, 3, 3), stride=2, padding=1, dilation=2, output_padding=1)
    y2 = tcm.conv_transpose(
        np.arange(1, 10).reshape(1, 3, 3),
        np.arange(1, 10).reshape(1, 1, 3, 3),
        stride=2,
        padding=1,
        dilation=2,
        output_padding=1,
    )
    assert printed[3].startswith(str(spec.output_size)) and str(y2[0].astype(int)) in printed[3]
    assert ast.literal_eval(printed[3].splitlines()[0]) == (8, 8)
    names = ["scatter", "matrix", "sliding"]
    written = [f"{n}.{fmt}" for fmt in ("png", "svg") for n in names] + ["scatter.gif", "sliding.gif"]
    assert ast.literal_eval(printed[4].strip()) == written  # figures.write_figures
    pictures = [c for c in code if "figures." in c.source and "print(" not in c.source]
    for c in pictures:  # every picture cell shows an image (PNG) or the HTML player
        kinds = {k for o in c.outputs for k in o.get("data", {})}
        assert "image/png" in kinds or "text/html" in kinds, c.source
        if "from_spec(spec" in c.source and "Matrix" not in c.source:
            assert "weight=" in c.source, c.source  # the weight passed explicitly
    players = [c for c in pictures if "animate(" in c.source]
    assert len(players) == 2
    for c in players:  # the self-contained player: frames inline, a script to step them
        html = "".join(o["data"]["text/html"] for o in c.outputs if "text/html" in o.get("data", {}))
        assert "<script>" in html and html.count("data:image/png;base64,") >= 1 + 5, c.source
