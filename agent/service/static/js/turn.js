// A turn of the conversation (one question and what the agent did about it), as plain data:
// built from a thread's saved state, or from a run's events one at a time. Plain data, so the
// turn of a running run can be kept in sessionStorage and carried across a reload.
//
// apply() returns what changed, so the view updates only those parts (a token appends text).

import { askOf } from "./ask.js";

const DENIED_TEXT = "Error: the user denied this call";

export function newTurn(question, messageId) {
  return {
    question, messageId, items: [], plan: null, approval: null, ask: null, notes: [], runs: [], status: "running",
  };
}

export function startRun(turn, kind) {
  const run = { kind, runId: null, startedAt: Date.now(), firstTokenAt: null, endedAt: null, finish: null,
    error: null, status: "running", toolCalls: null, cached: null };
  turn.runs.push(run);
  turn.status = "running";
  return run;
}

export function currentRun(turn) {
  return turn.runs[turn.runs.length - 1] || null;
}

// Text and reasoning of a message's content (a string, or a list of blocks).
export function contentParts(content, kwargs) {
  let text = "";
  let reasoning = typeof kwargs?.reasoning_content === "string" ? kwargs.reasoning_content : "";
  if (typeof content === "string") text = content;
  else if (Array.isArray(content)) {
    for (const block of content) {
      if (typeof block === "string") text += block;
      else if (block?.type === "text" && typeof block.text === "string") text += block.text;
      else if (block?.type === "reasoning") reasoning += String(block.reasoning ?? block.summary ?? "");
      else if (block?.type === "thinking") reasoning += String(block.thinking ?? "");
    }
  }
  return { text, reasoning };
}

function textItem(turn, id, sealed) {
  let item = turn.items.find((i) => i.kind === "text" && i.id === id);
  if (!item) {
    item = { kind: "text", id, text: "", reasoning: "", sealed };
    turn.items.push(item);
  }
  return item;
}

function toolItem(turn, id, name) {
  let item = turn.items.find((i) => i.kind === "tool" && i.id === id);
  if (!item) {
    item = { kind: "tool", id, name, args: null, status: "queued", result: null, error: null, seconds: null,
      startedAt: null, progress: null };
    turn.items.push(item);
  }
  if (name && !item.name) item.name = name;
  return item;
}

// One event of a run; returns a list of changes: {part: "text"|"tool"|"plan"|..., id?, text?, reasoning?}.
export function apply(turn, event, data) {
  const run = currentRun(turn);
  switch (event) {
    case "metadata":
      if (run && data?.run_id) run.runId = data.run_id;
      return [];
    case "messages":
      return onMessage(turn, run, data);
    case "custom":
      return onCustom(turn, run, data);
    case "updates":
      return onUpdate(turn, data);
    case "values":
      return applyValues(turn, data);
    case "error":
      if (run) run.error = String(data?.message || data?.error || "the run failed");
      turn.notes.push({ level: "error", text: `The run failed: ${data?.message || data?.error || "unknown error"}` });
      return [{ part: "notes" }];
    default:
      return [];
  }
}

function onMessage(turn, run, data) {
  if (!Array.isArray(data) || data.length < 2) return [];
  const [chunk, meta] = data;
  if (meta?.langgraph_node !== "model" || !chunk || !/^(AIMessageChunk|ai)$/.test(chunk.type || "")) return [];
  const { text, reasoning } = contentParts(chunk.content, chunk.additional_kwargs);
  if (!text && !reasoning) return [];
  const id = chunk.id || `message-${turn.items.length}`;
  const item = textItem(turn, id, false);
  if (item.sealed) return []; // already shown whole, from the thread's saved state
  item.text += text;
  item.reasoning += reasoning;
  if (text && run && run.firstTokenAt === null) run.firstTokenAt = Date.now();
  return [{ part: "text", id, text, reasoning }];
}

function onCustom(turn, run, data) {
  if (!data || typeof data !== "object") return [];
  switch (data.type) {
    case "plan":
      turn.plan = Array.isArray(data.steps) ? data.steps : [];
      return [{ part: "plan" }];
    case "tool_start": {
      const item = toolItem(turn, data.id, data.name);
      Object.assign(item, { args: data.args ?? item.args, status: "running", startedAt: Date.now() });
      return [{ part: "tool", id: item.id }];
    }
    case "tool_progress": {
      const item = toolItem(turn, data.id, data.name);
      item.progress = { progress: data.progress, total: data.total, message: data.message };
      return [{ part: "tool", id: item.id }];
    }
    case "tool_end": {
      const item = toolItem(turn, data.id, data.name);
      Object.assign(item, { status: data.ok ? "ok" : "error", seconds: data.seconds ?? null, result: data.result ?? "" });
      return [{ part: "tool", id: item.id }];
    }
    case "tool_rejected": {
      const item = toolItem(turn, data.id, data.name);
      Object.assign(item, { status: "rejected", error: String(data.error || "the call was refused") });
      return [{ part: "tool", id: item.id }];
    }
    case "tool_denied": {
      const item = toolItem(turn, data.id, data.name);
      item.status = "denied";
      return [{ part: "tool", id: item.id }];
    }
    case "fallback":
      turn.notes.push({ level: "warn", text: `The model ${data.failed || ""} failed (${data.error || "no reason given"}); `
        + `the fallback model ${data.model || ""} answered instead.` });
      return [{ part: "notes" }];
    case "degraded":
      turn.notes.push({ level: "warn", text: `The ${data.step || ""} step went on without the model: ${data.error || ""}` });
      return [{ part: "notes" }];
    case "finish":
      if (run) run.finish = { stopReason: String(data.stop_reason || ""), stats: data.stats || {} };
      return [{ part: "runs" }];
    default:
      console.debug("a custom event the page does not show", data.type);
      return [];
  }
}

