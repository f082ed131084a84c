// Server-sent events from a fetch() body (EventSource cannot POST or send headers).
// Linear in the input: each character is looked at once, a line split across chunks is
// kept as pieces and joined once; an event larger than MAX_EVENT is refused.

export const MAX_EVENT = 16 * 1024 * 1024;

export class SSEParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.pieces = [];       // the current line, as received
    this.pieceSize = 0;
    this.skipLF = false;    // the last chunk ended with \r: a \n that follows belongs to it
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
    this.size = 0;
    this.id = null;
  }

  push(text) {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 && this.skipLF && i === start) { // \n of a \r\n split across two chunks
        this.skipLF = false;
        start = i + 1;
        continue;
      }
      this.skipLF = false;
      if (c !== 10 && c !== 13) continue;
      this._piece(text.slice(start, i));
      this._line(this.pieces.join(""));
      this.pieces = [];
      this.pieceSize = 0;
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLF = true;
        }
      }
      start = i + 1;
    }
    if (start < text.length) this._piece(text.slice(start));
  }

  _piece(piece) {
    if (!piece) return;
    this.pieceSize += piece.length;
    if (this.pieceSize + this.size > MAX_EVENT) throw new Error(`an event of more than ${MAX_EVENT} characters`);
    this.pieces.push(piece);
  }

  _line(line) {
    if (line === "") {
      if (this.data.length || this.event) {
        this.onEvent({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      }
      this.reset();
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" a comment (heartbeat)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") { this.data.push(value); this.size += value.length; }
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}

// The server sends a heartbeat every few seconds: a stream silent for this long is dead (a proxy or
// a network that dropped it without closing it) and is given up, so that the caller can rejoin.
export const QUIET_MS = 20000;

// Reads an SSE response body, calling onEvent for each event; resolves when the body ends.
export async function readEvents(response, onEvent, signal) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const parser = new SSEParser(onEvent);
  const abort = () => reader.cancel().catch(() => {});
  let quiet = false;
  let timer = null;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { quiet = true; abort(); }, QUIET_MS);
  };
  signal?.addEventListener("abort", abort, { once: true });
  try {
    for (watch(); ;) {
      const { value, done } = await reader.read();
      if (done) break;
      watch();
      parser.push(decoder.decode(value, { stream: true }));
    }
    if (quiet) throw new Error(`the stream was silent for ${QUIET_MS / 1000} s`);
    parser.push(decoder.decode());
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", abort);
  }
}
