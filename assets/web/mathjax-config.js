// MathJax 3 (shipped with the app): typeset only `.arithmatex` nodes, only when asked.
"use strict";
function speechName(math) {
  const root = math.typesetRoot;
  if (!root || !root.getAttribute || !root.getAttribute("aria-label")) return;
  root.setAttribute("role", "img");
  for (const copy of root.querySelectorAll("mjx-assistive-mml")) copy.setAttribute("aria-hidden", "true");
}
window.mathjaxReady = new Promise((resolve) => {
  window.MathJax = {
    // Semantic enrichment (MathJax's speech rule engine, shipped in mathjax/sre) gives every formula
    // an aria-label with its spoken form, so a screen reader says "fraction" where Qt would flatten
    // the MathML into a list of symbols. Its rule files are fetched from the app's own scheme.
    loader: { paths: { mathjax: "exam://app/mathjax" }, load: ["a11y/semantic-enrich"] },
    tex: {
      inlineMath: [["\\(", "\\)"]],
      displayMath: [["\\[", "\\]"]],
      processEscapes: false,
    },
    svg: { fontCache: "global" },
    options: {
      processHtmlClass: "arithmatex",
      ignoreHtmlClass: ".*",
      enableMenu: false,
      enableAssistiveMml: true,
      enableEnrichment: true,
      sre: { speech: "shallow", domain: "clearspeak", locale: "en" },
      // The spoken form is the formula's accessible name: an image to assistive technology, its
      // symbol-by-symbol MathML copy hidden from it.
      renderActions: {
        speechName: [250, (doc) => { for (const math of doc.math) speechName(math); }, (math) => speechName(math)],
      },
    },
    startup: {
      typeset: false,
      ready() {
        MathJax.startup.defaultReady();
        MathJax.startup.promise.then(resolve);
      },
    },
  };
});
