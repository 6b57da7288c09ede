"""Every page as a reader sees it: on a 390 px phone and a 1366 px desktop, light, dark.

Headless Chromium (Debian's, driven by Playwright; every request leaving 127.0.0.1 is
blocked; two browsers side by side, each on half of the pages) loads every page of the
book at 390 and 1366 px wide, reads it in light and in dark mode, and measures
(``tests/reader_measure.js``):

* the mobile navigation: the visible "site navigation" button opens the chapter list
  (pydata-sphinx-theme 0.17 broke it: pydata/pydata-sphinx-theme#2451);
* display equations wider than their box (none may be cut at 1366 px; on a phone an
  equation that scrolls must show that it does), inline formulas that are clipped;
* source text reaching the reader: TeX, MyST roles and directives, "Theorem Theorem",
  Python values glued as text, Markdown tables printed as pipes;
* norms at full height, formulas that are Tab stops, pages wider than a phone;
* axe-core (pinned, installed from the npm registry into a cache outside the clone):
  no critical or serious violation;
* keyboard focus visible on a sample of Tab stops (pixels, focused against blurred);
* figure text size on a phone, and the weight of every chapter page.

Run with ``make test-browser`` (or ``pytest -m browser``).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from test_book import toc_pages
from test_browser import (  # noqa: F401  (base_url: a fixture)
    CHROMIUM,
    CHROMIUM_ARGS,
    base_url,
    wait_for_math,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
#: every page of the table of contents, and the general index Sphinx writes
PAGES = [*toc_pages(), "genindex"]
CHAPTER_PAGES = [p for p in PAGES if "/ch" in p]
MEASURE = (Path(__file__).parent / "reader_measure.js").read_text(encoding="utf-8")

PHONE, DESKTOP = 390, 1366
MODES = ("light", "dark")
CONFIGS = [(PHONE, "light"), (PHONE, "dark"), (DESKTOP, "light"), (DESKTOP, "dark")]
#: where the focus walk runs (on the SAMPLE pages)
FOCUS_CONFIGS = ((DESKTOP, "light"), (PHONE, "dark"))
#: what pydata-sphinx-theme's colour-mode button does (and stores for the next page)
_SET_MODE = """(mode) => {
    localStorage.setItem('mode', mode); localStorage.setItem('theme', mode);
    document.documentElement.dataset.mode = mode;
    document.documentElement.dataset.theme = mode;
}"""

#: True once no CSS transition (the theme's colour fades) is still running.
_TRANSITIONS_DONE = """() => !document.getAnimations().some(
    a => a instanceof CSSTransition && a.playState === 'running')"""

#: Page budget for a chapter page, uncompressed bytes of everything it loads.
PAGE_BUDGET = 1_600_000
#: Smallest figure text a phone reader should get, in CSS px (estimated, see below).
MIN_FIGURE_TEXT_PX = 9.0

#: axe-core, pinned by version and by the registry's sha512 integrity; downloaded once
#: from the npm registry into a cache outside the clone (never from a CDN at test time,
#: and no npm needed). MLMATH_AXE may name an axe.min.js to use instead.
AXE_VERSION = "4.10.3"
AXE_TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_INTEGRITY = (
    "sha512-Xm7bpRXnDSX2YE2YFfBk2FnF0ep6tmG7xPh8iHee8MIcrgq762Nkce856dYtJYLkuIoYZvGfTs"
    "/PbZhideTcEg=="
)
AXE_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mlmath-npm"
)
#: Pages where the heavy checks (axe at phone width, the focus walk) also run.
SAMPLE = [
    "book/intro",
    "book/ch1-linear-algebra/pagerank",
    "book/ch4-probability/vae",
    "book/bibliography",
]


def axe_script() -> Path:
    """Path of axe.min.js at AXE_VERSION, downloading it once if it is missing."""
    if os.environ.get("MLMATH_AXE"):
        return Path(os.environ["MLMATH_AXE"])
    script = AXE_CACHE / f"axe-core-{AXE_VERSION}" / "axe.min.js"
    if not script.exists():
        import base64
        import hashlib
        import tarfile
        import urllib.request

        try:
            with urllib.request.urlopen(AXE_TARBALL, timeout=60) as response:
                data = response.read()
        except OSError as exc:
            pytest.fail(f"could not download axe-core from {AXE_TARBALL}: {exc}")
        digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
        assert f"sha512-{digest}" == AXE_INTEGRITY, (
            f"{AXE_TARBALL} does not match its pinned integrity"
        )
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            member = tar.extractfile("package/axe.min.js")
            assert member is not None, "no package/axe.min.js in the axe-core tarball"
            script.parent.mkdir(parents=True, exist_ok=True)
            tmp = script.with_suffix(".tmp")
            tmp.write_bytes(member.read())
            tmp.replace(script)
    head = script.read_text(encoding="utf-8")[:200]
    assert f"axe v{AXE_VERSION}" in head, f"{script} is not axe-core {AXE_VERSION}"
    return script


def _visible_links(page, selector: str) -> int:
    """Links under `selector` a reader can see and tap (in the viewport, on top)."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter(a => {
            const r = a.getBoundingClientRect(), cs = getComputedStyle(a);
            if (!r.width || !r.height || cs.visibility === 'hidden') return false;
            const x = r.left + Math.min(r.width / 2, 20), y = r.top + r.height / 2;
            if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
            const top = document.elementFromPoint(x, y);
            return !!top && (top === a || a.contains(top) || top.contains(a));
        }).length""",
        selector,
    )


def _navigation(page, width: int) -> dict:
    """Open the site navigation (and the page's contents) with the visible buttons."""
    result = {}
    for name, button, links in [
        ("chapters", ".primary-toggle", ".bd-sidebar-primary nav a"),
        ("contents", ".secondary-toggle", ".bd-sidebar-secondary nav a"),
    ]:
        toggles = page.locator(f"{button}:visible")
        if width >= 1200 or not toggles.count():
            continue
        before = _visible_links(page, links)
        try:  # a reader's tap: a covered or moving button is a failure, not a wait
            toggles.last.click(timeout=5_000)
        except Exception as exc:
            result[name] = (before, 0, f"could not tap: {type(exc).__name__}")
            continue
        page.wait_for_timeout(400)  # the drawer slides in
        result[name] = (before, _visible_links(page, links))
        page.keyboard.press("Escape")  # close the drawer again
        page.wait_for_timeout(300)
    return result


def _axe(page, script: Path, rules: list[str] | None = None) -> list[dict]:
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(script))
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    found = page.evaluate(
        "(o) => axe.run(document, o).then(r => r.violations)", options
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "nodes": [
                " ".join(
                    n["target"][0]
                    if isinstance(n["target"][0], list)
                    else n["target"][:1]
                )
                for n in v["nodes"]
            ],
        }
        for v in found
        if v["impact"] in ("critical", "serious")
    ]


