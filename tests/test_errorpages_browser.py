"""In Chromium: the 404 pages of the Tai Viet and Cham editions say it in their own script, drawn
with the site's self-hosted subset fonts (no system font, no tofu)."""

from __future__ import annotations

import pytest

from browser_util import CHROMIUM, font_faces, in_script, system_fonts

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")

pytestmark = pytest.mark.browser

#: edition -> (its font family in fonts/fonts.css, ISO 15924 code)
EDITIONS = {"blt-Tavt": ("Lantoa Tai Viet", "Tavt"), "cjm-Cham": ("Lantoa Cham", "Cham")}
TEXT = "article.md-content__inner h1, article.md-content__inner p"


@pytest.mark.parametrize("tag", list(EDITIONS))
def test_404_page_renders_in_its_script_with_our_fonts(page, server, sample_site, tag):
    family, script = EDITIONS[tag]
    fonts = []
    page.on("requestfinished", lambda req: "/fonts/" in req.url and fonts.append(req.url.rsplit("/", 1)[-1]))
    page.goto(server.url(f"/{tag}/404.html"))
    page.evaluate("document.fonts.ready.then(() => true)")
    texts = page.locator(TEXT).all_inner_texts()
    assert len(texts) == 3 and all(in_script(t, script) for t in texts), texts
    ours = {f.file for f in font_faces(sample_site) if f.family == family}
    assert ours & set(fonts), f"none of {sorted(ours)} was loaded; font requests: {fonts}"
    system = system_fonts(page, TEXT)
    assert not system, f"drawn (partly) with system fonts: {[(t, [f['familyName'] for f in fs]) for t, fs in system]}"
