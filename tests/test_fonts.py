"""Tests for lantoa.i18n.fonts: self-hosted WOFF2 subsets of Debian's Noto fonts."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

try:
    from lantoa.i18n import fonts
except ImportError:  # not installed: run from the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from lantoa.i18n import fonts

from lantoa.site import csp  # noqa: E402
from lantoa.site import fonts as site_fonts  # noqa: E402

KHMER = "ភាសាខ្មែរ"  # "Khmer language": has a coeng (្) subscript cluster
ARABIC = "مرحبا بالعالم"
JAPANESE = "日本語のページ"

needs_fonts = pytest.mark.skipif(
    fonts.find_font("NotoSansKhmer-Regular.ttf") is None
    or fonts.find_font("NotoSansArabic-Regular.ttf") is None,
    reason="fonts-noto-core is not installed",
)
needs_cjk = pytest.mark.skipif(
    fonts.find_font("NotoSansCJK-Regular.ttc") is None,
    reason="fonts-noto-cjk is not installed",
)


def _open(path: Path) -> TTFont:
    return TTFont(io.BytesIO(path.read_bytes()))


def _face_file(out: Path, face: fonts.BuiltFace) -> Path:
    return out / face.url


@pytest.fixture
def subset_calls(monkeypatch):
    """Counts calls into the (slow) subsetter."""
    calls: list[tuple] = []
    real = fonts._subset

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(fonts, "_subset", counting)
    return calls


# --------------------------------------------------------------------------
# pure helpers


def test_module_does_not_import_mkdocs():
    src = str(Path(fonts.__file__).resolve().parents[2])
    code = (
        "import sys; sys.path.insert(0, %r); import lantoa.i18n.fonts; "
        "sys.exit('mkdocs' in sys.modules or 'material' in sys.modules)" % src
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_unicode_range_merges_consecutive_code_points():
    cps = [0x41, 0x42, 0x43, 0x5A, 0x44, 0xA0, 0x2013, 0x2014, 0x1F600, 0x42]
    assert fonts.unicode_range(cps) == "U+0041-0044, U+005A, U+00A0, U+2013-2014, U+1F600"
    assert fonts.unicode_range([]) == ""
    assert fonts.unicode_range([0x20]) == "U+0020"


def test_chars_for_text_adds_ascii_and_punctuation_and_drops_controls():
    chars = fonts.chars_for_text("ក\nខ\t")
    assert {0x1780, 0x1781} <= chars
    assert set(range(0x20, 0x7F)) <= chars
    assert {0x00A0, 0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x00AB, 0x00BB} <= chars
    assert 0x0A not in chars and 0x09 not in chars
    assert 0x1782 not in chars


def test_fonts_for_script_khmer_includes_latin_and_khmer():
    families = [s.family for s in fonts.fonts_for_script("Khmr", "km")]
    assert families == ["Lantoa Sans", "Lantoa Khmer"]


def test_fonts_for_script_cjk_regions():
    assert [s.family for s in fonts.fonts_for_script("Jpan", "ja")] == ["Lantoa Sans", "Lantoa CJK JP"]
    assert [s.family for s in fonts.fonts_for_script("Hans", "zh")] == ["Lantoa Sans", "Lantoa CJK SC"]
    assert [s.family for s in fonts.fonts_for_script("Kore", "ko")] == ["Lantoa Sans", "Lantoa CJK KR"]
    # unified Han: the language picks the regional glyph forms
    assert fonts.fonts_for_script("Hani", "ja")[-1].family == "Lantoa CJK JP"


def test_fonts_for_script_latin_covered_scripts():
    for script, lang in (("Latn", "vi"), ("Cyrl", "ru"), ("Grek", "el")):
        assert [s.family for s in fonts.fonts_for_script(script, lang)] == ["Lantoa Sans"]


def test_font_sources_cover_the_required_scripts():
    scripts = {s.script for s in fonts.FONT_SOURCES}
    assert {"Latn", "Khmr", "Laoo", "Tavt", "Cham", "Arab", "Hans", "Jpan", "Kore"} <= scripts
    assert len({s.family for s in fonts.FONT_SOURCES}) == len(fonts.FONT_SOURCES)
    for s in fonts.FONT_SOURCES:
        assert 400 in s.files
        hash(s)  # frozen and usable as a dict key despite the dict field


def test_font_dirs_env_override(monkeypatch, tmp_path):
    (tmp_path / "X.ttf").write_bytes(b"x")
    monkeypatch.setenv("LANTOA_FONT_DIRS", f"/nonexistent{os.pathsep}{tmp_path}")
    assert fonts.font_dirs() == ["/nonexistent", str(tmp_path)]
    assert fonts.find_font("X.ttf") == tmp_path / "X.ttf"
    assert fonts.find_font("Y.ttf") is None
    monkeypatch.delenv("LANTOA_FONT_DIRS")
    assert fonts.font_dirs() == list(fonts.FONT_DIRS)


def test_font_missing_error_names_file_dirs_and_fix(tmp_path):
    empty = tmp_path / "nofonts"
    empty.mkdir()
    with pytest.raises(fonts.FontMissingError) as exc:
        fonts.build_fonts({"Lantoa Khmer": KHMER}, tmp_path / "out", None, dirs=[str(empty)])
    msg = str(exc.value)
    assert "NotoSansKhmer-Regular.ttf" in msg
    assert str(empty) in msg
    assert "apt-get install fonts-noto-core fonts-noto-cjk" in msg
    assert "LANTOA_FONT_DIRS" in msg
    assert not (tmp_path / "out").exists()  # checked before any work is done


@needs_fonts
def test_missing_licence_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="OFL"):
        fonts.build_fonts({"Lantoa Khmer": "x"}, tmp_path, None, licence_file=tmp_path / "nope.txt")


def test_unknown_family_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="Lantoa Klingon"):
        fonts.build_fonts({"Lantoa Klingon": "x"}, tmp_path, None)


def test_font_css_is_sorted_and_complete():
    faces = [
        fonts.BuiltFace("Lantoa Sans", 700, "fonts/lantoa-sans-700-bbbbbbbbbb.woff2", "U+0020-007E", 10),
        fonts.BuiltFace("Lantoa Khmer", 400, "fonts/lantoa-khmer-400-aaaaaaaaaa.woff2", "U+0020-007E, U+1780", 20),
        fonts.BuiltFace("Lantoa Sans", 400, "fonts/lantoa-sans-400-cccccccccc.woff2", "U+0020-007E", 30),
    ]
    css = fonts.font_css(faces, url_prefix="../")
    assert css == fonts.font_css(list(reversed(faces)), url_prefix="../")
    assert css.count("@font-face") == 3
    assert css.index("Lantoa Khmer") < css.index('"Lantoa Sans";\n  font-style: normal;\n  font-weight: 400')
    assert css.index("font-weight: 400;\n  font-display: swap;\n  src: url(\"../fonts/lantoa-sans-400") < css.index(
        "lantoa-sans-700"
    )
    assert 'src: url("../fonts/lantoa-khmer-400-aaaaaaaaaa.woff2") format("woff2");' in css
    assert "unicode-range: U+0020-007E, U+1780;" in css
    assert css.count("font-display: swap;") == 3
    assert "http" not in css  # never a third-party origin
    assert 'url("fonts/' in fonts.font_css(faces)
    assert 'url("/site/fonts/' in fonts.font_css(faces, "/site")


# --------------------------------------------------------------------------
# building subsets


@needs_fonts
def test_khmer_subset_has_exactly_the_needed_chars(tmp_path):
    out = tmp_path / "out"
    faces = fonts.build_fonts({"Lantoa Khmer": KHMER}, out, tmp_path / "cache")
    assert [(f.family, f.weight) for f in faces] == [("Lantoa Khmer", 400), ("Lantoa Khmer", 700)]
    for face in faces:
        path = _face_file(out, face)
        assert path.is_file() and path.stat().st_size == face.size
        assert face.url.startswith("fonts/lantoa-khmer-%d-" % face.weight)
        font = _open(path)
        assert font.flavor == "woff2"
        cmap = font.getBestCmap()
        for ch in KHMER:
            assert ord(ch) in cmap, f"U+{ord(ch):04X} missing"
        assert ord("ក") not in cmap  # a Khmer letter not in the input
        assert ord(" ") in cmap  # ASCII is always requested (Khmer has no "A": not kept)
        assert ord("A") not in cmap
        assert set(cmap) <= fonts.chars_for_text(KHMER)
        assert "GSUB" in font  # coeng/subscript shaping survives
        assert "fpgm" not in font and "prep" not in font  # hinting dropped
        assert face.unicode_range == fonts.unicode_range(cmap)
        assert "U+17" in face.unicode_range
    assert (out / "fonts" / "OFL.txt").read_text(encoding="utf-8").count("SIL OPEN FONT LICENSE") == 1


@needs_fonts
def test_same_input_gives_identical_bytes_and_cache_hit(tmp_path, subset_calls):
    cache = tmp_path / "cache"
    first = fonts.build_fonts({"Lantoa Khmer": KHMER}, tmp_path / "a", cache)
    assert len(subset_calls) == 2  # 400 and 700, cold
    assert len(list(cache.glob("*.woff2"))) == 2
    second = fonts.build_fonts({"Lantoa Khmer": KHMER}, tmp_path / "b", cache)
    assert len(subset_calls) == 2  # no new subsetting: both came from the cache
    assert first == second
    for f in first:
        assert (tmp_path / "a" / f.url).read_bytes() == (tmp_path / "b" / f.url).read_bytes()
        # the site's file is the cache's, linked (not written again at each build)
        kept = [c for c in cache.glob("*.woff2") if c.read_bytes() == (tmp_path / "b" / f.url).read_bytes()]
        assert [c.stat().st_ino for c in kept] == [(tmp_path / "b" / f.url).stat().st_ino]


@needs_fonts
def test_faces_not_in_the_cache_are_made_two_at_a_time(tmp_path, monkeypatch):
    """Brotli (half of making a face) lets go of the GIL: the faces the cache lacks are made in two
    threads, and each comes out where it belongs; a face found in the cache is not made again."""
    import threading

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    made: list[tuple[str, str]] = []
    real = fonts._subset

    def recording(path, font_number, script, chars):
        made.append((Path(path).name, threading.current_thread().name))
        return real(path, font_number, script, chars)

    monkeypatch.setattr(fonts, "_subset", recording)
    cache = tmp_path / "cache"
    text = {"Lantoa Khmer": KHMER, "Lantoa Arabic": ARABIC}
    fonts.build_fonts({"Lantoa Khmer": KHMER}, tmp_path / "a", cache)  # two faces kept
    assert len(made) == 2
    made.clear()
    faces = fonts.build_fonts(text, tmp_path / "b", cache)
    assert sorted(name for name, _ in made) == ["NotoSansArabic-Bold.ttf", "NotoSansArabic-Regular.ttf"]
    assert all(thread.startswith("lantoa-fonts") for _, thread in made)
    alone = fonts.build_fonts(text, tmp_path / "c", None)  # no cache: all four made anew
    assert faces == alone
    for face in faces:
        assert (tmp_path / "b" / face.url).read_bytes() == (tmp_path / "c" / face.url).read_bytes()


@needs_fonts
def test_output_is_deterministic_without_cache(tmp_path):
    a = fonts.build_fonts({"Lantoa Khmer": KHMER, "Lantoa Sans": "Việt Nam"}, tmp_path / "a", None)
    b = fonts.build_fonts({"Lantoa Sans": "Việt Nam", "Lantoa Khmer": KHMER}, tmp_path / "b", None)
    assert a == b
    assert [(f.family, f.weight) for f in a] == sorted((f.family, f.weight) for f in a)
    for f in a:
        assert (tmp_path / "a" / f.url).read_bytes() == (tmp_path / "b" / f.url).read_bytes()


@needs_fonts
def test_different_text_gives_different_file_name(tmp_path):
    a = fonts.build_fonts({"Lantoa Khmer": "ក"}, tmp_path / "a", None)
    b = fonts.build_fonts({"Lantoa Khmer": "ខ"}, tmp_path / "b", None)
    assert a[0].url != b[0].url


@needs_fonts
def test_corrupt_cache_entry_is_rebuilt_with_warning(tmp_path, subset_calls, caplog):
    cache = tmp_path / "cache"
    good = fonts.build_fonts({"Lantoa Khmer": KHMER}, tmp_path / "a", cache)
    entries = sorted(cache.glob("*.woff2"))
    assert len(entries) == 2
    entries[0].write_bytes(entries[0].read_bytes()[:100])  # truncated
    entries[1].write_bytes(b"not a font at all")
    calls_before = len(subset_calls)

    with caplog.at_level(logging.WARNING, logger="lantoa.i18n.fonts"):
        rebuilt = fonts.build_fonts({"Lantoa Khmer": KHMER}, tmp_path / "b", cache)

    assert len(subset_calls) == calls_before + 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "rebuilding" in r.getMessage()]
    assert len(warnings) == 2
    assert rebuilt == good
    for f in rebuilt:
        font = _open(tmp_path / "b" / f.url)
        assert font.flavor == "woff2"
        assert all(ord(ch) in font.getBestCmap() for ch in KHMER)
    # the cache was repaired
    for e in entries:
        assert TTFont(io.BytesIO(e.read_bytes())).flavor == "woff2"


@needs_fonts
def test_a_damaged_font_file_is_a_clear_error_naming_it(tmp_path):
    """A truncated font file (a broken install) is an error that names the file and the fix, not
    HarfBuzz's "Subsetting failed" from deep inside the build."""
    fonts_dir = tmp_path / "fonts"
    fonts_dir.mkdir()
    regular = fonts.find_font("NotoSansKhmer-Regular.ttf")
    (fonts_dir / regular.name).write_bytes(regular.read_bytes()[:5000])
    bold = fonts.find_font("NotoSansKhmer-Bold.ttf")
    (fonts_dir / bold.name).write_bytes(bold.read_bytes())
    with pytest.raises(fonts.FontMissingError, match="NotoSansKhmer-Regular.ttf.*damaged.*reinstall"):
        fonts.build_fonts({"Lantoa Khmer": KHMER}, tmp_path / "out", None, dirs=[fonts_dir])


