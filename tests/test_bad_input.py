"""Bad input never crashes and never touches the published site.

Every case starts from a tiny valid project that was built once (so
``build/site`` exists), breaks one thing, then runs ``lantoa check`` and
``lantoa build``. Both must exit 1, point at the right file and line with the
right ``error[code]``, print no traceback, and leave ``build/site`` byte for
byte as it was.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, STORY, TRANSLATION_EN, make_project, tree_digest
from lantoa.cli import main

STORY_DIR = "content/stories/vinh-ha-long"
SRC = f"{STORY_DIR}/index.md"
EN = f"{STORY_DIR}/index.en.md"
HOME_PAGE = "content/pages/home/index.md"

# Line numbers of the tiny story (conftest.STORY), for reference:
#   1 ---               8 hero:               15   - title: UNESCO
#   2 title:            9   src: hero.jpg     16     url: https://...
#   3 summary:         10   alt: ...          17     as_of: 2023-12-31
#   4 date:            11   caption: ...      18 status: published
#   5 category:        12   credit: ...       19 ---
#   6 tags:            13   license: ...      20 ## Kỳ quan
#   7 authors:         14 sources:            21
#                                             22 Vịnh có nhiều đảo đá vôi.
BODY_LINE = "Vịnh có nhiều đảo đá vôi."
assert STORY.splitlines()[21] == BODY_LINE and STORY.splitlines()[18] == "---"
assert TRANSLATION_EN.splitlines()[6] == "  method: human"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """One tiny project, built once per module (per xdist worker)."""
    root = make_project(tmp_path_factory.mktemp("bad-input-baseline") / "site")
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build"])
    assert result.exit_code == 0, result.output
    assert (root / "build" / "site" / "index.html").is_file()
    return root


@pytest.fixture
def fresh(baseline, tmp_path) -> Path:
    """A private copy of the built baseline, safe to break."""
    root = tmp_path / "site"
    shutil.copytree(baseline, root, symlinks=True)
    return root


# --------------------------------------------------------------------------- edits


def replace_in(rel: str, old: str, new: str):
    """An edit replacing exactly one occurrence of ``old`` in file ``rel``."""

    def edit(root: Path) -> None:
        path = root / rel
        text = path.read_text("utf-8")
        assert text.count(old) == 1, f"{old!r} must occur once in {rel}"
        path.write_text(text.replace(old, new), "utf-8")

    return edit


def story(old: str, new: str):
    return replace_in(SRC, old, new)


def body(line: str):
    """Replace the body's text line (file line 22) with ``line``."""
    return story(BODY_LINE, line)


