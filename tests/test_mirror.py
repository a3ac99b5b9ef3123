"""Mirrors and kiosks: keys and signatures (checked against Debian's real minisign), deterministic
signed bundles, the tamper suite (modified, missing, extra, expired, rollback, wrong key), and
``mirror pull`` (local and http on 127.0.0.1, atomic swap, revert)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import http.server
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import make_project, tree_digest

from lantoa.cli import main
from lantoa.publish import bundle as lbundle
from lantoa.publish import minisign

MINISIGN = shutil.which("minisign")
NOW = dt.datetime(2026, 11, 15, 10, 30, tzinfo=dt.timezone.utc)


def run(*args, ok=True):
    r = CliRunner().invoke(main, [str(a) for a in args])
    if ok:
        assert r.exit_code == 0, r.output + repr(r.exception)
    assert "Traceback" not in r.output
    return r


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("mirror") / "site", langs=("vi", "en", "km"))
    run("-C", root, "-q", "build")
    return root


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    sk = minisign.write_keypair(d / "lantoa.pub", d / "lantoa.key")
    other = minisign.write_keypair(d / "other.pub", d / "other.key")
    return {"pub": d / "lantoa.pub", "key": d / "lantoa.key", "sk": sk, "other_pub": d / "other.pub",
            "other": other}


@pytest.fixture(scope="module")
def bundles(project, keys, tmp_path_factory):
    """Two bundles of the same site, the second one newer."""
    out = tmp_path_factory.mktemp("dist")
    site = project / "build" / "site"
    old, m_old = lbundle.make_bundle(site, keys["sk"], out, "lantoa", now=NOW - dt.timedelta(days=1))
    new, m_new = lbundle.make_bundle(site, keys["sk"], out, "lantoa", now=NOW)
    return {"old": old, "new": new, "m_old": m_old, "m_new": m_new, "out": out}


def extract(bundle: Path, dest: Path) -> Path:
    with tarfile.open(bundle) as tar:
        tar.extractall(dest, filter="data")
    return dest


def verify(target, keys, *extra, ok=False):
    return run("mirror", "verify", target, "--pubkey", keys["pub"], *extra, ok=ok)


# --------------------------------------------------------------------------
# keys and signatures


def test_keygen_writes_a_private_key_and_refuses_to_overwrite(tmp_path):
    pub, sec = tmp_path / "k.pub", tmp_path / "secret" / "k.key"
    r = run("keygen", "--pub", pub, "--sec", sec)
    key_id = minisign.PublicKey.load(str(pub)).id_hex
    assert key_id in r.output and pub.read_text().startswith(f"untrusted comment: minisign public key {key_id}\n")
    assert stat.S_IMODE(sec.stat().st_mode) == 0o600
    before = sec.read_bytes()
    r = run("keygen", "--pub", pub, "--sec", sec, ok=False)
    assert r.exit_code == 1 and "already exists — nothing was overwritten" in r.output
    assert sec.read_bytes() == before


@pytest.mark.skipif(not MINISIGN, reason="minisign is not installed (apt-get install minisign)")
def test_stock_minisign_verifies_our_signatures_and_we_verify_its(keys, tmp_path):
    data = tmp_path / "manifest.json"
    data.write_bytes(b'{"hello": "xin ch\xc3\xa0o"}\n')
    (tmp_path / "manifest.json.minisig").write_text(keys["sk"].sign(data.read_bytes(), "site=lantoa version=1"))
    r = subprocess.run([MINISIGN, "-V", "-p", keys["pub"], "-m", data], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Trusted comment: site=lantoa version=1" in r.stdout
    # minisign rejects a modified file and another key, as we do
    data.write_bytes(data.read_bytes() + b" ")
    assert subprocess.run([MINISIGN, "-V", "-p", keys["pub"], "-m", data], capture_output=True).returncode != 0
    # minisign signs with our secret key; we verify (prehashed, the default)…
    other = tmp_path / "other.txt"
    other.write_bytes(b"kiosk\n")
    r = subprocess.run([MINISIGN, "-S", "-s", keys["key"], "-m", other, "-t", "trusted ok"], capture_output=True,
                       text=True, input="")
    assert r.returncode == 0, r.stderr
    sig = (tmp_path / "other.txt.minisig").read_text()
    assert minisign.PublicKey.load(str(keys["pub"])).verify(other.read_bytes(), sig) == "trusted ok"
    # … and legacy (-l) signatures too, and keys minisign made itself (-W: unencrypted)
    subprocess.run([MINISIGN, "-G", "-W", "-p", tmp_path / "m.pub", "-s", tmp_path / "m.key"], check=True,
                   capture_output=True)
    subprocess.run([MINISIGN, "-S", "-l", "-s", tmp_path / "m.key", "-m", other, "-x", tmp_path / "l.sig"],
                   check=True, capture_output=True)
    pk = minisign.PublicKey.load(str(tmp_path / "m.pub"))
    assert pk.verify(other.read_bytes(), (tmp_path / "l.sig").read_text()).startswith("timestamp:")
    assert minisign.SecretKey.load(tmp_path / "m.key").public_key == pk


def test_signature_failures_are_named(keys):
    pk = minisign.PublicKey.load(str(keys["pub"]))
    sig = keys["sk"].sign(b"data", "comment")
    with pytest.raises(minisign.SignatureError, match="modified after signing"):
        pk.verify(b"date", sig)
    with pytest.raises(minisign.SignatureError, match="wrong key"):
        minisign.PublicKey.load(str(keys["other_pub"])).verify(b"data", sig)
    lines = sig.splitlines()
    lines[2] = "trusted comment: commenT"
    with pytest.raises(minisign.SignatureError, match="trusted comment was modified"):
        pk.verify(b"data", "\n".join(lines))
    with pytest.raises(minisign.SignatureError, match="not a minisign signature"):
        pk.verify(b"data", "hello")


# --------------------------------------------------------------------------
# bundles


def test_bundle_cli_and_monotonic_versions(project, keys, tmp_path):
    out = tmp_path / "dist"
    r1 = run("-C", project, "bundle", "--key", keys["key"], "--out", out)
    r2 = run("-C", project, "bundle", "--key", keys["key"], "--out", out, "--expires", "7")
    from lantoa.publish.release import version_key

    def version(f):
        return f.name[len("lan-toa-"):-len(".tar.gz")]

    files = sorted(out.glob("lan-toa-*.tar.gz"), key=lambda f: f.stat().st_mtime_ns)  # site_name "Lan Tỏa"
    assert len(files) == 2, r1.output + r2.output
    v1, v2 = version(files[0]), version(files[1])
    assert version_key(v2) > version_key(v1)  # even within one second
    with tarfile.open(files[1]) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert names[:2] == ["manifest.json", "manifest.json.minisig"] and names[2:] == sorted(names[2:])
    assert manifest["site"] == "lan-toa" and manifest["version"] == v2
    created, expires = (dt.datetime.fromisoformat(manifest[k].replace("Z", "+00:00")) for k in ("created", "expires"))
    assert expires - created == dt.timedelta(days=7)
    site = project / "build" / "site"
    want = {p.relative_to(site).as_posix(): p for p in site.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == set(want)
    for path, entry in manifest["files"].items():
        data = want[path].read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def test_bundle_is_deterministic(project, keys, tmp_path):
    site = project / "build" / "site"
    a, _ = lbundle.make_bundle(site, keys["sk"], tmp_path / "a", "lantoa", now=NOW, version="20261115T103000Z")
    b, _ = lbundle.make_bundle(site, keys["sk"], tmp_path / "b", "lantoa", now=NOW, version="20261115T103000Z")
    assert a.read_bytes() == b.read_bytes()
    with tarfile.open(a) as tar:
        for info in tar.getmembers():
            assert (info.uid, info.gid, info.uname, info.gname, info.mode) == (0, 0, "", "", 0o644), info.name
            assert info.mtime == int(NOW.timestamp()) and info.isreg()


def test_bundle_refuses_without_key_or_site(project, tmp_path):
    r = run("-C", project, "bundle", "--key", tmp_path / "none.key", ok=False)
    assert r.exit_code == 1 and "no secret key here — create one with: lantoa keygen" in r.output
    r = run("-C", tmp_path, "bundle", "--site", tmp_path, "--key", tmp_path / "none.key", ok=False)
    assert r.exit_code == 1


# --------------------------------------------------------------------------
# the tamper suite


def test_untouched_copies_verify(bundles, keys, tmp_path):
    r = verify(bundles["new"], keys, ok=True)
    assert "signature good" in r.output and bundles["m_new"].version in r.output
    d = extract(bundles["new"], tmp_path / "copy")
    assert "OK" in verify(d, keys, "--state", tmp_path / "state.json", ok=True).output


def _tar_with(src: Path, dest: Path, change) -> Path:
    """A copy of a bundle with its members changed by change(name, data) -> data | None (None: dropped)."""
    with tarfile.open(src) as tin, tarfile.open(dest, "w:gz") as tout:
        for info in tin.getmembers():
            data = change(info.name, tin.extractfile(info).read())
            if data is None:
                continue
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
        extra = change("<extra>", b"")
        if extra:
            info = tarfile.TarInfo("stories/injected.html")
            info.size = len(extra)
            tout.addfile(info, io.BytesIO(extra))
    return dest


TAMPER = {
    "modified": ("index.html", lambda d: d.replace(b"</body>", b"<script>alert(1)</script></body>"),
                 "index.html: modified"),
    "missing": ("en/index.html", None, "en/index.html: missing"),
    "extra": ("<extra>", b"<h1>fake</h1>", "stories/injected.html: extra file, not in the signed manifest"),
    "manifest": ("manifest.json", lambda d: d.replace(b'"size": ', b'"size":  ', 1),
                 "the signature does not match the signed file"),
    "trusted comment": ("manifest.json.minisig",
                        lambda d: d.replace(b"trusted comment: lantoa", b"trusted comment: LANTOA"),
                        "the trusted comment was modified"),
}


@pytest.mark.parametrize("form", ["bundle", "folder"])
@pytest.mark.parametrize("case", list(TAMPER))
def test_tampering_is_detected(bundles, keys, tmp_path, case, form):
    target_name, how, message = TAMPER[case]
    if form == "bundle":
        def change(name, data):
            if name != target_name:
                return data if name != "<extra>" else None
            return None if how is None else how if isinstance(how, bytes) else how(data)

        target = _tar_with(bundles["new"], tmp_path / "tampered.tar.gz", change)
    else:
        target = extract(bundles["new"], tmp_path / "copy")
        if case == "extra":
            (target / "stories" / "injected.html").write_bytes(how)
        elif how is None:
            (target / target_name).unlink()
        else:
            (target / target_name).write_bytes(how((target / target_name).read_bytes()))
    r = verify(target, keys, "--state", tmp_path / "state.json")
    assert r.exit_code == 1, r.output
    assert "verification failed" in r.output and message in r.output, r.output


def test_wrong_key_is_detected(bundles, keys, tmp_path):
    r = run("mirror", "verify", bundles["new"], "--pubkey", keys["other_pub"], ok=False)
    assert r.exit_code == 1
    sk_id, other_id = keys["sk"].public_key.id_hex, keys["other"].public_key.id_hex
    assert f"signed with key {sk_id}, but the public key given is {other_id} — wrong key" in r.output
    # the same key id with other key bytes: the signature itself fails
    forged = minisign.PublicKey(keys["sk"].key_id, keys["other"].public)
    pub = tmp_path / "forged.pub"
    pub.write_text(forged.to_file())
    r = run("mirror", "verify", bundles["new"], "--pubkey", pub, ok=False)
    assert r.exit_code == 1 and "the signature does not match" in r.output


def test_expired_manifest_is_detected(project, keys, tmp_path):
    old, _ = lbundle.make_bundle(project / "build" / "site", keys["sk"], tmp_path, "lantoa", expires_days=1,
                                 now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=3))
    r = verify(old, keys)
    assert r.exit_code == 1 and "the manifest expired on" in r.output and "pull a fresh bundle" in r.output


def test_rollback_to_an_older_version_is_detected(bundles, keys, tmp_path):
    state = tmp_path / "state.json"
    verify(bundles["new"], keys, "--state", state, ok=True)
    assert json.loads(state.read_text())["last_seen"] == bundles["m_new"].version
    r = verify(bundles["old"], keys, "--state", state)
    assert r.exit_code == 1
    assert f"rollback: version {bundles['m_old'].version} is older than {bundles['m_new'].version}" in r.output
    verify(bundles["new"], keys, "--state", state, ok=True)  # the same version again is fine


def test_not_a_bundle(keys, tmp_path):
    (tmp_path / "x.tar.gz").write_bytes(b"not gzip")
    r = verify(tmp_path / "x.tar.gz", keys)
    assert r.exit_code == 1 and "not a readable .tar.gz bundle" in r.output
    (tmp_path / "dir").mkdir()
    r = verify(tmp_path / "dir", keys)
    assert r.exit_code == 1 and "not a lantoa mirror copy" in r.output


def test_unsafe_member_paths_are_refused(bundles, keys, tmp_path):
    bad = tmp_path / "evil.tar.gz"
    with tarfile.open(bundles["new"]) as tin, tarfile.open(bad, "w:gz") as tout:
        for info in tin.getmembers():
            tout.addfile(info, tin.extractfile(info))
        info = tarfile.TarInfo("../../etc/evil")
        info.size = 1
        tout.addfile(info, io.BytesIO(b"x"))
        link = tarfile.TarInfo("stories/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tout.addfile(link)
    r = verify(bad, keys)
    assert r.exit_code == 1
    assert "../../etc/evil: an unsafe path" in r.output and "stories/link: not a regular file" in r.output
    www = tmp_path / "www"
    www.mkdir()
    r = run("mirror", "pull", bad, www / "site", "--pubkey", keys["pub"], ok=False)
    assert r.exit_code == 1 and not (tmp_path / "etc").exists() and not (www / "site").exists()


# --------------------------------------------------------------------------
# pull, swap, revert


def test_pull_swaps_atomically_and_reverts(bundles, keys, tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    webroot = www / "lantoa"
    (webroot).mkdir()
    (webroot / "index.html").write_text("the site before lantoa")  # a plain folder becomes the previous copy
    r = run("mirror", "pull", bundles["old"], webroot, "--pubkey", keys["pub"])
    assert f"version {bundles['m_old'].version} installed" in r.output
    assert webroot.is_symlink()
    verify(webroot, keys, ok=True)
    first = os.readlink(webroot)

    r = run("mirror", "pull", bundles["new"], webroot, "--pubkey", keys["pub"])
    assert os.readlink(webroot) != first and bundles["m_new"].version in os.readlink(webroot)
    verify(webroot, keys, ok=True)
    state = json.loads((www / ".lantoa.lantoa-state.json").read_text())
    assert (state["current"], state["previous"]) == (bundles["m_new"].version, bundles["m_old"].version)
    assert sorted(p.name for p in (www / ".lantoa.versions").iterdir()) == sorted(
        [bundles["m_old"].version, bundles["m_new"].version])  # the oldest copy was pruned

    r = run("mirror", "pull", bundles["new"], webroot, "--pubkey", keys["pub"])
    assert "already installed" in r.output

    r = run("mirror", "pull", "--revert", webroot)
    assert f"back to version {bundles['m_old'].version}" in r.output
    assert os.readlink(webroot) == first
    verify(webroot, keys, ok=True)  # the operator chose it: no rollback alarm
    # a pull never goes back (that is what --revert is for) …
    r = run("mirror", "pull", bundles["old"], webroot, "--pubkey", keys["pub"], ok=False)
    assert r.exit_code == 1 and "rollback: version" in r.output
    # … and a second --revert goes forward again
    run("mirror", "pull", "--revert", webroot)
    assert bundles["m_new"].version in os.readlink(webroot)
    verify(webroot, keys, ok=True)


def test_pull_refuses_tampered_expired_and_older_bundles_leaving_the_webroot_as_it_was(bundles, keys, project,
                                                                                       tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    webroot = www / "lantoa"
    run("mirror", "pull", bundles["new"], webroot, "--pubkey", keys["pub"])
    before = (os.readlink(webroot), tree_digest(webroot.resolve()), tree_digest(www / ".lantoa.versions"))

    tampered = _tar_with(bundles["new"], tmp_path / "t.tar.gz",
                         lambda n, d: None if n == "<extra>" else d.replace(b"Lan", b"Lan!") if n == "index.html" else d)
    expired, _ = lbundle.make_bundle(project / "build" / "site", keys["sk"], tmp_path / "exp", "lantoa",
                                     expires_days=1, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2),
                                     version="29990101T000000Z")
    cases = [(tampered, "index.html: modified"), (bundles["old"], "rollback: version"),
             (expired, "the manifest expired"), (tmp_path / "nothing.tar.gz", "no such bundle or folder")]
    for source, message in cases:
        r = run("mirror", "pull", source, webroot, "--pubkey", keys["pub"], ok=False)
        assert r.exit_code == 1 and message in r.output, r.output
        r = run("mirror", "pull", bundles["new"], webroot, "--pubkey", keys["other_pub"], ok=False)
        assert r.exit_code == 1 and "wrong key" in r.output
        assert (os.readlink(webroot), tree_digest(webroot.resolve()), tree_digest(www / ".lantoa.versions")) == before
    assert not list((www / ".lantoa.versions").glob(".incoming-*"))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_dir(tmp_path):
    """serve(folder) -> http://127.0.0.1:<port>/ for that folder."""
    servers = []

    def serve(folder: Path) -> str:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield serve
    for s in servers:
        s.shutdown()
        s.server_close()


