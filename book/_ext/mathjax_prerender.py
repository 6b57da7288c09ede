"""Typeset the book's mathematics when the site is built, not in the reader's browser.

MathJax 3 typesetting in the browser was most of a chapter page's cost on a phone: about
780 kB of JavaScript to download and compile, then 2.5-5 s of main-thread work (at
Lighthouse's 4x-slower mobile CPU) typesetting 50-90 formulas, with the layout reflowing
after each one. Here the same MathJax (the copy ``sphinx-mathjax-offline`` serves, with
the same ``mathjax3_config`` the browser would use: TeX packages, the book's macros,
CHTML output, assistive MathML) runs once per build in V8 (the ``mini-racer`` wheel: no
Node.js needed) with MathJax's own non-browser DOM (``adaptors/liteDOM``). Each page
gets:

* every ``span.math`` / ``div.math`` replaced by MathJax's CHTML output, the same markup
  the browser produced, with its hidden ``<mjx-assistive-mml>`` MathML for screen
  readers, and the TeX source in ``data-latex`` on each ``mjx-container``;
* the CHTML stylesheet for exactly the glyphs the page uses (about 10-25 kB, in a
  ``<style id="MJX-CHTML-styles">`` in ``<head>``); its ``@font-face`` rules point at
  MathJax's woff fonts in ``_static/mathjax``, so formulas draw offline as before;
* no MathJax configuration or loader script.

A formula MathJax cannot typeset (an ``merror``) or a MyST role written inside math
(which would reach the reader as literal text) is a build warning, so the strict build
fails on it. The LaTeX/PDF build is untouched: this runs for HTML builders only.

Scaling: in a browser MathJax scales formulas to match the x-height of the surrounding
text (``matchFontHeight``); for the theme's system font stack that is 119.5 %. At build
time there is no font to measure, so that scale is fixed here (``SCALE``).
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: What MathJax's matchFontHeight gave in Chromium for the theme's text font.
SCALE = 1.195
#: Placeholder for the page-relative URL of MathJax's fonts in the stylesheet.
_FONTS = "@MLMATH-MATHJAX-FONTS@"
FONT_DIR = "_static/mathjax/output/chtml/fonts/woff-v2"
#: configuration keys set here, not taken from mathjax3_config
_OWN = ("loader", "startup", "chtml")

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
    r"|[ \t]*<script[^>]*src=\"[^\"]*_static/mathjax/[^\"]*\"[^>]*></script>\n?"
)

#: Run in V8 after MathJax's startup: typeset a list of [tex, display] pairs into CHTML,
#: and return the page's stylesheet (only the glyphs used since the last call).
_RENDER_JS = r"""
var __mlmathRender = async function (items) {
  const out = MathJax.startup.output, adaptor = MathJax.startup.adaptor;
  const doc = MathJax.startup.document;
  out.chtmlStyles = null;   // a fresh stylesheet for each page
  out.clearCache();
  const html = [], errors = [];
  for (const [tex, display] of items) {
    let node;
    try {
      node = await MathJax.tex2chtmlPromise(tex, {display});
    } catch (err) {
      errors.push([tex, String(err && err.message || err)]);
      html.push('');
      continue;
    }
    const merror = adaptor.tags(node, 'mjx-merror');
    if (merror.length) {
      errors.push([tex, adaptor.getAttribute(merror[0], 'data-mjx-error') ||
                        adaptor.textContent(merror[0])]);
    }
    adaptor.setAttribute(node, 'data-latex', tex);
    html.push(adaptor.outerHTML(node));
  }
  const extra = new MathJax._.util.StyleList.CssStyles();
  for (const styles of doc.styles || []) extra.addStyles(styles);
  const css = adaptor.textContent(MathJax.chtmlStylesheet()) + '\n' + extra.cssText;
  return JSON.stringify({html, errors, css});
};
"""


class MathJaxInV8:
    """MathJax 3 (the files sphinx-mathjax-offline serves) running in one V8 context."""

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
                *mathjax_dir.glob("output/chtml.js"),
                *mathjax_dir.glob("output/chtml/fonts/*.js"),
                *mathjax_dir.glob("a11y/assistive-mml.js"),
            ]
        }
        chtml = {
            **config.get("chtml", {}),
            "fontURL": _FONTS,
            "scale": SCALE,
            "matchFontHeight": False,
        }
        setup = {
            **{k: v for k, v in config.items() if k not in _OWN},
            "loader": {"load": ["adaptors/liteDOM", *load], "paths": {"mathjax": "MJ"}},
            "startup": {"typeset": False},
            "chtml": chtml,
        }
        # no menu, no DOM: the options that only matter in a browser are dropped
        setup.get("options", {}).pop("enableMenu", None)
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
        """CHTML of each (TeX, display) item, TeX errors and the glyphs' stylesheet."""
        call = f"__mlmathRender({json.dumps(items)})"
        return json.loads(self.ctx.eval(call).get(timeout=300))

    def close(self):
        """Free the V8 context."""
        self.ctx.close()


def _mathjax_dir(app) -> Path:
    module = sys.modules.get("sphinx-mathjax-offline")
    if module is None:
        raise RuntimeError("mathjax_prerender needs sphinx-mathjax-offline")
    return Path(module.__file__).parent / "static" / "mathjax"


def _engine(app) -> MathJaxInV8:
    engine = getattr(app, "_mlmath_mathjax", None)
    if engine is None or engine.pid != os.getpid():  # one per (forked) process
        engine = MathJaxInV8(_mathjax_dir(app), app.config.mathjax3_config or {})
        app._mlmath_mathjax = engine
    return engine


def _split(body: str) -> tuple[str, str, bool] | None:
    """(eqno html, TeX, display) of one math element's body, or None if not math."""
    eqno = ""
    match = _EQNO.match(body)
    if match:
        eqno, body = match.group(1), body[match.end():]
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
        return text
    for _, (_, tex, _) in found:
        if _MYST_ROLE.search(tex):
            logger.warning(
                "a MyST role inside math reaches the reader as text: %s", tex[:120],
                location=pagename, type="mlmath", subtype="math",
            )
    result = _engine(app).render([[tex, display] for _, (_, tex, display) in found])
    for tex, error in result["errors"]:
        logger.warning(
            "MathJax cannot typeset %r: %s", tex[:120], error,
            location=pagename, type="mlmath", subtype="math",
        )
    pieces, last = [], 0
    for (m, (eqno, _, _)), chtml in zip(found, result["html"], strict=True):
        pieces += [text[last:m.start()], m.group("open"), eqno, chtml, m.group("close")]
        last = m.end()
    pieces.append(text[last:])
    text = "".join(pieces)
    fonts = "../" * pagename.count("/") + FONT_DIR
    style = '<style id="MJX-CHTML-styles">\n' + result["css"].replace(_FONTS, fonts)
    text = _MATHJAX_SCRIPTS.sub("", text)
    return text.replace("</head>", style + "</style>\n</head>", 1)


def wrap_page_renderer(app):
    """Pass every page the HTML builder renders through :func:`prerender_page`."""
    templates = getattr(app.builder, "templates", None)
    if app.builder.format != "html" or templates is None:
        return
    render = templates.render

    def render_typeset(template: str, context: dict) -> str:
        text = render(template, context)
        pagename = context.get("pagename")
        if not pagename or not template.endswith(".html"):
            return text
        return prerender_page(app, pagename, text)

    templates.render = render_typeset


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
