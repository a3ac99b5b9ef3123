"""``lantoa publish`` when the network and the store misbehave: errors and dropped connections on
a good share of requests, a persistent failure, and a publish killed midway. After every step
no page at the origin references a missing object, and a rerun completes to an origin identical
to the local build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from publish_support import (FaultProxy, aws_env, bucket, crawl_origin, current, list_keys,  # noqa: F401
                             local_broken, moto, origin_matches, publish, s3, site_files, sites)

from lantoa.publish import headers


def site_key(bucket: str, path: str) -> str:
    return path[len(f"/{bucket}/site/"):] if path.startswith(f"/{bucket}/site/") else ""


def test_publish_completes_through_errors_and_dropped_connections(sites, s3, bucket, moto):
    to = f"s3://{bucket}/site"
    ignore = local_broken(sites["A"]) | local_broken(sites["B"]) | local_broken(sites["C"])
    requests = faults = 0
    for seed, (name, extra) in enumerate([("A", ()), ("B", ()), ("C", ("--grace", "0", "--yes")),
                                          ("A", ("--grace", "0", "--yes")), ("A", ())]):
        with FaultProxy(moto[1], rate=0.2, seed=seed) as proxy:
            r = publish(sites[name], to, proxy.url, *extra)
        requests, faults = requests + proxy.stats.requests, faults + proxy.stats.faults
        assert origin_matches(s3, bucket, "site/", sites[name]) == [], (name, r.output)
        assert crawl_origin(s3, bucket, "site/", ignore) == []
    assert faults >= 0.10 * requests, (faults, requests)
    assert current(s3, bucket)["files"].keys() == site_files(sites["A"]).keys()


def test_fault_rate_is_real(sites, s3, bucket, moto):
    """The proxy really injects every kind of fault, at the rate asked for, and publish still succeeds."""
    with FaultProxy(moto[1], rate=0.2, seed=42) as proxy:
        publish(sites["A"], f"s3://{bucket}/site", proxy.url)
    kinds = proxy.stats.by_kind
    files = len(site_files(sites["A"]))
    assert files > 80, files  # enough uploads for a rate to mean something (the two-story site has ~100)
    assert proxy.stats.requests > files + proxy.stats.faults // 2  # each file once, and faulted ones again
    assert proxy.stats.faults >= 0.1 * proxy.stats.requests
    assert kinds.get("error", 0) and kinds.get("drop-before", 0) and kinds.get("drop-after", 0), kinds


def test_persistent_failure_stops_before_any_page_and_any_delete(sites, s3, bucket, moto, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")  # the standard AWS setting caps our retries too
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0], "--grace", "0")
    publish(sites["B"], to, moto[0], "--grace", "0")
    before = current(s3, bucket)
    keys_before = list_keys(s3, bucket, "site/")

    def broken(method, path):  # every upload of an unhashed, non-HTML file fails, every time
        key = site_key(bucket, path)
        return method == "PUT" and key and not key.startswith("_lantoa/") and not key.endswith(".html") \
            and not headers.is_hashed(key)

    with FaultProxy(moto[1], fail_if=broken) as proxy:
        r = publish(sites["C"], to, proxy.url, "--grace", "0", "--yes", ok=False)
    assert r.exit_code == 1
    assert "publishing stopped: no HTML page and no delete was made" in r.output
    assert f"the origin still serves release {before['version']}" in r.output
    assert "run the same command again" in r.output
    log = proxy.stats.log
    assert not [p for m, p, k in log if m == "PUT" and not k and p.endswith(".html")]
    assert not [p for m, p, _k in log if m == "DELETE"]
    assert current(s3, bucket) == before
    assert set(keys_before) <= set(list_keys(s3, bucket, "site/"))
    ignore = local_broken(sites["A"]) | local_broken(sites["B"]) | local_broken(sites["C"])
    assert crawl_origin(s3, bucket, "site/", ignore) == []

    r = publish(sites["C"], to, moto[0], "--grace", "0", "--yes")
    assert origin_matches(s3, bucket, "site/", sites["C"]) == []
    assert crawl_origin(s3, bucket, "site/", ignore) == []


def test_failure_among_pages_keeps_the_root_page_and_the_release(sites, s3, bucket, moto, monkeypatch):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0])
    before = current(s3, bucket)
    with FaultProxy(moto[1], fail_if=lambda m, p: m == "PUT" and p.endswith("/site/km/stories/vinh-ha-long/index.html")) \
            as proxy:
        r = publish(sites["B"], to, proxy.url, ok=False)
    assert r.exit_code == 1
    assert "uploading km/stories/vinh-ha-long/index.html: " in r.output
    assert "publishing stopped: no delete was made" in r.output
    assert "(after 3 attempts)" in r.output
    assert current(s3, bucket) == before
    assert not [p for m, p, k in proxy.stats.log if m == "PUT" and not k and p.endswith("/site/index.html")]
    r = publish(sites["B"], to, moto[0])
    assert origin_matches(s3, bucket, "site/", sites["B"]) == []


def _cli(to: str, endpoint: str, site, *extra) -> list[str]:
    return [sys.executable, "-m", "lantoa.cli", "-q", "publish", "--site", str(site), "--to", to,
            "--endpoint-url", endpoint, "-j", "2", *extra]


@pytest.mark.parametrize("earlier, when", [(None, "immutable"), ("A", "other"), ("A", "pages")])
def test_killed_publish_then_rerun(sites, s3, bucket, moto, earlier, when):
    """SIGKILL in the middle of each phase of a first publish, or of one over an earlier release; then run
    it again."""
    to = f"s3://{bucket}/site"
    if earlier:
        publish(sites[earlier], to, moto[0], "--grace", "0")
    before = current(s3, bucket) if earlier else None
    ignore = local_broken(sites["A"]) | local_broken(sites["C"])
    seen = {"immutable": 0, "other": 0, "pages": 0}
    go = threading.Event()

    def watch(method, path):
        key = site_key(bucket, path)
        if method != "PUT" or not key or key.startswith("_lantoa/"):
            return
        kind = "pages" if key.endswith(".html") else "immutable" if headers.is_hashed(key) else "other"
        seen[kind] += 1
        if kind == when and seen[kind] >= 2:
            go.set()

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with FaultProxy(moto[1], delay=0.05, on_request=watch) as proxy:
        proc = subprocess.Popen(_cli(to, proxy.url, sites["C"], "--grace", "0", "--yes"), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert go.wait(120), f"the publish never reached the {when} phase: {seen}"
            proc.send_signal(signal.SIGKILL)
        finally:
            out, _ = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, out
        proxy.quiet()
    # killed midway: the old release is still the current one, and nothing points at a missing object
    assert "_lantoa/current.json" not in list_keys(s3, bucket, "site/") if before is None else \
        current(s3, bucket) == before
    assert crawl_origin(s3, bucket, "site/", ignore) == []

    r = subprocess.run(_cli(to, moto[0], sites["C"], "--grace", "0", "--yes"), env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert origin_matches(s3, bucket, "site/", sites["C"]) == []
    assert crawl_origin(s3, bucket, "site/", ignore) == []
    rel = current(s3, bucket)
    assert rel["previous"] == (before["version"] if before else None)
    assert rel["files"].keys() == site_files(sites["C"]).keys()
