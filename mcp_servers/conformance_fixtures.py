"""The fixtures the MCP conformance suite's server scenarios call: tools, resources and prompts.

Test-only (``python -m mcp_servers.conformance``): names and results follow
the suite's reference "everything" server (``@modelcontextprotocol/conformance``
0.1.16, ``examples/servers/typescript/everything-server.ts``), built here on
our own machinery (:class:`~mcp_servers.tool_calls.RawTool`,
:class:`~mcp_servers.resources.ResourceSource`, :class:`~mcp_servers.prompts.PromptSpec`).

Elicitation and sampling work in both revisions: on 2025-11-25 the server
sends ``elicitation/create`` / ``sampling/createMessage`` mid-call; on
2026-07-28 the call answers with an ``InputRequiredResult`` and the client's
retry carries the answer (:func:`ask`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anyio
from mcp import types
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.uri_template import UriTemplate
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel

from mcp_servers.prompts import Argument, PromptSpec, user_text
from mcp_servers.resources import Contents
from mcp_servers.tool_calls import RawTool, ToolCall
from tools.base import ToolError

IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
AUDIO = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}}
JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
    "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
    "additionalProperties": False,
}
DEFAULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
    "required": [],
}
_OPTIONS = ["option1", "option2", "option3"]
_TITLED = [("value1", "First"), ("value2", "Second"), ("value3", "Third")]
ENUMS_SCHEMA = {
    "type": "object",
    "properties": {
        "untitledSingle": {"type": "string", "description": "Select one option", "enum": _OPTIONS},
        "titledSingle": {
            "type": "string",
            "description": "Select one option with titles",
            "oneOf": [{"const": v, "title": f"{t} Option"} for v, t in _TITLED],
        },
        "legacyEnum": {
            "type": "string",
            "description": "Select one option (legacy)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Select multiple options",
            "minItems": 1,
            "maxItems": 3,
            "items": {"type": "string", "enum": _OPTIONS},
        },
        "titledMulti": {
            "type": "array",
            "description": "Select multiple options with titles",
            "minItems": 1,
            "maxItems": 3,
            "items": {"anyOf": [{"const": v, "title": f"{t} Choice"} for v, t in _TITLED]},
        },
    },
    "required": [],
}


def text(value: str) -> types.TextContent:
    return types.TextContent(type="text", text=value)


def _tool(name: str, description: str, schema: dict[str, Any] | None = None) -> types.Tool:
    return types.Tool(name=name, description=description, input_schema=schema or NO_ARGUMENTS)


def _string_arg(name: str, description: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: {"type": "string", "description": description}}, "required": [name]}


async def ask(call: ToolCall, key: str, request: types.ElicitRequest | types.CreateMessageRequest) -> Any:
    """Ask the client mid-call: a server request (2025-11-25) or an ``InputRequiredResult`` (2026-07-28).

    Returns the client's result model, or the ``InputRequiredResult`` the tool must return.
    """
    result_type: type[BaseModel] = (
        types.ElicitResult if isinstance(request, types.ElicitRequest) else types.CreateMessageResult
    )
    if call.ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        metadata = ServerMessageMetadata(related_request_id=call.ctx.request_id)
        return await call.ctx.session.send_request(request, result_type, metadata=metadata)  # type: ignore[arg-type]
    answered = ((call.ctx.params or {}).get("inputResponses") or {}).get(key)
    if answered is None:
        return types.InputRequiredResult(input_requests={key: request})
    return result_type.model_validate(answered, by_name=False)


async def _simple_text(call: ToolCall) -> types.CallToolResult:
    return types.CallToolResult(content=[text("This is a simple text response for testing.")])


async def _image(call: ToolCall) -> types.CallToolResult:
    return types.CallToolResult(content=[types.ImageContent(type="image", data=IMAGE, mime_type="image/png")])


async def _audio(call: ToolCall) -> types.CallToolResult:
    return types.CallToolResult(content=[types.AudioContent(type="audio", data=AUDIO, mime_type="audio/wav")])


def _embedded(uri: str, mime_type: str, value: str) -> types.EmbeddedResource:
    contents = types.TextResourceContents(uri=uri, mime_type=mime_type, text=value)
    return types.EmbeddedResource(type="resource", resource=contents)


async def _embedded_resource(call: ToolCall) -> types.CallToolResult:
    resource = _embedded("test://embedded-resource", "text/plain", "This is an embedded resource content.")
    return types.CallToolResult(content=[resource])


async def _mixed(call: ToolCall) -> types.CallToolResult:
    data = json.dumps({"test": "data", "value": 123})
    return types.CallToolResult(
        content=[
            text("Multiple content types test:"),
            types.ImageContent(type="image", data=IMAGE, mime_type="image/png"),
            _embedded("test://mixed-content-resource", "application/json", data),
        ]
    )


async def _with_logging(call: ToolCall) -> types.CallToolResult:
    for index, message in enumerate(("Tool execution started", "Tool processing data", "Tool execution completed")):
        if index:
            await anyio.sleep(0.05)
        await call.log("info", message)
    return types.CallToolResult(content=[text("Tool with logging executed successfully")])


async def _with_progress(call: ToolCall) -> types.CallToolResult:
    meta = (call.ctx.params or {}).get("_meta") or {}
    for index, step in enumerate((0, 50, 100)):
        if index:
            await anyio.sleep(0.05)
        await call.ctx.session.report_progress(step, 100, f"Completed step {step} of 100")
    return types.CallToolResult(content=[text(str(meta.get("progressToken", 0)))])


async def _error(call: ToolCall) -> types.CallToolResult:
    raise ToolError("This tool intentionally returns an error for testing")


async def _reconnection(call: ToolCall) -> types.CallToolResult:
    """Close this call's SSE stream mid-call (the client reconnects with Last-Event-ID), then answer."""
    if call.ctx.close_sse_stream is not None:
        await call.ctx.close_sse_stream()
    await anyio.sleep(0.1)
    return types.CallToolResult(
        content=[
            text(
                "Reconnection test completed successfully. If you received this, the client properly "
                "reconnected after stream closure."
            )
        ]
    )