def write_bytes(rel: str, data: bytes):
    def edit(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return edit


def write_text(rel: str, text: str):
    return write_bytes(rel, text.encode("utf-8"))


def both(*edits):
    def edit(root: Path) -> None:
        for one in edits:
            one(root)

    return edit


def copy_story_folder(name: str):
    def edit(root: Path) -> None:
        shutil.copytree(root / STORY_DIR, root / "content" / "stories" / name, symlinks=True)

    return edit


def symlink_outside(root: Path) -> None:
    os.symlink("/etc/hostname", root / STORY_DIR / "hostname.jpg")


def symlinked_story_folder(root: Path) -> None:
    os.symlink("/etc", root / "content" / "stories" / "etc")


def line_of(path: Path, start: str) -> int:
    return next(i for i, ln in enumerate(path.read_text("utf-8").splitlines(), 1) if ln.startswith(start))


KM_DIR_LINE = line_of(REPO / "locales" / "km.yml", "dir:")


BILLION_LAUGHS = (
    'title: Vịnh Hạ Long\n'
    'lol1: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    'lol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n'
    'lol3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n'
    'lol4: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n'
)

LATIN1 = STORY.replace("title: Vịnh Hạ Long", "title: Café").encode("utf-8").replace(
    "Café".encode("utf-8"), "Café".encode("latin-1"))


# --------------------------------------------------------------------------- cases
#
# (edit, file, line, code, extra): the output must contain a line starting with
# "<file>:<line>:" that carries "error[<code>]" and every string in ``extra``.

CASES = [
    # --- YAML syntax
    pytest.param(story("  alt: Thuyền", " alt: Thuyền"), SRC, 10, "yaml-syntax", (), id="yaml-bad-indentation"),
    pytest.param(story("tags: [UNESCO]", "tags: [UNESCO"), SRC, 6, "yaml-syntax", (), id="yaml-unclosed-bracket"),
    # --- types and required fields
    pytest.param(story("title: Vịnh Hạ Long", "title: [Vịnh, Hạ Long]"), SRC, 2, "wrong-type", ("'title'",),
                 id="title-is-a-list"),
    pytest.param(story("tags: [UNESCO]", "tags: {UNESCO: yes}"), SRC, 6, "wrong-type", ("'tags'",),
                 id="tags-is-a-mapping"),
    pytest.param(story("title: Vịnh Hạ Long\n", ""), SRC, 2, "missing-field", ("'title'",), id="missing-title"),
    pytest.param(story("summary: Hơn một nghìn hòn đảo đá vôi giữa biển xanh.\n", ""), SRC, 2, "missing-field",
                 ("'summary'",), id="missing-summary"),
    pytest.param(story("date: 2023-09-01\n", ""), SRC, 2, "missing-field", ("'date'",), id="missing-date"),
    pytest.param(story("summary: Hơn một nghìn hòn đảo đá vôi giữa biển xanh.", "summary: " + "ă" * 301), SRC, 3,
                 "too-long", ("301",), id="summary-too-long"),
    pytest.param(story("category: heritage", "category: heritag"), SRC, 5, "unknown-category",
                 ("did you mean 'heritage'",), id="unknown-category"),
    # --- languages
    pytest.param(write_text(f"{STORY_DIR}/index.xx.md", TRANSLATION_EN), f"{STORY_DIR}/index.xx.md", 1,
                 "unknown-language", ("'xx'",), id="unknown-language-file"),
    pytest.param(write_text(f"{STORY_DIR}/index.ty.md", TRANSLATION_EN), f"{STORY_DIR}/index.ty.md", 1,
                 "unknown-language", ("'ty'", "tyz"), id="look-alike-ty"),
    pytest.param(story("category: heritage\n", "category: heritage\nlang: no\n"), SRC, 6, "unknown-language",
                 ("'no'",), id="lang-no-is-not-false"),
    # --- folders and files
    pytest.param(copy_story_folder("Vinh-Ha-Long"), STORY_DIR, 1, "duplicate-slug",
                 ("'Vinh-Ha-Long'",), id="duplicate-slug-case"),
    pytest.param(write_text("content/stories/orphan/index.en.md", TRANSLATION_EN), "content/stories/orphan/index.en.md",
                 1, "translation-without-source", (), id="translation-without-source"),
    # --- media paths
    pytest.param(story("src: hero.jpg", "src: ../../../etc/passwd"), SRC, 9, "path-outside", (),
                 id="hero-path-traversal"),
    pytest.param(story("src: hero.jpg", "src: /etc/hostname"), SRC, 9, "path-outside", (), id="hero-absolute"),
    pytest.param(story("src: hero.jpg", "src: hera.jpg"), SRC, 9, "missing-media", ("did you mean 'hero.jpg'",),
                 id="hero-missing"),
    pytest.param(symlink_outside, f"{STORY_DIR}/hostname.jpg", 1, "symlink", ("outside",), id="symlink-outside"),
    # --- unsafe body
    pytest.param(body("<script>alert(1)</script>"), SRC, 22, "unsafe-html", (), id="body-script"),
    pytest.param(body("Xem [x](javascript:alert(1)) nhé."), SRC, 22, "unsafe-link", ("javascript",),
                 id="body-javascript-link"),
    pytest.param(body("Xem [x](jav&#x61;script:alert(1)) nhé."), SRC, 22, "unsafe-link", ("javascript",),
                 id="body-obfuscated-javascript-link"),
    pytest.param(body("Xem [x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) nhé."), SRC, 22,
                 "unsafe-link", ("data",), id="body-data-link"),
    pytest.param(body("<img src=x onerror=alert(1)>"), SRC, 22, "unsafe-html", (), id="body-onerror"),
    pytest.param(body('<span onclick="alert(1)">x</span>'), SRC, 22, "unsafe-html", ("onclick",),
                 id="body-event-attribute-on-allowed-tag"),
    pytest.param(body('<iframe src="https://example.com/"></iframe>'), SRC, 22, "unsafe-html", ("iframe",),
                 id="body-iframe"),
    pytest.param(body("![](hero.jpg)"), SRC, 22, "missing-alt", (), id="body-image-without-alt"),
    # --- unsafe plain-text fields
    pytest.param(story("summary: Hơn một nghìn hòn đảo đá vôi giữa biển xanh.",
                       "summary: '\"><script>alert(1)</script>'"), SRC, 3, "html-in-text", ("summary",),
                 id="summary-script"),
    pytest.param(story("title: Vịnh Hạ Long", "title: <b>Vịnh</b> Hạ Long"), SRC, 2, "html-in-text", ("title",),
                 id="title-html"),
    # --- encodings and sizes
    pytest.param(write_bytes(SRC, LATIN1), SRC, 2, "encoding", (), id="latin-1"),
    pytest.param(write_bytes(SRC, b"\xef\xbb\xbf" + STORY.encode("utf-8")), SRC, 1, "bom", (), id="bom"),
    pytest.param(write_bytes(SRC, STORY.replace("\n", "\r\n").encode("utf-8")), SRC, 1, "line-endings", (),
                 id="crlf"),
    pytest.param(write_bytes(SRC, b""), SRC, 1, "empty-file", (), id="empty-file"),
    pytest.param(write_text(SRC, "---\ntitle: " + "a" * 10_000_000 + "\n---\n"), SRC, 1, "file-too-large", (),
                 id="ten-megabyte-front-matter"),
    # --- hostile YAML
    pytest.param(story("title: Vịnh Hạ Long\n", BILLION_LAUGHS), SRC, 4, "yaml-alias", (), id="yaml-alias-bomb"),
    pytest.param(story("tags: [UNESCO]", 'tags: !!python/object/apply:os.system ["touch /tmp/lantoa-pwned"]'), SRC,
                 6, "yaml-tag", (), id="yaml-python-tag"),
    pytest.param(story("summary: Hơn", "title: Hai lần\nsummary: Hơn"), SRC, 3, "duplicate-key", ("'title'",),
                 id="duplicate-key"),
    # --- dates
    pytest.param(story("date: 2023-09-01", "date: 2999-09-01"), SRC, 4, "future-date", (),
                 id="future-date-published"),
    pytest.param(story("date: 2023-09-01\n", "date: 2023-09-01\nupdated: 2023-08-31\n"), SRC, 5, "bad-date",
                 ("'updated'",), id="updated-before-date"),
    # --- translations, sources, hero
    pytest.param(replace_in(EN, "method: human", "method: robot"), EN, 7, "bad-value", ("'robot'",),
                 id="bad-translation-method"),
    pytest.param(story("url: https://whc.unesco.org/en/list/672/", "url: javascript:alert(1)"), SRC, 16,
                 "bad-source-url", (), id="source-url-javascript"),
    pytest.param(story("  alt: Thuyền buồm giữa các đảo đá vôi\n", ""), SRC, 8, "missing-alt", (),
                 id="hero-without-alt"),
    # --- more of the same kinds: values, paths, links, files
    pytest.param(story("title: Vịnh Hạ Long", "title: " + "a" * 121), SRC, 2, "too-long", ("121",),
                 id="title-too-long"),
    pytest.param(story("status: published", "status: publish"), SRC, 18, "bad-value", ("did you mean 'published'",),
                 id="status-typo"),
    pytest.param(story("date: 2023-09-01", "date: 01/09/2023"), SRC, 4, "bad-date", ("01/09/2023",),
                 id="date-not-iso"),
    pytest.param(story("date: 2023-09-01", "date: 2023-02-30"), SRC, 4, "bad-date", (), id="date-impossible"),
    pytest.param(story("title: Vịnh Hạ Long", "title: true"), SRC, 2, "wrong-type", ("'title'",), id="title-is-true"),
    pytest.param(story("src: hero.jpg", "src: https://example.com/hero.jpg"), SRC, 9, "remote-media", (),
                 id="hero-remote"),
    pytest.param(story("src: hero.jpg", "src: ..\\..\\hero.jpg"), SRC, 9, "path-outside", (),
                 id="hero-backslash-traversal"),
    pytest.param(body("![Bản đồ](../../../etc/passwd)"), SRC, 22, "path-outside", (), id="body-image-traversal"),
    pytest.param(body("![Bản đồ](https://example.com/map.png)"), SRC, 22, "remote-media", (), id="body-image-remote"),
    # the build processes only the images in the story folder itself: one in a folder of it is refused
    pytest.param(body("![Bản đồ](img/map.jpg)"), SRC, 22, "media-subfolder", ("write 'map.jpg'",),
                 id="body-image-in-a-subfolder"),
    pytest.param(story("src: hero.jpg", "src: ./photos/hero.jpg"), SRC, 9, "media-subfolder", ("write 'hero.jpg'",),
                 id="hero-in-a-subfolder"),
    # links: to a file the site does not publish, to a file or a story that is not there
    pytest.param(both(write_bytes(f"{STORY_DIR}/to-roi.pdf", b"%PDF-1.4\n"), body("Xem [tờ rơi](to-roi.pdf) nhé.")),
                 SRC, 22, "unpublished-file", ("'to-roi.pdf'",), id="link-to-a-pdf-beside-the-story"),
    pytest.param(body("Xem [ghi chú](ghi-chu.txt) nhé."), SRC, 22, "broken-link", ("no 'ghi-chu.txt' here",),
                 id="link-to-a-missing-file"),
    pytest.param(both(copy_story_folder("hoi-an"), body("Xem [Hội An](../hoi-am/index.md) nhé.")), SRC, 22,
                 "broken-link", ("no story 'hoi-am'", "did you mean '../hoi-an/'"), id="link-to-a-misspelt-story"),
    pytest.param(both(copy_story_folder("hoi-an"), body("Xem [Hội An](../hoi-an/hero.jpg) nhé.")), SRC, 22,
                 "broken-link", ("only a story's page is published",), id="link-to-another-story-s-file"),
    # a page links by the content folder's paths too: the site's path is refused, with the one to write
    pytest.param(replace_in(HOME_PAGE, "Chào mừng.", "Xem [Hạ Long](stories/vinh-ha-long/)."), HOME_PAGE, 6,
                 "broken-link", ("no 'stories/vinh-ha-long' here", "did you mean '../../stories/vinh-ha-long/'"),
                 id="link-from-a-page-by-the-site-s-path"),
    pytest.param(body("Xem [giới thiệu](../../pages/gioi-thieu/) nhé."), SRC, 22, "broken-link",
                 ("no page 'gioi-thieu'",), id="link-to-a-missing-page"),
    pytest.param(both(copy_story_folder("hoi-an"), body("Xem [Hội An](../hoi-an/index.en.md) nhé.")), SRC, 22,
                 "broken-link", ("one page in each edition", "link to the story: ../hoi-an/"),
                 id="link-to-one-translation-of-a-story"),
    pytest.param(body("Xem [x](JaVaScRiPt:alert(1)) nhé."), SRC, 22, "unsafe-link", (), id="body-javascript-mixed-case"),
    pytest.param(body("Xem [x](vbscript:msgbox(1)) nhé."), SRC, 22, "unsafe-link", ("vbscript",),
                 id="body-vbscript-link"),
    pytest.param(body("Xem <javascript:alert(1)> nhé."), SRC, 22, "unsafe-link", (), id="body-javascript-autolink"),
    pytest.param(body("Xem [x][r] nhé.\n\n[r]: javascript:alert(1)"), SRC, 24, "unsafe-link", (),
                 id="body-javascript-reference-link"),
    pytest.param(body("Xem [x](< javascript:alert(1)>) nhé."), SRC, 22, "unsafe-link", (),
                 id="body-javascript-link-in-spaced-angle-brackets"),
    pytest.param(body("Xem [x](\njavascript:alert(1)) nhé."), SRC, 23, "unsafe-link", (),
                 id="body-javascript-link-split-over-lines"),
    pytest.param(body('<a href="https://example.com/">x</a>'), SRC, 22, "unsafe-html", (), id="body-raw-anchor"),
    pytest.param(body("<style>body{display:none}</style>"), SRC, 22, "unsafe-html", (), id="body-style"),
    pytest.param(body("<script\n>alert(1)</script>"), SRC, 22, "unsafe-html", (), id="body-script-split-tag"),
    pytest.param(body("<div>khối</div>"), SRC, 22, "raw-html", ("div",), id="body-raw-div"),
    pytest.param(write_bytes(SRC, STORY.replace(BODY_LINE, "Vịnh\x00").encode("utf-8")), SRC, 22, "encoding", (),
                 id="nul-byte"),
    pytest.param(write_text(SRC, "Vịnh Hạ Long\n\nKhông có front matter.\n"), SRC, 1, "no-front-matter", (),
                 id="no-front-matter"),
    pytest.param(write_text(SRC, "---\n- title\n- summary\n---\nVịnh.\n"), SRC, 2, "front-matter-type", (),
                 id="front-matter-is-a-list"),
    pytest.param(symlinked_story_folder, "content/stories/etc", 1, "symlink", ("outside",),
                 id="symlinked-story-folder"),
    pytest.param(copy_story_folder("Ha Long"), "content/stories/Ha Long", 1, "bad-slug", ("'ha-long'",),
                 id="folder-name-not-a-slug"),
    pytest.param(write_text("content/pages/stories/index.md", "---\ntitle: x\nsummary: y\n---\n"),
                 "content/pages/stories", 1, "reserved-slug", (), id="reserved-page-name"),
    pytest.param(write_text("content/categories.yml", "categories: [history, culture\n"), "content/categories.yml", 1,
                 "yaml-syntax", (), id="categories-broken-yaml"),
    pytest.param(replace_in("locales/km.yml", 'dir: "ltr"', 'dir: "sideways"'), "locales/km.yml", KM_DIR_LINE,
                 "bad-dir", ("sideways",), id="locale-bad-dir"),
]


# --------------------------------------------------------------------------- helpers


def invoke(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args])


