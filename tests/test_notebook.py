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
    for text, (stride, y) in zip(
        printed, ((1, [1, 2, 2, 1]), (2, [1, 1, 2, 1, 1]), (4, [1, 1, 1, 0, 1, 1, 1]))
    ):
        C = tcm.conv_transpose_matrix(np.array([[[1, 1, 1]]]), (1, 2), stride=stride).toarray().astype(int)
        assert str(C) in text
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
    pictures = [c for c in code if "figures." in c.source and "print(" not in c.source]
    for c in pictures:  # every picture cell shows an image (PNG) or the HTML player
        kinds = {k for o in c.outputs for k in o.get("data", {})}
        assert "image/png" in kinds or "text/html" in kinds, c.source
