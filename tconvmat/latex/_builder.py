"""A small immutable LaTeX builder: :class:`Tex`, :func:`command`, :func:`environment`, :func:`join`.

The maths is printed by :func:`sympy.latex`; this module only gives it structure
(commands, environments, rows) and escapes user-supplied text.  Every function
returns a new :class:`Tex` (a ``str``), nothing is mutated.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

__all__ = ["Tex", "command", "environment", "escape", "join", "math_name", "text"]

Mode = Literal["math", "display", "text"]


class Tex(str):
    """A LaTeX fragment: a ``str`` that also renders in Jupyter.

    ``mode`` says how the fragment is meant to be used: ``"math"`` (math-mode
    content such as a ``bmatrix``, to go inside ``\\[ … \\]``), ``"display"`` (a
    complete display environment such as ``align*``) or ``"text"`` (paragraph
    material such as a ``tikzpicture``).  Concatenating a ``Tex`` with anything
    gives a plain ``str``.

    Examples
    --------
    >>> t = Tex(r"x^{2}")
    >>> t, t.mode
    ('x^{2}', 'math')
    >>> t._repr_latex_()
    '$\\\\displaystyle x^{2}$'
    >>> Tex(r"\\begin{align*} a &= b \\end{align*}", "display")._repr_latex_()
    '\\\\begin{align*} a &= b \\\\end{align*}'
    """

    mode: Mode

    def __new__(cls, value: str = "", mode: Mode = "math") -> Tex:
        if mode not in ("math", "display", "text"):
            raise ValueError(f"mode must be 'math', 'display' or 'text'; got mode={mode!r}")
        obj = super().__new__(cls, value)
        object.__setattr__(obj, "mode", mode)
        return obj

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Tex is immutable; cannot set {name!r}")

    def __reduce__(self) -> tuple[type[Tex], tuple[str, Mode]]:
        return (Tex, (str(self), self.mode))

    def _repr_latex_(self) -> str | None:
        """For Jupyter: math wrapped in ``$\\displaystyle …$``, display environments as they are.

        Text-mode fragments (TikZ pictures) cannot be shown by MathJax: ``None``, so
        Jupyter falls back to the plain text (the LaTeX source).
        """
        if self.mode == "math":
            return f"$\\displaystyle {self}$"
        if self.mode == "display":
            return str(self)
        return None


def command(name: str, *args: str, options: str | None = None) -> Tex:
    r"""``\name[options]{arg}{arg}…``.

    Examples
    --------
    >>> command("frac", "1", "2")
    '\\frac{1}{2}'
    >>> command("usepackage", "geometry", options="margin=2cm")
    '\\usepackage[margin=2cm]{geometry}'
    """
    if not re.fullmatch(r"[A-Za-z]+\*?", name):
        raise ValueError(f"command name must be letters (optionally a trailing *); got name={name!r}")
    opt = f"[{options}]" if options is not None else ""
    return Tex("\\" + name + opt + "".join("{" + a + "}" for a in args))


def environment(
    name: str, body: str, *args: str, options: str | None = None, mode: Mode | None = None
) -> Tex:
    r"""``\begin{name}[options]{arg}…`` body ``\end{name}``, on separate lines.

    ``mode`` defaults to ``"display"`` for the ``amsmath`` display environments,
    ``"text"`` for ``tikzpicture`` and the like, and ``"math"`` otherwise.

    Examples
    --------
    >>> print(environment("bmatrix", "1 & 0 \\\\\n0 & 1"))
    \begin{bmatrix}
    1 & 0 \\
    0 & 1
    \end{bmatrix}
    """
    if not re.fullmatch(r"[A-Za-z]+\*?", name):
        raise ValueError(f"environment name must be letters (optionally a trailing *); got name={name!r}")
    if mode is None:
        if name.rstrip("*") in ("align", "gather", "multline", "equation", "flalign"):
            mode = "display"
        elif name in ("tikzpicture", "theorem", "lemma", "proof", "figure", "center", "itemize", "enumerate"):
            mode = "text"
        else:
            mode = "math"
    opt = f"[{options}]" if options is not None else ""
    head = f"\\begin{{{name}}}{opt}" + "".join("{" + a + "}" for a in args)
    return Tex(f"{head}\n{body}\n\\end{{{name}}}", mode)


def join(separator: str, items: Iterable[str], mode: Mode = "math") -> Tex:
    r"""Items joined by a separator (e.g. ``" & "`` for cells, ``" \\\\\n"`` for rows).

    Examples
    --------
    >>> join(" & ", ["1", "2", "3"])
    '1 & 2 & 3'
    """
    return Tex(separator.join(items), mode)


# ---------------------------------------------------------------------------
# Escaping user text
# ---------------------------------------------------------------------------

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\ensuremath{\$}",
    "{": r"\{",
    "}": r"\}",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\ensuremath{<}",
    ">": r"\ensuremath{>}",
    "|": r"\ensuremath{|}",
}

# Characters plain prose from the symbolic layer uses (κ, −, ·, ≤ …), as math.
_UNICODE_MATH = {
    "−": "-",
    "·": r"\cdot",
    "×": r"\times",
    "≤": r"\le",
    "≥": r"\ge",
    "≠": r"\ne",
    "≡": r"\equiv",
    "→": r"\to",
    "←": r"\leftarrow",
    "⇒": r"\Rightarrow",
    "⇔": r"\Leftrightarrow",
    "∈": r"\in",
    "∉": r"\notin",
    "‖": r"\|",
    "∣": r"\mid",
    "∤": r"\nmid",  # amssymb (the proof documents load it)
    "∑": r"\sum",
    "∏": r"\prod",
    "∀": r"\forall",
    "∃": r"\exists",
    "∞": r"\infty",
    "⌊": r"\lfloor",
    "⌋": r"\rfloor",
    "⌈": r"\lceil",
    "⌉": r"\rceil",
    "⟨": r"\langle",
    "⟩": r"\rangle",
    "∘": r"\circ",
    "⊗": r"\otimes",
    "ᵀ": r"^{\top}",
    "′": r"'",
    "±": r"\pm",
    "√": r"\surd",
    "∂": r"\partial",
    "∧": r"\wedge",
    "∨": r"\vee",
    "¬": r"\neg",
    "…": r"\dots",
    "⋯": r"\cdots",
}
_UNICODE_TEXT = {
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "\u00a0": "~",
}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
_GREEK = {
    # unicodedata names → TeX; final sigma and variants included
    "ALPHA": "alpha", "BETA": "beta", "GAMMA": "gamma", "DELTA": "delta", "EPSILON": "epsilon",
    "ZETA": "zeta", "ETA": "eta", "THETA": "theta", "IOTA": "iota", "KAPPA": "kappa",
    "LAMDA": "lambda", "MU": "mu", "NU": "nu", "XI": "xi", "OMICRON": "o", "PI": "pi",
    "RHO": "rho", "SIGMA": "sigma", "FINAL SIGMA": "varsigma", "TAU": "tau", "UPSILON": "upsilon",
    "PHI": "phi", "CHI": "chi", "PSI": "psi", "OMEGA": "omega",
}  # fmt: skip
_UPPER_GREEK_TEX = {
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
}


def _greek(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for prefix, upper in (("GREEK SMALL LETTER ", False), ("GREEK CAPITAL LETTER ", True)):
        if name.startswith(prefix):
            tex = _GREEK.get(name[len(prefix) :])
            if tex is None:
                return None
            if not upper:
                return "\\" + tex
            cap = tex.capitalize() if tex != "lambda" else "Lambda"
            # Capital letters that look Latin (A, B, E, …) have no TeX command.
            return "\\" + cap if cap in _UPPER_GREEK_TEX else _LATIN_LOOKALIKE.get(cap, None)
    return None


_LATIN_LOOKALIKE = {
    "Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I", "Kappa": "K",
    "Mu": "M", "Nu": "N", "O": "O", "Rho": "P", "Tau": "T", "Chi": "X",
}  # fmt: skip


def _char(ch: str) -> str:
    """One character of user text, as text-mode LaTeX that pdflatex (OT1) accepts."""
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch.isascii():
        if ch == "\n" or ch == "\t" or ch == "\r":
            return " "
        return ch if ch.isprintable() else ""
    if ch in _UNICODE_TEXT:
        return _UNICODE_TEXT[ch]
    if ch in _UNICODE_MATH:
        return "\\ensuremath{" + _UNICODE_MATH[ch] + "}"
    if ch in _SUPERSCRIPTS:  # as maths: valid in text and inside \(…\) alike
        return "\\ensuremath{^{" + _SUPERSCRIPTS[ch] + "}}"
    if ch in _SUBSCRIPTS:
        return "\\ensuremath{_{" + _SUBSCRIPTS[ch] + "}}"
    greek = _greek(ch)
    if greek is not None:
        return greek if greek.isalpha() else "\\ensuremath{" + greek + "}"
    # Accented Latin letters and the like: their ASCII base letter.
    base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    if base and base.isprintable():
        return "".join(_char(c) for c in base)
    return f"\\texttt{{[U+{ord(ch):04X}]}}"


def escape(value: str) -> Tex:
    r"""User text as text-mode LaTeX: the ten special characters escaped, Unicode mapped.

    ``\ _ % & # $ { } ^ ~`` become their escaped forms; Greek letters and the
    mathematical symbols plain prose uses (``−``, ``·``, ``≤`` …) become math;
    accented letters lose their accents; anything else is shown as ``[U+XXXX]``.
    Only fonts every TeX Live has (OT1 Computer Modern) are needed.

    Examples
    --------
    >>> escape("50% of a_b & {c}")
    '50\\% of a\\_b \\& \\{c\\}'
    >>> escape("substitute κ = K − 1 − k")
    'substitute \\ensuremath{\\kappa} = K \\ensuremath{-} 1 \\ensuremath{-} k'
    """
    return Tex("".join(_char(c) for c in str(value)), "text")


_SUBSCRIPTED = re.compile(r"\b([A-Za-z])_([A-Za-z0-9]+)\b")


def prose(value: str) -> Tex:
    r"""Like :func:`escape`, with plain-text subscripted names (``P_l``, ``L_in``) set as maths.

    The derivations' prose is written for the terminal too, where ``L_in`` is the
    natural spelling; in the document it reads as ``L_{\mathrm{in}}``.

    Examples
    --------
    >>> prose("substitute L_in, P_l; simplify(lhs − rhs) = 0")
    'substitute \\(L_{\\mathrm{in}}\\), \\(P_{l}\\); simplify(lhs \\ensuremath{-} rhs) = 0'
    """
    out, last = [], 0
    for m in _SUBSCRIPTED.finditer(value):
        out.append(escape(value[last : m.start()]))
        base, sub = m.groups()
        sub_tex = sub if len(sub) == 1 else rf"\mathrm{{{sub}}}"
        out.append(rf"\({base}_{{{sub_tex}}}\)")
        last = m.end()
    out.append(escape(value[last:]))
    return Tex("".join(out), "text")


def text(value: str) -> Tex:
    r"""User text inside maths: ``\text{…}``, escaped.

    Examples
    --------
    >>> text("by parts")
    '\\text{by parts}'
    """
    return Tex(r"\text{" + escape(value) + "}")


_PLAIN_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]*)")


def math_name(name: str) -> Tex:
    r"""A user-chosen symbol name as math: a letter as itself, a word upright, anything else as text.

    A math-mode :class:`Tex` is LaTeX already and is used as is.

    Examples
    --------
    >>> math_name("x"), math_name("out"), math_name("x_1%"), math_name(Tex(r"\theta"))
    ('x', '\\mathrm{out}', '\\text{x\\_1\\%}', '\\theta')
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"symbol names must be non-empty strings; got {name!r}")
    if isinstance(name, Tex) and name.mode == "math":
        return name
    if _PLAIN_NAME.fullmatch(name):
        return Tex(name if len(name) == 1 else r"\mathrm{" + name + "}")
    greek = _greek(name) if len(name) == 1 else None
    if greek is not None:
        return Tex(greek)
    return text(name)


