"""Reading request bodies: size-bounded JSON objects, and one-line 422s for wrong fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request

if TYPE_CHECKING:
    from agent.service.core import Service


async def body_of(request: Request, service: Service) -> dict[str, Any]:
    from agent.service.core import ApiError

    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > service.max_body:
        raise ApiError(413, f"the request body is over {service.max_body} bytes (AGENT_SERVICE_MAX_BODY_BYTES)")
    raw = b""
    async for piece in request.stream():
        raw += piece
        if len(raw) > service.max_body:
            raise ApiError(413, f"the request body is over {service.max_body} bytes (AGENT_SERVICE_MAX_BODY_BYTES)")
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise ApiError(422, f"the request body is not valid JSON: {err}") from None
    if not isinstance(body, dict):
        raise ApiError(422, "the request body must be a JSON object")
    return body


def one_of(value: Any, allowed: tuple[str, ...], field: str) -> str:
    from agent.service.core import ApiError

    if value not in allowed:
        raise ApiError(422, f"{field} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def positive(value: Any, field: str, maximum: int, minimum: int = 1) -> int:
    from agent.service.core import ApiError

    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ApiError(422, f"{field} must be an integer, not {value!r}") from None
    if not minimum <= number <= maximum:
        raise ApiError(422, f"{field} must be between {minimum} and {maximum}")
    return number


__all__ = ["body_of", "one_of", "positive"]