@needs_fonts
def test_arabic_subset_keeps_shaping(tmp_path):
    faces = fonts.build_fonts({"Lantoa Arabic": ARABIC}, tmp_path, None)
    font = _open(tmp_path / faces[0].url)
    assert "GSUB" in font
    features = {fr.FeatureTag for fr in font["GSUB"].table.FeatureList.FeatureRecord}
    assert {"init", "medi", "fina"} <= features
    # positional forms are glyphs without a cmap entry: closure must keep them
    assert len(font.getGlyphOrder()) > len(font.getBestCmap())
    # copyright / licence name records are kept (OFL condition 2)
    assert font["name"].getDebugName(0) and font["name"].getDebugName(13)


#: a line of each script the site serves, with what its shaping does: Khmer subscripts (coeng),
#: Arabic joining forms, Lao and Tai Viet marks, Cham medials, Vietnamese stacked diacritics, Han
SHAPED = {
    "Lantoa Khmer": "ព្រះរាជាណាចក្រកម្ពុជា ភាសាខ្មែរ ស្រុកខ្មែរ",
    "Lantoa Arabic": "مرحبا بالعالم، فيتنام بلدٌ جميلٌ",
    "Lantoa Lao": "ພາສາລາວ ສາທາລະນະລັດ ປະຊາທິປະໄຕ",
    "Lantoa Tai Viet": "ꪁꪫꪱꪣ ꪼꪕ ꪵꪜꪙ",
    "Lantoa Cham": "ꨌꩌ ꨀꨇꩉ ꨌꨯꨮ",
    "Lantoa Sans": "Việt Nam — Hồ Chí Minh, Đà Nẵng, Huế «ǜ»",
    "Lantoa CJK SC": "越南社会主义共和国，河内。",
}


