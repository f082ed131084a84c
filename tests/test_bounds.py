"""Tool usage kept from turn to turn counts exactly what a count of the whole log gives."""

from __future__ import annotations

import random

from graphs.bounds import Bounds, ToolUsage, UsageCache


def _record(i: int, name: str, args: dict, approved: bool | None = None) -> dict:
    record = {"id": f"c{i}", "name": name, "args": args, "ok": True}
    if approved is not None:
        record["approved"] = approved
    return record


def _same(a: ToolUsage, b: ToolUsage) -> bool:
    return (a.total, a.per_tool, a.per_call) == (b.total, b.per_tool, b.per_call)


def test_a_growing_log_is_counted_like_the_whole_log():
    rng = random.Random(7)
    cache = UsageCache()
    log: list[dict] = []
    for _ in range(60):
        usage = cache.usage(log)
        assert _same(usage, ToolUsage.from_log(log))
        new = [
            _record(len(log) + j, rng.choice(["add", "sub"]), {"a": rng.randint(0, 3)}, rng.choice([None, True, False]))
            for j in range(rng.randint(1, 3))
        ]
        log = [*log, *new]  # as the tools node writes it: a new list, the old records kept


def test_forks_of_one_log_do_not_share_counts():
    cache = UsageCache()
    base = [_record(0, "add", {"a": 1}), _record(1, "add", {"a": 2})]
    cache.usage(base)
    left = [*base, _record(2, "add", {"a": 1})]
    right = [*base, _record(3, "sub", {"a": 9}, approved=False)]
    assert _same(cache.usage(left), ToolUsage.from_log(left))
    assert _same(cache.usage(right), ToolUsage.from_log(right))
    assert _same(cache.usage(base), ToolUsage.from_log(base))


def test_what_a_caller_adds_stays_out_of_the_cache():
    cache = UsageCache()
    log = [_record(0, "add", {"a": 1})]
    usage = cache.usage(log)
    usage.add("add", {"a": 1})  # validation adds the calls it accepts
    again = cache.usage(log)
    assert again.total == 1 and again.per_call == {'add:{"a": 1}': 1}


def test_a_copied_log_is_counted_afresh():
    cache = UsageCache()
    log = [_record(i, "add", {"a": i}) for i in range(5)]
    cache.usage(log)
    copied = [dict(r) for r in log]  # equal records, other objects (a log loaded from a checkpoint)
    copied[2]["args"] = {"a": 0}
    assert _same(cache.usage(copied), ToolUsage.from_log(copied))


def test_the_repeat_bound_reads_the_kept_counts():
    cache, bounds = UsageCache(), Bounds(max_repeats=2)
    log: list[dict] = []
    for i in range(2):
        assert bounds.before_tool_call("add", {"a": 1}, cache.usage(log)) is None
        log = [*log, _record(i, "add", {"a": 1})]
    refused = bounds.before_tool_call("add", {"a": 1}, cache.usage(log))
    assert refused is not None and refused[0] == "repeated_calls"
