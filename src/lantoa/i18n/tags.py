"""BCP 47 language tags checked against ISO 639 and ISO 15924 (via pycountry).

pycountry loads a whole database at its first question: 7,900 languages of ISO 639-3, 6 MB of
objects and 30 ms, in every build, for the dozen codes of ``locales/`` (and then the name of every
language, when a file names its language otherwise than ISO 639 does, as "Chinese (Simplified)"
for "Chinese"). Each answer is remembered between runs by the content of pycountry's database file
(lantoa.digests.fact): a build whose codes were all asked about before loads none of it (nor
imports pycountry: 10 ms), and the edition processes forked from it do not inherit it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec

_TAG = re.compile(r"^(?P<lang>[a-z]{2,3})(?:-(?P<script>[A-Z][a-z]{3}))?(?:-(?P<region>[A-Z]{2}|[0-9]{3}))?$")


@dataclass(frozen=True)
class TagInfo:
    tag: str
    language: str
    script: str | None
    region: str | None
    language_name: str | None  # ISO 639 reference name, None if unknown


class TagError(ValueError):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


#: the file of pycountry's database of each kind (pycountry.languages.filename,
#: pycountry.scripts.filename), found without importing pycountry
_FILES = {"language": "iso639-3.json", "script": "iso15924.json"}


@lru_cache(maxsize=None)
def _database_file(kind: str) -> str:
    spec = find_spec("pycountry")
    folders = list(spec.submodule_search_locations or []) if spec else []
    return f"{folders[0]}/databases/{_FILES[kind]}" if folders else ""


def _asked(kind: str, code: str, answer):
    """``answer()`` (what pycountry's ``kind`` database says of ``code``), remembered by the
    database file's content."""
    from .. import digests

    try:
        return digests.fact(_database_file(kind), f"pycountry.{kind}:{code}", answer)
    except OSError:  # not where it was looked for (another pycountry): asked, not remembered
        return answer()


def _language(code: str) -> tuple[str, str | None] | None:
    """(reference name, two-letter code or None) of the ISO 639 language ``code`` (two or three letters)."""
    def answer():
        import pycountry

        rec = pycountry.languages.get(**{"alpha_2" if len(code) == 2 else "alpha_3": code})
        return None if rec is None else (rec.name, getattr(rec, "alpha_2", None))
    return _asked("language", code, answer)


def parse(tag: str) -> TagInfo:
    """Parse and check a tag; raise TagError with a hint when it is not acceptable."""
    m = _TAG.match(tag or "")
    if not m:
        raise TagError(
            f"'{tag}' is not a BCP 47 tag of the form language[-Script][-REGION]",
            "use e.g. 'vi', 'zh-Hans', 'tyz', 'blt-Tavt', 'pt-BR' (language lower case, Script title case)",
        )
    lang, script, region = m.group("lang"), m.group("script"), m.group("region")
    rec = _language(lang)
    if rec is None:
        raise TagError(f"'{lang}' is not an ISO 639-{1 if len(lang) == 2 else 3} language code", _suggest_hint(lang))
    name, alpha_2 = rec
    if len(lang) == 3 and alpha_2:
        raise TagError(f"'{lang}' ({name}) has a two-letter code; BCP 47 requires it", f"use '{alpha_2}'")
    if script and not script_exists(script):
        raise TagError(f"'{script}' is not an ISO 15924 script code", "e.g. Latn, Hans, Khmr, Tavt, Cham, Arab")
    return TagInfo(tag, lang, script, region, name)


def language_name(code: str) -> str | None:
    rec = _language(code) if 2 <= len(code) <= 3 else None
    return rec[0] if rec else None


def script_exists(code: str) -> bool:
    def answer() -> bool:
        import pycountry

        return pycountry.scripts.get(alpha_4=code) is not None
    return bool(code) and _asked("script", code, answer)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    return "".join(c for c in text if not unicodedata.combining(c) and c.isalnum())


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    import pycountry

    out = {}
    for rec in pycountry.languages:
        out.setdefault(_fold(rec.name), getattr(rec, "alpha_2", None) or rec.alpha_3)
    return out


def let_go() -> None:
    """Let go of what pycountry loaded to answer a question not asked before (its databases load
    again when asked): a build does it once its checks are done, before it forks the processes
    that render its editions, which would otherwise each hold their share of it (a cold build's
    4 MB of objects)."""
    import sys

    _names.cache_clear()
    pycountry = sys.modules.get("pycountry")
    for name in ("languages", "scripts"):
        clear = getattr(getattr(pycountry, name, None), "_clear", None)  # (pycountry.db.Database)
        if callable(clear):
            clear()


def code_for_name(name: str) -> str | None:
    """The ISO code whose reference name is ``name`` (accents and case ignored)."""
    folded = _fold(name)
    return _asked("language", f"name={folded}", lambda: _names().get(folded))


def _suggest_hint(code: str) -> str:
    return "check the code in ISO 639-3 (https://iso639-3.sil.org/)"