def _focus_walk(page, stops: int = 30) -> tuple[list[dict], bool]:
    """Tab through `stops` stops; for each, does focusing it change what is drawn?

    Also says whether the walk came round to a stop it had already judged: then every
    stop of the page was seen (a phone page with its sidebar closed has fewer than 10).
    """
    from PIL import Image, ImageChops

    # Tab from the top of the page, not from wherever focus was left (Chromium goes on
    # from the last focused node, even after a blur)
    page.evaluate(
        """() => { const s = document.createElement('span'); s.tabIndex = -1;
            document.body.prepend(s); s.focus(); s.blur(); s.remove();
            window.scrollTo(0, 0); }"""
    )
    seen, report, wrapped = set(), [], False
    for _ in range(stops):
        page.keyboard.press("Tab")
        info = page.evaluate(
            """() => { const el = document.activeElement;
                if (!el || el === document.body) return null;
                // a box with no size of its own (the sidebar's <summary>) is judged
                // by what it draws: its children's boxes
                let r = el.getBoundingClientRect();
                if (r.width < 2 || r.height < 2) {
                    const kids = [...el.querySelectorAll('*')]
                        .map(k => k.getBoundingClientRect())
                        .filter(k => k.width >= 2 && k.height >= 2);
                    if (kids.length) r = kids[0];
                }
                return {key: el.outerHTML.slice(0, 160), tag: el.tagName,
                        name: (el.getAttribute('aria-label') || el.textContent || '')
                              .trim().slice(0, 40),
                        x: r.left, y: r.top, w: r.width, h: r.height,
                        vw: innerWidth, vh: innerHeight}; }"""
        )
        if info and info["key"] in seen:
            wrapped = True
        if not info or info["key"] in seen:
            continue
        seen.add(info["key"])
        if info["w"] < 2 or info["h"] < 2:
            continue  # nothing drawn to look at (e.g. a 0-px box); not judged
        pad = 8
        x0, y0 = max(0, info["x"] - pad), max(0, info["y"] - pad)
        x1 = min(info["vw"], info["x"] + info["w"] + pad)
        y1 = min(info["vh"], info["y"] + info["h"] + pad)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        clip = {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}
        focused = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
        page.evaluate("() => document.activeElement.blur()")
        blurred = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
        diff = ImageChops.difference(focused, blurred).convert("L")
        changed = sum(diff.histogram()[41:])
        report.append({"tag": info["tag"], "name": info["name"], "changed": changed})
    return report, wrapped


