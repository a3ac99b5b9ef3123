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
