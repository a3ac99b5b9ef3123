#!/usr/bin/env python3
"""Build-speed benchmark: lantoa against plain MkDocs + Material + mkdocs-static-i18n (and Hugo).

    python3 scripts/bench_build.py                      # the default sizes, 3 runs each
    python3 scripts/bench_build.py --sizes 100x4 400x12 --runs 3 --baseline-runs 1

For each size (stories × languages) it generates a deterministic synthetic corpus
(≈750-word stories in each language's script, a hero image per story), then runs,
one after another on the same machine, each measured as the median of the runs:

- lantoa:   `lantoa build` (check, stage, one MkDocs build per language in parallel, outputs)
- lantoa edit: one story's text changed (a translation; its source, the first time since its
               translations were reviewed; its source again), then `lantoa build` again
- lantoa serve edit: the same edits saved under a running `lantoa serve`, to its rebuilt preview
- lantoa no-change: `lantoa build` again with nothing changed
- baseline: plain `mkdocs build` with Material + mkdocs-static-i18n + search on the same Markdown
            (static-i18n refuses three-letter codes, so the corpus uses two-letter/script tags only)
- hugo:     a minimal multilingual Hugo site with the same pages, when `hugo` is installed

Wall time (median of the runs, which are not sampled), peak memory of the whole process
tree (RSS and PSS summed over children, sampled every 20 ms from /proc in one more run
of each, whose time is not counted: reading smaps_rollup that often takes a quarter of a
core, which slowed lantoa's two processes and not the one-process baseline) and output
bytes are written to scripts/results/build.md and build.json, with a plot (build.png) of
time against stories × languages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "scripts" / "results"
#: languages the baseline accepts too (static-i18n refuses tyz, blt-Tavt …)
LANGS = ["vi", "en", "fr", "zh-Hans", "es", "ru", "ar", "ja", "ko", "km", "lo", "pt"]
CATEGORIES = ["history", "culture", "heritage", "people", "achievements", "economy", "tourism", "diplomacy", "science"]


# ----------------------------------------------------------------------------- corpus

def _words(tag: str) -> list[str]:
    """Words in the language's script, taken from the sample stories of the repository."""
    import re

    texts = []
    for path in sorted((REPO / "content").rglob(f"index.{tag}.md" if tag != "vi" else "index.md")):
        texts.append(path.read_text("utf-8").split("---", 2)[-1])
    text = " ".join(texts)
    if tag in ("zh-Hans", "ja"):
        return [text[i:i + 2] for i in range(0, len(text) - 2, 2) if not re.search(r"[\s#*\[\]()]", text[i:i + 2])]
    words = [w for w in re.split(r"[\s#*\[\]()]+", text) if w]
    return words or ["lorem", "ipsum"]


def make_corpus(root: Path, stories: int, langs: list[str]) -> None:
    from PIL import Image

    rng = random.Random(f"{stories}x{len(langs)}")
    vocab = {tag: _words(tag) for tag in langs}
    (root / "content" / "stories").mkdir(parents=True)
    (root / "content" / "pages" / "home").mkdir(parents=True)
    shutil.copy(REPO / "content" / "categories.yml", root / "content" / "categories.yml")
    shutil.copytree(REPO / "theme", root / "theme")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    (root / "locales").mkdir()
    for tag in langs:
        shutil.copy(REPO / "locales" / f"{tag}.yml", root / "locales" / f"{tag}.yml")
    (root / "content" / "pages" / "home" / "index.md").write_text(
        "---\ntitle: Lan Tỏa\nsummary: Bench\nstatus: published\n---\nBench.\n", "utf-8")
    sep = {"zh-Hans": "", "ja": ""}

    def paragraph(tag: str, n: int, limit: int = 0) -> str:
        text = sep.get(tag, " ").join(rng.choice(vocab[tag]) for _ in range(n))
        return text[:limit].strip() if limit else text

    for i in range(stories):
        slug = f"story-{i:04d}"
        folder = root / "content" / "stories" / slug
        folder.mkdir()
        Image.new("RGB", (800, 500), (40 + i % 200, 90, 140)).save(folder / "hero.jpg", quality=80)
        body = "\n\n".join(f"## {paragraph('vi', 4)}\n\n{paragraph('vi', 180)}" for _ in range(4))
        (folder / "index.md").write_text(textwrap.dedent(f"""\
            ---
            title: {json.dumps(paragraph('vi', 5, 100) + " " + str(i), ensure_ascii=False)}
            summary: {json.dumps(paragraph('vi', 20, 250), ensure_ascii=False)}
            date: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}
            category: {CATEGORIES[i % len(CATEGORIES)]}
            hero:
              src: hero.jpg
              alt: {json.dumps(paragraph('vi', 4), ensure_ascii=False)}
            sources:
              - title: Source
                url: https://example.org/
                as_of: 2024-01-01
            status: published
            ---
            """) + body + "\n", "utf-8")
        for tag in langs[1:]:
            body = "\n\n".join(f"## {paragraph(tag, 4)}\n\n{paragraph(tag, 180)}" for _ in range(4))
            (folder / f"index.{tag}.md").write_text(
                f'---\ntitle: {json.dumps(paragraph(tag, 5, 100) + " " + str(i), ensure_ascii=False)}\nsummary: {json.dumps(paragraph(tag, 20, 250), ensure_ascii=False)}\n'
                f"translation:\n  method: human\n  reviewed_by: Bench\n---\n{body}\n", "utf-8")
    from lantoa import validate  # stamp source hashes so no page carries an 'outdated' notice
    from lantoa.content import translations
    from lantoa.content.edit import set_translation_fields

    checked = validate.check(root)
    for entry in checked.project.entries():
        for v in entry.translations.values():
            set_translation_fields(root / v.path, {"source_hash": translations.source_hash(entry)})