#: Chromium processes the sweep runs side by side, each on its share of the pages (the
#: work is Chromium's: two keep both cores of a 2-core CI machine busy)
SWEEP_WORKERS = int(os.environ.get("MLMATH_SWEEP_WORKERS", "2"))


@pytest.fixture(scope="module")
def sweep(site, base_url):  # noqa: F811
    """Every page at both widths and modes: {(width, mode): {page: data}}."""
    if not CHROMIUM:
        message = "Debian's Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from concurrent.futures import ThreadPoolExecutor

    axe = axe_script()
    progress = ROOT / "test-artifacts" / "reader-progress.jsonl"
    progress.parent.mkdir(exist_ok=True)
    progress.write_text("")
    shares = [PAGES[i::SWEEP_WORKERS] for i in range(SWEEP_WORKERS)]
    with ThreadPoolExecutor(SWEEP_WORKERS) as pool:  # one Playwright per thread
        parts = list(
            pool.map(lambda pages: _sweep(base_url, axe, pages, progress), shares)
        )
    results: dict = {config: {} for config in CONFIGS}
    for part in parts:
        for config, by_page in part.items():
            results[config].update(by_page)
    for config in results:  # in the order of the table of contents
        results[config] = {p: results[config][p] for p in PAGES}
    _write_summary(results, site)
    return results


def _sweep(root_url: str, axe: Path, pages: list[str], progress: Path) -> dict:
    """Measure `pages` in one Chromium: {(width, mode): {page: data}}."""
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in (PHONE, DESKTOP):
            phone = width == PHONE
            context = browser.new_context(
                viewport={"width": width, "height": 844 if phone else 900},
                is_mobile=phone,
                has_touch=phone,
            )
            context.route(
                re.compile(r"^(?!http://127\.0\.0\.1[:/]|data:|blob:)"),
                lambda route: route.abort(),
            )
            context.set_default_timeout(90_000)  # a busy 2-core CI machine
            page = context.new_page()
            for mode in MODES:
                results[(width, mode)] = {}
            for name in pages:
                try:
                    page.goto(f"{root_url}/{name}.html", wait_until="load")
                    wait_for_math(page)
                except Exception as exc:  # reported by every check of this page
                    for mode in MODES:
                        results[(width, mode)][name] = {
                            "error": f"{type(exc).__name__}: {exc}"[:300]
                        }
                    page.close()
                    page = context.new_page()
                    continue
                # Light, then dark, on the same load (layout does not depend on the
                # mode): the reader's choice, as the theme's switch applies it.
                for mode in MODES:
                    page.evaluate(_SET_MODE, mode)
                    # the theme fades colours over 0.15 s: measure what the reader
                    # then sees, not a colour half-way through the transition
                    page.wait_for_function(_TRANSITIONS_DONE, timeout=5_000)
                    data = page.evaluate(MEASURE)
                    if (width, mode) == (DESKTOP, "light"):
                        data["axe"] = _axe(page, axe)
                    elif (width, mode) == (DESKTOP, "dark"):
                        data["axe"] = _axe(page, axe, ["color-contrast"])
                    elif name in SAMPLE:
                        data["axe"] = _axe(page, axe)
                    if name in SAMPLE and (width, mode) in FOCUS_CONFIGS:
                        data["focus"], data["focus_wrapped"] = _focus_walk(page)
                    results[(width, mode)][name] = data
                # last: it clicks and scrolls (in the dark mode the page is now in)
                data["nav"] = _navigation(page, width)
                with progress.open("a") as log:  # to follow a long run
                    entry = {"width": width, "page": name, "t": round(time.time(), 1)}
                    log.write(json.dumps(entry) + "\n")
            context.close()
        browser.close()
    return results


