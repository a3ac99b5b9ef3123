"""A strict YAML reader for front matter, with the position of every value.

Why not ``yaml.safe_load``: YAML 1.1 turns ``no`` into ``False``, ``1.10``
into ``1.1`` and ``2023-09-01`` into a date; an alias can expand into a bomb;
a duplicate key silently wins. Here plain scalars stay strings (except
``true``/``false`` and ``null``), aliases and custom tags are refused,
duplicate keys are reported, and every key and value keeps its line and column.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # the C composer is much faster and behaves the same
    _Loader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover - depends on the libyaml build
    _Loader = yaml.SafeLoader

_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}

Path_ = tuple  # a path into the document: ("hero", "alt") or ("sources", 0, "url")


@dataclass
class Pos:
    line: int  # 1-based, in the file
    col: int  # 1-based


@dataclass
class YamlProblem:
    line: int
    col: int
    code: str
    message: str
    hint: str = ""


@dataclass
class YamlDoc:
    data: Any = None
    key_pos: dict = field(default_factory=dict)  # path -> Pos of the key
    value_pos: dict = field(default_factory=dict)  # path -> Pos of the value
    problems: list = field(default_factory=list)

    def pos(self, path: tuple) -> Pos:
        """Best position for a path: the key, else the value, else the nearest parent."""
        while path:
            if path in self.key_pos:
                return self.key_pos[path]
            if path in self.value_pos:
                return self.value_pos[path]
            path = path[:-1]
        return self.value_pos.get((), Pos(1, 1))

    # Kept between runs in lantoa.content.memo, some 26 positions a file: unpickled one by one as
    # Pos objects they were 70 of the 80 ms a 400 x 12 memo took to load, and 13 MB of the build's
    # memory, for the few a diagnostic ever asks for. They are pickled packed in one marshal
    # string, and unpacked when one is first asked for (__getattr__).

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if "key_pos" in state:  # unpacked (read, or asked for): packed again
            positions = ({path: (p.line, p.col) for path, p in state["key_pos"].items()},
                         {path: (p.line, p.col) for path, p in state["value_pos"].items()})
            try:
                state["_packed"] = marshal.dumps(positions)
            except ValueError:  # a path of other types than marshal's: pickled as they are
                return state
            del state["key_pos"], state["value_pos"]
        return state

    def __getattr__(self, name: str) -> Any:  # only for an attribute the instance lacks
        packed = self.__dict__.get("_packed") if name in ("key_pos", "value_pos") else None
        if packed is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        keys, values = marshal.loads(packed)
        self.key_pos = {path: Pos(*p) for path, p in keys.items()}
        self.value_pos = {path: Pos(*p) for path, p in values.items()}
        del self.__dict__["_packed"]
        return self.__dict__[name]


def load(text: str, line_offset: int = 0) -> YamlDoc:
    """Parse ``text``; positions are shifted by ``line_offset`` lines."""
    doc = YamlDoc()
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                doc.problems.append(
                    YamlProblem(event.start_mark.line + 1 + line_offset, event.start_mark.column + 1,
                                "yaml-alias", "YAML anchors and aliases (&name / *name) are not allowed",
                                "write the value out in full")
                )
                return doc
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # An unclosed '[' or quote is noticed lines later: point at where the construct began
        # (context_mark) and say where YAML gave up.
        opened = exc.context and ("flow" in exc.context or "quoted" in exc.context)
        mark = (exc.context_mark if opened else exc.problem_mark) or exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else line_offset + 1
        col = (mark.column + 1) if mark else 1
        msg = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if opened and exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
            msg += f" (at line {exc.problem_mark.line + 1 + line_offset})"
        doc.problems.append(
            YamlProblem(line, col, "yaml-syntax", f"YAML syntax error: {msg}",
                        "check indentation and quote values that contain ':' or '#'")
        )
        return doc
    except yaml.YAMLError as exc:
        doc.problems.append(YamlProblem(line_offset + 1, 1, "yaml-syntax", f"YAML error: {exc}"))
        return doc
    if node is None:
        doc.data = None
        return doc
    seen: set[int] = set()
    doc.data = _build(node, (), doc, seen, line_offset)
    return doc


def _pos(node, offset: int) -> Pos:
    return Pos(node.start_mark.line + 1 + offset, node.start_mark.column + 1)


def _build(node, path: tuple, doc: YamlDoc, seen: set[int], offset: int) -> Any:
    doc.value_pos.setdefault(path, _pos(node, offset))
    if id(node) in seen:
        p = _pos(node, offset)
        doc.problems.append(
            YamlProblem(p.line, p.col, "yaml-alias", "YAML anchors and aliases (&name / *name) are not allowed",
                        "write the value out in full")
        )
        return None
    seen.add(id(node))
    if node.tag not in _STANDARD_TAGS:
        p = _pos(node, offset)
        doc.problems.append(
            YamlProblem(p.line, p.col, "yaml-tag", f"YAML tag {node.tag!r} is not allowed",
                        "remove the '!' tag; write a plain value")
        )
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                p = _pos(key_node, offset)
                doc.problems.append(YamlProblem(p.line, p.col, "yaml-key", "a key must be a plain word"))
                continue
            key = key_node.value
            if key == "<<":
                p = _pos(key_node, offset)
                doc.problems.append(
                    YamlProblem(p.line, p.col, "yaml-alias", "YAML merge keys ('<<') are not allowed",
                                "write the values out in full")
                )
                continue
            kp = _pos(key_node, offset)
            if key in out:
                first = doc.key_pos.get(path + (key,))
                where = f" (first at line {first.line})" if first else ""
                doc.problems.append(
                    YamlProblem(kp.line, kp.col, "duplicate-key", f"key '{key}' appears twice{where}",
                                "keep one of them")
                )
                continue
            doc.key_pos[path + (key,)] = kp
            out[key] = _build(value_node, path + (key,), doc, seen, offset)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), doc, seen, offset) for i, item in enumerate(node.value)]
    # scalar
    value = node.value
    if not node.style:  # plain (None in PyYAML, "" in libyaml): only true/false/null are not strings (YAML 1.2 core, no 1.1 coercions)
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        if value in _NULL:
            return None
    return value
