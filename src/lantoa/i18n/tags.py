"""BCP 47 language tags checked against ISO 639 and ISO 15924 (via pycountry)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pycountry

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


def parse(tag: str) -> TagInfo:
    """Parse and check a tag; raise TagError with a hint when it is not acceptable."""
    m = _TAG.match(tag or "")
    if not m:
        raise TagError(
            f"'{tag}' is not a BCP 47 tag of the form language[-Script][-REGION]",
            "use e.g. 'vi', 'zh-Hans', 'tyz', 'blt-Tavt', 'pt-BR' (language lower case, Script title case)",
        )
    lang, script, region = m.group("lang"), m.group("script"), m.group("region")
    if len(lang) == 2:
        rec = pycountry.languages.get(alpha_2=lang)
        if rec is None:
            raise TagError(f"'{lang}' is not an ISO 639-1 language code", _suggest_hint(lang))
    else:
        rec = pycountry.languages.get(alpha_3=lang)
        if rec is None:
            raise TagError(f"'{lang}' is not an ISO 639-3 language code", _suggest_hint(lang))
        if getattr(rec, "alpha_2", None):
            raise TagError(
                f"'{lang}' ({rec.name}) has a two-letter code; BCP 47 requires it",
                f"use '{rec.alpha_2}'",
            )
    if script and pycountry.scripts.get(alpha_4=script) is None:
        raise TagError(f"'{script}' is not an ISO 15924 script code", "e.g. Latn, Hans, Khmr, Tavt, Cham, Arab")
    return TagInfo(tag, lang, script, region, rec.name)


def language_name(code: str) -> str | None:
    rec = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return rec.name if rec else None


def script_exists(code: str) -> bool:
    return bool(code) and pycountry.scripts.get(alpha_4=code) is not None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    return "".join(c for c in text if not unicodedata.combining(c) and c.isalnum())


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    out = {}
    for rec in pycountry.languages:
        out.setdefault(_fold(rec.name), getattr(rec, "alpha_2", None) or rec.alpha_3)
    return out


def code_for_name(name: str) -> str | None:
    """The ISO code whose reference name is ``name`` (accents and case ignored)."""
    return _names().get(_fold(name))


def _suggest_hint(code: str) -> str:
    return "check the code in ISO 639-3 (https://iso639-3.sil.org/)"
