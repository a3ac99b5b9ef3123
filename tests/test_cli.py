"""The ``lantoa`` command line, driven through click's CliRunner: every command, its options and exit codes."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import frontmatter
import pytest
from click.testing import CliRunner

from conftest import TINY_LANGS, make_project, tree_digest
from lantoa import __version__
from lantoa.cli import main

SUMMARY = re.compile(r"^built (\d+) pages in (\d+) languages .* in \d+(\.\d+)? s\b")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def at(root: Path, *args: str):
    return invoke("-C", str(root), *args)


def assert_no_traceback(result) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A tiny project built once (all languages), with the build's output."""
    root = make_project(tmp_path_factory.mktemp("cli-built") / "site")
    result = at(root, "build")
    assert result.exit_code == 0, result.output
    return root, result


# --------------------------------------------------------------------------- version and help


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert "lantoa" in result.output and __version__ in result.output


# --------------------------------------------------------------------------- the end of the process


class _Exited(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


@pytest.fixture
def quick_exit(monkeypatch):
    """os._exit recorded (raised as _Exited) instead of ending the test's process."""
    import os

    def _exit(code):
        raise _Exited(code)
    monkeypatch.setattr(os, "_exit", _exit)


@pytest.mark.parametrize("args, code", [(["--version"], 0), (["--no-such-option"], 2)])
def test_the_command_ends_without_the_interpreter_s_teardown(quick_exit, monkeypatch, capsys, args, code):
    """The `lantoa` command ends with os._exit, its output written first: freeing every object a
    build made, one by one, took 30-60 ms of a one-story edit's build."""
    import multiprocessing
    import threading

    from lantoa import cli

    # as in a process of its own: not the threads and children other tests of this one left
    # running (a session's S3 server)
    monkeypatch.setattr(threading, "enumerate", lambda: [threading.main_thread()])
    monkeypatch.setattr(multiprocessing, "active_children", lambda: [])
    monkeypatch.setattr("sys.argv", ["lantoa", *args])
    with pytest.raises(_Exited) as ended:
        cli.entry()
    assert ended.value.code == code
    out = capsys.readouterr()
    assert (__version__ in out.out) if code == 0 else ("no such option" in out.err.lower())


@contextlib.contextmanager
def _a_thread_running():
    import threading

    release = threading.Event()
    worker = threading.Thread(target=release.wait)  # not a daemon
    worker.start()
    try:
        yield
    finally:
        release.set()
        worker.join()


@contextlib.contextmanager
def _a_child_process_running():
    import multiprocessing
    import time

    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(30,))
    child.start()
    try:
        yield
    finally:
        child.terminate()
        child.join()


@pytest.mark.parametrize("running", [_a_thread_running, _a_child_process_running], ids=["thread", "child process"])
def test_the_command_exits_as_usual_while_something_is_running(quick_exit, monkeypatch, running):
    """A thread still at work (not a daemon), or a child process of multiprocessing's, is waited
    for as at any exit: no os._exit then."""
    from lantoa import cli

    with running():
        monkeypatch.setattr("sys.argv", ["lantoa", "--version"])
        with pytest.raises(SystemExit) as ended:
            cli.entry()
        assert ended.value.code == 0


