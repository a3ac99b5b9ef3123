"""The media pipeline: private, upright, responsive, cached images, and every bad input as a diagnostic.

A module-scoped project carries a camera-like photo (EXIF orientation 6, GPS, XMP, a camera
model) as the hero, body images (a localized copy for the English edition, a palette PNG with
transparency) and is built once; bad inputs each start from a fresh tiny project.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from conftest import REPO, make_project
from lantoa.cli import main
from lantoa.media import batch, pipeline  # noqa: F401 - also caps AVIF decoding at one thread (see pipeline)
from lantoa.media.settings import Settings

STORY_DIR = "content/stories/vinh-ha-long"
SRC = f"{STORY_DIR}/index.md"
EN = f"{STORY_DIR}/index.en.md"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif"}
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="20,54.0N"/></rdf:RDF>'
       b'</x:xmpmeta>')


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args])


def photo(size=(2400, 1600), seed=0) -> Image.Image:
    """Photo-like: gradients, noise and shapes (Pillow only)."""
    w, h = size
    r = Image.linear_gradient("L").resize(size)
    g = Image.linear_gradient("L").rotate(90).resize(size)
    b = Image.effect_noise(size, 40 + seed)
    im = Image.merge("RGB", (r, g, b))
    d = ImageDraw.Draw(im)
    for i in range(12):
        x, y = (i * 197 + seed * 31) % w, (i * 113 + seed * 17) % h
        d.ellipse((x, y, x + w // 8, y + h // 10), fill=((i * 40) % 256, 90, (i * 70) % 256))
    return im


def camera_exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "LantoaCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (20.0, 54.0, 0.0), 3: "E", 4: (107.0, 5.0, 0.0)}  # GPS: Ha Long Bay
    return exif.tobytes()


def upright_test_image(size=(1600, 2400)) -> Image.Image:
    """Portrait, red band at the top: easy to tell upright from rotated."""
    im = photo(size)
    ImageDraw.Draw(im).rectangle((0, 0, size[0], size[1] // 8), fill=(255, 0, 0))
    return im


def add_body_line(root: Path, rel: str, line: str) -> int:
    """Append a paragraph to a Markdown file; returns its line number."""
    path = root / rel
    text = path.read_text("utf-8").rstrip("\n") + "\n\n" + line + "\n"
    path.write_text(text, "utf-8")
    return len(text.rstrip("\n").split("\n"))


def images_in(site: Path):
    """(name, PIL image) of every raster file of a built site, press-kit zips included."""
    for p in sorted(site.rglob("*")):
        if p.suffix.lower() in IMAGE_SUFFIXES:
            with Image.open(p) as im:
                im.load()
                yield p.relative_to(site).as_posix(), im
        elif p.suffix == ".zip":
            with zipfile.ZipFile(p) as z:
                for name in z.namelist():
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES:
                        with Image.open(io.BytesIO(z.read(name))) as im:
                            im.load()
                            yield f"{p.name}!{name}", im


def assert_private(name: str, im: Image.Image) -> None:
    exif = im.getexif()
    assert not exif, f"{name} keeps EXIF {dict(exif)}"
    assert not exif.get_ifd(0x8825), f"{name} keeps GPS"
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment"):
        assert not im.info.get(key), f"{name} keeps {key}"


# ---------------------------------------------------------------------------------------------- the built project


@pytest.fixture(scope="module")
def media_project(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("media") / "site")
    story = root / STORY_DIR
    # the hero: a camera photo stored sideways (orientation 6), with GPS and XMP
    upright = upright_test_image()
    upright.transpose(Image.Transpose.ROTATE_90).save(story / "hero.jpg", quality=92, exif=camera_exif(6), xmp=XMP)
    # body images: a photo with a localized English copy, and a palette PNG with transparency
    photo((1000, 700), seed=1).save(story / "photo.jpg", quality=90, exif=camera_exif())
    Image.new("RGB", (1000, 700), (200, 30, 30)).save(story / "photo.en.jpg", quality=90, exif=camera_exif())
    pal = Image.new("P", (300, 200), 0)
    pal.putpalette([0, 0, 0, 20, 120, 200] + [0] * 762)
    ImageDraw.Draw(pal).rectangle((50, 50, 250, 150), fill=1)
    pal.save(story / "map.png", transparency=0)
    add_body_line(root, SRC, "![Ảnh chụp vịnh](photo.jpg) và ![Bản đồ](map.png)")
    add_body_line(root, EN, "![A photo of the bay](photo.jpg) and ![Map](map.png)")
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def site(media_project) -> Path:
    return media_project / "build" / "site"


def page(site: Path, lang: str = "") -> str:
    return (site / lang / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")


def test_no_exif_or_gps_in_any_output_image(site):
    names = [name for name, im in images_in(site) if assert_private(name, im) is None]
    assert any(n.endswith(".avif") for n in names) and any(".zip!" in n for n in names)
    assert any("/social/" in n for n in names)


def test_no_source_file_is_copied_verbatim(media_project, site):
    sources = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (media_project / STORY_DIR).iterdir()
               if p.suffix in IMAGE_SUFFIXES}
    for p in site.rglob("*"):
        if p.is_file():
            assert hashlib.sha256(p.read_bytes()).hexdigest() not in sources, p


def test_rotated_photo_comes_out_upright(site):
    heroes = sorted((site / "media" / "stories" / "vinh-ha-long").glob("hero-*"))
    assert heroes
    for p in heroes:
        with Image.open(p) as im:
            rgb = im.convert("RGB")
            assert rgb.height > rgb.width, p.name  # portrait, as the camera was held
            top = rgb.getpixel((rgb.width // 2, rgb.height // 40))
            bottom = rgb.getpixel((rgb.width // 2, rgb.height - rgb.height // 40))
            assert top[0] > 200 and top[1] < 60 and top[2] < 60, (p.name, top)  # the red band is on top
            assert bottom != top


def test_no_variant_is_wider_than_its_original(media_project, site):
    originals = {}
    for p in (media_project / STORY_DIR).iterdir():
        if p.suffix in (".jpg", ".png"):
            with Image.open(p) as im:
                w, h = im.size
                originals[p.stem] = h if im.getexif().get(0x0112, 1) in (5, 6, 7, 8) else w
    for p in (site / "media" / "stories" / "vinh-ha-long").iterdir():
        stem, width = re.fullmatch(r"(.+)-(\d+)\.[0-9a-f]{12}\.\w+", p.name).groups()
        with Image.open(p) as im:
            assert im.width == int(width) <= originals[stem], p.name
    # the 300-pixel map gets one variant per format, at its own width
    assert {p.name.split(".")[0] for p in (site / "media" / "stories" / "vinh-ha-long").glob("map-*")} == {"map-300"}


def test_hero_markup(site):
    html = page(site, "en")
    hero = re.search(r'<figure class="lt-hero">\s*(<picture.*?</picture>)', html, re.S).group(1)
    assert '<source type="image/avif" srcset="' in hero
    assert re.search(r'srcset="[^"]*hero-480\.[0-9a-f]{12}\.jpg 480w, [^"]*hero-960\.', hero)
    assert 'sizes="' in hero and 'width="1600" height="2400"' in hero
    assert 'fetchpriority="high"' in hero and 'loading="lazy"' not in hero
    assert re.search(r'style="background-color:#[0-9a-f]{6}"', hero)
    assert 'alt="Sailing boats among limestone islands"' in hero  # the English alt text


def test_body_images_are_pictures_and_localized(site):
    vi, en = page(site), page(site, "en")
    for html in (vi, en):
        body = html.split("<!--lantoa:body-->")[1].split("<!--/lantoa:body-->")[0]
        assert "lantoa-media:" not in body
        pictures = re.findall(r"<picture.*?</picture>", body, re.S)
        assert len(pictures) == 2
        assert all('loading="lazy"' in p and 'fetchpriority' not in p for p in pictures)
    assert "/photo-1000." in vi and "/photo.en-" not in vi and 'alt="Ảnh chụp vịnh"' in vi
    assert "/photo.en-1000." in en and "/photo-1000." not in en  # photo.en.jpg replaces photo.jpg
    assert re.search(r'<source type="image/avif" srcset="[^"]*map-300\.[0-9a-f]{12}\.avif 300w"', en)
    assert re.search(r'<img src="[^"]*map-300\.[0-9a-f]{12}\.png"', en)  # transparency: PNG fallback, not JPEG


def test_cards_use_the_variants(site):
    home = (site / "en" / "index.html").read_text("utf-8")
    card = re.search(r'<picture class="lt-pic lt-card__img">.*?</picture>', home, re.S).group(0)
    assert "hero-480." in card and 'loading="lazy"' in card and "card-hero" not in home


def test_palette_png_keeps_transparency(site):
    for p in (site / "media" / "stories" / "vinh-ha-long").glob("map-*"):
        with Image.open(p) as im:
            rgba = im.convert("RGBA")
            assert rgba.getpixel((5, 5))[3] == 0 and rgba.getpixel((150, 100))[3] == 255, p.name
            assert rgba.getpixel((150, 100))[:3] == pytest.approx((20, 120, 200), abs=12)


def test_press_kit(site):
    html = page(site, "en")
    href = re.search(r'<p class="lt-story__press"><a href="([^"]+)" download>', html).group(1)
    kit = (site / "en" / "stories" / "vinh-ha-long" / href).resolve()
    with zipfile.ZipFile(kit) as z:
        names = set(z.namelist())
        assert {"vinh-ha-long/CREDITS.txt", "vinh-ha-long/text/vi.md", "vinh-ha-long/text/en.md",
                "vinh-ha-long/images/hero.jpg", "vinh-ha-long/images/photo.jpg",
                "vinh-ha-long/images/photo.en.jpg", "vinh-ha-long/images/map.png"} <= names
        credits = z.read("vinh-ha-long/CREDITS.txt").decode()
        assert "CC BY 4.0" in credits and "Lan Tỏa" in credits and "[en English]" in credits
        with Image.open(io.BytesIO(z.read("vinh-ha-long/images/hero.jpg"))) as im:
            assert im.size == (1600, 2400)  # full size, upright


def test_press_kits_are_kept_until_their_text_or_images_change(project, monkeypatch):
    """A rebuild links each story's kit from .cache/lantoa/press instead of zipping its full-size
    images again; a kit whose text changed is made again, and the old one is let go. The kit's key
    is remembered by the content keys of the story's files: not hashed from its texts again."""
    from lantoa import digests
    from lantoa.commands.check import collect
    from lantoa.site import presskit

    hashed = []
    real = presskit._kit_key
    monkeypatch.setattr(presskit, "_kit_key", lambda entry, *a: hashed.append(entry.slug) or real(entry, *a))
    press = project / ".cache" / "lantoa" / "press"
    kit = project / "build" / "site" / "media" / "press" / "vinh-ha-long.zip"
    assert run(project, "-q", "build").exit_code == 0
    first = set(press.glob("*.zip"))
    assert len(first) == 1 and kit.samefile(next(iter(first))) and hashed == ["vinh-ha-long"]
    home = project / "content" / "pages" / "home" / "index.md"
    home.write_text(home.read_text("utf-8") + "\nThêm một câu.\n", "utf-8")
    digests.load(None)  # as a new process: the digests and facts from the files
    assert run(project, "-q", "build").exit_code == 0
    assert set(press.glob("*.zip")) == first and kit.samefile(next(iter(first)))  # reused
    assert hashed == ["vinh-ha-long"]  # its key remembered
    en = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    en.write_text(en.read_text("utf-8").replace("many limestone", "very many limestone"), "utf-8")
    assert run(project, "-q", "build").exit_code == 0
    second = set(press.glob("*.zip"))
    assert len(second) == 1 and second != first and kit.samefile(next(iter(second)))
    assert hashed == ["vinh-ha-long"] * 2
    # without the source memo's content keys (a document read without it): hashed every time
    checked = collect(project)
    story, registry = checked.project.stories["vinh-ha-long"], checked.registry
    assert presskit.kit_key(story, registry, {}, "x") == real(story, registry, {}, "x")
    for v in story.variants():
        v.doc.key = b""
    assert presskit._kit_inputs(story, registry, {}, "x") is None
    with zipfile.ZipFile(kit) as z:
        assert "very many limestone" in z.read("vinh-ha-long/text/en.md").decode()


