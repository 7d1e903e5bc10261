"""Command-line values: parsing, the problem a command line describes, shared options."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import scipy.sparse as sp

from ..matrix import conv_matrix, conv_transpose_matrix
from ..ops import conv, conv_transpose
from ..spec import ConvSpec, ConvTransposeSpec, conv_spec, conv_transpose_spec
from ..spec import format_tuple as fmt_tuple

__all__ = [
    "DEFAULT_INPUT",
    "DEFAULT_WEIGHT",
    "MAX_VALUES",
    "Command",
    "Parser",
    "Problem",
    "ToolMissing",
    "UsageError",
    "Values",
    "add_params",
    "expand",
    "ints",
    "numbers",
    "padding_arg",
    "positive",
    "problem_from_args",
    "symbolic_module",
    "writable",
    "write_output",
]


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


class ToolMissing(Exception):
    """A tool the command needs is missing or failed: one line, exit status 1."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line help, examples, options and action."""

    name: str
    help: str
    examples: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are :class:`UsageError` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def ints(text: str, name: str) -> tuple[int, ...]:
    """``4``, ``4x4`` or ``4,4`` as a tuple of ints."""
    if not re.fullmatch(r"\s*-?\d+(\s*[x,]\s*-?\d+)*\s*", text):
        raise UsageError(f"{name}: expected integers like 3, 3x3 or 3,3; got {text!r}")
    return tuple(int(p) for p in re.split(r"[x,]", text))


def padding_arg(text: str) -> Any:
    """``1``, ``1,2`` (per axis), ``1:2,0:1`` (per-axis before:after pairs), same, valid."""
    if text in ("same", "valid"):
        return text
    if ":" not in text:
        values = ints(text, "--padding")
        return values[0] if len(values) == 1 else values
    pairs = []
    for part in text.split(","):
        pair = part.split(":")
        if len(pair) != 2:
            raise UsageError(f"--padding: pairs are written before:after, e.g. 1:2,0:1; got {text!r}")
        pairs.append(tuple(ints(p, "--padding")[0] for p in pair))
    return tuple(pairs)


def numbers(text: str, name: str) -> np.ndarray:
    """``1,2,3`` (or spaces): int64 if every number is an integer, else float64."""
    parts = re.split(r"\s*,\s*|\s+", text.strip())
    bad = UsageError(
        f"{name}: expected comma-separated numbers, ones, arange, random:SEED, symbolic or FILE.npy; got {text!r}"
    )
    if "" in parts:  # empty text, or an empty item as in 1,,2 or 1,2,
        raise bad
    try:
        ints = [int(p) for p in parts]
    except ValueError:
        pass
    else:
        try:
            return np.array(ints, dtype=np.int64)
        except OverflowError:
            big = next(v for v in ints if not -(2**63) <= v < 2**63)
            raise UsageError(f"{name}: {big} does not fit in a 64-bit integer") from None
    try:
        return np.array([float(p) for p in parts], dtype=np.float64)
    except ValueError:
        raise bad from None


