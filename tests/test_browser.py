"""The built site as a reader sees it, in a real headless Chromium (Debian's).

Playwright drives /usr/bin/chromium (never a downloaded browser). Every request that
leaves localhost is blocked, so these checks also prove the site works offline: MathJax,
fonts and scripts are all served by the site itself.

Run only these checks with ``make test-browser`` (or ``pytest -m browser``).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_book import toc_pages

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("MLMATH_CHROMIUM") or shutil.which("chromium") or ""
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]
CHAPTERS = [p for p in toc_pages() if "/ch" in p]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: HTTP/1.0 costs a connection per file
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def base_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site.root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        message = ("Debian's Chromium is not installed (apt-get install chromium); "
                   ".ci/run installs it")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: The page's math is laid out: typeset when the site was built (book/_static/
#: mlmath-site.js then sets mlmathMathReady, once the displays that scroll are marked),
#: or by a MathJax running in the page (a build without mathjax_prerender, such as the
#: one the reader checks are shown failing on).
MATH_READY = """() => window.mlmathMathReady
    || (window.MathJax && MathJax.startup && MathJax.startup.promise)"""


def wait_for_math(page) -> None:
    """Until the page's formulas are laid out (see MATH_READY)."""
    page.wait_for_function(
        f"() => !document.querySelector('.math') || ({MATH_READY})()", timeout=20_000)
    page.evaluate(MATH_READY)


class Visit:
    """Load one page offline and record what went wrong."""

    def __init__(self, browser, url: str, *, color_scheme: str = "light") -> None:
        self.context = browser.new_context(color_scheme=color_scheme,
                                           viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.blocked: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))
        self.page.on("requestfailed", self._on_failed)
        self.page.on("response", self._on_response)
        # everything that is not the local site is blocked (only those requests pay
        # for a round trip through Python)
        self.page.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]|data:)"), self._block)
        self.page.goto(url, wait_until="load")

    def _block(self, route):
        self.blocked.append(route.request.url)
        route.abort()

    def _on_console(self, msg):
        if msg.type == "error" and "net::ERR_FAILED" not in msg.text:
            self.console_errors.append(msg.text)

    def _on_failed(self, request):
        if urlparse(request.url).hostname in ("127.0.0.1", "localhost"):
            self.failed.append(f"{request.url} ({request.failure})")

    def _on_response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url} (HTTP {response.status})")

    def wait_for_math(self) -> None:
        wait_for_math(self.page)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def visits(browser, base_url):
    """Every page of the table of contents, loaded once."""
    loaded = {}
    for page in toc_pages():
        visit = Visit(browser, f"{base_url}/{page}.html")
        visit.wait_for_math()
        loaded[page] = {
            "console": visit.console_errors,
            "failed": visit.failed,
            "blocked": visit.blocked,
            "mathjax": visit.page.locator("mjx-container").count(),
            "math_source": visit.page.locator(".math").count(),
            "text": visit.page.locator("main").inner_text(),
            "images": visit.page.evaluate(
                """() => [...document.querySelectorAll('main img')].map(img => ({
                    src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
                    loaded: img.complete && img.naturalWidth > 0}))"""),
            "links": visit.page.evaluate(
                """() => [...document.querySelectorAll('a')].map(a => ({
                    href: a.href, text: a.innerText.trim(),
                    label: a.getAttribute('aria-label') || a.title || ''}))"""),
        }
        visit.close()
    return loaded


@pytest.mark.parametrize("page", toc_pages())
def test_page_loads_without_console_errors_or_failed_requests(visits, page):
    v = visits[page]
    assert not v["console"], f"console errors on {page}: {v['console']}"
    assert not v["failed"], f"failed requests on {page}: {v['failed']}"


@pytest.mark.parametrize("page", toc_pages())
def test_math_renders_offline(visits, page):
    v = visits[page]
    if v["math_source"]:
        assert v["mathjax"] >= v["math_source"], (
            f"{page}: {v['math_source']} math elements, {v['mathjax']} typeset")
    assert "$$" not in v["text"], f"raw $$ left in {page}"
    assert "\\(" not in v["text"] and "\\[" not in v["text"], f"raw TeX left in {page}"


