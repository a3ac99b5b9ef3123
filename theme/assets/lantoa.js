/* Lan Tỏa — small, self-hosted, no dependencies. Loaded (blocking, ~1 kB) at the end of <head>. */
(function () {
  "use strict";
  var KEY = "lantoa.lang";

  /* 1. The hreflang links in <head> are for search engines. Material's bundle fetches sitemap.xml
        below every link[rel=alternate] it finds; for absolute production URLs that request would
        leave this origin (mirrors, kiosks, previews). Rename them before the bundle runs. */
  var links = document.querySelectorAll('link[rel="alternate"][hreflang]');
  for (var i = 0; i < links.length; i++) links[i].setAttribute("rel", "x-lantoa-hreflang");

  function remember(tag) {
    try { localStorage.setItem(KEY, tag); } catch (e) { /* private mode: nothing to remember */ }
  }
  function remembered() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }

  /* Match the browser's preferred languages to an edition: exact tag, then the language subtag
     (zh-CN → zh-Hans, pt-BR → pt, en-US → en). */
  function bestEdition(tags, prefs) {
    for (var p = 0; p < prefs.length; p++) {
      var want = prefs[p].toLowerCase(), base = want.split("-")[0];
      for (var t = 0; t < tags.length; t++) if (tags[t].toLowerCase() === want) return tags[t];
      for (var u = 0; u < tags.length; u++) if (tags[u].toLowerCase().split("-")[0] === base) return tags[u];
    }
    return null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    /* 2. Remember the visitor's choice of language. */
    document.addEventListener("click", function (ev) {
      var a = ev.target.closest && ev.target.closest("a[hreflang].md-select__link, a[hreflang].lt-autonym");
      if (a) remember(a.getAttribute("hreflang"));
    });

    /* 3. First visit to the root: suggest (never redirect to) the edition the browser prefers. */
    var box = document.querySelector(".lt-suggest");
    if (!box || remembered()) return;
    var items = box.querySelectorAll("[data-lt-suggest]"), tags = [];
    for (var k = 0; k < items.length; k++) tags.push(items[k].getAttribute("data-lt-suggest"));
    var prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    var here = document.documentElement.lang;
    var pick = bestEdition(tags.concat([here]), prefs);
    if (!pick || pick === here) return;
    for (var m = 0; m < items.length; m++) {
      if (items[m].getAttribute("data-lt-suggest") === pick) items[m].hidden = false;
    }
    box.hidden = false;
    var buttons = box.querySelectorAll("button");
    for (var b = 0; b < buttons.length; b++) {
      buttons[b].addEventListener("click", function () { remember(here); box.hidden = true; });
    }
  });
})();
