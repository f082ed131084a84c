// The Agent Protocol over fetch: the bearer token (kept for this tab), JSON calls, and streams of events.

import { readEvents } from "./sse.js";

const TOKEN_KEY = "agent-ui.token";
export const STREAM_MODES = ["messages-tuple", "custom", "updates"];

export class AuthError extends Error {}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra) {
  const out = { Accept: "application/json", ...extra };
  const t = token();
  if (t) out.Authorization = `Bearer ${t}`;
  return out;
}

async function failure(response) {
  let detail = "";
  try {
    const body = await response.json();
    detail = typeof body?.detail === "string" ? body.detail : JSON.stringify(body);
  } catch {
    detail = response.statusText;
  }
  if (response.status === 401) return new AuthError(detail || "the server refused the token");
  return new ApiError(response.status, `${response.status}: ${detail || "request failed"}`);
}

export async function call(method, path, body, { signal } = {}) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }), signal };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  return response.json();
}

// POST (a new run) or GET (rejoining one, after lastEventId) a stream; onEvent gets {event, data, id}.
export async function stream(method, path, body, { lastEventId, signal, onEvent }) {
  const extra = { Accept: "text/event-stream" };
  if (body !== undefined) extra["Content-Type"] = "application/json";
  if (lastEventId) extra["Last-Event-ID"] = String(lastEventId);
  const init = { method, headers: headers(extra), signal, cache: "no-store" };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (!response.ok) throw await failure(response);
  await readEvents(response, (raw) => {
    let data = null;
    try {
      data = raw.data === "" ? null : JSON.parse(raw.data);
    } catch (err) {
      console.error("an event whose data is not JSON", raw.event, err);
      return;
    }
    onEvent({ event: raw.event, data, id: raw.id });
  }, signal);
}

const ID = /^[A-Za-z0-9._:-]{1,200}$/;

export function validId(id) {
  return typeof id === "string" && ID.test(id);
}

export function threadPath(threadId, rest = "") {
  if (!validId(threadId)) throw new Error("not a thread id");
  return `/threads/${encodeURIComponent(threadId)}${rest}`;
}

export function runPath(threadId, runId, rest = "") {
  if (!validId(runId)) throw new Error("not a run id");
  return threadPath(threadId, `/runs/${encodeURIComponent(runId)}${rest}`);
}
