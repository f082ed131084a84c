// One thread on the page: its turns from the saved state, a new question streamed as a run,
// approvals answered with command={"resume": ...}, Stop (cancel), and a run rejoined after a
// reload or a dropped connection with Last-Event-ID.

import * as api from "./api.js";
import { clear, clip, newId } from "./dom.js";
import { clearRun, loadRun, RunSaver } from "./session.js";
import {
  apply, cachedTokens, currentRun, markRunning, newTurn, setApproval, startRun, turnsFromState,
} from "./turn.js";
import { stopText, tickElapsed, TurnView } from "./view.js";

const RECONNECTS = 5;

export class Conversation {
  constructor(els, hooks) {
    this.els = els;          // conversation, empty, title, meta
    this.hooks = hooks;      // announce(text), created(thread, question), changed(), busy(flag), error(err)
    this.threadId = null;
    this.views = [];
    this.active = null;      // the run being followed: {threadId, turn, view, runId, lastEventId, ...}
    this.ticker = null;
  }

  // --- showing a thread -----------------------------------------------------------------
  async open(threadId) {
    this.leave();
    this.threadId = threadId;
    this._reset();
    if (!threadId) {
      this.els.title.textContent = "New thread";
      this.els.meta.textContent = "";
      return;
    }
    this.els.title.textContent = "Thread";
    const [thread, state] = await Promise.all([
      api.call("GET", api.threadPath(threadId)),
      api.call("GET", api.threadPath(threadId, "/state")),
    ]);
    if (this.threadId !== threadId) return; // another thread was opened meanwhile
    let turns = turnsFromState(state);
    this.els.title.textContent = turns[0]?.question ? clip(turns[0].question, 90) : "Thread";
    this.els.meta.textContent = describe(thread);
    const saved = await this._stillRunning(threadId, loadRun(threadId));
    if (this.threadId !== threadId) return;
    if (saved) {
      const at = turns.findIndex((t) => t.messageId && t.messageId === saved.turn.messageId);
      turns = at >= 0 ? turns.slice(0, at) : turns;
      turns.push(saved.turn);
    }
    turns.forEach((turn) => this._show(turn));
    if (saved) {
      await this._rejoin(threadId, saved.turn, saved.runId, saved.lastEventId);
    } else if (thread.status === "busy") {
      await this._joinBusy(threadId, turns[turns.length - 1]);
    } else {
      this._toBottom();
    }
  }

  // A saved run worth rejoining: one still pending or running (a finished run's events may be gone;
  // the thread's state then shows what it did).
  async _stillRunning(threadId, saved) {
    if (!saved) return null;
    try {
      const run = await api.call("GET", api.runPath(threadId, saved.runId));
      if (run.status === "pending" || run.status === "running") return saved;
    } catch (err) {
      if (!(err instanceof api.ApiError && err.status === 404)) throw err;
    }
    clearRun(threadId, saved.runId);
    return null;
  }

  _release(active) {
    active.saver.cancel();
    active.resolveDone();
    if (this.active === active) {
      this.active = null;
      this.hooks.busy(false);
    }
  }

  _drop(active) {
    this._release(active);
    clearRun(active.threadId, active.runId);
    active.abort.abort();
  }

  // Stop following (the run goes on on the server; the saved turn lets us rejoin it).
  leave() {
    if (!this.active) return;
    this.active.saver.flush();
    this.active.abort.abort();
    this.active = null;
    this.hooks.busy(false);
  }

  _reset() {
    clear(this.els.conversation);
    this.els.conversation.append(this.els.empty);
    this.els.empty.hidden = false;
    this.views = [];
  }

  _show(turn) {
    this.els.empty.hidden = true;
    const view = new TurnView(turn, this.views.length + 1,
      { decide: (t, d) => this.decide(t, d), answer: (t, v) => this.answer(t, v) });
    this.views.push(view);
    this.els.conversation.append(view.el);
    return view;
  }

  _viewOf(turn) {
    return this.views.find((v) => v.turn === turn);
  }

  // --- runs ----------------------------------------------------------------------------------
  async send(text) {
    if (this.active) throw new Error("a run is going on in this thread; wait for it or stop it");
    let threadId = this.threadId;
    if (!threadId) {
      const thread = await api.call("POST", "/threads", { metadata: { created_by: "web page" } });
      threadId = thread.thread_id;
      this.threadId = threadId;
      history.pushState(null, "", `#/threads/${encodeURIComponent(threadId)}`);
      this.els.title.textContent = clip(text, 90);
      this.hooks.created(thread, text);
    }
    for (const earlier of this.views) this._supersede(earlier);
    const turn = newTurn(text, newId());
    const view = this._show(turn);
    startRun(turn, "question");
    view.update([]);
    this._toBottom();
    const input = { messages: [{ role: "user", content: text, id: turn.messageId }] };
    await this._run(threadId, turn, { input });
  }

