"""Small, formatting-preserving edits of a file's front matter (keys of the ``translation:`` block)."""

from __future__ import annotations

import json
import re
from pathlib import Path

_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*):(.*)$")


def set_translation_fields(path: Path, fields: dict[str, str]) -> None:
    """Set ``translation.<key>: value`` for each field, keeping every other line as it was.

    A flow mapping (``translation: {method: machine}``) is rewritten as a block.
    The file is replaced atomically.
    """
    text = path.read_text("utf-8")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ValueError(f"{path}: no front matter")
    end = next(i for i in range(1, len(lines)) if re.match(r"^-{3,}[ \t]*$", lines[i]))
    front = lines[1:end]
    start = next((i for i, ln in enumerate(front) if ln.startswith("translation:")), None)
    existing: list[str] = []
    if start is None:
        start = len(front)
        front.append("translation:")
        stop = start + 1
    else:
        inline = front[start][len("translation:"):].strip()
        stop = start + 1
        while stop < len(front) and (front[stop].startswith((" ", "\t")) or not front[stop].strip()):
            stop += 1
        existing = front[start + 1:stop]
        if inline.startswith("{"):
            existing = [f"  {part.strip()}" for part in inline.strip("{} ").split(",") if part.strip()]
        front[start] = "translation:"
    indent = next((re.match(r"^(\s+)", ln).group(1) for ln in existing if ln.strip()), "  ")
    kept = [ln for ln in existing if ln.strip() and ln.strip().split(":", 1)[0] not in fields]
    new = kept + [f"{indent}{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    front[start + 1:stop] = new
    out = "\n".join([lines[0]] + front + lines[end:])
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(out, "utf-8")
    tmp.replace(path)
