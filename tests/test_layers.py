"""The layers run one way: nothing lower imports anything higher, and no module imports
another module's private names (DESIGN.md, "Shape of the code")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "tconvmat"

# Lowest first. A module may import its own layer or any lower one, never a higher one.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("spec",),
    ("_arrays", "padding"),
    ("_core",),
    ("matrix", "ops"),
    ("operator", "identities", "symbolic"),
    ("figures", "latex", "testing", "conventions", "rewrite", "explanation"),
    ("cli", "explorer"),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
LAZY_OK = {"_repr_latex_", "_repr_html_", "_repr_png_", "_repr_svg_"}  # SymPy's Printable idiom


def violations(rel: Path, source: str) -> list[str]:
    """Upward and private-name imports of the module at ``rel`` (relative to tconvmat/)."""
    parts = list(rel.with_suffix("").parts)
    me = parts[0]
    package = parts[:-1]  # the package a relative import starts from
    found: list[str] = []

    def visit(node: ast.AST, func: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if isinstance(child, ast.ImportFrom) and child.level > 0:
                base = package[: len(package) - (child.level - 1)]
                mod = [*base, *(child.module.split(".") if child.module else [])]
                names = [a.name for a in child.names]
                targets = [mod[0]] if mod else names  # `from . import x` imports module x
                for target in targets:
                    if target in RANK and target != me and name not in LAZY_OK and RANK[target] > RANK[me]:
                        found.append(
                            f"{rel}: {me} (layer {RANK[me]}) imports {target} (layer {RANK[target]})"
                        )
                if mod and mod[0] != me:
                    private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                    if private:
                        found.append(f"{rel}: imports private {private} from {'.'.join(mod)}")
            visit(child, name)

    if me in RANK:
        visit(ast.parse(source), "")
    return found


def _modules() -> list[Path]:
    return sorted(p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_top_level_module_has_a_layer() -> None:
    tops = {p.with_suffix("").parts[0] for p in _modules()} - {"__init__", "__main__"}
    assert tops <= set(RANK), f"modules without a layer in tests/test_layers.py: {sorted(tops - set(RANK))}"


@pytest.mark.parametrize("rel", _modules(), ids=str)
def test_imports_run_one_way_and_keep_private_names_private(rel: Path) -> None:
    assert violations(rel, (PACKAGE / rel).read_text(encoding="utf-8")) == []


def test_the_checker_catches_an_upward_and_a_private_import() -> None:
    """Negative control: the same checker must reject spec importing cli, and ops' private _spec."""
    source = (PACKAGE / "spec.py").read_text(encoding="utf-8")
    assert violations(Path("spec.py"), source) == []
    bad = violations(Path("spec.py"), source + "\nfrom .cli import main\nfrom .ops import _spec\n")
    assert any("imports cli" in v for v in bad) and any("private ['_spec']" in v for v in bad)
    lazy = "\ndef _repr_latex_(self):\n    from .latex import derivation\n"
    assert violations(Path("symbolic/steps.py"), "x = 1" + lazy) == []
    assert violations(Path("symbolic/steps.py"), "def f():\n    from ..latex import derivation\n")