def assert_clean_failure(result, what: str) -> None:
    assert result.exit_code == 1, f"{what}: exit {result.exit_code}\n{result.output}"
    assert "Traceback" not in result.output, f"{what}:\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{what}: {result.exception!r}\n{result.output}")


def assert_diagnostic(output: str, path: str, line: int, code: str, extra=(), severity: str = "error") -> None:
    prefix = f"{path}:{line}:"
    lines = [ln for ln in output.splitlines() if ln.startswith(prefix)]
    wanted = [ln for ln in lines if re.match(rf"{re.escape(prefix)}\d+: {severity}\[{re.escape(code)}\]:", ln)]
    assert wanted, f"no '{prefix}<col>: {severity}[{code}]' line in:\n{output}"
    for text in extra:
        assert any(text in ln for ln in wanted), f"{text!r} not in {wanted}"


# --------------------------------------------------------------------------- tests


def test_at_least_thirty_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("edit, path, line, code, extra", CASES)
def test_bad_input(fresh, edit, path, line, code, extra):
    site = fresh / "build" / "site"
    before = tree_digest(site)
    assert before != "missing"
    edit(fresh)

    checked = invoke(fresh, "check")
    assert_clean_failure(checked, "check")
    assert_diagnostic(checked.output, path, line, code, extra)

    built = invoke(fresh, "build")
    assert_clean_failure(built, "build")
    assert_diagnostic(built.output, path, line, code, extra)
    assert "build/site is unchanged" in built.output
    assert tree_digest(site) == before, "build/site changed after a refused build"


