"""Small fixes to the generated HTML that the browser checks found.

Each fix names the fault a reader met; ``tests/test_browser_reader.py`` measures them
all in Chromium, at phone and desktop width, light and dark.

* sphinx-thebe registers its configuration script (``const THEBE_JS_URL = ...``) twice
  in this stack, and declaring a ``const`` twice is a console error on every page:
  duplicates (same file or inline body, same attributes) are dropped from each page's
  script list before it is rendered.
* :func:`fix_page_html` edits each rendered page (see there): no Font Awesome
  JavaScript, accessible names that match what is shown, a valid bibliography list.
* :func:`trim_icon_font` keeps, of Font Awesome's 2,000 icons, the few the site shows:
  its CSS rules (86 kB of the theme's stylesheet) and its webfonts (300 kB), subset
  with fontTools after the build.
"""

from __future__ import annotations

import html
import re
from pathlib import Path


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Keep the first of any scripts that are the same file or the same inline body."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # inline scripts come with filename None or "": compare the body instead
        name = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {})
        key = (str(name), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


#: Font Awesome's 1.5 MB JavaScript build, loaded in <head> by pydata-sphinx-theme only
#: to swap each <i class="fa-..."> for an inline SVG; the theme's stylesheet already
#: draws the same icons from the webfont.
_FONTAWESOME_JS = re.compile(
    r"[ \t]*<script[^>]*scripts/fontawesome\.js[^>]*></script>\n?"
)
#: The sidebar's expand/collapse chevrons: a <summary> holding only an aria-hidden icon,
#: so it has no accessible name (axe summary-name, 7 on every page).
_NAMELESS_SUMMARY = re.compile(
    r'(<a class="[^"]*reference internal[^"]*" href="[^"]*">(?P<title>.*?)</a>'
    r"\s*<details[^>]*>\s*)"
    r"<summary>"
)
#: Buttons whose visible text is not part of their accessible name (axe
#: label-content-name-mismatch): the search button shows "Search Ctrl + K" but is named
#: "Search"; myst-nb's folded cells show "Show code cell source" but are named "Toggle
#: hidden content". Without the aria-label their name is the text they show.
_MISMATCHED_LABELS = [
    (
        re.compile(
            r'(<button[^>]*class="[^"]*search-button-field[^"]*"[^>]*?)\s+aria-label="[^"]*"'
        ),
        r"\1",
    ),
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
]
#: sphinxcontrib-bibtex marks the bibliography role="list" but its entries carry the
#: deprecated role doc-biblioentry instead of listitem (axe aria-required-children,
#: critical).
_BIBLIO_ENTRY = re.compile(r'(<div class="citation"[^>]*?)role="doc-biblioentry"')


#: sphinx-design's stylesheet (55 kB) and tab script are linked from every page, but
#: only a page whose content uses an ``sd-`` component needs them (none of the chapter
#: pages does): dropping them elsewhere keeps chapter pages inside the weight budget.
_SD_USED = re.compile(r'class="[^"]*\bsd-')
_SD_ASSETS = re.compile(
    r'[ \t]*<(?:link[^>]*sphinx-design\.min\.css[^>]*/?|script[^>]*design-tabs\.js'
    r'[^>]*></script)>\n?'
)


def _name_summary(match: re.Match) -> str:
    title = re.sub(r"<[^>]+>", "", match.group("title"))
    title = html.escape(html.unescape(title).strip(), quote=True)
    return f'{match.group(1)}<summary aria-label="Sections of {title}">'


def fix_page_html(text: str) -> str:
    """Apply the page-level fixes above to one rendered HTML page."""
    text = _FONTAWESOME_JS.sub("", text)
    if not _SD_USED.search(text):
        text = _SD_ASSETS.sub("", text)
    text = _NAMELESS_SUMMARY.sub(_name_summary, text)
    for pattern, replacement in _MISMATCHED_LABELS:
        text = pattern.sub(replacement, text)
    return _BIBLIO_ENTRY.sub(r'\1role="listitem"', text)


def render_through(app, fix) -> None:
    """Pass what the HTML builder's templates render through a page fix.

    ``fix(text, template, context)`` returns the edited text. Used by the extensions
    that edit whole pages: this one and ``mathjax_prerender``.
    """
    templates = getattr(app.builder, "templates", None)
    if app.builder.format != "html" or templates is None:
        return
    render = templates.render

    def render_fixed(template: str, context: dict) -> str:
        return fix(render(template, context), template, context)

    templates.render = render_fixed


def wrap_page_renderer(app):
    """Pass every page the HTML builder renders through :func:`fix_page_html`."""
    render_through(app, lambda text, template, context: fix_page_html(text))


#: one Font Awesome icon rule of the theme's stylesheet: selectors, then its glyph
_ICON_RULE = re.compile(
    r'((?:\.fa-[a-z0-9-]+:{1,2}(?:before|after),?)+)\{content:"\\([0-9a-f]+)"\}'
)


def trim_icon_font(app, exception):
    r"""Drop the Font Awesome icons no page or script uses, from CSS and webfonts.

    An icon is used if its ``fa-NAME`` class appears in a built page or in a script of
    ``_static`` (scripts switch icons, e.g. the colour-mode button). Glyphs the theme's
    own rules draw directly (``content: "\f...";`` outside ``.fa-*`` rules, such as
    the admonition icons) are kept too.
    """
    if exception or app.builder.format != "html":
        return
    out = Path(app.outdir)
    static = out / "_static"
    css_path = static / "styles" / "pydata-sphinx-theme.css"
    fonts = sorted(static.glob("vendor/fontawesome/webfonts/*.woff2"))
    if not css_path.exists() or not fonts:
        return
    used = set()
    for path in [*out.rglob("*.html"), *static.rglob("*.js")]:
        if "mathjax" in path.parts:
            continue
        used.update(re.findall(r"\bfa-([a-z0-9-]+)", path.read_text(errors="ignore")))
    css = css_path.read_text(encoding="utf-8")
    codepoints = set()

    def keep_used(match: re.Match) -> str:
        names = re.findall(r"\.fa-([a-z0-9-]+):", match.group(1))
        if used.intersection(names):
            codepoints.add(int(match.group(2), 16))
            return match.group(0)
        return ""

    trimmed = _ICON_RULE.sub(keep_used, css)
    # glyphs drawn by the theme's own rules (and its --pst-icon-* variables)
    other = _ICON_RULE.sub("", trimmed)
    for sheet in static.rglob("*.css"):
        if sheet != css_path and "mathjax" not in sheet.parts:
            other += sheet.read_text(errors="ignore")
    codepoints.update(int(cp, 16) for cp in re.findall(r'"\\([ef][0-9a-f]{3})"', other))
    css_path.write_text(trimmed, encoding="utf-8")

    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    for font_path in fonts:
        font = subset.load_font(str(font_path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(codepoints))
        subsetter.subset(font)
        subset.save_font(font, str(font_path), options)
        ttf = font_path.with_suffix(".ttf")  # the fallback format: same glyphs
        if ttf.exists():
            options_ttf = subset.Options()
            font = subset.load_font(str(ttf), options_ttf)
            subsetter = subset.Subsetter(options_ttf)
            subsetter.populate(unicodes=sorted(codepoints))
            subsetter.subset(font)
            subset.save_font(font, str(ttf), options_ttf)


def setup(app):
    """Register the handlers late, after every extension has added its scripts."""
    app.connect("builder-inited", wrap_page_renderer, priority=900)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    # after the theme has copied its files
    app.connect("build-finished", trim_icon_font, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
