"""Body images take their alt text, caption, credit and licence from each file's front matter
(``images:``), in the language of the page. One rule for the captions of the hero and of body
images: the page's own caption, else the source's, marked with the source's language (and
direction) so that it is never passed off as text in the page's language.

One tiny project is built once: Vietnamese source (caption, credit, licence), an English
translation (its own alt and caption, hero caption too, credit from the source, a localized copy
photo.en.jpg), a Khmer translation (alt only: no caption), and editions without a translation
(Tày falls back to Vietnamese, Arabic to English). A second one has an Arabic translation without
captions (right to left under a left-to-right caption). Check-time problems each start from a
fresh tiny project.
"""

from __future__ import annotations

import json
import re
import textwrap
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import make_project, stamp_translations
from lantoa.cli import main

STORY_DIR = "content/stories/vinh-ha-long"
VI_CAPTION = "Thuyền trên vịnh lúc sáng sớm"
EN_CAPTION = "Boats on the bay in the early morning"
CREDIT, LICENSE = "Nguyễn Thị B", "CC BY-SA 4.0"
VI_HERO_CAPTION = "Vịnh Hạ Long"  # conftest's story
EN_HERO_CAPTION = "Ha Long Bay at dawn"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args])


def add_images(root: Path, rel: str, images_yaml: str, body: str = "![](photo.jpg)") -> int:
    """Put ``images:`` at the end of a file's front matter and a paragraph at the end of its body;
    returns the body paragraph's line number."""
    path = root / STORY_DIR / rel
    _, fm, rest = path.read_text("utf-8").split("---\n", 2)
    text = f"---\n{fm}images:\n{textwrap.indent(textwrap.dedent(images_yaml), '  ')}---\n{rest.rstrip()}\n\n{body}\n"
    path.write_text(text, "utf-8")
    return text.rstrip("\n").count("\n") + 1


def photo(root: Path, name: str = "photo.jpg", colour=(30, 120, 160)) -> None:
    Image.new("RGB", (640, 400), colour).save(root / STORY_DIR / name, quality=80)


KM = textwrap.dedent("""\
    ---
    title: ឈូងសមុទ្រហាឡុង
    summary: កោះថ្មកំបោរជាងមួយពាន់ក្នុងសមុទ្រពណ៌បៃតង។
    translation:
      method: human
      reviewed_by: Desk
    ---
    ## អច្ឆរិយៈ

    ឈូងសមុទ្រមានកោះថ្មកំបោរជាច្រើន។
    """)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("captions") / "site")
    photo(root)
    photo(root, "photo.en.jpg", (200, 40, 40))  # replaces photo.jpg in the English edition
    add_images(root, "index.md", f"""\
        photo.jpg:
          caption: {VI_CAPTION}
          credit: {CREDIT}
          license: {LICENSE}
        """, body="![Thuyền trên vịnh](photo.jpg)")
    add_images(root, "index.en.md", f"""\
        photo.jpg:
          alt: Boats on the bay
          caption: {EN_CAPTION}
        """)
    en = root / STORY_DIR / "index.en.md"
    en.write_text(en.read_text("utf-8").replace("hero:\n", f"hero:\n  caption: {EN_HERO_CAPTION}\n", 1), "utf-8")
    (root / STORY_DIR / "index.km.md").write_text(KM, "utf-8")
    add_images(root, "index.km.md", """\
        photo.jpg:
          alt: ទូកនៅលើឈូងសមុទ្រ
        """)
    stamp_translations(root)
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    return root