  // A new message leaves a pending approval (or a server's question) unanswered: its calls are not run.
  _supersede(view) {
    const { turn } = view;
    const approval = turn.approval && !turn.approval.decided;
    const ask = turn.ask && !turn.ask.decided;
    if (!approval && !ask) return;
    if (approval) turn.approval.decided = "superseded";
    if (ask) turn.ask.decided = "superseded";
    const changes = [{ part: "approval" }, { part: "ask" }];
    for (const item of turn.items) {
      if (item.kind === "tool" && (item.status === "approval" || item.status === "asking")) {
        item.status = "unanswered";
        changes.push({ part: "tool", id: item.id });
      }
    }
    if (turn.status === "paused") turn.status = "done";
    view.update(changes);
  }

  async decide(turn, decision) {
    while (this.active) await this.active.done; // the paused run's last events may still be arriving
    if (!this.threadId || !turn.approval || turn.approval.decided) return;
    turn.approval.decided = decision;
    const view = this._viewOf(turn);
    startRun(turn, decision);
    view.update([{ part: "approval" }]);
    await this._run(this.threadId, turn, { command: { resume: decision } }).catch((err) => this.hooks.error(err));
  }

  // An MCP server's question answered (Accept, Decline or Cancel): the run resumes with the answer.
  async answer(turn, value) {
    while (this.active) await this.active.done;
    if (!this.threadId || !turn.ask || turn.ask.decided) return;
    turn.ask.decided = value.action;
    const view = this._viewOf(turn);
    startRun(turn, value.action);
    view.update([{ part: "ask" }]);
    await this._run(this.threadId, turn, { command: { resume: value } }).catch((err) => this.hooks.error(err));
  }

  async stop() {
    const active = this.active;
    if (!active) return;
    active.stopRequested = true;
    this.hooks.announce("Stopping the run…");
    if (active.runId) await this._cancel(active);
  }

  async _cancel(active) {
    try {
      await api.call("POST", api.runPath(active.threadId, active.runId, "/cancel?action=interrupt"));
    } catch (err) {
      if (!(err instanceof api.ApiError && err.status === 409)) throw err; // 409: it had already ended
    }
  }

  _begin(threadId, turn, runId, lastEventId) {
    const active = { threadId, turn, view: this._viewOf(turn), runId, lastEventId, ended: false,
      stopRequested: false, abort: new AbortController() };
    active.saver = new RunSaver(threadId, active);
    active.done = new Promise((resolve) => { active.resolveDone = resolve; });
    this.active = active;
    this.hooks.busy(true);
    this._tick();
    return active;
  }

  async _run(threadId, turn, body) {
    const active = this._begin(threadId, turn, null, 0);
    const request = {
      assistant_id: "agent", ...body, stream_mode: api.STREAM_MODES, stream_resumable: true,
      on_disconnect: "continue", multitask_strategy: "reject",
    };
    const first = (last, signal, onEvent) =>
      api.stream("POST", api.threadPath(threadId, "/runs/stream"), request, { signal, onEvent });
    await this._follow(active, first);
  }

  async _rejoin(threadId, turn, runId, lastEventId) {
    const run = currentRun(turn);
    if (run) run.status = "running";
    turn.status = "running";
    const active = this._begin(threadId, turn, runId, lastEventId);
    active.view.update([]);
    this._toBottom();
    this.hooks.announce("Rejoined the run in progress.");
    await this._follow(active, null);
  }

  // A thread busy with a run this tab did not start (another tab, the CLI): follow it from its first
  // event onto the last turn; what the saved state already shows is not shown twice.
  async _joinBusy(threadId, turn) {
    const runs = (await api.call("GET", api.threadPath(threadId, "/runs?limit=5")))
      .filter((r) => r.status === "running" || r.status === "pending")
      .sort((a, b) => (a.status === "running" ? -1 : 0) - (b.status === "running" ? -1 : 0));
    if (!runs.length || !turn) return;
    markRunning(turn);
    const run = startRun(turn, "joined");
    const created = Date.parse(runs[0].created_at);
    if (!Number.isNaN(created)) run.startedAt = Math.min(created, Date.now());
    const active = this._begin(threadId, turn, runs[0].run_id, 0);
    active.view.update([{ part: "items" }]);
    this._toBottom();
    await this._follow(active, null);
  }

