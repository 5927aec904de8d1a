// Candidate tools and reading aids around the exam page (shell.js calls in at a few hooks):
// the tool bar, shared passages beside a question, calculator, formula sheet, notes, highlighter,
// option eliminator, line reader, timer hide, read-aloud, display settings, and focus trapping for
// dialogs. What the candidate leaves behind (notes, strikes, highlights, display choices) goes to
// Python through the page's one channel; nothing here is an answer.
"use strict";

window.examTools = (() => {
  let api = null; // {post, el, t, typeset} from shell.js
  let S = {};
  let config = {};
  let question = null; // the question shown (null on review/results/messages)
  let aids = {}; // owner ("question id" or "passage:<id>") -> {notes, struck, highlights}
  let comfort = {};
  const passages = new Map(); // passage id -> Promise of its typeset panel body
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------------------------------
  // Start-up: the tool bar and the display settings remembered for this candidate.

  function init(data, shellApi) {
    api = shellApi;
    S = data.strings;
    config = data.tools || {};
    aids = data.aids || {};
    comfort = data.comfort || {};
    speechLanguage(data.language);
    buildBar();
    applyDisplay();
  }

  // Formulas are spoken in the exam's language (MathJax's speech rule engine).
  function speechLanguage(language) {
    window.mathSpeechLanguage(String(language || "en").split("-")[0]);
  }

  function button(id, text, onclick, pressed) {
    return api.el("button", { type: "button", id, class: "tool-button", text, onclick,
      "aria-pressed": pressed === undefined ? undefined : String(!!pressed) });
  }

  function buildBar() {
    const bar = $("tools-bar");
    bar.setAttribute("aria-label", S.tools_label);
    bar.replaceChildren(
      button("tool-calculator", S.calculator, () => toggleCalculator()),
      button("tool-formula-sheet", S.formula_sheet, () => toggleFormulaSheet()),
      button("tool-notes", S.notes, () => toggleNotes(), false),
      button("tool-highlighter", S.highlighter, () => toggleHighlighter(), false),
      button("tool-line-reader", S.line_reader, () => toggleLineReader(), !!comfort.line_reader),
      button("tool-hide-timer", S.hide_timer, () => toggleTimer(), !!comfort.timer_hidden),
      readAloudButton({ available: false, message: "" }), // until Python has looked for a voice
      button("tool-display", S.display, () => toggleDisplay()),
    );
    bar.hidden = false;
    showBarFor(null);
  }

  function readAloudButton(speech) {
    return speech.available
      ? button("tool-read-aloud", S.read_aloud, () => readAloud(), false)
      : api.el("button", { type: "button", id: "tool-read-aloud", class: "tool-button", disabled: true,
        text: S.read_aloud, title: speech.message || undefined, "aria-describedby": speech.message ? "no-voice" : undefined });
  }

  // Whether the computer has a voice (known just after the first question is shown).
  function setSpeech(speech) {
    const old = $("tool-read-aloud");
    const fresh = readAloudButton(speech);
    fresh.hidden = old.hidden;
    old.replaceWith(fresh);
    const note = $("no-voice");
    if (note) note.remove();
    if (!speech.available) $("tools-bar").append(api.el("span", { id: "no-voice", class: "sr-only", text: speech.message }));
  }

  function offered(name) {
    return !!question && (question.tools || []).includes(name);
  }

  function showBarFor(q) {
    const onQuestion = !!q;
    $("tool-calculator").hidden = !offered("calculator");
    $("tool-formula-sheet").hidden = !offered("formula-sheet") || !config.formula_sheet_html;
    $("tool-notes").hidden = !offered("notes");
    $("tool-highlighter").hidden = !offered("highlighter");
    $("tool-read-aloud").hidden = !onQuestion;
    if (!offered("calculator") && $("calculator")) closePanel("calculator");
    if (!offered("formula-sheet") && $("formula-sheet")) closePanel("formula-sheet");
    if (!offered("highlighter")) setHighlighter(false);
  }

  // ------------------------------------------------------------------------------------------
  // A question (or another view) is on screen.

  function questionShown(q, node) {
    question = q;
    showBarFor(q);
    const view = $("view");
    view.classList.toggle("with-passage", !!(q && q.passages && q.passages.length));
    if (!q) return;
    if (q.passages && q.passages.length) {
      const panel = api.el("aside", { id: "passage-panel", class: "passage-panel", "aria-labelledby": "passage-heading" });
      const toggle = api.el("button", { type: "button", id: "passage-toggle", class: "passage-toggle",
        "aria-expanded": String(!comfort.passage_collapsed), "aria-controls": "passage-bodies",
        text: comfort.passage_collapsed ? S.passage_expand : S.passage_collapse,
        onclick: () => collapsePassages(!(toggle.getAttribute("aria-expanded") === "false")) });
      const bodies = api.el("div", { id: "passage-bodies", hidden: !!comfort.passage_collapsed });
      panel.append(api.el("div", { class: "passage-head" },
        api.el("h2", { id: "passage-heading", text: S.passage_region }), toggle), bodies);
      for (const p of q.passages) {
        const holder = api.el("section", { class: "passage", "data-passage": p.id, "aria-labelledby": "passage-title-" + p.id },
          api.el("h3", { id: "passage-title-" + p.id, text: p.title }));
        bodies.append(holder);
        passageBody(p).then((body) => { holder.append(body); applyHighlights("passage:" + p.id, body); });
      }
      view.prepend(panel);
    }
    const stem = node.querySelector(".stem");
    if (stem) applyHighlights(q.id, stem);
    if (offered("eliminator")) addStrikeButtons(q, node);
    if ($("tool-notes").getAttribute("aria-pressed") === "true" && offered("notes")) showNotes(node);
    else $("tool-notes").setAttribute("aria-pressed", "false");
  }

  function collapsePassages(collapse) {
    const toggle = $("passage-toggle");
    toggle.setAttribute("aria-expanded", String(!collapse));
    toggle.textContent = collapse ? S.passage_expand : S.passage_collapse;
    $("passage-bodies").hidden = collapse;
    $("view").classList.toggle("passage-collapsed", collapse);
    remember({ passage_collapsed: collapse });
  }

  // A passage is typeset once and the same node moved beside each question that shows it.
  function passageBody(p) {
    if (!passages.has(p.id)) {
      passages.set(p.id, (async () => {
        const body = api.el("div", { class: "passage-body", html: p.html });
        $("prepare").append(body);
        await api.typeset(body);
        body.remove();
        return body;
      })());
    }
    return passages.get(p.id);
  }

  // The focused field stays in view (after a move, at any zoom).
  function announce(text) {
    const line = $("tools-announcer");
    line.textContent = "";
    setTimeout(() => { line.textContent = text; }, 50);
  }

  function afterFocus() {
    const active = document.activeElement;
    if (!active || active === document.body) return;
    const box = active.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight || box.left < 0 || box.right > window.innerWidth) {
      active.scrollIntoView({ block: "nearest", inline: "nearest" });
    }
  }

  // ------------------------------------------------------------------------------------------
  // Aids kept per question: notes, struck options, highlights.

  function aid(owner) {
    if (!aids[owner]) aids[owner] = { notes: "", struck: [], highlights: [] };
    return aids[owner];
  }

  function saveAid(owner) {
    api.post("aids", { owner, aids: aid(owner) });
  }

  function addStrikeButtons(q, node) {
    const struck = new Set(aid(q.id).struck);
    node.querySelectorAll("label.option").forEach((label, i) => {
      const input = label.querySelector("input");
      if (!input) return;
      const letter = String.fromCharCode(65 + i);
      const strike = api.el("button", { type: "button", class: "strike", "data-option": input.value,
        "aria-pressed": String(struck.has(input.value)), text: "✕" });
      const name = () => (strike.getAttribute("aria-pressed") === "true" ? S.unstrike_option : S.strike_option);
      strike.setAttribute("aria-label", name().replace("{letter}", letter));
      label.classList.toggle("struck", struck.has(input.value));
      strike.onclick = (event) => {
        event.preventDefault();
        const on = strike.getAttribute("aria-pressed") !== "true";
        strike.setAttribute("aria-pressed", String(on));
        strike.setAttribute("aria-label", name().replace("{letter}", letter));
        label.classList.toggle("struck", on);
        const set = new Set(aid(q.id).struck);
        if (on) set.add(input.value); else set.delete(input.value);
        aid(q.id).struck = [...set];
        saveAid(q.id);
      };
      // Inside the label, after the option's text; the radio keeps the option's text as its name.
      const body = label.querySelector(".option-body");
      const mark = label.querySelector(".option-letter");
      if (body) body.id = body.id || `option-text-${i}`;
      if (mark) mark.id = mark.id || `option-letter-${i}`;
      if (body) input.setAttribute("aria-labelledby", [mark && mark.id, body.id].filter(Boolean).join(" "));
      label.append(strike);
    });
  }

  let notesTimer = null;
  function toggleNotes() {
    const on = $("tool-notes").getAttribute("aria-pressed") !== "true";
    $("tool-notes").setAttribute("aria-pressed", String(on));
    const article = document.querySelector("#view article.question");
    if (on && article) { showNotes(article); $("notes").focus(); } else if ($("notes-box")) $("notes-box").remove();
    api.post("tool", { tool: "notes", open: on });
  }

  function showNotes(article) {
    if ($("notes-box") || !question) return;
    const owner = question.id;
    const area = api.el("textarea", { id: "notes", class: "notes", rows: 4, spellcheck: "false", value: aid(owner).notes || "",
      oninput: () => {
        aid(owner).notes = area.value;
        clearTimeout(notesTimer);
        notesTimer = setTimeout(() => saveAid(owner), 500);
      },
      onblur: () => { if (notesTimer) { clearTimeout(notesTimer); notesTimer = null; saveAid(owner); } } });
    article.append(api.el("div", { id: "notes-box", class: "notes-box" },
      api.el("label", { for: "notes", text: S.notes_label }), area));
  }

  // Highlights are kept as character ranges of a container's text, so they come back after a resume.
  let highlighting = false;
  function toggleHighlighter() { setHighlighter(!highlighting); }
  function setHighlighter(on) {
    highlighting = on;
    const b = $("tool-highlighter");
    if (b) b.setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("highlighting", on);
    if (on) announce(S.highlighter_help);
  }

  function containerOf(node) {
    const el = node && (node.nodeType === 1 ? node : node.parentElement);
    if (!el) return null;
    const passage = el.closest(".passage-body");
    if (passage) return { owner: "passage:" + passage.parentElement.dataset.passage, node: passage };
    const stem = el.closest("#view .stem");
    if (stem && question) return { owner: question.id, node: stem };
    return null;
  }

  function textOffset(container, node, offset) {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    let total = 0;
    while (walker.nextNode()) {
      if (walker.currentNode === node) return total + offset;
      total += walker.currentNode.length;
    }
    return total;
  }

  function onSelectionDone() {
    if (!highlighting) return;
    const selection = window.getSelection();
    if (!selection.rangeCount) return;
    const range = selection.getRangeAt(0);
    const where = containerOf(range.startContainer);
    if (!where || where.node !== (containerOf(range.endContainer) || {}).node) return;
    const list = aid(where.owner).highlights;
    if (range.collapsed) {
      const at = textOffset(where.node, range.startContainer, range.startOffset);
      const hit = list.findIndex(([a, b]) => a <= at && at <= b);
      if (hit < 0 || !range.startContainer.parentElement.closest("mark.hl")) return;
      list.splice(hit, 1);
    } else {
      const start = textOffset(where.node, range.startContainer, range.startOffset);
      const end = textOffset(where.node, range.endContainer, range.endOffset);
      if (end <= start) return;
      list.push([start, end]);
    }
    selection.removeAllRanges();
    applyHighlights(where.owner, where.node);
    saveAid(where.owner);
  }

  function applyHighlights(owner, container) {
    for (const mark of container.querySelectorAll("mark.hl")) mark.replaceWith(...mark.childNodes);
    container.normalize();
    const ranges = (aids[owner] && aids[owner].highlights) || [];
    for (const [start, end] of ranges) {
      const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
      const pieces = [];
      let total = 0;
      while (walker.nextNode()) {
        const text = walker.currentNode;
        const from = Math.max(start, total), to = Math.min(end, total + text.length);
        if (from < to && !text.parentElement.closest("mjx-container, svg")) pieces.push([text, from - total, to - total]);
        total += text.length;
      }
      for (const [text, a, b] of pieces) {
        const range = document.createRange();
        range.setStart(text, a);
        range.setEnd(text, b);
        range.surroundContents(api.el("mark", { class: "hl" }));
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Floating panels: calculator, formula sheet, display settings.

  function panel(id, title, closeLabel, onClose) {
    const heading = api.el("h2", { id: id + "-title", text: title });
    const close = api.el("button", { type: "button", class: "panel-close", "aria-label": closeLabel, text: "✕",
      onclick: () => closePanel(id) });
    const box = api.el("div", { id, class: "tool-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": id + "-title",
      onkeydown: (event) => { if (event.key === "Escape") { event.stopPropagation(); closePanel(id); } } },
    api.el("div", { class: "panel-head" }, heading, close));
    box.onClosed = onClose;
    $("tools-layer").append(box);
    return box;
  }

  function closePanel(id) {
    const box = $(id);
    if (!box) return;
    box.remove();
    if (box.onClosed) box.onClosed();
    const opener = $("tool-" + id);
    if (opener && !opener.hidden) opener.focus();
  }

  // Calculator: keys build an expression; Python evaluates it with a maintained library.
  let calcAnswer = null;
  let calcMemory = null;
  let calcRequest = 0;
  const history = [];

  function toggleCalculator() {
    if ($("calculator")) { closePanel("calculator"); return; }
    const scientific = config.calculator === "scientific";
    const box = panel("calculator", scientific ? S.calc_title_scientific : S.calc_title_basic, S.calc_close,
      () => api.post("tool", { tool: "calculator", open: false }));
    box.classList.add(scientific ? "scientific" : "basic");
    const input = api.el("input", { type: "text", id: "calc-input", class: "calc-input", autocomplete: "off",
      spellcheck: "false", inputmode: "decimal", "aria-label": S.calc_expression, "aria-describedby": "calc-help",
      onkeydown: (event) => {
        if (event.key === "Enter") { event.preventDefault(); compute(); }
      } });
    const result = api.el("output", { id: "calc-result", class: "calc-result", role: "status", "aria-live": "polite",
      "aria-atomic": "true", "aria-label": S.calc_result, for: "calc-input" });
    const insert = (text) => () => {
      const at = input.selectionStart === null ? input.value.length : input.selectionStart;
      input.value = input.value.slice(0, at) + text + input.value.slice(input.selectionEnd === null ? at : input.selectionEnd);
      input.focus();
      input.setSelectionRange(at + text.length, at + text.length);
    };
    const decimal = config.decimal_comma ? "," : ".";
    const keys = [
      ["7", "8", "9", "÷"], ["4", "5", "6", "×"], ["1", "2", "3", "−"], ["0", decimal, "(", ")"], ["+", "√", "ans"],
    ];
    if (scientific) keys.push(["^", "!", "π", "e"], ["sin", "cos", "tan", "exp"], ["ln", "log", "asin", "acos"], ["atan", "abs"]);
    const names = { "÷": "/", "×": "*", "−": "-", "√": "sqrt(", sin: "sin(", cos: "cos(", tan: "tan(", exp: "exp(",
      ln: "ln(", log: "log(", asin: "asin(", acos: "acos(", atan: "atan(", abs: "abs(" };
    const grid = api.el("div", { class: "calc-keys" });
    for (const row of keys) for (const k of row) grid.append(api.el("button", { type: "button", class: "calc-key", text: k, onclick: insert(names[k] || k) }));
    const actions = api.el("div", { class: "calc-actions" },
      api.el("button", { type: "button", class: "calc-key primary", id: "calc-equals", text: "=", "aria-label": S.calc_equals, onclick: () => compute() }),
      api.el("button", { type: "button", class: "calc-key", text: "C", "aria-label": S.calc_clear, onclick: () => { input.value = ""; result.textContent = ""; input.focus(); } }),
      api.el("button", { type: "button", class: "calc-key", text: "⌫", "aria-label": S.calc_backspace, onclick: () => { input.value = input.value.slice(0, -1); input.focus(); } }),
      api.el("button", { type: "button", class: "calc-key", text: "M+", "aria-label": S.calc_memory_add, onclick: () => memoryAdd() }),
      api.el("button", { type: "button", class: "calc-key", text: "MR", "aria-label": S.calc_memory_recall, onclick: () => { if (calcMemory !== null) insert(calcMemory.text)(); } }),
      api.el("button", { type: "button", class: "calc-key", text: "MC", "aria-label": S.calc_memory_clear, onclick: () => { calcMemory = null; showMemory(); } }));
    box.append(input, result, api.el("p", { id: "calc-help", class: "calc-help", text: S.calc_help }), grid, actions,
      api.el("p", { id: "calc-memory", class: "calc-memory", "aria-live": "polite" }),
      api.el("h3", { text: S.calc_history }), api.el("ol", { id: "calc-history", class: "calc-history" }));
    renderHistory();
    showMemory();
    input.focus();
    api.post("tool", { tool: "calculator", open: true });
  }

  function compute() {
    const input = $("calc-input");
    if (!input || !input.value.trim()) return;
    api.post("calculate", { request: ++calcRequest, expression: input.value, answer: calcAnswer ? calcAnswer.value : null });
  }

  // Python's answer: {request, ok, value, text, message}
  function calcResult(data) {
    const result = $("calc-result");
    if (!result || data.request !== calcRequest) return;
    result.classList.toggle("bad", !data.ok);
    if (!data.ok) { result.textContent = data.message; $("calc-input").setAttribute("aria-invalid", "true"); return; }
    $("calc-input").removeAttribute("aria-invalid");
    result.textContent = "= " + data.text;
    calcAnswer = { value: data.value, text: data.text };
    history.unshift({ expression: $("calc-input").value, text: data.text });
    history.length = Math.min(history.length, 20);
    renderHistory();
    $("calc-input").select(); // the next key starts a new expression (ans continues from this one)
  }

  function renderHistory() {
    const list = $("calc-history");
    if (!list) return;
    list.replaceChildren(...history.map((h) => api.el("li", {}, api.el("button", { type: "button", class: "link",
      text: `${h.expression} = ${h.text}`, onclick: () => { $("calc-input").value = h.expression; $("calc-input").focus(); } }))));
  }

  function memoryAdd() {
    if (!calcAnswer) return;
    calcMemory = { value: calcAnswer.value, text: calcAnswer.text };
    showMemory();
  }

  function showMemory() {
    const line = $("calc-memory");
    if (line) line.textContent = calcMemory ? S.calc_memory.replace("{value}", calcMemory.text) : "";
  }

  function toggleFormulaSheet() {
    if ($("formula-sheet")) { closePanel("formula-sheet"); return; }
    const box = panel("formula-sheet", S.formula_sheet, S.formula_sheet_close,
      () => api.post("tool", { tool: "formula-sheet", open: false }));
    const body = api.el("div", { class: "formula-body", tabindex: "0", html: config.formula_sheet_html });
    box.append(body);
    api.typeset(body);
    box.querySelector(".panel-close").focus();
    api.post("tool", { tool: "formula-sheet", open: true });
  }

  // ------------------------------------------------------------------------------------------
  // Reading aids: display settings, line reader, timer hide, read-aloud.

  const THEMES = ["default", "contrast", "dark", "cream", "yellow"];

  function remember(settings) {
    Object.assign(comfort, settings);
    api.post("comfort", settings);
  }

  function applyDisplay() {
    const theme = THEMES.includes(comfort.theme) ? comfort.theme : (document.body.classList.contains("contrast") ? "contrast" : "default");
    for (const name of THEMES) document.body.classList.toggle("theme-" + name, name === theme && name !== "contrast" && name !== "default");
    document.body.classList.toggle("contrast", theme === "contrast");
    const toggle = $("contrast-toggle");
    if (toggle) toggle.setAttribute("aria-pressed", String(theme === "contrast"));
    document.body.classList.toggle("font-dyslexia", comfort.font === "dyslexia");
    document.body.classList.toggle("wide-spacing", !!comfort.spacing);
    document.body.classList.toggle("timer-hidden", !!comfort.timer_hidden);
    $("tool-hide-timer").setAttribute("aria-pressed", String(!!comfort.timer_hidden));
    setLineReader(!!comfort.line_reader);
  }

  function toggleDisplay() {
    if ($("display")) { closePanel("display"); return; }
    const box = panel("display", S.display_title, S.display_close);
    const current = document.body.classList.contains("contrast") ? "contrast" : (comfort.theme || "default");
    const themes = api.el("fieldset", { class: "display-themes" }, api.el("legend", { text: S.theme }));
    for (const name of THEMES) {
      const id = "theme-" + name + "-choice";
      themes.append(api.el("label", { for: id, class: "choice" },
        api.el("input", { type: "radio", name: "theme", id, value: name, checked: name === current,
          onchange: () => { remember({ theme: name, high_contrast: name === "contrast" }); applyDisplay(); } }),
        " " + S["theme_" + name]));
    }
    const fonts = api.el("fieldset", { class: "display-fonts" }, api.el("legend", { text: S.font }));
    for (const name of ["default", "dyslexia"]) {
      const id = "font-" + name + "-choice";
      fonts.append(api.el("label", { for: id, class: "choice" },
        api.el("input", { type: "radio", name: "font", id, value: name, checked: (comfort.font || "default") === name,
          onchange: () => { remember({ font: name }); applyDisplay(); } }),
        " " + S["font_" + name]));
    }
    const spacing = api.el("input", { type: "checkbox", id: "spacing-choice", checked: !!comfort.spacing,
      onchange: () => { remember({ spacing: spacing.checked }); applyDisplay(); } });
    box.append(themes, fonts, api.el("label", { for: "spacing-choice", class: "choice" }, spacing, " " + S.spacing));
    box.querySelector("input:checked").focus();
  }

  // The high-contrast button of the top bar switches between the standard and high-contrast themes.
  function contrastToggled(on) {
    comfort.theme = on ? "contrast" : "default";
    api.post("comfort", { theme: comfort.theme });
    applyDisplay();
  }

  function toggleTimer() {
    remember({ timer_hidden: !comfort.timer_hidden });
    applyDisplay();
  }

  let readerY = 200;
  function toggleLineReader() {
    remember({ line_reader: !comfort.line_reader });
    applyDisplay();
    if (comfort.line_reader) announce(S.line_reader_help);
  }

  function setLineReader(on) {
    $("tool-line-reader").setAttribute("aria-pressed", String(on));
    let band = $("line-reader");
    if (!on) { if (band) band.remove(); return; }
    if (!band) {
      band = api.el("div", { id: "line-reader", "aria-hidden": "true" });
      document.body.append(band);
    }
    moveReader(readerY);
  }

  function moveReader(y) {
    readerY = Math.max(0, Math.min(window.innerHeight - 10, y));
    const band = $("line-reader");
    if (band) band.style.top = readerY + "px";
  }

  let speaking = false;
  function readAloud() {
    const b = $("tool-read-aloud");
    if (speaking) { api.post("speak", { text: "" }); setSpeaking(false); return; }
    const parts = [...document.querySelectorAll("#passage-bodies .passage, #view article.question h1, #view article.question .stem, #view article.question .option")];
    const text = parts.map(speakable).join("\n");
    api.post("speak", { text });
    setSpeaking(true);
    b.focus();
  }

  // Text as a screen reader would say it: figures by their description, math by its speech.
  function speakable(node) {
    const copy = node.cloneNode(true);
    for (const img of copy.querySelectorAll("img[alt]")) img.replaceWith(" " + img.alt + " ");
    for (const math of copy.querySelectorAll("mjx-container")) math.replaceWith(" " + (math.getAttribute("aria-label") || math.textContent) + " ");
    for (const hidden of copy.querySelectorAll("[aria-hidden='true'], .strike")) hidden.remove();
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function setSpeaking(on) {
    speaking = on;
    const b = $("tool-read-aloud");
    if (!b) return;
    b.textContent = on ? S.read_stop : S.read_aloud;
    b.setAttribute("aria-pressed", String(on));
  }

  function speechEnded() { setSpeaking(false); }

  // ------------------------------------------------------------------------------------------
  // Dialogs keep the focus: everything behind a modal dialog is inert until it closes.

  function trapFocus(dialog) {
    const behind = [...document.body.children].filter((node) => node !== dialog && !node.contains(dialog) && !node.inert);
    for (const node of behind) node.inert = true;
    const keep = (event) => {
      if (event.key !== "Tab") return;
      const items = [...dialog.querySelectorAll("button, input, select, textarea, [tabindex='0']")].filter((x) => !x.disabled);
      if (!items.length) return;
      const first = items[0], last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    };
    dialog.addEventListener("keydown", keep);
    return () => {
      dialog.removeEventListener("keydown", keep);
      for (const node of behind) node.inert = false;
    };
  }

  function onKey(event) {
    if (event.altKey && !event.ctrlKey && comfort.line_reader && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      moveReader(readerY + (event.key === "ArrowUp" ? -1 : 1) * parseFloat(getComputedStyle(document.body).lineHeight || "24"));
    }
  }

  document.addEventListener("mouseup", () => setTimeout(onSelectionDone, 0));
  document.addEventListener("keyup", (event) => { if (event.shiftKey && highlighting) onSelectionDone(); });
  document.addEventListener("mousemove", (event) => { if (comfort.line_reader) moveReader(event.clientY - 16); });
  document.addEventListener("focusin", (event) => {
    if (!comfort.line_reader || !event.target.getBoundingClientRect) return;
    moveReader(event.target.getBoundingClientRect().top - 4);
  });
  document.addEventListener("keydown", onKey);

  return {
    init, questionShown, afterFocus, calcResult, trapFocus, contrastToggled, speechEnded, setSpeech,
    applyHighlights, // for tests and resume
  };
})();
