// MathJax 3 (shipped with the app): typeset only `.arithmatex` nodes, only when asked.
//
// Spoken math comes second: the first question is typeset by the TeX and SVG bundle alone, then
// `window.mathSpeech()` (called by shell.js once that first typeset is done) loads semantic
// enrichment — MathJax's speech rule engine, its rule files and the MathML input, about as much
// code again as the typesetter — and re-renders what is already on the page with it. Every formula
// then has an aria-label with its spoken form, so a screen reader says "fraction" where Qt would
// flatten the MathML into a list of symbols. Until then the assistive MathML copy is read.
"use strict";
function speechName(math) {
  const root = math.typesetRoot;
  if (!root || !root.getAttribute || !root.getAttribute("aria-label")) return;
  root.setAttribute("role", "img");
  for (const copy of root.querySelectorAll("mjx-assistive-mml")) copy.setAttribute("aria-hidden", "true");
}
const SPEECH_OPTIONS = {
  enableEnrichment: true,
  sre: { speech: "shallow", domain: "clearspeak", locale: "en" },
};
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

// Formulas are spoken in the exam's language: English in ClearSpeak, the others in MathSpeak
// (the rules MathJax's speech rule engine has for them).
window.mathSpeechLanguage = function mathSpeechLanguage(locale) {
  SPEECH_OPTIONS.sre = locale === "en"
    ? { speech: "shallow", domain: "clearspeak", locale: "en" }
    : { speech: "shallow", domain: "mathspeak", locale };
};

// Load the enrichment, give MathJax a document built with it (the way MathJax's own menu adds an
// accessibility extension after start), and re-render every formula typeset so far from its
// compiled form. Resolves once every formula on the page can be spoken (and marks the page's
// root `data-math-speech="ready"`).
let speechLoaded = null;
window.mathSpeech = function mathSpeech() {
  if (speechLoaded) return speechLoaded;
  speechLoaded = (async () => {
    await window.mathjaxReady;
    await MathJax.loader.load("a11y/semantic-enrich");
    const startup = MathJax.startup;
    const registry = MathJax._.mathjax.mathjax.handlers;
    const STATE = MathJax._.core.MathItem.STATE;
    Object.assign(MathJax.config.options, SPEECH_OPTIONS);
    const before = startup.document;
    registry.unregister(startup.handler);
    startup.handler = startup.getHandler();
    registry.register(startup.handler);
    const spoken = (startup.document = startup.getDocument());
    for (const item of before.math) {
      const math = new spoken.options.MathItem();
      Object.assign(math, item);
      spoken.math.push(math);
    }
    spoken.processed.set("findMath"); // the typeset math is all in the list already
    await MathJax._.mathjax.mathjax.handleRetriesFor(() => spoken.rerender(STATE.COMPILED));
    document.documentElement.dataset.mathSpeech = "ready";
  })();
  return speechLoaded;
};
