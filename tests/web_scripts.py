"""Scripts the web page's tests run inside the page (they import the page's own modules from /ui/js/)."""

# Records each status the plan's steps take while a run goes on.
PLAN_WATCH = r"""() => {
  window.planSeen = [];
  const see = (status) => { if (status && !window.planSeen.includes(status)) window.planSeen.push(status); };
  new MutationObserver((records) => {
    // a step's earlier status from the record itself: events read in one task change a step twice before this runs
    for (const r of records) {
      if (r.type === "attributes" && r.attributeName === "data-status" && r.target.matches(".plan li")) see(r.oldValue);
    }
    for (const step of document.querySelectorAll(".plan li")) see(step.dataset.status);
  }).observe(document.getElementById("conversation"),
             { subtree: true, childList: true, attributes: true, attributeOldValue: true });
}"""

# Feeds a turn view events the test graphs do not make: reasoning, an MCP tool that fails, a refused call,
# hostile markup in every field, and a stop by a bound.
RENDER_EVENTS_JS = r"""async () => {
    const { newTurn, startRun, apply } = await import("/ui/js/turn.js");
    const { TurnView } = await import("/ui/js/view.js");
    const turn = newTurn("<b>q</b>", "m1");
    startRun(turn, "question");
    const view = new TurnView(turn, 1, { decide() {} });
    document.getElementById("conversation").append(view.el);
    const meta = { langgraph_node: "model" };
    const events = [
      ["messages", [{ type: "AIMessageChunk", id: "a", content: "",
        additional_kwargs: { reasoning_content: "thinking <i>hard</i>" } }, meta]],
      ["custom", { type: "tool_start", id: "t1", name: "web__fetch_page", args: { url: "http://x/<svg>" } }],
      ["custom", { type: "tool_end", id: "t1", name: "web__fetch_page", ok: false, seconds: 0.5,
        result: "Error: fetch_page failed: <b>timeout</b>" }],
      ["custom", { type: "tool_rejected", id: "t2", name: "calculator", error: "bad arguments" }],
      ["messages", [{ type: "AIMessageChunk", id: "b", content: "partial <u>answer</u>" }, meta]],
      ["custom", { type: "finish", stop_reason: "model_calls",
        stats: { model_calls: 8, input_tokens: 10, output_tokens: 5, cost: 0.0012 } }],
    ];
    for (const [event, data] of events) view.update(apply(turn, event, data));
    turn.runs[0].status = "done";
    turn.runs[0].cached = 4;
    turn.runs[0].endedAt = Date.now();
    turn.status = "done";
    view.update([{ part: "runs" }]);
}"""

# The SSE parser over every split of one stream, byte by byte, and an event over the size limit.
SSE_PARSER_JS = r"""async () => {
    const { SSEParser, MAX_EVENT } = await import("/ui/js/sse.js");
    const text = ": heartbeat\r\n\r\nevent: metadata\r\ndata: {\"run_id\":\"r\"}\r\nid: 1\r\n\r\n"
      + "event: messages\ndata: [1,\ndata: 2]\nid: 2\n\nevent: end\rdata: null\rid: 3\r\r";
    const parse = (chunks) => {
      const out = [];
      const parser = new SSEParser((e) => out.push(JSON.stringify(e)));
      for (const c of chunks) parser.push(c);
      return out.join("|");
    };
    const whole = parse([text]);
    const splits = [];
    for (let i = 1; i < text.length; i++) splits.push(parse([text.slice(0, i), text.slice(i)]) === whole);
    const bytewise = parse([...text]) === whole;
    let refused = "";
    try {
      const big = "x".repeat(1 << 20);
      const parser = new SSEParser(() => {});
      parser.push("data: ");
      for (let i = 0; i <= MAX_EVENT / big.length; i++) parser.push(big);
    } catch (err) { refused = err.message; }
    return { whole, splits: splits.every(Boolean), bytewise, refused };
}"""
