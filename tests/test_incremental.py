"""Parallel and incremental builds produce output byte-identical to a clean serial build."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from conftest import tree_digest
from lantoa.cli import main


def build(root, *args):
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", *args])
    assert result.exit_code == 0, result.output
    return tree_digest(root / "build" / "site")


def test_serial_parallel_and_incremental_builds_are_identical(project):
    serial = build(project, "--clean", "-j", "1")
    shutil.rmtree(project / "build")
    shutil.rmtree(project / ".cache", ignore_errors=True)
    assert build(project, "-j", "2") == serial
    assert build(project) == serial  # a no-change rebuild (caches warm)
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    original = story.read_text("utf-8")
    story.write_text(original.replace("The bay has many limestone islands.", "The bay has very many islands."), "utf-8")
    edited = build(project)
    assert edited != serial
    story.write_text(original, "utf-8")
    assert build(project) == serial  # back to the same content: back to the same bytes
    shutil.rmtree(project / "build")
    shutil.rmtree(project / ".cache", ignore_errors=True)
    assert build(project, "-j", "1") == serial
