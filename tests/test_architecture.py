"""Only lantoa.site imports mkdocs; the rest of the pipeline can move to a successor untouched."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "lantoa"


def test_only_site_imports_mkdocs():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).parts[0] == "site":
            continue
        if re.search(r"^\s*(import mkdocs|from mkdocs)", path.read_text("utf-8"), re.M):
            offenders.append(path.relative_to(SRC).as_posix())
    assert offenders == []


def test_cli_help_does_not_import_mkdocs():
    import subprocess
    import sys

    code = "import sys; from lantoa.cli import main; import lantoa.commands.check; print('mkdocs' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_the_build_process_imports_no_module_it_does_not_need():
    """Every build's main process imports the builder and its output steps. None of them imports
    at load time what only some builds use: fontTools' table modules (20-30 ms; only for fonts not
    in the cache), MkDocs or Jinja (the edition workers' own), nor xml.sax.saxutils, which brings
    urllib.request, http.client and ssl (36 ms)."""
    import subprocess
    import sys

    code = ("import sys; import lantoa.commands.build, lantoa.site.builder, lantoa.site.outputs; "
            "print(' '.join(m for m in ('fontTools.ttLib', 'xml.sax.saxutils', 'ssl', 'http.client', "
            "'mkdocs', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
