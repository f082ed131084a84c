// The run a tab is following, kept in sessionStorage so that a reload rejoins it where it was:
// the turn as shown so far and the id of the last event it includes, written together so they
// always agree (a reload replays exactly the events after that id onto that turn).

const PREFIX = "agent-ui.run.";
const EVERY_MS = 250;

export function loadRun(threadId) {
  try {
    const text = sessionStorage.getItem(PREFIX + threadId);
    const record = text ? JSON.parse(text) : null;
    return record && record.turn && record.runId ? record : null;
  } catch (err) {
    console.error("the saved run of this thread could not be read; it is dropped", err);
    clearRun(threadId);
    return null;
  }
}

// Forgets the saved run of a thread (only if it is runId's: a later run of the thread may be saved by then).
export function clearRun(threadId, runId = null) {
  if (runId) {
    const text = sessionStorage.getItem(PREFIX + threadId);
    try {
      if (text && JSON.parse(text).runId !== runId) return;
    } catch {
      // unreadable: removed below
    }
  }
  sessionStorage.removeItem(PREFIX + threadId);
}

// Writes {runId, lastEventId, turn} at most every EVERY_MS, and at once on flush().
export class RunSaver {
  constructor(threadId, active) {
    this.threadId = threadId;
    this.active = active;
    this.timer = null;
  }

  mark() {
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), EVERY_MS);
  }

  flush() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const { runId, lastEventId, turn } = this.active;
    if (!runId) return;
    try {
      sessionStorage.setItem(PREFIX + this.threadId, JSON.stringify({ runId, lastEventId, turn }));
    } catch (err) { // storage full: a reload then shows the thread's saved state instead
      console.error("could not keep the run for a reload", err);
    }
  }

  cancel() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
