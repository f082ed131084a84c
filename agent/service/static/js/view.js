// A turn on the page: the question, the plan as a checklist, the answer as it streams (reasoning
// apart, collapsed), a card per tool call, the approval buttons, and a summary of each run.
// Only text nodes carry what the model and the tools said.

import { renderAsk } from "./ask.js";
import { bounded, clear, clip, h, number, pretty, seconds } from "./dom.js";

const EXPLAIN = {
  answered: "Answered",
  denied: "A destructive call was denied and not run",
  model_calls: "Stopped: the run reached its limit of model calls",
  tool_calls: "Stopped: the run reached its limit of tool calls",
  calls_per_tool: "Stopped: a tool reached its limit of calls",
  repeated_calls: "Stopped: the model kept repeating the same tool call",
  validation_retries: "Stopped: the model kept making invalid tool calls",
  time: "Stopped: the run reached its time limit",
  tokens: "Stopped: the run reached its token budget",
  cost: "Stopped: the run reached its cost budget",
  model_error: "Stopped: the model could not be reached",
};
const STEP_MARK = { pending: "○", done: "✓", failed: "✗", skipped: "–" };
const TOOL_STATE = {
  queued: "queued", running: "running", ok: "done", error: "failed", rejected: "refused before running",
  denied: "denied: not run", stopped: "stopped", approval: "waiting for your approval", unanswered: "not run",
  asking: "waiting for your answer",
};

const DECIDED = {
  approve: "You approved.",
  deny: "You denied it.",
  superseded: "Not answered: a new message was sent, so this was not run.",
};

export function stopText(reason) {
  if (!reason) return "";
  return reason in EXPLAIN ? (reason === "answered" || reason === "denied" ? EXPLAIN[reason]
    : `${EXPLAIN[reason]} (bound: ${reason})`) : `Stopped: ${reason}`;
}

// "server__tool" is an MCP tool of that server.
export function toolLabel(name) {
  const at = String(name || "").indexOf("__");
  return at > 0 ? { tool: name.slice(at + 2), server: name.slice(0, at) } : { tool: String(name || "tool"), server: null };
}

export class TurnView {
  constructor(turn, number, handlers) {
    this.turn = turn;
    this.handlers = handlers;
    this.texts = new Map();
    this.tools = new Map();
    this.plan = h("section", { class: "plan", "aria-label": "Plan", hidden: true });
    this.items = h("div", { class: "items", "aria-live": "polite", "aria-relevant": "additions" });
    this.notes = h("div", { class: "notes" });
    this.approval = h("section", { class: "approval", hidden: true, "aria-label": "Approval needed" });
    this.ask = h("section", { class: "ask", hidden: true, "aria-label": "A question from an MCP server" });
    this.runs = h("div", { class: "runs" });
    this.working = h("p", { class: "working", hidden: true }, h("span", { class: "spinner", "aria-hidden": "true" }),
      " Working…");
    this.el = h("article", { class: "turn", "aria-label": `Question ${number}`, dataset: { message: turn.messageId || "" } },
      h("div", { class: "question" }, h("span", { class: "visually-hidden" }, "You asked: "),
        h("p", { class: "bubble", text: turn.question })),
      h("div", { class: "reply" }, this.plan, this.items, this.notes, this.approval, this.ask, this.working, this.runs));
    for (const item of turn.items) this._item(item);
    this.update([{ part: "plan" }, { part: "notes" }, { part: "approval" }, { part: "ask" }, { part: "runs" }]);
  }

  update(changes) {
    for (const change of changes) {
      if (change.part === "text") this._text(change);
      else if (change.part === "tool") this._item(this.turn.items.find((i) => i.kind === "tool" && i.id === change.id));
      else if (change.part === "items") this._items();
      else if (change.part === "plan") this._plan();
      else if (change.part === "notes") this._notes();
      else if (change.part === "approval") this._approval();
      else if (change.part === "ask") renderAsk(this.ask, this.turn.ask, (value) => this.handlers.answer(this.turn, value));
      else if (change.part === "runs") this._runs();
    }
    this.working.hidden = this.turn.status !== "running";
    this.el.dataset.status = this.turn.status;
  }

  _items() {
    clear(this.items);
    this.texts.clear();
    this.tools.clear();
    for (const item of this.turn.items) this._item(item);
  }

