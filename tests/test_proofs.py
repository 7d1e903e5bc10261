"""The Coq development in proofs/: it builds, its theorems use no axiom, and the numbers
its definitions compute are tconvmat's and PyTorch's.

The proofs are copied to a temporary directory and built there (``make``), so the
source tree is not written to.  Without ``coqc`` the tests skip, unless
``TCONVMAT_REQUIRE_ORACLES=1`` (CI), where they fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import tconvmat as tcm

from . import oracles
from .cases import Case
from .conftest import REQUIRE_ORACLES

PROOFS = Path(__file__).resolve().parent.parent / "proofs"
SOURCES = ("Conv1d.v", "NDim.v", "Channels.v", "Eval.v", "Instances.v")
BUILT = ("*.vo", "*.vok", "*.vos", "*.glob", ".*.aux", ".*.d", "Makefile.coq*", ".*.cache")
COQ_FLAGS = ("-w", "-notation-overridden,-ambiguous-paths")
TIMEOUT = 900


def _require_coq() -> None:
    missing = [t for t in ("coqc", "coq_makefile", "make") if shutil.which(t) is None]
    if missing:
        if REQUIRE_ORACLES:
            pytest.fail(f"{', '.join(missing)} required (TCONVMAT_REQUIRE_ORACLES=1) but not installed")
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install coq libcoq-mathcomp-*)")


def _copy(dest: Path, built: Path | None = None) -> Path:
    """proofs/ (sources only) copied to ``dest``; with ``built``, a built copy instead."""
    src, ignore = (built, None) if built else (PROOFS, shutil.ignore_patterns(*BUILT))
    shutil.copytree(src, dest, ignore=ignore)
    return dest


def _make(d: Path, *target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(d), *target], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def _coqc(d: Path, name: str) -> str:
    r = subprocess.run(
        ["coqc", "-R", ".", "TConv", *COQ_FLAGS, name],
        cwd=d,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """proofs/ copied to a temporary directory and built with ``make``."""
    _require_coq()
    d = _copy(tmp_path_factory.mktemp("coq") / "proofs")
    r = _make(d)
    assert r.returncode == 0, r.stdout + r.stderr
    return d


# --- parsing Compute output ---------------------------------------------------------


def _results(out: str) -> list[list[list[int]]]:
    """Every ``Compute`` result in ``out``, in order, as its lists of integers."""
    blocks = re.findall(r"^\s+= (.*?)\n\s+: ", out, flags=re.S | re.M)
    return [
        [
            [int(v.replace("%N", "")) for v in body.split(";") if v.strip()]
            for body in re.findall(r"\[::(.*?)\]", b)
        ]
        for b in blocks
    ]


def _coq_list(values: Any) -> str:
    return "[:: " + "; ".join(str(int(v)) for v in np.ravel(values)) + "]"


# --- instances ----------------------------------------------------------------------


@dataclass
class Instance:
    """A transposed convolution with integer data: ``x`` ``(C_in, *L)``, ``w`` ``(C_in, m, *K)``."""

    x: np.ndarray
    w: np.ndarray
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def ndim(self) -> int:
        return self.w.ndim - 2

    @property
    def groups(self) -> int:
        return int(self.kwargs.get("groups", 1))

    def pads(self) -> list[tuple[int, int]]:
        """``(p_before, p_after)`` per axis."""
        p = self.kwargs.get("padding", 0)
        if isinstance(p, int):
            return [(p, p)] * self.ndim
        return [(v, v) if isinstance(v, int) else tuple(v) for v in p]

    def per_axis(self, name: str, default: int) -> list[int]:
        v = self.kwargs.get(name, default)
        return [v] * self.ndim if isinstance(v, int) else list(v)

    def axes(self) -> str:
        """The Coq list of ``Axis L K s d p_before p_after op``."""
        s, d, op = (
            self.per_axis("stride", 1),
            self.per_axis("dilation", 1),
            self.per_axis("output_padding", 0),
        )
        return (
            "[:: "
            + "; ".join(
                f"Axis {L} {K} {s[a]} {d[a]} {pb} {pa} {op[a]}"
                for a, (L, K, (pb, pa)) in enumerate(zip(self.x.shape[1:], self.w.shape[2:], self.pads()))
            )
            + "]"
        )

    def coq_report(self) -> str:
        g, n, m = self.groups, self.x.shape[0] // self.groups, self.w.shape[1]
        return f"Compute report {g} {n} {m} {self.axes()} {_coq_list(self.x)} {_coq_list(self.w)}."

    def case(self) -> Case:
        return Case("transpose", self.w.shape, self.x.shape, None, dict(self.kwargs))

    def spec(self) -> tcm.ConvTransposeSpec:
        return self.case().spec()


def _pattern(shape: tuple[int, ...], *, weight: bool) -> np.ndarray:
    """Instances.v's data: inputs 1, 2, 3, …; weights (i mod 5) − 2 at flat index i."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    return ((i % 5 - 2) if weight else i + 1).reshape(shape)