async def _sampling(call: ToolCall) -> types.CallToolResult | types.InputRequiredResult:
    prompt = types.SamplingMessage(role="user", content=text(call.arguments["prompt"]))
    request = types.CreateMessageRequest(params=types.CreateMessageRequestParams(messages=[prompt], max_tokens=100))
    try:
        answer = await ask(call, "sampling", request)
    except Exception as err:  # noqa: BLE001 - the fixture reports a refusal as text, as the reference does
        return types.CallToolResult(content=[text(f"Sampling not supported or error: {err}")])
    if isinstance(answer, types.InputRequiredResult):
        return answer
    content = answer.content
    reply = content.text if isinstance(content, types.TextContent) else "No response"
    return types.CallToolResult(content=[text(f"LLM response: {reply}")])


async def _elicit(call: ToolCall, message: str, schema: dict[str, Any], prefix: str) -> Any:
    request = types.ElicitRequest(params=types.ElicitRequestFormParams(message=message, requested_schema=schema))
    try:
        answer = await ask(call, "elicitation", request)
    except Exception as err:  # noqa: BLE001 - as the reference fixture does
        return types.CallToolResult(content=[text(f"Elicitation not supported or error: {err}")])
    if isinstance(answer, types.InputRequiredResult):
        return answer
    content = json.dumps(answer.content or {}, separators=(",", ":"))
    return types.CallToolResult(content=[text(f"{prefix}: action={answer.action}, content={content}")])


async def _elicitation(call: ToolCall) -> Any:
    schema = {
        "type": "object",
        "properties": {"response": {"type": "string", "description": "User's response"}},
        "required": ["response"],
    }
    return await _elicit(call, call.arguments["message"], schema, "User response")


async def _elicitation_defaults(call: ToolCall) -> Any:
    message = "Please review and update the form fields with defaults"
    return await _elicit(call, message, DEFAULTS_SCHEMA, "Elicitation completed")


async def _elicitation_enums(call: ToolCall) -> Any:
    message = "Please select options from the enum fields"
    return await _elicit(call, message, ENUMS_SCHEMA, "Elicitation completed")


async def _json_schema(call: ToolCall) -> types.CallToolResult:
    args = json.dumps(call.arguments, separators=(",", ":"))
    return types.CallToolResult(content=[text(f"JSON Schema 2020-12 tool called with: {args}")])


def fixture_tools() -> list[RawTool]:
    return [
        RawTool(_tool("test_simple_text", "Tests simple text content response"), _simple_text),
        RawTool(_tool("test_image_content", "Tests image content response"), _image),
        RawTool(_tool("test_audio_content", "Tests audio content response"), _audio),
        RawTool(_tool("test_embedded_resource", "Tests embedded resource content response"), _embedded_resource),
        RawTool(
            _tool("test_multiple_content_types", "Tests response with multiple content types (text, image, resource)"),
            _mixed,
        ),
        RawTool(_tool("test_tool_with_logging", "Tests tool that emits log messages during execution"), _with_logging),
        RawTool(_tool("test_tool_with_progress", "Tests tool that reports progress notifications"), _with_progress),
        RawTool(_tool("test_error_handling", "Tests error response handling"), _error),
        RawTool(
            _tool("test_reconnection", "Closes its SSE stream mid-call; the result comes after the client reconnects"),
            _reconnection,
        ),
        RawTool(
            _tool(
                "test_sampling",
                "Tests server-initiated sampling (LLM completion request)",
                _string_arg("prompt", "The prompt to send to the LLM"),
            ),
            _sampling,
        ),
        RawTool(
            _tool(
                "test_elicitation",
                "Tests server-initiated elicitation (user input request)",
                _string_arg("message", "The message to show the user"),
            ),
            _elicitation,
        ),
        RawTool(
            _tool("test_elicitation_sep1034_defaults", "Tests elicitation with default values per SEP-1034"),
            _elicitation_defaults,
        ),
        RawTool(
            _tool("test_elicitation_sep1330_enums", "Tests elicitation with enum schema improvements per SEP-1330"),
            _elicitation_enums,
        ),
        RawTool(
            _tool(
                "json_schema_2020_12_tool",
                "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
                JSON_SCHEMA_2020_12,
            ),
            _json_schema,
        ),
    ]


