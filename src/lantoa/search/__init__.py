"""Per-language search: word segmentation and the index of one language edition.

No mkdocs here: :mod:`lantoa.site.search` feeds this package the text of the
built pages and writes the result to ``<prefix>search/index.json``; the
browser side is ``theme/assets/lantoa-search.js``.
"""
