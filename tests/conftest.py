"""Shared fixtures. The book is built once per test session (strict, executed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class _TextExtractor(HTMLParser):
    """Visible text of an HTML page (scripts and styles dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    BLOCK = {
        "p",
        "div",
        "li",
        "td",
        "th",
        "tr",
        "br",
        "section",
        "figure",
        "figcaption",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "dt",
        "dd",
    }

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "mjx-container":
            # math typeset at build time (book/_ext/mathjax_prerender.py): its text is
            # the TeX it came from, delimited as Sphinx writes it, not the SVG/MathML
            self._skip += 1
            attrs = dict(attrs)
            tex = attrs.get("data-latex", "")
            if attrs.get("display") == "true":
                self.parts.append(tex if tex.startswith("\\begin{") else f"\\[{tex}\\]")
            else:
                self.parts.append(f"\\({tex}\\)")
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "mjx-container") and self._skip:
            self._skip -= 1
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    return re.sub(r"\s+", " ", "".join(parser.parts))


class Site:
    """The built HTML site: raw HTML and visible text of a page by its source path."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, page: str) -> Path:
        return self.root / f"{page}.html"

    def html(self, page: str) -> str:
        return self.path(page).read_text(encoding="utf-8")

    def text(self, page: str) -> str:
        return html_text(self.html(page))


def run_make(target: str) -> None:
    """Run ``make TARGET`` with this interpreter's environment; fail with its log."""
    proc = subprocess.run(
        ["make", "--no-print-directory", target, f"PY={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"make {target} failed:\n" + proc.stdout[-6000:] + proc.stderr[-6000:],
            pytrace=False,
        )


@pytest.fixture(scope="session")
def site() -> Site:
    """Build the book once (``make html``, strict) and return the built site.

    Set ``MLMATH_BUILT_SITE`` to an already built ``_build/html`` folder to reuse it.
    """
    prebuilt = os.environ.get("MLMATH_BUILT_SITE")
    if prebuilt:
        return Site(Path(prebuilt))
    run_make("html")  # the strict build: any warning or cell error fails it
    return Site(ROOT / "_build" / "html")