def make_baseline(root: Path, base: Path, langs: list[str]) -> None:
    """The same Markdown as a plain MkDocs + Material + static-i18n project (suffix structure)."""
    docs = base / "docs"
    docs.mkdir(parents=True)
    for src in sorted((root / "content" / "stories").iterdir()):
        dest = docs / "stories" / src.name
        dest.mkdir(parents=True)
        for f in src.iterdir():
            if f.suffix == ".md":
                text = f.read_text("utf-8").replace("hero:\n  src: hero.jpg", "hero_src: hero.jpg")
                target = dest / (f.name if f.name != "index.md" else "index.vi.md")
                target.write_text(text, "utf-8")
            else:
                shutil.copy(f, dest / f.name)
    for tag in langs:
        (docs / f"index.{tag}.md").write_text(f"# Lan Tỏa ({tag})\n", "utf-8")
    overrides = base / "overrides" / "partials" / "languages"
    overrides.mkdir(parents=True)
    import material

    mat = Path(material.__file__).parent / "templates" / "partials" / "languages"
    for tag in langs:  # Material crashes on languages it has no partial for (km, lo, zh-Hans)
        if not (mat / f"{tag}.html").exists():
            (overrides / f"{tag}.html").write_text((mat / "en.html").read_text("utf-8"), "utf-8")
    languages = "\n".join(f"          - locale: {tag}\n            name: {tag}\n            build: true"
                          + ("\n            default: true" if tag == langs[0] else "") for tag in langs)
    (base / "mkdocs.yml").write_text(textwrap.dedent("""\
        site_name: Baseline
        site_url: https://example.org/
        theme:
          name: material
          custom_dir: overrides
          font: false
        plugins:
          - search
          - i18n:
              docs_structure: suffix
              languages:
        """) + languages + "\n", "utf-8")


def make_hugo(root: Path, base: Path, langs: list[str]) -> None:
    content = base / "content"
    for tag in langs:
        (content / tag / "stories").mkdir(parents=True)
        (content / tag / "_index.md").write_text(f"---\ntitle: Lan Tỏa {tag}\n---\n", "utf-8")
    for src in sorted((root / "content" / "stories").iterdir()):
        for tag in langs:
            f = src / ("index.md" if tag == langs[0] else f"index.{tag}.md")
            _, fm, body = f.read_text("utf-8").split("---", 2)
            title = next(line.split(":", 1)[1].strip() for line in fm.splitlines() if line.startswith("title:"))
            (content / tag / "stories" / f"{src.name}.md").write_text(f"---\ntitle: {title}\n---\n{body}", "utf-8")
    layouts = base / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "baseof.html").write_text('<!doctype html><html lang="{{ .Language.Lang }}"><head><meta charset="utf-8">'
                                         "<title>{{ .Title }}</title></head><body>{{ block \"main\" . }}{{ end }}</body></html>\n")
    (layouts / "single.html").write_text('{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n')
    (layouts / "list.html").write_text('{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">'
                                       "{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n")
    conf = ['baseURL = "https://example.org/"', f'defaultContentLanguage = "{langs[0]}"', "[languages]"]
    for i, tag in enumerate(langs):
        conf += [f'[languages.{tag}]', f'contentDir = "content/{tag}"', f"weight = {i + 1}"]
    (base / "hugo.toml").write_text("\n".join(conf) + "\n", "utf-8")