def test_the_command_s_status_and_diagnostics_through_pipes(tmp_path):
    """The real command, its output piped: the exit status of a check with an error (1) and every
    diagnostic reach the caller when the process ends at once."""
    import subprocess
    import sys

    root = make_project(tmp_path / "site")
    story = next((root / "content" / "stories").iterdir()) / "index.md"
    story.write_text(story.read_text("utf-8").replace("category:", "category: nowhere\nold_category:", 1), "utf-8")
    run = subprocess.run([sys.executable, "-m", "lantoa.cli", "-C", str(root), "check"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "error[unknown-category]" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_a_build_that_makes_no_image_does_not_import_pillow_s_modules(tmp_path):
    """A one-story edit finds every image variant, social card and press kit in the cache: it
    looks them up by their keys, without Pillow's modules, its codecs' or the media pipeline's
    (17 ms of every such build's start). A build that makes one imports them (the first)."""
    import subprocess
    import sys

    root = make_project(tmp_path / "site")
    script = ("import sys\nfrom lantoa.cli import main\n"
              "main(sys.argv[1:], standalone_mode=False)\n"
              "print(sorted(m for m in sys.modules if m.startswith(('PIL.', 'lantoa.media.pipeline'))\n"
              "             and m != 'PIL._version'))")  # Pillow's version: the keys name it

    def build() -> list[str]:
        done = subprocess.run([sys.executable, "-c", script, "-q", "-C", str(root), "build"], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return eval(done.stdout.strip().splitlines()[-1])  # noqa: S307 - the list printed above

    made = build()
    assert {"PIL.Image", "lantoa.media.pipeline"} <= set(made)
    p = root / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    p.write_text(p.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    assert build() == []
    assert "One more sentence." in (root / "build" / "site" / "en" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")


def test_a_check_finds_the_photos_checks_kept_and_keeps_what_a_build_kept(tmp_path):
    """`lantoa check` finds each photo's checks kept by the run before (its own, or a build's) by
    the photo's content, as a build does, instead of decoding every photo again (a 12-megapixel
    JPEG: 40-90 ms); and it does not drop what a build kept of the files it does not read itself
    (the fonts' digests)."""
    import json
    import subprocess
    import sys

    root = make_project(tmp_path / "site")
    script = ("import sys\nfrom lantoa.media import pipeline\ncalls = []\nreal = pipeline.probe\n"
              "pipeline.probe = lambda *a, **k: calls.append(a) or real(*a, **k)\n"
              "from lantoa.cli import main\nmain(sys.argv[1:], standalone_mode=False)\nprint(len(calls))")

    def run(*args: str) -> int:
        done = subprocess.run([sys.executable, "-c", script, "-q", "-C", str(root), *args], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return int(done.stdout.strip().splitlines()[-1])

    assert run("check") >= 1  # every photo checked, and the checks kept
    assert run("check") == 0
    digests = root / ".cache" / "lantoa" / "digests.json"
    assert run("build") == 0
    fonts = {p for p in json.loads(digests.read_text("utf-8"))["files"] if p.endswith((".ttf", ".otf", ".ttc"))}
    assert fonts
    assert run("check") == 0
    assert fonts <= set(json.loads(digests.read_text("utf-8"))["files"])


@pytest.mark.parametrize("verbosity, shown", [(1, False), (2, True)], ids=["-v", "-vv"])
def test_libraries_chatty_at_info_speak_only_at_vv(verbosity, shown):
    """-v shows our info lines, not the 60 lines fontTools' subsetter logs for each font it subsets,
    nor MkDocs' own info lines; -vv shows everything."""
    import logging

    from lantoa import log

    try:
        log.setup(verbosity)
        assert logging.getLogger("lantoa.site.builder").isEnabledFor(logging.INFO)
        for name in ("fontTools.subset", "mkdocs.commands.build", "mkdocs_static_i18n", "material"):
            assert logging.getLogger(name).isEnabledFor(logging.INFO) is shown, name
    finally:
        log.setup(0)

@pytest.mark.parametrize("args, words", [
    ((), ("Lan Tỏa", "new", "check", "build", "serve", "--project", "--quiet", "--verbose")),
    (("new",), ("Create new content", "story")),
    (("new", "story"), ("content/stories/<slug>/index.md", "TITLE", "--slug", "--lang", "--category")),
    (("check",), ("Validate", "--strict", "--format")),
    (("build",), ("build the whole site", "build/site", "--lang", "--clean", "--strict", "--out")),
    (("serve",), ("Preview", "--port", "--no-reload")),
], ids=["group", "new", "new-story", "check", "build", "serve"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(args, words, flag):
    result = invoke(*args, flag)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    for word in words:
        assert word in result.output, f"{word!r} not in help of {args}"


@pytest.mark.parametrize("args", [
    ("--bogus",),
    ("build", "--bogus"),
    ("check", "--format", "xml"),
    ("new", "story"),  # TITLE missing
    ("no-such-command",),
])
def test_usage_error_exits_2(args, tmp_path):
    result = at(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output
    assert_no_traceback(result)


# --------------------------------------------------------------------------- new story


def test_new_story_creates_a_draft(tmp_path):
    result = at(tmp_path, "new", "story", "Vịnh Hạ Long")
    assert result.exit_code == 0, result.output
    path = tmp_path / "content" / "stories" / "vinh-ha-long" / "index.md"
    assert path.is_file()
    assert "created content/stories/vinh-ha-long/index.md" in result.output
    text = path.read_text("utf-8")
    assert text.startswith("---\n")
    post = frontmatter.loads(text)
    assert post["title"] == "Vịnh Hạ Long"
    assert str(post["date"]) == dt.date.today().isoformat()
    assert post["status"] == "draft"
    assert post["category"] == "culture"
    assert post["lang"] == "vi"


@pytest.mark.parametrize("title, slug", [
    ("Vịnh Hạ Long", "vinh-ha-long"),
    ("Đổi Mới", "doi-moi"),
    ("Hồ Chí Minh", "ho-chi-minh"),
    pytest.param("Phong Nha–Kẻ Bàng", "phong-nha-ke-bang"),
    ("  Phở   bò!  ", "pho-bo"),
    ("Việt Nam 2045", "viet-nam-2045"),
])
def test_new_story_slug(tmp_path, title, slug):
    result = at(tmp_path, "new", "story", title)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "content" / "stories").iterdir()) == [slug]
    assert (tmp_path / "content" / "stories" / slug / "index.md").is_file()


def test_new_story_never_overwrites(tmp_path):
    assert at(tmp_path, "new", "story", "Vịnh Hạ Long").exit_code == 0
    path = tmp_path / "content" / "stories" / "vinh-ha-long" / "index.md"
    path.write_text(path.read_text("utf-8") + "\nWords an editor wrote.\n", "utf-8")
    before = path.read_bytes()
    result = at(tmp_path, "new", "story", "Vịnh Hạ Long")
    assert result.exit_code == 1, result.output
    assert "already exists" in result.output
    assert "content/stories/vinh-ha-long/index.md" in result.output
    assert_no_traceback(result)
    assert path.read_bytes() == before


def test_new_story_slug_option(tmp_path):
    result = at(tmp_path, "new", "story", "Vịnh Hạ Long", "--slug", "ha-long-bay")
    assert result.exit_code == 0, result.output
    path = tmp_path / "content" / "stories" / "ha-long-bay" / "index.md"
    assert path.is_file()
    assert frontmatter.loads(path.read_text("utf-8"))["title"] == "Vịnh Hạ Long"
    assert not (tmp_path / "content" / "stories" / "vinh-ha-long").exists()


@pytest.mark.parametrize("args", [
    ("Vịnh Hạ Long", "--slug", "Ha Long"),
    ("Vịnh Hạ Long", "--slug", "../escape"),
    ("   ",),
    ("!!!",),
])
def test_new_story_refuses_bad_names(tmp_path, args):
    result = at(tmp_path, "new", "story", *args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ")
    assert_no_traceback(result)
    assert not (tmp_path / "content").exists() or not any((tmp_path / "content" / "stories").iterdir())
    assert not (tmp_path / "escape").exists()


def test_new_draft_story_keeps_check_passing(project):
    result = at(project, "new", "story", "Phong Nha–Kẻ Bàng")
    assert result.exit_code == 0, result.output
    checked = at(project, "check")
    assert checked.exit_code == 0, checked.output
    assert "error[" not in checked.output
    data = json.loads(at(project, "check", "--format", "json").stdout)
    assert data["errors"] == 0, data


# --------------------------------------------------------------------------- check


def test_check_valid_project(project):
    result = at(project, "check")
    assert result.exit_code == 0, result.output
    assert re.search(r"checked 1 stor(y|ies) in 6 languages: 0 error\(s\), 0 warning\(s\)", result.output), result.output
    assert "error[" not in result.output and "warning[" not in result.output


def test_a_theme_override_of_material_s_language_partial_is_refused(project):
    """lantoa gives Material its UI strings through its own partials/language.html; one in theme/
    would win over it, and fail on every language Material has no strings for."""
    (project / "theme" / "partials" / "language.html").write_text("{% import 'partials/languages/en.html' as lang %}")
    result = at(project, "check")
    assert result.exit_code == 1, result.output
    assert "theme/partials/language.html:1:1: error[theme-language-partial]" in result.output
    assert "locales/<tag>.yml" in result.output


def test_check_json(project):
    story = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    text = story.read_text("utf-8")
    story.write_text(text.replace("category: heritage\n", "category: heritag\ncolour: blue\n"), "utf-8")
    result = at(project, "check", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {"errors", "warnings", "diagnostics"} <= set(data)
    assert data["errors"] == 1 and data["warnings"] == 1
    assert len(data["diagnostics"]) == 2
    for diag in data["diagnostics"]:
        assert set(diag) >= {"path", "line", "col", "code", "severity", "message", "hint"}
        assert diag["path"] == "content/stories/vinh-ha-long/index.md"
        assert isinstance(diag["line"], int) and isinstance(diag["col"], int)
        assert diag["severity"] in ("error", "warning")
        assert all(isinstance(diag[k], str) and diag[k] for k in ("code", "message", "hint"))
    by_code = {d["code"]: d for d in data["diagnostics"]}
    assert by_code["unknown-category"]["severity"] == "error" and by_code["unknown-category"]["line"] == 5
    assert by_code["unknown-key"]["severity"] == "warning" and by_code["unknown-key"]["line"] == 6


def test_check_json_on_a_valid_project(project):
    result = at(project, "check", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"errors": 0, "warnings": 0, "diagnostics": []}


def test_check_strict_fails_on_a_warning(project):
    story = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    story.write_text(story.read_text("utf-8").replace("status: published\n", "status: published\ncolour: blue\n"),
                     "utf-8")
    relaxed = at(project, "check")
    assert relaxed.exit_code == 0, relaxed.output
    assert "warning[unknown-key]" in relaxed.output
    strict = at(project, "check", "--strict")
    assert strict.exit_code == 1, strict.output
    assert "warning[unknown-key]" in strict.output
    assert_no_traceback(strict)


def test_check_missing_content_folder(tmp_path):
    result = at(tmp_path, "check")
    assert result.exit_code == 1
    assert "error[no-content]" in result.output
    assert_no_traceback(result)


# --------------------------------------------------------------------------- build


def test_build_writes_every_language(built):
    root, _ = built
    site = root / "build" / "site"
    assert (site / "index.html").is_file()
    for tag in TINY_LANGS[1:]:
        assert (site / tag / "index.html").is_file(), tag
    assert (site / "stories" / "vinh-ha-long" / "index.html").is_file()
    assert (site / "en" / "stories" / "vinh-ha-long" / "index.html").is_file()


def test_build_prints_a_one_line_summary(built):
    _, result = built
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    m = SUMMARY.match(lines[0])
    assert m, lines[0]
    assert "pages" in lines[0] and "languages" in lines[0]
    assert int(m.group(1)) > 0 and int(m.group(2)) == len(TINY_LANGS)


@pytest.mark.parametrize("page, tag, direction", [
    ("index.html", "vi", "ltr"),
    ("en/index.html", "en", "ltr"),
    ("km/index.html", "km", "ltr"),
    ("ar/index.html", "ar", "rtl"),
    ("ar/stories/vinh-ha-long/index.html", "ar", "rtl"),
    ("tyz/index.html", "tyz", "ltr"),
    ("blt-Tavt/index.html", "blt-Tavt", "ltr"),
])
def test_built_html_lang_and_dir(built, page, tag, direction):
    root, _ = built
    html = (root / "build" / "site" / page).read_text("utf-8")
    m = re.search(r"<html\b[^>]*>", html)
    assert m, page
    assert f'lang="{tag}"' in m.group(0), m.group(0)
    assert f'dir="{direction}"' in m.group(0), m.group(0)


def test_build_only_some_languages(project):
    result = at(project, "build", "--lang", "en")
    assert result.exit_code == 0, result.output
    site = project / "build" / "site"
    assert (site / "index.html").is_file()  # vi, the default language, is the root and always built
    assert (site / "en" / "index.html").is_file()
    for tag in ("km", "ar", "tyz", "blt-Tavt"):
        assert not (site / tag).exists(), tag
    m = SUMMARY.match(result.output.strip().splitlines()[-1])
    assert m and int(m.group(2)) == 2, result.output


def test_build_unknown_language(project):
    result = at(project, "build", "--lang", "zz")
    assert result.exit_code != 0
    assert result.exit_code == 1
    assert "zz" in result.output and "unknown language" in result.output
    assert_no_traceback(result)
    assert not (project / "build" / "site").exists()


def test_build_unknown_language_leaves_old_site(built, tmp_path):
    root = tmp_path / "site"
    shutil.copytree(built[0], root, symlinks=True)
    before = tree_digest(root / "build" / "site")
    result = at(root, "build", "--lang", "zz")
    assert result.exit_code == 1
    assert "zz" in result.output
    assert_no_traceback(result)
    assert tree_digest(root / "build" / "site") == before


def test_quiet_build_prints_nothing(project):
    result = at(project, "-q", "build", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert (project / "build" / "site" / "en" / "index.html").is_file()


def test_quiet_check_prints_nothing_when_clean(project):
    result = at(project, "-q", "check")
    assert result.exit_code == 0
    assert result.output == ""


def test_quiet_still_prints_errors(project):
    story = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    story.write_text(story.read_text("utf-8").replace("category: heritage", "category: heritag"), "utf-8")
    for args in (("-q", "check"), ("-q", "build")):
        result = at(project, *args)
        assert result.exit_code == 1
        assert "content/stories/vinh-ha-long/index.md:5:1: error[unknown-category]" in result.output
        assert_no_traceback(result)
    assert not (project / "build" / "site").exists()
