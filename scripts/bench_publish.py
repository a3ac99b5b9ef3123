#!/usr/bin/env python3
"""Benchmark: ``lantoa publish`` against ``aws s3 sync`` on a local S3 server (not a test).

Both tools publish the same folders to moto's S3 server on 127.0.0.1 (its own process), through
a counting loopback proxy (tests/publish_proxy.py, no faults), as subprocesses from the command
line. For each site and tool, 3 runs of: a first publish into an empty bucket, then a no-change
republish. Reported: medians of wall seconds, objects per second (first publish), requests and
bytes sent.

Sites: the repository's sample site (built with lantoa into a temporary folder) and a larger
generated tree (--files, default 2000: pages, hashed assets and images of realistic sizes).

awscli comes from PyPI, installed into .cache/lantoa/bench-awscli (a venv) on the first run; if
that fails, an `aws` already on PATH is used, else the comparison is skipped with a message.

    python3 scripts/bench_publish.py [--runs 3] [--files 2000] [--out scripts/results/publish.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from lantoa.publish.headers import HOST_FILES  # noqa: E402
from publish_proxy import FaultProxy  # noqa: E402

MOTO = """
import sys, time
from moto.server import ThreadedMotoServer
s = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
s.start()
print(s.get_host_and_port()[1], flush=True)
sys.stdin.read()
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def awscli(cache: Path) -> list[str] | None:
    venv = cache / "bench-awscli"
    aws = venv / "bin" / "aws"
    if not aws.exists():
        log(f"installing awscli from PyPI into {venv} …")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "awscli"],
                           check=True, capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            log(f"could not install awscli ({exc})")
            shutil.rmtree(venv, ignore_errors=True)
    if aws.exists():
        return [str(aws)]
    if shutil.which("aws"):
        log("using the aws command on PATH")
        return [shutil.which("aws")]
    log("awscli is not available: skipping the comparison")
    return None


