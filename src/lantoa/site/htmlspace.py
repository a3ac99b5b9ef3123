"""Pages without their templates' indentation: every line break and the whitespace after it,
between tags or in text, becomes one line break.

A browser lays out any run of ASCII whitespace outside preformatted text as one space, so the
page looks and reads the same (a line break is whitespace like any other). What is left as it
is:

- the content of ``<pre>``, ``<textarea>``, ``<code>`` (preformatted, or ``pre-wrap`` when
  printed), ``<script>`` and ``<style>`` (their text is hashed into the page's
  Content-Security-Policy, and a script's line breaks can matter);
- attribute values (a value may keep its line breaks on purpose): a stretch of the page with
  a quoted value holding a line break is compacted between its tags only;
- every other kind of space: a no-break space (U+00A0), an ideographic space (U+3000) and the
  like are text, not layout.

Material's templates indent every line; on a story page the indentation is about a tenth of the
page's bytes.
"""

from __future__ import annotations

import re

#: elements whose text is kept byte for byte (their content may hold a "<" only as their end tag)
_KEPT = re.compile(r"<(pre|textarea|code|script|style)\b.*?</\1\s*>", re.S | re.I)
#: a line break and the ASCII whitespace after it (Python's \s would also match U+00A0); spaces
#: before a line break are left (templates hardly have any, and looking for them at every space
#: costs six times as much)
_BREAK = re.compile(r"\n[ \t\r\n\f]*")
#: a quoted attribute value holding a line break
_MULTILINE_VALUE = re.compile(r"""=\s*(?:"[^"<>]*\n[^"]*"|'[^'<>]*\n[^']*')""")
_TAG = re.compile(r"<[^>]*>")


def _squeeze(text: str) -> str:
    if _MULTILINE_VALUE.search(text) is None:
        return _BREAK.sub("\n", text)
    # compact only what lies between the tags, so that no attribute value changes
    out, pos = [], 0
    for m in _TAG.finditer(text):
        out += [_BREAK.sub("\n", text[pos:m.start()]), m.group(0)]
        pos = m.end()
    out.append(_BREAK.sub("\n", text[pos:]))
    return "".join(out)


def compact(doc: str) -> str:
    """``doc`` with each line break and the whitespace after it made one line break, outside
    the elements and attribute values it must keep as they are."""
    out, pos = [], 0
    for m in _KEPT.finditer(doc):
        out += [_squeeze(doc[pos:m.start()]), m.group(0)]
        pos = m.end()
    out.append(_squeeze(doc[pos:]))
    return "".join(out)
