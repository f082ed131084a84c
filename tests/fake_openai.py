"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol.

Tests queue replies; the server answers each request with the next one, as a
plain JSON completion or, when the client asks for ``stream``, as SSE chunks
the way real servers send them: ``reasoning_content`` deltas first, content
word by word, tool-call arguments split across chunks, then a usage chunk.
A reply can also be an HTTP failure (429 with ``Retry-After``, 500).
Requests (bodies, headers, paths, arrival times) are recorded for assertions.

Usage comes in each provider's own shape (:func:`usage_shape`): OpenAI's and
DashScope's ``prompt_tokens_details`` (cached tokens, DashScope's explicit cache
writes), DeepSeek's ``prompt_cache_hit_tokens`` / ``prompt_cache_miss_tokens``,
``completion_tokens_details.reasoning_tokens``.  ``first_token_delay`` holds the
first token of a stream back after the headers and the role chunk went out.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str = ""
    reasoning: str = ""
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, raw arguments string)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    usage: tuple[int, int] = (11, 7)
    delay: float = 0.0
    usage_extra: dict[str, Any] = field(default_factory=dict)  # provider-specific usage fields (usage_shape)
    first_token_delay: float = 0.0  # seconds between the stream's first chunk (role) and its first token


def usage_shape(
    provider: str, prompt: int, cached: int = 0, cache_write: int = 0, reasoning: int = 0
) -> dict[str, Any]:
    """The extra usage fields a provider sends for ``prompt`` input tokens of which ``cached`` came from
    its cache and ``cache_write`` were written into an explicit one, and ``reasoning`` output tokens."""
    extra: dict[str, Any] = {}
    if provider == "deepseek":
        extra = {"prompt_cache_hit_tokens": cached, "prompt_cache_miss_tokens": prompt - cached}
    elif provider == "dashscope":
        details: dict[str, Any] = {"cached_tokens": cached}
        if cache_write:
            details |= {"cache_creation_input_tokens": cache_write, "cache_type": "ephemeral"}
        extra = {"prompt_tokens_details": details}
    elif provider == "openai":
        extra = {"prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0}}
    if reasoning:
        extra["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return extra


def fail(status: int, retry_after: str | None = None) -> Reply:
    return Reply(status=status, headers={"Retry-After": retry_after} if retry_after else {})


class FakeOpenAI:
    """Start with ``with FakeOpenAI() as server:``; ``server.url`` is the base URL (…/v1)."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.default: Reply | None = None  # the answer once the queue is empty (None: a 500)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.times: list[float] = []
        self.paths: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def queue(self, *replies: Reply | str) -> None:
        self.replies.extend(Reply(content=r) if isinstance(r, str) else r for r in replies)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if self.path.endswith("/embeddings"):
                    server.embedding_requests.append(body)
                    self._send(200, embeddings(body))
                    return
                with server.lock:  # concurrent requests: each takes its own reply, in arrival order
                    server.requests.append(body)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    server.times.append(time.monotonic())
                    server.paths.append(self.path)
                    reply = server.replies.popleft() if server.replies else server.default or Reply(status=500)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._send(
                        reply.status,
                        {"error": {"message": f"fake failure {reply.status}", "type": "server_error"}},
                        reply.headers,
                    )
                elif body.get("stream"):
                    self._stream(reply, body)
                else:
                    time.sleep(reply.first_token_delay)
                    self._send(200, completion(reply, body))

            def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, reply: Reply, body: dict) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                for index, chunk in enumerate(stream_chunks(reply, body)):
                    if index == 1:
                        time.sleep(reply.first_token_delay)
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.002)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        return Handler


def _usage(reply: Reply) -> dict[str, Any]:
    base = {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1], "total_tokens": sum(reply.usage)}
    return {**base, **reply.usage_extra}


def embeddings(body: dict) -> dict[str, Any]:
    """Deterministic vectors: texts sharing words get similar vectors (the local hashing embedding)."""
    from graphs.recall import HashingEmbeddings

    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    vectors = HashingEmbeddings(64).embed_documents([str(t) for t in texts])
    return {
        "object": "list",
        "model": body.get("model", "fake"),
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
    }


def completion(reply: Reply, body: dict) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{i}_{uuid.uuid4().hex[:6]}",
                "type": "function",
                "function": {"name": name, "arguments": args},
            }
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        "usage": _usage(reply),
    }


def stream_chunks(reply: Reply, body: dict) -> list[dict[str, Any]]:
    base = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"reasoning_content": piece}) for piece in _pieces(reply.reasoning)]
    chunks += [chunk({"content": piece}) for piece in _pieces(reply.content)]
    for index, (name, args) in enumerate(reply.tool_calls):
        call_id = f"call_{index}_{uuid.uuid4().hex[:6]}"
        chunks.append(
            chunk(
                {
                    "tool_calls": [
                        {"index": index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
                    ]
                }
            )
        )
        third = max(1, len(args) // 3)
        for piece in (args[:third], args[third : 2 * third], args[2 * third :]):
            if piece:
                chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    if (body.get("stream_options") or {}).get("include_usage"):
        chunks.append({**base, "choices": [], "usage": _usage(reply)})
    return chunks


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words) if w or i < len(words) - 1]


__all__ = ["FakeOpenAI", "Reply", "completion", "fail", "stream_chunks", "usage_shape"]
