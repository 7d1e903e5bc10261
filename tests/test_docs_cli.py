"""The ``$ tconvmat …`` transcripts in the docs are run and compared, so they cannot rot.

A transcript is a fenced ``console`` block: a line ``$ tconvmat ARGS`` followed by the
exact output (stdout, then stderr).  To regenerate after an intended change:

    TCONVMAT_UPDATE_DOCS=1 python -m pytest tests/test_docs_cli.py
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
from pathlib import Path

import pytest

from tconvmat.cli import main

from .conftest import oracle

DOCS = [
    *sorted((Path(__file__).parent.parent / "docs").glob("*.md")),
    Path(__file__).parent.parent / "README.md",
]
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def _transcripts(path: Path) -> list[tuple[str, str]]:
    out = []
    for block in BLOCK.findall(path.read_text(encoding="utf-8")):
        parts = re.split(r"^\$ ", block, flags=re.M)
        for part in parts[1:]:
            command, _, output = part.partition("\n")
            out.append((command, output))
    return out


def _run(command: str, cwd: Path) -> str:
    argv = shlex.split(command)
    assert argv[0] == "tconvmat", command
    stdout, stderr = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            main(argv[1:])
    finally:
        os.chdir(old)
    return stdout.getvalue() + stderr.getvalue()


CASES = [(p, c, o) for p in DOCS for c, o in _transcripts(p)]


@pytest.mark.parametrize(
    ("path", "command", "expected"), CASES, ids=[f"{p.name}:{c[:50]}" for p, c, _ in CASES]
)
def test_transcript(path, command, expected, tmp_path):
    if "PyTorch" in expected:  # the transcript shows the oracles' checks
        oracle("torch")
    if "ONNX" in expected:
        oracle("onnx")
    got = _run(command, tmp_path)
    if os.environ.get("TCONVMAT_UPDATE_DOCS") == "1" and got != expected:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f"$ {command}\n{expected}", f"$ {command}\n{got}", 1), encoding="utf-8")
        pytest.skip("updated")
    assert got == expected


def test_reference_names_every_public_name_and_subcommand():
    import tconvmat
    from tconvmat.cli import build_parser

    text = (Path(__file__).parent.parent / "docs" / "reference.md").read_text(encoding="utf-8")
    missing = [name for name in tconvmat.__all__ if name != "__version__" and f"`{name}" not in text]
    assert not missing, f"docs/reference.md does not mention {missing}"
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert all(f"`tconvmat {name}`" in text for name in sub.choices)