def page(root: Path, edition: str = "") -> str:
    return (root / "build" / "site" / edition / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")


def body(root: Path, edition: str = "") -> str:
    return page(root, edition).split("<!--lantoa:body-->")[1].split("<!--/lantoa:body-->")[0]


def hero_caption(root: Path, edition: str = "") -> str:
    hero = re.search(r'<figure class="lt-hero">.*?</figure>', page(root, edition), re.S).group(0)
    return re.search(r"<figcaption>(.*?)</figcaption>", hero, re.S).group(1).strip()


def figures(html: str) -> list[str]:
    return re.findall(r'<figure class="lt-figure">.*?</figure>', html, re.S)


def figcaption(html: str) -> str:
    (fig,) = figures(html)
    return re.search(r"<figcaption>(.*?)</figcaption>", fig, re.S).group(1)


# ------------------------------------------------------------------------------------------------ the built site


def test_caption_per_language_under_the_image(built):
    vi, en = body(built), body(built, "en")
    assert VI_CAPTION in figcaption(vi) and EN_CAPTION not in vi
    assert EN_CAPTION in figcaption(en) and VI_CAPTION not in en
    for html in (vi, en):  # the picture, then its caption, inside one figure
        assert re.search(r'<figure class="lt-figure"><picture class="lt-pic">.*?</picture><figcaption>',
                         figures(html)[0], re.S)
    assert "/photo.en-640." in figures(en)[0]  # the localized copy, with the text of photo.jpg


def test_translation_without_caption_shows_the_source_caption_marked_as_vietnamese(built):
    km = body(built, "km")
    assert 'alt="ទូកនៅលើឈូងសមុទ្រ"' in km and EN_CAPTION not in km
    caption = figcaption(km)
    assert caption.startswith(f'<span lang="vi">{VI_CAPTION}</span> <span class="lt-credit">'), caption
    assert CREDIT in caption


def test_own_caption_carries_no_language_of_its_own(built):
    for edition in ("", "en", "tyz", "ar"):  # Tày shows the source, Arabic the English translation
        assert "lang=" not in figcaption(body(built, edition))


def test_hero_caption_follows_the_same_rule(built):
    assert hero_caption(built, "en").startswith(EN_HERO_CAPTION + " <span class=\"lt-credit\">")
    assert hero_caption(built).startswith(VI_HERO_CAPTION + " <span class=\"lt-credit\">")
    km = hero_caption(built, "km")  # the Khmer translation has no hero caption
    assert km.startswith(f'<span lang="vi">{VI_HERO_CAPTION}</span> <span class="lt-credit">'), km
    assert "<bdi>Lan Tỏa</bdi>" in km  # credit and licence fall back as before


def test_the_api_says_which_language_a_hero_caption_is_in(built):
    def hero(edition: str) -> dict:
        stories = json.loads((built / "build" / "site" / "api" / edition / "stories.json").read_text("utf-8"))
        return stories["stories"][0]["hero"]

    assert (hero("en")["caption"], hero("en")["caption_language"]) == (EN_HERO_CAPTION, "en")
    assert (hero("km")["caption"], hero("km")["caption_language"]) == (VI_HERO_CAPTION, "vi")  # borrowed
    assert hero("vi")["caption_language"] == "vi"


def test_credit_and_licence_fall_back_to_the_source(built):
    caption = figcaption(body(built, "en"))
    credit = re.search(r'<span class="lt-credit">(.*?)</span>', caption, re.S).group(1)
    assert "Photo: <bdi>Nguyễn Thị B</bdi>" in credit and "Licence: <bdi>CC BY-SA 4.0</bdi>" in credit


def test_an_edition_that_falls_back_shows_the_caption_of_the_text_it_shows(built):
    assert VI_CAPTION in figcaption(body(built, "tyz"))  # Tày → Vietnamese text, Vietnamese caption
    ar = figcaption(body(built, "ar"))  # Arabic → English text, English caption
    assert EN_CAPTION in ar and VI_CAPTION not in ar


def test_alt_text_from_front_matter(built):
    assert re.search(r'<img [^>]*alt="Boats on the bay"', figures(body(built, "en"))[0])
    assert re.search(r'<img [^>]*alt="Thuyền trên vịnh"', figures(body(built))[0])  # the Markdown's alt


class _Nesting(HTMLParser):
    VOID = {"img", "source", "br", "hr", "wbr", "input", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.figure_parents: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "figure":
            self.figure_parents.append(list(self.stack))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass


@pytest.mark.parametrize("edition", ["", "en", "km"])
def test_figure_is_not_inside_a_paragraph(built, edition):
    html = body(built, edition)
    parser = _Nesting()
    parser.feed(html)
    assert len(parser.figure_parents) == 1
    assert "p" not in parser.figure_parents[0]
    assert not re.search(r"<p>\s*</p>", html)  # a <figure> in a <p> comes out as an empty <p></p>


def test_press_kit_credits_list_the_body_image(built):
    (kit,) = (built / "build" / "site" / "media" / "press").glob("*.zip")
    with zipfile.ZipFile(kit) as z:
        credits = z.read("vinh-ha-long/CREDITS.txt").decode("utf-8")
    block = credits.split("Image photo.jpg:")[1]
    assert f"caption: {VI_CAPTION}" in block and f"caption: {EN_CAPTION}" in block and CREDIT in block
    # a translation without a caption of its own: the source's, which says its language (the site's rule)
    (km,) = [line for line in block.split("\n") if line.startswith("  [km ")]
    assert f"caption (vi): {VI_CAPTION}" in km and "alt: ទូកនៅលើឈូងសមុទ្រ" in km, km
    hero = credits.split("Hero image")[1].split("\n\n")[0]
    (km_hero,) = [line for line in hero.split("\n") if line.startswith("  [km ")]
    assert f"caption (vi): {VI_HERO_CAPTION}" in km_hero, hero
    (en_hero,) = [line for line in hero.split("\n") if line.startswith("  [en ")]
    assert f"caption: {EN_HERO_CAPTION}" in en_hero and "(vi)" not in en_hero, hero


AR = textwrap.dedent("""\
    ---
    title: خليج ها لونغ
    summary: أكثر من ألف جزيرة من الحجر الجيري في بحر أخضر.
    hero:
      alt: قوارب شراعية بين جزر الحجر الجيري
    images:
      photo.jpg:
        alt: قوارب في الخليج
    translation:
      method: human
      reviewed_by: Desk
    ---
    ## أعجوبة

    في الخليج جزر كثيرة.

    ![](photo.jpg)
    """)


@pytest.fixture(scope="module")
def built_rtl(tmp_path_factory) -> Path:
    """An Arabic translation (right to left) without any caption of its own."""
    root = make_project(tmp_path_factory.mktemp("captions-rtl") / "site")
    photo(root)
    add_images(root, "index.md", f"photo.jpg:\n  caption: {VI_CAPTION}\n  credit: {CREDIT}\n",
               body="![Thuyền trên vịnh](photo.jpg)")
    (root / STORY_DIR / "index.ar.md").write_text(AR, "utf-8")
    stamp_translations(root)
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    return root


def test_source_caption_on_a_right_to_left_page_says_its_language_and_direction(built_rtl):
    assert '<article class="lt-story" lang="ar" dir="rtl">' in page(built_rtl, "ar")
    assert figcaption(body(built_rtl, "ar")).startswith(f'<span lang="vi" dir="ltr">{VI_CAPTION}</span> ')
    assert hero_caption(built_rtl, "ar").startswith(f'<span lang="vi" dir="ltr">{VI_HERO_CAPTION}</span> ')
    # the English page has the same direction as the source: a language, no direction
    assert hero_caption(built_rtl, "en").startswith(f'<span lang="vi">{VI_HERO_CAPTION}</span> ')


# ------------------------------------------------------------------------------------------------ markup


def test_caption_text_is_escaped_and_survives_the_sanitizer():
    from lantoa.site import images, plugin

    pic = {"width": 10, "height": 10, "src": "media/a.jpg", "placeholder": "",
           "sources": [{"type": "image/jpeg", "srcset": [["media/a.jpg", 10]]}]}
    text = {"alt": "a", "caption": "<script>alert(1)</script> & \"x\"", "credit": "<b>c</b>", "license": "L"}
    html = '<p><img alt="" src="lantoa-media:k" /></p>'
    out = plugin.sanitize(images.rewrite_html(html, {"k": dict(pic, text=text)}, lambda p: p,
                                              strings={"story.credit": "Photo", "story.license": "Licence"}))
    assert "<script" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in out
    assert re.fullmatch(r'<figure class="lt-figure"><picture class="lt-pic"><img [^>]*alt="a"[^>]*></picture>'
                        r'<figcaption>.*<span class="lt-credit">Photo: <bdi>&lt;b&gt;c&lt;/b&gt;</bdi> · '
                        r"Licence: <bdi>L</bdi></span></figcaption></figure>", out, re.S), out


def test_an_image_inside_a_sentence_gets_no_figure_but_its_alt_text():
    from lantoa.site import images

    pic = {"width": 10, "height": 10, "src": "a.jpg", "placeholder": "",
           "sources": [{"type": "image/jpeg", "srcset": [["a.jpg", 10]]}],
           "text": {"alt": "front-matter alt", "caption": "C"}}
    out = images.rewrite_html('<p>See <img alt="" src="lantoa-media:k" /> here.</p>', {"k": pic}, lambda p: p)
    assert out.startswith("<p>See <picture") and out.endswith("</picture> here.</p>")
    assert 'alt="front-matter alt"' in out and "<figure" not in out and "C" not in out.replace("<picture class", "")


# ------------------------------------------------------------------------------------------------ lantoa check


def check(root: Path) -> str:
    return run(root, "check").output


def test_alt_text_from_front_matter_satisfies_the_check(project):
    photo(project)
    add_images(project, "index.md", "photo.jpg:\n  alt: Thuyền trên vịnh\n")
    out = check(project)
    assert "missing-alt" not in out and "0 error(s)" in out, out


def test_alt_text_missing_in_both_is_an_error_at_the_image(project):
    photo(project)
    add_images(project, "index.md", "photo.jpg:\n  alt: Thuyền trên vịnh\n")
    line = add_images(project, "index.en.md", "photo.jpg:\n  caption: Boats\n")  # a caption, but no alt
    result = run(project, "check")
    assert result.exit_code == 1
    assert f"{STORY_DIR}/index.en.md:{line}:5: error[missing-alt]: image has no alt text" in result.output
    assert "images:" in result.output  # the hint names both ways


def line_of(root: Path, rel: str, text: str) -> int:
    lines = (root / STORY_DIR / rel).read_text("utf-8").split("\n")
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


@pytest.mark.parametrize("images_yaml, at, expected", [
    ("photo.jpg:\n  alt: Thuyền\n  captoin: Vịnh\n", "    captoin:",
     "5: warning[unknown-key]: unknown key 'captoin' under 'images: photo.jpg' — did you mean 'caption'?"),
    ("photo.jpg:\n  alt: Thuyền\nfoto.jpg:\n  caption: Vịnh\n", "  foto.jpg:",
     "3: warning[unknown-image]: 'images: foto.jpg' names no image of the story folder — did you mean 'photo.jpg'?"),
])
def test_unknown_key_or_image_name_warns_with_did_you_mean(project, images_yaml, at, expected):
    photo(project)
    add_images(project, "index.md", images_yaml)
    out = check(project)
    assert f"{STORY_DIR}/index.md:{line_of(project, 'index.md', at)}:{expected}" in out, out


def test_names_the_text_does_not_show_warn(project):
    photo(project)
    photo(project, "photo.en.jpg")
    photo(project, "other.jpg")
    add_images(project, "index.md", "photo.jpg:\n  alt: Thuyền\nother.jpg:\n  alt: Khác\n")
    add_images(project, "index.en.md", "photo.en.jpg:\n  alt: Boats\n", body="![Boats](photo.jpg)")
    out = check(project)
    assert re.search(r"index.md:\d+:3: warning\[unused-image-text\]: the text of this file does not show "
                     r"'other.jpg'", out), out
    assert re.search(r"index.en.md:\d+:3: warning\[unused-image-text\]: 'images: photo.en.jpg' is a localized "
                     r"copy.* — write 'photo.jpg:'", out), out


def test_wrong_types_and_markup_in_image_text(project):
    photo(project)
    add_images(project, "index.md", "photo.jpg: just text\n")
    add_images(project, "index.en.md", "photo.jpg:\n  alt: Boats\n  caption: <script>x</script>\n")
    out = check(project)
    assert re.search(r"index.md:\d+:3: error\[wrong-type\]: 'images: photo.jpg' must be a set of", out), out
    assert re.search(r"index.en.md:\d+:\d+: error\[html-in-text\]: 'images.photo.jpg.caption' must be plain text",
                     out), out


def test_a_caption_under_an_image_inside_a_sentence_warns(project):
    photo(project)
    line = add_images(project, "index.md", "photo.jpg:\n  alt: Thuyền\n  caption: Vịnh\n",
                      body="Xem ![](photo.jpg) ở đây.")
    out = check(project)
    assert f"{STORY_DIR}/index.md:{line}:9: warning[image-caption-hidden]" in out, out


# ------------------------------------------------------------------------------------------------ translation status


def en_status(root: Path) -> str:
    result = run(root, "translations", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["stories"][0]["status"]["en"]


@pytest.mark.parametrize("old, new, outdated", [
    ("  caption: Vịnh Hạ Long\n", "  caption: Vịnh Hạ Long lúc bình minh\n", True),  # the hero's
    ("  alt: Thuyền buồm giữa các đảo đá vôi\n", "  alt: Thuyền buồm và đảo\n", True),
    ("    caption: Ba khu vực\n", "    caption: Ba khu vực của vịnh\n", True),  # a body image's
    ("    alt: Bản đồ\n", "    alt: Bản đồ vịnh\n", True),
    ("    caption: Ba khu vực\n", "", True),  # a caption removed
    ("  credit: Lan Tỏa\n", "  credit: Ban biên tập\n", False),  # names are not translated
    ("    credit: Nguyễn Thị B\n", "    credit: Trần Văn C\n", False),
    ("    license: CC BY-SA 4.0\n", "    license: CC0 1.0\n", False),
])
def test_image_text_of_the_source_is_part_of_what_a_translation_translates(project, old, new, outdated):
    photo(project)
    add_images(project, "index.md", f"photo.jpg:\n  alt: Bản đồ\n  caption: Ba khu vực\n  credit: {CREDIT}\n"
                                    f"  license: {LICENSE}\n")
    add_images(project, "index.en.md", "photo.jpg:\n  alt: Map\n  caption: Three areas\n")
    stamp_translations(project)
    assert en_status(project) == "reviewed"
    src = project / STORY_DIR / "index.md"
    text = src.read_text("utf-8")
    assert text.count(old) == 1
    src.write_text(text.replace(old, new), "utf-8")
    assert en_status(project) == ("outdated" if outdated else "reviewed")
    stamp_translations(project)  # a fresh review records the new hash
    assert en_status(project) == "reviewed"


# ------------------------------------------------------------------------------------------------ list items and cells


LIST_AND_TABLE = """\
- ![](photo.jpg)
- Một mục chữ

| Ảnh | Ghi chú |
| --- | --- |
| ![](photo.jpg) | Vịnh |
| Chữ và ![](photo.jpg) | Hai |
"""


def test_an_image_alone_in_a_list_item_or_table_cell_is_a_figure_inside_it(project):
    photo(project)
    add_images(project, "index.md", f"photo.jpg:\n  alt: Thuyền\n  caption: {VI_CAPTION}\n  credit: {CREDIT}\n",
               body=LIST_AND_TABLE)
    out = check(project)
    # only the image that shares its cell with text has its caption hidden
    hidden = re.findall(r"index.md:(\d+):\d+: warning\[image-caption-hidden\]", out)
    assert hidden == [str(line_of(project, "index.md", "| Chữ và"))], out
    result = run(project, "build")
    assert result.exit_code == 0, result.output
    html = body(project)
    assert re.search(r'<li><figure class="lt-figure"><picture class="lt-pic">.*?</picture><figcaption>'
                     rf"{VI_CAPTION} <span class=\"lt-credit\">.*?</figcaption></figure></li>", html, re.S), html
    assert re.search(r'<td><figure class="lt-figure"><picture class="lt-pic">.*?</figure></td>', html, re.S), html
    assert len(figures(html)) == 2  # the image beside text in its cell stays a bare picture
    assert re.search(r"<td>Chữ và <picture class=\"lt-pic\">", html), html


@pytest.mark.parametrize("markdown, alone", [
    ("- ![](photo.jpg)", True),
    ("1. ![](photo.jpg)\n2. Hai", True),
    ("- ![](photo.jpg) và chữ", False),
    ("- ![](photo.jpg)\n  tiếp theo", False),  # the next line continues the item
    ("| a | b |\n| --- | --- |\n| ![](photo.jpg) | x |", True),
    ("| a | b |\n| --- | --- |\n| x ![](photo.jpg) | x |", False),
    ("a | b ![](photo.jpg)", False),  # a "|" in a paragraph: no table
])
def test_the_check_knows_which_images_markdown_makes_blocks_of_their_own(markdown, alone):
    from lantoa.validate import markup, rules

    lines = markdown.split("\n")
    (link,) = [link for link in markup.scan("\n".join(lines))[1] if link.image]
    assert rules._alone(lines, link.line, link.col) is alone


def test_rewrite_html_puts_the_figure_inside_a_list_item_or_cell():
    from lantoa.site import images

    pic = {"width": 10, "height": 10, "src": "a.jpg", "placeholder": "",
           "sources": [{"type": "image/jpeg", "srcset": [["a.jpg", 10]]}], "text": {"alt": "a", "caption": "C"}}
    for html, box in [('<ul>\n<li><img alt="" src="lantoa-media:k" /></li>\n</ul>', "li"),
                      ('<td align="left"><img alt="" src="lantoa-media:k" /></td>', "td"),
                      ('<li>\n<p><img alt="" src="lantoa-media:k" /></p>\n</li>', "p")]:
        out = images.rewrite_html(html, {"k": pic}, lambda p: p)
        assert '<figure class="lt-figure"><picture' in out and "<figcaption>C</figcaption></figure>" in out, out
        if box != "p":
            assert re.search(rf"<{box}\b[^>]*><figure .*</figure></{box}>", out, re.S), out
        else:
            assert "<p>" not in out and out.startswith("<li>\n<figure"), out


def test_an_image_and_its_localized_copies_are_found_as_by_a_stat_of_each(tmp_path):
    """The staging lists a story's folder once (loader.regular_files) instead of two ``stat``
    calls for each image and its copy in every language: the same files found, links and
    folders left out as before."""
    from types import SimpleNamespace

    from lantoa.content.loader import regular_files
    from lantoa.site import images

    folder = tmp_path / "story"
    folder.mkdir()
    for name in ("photo.jpg", "photo.fr.jpg", "photo.km.JPG", "notes.txt"):
        (folder / name).write_bytes(b"x")
    (folder / "photo.en.jpg").symlink_to(folder / "photo.jpg")  # a link: never an image of ours
    (folder / "photo.ar.jpg").mkdir()  # a folder with an image's name
    entry = SimpleNamespace(dir=folder)
    files = regular_files(folder)
    names = ["photo.jpg", "photo.fr.jpg", "photo.km.JPG", "photo.en.jpg", "photo.ar.jpg", "photo.vi.jpg",
             "notes.txt", "../photo.jpg", "https://example.org/p.jpg", ""]
    found = {name: images._local_image(entry, name, files) for name in names}
    assert found == {name: images._local_image(entry, name) for name in names}
    assert sorted(n for n, p in found.items() if p) == ["photo.fr.jpg", "photo.jpg", "photo.km.JPG"]
    assert regular_files(tmp_path / "missing") == frozenset()
