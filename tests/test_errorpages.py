"""Each edition's own 404 page, served by the host: the nginx locations and the Netlify _redirects
rendered from the language registry, docs/editions.md in sync with them, and a real nginx (Debian
nginx-light) serving a built site with the generated snippets."""

from __future__ import annotations

import contextlib
import getpass
import grp
import http.client
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO
from lantoa.i18n import registry as registry_mod
from lantoa.i18n.registry import Language, Registry
from lantoa.publish import errorpages, headers
from lantoa.publish.release import scan

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def registry_of(*tags: str, default: str = "vi") -> Registry:
    return Registry({t: Language(t, t, t, "Latn") for t in tags}, default)


def test_longest_prefix_first_and_default_edition_last():
    reg = registry_of("vi", "en", "zh", "zh-Hans", "blt-Tavt", "km")
    assert [p for p, _ in errorpages.editions(reg)] == ["/blt-Tavt/", "/zh-Hans/", "/en/", "/km/", "/zh/", "/"]
    nginx = errorpages.nginx_locations(reg).splitlines()
    assert nginx[2] == "location /blt-Tavt/ { error_page 404 /blt-Tavt/404.html; }"
    assert nginx[-1] == "location /          { error_page 404 /404.html; }"
    redirects = [line.split() for line in errorpages.netlify_redirects(reg).splitlines() if not line.startswith("#")]
    assert redirects[0] == ["/blt-Tavt/*", "/blt-Tavt/404.html", "404"]
    assert redirects[-1] == ["/*", "/404.html", "404"] and len(redirects) == 6
    # only the editions built (lantoa build --lang km builds km and the default language)
    assert [r.split()[0] for r in errorpages.netlify_redirects(reg, ["vi", "km"]).splitlines()[2:]] == ["/km/*", "/*"]


def test_another_default_language_is_served_at_the_root():
    reg = registry_of("vi", "en", default="en")
    assert errorpages.editions(reg) == [("/vi/", "vi"), ("/", "en")]


def test_docs_quote_the_current_rules():
    reg, _ = registry_mod.load(REPO / "locales", REPO)
    doc = (REPO / "docs" / "editions.md").read_text("utf-8")
    assert "<!-- generated: nginx_404 -->" in doc and "<!-- generated: redirects_404 -->" in doc
    assert errorpages.render_doc(doc, reg) == doc, ("docs/editions.md is out of date with locales/: run "
                                                    "python3 -m lantoa.publish.errorpages docs/editions.md")


def test_build_writes_redirects_that_publish_does_not_upload(built_project):
    site = built_project / "build" / "site"
    reg, _ = registry_mod.load(built_project / "locales", built_project)
    assert (site / "_redirects").read_text("utf-8") == errorpages.netlify_redirects(reg)
    for _prefix, tag in errorpages.editions(reg):  # every rule names a page that exists
        assert (site / ("" if tag == reg.default else tag) / "404.html").is_file(), tag
    assert not {"_redirects", "_headers"} & set(scan(site, exclude=headers.HOST_FILES))


