"""The general theorem: a transposed convolution is a stride-1 convolution with the flipped kernel.

For N = 1, 2, 3 spatial axes, every per-axis parameter an independent integer symbol
(``L, K, s, d ≥ 1``, ``p_before, p_after, op ≥ 0``) and ``g`` groups with symbolic channel
counts per group (``n`` inputs, ``m`` outputs), both sides are written as finite sums
against an uninterpreted Kronecker delta ``δ`` of an expanded integer argument:

- the transposed convolution (PyTorch's scatter definition)
  ``y[γm+a, j] = Σ_b Σ_i Σ_k W[γn+b, a, k] x[γn+b, i] Π_α δ(j_α − (i_α s_α + k_α d_α − p_before,α))``;
- the zero-inserted input ``u[c, t] = Σ_i x[c, i] Π_α δ(t_α − s_α i_α)`` (0 off the grid by
  construction), shifted ``v[c, τ] = u[c, τ − P_l]`` (a negative ``P_l`` crops), and the
  stride-1 convolution ``z[γm+a, j] = Σ_b Σ_κ W'[γm+a, b, κ] v[γn+b, j + κ·d]``.

The proof substitutes the definitions, moves factors into the sums (linearity), re-indexes
``κ = K − 1 − k`` (``sympy.Sum.change_index``) and compares the two sums summand by summand
(:func:`~tconvmat.symbolic.steps.sums_equal`); the lengths and the range of every read are
checked separately.  :func:`equivalence_checks` runs every check for one ``N``, optionally on a
perturbed claim, so the tests can show each check fails when the claim is wrong.
"""

from __future__ import annotations

from typing import Any

import sympy

from ..spec import ConvTransposeSpec, conv_output_length, conv_transpose_output_length, input_index
from .formulas import DELTA
from .steps import Derivation, argued, cite, define, prove, sign_is, sums_equal, verify_equal

__all__ = ["PERTURBATIONS", "equivalence_checks", "flipped_kernel", "flipped_kernel_nd"]

PERTURBATIONS = ("P_l_off_by_d", "no_flip", "no_channel_swap", "P_r_without_op", "no_zero_insertion")
"""Wrong claims the checks must reject (the tests' negative controls)."""

_pos = {"integer": True, "positive": True}
_nn = {"integer": True, "nonnegative": True}
W, X, Wp = sympy.IndexedBase("W"), sympy.IndexedBase("x"), sympy.IndexedBase("W'")
Y, Z = sympy.IndexedBase("y"), sympy.IndexedBase("z")
_v = sympy.Function("v")
gamma, a, b = sympy.symbols("gamma a b", integer=True, nonnegative=True)
m, n = sympy.symbols("m n", **_pos)  # output and input channels per group


def _axis(alpha: int | None) -> dict[str, sympy.Symbol]:
    """The independent symbols of one axis (no subscript when ``alpha`` is None: one axis)."""
    tag = "" if alpha is None else f"_{alpha + 1}"

    def sym(name: str, **kw: bool) -> sympy.Symbol:
        return sympy.Symbol(name + tag, **kw)

    return {
        "L": sym("L", **_pos),
        "K": sym("K", **_pos),
        "s": sym("s", **_pos),
        "d": sym("d", **_pos),
        "pb": sym("p_before", **_nn),
        "pa": sym("p_after", **_nn),
        "op": sym("op", **_nn),
        "i": sym("i", integer=True),
        "k": sym("k", integer=True),
        "kappa": sym("kappa", integer=True),
        "j": sym("j", integer=True),
        "t": sym("t", integer=True),
        "tau": sym("tau", integer=True),
    }