  async _follow(active, first) {
    const onEvent = (event) => this._event(active, event);
    let open = first;
    let attempts = 0;
    try {
      for (;;) {
        try {
          if (open) await open(active.lastEventId, active.abort.signal, onEvent);
          else await this._stream(active, onEvent);
          if (active.ended) break;
        } catch (err) {
          if (active.abort.signal.aborted) return;
          if (err instanceof api.ApiError && err.status === 404 && active.runId) {
            this._drop(active); // the run (or its events) is gone: show what the thread kept
            await this.open(active.threadId);
            return;
          }
          if (err instanceof api.AuthError || err instanceof api.ApiError || !active.runId) throw err;
          console.warn("the stream broke; rejoining", err);
        }
        if (active.abort.signal.aborted) return;
        if (++attempts > RECONNECTS) throw new Error(`lost the run's stream ${RECONNECTS} times; reload to see it`);
        this.hooks.announce("Connection lost; rejoining the run…");
        await new Promise((resolve) => setTimeout(resolve, 400 * attempts));
        open = null;
      }
      this._release(active); // the run is over: the next message may go while its summary is read
      await this._finish(active);
    } catch (err) {
      if (this.active === active) {
        const run = currentRun(active.turn);
        if (run && run.status === "running") {
          run.status = "error";
          run.error = err.message;
          run.endedAt = Date.now();
        }
        active.turn.status = "error";
        active.view.update([{ part: "runs" }]);
        err.shown = true; // the turn says it; the page need not say it twice
      }
      throw err;
    } finally {
      this._release(active);
    }
  }

  _stream(active, onEvent) {
    return api.stream("GET", api.runPath(active.threadId, active.runId, "/stream"), undefined,
      { lastEventId: active.lastEventId, signal: active.abort.signal, onEvent });
  }

  _event(active, { event, data, id }) {
    if (this.active !== active) return;
    if (id && /^\d+$/.test(id)) active.lastEventId = Number(id);
    if (event === "end") {
      active.ended = true;
      return;
    }
    const changes = apply(active.turn, event, data);
    if (event === "metadata" && data?.run_id) {
      active.runId = data.run_id;
      active.saver.flush();
      if (active.stopRequested) this._cancel(active).catch((err) => this.hooks.error(err));
    } else {
      active.saver.mark();
    }
    if (changes.length) {
      const box = this.els.conversation;
      const following = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
      active.view.update(changes);
      if (following) this._toBottom();
      if (changes.some((c) => c.part === "tool" || c.part === "items")) this._tick();
    }
  }

  // The run ended: read how (answered, paused for approval, stopped, failed) and what it cost.
  async _finish(active) {
    const { turn, view, threadId } = active;
    const run = currentRun(turn);
    run.endedAt = Date.now();
    let state = null;
    try {
      state = await api.call("GET", api.threadPath(threadId, "/state"));
    } catch (err) {
      console.error("could not read the thread's state after the run", err);
    }
    let record = null;
    if (active.runId) {
      try {
        record = await api.call("GET", api.runPath(threadId, active.runId));
      } catch (err) {
        console.error("could not read the run's record", err);
      }
    }
    const changes = [{ part: "runs" }];
    if (state?.interrupts?.length) changes.push(...setApproval(turn, state.interrupts));
    const asking = turn.ask && !turn.ask.decided;
    if (asking || (turn.approval && !turn.approval.decided)) {
      run.status = "paused";
      run.pausedFor = asking ? "ask" : "approval";
    } else if (run.error || record?.status === "error") {
      run.status = "error";
    } else if (active.stopRequested || record?.status === "interrupted") {
      run.status = "stopped";
    } else {
      run.status = "done";
    }
    if (!run.finish && state?.values?.stop_reason && run.status === "done") { // followed without our events
      run.finish = { stopReason: state.values.stop_reason, stats: state.values.stats || {} };
    }
    if (state?.values) {
      run.toolCalls = Array.isArray(state.values.tool_log) ? state.values.tool_log.length : null;
      run.cached = cachedTokens(turn, state.values);
      if (!turn.plan && Array.isArray(state.values.plan) && state.values.plan.length) {
        turn.plan = state.values.plan;
        changes.push({ part: "plan" });
      }
    }
    for (const item of turn.items) { // a stopped run leaves its running tools unfinished
      if (item.kind === "tool" && item.status === "running" && run.status !== "done") {
        item.status = run.status === "stopped" ? "stopped" : "unanswered";
        changes.push({ part: "tool", id: item.id });
      }
    }
    turn.status = run.status === "paused" ? "paused" : run.status === "done" ? "done" : run.status;
    view.update(changes);
    this._toBottom();
    clearRun(threadId, active.runId);
    this.hooks.announce(run.status === "paused" ? (asking ? "Paused: an MCP server asks you a question."
      : "Paused: waiting for your approval.")
      : run.status === "stopped" ? "Stopped." : run.status === "error" ? `The run failed: ${run.error || ""}`
        : stopText(run.finish?.stopReason) || "Done.");
    if (run.status === "paused") view.focusApproval();
    this.hooks.changed();
  }

  _toBottom() {
    this.els.conversation.scrollTop = this.els.conversation.scrollHeight;
  }

  _tick() {
    if (this.ticker !== null) return;
    this.ticker = setInterval(() => {
      tickElapsed(this.els.conversation);
      if (!this.active) {
        clearInterval(this.ticker);
        this.ticker = null;
      }
    }, 200);
  }
}

function describe(thread) {
  const parts = [`status ${thread.status}`];
  const meta = Object.entries(thread.metadata || {}).filter(([k]) => k !== "created_by");
  if (meta.length) parts.push(meta.map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", "));
  return parts.join(" · ");
}
