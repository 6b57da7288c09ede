// What a reader sees on one loaded page, measured after MathJax has typeset it.
// Used by tests/test_browser_reader.py (page.evaluate of this file's function).
// Returns plain data; the tests decide what is a failure.
() => {
  const round = (x) => Math.round(x * 10) / 10;
  const visible = (el) => {
    if (!el || !el.getClientRects().length) return false;
    const cs = getComputedStyle(el);
    return cs.visibility !== "hidden" && cs.display !== "none" && parseFloat(cs.opacity) > 0;
  };

  // TeX source of every typeset formula, by its container (MathJax 3's math list).
  const source = new Map();
  const mj = window.MathJax;
  for (const c of document.querySelectorAll("mjx-container[data-latex]")) {
    source.set(c, c.getAttribute("data-latex"));  // typeset when the site was built
  }
  if (mj && mj.startup && mj.startup.document) {
    for (const item of mj.startup.document.math) {
      if (item.typesetRoot) source.set(item.typesetRoot, String(item.math));
    }
  }
  const label = (c) => {
    const eq = c.closest("div.math");
    const eqno = eq && eq.querySelector(".eqno");
    const tex = (source.get(c) || c.textContent || "").replace(/\s+/g, " ").trim();
    return (eqno ? eqno.textContent.replace(/\s+/g, " ").trim() + " " : "") + tex.slice(0, 90);
  };
  const main = document.querySelector("main") || document.body;

  // 1. Display equations wider than their box (cut, or scrolling sideways).
  const displays = [];
  for (const c of main.querySelectorAll("mjx-container[display='true']")) {
    if (!c.getClientRects().length) continue;  // in a closed dropdown
    const m = c.querySelector("mjx-math");
    const width = Math.max(c.scrollWidth, m ? m.getBoundingClientRect().width : 0);
    const box = c.clientWidth;
    if (width > box + 1) {
      const cs = getComputedStyle(c);
      const mask = cs.maskImage || cs.webkitMaskImage || "none";
      const scrolls = cs.overflowX === "auto" || cs.overflowX === "scroll";
      displays.push({ eq: label(c), width: round(width), box: round(box),
                      scrolls, affordance: scrolls && mask !== "none" });
    }
  }

  // 2. Inline formulas cut by an ancestor that hides overflow (not scrollable).
  const clipped = [];
  for (const c of main.querySelectorAll("mjx-container:not([display='true'])")) {
    const m = c.querySelector("mjx-math") || c;
    const r = m.getBoundingClientRect();
    if (!r.width) continue;
    for (let el = c.parentElement; el && el !== document.body; el = el.parentElement) {
      const ox = getComputedStyle(el).overflowX;
      if (ox === "auto" || ox === "scroll") break;  // reachable by scrolling
      if (ox === "hidden" || ox === "clip") {
        const er = el.getBoundingClientRect();
        if (r.right > er.right + 1 || r.left < er.left - 1) {
          clipped.push({ eq: label(c), width: round(r.width), shown: round(er.width) });
        }
        break;
      }
    }
  }

  // 3. Source that should never reach a reader: TeX, MyST roles and directives,
  //    "Theorem Theorem", Python values glued as text, Markdown tables as pipes.
  const SKIP = "script, style, pre, code, kbd, samp, textarea, mjx-container, " +
               "mjx-assistive-mml, .cell_input, .highlight, .headerlink, .MathJax";
  const RULES = [
    ["TeX", /\\[A-Za-z]{2,}|\$\$|\\\(|\\\[|\\\)|\\\]/],
    ["MyST role", /\{[a-z][a-z0-9_:-]*\}`/],
    ["MyST directive", /(?:```|~~~|:::)\s*\{[a-z]/],
    ["doubled name", /\b(Theorem|Definition|Lemma|Proposition|Corollary|Exercise|Solution|Example|Algorithm|Remark|Figure|Table|Equation|Section|Chapter|Proof)\s+\1\b/],
    // a zero printed by a float format ("0e+00", "0.0e+00"): glue it as words
    ["glued float", /(?:^|[^\w.])0(?:\.0+)?e[+-]00\b/],
    ["Markdown table", /\|\s*:?[-—–]{3,}:?\s*\||\|\s*[—–]\s*\||(?:\|[^|\n]*){2,}\|/],
  ];
  const raw = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(SKIP)) continue;
    const text = node.textContent;
    for (const [kind, re] of RULES) {
      const hit = text.match(re);
      if (hit) {
        const at = Math.max(0, hit.index - 30);
        raw.push({ kind, text: text.slice(at, hit.index + 50).replace(/\s+/g, " ").trim() });
      }
    }
  }
  // a name doubled across elements ("Theorem" then a linked "Theorem 7.2"): read blocks
  const DOUBLED = RULES.find(([kind]) => kind === "doubled name")[1];
  for (const el of main.querySelectorAll("p, li, td, th, dt, dd, figcaption, h1, h2, h3, h4")) {
    if (el.closest(SKIP)) continue;
    const text = el.innerText.replace(/\s+/g, " ");
    const hit = text.match(DOUBLED);
    if (hit && !raw.some((r) => r.kind === "doubled name" && text.includes(r.text))) {
      raw.push({ kind: "doubled name", text: text.slice(Math.max(0, hit.index - 30), hit.index + 50) });
    }
  }
  // a whole Python value glued into prose ({glue:text} of True/None/nan)
  for (const el of main.querySelectorAll(".pasted-text, .pasted-inline")) {
    const text = el.textContent.trim();
    if (/^(True|False|None|nan|-?inf)$/.test(text) || /^-?0(?:\.0+)?e[+-]00$/.test(text)) {
      raw.push({ kind: "glued Python value", text });
    }
  }
  // MyST roles written inside math reach the reader as literal text in the formula
  for (const [c, tex] of source) {
    if (main.contains(c) && /\{[a-z][a-z0-9_:-]*\}`/.test(tex)) {
      raw.push({ kind: "MyST role in math", text: tex.slice(0, 120) });
    }
  }
  const merror = main.querySelectorAll("mjx-merror").length;

  // 4. Notation: norm bars at full height (not the small detached bars that
  //    \left\lVert ... \right\rVert draws in MathJax 3 CHTML).
  const shortNorms = [];
  for (const c of main.querySelectorAll("mjx-c.mjx-c2016, mjx-c.mjx-c2225, use[data-c='2016'], use[data-c='2225']")) {
    const h = (c.closest("mjx-mo, g[data-mml-node='mo']") || c).getBoundingClientRect().height;
    const container = c.closest("mjx-container");
    if (!h || !container) continue;
    const size = parseFloat(getComputedStyle(container).fontSize);
    if (h < 0.8 * size) shortNorms.push({ eq: label(container), height: round(h), font: round(size) });
  }

  // 5. Formulas that are Tab stops (each one a stop on the way to the next link).
  const mathTabStops = document.querySelectorAll(
    "mjx-container[tabindex]:not([tabindex='-1']), span.math[tabindex]:not([tabindex='-1'])").length;

  // 6. Figures: natural and shown width (text size is estimated from these).
  const figures = [...main.querySelectorAll("img")]
    .filter((img) => img.closest(".cell_output, figure") && !/logo/.test(img.src))
    .map((img) => ({ src: img.getAttribute("src"), natural: img.naturalWidth,
                     shown: round(img.getBoundingClientRect().width) }));

  // 7. What the page loaded (sizes are read from the served files).
  const resources = [location.href.split("#")[0],
                     ...performance.getEntriesByType("resource").map((e) => e.name)];

  return {
    displays, clipped, raw, merror, shortNorms, mathTabStops, figures, resources,
    pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
    theme: document.documentElement.dataset.theme,
  };
}