def test_press_kits_read_the_full_size_images_where_the_cache_keeps_them(project, monkeypatch):
    """A kit made anew reads each full-size image from the media cache: none is linked into the
    staging first (some 400 folders made, filled and deleted by every build at 400 stories), but
    with --no-cache, whose scratch cache is gone by then."""
    from lantoa.site import images

    linked: list[str] = []
    link_file = images.link_file
    monkeypatch.setattr(images, "link_file", lambda src, dest: linked.append(str(dest)) or link_file(src, dest))
    kit = project / "build" / "site" / "media" / "press" / "vinh-ha-long.zip"
    for args in ([], ["--no-cache"]):
        linked.clear()
        assert run(project, "-q", "build", *args).exit_code == 0
        with zipfile.ZipFile(kit) as z:
            with Image.open(io.BytesIO(z.read("vinh-ha-long/images/hero.jpg"))) as im, \
                    Image.open(project / "content" / "stories" / "vinh-ha-long" / "hero.jpg") as source:
                assert im.size == source.size  # full size
        full = [d for d in linked if f"{os.sep}full{os.sep}" in d]
        assert bool(full) == bool(args), full
        (project / "content" / "stories" / "vinh-ha-long" / "index.md").write_text(
            (project / "content" / "stories" / "vinh-ha-long" / "index.md").read_text("utf-8") + "\nMore.\n", "utf-8")


