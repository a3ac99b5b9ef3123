"""Read a Markdown file with YAML front matter, keeping line numbers.

python-frontmatter's stock boundary pattern (``^-{3,}\\s*$``) swallows blank
lines after the opening ``---`` and so shifts every line number; our handler
is a subclass whose boundary matches one line only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter as _fm

from . import yamlsafe

MAX_FILE_BYTES = 1024 * 1024
MAX_FRONT_MATTER_BYTES = 64 * 1024


class LineExactYAMLHandler(_fm.YAMLHandler):
    FM_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)


HANDLER = LineExactYAMLHandler()


#: a problem with a file's bytes or its front matter (same shape as YAML problems)
FileProblem = yamlsafe.YamlProblem


def key_of(raw: bytes) -> bytes:
    """What a file's bytes are known by (:attr:`Document.key`)."""
    return hashlib.blake2b(raw, digest_size=20).digest()


class _Body:
    """:attr:`Document.body`, the text after the front matter. A document read with the source
    memo knows where its body starts in its file (``_source``): pickled (lantoa.content.memo keeps
    every story's and page's entry between runs), it leaves its body out, and reads it from its
    file when it is first asked for. A build asks for few: at 400 stories x 12 languages, unpickling
    50 MB of bodies took 0.09 s of a one-story edit, which shows one language's pages anew."""

    def __get__(self, doc, owner=None) -> str:
        if doc is None:
            return ""  # the field's default (dataclasses asks the class)
        try:
            return doc.__dict__["body"]
        except KeyError:
            return doc._read_body()

    def __set__(self, doc, value: str) -> None:
        doc.__dict__["body"] = value


class _Path:
    """:attr:`Document.path`: pickled as text, made a Path again when first asked for (unpickling
    a Path parses it again: 10,000 of them were half of the time every story's and page's entry
    kept between runs took to load at 400 x 12, and a build asks for few)."""

    def __get__(self, doc, owner=None) -> Path:
        if doc is None:
            raise AttributeError("path")  # no default (dataclasses asks the class)
        path = doc.__dict__["path"]
        if isinstance(path, str):
            doc.__dict__["path"] = path = Path(path)
        return path

    def __set__(self, doc, value) -> None:
        doc.__dict__["path"] = value


@dataclass
class Document:
    path: Path = _Path()  # type: ignore[assignment]
    meta: dict = field(default_factory=dict)
    yaml: yamlsafe.YamlDoc | None = None
    body: str = _Body()  # type: ignore[assignment]
    body_line: int = 1  # file line of the first body line
    problems: list = field(default_factory=list)
    #: what the file's bytes are known by (:func:`key_of`), when it was read with the memo
    #: (lantoa.content.memo): equal keys, equal documents (lantoa.site.stage.staging_keys); b"" otherwise
    key: bytes = b""

    def pos(self, *path) -> yamlsafe.Pos:
        if self.yaml is None:
            return yamlsafe.Pos(1, 1)
        return self.yaml.pos(tuple(path))

    def readable_again(self, start: int, normal: bool) -> None:
        """Its body starts at ``start`` in :func:`text_of` its file's bytes, and is in NFC there
        (``normal``) or not: it can be read again from the file (:class:`_Body`)."""
        self.__dict__["_source"] = (start, normal)

    def let_go_of_body(self) -> int:
        """Forget the body if it can be read again from the file (:meth:`readable_again`; it is
        then read when next asked for, and checked against :attr:`key`); its length, or 0."""
        if "_source" in self.__dict__ and self.key and self.__dict__.get("path") is not None:
            return len(self.__dict__.pop("body", ""))
        return 0

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if isinstance(state["path"], Path):
            state["path"] = str(state["path"])
        if "_source" in state and self.key and state["path"] is not None:
            state.pop("body", None)
        return state

    def _read_body(self) -> str:
        start, normal = self.__dict__["_source"]
        try:
            raw = self.path.read_bytes()
        except OSError:
            raw = b""
        if key_of(raw) != self.key:
            from ..errors import LantoaError

            raise LantoaError(f"{self.path}: the file changed while lantoa was reading the content; "
                              "run the command again")
        body = text_of(raw)[start:]
        self.__dict__["body"] = body = body if normal else nfc(body)
        return body


