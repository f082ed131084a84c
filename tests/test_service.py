"""The service against the official langgraph-sdk client: one real process on 127.0.0.1, SQLite under AGENT_HOME.

The graph is tests/service_graphs.py (a model that acts on the words of its task);
end-to-end answers of the real agent use the offline model (test_service_agent.py).
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from langgraph_sdk import get_client
from service_proc import ServiceProcess, ask, service_env

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("service")
    proc = ServiceProcess(service_env(tmp, ERASE_LOG=str(tmp / "erased.log")))
    yield proc, tmp
    proc.stop()


@pytest.fixture
def client(service):
    return get_client(url=service[0].url)


def answer_of(values: dict) -> str:
    return values.get("answer") or values["messages"][-1]["content"]


async def test_assistants(client):
    (assistant,) = await client.assistants.search()
    assert assistant["graph_id"] == "agent"
    assert (await client.assistants.get("agent"))["assistant_id"] == assistant["assistant_id"]
    graph = await client.assistants.get_graph(assistant["assistant_id"])
    assert {"model", "tools", "approve"} <= {node["id"] for node in graph["nodes"]}
    schemas = await client.assistants.get_schemas("agent")
    assert "messages" in schemas["input_schema"]["properties"] and "answer" in schemas["state_schema"]["properties"]


async def test_threads_lifecycle(client):
    thread = await client.threads.create(metadata={"user": "ada", "topic": "sums"})
    assert thread["status"] == "idle" and thread["metadata"] == {"user": "ada", "topic": "sums"}
    same = await client.threads.create(thread_id=thread["thread_id"], if_exists="do_nothing")
    assert same["thread_id"] == thread["thread_id"]
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await client.threads.create(thread_id=thread["thread_id"], if_exists="raise")
    assert refused.value.response.status_code == 409
    await client.threads.update(thread["thread_id"], metadata={"topic": "primes"})
    assert (await client.threads.get(thread["thread_id"]))["metadata"] == {"user": "ada", "topic": "primes"}
    found = await client.threads.search(metadata={"user": "ada"})
    assert [t["thread_id"] for t in found] == [thread["thread_id"]]
    assert await client.threads.search(metadata={"user": "nobody"}) == []
    await client.runs.wait(thread["thread_id"], "agent", input=ask("add 2 3"))
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["answer"] == "add: 5" and state["next"] == []
    history = await client.threads.get_history(thread["thread_id"], limit=50)
    assert len(history) >= 3 and history[0]["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
    earlier = history[-1]["checkpoint"]["checkpoint_id"]
    assert (await client.threads.get_state(thread["thread_id"], checkpoint_id=earlier))["values"].get("answer") in (
        None,
        "",
    )
    copy = await client.threads.copy(thread["thread_id"])
    copied = await client.threads.get_state(copy["thread_id"])
    assert [m["content"] for m in copied["values"]["messages"]] == [m["content"] for m in state["values"]["messages"]]
    await client.threads.delete(thread["thread_id"])
    with pytest.raises(httpx.HTTPStatusError) as gone:
        await client.threads.get(thread["thread_id"])
    assert gone.value.response.status_code == 404


async def test_update_state_edits_the_thread(client):
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "agent", input=ask("add 1 1"))
    updated = await client.threads.update_state(thread["thread_id"], {"summary": "edited by a person"})
    assert updated["checkpoint"]["checkpoint_id"]
    assert (await client.threads.get_state(thread["thread_id"]))["values"]["summary"] == "edited by a person"


async def test_search_by_status(client):
    busy = await client.threads.create(metadata={"case": "status"})
    run = await client.runs.create(busy["thread_id"], "agent", input=ask("sleep 1.5"))
    await asyncio.sleep(0.5)
    assert busy["thread_id"] in [t["thread_id"] for t in await client.threads.search(status="busy", limit=100)]
    await client.runs.join(busy["thread_id"], run["run_id"])
    assert (await client.threads.get(busy["thread_id"]))["status"] == "idle"


@pytest.mark.parametrize(
    "modes,expected",
    [
        (["values"], {"values"}),
        (["updates"], {"updates"}),
        (["messages-tuple"], {"messages"}),
        (["messages"], {"messages/metadata", "messages/partial"}),
        (["custom"], {"custom"}),
        (["debug"], {"debug"}),
        (["events"], {"events"}),
    ],
)
async def test_every_stream_mode(client, modes, expected):
    thread = await client.threads.create()
    parts = [
        p
        async for p in client.runs.stream(
            thread["thread_id"], "agent", input=ask("tell me hello world"), stream_mode=modes
        )
    ]
    events = [p.event for p in parts]
    assert events[0] == "metadata" and events[-1] == "end" and "error" not in events
    assert expected <= set(events)
    if "messages-tuple" in modes:
        chunk, metadata = next(p.data for p in parts if p.event == "messages")
        assert chunk["type"] == "AIMessageChunk" and metadata["langgraph_node"] == "model"
        text = "".join(p.data[0]["content"] for p in parts if p.event == "messages")
        assert "hello world" in text
    if "messages" in modes:
        last = [p.data for p in parts if p.event == "messages/partial"][-1]
        assert "hello world" in last[0]["content"]
    if "custom" in modes:
        assert {"type": "note", "text": "hello world"} in [p.data for p in parts if p.event == "custom"]
    if "values" in modes:
        assert answer_of([p.data for p in parts if p.event == "values"][-1]) == "hello world"


async def test_stateless_runs_leave_no_thread(client):
    result = await client.runs.wait(None, "agent", input=ask("add 20 22"))
    assert result["answer"] == "add: 42"
    parts = [p async for p in client.runs.stream(None, "agent", input=ask("add 1 2"), stream_mode="values")]
    assert answer_of(parts[-2].data) == "add: 3"
    assert [t for t in await client.threads.search(limit=1000) if t["metadata"].get("temporary")] == []


async def test_runs_listed_read_and_deleted(client):
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=ask("add 4 4"))
    assert run["status"] in ("pending", "running", "success")
    final = await client.runs.join(thread["thread_id"], run["run_id"])
    assert final["answer"] == "add: 8"
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
    assert [r["run_id"] for r in await client.runs.list(thread["thread_id"])] == [run["run_id"]]
    await client.runs.delete(thread["thread_id"], run["run_id"])
    assert await client.runs.list(thread["thread_id"]) == []


async def test_a_destructive_call_is_approved_or_denied_through_command(client, service):
    log = service[1] / "erased.log"
    thread = await client.threads.create()
    paused = await client.runs.wait(thread["thread_id"], "agent", input=ask("erase customers"))
    (interrupt,) = paused["__interrupt__"]
    assert interrupt["value"]["calls"][0]["args"] == {"table": "customers"}
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"
    assert not log.exists() or "customers" not in log.read_text()
    done = await client.runs.wait(thread["thread_id"], "agent", command={"resume": "approve"})
    assert done["answer"] == "erase: erased customers" and "customers" in log.read_text()
    other = await client.threads.create()
    await client.runs.wait(other["thread_id"], "agent", input=ask("erase orders"))
    denied = await client.runs.wait(other["thread_id"], "agent", command={"resume": "deny"})
    assert "denied" in denied["answer"] and "orders" not in log.read_text()
    assert denied["stop_reason"] == "denied"


async def test_multitask_reject(client):
    thread = await client.threads.create()
    first = await client.runs.create(thread["thread_id"], "agent", input=ask("sleep 1.5"))
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await client.runs.create(thread["thread_id"], "agent", input=ask("add 1 1"), multitask_strategy="reject")
    assert refused.value.response.status_code == 409 and first["run_id"] in refused.value.response.text
    await client.runs.join(thread["thread_id"], first["run_id"])


async def test_multitask_enqueue_runs_in_order(client):
    thread = await client.threads.create()
    runs = [
        await client.runs.create(thread["thread_id"], "agent", input=ask(task), multitask_strategy="enqueue")
        for task in ("sleep 0.5", "add 1 2", "add 3 4")
    ]
    for run in runs:
        await client.runs.join(thread["thread_id"], run["run_id"])
    state = await client.threads.get_state(thread["thread_id"])
    humans = [m["content"] for m in state["values"]["messages"] if m["type"] == "human"]
    assert humans == ["sleep 0.5", "add 1 2", "add 3 4"]  # one after the other, in order
    assert {r["status"] for r in await client.runs.list(thread["thread_id"])} == {"success"}


async def test_multitask_interrupt_keeps_progress(client):
    thread = await client.threads.create()
    first = await client.runs.create(thread["thread_id"], "agent", input=ask("sleep 30"))
    await asyncio.sleep(1.0)
    second = await client.runs.create(
        thread["thread_id"], "agent", input=ask("add 2 2"), multitask_strategy="interrupt"
    )
    assert (await client.runs.join(thread["thread_id"], second["run_id"]))["answer"] == "add: 4"
    assert (await client.runs.get(thread["thread_id"], first["run_id"]))["status"] == "interrupted"
    humans = [
        m["content"]
        for m in (await client.threads.get_state(thread["thread_id"]))["values"]["messages"]
        if m["type"] == "human"
    ]
    assert humans == ["sleep 30", "add 2 2"]  # the first run's progress was kept


async def test_multitask_rollback_removes_the_run(client):
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "agent", input=ask("add 1 1"))
    first = await client.runs.create(thread["thread_id"], "agent", input=ask("sleep 30"))
    await asyncio.sleep(1.0)
    second = await client.runs.create(thread["thread_id"], "agent", input=ask("add 5 5"), multitask_strategy="rollback")
    assert (await client.runs.join(thread["thread_id"], second["run_id"]))["answer"] == "add: 10"
    assert first["run_id"] not in [r["run_id"] for r in await client.runs.list(thread["thread_id"])]
    humans = [
        m["content"]
        for m in (await client.threads.get_state(thread["thread_id"]))["values"]["messages"]
        if m["type"] == "human"
    ]
    assert humans == ["add 1 1", "add 5 5"]  # the rolled-back run left nothing


async def test_cancel_interrupt_and_rollback(client):
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=ask("sleep 30"))
    await asyncio.sleep(1.0)
    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True, action="interrupt")
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "interrupted"
    again = await client.runs.create(thread["thread_id"], "agent", input=ask("sleep 30"))
    await asyncio.sleep(1.0)
    await client.runs.cancel(thread["thread_id"], again["run_id"], wait=True, action="rollback")
    assert again["run_id"] not in [r["run_id"] for r in await client.runs.list(thread["thread_id"])]
    humans = [
        m["content"]
        for m in (await client.threads.get_state(thread["thread_id"]))["values"]["messages"]
        if m["type"] == "human"
    ]
    assert humans == ["sleep 30"]


async def test_last_event_id_resumes_a_dropped_stream(client, service):
    thread = await client.threads.create()
    url = service[0].url
    body = {
        "assistant_id": "agent",
        "input": ask("tell me one two three"),
        "stream_mode": ["messages-tuple", "values"],
        "stream_resumable": True,
        "on_disconnect": "continue",
    }
    seen: list[tuple[str, str]] = []
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        http.stream("POST", f"/threads/{thread['thread_id']}/runs/stream", json=body) as response,
    ):
        location = response.headers["location"]
        async for line in response.aiter_lines():
            if line.startswith("id: "):
                seen.append(("id", line[4:]))
            if len([s for s in seen if s[0] == "id"]) == 3:
                break  # the connection drops here
    last = [s[1] for s in seen if s[0] == "id"][-1]
    rest = [p async for p in client.runs.join_stream(thread["thread_id"], location.split("/")[-2], last_event_id=last)]
    ids = [int(p.id) for p in rest if p.id]
    assert ids[0] == int(last) + 1 and ids == list(range(ids[0], ids[0] + len(ids)))  # no gap, no repeat
    assert rest[-1].event == "end"


async def test_fifty_threads_at_once(client):
    async def one(n: int) -> str:
        thread = await client.threads.create()
        result = await client.runs.wait(thread["thread_id"], "agent", input=ask(f"add {n} {n}"))
        return result["answer"]

    answers = await asyncio.gather(*(one(n) for n in range(50)))
    assert answers == [f"add: {2 * n}" for n in range(50)]


async def test_bad_requests_get_4xx_with_a_reason(service):
    async with httpx.AsyncClient(base_url=service[0].url, timeout=30) as http:
        malformed = await http.post("/threads", content=b"{not json", headers={"Content-Type": "application/json"})
        assert malformed.status_code == 422 and "JSON" in malformed.json()["detail"]
        unknown = await http.get("/threads/nope")
        assert unknown.status_code == 404 and "nope" in unknown.json()["detail"]
        thread = (await http.post("/threads", json={})).json()
        bad_mode = await http.post(
            f"/threads/{thread['thread_id']}/runs", json={"assistant_id": "agent", "stream_mode": "poetry"}
        )
        assert bad_mode.status_code == 422 and "poetry" in bad_mode.json()["detail"]
        huge = await http.post("/threads", content=json.dumps({"metadata": {"x": "y" * 2_000_000}}).encode())
        assert huge.status_code == 413
        no_run = await http.get(f"/threads/{thread['thread_id']}/runs/nope")
        assert no_run.status_code == 404
        no_assistant = await http.post(f"/threads/{thread['thread_id']}/runs", json={"assistant_id": "ghost"})
        assert no_assistant.status_code == 404
        assert (await http.get("/ok")).json() == {"ok": True}
        document = (await http.get("/openapi.json")).json()
        assert "/threads/{thread_id}/runs/stream" in document["paths"] and "post" in document["paths"]["/runs/wait"]


async def test_the_store(client):
    await client.store.put_item(["users", "ada"], "prefs", {"lang": "en"})
    item = await client.store.get_item(["users", "ada"], "prefs")
    assert item["value"] == {"lang": "en"}
    found = await client.store.search_items(["users"], filter={"lang": "en"})
    assert [i["key"] for i in found["items"]] == ["prefs"]
    assert ["users", "ada"] in (await client.store.list_namespaces(prefix=["users"]))["namespaces"]
    await client.store.delete_item(["users", "ada"], "prefs")
    with pytest.raises(httpx.HTTPStatusError):
        await client.store.get_item(["users", "ada"], "prefs")


def test_a_token_is_required_when_set(tmp_path):
    proc = ServiceProcess(service_env(tmp_path, AGENT_API_TOKEN="t0ken-for-the-test-0123456789"))
    try:
        assert httpx.get(proc.url + "/threads/x").status_code == 401
        assert httpx.post(proc.url + "/threads", json={}).status_code == 401
        ok = httpx.post(
            proc.url + "/threads", json={}, headers={"Authorization": "Bearer t0ken-for-the-test-0123456789"}
        )
        assert ok.status_code == 200

        async def with_sdk() -> None:
            sdk = get_client(
                url=proc.url, api_key=None, headers={"Authorization": "Bearer t0ken-for-the-test-0123456789"}
            )
            assert (await sdk.threads.create())["status"] == "idle"

        asyncio.run(with_sdk())
    finally:
        proc.stop()


def test_binding_beyond_loopback_needs_a_token(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "agent.service", "--host", "0.0.0.0", "--port", "0"],
        env=service_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "AGENT_API_TOKEN" in out.stderr


async def test_joining_the_stream_of_a_finished_run_ends(client):
    """A late joiner gets what is kept and an end, never a stream that waits for ever."""
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=ask("add 2 2"))
    await client.runs.join(thread["thread_id"], run["run_id"])
    parts = [p async for p in client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="99999")]
    assert [p.event for p in parts] == ["end"]