# ----------------------------------------------------------------------------- measuring

def _tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack += children.get(p, [])
    return out


def _same_memory(a: int, b: int) -> bool:
    """Whether processes ``a`` and ``b`` share one address space: a child made by ``vfork`` (as
    Python's subprocess makes one) runs in its parent's until it execs, and /proc reports the same
    memory for both (``kcmp(KCMP_VM)``, Linux on x86-64; False where it cannot tell)."""
    if _KCMP is None:
        return False
    return _KCMP(312, a, b, 1, 0, 0) == 0


def _kcmp():
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return None
    try:
        import ctypes

        syscall = ctypes.CDLL(None, use_errno=True).syscall
        syscall.restype = ctypes.c_long
        return syscall
    except (OSError, AttributeError):
        return None


_KCMP = _kcmp()


def _memory(pids: list[int]) -> tuple[int, int]:
    """(summed RSS, summed PSS) in bytes. RSS counts a page shared by several processes (a forked
    worker's copy of its parent's imports) once per process; PSS splits it between them, so the
    PSS sum is the memory the tree really holds. A child sharing its parent's address space (made
    by vfork, not yet exec'd: lantoa starts `find` and `rm` processes) is its parent's memory, not
    counted twice: a sample that caught one counted the build's main process twice (60 MB at
    100 x 12)."""
    rss = pss = 0
    for i, p in enumerate(pids):
        if any(_same_memory(p, q) for q in pids[:i]):
            continue
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return rss, pss


#: whether measure() samples memory (median_of turns it on for one run of each measurement)
_SAMPLING = [False]


