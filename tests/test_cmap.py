"""Tests for lantoa.i18n.cmap: which characters a font has, read from its cmap as ranges."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.ttLib import TTCollection, TTFont, newTable
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

from lantoa.i18n import cmap, fonts


def _best(path, index: int = 0) -> set[int]:
    """What fontTools says: every code point of getBestCmap that is on a glyph other than .notdef."""
    with TTFont(path, fontNumber=index, lazy=True) as f:
        return {cp for cp, glyph in (f.getBestCmap() or {}).items() if glyph != ".notdef"}


def _installed_faces() -> list[tuple[str, int]]:
    out = set()
    for src in fonts.FONT_SOURCES:
        for name, hint in src.files.values():
            path = fonts.find_font(name)
            if path is not None:
                index = fonts.resolve_face_index(path, src.face_name, hint) if src.face_name else hint
                out.add((str(path), index))
    return sorted(out)


@pytest.mark.parametrize("path,index", _installed_faces() or [pytest.param("", 0, marks=pytest.mark.skip("no fonts"))])
def test_each_font_we_ship_has_the_characters_fonttools_reads(path, index):
    cover = cmap.read_coverage(path, index)
    assert set(cover) == _best(path, index)
    assert len(cover) == len(_best(path, index))


def _font(tmp_path: Path, name: str, mapping: dict[int, str], formats: tuple[int, ...]) -> Path:
    """A TrueType font whose cmap maps ``mapping``, written as subtables of ``formats`` under (3, 1)
    / (3, 10) and (0, 3)."""
    glyphs = [".notdef", *sorted(set(mapping.values()))]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(glyphs)
    fb.setupCharacterMap(mapping)
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    fb.setupGlyf({g: pen.glyph() for g in glyphs})
    fb.setupHorizontalMetrics({g: (500, 0) for g in glyphs})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable({"familyName": name, "styleName": "Regular"})
    fb.setupOS2()
    fb.setupPost()
    table = newTable("cmap")
    table.tableVersion = 0
    table.tables = []
    for fmt in formats:
        wide = fmt in (12, 13)
        sub = CmapSubtable.newSubtable(fmt)
        sub.platformID, sub.platEncID, sub.language = 3, 10 if wide else 1, 0
        sub.cmap = {cp: g for cp, g in mapping.items() if cp <= 0xFFFF or wide}
        if fmt == 13:  # many to one: every code of a group on one glyph
            sub.cmap = {cp: glyphs[1] for cp in mapping}
        table.tables.append(sub)
    fb.font["cmap"] = table
    out = tmp_path / f"{name}.ttf"
    fb.save(str(out))
    return out


SCATTERED = {**{cp: f"g{cp % 7}" for cp in range(0x41, 0x5B)},  # A-Z on 7 glyphs: not consecutive
             **{cp: f"h{cp}" for cp in (0x3042, 0x3044, 0x3046, 0x30A2)},
             **{cp: "z" for cp in range(0x4E00, 0x4E40)},
             0xFFFD: "r"}


@pytest.mark.parametrize("fmt", [4, 12, 6, 0])
def test_each_subtable_format_we_read_agrees_with_fonttools(tmp_path, fmt):
    top = {0: 0xFF, 6: 0x3100}.get(fmt, 0x10FFFF)  # format 6 is one array from its first code to its last
    mapping = {cp: g for cp, g in SCATTERED.items() if cp <= top}
    path = _font(tmp_path, f"f{fmt}", mapping, (fmt,))
    assert set(cmap.read_coverage(path)) == _best(path) == set(mapping)


def test_format_4_with_a_glyph_index_array_and_a_code_on_no_glyph(tmp_path):
    """fontTools writes a segment whose glyphs do not follow its codes through the glyph index array
    (idRangeOffset); a code there on glyph 0 is no character of the font."""
    mapping = {0x41: "b", 0x42: "a", 0x43: "c", 0x45: "a", 0x100: "d"}
    path = _font(tmp_path, "gia", mapping, (4,))
    with TTFont(path) as f:
        f["cmap"].tables[0].cmap[0x44] = ".notdef"  # inside the segment, on glyph 0
        f.save(str(path))
    assert set(cmap.read_coverage(path)) == _best(path) == {0x41, 0x42, 0x43, 0x45, 0x100}


def test_format_13_many_to_one_and_the_preferred_subtable(tmp_path):
    path = _font(tmp_path, "many", SCATTERED, (13,))
    assert set(cmap.read_coverage(path)) == set(SCATTERED)
    # (3, 10) is preferred over (3, 1), as fontTools does: the BMP subtable lacks U+1F600
    both = _font(tmp_path, "both", {**SCATTERED, 0x1F600: "e"}, (4, 12))
    assert 0x1F600 in cmap.read_coverage(both) and set(cmap.read_coverage(both)) == _best(both)


def test_a_face_of_a_collection_is_read_by_its_index(tmp_path):
    a = _font(tmp_path, "a", {0x41: "a"}, (4,))
    b = _font(tmp_path, "b", {0x4E00: "z", 0x4E01: "y"}, (12,))
    ttc = TTCollection()
    ttc.fonts = [TTFont(a), TTFont(b)]
    ttc.save(str(tmp_path / "ab.ttc"))
    assert set(cmap.read_coverage(tmp_path / "ab.ttc", 0)) == {0x41}
    assert set(cmap.read_coverage(tmp_path / "ab.ttc", 1)) == {0x4E00, 0x4E01}
    with pytest.raises(ValueError, match="2 faces"):
        cmap.read_coverage(tmp_path / "ab.ttc", 2)


def test_a_file_that_is_no_font_is_an_error_not_an_empty_font(tmp_path):
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"\0\1\0\0" + b"\0" * 8)
    with pytest.raises(ValueError, match="no cmap"):
        cmap.read_coverage(bad)
    cut = tmp_path / "cut.ttf"  # a directory that names a cmap the file does not hold
    cut.write_bytes(b"\0\1\0\0\0\1" + b"\0" * 6 + b"cmap" + b"\0" * 4 + (28).to_bytes(4, "big") + (40).to_bytes(4, "big"))
    with pytest.raises(ValueError, match="cut short"):
        cmap.read_coverage(cut)


def test_a_damaged_kept_coverage_is_read_from_the_font_again(tmp_path, monkeypatch):
    from lantoa.site import fonts as site_fonts

    monkeypatch.setattr(site_fonts, "_coverage_dir", tmp_path)
    site_fonts._coverage.cache_clear()
    first = site_fonts._coverage(fonts.LATIN_FAMILY)
    kept = next(tmp_path.glob("cmap-ranges-*.json"))
    for damaged in ("[[-1, 5]]", "[[1]]", "{", '{"a": 1}'):
        kept.write_text(damaged)
        site_fonts._coverage.cache_clear()
        assert site_fonts._coverage(fonts.LATIN_FAMILY).ranges() == first.ranges()
    site_fonts._coverage.cache_clear()


def test_coverage_merges_ranges_and_answers_membership():
    c = cmap.Coverage([(10, 12), (13, 15), (20, 20), (11, 11), (30, 40)])
    assert c.ranges() == [(10, 15), (20, 20), (30, 40)]
    assert [cp in c for cp in (9, 10, 15, 16, 20, 21, 35, 41)] == [False, True, True, False, True, False, True, False]
    assert "a" not in c and len(c) == 6 + 1 + 11 == len(list(c))
    assert cmap.Coverage.of([5, 3, 4, 9]).ranges() == [(3, 5), (9, 9)]


@pytest.mark.skipif(fonts.find_font("NotoSansCJK-Bold.ttc") is None, reason="fonts-noto-cjk is not installed")
def test_reading_the_cjk_collection_takes_little_memory():
    """The social cards' drawing processes ask for the coverage of each CJK face they draw with.
    Through fontTools' getBestCmap (the glyph order of 65,000 glyphs) the three faces took 93 MB of
    Python objects at their peak, and each drawing process kept some 30 MB of it (its heap's
    high-water mark). Read from the cmap alone: about 2 MB."""
    path = fonts.find_font("NotoSansCJK-Bold.ttc")
    tracemalloc.start()
    try:
        kept = [cmap.read_coverage(path, i) for i in range(3)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(len(c) > 40000 for c in kept)
    assert peak < 8 << 20, f"{peak >> 20} MB"