function onUpdate(turn, data) {
  const interrupts = data?.__interrupt__;
  if (!Array.isArray(interrupts) || !interrupts.length) return [];
  return setApproval(turn, interrupts);
}

// A run followed through "values" events only (one started elsewhere with the default stream mode): the
// turn is rebuilt from each whole state; a call with no result yet is running.
export function applyValues(turn, values) {
  const rebuilt = turnsFromState({ values }).find((t) => t.messageId === turn.messageId);
  if (!rebuilt) return [];
  const before = new Map(turn.items.map((i) => [i.id, i]));
  turn.items = rebuilt.items.map((item) => (item.kind === "tool" && item.status === "unanswered"
    ? { ...item, status: "running", startedAt: before.get(item.id)?.startedAt || Date.now() } : item));
  if (rebuilt.plan) turn.plan = rebuilt.plan;
  return [{ part: "items" }, { part: "plan" }];
}

// The calls of a turn that have no result while its thread is busy are being run.
export function markRunning(turn) {
  for (const item of turn.items) {
    if (item.kind === "tool" && item.status === "unanswered") Object.assign(item, { status: "running", startedAt: Date.now() });
  }
}

// A pause of the run: a destructive call to approve, or an MCP server's question (an "elicitation").
export function setApproval(turn, interrupts) {
  const asked = interrupts.map((i) => i?.value).find((v) => v?.type === "elicitation");
  if (asked) return setAsk(turn, asked);
  const value = interrupts.map((i) => i?.value).find((v) => v?.type === "approval");
  if (!value) return [];
  const calls = Array.isArray(value.calls) ? value.calls : [];
  turn.approval = { calls, note: value.note || "", outcome: value.outcome || "", decided: null };
  const changes = [{ part: "approval" }];
  for (const call of calls) {
    const item = toolItem(turn, call.id, call.name);
    if (item.status === "queued" || item.status === "running") {
      Object.assign(item, { args: call.args ?? item.args, status: "approval" });
    }
    changes.push({ part: "tool", id: item.id });
  }
  return changes;
}

function setAsk(turn, value) {
  turn.ask = askOf(value);
  const changes = [{ part: "ask" }];
  const item = value.id ? turn.items.find((i) => i.kind === "tool" && i.id === value.id) : null;
  if (item && ["queued", "running", "unanswered"].includes(item.status)) {
    item.status = "asking";
    changes.push({ part: "tool", id: item.id });
  }
  return changes;
}

// The turns of a thread from its saved state (values.messages); the last turn gets the plan, the
// stats of its last run and the pending approval.
export function turnsFromState(state) {
  const values = state?.values || {};
  const turns = [];
  let turn = null;
  for (const message of Array.isArray(values.messages) ? values.messages : []) {
    const type = message?.type;
    if (type === "human") {
      turn = newTurn(contentParts(message.content).text, message.id);
      turn.status = "done";
      turns.push(turn);
      continue;
    }
    if (!turn) continue;
    if (type === "ai") {
      const { text, reasoning } = contentParts(message.content, message.additional_kwargs);
      if (text || reasoning) Object.assign(textItem(turn, message.id, true), { text, reasoning });
      for (const call of message.tool_calls || []) {
        const item = toolItem(turn, call.id, call.name);
        item.args = call.args;
        item.status = "unanswered";
      }
    } else if (type === "tool") {
      const item = toolItem(turn, message.tool_call_id, message.name);
      const text = contentParts(message.content).text;
      if (message.status === "error") {
        Object.assign(item, { status: text.startsWith(DENIED_TEXT) ? "denied" : "error", error: text });
      } else {
        Object.assign(item, { status: "ok", result: text });
      }
    }
  }
  const last = turns[turns.length - 1];
  if (last) finishFromState(last, state);
  return turns;
}

function finishFromState(turn, state) {
  const values = state.values || {};
  turn.plan = Array.isArray(values.plan) && values.plan.length ? values.plan : null;
  for (const record of values.tool_log || []) {
    if (record?.approved === false) {
      const item = turn.items.find((i) => i.kind === "tool" && i.id === record.id);
      if (item) item.status = "denied";
    }
  }
  if (Array.isArray(state.interrupts) && state.interrupts.length) {
    setApproval(turn, state.interrupts);
    turn.status = "paused";
  }
  if (values.stop_reason) {
    turn.runs.push({ kind: "saved", runId: null, startedAt: null, firstTokenAt: null, endedAt: null,
      finish: { stopReason: values.stop_reason, stats: values.stats || {} }, error: null, status: "done",
      toolCalls: Array.isArray(values.tool_log) ? values.tool_log.length : null, cached: cachedTokens(turn, values) });
  }
}

// Cached input tokens of the turn's model calls, when the provider reported any (else null).
export function cachedTokens(turn, values) {
  const messages = Array.isArray(values?.messages) ? values.messages : [];
  const start = messages.findIndex((m) => m?.id === turn.messageId);
  let total = null;
  for (const message of start < 0 ? [] : messages.slice(start + 1)) {
    const read = message?.usage_metadata?.input_token_details?.cache_read;
    if (typeof read === "number") total = (total || 0) + read;
  }
  return total;
}
