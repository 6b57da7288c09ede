"""Lighthouse (mobile, simulated throttling) on pages of the built site, offline.

Usage::

    .venv/bin/python benchmarks/lighthouse.py                 # the default pages, gzip
    .venv/bin/python benchmarks/lighthouse.py --plain book/intro
    .venv/bin/python benchmarks/lighthouse.py --site _build/html --json out.json PAGE...

Serves the built site (``_build/html``) on 127.0.0.1, gzip-compressing text as a static
host does (GitHub Pages does; ``--plain`` serves it uncompressed), and runs Lighthouse's
default mobile profile (simulated slow 4G, 4x CPU slowdown) in Debian's Chromium with
every host but 127.0.0.1 unresolvable, so nothing can come from a CDN. Prints, per page,
the performance score, FCP, LCP, TBT, CLS, Speed Index, the bytes transferred and the
uncompressed bytes of everything the page loaded, and the three longest main-thread
tasks' sources. The machine's load average and Lighthouse's benchmark index of it are
printed too: the simulation multiplies the CPU time it observed (by 4, or ``--cpu``),
so a slow or busy machine lowers the score (a Moto G Power scores about 264, a Pixel 5
about 1000; 4x assumes a host of about 1000 or more).

Lighthouse is installed from the npm registry into ``~/.cache/mlmath-book/`` the first
time (``MLMATH_LIGHTHOUSE`` may name a ``lighthouse`` executable instead). This is a
measurement, not a test: nothing fails on a low score.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE_VERSION = "12.8.2"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlmath-book"
#: a heavy chapter page, the landing page and a long chapter page full of formulas
DEFAULT_PAGES = [
    "book/ch7-bayesian-optimization/gaussian-processes",
    "book/intro",
    "book/ch3-optimization/svm",
]
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


def lighthouse() -> str:
    """The lighthouse executable, installed with npm into the cache on first use."""
    if os.environ.get("MLMATH_LIGHTHOUSE"):
        return os.environ["MLMATH_LIGHTHOUSE"]
    prefix = CACHE / f"lighthouse-{LIGHTHOUSE_VERSION}"
    exe = prefix / "node_modules" / ".bin" / "lighthouse"
    if not exe.exists():
        npm = shutil.which("npm")
        if not npm:
            sys.exit("npm is needed once to install Lighthouse (apt-get install npm)")
        prefix.mkdir(parents=True, exist_ok=True)
        print(f"installing lighthouse@{LIGHTHOUSE_VERSION} into {prefix}", flush=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--silent",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
            ],
            check=True,
        )
    return str(exe)


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files; text gzip-compressed when the client accepts it (unless plain)."""

    protocol_version = "HTTP/1.1"
    compress = True

    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        ctype = self.guess_type(path)
        if (
            not self.compress
            or not os.path.isfile(path)
            or not ctype.startswith(TEXT_TYPES)
            or "gzip" not in self.headers.get("Accept-Encoding", "")
        ):
            return super().send_head()
        data = gzip.compress(Path(path).read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)


@contextlib.contextmanager
def serve(site: Path, compress: bool):
    handler = type("H", (Handler,), {"compress": compress})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def chromium() -> str:
    exe = os.environ.get("MLMATH_CHROMIUM") or shutil.which("chromium")
    if not exe:
        sys.exit("Debian's Chromium is needed (apt-get install chromium)")
    return exe


def run_page(exe: str, url: str, out: Path, cpu: float | None = None) -> dict:
    flags = (
        "--headless=new --no-sandbox --disable-gpu --no-first-run "
        "--host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'"
    )
    subprocess.run(
        [
            exe,
            url,
            "--only-categories=performance",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            f"--chrome-flags={flags}",
            *([f"--throttling.cpuSlowdownMultiplier={cpu}"] if cpu else []),
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": chromium()},
    )
    report = json.loads(out.read_text())
    audits = report["audits"]
    requests = audits["network-requests"]["details"]["items"]
    tasks = sorted(
        audits.get("long-tasks", {}).get("details", {}).get("items", []),
        key=lambda t: -t["duration"],
    )
    return {
        "score": round(100 * (report["categories"]["performance"]["score"] or 0)),
        # this machine's CPU speed as Lighthouse measured it before the run (a Pixel 5
        # scores about 1000, a Moto G Power about 264; the default 4x slowdown assumes
        # a host of about 1000 or more)
        "benchmark_index": round(report["environment"]["benchmarkIndex"]),
        **{
            key: audits[audit]["numericValue"]
            for key, audit in [
                ("fcp_ms", "first-contentful-paint"),
                ("lcp_ms", "largest-contentful-paint"),
                ("tbt_ms", "total-blocking-time"),
                ("cls", "cumulative-layout-shift"),
                ("si_ms", "speed-index"),
            ]
        },
        "transfer_bytes": sum(r.get("transferSize", 0) for r in requests),
        "resource_bytes": sum(r.get("resourceSize", 0) for r in requests),
        "requests": len(requests),
        "long_tasks": [
            {"url": t["url"].rsplit("/", 1)[-1][:40], "ms": round(t["duration"])}
            for t in tasks[:3]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "pages",
        nargs="*",
        default=DEFAULT_PAGES,
        help="pages without .html, e.g. book/intro",
    )
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="serve uncompressed (default: gzip, as hosts do)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--cpu", type=float, help="CPU slowdown multiplier (Lighthouse's default: 4)"
    )
    parser.add_argument("--keep", type=Path, help="keep Lighthouse's reports here")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").exists():
        sys.exit(f"no built site at {args.site}: run `make book` first")
    exe = lighthouse()
    mode = "plain" if args.plain else "gzip"
    results = {"serving": mode, "load_average_before": os.getloadavg(), "pages": {}}
    print(
        f"Lighthouse {LIGHTHOUSE_VERSION}, mobile, simulated throttling, {mode}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'page':<52} {'perf':>4} {'FCP s':>6} {'LCP s':>6} {'TBT ms':>7} "
        f"{'CLS':>6} {'SI s':>5} {'sent KiB':>8} {'KiB':>6} {'bench':>5}"
    )
    with tempfile.TemporaryDirectory() as tmp, serve(args.site, not args.plain) as base:
        keep = args.keep or Path(tmp)
        keep.mkdir(parents=True, exist_ok=True)
        for page in args.pages:
            out = keep / (page.replace("/", "_") + f"-{mode}.json")
            r = run_page(exe, f"{base}/{page}.html", out, args.cpu)
            results["pages"][page] = r
            print(
                f"{page:<52} {r['score']:>4} {r['fcp_ms'] / 1000:>6.1f} "
                f"{r['lcp_ms'] / 1000:>6.1f} {r['tbt_ms']:>7.0f} {r['cls']:>6.3f} "
                f"{r['si_ms'] / 1000:>5.1f} {r['transfer_bytes'] / 1024:>8.0f} "
                f"{r['resource_bytes'] / 1024:>6.0f} {r['benchmark_index']:>5}",
                flush=True,
            )
    results["load_average_after"] = os.getloadavg()
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
