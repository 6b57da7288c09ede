"""Typeset the book's mathematics when the site is built, not in the reader's browser.

MathJax 3 typesetting in the browser was most of a chapter page's cost on a phone: about
780 kB of JavaScript to download and compile, then 2.5-5 s of main-thread work (at
Lighthouse's 4x-slower mobile CPU) typesetting 50-90 formulas. Here the same MathJax
(the copy in the ``sphinx-mathjax-offline`` package, with the book's
``mathjax3_config``: TeX packages, macros, assistive MathML) runs once per build in V8
(the ``mini-racer`` wheel: no Node.js needed) with MathJax's own non-browser DOM
(``adaptors/liteDOM``). Each page gets:

* every ``span.math`` / ``div.math`` replaced by MathJax's SVG output
  (``<mjx-container jax="SVG">``), with its hidden ``<mjx-assistive-mml>`` MathML for
  screen readers, and the TeX source in ``data-latex`` on each ``mjx-container``;
* the shapes of the glyphs the page uses, once, in a hidden ``<svg>`` at the top of
  ``<body>`` (MathJax's ``fontCache: "global"``), and MathJax's small SVG stylesheet;
* no MathJax configuration or loader script (on pages without math either; TeX
  delimiters left in a page's text outside code are a build warning).

The package is installed for its copy of MathJax only; it is not a Sphinx extension of
the book, so its 24 MB of MathJax files are not copied into the site (no page loads
them).

SVG rather than CHTML: pre-rendered CHTML draws each glyph from one of ~10 webfonts
(60-150 kB a page), and every font that arrives lays the page out again; measured in
Chromium (CDP task time, same machine, same load) a heavy chapter page spent 40-50 %
less main-thread time with SVG, and loads no fonts at all. The formulas scale with the
text (``ex`` units) and draw in ``currentColor`` (dark mode, print).

A formula MathJax cannot typeset (an ``merror``) or a MyST role written inside math
(which would reach the reader as literal text) is a build warning, so the strict build
fails on it. The LaTeX/PDF build is untouched: this runs for HTML builders only.

Size: MathJax's SVG is sized in ``ex`` of the surrounding text, so formulas match the
x-height of whatever font the reader's browser uses for the text (what MathJax's
``matchFontHeight`` measures in a browser); nothing has to be measured at build time.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

_BODY = re.compile(r"<body\b[^>]*>")
#: configuration keys set here, not taken from mathjax3_config
_OWN = ("loader", "startup", "chtml", "svg")

#: Math as Sphinx writes it for MathJax: inline \(...\), display \[...\] or a bare
#: amsmath environment (nowrap), with an equation number in a span.eqno before it.
_MATH = re.compile(
    r'(?P<open><(?P<tag>span|div) class="math notranslate nohighlight"[^>]*>)'
    r"(?P<body>.*?)(?P<close></(?P=tag)>)",
    re.S,
)
_EQNO = re.compile(r'^\s*(<span class="eqno">.*?</span>)', re.S)
_MYST_ROLE = re.compile(r"\{[a-z][a-z0-9_:-]*\}`")
_MATHJAX_SCRIPTS = re.compile(
    r"[ \t]*<script>window\.MathJax = .*?</script>\n?"
    r"|[ \t]*<script[^>]*src=\"[^\"]*(?:mathjax|MathJax)[^\"]*\"[^>]*></script>\n?"
)

#: Run in V8 after MathJax's startup: typeset a list of [tex, display] pairs into SVG,
#: and return the page's stylesheet and glyph definitions (those used since last call).
_RENDER_JS = r"""
var __mlmathRender = async function (items) {
  const out = MathJax.startup.output, adaptor = MathJax.startup.adaptor;
  const doc = MathJax.startup.document;
  out.fontCache.clearCache();   // the glyphs of this page only
  const html = [], errors = [];
  for (const [tex, display] of items) {
    let node;
    try {
      node = await MathJax.tex2svgPromise(tex, {display});
    } catch (err) {
      errors.push([tex, String(err && err.message || err)]);
      html.push('');
      continue;
    }
    adaptor.setAttribute(node, 'data-latex', tex);
    const markup = adaptor.outerHTML(node);
    const merror = markup.match(/data-mml-node="merror"[^>]*?data-mjx-error="([^"]*)"/)
      || markup.match(/data-mml-node="merror"/);
    if (merror) errors.push([tex, merror[1] || 'merror']);
    // noundefined draws an unknown macro's name in red instead of failing
    if (/data-mml-node="mtext" fill="red"/.test(markup)) {
      errors.push([tex, 'undefined control sequence']);
    }
    html.push(markup);
  }
  const extra = new MathJax._.util.StyleList.CssStyles();
  for (const styles of doc.styles || []) extra.addStyles(styles);
  const css = adaptor.textContent(MathJax.svgStylesheet()) + '\n' + extra.cssText;
  const glyphs = '<svg id="MJX-SVG-global-cache" xmlns="http://www.w3.org/2000/svg"' +
    ' style="display: none" aria-hidden="true">' +
    adaptor.outerHTML(out.fontCache.getCache()) + '</svg>';
  return JSON.stringify({html, errors, css, glyphs});
};
"""


class MathJaxInV8:
    """MathJax 3 (the copy in the sphinx-mathjax-offline package) in one V8 context."""

    def __init__(self, mathjax_dir: Path, config: dict):
        from py_mini_racer import MiniRacer

        self.pid = os.getpid()
        self.ctx = MiniRacer()
        load = list(config.get("loader", {}).get("load", ["input/tex", "output/chtml"]))
        sources = {
            str(p.relative_to(mathjax_dir).with_suffix("")): p.read_text("utf-8")
            for p in [
                *mathjax_dir.glob("*.js"),
                *mathjax_dir.glob("adaptors/*.js"),
                *mathjax_dir.glob("input/*.js"),
                *mathjax_dir.glob("input/tex/extensions/*.js"),
                *mathjax_dir.glob("output/svg.js"),
                *mathjax_dir.glob("output/svg/fonts/*.js"),
                *mathjax_dir.glob("a11y/assistive-mml.js"),
            ]
        }
        # SVG with one set of glyph definitions per page (see the module's docstring)
        load = ["output/svg" if c == "output/chtml" else c for c in load]
        svg = {
            **config.get("svg", {}),
            "fontCache": "global",
        }
        setup = {
            **{k: v for k, v in config.items() if k not in _OWN},
            "loader": {"load": ["adaptors/liteDOM", *load], "paths": {"mathjax": "MJ"}},
            "startup": {"typeset": False},
            "svg": svg,
        }
        self.ctx.eval(
            f"var __SRC = {json.dumps(sources)}; var MathJax = {json.dumps(setup)};"
        )
        self.ctx.eval(
            r"""MathJax.loader.require = function (url) {
              var name = url.replace(/^MJ\//, '').replace(/\.js$/, '');
              if (!(name in __SRC)) throw new Error('no MathJax component ' + url);
              (0, eval)(__SRC[name]);
            };"""
        )
        self.ctx.eval((mathjax_dir / "startup.js").read_text(encoding="utf-8"))
        self.ctx.eval("MathJax.startup.promise").get(timeout=60)
        self.ctx.eval(_RENDER_JS)

    def render(self, items: list[tuple[str, bool]]) -> dict:
        """SVG of each (TeX, display) item, TeX errors, stylesheet and glyph shapes."""
        call = f"__mlmathRender({json.dumps(items)})"
        return json.loads(self.ctx.eval(call).get(timeout=300))

    def close(self):
        """Free the V8 context."""
        self.ctx.close()


def mathjax_dir() -> Path:
    """MathJax's files, from the sphinx-mathjax-offline package (no network needed)."""
    import importlib

    module = importlib.import_module("sphinx-mathjax-offline")
    return Path(module.__file__).parent / "static" / "mathjax"


def book_engine(root: Path) -> MathJaxInV8:
    """MathJax set up as the book's ``_config.yml`` says (for tests and scripts)."""
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return MathJaxInV8(mathjax_dir(), config["sphinx"]["config"]["mathjax3_config"])


def _engine(app) -> MathJaxInV8:
    engine = getattr(app, "_mlmath_mathjax", None)
    if engine is None or engine.pid != os.getpid():  # one per (forked) process
        engine = MathJaxInV8(mathjax_dir(), app.config.mathjax3_config or {})
        app._mlmath_mathjax = engine
    return engine


def _split(body: str) -> tuple[str, str, bool] | None:
    """(eqno html, TeX, display) of one math element's body, or None if not math."""
    eqno = ""
    match = _EQNO.match(body)
    if match:
        eqno, body = match.group(1), body[match.end() :]
    text = html.unescape(body).strip()
    if text.startswith("\\(") and text.endswith("\\)"):
        return eqno, text[2:-2], False
    if text.startswith("\\[") and text.endswith("\\]"):
        return eqno, text[2:-2].strip(), True
    if text.startswith("\\begin{") and text.rstrip().endswith("}"):
        return eqno, text, True  # an amsmath environment, written without \[ \]
    return None


def prerender_page(app, pagename: str, text: str) -> str:
    """Typeset every formula of one rendered page; drop the MathJax scripts."""
    found = []
    for m in _MATH.finditer(text):
        parts = _split(m.group("body"))
        if parts is not None:
            found.append((m, parts))
    if not found:
        _check_no_math_left(pagename, text)
        return _MATHJAX_SCRIPTS.sub("", text)
    for _, (_, tex, _) in found:
        if _MYST_ROLE.search(tex):
            logger.warning(
                "a MyST role inside math reaches the reader as text: %s",
                tex[:120],
                location=pagename,
                type="mlmath",
                subtype="math",
            )
    result = _engine(app).render([[tex, display] for _, (_, tex, display) in found])
    for tex, error in result["errors"]:
        logger.warning(
            "MathJax cannot typeset %r: %s",
            tex[:120],
            error,
            location=pagename,
            type="mlmath",
            subtype="math",
        )
    pieces, last = [], 0
    for (m, (eqno, _, _)), svg in zip(found, result["html"], strict=True):
        pieces += [text[last : m.start()], m.group("open"), eqno, svg, m.group("close")]
        last = m.end()
    pieces.append(text[last:])
    text = "".join(pieces)
    style = '<style id="MJX-SVG-styles">\n' + result["css"] + "</style>\n"
    text = _MATHJAX_SCRIPTS.sub("", text)
    _check_no_math_left(pagename, text)
    text = text.replace("</head>", style + "</head>", 1)
    # the glyph shapes every formula of the page refers to (<use href="#MJX-...">)
    return _BODY.sub(lambda m: m.group(0) + "\n" + result["glyphs"], text, count=1)


#: where a browser MathJax would not look for math (and this module does not either)
_NOT_TEXT = re.compile(
    r"<(pre|code|script|style|textarea|mjx-container)\b.*?</\1>", re.S | re.I
)
_DELIMITER = re.compile(r"\\\(|\\\[|\\begin\{")


def _check_no_math_left(pagename: str, text: str) -> None:
    """Warn about TeX delimiters left in a page's text.

    Without MathJax in the browser nothing would typeset them (Sphinx puts all math in
    ``.math`` elements, which are typeset here).
    """
    body = text[text.find("<body") :]
    left = _DELIMITER.search(_NOT_TEXT.sub("", body))
    if left:
        at = left.start()
        rest = _NOT_TEXT.sub("", body)
        logger.warning(
            "TeX left untypeset in the page: %r",
            rest[max(0, at - 40) : at + 60],
            location=pagename,
            type="mlmath",
            subtype="math",
        )


def wrap_page_renderer(app):
    """Pass every page the HTML builder renders through :func:`prerender_page`."""
    from site_fixes import render_through  # book/_ext, as this module

    def typeset(text: str, template: str, context: dict) -> str:
        pagename = context.get("pagename")
        if not pagename or not template.endswith(".html"):
            return text
        return prerender_page(app, pagename, text)

    render_through(app, typeset)


def close_engine(app, exception):
    """Free this process's V8 context at the end of the build."""
    engine = getattr(app, "_mlmath_mathjax", None)
    if engine is not None and engine.pid == os.getpid():
        engine.close()
        app._mlmath_mathjax = None


def setup(app):
    """Typeset math in every page the HTML builders write."""
    # before site_fixes (900) wraps the renderer, so that its fixes see the typeset page
    app.connect("builder-inited", wrap_page_renderer, priority=800)
    app.connect("build-finished", close_engine)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