class _Sides:
    """Both sides of the theorem for ``ndim`` axes, built from their definitions, and the
    intermediate forms of the proof.  ``perturb`` (one of :data:`PERTURBATIONS`) builds a wrong claim."""

    def __init__(self, ndim: int, perturb: str | None = None) -> None:
        if perturb is not None and perturb not in PERTURBATIONS:
            raise ValueError(f"perturb must be one of {PERTURBATIONS}; got perturb={perturb!r}")
        ax = [_axis(None if ndim == 1 else alpha) for alpha in range(ndim)]
        self.ax = ax
        sym_spec = ConvTransposeSpec(
            1,
            1,
            tuple(A["K"] for A in ax),
            tuple(A["L"] for A in ax),
            tuple(A["s"] for A in ax),
            tuple((A["pb"], A["pa"]) for A in ax),
            tuple(A["op"] for A in ax),
            tuple(A["d"] for A in ax),
        )
        pads = [list(p) for p in sym_spec.flipped_pads]  # the claim: tconvmat.spec's pads
        if perturb == "P_l_off_by_d":
            pads[0][0] += ax[0]["d"]
        if perturb == "P_r_without_op":
            pads[0][1] -= ax[0]["op"]
        self.pads = pads
        i_s, k_s, j_s = [A["i"] for A in ax], [A["k"] for A in ax], [A["j"] for A in ax]
        kap = [A["kappa"] for A in ax]
        cin, cout = gamma * n + b, gamma * m + a
        # the transposed convolution, by its definition (scatter)
        hit = sympy.Mul(*(DELTA(A["j"] - input_index(A["i"], A["k"], A["s"], A["d"], A["pb"])) for A in ax))
        self.y_def = sympy.Sum(
            W[(cin, a, *k_s)] * X[(cin, *i_s)] * hit,
            (b, 0, n - 1),
            *[(A["i"], 0, A["L"] - 1) for A in ax],
            *[(A["k"], 0, A["K"] - 1) for A in ax],
        )
        self.y = Y[(cout, *j_s)]
        # u, v, the stride-1 convolution and W', each by its definition
        step = 1 if perturb == "no_zero_insertion" else None
        self.u_def = sympy.Sum(
            X[(b, *i_s)] * sympy.Mul(*(DELTA(A["t"] - (step or A["s"]) * A["i"]) for A in ax)),
            *[(A["i"], 0, A["L"] - 1) for A in ax],
        )
        self.v_len = [(A["L"] - 1) * A["s"] + 1 + pl + pr for A, (pl, pr) in zip(ax, pads)]
        reads = [input_index(A["j"], A["kappa"], 1, A["d"], 0) for A in ax]  # stride 1, no padding
        self.reads = reads
        self.z_def = sympy.Sum(
            Wp[(cout, b, *kap)] * _v(cin, *reads), (b, 0, n - 1), *[(A["kappa"], 0, A["K"] - 1) for A in ax]
        )
        self.z = Z[(cout, *j_s)]

        def v_of(c: Any, *taus: Any) -> Any:  # v[c, τ] = u[c, τ − P_l]
            shift = {A["t"]: tau - pl for A, tau, (pl, _) in zip(ax, taus, pads)}
            return _u_at(self.u_def, b, c, shift)

        def w_prime(idx: tuple[Any, ...]) -> Any:  # W'[γm+a, b, κ] = W[γn+b, a, K−1−κ]
            flip = [kk if perturb == "no_flip" else A["K"] - 1 - kk for A, kk in zip(ax, idx[2:])]
            if perturb == "no_channel_swap":
                return W[(cout, idx[1], *flip)]
            return W[(cin, a, *flip)]

        self.wp_def = w_prime((cout, b, *kap))
        self.z_v = self.z_def.replace(_v, v_of)  # v substituted: W'·(Σ_i …), nested
        self.z_flat = sympy.Sum(
            Wp[(cout, b, *kap)]
            * X[(cin, *i_s)]
            * sympy.Mul(
                *(DELTA(r - pl - (step or A["s"]) * A["i"]) for A, r, (pl, _) in zip(ax, reads, pads))
            ),
            (b, 0, n - 1),
            *[(A["kappa"], 0, A["K"] - 1) for A in ax],
            *[(A["i"], 0, A["L"] - 1) for A in ax],
        )
        z_w = self.z_flat.replace(
            lambda e: isinstance(e, sympy.Indexed) and e.base == Wp, lambda e: w_prime(e.indices)
        )
        for A in ax:
            z_w = z_w.change_index(A["kappa"], A["K"] - 1 - A["kappa"], A["k"])
        self.z_flipped = z_w
        self.y_len = [
            conv_transpose_output_length(A["L"], A["K"], A["s"], A["pb"], A["pa"], A["d"], A["op"])
            for A in ax
        ]
        self.z_len = [conv_output_length(nv, A["K"], 1, 0, 0, A["d"]) for A, nv in zip(ax, self.v_len)]

    def checks(self) -> dict[str, bool]:
        ax = self.ax
        e, f = sympy.symbols("e f", **_nn)
        lengths = all(verify_equal(zl, yl) for zl, yl in zip(self.z_len, self.y_len))
        in_range = all(
            sign_is(r.subs({A["j"]: e, A["kappa"]: f}), "nonnegative")
            and verify_equal(nv - 1 - r, (yl - 1 - A["j"]) + A["d"] * (A["K"] - 1 - A["kappa"]))
            and sign_is(
                ((yl - 1 - A["j"]) + A["d"] * (A["K"] - 1 - A["kappa"])).subs(
                    {A["j"]: yl - 1 - e, A["kappa"]: A["K"] - 1 - f}
                ),
                "nonnegative",
            )
            for A, r, nv, yl in zip(ax, self.reads, self.v_len, self.y_len)
        )
        deltas = all(
            verify_equal(
                (r - pl - A["s"] * A["i"]).subs(A["kappa"], A["K"] - 1 - A["k"]),
                A["j"] - input_index(A["i"], A["k"], A["s"], A["d"], A["pb"]),
            )
            for A, r, (pl, _) in zip(ax, self.reads, self.pads)
        )
        return {
            "lengths": lengths,
            "in_range": in_range,
            "linearity": sums_equal(self.z_v, self.z_flat),
            "delta_arguments": deltas,
            "equal": sums_equal(self.z_flipped, self.y_def),
        }


