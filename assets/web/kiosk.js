// The screens around the exam on a seat (identification, start code, instructions, the office-key
// override, time up, receipt, messages), drawn over the exam page in its own style. Python
// (gui/kiosk.py) decides what each screen says, in the exam's language, and calls
// kiosk.show(screen); the page sends back what was typed and which button was pressed
// ("kiosk_action") and says when a screen is on view ("kiosk_shown"). Screen "exam" uncovers the exam.
"use strict";

window.kiosk = (() => {
  const $ = (id) => document.getElementById(id);
  let shown = null; // the screen on view: its data and its fields by id

  function post(type, data) {
    if (window.exam && exam.post) exam.post(type, data);
  }

  const el = (...args) => exam.el(...args); // the page's one element builder (shell.js)

  // Several paragraphs from one text: "\n\n" separates them.
  function paragraphs(text, attrs) {
    return (text || "").split("\n\n").filter(Boolean).map((p) => el("p", attrs || {}, p));
  }

  function values() {
    const typed = {};
    for (const [id, input] of Object.entries(shown ? shown.inputs : {})) typed[id] = input.value;
    return typed;
  }

  function act(action) {
    const pressed = $("kiosk-" + action);
    if (!shown || !pressed || pressed.disabled) return; // Enter in a field presses the screen's submit button
    post("kiosk_action", { screen: shown.data.screen, action, values: values() });
  }

  function field(f, described) {
    const id = "field-" + f.id;
    const input = el("input", {
      id, type: f.secret ? "password" : "text", autocomplete: "off", spellcheck: "false",
      placeholder: f.placeholder, "aria-required": f.required ? "true" : null,
      "aria-describedby": described, "aria-label": f.name, // the field's name, never its mask
    });
    input.value = f.value || "";
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); act(shown.data.submit); }
    });
    const label = el("label", { for: id }, f.label, f.optional ? el("span", { class: "optional", text: " " + f.optional }) : null);
    return [el("div", { class: "kiosk-field" }, label, input), input];
  }

  function button(b) {
    const node = el("button", { type: "button", id: "kiosk-" + b.id, class: b.primary ? "primary" : null, text: b.label });
    node.addEventListener("click", () => act(b.id));
    if (b.focusable === false) { // a key still being typed cannot press it; a click can
      node.tabIndex = -1;
      node.addEventListener("mousedown", (event) => event.preventDefault());
    }
    return node;
  }

  // Over the page, nothing behind the screen is reachable; uncovered, what was inert before (a
  // dialog of the exam's keeping the focus) stays so.
  let madeInert = [];
  function cover(layer, on) {
    if (on && !madeInert.length) {
      madeInert = [...document.body.children].filter((node) => node !== layer && !node.inert);
      for (const node of madeInert) node.inert = true;
    } else if (!on) {
      for (const node of madeInert) node.inert = false;
      madeInert = [];
    }
  }

  // data: {screen, seq, language, theme, title, warning, text, html (sanitised), html_label, fields: [{id,
  //        label, optional, required, secret, placeholder, description, value}], code, after, error,
  //        status (what is being done: "Checking the start code…"), note, buttons: [{id, label, primary, disabled, focusable}], submit (the button Enter
  //        presses), disabled (a wait: fields and the submit button), focus (a field id or "html"),
  //        select}
  function show(data) {
    const layer = $("kiosk");
    cover(layer, data.screen !== "exam");
    if (data.screen === "exam") {
      layer.hidden = true;
      layer.replaceChildren();
      shown = null;
      document.body.classList.remove("kiosk-on");
      post("kiosk_shown", { screen: "exam", seq: data.seq });
      return;
    }
    const keep = shown && shown.data.screen === data.screen ? values() : {};
    if (data.language) document.documentElement.lang = data.language;
    if (data.theme) { // the candidate's own colours, as the exam page shows them (tools.js)
      for (const name of ["dark", "cream", "yellow"]) document.body.classList.toggle("theme-" + name, name === data.theme);
      document.body.classList.toggle("contrast", data.theme === "contrast");
    }
    if (data.title) document.title = data.title;
    const errorId = "kiosk-error";
    const box = el("section", { class: "kiosk-box screen-" + data.screen, "aria-labelledby": "kiosk-title" },
      el("h1", { id: "kiosk-title", tabindex: "-1", text: data.title || "" }));
    if (data.warning) box.append(el("div", { id: "kiosk-warning", class: "kiosk-warning", role: "note" }, ...paragraphs(data.warning)));
    for (const p of paragraphs(data.text, { class: "kiosk-text" })) box.append(p);
    if (data.html !== undefined) {
      box.append(el("div", { id: "kiosk-html", class: "kiosk-html", tabindex: "0", role: "region",
        "aria-label": data.html_label || data.title, html: data.html }));
    }
    const inputs = {};
    if (data.fields && data.fields.length) {
      const form = el("div", { class: "kiosk-form" });
      for (const f of data.fields) {
        const [row, input] = field(f, [f.description ? "field-" + f.id + "-description" : null, errorId].filter(Boolean).join(" "));
        if (f.description) row.append(el("span", { id: "field-" + f.id + "-description", class: "sr-only", text: f.description }));
        if (keep[f.id] !== undefined) input.value = keep[f.id]; // the same screen again: what is typed stays
        input.disabled = !!data.disabled;
        inputs[f.id] = input;
        form.append(row);
      }
      box.append(form);
    }
    if (data.code) box.append(el("p", { id: "kiosk-code", class: "kiosk-code", text: data.code }));
    for (const p of paragraphs(data.after, { class: "kiosk-text" })) box.append(p);
    box.append(el("div", { id: errorId, class: "kiosk-error", role: "alert" }, ...paragraphs(data.error)));
    if (data.status) box.append(el("p", { id: "kiosk-status", class: "kiosk-status", role: "status", text: data.status }));
    if (data.note) box.append(el("div", { id: "kiosk-note", class: "kiosk-warning", role: "note" }, ...paragraphs(data.note)));
    if (data.buttons && data.buttons.length) {
      const row = el("div", { class: "kiosk-buttons" });
      for (const b of data.buttons) {
        const node = button(b);
        node.disabled = !!(b.disabled || (data.disabled && b.primary));
        row.append(node);
      }
      box.append(row);
    }
    layer.replaceChildren(box);
    layer.hidden = false;
    document.body.classList.add("kiosk-on");
    shown = { data, inputs };
    const target = data.disabled ? $("kiosk-title") : (inputs[data.focus] || $(data.focus === "html" ? "kiosk-html" : "")
      || Object.values(inputs)[0] || $("kiosk-title"));
    target.focus({ preventScroll: true });
    if (data.select && target.select) target.select();
    if (data.html !== undefined && window.MathJax && window.mathjaxReady) {
      window.mathjaxReady.then(() => MathJax.typesetPromise([$("kiosk-html")])).catch(() => {});
    }
    // two frames later it has been drawn (screenshots wait for this)
    requestAnimationFrame(() => requestAnimationFrame(() => post("kiosk_shown", { screen: data.screen, seq: data.seq })));
  }

  return { show };
})();
