// The thread list: most recently active first, from /threads/search; the search box filters what
// was fetched, over each thread's first question, its metadata and its id.

import * as api from "./api.js";
import { clear, clip, h, when } from "./dom.js";
import { contentParts } from "./turn.js";

const PAGE = 50;

export class ThreadList {
  constructor(els) {
    this.els = els; // list, search, count, more
    this.threads = [];
    this.asked = new Map(); // thread id -> the question this page sent first (until the server has it)
    this.asking = 0; // the latest refresh: an older answer arriving late is dropped
    this.limit = PAGE;
    this.selected = null;
    els.search.addEventListener("input", () => this.render());
    els.more.addEventListener("click", () => {
      this.limit += PAGE;
      this.refresh().catch((err) => console.error("could not list threads", err));
    });
  }

  async refresh() {
    const ask = ++this.asking;
    const found = await api.call("POST", "/threads/search",
      { limit: this.limit, offset: 0, sort_by: "updated_at", sort_order: "desc" });
    if (ask !== this.asking) return;
    this.threads = found.map((t) => summary(t, this.asked.get(t.thread_id)));
    this.els.more.hidden = found.length < this.limit;
    this.render();
  }

  // A thread this page just made, shown at once with its question (the server has no message yet).
  add(thread, question) {
    this.asked.set(thread.thread_id, question);
    const shown = summary({ ...thread, status: "busy" }, question);
    this.threads = [shown, ...this.threads.filter((t) => t.id !== shown.id)];
    this.render();
  }

  select(threadId) {
    this.selected = threadId;
    for (const link of this.els.list.querySelectorAll("a[data-id]")) {
      if (link.dataset.id === threadId) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  render() {
    const words = this.els.search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = this.threads.filter((t) => words.every((w) => t.haystack.includes(w)));
    clear(this.els.list);
    for (const thread of shown) {
      const link = h("a", { href: `#/threads/${encodeURIComponent(thread.id)}`, dataset: { id: thread.id } },
        h("span", { class: "t-title", text: thread.title }),
        h("span", { class: "t-meta" }, [when(thread.updated), thread.status !== "idle" ? thread.status : null,
          thread.meta].filter(Boolean).join(" · ")));
      if (thread.id === this.selected) link.setAttribute("aria-current", "page");
      this.els.list.append(h("li", { dataset: { status: thread.status } }, link));
    }
    const total = this.threads.length;
    this.els.count.textContent = words.length ? `${shown.length} of ${total} threads match`
      : `${total} thread${total === 1 ? "" : "s"}`;
  }
}

function summary(thread, asked = "") {
  const messages = Array.isArray(thread.values?.messages) ? thread.values.messages : [];
  const first = messages.find((m) => m?.type === "human");
  const question = first ? contentParts(first.content).text : asked;
  const metadata = Object.entries(thread.metadata || {}).filter(([k]) => k !== "created_by")
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  const title = question ? clip(question, 80) : "(no messages yet)";
  return {
    id: thread.thread_id, title, status: thread.status, updated: thread.updated_at, meta: clip(metadata.join(", "), 60),
    haystack: `${question}\n${metadata.join("\n")}\n${Object.keys(thread.metadata || {}).join(" ")}\n${thread.thread_id}`
      .toLowerCase(),
  };
}
