"""``agent threads``: list, show and delete the conversation threads of the checkpointer."""

from __future__ import annotations

import argparse
import json
from typing import Any

from agent.render_text import printable

MAX_THREADS = 200


def _graph(settings: Any) -> Any:
    """A graph only for reading state: offline model, no tools (threads need the state schema)."""
    from graphs.builder import build_agent
    from graphs.offline import OfflineModel

    return build_agent(model=OfflineModel(), tools=[], settings=settings)


def thread_ids(saver: Any) -> list[tuple[str, str]]:
    """(thread id, last update time), newest first."""
    seen: dict[str, str] = {}
    for item in saver.list(None):
        thread = item.config["configurable"]["thread_id"]
        if thread not in seen:
            seen[thread] = item.checkpoint.get("ts", "")
            if len(seen) >= MAX_THREADS:
                break
    return sorted(seen.items(), key=lambda kv: kv[1], reverse=True)


def _first_task(messages: list[Any]) -> str:
    return next((m.text[:80] for m in messages if m.type == "human"), "")


def threads_command(args: argparse.Namespace, settings: Any) -> int:
    graph = _graph(settings)
    saver = graph.checkpointer
    if args.action == "list":
        rows = []
        for thread, ts in thread_ids(saver):
            messages = graph.get_state({"configurable": {"thread_id": thread}}).values.get("messages", [])
            rows.append({"thread_id": thread, "updated": ts, "messages": len(messages), "first": _first_task(messages)})
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for row in rows:
                line = f"{row['thread_id']}  {row['updated'][:19]}  {row['messages']:4d} messages  {row['first']}"
                print(printable(line))
            if not rows:
                print("no threads yet")
        return 0
    from agent.cli import NotFound, UsageError

    if args.action == "prune":
        return _prune(graph, args, settings)
    if not args.thread or not args.thread.strip():
        raise UsageError(f"threads {args.action}: name the thread id (agent threads list shows them)")
    config = {"configurable": {"thread_id": args.thread}}
    if saver.get_tuple(config) is None:
        raise NotFound(f"no thread {args.thread} (agent threads list shows them)")
    if args.action == "delete":
        saver.delete_thread(args.thread)
        print(f"deleted thread {args.thread}")
        return 0
    values = graph.get_state(config).values
    if getattr(args, "usage", False):
        return _show_usage(args.thread, values, args.json)
    messages = values.get("messages", [])
    if args.json:
        print(json.dumps([_message_json(m) for m in messages], ensure_ascii=False))
        return 0
    for message in messages:
        print(printable(_message_line(message)))
    return 0


def _prune(graph: Any, args: argparse.Namespace, settings: Any) -> int:
    """Delete threads older than the TTL, rewrite the rest (or the one named) as one checkpoint each, compact."""
    from agent.cli import NotFound, UsageError
    from agent.settings import parse_age
    from graphs.retention import compact_storage, expired_threads, prune_thread, storage_bytes

    saver = graph.checkpointer
    ttl_text = args.ttl or settings.thread_ttl
    try:
        ttl = parse_age(ttl_text) if ttl_text else None
    except ValueError as exc:
        raise UsageError(f"threads prune --ttl: {exc}") from None
    if args.thread and saver.get_tuple({"configurable": {"thread_id": args.thread}}) is None:
        raise NotFound(f"no thread {args.thread} (agent threads list shows them)")
    before = storage_bytes(saver)
    expired = [] if args.thread else (expired_threads(saver, ttl) if ttl else [])
    for thread in expired:
        saver.delete_thread(thread)
    targets = [args.thread] if args.thread else sorted(set(_all_threads(saver)) - set(expired))
    pruned = [thread for thread in targets if prune_thread(graph, thread)]
    compact_storage(saver)
    after = storage_bytes(saver)
    report = {
        "deleted": expired,
        "pruned": pruned,
        "left": sorted(set(targets) - set(pruned)),
        "bytes_before": before,
        "bytes_after": after,
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"deleted {len(expired)} thread(s) older than {ttl_text}" if ttl else "no --ttl: no thread deleted")
    print(f"pruned {len(pruned)} thread(s) to one checkpoint; {len(report['left'])} paused or empty left as they were")
    print(f"storage {before:,} -> {after:,} bytes")
    return 0


def _all_threads(saver: Any) -> list[str]:
    return list({item.config["configurable"]["thread_id"]: None for item in saver.list(None)})


def thread_usage(values: dict[str, Any]) -> dict[str, Any]:
    """The thread's runs summed: its earlier runs (kept in the run counters) plus the last one."""
    from graphs.usage import roll_up

    tools = sum(1 for r in values.get("tool_log", []) or [] if r.get("approved", True))
    total = dict(roll_up(values.get("stats", {}), tools))
    keys = ("runs", "model_calls", "tool_calls", "input_tokens", "cached_tokens", "cache_write_tokens")
    usage: dict[str, Any] = {key: total.get(key, 0) for key in (*keys, "output_tokens", "reasoning_tokens")}
    usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    usage["cost"] = round(total.get("cost", 0.0), 8)
    if total.get("cost_estimated"):
        usage["cost_estimated"] = True
    return usage


def _show_usage(thread: str, values: dict[str, Any], as_json: bool) -> int:
    usage = thread_usage(values)
    if as_json:
        print(json.dumps({"thread_id": thread, **usage}, ensure_ascii=False))
        return 0
    estimate = usage.get("cost_estimated")
    print(
        printable(
            f"thread {thread} · runs {usage['runs']} · model calls {usage['model_calls']} · tool calls "
            f"{usage['tool_calls']} · tokens {usage['total_tokens']:,} (in {usage['input_tokens']:,} / out "
            f"{usage['output_tokens']:,}) · cached {usage['cached_tokens']:,} · cache writes "
            f"{usage['cache_write_tokens']:,} · reasoning {usage['reasoning_tokens']:,} · cost "
            f"{'~' if estimate else ''}{usage['cost']:.6f}{' (estimate)' if estimate else ''}"
        )
    )
    return 0


def _message_json(message: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.type, "content": message.text}
    if getattr(message, "tool_calls", None):
        data["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
    if message.type == "tool":
        data["name"], data["status"] = message.name, message.status
    return data


def _message_line(message: Any) -> str:
    if message.type == "tool":
        return f"  tool {message.name} [{message.status}]: {message.text[:200]}"
    calls = " ".join(
        f"→ {c['name']}({json.dumps(c['args'], ensure_ascii=False)})" for c in getattr(message, "tool_calls", []) or []
    )
    who = {"human": "you", "ai": "agent"}.get(message.type, message.type)
    return f"{who}: {message.text}{(' ' + calls) if calls else ''}".rstrip()
