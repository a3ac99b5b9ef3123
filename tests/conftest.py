"""Shared fixtures: tiny projects in tmp_path, and the sample site built once per session."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

ARTIFACTS = Path(os.environ.get("LANTOA_TEST_ARTIFACTS", REPO / "test-artifacts"))
# every build of the suite, here and in the processes it starts, stages again each edition it takes
# from its kept staging and fails if the keys differ (lantoa.site.builder.CHECK_STAGING)
os.environ["LANTOA_CHECK_STAGING"] = "1"

STORY = textwrap.dedent("""\
    ---
    title: Vịnh Hạ Long
    summary: Hơn một nghìn hòn đảo đá vôi giữa biển xanh.
    date: 2023-09-01
    category: heritage
    tags: [UNESCO]
    authors: [Ban biên tập]
    hero:
      src: hero.jpg
      alt: Thuyền buồm giữa các đảo đá vôi
      caption: Vịnh Hạ Long
      credit: Lan Tỏa
      license: CC BY 4.0
    sources:
      - title: UNESCO
        url: https://whc.unesco.org/en/list/672/
        as_of: 2023-12-31
    status: published
    ---
    ## Kỳ quan

    Vịnh có nhiều đảo đá vôi.
    """)

TRANSLATION_EN = textwrap.dedent("""\
    ---
    title: Ha Long Bay
    summary: More than a thousand limestone islands in a green sea.
    hero:
      alt: Sailing boats among limestone islands
    translation:
      method: human
      reviewed_by: Desk
    ---
    ## A wonder

    The bay has many limestone islands.
    """)

HOME = "---\ntitle: Lan Tỏa\nsummary: Việt Nam kể bằng nhiều ngôn ngữ.\nstatus: published\n---\nChào mừng.\n"

#: the languages a tiny project registers (a sample of each kind of script and direction)
TINY_LANGS = ("vi", "en", "km", "ar", "tyz", "blt-Tavt")


def make_project(root: Path, langs=TINY_LANGS) -> Path:
    """A small, valid project: real locales, theme and mkdocs.yml from the repository, one story."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "locales").mkdir()
    for tag in langs:
        shutil.copy(REPO / "locales" / f"{tag}.yml", root / "locales" / f"{tag}.yml")
    shutil.copytree(REPO / "theme", root / "theme")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    content = root / "content"
    (content / "stories" / "vinh-ha-long").mkdir(parents=True)
    (content / "pages" / "home").mkdir(parents=True)
    shutil.copy(REPO / "content" / "categories.yml", content / "categories.yml")
    story = content / "stories" / "vinh-ha-long"
    (story / "index.md").write_text(STORY, "utf-8")
    (story / "index.en.md").write_text(TRANSLATION_EN, "utf-8")
    from PIL import Image

    Image.new("RGB", (800, 500), (40, 110, 150)).save(story / "hero.jpg", quality=80)
    (content / "pages" / "home" / "index.md").write_text(HOME, "utf-8")
    stamp_translations(root)
    return root


def stamp_translations(root: Path) -> None:
    """Record the current source hash in every translation (as 'lantoa translations mark' does)."""
    from lantoa import validate
    from lantoa.content import translations
    from lantoa.content.edit import set_translation_fields

    checked = validate.check(root)
    for entry in checked.project.entries():
        for variant in entry.translations.values():
            set_translation_fields(root / variant.path, {"source_hash": translations.source_hash(entry)})


def tree_digest(path: Path) -> str:
    """One hash over every file's path and bytes: 'byte-for-byte untouched' in one comparison."""
    h = hashlib.sha256()
    if not path.exists():
        return "missing"
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(path).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path / "site")


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """A tiny project built once (with a previous build/site to compare against)."""
    root = make_project(tmp_path_factory.mktemp("built") / "site")
    from click.testing import CliRunner

    from lantoa.cli import main

    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build"])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The repository's own sample site, built once per session into a temporary folder."""
    out = tmp_path_factory.mktemp("sample") / "site"
    from click.testing import CliRunner

    from lantoa.cli import main

    result = CliRunner().invoke(main, ["-C", str(REPO), "-q", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


# --------------------------------------------------------------------------
# browser tests: the sample site on a local server, Chromium, a local context and a page
# (helpers in tests/browser_util.py; each test_*_browser.py module skips itself without Chromium)


@pytest.fixture(scope="session")
def server(sample_site):
    """The sample site on http://127.0.0.1:<free port>/, one server for the session."""
    from browser_util import SiteServer

    with SiteServer(sample_site) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, one per module: Playwright's sync API runs one instance at a time per
    process, and test_csp.py and test_media.py start their own."""
    from browser_util import chromium

    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def network_log():
    """Every request URL of every page the module's ``context`` opened."""
    return []


@pytest.fixture(scope="module")
def context(browser, server, network_log):
    """One context per module. Its route keeps every request from leaving 127.0.0.1 (a test must
    never hang on, or reach, the internet) and, as any route does, turns the HTTP cache off: every
    page really fetches its fonts and images, so the tests see those requests."""
    from browser_util import VIEWPORT, local_context

    ctx = local_context(browser, server, viewport=VIEWPORT)
    ctx.on("request", lambda req: network_log.append(req.url))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A new page of the module's ``context``, closed after the test."""
    p = context.new_page()
    yield p
    p.close()