def nfc(value):
    """Normalise every string inside ``value`` to Unicode NFC."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(v) for v in value]
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    return value


def read(path: Path, memo=None) -> Document:
    """``memo`` (lantoa.content.memo.SourceMemo): documents parsed by earlier runs, by content."""
    doc = Document(path=path)
    try:
        st = path.stat()
        size = st.st_size
        if memo is not None and size <= MAX_FILE_BYTES:
            kept = memo.unchanged(path, st)  # a long-lived process's, for a file it read before
            if kept is not None:
                return kept
        if size <= MAX_FILE_BYTES:
            raw = path.read_bytes()
    except OSError as exc:
        doc.problems.append(FileProblem(0, 0, "unreadable", f"cannot read file: {exc.strerror}"))
        return doc
    if size > MAX_FILE_BYTES:
        doc.problems.append(
            FileProblem(0, 0, "file-too-large", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                        "split the story or move data out of the front matter")
        )
        return doc
    if memo is not None:
        return memo.document(path, raw, st)
    return parse(path, raw)[0]


def text_of(raw: bytes) -> str:
    """The text :func:`parse` reads from bytes it accepted: without a BOM, with LF line endings."""
    text = (raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw).decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse(path: Path, raw: bytes) -> tuple[Document, int | None]:
    """The document in a file's bytes, and where its body starts in :func:`text_of` ``raw`` (None:
    it has none). A function of the bytes alone (``path`` is only recorded)."""
    doc = Document(path=path)
    if raw.startswith(b"\xef\xbb\xbf"):
        doc.problems.append(
            FileProblem(1, 1, "bom", "file starts with a byte-order mark (BOM)",
                        "save the file as UTF-8 without BOM")
        )
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        doc.problems.append(
            FileProblem(line, col, "encoding", f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                        "save the file as UTF-8")
        )
        return doc, None
    if "\r" in text:
        line = text[: text.index("\r")].count("\n") + 1
        doc.problems.append(
            FileProblem(line, 1, "line-endings", "file has CR or CRLF line endings",
                        "save with LF line endings (git: core.autocrlf=input)")
        )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        doc.problems.append(
            FileProblem(1, 1, "empty-file", "file is empty", "start with '---', the front matter, '---', then the text")
        )
        return doc, None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        doc.problems.append(FileProblem(line, 1, "encoding", "file contains a NUL character", "save it as plain UTF-8 text"))
        return doc, None
    if not HANDLER.detect(text) or not text.startswith("---"):
        doc.problems.append(
            FileProblem(1, 1, "no-front-matter", "file has no front matter",
                        "start the file with a '---' line, the YAML fields, and another '---' line")
        )
        doc.body = nfc(text)
        return doc, 0
    parts = HANDLER.FM_BOUNDARY.split(text, 2)
    if len(parts) < 3:
        doc.problems.append(
            FileProblem(1, 1, "unclosed-front-matter", "front matter is not closed",
                        "add a line '---' after the last YAML field")
        )
        return doc, None
    _, fm_text, body = parts
    if len(fm_text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        doc.problems.append(
            FileProblem(2, 1, "front-matter-too-large",
                        f"front matter is {len(fm_text.encode('utf-8')):,} bytes; the limit is {MAX_FRONT_MATTER_BYTES:,}",
                        "keep the front matter to the fields in docs/writing.md")
        )
        return doc, None
    # fm_text starts with the newline that ends the opening '---' line: YAML line 0 is file line 1
    ydoc = yamlsafe.load(fm_text, line_offset=0)
    doc.yaml = ydoc
    doc.problems.extend(ydoc.problems)
    data = ydoc.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        doc.problems.append(
            FileProblem(2, 1, "front-matter-type", "front matter must be a set of 'key: value' lines",
                        "write e.g. 'title: ...' on its own line")
        )
        data = {}
    doc.meta = nfc(data)
    # the closing '---' is on line 1 + (newlines in fm_text); the body starts on the next line
    doc.body_line = 1 + fm_text.count("\n") + 1
    start = len(text) - len(body) + (1 if body.startswith("\n") else 0)
    doc.body = nfc(text[start:])
    return doc, start