# ---------------------------------------------------------------------------------------------- the cache


def _build_counting(root: Path, *args: str) -> dict:
    """Build after a text edit (an unchanged project is not rebuilt at all); count the image work."""
    add_body_line(root, SRC, f"Câu mới {sum(batch.STATS.values())}.")
    before = dict(batch.STATS)
    result = run(root, "build", *args)
    assert result.exit_code == 0, result.output
    return {k: batch.STATS[k] - before.get(k, 0) for k in ("hits", "misses", "encodes", "errors")}, result


def test_cache_hits_misses_and_no_cache(project):
    photo((1200, 800)).save(project / STORY_DIR / "hero.jpg", quality=90)
    cold, _ = _build_counting(project)
    assert cold["misses"] == 2 and cold["encodes"] > 2 and cold["hits"] == 0  # variants + full size
    site = project / "build" / "site"
    first = sorted(p.relative_to(site).as_posix() for p in (site / "media" / "stories").rglob("*") if p.is_file())
    warm, _ = _build_counting(project)
    assert warm == {"hits": 2, "misses": 0, "encodes": 0, "errors": 0}  # a text edit does no image work
    assert sorted(p.relative_to(site).as_posix() for p in (site / "media" / "stories").rglob("*") if p.is_file()) == first
    cache = project / ".cache" / "lantoa" / "media"
    entries = sorted(p for p in cache.rglob("meta.json"))
    nocache, _ = _build_counting(project, "--no-cache")
    assert nocache["encodes"] == cold["encodes"] and nocache["hits"] == 0
    assert sorted(p for p in cache.rglob("meta.json")) == entries  # neither read nor written
    # a new width is a new key: the variants are made again
    (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text("utf-8")
                                        + "\nextra:\n  media:\n    widths: [320, 640]\n", "utf-8")
    changed, _ = _build_counting(project)
    assert changed["misses"] == 1 and changed["hits"] == 1  # the full-size copy does not depend on widths
    assert sorted(p.name.split(".")[0] for p in (site / "media" / "stories").rglob("hero-*")) == [
        "hero-320", "hero-320", "hero-640", "hero-640"]


