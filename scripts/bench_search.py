#!/usr/bin/env python3
"""Benchmark of per-language search: index bytes per edition and the cost of the build step.

    python3 scripts/bench_search.py              # the repository's sample site
    python3 scripts/bench_search.py --scale 10   # every story copied 10 times (a bigger site)
    python3 scripts/bench_search.py --browser    # also: load + prepare + query time in Chromium

Builds into a temporary folder (never build/), times the search output step, and prints, per
edition: pages indexed here, pages searched in another edition's index (fallbacks), distinct
words, index bytes (raw and gzip) and, for comparison, the bytes of the indexed text itself and
the size the index would have if it indexed its fallback pages again instead of pointing to the
shown language's index ("dup B").
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def scaled_copy(n: int, dest: Path) -> Path:
    """The repository's project with every story copied ``n`` times (slugs <slug>-2 … <slug>-n)."""
    for name in ("content", "locales", "theme", "mkdocs.yml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / name)
    stories = dest / "content" / "stories"
    for folder in sorted(p for p in stories.iterdir() if p.is_dir()):
        for i in range(2, n + 1):
            shutil.copytree(folder, stories / f"{folder.name}-{i}")
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=1, help="copy every story this many times")
    ap.add_argument("--browser", action="store_true", help="also time loading and querying in Chromium")
    args = ap.parse_args()

    from lantoa import validate
    from lantoa.site import search
    from lantoa.site.builder import build_site

    timing: dict[str, float] = {"search": 0.0}
    original = search.edition_index

    def timed(*args, **kwargs):
        start = time.perf_counter()
        n = original(*args, **kwargs)
        timing["search"] += time.perf_counter() - start
        return n

    search.edition_index = timed  # the build runs in this process (jobs=1), so every edition's call is timed
    with tempfile.TemporaryDirectory(prefix="lantoa-bench-search-") as tmp:
        root = scaled_copy(args.scale, Path(tmp) / "project") if args.scale > 1 else REPO
        checked = validate.check(root)
        start = time.perf_counter()
        result = build_site(checked, out=Path(tmp) / "site", jobs=1, cache=False)
        total = time.perf_counter() - start
        site = result.site_dir
        print(f"site: {sum(result.pages.values())} pages in {len(result.pages)} editions "
              f"(scale {args.scale}); build {total:.1f} s (one process), of which search indexing {timing['search']:.2f} s\n")
        print(f"{'edition':10} {'pages':>5} {'fallb.':>6} {'words':>6} {'index B':>9} {'gzip B':>8} {'text B':>9} "
              f"{'dup B':>9}")
        sums = [0, 0, 0, 0]
        indexes = {json.loads(p.read_bytes())["lang"]: json.loads(p.read_bytes()) for p in site.glob("**/search/index.json")}
        for path in sorted(site.glob("**/search/index.json"), key=lambda p: (p.parent.parent != site, str(p))):
            data = path.read_bytes()
            ix = json.loads(data)
            text = 0
            for d in ix["docs"]:
                page = site / ix["prefix"] / d["url"] / "index.html"
                body = search.article_text(page.read_text("utf-8")) or ""
                text += len((d["title"] + d["summary"] + body).encode())
            gz = len(gzip.compress(data, 9))
            dup = len(duplicated(site, ix, indexes))
            sums = [sums[0] + len(data), sums[1] + gz, sums[2] + text, sums[3] + dup]
            print(f"{ix['lang']:10} {len(ix['docs']):5} {len(ix['fallbacks']):6} {len(ix['terms']):6} "
                  f"{len(data):9} {gz:8} {text:9} {dup:9}")
        print(f"{'total':10} {'':5} {'':6} {'':6} {sums[0]:9} {sums[1]:8} {sums[2]:9} {sums[3]:9}")
        if args.browser:
            browser_timing(site)
    return 0


def duplicated(site: Path, ix: dict, indexes: dict) -> bytes:
    """The index of this edition as it would be with its fallback pages indexed here again."""
    from lantoa.search import index as sindex
    from lantoa.site.search import article_text

    docs = []
    for d in ix["docs"] + ix["fallbacks"]:
        shown = next(x for x in indexes[d["lang"]]["docs"] if x["url"] == d["url"]) if "title" not in d else d
        body = article_text((site / ix["prefix"] / d["url"] / "index.html").read_text("utf-8")) or ""
        docs.append(sindex.Doc(d["url"], shown["title"], shown["summary"], body, d["lang"]))
    editions = [sindex.Edition(e["lang"], e["prefix"], e["name"], e["dir"]) for e in ix["editions"]]
    return sindex.dumps(sindex.build(ix["lang"], ix["prefix"], docs, [], editions))


def browser_timing(site: Path) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from browser_util import CHROMIUM, CHROMIUM_ARGS, SiteServer
    from playwright.sync_api import sync_playwright

    queries = {"": "doi moi", "km/": "ថ្មកំបោរ", "lo/": "ພາກພື້ນ", "zh-Hans/": "亚太地区", "tyz/": "Việt Nam"}
    print("\nChromium: fetch + prepare, then one query (ms, median of 5)")
    with SiteServer(site) as srv, sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = b.new_page()
        for prefix, query in queries.items():
            page.goto(srv.url(prefix))
            ms = page.evaluate("""async ([prefix, query]) => {
                const prep = [], run = [];
                for (let i = 0; i < 5; i++) {
                  let t = performance.now();
                  const raw = await (await fetch(prefix + 'search/index.json', {cache: 'no-store'})).json();
                  const ix = lantoaSearch.prepare(raw);
                  prep.push(performance.now() - t);
                  t = performance.now();
                  lantoaSearch.match(ix, query);
                  run.push(performance.now() - t);
                }
                const med = a => a.sort((x, y) => x - y)[2];
                return [med(prep), med(run)];
            }""", [srv.url(prefix), query])
            print(f"  {prefix or 'vi/':10} prepare {ms[0]:6.1f}   query {query!r}: {ms[1]:6.2f}")
        b.close()


if __name__ == "__main__":
    raise SystemExit(main())
