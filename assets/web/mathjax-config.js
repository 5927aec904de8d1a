// MathJax 3 (shipped with the app): typeset only `.arithmatex` nodes, only when asked.
"use strict";
window.mathjaxReady = new Promise((resolve) => {
  window.MathJax = {
    loader: { paths: { mathjax: "exam://app/mathjax" } },
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