def test_corrupt_cache_entry_is_rebuilt_not_fatal(project, caplog, monkeypatch):
    from lantoa.site import images

    # made in threads of this process, whose warnings caplog sees (a process forked for the images
    # writes its own to the terminal)
    monkeypatch.setattr(images, "may_fork", lambda: False)
    _build_counting(project)
    site = project / "build" / "site"
    before = {p.name: p.read_bytes() for p in (site / "media" / "stories").rglob("*.avif")}
    cache = project / ".cache" / "lantoa" / "media"
    victim = next(cache.rglob("*.avif"))
    victim.write_bytes(b"garbage")
    with caplog.at_level("WARNING", logger="lantoa.media.cache"):
        counts, _ = _build_counting(project)
    assert counts["misses"] == 1 and counts["encodes"] > 0
    assert any("is corrupt" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    assert {p.name: p.read_bytes() for p in (site / "media" / "stories").rglob("*.avif")} == before
    # an unreadable meta.json is rebuilt the same way
    next(cache.rglob("meta.json")).write_text("{not json", "utf-8")
    counts, _ = _build_counting(project)
    assert counts["misses"] == 1


def test_a_cache_hit_reads_a_file_again_only_when_it_changed(tmp_path, monkeypatch):
    """Checksums are checked once; later hits trust a file whose size, mtime and inode are those it
    had then (a rebuild does not re-read every image), and a file written since is checked again."""
    from lantoa.media.cache import Cache

    cache, key = Cache(tmp_path), "ab" * 32
    cache.put(key, {"a.bin": b"x" * 100}, {"kind": "test"})
    assert cache.get(key) is not None  # checked and stamped
    reads: list[str] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or read_bytes(self))
    assert cache.get(key) is not None and reads == []
    Path(cache.file(key, "a.bin")).write_bytes(b"y" * 100)  # same size, new content and mtime
    assert cache.get(key) is None and reads == ["a.bin"]  # read, found corrupt, removed


def test_the_ledger_finds_sound_entries_without_reading_them(tmp_path, monkeypatch):
    """A later build (a new process) takes each entry's meta from the cache's ledger, checking one
    signature per file; a write to any file of the entry, meta.json included, voids that."""
    from lantoa.media import cache as mc

    cache, key, other = mc.Cache(tmp_path), "cd" * 32, "ef" * 32
    cache.put(key, {"a.bin": b"x" * 100}, {"kind": "test"})
    cache.put(other, {"b.bin": b"y" * 100}, {"kind": "test"})
    assert cache.get(key) is not None and cache.get(other) is not None
    mc.save_ledgers()
    monkeypatch.setattr(mc, "_LEDGERS", {})  # as in a new process
    reads: list[str] = []
    read_text, read_bytes = Path.read_text, Path.read_bytes
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self.name) or read_text(self, *a, **k))
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or read_bytes(self))
    cache = mc.Cache(tmp_path)
    assert cache.get(key)["kind"] == "test" and cache.get(other)["kind"] == "test"
    assert reads == [mc.LEDGER]
    meta = cache.dir(other) / mc.META
    meta.write_text("{not json", "utf-8")
    assert cache.get(other) is None and mc.META in reads  # read again, found corrupt, removed
    mc.save_ledgers()
    assert json.loads((tmp_path / mc.LEDGER).read_text("utf-8")).keys() == {key}