def test_math_is_typeset_when_the_site_is_built(site):
    # book/_ext/mathjax_prerender.py: MathJax's SVG output (with assistive MathML for
    # screen readers) is in the page; no MathJax script is loaded, from a CDN or not
    html = site.html(CHAPTERS[1])
    assert '<mjx-container class="MathJax" jax="SVG"' in html
    assert "<mjx-assistive-mml" in html and 'id="MJX-SVG-global-cache"' in html
    assert "_static/mathjax/" not in html and "window.MathJax" not in html
    assert "cdn.jsdelivr.net" not in html and "mathjax@3" not in html
    script = re.search(r"<script[^>]*src=\"[^\"]*mathjax", html, re.I)
    assert not script, script.group(0)
    # and the site does not carry MathJax's 24 MB of files that no page loads
    shipped = site.root / "_static" / "mathjax"
    assert not shipped.exists(), f"{shipped} is in the site"


@pytest.mark.parametrize("page", toc_pages())
def test_images_load_and_have_alt_text(visits, page):
    for img in visits[page]["images"]:
        assert img["loaded"], f"{page}: image did not load: {img['src']}"
        assert img["alt"].strip(), f"{page}: image without alt text: {img['src']}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_pdf_and_launch_links_on_every_chapter_page(visits, site, page):
    links = visits[page]["links"]
    # the PDF itself, or the PDF page (_pdf/index.html) that a build without the PDF
    # writes (book/_ext/publishing.py); either way a file of this site, never a 404
    pdf = [
        link["href"] for link in links
        if "PDF" in link["text"] + link["label"]
        and (link["href"].endswith(".pdf") or link["href"].endswith("_pdf/index.html"))
    ]
    assert pdf, f"no PDF link on {page}"
    for href in pdf:
        path = site.root / urlparse(href).path.lstrip("/")
        assert path.is_file(), f"{page}: the PDF link {href} is a 404"
    if "kernelspec:" in (ROOT / f"{page}.md").read_text():
        assert any("mybinder.org" in link["href"] for link in links), page
        assert any("colab.research.google.com" in link["href"] for link in links), page


@pytest.mark.parametrize("term", ["PageRank", "Lagrange"])
def test_search_finds(browser, base_url, term):
    visit = Visit(browser, f"{base_url}/search.html?q={term}")
    try:
        results = visit.page.locator("ul.search li")
        results.first.wait_for(timeout=15_000)
        assert results.count() >= 1
        assert not visit.console_errors, visit.console_errors
    finally:
        visit.close()


def test_screenshots_light_and_dark(browser, base_url):
    """Light- and dark-mode screenshots of a chapter page, saved as test artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{base_url}/book/ch1-linear-algebra/pagerank.html"
    for scheme in ("light", "dark"):
        visit = Visit(browser, url, color_scheme=scheme)
        try:
            visit.page.evaluate(
                f"() => {{ localStorage.setItem('theme', '{scheme}');"
                f" document.documentElement.dataset.theme = '{scheme}'; }}")
            visit.wait_for_math()
            theme = visit.page.evaluate("() => document.documentElement.dataset.theme")
            assert theme == scheme
            # scroll to the first figure; its opaque background (checked pixel by pixel
            # in test_book.py::test_figures_are_opaque_for_dark_mode) keeps it readable
            visit.page.locator("figure img").first.scroll_into_view_if_needed()
            visit.page.screenshot(path=str(ARTIFACTS / f"ch1-pagerank-{scheme}.png"),
                                  full_page=False)
        finally:
            visit.close()
    assert (ARTIFACTS / "ch1-pagerank-dark.png").stat().st_size > 10_000


def test_vect_is_bold_for_greek_letters_too(browser, base_url):
    """\\vect renders as the notation page says: bold, Greek letters included.

    The math is typeset when the site is built, so this reads the glyphs the served
    notation page draws for its ``N(\\vect{\\mu}, \\Sigma)``.
    """
    visit = Visit(browser, f"{base_url}/book/notation.html")
    glyphs = visit.page.evaluate(
        r"""() => [...document.querySelectorAll('mjx-container[data-latex]')]
               .filter(m => m.dataset.latex.includes('\\vect{\\mu}'))
               .map(m => [...m.querySelectorAll('[data-mml-node=TeXAtom] use')]
                   .map(u => u.getAttribute('xlink:href') || u.getAttribute('href')))"""
    )
    visit.close()
    assert glyphs and all(g and all("TEX-B" in h for h in g) for g in glyphs), glyphs