# ---------------------------------------------------------------------------
# Prose with its maths set as maths
# ---------------------------------------------------------------------------

_OPS = "+−-·=≤≥<>×/≡≠∣∤|∘"
_GREEK_CHARS = "κφγδαβσ"
_HAS_OP = re.compile(r"[" + re.escape(_OPS) + r"_" + _GREEK_CHARS + r"⌊⌋]|^\(|\d")
_ENGLISH = {
    "a",
    "A",
    "I",
    "is",
    "in",
    "if",
    "of",
    "or",
    "by",
    "to",
    "at",
    "as",
    "on",
    "it",
    "be",
    "so",
    "no",
    "mod",
}
_MATH_CHAR = {
    "−": "-", "·": r"\cdot ", "×": r"\times ", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "≡": r"\equiv ",
    "∣": r"\mid ", "|": r"\mid ", "∘": r"\circ ", "⌊": r"\lfloor ", "⌋": r"\rfloor ", "…": r"\dots ",
    "κ": r"\kappa ", "φ": r"\varphi ", "γ": r"\gamma ", "δ": r"\delta ", "α": r"\alpha ", "β": r"\beta ",
    "σ": r"\sigma ", "∤": r"\nmid ", "ᵀ": r"^{\top}", "²": "^{2}", "³": "^{3}", "‖": r"\| ", "′": "'", "⟮": r"\pmod{", "⟯": "}",
}  # fmt: skip
_WORDS = {"op": r"\mathrm{op}", "gcd": r"\gcd", "mod": r"\bmod ", "max": r"\max", "min": r"\min"}