def test_threads_share_one_ledger(tmp_path, monkeypatch):
    """The media threads of a build open the cache at once: they must share one ledger, read once
    (a second copy replaced the first, and the lookups made through the first were not saved)."""
    import threading
    import time

    from lantoa.media import cache as mc

    cache, keys = mc.Cache(tmp_path), [f"{i:02x}" * 32 for i in range(8)]
    for key in keys:
        cache.put(key, {"a.bin": key.encode()}, {"kind": "test"})
        assert cache.get(key) is not None
    mc.save_ledgers()
    monkeypatch.setattr(mc, "_LEDGERS", {})  # as in a new process
    loads, reads = mc.json.loads, []

    def slow_loads(text, *a, **k):  # the race: every thread starts before the first has read it
        reads.append(1)
        time.sleep(0.05)
        return loads(text, *a, **k)

    monkeypatch.setattr(mc.json, "loads", slow_loads)
    ledgers = []

    def look_up(mine):
        c = mc.Cache(tmp_path)
        ledgers.append(c._ledger)
        for key in mine:
            assert c.get(key) is not None

    threads = [threading.Thread(target=look_up, args=(keys[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reads) == 1 and all(ledger is ledgers[0] for ledger in ledgers)
    mc.save_ledgers()
    monkeypatch.setattr(mc.json, "loads", loads)
    assert json.loads((tmp_path / mc.LEDGER).read_text("utf-8")).keys() == set(keys)


def test_threads_and_processes_give_the_same_bytes(tmp_path):
    src = tmp_path / "a.jpg"
    photo((900, 600)).save(src, quality=90, exif=camera_exif(3))
    jobs = [batch.Job(str(src)), batch.Job(str(src), "full")]
    t = batch.run(jobs, Settings(), tmp_path / "t", workers=2, executor="thread")
    p = batch.run(jobs, Settings(), tmp_path / "p", workers=2, executor="process")
    assert [r.meta["files"] for r in t] == [r.meta["files"] for r in p]


def test_draft_decoding_keeps_enough_pixels():
    """JPEG DCT scaling must never hand back fewer pixels than the widest variant."""
    im = photo((4000, 3000))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    rendered = pipeline.render(buf.getvalue(), "x.jpg", Settings(widths=(480, 1920)))
    assert sorted({v.width for v in rendered.variants}) == [480, 1920]
    assert all(v.height == round(3000 * v.width / 4000) for v in rendered.variants)


# ---------------------------------------------------------------------------------------------- bad input


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size: all a decompression bomb needs to be refused."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _jpeg(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def _png(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", **kw)
    return buf.getvalue()


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (64, 64), (i * 80, 40, 40)) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'

#: (file name, bytes, severity, code): each referenced from the body as ![Ảnh](name)
BAD_INPUT = [
    pytest.param("cut.jpg", lambda: _jpeg(photo((800, 600)), quality=90)[:6000], "error", "corrupt-image",
                 id="truncated-jpeg"),
    pytest.param("noise.jpg", lambda: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40, "error", "corrupt-image",
                 id="corrupt-jpeg"),
    pytest.param("empty.png", lambda: b"", "error", "corrupt-image", id="empty-file"),
    pytest.param("fake.jpg", lambda: _png(photo((300, 200))), "error", "wrong-extension", id="png-named-jpg"),
    pytest.param("bomb.png", lambda: _png_header_only(20_000, 15_000), "error", "image-too-large",
                 id="decompression-bomb"),
    pytest.param("huge.png", lambda: _png_header_only(9_000, 9_000), "error", "image-too-large",
                 id="over-configured-megapixels"),
    pytest.param("strip.png", lambda: _png(Image.new("RGB", (4000, 20))), "error", "absurd-dimensions",
                 id="absurd-dimensions"),
    pytest.param("dot.png", lambda: _png(Image.new("RGB", (1, 1))), "error", "absurd-dimensions", id="one-pixel"),
    pytest.param("anim.gif", lambda: _animated("GIF"), "error", "animated-image", id="animated-gif"),
    pytest.param("anim.png", lambda: _animated("PNG"), "error", "animated-image", id="animated-png"),
    pytest.param("anim.webp", lambda: _animated("WEBP"), "error", "animated-image", id="animated-webp"),
    pytest.param("logo.svg", lambda: SVG, "error", "svg-refused", id="svg"),
    pytest.param("logo.png", lambda: SVG, "error", "svg-refused", id="svg-named-png"),
    pytest.param("scan.tif", lambda: _tiff(), "error", "bad-media-type", id="tiff"),
    pytest.param("print.jpg", lambda: _jpeg(Image.new("CMYK", (400, 300), (0, 200, 200, 0)), quality=90),
                 "warning", "cmyk-image", id="cmyk"),
    pytest.param("deep.png", lambda: _png(Image.new("I;16", (400, 300), 32896)), "warning", "deep-image",
                 id="16-bit"),
    pytest.param("pal.png", lambda: _png(photo((400, 300)).quantize(16)), "warning", "palette-image", id="palette"),
]


def _tiff() -> bytes:
    buf = io.BytesIO()
    photo((200, 100)).save(buf, "TIFF")
    return buf.getvalue()


@pytest.mark.parametrize("name,make,severity,code", BAD_INPUT)
def test_bad_image(project, name, make, severity, code):
    (project / STORY_DIR / name).write_bytes(make())
    if name == "huge.png":  # 81 megapixels is under Pillow's own limit: ours is configured lower
        (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text("utf-8")
                                            + "\nextra:\n  media:\n    max_megapixels: 50\n", "utf-8")
    line = add_body_line(project, SRC, f"![Ảnh minh hoạ]({name})")
    result = run(project, "check")
    output = result.output
    assert "Traceback" not in output
    expected = f"{SRC}:{line}:{len('![Ảnh minh hoạ](') + 1}: {severity}[{code}]: image '{name}' is "
    assert expected in output, output
    build = run(project, "build")
    assert "Traceback" not in build.output
    if severity == "error":
        assert result.exit_code == 1 and build.exit_code == 1, build.output
        assert not (project / "build" / "site").exists()  # nothing half-written
    else:
        assert result.exit_code == 0 and build.exit_code == 0, build.output
        assert run(project, "check", "--strict").exit_code == 1
        out = sorted((project / "build" / "site" / "media" / "stories" / "vinh-ha-long").glob(
            Path(name).stem + "-*"))
        assert out
        for p in out:
            with Image.open(p) as im:
                assert_private(p.name, im)
                rgb = im.convert("RGB")
                assert rgb.size[0] <= 400
                if code == "deep-image":  # 32896/65535 is mid-grey, not clipped to white
                    assert 110 <= rgb.getpixel((10, 10))[0] <= 145, rgb.getpixel((10, 10))
                if code == "cmyk-image":  # cyan+magenta... (0, 200, 200, 0) is red-ish in RGB
                    r, g, b = rgb.getpixel((10, 10))
                    assert r > 200 and g < 90 and b < 90, (r, g, b)


def test_hero_bad_input_points_at_hero_src(project):
    (project / STORY_DIR / "hero.jpg").write_bytes(_png(photo((300, 200))))
    result = run(project, "check")
    assert result.exit_code == 1
    assert f"{SRC}:9:3: error[wrong-extension]: hero.src 'hero.jpg' is a PNG file but its name ends in .jpg" \
           " — rename it to hero.png" in result.output


def test_localized_copy_is_checked_at_the_reference(project):
    (project / STORY_DIR / "hero.km.jpg").write_bytes(b"\xff\xd8\xff garbage")
    result = run(project, "check")
    assert result.exit_code == 1
    assert f"{SRC}:9:3: error[corrupt-image]: 'hero.km.jpg' (which replaces hero.src 'hero.jpg' in one edition)" \
        in result.output


def test_path_outside_content_is_refused(project):
    secret = project / "secret.jpg"
    photo((300, 200)).save(secret)
    line = add_body_line(project, SRC, "![Bí mật](../../../secret.jpg)")
    result = run(project, "check")
    assert result.exit_code == 1
    assert f"{SRC}:{line}:{len('![Bí mật](') + 1}: error[path-outside]" in result.output


def test_bad_media_settings_are_diagnostics(project):
    (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text("utf-8")
                                        + "\nextra:\n  media:\n    widths: [0, big]\n    formats: [gif]\n", "utf-8")
    result = run(project, "check")
    assert result.exit_code == 1
    assert "mkdocs.yml:" in result.output and "error[media-settings]: 'widths' must be" in result.output
    assert "error[media-settings]: 'formats' must be" in result.output


# ---------------------------------------------------------------------------------------------- the sample site


def test_sample_site_never_copies_a_source_raster(sample_site):
    sources = {}
    for p in (REPO / "content").rglob("*"):
        if p.suffix.lower() in IMAGE_SUFFIXES:
            sources[hashlib.sha256(p.read_bytes()).hexdigest()] = p
    assert sources
    copied = [p for p in sample_site.rglob("*") if p.is_file()
              and hashlib.sha256(p.read_bytes()).hexdigest() in sources]
    assert not copied
    count = 0
    for name, im in images_in(sample_site):
        assert_private(name, im)
        count += 1
    assert count > len(sources)


# ---------------------------------------------------------------------------------------------- Chromium


@pytest.mark.browser
def test_browser_picks_small_variant_on_phone_and_large_on_desktop(site):
    from playwright import sync_api

    from browser_util import CHROMIUM, CHROMIUM_ARGS, SiteServer

    with SiteServer(site) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            chosen = {}
            for name, viewport in (("phone", {"width": 375, "height": 740}),
                                   ("desktop", {"width": 1440, "height": 900})):
                ctx = browser.new_context(viewport=viewport, device_scale_factor=1)
                pg = ctx.new_page()
                pg.goto(server.url("en/stories/vinh-ha-long/"))
                pg.wait_for_function("document.querySelector('.lt-hero img').complete")
                src = pg.evaluate("document.querySelector('.lt-hero img').currentSrc")
                chosen[name] = (int(re.search(r"hero-(\d+)\.", src).group(1)), src)
                ctx.close()
        finally:
            browser.close()
    assert chosen["phone"][0] == 480 and chosen["phone"][1].endswith(".avif"), chosen
    assert chosen["desktop"][0] >= 960 and chosen["desktop"][1].endswith(".avif"), chosen


def _three_photos(tmp_path, monkeypatch) -> tuple[list[Path], list[batch.Job]]:
    """Three photos, and a job for each; their digests remembered as soon as they are read."""
    import time

    from lantoa import digests

    monkeypatch.setattr(digests, "RACY_NS", 0)
    srcs = []
    for i in range(3):
        srcs.append(tmp_path / f"p{i}.jpg")
        photo((600, 400), seed=i).save(srcs[-1], quality=90)
    time.sleep(0.01)
    return srcs, [batch.Job(str(s)) for s in srcs]


def test_photos_hashed_before_are_looked_up_here_and_new_ones_in_the_pool(tmp_path, monkeypatch):
    """The cache's variants of a photo whose digest is remembered are found in the calling thread
    (handing thousands of lookups to threads cost more than they do); a photo not hashed yet is
    read, hashed and rendered in the pool, on every core, never read here first."""
    import threading

    from lantoa import digests

    srcs, jobs = _three_photos(tmp_path, monkeypatch)
    first = batch.run(jobs[:1], Settings(), tmp_path / "cache", workers=2)
    assert not first[0].hit and digests.remembered(srcs[0]) is not None
    worked, hashed = [], []
    work, sha256 = batch.work, digests.sha256
    monkeypatch.setattr(batch, "work", lambda job, *a: worked.append(job.path) or work(job, *a))
    monkeypatch.setattr(digests, "sha256", lambda p: hashed.append(threading.current_thread().name) or sha256(p))
    again = batch.run(jobs, Settings(), tmp_path / "cache", workers=2)
    assert [r.hit for r in again] == [True, False, False] and again[0].meta == first[0].meta
    assert sorted(worked) == [str(srcs[1]), str(srcs[2])]  # only the new ones, in the pool
    assert hashed and threading.main_thread().name not in hashed
    assert [r.meta["files"] for r in again[1:]] == [r.meta["files"] for r in batch.run(jobs[1:], Settings(),
                                                                                        tmp_path / "other")]


def test_photos_made_in_processes_of_their_own_are_remembered_by_the_build_s(tmp_path, monkeypatch):
    """A cold build makes its images in processes forked for the batch, which end with it: what
    they hashed comes back with each result and is remembered here, so that the next build finds
    the photos in the cache by their stats, without reading them again; a photo changed since is
    not taken from what the process saw."""
    from lantoa import digests

    digests.load(None)
    srcs, jobs = _three_photos(tmp_path, monkeypatch)
    pids = tmp_path / "pids"
    render = batch.render

    def recording(*args):  # inherited by the forked processes, which run it
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        return render(*args)

    monkeypatch.setattr(batch, "render", recording)
    made = batch.run(jobs, Settings(), tmp_path / "cache", workers=2, executor="process")
    assert not any(r.hit for r in made)
    assert str(os.getpid()) not in pids.read_text().split()  # made elsewhere
    assert [digests.remembered(s) for s in srcs] == [hashlib.sha256(s.read_bytes()).hexdigest() for s in srcs]
    again = batch.run(jobs, Settings(), tmp_path / "cache", workers=2, executor="process")
    assert all(r.hit for r in again) and len(pids.read_text().split()) == 3  # looked up here, none made
    stale = list(made[0].digest)
    photo((600, 400), seed=9).save(srcs[0], quality=90)
    digests.adopt(srcs[0], stale)
    assert digests.remembered(srcs[0]) is None


def test_a_build_makes_its_images_in_processes_of_their_own_unless_a_thread_runs(tmp_path, monkeypatch):
    """What decoding and encoding photos leave in a heap ends with the processes forked for them,
    instead of staying in the build's, which the editions' processes are forked from next; with
    another thread running (`lantoa serve`), they are made in threads (a fork would copy that
    thread's locks, held). The first build runs as a program of its own: this test process may
    run threads of other tests' fixtures."""
    import subprocess
    import sys
    import threading

    pids = tmp_path / "pids"
    project = make_project(tmp_path / "site")
    program = f"""
import os
from lantoa.media import batch
from lantoa.cli import main

def spy(real):
    def recording(*args):
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{os.getpid()}}\\n")
        return real(*args)
    return recording

batch.render, batch.render_full = spy(batch.render), spy(batch.render_full)
print(os.getpid(), flush=True)
main(["-C", {str(project)!r}, "-q", "build", "-j", "2"])
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    made = pids.read_text().split()
    assert len(made) == 2 and done.stdout.split()[0] not in made  # the hero's variants and its full size
    pids.unlink()

    def spy(real):
        def recording(*args):
            with open(pids, "a") as f:
                f.write(f"{os.getpid()}\n")
            return real(*args)
        return recording

    monkeypatch.setattr(batch, "render", spy(batch.render))
    monkeypatch.setattr(batch, "render_full", spy(batch.render_full))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        result = CliRunner().invoke(main, ["-C", str(project), "-q", "build", "-j", "2", "--clean"])
    finally:
        stop.set()
        other.join()
    assert result.exit_code == 0, result.output
    assert pids.read_text().split() == [str(os.getpid())] * 2


def test_a_local_image_reference_is_read_as_a_path_would_be(tmp_path):
    """images._local_image reads a reference without pathlib's parsing for a bare name: the same
    answers as the PurePosixPath rules it replaced, on every short string of the characters that
    matter (folders, dots, "~", ":", "\\", case)."""
    import itertools
    from pathlib import PurePosixPath
    from types import SimpleNamespace

    from lantoa.site import images
    from lantoa.validate import markup

    def reference(ref: str) -> str | None:
        p = PurePosixPath(ref)
        if (not ref or "\\" in ref or p.is_absolute() or ref.startswith("~") or ".." in p.parts
                or markup.scheme_of(ref) is not None or len(p.parts) != 1
                or p.suffix.lower() not in images.IMAGE_EXTENSIONS):
            return None
        return p.name

    entry = SimpleNamespace(dir=tmp_path)
    refs = ["".join(t) + end for n in range(5) for t in itertools.product("a./~:\\J ", repeat=n)
            for end in ("", ".jpg", ".PNG/", "..webp")]
    for ref in refs:
        want = reference(ref)
        got = images._local_image(entry, ref, frozenset([want]) if want else frozenset())
        assert got == (tmp_path / want if want else None), ref


def test_a_later_build_checks_an_unchanged_photo_without_decoding_it(tmp_path, monkeypatch):
    """``lantoa check`` decodes every referenced photo (cheaply) to catch truncated files; what it
    found is kept by the photo's content (lantoa.digests.fact), so a later run, a new process, finds
    it without reading the photo. A photo replaced is checked again, and a truncated one is still
    refused."""
    from lantoa import digests, media

    root = make_project(tmp_path / "site")
    probed: list[str] = []
    real = pipeline.probe
    monkeypatch.setattr(pipeline, "probe", lambda path, *a, **k: probed.append(Path(path).name) or real(path, *a, **k))

    def new_process_build():
        media._probe_cached.cache_clear()
        digests.load(None)  # forget the folder: the next load reads its files again, as a new process would
        digests._MEMO.clear()
        probed.clear()
        return run(root, "-q", "build")

    assert new_process_build().exit_code == 0
    assert probed == ["hero.jpg"]
    add_body_line(root, "content/stories/vinh-ha-long/index.md", "Một dòng mới.")
    assert new_process_build().exit_code == 0
    assert probed == []
    hero = root / "content" / "stories" / "vinh-ha-long" / "hero.jpg"
    data = hero.read_bytes()
    Image.new("RGB", (800, 500), (150, 110, 40)).save(hero, quality=80)
    assert new_process_build().exit_code == 0
    assert probed == ["hero.jpg"]
    hero.write_bytes(data[: len(data) // 2])
    r = new_process_build()
    assert r.exit_code == 1 and "truncated or corrupt" in r.output and probed == ["hero.jpg"]
