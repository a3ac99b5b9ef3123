"""Diagnostics: what validation returns, printed like a compiler."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Iterable


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str  # relative to the project root, POSIX separators
    line: int  # 1-based; 0 when the problem is about the whole file
    col: int  # 1-based; 0 when unknown
    code: str
    severity: Severity = field(compare=False)
    message: str = field(compare=False)
    hint: str = field(default="", compare=False)

    def format(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}:{self.col or 1}"
        else:
            where += ":1:1"
        text = f"{where}: {self.severity.value}[{self.code}]: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text

    def to_json(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def error(path, line, col, code, message, hint="") -> Diagnostic:
    return Diagnostic(_rel(path), line, col, code, Severity.ERROR, message, hint)


def warning(path, line, col, code, message, hint="") -> Diagnostic:
    return Diagnostic(_rel(path), line, col, code, Severity.WARNING, message, hint)


def _rel(path) -> str:
    return Path(path).as_posix() if not isinstance(path, str) else path


class Report:
    """Collects every diagnostic, then the caller fails once."""

    def __init__(self, items: Iterable[Diagnostic] = ()):
        self.items: list[Diagnostic] = list(items)

    def add(self, diag: Diagnostic | None) -> None:
        if diag is not None:
            self.items.append(diag)

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity is Severity.WARNING]

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self.items), key=lambda d: (d.path, d.line, d.col, d.code, d.message))

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors) or (strict and bool(self.warnings))

    def render_text(self) -> str:
        return "\n".join(d.format() for d in self.sorted())

    def render_json(self) -> str:
        return json.dumps(
            {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "diagnostics": [d.to_json() for d in self.sorted()],
            },
            ensure_ascii=False,
            indent=2,
        )
