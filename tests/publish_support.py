"""Fixtures and helpers shared by tests/test_publish*.py: moto's S3 server on 127.0.0.1, a bucket per
test, a small two-story project built three ways (A, B: one story edited, C: one story removed)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import STORY, make_project
from publish_proxy import (FaultProxy, crawl_origin, list_keys, local_broken, origin_matches,  # noqa: F401
                           site_files)

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

from lantoa.cli import main  # noqa: E402

SECOND_STORY = (STORY.replace("title: Vịnh Hạ Long", "title: Phở Hà Nội")
                .replace("category: heritage", "category: culture")
                .replace("Vịnh có nhiều đảo đá vôi.", "Phở là món ăn của Hà Nội."))


@pytest.fixture(scope="module")
def moto():
    """moto's S3 (and CloudFront) server on 127.0.0.1, for one test module: its threads stop with the module,
    so no later test forks a process pool while they run."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}", (host, port)
    server.stop()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch, moto):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto[0])
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")


@pytest.fixture
def s3(moto):
    return boto3.client("s3", endpoint_url=moto[0], region_name="us-east-1")


@pytest.fixture
def bucket(s3):
    name = f"lantoa-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def make_two_story_project(root: Path) -> Path:
    make_project(root, langs=("vi", "en", "km"))
    pho = root / "content" / "stories" / "pho-ha-noi"
    pho.mkdir()
    (pho / "index.md").write_text(SECOND_STORY, "utf-8")
    shutil.copy(root / "content" / "stories" / "vinh-ha-long" / "hero.jpg", pho / "hero.jpg")
    return root


def build(root: Path, out: Path) -> Path:
    """lantoa build in its own process: the build forks a process pool, which must not inherit the moto
    server's threads (a lock held by one of them at fork time would hang the child)."""
    r = subprocess.run([sys.executable, "-m", "lantoa.cli", "-C", str(root), "-q", "build", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Three builds of one project: A, B (one story's text edited), C (the second story removed)."""
    root = make_two_story_project(tmp_path_factory.mktemp("pub") / "site")
    work = root.parent
    a = build(root, work / "A")
    story = root / "content" / "stories" / "vinh-ha-long" / "index.md"
    story.write_text(story.read_text("utf-8").replace("Vịnh có nhiều đảo đá vôi.",
                                                      "Vịnh có gần hai nghìn hòn đảo đá vôi và hang động."), "utf-8")
    b = build(root, work / "B")
    shutil.rmtree(root / "content" / "stories" / "pho-ha-noi")
    c = build(root, work / "C")
    return {"A": a, "B": b, "C": c, "root": root}


def publish(site: Path, to: str, endpoint: str, *extra: str, ok: bool = True):
    r = CliRunner().invoke(main, ["publish", "--site", str(site), "--to", to, "--endpoint-url", endpoint, *extra])
    if ok:
        assert r.exit_code == 0, r.output + repr(r.exception)
    assert "Traceback" not in r.output
    return r


def current(s3, bucket, prefix="site/") -> dict:
    return json.loads(s3.get_object(Bucket=bucket, Key=prefix + "_lantoa/current.json")["Body"].read())


def changed_paths(old: Path, new: Path) -> set[str]:
    a, b = site_files(old), site_files(new)
    return {p for p in b if a.get(p) != b[p]}
