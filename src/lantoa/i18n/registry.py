"""The language registry: ``locales/<tag>.yml``, one file per language."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..content import frontmatter as fm
from ..content import yamlsafe
from ..diagnostics import Diagnostic, error, warning
from . import tags
from .strings import LANTOA_KEYS

#: Material's own UI keys a locale may translate (the ones Lan Tỏa's pages show)
MATERIAL_KEYS = {
    "language", "direction", "action.edit", "action.skip", "action.view", "announce.dismiss",
    "clipboard.copy", "clipboard.copied", "consent.accept", "consent.manage", "consent.reject",
    "footer", "footer.next", "footer.previous", "header", "meta.comments", "meta.source", "nav",
    "readtime.one", "readtime.other", "rss.created", "rss.updated", "search", "search.config.lang",
    "search.config.pipeline", "search.config.separator", "search.placeholder", "search.share",
    "search.reset", "search.result.initializer", "search.result.placeholder", "search.result.none",
    "search.result.one", "search.result.other", "search.result.more.one", "search.result.more.other",
    "search.result.term.missing", "select.language", "select.version", "source",
    "source.file.contributors", "source.file.date.created", "source.file.date.updated", "tabs",
    "toc", "top",
}
REQUIRED_COMPLETE = ("vi", "en")
FIELDS = {"tag", "name", "autonym", "script", "dir", "fallback", "native_checked", "note", "material", "strings"}
REQUIRED = ("tag", "name", "autonym", "script", "dir", "fallback", "native_checked")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass
class Language:
    tag: str
    name: str
    autonym: str
    script: str
    dir: str = "ltr"
    fallback: tuple[str, ...] = ()
    native_checked: bool = False
    note: str = ""
    material: str | None = None
    strings: dict[str, str] = field(default_factory=dict)
    path: str = ""

    @property
    def rtl(self) -> bool:
        return self.dir == "rtl"


@dataclass
class Registry:
    languages: dict[str, Language] = field(default_factory=dict)
    default: str = "vi"

    def __contains__(self, tag: str) -> bool:
        return tag in self.languages

    def __getitem__(self, tag: str) -> Language:
        return self.languages[tag]

    def prefix(self, tag: str) -> str:
        """Where edition ``tag`` lives, relative to the site root: "" for the default language,
        "<tag>/" for every other (the site's URLs, the host's 404 rules and the API all follow it)."""
        return "" if tag == self.default else f"{tag}/"

    def tags(self) -> list[str]:
        """Default language first, then the others sorted by tag."""
        rest = sorted(t for t in self.languages if t != self.default)
        return ([self.default] if self.default in self.languages else []) + rest

    def chain(self, tag: str) -> list[str]:
        """The language itself, its fallbacks (recursively), then en: no repeats, no cycles.
        Worked out once per tag and set of languages (a Language's fallbacks do not change once it
        is registered): staging asks for it some 2,000 times an edition, for every page's variant
        and string, and walking the fallbacks each time was a tenth of the staging."""
        return list(self._chain(tag))

    def _chain(self, tag: str) -> tuple[str, ...]:
        memo = self.__dict__.setdefault("_chains", {})
        known = memo.get(tag)
        if known is None or known[0] is not self.languages or known[1] != len(self.languages):
            known = memo[tag] = (self.languages, len(self.languages), tuple(self._walk_chain(tag)))
        return known[2]

    def _walk_chain(self, tag: str) -> list[str]:
        out: list[str] = []
        stack = [tag]
        while stack:
            t = stack.pop(0)
            if t in out or t not in self.languages:
                continue
            out.append(t)
            stack = list(self.languages[t].fallback) + stack
        for last in ("en",):
            if last in self.languages and last not in out:
                out.append(last)
        return out

    def string(self, tag: str, key: str, **values) -> str:
        for t in self._chain(tag):
            text = self.languages[t].strings.get(key)
            if text:
                return text.format(**values) if values else text
        return key

    def string_lang(self, tag: str, key: str) -> str:
        """Which language actually provides ``key`` for ``tag``."""
        for t in self._chain(tag):
            if self.languages[t].strings.get(key):
                return t
        return "en"

    def suggest(self, tag: str) -> str:
        """A did-you-mean hint for an unknown tag (look-alikes such as 'ty' for 'tyz')."""
        known = list(self.languages)
        close = difflib.get_close_matches(tag, known, n=2, cutoff=0.5)
        starts = [t for t in known if t.lower().startswith(tag.lower()) and t != tag]
        picks = list(dict.fromkeys(starts + close))
        iso = tags.language_name(tag.split("-")[0]) if re.fullmatch(r"[a-z]{2,3}(-.*)?", tag) else None
        parts = []
        if iso:
            parts.append(f"'{tag.split('-')[0]}' is {iso} in ISO 639")
        if picks:
            parts.append("did you mean " + " or ".join(f"'{p}' ({self.languages[p].name})" for p in picks) + "?")
        parts.append("languages are registered in locales/<tag>.yml")
        return "; ".join(parts)


def load(locales_dir: Path, root: Path) -> tuple[Registry, list[Diagnostic]]:
    reg = Registry()
    diags: list[Diagnostic] = []
    if not locales_dir.is_dir():
        diags.append(error(_rel(locales_dir, root), 0, 0, "no-locales", "the locales/ folder is missing",
                           "create locales/vi.yml and locales/en.yml (see docs/writing.md)"))
        return reg, diags
    files = sorted(locales_dir.glob("*.yml")) + sorted(locales_dir.glob("*.yaml"))
    for path in files:
        lang = _load_one(path, root, diags)
        if lang is not None:
            reg.languages[lang.tag] = lang
    _check_registry(reg, root, diags)
    return reg, diags


def _load_one(path: Path, root: Path, diags: list[Diagnostic]) -> Language | None:
    rel = _rel(path, root)
    if path.is_symlink():
        diags.append(error(rel, 0, 0, "symlink", "symbolic links are not allowed in locales/", "copy the file instead"))
        return None
    raw = path.read_bytes()
    if len(raw) > fm.MAX_FILE_BYTES:
        diags.append(error(rel, 0, 0, "file-too-large", "locale file is larger than 1 MiB"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        diags.append(error(rel, line, 1, "encoding", "not valid UTF-8", "save the file as UTF-8"))
        return None
    ydoc = yamlsafe.load(text.replace("\r\n", "\n"), line_offset=0)
    for p in ydoc.problems:
        diags.append(error(rel, p.line, p.col, p.code, p.message, p.hint))
    data = fm.nfc(ydoc.data)
    if ydoc.problems:
        return None
    if not isinstance(data, dict):
        diags.append(error(rel, 1, 1, "locale-type", "a locale file must be a set of 'key: value' lines"))
        return None

    def at(*keys):
        return ydoc.pos(tuple(keys))

    ok = True
    for key in data:
        if key not in FIELDS:
            p = at(key)
            close = difflib.get_close_matches(key, sorted(FIELDS), n=1)
            diags.append(warning(rel, p.line, p.col, "unknown-key", f"unknown key '{key}'",
                                 f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(sorted(FIELDS))}"))
    for key in REQUIRED:
        if data.get(key) is None:
            diags.append(error(rel, 1, 1, "missing-field", f"required key '{key}' is missing",
                               f"add '{key}:' (see docs/writing.md)"))
            ok = False
    if not ok:
        return None
    for key in ("tag", "name", "autonym", "script", "dir"):
        if not isinstance(data[key], str):
            p = at(key)
            diags.append(error(rel, p.line, p.col, "wrong-type", f"'{key}' must be text", f"quote the value: {key}: \"...\""))
            ok = False
    if not isinstance(data["native_checked"], bool):
        p = at("native_checked")
        diags.append(error(rel, p.line, p.col, "wrong-type", "'native_checked' must be true or false"))
        ok = False
    fallback = data["fallback"]
    if not isinstance(fallback, list) or not all(isinstance(x, str) for x in fallback):
        p = at("fallback")
        diags.append(error(rel, p.line, p.col, "wrong-type", "'fallback' must be a list of language tags", "e.g. fallback: [vi, en]"))
        ok = False
    strings = data.get("strings") or {}
    if not isinstance(strings, dict) or not all(isinstance(v, str) for v in strings.values()):
        p = at("strings")
        diags.append(error(rel, p.line, p.col, "wrong-type", "'strings' must map keys to text"))
        ok = False
    material = data.get("material")
    if material is not None and not isinstance(material, str):
        p = at("material")
        diags.append(error(rel, p.line, p.col, "wrong-type", "'material' must be a Material language code or null"))
        ok = False
    if not ok:
        return None
    tag = data["tag"]
    if tag != path.stem:
        p = at("tag")
        diags.append(error(rel, p.line, p.col, "tag-mismatch", f"tag '{tag}' does not match the file name '{path.name}'",
                           f"rename the file to {tag}.yml or set tag: {path.stem}"))
    try:
        info = tags.parse(tag)
    except tags.TagError as exc:
        p = at("tag")
        diags.append(error(rel, p.line, p.col, "bad-tag", str(exc), exc.hint))
        return None
    # a look-alike: the code names another language than the one this file describes
    if info.language_name and tags._fold(info.language_name) != tags._fold(data["name"]):
        other = tags.code_for_name(data["name"])
        if other and other != info.language:
            p = at("tag")
            diags.append(error(rel, p.line, p.col, "lookalike-tag",
                               f"'{info.language}' is {info.language_name} in ISO 639, but this file is for {data['name']}",
                               f"{data['name']} is '{other}'"))
    if not tags.script_exists(data["script"]):
        p = at("script")
        diags.append(error(rel, p.line, p.col, "bad-script", f"'{data['script']}' is not an ISO 15924 script code",
                           "e.g. Latn, Hans, Jpan, Kore, Arab, Cyrl, Khmr, Laoo, Tavt, Cham"))
    if info.script and info.script != data["script"]:
        p = at("script")
        diags.append(error(rel, p.line, p.col, "script-mismatch",
                           f"the tag says script {info.script} but 'script' is {data['script']}", f"set script: {info.script}"))
    if data["dir"] not in ("ltr", "rtl"):
        p = at("dir")
        diags.append(error(rel, p.line, p.col, "bad-dir", f"dir must be ltr or rtl, not '{data['dir']}'"))
    if not data["native_checked"] and not data.get("note"):
        diags.append(warning(rel, at("native_checked").line, 1, "unchecked-language",
                             "no native speaker has checked this language and no 'note' says what is unverified",
                             "add note: \"...\" saying what a native speaker must review"))
    for key in strings:
        if key not in LANTOA_KEYS and key not in MATERIAL_KEYS:
            p = at("strings", key)
            close = difflib.get_close_matches(key, sorted(set(LANTOA_KEYS) | MATERIAL_KEYS), n=1)
            diags.append(warning(rel, p.line, p.col, "unknown-string", f"unknown UI string '{key}'",
                                 f"did you mean '{close[0]}'?" if close else "see src/lantoa/i18n/strings.py"))
    lang = Language(
        tag=tag, name=data["name"], autonym=data["autonym"], script=data["script"], dir=data["dir"],
        fallback=tuple(fallback), native_checked=data["native_checked"], note=data.get("note") or "",
        material=material, strings=dict(strings), path=rel,
    )
    lang._pos = ydoc  # type: ignore[attr-defined]
    return lang


def _check_registry(reg: Registry, root: Path, diags: list[Diagnostic]) -> None:
    for must in REQUIRED_COMPLETE:
        if must not in reg.languages:
            diags.append(error("locales", 0, 0, "missing-language", f"locales/{must}.yml is required",
                               "vi is the source language and en the last fallback of every chain"))
    for lang in reg.languages.values():
        ydoc = getattr(lang, "_pos", None)
        for i, fb in enumerate(lang.fallback):
            if fb not in reg.languages:
                p = ydoc.pos(("fallback", i)) if ydoc else yamlsafe.Pos(1, 1)
                diags.append(error(lang.path, p.line, p.col, "unknown-language",
                                   f"fallback language '{fb}' is not registered", reg.suggest(fb)))
            if fb == lang.tag:
                p = ydoc.pos(("fallback", i)) if ydoc else yamlsafe.Pos(1, 1)
                diags.append(error(lang.path, p.line, p.col, "fallback-cycle", "a language cannot fall back to itself"))
        if lang.tag in REQUIRED_COMPLETE:
            missing = [k for k in LANTOA_KEYS if not lang.strings.get(k)]
            if missing:
                p = ydoc.pos(("strings",)) if ydoc else yamlsafe.Pos(1, 1)
                diags.append(error(lang.path, p.line, p.col, "missing-string",
                                   f"{len(missing)} UI string(s) missing: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}",
                                   f"{lang.tag} must define every key of src/lantoa/i18n/strings.py"))
    en = reg.languages.get("en")
    if en:
        for lang in reg.languages.values():
            ydoc = getattr(lang, "_pos", None)
            for key, text in lang.strings.items():
                ref = en.strings.get(key)
                if ref is None or key not in LANTOA_KEYS:
                    continue
                if sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(ref)):
                    p = ydoc.pos(("strings", key)) if ydoc else yamlsafe.Pos(1, 1)
                    diags.append(error(lang.path, p.line, p.col, "placeholder-mismatch",
                                       f"string '{key}' must use the placeholders {sorted(set(_PLACEHOLDER.findall(ref))) or 'none'}",
                                       "keep {names} in braces exactly as in locales/en.yml"))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
