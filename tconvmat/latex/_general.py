"""The general part of the proof documents: derivations as numbered proofs, and the appendix of checks.

Each step shows its justification (prose, its formulas set as maths), its statement (printed
in human order by :func:`~tconvmat.latex._printer.human`, checked by SymPy) and its standing
with a reference into the appendix, which says how each step was checked, naming the SymPy
calls.  The theorem and proof text itself names no code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..symbolic import Derivation, Step
from ._builder import Tex, environment, join, maths_prose
from ._printer import human

__all__ = ["Appendix", "proof_steps", "summary"]


@dataclass
class Appendix:
    """Collects, for the appendix, how every step shown in the document was checked."""

    rows: list[tuple[str, str, Step]] = field(default_factory=list)

    def add(self, d: Derivation, n: int, step: Step) -> str:
        label = str(len(self.rows) + 1)
        self.rows.append((label, d.title, step))
        return label

    def tex(self) -> str:
        if not self.rows:
            return ""
        items = []
        last_title = None
        for label, title, step in self.rows:
            if title != last_title:
                if items:
                    items.append(r"\end{enumerate}")
                items.append(r"\paragraph{" + maths_prose(title) + "}")
                items.append(r"\begin{enumerate}\setlength{\itemsep}{0pt}")
                last_title = title
            items.append(
                rf"\item[A.{label}]"
                + f"\\textit{{{_standing_word(step)}.}} "
                + r"\texttt{\small "
                + _code(step.check)
                + "}"
            )
        items.append(r"\end{enumerate}")
        return "{\\raggedright\n" + "\n".join(items) + "\n\\par}"


def _code(text: str) -> str:
    """A check's description in typewriter, escaped, breakable at spaces."""
    from ._builder import escape

    tex = str(escape(text))
    for mark in (r"\_", "(", ",", "=", ";"):  # long calls break at these, never overrun the margin
        tex = tex.replace(mark, mark + r"\allowbreak{}")
    return tex


def _standing_word(step: Step) -> str:
    return {
        "verified": "Cited; the cited result is proved by SymPy"
        if step.kind == "cited"
        else "Proved by SymPy",
        "definition": "Definition",
        "failed": "SymPy check FAILED",
        "unproved": "Argued in words" if step.kind == "argued" else "Checked over a finite range only",
    }[step.standing]


def _mark(step: Step, label: str) -> str:
    ref = rf"~(A.{label})"
    if step.kind == "cited":
        return (
            r"\emph{By the result cited.}" if step.standing == "verified" else r"\textbf{Cited, not proved.}"
        ) + ref
    return {
        "verified": r"\emph{Checked by SymPy}" + ref + ".",
        "definition": r"\emph{Definition.}",
        "failed": r"\textbf{The SymPy check of this step FAILED}" + ref + ".",
        "unproved": r"\textbf{Argued in words, not checked by SymPy}" + ref + ".",
    }[step.standing]


def proof_steps(d: Derivation, names: Mapping[str, str], appendix: Appendix, skip: Sequence[str] = ()) -> str:
    """A derivation as a numbered list of steps, then one sentence counting their standings."""
    items = []
    for n, step in enumerate(d.steps, 1):
        label = appendix.add(d, n, step)
        if step.name in skip:
            continue
        items.append(
            r"\item "
            + maths_prose(step.justification)
            + ":\n"
            + display(human(step.statement, names))
            + "\n"
            + _mark(step, label)
        )
    body = environment("enumerate", join("\n", items, "text"), mode="text") if items else ""
    return body + "\n" + summary(d.steps)


def display(tex: str) -> str:
    """A display scaled down to the line width if wider (``\\tcmdisplay``, in the macros template)."""
    return "\\tcmdisplay{" + tex + "}"


def summary(steps: Sequence[Step]) -> str:
    """One sentence: how many steps are definitions, proved by SymPy, cited, or not proved."""
    n = len(steps)
    defs = sum(s.standing == "definition" for s in steps)
    proved = sum(s.standing == "verified" and s.kind == "proved" for s in steps)
    cited = sum(s.standing == "verified" and s.kind == "cited" for s in steps)
    failed = sum(s.standing == "failed" for s in steps)
    unproved = sum(s.standing == "unproved" for s in steps)
    parts = [f"Of these {n} steps, {defs} {'is a definition' if defs == 1 else 'are definitions'}"]
    parts.append(
        f"{proved} {'was' if proved == 1 else 'were'} proved by SymPy when this document was generated"
    )
    if cited:
        parts.append(f"{cited} {'cites' if cited == 1 else 'cite'} a proved result")
    if failed:
        parts.append(rf"\textbf{{{failed} failed {'its' if failed == 1 else 'their'} check}}")
    parts.append(
        rf"\textbf{{{unproved} {'is' if unproved == 1 else 'are'} argued in words}}"
        if unproved
        else "none is argued in words"
    )
    return Tex("; ".join(parts) + ".", "text")
