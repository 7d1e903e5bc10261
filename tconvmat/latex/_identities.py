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


_STATEMENTS = {
    "flipped_kernel": (
        r"Let \(y\) be the transposed convolution on one axis (step~1) of the input \(x\) with the "
        r"kernel \(W\) of \(K\) taps, stride \(s\), dilation \(d\), padding \(p_{\mathrm{before}}\), "
        r"\(p_{\mathrm{after}}\) and output padding \(\mathrm{op}\), with groups: \(\gamma\) is the group, "
        r"\(0 \le a < m\) an output and \(0 \le b < n\) an input channel in it.  Let \(v\) be \(x\) with "
        r"\(s - 1\) zeros inserted between neighbours, padded by \(P_l = d(K-1) - p_{\mathrm{before}}\) "
        r"before (steps~2--3), and \(W'\) the flipped, channel-swapped kernel "
        r"\(W'[\gamma m + a, b, \kappa] = W[\gamma n + b, a, K - 1 - \kappa]\) (step~4).  Then, for "
        r"\(0 \le j < L_{\mathrm{out}}\), \(y\) is the stride-1 convolution of \(v\) with \(W'\) "
        r"and dilation \(d\):"
    ),
    "gradient": (
        r"Let \(C\) be the \(m \times n\) matrix of a convolution (kernel \(W\), stride \(s\), padding "
        r"\(p\), dilation \(d\)) of an input of length \(n\), \(g\) a gradient with respect to its output, "
        r"and \(T(g)\) the transposed convolution of \(g\) with the same \(W\), \(s\), \(p\), \(d\) and "
        r"the output padding \(\mathrm{op} = (n + 2p - d(K - 1) - 1) \bmod s\) that gives it length \(n\).  "
        r"Then the gradient \(g_x\) of \(g^{\top} C x\) with respect to \(x\) is"
    ),
    "subpixel": (
        r"Let \(y\) be the full (uncropped) output of a transposed convolution on one axis with stride "
        r"\(s\), dilation \(d\), padding \(p = 0\) and no output padding; the statement is made for "
        r"this case only.  For a phase \(0 \le \varphi < s\) let \(y_{\varphi}\) be the stride-1 "
        r"convolution of \(x\) with the taps \(k\) such that \(k d \equiv \varphi \pmod{s}\), tap \(k\) "
        r"with \(k d = \varphi + m s\) shifted by \(m\) (step~3).  Then for every integer \(q\)"
    ),
    "checkerboard": (
        r"Let \(N(\varphi)\) be the number of taps \(k\), \(0 \le k < K\), with \(s \mid k - \varphi\): "
        r"with dilation \(d = 1\), the taps that reach an output position of phase \(\varphi\) away "
        r"from the borders (step~1)."
    ),
    "composition": (
        r"Let \(C_A\) (\(b \times a\)) and \(C_B\) (\(c \times b\)) be the matrices of two convolutions "
        r"whose composition \(\mathrm{conv}_B \circ \mathrm{conv}_A\) is defined.  Then the transposed "
        r"convolutions compose in the reverse order:"
    ),
    "output_length": (
        r"Let \(L_{\mathrm{out}}\) be the length of the output of a transposed convolution of an input "
        r"of length \(L_{\mathrm{in}}\) with \(K\) taps, stride \(s\), dilation \(d\), padding "
        r"\(p_{\mathrm{before}}\), \(p_{\mathrm{after}}\) and output padding \(\mathrm{op}\) (step~4).  Then"
    ),
    "round_trip": (
        r"Let \(L_{\mathrm{back}}\) be the output length of the forward convolution (same \(K\), \(s\), "
        r"\(d\), symmetric padding \(p\)) applied to the output of length \(L_{\mathrm{out}}\) of the "
        r"transposed convolution of an input of length \(L_{\mathrm{in}}\)."
    ),
}
"""What each theorem's symbols are, in words (the display that follows is the derivation's statement)."""


def _hypotheses(hyps, names) -> str:
    """``If …, then``: a pair ``0 ≤ φ``, ``φ < s`` is written ``0 ≤ φ < s``."""
    import sympy

    parts, i = [], 0
    while i < len(hyps):
        h = hyps[i]
        nxt = hyps[i + 1] if i + 1 < len(hyps) else None
        if isinstance(h, sympy.Le) and isinstance(nxt, sympy.Lt) and h.rhs == nxt.lhs:
            chained = human(h.lhs, names) + r" \le " + human(h.rhs, names) + " < " + human(nxt.rhs, names)
            parts.append(r"\(" + chained + r"\)")
            i += 2
            continue
        parts.append(r"\(" + human(h, names) + r"\)")
        i += 1
    return "If " + ", ".join(parts) + ", then\n" if parts else ""


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
    hyp = _STATEMENTS.get(name, "") + "\n" + _hypotheses(d.hypotheses, names)
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
