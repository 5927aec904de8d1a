// The grading page: shows one answer at a time (pushed in by Python as HTML), typesets its math, and
// tells Python through the one channel object (`bridge.post(json)`) when it is shown and which
// passage of the essay the grader selected, as offsets of the text the candidate typed.
"use strict";
window.grader = (() => {
  let bridge = null;
  let lastSelection = "";

  function post(type, data) {
    if (!bridge) return;
    bridge.post(JSON.stringify(Object.assign({ type }, data || {})));
  }

  let mathQueue = window.mathjaxReady; // one typesetting job at a time

  function show(html) {
    const view = document.getElementById("view");
    view.innerHTML = html;
    window.scrollTo(0, 0);
    lastSelection = "";
    // "shown" once the typeset answer has been painted, not merely put in the page.
    const done = () => requestAnimationFrame(() => requestAnimationFrame(() => post("shown", {})));
    const job = mathQueue.then(() => MathJax.typesetPromise([view]));
    // After the first answer, MathJax's speech (mathjax-config.js); later answers wait for it.
    mathQueue = job.then(() => window.mathSpeech()).catch(() => {});
    job.then(done, (error) => {
      post("page_error", { message: String(error) });
      done();
    });
  }

  // A boundary of the selection as an offset of the typed text: inside a plain run, its offset
  // plus the position in it; inside a formula, the formula's start (or end); between runs, the
  // next run's start (or the previous run's end).
  function boundary(essay, node, offset, isEnd) {
    const spans = Array.from(essay.querySelectorAll("[data-at]"));
    const length = (s) => (s.dataset.len ? Number(s.dataset.len) : s.textContent.length);
    for (const s of spans) {
      if (s.contains(node)) {
        const at = Number(s.dataset.at);
        if (s.dataset.len) return isEnd ? at + length(s) : at;
        if (node.nodeType === Node.TEXT_NODE) return at + offset;
        return isEnd ? at + length(s) : at;
      }
    }
    const point = document.createRange();
    point.setStart(node, offset);
    let found = null;
    for (const s of spans) {
      const r = document.createRange();
      r.selectNode(s);
      const after = r.compareBoundaryPoints(Range.START_TO_START, point) >= 0;
      if (!isEnd && after) return Number(s.dataset.at);
      if (isEnd && !after) found = Number(s.dataset.at) + length(s);
    }
    return found;
  }

  function selectionChanged() {
    const essay = document.getElementById("essay");
    const selection = window.getSelection();
    let data = {};
    if (essay && selection && selection.rangeCount && !selection.isCollapsed) {
      const range = selection.getRangeAt(0);
      if (essay.contains(range.commonAncestorContainer)) {
        const start = boundary(essay, range.startContainer, range.startOffset, false);
        const end = boundary(essay, range.endContainer, range.endOffset, true);
        if (start !== null && end !== null && end > start) data = { start, end };
      }
    }
    const key = JSON.stringify(data);
    if (key !== lastSelection) {
      lastSelection = key;
      post("selection", data);
    }
  }

  // "painted" once the frame showing the page as it is now has been drawn (for screenshots).
  function whenPainted() {
    requestAnimationFrame(() => requestAnimationFrame(() => post("painted", {})));
  }

  // For tests and the keyboard: select typed text from `start` to `end` as a grader would.
  function selectText(start, end) {
    const essay = document.getElementById("essay");
    const spans = Array.from(essay.querySelectorAll("[data-at]:not([data-len])"));
    const at = (offset, isEnd) => {
      for (const s of spans) {
        const a = Number(s.dataset.at);
        const b = a + s.textContent.length;
        if (offset >= a && (offset < b || (isEnd && offset === b))) return [s.firstChild, offset - a];
      }
      return null;
    };
    const from = at(start, false);
    const to = at(end, true);
    if (!from || !to) return false;
    const range = document.createRange();
    range.setStart(from[0], from[1]);
    range.setEnd(to[0], to[1]);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return true;
  }

  function start() {
    document.addEventListener("selectionchange", selectionChanged);
    document.addEventListener("contextmenu", (event) => event.preventDefault());
    window.addEventListener("error", (event) => post("page_error", { message: String(event.message) }));
    window.addEventListener("unhandledrejection", (event) => post("page_error", { message: String(event.reason) }));
    new QWebChannel(qt.webChannelTransport, (ch) => {
      bridge = ch.objects.bridge;
      post("ready", {});
    });
  }

  document.addEventListener("DOMContentLoaded", start);
  return { show, selectText, whenPainted };
})();