# --------------------------------------------------------------------------
# a real nginx serving the built site


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_conf(tmp: Path, site: Path, port: int, registry) -> Path:
    """An nginx.conf whose every path (logs, temp folders) is under ``tmp``, so it runs as any user."""
    (tmp / "headers.conf").write_text(headers.nginx_snippet(), "utf-8")
    (tmp / "errorpages.conf").write_text(errorpages.nginx_locations(registry), "utf-8")
    temp = "\n".join(f"    {name}_temp_path {tmp / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # as root, nginx's workers would switch to 'nobody', who cannot read the test's private tmp folder
    user = f"user {getpass.getuser()} {grp.getgrgid(os.getgid()).gr_name};\n" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
events {{ worker_connections 64; }}
http {{
    access_log {tmp / 'access.log'};
{temp}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {site};
        include {tmp / 'headers.conf'};
        include {tmp / 'errorpages.conf'};
    }}
}}
""", "utf-8")
    return conf


@contextlib.contextmanager
def running_nginx(tmp: Path, site: Path, registry):
    """nginx in the foreground on 127.0.0.1 and a free port; yields the port; stopped on exit."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    conf = nginx_conf(tmp, site, port, registry)
    log = tmp / "error.log"
    test = subprocess.run([NGINX, "-t", "-p", str(tmp), "-e", str(log), "-c", str(conf),
                           "-g", f"daemon off; pid {tmp / 'nginx.pid'};"], capture_output=True, text=True)
    assert test.returncode == 0, f"nginx -t refused the generated configuration:\n{test.stderr}"
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-e", str(log), "-c", str(conf),
                             "-g", f"daemon off; pid {tmp / 'nginx.pid'};"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60  # not a speed check: only so a broken nginx cannot hang the suite
        while True:  # wait until it listens (or has died: then say why)
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start (exit {proc.poll()}):\n{log.read_text() if log.exists() else ''}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def nginx(built_project, tmp_path_factory):
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian nginx-light; scripts/setup installs it)")
    reg, _ = registry_mod.load(built_project / "locales", built_project)
    with running_nginx(tmp_path_factory.mktemp("nginx"), built_project / "build" / "site", reg) as port:
        yield port, reg


def get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def assert_404_of(port: int, path: str, tag: str, registry) -> None:
    status, head, body = get(port, path)
    assert status == 404, (path, status)
    assert f'<html lang="{tag}"' in body, f"{path}: not the {tag} 404 page: {body[:300]!r}"
    assert f"<h1>{registry.string(tag, 'notfound.title')}</h1>" in body, path
    assert head["content-type"] == "text/html; charset=utf-8"
    assert head["x-content-type-options"] == "nosniff"  # the headers snippet applies to 404 answers too


def test_nginx_serves_each_editions_own_404(nginx):
    port, reg = nginx
    assert_404_of(port, "/km/no-such-page", "km", reg)
    assert_404_of(port, "/km/stories/no-such-story/", "km", reg)
    assert_404_of(port, "/no-such-page", reg.default, reg)
    assert_404_of(port, "/kmx/", reg.default, reg)  # a prefix that only starts like an edition's
    assert_404_of(port, "/kmx/no-such-page", reg.default, reg)
    for prefix, tag in errorpages.editions(reg):
        assert_404_of(port, f"{prefix}nothing/here.html", tag, reg)
    # the Tai Dam page says it in Tai Viet script, not in the Vietnamese of its fallback chain
    _, _, body = get(port, "/blt-Tavt/no-such-page")
    assert reg.string_lang("blt-Tavt", "notfound.title") == "blt-Tavt" and "ꪹꪚ꪿ꪱ ꪣꪲ ꪎꪳ" in body


def test_nginx_serves_existing_pages_and_assets(nginx, built_project):
    port, reg = nginx
    for path, tag in (("/", reg.default), ("/km/", "km"), ("/km/stories/vinh-ha-long/", "km"),
                      ("/stories/vinh-ha-long/", reg.default), ("/blt-Tavt/", "blt-Tavt")):
        status, head, body = get(port, path)
        assert status == 200 and f'<html lang="{tag}"' in body, (path, status)
        assert head["cache-control"] == headers.REVALIDATE
    # a folder without its slash is redirected (not served), so the page's relative links resolve
    status, head, _ = get(port, "/km/stories/vinh-ha-long")
    assert status == 301 and head["location"].endswith("/km/stories/vinh-ha-long/")
    # a content-hashed font: the headers snippet's own location still applies
    font = next((built_project / "build" / "site" / "fonts").glob("*.woff2")).name
    status, head, _ = get(port, f"/fonts/{font}")
    assert status == 200 and head["content-type"] == "font/woff2" and head["cache-control"] == headers.IMMUTABLE