def generated_site(root: Path, files: int, seed: int = 1) -> Path:
    """A tree shaped like a built site: ~70% pages (8-40 kB), hashed assets, images (20-200 kB)."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    words = "lan toa viet nam ha long pho hue hoi an mekong culture heritage story".split()
    (root / "index.html").write_text("<!doctype html><title>home</title>" + " ".join(words) * 50, "utf-8")
    for i in range(files - 1):
        kind = rng.random()
        if kind < 0.70:
            p = root / f"l{i % 19}" / "stories" / f"story-{i}" / "index.html"
            body = " ".join(rng.choice(words) for _ in range(rng.randint(1500, 7000)))
            data = f"<!doctype html><html><body><p>{body}</p></body></html>".encode()
        elif kind < 0.85:
            data = os.urandom(rng.randint(2_000, 60_000))
            p = root / "assets" / f"chunk-{i}.{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}.min.js"
        else:
            data = os.urandom(rng.randint(20_000, 200_000))
            p = root / "media" / f"img-{i}.{uuid.UUID(int=rng.getrandbits(128)).hex[:10]}.webp"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def one_run(tool: str, cmd_for, site: Path, proxy: FaultProxy, env: dict) -> dict:
    before_req, before_bytes = proxy.stats.requests, proxy.stats.request_bytes
    before_puts = sum(1 for m, _p, _k in proxy.stats.log if m == "PUT")
    t = time.perf_counter()
    r = subprocess.run(cmd_for(site), env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{tool} failed:\n{r.stdout}\n{r.stderr}")
    return {"seconds": seconds, "requests": proxy.stats.requests - before_req,
            "bytes": proxy.stats.request_bytes - before_bytes,
            "puts": sum(1 for m, _p, _k in proxy.stats.log if m == "PUT") - before_puts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=REPO / "scripts" / "results" / "publish.md")
    ap.add_argument("--jobs", type=int, default=8, help="lantoa publish -j (aws s3 sync uses its default, 10)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lantoa-bench-publish-"))
    moto = subprocess.Popen([sys.executable, "-c", MOTO], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(moto.stdout.readline())
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
               "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required", "AWS_CONFIG_FILE": "/nonexistent",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "PYTHONPATH": str(REPO / "src")}
        log("building the sample site …")
        sample = work / "sample"
        subprocess.run([sys.executable, "-m", "lantoa.cli", "-q", "-C", str(REPO), "build", "--out", str(sample)],
                       check=True, env=env)
        log(f"generating a site of {args.files} files …")
        big = generated_site(work / "generated", args.files)
        aws = awscli(REPO / ".cache" / "lantoa")
        args.aws_version = subprocess.run([*aws, "--version"], capture_output=True, text=True).stdout.strip() \
            if aws else "not available"
        import boto3

        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
        results = []
        with FaultProxy(("127.0.0.1", port)) as proxy:
            for name, site in (("sample site", sample), (f"generated ({args.files} files)", big)):
                files = [p for p in site.rglob("*") if p.is_file() and p.relative_to(site).as_posix() not in HOST_FILES]
                size = sum(p.stat().st_size for p in files)
                tools = {"lantoa publish": lambda s, b: [sys.executable, "-m", "lantoa.cli", "-q", "publish",
                                                           "--site", str(s), "--to", f"s3://{b}/site",
                                                           "--endpoint-url", proxy.url, "--yes", "-j", str(args.jobs)]}
                if aws:
                    tools["aws s3 sync"] = lambda s, b: [*aws, "s3", "sync", str(s), f"s3://{b}/site", "--delete",
                                                        *(a for f in sorted(HOST_FILES) for a in ("--exclude", f)),
                                                        "--no-progress", "--only-show-errors", "--endpoint-url", proxy.url]
                for tool, cmd in tools.items():
                    runs = {"first": [], "again": [], "touched": []}
                    for i in range(args.runs):
                        bucket = f"bench-{uuid.uuid4().hex[:12]}"
                        s3.create_bucket(Bucket=bucket)
                        for phase in ("first", "again", "touched"):
                            if phase == "touched":  # what a rebuild does: same bytes, new modification times
                                time.sleep(1.1)  # newer than the objects' LastModified (whole seconds), not future
                                now = time.time()
                                for p in files:
                                    os.utime(p, (now, now))
                            r = one_run(tool, lambda s: cmd(s, bucket), site, proxy, env)
                            runs[phase].append(r)
                            log(f"{name} / {tool} / run {i + 1} / {phase}: {r['seconds']:.2f} s, "
                                f"{r['requests']} requests, {r['puts']} PUTs, {r['bytes'] / 1e6:.1f} MB")
                    results.append((name, len(files), size, tool, runs))
        write_report(args, results)
    finally:
        moto.stdin.close()
        moto.terminate()
        moto.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def write_report(args, results) -> None:
    import boto3
    import botocore

    lines = [
        "# Publish benchmark: `lantoa publish` vs `aws s3 sync`",
        "",
        "Command (from the repository root):",
        "",
        "```sh",
        f"python3 scripts/bench_publish.py --runs {args.runs} --files {args.files}",
        "```",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}, "
        f"boto3 {boto3.__version__} / botocore {botocore.__version__} (lantoa), {args.aws_version}, "
        "moto S3 server on 127.0.0.1 in its own "
        f"process, behind a counting loopback proxy (no faults). `lantoa publish -j {args.jobs}`; `aws s3 sync` with "
        "its default 10 threads and `--delete`. Medians of "
        f"{args.runs} runs; each run publishes into a new, empty bucket (first), publishes again with nothing "
        "changed (no change), then again after giving every file a new modification time with the same bytes "
        "(rebuilt: what `lantoa build` does to an unchanged site).",
        "",
        "| site | files | MB | tool | first s | objects/s | requests | MB sent | no change s | requests | "
        "rebuilt s | rebuilt PUTs | rebuilt MB sent |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, n, size, tool, runs in results:
        first, again, touched = runs["first"], runs["again"], runs["touched"]
        lines.append(f"| {name} | {n} | {size / 1e6:.1f} | {tool} | {med(first, 'seconds'):.2f} | "
                     f"{med(first, 'puts') / med(first, 'seconds'):.0f} | {med(first, 'requests'):.0f} | "
                     f"{med(first, 'bytes') / 1e6:.1f} | {med(again, 'seconds'):.2f} | {med(again, 'requests'):.0f} | "
                     f"{med(touched, 'seconds'):.2f} | {med(touched, 'puts'):.0f} | "
                     f"{med(touched, 'bytes') / 1e6:.1f} |")
    lines += [
        "",
        "What the numbers include: `lantoa publish` hashes every file (sha256 + MD5) on each run, reads its",
        "release record, uploads in ordered phases (hashed assets, other files, new pages, changed pages,",
        "the root page) and writes two release records (`_lantoa/releases/<v>.json`, `_lantoa/current.json`:",
        "the extra MB sent); its requests are the listing pages, the record read, one PUT per object and the",
        "two record PUTs. `aws s3 sync` compares sizes and modification times only (no content hashes, no",
        "ordering, no release record, no rollback, no grace period for deletes), so it uploads a rebuilt but",
        "unchanged site again in full, where lantoa uploads nothing. Both start a Python interpreter per",
        "run (about 0.3 s of each no-change time). The tools run one after the other on the same machine;",
        "compare them within one table (other work on a shared machine moves all numbers between runs).",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), "utf-8")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
