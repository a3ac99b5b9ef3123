"""Which characters a font file has: its cmap, read straight from the file as ranges of code points.

fontTools' ``getBestCmap()`` maps every character to a glyph name, and for a CFF font such as the
Noto Sans CJK collection that means the glyph order of 65,000 glyphs: 30 ms and some 30 MB of
objects per face, most of which stayed in the process (the social cards' drawing processes each
held 60-75 MB after their first stories, half of it that). What a caller asks is only whether a
character is there, so this reads the subtable fontTools would pick (the same preference order)
and keeps its ranges: a few kB for a CJK face. A subtable format it does not read (none of the
fonts we ship) is left to fontTools.
"""

from __future__ import annotations

import os
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator

#: (platform, encoding) in fontTools' getBestCmap order
PREFERENCES = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


class Coverage:
    """A set of code points as sorted, disjoint ranges: ``cp in coverage``."""

    __slots__ = ("_starts", "_ends")

    def __init__(self, ranges: Iterable[tuple[int, int]]):
        self._starts, self._ends = array("I"), array("I")
        for start, end in sorted(ranges):  # inclusive; merged where they touch or overlap
            if self._ends and start <= self._ends[-1] + 1:
                self._ends[-1] = max(self._ends[-1], end)
            else:
                self._starts.append(start)
                self._ends.append(end)

    @classmethod
    def of(cls, codepoints: Iterable[int]) -> Coverage:
        return cls((cp, cp) for cp in codepoints)

    def __contains__(self, cp: object) -> bool:
        if not isinstance(cp, int):
            return False
        i = bisect_right(self._starts, cp) - 1
        return i >= 0 and cp <= self._ends[i]

    def __iter__(self) -> Iterator[int]:
        for start, end in zip(self._starts, self._ends):
            yield from range(start, end + 1)

    def __len__(self) -> int:
        return sum(self._ends) - sum(self._starts) + len(self._starts)

    def ranges(self) -> list[tuple[int, int]]:
        return list(zip(self._starts, self._ends))


def _u16(data: bytes, at: int) -> int:
    return struct.unpack_from(">H", data, at)[0]


def _u32(data: bytes, at: int) -> int:
    return struct.unpack_from(">I", data, at)[0]


def _cmap_table(f, index: int) -> bytes:
    """The raw 'cmap' table of face ``index`` of a font file or collection."""
    head = f.read(12)
    if head[:4] == b"ttcf":
        count = _u32(head, 8)
        if not 0 <= index < count:
            raise ValueError(f"the collection has {count} faces, not face {index}")
        f.seek(12 + 4 * index)
        f.seek(_u32(f.read(4), 0))
        head = f.read(12)
    tables = _u16(head, 4)
    directory = f.read(16 * tables)
    for k in range(tables):
        tag, _, offset, length = struct.unpack_from(">4sIII", directory, 16 * k)
        if tag == b"cmap":
            f.seek(offset)
            return f.read(length)
    raise ValueError("the font has no cmap table")


def _format4(data: bytes, at: int) -> list[tuple[int, int]]:
    segs = _u16(data, at + 6) // 2
    ends = struct.unpack_from(f">{segs}H", data, at + 14)
    starts = struct.unpack_from(f">{segs}H", data, at + 16 + 2 * segs)
    deltas = struct.unpack_from(f">{segs}h", data, at + 16 + 4 * segs)
    offsets_at = at + 16 + 6 * segs
    offsets = struct.unpack_from(f">{segs}H", data, offsets_at)
    out = []
    for k, (start, end, delta, offset) in enumerate(zip(starts, ends, deltas, offsets)):
        if start > end:
            continue
        if offset == 0:  # glyph = code + delta: one code of the segment may land on glyph 0
            zero = (-delta) & 0xFFFF
            if start <= zero <= end:
                out += [(start, zero - 1)] if zero > start else []
                out += [(zero + 1, end)] if zero < end else []
            else:
                out.append((start, end))
            continue
        base = offsets_at + 2 * k + offset
        for code in range(start, end + 1):  # glyph from the glyph index array; 0 is no glyph
            at_glyph = base + 2 * (code - start)
            if at_glyph + 2 <= len(data) and _u16(data, at_glyph) and (_u16(data, at_glyph) + delta) & 0xFFFF:
                out.append((code, code))
    return out


def _format12(data: bytes, at: int, many_to_one: bool) -> list[tuple[int, int]]:
    groups = _u32(data, at + 12)
    out = []
    for start, end, glyph in struct.iter_unpack(">III", data[at + 16: at + 16 + 12 * groups]):
        if glyph == 0:  # the group's first code is on glyph 0 (all of them, for format 13)
            if many_to_one or start == end:
                continue
            start += 1
        out.append((start, end))
    return out


def _format0_6(data: bytes, at: int, fmt: int) -> list[tuple[int, int]]:
    if fmt == 0:
        first, glyphs = 0, data[at + 6: at + 6 + 256]
    else:
        first, count = _u16(data, at + 6), _u16(data, at + 8)
        glyphs = struct.unpack_from(f">{count}H", data, at + 10)
    return [(first + k, first + k) for k, g in enumerate(glyphs) if g]


def read_coverage(path: str | os.PathLike[str], index: int = 0) -> Coverage:
    """The characters face ``index`` of the font file ``path`` maps to a glyph, from the cmap
    subtable fontTools' ``getBestCmap()`` would use. Raises OSError or ValueError for a file
    that is not a font."""
    try:
        return _read(path, index)
    except struct.error:  # a table shorter than its header says
        raise ValueError(f"{path}: its cmap table is cut short: not a font file, or a damaged one") from None


def _read(path: str | os.PathLike[str], index: int) -> Coverage:
    with open(path, "rb") as f:
        data = _cmap_table(f, index)
    records = {}
    for k in range(_u16(data, 2)):
        platform, encoding, offset = struct.unpack_from(">HHI", data, 4 + 8 * k)
        records.setdefault((platform, encoding), offset)
    for key in PREFERENCES:
        if key not in records:
            continue
        at = records[key]
        fmt = _u16(data, at)
        if fmt == 4:
            return Coverage(_format4(data, at))
        if fmt in (12, 13):
            return Coverage(_format12(data, at, many_to_one=fmt == 13))
        if fmt in (0, 6):
            return Coverage(_format0_6(data, at, fmt))
        return _with_fonttools(path, index)
    return Coverage(())


def _with_fonttools(path: str | os.PathLike[str], index: int) -> Coverage:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        best = font.getBestCmap() or {}
        return Coverage.of(cp for cp, glyph in best.items() if glyph != ".notdef")
