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

  function t(key, vars) {
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
  // Typesetting: only the new node, errors shown in the page.

  async function typeset(node) {
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

  async function replaceView(node, kind, id, focusTarget) {
    const view = $("view");
    const started = performance.now();
    if (window.MathJax && MathJax.typesetClear) MathJax.typesetClear([view]);
    node.classList.add("pending");
    view.replaceChildren(node);
    const errors = await typeset(node);
    node.classList.remove("pending");
    const images = [...node.querySelectorAll("img")].map((img) =>
      img.complete ? Promise.resolve() : new Promise((r) => { img.onload = img.onerror = r; }));
    await Promise.all(images);
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
  }

  function setStatus(list) {
    for (const item of list) {
      status.set(item.id, { answered: item.answered, flagged: item.flagged });
      const button = document.querySelector(`.nav-question[data-id="${CSS.escape(item.id)}"]`);
      if (!button) continue;
      button.classList.toggle("answered", item.answered);
      button.classList.toggle("flagged", item.flagged);
      const q = config.questions.find((x) => x.id === item.id);
      button.setAttribute("aria-label", t("nav_label", {
        n: q ? q.number : "", state: item.answered ? S.legend_answered : S.legend_unanswered,
      }) + (item.flagged ? ", " + S.legend_flagged : ""));
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

  function showQuestion(q) {
    const inputs = [];
    current = { data: q, inputs, value: q.response.value };
    const article = el("article", { class: "question", "data-id": q.id, "data-kind": q.kind, "aria-labelledby": "q-title" });
    if (q.section_intro_html) article.append(el("div", { class: "section-intro", html: q.section_intro_html }));
    article.append(el("header", { class: "question-header" },
      el("p", { class: "question-position", text: q.position_text }),
      el("h1", { id: "q-title", text: q.title }),
      el("p", { class: "points", text: q.points_text })));
    article.append(el("div", { class: "stem", html: q.html_stem }));
    const answer = el("div", { class: "answer" });
    const builder = BUILDERS[q.kind];
    builder(q, answer, inputs);
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
    $("previous").disabled = q.first;
    $("next").disabled = q.last;
    $("controls").hidden = false;
    markCurrent(q.id);
    setDisabled(!!q.response.dont_know);
    const focus = inputs.find((x) => !x.disabled) || article;
    if (focus === article) article.tabIndex = -1;
    return replaceView(article, "question", q.id, q.focus ? focus : null);
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
      else input.value = "";
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

  function choiceList(q, answer, inputs, type, options, selected) {
    const list = el("div", { class: "options " + type, role: type === "radio" ? "radiogroup" : "group", "aria-labelledby": "q-title" });
    options.forEach((option, i) => {
      const id = `opt-${i}`;
      const input = el("input", { type, id, name: "answer", value: option.id, checked: selected(option.id), onchange: changed });
      inputs.push(input);
      list.append(el("label", { class: "option", for: id }, input,
        el("span", { class: "option-letter", text: String.fromCharCode(65 + i) }),
        el("span", { class: "option-body", html: option.html })));
    });
    answer.append(list);
  }

  const BUILDERS = {
    single(q, answer, inputs) {
      answer.append(el("p", { class: "hint", text: S.pick_one }));
      choiceList(q, answer, inputs, "radio", q.options, (id) => q.response.value === id);
      answer.append(clearButton(q));
    },
    multiple(q, answer, inputs) {
      const picked = new Set(q.response.value || []);
      const hint = q.select_exactly ? t("select_exactly", { n: q.select_exactly }) : S.select_all;
      answer.append(el("p", { class: "hint", text: hint }));
      choiceList(q, answer, inputs, "checkbox", q.options, (id) => picked.has(id));
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
      const options = [{ id: "true", html: "" }, { id: "false", html: "" }];
      const value = q.response.value;
      choiceList(q, answer, inputs, "radio", options, (id) => value !== null && value !== undefined && String(value) === id);
      const bodies = answer.querySelectorAll(".option-body");
      bodies[0].textContent = S.true_label;
      bodies[1].textContent = S.false_label;
      for (const letter of answer.querySelectorAll(".option-letter")) letter.remove();
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
      answer.append(el("p", { id: "number-feedback", class: "number-feedback", "aria-live": "polite" }));
      if (q.number_feedback) numberFeedback(q.id, q.number_feedback);
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
        const input = el("input", { type: "text", class: "blank", autocomplete: "off", spellcheck: "false",
          "data-blank": part.blank, size: String(Math.max(4, part.width)),
          "aria-label": t("blank_label", { n: blankIndex, name: part.blank }),
          value: value[part.blank] || "", oninput: changed });
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

  const VALUES = {
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
    $("confirm-cancel").focus();
    const close = () => { dialog.hidden = true; $("confirm-ok").onclick = null; if (opener) opener.focus(); };
    $("confirm-cancel").onclick = close;
    dialog.onkeydown = (event) => { if (event.key === "Escape") close(); };
    $("confirm-ok").onclick = () => { dialog.hidden = true; post("submit_request", {}); };
  }

  function showMessage(title, text) {
    current = null;
    $("controls").hidden = true;
    $("page-indicator").textContent = "";
    const box = el("section", { class: "message", "aria-labelledby": "message-title" },
      el("h1", { id: "message-title", text: title }), el("p", { text: text }));
    return replaceView(box, "message", null, box);
  }

  function showResults(data) {
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
    $("contrast-toggle").onclick = () => setHighContrast(!document.body.classList.contains("contrast"));
    document.addEventListener("keydown", onKey);
    window.addEventListener("error", (event) => post("page_error", { message: String(event.message) }));
    window.addEventListener("unhandledrejection", (event) => post("page_error", { message: String(event.reason) }));
    document.addEventListener("contextmenu", (event) => event.preventDefault());
    document.addEventListener("dragstart", (event) => event.preventDefault());
    const channel = new Promise((resolve) => new QWebChannel(qt.webChannelTransport, resolve));
    Promise.all([channel, window.mathjaxReady]).then(([ch]) => {
      bridge = ch.objects.bridge;
      post("ready", {});
    });
  }

  document.addEventListener("DOMContentLoaded", start);

  return {
    init, setStatus, showQuestion, showReview, showResults, showMessage, numberFeedback,
    setTimer, setSaveState, showBanner, showNotice, setLocked, setHighContrast, whenPainted, contentHeight,
  };
})();