def _shaped(face, text: str) -> list[tuple]:
    """How HarfBuzz lays ``text`` out in ``face``: per glyph its cluster, advance, offset and the
    extents of its outline (a subset renumbers the glyphs: the outline is what must not change)."""
    import uharfbuzz as hb

    font = hb.Font(face)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf)
    out = []
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions):
        ext = font.get_glyph_extents(info.codepoint)
        out.append((info.cluster, info.codepoint == 0, pos.x_advance, pos.y_advance, pos.x_offset, pos.y_offset,
                    (ext.x_bearing, ext.y_bearing, ext.width, ext.height) if ext else None))
    return out


@pytest.mark.parametrize("family", sorted(SHAPED))
def test_a_subset_lays_out_its_text_as_the_whole_font_does(tmp_path, family):
    """Every weight's subset shapes its text glyph for glyph as the font it was cut from: the same
    clusters, advances, mark offsets and outlines, and no missing glyph (the closure over every
    layout feature kept each ligature, joining form, subscript and mark it needs)."""
    import uharfbuzz as hb

    src = fonts.source_for_family(family)
    if any(fonts.find_font(name) is None for name, _ in src.files.values()):
        pytest.skip(f"{family}: its font files are not installed")
    text = SHAPED[family]
    faces = fonts.build_fonts({family: text}, tmp_path, None)
    assert [f.weight for f in faces] == sorted(src.files)
    for face in faces:
        name, hint = src.files[face.weight]
        path = fonts.find_font(name)
        index = fonts.resolve_face_index(path, src.face_name, hint)
        whole = _shaped(hb.Face(hb.Blob.from_file_path(str(path)), index), text)
        font = _open(tmp_path / face.url)
        assert font.flavor == "woff2"
        font.flavor = None
        sfnt = io.BytesIO()
        font.save(sfnt)
        cut = _shaped(hb.Face(hb.Blob(sfnt.getvalue())), text)
        assert not any(notdef for _, notdef, *_ in whole), f"{family} cannot show its own sample"
        assert cut == whole, f"{family} {face.weight}: the subset lays the text out otherwise"