  _item(item) {
    if (!item) return;
    if (item.kind === "text") {
      const view = this._textView(item.id);
      view.answer.textContent = item.text;
      view.reasoningText.textContent = item.reasoning;
      view.reasoning.hidden = !item.reasoning;
    } else {
      this._tool(item);
    }
  }

  _textView(id) {
    let view = this.texts.get(id);
    if (!view) {
      const reasoningText = h("div", { class: "reasoning-text" });
      const reasoning = h("details", { class: "reasoning", hidden: true },
        h("summary", {}, "Reasoning"), reasoningText);
      const answer = h("div", { class: "answer" });
      view = { el: h("div", { class: "text-item", dataset: { id } }, reasoning, answer), answer, reasoning, reasoningText };
      this.texts.set(id, view);
      this.items.append(view.el);
    }
    return view;
  }

  _text(change) { // one token: appended as a text node, so a long answer costs no more per token
    const view = this._textView(change.id);
    if (change.reasoning) {
      view.reasoning.hidden = false;
      view.reasoningText.append(document.createTextNode(change.reasoning));
    }
    if (change.text) view.answer.append(document.createTextNode(change.text));
  }

  _tool(item) {
    let card = this.tools.get(item.id);
    if (!card) {
      card = h("article", { class: "tool", dataset: { id: item.id } });
      this.tools.set(item.id, card);
      this.items.append(card);
    }
    const { tool, server } = toolLabel(item.name);
    card.dataset.status = item.status;
    card.dataset.tool = item.name || "";
    card.setAttribute("aria-label", `Tool call ${tool}${server ? ` on MCP server ${server}` : ""}: ${TOOL_STATE[item.status] || item.status}`);
    clear(card);
    const head = h("div", { class: "tool-head" },
      h("span", { class: "spinner", "aria-hidden": "true" }),
      h("span", { class: "tool-name", text: tool }),
      server ? h("span", { class: "badge", title: "a tool of an MCP server" }, `MCP · ${server}`) : null,
      h("span", { class: "tool-state", text: TOOL_STATE[item.status] || item.status }));
    if (item.status === "running" && item.startedAt) {
      head.append(h("span", { class: "elapsed", "aria-hidden": "true", dataset: { started: item.startedAt } },
        seconds(Date.now() - item.startedAt)));
    } else if (typeof item.seconds === "number") {
      head.append(h("span", { class: "elapsed" }, `${item.seconds.toFixed(2)} s`));
    }
    card.append(head);
    if (item.status === "running" && item.progress) card.append(progress(item.progress));
    if (item.args !== null && item.args !== undefined) {
      const compact = JSON.stringify(item.args);
      const text = compact.length <= 80 ? compact : pretty(item.args);
      card.append(h("details", { class: "tool-args", open: true }, h("summary", {}, "Arguments"),
        h("pre", { text: bounded(text) })));
    }
    if (item.status === "ok") {
      const text = bounded(pretty(item.result ?? ""));
      const short = text.length < 600 && text.split("\n").length <= 8;
      card.append(h("details", { class: "tool-result", open: short },
        h("summary", {}, "Result", short ? "" : h("span", { class: "preview", text: `: ${clip(String(item.result ?? ""), 90)}` })),
        h("pre", { text })));
    } else if (item.status === "error" || item.status === "rejected") {
      card.append(h("p", { class: "tool-error" }, h("strong", {}, "Error: "),
        bounded(String(item.error ?? item.result ?? "").replace(/^Error:\s*/, ""))));
    }
  }

  _plan() {
    const steps = this.turn.plan;
    this.plan.hidden = !steps || !steps.length;
    clear(this.plan);
    if (!steps || !steps.length) return;
    const done = steps.filter((s) => s.status === "done").length;
    this.plan.append(h("h3", {}, `Plan (${done} of ${steps.length} done)`),
      h("ol", {}, steps.map((step) => h("li", { dataset: { status: step.status } },
        h("span", { class: "mark", "aria-hidden": "true" }, STEP_MARK[step.status] || "○"),
        h("span", { class: "step-text", text: step.description }),
        h("span", { class: "visually-hidden" }, ` (${step.status})`),
        step.tool ? h("span", { class: "step-tool", text: toolLabel(step.tool).tool }) : null))));
  }

  _notes() {
    clear(this.notes);
    for (const note of this.turn.notes) {
      this.notes.append(h("p", { class: note.level === "error" ? "error" : "warn", text: note.text }));
    }
  }

