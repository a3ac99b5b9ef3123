/* Lan Tỏa search: one index per language edition (<prefix>search/index.json, written by
   lantoa.site.search), loaded when the visitor first uses the search box. Self-hosted, no
   dependencies, works under any base path. The index holds each word exactly as written (NFC,
   lower case); this file folds them the same way it folds the query, so "ha long" finds
   "Hạ Long" and the exact spelling still ranks first. */
(function () {
  "use strict";

  // ------------------------------------------------------------------------------------------
  // Text: folding and segmentation, identical for the index's words and the visitor's query.

  /* combining diacritics (Latin, Greek, Cyrillic: Vietnamese tones and vowel marks, é, ñ, й),
     Arabic tashkeel, Quranic marks and tatweel; the marks of Khmer, Lao, Thai, Tai Viet, Cham
     (vowel signs, not diacritics) live in their own blocks and are kept */
  var MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]/g;
  var LETTERS = { "đ": "d", "ð": "d", "ł": "l", "ø": "o", "ı": "i", "ٱ": "ا", "ى": "ي", "ة": "ه" };
  var LETTER_RE = /[đðłøıٱىة]/g;
  /* scripts written without spaces between words, which ICU segments with a dictionary */
  var DICT = /[\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u1980-\u19df\u19e0-\u19ff\u1a20-\u1aaf\u3005\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua9e0-\ua9ff\uaa60-\uaa7f\uf900-\ufaff\uff66-\uff9f]|[\ud840-\ud8bf][\udc00-\udfff]/;

  function exact(s) {
    return s.normalize("NFC").toLowerCase().normalize("NFC");
  }

  function fold(s) {
    return exact(s).normalize("NFKD").replace(MARKS, "")
      .replace(LETTER_RE, function (c) { return LETTERS[c]; }).normalize("NFC");
  }

  var WORDS = null;
  try { WORDS = new RegExp("[\\p{L}\\p{M}\\p{N}]+", "gu"); } catch (e) { WORDS = /[^\s!-\/:-@\[-`{-~\u00a0-\u00bf\u2000-\u206f\u3000-\u303f]+/g; }
  var segmenters = {};

  /* Word-like segments with their offsets: Intl.Segmenter runs ICU's word break (UAX #29) like
     the index builder (PyICU); without it, runs of letters, marks and digits. */
  function segments(text, lang) {
    var out = [];
    if (window.Intl && Intl.Segmenter) {
      var seg = segmenters[lang];
      if (!seg) {
        try { seg = new Intl.Segmenter(lang, { granularity: "word" }); } catch (e) { seg = new Intl.Segmenter(undefined, { granularity: "word" }); }
        segmenters[lang] = seg;
      }
      var it = seg.segment(text)[Symbol.iterator](), step;
      while (!(step = it.next()).done) {
        var s = step.value;
        if (s.isWordLike) out.push({ raw: s.segment, start: s.index, end: s.index + s.segment.length });
      }
      return out;
    }
    var m;
    WORDS.lastIndex = 0;
    while ((m = WORDS.exec(text))) out.push({ raw: m[0], start: m.index, end: m.index + m[0].length });
    return out;
  }

  /* The units a query is matched by. Words of spaced scripts stay words. Adjacent segments of
     the dictionary scripts (Khmer, Lao, Thai, Burmese, Chinese, Japanese) are joined into one
     run: the browser's ICU dictionaries are not the build's (Chromium splits Khmer and Lao
     differently from Debian's ICU), so a run is matched against the index's own words. */
  function units(query, lang) {
    var text = query.normalize("NFC"), out = [];
    segments(text, lang).forEach(function (s) {
      var dict = DICT.test(s.raw), last = out[out.length - 1];
      if (dict && last && last.dict && last.end === s.start) {
        last.raw += s.raw;
        last.end = s.end;
      } else {
        out.push({ raw: s.raw, end: s.end, dict: dict });
      }
    });
    return out.map(function (u) { return { text: exact(u.raw), fold: fold(u.raw), dict: u.dict }; });
  }

  // ------------------------------------------------------------------------------------------
  // Matching one index

  var TIER = { exact: 1, folded: 0.7, part: 0.5, prefix: 0.4 };

  function prepare(raw) {
    var ix = {
      lang: raw.lang, prefix: raw.prefix, docs: raw.docs, fallbacks: raw.fallbacks || [],
      editions: raw.editions || [], terms: new Map(), byFold: new Map(), folds: [], dictFolds: []
    };
    Object.keys(raw.terms).forEach(function (t) {
      ix.terms.set(t, raw.terms[t]);
      var f = fold(t), list = ix.byFold.get(f);
      if (!list) { ix.byFold.set(f, list = []); ix.folds.push(f); if (DICT.test(f)) ix.dictFolds.push(f); }
      list.push(t);
    });
    return ix;
  }

  /* add the documents of ``term`` to ``hits`` (doc -> best score) */
  function addTerm(hits, ix, term, tier) {
    var p = ix.terms.get(term);
    if (!p) return;
    var idf = Math.log(1 + ix.docs.length / (p.length / 2));
    for (var i = 0; i < p.length; i += 2) {
      var s = tier * (1 + Math.log(p[i + 1])) * idf;
      if (!(hits.get(p[i]) >= s)) hits.set(p[i], s);
    }
  }

  function addFold(hits, ix, f, tier, except) {
    (ix.byFold.get(f) || []).forEach(function (t) { if (t !== except) addTerm(hits, ix, t, tier); });
  }

  /* a word: exactly as typed, without diacritics, or (the word being typed) as a prefix */
  function wordHits(ix, u, typing) {
    var hits = new Map();
    addTerm(hits, ix, u.text, TIER.exact);
    addFold(hits, ix, u.fold, TIER.folded, u.text);
    if (typing && u.fold.length >= 2) {
      ix.folds.forEach(function (f) {
        if (f.length > u.fold.length && f.lastIndexOf(u.fold, 0) === 0) addFold(hits, ix, f, TIER.prefix);
      });
    }
    return hits;
  }

  /* a run of a dictionary script: a document matches when the run is a sequence of its words,
     the first of which may be the end of a longer word and the last the start of one (a query
     that starts or stops inside a word of the index) */
  function runHits(ix, u) {
    var r = u.fold, n = r.length, byStart = [], i, j;
    for (i = 0; i < n; i++) byStart.push([]);
    function piece(from, to, folds, tier) {
      var h = new Map();
      folds.forEach(function (f) { addFold(h, ix, f, tier); });
      if (h.size) byStart[from].push({ to: to, hits: h });
    }
    for (i = 0; i < n; i++) {
      for (j = i + 1; j <= n; j++) if (ix.byFold.has(r.slice(i, j))) piece(i, j, [r.slice(i, j)], TIER.exact);
    }
    var inside = [], ends = {}, starts = {};
    ix.dictFolds.forEach(function (f) {
      if (f === r) return;
      if (f.indexOf(r) >= 0) inside.push(f);
      for (var k = 1; k < n && k < f.length; k++) {
        var head = r.slice(0, k), tail = r.slice(k);
        if (f.slice(-head.length) === head) (ends[k] = ends[k] || []).push(f);
        if (f.length > tail.length && f.lastIndexOf(tail, 0) === 0) (starts[k] = starts[k] || []).push(f);
      }
    });
    if (inside.length) piece(0, n, inside, TIER.part);
    Object.keys(ends).forEach(function (k) { piece(0, +k, ends[k], TIER.part); });
    Object.keys(starts).forEach(function (k) { piece(+k, n, starts[k], TIER.part); });

    var hits = new Map(), candidates = new Set();
    if (!n) return hits;
    byStart[0].forEach(function (p) { p.hits.forEach(function (_, d) { candidates.add(d); }); });
    candidates.forEach(function (d) {
      var best = [{ s: 0, k: 0 }];
      for (var at = 0; at < n; at++) {
        if (!best[at]) continue;
        byStart[at].forEach(function (p) {
          var s = p.hits.get(d);
          if (s === undefined) return;
          var c = { s: best[at].s + s * (p.to - at) / n, k: best[at].k + 1 }, b = best[p.to];
          if (!b || c.s / Math.sqrt(c.k) > b.s / Math.sqrt(b.k)) best[p.to] = c;
        });
      }
      if (best[n]) hits.set(d, best[n].s / Math.sqrt(best[n].k));
    });
    return hits;
  }

  /* doc index -> score for the documents that match every unit of the query. The index has no
     word positions; the titles and summaries it shows are there, so the query as a phrase in a
     title (then a summary) ranks first: "doi moi" finds every text with đối, đời, mới or mọi,
     and "Từ Đổi Mới đến…" above them. */
  function match(ix, query) {
    var us = units(query, ix.lang), typing = !/\s$/.test(query), total = null;
    us.forEach(function (u, k) {
      var h = u.dict ? runHits(ix, u) : wordHits(ix, u, typing && k === us.length - 1);
      if (!total) { total = h; return; }
      var next = new Map();
      total.forEach(function (s, d) { if (h.has(d)) next.set(d, s + h.get(d)); });
      total = next;
    });
    if (!total) return new Map();
    var sep = us.every(function (u) { return u.dict; }) ? "" : " ";
    var phrase = us.map(function (u) { return u.fold; }).join(sep);
    var said = us.map(function (u) { return u.text; }).join(sep);
    total.forEach(function (s, d) {
      var doc = ix.docs[d];
      if (!doc.folded) doc.folded = { title: fold(doc.title), summary: fold(doc.summary) };
      var boost = doc.folded.title.indexOf(phrase) >= 0 ? 3 : doc.folded.summary.indexOf(phrase) >= 0 ? 1.5 : 0;
      if (boost && exact(doc.title + " " + doc.summary).indexOf(said) >= 0) boost += 1;
      total.set(d, s * (1 + boost));
    });
    return total;
  }

  // ------------------------------------------------------------------------------------------
  // Loading indexes (each once, on demand)

  /* for the tests and scripts/bench_search.py: the text functions, on any page */
  var api = window.lantoaSearch = { fold: fold, units: units, prepare: prepare, match: match };
  var box = document.querySelector("[data-lt-search]");
  if (!box || !window.fetch || !window.Map) return;

  var root = new URL((box.getAttribute("data-root") || ".").replace(/\/?$/, "/"), document.baseURI);
  /* a --kiosk copy may be opened from file://, where fetch is refused: it loads each index as a
     script (<prefix>search/index.js calls lantoaSearch.receive) and links name their index.html */
  var kiosk = box.hasAttribute("data-kiosk");
  var loaded = {}, waiting = {};

  api.receive = function (raw) {
    if (waiting[raw.prefix]) waiting[raw.prefix](raw);
  };

  function fetchScript(prefix) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      waiting[prefix] = resolve;
      s.onerror = function () { reject(new Error(s.src)); };
      s.src = new URL(prefix + "search/index.js", root).href;
      document.head.appendChild(s);
    });
  }

  function fetchJSON(prefix) {
    return fetch(new URL(prefix + "search/index.json", root).href)
      .then(function (r) { if (!r.ok) throw new Error(r.status + " " + r.url); return r.json(); });
  }

  function load(prefix) {
    if (!loaded[prefix]) {
      loaded[prefix] = (kiosk ? fetchScript(prefix) : fetchJSON(prefix)).then(prepare);
      loaded[prefix].catch(function () { delete loaded[prefix]; });
    }
    return loaded[prefix];
  }

  function result(doc, score, linkPrefix) {
    var url = linkPrefix + doc.url + (kiosk && /\/$/.test(doc.url) ? "index.html" : "");
    return { title: doc.title, summary: doc.summary, lang: doc.lang, url: doc.url, score: score,
             href: new URL(url, root).href };
  }

  /* This edition: its own pages, then the pages it shows in another language (searched in
     that language's index, linked to this edition's copy). Own language first. */
  function searchEdition(ix, query) {
    var out = [];
    match(ix, query).forEach(function (s, d) { out.push(result(ix.docs[d], s, ix.prefix)); });
    var byLang = {};
    ix.fallbacks.forEach(function (f) { (byLang[f.lang] = byLang[f.lang] || {})[f.url] = true; });
    var waits = Object.keys(byLang).map(function (lang) {
      var ed = edition(ix, lang);
      if (!ed) return null;
      return load(ed.prefix).then(function (other) {
        match(other, query).forEach(function (s, d) {
          var doc = other.docs[d];
          if (byLang[lang][doc.url]) out.push(result(doc, s, ix.prefix));
        });
      }, function () { /* that index is missing: this edition's own pages still count */ });
    });
    return Promise.all(waits).then(function () { return sortResults(out, ix.lang); });
  }

  function sortResults(list, lang) {
    return list.sort(function (a, b) {
      return ((b.lang === lang) - (a.lang === lang)) || (b.score - a.score) || (a.title < b.title ? -1 : 1);
    });
  }

  function edition(ix, lang) {
    for (var i = 0; i < ix.editions.length; i++) if (ix.editions[i].lang === lang) return ix.editions[i];
    return null;
  }

  /* Every other edition: its own pages only (its fallbacks are some edition's own pages). */
  function searchOthers(ix, query) {
    return Promise.all(ix.editions.filter(function (e) { return e.lang !== ix.lang; }).map(function (e) {
      return load(e.prefix).then(function (other) {
        var out = [];
        match(other, query).forEach(function (s, d) { out.push(result(other.docs[d], s, other.prefix)); });
        return { edition: e, results: sortResults(out, e.lang) };
      }, function () { return { edition: e, results: [] }; });
    }));
  }

  // ------------------------------------------------------------------------------------------
  // The search box

  var form = box.querySelector("form");
  var input = box.querySelector("input[type=search]");
  var panel = box.querySelector(".lt-search__panel");
  var status = box.querySelector(".lt-search__count");
  var all = box.querySelector(".lt-search__all");
  var list = box.querySelector(".lt-search__results");
  var strings = {};
  Array.prototype.forEach.call(box.attributes, function (a) {
    if (a.name.lastIndexOf("data-s-", 0) === 0) strings[a.name.slice(7)] = a.value;
  });
  var MAX_HERE = 20, MAX_OTHER = 10, seq = 0;
  box.hidden = false;

  function count(n) {
    if (!n) return strings.none;
    return (n === 1 ? strings.one : strings.other).replace("#", String(n));
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function dirOf(ix, lang) {
    var ed = edition(ix, lang);
    return ed ? ed.dir : "ltr";
  }

  function nameOf(ix, lang) {
    var ed = edition(ix, lang);
    return ed ? ed.name : lang;
  }

  function renderList(ix, results, max) {
    var ol = el("ol", "lt-search__list");
    results.slice(0, max).forEach(function (r) {
      var li = el("li", "lt-search__item"), a = el("a", "lt-search__link");
      a.href = r.href;
      a.lang = r.lang;
      a.dir = dirOf(ix, r.lang);
      a.appendChild(el("span", "lt-search__title", r.title));
      a.appendChild(el("span", "lt-search__summary", r.summary));
      if (r.lang !== ix.lang) {
        var tag = el("span", "lt-search__lang", nameOf(ix, r.lang));
        tag.lang = r.lang;
        a.appendChild(tag);
      }
      li.appendChild(a);
      ol.appendChild(li);
    });
    return ol;
  }

  function show(ix, here_, others) {
    list.textContent = "";
    var total = here_.length;
    if (here_.length) list.appendChild(renderList(ix, here_, MAX_HERE));
    var seen = {};  // a page this edition shows in another language is not listed again under that language
    here_.forEach(function (r) { seen[r.lang + " " + r.url] = true; });
    (others || []).forEach(function (g) {
      g.results = g.results.filter(function (r) { return !seen[r.lang + " " + r.url]; });
      if (!g.results.length) return;
      total += g.results.length;
      var h = el("h2", "lt-search__group", g.edition.name);
      h.lang = g.edition.lang;
      h.dir = g.edition.dir;
      list.appendChild(h);
      list.appendChild(renderList(ix, g.results, MAX_OTHER));
    });
    status.textContent = count(total);
  }

  /* aria-busy on the results while a search runs: assistive technology (and the tests) wait for it */
  function done(mine, text) {
    if (mine !== seq) return;
    if (text !== undefined) { list.textContent = ""; status.textContent = text; }
    list.setAttribute("aria-busy", "false");
  }

  function run() {
    var query = input.value, mine = ++seq;
    panel.hidden = false;
    list.setAttribute("aria-busy", "true");
    if (!query.trim()) return done(mine, strings.placeholder);
    if (!loaded[box.getAttribute("data-prefix")]) status.textContent = strings.initializer;
    load(box.getAttribute("data-prefix")).then(function (ix) {
      return Promise.all([searchEdition(ix, query), all.checked ? searchOthers(ix, query) : null])
        .then(function (r) { if (mine === seq) { show(ix, r[0], r[1]); done(mine); } });
    }).catch(function () { done(mine, strings.error); });
  }

  function links() { return list.querySelectorAll("a"); }

  function close() { panel.hidden = true; }

  input.addEventListener("focus", function () {
    load(box.getAttribute("data-prefix")).catch(function () { /* shown when searching */ });
    if (panel.hidden) run();  // the scope choice is there before the first letter
  });
  input.addEventListener("input", run);
  all.addEventListener("change", function () { run(); });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var first = links()[0];
    if (first) first.click(); else run();
  });
  box.addEventListener("keydown", function (ev) {
    var items = Array.prototype.slice.call(links()), at = items.indexOf(document.activeElement);
    if (ev.key === "Escape") {
      if (document.activeElement !== input) { input.focus(); } else if (input.value) { input.value = ""; run(); } else { close(); input.blur(); }
      ev.preventDefault();
    } else if (ev.key === "ArrowDown" && items.length) {
      items[Math.min(at + 1, items.length - 1)].focus();
      ev.preventDefault();
    } else if (ev.key === "ArrowUp" && at >= 0) {
      if (at === 0) input.focus(); else items[at - 1].focus();
      ev.preventDefault();
    }
  });
  box.addEventListener("focusout", function (ev) {
    if (!ev.relatedTarget || !box.contains(ev.relatedTarget)) close();
  });
  document.addEventListener("keydown", function (ev) {
    var t = ev.target, editable = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (ev.key === "/" && !editable && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      input.focus();
    }
  });
})();
