// The book's own small script (loaded deferred on every page).
// A display equation wider than its column (phones) scrolls sideways; this marks the
// edge that hides more of it, and the stylesheet fades that edge out, so a reader
// sees at once that there is more to the right (or left). A formula that scrolls is
// also made a Tab stop, so that a keyboard can scroll it (formulas that fit are not).
// Runs after MathJax typesets.
(function () {
  "use strict";
  function mark(box) {
    var more = box.scrollWidth > box.clientWidth;  // as axe judges "scrollable"
    if (more && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.mlmTab = "1";
    } else if (!more && box.dataset.mlmTab) {
      box.removeAttribute("tabindex");
      delete box.dataset.mlmTab;
    }
    box.classList.toggle("mlm-more-right",
      more && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
    box.classList.toggle("mlm-more-left", more && box.scrollLeft > 1);
  }
  function markAll() {
    document.querySelectorAll("div.math > mjx-container, span.math").forEach(function (box) {
      mark(box);
      if (!box.dataset.mlmScroll) {
        box.dataset.mlmScroll = "1";
        box.addEventListener("scroll", function () { mark(box); }, { passive: true });
      }
    });
  }
  function whenTypeset(callback) {
    var tries = 0;
    (function poll() {
      var mj = window.MathJax;
      if (mj && mj.startup && mj.startup.promise) {
        mj.startup.promise.then(callback);
      } else if (tries++ < 150) {
        setTimeout(poll, 100);
      }
    })();
  }
  function start() {
    if (!document.querySelector("div.math, span.math")) return;
    whenTypeset(function () {
      markAll();
      window.addEventListener("resize", markAll, { passive: true });
      // MathJax's web fonts can finish loading after typesetting, changing widths
      if (document.fonts && document.fonts.ready) document.fonts.ready.then(markAll);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