@needs_cjk
def test_fonttools_subsetter_is_not_what_cuts_the_faces(tmp_path, monkeypatch):
    """The faces are cut by HarfBuzz's subsetter, which works on the font's tables as they are:
    fontTools' decoded every glyph's cmap entry and metrics of a 65,000-glyph CJK face into Python
    objects first (1.3 s and 56 MB a face, the peak of a cold build). With fontTools' subsetter
    made to fail, a CJK face is still cut, with its vertical metrics and its name records."""
    from fontTools import subset as ft_subset

    def refuse(*args, **kwargs):
        raise AssertionError("fontTools' subsetter was used")

    monkeypatch.setattr(ft_subset, "Subsetter", refuse)
    monkeypatch.setattr(ft_subset, "load_font", refuse)
    faces = fonts.build_fonts({"Lantoa CJK SC": "越南"}, tmp_path, None)
    font = _open(tmp_path / faces[0].url)
    assert {ord("越"), ord("南")} <= set(font.getBestCmap())
    assert {"vmtx", "VORG", "GSUB"} <= set(font.keys())
    assert "vert" in {fr.FeatureTag for fr in font["GSUB"].table.FeatureList.FeatureRecord}
    assert font["name"].getDebugName(0) and font["name"].getDebugName(13)
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    assert len(cff.GlobalSubrs) == 0  # desubroutinized: smaller after Brotli
    assert not any(fd.Private.rawDict.get("Subrs") for fd in top.FDArray)


