"""Pages lose their templates' indentation and nothing else (lantoa.site.htmlspace)."""

from __future__ import annotations

import re

from lantoa.site import csp
from lantoa.site.htmlspace import compact


def test_indentation_and_blank_lines_become_one_line_break():
    doc = "<ul>\n    <li>\n      <a href=\"x/\">Hạ Long</a>\n    </li>\n\n\n  </ul>\n"
    assert compact(doc) == "<ul>\n<li>\n<a href=\"x/\">Hạ Long</a>\n</li>\n</ul>\n"


def test_preformatted_scripts_styles_and_code_are_kept_byte_for_byte():
    kept = ["<pre><code>def f():\n    return 1\n\n\n    # end</code></pre>",
            "<textarea>\n   a\n      b</textarea>",
            "<script>\n  var a = 1;\n      // two\n</script>",
            '<style>\n  .a { color: red }\n</style>',
            "<code>a\n      b</code>",
            "<PRE class=x>\n  upper\n    case</PRE>"]
    for element in kept:
        doc = f"<div>\n      {element}\n      <p>x</p>\n</div>"
        assert compact(doc) == f"<div>\n{element}\n<p>x</p>\n</div>"


def test_other_spaces_are_text_and_stay():
    # a no-break space and an ideographic space after a line break are text, not layout
    doc = "<p>a\n\u00a0\u00a0b</p>\n\u3000<p>c</p>\n \u00a0<p>d</p>"
    assert compact(doc) == "<p>a\n\u00a0\u00a0b</p>\n\u3000<p>c</p>\n\u00a0<p>d</p>"


def test_attribute_values_with_line_breaks_are_kept():
    doc = '<div>\n    <img alt="line one\n      line two" src="a.jpg">\n    <p title=\'x\n  y\'>t\n   u</p>\n</div>'
    assert compact(doc) == '<div>\n<img alt="line one\n      line two" src="a.jpg">\n<p title=\'x\n  y\'>t\nu</p>\n</div>'


def test_compacting_twice_changes_nothing_and_keeps_the_inline_hashes():
    doc = ("<html><head>\n  <style>\n  b { x: 1 }\n  </style>\n  <script>\n var a;\n</script>\n</head>"
           "<body>\n   <p style=\"color: red\">x</p>\n   <pre>\n  y</pre></body></html>")
    once = compact(doc)
    assert compact(once) == once
    assert csp.inline_hashes(once) == csp.inline_hashes(doc)


def test_built_pages_have_no_indentation_outside_preformatted_text(built_project):
    site = built_project / "build" / "site"
    pages = sorted(site.rglob("*.html"))
    assert pages
    for page in pages:
        doc = page.read_text("utf-8")
        outside = re.sub(r"<(pre|textarea|code|script|style)\b.*?</\1\s*>", "", doc, flags=re.S | re.I)
        indented = re.findall(r"\n[ \t]+\S.{0,40}", outside)
        assert not indented, f"{page.relative_to(site)}: {indented[:3]}"