class FixtureResources:
    """``test://static-text``, ``test://static-binary``, ``test://watched-resource`` and ``test://template/{id}/data``."""

    TEMPLATE = "test://template/{id}/data"

    def __init__(self) -> None:
        self.template = UriTemplate.parse(self.TEMPLATE)
        self.subscribed: set[str] = set()
        self.fixed: dict[str, tuple[str, str, str, Contents]] = {
            "test://static-text": (
                "Static Text Resource",
                "A static text resource for testing",
                "text/plain",
                types.TextResourceContents(
                    uri="test://static-text",
                    mime_type="text/plain",
                    text="This is the content of the static text resource.",
                ),
            ),
            "test://static-binary": (
                "Static Binary Resource",
                "A static binary resource (image) for testing",
                "image/png",
                types.BlobResourceContents(uri="test://static-binary", mime_type="image/png", blob=IMAGE),
            ),
            "test://watched-resource": (
                "Watched Resource",
                "A resource that auto-updates every 3 seconds",
                "text/plain",
                types.TextResourceContents(
                    uri="test://watched-resource", mime_type="text/plain", text="Watched resource content"
                ),
            ),
        }

    async def resources(self) -> list[types.Resource]:
        return [
            types.Resource(uri=uri, name=uri.removeprefix("test://"), title=title, description=about, mime_type=mime)
            for uri, (title, about, mime, _) in self.fixed.items()
        ]

    def templates(self) -> list[types.ResourceTemplate]:
        return [
            types.ResourceTemplate(
                uri_template=self.TEMPLATE,
                name="template",
                title="Resource Template",
                description="A resource template with parameter substitution",
                mime_type="application/json",
            )
        ]

    async def read(self, uri: str) -> list[Contents] | None:
        if uri in self.fixed:
            return [self.fixed[uri][3]]
        found = self.template.match(uri)
        if not found or not isinstance(found.get("id"), str):
            return None
        item = found["id"]
        body = json.dumps({"id": item, "templateTest": True, "data": f"Data for ID: {item}"})
        return [types.TextResourceContents(uri=uri, mime_type="application/json", text=body)]

    async def complete(self, template: str, argument: str, value: str, context: Mapping[str, str]) -> list[str] | None:
        return [] if template == self.TEMPLATE else None

    async def subscribe(self, ctx: Any, params: types.SubscribeRequestParams) -> types.EmptyResult:
        self.subscribed.add(str(params.uri))
        return types.EmptyResult()

    async def unsubscribe(self, ctx: Any, params: types.UnsubscribeRequestParams) -> types.EmptyResult:
        self.subscribed.discard(str(params.uri))
        return types.EmptyResult()


async def _simple_prompt(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    return [user_text("This is a simple prompt for testing.")]


async def _prompt_with_arguments(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    return [user_text(f"Prompt with arguments: arg1='{arguments['arg1']}', arg2='{arguments['arg2']}'")]


async def _prompt_with_resource(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    resource = _embedded(arguments["resourceUri"], "text/plain", "Embedded resource content for testing.")
    return [
        types.PromptMessage(role="user", content=resource),
        user_text("Please process the embedded resource above."),
    ]


async def _prompt_with_image(arguments: Mapping[str, str]) -> list[types.PromptMessage]:
    image = types.ImageContent(type="image", data=IMAGE, mime_type="image/png")
    return [types.PromptMessage(role="user", content=image), user_text("Please analyze the image above.")]


def fixture_prompts() -> list[PromptSpec]:
    return [
        PromptSpec("test_simple_prompt", "Simple Test Prompt", "A simple prompt without arguments", _simple_prompt),
        PromptSpec(
            "test_prompt_with_arguments",
            "Prompt With Arguments",
            "A prompt with required arguments",
            _prompt_with_arguments,
            (Argument("arg1", "First test argument", True), Argument("arg2", "Second test argument", True)),
        ),
        PromptSpec(
            "test_prompt_with_embedded_resource",
            "Prompt With Embedded Resource",
            "A prompt that includes an embedded resource",
            _prompt_with_resource,
            (Argument("resourceUri", "URI of the resource to embed", True),),
        ),
        PromptSpec(
            "test_prompt_with_image", "Prompt With Image", "A prompt that includes image content", _prompt_with_image
        ),
    ]


__all__ = ["FixtureResources", "ask", "fixture_prompts", "fixture_tools"]
