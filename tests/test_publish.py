"""``lantoa publish`` against moto's real S3 HTTP server on 127.0.0.1: first publish, no-change
publish, a one-story edit, headers per file type, upload order, the delete cap and the grace
period, rollback, CloudFront invalidation, bad input."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from publish_support import (FaultProxy, aws_env, boto3, bucket, build, changed_paths, crawl_origin,  # noqa: F401
                             current, list_keys, local_broken, make_two_story_project, moto, origin_matches, publish,
                             s3, site_files, sites)

from lantoa.publish import headers

# --------------------------------------------------------------------------
# the header table


@pytest.mark.parametrize("path, ctype, cache", [
    ("index.html", "text/html; charset=utf-8", headers.REVALIDATE),
    ("en/stories/x/index.html", "text/html; charset=utf-8", headers.REVALIDATE),
    ("assets/javascripts/bundle.a5f9d56c.min.js", "text/javascript; charset=utf-8", headers.IMMUTABLE),
    ("assets/javascripts/bundle.a5f9d56c.min.js.map", "application/json; charset=utf-8", headers.IMMUTABLE),
    ("assets/stylesheets/main.57a0d79d.min.css", "text/css; charset=utf-8", headers.IMMUTABLE),
    ("assets/lantoa.css", "text/css; charset=utf-8", headers.REVALIDATE),
    ("assets/javascripts/lunr/min/lunr.vi.min.js", "text/javascript; charset=utf-8", headers.REVALIDATE),
    ("fonts/lantoa-khmer-400-b46c85acd6.woff2", "font/woff2", headers.IMMUTABLE),
    ("fonts/fonts.css", "text/css; charset=utf-8", headers.REVALIDATE),
    ("media/ha-long/hero-480.3f2a9c1b.webp", "image/webp", headers.IMMUTABLE),
    ("media/ha-long/hero-960-3f2a9c1b77.avif", "image/avif", headers.IMMUTABLE),
    ("stories/x/photo-20240101.jpg", "image/jpeg", headers.REVALIDATE),  # a date, not a hash
    ("stories/x/deadbeef.png", "image/png", headers.REVALIDATE),  # no digit: a word, not a hash
    ("sitemap.xml", "application/xml; charset=utf-8", headers.REVALIDATE),
    ("sitemap.xml.gz", "application/gzip", headers.REVALIDATE),
    ("en/feed.xml", "application/xml; charset=utf-8", headers.REVALIDATE),
    ("en/feed.json", "application/json; charset=utf-8", headers.REVALIDATE),
    ("search/index.json", "application/json; charset=utf-8", headers.REVALIDATE),
    ("assets/images/favicon.png", "image/png", headers.REVALIDATE),
    ("fonts/OFL.txt", "text/plain; charset=utf-8", headers.REVALIDATE),
    ("media/press/ha-long.07fde15c8759.zip", "application/zip", headers.IMMUTABLE),
    ("logo.svg", "image/svg+xml; charset=utf-8", headers.REVALIDATE),
])
def test_header_table(path, ctype, cache):
    h = headers.for_path(path)
    assert (h.content_type, h.cache_control) == (ctype, cache)


def test_unknown_extension_is_an_error_naming_the_file():
    with pytest.raises(headers.UnknownFileType, match=r"stories/x/clip\.xyz: no Content-Type for extension '\.xyz'"):
        headers.content_type("stories/x/clip.xyz")
    with pytest.raises(headers.UnknownFileType, match="README: .*without extension"):
        headers.content_type("README")


def test_content_types_never_come_from_the_host(monkeypatch):
    import mimetypes

    monkeypatch.setattr(mimetypes, "guess_type", lambda *a, **k: ("application/x-wrong", None))
    assert headers.content_type("fonts/a-0123456789ab.woff2") == "font/woff2"
    assert headers.content_type("x.webp") == "image/webp"


# --------------------------------------------------------------------------
# publishing


def test_first_publish_uploads_everything_in_order_with_headers(sites, s3, bucket, moto):
    site = sites["A"]
    with FaultProxy(moto[1]) as proxy:
        r = publish(site, f"s3://{bucket}/site", proxy.url)
    assert "published release" in r.output
    assert origin_matches(s3, bucket, "site/", site) == []
    keys = list_keys(s3, bucket, "site/")
    assert "_headers" not in keys  # host configuration, not a file visitors load
    rel = current(s3, bucket)
    assert set(rel["files"]) == set(site_files(site))
    assert rel["previous"] is None
    assert f"_lantoa/releases/{rel['version']}.json" in keys
    for path, entry in rel["files"].items():
        data = (site / path).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path

    # order: immutable files, other files, new pages, the root page, the release record, current.json last
    puts = [p[len(f"/{bucket}/site/"):] for p in proxy.puts(f"/{bucket}/site/")]
    assert puts[-2:] == [f"_lantoa/releases/{rel['version']}.json", "_lantoa/current.json"]
    assert puts[-3] == "index.html"
    site_puts = puts[:-2]

    def rank(p):
        return 3 if p == "index.html" else 2 if p.endswith(".html") else 0 if headers.is_hashed(p) else 1

    ranks = [rank(p) for p in site_puts]
    assert ranks == sorted(ranks), "uploads out of order"
    assert {0, 1, 2, 3} <= set(ranks)
    assert crawl_origin(s3, bucket, "site/", local_broken(site)) == []

    # headers read back per file type
    seen = {}
    for path in site_files(site):
        kind = headers.extension(path) + (" hashed" if headers.is_hashed(path) else "")
        if kind in seen:
            continue
        obj = s3.head_object(Bucket=bucket, Key="site/" + path)
        want = headers.for_path(path)
        seen[kind] = (obj["ContentType"], obj["CacheControl"])
        assert seen[kind] == (want.content_type, want.cache_control), path
    assert seen[".html"] == ("text/html; charset=utf-8", "public, max-age=0, must-revalidate")
    assert seen[".woff2 hashed"] == ("font/woff2", "public, max-age=31536000, immutable")
    assert seen[".js hashed"] == ("text/javascript; charset=utf-8", "public, max-age=31536000, immutable")
    assert seen[".xml"] == ("application/xml; charset=utf-8", "public, max-age=0, must-revalidate")
    assert {seen[k][0] for k in seen if k.startswith(".jpg")} == {"image/jpeg"}


def test_no_change_publish_uploads_nothing(sites, s3, bucket, moto, tmp_path):
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0])
    version = current(s3, bucket)["version"]
    # the same site rebuilt from scratch is byte-identical: nothing to upload either
    again = build(make_two_story_project(tmp_path / "again"), tmp_path / "again-site")
    assert changed_paths(sites["A"], again) == set()
    for site in (sites["A"], again):
        with FaultProxy(moto[1]) as proxy:
            r = publish(site, to, proxy.url)
        assert "up to date" in r.output and "uploaded 0 objects" in r.output
        assert [m for m, _p, _k in proxy.stats.log if m in ("PUT", "POST", "DELETE")] == []
        assert proxy.stats.requests <= 3  # the listing and current.json
    assert current(s3, bucket)["version"] == version


def test_one_story_edit_uploads_only_what_changed(sites, s3, bucket, moto):
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0])
    first = current(s3, bucket)
    changed = changed_paths(sites["A"], sites["B"])
    with FaultProxy(moto[1]) as proxy:
        r = publish(sites["B"], to, proxy.url)
    uploaded = {p[len(f"/{bucket}/site/"):] for p in proxy.puts(f"/{bucket}/site/")} - {
        "_lantoa/current.json", f"_lantoa/releases/{current(s3, bucket)['version']}.json"}
    uploaded = {p for p in uploaded if not p.startswith("_lantoa/objects/")}
    assert uploaded == changed
    # that story's pages (every edition shows it, translated or falling back), and nothing of the other story
    assert {"stories/vinh-ha-long/index.html", "km/stories/vinh-ha-long/index.html"} <= uploaded
    assert not [p for p in uploaded if "pho-ha-noi" in p], uploaded
    assert not [p for p in uploaded if p.startswith("assets/")], uploaded
    assert len(uploaded) < len(site_files(sites["B"])) / 3
    # the exact changed URL paths, printed for the CDN
    printed = r.output.split("changed paths (", 1)[1].splitlines()[1:]
    printed = [ln for ln in printed if ln.startswith("/")]
    want = []
    for p in sorted(changed):
        if not headers.is_hashed(p):
            want += [f"/{p[:-len('index.html')]}", f"/{p}"] if p.endswith("index.html") else [f"/{p}"]
    assert printed == want
    second = current(s3, bucket)
    assert second["previous"] == first["version"] and second["version"] > first["version"]
    assert origin_matches(s3, bucket, "site/", sites["B"]) == []
    # the overwritten objects of release A are archived, so A can be restored
    archived = set(list_keys(s3, bucket, "site/_lantoa/objects/"))
    assert {first["files"][p]["sha256"] for p in changed if p in first["files"]} <= archived


def test_grace_period_and_delete_cap(sites, s3, bucket, moto):
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0], "--grace", "0")
    publish(sites["C"], to, moto[0], "--grace", "0")  # the second story is gone from C
    keys = list_keys(s3, bucket, "site/")
    only_a = set(site_files(sites["A"])) - set(site_files(sites["C"]))
    assert "stories/pho-ha-noi/index.html" in only_a
    assert only_a <= set(keys), "the previous release's objects must stay (cached pages still use them)"
    assert crawl_origin(s3, bucket, "site/", local_broken(sites["A"]) | local_broken(sites["C"])) == []

    # publishing C again: A is no longer the previous release, so its leftovers go — but not past the cap
    before = list_keys(s3, bucket, "site/")
    r = publish(sites["C"], to, moto[0], "--grace", "0", "--max-deletes", "1", "--yes", ok=False)
    assert r.exit_code == 1
    assert f"{len(only_a)} objects would be deleted, more than --max-deletes 1" in r.output
    assert "nothing was changed" in r.output
    assert list_keys(s3, bucket, "site/") == before

    # a grace period of a day keeps them too
    r = publish(sites["C"], to, moto[0], "--grace", "24", "--max-deletes", "0", "--yes")
    assert list_keys(s3, bucket, "site/") == before

    r = publish(sites["C"], to, moto[0], "--grace", "0", "--yes")
    assert f"deleted {len(only_a)}" in r.output
    after = list_keys(s3, bucket, "site/")
    assert not (only_a & set(after))
    assert origin_matches(s3, bucket, "site/", sites["C"]) == []
    assert crawl_origin(s3, bucket, "site/", local_broken(sites["C"])) == []


def test_stale_objects_are_kept_without_yes_when_not_interactive(sites, s3, bucket, moto):
    to = f"s3://{bucket}/site"
    for site in ("A", "C", "C"):
        r = publish(sites[site], to, moto[0], "--grace", "0")
    assert "stale objects were kept: rerun with --yes" in r.output
    assert "stories/pho-ha-noi/index.html" in list_keys(s3, bucket, "site/")


def test_rollback_restores_an_earlier_release(sites, s3, bucket, moto):
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0])
    a = current(s3, bucket)["version"]
    publish(sites["B"], to, moto[0])
    b = current(s3, bucket)["version"]
    r = publish(sites["A"], to, moto[0], "--rollback", a, "--yes")
    assert "published release" in r.output
    rel = current(s3, bucket)
    assert rel["rolled_back_from"] == a and rel["previous"] == b and rel["version"] > b
    assert origin_matches(s3, bucket, "site/", sites["A"]) == []
    # and forward again, to B, which is now the previous release
    publish(sites["A"], to, moto[0], "--rollback", b, "--yes")
    assert origin_matches(s3, bucket, "site/", sites["B"]) == []
    assert crawl_origin(s3, bucket, "site/", local_broken(sites["A"]) | local_broken(sites["B"])) == []
    r = publish(sites["A"], to, moto[0], "--releases")
    assert r.output.split() == [a, b, rel["version"], current(s3, bucket)["version"], "(current)"]


def test_rollback_refuses_unknown_versions_and_needs_yes(sites, s3, bucket, moto):
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0])
    a = current(s3, bucket)["version"]
    r = publish(sites["A"], to, moto[0], "--rollback", "20000101T000000Z", "--yes", ok=False)
    assert r.exit_code == 1 and f"release 20000101T000000Z is not at {to}" in r.output and a in r.output
    r = publish(sites["A"], to, moto[0], "--rollback", "yesterday", "--yes", ok=False)
    assert r.exit_code == 1 and "is not a release version" in r.output
    r = publish(sites["A"], to, moto[0], "--rollback", a, ok=False)
    assert r.exit_code == 1 and "add --yes" in r.output


def test_cloudfront_invalidation_lists_only_changed_paths(sites, s3, bucket, moto):
    cf = boto3.client("cloudfront", endpoint_url=moto[0], region_name="us-east-1")
    dist = cf.create_distribution(DistributionConfig={
        "CallerReference": bucket, "Comment": "lantoa test", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": f"{bucket}.s3.amazonaws.com",
                                              "OriginPath": "/site", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })["Distribution"]["Id"]
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0])
    r = publish(sites["B"], to, moto[0], "--distribution-id", dist)
    assert "CloudFront invalidation" in r.output
    printed = [ln for ln in r.output.split("changed paths (", 1)[1].splitlines()[1:] if ln.startswith("/")]
    items = cf.list_invalidations(DistributionId=dist)["InvalidationList"]["Items"]
    assert len(items) == 1
    inv = cf.get_invalidation(DistributionId=dist, Id=items[0]["Id"])["Invalidation"]["InvalidationBatch"]
    assert sorted(inv["Paths"]["Items"]) == sorted(printed)
    assert "/stories/vinh-ha-long/" in printed and "/*" not in printed
    assert not [p for p in printed if "pho-ha-noi" in p or p.startswith("/assets/")]


def test_dry_run_changes_nothing(sites, s3, bucket, moto):
    to = f"s3://{bucket}/site"
    publish(sites["A"], to, moto[0])
    before = list_keys(s3, bucket, "site/")
    r = publish(sites["B"], to, moto[0], "--dry-run")
    assert "dry run: nothing was changed" in r.output
    assert "upload stories/vinh-ha-long/index.html" in r.output
    assert list_keys(s3, bucket, "site/") == before


def test_bad_input_changes_nothing(sites, s3, bucket, moto, tmp_path):
    to = f"s3://{bucket}/site"
    site = tmp_path / "site"
    shutil.copytree(sites["A"], site)
    (site / "stories" / "vinh-ha-long" / "clip.xyz").write_bytes(b"?")
    (site / "notes").write_text("?")
    r = publish(site, to, moto[0], ok=False)
    assert r.exit_code == 1
    assert "stories/vinh-ha-long/clip.xyz: no Content-Type for extension '.xyz'" in r.output
    assert "notes: no Content-Type for a file without extension" in r.output
    assert list_keys(s3, bucket, "site/") == {}

    r = publish(tmp_path / "empty", to, moto[0], ok=False)
    assert r.exit_code == 1 and "no index.html — build the site first" in r.output
    r = publish(sites["A"], "https://example.org/x", moto[0], ok=False)
    assert r.exit_code == 2 or "is not an S3 location" in r.output
    r = publish(sites["A"], "s3://lantoa-no-such-bucket/site", moto[0], ok=False)
    assert r.exit_code == 1 and "NoSuchBucket" in r.output


def test_publish_under_the_bucket_root(sites, s3, bucket, moto):
    publish(sites["A"], f"s3://{bucket}", moto[0])
    assert origin_matches(s3, bucket, "", sites["A"]) == []
    assert "_lantoa/current.json" in list_keys(s3, bucket)


def test_large_files_go_in_parts_and_compare_by_their_etag(sites, s3, bucket, moto, tmp_path):
    import os

    from lantoa.publish import release
    from lantoa.publish import s3 as ls3

    site = tmp_path / "site"
    shutil.copytree(sites["A"], site)
    (site / "media" / "press").mkdir(parents=True, exist_ok=True)
    big = site / "media" / "press" / "archive.0123abcd4567.zip"
    big.write_bytes(os.urandom(release.PART_SIZE + 1024 * 1024))
    store = ls3.Store(f"s3://{bucket}/site", endpoint_url=moto[0])
    plan = ls3.plan_publish(store, site, threshold=1024 * 1024)
    up = {u.path: u for u in plan.uploads}["media/press/archive.0123abcd4567.zip"]
    assert up.local.multipart and up.local.etag.endswith("-2")
    ls3.execute(store, plan)
    assert list_keys(s3, bucket, "site/")["media/press/archive.0123abcd4567.zip"] == up.local.etag
    assert s3.get_object(Bucket=bucket, Key="site/media/press/archive.0123abcd4567.zip")["Body"].read() == \
        big.read_bytes()
    again = ls3.plan_publish(ls3.Store(f"s3://{bucket}/site", endpoint_url=moto[0]), site, threshold=1024 * 1024)
    assert again.uploads == [] and not again.commit
