"""One section (or a standalone document) per identity, from the symbolic layer's derivations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._builder import Tex, escape
from ._document import _class_options, _display, _steps, _symbolic, _template, macros
from ._fragments import _latex, _names

IDENTITIES = (
    "flipped_kernel",
    "gradient",
    "subpixel",
    "checkerboard",
    "composition",
    "output_length",
    "round_trip",
)


def identity_section(name: str, *, symbol_names: Mapping[str, str] | None = None) -> Tex:
    """A ``\\section`` stating one identity as a theorem, proved by its derivation's steps.

    Each step shows its justification, its statement (printed by SymPy) and how SymPy
    checked it; a step SymPy could not prove says so.  Usable inside any document that
    loads ``amsmath``, ``amsthm`` (a ``theorem`` environment) and defines ``\\tcmdisplay``
    (see :func:`identity_document`, which is standalone).

    Examples
    --------
    >>> tex = identity_section("gradient")
    >>> [line for line in tex.splitlines() if line.startswith("\\\\section")]
    ['\\\\section{The transposed convolution is the gradient (VJP) of the convolution}']
    >>> "Verified by SymPy" in tex
    True
    """
    symbolic = _symbolic()
    d = symbolic.derivation(name)
    names = _names(symbol_names)
    return Tex(
        macros() + "\\section{" + escape(d.title) + "}\n"
        "\\begin{theorem}\n" + _display(_latex(d.statement, names)) + "\n\\end{theorem}\n"
        "\\begin{proof}\n" + _steps(d, names) + "\n\\end{proof}\n",
        "text",
    )


def identity_document(
    names: str | Sequence[str],
    *,
    symbol_names: Mapping[str, str] | None = None,
    documentclass_options: str | Sequence[str] = ("a4paper", "11pt"),
) -> Tex:
    """A standalone article with one section per named identity (see :data:`IDENTITIES`).

    ``names`` is one name, a sequence of them, or ``"all"`` (as ``tconvmat prove --identity all``).

    Examples
    --------
    >>> doc = identity_document(["subpixel", "composition"])
    >>> doc.count("\\\\section{"), doc.rstrip().endswith("\\\\end{document}")
    (2, True)
    >>> identity_document("all").count("\\\\section{") == len(IDENTITIES)
    True
    """
    import tconvmat

    chosen = list(IDENTITIES) if names == "all" else [names] if isinstance(names, str) else list(names)
    body = "\n".join(str(identity_section(n, symbol_names=symbol_names)) for n in chosen)
    return Tex(
        _template("proof.tex").substitute(
            version=tconvmat.__version__,
            what="identities of transposed convolution, their algebraic steps checked by SymPy",
            class_options=_class_options(documentclass_options),
            title=escape("Identities of transposed convolution, with SymPy-checked derivations"),
            body=body,
        ),
        "text",
    )
