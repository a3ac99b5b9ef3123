"""Social cards: shaped with HarfBuzz (libraqm), wrapped by measuring, never inside a cluster; tagged."""

from __future__ import annotations

import os
import re
import unicodedata

import pytest
from click.testing import CliRunner
from PIL import Image, ImageChops, ImageFont, features

from conftest import ARTIFACTS
from lantoa.cli import main
from lantoa.site import social
from lantoa.site.social import CardSpec, Typesetter, cluster_starts, draw_card, faces_for

pytestmark = pytest.mark.skipif(not features.check("raqm"), reason="Pillow without libraqm cannot shape")

KHMER = CardSpec("វៀតណាម និងងារទាំង 31 របស់យូណេស្កូ", "បេតិកភណ្ឌ", "ឡាន តាវ", "km", "Khmr", "ltr")
ARABIC = CardSpec("فيتنام وألقابها الواحد والثلاثون لدى اليونسكو", "التراث", "لان توا", "ar", "Arab", "rtl")
OUT = ARTIFACTS / "social-cards"


def _diff_ratio(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a.convert("L"), b.convert("L")).point(lambda v: 255 if v > 40 else 0)
    return diff.histogram()[255] / (a.width * a.height)


@pytest.mark.parametrize("spec", [KHMER, ARABIC], ids=["khmer", "arabic"])
def test_shaped_card_differs_from_unshaped(spec):
    shaped = draw_card(spec)
    basic = draw_card(spec, engine=ImageFont.Layout.BASIC)
    OUT.mkdir(parents=True, exist_ok=True)
    shaped.save(OUT / f"{spec.lang}.png")
    basic.save(OUT / f"{spec.lang}-basic-layout.png")
    assert shaped.size == (1200, 630)
    # without shaping, Khmer subscripts and vowels and Arabic joining forms and order are wrong:
    # a large share of the text's pixels moves
    assert _diff_ratio(shaped, basic) > 0.01


def test_arabic_title_is_right_aligned():
    card = draw_card(CardSpec("سون دونغ", "التراث", "لان توا", "ar", "Arab", "rtl"))
    # white title pixels sit against the right margin, none near the left one
    box = card.crop((0, 300, 1200, 560)).convert("L").point(lambda v: 255 if v > 240 else 0).getbbox()
    assert box is not None and box[2] > 1200 - social.MARGIN - 10 and box[0] > 600


def _no_break_inside_cluster(text: str, lines: list[str]) -> None:
    starts = set(cluster_starts(text))
    offset = 0
    for line in lines[:-1]:
        offset = text.index(line, offset) + len(line)
        nxt = offset
        while nxt < len(text) and text[nxt] in " \u200b":
            nxt += 1
        assert nxt in starts, (line, text[nxt - 2:nxt + 2])
        assert text[nxt - 1] != "\u17d2" and unicodedata.category(text[nxt])[0] != "M"


@pytest.mark.parametrize("icu", [True, False], ids=["icu", "grapheme-fallback"])
def test_khmer_wraps_by_measuring_never_inside_a_cluster(monkeypatch, icu):
    if icu:
        pytest.importorskip("icu")
    else:
        monkeypatch.setattr(social, "_icu_breaks", lambda text, lang: None)
    text = "រូងភ្នំសឺនដុងលើអេក្រង់ពិភពលោក" * 3  # no spaces at all: subscripts (coeng) everywhere
    ts = Typesetter(faces_for("Khmr", "km"), 60, "km", "ltr", ImageFont.Layout.RAQM)
    lines = ts.wrap(text, 700)
    assert len(lines) > 1 and "".join(lines) == text
    assert all(ts.width(line) <= 700 for line in lines)
    _no_break_inside_cluster(text, lines)


def test_arabic_wraps_at_spaces_and_fits():
    ts = Typesetter(faces_for("Arab", "ar"), 60, "ar", "rtl", ImageFont.Layout.RAQM)
    lines = ts.wrap(ARABIC.title, 600)
    assert len(lines) > 1 and " ".join(lines) == ARABIC.title
    assert all(ts.width(line) <= 600 for line in lines)


def test_cjk_breaks_between_ideographs_not_before_closing_punctuation(monkeypatch):
    monkeypatch.setattr(social, "_icu_breaks", lambda text, lang: None)
    text = "越南与31项联合国教科文组织名录，从革新到2045年目标"
    points = social.break_points(text, "zh-Hans")
    assert text.index("，") not in points and text.index("，") + 1 in points
    assert text.index("45") not in points  # a number stays whole
    ts = Typesetter(faces_for("Hans", "zh-Hans"), 60, "zh-Hans", "ltr", ImageFont.Layout.RAQM)
    lines = ts.wrap(text, 500)
    assert "".join(lines) == text and all(ts.width(line) <= 500 for line in lines)


def test_tai_viet_prepended_vowel_stays_with_its_consonant():
    text = "ꪵꪩ"  # the vowel ꪵ is written (and stored) before its consonant
    assert cluster_starts(text) == [0]


def test_mixed_scripts_use_each_scripts_font():
    runs = social.runs("ꪫꪸꪒ ꪙꪾ 31 UNESCO", faces_for("Tavt", "blt-Tavt"))
    assert [r[0].strip() for r in runs] == ["ꪫꪸꪒ ꪙꪾ", "31 UNESCO"]
    assert runs[0][1] != runs[1][1]


def _meta(html: str, prop: str) -> str | None:
    m = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return m.group(1) if m else None


