// An MCP server's question during a tool call (an "elicitation" interrupt of the run): its message, shown as
// text, and a form built from its requested schema (text, numbers, yes/no, choices), with Accept, Decline and
// Cancel. The answer resumes the run: {"action": "accept", "content": {...}, "id": <tool call id>}.

import { clear, h } from "./dom.js";

const DECIDED = {
  accept: "You answered.",
  decline: "You declined to answer.",
  cancel: "You cancelled the question.",
  superseded: "Not answered: a new message was sent.",
};

function properties(schema) {
  const props = schema && typeof schema.properties === "object" ? schema.properties : {};
  return Object.entries(props).filter(([, prop]) => prop && typeof prop === "object");
}

// [value, label] pairs of a single or multiple choice (enum, oneOf/anyOf of const), or null.
function choices(prop) {
  const source = prop.type === "array" ? prop.items || {} : prop;
  if (Array.isArray(source.enum)) {
    const names = Array.isArray(source.enumNames) ? source.enumNames : [];
    return source.enum.map((value, i) => [value, String(names[i] ?? value)]);
  }
  const options = source.oneOf || source.anyOf;
  if (Array.isArray(options)) {
    return options.filter((o) => o && "const" in o).map((o) => [o.const, String(o.title ?? o.const)]);
  }
  return null;
}

function field(name, prop, required) {
  const title = String(prop.title || name);
  const about = prop.description ? h("span", { class: "hint", text: ` (${prop.description})` }) : null;
  const label = [h("span", { class: "field-label" }, h("span", { class: "field-name", text: title }),
    required ? h("span", { title: "required" }, " *") : null, about)];
  const options = choices(prop);
  const base = { name, dataset: { field: name } };
  if (prop.type === "boolean") {
    const box = h("input", { ...base, type: "checkbox", checked: prop.default === true });
    return h("label", { class: "field check" }, box, " ", ...label);
  }
  if (options && prop.type === "array") {
    const picked = Array.isArray(prop.default) ? prop.default : [];
    return h("fieldset", { class: "field", dataset: { field: name, multi: "" } }, h("legend", {}, ...label),
      options.map(([value, text], i) => h("label", { class: "check" },
        h("input", { type: "checkbox", value: String(i), checked: picked.includes(value) }), ` ${text}`)));
  }
  if (options) {
    const select = h("select", { ...base, required },
      required ? null : h("option", { value: "" }, "—"),
      options.map(([value, text], i) => h("option", { value: String(i), selected: prop.default === value }, text)));
    return h("label", { class: "field" }, ...label, select);
  }
  const numeric = prop.type === "integer" || prop.type === "number";
  const input = h("input", {
    ...base, required, type: numeric ? "number" : prop.format === "email" ? "email" : "text",
    step: prop.type === "integer" ? "1" : numeric ? "any" : null,
    min: numeric ? prop.minimum : null, max: numeric ? prop.maximum : null,
    minlength: prop.minLength, maxlength: prop.maxLength,
    value: prop.default !== undefined && prop.default !== null ? String(prop.default) : null,
  });
  return h("label", { class: "field" }, ...label, input);
}

// The form's answers as the schema's types; empty optional fields are left out (the server's defaults apply).
function read(form, schema) {
  const content = {};
  for (const [name, prop] of properties(schema)) {
    const el = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!el) continue;
    const options = choices(prop);
    if (prop.type === "boolean") content[name] = el.checked;
    else if (el.dataset.multi !== undefined) {
      content[name] = [...el.querySelectorAll("input:checked")].map((box) => options[Number(box.value)][0]);
    } else if (options) {
      if (el.value !== "") content[name] = options[Number(el.value)][0];
    } else if (el.value !== "") {
      content[name] = prop.type === "integer" || prop.type === "number" ? Number(el.value) : el.value;
    }
  }
  return content;
}

export function renderAsk(section, ask, answer) {
  section.hidden = !ask;
  clear(section);
  if (!ask) return;
  section.append(h("h3", {}, "The MCP server ", h("code", { text: ask.server || "?" }), " asks you"),
    h("p", { class: "ask-message", text: ask.message || "" }));
  if (ask.mode === "url" && ask.url) section.append(h("p", {}, "It asks you to open: ", h("code", { text: ask.url })));
  if (ask.error && !ask.decided) section.append(h("p", { class: "error", role: "alert", text: `Not sent: ${ask.error}` }));
  if (ask.decided) {
    section.append(h("p", { class: "decided", text: DECIDED[ask.decided] || ask.decided }));
    return;
  }
  const schema = ask.schema || {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const form = h("form", { class: "ask-form", novalidate: false });
  if (ask.mode !== "url") for (const [name, prop] of properties(schema)) form.append(field(name, prop, required.has(name)));
  const send = (action) => answer({ action, ...(action === "accept" && ask.mode !== "url" ? { content: read(form, schema) } : {}), id: ask.id });
  form.append(h("div", { class: "actions" },
    h("button", { type: "submit", class: "primary" }, "Accept"),
    h("button", { type: "button", onclick: () => send("decline") }, "Decline"),
    h("button", { type: "button", class: "danger", onclick: () => send("cancel") }, "Cancel")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.reportValidity()) send("accept");
  });
  section.append(form);
}

// The question of an "elicitation" interrupt value, as the turn keeps it (plain data).
export function askOf(value) {
  return { server: String(value.server || ""), tool: String(value.tool || ""), id: value.id ?? null,
    message: String(value.message || ""), schema: value.requested_schema || {}, mode: value.mode || "form",
    url: value.url || null, error: value.error || null, decided: null };
}