def _ones(shape: tuple[int, ...]) -> np.ndarray:
    return np.ones(shape, dtype=np.int64)


# Instances.v, in the order of its Compute commands: three learner rows, two 1-D rows
# (pairs: scatter form, flipped form), then two reports with channels and groups.
LEARNER = [(1, [1, 2, 2, 1]), (2, [1, 1, 2, 1, 1]), (4, [1, 1, 1, 0, 1, 1, 1])]
ROWS = [
    *(Instance(_ones((1, 2)), _ones((1, 1, 3)), {"stride": s}) for s, _ in LEARNER),
    Instance(
        _pattern((1, 3), weight=False),
        _pattern((1, 1, 3), weight=True),
        {"stride": 2, "dilation": 2, "padding": ((1, 2),), "output_padding": 1},
    ),
    Instance(
        _pattern((1, 3), weight=False), _pattern((1, 1, 2), weight=True), {"stride": 3, "padding": ((3, 0),)}
    ),
]
REPORTS = [
    Instance(
        _pattern((4, 4), weight=False),
        _pattern((4, 3, 3), weight=True),
        {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
    ),
    Instance(
        _pattern((2, 3, 2), weight=False),
        _pattern((2, 2, 2, 3), weight=True),
        {
            "stride": (2, 1),
            "dilation": (1, 2),
            "padding": ((1, 0), (0, 2)),
            "output_padding": (1, 0),
            "groups": 2,
        },
    ),
]


def _torch_int(torch: ModuleType, inst: Instance) -> np.ndarray:
    return oracles.conv_transpose(torch, inst.case(), inst.x, inst.w, None)


def _check_report(result: list[list[int]], inst: Instance, torch: ModuleType) -> None:
    shape, p_l, p_r, scatter, flipped = result
    expected = tcm.conv_transpose(inst.x, inst.w, **inst.kwargs)
    assert tuple(shape) == expected.shape
    assert [tuple(p) for p in zip(p_l, p_r)] == list(inst.spec().flipped_pads)
    assert scatter == flipped == expected.ravel().tolist()
    for method in ("matrix", "flipped"):
        assert tcm.conv_transpose(inst.x, inst.w, **inst.kwargs, method=method).ravel().tolist() == scatter
    assert _torch_int(torch, inst).ravel().tolist() == scatter


# --- the build and the axioms --------------------------------------------------------


def test_proofs_build_and_use_no_axiom(built):
    r = subprocess.run(
        ["./check_assumptions.sh"], cwd=built, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ": " in ln]
    assert len(lines) >= 5 and all(ln.endswith(": Closed under the global context") for ln in lines), r.stdout
    for theorem in ("conv_transpose1d_flipped", "conv_transposeN_flipped", "conv_transpose_flipped"):
        assert any(ln.split(":")[0].endswith("." + theorem) for ln in lines), theorem


def test_the_assumptions_check_can_fail(built, tmp_path):
    """An Admitted lemma or an axiom behind a theorem is reported, and the check fails."""
    d = _copy(tmp_path / "proofs", built)
    (d / "Bad.v").write_text(
        "Lemma admitted_step : 1 = 1. Admitted.\n"
        "Theorem uses_admitted : 1 = 1. Proof. exact admitted_step. Qed.\n"
        "Axiom an_axiom : 2 = 2.\n"
        "Theorem uses_axiom : 2 = 2. Proof. exact an_axiom. Qed.\n"
    )
    _coqc(d, "Bad.v")
    for theorem, culprit in (("uses_admitted", "admitted_step"), ("uses_axiom", "an_axiom")):
        r = subprocess.run(
            ["./check_assumptions.sh", "Conv1d.conv_transpose1d_flipped", f"Bad.{theorem}"],
            cwd=d,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert r.returncode != 0 and "NOT CLOSED" in r.stdout and culprit in r.stdout, r.stdout
        assert "Conv1d.conv_transpose1d_flipped: Closed under the global context" in r.stdout


# --- negative controls: a wrong statement is not proved by the same script ----------

PERTURBATIONS = {
    "P_l off by d": (
        "Conv1d.v",
        "Definition P_l (K d pb : nat) : int := d%:Z * (K%:Z - 1) - pb%:Z.",
        "Definition P_l (K d pb : nat) : int := d%:Z * K%:Z - pb%:Z.",
    ),
    "kernel not flipped": (
        "Conv1d.v",
        "Definition flip w (K : nat) (k : nat) : R := w (K.-1 - k)%N.",
        "Definition flip w (K : nat) (k : nat) : R := w k.",
    ),
    "N-d padded by P_r on the left": (
        "NDim.v",
        "    (padN (map a_up_len ps) (map a_P_l ps) (upsampleN (map len ps) (map stride ps) x))",
        "    (padN (map a_up_len ps) (map a_P_r ps) (upsampleN (map len ps) (map stride ps) x))",
    ),
    "channels not swapped per group": (
        "Channels.v",
        "  W (co %/ m * n + b)%N (co %% m)%N (flipi Ks k).",
        "  W (co %/ m * m + b)%N (co %% m)%N (flipi Ks k).",
    ),
}


@pytest.mark.parametrize("name", list(PERTURBATIONS))
def test_a_perturbed_statement_is_not_proved(built, tmp_path, name):
    """The same proof scripts, with one definition of the statement wrong: the build
    fails, inside a proof (not at the changed line, which still type-checks)."""
    file, good, bad = PERTURBATIONS[name]
    d = _copy(tmp_path / "proofs", built)
    text = (d / file).read_text()
    assert text.count(good) == 1, f"{good!r} not found once in {file}"
    (d / file).write_text(text.replace(good, bad))
    r = _make(d)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    where = re.search(rf'File "\./{re.escape(file)}", line (\d+), characters [^\n]*\nError', out)
    assert where and "Error" in out and "Syntax error" not in out, out
    lines = (d / file).read_text().splitlines()
    line = int(where.group(1))  # 1-based
    changed = next(i for i, ln in enumerate(lines, 1) if bad.strip() in ln)
    assert line > changed, out
    proof = max(i for i, ln in enumerate(lines[:line], 1) if ln.startswith("Proof"))
    qed = max((i for i, ln in enumerate(lines[: line - 1], 1) if ln.startswith("Qed")), default=0)
    assert proof > qed, f"the error at line {line} is not inside a proof:\n{out}"


# --- the numbers: Instances.v, and random instances ----------------------------------


def test_instances_file_matches_tconvmat_and_torch(built, torch):
    results = _results(_coqc(built, "Instances.v"))
    assert len(results) == len(ROWS) + len(REPORTS)
    for (scatter, flipped), inst in zip(results, ROWS):
        assert scatter == flipped
        for method in ("scatter", "matrix", "flipped"):
            assert tcm.conv_transpose(inst.x, inst.w, **inst.kwargs, method=method)[0].tolist() == scatter
        assert _torch_int(torch, inst)[0].tolist() == scatter
    for (_, learner), (scatter, _) in zip(LEARNER, results):
        assert scatter == learner
    for result, inst in zip(results[len(ROWS) :], REPORTS):
        _check_report(result, inst, torch)


def _random_instances(seed: int, count: int) -> list[Instance]:
    """Valid PyTorch-style parameters (asymmetric pads and crops beyond), 1 to 3 axes."""
    rng = np.random.default_rng(seed)
    out: list[Instance] = []
    while len(out) < count:
        ndim = int(rng.integers(1, 4))
        g, n, m = int(rng.integers(1, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
        size = [int(rng.integers(1, 5 - ndim // 2)) for _ in range(ndim)]
        kernel = [int(rng.integers(1, 4)) for _ in range(ndim)]
        stride = [int(rng.integers(1, 4)) for _ in range(ndim)]
        dilation = [int(rng.integers(1, 3)) for _ in range(ndim)]
        op = [int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation)]
        pads = [
            (int(rng.integers(0, d * (k - 1) + 3)), int(rng.integers(0, d * (k - 1) + 3)))
            for d, k in zip(dilation, kernel)
        ]
        symmetric = bool(rng.integers(0, 2))  # then PyTorch pads itself; else the crop of oracles
        if symmetric:
            pads = [(pb, pb) for pb, _ in pads]
        lengths = [
            (L - 1) * s - pb - pa + d * (k - 1) + o + 1
            for L, k, s, d, (pb, pa), o in zip(size, kernel, stride, dilation, pads, op)
        ]
        if min(lengths) <= 0:
            continue
        x = rng.integers(-3, 4, (g * n, *size))
        w = rng.integers(-3, 4, (g * n, m, *kernel))
        kwargs = {
            "stride": tuple(stride),
            "dilation": tuple(dilation),
            "padding": tuple(pb for pb, _ in pads) if symmetric else tuple(pads),
            "output_padding": tuple(op),
            "groups": g,
        }
        out.append(Instance(x, w, kwargs))
    return out


def test_random_instances_match_tconvmat_and_torch(built, torch):
    """The Coq definitions, computed on random parameters and data (1-, 2- and 3-D,
    groups, asymmetric pads, crops, output padding), agree with tconvmat and PyTorch."""
    instances = _random_instances(seed=20240611, count=24)
    assert {i.ndim for i in instances} == {1, 2, 3} and any(i.groups > 1 for i in instances)
    assert any(p < 0 for i in instances for pair in i.spec().flipped_pads for p in pair)  # a crop
    source = "From Coq Require Import ZArith.\nFrom mathcomp Require Import all_ssreflect ssrZ.\n"
    source += "From TConv Require Import NDim Eval.\n"
    source += "Set Printing Width 100000.\nOpen Scope Z_scope.\n"
    source += "\n".join(i.coq_report() for i in instances) + "\n"
    (built / "RandomInstances.v").write_text(source)
    results = _results(_coqc(built, "RandomInstances.v"))
    assert len(results) == len(instances)
    for result, inst in zip(results, instances):
        _check_report(result, inst, torch)


def test_perturbed_forms_compute_other_numbers(built, torch):
    """Negative control on the numbers: with the kernel not flipped, or P_l off by one,
    the Coq twins compute numbers that differ from PyTorch's, so the comparison can fail."""
    inst = Instance(np.array([[1, 10]]), np.array([[[1, 2, 3]]]), {"stride": 2})
    x, w = "(fun i => nth Z0 [:: 1; 10] i)", "(fun k => nth Z0 [:: 1; 2; 3] k)"
    padded = "(pad (R := ZR) (upsample_Z {x} 2 2) (up_len 2 2) ({pl}))"
    rows = {
        "right": f"conv1d_Z {padded.format(x=x, pl='P_l 3 1 0')} (flip {w} 3) 3 1 1",
        "unflipped": f"conv1d_Z {padded.format(x=x, pl='P_l 3 1 0')} {w} 3 1 1",
        "P_l + 1": f"conv1d_Z {padded.format(x=x, pl='(P_l 3 1 0 + 1)%R')} (flip {w} 3) 3 1 1",
    }
    source = "From Coq Require Import ZArith.\nFrom mathcomp Require Import all_ssreflect all_algebra ssrZ.\n"
    source += "From TConv Require Import Conv1d Eval.\nOpen Scope Z_scope.\n"
    source += "".join(f"Compute [seq {expr} j | j <- iota 0 5].\n" for expr in rows.values())
    (built / "Perturbed.v").write_text(source)
    got = dict(zip(rows, (r[0] for r in _results(_coqc(built, "Perturbed.v")))))
    expected = _torch_int(torch, inst)[0].tolist()
    assert got["right"] == expected == [1, 2, 13, 20, 30]
    assert got["unflipped"] != expected and got["P_l + 1"] != expected
