"""One section (or a standalone document) per identity, from the symbolic layer's derivations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import symbolic
from ._builder import Tex, escape
from ._document import _class_options, _template, macros
from ._fragments import _names
from ._general import Appendix, display, proof_steps
from ._printer import human

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
    >>> "Checked by SymPy" in tex
    True
    """
    d = symbolic.derivation(name)
    names = _names(symbol_names)
    appendix = Appendix()
    hyp = ""
    if d.hypotheses:
        hyp = "If " + ", ".join(r"\(" + human(h, names) + r"\)" for h in d.hypotheses) + ", then\n"
    proof = proof_steps(d, names, appendix)
    checks = appendix.tex().replace(r"\\paragraph{", r"\\paragraph{How each step was checked: ")
    return Tex(
        macros() + "\\section{" + escape(d.title) + "}\n"
        "\\begin{theorem}\n" + hyp + display(human(d.statement, names)) + "\n\\end{theorem}\n"
        "\\begin{proof}\n" + proof + "\n\\end{proof}\n" + checks + "\n",
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