def _weight(site, data: dict) -> int:
    """Bytes of every file the page loaded, read from the served site."""
    total = 0
    for url in set(data["resources"]):
        path = site.root / unquote(urlparse(url).path).lstrip("/")
        if path.is_file():
            total += path.stat().st_size
    return total


def _style_min_font_pt() -> tuple[float, float]:
    """Smallest text size (pt) the book's figure style gives, and its dpi."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    from mlmath.plotting import use_book_style

    with mpl.rc_context():
        use_book_style()
        rc = mpl.rcParams
        keys = [
            "font.size",
            "axes.labelsize",
            "axes.titlesize",
            "xtick.labelsize",
            "ytick.labelsize",
            "legend.fontsize",
            "figure.titlesize",
        ]
        sizes = [FontProperties(size=rc[k]).get_size_in_points() for k in keys]
        dpi = rc["savefig.dpi"] if rc["savefig.dpi"] != "figure" else rc["figure.dpi"]
    return min(sizes), float(dpi)


def _page_min_font_pt(page: str) -> float:
    """Smallest explicit `fontsize=` a page's plotting code passes (inf if none)."""
    source = ROOT / f"{page}.md"
    if not source.exists():
        return float("inf")
    sizes = [
        float(s)
        for s in re.findall(
            r"fontsize\s*=\s*(\d+(?:\.\d+)?)", source.read_text(encoding="utf-8")
        )
    ]
    return min(sizes, default=float("inf"))


def figure_text_px(page: str, figure: dict) -> float:
    """Estimated smallest text of a figure as drawn: pt x dpi/72 x (shown/natural)."""
    style_pt, dpi = _style_min_font_pt()
    pt = min(style_pt, _page_min_font_pt(page))
    return pt * dpi / 72 * figure["shown"] / max(figure["natural"], 1)