@needs_cjk
def test_the_faces_of_a_collection_are_kept_by_its_content(tmp_path, monkeypatch):
    """A build resolves the CJK faces from the collection's name tables; their names are kept in
    the cache by the file's content, so the next build reads none of them. A broken record is
    read again."""
    from lantoa import digests

    (src,) = [s for s in fonts.fonts_for_script("Jpan", "ja") if s.script == "Jpan"]
    path = fonts.find_font(src.files[400][0])
    monkeypatch.setattr(digests, "_STATE", {"path": None, "dirty": False})
    digests.load(tmp_path)
    opened = []
    from fontTools import ttLib  # imported where a collection is read, not with the module

    real = ttLib.TTCollection
    monkeypatch.setattr(ttLib, "TTCollection", lambda *a, **k: opened.append(a) or real(*a, **k))

    def resolve() -> int:
        fonts._face_index.cache_clear()
        fonts._face_names.cache_clear()  # as in a new process
        return fonts.resolve_face_index(path, "Noto Sans CJK SC", 0)

    assert resolve() == 2 and len(opened) == 1
    (kept,) = (tmp_path / "fonts").glob("faces-*.json")
    assert "Noto Sans CJK SC" in kept.read_text("utf-8")
    assert resolve() == 2 and len(opened) == 1  # from the record
    kept.write_text("[", "utf-8")
    assert resolve() == 2 and len(opened) == 2  # a broken record: the collection is read again
    digests.load(None)  # --no-cache: nothing kept
    assert resolve() == 2 and len(opened) == 3


@needs_fonts
def test_tai_viet_has_regular_only(tmp_path):
    faces = fonts.build_fonts({"Lantoa Tai Viet": "ꪀꪁ"}, tmp_path, None)
    assert [f.weight for f in faces] == [400]


@needs_cjk
def test_japanese_page_gets_jp_face_from_the_collection(tmp_path):
    (src,) = [s for s in fonts.fonts_for_script("Jpan", "ja") if s.script == "Jpan"]
    path = fonts.find_font(src.files[400][0])
    assert fonts.resolve_face_index(path, src.face_name, src.files[400][1]) == 0
    # a wrong hint is corrected by reading the name table
    assert fonts.resolve_face_index(path, "Noto Sans CJK SC", 0) == 2

    faces = fonts.build_fonts({src.family: JAPANESE}, tmp_path, None)
    assert [(f.family, f.weight) for f in faces] == [("Lantoa CJK JP", 400), ("Lantoa CJK JP", 700)]
    font = _open(tmp_path / faces[0].url)
    assert font.flavor == "woff2"
    assert font["name"].getDebugName(1) == "Noto Sans CJK JP"
    assert all(ord(ch) in font.getBestCmap() for ch in JAPANESE)


