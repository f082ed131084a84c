"""A small MCP server for the client tests: echo, add, sleep, fail, die.

python mcp_test_server.py            # stdio
python mcp_test_server.py --http N   # streamable HTTP on 127.0.0.1:N
"""

from __future__ import annotations

import os
import sys
import time

from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel

server = MCPServer("testsrv")
STARTED = time.time()


class Sum(BaseModel):
    total: int


@server.tool(annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=True))
def add(a: int, b: int) -> Sum:
    """Add two integers."""
    return Sum(total=a + b)


@server.tool()
def echo(text: str) -> str:
    """Echo the text back, with this server's pid."""
    return f"{text} (pid {os.getpid()})"


@server.tool()
def sleep(seconds: float) -> str:
    """Sleep, then say so."""
    time.sleep(seconds)
    return f"slept {seconds}"


@server.tool()
def fail(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"refused: {reason}")


@server.tool(annotations=ToolAnnotations(destructive_hint=True))
def wipe(target: str) -> str:
    """Pretends to wipe something (destructive)."""
    return f"wiped {target}"


@server.tool()
def die() -> str:
    """Exit the server process at once."""
    os._exit(3)


if __name__ == "__main__":
    if os.environ.get("TEST_SERVER_PID_FILE"):
        with open(os.environ["TEST_SERVER_PID_FILE"], "a") as pids:
            pids.write(f"{os.getpid()}\n")
    if os.environ.get("TEST_SERVER_FAIL_START"):
        sys.exit("refusing to start")
    time.sleep(float(os.environ.get("TEST_SERVER_SLOW_START", "0")))
    if "--http" in sys.argv:
        port = int(sys.argv[sys.argv.index("--http") + 1])
        server.run("streamable-http", host="127.0.0.1", port=port)
    else:
        server.run()