  _approval() {
    const approval = this.turn.approval;
    this.approval.hidden = !approval;
    clear(this.approval);
    if (!approval) return;
    const many = approval.calls.length > 1;
    this.approval.append(h("h3", {}, many ? "Approve these destructive calls?" : "Approve this destructive call?"));
    if (approval.note) this.approval.append(h("p", { class: "warn", text: approval.note }));
    this.approval.append(h("ul", {}, approval.calls.map((call) => h("li", {},
      h("code", { text: toolLabel(call.name).tool }), " ", h("code", { class: "args", text: JSON.stringify(call.args ?? {}) })))));
    if (approval.decided) {
      this.approval.append(h("p", { class: "decided", text: DECIDED[approval.decided] || approval.decided }));
      return;
    }
    const approve = h("button", { type: "button", class: "primary", onclick: () => this.handlers.decide(this.turn, "approve") }, "Approve");
    const deny = h("button", { type: "button", class: "danger", onclick: () => this.handlers.decide(this.turn, "deny") }, "Deny");
    this.approval.append(h("div", { class: "actions" }, approve, deny));
  }

  focusApproval() {
    if (this.turn.ask && !this.turn.ask.decided) this.ask.querySelector("input, select, button")?.focus();
    else this.approval.querySelector("button")?.focus();
  }

  _runs() {
    clear(this.runs);
    for (const run of this.turn.runs) {
      const summary = runSummary(run);
      if (summary) this.runs.append(summary);
    }
  }
}

function progress(p) {
  const total = typeof p.total === "number" && p.total > 0 ? p.total : null;
  return h("p", { class: "progress" },
    h("progress", total ? { max: total, value: p.progress } : {}),
    p.message ? ` ${p.message}` : total ? ` ${p.progress} of ${total}` : "");
}

function runSummary(run) {
  if (run.status === "running") return null;
  const rows = [];
  let headline;
  let level = "";
  if (run.status === "paused") {
    headline = run.pausedFor === "ask" ? "Paused: waiting for your answer" : "Paused: waiting for your approval";
  } else if (run.status === "stopped") {
    headline = "Stopped at your request";
    level = "warn";
  } else if (run.status === "error") {
    headline = `Failed: ${run.error || "the run ended with an error"}`;
    level = "error";
  } else if (run.finish) {
    headline = stopText(run.finish.stopReason);
    if (run.finish.stopReason !== "answered") level = "warn";
  } else {
    headline = "Ended";
  }
  const stats = run.finish?.stats;
  if (stats) {
    rows.push(["Model calls", number(stats.model_calls)]);
    if (run.toolCalls !== null && run.toolCalls !== undefined) rows.push(["Tool calls", number(run.toolCalls)]);
    let tokens = `${number(stats.input_tokens)} in / ${number(stats.output_tokens)} out`;
    const cached = typeof stats.cached_tokens === "number" ? stats.cached_tokens : run.cached;
    if (typeof cached === "number" && cached > 0) tokens += ` / ${number(cached)} cached`;
    if (typeof stats.reasoning_tokens === "number" && stats.reasoning_tokens) {
      tokens += ` (${number(stats.reasoning_tokens)} reasoning)`;
    }
    rows.push(["Tokens", tokens]);
    const cost = typeof stats.cost === "number" ? `$${stats.cost.toFixed(6)}` : "–";
    rows.push(["Cost", stats.cost_estimated ? `${cost} (estimated)` : cost]);
  }
  if (run.startedAt && run.firstTokenAt) rows.push(["First token", seconds(run.firstTokenAt - run.startedAt)]);
  if (run.startedAt && run.endedAt) rows.push(["Time", seconds(run.endedAt - run.startedAt)]);
  return h("section", { class: `run-summary ${level}`, "aria-label": "Run summary", dataset: { status: run.status } },
    h("p", { class: "stop", text: headline }),
    rows.length ? h("dl", {}, rows.map(([k, v]) => h("div", {}, h("dt", { text: k }), h("dd", { text: v })))) : null);
}

// Running tools show their elapsed time, ticking.
export function tickElapsed(root) {
  for (const el of root.querySelectorAll(".tool[data-status=running] .elapsed[data-started]")) {
    el.textContent = seconds(Date.now() - Number(el.dataset.started));
  }
}

