// The exam page. It loads once; Python pushes each question in as data (window.exam.*) and the page
// tells Python what the candidate did through one channel object (`bridge.post(json)`).
// Question HTML arrives sanitised from Python; everything else is built with DOM calls and text.
"use strict";

window.exam = (() => {
  let bridge = null;
  let S = {}; // interface strings, from Python
  let config = null;
  let current = null; // the question shown: its data and input elements
  let locked = false;
  const status = new Map(); // question id -> {answered, flagged}

  const $ = (id) => document.getElementById(id);

  function post(type, data) {
    if (!bridge) return;
    bridge.post(JSON.stringify(Object.assign({ type }, data || {})));
  }

  // A count picks its plural form by the language's CLDR rules (S.key_one, S.key_other, ...).
  function t(key, vars) {
    if (vars && typeof vars.n === "number") {
      const form = new Intl.PluralRules(S._language || "en").select(vars.n);
      if (S[key + "_" + form] !== undefined) key = key + "_" + form;
      else if (S[key + "_other"] !== undefined) key = key + "_other";
    }
    let text = S[key] !== undefined ? S[key] : key;
    for (const [name, value] of Object.entries(vars || {})) text = text.split("{" + name + "}").join(String(value));
    return text;
  }

  // el("div", {class: "x", text: "..."}, child, ...) — attributes set as properties or attributes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "html") node.innerHTML = value; // sanitised HTML from Python only
      else if (key === "class") node.className = value;
      else if (key === "value") node.value = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key in node && typeof value !== "string") node[key] = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  // ------------------------------------------------------------------------------------------
  // Typesetting: only new nodes, one job at a time, errors shown in the page. A question's math is
  // typeset once — ahead of time (exam.prefetch) or on its first visit — and kept for later visits.

  let mathQueue = Promise.resolve();
  let speechQueued = false;

  // Resolves once the frame being built now has been painted (work queued behind it waits), or
  // after 100 ms: a page out of sight paints no frames, and nothing may wait on it for ever.
  const afterPaint = () => new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 100);
  });

  function typeset(node) {
    const job = mathQueue.then(() => typesetNow(node));
    mathQueue = job.catch(() => {});
    if (!speechQueued) { // spoken math once the first question is on screen (mathjax-config.js)
      speechQueued = true;
      mathQueue = mathQueue.then(afterPaint).then(() => window.mathSpeech())
        .catch((error) => post("page_error", { message: "math speech: " + String(error) }));
    }
    return job;
  }

  async function typesetNow(node) {
    const errors = [];
    try {
      await window.mathjaxReady;
      await MathJax.typesetPromise([node]);
    } catch (error) {
      errors.push(String(error && error.message ? error.message : error));
      node.prepend(el("p", { class: "math-error", role: "alert", text: t("math_error", { error: errors[0] }) }));
    }
    for (const bad of node.querySelectorAll("mjx-container [data-mml-node='merror']")) {
      errors.push(bad.getAttribute("data-mjx-error") || "TeX error");
    }
    return errors;
  }

  function imagesLoaded(node) {
    return Promise.all([...node.querySelectorAll("img")].map((img) =>
      img.complete ? Promise.resolve() : new Promise((r) => { img.onload = img.onerror = r; })));
  }

  const prepared = new Map(); // question id -> Promise of {intro, stem, options, errors}

  function prepare(q) {
    if (!prepared.has(q.id)) {
      prepared.set(q.id, (async () => {
        const area = el("div", { class: "prepare-area", "aria-hidden": "true" });
        const parts = {
          intro: q.section_intro_html ? el("div", { class: "section-intro", html: q.section_intro_html }) : null,
          stem: el("div", { class: "stem", html: q.html_stem }),
          options: (q.options || []).map((o) => el("span", { class: "option-body", html: o.html })),
          prompts: (q.prompts_html || []).map((h) => el("span", { class: "prompt-body", html: h })),
          matchOptions: (q.match_options_html || []).map((h) => el("span", { class: "match-option-body", html: h })),
          items: (q.items_html || []).map((h) => el("span", { class: "item-body", html: h })),
          dragText: q.dragwords_html ? el("div", { class: "dragwords-text", html: q.dragwords_html }) : null,
        };
        area.append(...[parts.intro, parts.stem, ...parts.options, ...parts.prompts, ...parts.matchOptions, ...parts.items, parts.dragText].filter(Boolean));
        $("prepare").append(area);
        parts.errors = await typeset(area);
        await imagesLoaded(area);
        area.remove();
        return parts;
      })());
    }
    return prepared.get(q.id);
  }

  async function prefetch(q) {
    await prepare(q);
    post("prepared", { id: q.id });
  }

  async function replaceView(node, kind, id, focusTarget) {
    const view = $("view");
    const started = performance.now();
    node.classList.add("pending");
    view.replaceChildren(node);
    if (window.examTools) examTools.questionShown(null, node);
    const errors = await typeset(node);
    node.classList.remove("pending");
    await imagesLoaded(node);
    if (focusTarget) focusTarget.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    post("shown", { view: kind, id: id, ms: performance.now() - started, math_errors: errors });
  }

  // ------------------------------------------------------------------------------------------
  // Start-up and the frame around questions.

  function init(data) {
    config = data;
    S = data.strings;
    document.documentElement.lang = data.language;
    $("exam-title").textContent = data.title;
    document.title = data.title;
    $("navigator-title").textContent = S.questions;
    $("previous").textContent = S.previous;
    $("next").textContent = S.next;
    $("review").textContent = data.practice ? S.review_finish : S.review_submit;
    $("contrast-toggle").textContent = S.high_contrast;
    $("confirm-cancel").textContent = S.cancel;
    $("keys-help").textContent = S.keys_help;
    const legend = $("navigator-legend");
    legend.replaceChildren(
      el("li", {}, el("span", { class: "nav-sample answered" }), S.legend_answered),
      el("li", {}, el("span", { class: "nav-sample" }), S.legend_unanswered),
      el("li", {}, el("span", { class: "nav-sample flagged" }), S.legend_flagged),
      el("li", {}, el("span", { class: "nav-sample state-dont-know" }), S.legend_dont_know),
      el("li", {}, el("span", { class: "nav-sample state-invalid" }), S.legend_invalid),
    );
    const pages = $("navigator-pages");
    pages.replaceChildren();
    let group = null;
    for (const q of data.questions) {
      if (!group || group.dataset.page !== String(q.page)) {
        group = el("div", { class: "nav-page", "data-page": String(q.page) },
          el("h3", { text: t("page_short", { n: q.page }) }), el("div", { class: "nav-buttons" }));
        pages.append(group);
      }
      const button = el("button", {
        type: "button", class: "nav-question", "data-id": q.id, text: String(q.number),
        onclick: () => navigate(q.id),
      });
      group.lastChild.append(button);
      status.set(q.id, { answered: false, flagged: false });
    }
    setStatus(data.status || []);
    setHighContrast(!!data.high_contrast);
    setSaveState("saved", S.saved); // nothing typed yet, nothing waiting
    if (window.examTools) examTools.init(data, { post, el, t, typeset }); // tools.js
  }

  function setStatus(list) {
    for (const item of list) {
      status.set(item.id, { answered: item.answered, flagged: item.flagged });
      const button = document.querySelector(`.nav-question[data-id="${CSS.escape(item.id)}"]`);
      if (!button) continue;
      const state = item.state || (item.answered ? "answered" : "unanswered");
      button.classList.toggle("answered", state === "answered");
      button.classList.toggle("state-dont-know", state === "dont_know");
      button.classList.toggle("state-invalid", state === "invalid");
      button.classList.toggle("flagged", item.flagged);
      const q = config.questions.find((x) => x.id === item.id);
      const said = { answered: S.legend_answered, unanswered: S.legend_unanswered,
        dont_know: S.legend_dont_know, invalid: S.legend_invalid }[state];
      button.setAttribute("aria-label", t("nav_label", { n: q ? q.number : "", state: said })
        + (item.flagged ? ", " + S.legend_flagged : ""));
      if (current && current.data.id === item.id) $("flag").setAttribute("aria-pressed", String(item.flagged));
    }
    updateFlagButton();
  }

  function updateFlagButton() {
    const flag = $("flag");
    const on = flag.getAttribute("aria-pressed") === "true";
    flag.textContent = on ? S.unflag : S.flag;
  }

  function markCurrent(id) {
    for (const button of document.querySelectorAll(".nav-question")) {
      const here = button.dataset.id === id;
      button.classList.toggle("current", here);
      if (here) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
    }
  }

  function navigate(target) {
    if (locked) return;
    post("navigate", { target });
  }

  // ------------------------------------------------------------------------------------------
  // Questions.

  let showing = 0; // the latest showQuestion call wins

  async function showQuestion(q) {
    const started = performance.now();
    const token = ++showing;
    const parts = await prepare(q);
    if (token !== showing) return;
    const inputs = [];
    current = { data: q, inputs, value: q.response.value };
    const article = el("article", { class: "question", "data-id": q.id, "data-kind": q.kind, "aria-labelledby": "q-title", tabindex: "-1", lang: q.lang || undefined });
    if (parts.intro) article.append(parts.intro);
    article.append(el("header", { class: "question-header" },
      el("p", { class: "question-position", text: q.position_text }),
      el("h1", { id: "q-title", text: q.title }),
      el("p", { class: "points", text: q.points_text })));
    article.append(parts.stem);
    const answer = el("div", { class: "answer" });
    BUILDERS[q.kind](q, answer, inputs, parts.options, parts);
    article.append(answer);

    if (config.allow_dont_know) {
      const box = el("input", { type: "checkbox", id: "dont-know", checked: !!q.response.dont_know,
        onchange: () => {
          if (box.checked) clearInputs();
          setDisabled(box.checked);
          post("dont_know", { question_id: q.id, dont_know: box.checked });
          saving();
        } });
      article.append(el("div", { class: "dont-know" }, el("label", { for: "dont-know" }, box, " " + S.dont_know)));
    }
    if (config.allow_rating) article.append(ratingWidget(q));

    $("page-indicator").textContent = q.page_text;
    $("flag").setAttribute("aria-pressed", String(!!q.response.flagged));
    updateFlagButton();
    $("previous").disabled = q.first || locked;
    $("next").disabled = q.last || locked;
    $("controls").hidden = false;
    markCurrent(q.id);
    $("view").replaceChildren(article);
    if (window.examTools) examTools.questionShown(q, article); // tools.js: passages, aids
    setDisabled(!!q.response.dont_know);
    const focus = inputs.find(canTakeFocus);
    if (q.focus) (focus || article).focus({ preventScroll: true });
    window.scrollTo(0, 0);
    if (window.examTools) examTools.afterFocus();
    post("shown", { view: "question", id: q.id, ms: performance.now() - started, math_errors: parts.errors });
  }

  // Disabled, hidden (the first item's "up" in an ordering) or not laid out: the focus would be lost.
  function canTakeFocus(node) {
    return !node.disabled && node.getClientRects().length > 0 && getComputedStyle(node).visibility === "visible";
  }

  function changed() {
    if (!current) return;
    const q = current.data;
    post("answer_changed", { question_id: q.id, value: VALUES[q.kind](q, current.inputs) });
    saving();
  }

  function saving() {
    const state = $("save-state");
    state.className = "saving";
    state.textContent = S.saving;
  }

  function clearInputs() {
    for (const input of current.inputs) {
      if (input.type === "radio" || input.type === "checkbox") input.checked = false;
      else if (input.tagName !== "BUTTON") input.value = "";
    }
    if (current.afterClear) current.afterClear();
  }

  function setDisabled(off) {
    if (!current) return;
    for (const input of current.inputs) input.disabled = off || locked;
    for (const button of document.querySelectorAll(".answer button")) button.disabled = off || locked;
  }

  function clearButton(q) {
    return el("button", { type: "button", class: "clear-selection", text: S.clear_selection,
      onclick: () => { clearInputs(); post("clear", { question_id: q.id }); saving(); } });
  }

  // bodies: the options' typeset nodes (prepared); plain text labels when there are none.
  function choiceList(q, answer, inputs, type, options, selected, bodies) {
    const list = el("div", { class: "options " + type, role: type === "radio" ? "radiogroup" : "group", "aria-labelledby": "q-title" });
    options.forEach((option, i) => {
      const id = `opt-${i}`;
      const input = el("input", { type, id, name: "answer", value: option.id, checked: selected(option.id), onchange: changed });
      inputs.push(input);
      const label = el("label", { class: "option", for: id }, input);
      const body = bodies && bodies[i] ? bodies[i] : el("span", { class: "option-body", text: option.text });
      const letter = String.fromCharCode(65 + i);
      // No "A" in front of an option that is itself just "A" (or "A)", "(A)").
      const named = body.textContent.trim().replace(/^\(|[).]$/g, "") === letter;
      if (option.letter !== false && !named) label.append(el("span", { class: "option-letter", text: letter }));
      label.append(body);
      list.append(label);
    });
    answer.append(list);
  }

  const BUILDERS = {
    single(q, answer, inputs, bodies) {
      answer.append(el("p", { class: "hint", text: S.pick_one }));
      choiceList(q, answer, inputs, "radio", q.options, (id) => q.response.value === id, bodies);
      answer.append(clearButton(q));
    },
    multiple(q, answer, inputs, bodies) {
      const picked = new Set(q.response.value || []);
      const hint = q.select_exactly ? t("select_exactly", { n: q.select_exactly }) : S.select_all;
      answer.append(el("p", { class: "hint", text: hint }));
      choiceList(q, answer, inputs, "checkbox", q.options, (id) => picked.has(id), bodies);
      const counter = el("p", { class: "counter", "aria-live": "polite" });
      const count = () => {
        const n = inputs.filter((x) => x.checked).length;
        counter.textContent = q.select_exactly
          ? t("selected_of", { n, total: q.select_exactly }) : t("selected", { n });
        counter.classList.toggle("over", !!q.select_exactly && n > q.select_exactly);
      };
      for (const input of inputs) input.addEventListener("change", count);
      current.afterClear = count;
      count();
      answer.append(counter);
    },
    truefalse(q, answer, inputs) {
      answer.append(el("p", { class: "hint", text: S.pick_one }));
      const options = [{ id: "true", text: S.true_label, letter: false }, { id: "false", text: S.false_label, letter: false }];
      const value = q.response.value;
      choiceList(q, answer, inputs, "radio", options, (id) => value !== null && value !== undefined && String(value) === id, null);
      answer.append(clearButton(q));
    },
    numeric(q, answer, inputs) {
      const input = el("input", { type: "text", id: "numeric", class: "numeric", inputmode: "decimal",
        autocomplete: "off", spellcheck: "false", value: q.response.value || "",
        "aria-describedby": "number-feedback", oninput: changed });
      inputs.push(input);
      answer.append(el("div", { class: "numeric-row" },
        el("label", { for: "numeric", class: "field-label", text: S.your_answer }), input,
        q.unit ? el("span", { class: "unit", text: q.unit }) : null));
      const feedback = q.number_feedback || { ok: true, message: "" };
      answer.append(el("p", { id: "number-feedback", class: "number-feedback " + (feedback.ok ? "ok" : "bad"),
        "aria-live": "polite", text: feedback.message }));
      if (!feedback.ok && feedback.message) input.setAttribute("aria-invalid", "true");
    },
    matrix(q, answer, inputs) {
      const value = q.response.value || [];
      const table = el("table", { class: "matrix-grid", role: "grid", "aria-labelledby": "q-title" });
      for (let r = 0; r < q.rows; r++) {
        const row = el("tr");
        for (let c = 0; c < q.cols; c++) {
          const input = el("input", { type: "text", class: "cell", inputmode: "decimal", autocomplete: "off",
            spellcheck: "false", "data-row": String(r), "data-col": String(c),
            "aria-label": t("cell_label", { row: r + 1, col: c + 1 }),
            value: (value[r] && value[r][c]) || "", oninput: changed });
          input.addEventListener("keydown", (event) => matrixKey(event, q, inputs, r, c));
          inputs.push(input);
          row.append(el("td", {}, input));
        }
        table.append(row);
      }
      answer.append(el("p", { class: "hint", text: S.matrix_hint }), table);
    },
    template(q, answer, inputs) {
      const value = q.response.value || {};
      const pre = el("pre", { class: q.monospace ? "template monospace" : "template" });
      let blankIndex = 0;
      for (const part of q.template) {
        if (part.text !== undefined) { pre.append(document.createTextNode(part.text)); continue; }
        blankIndex += 1;
        const input = part.options ? menuBlank(part, value[part.blank] || "", blankIndex) :
          el("input", { type: "text", class: "blank", autocomplete: "off", spellcheck: "false",
          "data-blank": part.blank, size: String(Math.max(4, part.width, (value[part.blank] || "").length + 1)),
          "aria-label": t("blank_label", { n: blankIndex, name: part.blank }),
          value: value[part.blank] || "", oninput: (event) => { // a blank grows to show what is typed
            event.target.size = Math.max(4, part.width, event.target.value.length + 1);
            changed(event);
          } });
        inputs.push(input);
        pre.append(input);
      }
      answer.append(el("p", { class: "hint", text: S.template_hint }), pre);
    },
    short(q, answer, inputs) {
      const input = el("input", { type: "text", id: "short", class: "short", autocomplete: "off",
        value: q.response.value || "", oninput: changed });
      inputs.push(input);
      answer.append(el("label", { for: "short", class: "field-label", text: S.your_answer }), input);
    },
    essay(q, answer, inputs) {
      const area = el("textarea", { id: "essay", class: "essay", rows: "12", "aria-describedby": "word-count",
        value: q.response.value || "" });
      const counter = el("p", { id: "word-count", class: "word-count", "aria-live": "polite" });
      const count = () => {
        const n = (area.value.match(/\S+/g) || []).length;
        const parts = [t("words", { n })];
        if (q.min_words) parts.push(t("min_words", { n: q.min_words }));
        if (q.max_words) parts.push(t("max_words", { n: q.max_words }));
        counter.textContent = parts.join(" · ");
        counter.classList.toggle("over", !!q.max_words && n > q.max_words);
        counter.classList.toggle("under", !!q.min_words && n > 0 && n < q.min_words);
      };
      area.addEventListener("input", () => { count(); changed(); });
      current.afterClear = count;
      inputs.push(area);
      count();
      answer.append(el("label", { for: "essay", class: "field-label", text: S.your_answer }), area, counter);
    },
  };

  const letterOf = (i) => String.fromCharCode(65 + i);

  Object.assign(BUILDERS, {
    matching(q, answer, inputs, bodies, parts) {
      answer.append(el("p", { class: "hint", text: S.matching_hint }));
      const legend = el("ol", { class: "match-options", "aria-label": S.answers_list });
      parts.matchOptions.forEach((body, j) => legend.append(el("li", {},
        el("span", { class: "option-letter", text: letterOf(j) }), body)));
      const table = el("table", { class: "matching" });
      const value = q.response.value || [];
      parts.prompts.forEach((body, i) => {
        const select = el("select", { id: `match-${i}`, "data-prompt": String(i), "aria-labelledby": `prompt-${i}`, onchange: changed });
        select.append(el("option", { value: "", text: S.choose }));
        q.match_options_text.forEach((text, j) => select.append(el("option", { value: String(j), text: `${letterOf(j)} — ${text}` })));
        if (value[i] !== null && value[i] !== undefined) select.value = String(value[i]);
        inputs.push(select);
        table.append(el("tr", {}, el("td", { id: `prompt-${i}`, class: "prompt" }, body), el("td", {}, select)));
      });
      answer.append(table, el("p", { class: "hint", text: S.answers_list }), legend);
    },
    ordering(q, answer, inputs, bodies, parts) {
      answer.append(el("p", { class: "hint", text: S.ordering_hint }));
      const list = el("ol", { class: "ordering" });
      const saved = Array.isArray(q.response.value) ? q.response.value : null;
      const rows = new Map();
      q.items.forEach((text, i) => {
        const up = el("button", { type: "button", class: "move", "aria-label": t("move_up", { item: text }), text: "↑",
          onclick: () => move(row, -1, up) });
        const down = el("button", { type: "button", class: "move", "aria-label": t("move_down", { item: text }), text: "↓",
          onclick: () => move(row, 1, down) });
        const row = el("li", { "data-item": text }, parts.items[i], el("span", { class: "move-buttons" }, up, down));
        rows.set(text, row);
        inputs.push(up, down);
      });
      const place = (order) => list.replaceChildren(...order.map((text) => rows.get(text)));
      place(saved || q.items);
      const move = (row, step, button) => {
        const sibling = step < 0 ? row.previousElementSibling : row.nextElementSibling;
        if (!sibling) return;
        if (step < 0) list.insertBefore(row, sibling); else list.insertBefore(sibling, row);
        // At the top (or bottom) this button is hidden by the style sheet: keep focus on its twin.
        const atEnd = step < 0 ? !row.previousElementSibling : !row.nextElementSibling;
        const [upButton, downButton] = button.parentElement.children;
        (atEnd ? (step < 0 ? downButton : upButton) : button).focus();
        changed();
      };
      current.afterClear = () => place(q.items);
      answer.append(list, el("button", { type: "button", class: "keep-order", text: S.keep_order, onclick: changed }));
    },
  });

  // ------------------------------------------------------------------------------------------
  // Menu blanks (a dropdown inside a template) and drag-words (words placed into gaps).

  function menuBlank(part, chosen, n) {
    const select = el("select", { class: "blank menu", "data-blank": part.blank,
      "aria-label": t("blank_label", { n, name: part.blank }), onchange: changed });
    select.append(el("option", { value: "", text: S.choose }));
    for (const option of part.options) select.append(el("option", { value: option, text: option }));
    select.value = part.options.includes(chosen) ? chosen : "";
    return select;
  }

  // Pointer: drag a word onto a gap (or a placed word onto another gap). Keyboard: Enter or Space
  // on a word picks it up, then on a gap places it; on a filled gap with nothing picked it takes
  // the word back; Delete or Backspace empties a gap.
  function dragWords(q, answer, inputs, parts) {
    const saved = Array.isArray(q.response.value) ? q.response.value : [];
    const placed = Array.from({ length: q.gaps }, (_, i) => saved[i] || null);
    let picked = null; // a word picked up with the keyboard or a click
    const pool = el("div", { class: "word-pool", role: "group", "aria-label": S.dragwords_pool });
    const status = el("p", { class: "sr-only", "aria-live": "polite" });
    const text = parts.dragText.cloneNode(true); // the prepared node is kept for the next visit
    const gaps = [...text.querySelectorAll("span.gap")].map((span, i) => {
      const gap = el("button", { type: "button", class: "gap", "data-gap": String(i), draggable: "true" });
      span.replaceWith(gap);
      gap.addEventListener("click", () => gapPressed(i));
      gap.addEventListener("keydown", (event) => {
        if (event.key === "Delete" || event.key === "Backspace") { event.preventDefault(); place(i, null); }
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); gapPressed(i); }
      });
      gap.addEventListener("dragstart", (event) => {
        if (!placed[i]) { event.preventDefault(); return; }
        event.dataTransfer.setData("text/plain", JSON.stringify({ word: placed[i], from: i }));
      });
      gap.addEventListener("dragover", (event) => event.preventDefault());
      gap.addEventListener("drop", (event) => {
        event.preventDefault();
        const moved = JSON.parse(event.dataTransfer.getData("text/plain") || "{}");
        if (moved.from !== undefined) placed[moved.from] = null;
        if (moved.word) place(i, moved.word);
      });
      inputs.push(gap);
      return gap;
    });
    pool.addEventListener("dragover", (event) => event.preventDefault());
    pool.addEventListener("drop", (event) => {  // a placed word dragged back to the pool
      event.preventDefault();
      const moved = JSON.parse(event.dataTransfer.getData("text/plain") || "{}");
      if (moved.from !== undefined) place(moved.from, null);
    });
    const remaining = () => {
      const left = [...q.words];
      for (const word of placed) if (word !== null) left.splice(left.indexOf(word), 1);
      return left;
    };
    const gapPressed = (i) => {
      if (picked !== null) { place(i, picked); picked = null; render(); gaps[i].focus(); return; }
      if (placed[i]) { picked = placed[i]; placed[i] = null; changed(); render(); }
    };
    const place = (i, word) => {
      placed[i] = word;
      status.textContent = word ? t("dragwords_placed", { word, n: i + 1 }) : t("dragwords_emptied", { n: i + 1 });
      render();
      changed();
    };
    const render = () => {
      gaps.forEach((gap, i) => {
        gap.dataset.word = placed[i] || "";
        gap.textContent = placed[i] || "\u2003\u2003\u2003";
        gap.classList.toggle("filled", !!placed[i]);
        gap.classList.toggle("waiting", picked !== null);
        gap.setAttribute("aria-label", placed[i] ? t("dragwords_gap", { n: i + 1, word: placed[i] }) : t("dragwords_gap_empty", { n: i + 1 }));
      });
      const left = remaining();
      if (picked !== null) left.splice(left.indexOf(picked), 1);
      const focusedWord = document.activeElement && document.activeElement.classList.contains("word") ? document.activeElement.dataset.index : null;
      const pick = (word) => {
        picked = word;
        status.textContent = t("dragwords_picked", { word });
        render();
        (gaps.find((g) => !g.dataset.word) || gaps[0]).focus();
      };
      const words = left.map((word, k) => {
        const chip = el("button", { type: "button", class: "word", draggable: "true", "data-index": String(k), text: word,
          "aria-pressed": "false", onclick: () => pick(word) });
        // A draggable button is not pressed by Enter or Space in Chromium: do it here.
        chip.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(word); }
        });
        chip.addEventListener("dragstart", (event) => event.dataTransfer.setData("text/plain", JSON.stringify({ word })));
        return chip;
      });
      if (picked !== null) words.unshift(el("button", { type: "button", class: "word picked", "aria-pressed": "true", text: picked,
        onclick: () => { picked = null; render(); } }));
      pool.replaceChildren(...words);
      if (focusedWord !== null && words[Number(focusedWord)]) words[Number(focusedWord)].focus();
    };
    current.afterClear = () => { placed.fill(null); picked = null; render(); };
    render();
    answer.append(el("p", { class: "hint", text: S.dragwords_hint }), text, el("p", { class: "hint", text: S.dragwords_pool }), pool, status);
  }

  BUILDERS.dragwords = (q, answer, inputs, bodies, parts) => dragWords(q, answer, inputs, parts);

  const VALUES = {
    dragwords: () => [...document.querySelectorAll(".dragwords-text button.gap")].map((gap) => gap.dataset.word || null),
    matching: (q, inputs) => inputs.map((x) => (x.value === "" ? null : Number(x.value))),
    ordering: () => [...document.querySelectorAll("ol.ordering > li")].map((li) => li.dataset.item),
    single: (q, inputs) => { const on = inputs.find((x) => x.checked); return on ? on.value : null; },
    multiple: (q, inputs) => inputs.filter((x) => x.checked).map((x) => x.value),
    truefalse: (q, inputs) => { const on = inputs.find((x) => x.checked); return on ? on.value === "true" : null; },
    numeric: (q, inputs) => inputs[0].value,
    matrix: (q, inputs) => {
      const rows = [];
      for (let r = 0; r < q.rows; r++) rows.push(inputs.slice(r * q.cols, (r + 1) * q.cols).map((x) => x.value));
      return rows;
    },
    template: (q, inputs) => Object.fromEntries(inputs.map((x) => [x.dataset.blank, x.value])),
    short: (q, inputs) => inputs[0].value,
    essay: (q, inputs) => inputs[0].value,
  };

  function matrixKey(event, q, inputs, r, c) {
    const input = event.target;
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length;
    let to = null;
    if (event.key === "ArrowUp" && r > 0) to = [r - 1, c];
    else if ((event.key === "ArrowDown" || event.key === "Enter") && r < q.rows - 1) to = [r + 1, c];
    else if (event.key === "ArrowLeft" && atStart && c > 0) to = [r, c - 1];
    else if (event.key === "ArrowRight" && atEnd && c < q.cols - 1) to = [r, c + 1];
    if (!to) return;
    event.preventDefault();
    const next = inputs[to[0] * q.cols + to[1]];
    next.focus();
    next.select();
  }

  function ratingWidget(q) {
    const group = el("div", { class: "rating", role: "radiogroup", "aria-labelledby": "rating-label" },
      el("span", { id: "rating-label", class: "rating-label", text: S.rating_question }));
    for (let n = 1; n <= 5; n++) {
      const input = el("input", { type: "radio", name: "rating", id: `rating-${n}`, value: String(n),
        checked: q.response.rating === n,
        onchange: () => post("rating", { question_id: q.id, rating: n }) });
      group.append(el("label", { for: `rating-${n}`, class: "star", title: t("rating_n", { n }) }, input,
        el("span", { "aria-hidden": "true", text: "★" }), el("span", { class: "sr-only", text: t("rating_n", { n }) })));
    }
    return group;
  }

  // Why a matrix, a multiple choice or a template answer cannot count as it is ("" when it can).
  function answerFeedback(id, message) {
    if (!current || current.data.id !== id) return;
    let line = $("answer-feedback");
    if (!line) {
      const answer = document.querySelector("#view .answer");
      if (!answer) return;
      line = el("p", { id: "answer-feedback", class: "number-feedback bad", role: "status", "aria-live": "polite" });
      answer.append(line);
    }
    line.textContent = message || "";
    line.hidden = !message;
  }

  function numberFeedback(id, feedback) {
    if (!current || current.data.id !== id) return;
    const line = $("number-feedback");
    if (!line) return;
    line.textContent = feedback.message || "";
    line.className = "number-feedback " + (feedback.ok ? "ok" : "bad");
    $("numeric").setAttribute("aria-invalid", String(!feedback.ok && !!feedback.message));
  }

  // ------------------------------------------------------------------------------------------
  // Review, submit, results.

  function showReview(data) {
    current = null;
    markCurrent(null);
    $("page-indicator").textContent = "";
    $("controls").hidden = true;
    const box = el("section", { class: "review", "aria-labelledby": "review-title" },
      el("h1", { id: "review-title", text: data.title }),
      el("p", { text: data.summary }));
    for (const [heading, items, empty] of [[S.unanswered, data.unanswered, S.none_unanswered],
                                            [S.invalid_list, data.invalid || [], S.none_invalid],
                                            [S.dont_know_list, data.dont_know || [], S.none_dont_know],
                                            [S.flagged, data.flagged, S.none_flagged]]) {
      box.append(el("h2", { text: heading }));
      if (!items.length) { box.append(el("p", { class: "quiet", text: empty })); continue; }
      const list = el("ul", { class: "review-list" });
      for (const item of items) {
        list.append(el("li", {}, el("button", { type: "button", class: "link", text: item.label,
          onclick: () => navigate(item.id) })));
      }
      box.append(list);
    }
    const back = el("button", { type: "button", text: S.back_to_questions, onclick: () => navigate("current") });
    const submit = el("button", { type: "button", id: "submit", class: "primary", text: data.submit_label,
      onclick: () => confirmSubmit(data) });
    box.append(el("div", { class: "review-buttons" }, back, submit));
    return replaceView(box, "review", null, submit);
  }

  function confirmSubmit(data) {
    if (locked) return;
    const dialog = $("confirm");
    $("confirm-text").textContent = data.confirm_text;
    $("confirm-ok").textContent = data.submit_label;
    const opener = document.activeElement;
    dialog.hidden = false;
    const release = window.examTools ? examTools.trapFocus(dialog) : () => {}; // nothing behind it reachable
    $("confirm-cancel").focus();
    const close = () => { release(); dialog.hidden = true; $("confirm-ok").onclick = null; if (opener) opener.focus(); };
    $("confirm-cancel").onclick = close;
    dialog.onkeydown = (event) => { if (event.key === "Escape") close(); };
    $("confirm-ok").onclick = () => { release(); dialog.hidden = true; post("submit_request", {}); };
  }

  function showMessage(title, text) {
    current = null;
    $("controls").hidden = true;
    $("page-indicator").textContent = "";
    const box = el("section", { class: "message", "aria-labelledby": "message-title" },
      el("h1", { id: "message-title", text: title }), el("p", { text: text }));
    return replaceView(box, "message", null, box);
  }

  // The look of answers against their key (practice results only): loaded when first needed, so
  // that the exam itself starts without it.
  let answerStyles = null;
  function loadAnswerStyles() {
    if (!answerStyles) {
      answerStyles = new Promise((resolve) => {
        const link = el("link", { rel: "stylesheet", href: "exam://app/answers.css" });
        link.onload = link.onerror = resolve;
        document.head.append(link);
      });
    }
    return answerStyles;
  }

  async function showResults(data) {
    await loadAnswerStyles();
    current = null;
    $("controls").hidden = true;
    $("page-indicator").textContent = "";
    const box = el("section", { class: "results", "aria-labelledby": "results-title" },
      el("h1", { id: "results-title", text: data.title }),
      el("p", { class: "score", text: data.score_text }));
    if (data.domains.length) {
      const table = el("table", { class: "domains" },
        el("tr", {}, el("th", { text: S.domain }), el("th", { text: S.score })));
      for (const d of data.domains) table.append(el("tr", {}, el("td", { text: d.tag }), el("td", { text: d.text })));
      box.append(el("h2", { text: S.domain_scores }), table);
    }
    for (const q of data.questions) {
      const item = el("article", { class: "result " + q.outcome },
        el("h2", { text: q.heading }),
        el("p", { class: "points", text: q.points_text }),
        el("div", { class: "stem", html: q.html_stem }),
        el("h3", { text: S.what_you_selected }),
        el("div", { class: "selected", html: q.selected_html }),
        el("h3", { text: S.correct_answer }),
        el("div", { class: "correct", html: q.correct_html }));
      if (q.explanation_html) item.append(el("h3", { text: S.explanation }), el("div", { class: "explanation", html: q.explanation_html }));
      box.append(item);
    }
    return replaceView(box, "results", null, box);
  }

  // ------------------------------------------------------------------------------------------
  // Timer, saving, notices, lock, theme, zoom, keys.

  // Two animation frames after now, the current content has been drawn (for screenshots).
  function whenPainted(token) {
    requestAnimationFrame(() => requestAnimationFrame(() => post("painted", { token })));
  }

  function contentHeight() {
    return Math.ceil($("layout").getBoundingClientRect().bottom + window.scrollY);
  }

  function setTimer(text, level) {
    const timer = $("timer");
    timer.textContent = text;
    timer.className = level;
  }

  function setSaveState(state, text) {
    const line = $("save-state");
    line.className = state;
    line.textContent = text;
  }

  function showBanner(text) {
    const banner = $("banner");
    banner.hidden = !text;
    banner.textContent = text || "";
  }

  let noticeTimer = null;
  function showNotice(text) {
    const notice = $("notice");
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.hidden = true; }, 10000);
  }

  function setLocked(on, text) {
    locked = on;
    $("lock-overlay").hidden = !on;
    $("lock-text").textContent = text || "";
    for (const button of document.querySelectorAll("button")) button.disabled = on && !button.closest("#topbar");
    if (!on && current) {
      $("previous").disabled = current.data.first;
      $("next").disabled = current.data.last;
    }
    if (current) setDisabled(!!(document.getElementById("dont-know") || {}).checked);
  }

  // The seat around the exam: the candidate's name and ID and their own end time in the header,
  // the instructions to reopen at any time, the candidate's rest breaks (the clock stops during one).
  let seat = {};
  function setSeat(data) {
    seat = Object.assign(seat, data);
    const bar = $("topbar");
    const slot = (id, before) => $(id) || bar.insertBefore(el("div", { id }), $(before));
    slot("candidate", "page-indicator").textContent = seat.candidate || "";
    slot("ends-at", "timer").textContent = seat.ends_at || "";
    if (!$("instructions-open")) {
      bar.insertBefore(el("button", { type: "button", id: "instructions-open", text: S.instructions,
        onclick: openInstructions }), $("contrast-toggle"));
    }
    let pause = $("break-start");
    if (!pause && seat.breaks_left > 0) {
      pause = el("button", { type: "button", id: "break-start", onclick: () => { if (!locked) post("break", { on: true }); } });
      bar.insertBefore(pause, $("contrast-toggle"));
    }
    if (pause) {
      pause.hidden = !(seat.breaks_left > 0);
      pause.textContent = S.take_break + " (" + seat.breaks_left + ")";
      pause.title = t("breaks_left", { n: seat.breaks_left });
    }
  }

  function openInstructions() {
    let dialog = $("instructions-dialog");
    if (!dialog) {
      dialog = el("div", { id: "instructions-dialog", role: "dialog", "aria-modal": "true",
        "aria-labelledby": "instructions-title" });
      document.body.append(dialog);
    }
    const opener = document.activeElement;
    const close = el("button", { type: "button", id: "instructions-close", class: "primary",
      text: S.close_instructions, onclick: () => { dialog.hidden = true; if (opener) opener.focus(); } });
    dialog.replaceChildren(el("div", { class: "dialog-box instructions-box" },
      el("h1", { id: "instructions-title", text: S.instructions }),
      el("div", { class: "instructions-text", tabindex: "0", html: seat.instructions_html || "" }),
      el("div", { class: "dialog-buttons" }, close)));
    dialog.onkeydown = (event) => { if (event.key === "Escape") close.click(); };
    dialog.hidden = false;
    close.focus();
    typeset(dialog);
  }

  // An opaque screen over the question during a pause, a break or a lock; a break has its end button.
  function setCover(on, text, endBreakLabel) {
    setLocked(on, text);
    document.body.classList.toggle("covered", on);
    let end = $("break-end");
    if (endBreakLabel && on) {
      if (!end) { end = el("button", { type: "button", id: "break-end", class: "primary" }); $("lock-overlay").append(end); }
      end.textContent = endBreakLabel;
      end.disabled = false;
      end.onclick = () => post("break", { on: false });
      end.focus();
    } else if (end) {
      end.remove();
    }
  }

  // A proctored session: question text cannot be copied or cut; the candidate's own fields can.
  const EDITABLE = 'textarea, [contenteditable="true"], '
    + "input:not([type=radio]):not([type=checkbox]):not([type=button]):not([type=submit])";
  function guardCopying() {
    if (document.body.classList.contains("copy-guard")) return;
    document.body.classList.add("copy-guard");
    const guard = (event) => {
      const active = document.activeElement;
      if (!(active && active.matches && active.matches(EDITABLE))) event.preventDefault();
    };
    document.addEventListener("copy", guard, true);
    document.addEventListener("cut", guard, true);
  }

  // The exam room: the candidate can raise a hand; announcements stay listed under the top bar.
  function setRoom(on) {
    const hand = $("hand");
    hand.hidden = !on;
    hand.textContent = S.raise_hand;
    hand.onclick = () => {
      if (hand.getAttribute("aria-pressed") === "true") return;
      setHand(true);
      post("raise_hand", {});
    };
  }

  function setHand(raised) {
    const hand = $("hand");
    hand.setAttribute("aria-pressed", String(raised));
    hand.textContent = raised ? S.hand_raised : S.raise_hand;
  }

  function showAnnouncement(at, text) {
    const list = $("announcements");
    list.hidden = false;
    list.prepend(el("p", {}, el("span", { class: "at", text: at }), el("span", { text: `${S.announcement}: ${text}` })));
  }

  function setHighContrast(on) {
    document.body.classList.toggle("contrast", on);
    $("contrast-toggle").setAttribute("aria-pressed", String(on));
  }

  function onKey(event) {
    if (event.ctrlKey && !event.altKey) {
      const step = { "+": 1, "=": 1, "-": -1, "_": -1, "0": 0 }[event.key];
      if (step !== undefined) { event.preventDefault(); post("zoom", { step }); }
      return;
    }
    if (event.altKey && !event.ctrlKey && current && !locked) {
      const key = event.key.toLowerCase();
      const action = { n: "next", p: "previous", r: "review" }[key];
      if (action) { event.preventDefault(); navigate(action); }
      else if (key === "f") { event.preventDefault(); $("flag").click(); }
    }
  }

  function start() {
    $("previous").onclick = () => navigate("previous");
    $("next").onclick = () => navigate("next");
    $("review").onclick = () => navigate("review");
    $("flag").onclick = () => {
      if (!current || locked) return;
      const on = $("flag").getAttribute("aria-pressed") !== "true";
      $("flag").setAttribute("aria-pressed", String(on));
      updateFlagButton();
      post("flag", { question_id: current.data.id, flagged: on });
    };
    $("contrast-toggle").onclick = () => {
      const on = !document.body.classList.contains("contrast");
      setHighContrast(on);
      post("theme", { high_contrast: on });
      if (window.examTools) examTools.contrastToggled(on);
    };
    document.addEventListener("keydown", onKey);
    window.addEventListener("error", (event) => post("page_error", { message: String(event.message) }));
    window.addEventListener("unhandledrejection", (event) => post("page_error", { message: String(event.reason) }));
    document.addEventListener("contextmenu", (event) => event.preventDefault());
    document.addEventListener("dragstart", (event) => event.preventDefault());
    // "ready" as soon as the channel is up: the first question is built while MathJax is still
    // loading, and typeset the moment it is ready.
    new QWebChannel(qt.webChannelTransport, (ch) => {
      bridge = ch.objects.bridge;
      post("ready", {});
    });
  }

  document.addEventListener("DOMContentLoaded", start);

  return {
    post, el, // kiosk.js speaks through the same channel and builds with the same helper
    init, setStatus, showQuestion, prefetch, showReview, showResults, showMessage, numberFeedback,
    setTimer, setSaveState, showBanner, showNotice, setLocked, setHighContrast, whenPainted, contentHeight,
    guardCopying, setRoom, setHand, showAnnouncement, setSeat, openInstructions, setCover, answerFeedback,
  };
})();
