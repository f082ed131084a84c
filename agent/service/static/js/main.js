// The page: asks for the token when the server wants one, shows the model, routes #/threads/<id>
// to a thread, and wires the message box, Stop, New thread and the thread list.

import * as api from "./api.js";
import { Conversation } from "./conversation.js";
import { h } from "./dom.js";
import { ThreadList } from "./threads.js";

const $ = (id) => document.getElementById(id);

const els = {
  prompt: $("prompt"), send: $("send"), stop: $("stop"), composer: $("composer"), status: $("status"),
  pageError: $("page-error"), model: $("model"), nav: $("threads"), toggle: $("threads-toggle"),
  tokenButton: $("token-button"), dialog: $("token-dialog"), tokenForm: $("token-form"), tokenInput: $("token-input"),
  tokenError: $("token-error"), tokenTitle: $("token-title"),
};

let running = false;

const conversation = new Conversation(
  { conversation: $("conversation"), empty: $("empty"), title: $("thread-title"), meta: $("thread-meta") },
  {
    announce: (text) => { els.status.textContent = text; },
    created: (thread, question) => {
      threads.add(thread, question);
      threads.select(thread.thread_id);
    },
    changed: () => threads.refresh().then(() => threads.select(conversation.threadId)).catch(report),
    busy: (flag) => {
      running = flag;
      els.stop.disabled = !flag;
      els.send.disabled = flag;
      els.composer.setAttribute("aria-busy", String(flag));
    },
    error: (err) => report(err),
  },
);

const threads = new ThreadList({ list: $("thread-list"), search: $("thread-search"), count: $("thread-count"),
  more: $("more-threads") });

function report(err) {
  if (err instanceof api.AuthError) {
    askToken("The server refused the token. Enter it again.").then(route).catch(report);
    return;
  }
  if (err?.name === "AbortError") return;
  console.error(err);
  if (err?.shown) return;
  els.pageError.textContent = err?.message || String(err);
  els.pageError.hidden = false;
}

function clearError() {
  els.pageError.hidden = true;
  els.pageError.textContent = "";
}

// --- the token ------------------------------------------------------------------------------
let asking = null;

function askToken(message) {
  if (asking) return asking;
  asking = new Promise((resolve) => {
    els.tokenError.textContent = message || "";
    els.tokenInput.value = "";
    els.tokenInput.setAttribute("aria-invalid", String(Boolean(message)));
    const submit = async (event) => {
      event.preventDefault();
      const value = els.tokenInput.value.trim();
      if (!value) {
        els.tokenError.textContent = "Enter the token.";
        els.tokenInput.focus();
        return;
      }
      api.setToken(value);
      try {
        await showModel();
      } catch (err) {
        if (err instanceof api.AuthError) {
          api.setToken("");
          els.tokenError.textContent = "The server refused this token. Check it and try again.";
          els.tokenInput.setAttribute("aria-invalid", "true");
          els.tokenInput.select();
          return;
        }
        els.tokenError.textContent = `Could not reach the server: ${err.message}`;
        return;
      }
      els.tokenForm.removeEventListener("submit", submit);
      els.dialog.close();
      els.tokenButton.hidden = false;
      asking = null;
      resolve();
    };
    els.tokenForm.addEventListener("submit", submit);
    els.dialog.showModal();
    els.tokenInput.focus();
  });
  return asking;
}

els.dialog.addEventListener("cancel", (event) => event.preventDefault()); // nothing works without it
els.tokenButton.addEventListener("click", () => {
  api.setToken("");
  askToken("").then(route).catch(report);
});

async function showModel() {
  const info = await api.call("GET", "/info");
  const model = info.model || {};
  let text = "Model: unknown";
  let note = "";
  if (model.offline) {
    text = "Model: offline";
    note = " (no language model configured; answers come from the tools)";
  } else if (model.error) {
    text = `Model: not usable: ${model.error}`;
  } else if (model.custom) {
    text = "Model: the one the served graph sets";
  } else if (model.model) {
    text = `Model: ${model.provider ? `${model.provider} · ` : ""}${model.model}`;
  }
  els.model.replaceChildren(text, note ? h("span", { class: "model-note", text: note }) : "");
  els.model.dataset.offline = String(Boolean(model.offline));
}

// --- routing ----------------------------------------------------------------------------------
function threadFromHash() {
  const match = /^#\/threads\/([^/?#]+)$/.exec(location.hash);
  if (!match) return null;
  let id;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  return api.validId(id) ? id : null;
}

async function route() {
  clearError();
  const id = threadFromHash();
  if (location.hash && location.hash !== "#/" && !id) report(new Error("That link names no thread; showing a new one."));
  threads.select(id);
  closeNav();
  await conversation.open(id);
}

window.addEventListener("hashchange", () => {
  if (threadFromHash() === conversation.threadId && conversation.threadId) return;
  route().catch(report);
});
window.addEventListener("popstate", () => {
  if (threadFromHash() !== conversation.threadId) route().catch(report);
});
window.addEventListener("pagehide", () => conversation.active?.saver.flush());

// --- the message box ------------------------------------------------------------------------
els.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = els.prompt.value.trim();
  if (!text) {
    els.prompt.focus();
    return;
  }
  if (running) {
    report(new Error("A run is going on in this thread: wait for its end, or press Stop."));
    return;
  }
  clearError();
  els.prompt.value = "";
  conversation.send(text).catch(report);
});

els.prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    els.composer.requestSubmit();
  }
});

els.stop.addEventListener("click", () => {
  conversation.stop().catch(report);
  els.prompt.focus();
});

$("new-thread").addEventListener("click", () => {
  if (location.hash && location.hash !== "#/") location.hash = "#/";
  else route().catch(report);
  els.prompt.focus();
});

// --- the thread list on a narrow screen -------------------------------------------------------
function closeNav() {
  document.body.classList.remove("nav-open");
  els.toggle.setAttribute("aria-expanded", "false");
}

els.toggle.addEventListener("click", () => {
  const open = !document.body.classList.contains("nav-open");
  document.body.classList.toggle("nav-open", open);
  els.toggle.setAttribute("aria-expanded", String(open));
  if (open) $("new-thread").focus();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && document.body.classList.contains("nav-open")) {
    closeNav();
    els.toggle.focus();
  }
});

// --- start ----------------------------------------------------------------------------------
async function start() {
  try {
    await showModel();
  } catch (err) {
    if (!(err instanceof api.AuthError)) throw err;
    await askToken(api.token() ? "The server refused the saved token. Enter it again." : ""); // resolves once one works
  }
  if (api.token()) els.tokenButton.hidden = false;
  await Promise.all([threads.refresh(), route()]);
}

start().catch(report);
