// The book's own small script (loaded deferred on every page).
// A display equation wider than its column (phones) scrolls sideways; this marks the
// edge that hides more of it, and the stylesheet fades that edge out, so a reader
// sees at once that there is more to the right (or left). A formula that scrolls is
// also made a Tab stop, so that a keyboard can scroll it (formulas that fit are not).
// The math is typeset when the site is built (book/_ext/mathjax_prerender.py), so the
// formulas are in the page already; they are measured again once MathJax's webfonts
// have loaded, and when the window is resized. (Should a page typeset in the browser,
// e.g. a MathJax that a live-code kernel loads, the marks wait for it.)
(function () {
  "use strict";
  // All the boxes are measured first, then marked: measuring after each change would
  // lay the page out again for every formula.
  function markAll() {
    var boxes = document.querySelectorAll("div.math > mjx-container, span.math");
    var sizes = Array.prototype.map.call(boxes, function (box) {
      return [box.scrollWidth, box.clientWidth, box.scrollLeft];
    });
    Array.prototype.forEach.call(boxes, function (box, i) {
      mark(box, sizes[i]);
      if (!box.dataset.mlmScroll) {
        box.dataset.mlmScroll = "1";
        box.addEventListener("scroll", function () {
          mark(box, [box.scrollWidth, box.clientWidth, box.scrollLeft]);
        }, { passive: true });
      }
    });
  }
  function mark(box, size) {
    var scrollWidth = size[0], clientWidth = size[1], scrollLeft = size[2];
    var more = scrollWidth > clientWidth;  // as axe judges "scrollable"
    if (more && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.mlmTab = "1";
    } else if (!more && box.dataset.mlmTab) {
      box.removeAttribute("tabindex");
      delete box.dataset.mlmTab;
    }
    box.classList.toggle("mlm-more-right", more && scrollLeft + clientWidth < scrollWidth - 1);
    box.classList.toggle("mlm-more-left", more && scrollLeft > 1);
  }
  function typeset() {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) return mj.startup.promise;
    return Promise.resolve();
  }
  function start() {
    if (!document.querySelector("div.math, span.math")) return;
    // once the formulas are typeset and MathJax's webfonts have loaded (they set widths)
    var ready = Promise.all([typeset(), document.fonts ? document.fonts.ready : null])
      .then(markAll);
    // What the reader checks (tests/test_browser_reader.py) wait for: the formulas are
    // typeset and the scrolling ones are marked.
    window.mlmathMathReady = ready;
    window.addEventListener("resize", markAll, { passive: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
