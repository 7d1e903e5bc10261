"""Palette frames for the animations: one fixed palette, nearest colours cached, dirty boxes only.

An animation's frames share their layout and change in a few boxes per step
(:class:`~tconvmat.figures._mpl.FrameRenderer` says which).  :class:`Quantizer` maps RGB
pixels to the fixed palette of :func:`~tconvmat.figures._palette.gif_palette` (the exact cell
fills, their shades, greys), remembering every colour seen, so a frame costs a lookup of its
changed boxes; :func:`encode_gif` writes the frames with that global colour table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ._palette import gif_palette

__all__ = ["Quantizer", "encode_gif", "palette_frames"]

Box = tuple[int, int, int, int]


class Quantizer:
    """RGB → index into the fixed palette (nearest colour in RGB), every colour looked up once.

    Examples
    --------
    >>> q = Quantizer()
    >>> px = np.array([[[255, 255, 255], [0, 0, 0], [250, 250, 252]]], dtype=np.uint8)
    >>> [q.colors[i].tolist() for i in q(px)[0]]
    [[255, 255, 255], [0, 0, 0], [255, 255, 255]]
    """

    def __init__(self) -> None:
        self.colors = np.array([(c.red, c.green, c.blue) for c in gif_palette()], dtype=np.int32)
        self._index = np.zeros(1 << 24, dtype=np.uint8)  # calloc'd: only the pages touched cost
        self._known = np.zeros(1 << 24, dtype=bool)

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """The palette indices (uint8) of an (h, w, 3) uint8 array."""
        key = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
        new = np.unique(key[~self._known[key]])
        if new.size:
            cols = np.stack([new >> 16, (new >> 8) & 255, new & 255], axis=1)
            dist = ((cols[:, None, :] - self.colors[None, :, :]) ** 2).sum(axis=2)
            self._index[new] = dist.argmin(axis=1)
            self._known[new] = True
        return self._index[key]

    @property
    def palette_bytes(self) -> bytes:
        """The palette as 768 bytes (unused entries black)."""
        out = np.zeros((256, 3), dtype=np.uint8)
        out[: len(self.colors)] = self.colors
        return out.tobytes()


def palette_frames(frames: Iterable[tuple[np.ndarray, Sequence[Box]]]) -> Iterator[np.ndarray]:
    """Palette-index arrays of frames given with their changed boxes (the first: all of it).

    Each yielded array is a new array (the previous frame's, with the changed boxes redone).
    """
    quantize = Quantizer()
    previous: np.ndarray | None = None
    for frame, dirty in frames:
        if previous is None:
            current = quantize(frame)
        else:
            current = previous.copy()
            rows, cols = current.shape
            for r0, r1, c0, c1 in dirty:  # a handful of small boxes per frame
                r0, c0, r1, c1 = max(r0, 0), max(c0, 0), min(r1, rows), min(c1, cols)
                if r1 > r0 and c1 > c0:
                    current[r0:r1, c0:c1] = quantize(frame[r0:r1, c0:c1])
        previous = current
        yield current


def to_image(index: np.ndarray, palette: bytes) -> Any:
    """A Pillow ``P`` image of palette indices."""
    from PIL import Image

    image = Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
    image.putpalette(palette)
    return image


TRANSPARENT = 255  # the palette's free entry: "unchanged" in every frame after the first


def encode_gif(indices: Sequence[np.ndarray], interval_ms: int) -> bytes:
    """A looping GIF of palette-index frames: one global colour table; after the first frame,
    only the box that changed, its unchanged pixels transparent (disposal: keep).

    Examples
    --------
    >>> a = np.zeros((2, 3), dtype=np.uint8); b = a.copy(); b[1, 2] = 4
    >>> import io
    >>> from PIL import Image
    >>> im = Image.open(io.BytesIO(encode_gif([a, b, b], 100)))
    >>> im.n_frames, np.asarray(im.convert("RGB"))[1, 2].tolist()  # a, then b for 200 ms
    (2, [255, 255, 255])
    >>> im.seek(1); np.asarray(im.convert("RGB"))[1, 2].tolist(), im.info["duration"]
    ([240, 240, 240], 200)
    """
    from PIL import GifImagePlugin

    palette = Quantizer().palette_bytes
    height, width = indices[0].shape
    head = (
        b"GIF89a"
        + width.to_bytes(2, "little")
        + height.to_bytes(2, "little")
        + bytes((0xF7, 0, 0))  # global colour table of 256 entries, background 0, square pixels
        + palette
        + b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop for ever
    )
    frames: list[list[Any]] = []  # [image, offset, duration, transparency]
    previous: np.ndarray | None = None
    for index in indices:
        if previous is None:
            frames.append([to_image(index, palette), (0, 0), interval_ms, None])
            previous = index
            continue
        changed = index != previous
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if rows.size == 0:  # the same picture: the previous frame lasts longer
            frames[-1][2] += interval_ms
            continue
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        sub = np.where(changed[r0:r1, c0:c1], index[r0:r1, c0:c1], np.uint8(TRANSPARENT))
        frames.append([to_image(sub, palette), (c0, r0), interval_ms, TRANSPARENT])
        previous = index
    out = [head]
    for image, offset, duration, transparency in frames:
        params: dict[str, Any] = {"duration": duration, "disposal": 1}
        if transparency is not None:
            params["transparency"] = transparency
        out += GifImagePlugin.getdata(image, offset, **params)
    out.append(b";")
    return b"".join(out)