@dataclass(frozen=True)
class Values:
    """How a tensor was given on the command line."""

    text: str
    name: str

    @property
    def kind(self) -> str:
        t = self.text
        if t in ("ones", "arange", "symbolic") or t.startswith("random"):
            return t.split(":")[0]
        if t.endswith(".npy"):
            return "file"
        return "inline"

    def count(self) -> int | None:
        if self.kind == "inline":
            return numbers(self.text, self.name).size
        if self.kind == "file":
            return int(self._load().size)
        return None

    def _load(self) -> np.ndarray:
        try:
            return np.load(self.text, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise UsageError(f"{self.name}: cannot read {self.text!r}: {e}") from None

    def shape_hint(self) -> tuple[int, ...] | None:
        return tuple(self._load().shape) if self.kind == "file" else None

    def make(self, shape: tuple[int, ...], symbol: str) -> np.ndarray:
        n = math.prod(shape)
        kind = self.kind
        if kind == "ones":
            return np.ones(shape, dtype=np.int64)
        if kind == "arange":
            return np.arange(1, n + 1, dtype=np.int64).reshape(shape)
        if kind == "random":
            return np.random.default_rng(self._seed()).integers(-5, 6, shape).astype(np.int64)
        if kind == "symbolic":
            sym = symbolic_module()
            maker = sym.weight_symbols if symbol == "w" else sym.input_symbols
            return np.asarray(maker(shape, name=symbol))
        a = self._load() if kind == "file" else numbers(self.text, self.name)
        if kind == "file" and a.size != math.prod(shape):
            layout = "(C_in, C_out/groups, *K)" if symbol == "w" else "(C_in, *L), no batch axis"
            raise UsageError(
                f"{self.name}: {self.text} has shape {fmt_tuple(a.shape)}; the parameters need {fmt_tuple(shape)}, "
                f"laid out {layout}"
            )
        self.check(shape, a.size)
        return a.reshape(shape)

    def _seed(self) -> int:
        head, colon, seed = self.text.partition(":")
        if head == "random" and not colon:
            return 0
        if head != "random" or not re.fullmatch(r"\d+", seed):
            raise UsageError(f"{self.name}: random:SEED needs a non-negative integer seed; got {self.text!r}")
        return int(seed)

    def validate(self) -> None:
        """Refuse malformed values before anything else is asked of them."""
        if self.kind == "random":
            self._seed()
        elif self.kind in ("inline", "file"):
            self.count()

    def check(self, shape: tuple[int, ...], count: int | None = None) -> None:
        """Explicit values (inline or a file) must fill ``shape`` exactly; seeds must parse."""
        if self.kind == "random":
            self._seed()
        count = self.count() if count is None else count
        if count is not None and count != math.prod(shape):
            raise UsageError(
                f"{self.name}: expected {math.prod(shape)} values for shape {shape}, got {count}"
            )


def symbolic_module() -> Any:
    try:
        from .. import symbolic
    except ImportError as e:  # pragma: no cover - symbolic ships with the package
        raise UsageError(f"symbolic values need tconvmat.symbolic: {e}") from None
    return symbolic


@dataclass(frozen=True)
class Problem:
    """One convolution problem assembled from the command line."""

    transposed: bool
    spec: ConvSpec | ConvTransposeSpec
    weight: np.ndarray
    x: np.ndarray
    kwargs: dict[str, Any]

    @property
    def symbolic(self) -> bool:
        return self.weight.dtype == object or self.x.dtype == object

    @property
    def ndim(self) -> int:
        return self.spec.ndim

    def matrix(self) -> sp.csr_array:
        w = self.weight
        if self.transposed:
            return conv_transpose_matrix(w, self.spec.input_shape, **self.kwargs)
        return conv_matrix(w, self.spec.input_shape, **self.kwargs)

    def apply(self, method: str | None = None) -> np.ndarray:
        if self.transposed:
            return conv_transpose(self.x, self.weight, **self.kwargs, method=method)  # type: ignore[arg-type]
        return conv(self.x, self.weight, **self.kwargs)


def expand(values: tuple[int, ...], ndim: int, name: str) -> tuple[int, ...]:
    if len(values) == 1:
        return values * ndim
    if len(values) != ndim:
        want = "1 size" if ndim == 1 else f"1 or {ndim} sizes"
        raise UsageError(f"{name}: expected {want} for {ndim}-d; got {'x'.join(map(str, values))}")
    return values


DEFAULT_WEIGHT = "arange"
"""The weight when ``--weight`` is not given: 1, 2, 3, … (distinct, so a flipped kernel is seen flipped)."""

DEFAULT_INPUT = "arange"
"""The input when ``--input`` is not given."""

MAX_VALUES = 2**26
"""Largest input or weight (elements) the command line materialises: 512 MB as int64."""


def _ndim(
    w_hint: tuple[int, ...] | None, kernel: tuple[int, ...] | None, input_size: tuple[int, ...] | None
) -> int:
    """Spatial axes: from a weight file, else a multi-axis kernel size, else the input size, else 1."""
    if w_hint:
        return len(w_hint) - 2
    if kernel and len(kernel) > 1:
        return len(kernel)
    return len(input_size) if input_size else 1


def _channels(
    args: argparse.Namespace, w_hint: tuple[int, ...] | None, transposed: bool
) -> tuple[int, int, tuple[int, ...] | None]:
    """``(C_in, C_out, kernel from the weight file or None)``, checked against ``--groups``."""
    groups, c_in, c_out, kernel = args.groups, args.in_channels, args.out_channels, None
    if w_hint:
        if len(w_hint) < 3:
            raise UsageError(f"--weight: a weight file needs at least 3 dimensions; got shape {w_hint}")
        a, b = w_hint[0], w_hint[1] * groups
        c_in, c_out = (c_in or (a if transposed else b)), (c_out or (b if transposed else a))
        kernel = tuple(w_hint[2:])
    c_in, c_out = c_in or 1, c_out or 1
    if c_in % groups or c_out % groups:
        raise UsageError(
            f"--groups: in_channels={c_in} and out_channels={c_out} must both be divisible by groups={groups}"
        )
    return c_in, c_out, kernel


def _kernel_from_values(weight_v: Values | None, layout: tuple[int, int], ndim: int) -> tuple[int, ...]:
    """The kernel size a 1-d inline or file weight implies, when ``--kernel-size`` is not given."""
    n = weight_v.count() if weight_v else None
    if n is None or ndim != 1:
        raise UsageError("--kernel-size is required (or give --weight as explicit values or a .npy file)")
    if n % math.prod(layout):
        raise UsageError(f"--weight: {n} values do not fill a ({layout[0]}, {layout[1]}, K) weight")
    return (n // math.prod(layout),)


def _size_from_values(input_v: Values, c_in: int, ndim: int, kernel_text: str | None) -> tuple[int, ...]:
    """The input size inline or file values imply, when ``--input-size`` is not given."""
    n = input_v.count()
    if n is not None and ndim != 1:
        example = "x".join(["1"] * (ndim - 1) + [str(n // c_in if n % c_in == 0 else n)])
        raise UsageError(
            f"--input: {n} inline values make a 1-d input, but the kernel is {ndim}-d "
            f"(--kernel-size {kernel_text}); give --input-size with {ndim} sizes that hold them "
            f"(e.g. --input-size {example}), or a .npy file"
        )
    if n is None:
        raise UsageError("--input-size is required (or give --input as explicit values or a .npy file)")
    if n % c_in:
        raise UsageError(f"--input: {n} values do not fill {c_in} input channels")
    return (n // c_in,)


def _spec_kwargs(args: argparse.Namespace, transposed: bool, ndim: int) -> dict[str, Any]:
    """The keyword arguments of the spec constructor, in PyTorch's names."""
    kwargs: dict[str, Any] = {
        "stride": ints(args.stride, "--stride"),
        "padding": padding_arg(args.padding),
        "dilation": ints(args.dilation, "--dilation"),
        "groups": args.groups,
        "padding_mode": args.padding_mode,
    }
    if transposed:
        kwargs["output_padding"] = ints(args.output_padding, "--output-padding")
        if args.output_size:
            kwargs["output_size"] = expand(ints(args.output_size, "--output-size"), ndim, "--output-size")
    elif args.output_padding != "0" or args.output_size:
        raise UsageError("--output-padding and --output-size apply to transposed convolutions, not --conv")
    return kwargs


def problem_from_args(args: argparse.Namespace, values: bool = True) -> Problem:
    """The problem on the command line, validated from shapes before any array exists.

    With ``values=False`` (``tconvmat shape``) no input or weight array is made, so any
    size can be asked about; ``weight`` and ``x`` are then empty placeholders.
    """
    transposed = not getattr(args, "conv", False)
    weight_v = Values(args.weight, "--weight") if args.weight is not None else None
    input_v = Values(args.input if args.input is not None else DEFAULT_INPUT, "--input")
    for v in (weight_v, input_v):
        if v is not None:
            v.validate()
    kernel = ints(args.kernel_size, "--kernel-size") if args.kernel_size else None
    input_size = ints(args.input_size, "--input-size") if args.input_size else None
    w_hint = weight_v.shape_hint() if weight_v else None
    x_hint = input_v.shape_hint()
    if x_hint is not None and len(x_hint) >= 2:
        input_size = input_size or tuple(x_hint[1:])
    ndim = _ndim(w_hint, kernel, input_size)
    c_in, c_out, file_kernel = _channels(args, w_hint, transposed)
    kernel = kernel or file_kernel
    groups = args.groups
    layout = (c_in, c_out // groups) if transposed else (c_out, c_in // groups)
    kernel = expand(kernel or _kernel_from_values(weight_v, layout, ndim), ndim, "--kernel-size")
    size = input_size or _size_from_values(input_v, c_in, ndim, args.kernel_size)
    input_size = expand(size, ndim, "--input-size")
    for name, sizes in (("--kernel-size", kernel), ("--input-size", input_size)):
        if min(sizes) < 1:
            raise UsageError(f"{name} must be positive on every axis; got {'x'.join(map(str, sizes))}")
    w_shape, x_shape = (*layout, *kernel), (c_in, *input_size)
    kwargs = _spec_kwargs(args, transposed, ndim)
    make = conv_transpose_spec if transposed else conv_spec
    spec: ConvSpec | ConvTransposeSpec = make(w_shape, x_shape, **kwargs)
    if not values:
        for v, shape in ((weight_v, w_shape), (input_v, x_shape)):
            if v is not None:
                v.check(shape)
        return Problem(transposed, spec, np.zeros((0,)), np.zeros((0,)), kwargs)
    for name, shape in (("--weight", w_shape), ("--input", x_shape)):
        if math.prod(shape) > MAX_VALUES:
            raise UsageError(
                f"{name}: shape {fmt_tuple(shape)} has {math.prod(shape):,} elements, more than the "
                f"command line makes ({MAX_VALUES:,}); tconvmat shape needs no values, and the "
                f"Python API (tconvmat.conv_operator) applies larger problems"
            )
    weight = (weight_v or Values(DEFAULT_WEIGHT, "--weight")).make(w_shape, "w")
    return Problem(transposed, spec, weight, input_v.make(x_shape, "x"), kwargs)


def add_params(p: argparse.ArgumentParser, transposed_only: bool = False) -> None:
    g = p.add_argument_group("convolution parameters (as in torch.nn.ConvTranspose*d / Conv*d)")
    g.add_argument(
        "--in-channels",
        type=positive,
        default=None,
        metavar="N",
        help="C_in (default 1, or from --weight FILE)",
    )
    g.add_argument(
        "--out-channels",
        type=positive,
        default=None,
        metavar="N",
        help="C_out (default 1, or from --weight FILE)",
    )
    g.add_argument("--kernel-size", metavar="K", help="e.g. 3 or 3x3 (or inferred from --weight)")
    g.add_argument("--stride", default="1", metavar="S", help="e.g. 2 or 2x1 (default 1)")
    g.add_argument(
        "--padding",
        default="0",
        metavar="P",
        help="e.g. 1, 1,2 (per axis) or 1:2,0:1 (before:after per axis)"
        + ("" if transposed_only else "; with --conv also same or valid"),
    )
    g.add_argument(
        "--output-padding",
        default="0",
        metavar="OP",
        help="e.g. 1 or 1x0, smaller than stride or dilation (default 0)",
    )
    g.add_argument(
        "--groups", type=positive, default=1, metavar="G", help="divides both channel counts (default 1)"
    )
    g.add_argument("--dilation", default="1", metavar="D", help="e.g. 2 or 2x1 (default 1)")
    g.add_argument("--padding-mode", default="zeros", choices=["zeros", "reflect", "replicate", "circular"])
    g.add_argument(
        "--output-size", metavar="SIZE", help="spatial output size, e.g. 8 or 8x8; resolves --output-padding"
    )
    v = p.add_argument_group("values")
    v.add_argument("--input-size", metavar="SIZE", help="spatial input size, e.g. 4 or 4x4")
    v.add_argument(
        "--input",
        metavar="VALUES",
        help="1,1 (inline, reshaped to (C_in, *L)), ones, arange (1, 2, …), random:SEED, symbolic, "
        f"or FILE.npy (default {DEFAULT_INPUT})",
    )
    v.add_argument(
        "--weight",
        metavar="VALUES",
        help=f"as --input, in PyTorch's weight layout (default {DEFAULT_WEIGHT}: distinct taps, so the flip shows)",
    )
    if not transposed_only:
        p.add_argument(
            "--conv", action="store_true", help="the forward convolution instead of the transposed one"
        )


def positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}")
    return v


def write_output(out: str | None, text: str | bytes) -> None:
    """``text`` to stdout (no ``out``, or ``-``) or to the file ``out``, saying so on stderr."""
    if out is None or out == "-":
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        Path(out).write_bytes(text) if isinstance(text, bytes) else Path(out).write_text(
            text, encoding="utf-8"
        )
    except OSError as e:
        raise UsageError(f"-o: cannot write {out!r}: {e.strerror or e}") from None
    print(f"wrote {out}", file=sys.stderr)


def writable(path: Path, directory: bool, option: str = "-o") -> None:
    """Refuse, before any work, a path that cannot be written (``directory``: one to create or fill)."""
    if directory:
        if path.exists() and not path.is_dir():
            raise UsageError(f"{option}: {str(path)!r} exists and is not a directory")
        try:  # made now, so that a directory that cannot be made is refused before any work
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(
                f"{option}: cannot make the directory {str(path)!r}: {e.strerror or e}"
            ) from None
        probe = path
    else:
        if path.is_dir():
            raise UsageError(f"{option}: {str(path)!r} is a directory; give a file name")
        probe = path.parent if str(path.parent) else Path(".")
        if not probe.is_dir():
            raise UsageError(f"{option}: cannot write {str(path)!r}: no such directory {str(probe)!r}")
    if not os.access(probe, os.W_OK):
        raise UsageError(f"{option}: cannot write {str(path)!r}: permission denied")
