"""Token estimates kept per message equal LangChain's count of the whole list, and follow a changed message."""

from __future__ import annotations

import gc

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.utils import count_tokens_approximately

from graphs import estimate
from graphs.estimate import estimate_tokens, message_tokens


def _conversation() -> list:
    return [
        SystemMessage("You are terse."),
        HumanMessage("Is 97 prime? " * 7, name="ada"),
        AIMessage("", tool_calls=[{"name": "prime_check", "args": {"n": 97}, "id": "c1"}]),
        ToolMessage('{"prime": true}', tool_call_id="c1", name="prime_check"),
        HumanMessage([{"type": "text", "text": "and this?"}, {"type": "image_url", "image_url": {"url": "x"}}]),
        AIMessage([{"type": "text", "text": "a picture"}, "plain"]),
        AIMessage("Yes, 97 is prime.", id="answer-1"),
    ]


def test_the_sum_of_kept_counts_is_langchains_count():
    messages = _conversation()
    for end in range(len(messages) + 1):
        assert estimate_tokens(messages[:end]) == count_tokens_approximately(messages[:end])
    assert estimate_tokens(messages) == count_tokens_approximately(messages)  # again, from the kept counts


def test_a_changed_message_is_counted_again():
    message = AIMessage("short")
    before = message_tokens(message)
    message.content = "a much longer answer than before " * 10
    assert message_tokens(message) == count_tokens_approximately([message]) > before
    message.tool_calls = [{"name": "add", "args": {"a": 1, "b": 2}, "id": "c9", "type": "tool_call"}]
    assert message_tokens(message) == count_tokens_approximately([message])


def test_a_collected_message_leaves_no_entry():
    message = HumanMessage("soon gone")
    message_tokens(message)
    key = id(message)
    assert key in estimate._KEPT
    del message
    gc.collect()
    assert key not in estimate._KEPT


def test_plain_values_are_counted_without_being_kept():
    plain = ["hello there", ("user", "hi")]
    assert estimate_tokens(plain) == count_tokens_approximately(plain)


def test_a_growing_prompt_is_counted_from_its_counted_beginning():
    head = SystemMessage("You are terse.")
    history: list = [HumanMessage("go")]
    for turn in range(30):
        prompt = [head, *history, SystemMessage(f"plan note {turn}")]  # a new note each call, as the graph does
        assert estimate_tokens(prompt) == count_tokens_approximately(prompt)
        history = [*history, AIMessage(f"step {turn} " * (turn % 5)), HumanMessage("more " * turn)]


def test_a_list_changed_after_counting_is_not_mistaken_for_the_counted_one():
    messages = [HumanMessage("a"), AIMessage("b" * 50)]
    assert estimate_tokens(messages) == count_tokens_approximately(messages)
    messages[0] = HumanMessage("a much longer first message " * 20)  # same last message, same length
    assert estimate_tokens(messages) == count_tokens_approximately(messages)