def test_unknown_key_is_a_warning(fresh):
    """An unknown front-matter key warns: check passes, --strict fails, build --strict refuses."""
    site = fresh / "build" / "site"
    before = tree_digest(site)
    story("category: heritage\n", "category: heritage\ncolour: blue\n")(fresh)

    checked = invoke(fresh, "check")
    assert checked.exit_code == 0, checked.output
    assert "Traceback" not in checked.output
    assert_diagnostic(checked.output, SRC, 6, "unknown-key", ("'colour'",), severity="warning")

    strict = invoke(fresh, "check", "--strict")
    assert_clean_failure(strict, "check --strict")
    assert_diagnostic(strict.output, SRC, 6, "unknown-key", ("'colour'",), severity="warning")

    built = invoke(fresh, "build", "--strict")
    assert_clean_failure(built, "build --strict")
    assert_diagnostic(built.output, SRC, 6, "unknown-key", severity="warning")
    assert tree_digest(site) == before


def test_unknown_key_did_you_mean(fresh):
    story("category: heritage\n", "category: heritage\nsumary: x\n")(fresh)
    checked = invoke(fresh, "check")
    assert_diagnostic(checked.output, SRC, 6, "unknown-key", ("did you mean 'summary'",), severity="warning")


def test_yaml_tag_is_not_executed(fresh, tmp_path):
    marker = tmp_path / "pwned"
    story("tags: [UNESCO]", f'tags: !!python/object/apply:os.system ["touch {marker}"]')(fresh)
    result = invoke(fresh, "check")
    assert result.exit_code == 1
    assert not marker.exists()