def _write_summary(results: dict, site) -> None:
    """Counts per check (the before/after table of the site review), as an artifact."""
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    summary = {}
    for (width, mode), all_pages in results.items():
        key = f"{width}-{mode}"
        by_page = {p: d for p, d in all_pages.items() if "error" not in d}
        summary[key] = {
            "pages_not_loaded": sorted(set(all_pages) - set(by_page)),
            "display_cut": sum(len(d["displays"]) for d in by_page.values()),
            "display_cut_pages": sum(bool(d["displays"]) for d in by_page.values()),
            "display_without_affordance": sum(
                sum(not e["affordance"] for e in d["displays"])
                for d in by_page.values()
            ),
            "inline_clipped": sum(len(d["clipped"]) for d in by_page.values()),
            "raw_nodes": sum(len(d["raw"]) for d in by_page.values()),
            "short_norms": sum(len(d["shortNorms"]) for d in by_page.values()),
            "math_tab_stops": sum(d["mathTabStops"] for d in by_page.values()),
            "pages_wider_than_screen": [
                p for p, d in by_page.items() if d["pageWidth"] > width + 1
            ],
            "nav_failed": [
                p
                for p, d in by_page.items()
                if any(r[1] == 0 for r in d.get("nav", {}).values())
            ],
            "axe_serious_critical": sum(
                sum(len(v["nodes"]) for v in d.get("axe", [])) for d in by_page.values()
            ),
            "axe_rules": sorted(
                {v["rule"] for d in by_page.values() for v in d.get("axe", [])}
            ),
            "focus_invisible": sum(
                sum(s["changed"] < 12 for s in d.get("focus", []))
                for d in by_page.values()
            ),
        }
        if (width, mode) == (DESKTOP, "light"):
            weights = sorted(
                _weight(site, by_page[p]) for p in CHAPTER_PAGES if p in by_page
            )
            summary[key]["chapter_page_kib_median"] = round(
                weights[len(weights) // 2] / 1024
            )
            summary[key]["chapter_page_kib_max"] = round(weights[-1] / 1024)
        if width == PHONE:
            sizes = [
                figure_text_px(p, f) for p, d in by_page.items() for f in d["figures"]
            ]
            summary[key]["figure_text_px_min"] = round(min(sizes, default=0), 1)
            summary[key]["figures_below_9px"] = sum(
                s < MIN_FIGURE_TEXT_PX for s in sizes
            )
    # the details without each page's resource list (long), leaving `results` intact:
    # the page-weight check reads those lists afterwards
    details = {
        f"{w}-{m}": {
            page: {k: v for k, v in data.items() if k != "resources"}
            for page, data in by_page.items()
        }
        for (w, m), by_page in results.items()
    }
    (out / "reader-summary.json").write_text(json.dumps(summary, indent=1))
    (out / "reader-details.json").write_text(json.dumps(details, indent=1))


def _data(sweep: dict, config: tuple, page: str) -> dict:
    data = sweep[config][page]
    if "error" in data:
        pytest.fail(f"{page} ({_where(*config)}) did not load: {data['error']}")
    return data


def _where(width: int, mode: str) -> str:
    return f"{width} px, {mode}"


@pytest.mark.parametrize("page", PAGES)
def test_mobile_navigation_opens(sweep, page):
    """The visible buttons open the chapter list and the page contents on a phone."""
    for mode in ("dark",):
        nav = _data(sweep, (PHONE, mode), page)["nav"]
        assert "chapters" in nav, f"{page} ({mode}): no visible site-navigation button"
        for name, (before, after, *why) in nav.items():
            assert after > before, (
                f"{page} ({_where(PHONE, mode)}): the {name} button opened nothing "
                f"({before} -> {after} links visible) {' '.join(why)}"
            )


@pytest.mark.parametrize("page", PAGES)
def test_no_display_equation_is_cut_on_a_desktop(sweep, page):
    for mode in ("light", "dark"):
        cut = _data(sweep, (DESKTOP, mode), page)["displays"]
        assert not cut, (
            f"{page} ({_where(DESKTOP, mode)}): equations wider than the "
            f"column: {[(e['eq'], e['width'], e['box']) for e in cut]}"
        )


@pytest.mark.parametrize("page", PAGES)
def test_wide_display_equations_show_that_they_scroll_on_a_phone(sweep, page):
    for mode in ("light", "dark"):
        hidden = [
            e
            for e in _data(sweep, (PHONE, mode), page)["displays"]
            if not e["affordance"]
        ]
        assert not hidden, (
            f"{page} ({_where(PHONE, mode)}): cut with no visible cue: "
            f"{[(e['eq'], e['width'], e['box']) for e in hidden]}"
        )


@pytest.mark.parametrize("page", PAGES)
def test_no_inline_formula_is_clipped(sweep, page):
    for config in CONFIGS:
        clipped = _data(sweep, config, page)["clipped"]
        assert not clipped, (
            f"{page} ({_where(*config)}): inline formulas cut: {clipped}"
        )


@pytest.mark.parametrize("page", PAGES)
def test_no_source_text_reaches_the_reader(sweep, page):
    """No TeX, MyST syntax, doubled names, glued Python values or pipe tables."""
    data = _data(sweep, (DESKTOP, "light"), page)
    assert not data["raw"], f"{page}: {data['raw']}"
    assert not data["merror"], f"{page}: {data['merror']} MathJax errors"


@pytest.mark.parametrize("page", PAGES)
def test_norms_are_full_height(sweep, page):
    short = _data(sweep, (DESKTOP, "light"), page)["shortNorms"]
    assert not short, f"{page}: norm bars shorter than the text: {short[:5]}"


@pytest.mark.parametrize("page", PAGES)
def test_formulas_are_not_tab_stops(sweep, page):
    stops = _data(sweep, (DESKTOP, "light"), page)["mathTabStops"]
    assert not stops, f"{page}: {stops} formulas are Tab stops"


@pytest.mark.parametrize("page", PAGES)
def test_page_fits_a_phone(sweep, page):
    for mode in ("light", "dark"):
        data = _data(sweep, (PHONE, mode), page)
        assert data["pageWidth"] <= PHONE + 1, (
            f"{page}: laid out {data['pageWidth']} px wide on a {PHONE} px phone"
        )


@pytest.mark.parametrize("page", PAGES)
def test_no_serious_or_critical_axe_violation(sweep, page):
    for config in CONFIGS:
        found = _data(sweep, config, page).get("axe", [])
        assert not found, f"{page} ({_where(*config)}): " + "; ".join(
            f"{v['rule']} ({v['impact']}) x{len(v['nodes'])}: {v['nodes'][:3]}"
            for v in found
        )


@pytest.mark.parametrize("page", SAMPLE)
def test_keyboard_focus_is_visible(sweep, page):
    for config in ((DESKTOP, "light"), (PHONE, "dark")):
        data = _data(sweep, config, page)
        stops = data["focus"]
        # ten stops, or every stop of the page (the walk came round to the first again)
        assert len(stops) >= 10 or (data["focus_wrapped"] and len(stops) >= 3), (
            f"{page} ({_where(*config)}): only {len(stops)} Tab stops judged"
        )
        invisible = [(s["tag"], s["name"]) for s in stops if s["changed"] < 12]
        assert not invisible, (
            f"{page} ({_where(*config)}): no visible focus on {invisible}"
        )


@pytest.mark.parametrize("page", PAGES)
def test_figure_text_is_legible_on_a_phone(sweep, page):
    """Estimated as the site review did: smallest pt x dpi/72 x shown/natural width."""
    small = [
        (f["src"], round(figure_text_px(page, f), 1))
        for f in _data(sweep, (PHONE, "light"), page)["figures"]
        if figure_text_px(page, f) < MIN_FIGURE_TEXT_PX
    ]
    assert not small, (
        f"{page}: figure text below {MIN_FIGURE_TEXT_PX} px on a phone: {small}"
    )


@pytest.mark.parametrize("page", CHAPTER_PAGES)
def test_chapter_page_weight_is_within_budget(sweep, site, page):
    weight = _weight(site, _data(sweep, (DESKTOP, "light"), page))
    assert weight <= PAGE_BUDGET, (
        f"{page} loads {weight / 1024:.0f} KiB, budget {PAGE_BUDGET / 1024:.0f} KiB"
    )


def test_notation_macros_render_as_the_notation_page_says():
    """\\vect is bold for Greek letters too; \\norm has full-height bars."""
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from mathjax_prerender import book_engine

    engine = book_engine(ROOT)
    try:
        vect, norm = engine.render(
            [[r"\vect{\alpha}\vect{\mu}\vect{x}", False], [r"\norm{\vect{w}}", False]]
        )["html"]
    finally:
        engine.close()
    glyphs = re.findall(r'href="#MJX-(TEX-[A-Z0-9]+)-', vect)
    assert len(glyphs) == 3 and all(g.startswith("TEX-B") for g in glyphs), glyphs
    sizes = re.findall(r'href="#MJX-(TEX-S[A-Z0-9]*)-', norm)
    assert not sizes, f"\\norm draws size-font delimiters at text size: {sizes}"


@pytest.fixture(scope="module")
def browser_page_for_notation(site, base_url):  # noqa: F811
    if not CHROMIUM:
        pytest.skip("Debian's Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route(
            re.compile(r"^(?!http://127\.0\.0\.1[:/]|data:)"), lambda r: r.abort()
        )
        page.goto(f"{base_url}/book/notation.html")
        wait_for_math(page)
        yield page
        browser.close()