@needs_cjk
def test_each_character_s_family_is_worked_out_once_per_process(tmp_path, monkeypatch):
    """`lantoa serve` asks the fonts step for the family of every character of every edition at
    each rebuild: the second time, no font's coverage is consulted, and the answers are the same."""
    site = tmp_path / "site"
    (site / site_fonts.FOLDER).mkdir(parents=True)
    text = {"vi": "Việt Nam", "km": "ព្រះរាជាណាចក្រ", "ja": "日本語の文", "zh-Hans": "中文", "ar": "العربية"}
    monkeypatch.setattr(site_fonts, "_coverage_dir", None)
    site_fonts._family_of.cache_clear()
    first = [(cp, lang, site_fonts._family_for(cp, lang)) for lang, t in text.items() for cp in map(ord, t)]
    asked = []
    real = site_fonts._coverage
    monkeypatch.setattr(site_fonts, "_coverage", lambda family: asked.append(family) or real(family))
    again = [(cp, lang, site_fonts._family_for(cp, lang)) for lang, t in text.items() for cp in map(ord, t)]
    assert again == first and not asked
    assert {f for _, _, f in first} >= {fonts.LATIN_FAMILY, "Lantoa Khmer", "Lantoa CJK JP", "Lantoa CJK SC", "Lantoa Arabic"}
    monkeypatch.setattr(site_fonts, "_coverage", real)
    site_fonts.build(site, "", tmp_path / "cache", known=[{"vi": text["vi"]}])  # another cache folder: worked out anew
    assert site_fonts._family_of.cache_info().misses == len(set(text["vi"]))


def _chars_by_the_plain_rule(doc: str) -> set[str]:
    """The reference for site_fonts.page_chars: every character of the page's text outside tags, scripts
    and styles, and of the alt/title/aria-label/content/placeholder values of each of its tags."""
    import html
    import re

    text = html.unescape(site_fonts._TAGS.sub(" ", doc))
    shown = {c for c in text if not c.isspace()} | {c for c in text if c.isspace()} | {" "}
    for tag in csp._TAG.findall(csp._SCRIPT.sub("", doc)):
        for m in re.finditer(r'(?<![\w])(?:alt|title|aria-label|content|placeholder)="([^"]*)"', tag):
            shown |= set(html.unescape(m.group(1)))
    return shown


def test_the_characters_a_page_shows_come_from_its_text_and_its_tags_each_read_once(sample_site):
    """site_fonts.page_chars reads each distinct tag once (remembered across the pages of an edition,
    which share their header, navigation and footer): it finds what the plain rule finds on every
    page of the sample site, and the same with the tags the policy's scan collected."""
    pages = sorted(sample_site.rglob("*.html"))
    assert len(pages) > 50
    for path in pages:
        doc = path.read_text("utf-8")
        expected = _chars_by_the_plain_rule(doc)
        assert site_fonts.page_chars(doc) == expected, path
        assert site_fonts.page_chars(doc, csp.scan_tags(doc)) == expected, path
    tricky = '<p title="x &amp; ក" data-alt="no"><img alt=\'single\' alt="ខ" subtitle="ឃ"> ​ y</p><script>t="ង"</script>'
    assert site_fonts.page_chars(tricky) == _chars_by_the_plain_rule(tricky)
    assert {"ក", "&", "ខ"} <= site_fonts.page_chars(tricky) and not {"ឃ", "ង"} & site_fonts.page_chars(tricky)


def test_a_page_without_a_head_gets_no_policy_and_still_its_characters():
    """The worker's pass over a page (pagefacts.Collector): a page with nowhere to put its policy's
    <meta> (no <head>, no charset) keeps its characters, from its text and its tags."""
    from lantoa.site import pagefacts

    collector = pagefacts.Collector(policy=True)
    assert collector.page("bare.html", '<p title="ក">ខ</p>') == '<p title="ក">ខ</p>'
    assert collector.pages["bare.html"]["chars"] == " កខ"
    collector.page("full.html", '<html><head><meta charset="utf-8"></head><body><p title="ក">ខ</p></body></html>')
    assert set(collector.pages["full.html"]["chars"]) == site_fonts.page_chars(
        csp.apply('<html><head><meta charset="utf-8"></head><body><p title="ក">ខ</p></body></html>'))