def test_every_story_page_has_its_card(project):
    before = dict(social.STATS)
    assert CliRunner().invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    drawn = social.STATS["drawn"] - before.get("drawn", 0)
    assert drawn == 2  # one per text (vi, en); the other editions fall back to one of them
    # the drawing threads' faces are let go with the threads (the workers forked next would inherit them)
    assert social._font.cache_info().currsize == 0
    site = project / "build" / "site"
    seen = set()
    for lang in ("", "en", "km", "ar", "tyz", "blt-Tavt"):
        html = (site / lang / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
        url = _meta(html, "og:image")
        assert url and url.startswith("https://lantoa.example.vn/media/social/vinh-ha-long/"), url
        assert _meta(html, "twitter:card") == "summary_large_image" and _meta(html, "twitter:image") == url
        with Image.open(site / url.removeprefix("https://lantoa.example.vn/")) as im:
            assert im.size == (1200, 630) and im.format == "JPEG" and not im.getexif()
        seen.add(url)
    assert len(seen) == 2
    assert _meta((site / "index.html").read_text("utf-8"), "og:image") is None  # only stories have cards
    # a rebuild draws nothing; without site_url the URL is relative
    before = dict(social.STATS)
    cfg = project / "mkdocs.yml"
    cfg.write_text(re.sub(r"(?m)^site_url:.*\n", "", cfg.read_text("utf-8")), "utf-8")
    assert CliRunner().invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    assert social.STATS["drawn"] == before.get("drawn", 0)
    html = (site / "en" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    assert _meta(html, "og:image").startswith("../../../media/social/vinh-ha-long/en.")


def test_card_quality_is_part_of_the_cache_key(monkeypatch):
    """A card drawn at another JPEG quality is not taken from the cache for this one."""
    spec = social.CardSpec("Hà Nội", "Lịch sử", "Lan Tỏa", "vi", "Latn", "ltr")
    before = social.card_key(spec, None)
    social._drawing.cache_clear()
    monkeypatch.setattr(social, "CARD_QUALITY", social.CARD_QUALITY - 5)
    try:
        assert social.card_key(spec, None) != before
        small = social.encode(social.draw_card(spec))
    finally:
        social._drawing.cache_clear()
    monkeypatch.undo()
    assert len(small) < len(social.encode(social.draw_card(spec)))


def test_a_card_drawn_on_a_background_made_before_is_the_same_card(tmp_path):
    """stage_cards makes a story's background once and draws each language's card on a copy of it:
    the card is the one drawn from the photo, and the background is left as it was for the next."""
    photo = tmp_path / "hero.jpg"
    Image.linear_gradient("L").resize((900, 700)).convert("RGB").save(photo, quality=90)
    base = social.card_background(str(photo))
    pristine = base.tobytes()
    for spec in (KHMER, ARABIC):
        assert draw_card(spec, base=base).tobytes() == draw_card(spec, str(photo)).tobytes()
    assert base.tobytes() == pristine



def test_a_storys_background_is_made_once_for_its_cards(project, monkeypatch):
    """The cards of a story's languages share its background: made once (one thread here), not for
    each card (25 of a card's 40 ms). Its photo replaced, every card of the story is drawn again."""
    assert CliRunner().invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    hero = next((project / "content" / "stories" / "vinh-ha-long").glob("hero.*"))
    Image.linear_gradient("L").resize((800, 500)).convert("RGB").save(hero, "JPEG", quality=90)
    made = []
    real = social.card_background
    monkeypatch.setattr(social, "card_background", lambda path: made.append(path) or real(path))
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    before = dict(social.STATS)
    assert CliRunner().invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    assert social.STATS["drawn"] - before.get("drawn", 0) == 2  # vinh-ha-long in vi and en
    assert len(made) == 1 and "vinh-ha-long" in made[0]


def test_many_cards_are_drawn_in_two_processes_as_threads_draw_them(project, tmp_path):
    """From PROCESSES_FROM cards (a cold build), the cards are drawn in two processes forked for
    them, each taking every other card, and come out as the threads of the build's own process draw
    them (here: a story's two cards, its photo replaced, with the threshold lowered in a build run
    as a program of its own)."""
    import shutil
    import subprocess
    import sys

    assert CliRunner().invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    hero = next((project / "content" / "stories" / "vinh-ha-long").glob("hero.*"))
    Image.linear_gradient("L").resize((800, 500)).convert("RGB").save(hero, "JPEG", quality=90)
    other = tmp_path / "other"
    shutil.copytree(project, other)
    # the story's two cards drawn again, in one staging: in threads here
    assert CliRunner().invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    log = tmp_path / "shares.txt"
    program = f"""
import os, sys
from lantoa.site import social
from lantoa.cli import main
social.PROCESSES_FROM = 1
real = social._draw_share
def spy(root, share):
    with open({str(log)!r}, "a") as f:
        f.write(f"{{os.getpid()}} {{len(share)}}\\n")
    return real(root, share)
social._draw_share = spy
with open({str(log)!r}, "a") as f:
    f.write(f"main {{os.getpid()}}\\n")
main(["-C", {str(other)!r}, "-q", "build"])
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = log.read_text().split("\n")
    main_pid = lines[0].split()[1]
    shares = [line.split() for line in lines[1:] if line]
    assert len(shares) == 2 and {pid for pid, _ in shares}.isdisjoint({main_pid}) and len({p for p, _ in shares}) == 2
    assert sorted(int(n) for _, n in shares) == [1, 1]

    def cards(root):
        folder = root / "build" / "site" / "media" / "social"
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.jpg")}

    assert cards(other) == cards(project) and len(cards(project)) == 2