def _math_token(tok: str) -> str:
    out, _pos = [], 0
    for m in re.finditer(r"[A-Za-z]+(?:_[A-Za-z0-9]+)?|\d+|.", tok):
        t = m.group(0)
        if t in _WORDS:
            out.append(_WORDS[t])
        elif "_" in t:
            base, sub = t.split("_", 1)
            out.append(
                base + "_{" + (sub if len(sub) == 1 or sub.isdigit() else r"\mathrm{" + sub + "}") + "}"
            )
        elif t in _MATH_CHAR:
            out.append(_MATH_CHAR[t])
        elif t.isalpha() and len(t) > 1:
            out.append(r"\mathrm{" + t + "}")
        else:
            out.append(t)
        m.end()
    return "".join(out).strip()


_PIECE = re.compile(r"[A-Za-z]+(?:_[A-Za-z0-9]+)?'?|\d+|.")
_SYMBOLS = set(_OPS) | set(_GREEK_CHARS) | set("()[]⌊⌋…'ᵀ²³‖′⟮⟯")


def _is_math(tok: str) -> bool:
    if tok in _ENGLISH:
        return False
    for piece in _PIECE.findall(tok):
        if piece in _WORDS or piece in _SYMBOLS or piece.isdecimal():
            continue
        if re.fullmatch(r"[A-Za-z](?:_[A-Za-z0-9]+)?'?", piece):
            continue
        return False
    return True