def test_twin_folders_report_both(fresh):
    """'Vinh-Ha-Long' beside 'vinh-ha-long': the capitalised one is not a slug, the pair makes one address."""
    copy_story_folder("Vinh-Ha-Long")(fresh)
    result = invoke(fresh, "check")
    assert_clean_failure(result, "check")
    assert_diagnostic(result.output, "content/stories/Vinh-Ha-Long", 1, "bad-slug", ("'vinh-ha-long'",))
    assert_diagnostic(result.output, STORY_DIR, 1, "duplicate-slug", ("'Vinh-Ha-Long'",))


def test_links_to_stories_pass_and_one_to_a_draft_warns(fresh):
    """A story links to another by its folder or its index.md (the site's address for it, as MkDocs
    makes it), to its own image, or to a heading; a link to a story that is not published warns."""
    copy_story_folder("hoi-an")(fresh)
    replace_in("content/stories/hoi-an/index.md", "title: Vịnh Hạ Long", "title: Hội An")(fresh)
    body("Xem [Hội An](../hoi-an/index.md), [lại](../hoi-an/#ky-quan), [ảnh](hero.jpg) và [đầu](#ky-quan).")(fresh)
    checked = invoke(fresh, "check")
    assert checked.exit_code == 0 and "0 error(s), 0 warning(s)" in checked.output, checked.output
    built = invoke(fresh, "build")
    assert built.exit_code == 0, built.output
    page = (fresh / "build" / "site" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    assert 'href="../hoi-an/"' in page and 'href="../hoi-an/#ky-quan"' in page
    replace_in("content/stories/hoi-an/index.md", "status: published", "status: draft")(fresh)
    checked = invoke(fresh, "check")
    assert checked.exit_code == 0, checked.output
    assert_diagnostic(checked.output, SRC, 22, "link-to-unpublished", ("'hoi-an' is not published",), "warning")


def _hrefs_lead_to_files(site: Path, page: str) -> list[str]:
    """The relative links of a built page, each checked to lead to a page of the site."""
    hrefs = re.findall(r'<a href="(?![A-Za-z][A-Za-z0-9+.-]*:|/|#)([^"#?]+)', (site / page).read_text("utf-8"))
    for href in hrefs:
        target = os.path.normpath(os.path.join(os.path.dirname(page), href))
        assert not target.startswith(".."), (page, href)
        assert (site / target / "index.html").is_file() or (site / target).is_file(), (page, href, target)
    return hrefs


def test_pages_and_stories_link_each_other_by_their_folders_in_content(fresh):
    """A page links to a story as ../../stories/<slug>/, a story to a page as ../../pages/<slug>/,
    a page to the home page as ../home/: paths in content/, which the build turns into the site's
    (a story is at stories/<slug>/, a page at <slug>/, the home page at the edition's root). Every
    edition's page leads to the same edition's page, whatever the language of the text it shows."""
    about = fresh / "content" / "pages" / "about"
    about.mkdir()
    (about / "index.md").write_text(
        "---\ntitle: Giới thiệu\nsummary: Về Lan Tỏa.\nstatus: published\n---\n"
        "Đọc [Hạ Long](../../stories/vinh-ha-long/index.md#ky-quan), [lại][hl] hoặc về [trang chủ](../home/).\n\n"
        "[hl]: ../../stories/vinh-ha-long/\n", "utf-8")
    body("Xem [giới thiệu](../../pages/about/) và [trang chủ](../../pages/home/index.md).")(fresh)
    replace_in(HOME_PAGE, "Chào mừng.", "Chào mừng. [Hạ Long](../../stories/vinh-ha-long/)")(fresh)
    checked = invoke(fresh, "check")
    assert checked.exit_code == 0 and "0 error(s), 0 warning(s)" in checked.output, checked.output
    built = invoke(fresh, "build")
    assert built.exit_code == 0, built.output
    site = fresh / "build" / "site"
    for prefix in ("", "en/", "km/"):  # en and km show the Vietnamese page (they have no translation of it)
        hrefs = _hrefs_lead_to_files(site, f"{prefix}about/index.html")
        assert {"../stories/vinh-ha-long/", "../"} <= set(hrefs), hrefs
        assert 'href="../stories/vinh-ha-long/#ky-quan"' in (site / prefix / "about/index.html").read_text("utf-8")
        assert "stories/vinh-ha-long/" in _hrefs_lead_to_files(site, f"{prefix}index.html")
    story_hrefs = _hrefs_lead_to_files(site, "stories/vinh-ha-long/index.html")
    assert {"../../about/", "../../"} <= set(story_hrefs), story_hrefs
    _hrefs_lead_to_files(site, "km/stories/vinh-ha-long/index.html")  # km shows the Vietnamese story
