"""Words of a text, for the search index: ICU word break (UAX #29 plus ICU's dictionaries).

Khmer, Lao, Thai and Burmese are written without spaces between words, Chinese
and Japanese without any; ICU's word break iterator segments them with its
dictionaries and every other script by the rules of UAX #29 (spaces,
punctuation, apostrophes inside words, numbers with separators). Only the
"word-like" segments are kept (ICU rule status >= 100: numbers, letters,
kana, ideographs), in NFC and lower case.

The browser's ``Intl.Segmenter`` runs the same rules but, for the dictionary
scripts, its own ICU version and dictionaries (Chromium's Khmer and Lao
segmentation differs from Debian's ICU 72 on about one word in ten of the
sample stories; Firefox uses a different model again). So
``lantoa-search.js`` segments runs of those scripts in a query against the
index's own vocabulary instead: what the index holds decides, never the
browser's dictionary.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from ..errors import LantoaError

#: ICU's UBRK_WORD_NONE_LIMIT: rule statuses at or above it mark word-like segments
WORD_LIKE = 100
#: longer "words" are URLs, hashes or run-together text nobody types into a search box
MAX_WORD = 64


def _icu():
    try:
        import icu
    except ImportError:
        raise LantoaError(
            "search needs PyICU, which is not installed — run scripts/setup, or: "
            "apt-get install libicu-dev pkg-config && pip install PyICU") from None
    return icu


@lru_cache(maxsize=None)
def _locale(tag: str):
    icu = _icu()
    return icu.Locale.forLanguageTag(tag)


def words(text: str, lang: str) -> list[str]:
    """The word-like segments of ``text`` in order, in NFC and lower case (``lang``: a BCP 47 tag)."""
    icu = _icu()
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        return []
    it = icu.BreakIterator.createWordInstance(_locale(lang))
    it.setText(text)
    out: list[str] = []
    start = it.first()
    # PyICU yields boundaries as UTF-16 offsets; icu.UnicodeString keeps them aligned for astral characters
    utext = icu.UnicodeString(text)
    for end in it:
        if it.getRuleStatus() >= WORD_LIKE and end - start <= MAX_WORD * 2:
            word = str(utext[start:end])
            if len(word) <= MAX_WORD:
                out.append(unicodedata.normalize("NFC", word.lower()))
        start = end
    return out