def maths_prose(value: str) -> Tex:
    r"""Plain-text prose with its formulas set as maths: runs of symbols, operators and numbers
    (``i·s + k·d − p``, ``L_in``, ``0 ≤ r < s``) become ``\(…\)``; the words stay text.

    Examples
    --------
    >>> maths_prose("write n = s·q + r with 0 ≤ r < s, and op < s")
    'write \\(n = s\\cdot q + r\\) with \\(0 \\le r < s\\), and \\(\\mathrm{op} < s\\)'
    """
    value = re.sub(r"\(mod ([A-Za-z0-9_]+)\)", "⟮\\1⟯", value)  # "(mod s)" → \pmod{s}, one token
    words = value.split(" ")
    out: list[str] = []
    run: list[str] = []
    trail = ""

    def flush() -> None:
        nonlocal run, trail
        if run:
            text_run = " ".join(run)
            if (
                len(run) == 1
                and not _HAS_OP.search(text_run)
                and len(text_run) > 1
                and text_run not in _WORDS
            ):
                out.append(str(escape(text_run)))
            else:
                out.append(r"\(" + " ".join(_math_token(t) for t in run) + r"\)")
        if trail:
            out[-1] += str(escape(trail))
        run, trail = [], ""

    for w in words:
        m = re.match(r"^(.*?)([,.;:!?]*)$", w)
        core, punct = (m.group(1), m.group(2)) if m else (w, "")
        if core.endswith("'s"):
            core, punct = core[:-2], "'s" + punct
        # a one-letter word right after an operator ("a = op", "= a") is maths, not the article
        after_op = bool(run) and run[-1][-1:] in _OPS and len(core) == 1 and core.isalpha()
        if core and (_is_math(core) or after_op):
            run.append(core)
            if punct:
                trail = punct
                flush()
        else:
            flush()
            out.append(str(escape(w)))
    flush()
    return Tex(" ".join(out), "text")