def test_pull_over_http_bundle_and_served_copy(bundles, keys, tmp_path, http_dir):
    www = tmp_path / "www"
    www.mkdir()
    origin = http_dir(bundles["out"])
    run("mirror", "pull", origin + bundles["old"].name, www / "a", "--pubkey", keys["pub"])
    verify(www / "a", keys, ok=True)
    # a mirror of a mirror: the served copy's manifest, then each file (unchanged ones are reused)
    served = http_dir(extract(bundles["new"], tmp_path / "served"))
    r = run("mirror", "pull", served, www / "a", "--pubkey", keys["pub"])
    assert bundles["m_new"].version in r.output
    verify(www / "a", keys, ok=True)
    # a served copy with a modified file is refused
    (tmp_path / "served" / "index.html").write_bytes(b"defaced")
    r = run("mirror", "pull", served, www / "b", "--pubkey", keys["pub"], ok=False)
    assert r.exit_code == 1 and "index.html: modified" in r.output and not (www / "b").exists()
    r = run("mirror", "pull", origin + "missing.tar.gz", www / "b", "--pubkey", keys["pub"], ok=False)
    assert r.exit_code == 1 and "HTTP 404" in r.output


@pytest.mark.parametrize("url, want", [
    ("../km/", "../km/index.html"), (".", "index.html"), ("./", "index.html"), ("..", "../index.html"),
    ("../x/#part", "../x/index.html#part"), ("stories/a/?q=1", "stories/a/index.html?q=1"),
    ("feed.xml", "feed.xml"), ("https://example.org/", "https://example.org/"), ("#top", "#top"),
    ("/abs/", "/abs/"), ("mailto:a@b.c", "mailto:a@b.c"), ("", ""),
])
def test_kiosk_links_name_index_html(url, want):
    from lantoa.site.kiosk import file_url, rewrite

    assert file_url(url) == want
    assert rewrite(f'<a class="x" href="{url}">') == f'<a class="x" href="{want}">'