def measure(cmd: list[str], cwd: Path, env=None) -> tuple[float, int, int]:
    """(wall seconds, peak summed RSS, peak summed PSS) of the command's process tree; the memory
    is 0, 0 unless this run samples it."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = [0, 0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            rss, pss = _memory(_tree(proc.pid))
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    if _SAMPLING[0]:
        thread.start()
    _, err = proc.communicate()
    done.set()
    if _SAMPLING[0]:
        thread.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode(errors='replace')[-3000:]}")
    return wall, peak[0], peak[1]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def edition_bytes(site: Path, langs: list[str]) -> dict[str, int]:
    """Bytes of each edition's own files (the default edition: the root minus the others and the
    shared assets, fonts, media and API); "shared" is everything the editions share."""
    out = {tag: du(site / tag) for tag in langs[1:] if (site / tag).is_dir()}
    shared = sum(du(site / d) for d in ("assets", "fonts", "media", "api") if (site / d).is_dir())
    out[langs[0]] = du(site) - sum(out.values()) - shared
    out["shared"] = shared
    return out


def median_of(runs: int, fn) -> dict:
    """The median time of ``runs`` runs without sampling, and the peak memory of one more run."""
    samples = [fn() for _ in range(runs)]
    _SAMPLING[0] = True
    try:
        memory = fn()
    finally:
        _SAMPLING[0] = False
    return {"seconds": statistics.median(s[0] for s in samples), "peak_rss": memory[1], "peak_pss": memory[2],
            "runs": [round(s[0], 2) for s in samples], "memory_run_seconds": round(memory[0], 2)}


def _get(url: str, timeout: float = 60) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8")


def serve_edits(project: Path, names: list[str], runs: int) -> dict[str, dict]:
    """Median seconds from saving an edit of each of ``names`` (files of the first story) to the
    rebuilt preview of a running `lantoa serve`, as an editor waits for it: the file system's
    report of the save, the quiet that follows it, the check of the watched files and the rebuild,
    up to the new build number, read through the request the preview's pages hold for it (their
    page load in the browser is not counted)."""
    # --port 0: a free port, which it names as it starts serving (read from its output, which is
    # then drained by a thread so that its summaries never fill the pipe)
    proc = subprocess.Popen([sys.executable, "-m", "lantoa.cli", "-C", str(project), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        seen: list[str] = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("serving http://127.0.0.1:"):
                base = line.split()[1].rstrip("/") + "/__lantoa__/build"
                break
        else:
            raise SystemExit("lantoa serve did not start:\n" + "".join(seen)[-3000:])
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        build = _get(base)
        out: dict[str, dict] = {}
        for name in names:
            story = project / "content" / "stories" / "story-0000" / name
            times = []
            for i in range(runs):
                time.sleep(1.5)  # the previous rebuild's own bookkeeping done, the loop waiting again
                text = story.read_text("utf-8").rstrip("\n") + f" (serve {i})\n"
                start = time.perf_counter()
                story.write_text(text, "utf-8")
                new = _get(f"{base}?after={build}", timeout=600)  # held until the next build
                times.append(time.perf_counter() - start)
                if new == build:
                    raise SystemExit(f"lantoa serve did not rebuild after an edit of {name}")
                build = new
            out[name] = {"seconds": statistics.median(times), "runs": [round(x, 2) for x in times]}
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=60)


class Graveyard:
    """Where a run's earlier output goes before the run: renamed aside, not deleted; deleted when
    the whole benchmark is done (:func:`main`). The file system here is ext4 without a journal,
    whose inode allocator skips the inodes freed in the last 30 s (``recently_deleted`` in
    fs/ext4/ialloc.c, dirty_expire_centisecs): deleting the previous output right before a run
    made that run pay for it, some 7% of a 100 × 12 build's CPU (seen with ``perf``). Every tool's
    runs (lantoa, the baseline, Hugo) are prepared the same way."""

    def __init__(self, root: Path):
        self.root, self.count = root, 0

    def bury(self, path: Path) -> None:
        if path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.count += 1
            os.rename(path, self.root / str(self.count))


#: work folders of the sizes measured, deleted at the end (see Graveyard)
_TO_DELETE: list[Path] = []


def bench_size(stories: int, nlangs: int, runs: int, baseline_runs: int, keep: bool) -> dict:
    langs = LANGS[:nlangs]
    work = Path(tempfile.mkdtemp(prefix=f"lantoa-bench-{stories}x{nlangs}-"))
    graves = Graveyard(work / "graveyard")
    try:
        project = work / "project"
        print(f"[{stories}×{nlangs}] corpus…", flush=True)
        make_corpus(project, stories, langs)
        out = project / "build" / "site"
        lantoa = [sys.executable, "-m", "lantoa.cli", "-q", "-C", str(project), "build"]
        row: dict = {"stories": stories, "languages": nlangs}

        def cold():
            graves.bury(project / "build")
            graves.bury(project / ".cache")
            return measure(lantoa, project)

        def warm():
            # every page rendered again (as after a theme change, or in CI with a kept cache), with
            # what earlier builds keep in .cache/lantoa by content reused (images, cards, fonts,
            # parsed sources, digests, search word counts, converted Markdown): only the rendered
            # editions are dropped
            graves.bury(project / "build")
            graves.bury(project / ".cache" / "lantoa" / "parts")
            (project / ".cache" / "lantoa" / "last-build.json").unlink(missing_ok=True)
            return measure(lantoa, project)

        print(f"[{stories}×{nlangs}] lantoa full, cold…", flush=True)
        row["lantoa"] = median_of(runs, cold)
        row["lantoa"]["bytes"] = du(out)
        row["lantoa"]["bytes_per_edition"] = edition_bytes(out, langs)
        print(f"[{stories}×{nlangs}] lantoa full, media and fonts cached…", flush=True)
        row["lantoa_warm"] = median_of(runs, warm)
        print(f"[{stories}×{nlangs}] lantoa no-change…", flush=True)
        row["lantoa_nochange"] = median_of(runs, lambda: measure(lantoa, project))
        counter = iter(range(10**6))

        def edit(name: str):
            story = project / "content" / "stories" / "story-0000" / name

            def run():
                text = story.read_text("utf-8").rstrip("\n")
                story.write_text(text + f" ({next(counter)})\n", "utf-8")
                return measure(lantoa, project)
            return run

        # an edit of one translation: its edition depends on it (and editions that fall back to it)
        print(f"[{stories}×{nlangs}] lantoa one-story edit (translation)…", flush=True)
        row["lantoa_edit"] = median_of(runs, edit(f"index.{langs[1]}.md"))
        # the first edit of a source since its translations were reviewed: each of them becomes
        # 'outdated', so every edition that shows one renders the story's page again, with its
        # notice. Before each run the source is put back as it was reviewed, and built (not timed).
        source = project / "content" / "stories" / "story-0000" / "index.md"
        reviewed = source.read_text("utf-8")

        def outdating():
            source.write_text(reviewed, "utf-8")
            measure(lantoa, project)
            source.write_text(reviewed.rstrip("\n") + f" ({next(counter)})\n", "utf-8")
            return measure(lantoa, project)

        print(f"[{stories}×{nlangs}] lantoa one-story edit (source, outdating its translations)…", flush=True)
        row["lantoa_edit_outdating"] = median_of(runs, outdating)
        # an edit of the source again: every edition shows its card; its translations are outdated already
        print(f"[{stories}×{nlangs}] lantoa one-story edit (source)…", flush=True)
        row["lantoa_edit_source"] = median_of(runs, edit("index.md"))
        # the same edits as `lantoa serve` rebuilds them for an editor's preview, in a warm process
        print(f"[{stories}×{nlangs}] lantoa serve, one-story edits…", flush=True)
        served = serve_edits(project, [f"index.{langs[1]}.md", "index.md"], runs)
        row["serve_edit"], row["serve_edit_source"] = served[f"index.{langs[1]}.md"], served["index.md"]
        base = work / "baseline"
        make_baseline(project, base, langs)
        print(f"[{stories}×{nlangs}] baseline mkdocs + static-i18n…", flush=True)

        def baseline():
            graves.bury(base / "site")
            return measure([sys.executable, "-m", "mkdocs", "build", "-q"], base)

        row["baseline"] = median_of(baseline_runs, baseline)
        row["baseline"]["bytes"] = du(base / "site")
        if shutil.which("hugo"):
            hugo = work / "hugo"
            make_hugo(project, hugo, langs)
            print(f"[{stories}×{nlangs}] hugo…", flush=True)

            def run_hugo():
                graves.bury(hugo / "public")
                return measure(["hugo", "--quiet"], hugo)

            row["hugo"] = median_of(runs, run_hugo)
            row["hugo"]["bytes"] = du(hugo / "public")
        return row
    finally:
        _TO_DELETE.append(work / "graveyard" if keep else work)


# ----------------------------------------------------------------------------- report

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))) // 1024 // 1024
    import mkdocs
    import material

    hugo = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip() if shutil.which("hugo") else "not installed"
    return (f"{os.cpu_count()} cores ({cpu}), {mem} GiB, Python {platform.python_version()}, "
            f"MkDocs {mkdocs.__version__}, Material {material.__version__ if hasattr(material, '__version__') else '9.x'}, "
            f"Hugo: {hugo}")


def plot(rows: list[dict], path: Path) -> None:
    """Build time against stories x languages, both axes logarithmic (the sizes span 30x, the times
    3,000x), with a grid line at each power of ten."""
    import math

    from PIL import Image, ImageDraw

    w, h, left, bottom, top, right = 760, 460, 70, 60, 20, 20
    rows = sorted(rows, key=lambda r: r["stories"] * r["languages"])  # lines run left to right
    im = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(im)
    xs = [r["stories"] * r["languages"] for r in rows]
    series = {"baseline": (200, 40, 40), "lantoa": (30, 110, 200), "lantoa_warm": (120, 60, 180),
              "lantoa_edit": (230, 140, 20), "hugo": (40, 150, 60)}
    values = [r[k]["seconds"] for r in rows for k in series if k in r]
    y0, y1 = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    x0, x1 = math.log10(min(xs)) - 0.08, math.log10(max(xs)) + 0.08

    def px(x: float) -> float:
        return left + (w - left - right) * (math.log10(x) - x0) / (x1 - x0)

    def py(y: float) -> float:
        return h - bottom - (h - bottom - top) * (math.log10(y) - y0) / (y1 - y0)

    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        d.line([(left, y), (w - right, y)], fill=(225, 225, 225))
        d.text((5, y - 6), f"{10 ** e:g} s", fill="black")
    d.line([(left, h - bottom), (w - right, h - bottom)], fill="black")
    d.line([(left, top), (left, h - bottom)], fill="black")
    for x in xs:
        d.line([(px(x), h - bottom), (px(x), h - bottom + 4)], fill="black")
        d.text((px(x) - 15, h - bottom + 8), str(x), fill="black")
    d.text((w // 2 - 120, h - 25), "stories x languages (pages), log scale", fill="black")  # the default font has no ×
    labels = {"lantoa": "lantoa, cold", "lantoa_warm": "lantoa, cached assets",
              "lantoa_edit": "lantoa, one-story edit", "baseline": "baseline (MkDocs + static-i18n)"}
    for j, (name, colour) in enumerate(series.items()):
        pts = [(px(x), py(r[name]["seconds"])) for x, r in zip(xs, rows) if name in r]
        if len(pts) > 1:
            d.line(pts, fill=colour, width=3)
        for p in pts:
            d.ellipse([p[0] - 4, p[1] - 4, p[0] + 4, p[1] + 4], fill=colour)
        d.text((left + 20, top + 5 + 16 * j), f"- {labels.get(name, name)}", fill=colour)
    im.save(path)


def report(rows: list[dict], args) -> str:
    def r(a, b):
        return f"{a / b:.2f}×" if b else "—"

    def mb(n):
        return f"{n / 2**20:.0f}"

    lines = [
        "# Build speed: lantoa vs plain MkDocs + Material + mkdocs-static-i18n (and Hugo)", "",
        f"Machine: {machine()}.  ", f"Date: {time.strftime('%Y-%m-%d')}.  ",
        f"Command: `python3 scripts/bench_build.py --sizes {' '.join(args.sizes)} --runs {args.runs} "
        f"--baseline-runs {args.baseline_runs}" + "".join(f" --also {p}" for p in args.also) + "`  ",
        *([f"Rows marked † come from an earlier run (their own machine line, date and runs are in "
           f"{', '.join(sorted({r['earlier'] for r in rows if 'earlier' in r}))}), each ratio from that run.  "]
          if any("earlier" in r for r in rows) else []),
        "Times are medians of the runs (wall seconds); ratios are measured in the same run. "
        "*Cold*: empty `.cache/` (every image variant, social card, press kit and font subset made). "
        "*Cached assets*: every page rendered again, with what `.cache/lantoa` keeps by content "
        "reused: image variants, social cards, press kits, font subsets, parsed sources, file "
        "digests, search word counts, converted Markdown (what CI with a kept cache, or a theme change, costs). "
        "Edits and no-change are ÷ the cached-assets full build. An edit of a source is timed "
        "twice: the first since its translations were reviewed makes each of them 'outdated', and "
        "every edition that shows one renders the story's page again with its notice; later edits "
        "change only the source's own edition and the cards. *In `lantoa serve`*: the same "
        "edits saved under a running `lantoa serve` (its process stays up between rebuilds: no Python "
        "start or imports), timed from the save to the rebuilt preview's new build number, which the "
        "preview's pages wait for: the file system's report of the save, the quiet after it (0.02 s "
        "once the saved file is closed, 0.1 s while it is open), the check of the watched files and "
        "the rebuild (the browser's page load not counted). "
        "Memory: peak of the summed RSS of the process tree, and of the summed PSS (shared pages "
        "split between the processes that share them: what the tree really holds), sampled every "
        "20 ms in one more run of each measurement; the timed runs are not sampled (sampling took a "
        "quarter of a core, which slowed lantoa's two processes but not the one-process baseline); "
        "a child made by vfork and not yet exec'd shares its parent's memory and is not counted "
        "again (`kcmp`). "
        "lantoa's source is byte-compiled first, as an install leaves it (`compileall`). "
        "Before each run the previous run's output is renamed aside, not deleted (all of it is "
        "deleted at the end): this machine's ext4 has no journal, and its inode allocator skips "
        "inodes freed in the last 30 s, which made each run pay for the deletion before it "
        "(see `Graveyard` in the script).", "",
        "| stories × langs | lantoa cold s (÷ baseline) | lantoa full, cached assets s (÷ baseline) | "
        "baseline s | hugo s | cached ÷ hugo | one-story edit s (÷ full), translation / source / the "
        "source's first edit since its translations were reviewed | "
        "the same edits in `lantoa serve` s (÷ full) | "
        "no change s (÷ full) | peak MB RSS / PSS: lantoa · baseline | output MB lantoa / baseline (ratio) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lt, bl, wm = row["lantoa"], row["baseline"], row["lantoa_warm"]
        hg = row.get("hugo")
        lines.append(
            f"| {row['stories']} × {row['languages']}{' †' if 'earlier' in row else ''} | {lt['seconds']:.1f} ({r(lt['seconds'], bl['seconds'])}) | "
            f"{wm['seconds']:.1f} ({r(wm['seconds'], bl['seconds'])}) | {bl['seconds']:.1f} | "
            + (f"{hg['seconds']:.1f} | {r(wm['seconds'], hg['seconds'])} | " if hg else "— | — | ")
            + f"{row['lantoa_edit']['seconds']:.1f} ({r(row['lantoa_edit']['seconds'], wm['seconds'])}) / "
            + (f"{row['lantoa_edit_source']['seconds']:.1f} ({r(row['lantoa_edit_source']['seconds'], wm['seconds'])})"
               if "lantoa_edit_source" in row else "—")
            + (f" / {row['lantoa_edit_outdating']['seconds']:.1f} "
               f"({r(row['lantoa_edit_outdating']['seconds'], wm['seconds'])})" if "lantoa_edit_outdating" in row else "")
            + " | "
            + (f"{row['serve_edit']['seconds']:.1f} ({r(row['serve_edit']['seconds'], wm['seconds'])}) / "
               f"{row['serve_edit_source']['seconds']:.1f} ({r(row['serve_edit_source']['seconds'], wm['seconds'])}) | "
               if "serve_edit" in row else "— | ")
            + f"{row['lantoa_nochange']['seconds']:.2f} ({r(row['lantoa_nochange']['seconds'], wm['seconds'])}) | "
            f"{mb(max(lt['peak_rss'], wm['peak_rss']))} / {mb(max(lt['peak_pss'], wm['peak_pss']))} · "
            f"{mb(bl['peak_rss'])} / {mb(bl['peak_pss'])} | "
            f"{lt['bytes'] / 2**20:.1f} / {bl['bytes'] / 2**20:.1f} ({r(lt['bytes'], bl['bytes'])}) |")
    lines += ["", "Output bytes per edition (kB; *shared*: Material's assets, fonts, media and the API, "
              "served once for all editions):", ""]
    for row in rows:
        per = row["lantoa"].get("bytes_per_edition", {})
        lines.append(f"- {row['stories']} × {row['languages']}: "
                     + ", ".join(f"{k} {v / 1024:.0f}" for k, v in per.items()))
    lines += ["", "Raw runs: build.json. Plot: build.png.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["100x4", "200x8", "100x12"], help="STORIESxLANGUAGES")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the generated projects")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--also", type=Path, action="append", default=[], metavar="BUILD_JSON",
                    help="add the rows of an earlier run's build.json (sizes this run does not measure, such "
                         "as 1000x12) to the table and the plot, each row's ratios from its own run")
    args = ap.parse_args()
    earlier = [dict(row, earlier=str(path)) for path in args.also
               for row in json.loads(path.read_text("utf-8"))["rows"]]
    # Byte-compile lantoa's source once, as an install leaves it: an editable install run with
    # PYTHONDONTWRITEBYTECODE set (as on the machines these results come from) would otherwise
    # compile every module lantoa imports again in every run (MkDocs, Material and the baseline
    # are installed compiled). compileall writes the .pyc files whatever that variable says.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src" / "lantoa")], check=True)
    rows = []
    try:
        for size in args.sizes:
            n, l = (int(x) for x in size.lower().split("x"))
            rows.append(bench_size(n, l, args.runs, args.baseline_runs, args.keep))
            print(json.dumps(rows[-1]), flush=True)
        measured = {(r["stories"], r["languages"]) for r in rows}
        rows = sorted(rows + [r for r in earlier if (r["stories"], r["languages"]) not in measured],
                      key=lambda r: r["stories"] * r["languages"])
        # the results first: deleting the runs' outputs (gigabytes of the baseline's) takes minutes
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "build.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2) + "\n")
        (args.out / "build.md").write_text(report(rows, args))
        plot(rows, args.out / "build.png")
        print(report(rows, args), flush=True)
    finally:
        for path in _TO_DELETE:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