def _u_at(u_def: sympy.Sum, channel_var: Any, channel: Any, shift: dict[Any, Any]) -> Any:
    """``u[channel, t − P_l]``: the definition of ``u`` at the shifted positions."""
    return u_def.xreplace({channel_var: channel, **shift})


def equivalence_checks(ndim: int, perturb: str | None = None) -> dict[str, bool]:
    """Every check of the theorem's proof for ``ndim`` axes (all True), or of a wrong claim.

    Examples
    --------
    >>> equivalence_checks(2)
    {'lengths': True, 'in_range': True, 'linearity': True, 'delta_arguments': True, 'equal': True}
    >>> equivalence_checks(2, perturb="no_flip")["equal"]
    False
    """
    return _Sides(ndim, perturb).checks()


NDIMS = (1, 2, 3)


def flipped_kernel() -> Derivation:
    """The theorem for N ≤ 3 axes and groups; the steps are shown for one axis, checked for N = 1, 2, 3."""
    one = _Sides(1)
    results = {nd: (one if nd == 1 else _Sides(nd)).checks() for nd in NDIMS}
    A = one.ax[0]
    (pl, pr) = one.pads[0]
    P_l, P_r = sympy.symbols("P_l P_r", integer=True)
    u = sympy.IndexedBase("u")
    v = sympy.IndexedBase("v")
    L_out = sympy.Symbol("L_out", integer=True)
    L_z = sympy.Symbol("L_z", integer=True)
    where = "; checked for N = 1, 2, 3 with independent per-axis symbols"

    def ok(name: str) -> bool:
        return all(r[name] for r in results.values())

    vsub = one.z_def.replace(_v, lambda c, *taus: v[(c, *taus)])
    steps = (
        define(
            one.y,
            one.y_def,
            "the transposed convolution, for 0 ≤ j < L_out",
            "definition (PyTorch)",
            name="y",
        ),
        define(
            u[b, A["t"]],
            one.u_def,
            "zero insertion: u holds x_i at t = s·i and 0 at every other integer t",
            "definition",
            name="u",
        ),
        define(
            v[b, A["tau"]],
            u[b, A["tau"] - P_l],
            "padding by P_l before (cropping if P_l < 0)",
            "definition",
            name="v",
        ),
        define(
            Wp[gamma * m + a, b, A["kappa"]],
            one.wp_def,
            "the flipped, channel-swapped kernel",
            "definition",
            name="W'",
        ),
        define(
            one.z,
            vsub,
            "the stride-1 convolution of v with W', for 0 ≤ j < L_z, its output length (step 8: L_z = L_out)",
            "definition",
            name="z",
        ),
        define(
            sympy.Tuple(P_l, P_r), sympy.Tuple(pl, pr), "the pads of the statement", "definition", name="pads"
        ),
        cite("output_length", sympy.Eq(L_out, one.y_len[0]), "the length of y", name="L_out"),
        prove(
            sympy.Eq(L_z, one.y_len[0]),
            "both sides have the same length: L_z = (L_in − 1)·s + 1 + P_l + P_r − d·(K − 1) = L_out",
            "verify_equal(conv_output_length(len v, K, 1, 0, 0, d), conv_transpose_output_length(…))" + where,
            ok("lengths"),
            name="lengths",
        ),
        prove(
            sympy.Eq(
                sympy.Symbol("L_v") - 1 - one.reads[0],
                sympy.Add(L_out - 1 - A["j"], A["d"] * (A["K"] - 1 - A["kappa"]), evaluate=False),
                evaluate=False,
            ),
            "every read stays inside v, of length L_v = (L_in − 1)·s + 1 + P_l + P_r: j + κ·d ≥ 0, and the room "
            "left after it is (L_out − 1 − j) + d·(K − 1 − κ) ≥ 0, "
            "so no pad beyond P_l, P_r is read, and a negative pad only crops",
            "verify_equal of the room; sign_is with j = e, κ = f and with j = L_out − 1 − e, κ = K − 1 − f (e, f ≥ 0)"
            + where,
            ok("in_range"),
            name="in_range",
        ),
        prove(
            sympy.Eq(one.z, one.z_flat),
            "substitute v and u, and move W' into the sum over i (linearity)",
            "sums_equal(z with v substituted, the flat triple sum)" + where,
            ok("linearity"),
            name="linearity",
        ),
        prove(
            sympy.Eq(
                (one.reads[0] - pl - A["s"] * A["i"]).subs(A["kappa"], A["K"] - 1 - A["k"]),
                A["j"] - input_index(A["i"], A["k"], A["s"], A["d"], A["pb"]),
            ),
            "with κ = K − 1 − k and P_l = d·(K − 1) − p_before, the δ of z is the δ of y",
            "verify_equal of the two δ arguments" + where,
            ok("delta_arguments"),
            name="delta",
        ),
        prove(
            sympy.Eq(one.z, one.y),
            "so substituting W' and re-indexing κ = K − 1 − k turns z into y, summand by summand",
            "sympy Sum.change_index(κ, K − 1 − κ, k), then sums_equal(z, the definition of y)" + where,
            ok("equal"),
            name="equal",
        ),
    )
    statement = sympy.Eq(one.y, vsub)
    return Derivation(
        "flipped_kernel",
        "Transposed convolution as a stride-1 convolution with the flipped kernel",
        statement,
        steps,
    )


def flipped_kernel_nd() -> Derivation:
    """The theorem for any number of axes: from N ≤ 3, by the product over axes (argued)."""
    P_l = sympy.Symbol("P_l", integer=True)
    return Derivation(
        "flipped_kernel_nd",
        "The flipped-kernel equivalence for any number of spatial axes",
        sympy.Eq(sympy.Symbol("z"), sympy.Symbol("y")),
        (
            cite("flipped_kernel", sympy.Eq(sympy.Symbol("z"), sympy.Symbol("y")), "for N ≤ 3 axes"),
            argued(
                sympy.Eq(P_l, P_l),
                "for N > 3 the same computation: each axis contributes its own δ factor, sum over i_α and "
                "sum over k_α, and every check above is a conjunction of identical per-axis checks",
                "argued in words (a product over axes) here; machine-checked in Coq for every N (proofs/NDim.v)",
            ),
        ),
    )
